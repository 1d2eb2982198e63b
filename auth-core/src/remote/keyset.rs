//! `RemoteKeySet`: a provider's keys behind a lock-free snapshot, refreshed single-flight,
//! in the background, with a stale limit.

use std::{
    fmt,
    sync::{Arc, Mutex, MutexGuard, OnceLock},
    time::{Duration, Instant},
};

use arc_swap::ArcSwap;
use futures_util::{
    FutureExt,
    future::{BoxFuture, Shared},
};

use super::{
    KeySource, RefreshPolicy, RemoteError,
    discovery::{discover, fetch_jwks},
    fetch::Fetch,
};
use crate::jwt::{KeySet, Refetch, VerifyingKey};

/// The keys in force, and when they should be refreshed.
#[derive(Debug)]
pub struct KeySnapshot {
    /// The keys.
    pub keys: Arc<[VerifyingKey]>,
    /// When they were fetched (`None`: nothing fetched yet).
    pub fetched: Option<Instant>,
    /// When a scheduled refresh is due.
    pub refresh_at: Instant,
    /// Until when they may be used (`None`: not at all, as before the first fetch).
    pub usable_until: Option<Instant>,
}

impl KeySnapshot {
    /// Whether the keys may be used now: fetched, and within the stale limit.
    pub fn usable(&self) -> bool {
        self.usable_until.is_some_and(|t| Instant::now() < t)
    }
}

/// Why a refresh did not happen.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RefreshError {
    /// Within the cool-down after the last kid-miss refetch: nothing was fetched.
    #[error("refetch skipped: within the cool-down")]
    CoolingDown,
    /// The fetch failed; the last good keys stay in force (within the stale limit).
    #[error("key set refresh failed: {0}")]
    Failed(String),
}

type SharedRefresh = Shared<BoxFuture<'static, Result<(), RefreshError>>>;

/// The state of the current incident, so that a failing provider is logged once per
/// incident, not once per request or retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Health {
    Good,
    Failing,
    Stale,
}

/// A provider's JWK Set, read on the request path through a lock-free snapshot.
///
/// ```no_run
/// # #[cfg(feature = "reqwest")]
/// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
/// use std::sync::Arc;
/// use auth_core::jwt::{Algorithm, JwtValidator};
/// use auth_core::remote::{FetchPolicy, KeySource, RefreshPolicy, RemoteKeySet, ReqwestFetch};
///
/// let fetch = Arc::new(ReqwestFetch::new(FetchPolicy::default())?);
/// let issuer = "https://login.example.com";
/// let keys = RemoteKeySet::load(KeySource::Discovery(issuer.into()), fetch, RefreshPolicy::default())
///     .await?;
/// tokio::spawn(keys.refresher(tokio::time::sleep));
/// let validator = JwtValidator::builder()
///     .remote_keys(keys)
///     .algorithms([Algorithm::RS256])
///     .issuer(issuer)
///     .audience("my-api")
///     .build()?;
/// # Ok(()) }
/// ```
///
/// - [`snapshot`](Self::snapshot) never blocks and never does I/O.
/// - [`refresh`](Self::refresh) is single-flight: concurrent callers share one fetch.
/// - [`refresh_for_unknown_kid`](Self::refresh_for_unknown_kid) adds a cool-down, so a
///   stream of tokens with unknown `kid`s causes at most one fetch per cool-down period
///   (and none is needed while the keys' age lasts: after it, a due refresh is fetched at
///   once). No key id is remembered beyond that: a key the provider publishes after a
///   forged token named its id is found by the first refetch the cool-down allows.
/// - [`refresher`](Self::refresher) keeps the set fresh in the background: it refreshes
///   when the keys' age (`Cache-Control: max-age` within the policy's bounds) runs out, and
///   retries failures with exponential back-off.
/// - A failed fetch leaves the last good keys in force up to the policy's stale limit, and
///   is logged once per incident.
/// - [`start`](Self::start) begins with no keys (tokens are answered 503) and lets the
///   refresher fetch them: for services that must start while the provider is down.
///   [`load`](Self::load) fails fast instead.
pub struct RemoteKeySet {
    source: KeySource,
    /// The JWK Set URL, once known (at once for [`KeySource::Jwks`], after discovery
    /// otherwise).
    jwks_uri: OnceLock<String>,
    fetch: Arc<dyn Fetch>,
    policy: RefreshPolicy,
    pub(super) snapshot: ArcSwap<KeySnapshot>,
    inflight: Mutex<Option<SharedRefresh>>,
    last_kid_miss_fetch: Mutex<Option<Instant>>,
    health: Mutex<Health>,
}

