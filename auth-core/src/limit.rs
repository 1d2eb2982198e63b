//! [`RateLimit`]: requests per key (an API key's id, a client's address), GCRA through
//! `governor`. Shared by [`ApiKeyValidator`](crate::apikey::ApiKeyValidator) and the
//! sign-in routes.

use std::{
    fmt,
    hash::Hash,
    num::NonZeroU32,
    sync::atomic::{AtomicUsize, Ordering},
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
            std::thread::sleep(Duration::from_millis(30));
        }
        // 20,000 addresses seen; only about the last round's are still tracked.
        assert!(limit.len() <= 8_000, "{} keys tracked", limit.len());
        Ok(())
    }
}
