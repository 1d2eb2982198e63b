//! [`RateLimit`]: requests per key (an API key's id, a client's address), GCRA through
//! `governor`. Shared by [`ApiKeyValidator`](crate::apikey::ApiKeyValidator) and the
//! sign-in routes. [`Limiter`] counts either in this process or, with a
//! [`SharedRateLimit`] (such as `auth_redis::RedisRateLimit`), across every instance.

use std::{
    fmt,
    hash::Hash,
    num::NonZeroU32,
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicI64, AtomicUsize, Ordering},
    },
    time::Duration,
};

use governor::{DefaultKeyedRateLimiter, Quota, clock::Clock};

use crate::error::ConfigError;

/// At most `burst` requests per key at once, refilled evenly over a period.
///
/// Keys whose allowance is full again (unused for a whole period) are forgotten as checks
/// come in (an amortised sweep), so a stream of distinct keys (client addresses) holds
/// only the keys seen within the last period.
pub struct RateLimit<K: Hash + Eq + Clone> {
    limiter: DefaultKeyedRateLimiter<K>,
    /// Checks since the last sweep.
    checks: AtomicUsize,
    /// Checks between sweeps: as many as there were keys after the last one (at least
    /// [`SWEEP_AFTER`]), so each check costs O(1) amortised.
    sweep_every: AtomicUsize,
}

/// The fewest checks between two sweeps.
const SWEEP_AFTER: usize = 1024;

impl<K: Hash + Eq + Clone> fmt::Debug for RateLimit<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RateLimit").finish_non_exhaustive()
    }
}

impl<K: Hash + Eq + Clone> RateLimit<K> {
    /// `burst` requests at once, refilled over `per` (`(60, 60 s)`: a burst of 60, then one
    /// a second). Zero requests or a zero period are refused.
    ///
    /// # Errors
    ///
    /// [`ConfigError::RateLimit`] for zero requests or a zero period.
    pub fn new(burst: u32, per: Duration) -> Result<Self, ConfigError> {
        let burst = NonZeroU32::new(burst).ok_or(ConfigError::RateLimit)?;
        let quota = Quota::with_period(per / burst.get())
            .ok_or(ConfigError::RateLimit)?
            .allow_burst(burst);
        Ok(RateLimit {
            limiter: governor::RateLimiter::keyed(quota),
            checks: AtomicUsize::new(0),
            sweep_every: AtomicUsize::new(SWEEP_AFTER),
        })
    }

    /// Count a request for `key`: `Err(seconds)` to wait (rounded up, for `Retry-After`)
    /// when it is over the limit.
    ///
    /// # Errors
    ///
    /// The seconds to wait, when `key` is over its limit.
    pub fn check(&self, key: &K) -> Result<(), u64> {
        if self.checks.fetch_add(1, Ordering::Relaxed) + 1
            >= self.sweep_every.load(Ordering::Relaxed)
        {
            self.checks.store(0, Ordering::Relaxed);
            self.limiter.retain_recent();
            self.limiter.shrink_to_fit();
            self.sweep_every
                .store(SWEEP_AFTER.max(self.limiter.len()), Ordering::Relaxed);
        }
        self.limiter.check_key(key).map_err(|not_until| {
            let wait = not_until.wait_time_from(self.limiter.clock().now());
            wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
        })
    }

    /// How many keys are tracked now.
    pub fn len(&self) -> usize {
        self.limiter.len()
    }

    /// Whether no key is tracked.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A rate limit kept in an engine every instance shares: the same GCRA as [`RateLimit`]
/// (at most `burst` requests at once, refilled evenly over `per`), counted for all
/// instances together.
#[async_trait::async_trait]
pub trait SharedRateLimit: Send + Sync + fmt::Debug {
    /// Count one request for `key`: `Ok(Ok(()))` when allowed, `Ok(Err(seconds))` to wait
    /// (rounded up) when over the limit.
    ///
    /// # Errors
    ///
    /// The engine cannot answer (unreachable, or slower than its timeout).
    async fn check(
        &self,
        key: &str,
        burst: u32,
        per: Duration,
    ) -> Result<Result<(), u64>, SharedLimitError>;
}

/// A shared rate limit could not be checked.
#[derive(Debug, Clone, thiserror::Error)]
#[error("shared rate limit unavailable: {0}")]
pub struct SharedLimitError(pub String);

/// A rate limit counted in this process, or across every instance when shared.
///
/// # When the shared engine fails
///
/// It **fails open to the local limit**: while the engine cannot answer, each instance
/// counts in its own memory with the same quota (so N instances allow at most N times the
/// rate, never unlimited), logs the switch once, tries the engine again at most once a
/// second, and logs once when it is back. A request is never refused, nor answered 500,
/// because the engine is down.
pub struct Limiter<K: Hash + Eq + Clone> {
    local: RateLimit<K>,
    shared: Option<Shared>,
}

struct Shared {
    engine: Arc<dyn SharedRateLimit>,
    namespace: &'static str,
    burst: u32,
    per: Duration,
    degraded: AtomicBool,
    /// While degraded: when to try the engine again (milliseconds since the epoch).
    retry_at: AtomicI64,
}

impl<K: Hash + Eq + Clone> fmt::Debug for Limiter<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Limiter")
            .field("shared", &self.shared.as_ref().map(|s| &s.engine))
            .finish_non_exhaustive()
    }
}

