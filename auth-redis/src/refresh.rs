//! [`RedisRefreshStore`]: refresh-token families in Redis, rotated atomically by scripts.

use std::fmt;

use auth_core::login::{
    RefreshHash, RefreshRecord, RefreshStore, RotateError, Rotation, Session, SessionGrant,
    SessionMeta,
};
use redis::{
    Script,
    aio::{ConnectionLike, ConnectionManager},
};

/// The Lua shared by the scripts: `drop` forgets a family (its tokens, its state, its place
/// in its subject's set). Every key is under the `prefix` hash tag, so on Redis Cluster the
/// keys a script touches share one slot.
const DROP: &str = r"
local function drop(prefix, fam)
  local famkey, memkey = prefix .. 'f:' .. fam, prefix .. 'm:' .. fam
  for _, m in ipairs(redis.call('SMEMBERS', memkey)) do
    redis.call('DEL', prefix .. 't:' .. m)
  end
  local skey = redis.call('HGET', famkey, 'skey')
  if skey then redis.call('SREM', skey, fam) end
  redis.call('DEL', famkey, memkey)
end
local function live(famkey, now)
  local f = redis.call('HMGET', famkey, 'texp', 'send')
  return f[1] and tonumber(f[1]) > now and tonumber(f[2]) > now
end
";

/// Keep a new token: its hash fields and expiry; its family's member set, newest
/// generation and latest token expiry (never lowered), what was recorded at sign-in, all
/// expiring with the session; the family in its subject's set.
///
/// KEYS: token, family, members, subject. ARGV: grant, family, generation, expires,
/// session_expires, token hex, meta, now.
const INSERT: &str = r"
redis.call('HSET', KEYS[1], 'grant', ARGV[1], 'fam', ARGV[2], 'gen', ARGV[3],
  'exp', ARGV[4], 'send', ARGV[5])
redis.call('EXPIREAT', KEYS[1], ARGV[4])
local f = redis.call('HMGET', KEYS[2], 'newest', 'texp')
if tonumber(ARGV[3]) > tonumber(f[1] or '-1') then redis.call('HSET', KEYS[2], 'newest', ARGV[3]) end
if tonumber(ARGV[4]) > tonumber(f[2] or '0') then redis.call('HSET', KEYS[2], 'texp', ARGV[4]) end
redis.call('HSETNX', KEYS[2], 'meta', ARGV[7])
redis.call('HSET', KEYS[2], 'skey', KEYS[4], 'send', ARGV[5])
redis.call('SADD', KEYS[3], ARGV[6])
redis.call('SADD', KEYS[4], ARGV[2])
redis.call('EXPIREAT', KEYS[2], ARGV[5])
redis.call('EXPIREAT', KEYS[3], ARGV[5])
local ttl = redis.call('TTL', KEYS[4])
if ttl < 0 or tonumber(ARGV[8]) + ttl < tonumber(ARGV[5]) then
  redis.call('EXPIREAT', KEYS[4], ARGV[5])
end
return 1
";

/// Rotate a token in one round trip, with the rule of `RefreshRecord::reuse_allowed` and
/// `RefreshRecord::rotated` (the Rust side's tests and the conformance cases hold both to
/// the same behaviour).
///
/// KEYS: old token, new token. ARGV: now, expires, grace, key prefix, new token hex.
/// Returns `{'ok', grant, family, generation, expires, session_expires, meta}` or
/// `{reason}`.
const ROTATE: &str = r"
local t = redis.call('HMGET', KEYS[1], 'grant', 'fam', 'gen', 'used', 'exp', 'send')
if not t[1] then return {'unknown'} end
local now, grace, prefix = tonumber(ARGV[1]), tonumber(ARGV[3]), ARGV[4]
local fam, gen = t[2], tonumber(t[3])
local famkey = prefix .. 'f:' .. fam
if t[4] then
  local newest = tonumber(redis.call('HGET', famkey, 'newest') or '-1')
  if not (grace > 0 and now < tonumber(t[4]) + grace and gen + 1 == newest) then
    drop(prefix, fam)
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
local f = redis.call('HMGET', famkey, 'newest', 'texp', 'meta')
if gen + 1 > tonumber(f[1] or '-1') then redis.call('HSET', famkey, 'newest', gen + 1) end
if expires > tonumber(f[2] or '0') then redis.call('HSET', famkey, 'texp', expires) end
redis.call('HSET', famkey, 'last', ARGV[1])
redis.call('SADD', prefix .. 'm:' .. fam, ARGV[5])
return {'ok', t[1], fam, tostring(gen + 1), tostring(expires), t[6], f[3] or ''}
";

/// Revoke the family of a token. KEYS: token. ARGV: key prefix.
const REVOKE: &str = r"
local fam = redis.call('HGET', KEYS[1], 'fam')
if not fam then return 0 end
drop(ARGV[1], fam)
redis.call('DEL', KEYS[1])
return 1
";

/// A subject's live sessions, as `{id, meta, last, ...}`; forgets families that are gone.
/// KEYS: subject. ARGV: key prefix, now.
const SESSIONS: &str = r"
local prefix, now, out = ARGV[1], tonumber(ARGV[2]), {}
for _, fam in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local famkey = prefix .. 'f:' .. fam
  local f = redis.call('HMGET', famkey, 'meta', 'last')
  if not f[1] then
    redis.call('SREM', KEYS[1], fam)
  elseif live(famkey, now) then
    table.insert(out, fam)
    table.insert(out, f[1])
    table.insert(out, f[2] or '0')
  end