impl fmt::Debug for RemoteKeySet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RemoteKeySet")
            .field("source", &self.source)
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
    /// A set with no keys yet: tokens it should verify are answered 503 until the first
    /// fetch succeeds, by the [`refresher`](Self::refresher) (with back-off) or a request's
    /// refetch.
    pub fn start(source: KeySource, fetch: Arc<dyn Fetch>, policy: RefreshPolicy) -> Arc<Self> {
        let jwks_uri = OnceLock::new();
        if let KeySource::Jwks(url) = &source {
            let _ = jwks_uri.set(url.clone());
        }
        Arc::new(RemoteKeySet {
            source,
            jwks_uri,
            fetch,
            policy,
            snapshot: ArcSwap::from_pointee(KeySnapshot {
                keys: Arc::new([]),
                fetched: None,
                refresh_at: Instant::now(),
                usable_until: None,
            }),
            inflight: Mutex::new(None),
            last_kid_miss_fetch: Mutex::new(None),
            health: Mutex::new(Health::Good),
        })
    }

    /// Fetch the key set once (through discovery first for [`KeySource::Discovery`]),
    /// failing if it cannot be had.
    ///
    /// # Errors
    ///
    /// [`RemoteError`] when discovery or the JWK Set cannot be fetched or used.
    pub async fn load(
        source: KeySource,
        fetch: Arc<dyn Fetch>,
        policy: RefreshPolicy,
    ) -> Result<Arc<Self>, RemoteError> {
        let set = Self::start(source, fetch, policy);
        set.fetch_and_swap_inner().await?;
        Ok(set)
    }

    /// Where the keys come from.
    pub fn source(&self) -> &KeySource {
        &self.source
    }

    /// The policy.
    pub fn policy(&self) -> &RefreshPolicy {
        &self.policy
    }

    fn snapshot_of(&self, keys: Vec<VerifyingKey>, max_age: Option<u64>) -> KeySnapshot {
        let policy = &self.policy;
        let now = Instant::now();
        let age = max_age
            .map(Duration::from_secs)
            .unwrap_or(policy.max_age)
            .clamp(policy.min_age, policy.max_age.max(policy.min_age));
        KeySnapshot {
            keys: keys.into(),
            fetched: Some(now),
            refresh_at: now + age,
            usable_until: Some(now + policy.stale_limit.max(age)),
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
    ///
    /// # Errors
    ///
    /// [`RefreshError::Failed`] when the fetch fails; the old keys stay in force.
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

    /// Refetch because a token named a key id the set does not hold (or none, and no key
    /// fitted), or the set has no usable keys: shared by all callers, and at most once per
    /// cool-down period, unless a scheduled refresh is due (the keys' age has run out, so
    /// the fetch is one the schedule wants anyway). A fetch already under way is joined.
    ///
    /// # Errors
    ///
    /// [`RefreshError::CoolingDown`] when the cool-down forbids a fetch, and the errors of
    /// [`refresh`](Self::refresh).
    pub async fn refresh_for_unknown_kid(self: &Arc<Self>) -> Result<(), RefreshError> {
        {
            let mut last = lock(&self.last_kid_miss_fetch);
            let now = Instant::now();
            let idle = lock(&self.inflight).is_none();
            let cooling =
                last.is_some_and(|t| now.duration_since(t) < self.policy.kid_miss_cooldown);
            if cooling && idle && !self.refresh_due() {
                return Err(RefreshError::CoolingDown);
            }
            if idle {
                *last = Some(now);
            }
        }
        self.refresh().await
    }

    async fn jwks_uri(&self) -> Result<String, RemoteError> {
        if let Some(uri) = self.jwks_uri.get() {
            return Ok(uri.clone());
        }
        let KeySource::Discovery(issuer) = &self.source else {
            return Err(RemoteError::Document {
                url: String::new(),
                reason: "no JWK Set URL",
            });
        };
        let metadata = discover(self.fetch.as_ref(), issuer).await?;
        Ok(self.jwks_uri.get_or_init(|| metadata.jwks_uri).clone())
    }

    /// Fetch and swap the keys in, counting the attempt and the age of the keys in force
    /// after it (0 after a success).
    async fn fetch_and_swap_inner(&self) -> Result<(), RemoteError> {
        let result = async {
            let url = self.jwks_uri().await?;
            let (keys, max_age) = fetch_jwks(self.fetch.as_ref(), &url).await?;
            self.snapshot
                .store(Arc::new(self.snapshot_of(keys, max_age)));
            Ok(())
        }
        .await;
        let age = self
            .snapshot
            .load()
            .fetched
            .map_or(f64::INFINITY, |at| at.elapsed().as_secs_f64());
        crate::telemetry::keyset_refresh(result.is_ok(), age);
        result
    }

    async fn fetch_and_swap(&self) -> Result<(), RefreshError> {
        let result = self.fetch_and_swap_inner().await;
        let mut health = lock(&self.health);
        match result {
            Ok(()) => {
                if *health != Health::Good {
                    tracing::info!(source = ?self.source, "key set fetched again");
                    *health = Health::Good;
                }
                Ok(())
            }
            Err(e) => {
                let usable = self.snapshot.load().usable();
                match (*health, usable) {
                    (Health::Good, true) => tracing::warn!(
                        source = ?self.source, error = %e,
                        "key set refresh failed; keeping the last good keys"
                    ),
                    (Health::Good | Health::Failing, false) => tracing::error!(
                        source = ?self.source, error = %e,
                        "no usable keys (never fetched, or past the stale limit): tokens are answered 503"
                    ),
                    _ => {}
                }
                *health = if usable {
                    Health::Failing
                } else {
                    Health::Stale
                };
                Err(RefreshError::Failed(e.to_string()))
            }
        }
    }
}

impl KeySet for RemoteKeySet {
    fn current(&self) -> Option<Arc<[VerifyingKey]>> {
        let snapshot = self.snapshot.load();
        snapshot.usable().then(|| Arc::clone(&snapshot.keys))
    }

    fn refetch(self: Arc<Self>) -> Refetch {
        // Cooling down or failed: the validator answers from the keys in force.
        Box::pin(async move {
            let _ = self.refresh_for_unknown_kid().await;
        })
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
        async fn get(&self, url: &str) -> Result<FetchResponse, FetchError> {
            tokio::time::sleep(Duration::from_millis(50)).await;
            if url.ends_with("/.well-known/openid-configuration") {
                let doc = serde_json::json!({
                    "issuer": "https://issuer.test",
                    "jwks_uri": "https://issuer.test/keys",
                });
                return Ok(FetchResponse {
                    body: doc.to_string().into_bytes(),
                    max_age: None,
                });
            }
            self.fetches.fetch_add(1, Ordering::SeqCst);
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

    fn fake(kids: &[&str]) -> Arc<Fake> {
        Arc::new(Fake {
            fetches: AtomicUsize::new(0),
            jwks: Mutex::new(Ok(jwks(kids))),
        })
    }

    async fn set(kids: &[&str], policy: RefreshPolicy) -> (Arc<Fake>, Arc<RemoteKeySet>) {
        let fake = fake(kids);
        let source = KeySource::Jwks("https://issuer.test/jwks".into());
        let set = RemoteKeySet::load(source, fake.clone(), policy)
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
        let policy = RefreshPolicy::default().kid_miss_cooldown(Duration::ZERO);
        let (fake, set) = set(&["a", "b"], policy).await;
        *lock(&fake.jwks) = Err(FetchError::Status(500));
        assert!(matches!(set.refresh().await, Err(RefreshError::Failed(_))));
        assert_eq!(set.snapshot().keys.len(), 2);
        *lock(&fake.jwks) = Ok(jwks(&["c"]));
        assert_eq!(set.refresh_for_unknown_kid().await, Ok(()));
        assert_eq!(set.snapshot().keys[0].kid(), Some("c"));
    }

    /// Review item 5: a forged token naming a key id the provider has not published yet
    /// does not lock that key out beyond the cool-down; a due refresh ignores the cool-down.
    #[tokio::test]
    async fn review_05_a_guessed_kid_does_not_lock_out_a_new_key() {
        let cooldown = Duration::from_millis(300);
        let policy = RefreshPolicy::default().kid_miss_cooldown(cooldown);
        let (fake, set) = set(&["a"], policy).await;
        // A forged token names "next": a refetch, which does not find it.
        assert_eq!(set.refresh_for_unknown_kid().await, Ok(()));
        assert!(!set.snapshot().keys.iter().any(|k| k.kid() == Some("next")));
        // The provider then publishes "next"; within the cool-down nothing is fetched...
        *lock(&fake.jwks) = Ok(jwks(&["a", "next"]));
        assert_eq!(
            set.refresh_for_unknown_kid().await,
            Err(RefreshError::CoolingDown)
        );
        assert_eq!(fake.fetches.load(Ordering::SeqCst), 2);
        // ...and right after it, a genuine token with "next" makes the set fetch it.
        tokio::time::sleep(cooldown).await;
        assert_eq!(set.refresh_for_unknown_kid().await, Ok(()));
        assert!(set.snapshot().keys.iter().any(|k| k.kid() == Some("next")));

        // Keys whose age has run out are refetched on a miss, whatever the cool-down.
        let due = RefreshPolicy::default()
            .kid_miss_cooldown(Duration::from_secs(3600))
            .ages(Duration::ZERO, Duration::ZERO);
        let (fake, aged) = self::set(&["a"], due).await;
        assert_eq!(aged.refresh_for_unknown_kid().await, Ok(()));
        assert_eq!(aged.refresh_for_unknown_kid().await, Ok(()));
        assert_eq!(fake.fetches.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn max_age_is_clamped() {
        let policy =
            RefreshPolicy::default().ages(Duration::from_secs(400), Duration::from_secs(600));
        let (_, set) = set(&["a"], policy).await;
        let snap = set.snapshot();
        let fetched = snap.fetched.unwrap_or_else(Instant::now);
        assert!(snap.refresh_at.duration_since(fetched) >= Duration::from_secs(400));
        assert!(!set.refresh_due());
        assert!(snap.usable());
    }

    #[tokio::test]
    async fn keys_past_the_stale_limit_are_not_used() {
        // max-age 300 s is clamped to 1 s; the stale limit is raised to that age.
        let policy = RefreshPolicy::default()
            .ages(Duration::from_millis(200), Duration::from_millis(200))
            .stale_limit(Duration::ZERO);
        let (fake, set) = set(&["a"], policy).await;
        assert!(set.snapshot().usable());
        *lock(&fake.jwks) = Err(FetchError::Timeout);
        tokio::time::sleep(Duration::from_millis(250)).await;
        assert!(set.refresh_due());
        assert!(set.refresh().await.is_err());
        assert!(!set.snapshot().usable(), "stale keys still in force");
        *lock(&fake.jwks) = Ok(jwks(&["b"]));
        assert_eq!(set.refresh().await, Ok(()));
        assert!(set.snapshot().usable());
    }

    #[tokio::test]
    async fn started_without_keys_the_refresher_fetches_them_with_back_off() {
        let fake = fake(&["a"]);
        *lock(&fake.jwks) = Err(FetchError::Status(503));
        let policy =
            RefreshPolicy::default().retry(Duration::from_millis(20), Duration::from_millis(80));
        let set = RemoteKeySet::start(
            KeySource::Discovery("https://issuer.test".into()),
            fake.clone(),
            policy,
        );
        assert!(!set.snapshot().usable());
        let task = tokio::spawn(set.refresher(tokio::time::sleep));
        tokio::time::sleep(Duration::from_millis(600)).await;
        let failed = fake.fetches.load(Ordering::SeqCst);
        // Each attempt takes 50 ms plus a wait of 20, 40, 80, 80, ... ms: a handful, not
        // a tight loop.
        assert!((3..=8).contains(&failed), "{failed} attempts");
        assert!(!set.snapshot().usable());
        *lock(&fake.jwks) = Ok(jwks(&["a"]));
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(set.snapshot().usable());
        assert_eq!(set.snapshot().keys[0].kid(), Some("a"));
        // Fresh keys (max-age 300 s): the refresher sleeps, and stops with the set.
        let settled = fake.fetches.load(Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(fake.fetches.load(Ordering::SeqCst), settled);
        drop(set);
        task.abort();
    }

    #[tokio::test]
    async fn the_refresher_ends_when_the_set_is_dropped() {
        let (_, set) = set(&["a"], RefreshPolicy::default()).await;
        let task = tokio::spawn(set.refresher(|_| tokio::time::sleep(Duration::from_millis(10))));
        tokio::time::sleep(Duration::from_millis(100)).await;
        drop(set);
        let ended = tokio::time::timeout(Duration::from_secs(2), task).await;
        assert!(ended.is_ok(), "the refresher outlived its set");
    }
}
