//! Refresh tokens: opaque, stored as SHA-256 hashes, rotated on every use, and grouped in
//! families so that a reused (stolen) token revokes every token descended from the same
//! login (RFC 9700 §4.14.2).

use std::{
    collections::{HashMap, HashSet},
    fmt,
    sync::Mutex,
};

use serde::{Deserialize, Serialize};

use super::SessionGrant;

/// SHA-256 of a refresh token: what stores keep.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct RefreshHash(pub [u8; 32]);

impl RefreshHash {
    /// The hash of `token`.
    pub fn of(token: &str) -> RefreshHash {
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, token.as_bytes());
        let mut out = [0u8; 32];
        out.copy_from_slice(digest.as_ref());
        RefreshHash(out)
    }
}

impl fmt::Debug for RefreshHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RefreshHash({:02x}{:02x}…)", self.0[0], self.0[1])
    }
}

/// What a refresh token stands for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RefreshRecord {
    /// The family: every token rotated from the same login.
    pub family: String,
    /// What the session grants (re-minted into each access token).
    pub grant: SessionGrant,
    /// Expiry, seconds since the epoch.
    pub expires: i64,
}

/// Why a refresh token was not rotated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RotateError {
    /// No such token.
    #[error("unknown refresh token")]
    Unknown,
    /// The token has expired.
    #[error("expired refresh token")]
    Expired,
    /// The token was already used: its whole family is now revoked.
    #[error("refresh token reused; its family is revoked")]
    Reused,
    /// The token's family was revoked (logout, or an earlier reuse).
    #[error("refresh token revoked")]
    Revoked,
    /// The store failed.
    #[error("refresh store unavailable: {0}")]
    Store(String),
}

/// Where refresh tokens live. Implementations must make [`rotate`](Self::rotate) atomic:
/// of two concurrent rotations of one token, at most one succeeds.
#[async_trait::async_trait]
pub trait RefreshStore: Send + Sync + fmt::Debug {
    /// Keep a new token.
    async fn insert(&self, hash: RefreshHash, record: RefreshRecord) -> Result<(), RotateError>;
    /// Use `old` once: mark it used, keep `new` in the same family until `expires`, and
    /// return the record. A token used before revokes its family ([`RotateError::Reused`]).
    async fn rotate(
        &self,
        old: &RefreshHash,
        new: RefreshHash,
        expires: i64,
    ) -> Result<RefreshRecord, RotateError>;
    /// Revoke the family of `token` (logout). Unknown tokens are ignored.
    async fn revoke_family(&self, token: &RefreshHash) -> Result<(), RotateError>;
}

#[derive(Debug)]
struct Entry {
    record: RefreshRecord,
    used: bool,
}

#[derive(Debug, Default)]
struct State {
    tokens: HashMap<RefreshHash, Entry>,
    revoked: HashSet<String>,
}

/// An in-memory [`RefreshStore`]: one process, lost on restart (users sign in again).
#[derive(Debug, Default)]
pub struct MemoryRefreshStore(Mutex<State>);

impl MemoryRefreshStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// How many tokens are kept (used ones included, until they expire).
    pub fn len(&self) -> usize {
        self.state().tokens.len()
    }

    /// Whether no token is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[async_trait::async_trait]
impl RefreshStore for MemoryRefreshStore {
    async fn insert(&self, hash: RefreshHash, record: RefreshRecord) -> Result<(), RotateError> {
        let now = crate::clock::now();
        let mut state = self.state();
        state.tokens.retain(|_, e| e.record.expires > now);
        state.tokens.insert(
            hash,
            Entry {
                record,
                used: false,
            },
        );
        Ok(())
    }

    async fn rotate(
        &self,
        old: &RefreshHash,
        new: RefreshHash,
        expires: i64,
    ) -> Result<RefreshRecord, RotateError> {
        let now = crate::clock::now();
        let mut state = self.state();
        let State { tokens, revoked } = &mut *state;
        let entry = tokens.get_mut(old).ok_or(RotateError::Unknown)?;
        if revoked.contains(&entry.record.family) {
            return Err(RotateError::Revoked);
        }
        if entry.used {
            let family = entry.record.family.clone();
            tracing::warn!("a rotated refresh token was presented again: its family is revoked");
            revoked.insert(family);
            return Err(RotateError::Reused);
        }
        if entry.record.expires <= now {
            return Err(RotateError::Expired);
        }
        entry.used = true;
        let record = RefreshRecord {
            expires,
            ..entry.record.clone()
        };
        tokens.insert(
            new,
            Entry {
                record: record.clone(),
                used: false,
            },
        );
        Ok(record)
    }

    async fn revoke_family(&self, token: &RefreshHash) -> Result<(), RotateError> {
        let mut state = self.state();
        if let Some(family) = state.tokens.get(token).map(|e| e.record.family.clone()) {
            state.revoked.insert(family);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(family: &str) -> RefreshRecord {
        RefreshRecord {
            family: family.into(),
            grant: SessionGrant::new("u"),
            expires: crate::clock::now() + 60,
        }
    }

    #[tokio::test]
    async fn rotation_reuse_and_logout() -> Result<(), RotateError> {
        let store = MemoryRefreshStore::new();
        let (a, b, c) = (
            RefreshHash::of("a"),
            RefreshHash::of("b"),
            RefreshHash::of("c"),
        );
        let far = crate::clock::now() + 60;
        store.insert(a, record("f")).await?;
        assert_eq!(store.rotate(&a, b, far).await?.family, "f");
        // a again: reuse; the family (b included) is revoked.
        assert_eq!(store.rotate(&a, c, far).await, Err(RotateError::Reused));
        assert_eq!(store.rotate(&b, c, far).await, Err(RotateError::Revoked));
        assert_eq!(
            store.rotate(&RefreshHash::of("x"), c, far).await,
            Err(RotateError::Unknown)
        );

        let (d, e) = (RefreshHash::of("d"), RefreshHash::of("e"));
        store.insert(d, record("g")).await?;
        store.revoke_family(&d).await?;
        assert_eq!(store.rotate(&d, e, far).await, Err(RotateError::Revoked));

        let (x, y) = (RefreshHash::of("old"), RefreshHash::of("y"));
        store
            .insert(
                x,
                RefreshRecord {
                    expires: crate::clock::now() - 1,
                    ..record("h")
                },
            )
            .await?;
        assert!(store.rotate(&x, y, far).await.is_err());
        Ok(())
    }
}