end
return out
";

/// Revoke one session of a subject: 1 when it was theirs and live. KEYS: subject.
/// ARGV: key prefix, family, now.
const REVOKE_SESSION: &str = r"
if redis.call('SISMEMBER', KEYS[1], ARGV[2]) == 0 then return 0 end
local was = live(ARGV[1] .. 'f:' .. ARGV[2], tonumber(ARGV[3]))
drop(ARGV[1], ARGV[2])
redis.call('SREM', KEYS[1], ARGV[2])
if was then return 1 end
return 0
";

/// Revoke every session of a subject; how many were live. KEYS: subject.
/// ARGV: key prefix, now.
const REVOKE_SUBJECT: &str = r"
local n = 0
for _, fam in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if live(ARGV[1] .. 'f:' .. fam, tonumber(ARGV[2])) then n = n + 1 end
  drop(ARGV[1], fam)
end
redis.call('DEL', KEYS[1])
return n
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
    sessions: Script,
    revoke_session: Script,
    revoke_subject: Script,
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
        let (_, connection) = crate::connect(url).await?;
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
            rotate: Script::new(&format!("{DROP}{ROTATE}")),
            revoke: Script::new(&format!("{DROP}{REVOKE}")),
            sessions: Script::new(&format!("{DROP}{SESSIONS}")),
            revoke_session: Script::new(&format!("{DROP}{REVOKE_SESSION}")),
            revoke_subject: Script::new(&format!("{DROP}{REVOKE_SUBJECT}")),
        }
    }

    fn token_key(&self, hash: &RefreshHash) -> String {
        format!("{}t:{}", self.keys, hex(hash))
    }

    /// The set of a subject's families, named by the subject's SHA-256 (subjects are
    /// personal data, and of any length).
    fn subject_key(&self, subject: &str) -> String {
        format!("{}s:{}", self.keys, hex(&RefreshHash::of(subject)))
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
        let json =
            |v: Result<String, serde_json::Error>| v.map_err(|e| RotateError::Store(e.to_string()));
        let grant = json(serde_json::to_string(&record.grant))?;
        let meta = json(serde_json::to_string(&record.meta))?;
        let mut connection = self.connection.clone();
        self.insert
            .key(self.token_key(&hash))
            .key(format!("{}f:{}", self.keys, record.family))
            .key(format!("{}m:{}", self.keys, record.family))
            .key(self.subject_key(&record.grant.subject))
            .arg(grant)
            .arg(&record.family)
            .arg(record.generation)
            .arg(record.expires)
            .arg(record.session_expires)
            .arg(hex(&hash))
            .arg(meta)
            .arg(auth_core::clock::now())
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
            [
                ok,
                grant,
                family,
                generation,
                expires,
                session_expires,
                meta,
            ] if ok == "ok" => {
                let bad = |_| RotateError::Store("a malformed record in Redis".into());
                let grant: SessionGrant = serde_json::from_str(grant)
                    .map_err(|_| RotateError::Store("a malformed grant in Redis".into()))?;
                let mut record = RefreshRecord::new(
                    family.clone(),
                    grant,
                    expires.parse().map_err(bad)?,
                    session_expires.parse().map_err(bad)?,
                )
                .with_meta(serde_json::from_str(meta).unwrap_or_default());
                record.generation = generation.parse().map_err(bad)?;
                Ok(record)
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

    async fn sessions(&self, subject: &str) -> Result<Vec<Session>, RotateError> {
        let mut connection = self.connection.clone();
        let flat: Vec<String> = self
            .sessions
            .key(self.subject_key(subject))
            .arg(&self.keys)
            .arg(auth_core::clock::now())
            .invoke_async(&mut connection)
            .await
            .map_err(|e| unavailable(&e))?;
        flat.chunks(3)
            .map(|row| match row {
                [id, meta, last] => {
                    let meta: SessionMeta = serde_json::from_str(meta)
                        .map_err(|_| RotateError::Store("a malformed session in Redis".into()))?;
                    Ok(Session::new(id.clone(), meta, last.parse().unwrap_or(0)))
                }
                _ => Err(RotateError::Store("an unexpected answer from Redis".into())),
            })
            .collect()
    }

    async fn revoke_session(&self, subject: &str, id: &str) -> Result<bool, RotateError> {
        let mut connection = self.connection.clone();
        let revoked: i64 = self
            .revoke_session
            .key(self.subject_key(subject))
            .arg(&self.keys)
            .arg(id)
            .arg(auth_core::clock::now())
            .invoke_async(&mut connection)
            .await
            .map_err(|e| unavailable(&e))?;
        Ok(revoked == 1)
    }

    async fn revoke_subject(&self, subject: &str) -> Result<usize, RotateError> {
        let mut connection = self.connection.clone();
        let revoked: usize = self
            .revoke_subject
            .key(self.subject_key(subject))
            .arg(&self.keys)
            .arg(auth_core::clock::now())
            .invoke_async(&mut connection)
            .await
            .map_err(|e| unavailable(&e))?;
        Ok(revoked)
    }
}
