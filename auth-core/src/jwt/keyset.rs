//! Key sets that change over time, such as a provider's JWK Set.

use std::{future::Future, pin::Pin, sync::Arc};

use super::VerifyingKey;

/// A refetch under way; see [`KeySet::refetch`].
pub type Refetch = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Verifying keys that change over time, read by a validator on every request
/// ([`JwtValidatorBuilder::remote_keys`](super::JwtValidatorBuilder::remote_keys)).
///
/// [`RemoteKeySet`](crate::remote::RemoteKeySet) implements it for a provider's JWK Set;
/// a set kept elsewhere (shared between instances, pushed by a control plane) can too.
pub trait KeySet: Send + Sync + 'static {
    /// The keys in force, or `None` when none may be used (none fetched yet, or past their
    /// stale limit): the tokens they should verify are then answered 503, not 401.
    ///
    /// Called on every request: it must not block or do I/O.
    fn current(&self) -> Option<Arc<[VerifyingKey]>>;

    /// Refetch, because a token named a key the set does not hold (or no key fitted). The
    /// validator then verifies once more against [`current`](Self::current).
    /// Implementations bound how often this reaches the network: a stream of forged key
    /// ids must not become a stream of fetches.
    fn refetch(self: Arc<Self>) -> Refetch;
}
