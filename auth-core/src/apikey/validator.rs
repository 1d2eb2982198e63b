//! `ApiKeyValidator`: read a key from a request, check it offline, look it up by hash.

use std::{fmt, sync::Arc};

use super::{
    ApiKeyValidatorBuilder,
    hash::{KeyHash, KeyHasher},
    key::{ApiKeySecret, KeyFormatError, check_format},
    store::{ApiKeyStore, StoredKey},
};
use crate::limit::Limiter;
use crate::{
    credential::{single_header, split_authorization},
    error::{AuthError, InvalidRequest, KeyError, Rejection, Renderer, Scheme},
    guard::Origin,
    request::RequestView,
    scope::{ScopeRequirement, Scopes},
};

/// What a store answered for one hash.
type Found = Result<Option<Arc<StoredKey>>, super::StoreError>;

/// A key read from a request, well-formed and hashed, not yet looked up. Holds only its
/// hashes (under the current pepper, and each previous one): the plaintext key is not
/// carried across the store lookup.
#[derive(Debug, Clone)]
pub(crate) struct PresentedKey {
    /// Under the current pepper.
    hash: KeyHash,
    /// Under each previous pepper, in order (empty unless the pepper was rotated).
    previous: Vec<KeyHash>,
}

/// A key that passed every check: its public id, name, prefix and scopes. Cheap to clone
/// (it shares the store's record). It remembers the validator that checked it: extractors
/// reuse a guard's result only when they hold that validator (or a clone of it).
#[derive(Debug, Clone)]
pub struct VerifiedKey {
    stored: Arc<StoredKey>,
    origin: Origin,
}

impl VerifiedKey {
    /// The key's public id (safe to log).
    pub fn id(&self) -> &str {
        &self.stored.record().id
    }

    /// Who or what the key is for.
    pub fn name(&self) -> &str {
        &self.stored.record().name
    }

    /// The key's prefix.
    pub fn prefix(&self) -> &str {
        &self.stored.record().prefix
    }

    /// Granted scopes.
    pub fn scopes(&self) -> &Scopes {
        &self.stored.record().scopes
    }

    /// The whole stored record (hash and times included; no key).
    pub fn record(&self) -> &super::ApiKeyRecord {
        self.stored.record()
    }
}

/// Checks API keys against a store.
///
/// ```
/// use std::sync::Arc;
/// use auth_core::{apikey::{ApiKeyValidator, MemoryStore}, request::StaticRequest};
///
/// let store = Arc::new(MemoryStore::new());
/// let validator = ApiKeyValidator::builder(store.clone()).realm("api").build()?;
/// let (key, record) = validator.mint("demo", "billing", ["stats:read"], None)?;
/// store.insert(record);
///
/// let req = StaticRequest::new().header("x-api-key", key.expose_secret());
/// let rt = tokio::runtime::Builder::new_current_thread().build()?;
/// let verified = rt.block_on(validator.authenticate(&req))?.expect("a key was sent");
/// assert_eq!(verified.name(), "billing");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Security
///
/// - Shape and checksum are checked before any store lookup: garbage and typos never
///   reach the store.
/// - Unknown, malformed, revoked and expired keys get one answer (401 `invalid_key`); the
///   reason goes to a `tracing` event only.
/// - The store holds SHA-256 (or peppered HMAC-SHA256) hashes; the hash found is compared
///   with the computed one in constant time.
/// - Keys are read from the configured header (default `X-API-Key`), optionally from
///   `Authorization: ApiKey <key>`, never from the query string.
#[derive(Clone)]
pub struct ApiKeyValidator {
    pub(super) inner: Arc<Inner>,
}

