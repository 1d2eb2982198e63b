//! Minting a key: the secret to show once and the record to store.

use super::{ApiKeyRecord, ApiKeySecret, KeyHasher, key};
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
