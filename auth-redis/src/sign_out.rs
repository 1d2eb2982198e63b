//! [`RedisSignOutStore`]: sign-out epochs in Redis, mirrored into every instance's memory
//! through pub/sub.

use std::{fmt, sync::Arc, time::Duration};

use auth_core::{
    jwt::SignOuts,
    login::{RotateError, SignOutStore},
};
use futures_util::StreamExt;
use redis::{
    AsyncCommands, Client, Script,
    aio::{ConnectionManager, PubSubSink, PubSubStream},
};
use tokio::task::JoinHandle;

/// Record an epoch (never lowered), forget epochs past the retention, and tell every
/// instance. KEYS: the epochs. ARGV: subject, epoch, horizon, channel, message, retention.
const RECORD: &str = r"
local cur = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not cur or tonumber(cur) < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[3])
redis.call('EXPIRE', KEYS[1], ARGV[6])
redis.call('PUBLISH', ARGV[4], ARGV[5])
return 1
";

/// How long the mirror's subscription may be silent before it is pinged.
const IDLE: Duration = Duration::from_secs(10);

/// Sign-out epochs shared by every instance through Redis: "sign out everywhere" on one
/// instance refuses the user's access tokens on all of them within a second, with no
/// network call on the request path.
///
/// - Epochs live in one sorted set (subject → epoch) under `{prefix}{so}:`, each kept for
///   `retention` (the access tokens' lifetime plus the validators' leeway) and then
///   dropped; [`sign_out`](SignOutStore::sign_out) is one script call that records the
///   epoch and publishes it.
/// - Every instance keeps a [`SignOuts`] mirror (give it to the validators) fed by a
///   background subscription. When the subscription is lost (Redis restarted, the network
///   cut, a silent server that stops answering pings), the instance logs it, reconnects
///   with backoff and reloads the whole set before it says it is back, so no sign-out made
///   meanwhile is missed. Until then the mirror keeps what it had: tokens of users who
///   signed out on another instance during the outage are accepted until it returns (and
///   never past their expiry).
///
/// ```no_run
/// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
/// use std::{sync::Arc, time::Duration};
/// use auth_redis::RedisSignOutStore;
/// let store = RedisSignOutStore::connect("redis://127.0.0.1:6379/0", "my-app", Duration::from_secs(17 * 60)).await?;
/// // LoginBuilder::sign_out_store(Arc::new(store)); validators: .sign_outs(login.sign_outs())
/// # let _ = Arc::new(store); Ok(()) }
/// ```
pub struct RedisSignOutStore {
    connection: ConnectionManager,
    names: Names,
    mirror: Arc<SignOuts>,
    record: Script,
    task: JoinHandle<()>,
}

#[derive(Clone)]
struct Names {
    /// The sorted set of epochs.
    epochs: String,
    /// The pub/sub channel.
    channel: String,
}

impl fmt::Debug for RedisSignOutStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisSignOutStore")
            .field("epochs", &self.names.epochs)
            .field("mirror", &self.mirror)
            .finish_non_exhaustive()
    }
}

