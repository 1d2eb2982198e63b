//! [`RedisRefreshStore`]: refresh-token families in Redis, rotated atomically by scripts.

use std::{fmt, time::Duration};

use auth_core::login::{
    RefreshHash, RefreshRecord, RefreshStore, RotateError, Rotation, SessionGrant,
};
use redis::{
    Client, Script,
    aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig},
};

/// Keep a new token: its hash fields, its expiry, its family's member set and newest
/// generation (never lowered), all expiring with the session.
///
/// KEYS: token, family, members. ARGV: grant, family, generation, expires,
/// session_expires, token hex.
const INSERT: &str = r"
redis.call('HSET', KEYS[1], 'grant', ARGV[1], 'fam', ARGV[2], 'gen', ARGV[3],
  'exp', ARGV[4], 'send', ARGV[5])
redis.call('EXPIREAT', KEYS[1], ARGV[4])
local newest = tonumber(redis.call('HGET', KEYS[2], 'newest') or '-1')
if tonumber(ARGV[3]) > newest then redis.call('HSET', KEYS[2], 'newest', ARGV[3]) end
redis.call('SADD', KEYS[3], ARGV[6])
redis.call('EXPIREAT', KEYS[2], ARGV[5])
redis.call('EXPIREAT', KEYS[3], ARGV[5])
return 1
";

/// Rotate a token in one round trip, with the rule of `RefreshRecord::reuse_allowed` and
/// `RefreshRecord::rotated` (the Rust side's tests and the conformance cases hold both to
/// the same behaviour).
///
/// KEYS: old token, new token. ARGV: now, expires, grace, key prefix, new token hex.
/// Returns `{'ok', grant, family, generation, expires, session_expires}` or `{reason}`.
const ROTATE: &str = r"
local t = redis.call('HMGET', KEYS[1], 'grant', 'fam', 'gen', 'used', 'exp', 'send')
if not t[1] then return {'unknown'} end
local now, grace, prefix = tonumber(ARGV[1]), tonumber(ARGV[3]), ARGV[4]
local fam, gen = t[2], tonumber(t[3])
local famkey, memkey = prefix .. 'f:' .. fam, prefix .. 'm:' .. fam
if t[4] then
  local newest = tonumber(redis.call('HGET', famkey, 'newest') or '-1')
  if not (grace > 0 and now < tonumber(t[4]) + grace and gen + 1 == newest) then
    for _, m in ipairs(redis.call('SMEMBERS', memkey)) do
      redis.call('DEL', prefix .. 't:' .. m)
    end
    redis.call('DEL', famkey, memkey)
    return {'reused'}
  end
end
local send = tonumber(t[6])
if tonumber(t[5]) <= now or send <= now then return {'expired'} end
local expires = math.min(tonumber(ARGV[2]), send)
if not t[4] then redis.call('HSET', KEYS[1], 'used', ARGV[1]) end
redis.call('HSET', KEYS[2], 'grant', t[1], 'fam', fam, 'gen', gen + 1, 'exp', expires,
  'send', send)
redis.call('EXPIREAT', KEYS[2], expires)
local newest = tonumber(redis.call('HGET', famkey, 'newest') or '-1')
if gen + 1 > newest then redis.call('HSET', famkey, 'newest', gen + 1) end
redis.call('SADD', memkey, ARGV[5])
return {'ok', t[1], fam, tostring(gen + 1), tostring(expires), t[6]}
";

/// Revoke the family of a token: every member, the family's state. KEYS: token.
/// ARGV: key prefix.
const REVOKE: &str = r"
local fam = redis.call('HGET', KEYS[1], 'fam')
if not fam then return 0 end
local prefix = ARGV[1]
local famkey, memkey = prefix .. 'f:' .. fam, prefix .. 'm:' .. fam
for _, m in ipairs(redis.call('SMEMBERS', memkey)) do
  redis.call('DEL', prefix .. 't:' .. m)
end
redis.call('DEL', famkey, memkey, KEYS[1])
return 1
";

/// Refresh-token families in Redis, shared by every instance that points at the same
/// server and prefix.
///
/// - Rotation is one script call (`EVALSHA`): atomic, so of concurrent rotations of one
///   token at most one wins outside the grace window, and a reuse revokes the family for
///   every instance at once.
/// - Redis enforces expiry: each token key expires with the token (`EXPIREAT`), each
///   family's keys with the session; nothing sweeps on the request path.
/// - Only hashes are stored (`t:<sha256 hex>`); the grant (subject, scopes, claims) is kept
///   as JSON beside it.
/// - Every key sits under `{prefix}{rt}:`: one hash tag, so the scripts' keys share a slot
///   on Redis Cluster (which then holds all refresh state on one shard; spreading families
///   over shards needs the family in the token, a later step).
/// - Redis unreachable or slow (past the response timeout, 1 s by default): the operation
///   fails with [`RotateError::Store`], which the sign-in routes answer with 503 and which
///   revokes nothing; the connection reconnects by itself.
///
/// ```no_run
/// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
/// use std::sync::Arc;
/// use auth_redis::RedisRefreshStore;
/// let store = RedisRefreshStore::connect("redis://127.0.0.1:6379/0", "my-app").await?;
/// // LoginBuilder::refresh_store(Arc::new(store))
/// # let _ = Arc::new(store); Ok(()) }
/// ```
#[derive(Clone)]
pub struct RedisRefreshStore<C = ConnectionManager> {
    connection: C,
    /// `{prefix}{rt}:`.
    keys: String,
    insert: Script,
    rotate: Script,
    revoke: Script,
}