pub(super) struct Inner {
    pub(super) store: Arc<dyn ApiKeyStore>,
    pub(super) hasher: KeyHasher,
    /// Hashers of earlier peppers: keys stored under them still verify.
    pub(super) previous_hashers: Vec<KeyHasher>,
    /// Ids of keys already reported as hashed with a previous pepper.
    pub(super) reported: std::sync::Mutex<std::collections::HashSet<String>>,
    pub(super) header: String,
    pub(super) authorization: bool,
    pub(super) prefixes: Vec<String>,
    pub(super) renderer: Renderer,
    /// Requests per key id (never the key).
    pub(super) limiter: Option<Limiter<String>>,
    /// This validator's identity, recorded in every [`VerifiedKey`] it produces.
    pub(super) origin: Origin,
}

impl fmt::Debug for ApiKeyValidator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiKeyValidator")
            .field("store", &self.inner.store)
            .field("hasher", &self.inner.hasher)
            .field("header", &self.inner.header)
            .field("authorization", &self.inner.authorization)
            .field("prefixes", &self.inner.prefixes)
            .finish()
    }
}

/// The longest credential looked at; anything longer is refused unread.
const MAX_KEY_LEN: usize =
    super::key::MAX_PREFIX_LEN + 1 + super::key::BODY_LEN + super::key::CHECKSUM_LEN;

impl ApiKeyValidator {
    /// The header that carries keys, as documented (`X-API-Key` by default; matched
    /// case-insensitively).
    #[cfg(feature = "openapi")]
    pub(crate) fn header_name(&self) -> &str {
        match self.inner.header.as_str() {
            "x-api-key" => "X-API-Key",
            other => other,
        }
    }

    /// Whether `Authorization: ApiKey <key>` is accepted too.
    #[cfg(feature = "openapi")]
    pub(crate) fn takes_authorization(&self) -> bool {
        self.inner.authorization
    }

    /// Start configuring a validator over `store`.
    pub fn builder(store: Arc<dyn ApiKeyStore>) -> ApiKeyValidatorBuilder {
        ApiKeyValidatorBuilder::new(store)
    }

