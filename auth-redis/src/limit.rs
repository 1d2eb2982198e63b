//! [`RedisRateLimit`]: GCRA rate limits counted in Redis, for every instance together.

use std::{fmt, time::Duration};

use auth_core::limit::{SharedLimitError, SharedRateLimit};
use redis::{
    Script,
    aio::{ConnectionLike, ConnectionManager},
};

/// GCRA in one call, on the server's clock (so instances with skewed clocks agree): the
/// key holds the theoretical arrival time in microseconds. A request is allowed when the
/// new arrival time is at most `burst` emission intervals ahead of now; the key expires
/// when the allowance is full again.
///
/// KEYS: the key. ARGV: emission interval µs, burst. Returns 0 (allowed) or the µs to wait.
const GCRA: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local next = tat + interval
local allowed_at = next - interval * burst
if allowed_at > now then return allowed_at - now end
redis.call('SET', KEYS[1], string.format('%d', next), 'PX', math.ceil((next - now) / 1000) + 1)
return 0
";

/// Rate limits shared by every instance that points at the same Redis and prefix: the
/// same GCRA semantics as `auth_core::limit::RateLimit` (a burst, refilled evenly over a
/// period), one script call per check, state kept in Redis (one key per limited id, gone
/// once its allowance is full again).
///
/// Each check waits at most `timeout` (default 250 ms) for Redis; past it, or with Redis
/// unreachable, the check fails and the toolkit's [`Limiter`](auth_core::limit::Limiter)
/// counts in the instance's memory instead (fail open to the local limit, logged once),
/// trying Redis again a second later.
///
/// ```no_run
/// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
/// use std::sync::Arc;
/// use auth_redis::RedisRateLimit;
/// let limits = Arc::new(RedisRateLimit::connect("redis://127.0.0.1:6379/0", "my-app").await?);
/// // ApiKeyValidatorBuilder::rate_limit(120, 60 s).shared_rate_limit(limits.clone())
/// // LoginBuilder::rate_limit(30, 60 s).shared_rate_limit(limits)
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct RedisRateLimit<C = ConnectionManager> {
    connection: C,
    prefix: String,
    gcra: Script,
    timeout: Duration,
}

impl<C> fmt::Debug for RedisRateLimit<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisRateLimit")
            .field("prefix", &self.prefix)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl RedisRateLimit<ConnectionManager> {
    /// Connect to `url`; keys are kept under `prefix`.
    ///
    /// # Errors
    ///
    /// The URL is not a Redis URL, or the server cannot be reached now.
    pub async fn connect(url: &str, prefix: &str) -> redis::RedisResult<Self> {
        let (_, connection) = crate::connect(url).await?;
        Ok(Self::new(connection, prefix))
    }
}

impl<C: ConnectionLike + Clone + Send + Sync + 'static> RedisRateLimit<C> {
    /// Limits on a connection of your own (a cluster or sentinel connection), with keys
    /// under `prefix`. Each key stands alone, so on Redis Cluster the limits spread over
    /// the shards.
    pub fn new(connection: C, prefix: &str) -> Self {
        RedisRateLimit {
            connection,
            prefix: format!("{prefix}rl:"),
            gcra: Script::new(GCRA),
            timeout: Duration::from_millis(250),
        }
    }

    /// How long a check waits for Redis before the local limit decides (default 250 ms).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }
}

#[async_trait::async_trait]
impl<C: ConnectionLike + Clone + Send + Sync + 'static> SharedRateLimit for RedisRateLimit<C> {
    async fn check(
        &self,
        key: &str,
        burst: u32,
        per: Duration,
    ) -> Result<Result<(), u64>, SharedLimitError> {
        let interval = per.as_micros() / u128::from(burst.max(1));
        let mut connection = self.connection.clone();
        let mut call = self.gcra.key(format!("{}{key}", self.prefix));
        call.arg(u64::try_from(interval).unwrap_or(u64::MAX))
            .arg(burst);
        let wait_us: u64 = tokio::time::timeout(self.timeout, call.invoke_async(&mut connection))
            .await
            .map_err(|_| SharedLimitError("Redis did not answer in time".into()))?
            .map_err(|e| SharedLimitError(e.to_string()))?;
        Ok(if wait_us == 0 {
            Ok(())
        } else {
            Err(wait_us.div_ceil(1_000_000))
        })
    }
}