impl<C> fmt::Debug for RedisRefreshStore<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisRefreshStore")
            .field("keys", &self.keys)
            .finish_non_exhaustive()
    }
}

impl RedisRefreshStore<ConnectionManager> {
    /// Connect to `url` (`redis://host:port/db`, `rediss://` with feature `tls`) with a
    /// reconnecting, multiplexed connection, a 1 s response timeout and a 1 s connection
    /// timeout; keys are kept under `prefix`.
    ///
    /// # Errors
    ///
    /// The URL is not a Redis URL, or the server cannot be reached now.
    pub async fn connect(url: &str, prefix: &str) -> redis::RedisResult<Self> {
        let client = Client::open(url)?;
        let config = ConnectionManagerConfig::new()
            .set_response_timeout(Some(Duration::from_secs(1)))
            .set_connection_timeout(Some(Duration::from_secs(1)))
            .set_number_of_retries(2);
        let connection = ConnectionManager::new_with_config(client, config).await?;
        Ok(Self::new(connection, prefix))
    }
}

impl<C: ConnectionLike + Clone + Send + Sync + 'static> RedisRefreshStore<C> {
    /// A store on a connection of your own (a cluster or sentinel connection, another
    /// timeout), with keys under `prefix`.
    pub fn new(connection: C, prefix: &str) -> Self {
        RedisRefreshStore {
            connection,
            keys: format!("{prefix}{{rt}}:"),
            insert: Script::new(INSERT),
            rotate: Script::new(ROTATE),
            revoke: Script::new(REVOKE),
        }
    }

    fn token_key(&self, hash: &RefreshHash) -> String {
        format!("{}t:{}", self.keys, hex(hash))
    }
}

fn hex(hash: &RefreshHash) -> String {
    hash.0.iter().map(|b| format!("{b:02x}")).collect()
}

fn unavailable(e: &redis::RedisError) -> RotateError {
    tracing::error!(error = %e, "Redis refresh store");
    RotateError::Store("Redis is unavailable".into())
}

#[async_trait::async_trait]
impl<C: ConnectionLike + Clone + Send + Sync + 'static> RefreshStore for RedisRefreshStore<C> {
    async fn insert(&self, hash: RefreshHash, record: RefreshRecord) -> Result<(), RotateError> {
        let grant =
            serde_json::to_string(&record.grant).map_err(|e| RotateError::Store(e.to_string()))?;
        let mut connection = self.connection.clone();
        self.insert
            .key(self.token_key(&hash))
            .key(format!("{}f:{}", self.keys, record.family))
            .key(format!("{}m:{}", self.keys, record.family))
            .arg(grant)
            .arg(&record.family)
            .arg(record.generation)
            .arg(record.expires)
            .arg(record.session_expires)
            .arg(hex(&hash))
            .invoke_async::<i64>(&mut connection)
            .await
            .map_err(|e| unavailable(&e))?;
        Ok(())
    }

    async fn rotate(
        &self,
        old: &RefreshHash,
        rotation: Rotation,
    ) -> Result<RefreshRecord, RotateError> {
        let mut connection = self.connection.clone();
        let answer: Vec<String> = self
            .rotate
            .key(self.token_key(old))
            .key(self.token_key(&rotation.new))
            .arg(auth_core::clock::now())
            .arg(rotation.expires)
            .arg(rotation.grace)
            .arg(&self.keys)
            .arg(hex(&rotation.new))
            .invoke_async(&mut connection)
            .await
            .map_err(|e| unavailable(&e))?;
        match answer.as_slice() {
            [ok, grant, family, generation, expires, session_expires] if ok == "ok" => {
                let bad = |_| RotateError::Store("a malformed record in Redis".into());
                let grant: SessionGrant = serde_json::from_str(grant)
                    .map_err(|_| RotateError::Store("a malformed grant in Redis".into()))?;
                Ok(RefreshRecord {
                    family: family.clone(),
                    grant,
                    expires: expires.parse().map_err(bad)?,
                    session_expires: session_expires.parse().map_err(bad)?,
                    generation: generation.parse().map_err(bad)?,
                })
            }
            [reason] if reason == "unknown" => Err(RotateError::Unknown),
            [reason] if reason == "expired" => Err(RotateError::Expired),
            [reason] if reason == "reused" => {
                tracing::warn!(
                    "a rotated refresh token was presented again: its family is revoked"
                );
                Err(RotateError::Reused)
            }
            _ => Err(RotateError::Store("an unexpected answer from Redis".into())),
        }
    }

    async fn revoke_family(&self, token: &RefreshHash) -> Result<(), RotateError> {
        let mut connection = self.connection.clone();
        self.revoke
            .key(self.token_key(token))
            .arg(&self.keys)
            .invoke_async::<i64>(&mut connection)
            .await
            .map_err(|e| unavailable(&e))?;
        Ok(())
    }
}