    /// Make a new key and the record to store for it (hashed with this validator's hasher).
    /// The key is shown once; only the record is kept.
    ///
    /// # Errors
    ///
    /// A prefix or a scope that is not well-formed ([`MintError`](super::MintError)).
    pub fn mint<I, S>(
        &self,
        prefix: &str,
        name: &str,
        scopes: I,
        expires: Option<i64>,
    ) -> Result<(ApiKeySecret, super::ApiKeyRecord), super::MintError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        super::mint(
            &self.inner.hasher,
            prefix,
            name,
            scopes,
            crate::clock::now(),
            expires,
        )
    }

    /// Read the key from `req`, without any store lookup: `Ok(None)` when there is none;
    /// an error for a malformed one. The key is hashed at once; only the hash travels on.
    pub(crate) fn credential<R: RequestView>(
        &self,
        req: &R,
    ) -> Result<Option<PresentedKey>, AuthError> {
        let invalid = |e| AuthError::InvalidKey(e);
        let from_header =
            single_header(req, &self.inner.header).map_err(|_| invalid(KeyError::Duplicate))?;
        let from_authorization = if self.inner.authorization {
            match single_header(req, "authorization") {
                Ok(Some(v)) => split_authorization(v, "ApiKey")
                    .map_err(|e| AuthError::InvalidRequest(Scheme::ApiKey, e))?
                    .map(str::as_bytes),
                Ok(None) => None,
                Err(e) => return Err(AuthError::InvalidRequest(Scheme::ApiKey, e)),
            }
        } else {
            None
        };
        let raw = match (from_header, from_authorization) {
            (None, None) => return Ok(None),
            (Some(_), Some(_)) => {
                return Err(AuthError::InvalidRequest(
                    Scheme::ApiKey,
                    InvalidRequest::MultipleCredentials,
                ));
            }
            (Some(v), None) | (None, Some(v)) => v,
        };
        if raw.len() > MAX_KEY_LEN {
            return Err(invalid(KeyError::TooLarge));
        }
        // Not decoded as UTF-8: the format check refuses every non-ASCII byte.
        let text = crate::credential::trim_blanks(raw);
        let prefix_len = check_format(text).map_err(|e| match e {
            KeyFormatError::Checksum => invalid(KeyError::Checksum),
            _ => invalid(KeyError::Malformed),
        })?;
        let prefix = &text[..prefix_len];
        if !self.inner.prefixes.is_empty()
            && !self.inner.prefixes.iter().any(|p| p.as_bytes() == prefix)
        {
            return Err(invalid(KeyError::Prefix));
        }
        Ok(Some(self.present(text)))
    }

    /// Hash `text` under the current pepper and each previous one.
    fn present(&self, text: &[u8]) -> PresentedKey {
        let previous = &self.inner.previous_hashers;
        PresentedKey {
            hash: self.inner.hasher.hash_bytes(text),
            previous: if previous.is_empty() {
                Vec::new()
            } else {
                previous.iter().map(|h| h.hash_bytes(text)).collect()
            },
        }
    }

    /// The stored key `key` names, under the current pepper first, then each previous
    /// one; `None` when the store must be awaited. A key found under a previous pepper is
    /// reported once (re-issue it: `auth-keys rotate`).
    fn find_now(&self, key: &PresentedKey) -> Option<(Found, KeyHash)> {
        for (i, hash) in std::iter::once(&key.hash).chain(&key.previous).enumerate() {
            match self.inner.store.find_now(hash)? {
                Ok(None) => continue,
                found => {
                    self.report_previous(i, &found);
                    return Some((found, *hash));
                }
            }
        }
        Some((Ok(None), key.hash))
    }

    /// [`find_now`](Self::find_now), awaiting the store when it must.
    async fn find(&self, key: &PresentedKey) -> (Found, KeyHash) {
        for (i, hash) in std::iter::once(&key.hash).chain(&key.previous).enumerate() {
            let found = match self.inner.store.find_now(hash) {
                Some(found) => found,
                None => self.inner.store.find(hash).await,
            };
            match found {
                Ok(None) => continue,
                found => {
                    self.report_previous(i, &found);
                    return (found, *hash);
                }
            }
        }
        (Ok(None), key.hash)
    }

    fn report_previous(&self, pepper: usize, found: &Found) {
        if pepper == 0 {
            return;
        }
        if let Ok(Some(stored)) = found {
            let id = &stored.record().id;
            let mut reported = self
                .inner
                .reported
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if reported.len() < 10_000 && reported.insert(id.clone()) {
                tracing::warn!(
                    key_id = %id,
                    "API key hashed with a previous pepper: it still works; rotate it to re-hash it"
                );
            }
        }
    }

    /// Look a key up and check it can be used now.
    ///
    /// # Errors
    ///
    /// [`AuthError::InvalidKey`] for a key that is unknown, revoked, expired or of another
    /// prefix; [`AuthError::RateLimited`] over the key's limit; [`AuthError::Unavailable`]
    /// when the store cannot answer.
    pub async fn verify(&self, key: &ApiKeySecret) -> Result<VerifiedKey, AuthError> {
        self.verify_presented(&self.present(key.expose_secret().as_bytes()))
            .await
    }

    /// Look up what [`credential`](Self::credential) read, and check it can be used now.
    pub(crate) async fn verify_presented(
        &self,
        key: &PresentedKey,
    ) -> Result<VerifiedKey, AuthError> {
        let (found, hash) = self.find(key).await;
        let (stored, now) = self.judge(found, &hash)?;
        if let Some(limiter) = &self.inner.limiter {
            limiter
                .check(&stored.record().id)
                .await
                .map_err(|wait| limited(&stored, wait))?;
        }
        Ok(self.accept(stored, now))
    }

    /// [`verify_presented`](Self::verify_presented) without awaiting, when the store
    /// answers from memory and the rate limit is counted in this process; `None` when it
    /// must be awaited.
    pub(crate) fn verify_now(&self, key: &PresentedKey) -> Option<Result<VerifiedKey, AuthError>> {
        let (found, hash) = self.find_now(key)?;
        let (stored, now) = match self.judge(found, &hash) {
            Ok(judged) => judged,
            Err(e) => return Some(Err(e)),
        };
        if let Some(limiter) = &self.inner.limiter
            && let Err(wait) = limiter.check_now(&stored.record().id)?
        {
            return Some(Err(limited(&stored, wait)));
        }
        Some(Ok(self.accept(stored, now)))
    }

    /// Judge what the store answered for `hash`: a key that exists, matches, and is
    /// neither revoked nor expired; with the time it was judged at.
    fn judge(
        &self,
        found: Result<Option<Arc<StoredKey>>, super::StoreError>,
        hash: &KeyHash,
    ) -> Result<(Arc<StoredKey>, i64), AuthError> {
        let stored = found
            .map_err(|e| {
                tracing::error!(error = %e, "API key store lookup failed");
                AuthError::Unavailable
            })?
            .ok_or(AuthError::InvalidKey(KeyError::Unknown))?;
        let record = stored.record();
        if !record.hash.ct_eq(hash) {
            return Err(AuthError::InvalidKey(KeyError::Unknown));
        }
        let now = crate::clock::now();
        if let Some(reason) = record.unusable_at(now) {
            match reason {
                KeyError::Revoked => {
                    tracing::info!(key_id = %record.id, "revoked API key presented")
                }
                _ => tracing::info!(key_id = %record.id, "expired API key presented"),
            }
            return Err(AuthError::InvalidKey(reason));
        }
        Ok((stored, now))
    }

    /// A key admitted: its use (at `now`) recorded.
    fn accept(&self, stored: Arc<StoredKey>, now: i64) -> VerifiedKey {
        stored.touch(now);
        VerifiedKey {
            stored,
            origin: self.inner.origin,
        }
    }

    /// Whether `key` was verified by this validator (or a clone of it). Extractors reuse a
    /// guard's result only then; a key another validator (another store) accepted is
    /// looked up again.
    pub(crate) fn produced(&self, key: &VerifiedKey) -> bool {
        key.origin == self.inner.origin
    }

    /// What an extractor takes from a guard: `verified` (what an outer guard stored in the
    /// request) when this validator produced it, else `None` (the key is to be looked up
    /// again).
    pub(crate) fn reuse(&self, verified: Option<&VerifiedKey>) -> Option<VerifiedKey> {
        verified.filter(|k| self.produced(k)).cloned()
    }

    /// Read and verify the key of `req`; `Ok(None)` when the request carries none.
    ///
    /// # Errors
    ///
    /// [`AuthError::InvalidKey`] for a malformed, repeated or refused key, and the errors
    /// of [`verify`](Self::verify).
    pub async fn authenticate<R: RequestView>(
        &self,
        req: &R,
    ) -> Result<Option<VerifiedKey>, AuthError> {
        match self.credential(req)? {
            None => Ok(None),
            // A store that answers from memory is not awaited.
            Some(key) => match self.verify_now(&key) {
                Some(verified) => verified.map(Some),
                None => self.verify_presented(&key).await.map(Some),
            },
        }
    }

    /// A verified key with `scopes`, or the error to answer with. `key` is what
    /// [`credential`](Self::credential) found.
    pub(crate) async fn require(
        &self,
        key: Option<PresentedKey>,
        scopes: Option<&ScopeRequirement>,
    ) -> Result<VerifiedKey, AuthError> {
        let key = key.ok_or(AuthError::MissingCredential(Scheme::ApiKey))?;
        check_key_scopes(self.verify_presented(&key).await?, scopes)
    }

    /// [`require`](Self::require) without awaiting, when the store answers from memory.
    pub(crate) fn require_now(
        &self,
        key: Option<&PresentedKey>,
        scopes: Option<&ScopeRequirement>,
    ) -> Option<Result<VerifiedKey, AuthError>> {
        let Some(key) = key else {
            return Some(Err(AuthError::MissingCredential(Scheme::ApiKey)));
        };
        Some(
            self.verify_now(key)?
                .and_then(|v| check_key_scopes(v, scopes)),
        )
    }

    /// Render `error` with this validator's realm and renderer.
    pub fn reject(&self, error: &AuthError) -> Rejection {
        self.inner.renderer.render(error)
    }

    /// The store's current problem ([`ApiKeyStore::problem`]): why keys may be stale, for a
    /// health check. `None` when all is well.
    pub fn store_problem(&self) -> Option<String> {
        self.inner.store.problem()
    }
}