impl<K: Hash + Eq + Clone + fmt::Display> Limiter<K> {
    /// `burst` requests at once, refilled over `per`, counted in `engine` under
    /// `namespace` when one is given, else in this process.
    ///
    /// # Errors
    ///
    /// [`ConfigError::RateLimit`] for zero requests or a zero period.
    pub fn new(
        burst: u32,
        per: Duration,
        engine: Option<Arc<dyn SharedRateLimit>>,
        namespace: &'static str,
    ) -> Result<Self, ConfigError> {
        Ok(Limiter {
            local: RateLimit::new(burst, per)?,
            shared: engine.map(|engine| Shared {
                engine,
                namespace,
                burst,
                per,
                degraded: AtomicBool::new(false),
                retry_at: AtomicI64::new(0),
            }),
        })
    }

    /// The decision without awaiting, when the limit is counted in this process; `None`
    /// when it must ask the shared engine ([`check`](Self::check)).
    pub fn check_now(&self, key: &K) -> Option<Result<(), u64>> {
        match &self.shared {
            None => Some(self.local.check(key)),
            Some(_) => None,
        }
    }

    /// Count a request for `key`: `Err(seconds)` to wait when it is over the limit.
    ///
    /// # Errors
    ///
    /// The seconds to wait, when `key` is over its limit.
    pub async fn check(&self, key: &K) -> Result<(), u64> {
        let Some(shared) = &self.shared else {
            return self.local.check(key);
        };
        let now_ms = now_millis();
        if shared.degraded.load(Ordering::Relaxed)
            && now_ms < shared.retry_at.load(Ordering::Relaxed)
        {
            return self.local.check(key);
        }
        let name = format!("{}:{key}", shared.namespace);
        match shared.engine.check(&name, shared.burst, shared.per).await {
            Ok(decision) => {
                if shared.degraded.swap(false, Ordering::Relaxed) {
                    tracing::info!(limit = shared.namespace, "the shared rate limit is back");
                }
                decision
            }
            Err(e) => {
                shared.retry_at.store(now_ms + 1000, Ordering::Relaxed);
                if !shared.degraded.swap(true, Ordering::Relaxed) {
                    tracing::warn!(
                        limit = shared.namespace,
                        error = %e,
                        "the shared rate limit is unavailable: counting in this process until it is back"
                    );
                }
                self.local.check(key)
            }
        }
    }
}

fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_then_waits() -> Result<(), ConfigError> {
        let limit = RateLimit::new(2, Duration::from_secs(3600))?;
        assert_eq!(limit.check(&"a"), Ok(()));
        assert_eq!(limit.check(&"a"), Ok(()));
        let wait = limit.check(&"a").err().unwrap_or_default();
        assert!((1700..=1800).contains(&wait), "{wait}");
        assert_eq!(limit.check(&"b"), Ok(()), "keys are counted apart");
        assert!(RateLimit::<&str>::new(0, Duration::from_secs(1)).is_err());
        assert!(RateLimit::<&str>::new(1, Duration::ZERO).is_err());
        Ok(())
    }

    /// Review item 10: a stream of distinct keys (client addresses) does not grow the
    /// limiter without bound: keys unused for a whole period are forgotten.
    #[test]
    fn review_10_keys_unused_for_a_period_are_forgotten() -> Result<(), ConfigError> {
        let limit = RateLimit::new(1, Duration::from_millis(20))?;
        for round in 0..5u32 {
            for i in 0..4_000u32 {
                let _ = limit.check(&(round, i));
            }
            // Well past the period, even on a loaded machine.
            std::thread::sleep(Duration::from_millis(80));
        }
        // 20,000 addresses seen; only about the last round's are still tracked.
        assert!(limit.len() <= 8_000, "{} keys tracked", limit.len());
        Ok(())
    }

    #[derive(Debug, Default)]
    struct Flaky {
        down: AtomicBool,
        calls: AtomicUsize,
    }

    #[async_trait::async_trait]
    impl SharedRateLimit for Flaky {
        async fn check(
            &self,
            _key: &str,
            _burst: u32,
            _per: Duration,
        ) -> Result<Result<(), u64>, SharedLimitError> {
            self.calls.fetch_add(1, Ordering::Relaxed);
            if self.down.load(Ordering::Relaxed) {
                Err(SharedLimitError("down".into()))
            } else {
                Ok(Err(7))
            }
        }
    }

    /// The shared engine decides while it answers; when it fails, the local limit does
    /// (never an error), and the engine is tried again at most once a second.
    #[tokio::test]
    async fn a_failed_engine_falls_back_to_the_local_limit() -> Result<(), ConfigError> {
        let engine = Arc::new(Flaky::default());
        let limiter = Limiter::new(2, Duration::from_secs(3600), Some(engine.clone()), "t")?;
        assert_eq!(limiter.check_now(&"a"), None, "shared: must be awaited");
        assert_eq!(limiter.check(&"a").await, Err(7), "the engine decides");
        engine.down.store(true, Ordering::Relaxed);
        assert_eq!(limiter.check(&"a").await, Ok(()));
        assert_eq!(limiter.check(&"a").await, Ok(()));
        assert!(limiter.check(&"a").await.is_err(), "the local limit holds");
        assert_eq!(
            engine.calls.load(Ordering::Relaxed),
            2,
            "retried after a second only"
        );
        let local = Limiter::new(1, Duration::from_secs(3600), None, "t")?;
        assert_eq!(local.check_now(&"a"), Some(Ok(())));
        Ok(())
    }
}
