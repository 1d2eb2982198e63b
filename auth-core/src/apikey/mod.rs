//! API keys: a format recognisable offline, hashed storage, scoped, expiring, revocable.
//!
//! - [`ApiKeySecret`]: `<prefix>_<body><checksum>`, generated from the OS RNG, parsed with its
//!   checksum before anything else.
//! - [`KeyHasher`], [`KeyHash`]: what is stored (SHA-256, or HMAC-SHA256 with a pepper).
//! - [`ApiKeyRecord`]: id, name, prefix, hash, scopes, created, expires, revoked.
//! - [`ApiKeyStore`]: lookups by hash; [`MemoryStore`] and [`FileStore`] (the JSON file
//!   the `auth-keys` tool writes, reloaded on change).
//! - [`ApiKeyValidator`], [`ApiKeyGuard`]: what the adapters' extractors and guards call.

mod file;
mod guard;
mod hash;
mod key;
mod record;
mod store;
mod validator;

pub use file::{FileStore, KeyFile};
pub use guard::ApiKeyGuard;
pub use hash::{KeyHash, KeyHasher};
pub use key::{ApiKeySecret, BODY_LEN, CHECKSUM_LEN, KeyFormatError, MAX_PREFIX_LEN};
pub use record::ApiKeyRecord;
pub use store::{ApiKeyStore, MemoryStore, StoreError, StoredKey};
pub use validator::{ApiKeyValidator, ApiKeyValidatorBuilder, VerifiedKey};

use crate::scope::{InvalidScope, Scopes};

/// Why a key could not be minted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MintError {
    /// The prefix is not 1 to 32 lowercase letters, digits and `_`.
    #[error("{0:?} is not a key prefix: use 1 to 32 lowercase letters, digits and _")]
    Prefix(String),
    /// A scope is not a scope name.
    #[error(transparent)]
    Scope(#[from] InvalidScope),
}

/// Make a new key and its record: the key to show once, the record to store.
///
/// ```
/// use auth_core::apikey::{KeyHasher, mint};
/// let (key, record) = mint(&KeyHasher::sha256(), "demo", "billing", ["stats:read"], 0, None)?;
/// assert_eq!(record.start, key.start());
/// assert!(!serde_json::to_string(&record).unwrap().contains(key.expose_secret()));
/// # Ok::<(), auth_core::apikey::MintError>(())
/// ```
///
/// # Errors
///
/// A prefix that is not lowercase letters, digits and `_` (1 to 32), or a scope that is not
/// a scope name ([`Scopes::new`]).
pub fn mint<I, S>(
    hasher: &KeyHasher,
    prefix: &str,
    name: &str,
    scopes: I,
    now: i64,
    expires: Option<i64>,
) -> Result<(ApiKeySecret, ApiKeyRecord), MintError>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let scopes = Scopes::new(scopes)?;
    let key = ApiKeySecret::generate(prefix).map_err(|_| MintError::Prefix(prefix.to_owned()))?;
    let record = ApiKeyRecord {
        id: key::random_id("k"),
        name: name.to_owned(),
        prefix: key.prefix().to_owned(),
        start: key.start().to_owned(),
        hash: hasher.hash(&key),
        scopes,
        created: now,
        expires,
        revoked: None,
    };
    Ok((key, record))
}