fn check_key_scopes(
    verified: VerifiedKey,
    scopes: Option<&ScopeRequirement>,
) -> Result<VerifiedKey, AuthError> {
    match scopes {
        Some(req) if !verified.scopes().satisfies(req) => {
            Err(AuthError::InsufficientScope(Scheme::ApiKey, req.clone()))
        }
        _ => Ok(verified),
    }
}

fn limited(stored: &StoredKey, wait: u64) -> AuthError {
    tracing::info!(key_id = %stored.record().id, "API key rate limit exceeded");
    AuthError::RateLimited(wait)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::{apikey::MemoryStore, request::StaticRequest};

    fn validator(store: &Arc<MemoryStore>) -> ApiKeyValidatorBuilder {
        ApiKeyValidator::builder(store.clone()).prefix("t")
    }

    fn verify(v: &ApiKeyValidator, req: &StaticRequest) -> Result<Option<VerifiedKey>, AuthError> {
        let mut future = std::pin::pin!(v.authenticate(req));
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        match future.as_mut().poll(&mut cx) {
            std::task::Poll::Ready(result) => result,
            std::task::Poll::Pending => Err(AuthError::Misconfigured("the memory store awaited")),
        }
    }

    /// Keys minted into a memory store verify; a revoked one is refused at once.
    #[test]
    fn a_memory_store_serves_and_revokes_keys() -> Result<(), Box<dyn std::error::Error>> {
        let store = Arc::new(MemoryStore::new());
        let v = validator(&store).build()?;
        let (key, record) = v.mint("t", "svc", ["read"], None)?;
        let id = record.id.clone();
        store.insert(record);
        let req = StaticRequest::new().header("x-api-key", key.expose_secret());
        assert_eq!(
            verify(&v, &req)?.map(|k| k.id().to_owned()),
            Some(id.clone())
        );
        assert!(store.revoke(&id, crate::clock::now()));
        assert!(!store.revoke("k_unknown", 0));
        assert_eq!(
            verify(&v, &req).err(),
            Some(AuthError::InvalidKey(KeyError::Revoked))
        );
        assert!(store.records()[0].revoked.is_some());
        Ok(())
    }

    /// `Authorization: ApiKey <key>` is read only when the validator opts in.
    #[test]
    fn the_authorization_header_is_read_only_when_allowed() -> Result<(), Box<dyn std::error::Error>>
    {
        let store = Arc::new(MemoryStore::new());
        let strict = validator(&store).build()?;
        let lenient = validator(&store).allow_authorization_header().build()?;
        let (key, record) = strict.mint("t", "svc", ["read"], None)?;
        store.insert(record);
        let req =
            StaticRequest::new().header("authorization", format!("ApiKey {}", key.expose_secret()));
        assert!(verify(&strict, &req)?.is_none());
        assert!(verify(&lenient, &req)?.is_some());
        // Both places at once is ambiguous.
        let both = req.header("x-api-key", key.expose_secret());
        assert!(matches!(
            verify(&lenient, &both),
            Err(AuthError::InvalidRequest(..))
        ));
        Ok(())
    }
}
