//! The refresh-store conformance cases (`auth_core::test_util::refresh_store_conformance`)
//! against every store: the same rule (rotation, reuse, the grace window, the session's end,
//! logout, concurrent rotations) whatever keeps the state.

use std::sync::Arc;

use auth_core::{login::MemoryRefreshStore, test_util::refresh_store_conformance};

#[tokio::test]
async fn the_memory_store_passes_the_conformance_cases() -> Result<(), String> {
    refresh_store_conformance(Arc::new(MemoryRefreshStore::new())).await
}
