//! `RemoteKeySet`: a provider's keys behind a lock-free snapshot, refreshed single-flight.

use std::{
    fmt,
    sync::{Arc, Mutex, MutexGuard},
    time::{Duration, Instant},
};

use arc_swap::ArcSwap;
use futures_util::{
    FutureExt,
    future::{BoxFuture, Shared},
};

use super::{discovery::fetch_jwks, fetch::Fetch};
use crate::jwt::JwtKey;

/// How a key set stays fresh.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefreshPolicy {
    /// The shortest time keys are kept before a scheduled refresh, whatever `max-age` says.
    pub min_age: Duration,
    /// The longest time keys are kept before a scheduled refresh (and the default when the
    /// server sends no `max-age`).
    pub max_age: Duration,
    /// The shortest time between two refetches caused by unknown key ids: forged tokens
    /// with random `kid`s cannot make us hammer the provider.
    pub kid_miss_cooldown: Duration,
}

impl Default for RefreshPolicy {
    fn default() -> Self {
        RefreshPolicy {
            min_age: Duration::from_secs(60),
            max_age: Duration::from_secs(600),
            kid_miss_cooldown: Duration::from_secs(30),
        }
    }
}

/// The keys in force, and when they should be refreshed.
#[derive(Debug)]
pub struct KeySnapshot {
    /// The keys.
    pub keys: Vec<JwtKey>,
    /// When they were fetched.
    pub fetched: Instant,
    /// When a scheduled refresh is due.
    pub refresh_at: Instant,
}

/// Why a refresh did not happen.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RefreshError {
    /// Within the cool-down after the last kid-miss refetch: nothing was fetched.
    #[error("refetch skipped: within the cool-down")]
    CoolingDown,
    /// The fetch failed; the last good keys stay in force.
    #[error("key set refresh failed: {0}")]
    Failed(String),
}

type SharedRefresh = Shared<BoxFuture<'static, Result<(), RefreshError>>>;

/// A JWK Set fetched from a URL, read on the request path through a lock-free snapshot.
///
/// - [`snapshot`](Self::snapshot) never blocks and never does I/O.
/// - [`refresh`](Self::refresh) is single-flight: concurrent callers share one fetch.
/// - [`refresh_for_unknown_kid`](Self::refresh_for_unknown_kid) adds a cool-down, so a
///   stream of tokens with unknown `kid`s causes at most one fetch per cool-down period.
/// - A failed fetch leaves the last good keys in force and is logged once per incident.
pub struct RemoteKeySet {
    url: String,
    fetch: Arc<dyn Fetch>,
    policy: RefreshPolicy,
    snapshot: ArcSwap<KeySnapshot>,
    inflight: Mutex<Option<SharedRefresh>>,
    last_kid_miss_fetch: Mutex<Option<Instant>>,
    failing: Mutex<bool>,
}

impl fmt::Debug for RemoteKeySet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RemoteKeySet")
            .field("url", &self.url)
            .field("policy", &self.policy)
            .field("keys", &self.snapshot.load().keys.len())
            .finish()
    }
}

