//! [`RateLimit`]: requests per key (an API key's id, a client's address), GCRA through
//! `governor`. Shared by [`ApiKeyValidator`](crate::apikey::ApiKeyValidator) and the
//! sign-in routes.

use std::{fmt, hash::Hash, num::NonZeroU32, time::Duration};

use governor::{DefaultKeyedRateLimiter, Quota, clock::Clock};

use crate::error::ConfigError;

/// At most `burst` requests per key at once, refilled evenly over a period.
pub struct RateLimit<K: Hash + Eq + Clone> {
    limiter: DefaultKeyedRateLimiter<K>,
}

impl<K: Hash + Eq + Clone> fmt::Debug for RateLimit<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RateLimit").finish_non_exhaustive()
    }
}

impl<K: Hash + Eq + Clone> RateLimit<K> {
    /// `burst` requests at once, refilled over `per` (`(60, 60 s)`: a burst of 60, then one
    /// a second). Zero requests or a zero period are refused.
    pub fn new(burst: u32, per: Duration) -> Result<Self, ConfigError> {
        let burst = NonZeroU32::new(burst).ok_or(ConfigError::RateLimit)?;
        let quota = Quota::with_period(per / burst.get())
            .ok_or(ConfigError::RateLimit)?
            .allow_burst(burst);
        Ok(RateLimit {
            limiter: governor::RateLimiter::keyed(quota),
        })
    }

    /// Count a request for `key`: `Err(seconds)` to wait (rounded up, for `Retry-After`)
    /// when it is over the limit.
    pub fn check(&self, key: &K) -> Result<(), u64> {
        self.limiter.check_key(key).map_err(|not_until| {
            let wait = not_until.wait_time_from(self.limiter.clock().now());
            wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
        })
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
}
