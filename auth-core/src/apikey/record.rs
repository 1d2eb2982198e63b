//! What a store keeps about a key: its hash and metadata, never the key.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::hash::KeyHash;
use crate::{error::KeyError, scope::Scopes};

/// A stored API key: id (public, safe to log), name, prefix, hash, scopes, times.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeyRecord {
    /// Public identifier, safe to log (`k_` and 16 base62 characters).
    pub id: String,
    /// Who or what the key is for.
    pub name: String,
    /// The key's prefix.
    pub prefix: String,
    /// The start of the key (`prefix_` and four characters), to recognise it in lists.
    pub start: String,
    /// SHA-256 (or HMAC-SHA256) of the whole key.
    #[serde(serialize_with = "ser_hash", deserialize_with = "de_hash")]
    pub hash: KeyHash,
    /// Granted scopes, as a list.
    #[serde(serialize_with = "ser_scopes", deserialize_with = "de_scopes")]
    pub scopes: Scopes,
    /// Creation time (seconds since the epoch).
    pub created: i64,
    /// Expiry time, if any.
    #[serde(default)]
    pub expires: Option<i64>,
    /// Revocation time, if revoked.
    #[serde(default)]
    pub revoked: Option<i64>,
}

impl ApiKeyRecord {
    /// Why the key cannot be used at `now` ([`KeyError::Revoked`] or
    /// [`KeyError::Expired`]), if it cannot.
    pub fn unusable_at(&self, now: i64) -> Option<KeyError> {
        if self.revoked.is_some_and(|r| r <= now) {
            return Some(KeyError::Revoked);
        }
        if self.expires.is_some_and(|e| e <= now) {
            return Some(KeyError::Expired);
        }
        None
    }
}

fn ser_hash<S: Serializer>(h: &KeyHash, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&h.to_hex())
}

fn de_hash<'de, D: Deserializer<'de>>(d: D) -> Result<KeyHash, D::Error> {
    let hex = String::deserialize(d)?;
    KeyHash::from_hex(&hex).ok_or_else(|| serde::de::Error::custom("hash: expected 64 hex digits"))
}

fn ser_scopes<S: Serializer>(scopes: &Scopes, s: S) -> Result<S::Ok, S::Error> {
    scopes.serialize(s)
}

fn de_scopes<'de, D: Deserializer<'de>>(d: D) -> Result<Scopes, D::Error> {
    Scopes::new(Vec::<String>::deserialize(d)?).map_err(serde::de::Error::custom)
}
