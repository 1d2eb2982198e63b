//! Key stores: the trait, and the in-memory store.

use std::{
    collections::HashMap,
    fmt,
    sync::{
        Arc,
        atomic::{AtomicI64, Ordering},
    },
};

use arc_swap::ArcSwap;

use super::{
    hash::{KeyHash, KeyHashBuilder},
    record::ApiKeyRecord,
};

/// A store could not answer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The store file cannot be read or written.
    #[error("key store {path}: {source}")]
    Io {
        /// The path.
        path: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The store file is not a key store.
    #[error("key store {path}: not a key store file: {reason}")]
    Format {
        /// The path.
        path: String,
        /// What is wrong (a JSON error, never a key).
        reason: String,
    },
    /// A remote store failed.
    #[error("key store unavailable: {0}")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// A stored key and its last-used time, which the guard updates without a lock.
#[derive(Debug)]
pub struct StoredKey {
    record: ApiKeyRecord,
    last_used: AtomicI64,
}

impl StoredKey {
    /// Wrap a record.
    pub fn new(record: ApiKeyRecord) -> Self {
        StoredKey {
            record,
            last_used: AtomicI64::new(0),
        }
    }

    /// The record.
    pub fn record(&self) -> &ApiKeyRecord {
        &self.record
    }

    /// When the key was last used (seconds since the epoch), if it was since loading.
    pub fn last_used(&self) -> Option<i64> {
        Some(self.last_used.load(Ordering::Relaxed)).filter(|&t| t > 0)
    }

    /// Record a use at `at` (an atomic store: no lock, no I/O on the request path).
    pub fn touch(&self, at: i64) {
        self.last_used.fetch_max(at, Ordering::Relaxed);
    }
}

/// Where keys are looked up, by hash.
///
/// Async and object-safe: the guard holds an `Arc<dyn ApiKeyStore>` so that the store (in
/// memory, a file, Redis) is chosen at start-up; `#[async_trait]` is what makes an async
/// method callable through `dyn`.
#[async_trait::async_trait]
pub trait ApiKeyStore: Send + Sync + fmt::Debug {
    /// The key with this hash; `Ok(None)` when there is none.
    async fn find(&self, hash: &KeyHash) -> Result<Option<Arc<StoredKey>>, StoreError>;

    /// The same answer without awaiting, for stores that hold their keys in memory: `None`
    /// means "ask [`find`](Self::find)". The guard tries this first, which spares the
    /// request path the boxed future of an `async_trait` call.
    fn find_now(&self, _hash: &KeyHash) -> Option<Result<Option<Arc<StoredKey>>, StoreError>> {
        None
    }

    /// Why the store may be serving stale keys right now (a key file that changed but
    /// cannot be read, a database that cannot be reached), for health checks and logs;
    /// `None` when all is well. Never contains a key.
    fn problem(&self) -> Option<String> {
        None
    }
}

/// An immutable index, swapped whole on every change (reads take no lock).
pub(crate) type Index = HashMap<KeyHash, Arc<StoredKey>, KeyHashBuilder>;

pub(crate) fn index_of(records: Vec<ApiKeyRecord>, previous: Option<&Index>) -> Index {
    records
        .into_iter()
        .map(|r| {
            let stored = StoredKey::new(r);
            // Keep last-used times across reloads.
            if let Some(old) = previous.and_then(|p| p.get(&stored.record.hash)) {
                stored.touch(old.last_used.load(Ordering::Relaxed));
            }
            (stored.record.hash, Arc::new(stored))
        })
        .collect()
}

/// Keys in memory: for tests, and for a process that makes its own keys at start.
#[derive(Debug, Default)]
pub struct MemoryStore {
    index: ArcSwap<Index>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Add (or replace) a key.
    pub fn insert(&self, record: ApiKeyRecord) {
        self.index.rcu(|current| {
            let mut next = Index::clone(current);
            next.insert(record.hash, Arc::new(StoredKey::new(record.clone())));
            next
        });
    }

    /// Revoke the key with `id` at `at`; false when there is no such key.
    pub fn revoke(&self, id: &str, at: i64) -> bool {
        let mut found = false;
        self.index.rcu(|current| {
            let mut next = Index::clone(current);
            found = false;
            for stored in next.values_mut() {
                if stored.record.id == id {
                    let mut record = stored.record.clone();
                    record.revoked = Some(at);
                    *stored = Arc::new(StoredKey::new(record));
                    found = true;
                }
            }
            next
        });
        found
    }

    /// Replace every key at once (a reload from a system of record): readers see the old
    /// set or the new one, never a mix; last-used times are kept for keys that stay.
    pub fn replace_all(&self, records: Vec<ApiKeyRecord>) {
        let previous = self.index.load();
        self.index
            .store(Arc::new(index_of(records, Some(&previous))));
    }

    /// The keys used since they were loaded: `(id, last used)`, for writing last-used
    /// times back to a system of record in batches.
    pub fn last_uses(&self) -> Vec<(String, i64)> {
        self.index
            .load()
            .values()
            .filter_map(|s| Some((s.record.id.clone(), s.last_used()?)))
            .collect()
    }

    /// All records.
    pub fn records(&self) -> Vec<ApiKeyRecord> {
        self.index
            .load()
            .values()
            .map(|s| s.record.clone())
            .collect()
    }
}

#[async_trait::async_trait]
impl ApiKeyStore for MemoryStore {
    async fn find(&self, hash: &KeyHash) -> Result<Option<Arc<StoredKey>>, StoreError> {
        Ok(self.index.load().get(hash).cloned())
    }

    fn find_now(&self, hash: &KeyHash) -> Option<Result<Option<Arc<StoredKey>>, StoreError>> {
        Some(Ok(self.index.load().get(hash).cloned()))
    }
}

#[async_trait::async_trait]
impl<S: ApiKeyStore + ?Sized> ApiKeyStore for Arc<S> {
    async fn find(&self, hash: &KeyHash) -> Result<Option<Arc<StoredKey>>, StoreError> {
        (**self).find(hash).await
    }

    fn find_now(&self, hash: &KeyHash) -> Option<Result<Option<Arc<StoredKey>>, StoreError>> {
        (**self).find_now(hash)
    }

    fn problem(&self) -> Option<String> {
        (**self).problem()
    }
}