impl Drop for RedisSignOutStore {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Message {
    s: String,
    e: i64,
}

impl RedisSignOutStore {
    /// Connect to `url`, subscribe, load the epochs kept under `prefix`, and keep the
    /// mirror current in a task on the current Tokio runtime. Epochs live `retention`.
    ///
    /// # Errors
    ///
    /// The URL is not a Redis URL, or the server cannot be reached now.
    pub async fn connect(
        url: &str,
        prefix: &str,
        retention: Duration,
    ) -> redis::RedisResult<RedisSignOutStore> {
        let (client, connection) = crate::connect(url).await?;
        // Channels are server-wide, not per logical database: the database is in the
        // channel's name, so apps on different databases never hear each other.
        let db = client.get_connection_info().redis_settings().db();
        let names = Names {
            epochs: format!("{prefix}{{so}}:epochs"),
            channel: format!("{prefix}{{so}}:db{db}:sign-outs"),
        };
        let mirror = Arc::new(SignOuts::new(retention));
        let (sink, stream) = subscribe(&client, &names, &connection, &mirror).await?;
        let task = tokio::spawn(follow(
            client,
            connection.clone(),
            names.clone(),
            Arc::clone(&mirror),
            sink,
            stream,
        ));
        Ok(RedisSignOutStore {
            connection,
            names,
            mirror,
            record: Script::new(RECORD),
            task,
        })
    }
}

/// Subscribe, then load every epoch (in this order, so that none published in between is
/// missed).
async fn subscribe(
    client: &Client,
    names: &Names,
    connection: &ConnectionManager,
    mirror: &SignOuts,
) -> redis::RedisResult<(PubSubSink, PubSubStream)> {
    let (mut sink, stream) = client.get_async_pubsub().await?.split();
    tokio::time::timeout(Duration::from_secs(2), sink.subscribe(&names.channel))
        .await
        .map_err(|_| timeout())??;
    let horizon = auth_core::clock::now().saturating_sub(mirror.retention());
    let all: Vec<(String, f64)> = connection
        .clone()
        .zrangebyscore_withscores(&names.epochs, format!("({horizon}"), "+inf")
        .await?;
    // Scores are whole seconds: the cast only drops a zero fraction.
    #[allow(clippy::cast_possible_truncation)]
    mirror.replace(all.into_iter().map(|(s, e)| (s, e as i64)));
    Ok((sink, stream))
}

fn timeout() -> redis::RedisError {
    redis::RedisError::from(std::io::Error::from(std::io::ErrorKind::TimedOut))
}

/// The mirror's life: apply each published sign-out; on a lost or silent subscription,
/// say so, reconnect with backoff and reload.
async fn follow(
    client: Client,
    connection: ConnectionManager,
    names: Names,
    mirror: Arc<SignOuts>,
    mut sink: PubSubSink,
    mut stream: PubSubStream,
) {
    loop {
        loop {
            match tokio::time::timeout(IDLE, stream.next()).await {
                Ok(Some(message)) => {
                    match serde_json::from_slice::<Message>(message.get_payload_bytes()) {
                        Ok(m) => mirror.raise(&m.s, m.e),
                        Err(_) => tracing::warn!("a malformed sign-out message was ignored"),
                    }
                }
                Ok(None) => break,
                Err(_) => {
                    let ping = sink.ping::<redis::Value>();
                    if !matches!(
                        tokio::time::timeout(Duration::from_secs(2), ping).await,
                        Ok(Ok(_))
                    ) {
                        break;
                    }
                }
            }
        }
        tracing::warn!(
            "the sign-out mirror lost its Redis subscription: sign-outs on other instances \
             are not seen here until it is back"
        );
        let mut backoff = Duration::from_millis(100);
        loop {
            tokio::time::sleep(backoff).await;
            match subscribe(&client, &names, &connection, &mirror).await {
                Ok((s, st)) => {
                    (sink, stream) = (s, st);
                    tracing::info!("the sign-out mirror is back and resynchronised");
                    break;
                }
                Err(e) => {
                    tracing::debug!(error = %e, "sign-out mirror: reconnecting");
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                }
            }
        }
    }
}

#[async_trait::async_trait]
impl SignOutStore for RedisSignOutStore {
    fn sign_outs(&self) -> Arc<SignOuts> {
        Arc::clone(&self.mirror)
    }

    async fn sign_out(&self, subject: &str, epoch: i64) -> Result<(), RotateError> {
        let message = serde_json::to_string(&Message {
            s: subject.to_owned(),
            e: epoch,
        })
        .map_err(|e| RotateError::Store(e.to_string()))?;
        let retention = self.mirror.retention();
        let mut connection = self.connection.clone();
        self.record
            .key(&self.names.epochs)
            .arg(subject)
            .arg(epoch)
            .arg(auth_core::clock::now().saturating_sub(retention))
            .arg(&self.names.channel)
            .arg(message)
            .arg(retention.max(1))
            .invoke_async::<i64>(&mut connection)
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "Redis sign-out store");
                RotateError::Store("Redis is unavailable".into())
            })?;
        self.mirror.raise(subject, epoch);
        Ok(())
    }
}