/// Locks that only guard plain data: a poisoned one is still usable.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl RemoteKeySet {
    /// Fetch the key set at `url` once (failing if it cannot be had) and keep it.
    pub async fn load(
        url: impl Into<String>,
        fetch: Arc<dyn Fetch>,
        policy: RefreshPolicy,
    ) -> Result<Arc<Self>, super::RemoteError> {
        let url = url.into();
        let (keys, max_age) = fetch_jwks(fetch.as_ref(), &url).await?;
        let set = RemoteKeySet {
            snapshot: ArcSwap::from_pointee(Self::snapshot_of(keys, max_age, &policy)),
            url,
            fetch,
            policy,
            inflight: Mutex::new(None),
            last_kid_miss_fetch: Mutex::new(None),
            failing: Mutex::new(false),
        };
        Ok(Arc::new(set))
    }

    fn snapshot_of(keys: Vec<JwtKey>, max_age: Option<u64>, policy: &RefreshPolicy) -> KeySnapshot {
        let now = Instant::now();
        let age = max_age
            .map(Duration::from_secs)
            .unwrap_or(policy.max_age)
            .clamp(policy.min_age, policy.max_age);
        KeySnapshot {
            keys,
            fetched: now,
            refresh_at: now + age,
        }
    }

    /// The keys in force: no lock, no I/O.
    pub fn snapshot(&self) -> Arc<KeySnapshot> {
        self.snapshot.load_full()
    }

    /// Whether a scheduled refresh is due.
    pub fn refresh_due(&self) -> bool {
        Instant::now() >= self.snapshot.load().refresh_at
    }

    /// Refetch now; concurrent callers share one fetch. On failure the old keys stay.
    pub async fn refresh(self: &Arc<Self>) -> Result<(), RefreshError> {
        let shared = {
            let mut inflight = lock(&self.inflight);
            match inflight.as_ref() {
                Some(f) => f.clone(),
                None => {
                    let this = Arc::clone(self);
                    let f = async move { this.fetch_and_swap().await }.boxed().shared();
                    *inflight = Some(f.clone());
                    f
                }
            }
        };
        let result = shared.await;
        // The first caller back clears the slot; later callers find it empty or newer.
        let mut inflight = lock(&self.inflight);
        if inflight.as_ref().is_some_and(|f| f.peek().is_some()) {
            *inflight = None;
        }
        result
    }

    /// Refetch because a token named a key id the set does not hold: at most once per
    /// cool-down period, shared by all callers.
    pub async fn refresh_for_unknown_kid(self: &Arc<Self>) -> Result<(), RefreshError> {
        {
            let mut last = lock(&self.last_kid_miss_fetch);
            let now = Instant::now();
            if let Some(t) = *last
                && now.duration_since(t) < self.policy.kid_miss_cooldown
                && lock(&self.inflight).is_none()
            {
                return Err(RefreshError::CoolingDown);
            }
            if lock(&self.inflight).is_none() {
                *last = Some(now);
            }
        }
        self.refresh().await
    }

    async fn fetch_and_swap(&self) -> Result<(), RefreshError> {
        match fetch_jwks(self.fetch.as_ref(), &self.url).await {
            Ok((keys, max_age)) => {
                self.snapshot
                    .store(Arc::new(Self::snapshot_of(keys, max_age, &self.policy)));
                let mut failing = lock(&self.failing);
                if *failing {
                    tracing::info!(url = %self.url, "key set fetched again");
                    *failing = false;
                }
                Ok(())
            }
            Err(e) => {
                let mut failing = lock(&self.failing);
                if !*failing {
                    tracing::warn!(error = %e, "key set refresh failed; keeping the last good keys");
                    *failing = true;
                }
                Err(RefreshError::Failed(e.to_string()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::{
        jwt::{Algorithm, SigningKey},
        remote::{FetchError, FetchResponse},
    };

    /// Serves a JWKS after a delay, counting fetches; can be switched to failing.
    #[derive(Debug)]
    struct Fake {
        fetches: AtomicUsize,
        jwks: Mutex<Result<String, FetchError>>,
    }

    #[async_trait::async_trait]
    impl Fetch for Fake {
        async fn get(&self, _url: &str) -> Result<FetchResponse, FetchError> {
            self.fetches.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(50)).await;
            let body = lock(&self.jwks).clone()?;
            Ok(FetchResponse {
                body: body.into_bytes(),
                max_age: Some(300),
            })
        }
    }

    fn jwks(kids: &[&str]) -> String {
        let keys: Vec<_> = kids
            .iter()
            .map(|kid| {
                SigningKey::generate(Algorithm::ES256)
                    .map(|k| k.with_kid(*kid).public_jwk())
                    .ok()
                    .flatten()
            })
            .collect();
        serde_json::json!({ "keys": keys }).to_string()
    }

    async fn set(kids: &[&str], policy: RefreshPolicy) -> (Arc<Fake>, Arc<RemoteKeySet>) {
        let fake = Arc::new(Fake {
            fetches: AtomicUsize::new(0),
            jwks: Mutex::new(Ok(jwks(kids))),
        });
        let set = RemoteKeySet::load("https://issuer.test/jwks", fake.clone(), policy)
            .await
            .map_err(|e| e.to_string());
        (fake, set.unwrap_or_else(|e| panic!("{e}")))
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_thousand_concurrent_kid_misses_cause_one_fetch() {
        let (fake, set) = set(&["a"], RefreshPolicy::default()).await;
        assert_eq!(fake.fetches.load(Ordering::SeqCst), 1);
        *lock(&fake.jwks) = Ok(jwks(&["a", "b"]));
        let tasks: Vec<_> = (0..1000)
            .map(|_| {
                let set = set.clone();
                tokio::spawn(async move { set.refresh_for_unknown_kid().await })
            })
            .collect();
        for t in tasks {
            let r = t.await.map_err(|e| e.to_string());
            assert!(
                matches!(r, Ok(Ok(())) | Ok(Err(RefreshError::CoolingDown))),
                "{r:?}"
            );
        }
        assert_eq!(
            fake.fetches.load(Ordering::SeqCst),
            2,
            "one initial, one refetch"
        );
        assert_eq!(set.snapshot().keys.len(), 2);
        // Within the cool-down: no fetch at all.
        assert_eq!(
            set.refresh_for_unknown_kid().await,
            Err(RefreshError::CoolingDown)
        );
        assert_eq!(fake.fetches.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_failing_endpoint_keeps_the_last_good_keys() {
        let policy = RefreshPolicy {
            kid_miss_cooldown: Duration::ZERO,
            ..RefreshPolicy::default()
        };
        let (fake, set) = set(&["a", "b"], policy).await;
        *lock(&fake.jwks) = Err(FetchError::Status(500));
        assert!(matches!(set.refresh().await, Err(RefreshError::Failed(_))));
        assert_eq!(set.snapshot().keys.len(), 2);
        *lock(&fake.jwks) = Ok(jwks(&["c"]));
        assert_eq!(set.refresh_for_unknown_kid().await, Ok(()));
        assert_eq!(set.snapshot().keys[0].kid(), Some("c"));
    }

    #[tokio::test]
    async fn max_age_is_clamped() {
        let policy = RefreshPolicy {
            min_age: Duration::from_secs(400),
            ..RefreshPolicy::default()
        };
        let (_, set) = set(&["a"], policy).await;
        let snap = set.snapshot();
        assert!(snap.refresh_at.duration_since(snap.fetched) >= Duration::from_secs(400));
        assert!(!set.refresh_due());
    }
}
