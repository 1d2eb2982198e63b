//! Where a key set comes from, and how it stays fresh.

use std::time::Duration;

/// Where a key set comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeySource {
    /// A JWK Set URL.
    Jwks(String),
    /// An issuer: the JWK Set URL is its `jwks_uri`, found through OpenID discovery
    /// (`{issuer}/.well-known/openid-configuration`, whose `issuer` must equal this one
    /// exactly).
    Discovery(String),
}

/// How a key set stays fresh, and how long it may outlive a provider outage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RefreshPolicy {
    /// The shortest time keys are kept before a scheduled refresh, whatever `max-age` says.
    pub min_age: Duration,
    /// The longest time keys are kept before a scheduled refresh (and the default when the
    /// server sends no `max-age`).
    pub max_age: Duration,
    /// How long after their fetch the keys stay in force when refreshes keep failing (at
    /// least their refresh age). Past it, tokens are answered 503 until a fetch succeeds:
    /// keys the provider may have withdrawn are not trusted forever.
    pub stale_limit: Duration,
    /// The shortest time between two refetches caused by unknown key ids: forged tokens
    /// with random `kid`s cannot make us hammer the provider. Once it has passed, any
    /// unknown key id may cause a refetch again (a key the provider has just published is
    /// never locked out for longer), and while a scheduled refresh is due it does not
    /// apply at all.
    pub kid_miss_cooldown: Duration,
    /// The first wait after a failed fetch in the background; it doubles on each failure.
    pub retry_min: Duration,
    /// The longest wait between background retries.
    pub retry_max: Duration,
}

impl Default for RefreshPolicy {
    fn default() -> Self {
        RefreshPolicy {
            min_age: Duration::from_secs(60),
            max_age: Duration::from_secs(600),
            stale_limit: Duration::from_secs(24 * 3600),
            kid_miss_cooldown: Duration::from_secs(30),
            retry_min: Duration::from_secs(1),
            retry_max: Duration::from_secs(60),
        }
    }
}

impl RefreshPolicy {
    /// Set [`min_age`](Self::min_age) and [`max_age`](Self::max_age).
    pub fn ages(mut self, min: Duration, max: Duration) -> Self {
        self.min_age = min;
        self.max_age = max.max(min);
        self
    }

    /// Set [`stale_limit`](Self::stale_limit).
    pub fn stale_limit(mut self, limit: Duration) -> Self {
        self.stale_limit = limit;
        self
    }

    /// Set [`kid_miss_cooldown`](Self::kid_miss_cooldown).
    pub fn kid_miss_cooldown(mut self, cooldown: Duration) -> Self {
        self.kid_miss_cooldown = cooldown;
        self
    }

    /// Set [`retry_min`](Self::retry_min) and [`retry_max`](Self::retry_max).
    pub fn retry(mut self, min: Duration, max: Duration) -> Self {
        self.retry_min = min;
        self.retry_max = max.max(min);
        self
    }
}
