//! [`RedisDpopReplay`]: the DPoP proofs already seen, shared by every instance.

use std::{fmt, time::Duration};

use auth_core::jwt::DpopReplayStore;
use redis::aio::{ConnectionLike, ConnectionManager};

/// DPoP proofs seen by any instance, in Redis: give it to
/// [`Dpop::shared_replay`](auth_core::jwt::Dpop::shared_replay) and a proof replayed to
/// another instance within its window is refused there too. One `SET NX EXAT` per proof
/// (the key: a hash of the key thumbprint and `jti`, never the proof), forgotten by Redis
/// when the window is over. Redis unreachable: the request gets 503 (a replay cannot be
/// ruled out), within the timeout.
///
/// ```no_run
/// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
/// use std::sync::Arc;
/// use auth_core::jwt::Dpop;
/// use auth_redis::RedisDpopReplay;
/// let replay = Arc::new(RedisDpopReplay::connect("redis://127.0.0.1:6379/0", "my-app").await?);
/// let dpop = Dpop::new("https://api.example.com")?.shared_replay(replay);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct RedisDpopReplay<C = ConnectionManager> {
    connection: C,
    prefix: String,
    timeout: Duration,
}

impl<C> fmt::Debug for RedisDpopReplay<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisDpopReplay")
            .field("prefix", &self.prefix)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl RedisDpopReplay<ConnectionManager> {
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

impl<C: ConnectionLike + Clone + Send + Sync + 'static> RedisDpopReplay<C> {
    /// The store on a connection of your own (a cluster or sentinel connection), with
    /// keys under `prefix`.
    pub fn new(connection: C, prefix: &str) -> Self {
        RedisDpopReplay {
            connection,
            prefix: format!("{prefix}dpop:"),
            timeout: Duration::from_millis(500),
        }
    }

    /// How long a check waits for Redis before answering 503 (default 500 ms).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }
}

#[async_trait::async_trait]
impl<C: ConnectionLike + Clone + Send + Sync + 'static> DpopReplayStore for RedisDpopReplay<C> {
    async fn first_use(&self, id: [u8; 32], until: i64) -> Result<bool, String> {
        let key = id.iter().fold(self.prefix.clone(), |mut k, b| {
            k.push_str(&format!("{b:02x}"));
            k
        });
        let mut connection = self.connection.clone();
        let mut set = redis::cmd("SET");
        set.arg(key).arg(1).arg("NX").arg("EXAT").arg(until.max(1));
        let answer: Option<String> =
            tokio::time::timeout(self.timeout, set.query_async(&mut connection))
                .await
                .map_err(|_| "Redis did not answer in time".to_owned())?
                .map_err(|e| e.to_string())?;
        Ok(answer.is_some())
    }
}
