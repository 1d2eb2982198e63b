//! Refresh tokens: opaque, stored as SHA-256 hashes, rotated on every use, and grouped in
//! families so that a reused (stolen) token revokes every token descended from the same
//! login (RFC 9700 §4.14.2).
//!
//! # The rule every store applies
//!
//! A token is rotated once: the new token joins its family, one generation later. A token
//! presented again after its rotation is reuse, and revokes its whole family, with one
//! exception, the **grace window** ([`Rotation::grace`], 0 disables it): within that many
//! seconds of its first rotation, the *immediately preceding* token (its generation is the
//! one just before the family's newest) may be rotated again and gets a sibling of its
//! successor, so two tabs refreshing at once, or a retry after a lost answer, do not sign
//! the user out. Any older token, or the preceding one after the window, is reuse.
//! [`RefreshRecord::rotated`] and [`RefreshRecord::reuse_allowed`] hold the rule; every
//! store calls them (or, for an engine that decides in a script, does the same).

use std::{collections::HashMap, fmt, sync::Mutex};

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
    /// Expiry of this token, seconds since the epoch.
    pub expires: i64,
    /// The end of the whole session (the family's sign-in plus the absolute session
    /// lifetime), seconds since the epoch: no rotation carries the family past it.
    #[serde(default = "no_end")]
    pub session_expires: i64,
    /// The token's generation in its family: 0 at sign-in, one more at each rotation.
    #[serde(default)]
    pub generation: u64,
}

fn no_end() -> i64 {
    i64::MAX
}

impl RefreshRecord {
    /// The record of the token that replaces this one in a rotation at `now`: expiring at
    /// `expires`, but never after the session's end. [`RotateError::Expired`] when this
    /// token or its session has expired. Every [`RefreshStore`] applies it, so the absolute
    /// session lifetime holds whatever the store.
    ///
    /// # Errors
    ///
    /// [`RotateError::Expired`] when this token or its session has expired.
    pub fn rotated(&self, expires: i64, now: i64) -> Result<RefreshRecord, RotateError> {
        if self.expires <= now || self.session_expires <= now {
            return Err(RotateError::Expired);
        }
        Ok(RefreshRecord {
            expires: expires.min(self.session_expires),
            generation: self.generation.saturating_add(1),
            ..self.clone()
        })
    }

    /// Whether this token, already rotated at `used_at`, may be rotated again at `now`:
    /// only within `grace` seconds of that rotation, and only while it is the immediately
    /// preceding token of its family (whose newest generation is `newest`).
    pub fn reuse_allowed(&self, used_at: i64, newest: u64, now: i64, grace: i64) -> bool {
        grace > 0
            && now < used_at.saturating_add(grace)
            && self.generation.saturating_add(1) == newest
    }
}

/// One rotation: the new token, its expiry, and the grace window of the token it replaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rotation {
    /// The hash of the new token.
    pub new: RefreshHash,
    /// Its expiry (capped at the session's end by [`RefreshRecord::rotated`]).
    pub expires: i64,
    /// Seconds after its first rotation during which the replaced token may be presented
    /// again and get a sibling of its successor (0: never).
    pub grace: i64,
}

/// Why a refresh token was not rotated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RotateError {
    /// No such token (never issued, expired and forgotten, or of a revoked family).
    #[error("unknown refresh token")]
    Unknown,
    /// The token, or its session, has expired.
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

/// Where refresh tokens live. Implementations must make [`rotate`](Self::rotate) atomic (of
/// two concurrent rotations of one token outside the grace window, at most one succeeds),
/// build the new token's record with [`RefreshRecord::rotated`] (which enforces the
/// session's end), and apply the grace rule of [`RefreshRecord::reuse_allowed`]. The
/// conformance cases in `auth_core::test_util::refresh_store_conformance` (feature
/// `test-util`) check all of it.
#[async_trait::async_trait]
pub trait RefreshStore: Send + Sync + fmt::Debug {
    /// Keep a new token.
    async fn insert(&self, hash: RefreshHash, record: RefreshRecord) -> Result<(), RotateError>;
    /// Use `old`: mark it used, keep `rotation.new` in the same family, one generation
    /// later, until `rotation.expires` (at most the session's end), and return the new
    /// record. A token used before revokes its family ([`RotateError::Reused`]), unless the
    /// grace rule allows it again.
    async fn rotate(
        &self,
        old: &RefreshHash,
        rotation: Rotation,
    ) -> Result<RefreshRecord, RotateError>;
    /// Revoke the family of `token` (logout). Unknown tokens are ignored.
    async fn revoke_family(&self, token: &RefreshHash) -> Result<(), RotateError>;
}

#[derive(Debug)]
struct Entry {
    record: RefreshRecord,
    /// When it was first rotated.
    used_at: Option<i64>,
}

#[derive(Debug, Default)]
struct Family {
    /// Its tokens, so that revoking one costs O(family), not O(store).
    members: Vec<RefreshHash>,
    /// Its newest generation.
    newest: u64,
}

#[derive(Debug, Default)]
struct State {
    tokens: HashMap<RefreshHash, Entry>,
    families: HashMap<String, Family>,
    /// Changes since the last sweep of expired tokens.
    changes: usize,
}

/// Sweep expired tokens once this many changes, or as many as there are tokens, have been
/// made since the last sweep: memory follows the live sessions, and each change costs O(1)
/// amortised.
const SWEEP_AFTER: usize = 1024;

impl State {
    fn add(&mut self, hash: RefreshHash, record: RefreshRecord, now: i64) {
        let family = self.families.entry(record.family.clone()).or_default();
        family.members.push(hash);
        family.newest = family.newest.max(record.generation);
        self.tokens.insert(
            hash,
            Entry {
                record,
                used_at: None,
            },
        );
        self.changes += 1;
        if self.changes >= SWEEP_AFTER.max(self.tokens.len()) {
            self.sweep(now);
        }
    }

    /// Forget a family and every token in it.
    fn drop_family(&mut self, family: &str) {
        for hash in self.families.remove(family).unwrap_or_default().members {
            self.tokens.remove(&hash);
        }
    }

    /// Forget expired tokens, and families left empty.
    fn sweep(&mut self, now: i64) {
        self.tokens.retain(|_, e| e.record.expires > now);
        let tokens = &self.tokens;
        self.families.retain(|_, family| {
            family.members.retain(|h| tokens.contains_key(h));
            !family.members.is_empty()
        });
        self.changes = 0;
    }
}

/// An in-memory [`RefreshStore`]: one process, lost on restart (users sign in again).
///
/// Revoking a family (logout, reuse) forgets its tokens at once; expired tokens are swept
/// as the store changes. Memory follows the live sessions, and no operation scans the
/// whole store except an amortised sweep.
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
        self.state().add(hash, record, crate::clock::now());
        Ok(())
    }

    async fn rotate(
        &self,
        old: &RefreshHash,
        rotation: Rotation,
    ) -> Result<RefreshRecord, RotateError> {
        let now = crate::clock::now();
        let mut state = self.state();
        let entry = state.tokens.get(old).ok_or(RotateError::Unknown)?;
        if let Some(used_at) = entry.used_at {
            let newest = state
                .families
                .get(&entry.record.family)
                .map_or(0, |f| f.newest);
            if !entry
                .record
                .reuse_allowed(used_at, newest, now, rotation.grace)
            {
                let family = entry.record.family.clone();
                tracing::warn!(
                    "a rotated refresh token was presented again: its family is revoked"
                );
                state.drop_family(&family);
                return Err(RotateError::Reused);
            }
        }
        let record = entry.record.rotated(rotation.expires, now)?;
        if let Some(entry) = state.tokens.get_mut(old) {
            entry.used_at.get_or_insert(now);
        }
        state.add(rotation.new, record.clone(), now);
        Ok(record)
    }

    async fn revoke_family(&self, token: &RefreshHash) -> Result<(), RotateError> {
        let mut state = self.state();
        if let Some(family) = state.tokens.get(token).map(|e| e.record.family.clone()) {
            state.drop_family(&family);
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
            session_expires: crate::clock::now() + 3600,
            generation: 0,
        }
    }

    fn rot(new: RefreshHash, expires: i64) -> Rotation {
        Rotation {
            new,
            expires,
            grace: 0,
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
        assert_eq!(store.rotate(&a, rot(b, far)).await?.family, "f");
        // a again: reuse; the family (b included) is revoked.
        assert_eq!(
            store.rotate(&a, rot(c, far)).await,
            Err(RotateError::Reused)
        );
        assert!(store.rotate(&b, rot(c, far)).await.is_err());
        assert_eq!(
            store.rotate(&RefreshHash::of("x"), rot(c, far)).await,
            Err(RotateError::Unknown)
        );

        let (d, e) = (RefreshHash::of("d"), RefreshHash::of("e"));
        store.insert(d, record("g")).await?;
        store.revoke_family(&d).await?;
        assert!(store.rotate(&d, rot(e, far)).await.is_err());

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
        assert!(store.rotate(&x, rot(y, far)).await.is_err());
        Ok(())
    }

    /// Review item 9: a session ends at its absolute lifetime, however often it is
    /// refreshed: no rotation extends a token past the family's end.
    #[tokio::test]
    async fn review_09_refreshing_never_outlives_the_session() -> Result<(), RotateError> {
        let store = MemoryRefreshStore::new();
        let now = crate::clock::now();
        let end = now + 100;
        let first = RefreshRecord {
            session_expires: end,
            ..record("f")
        };
        store.insert(RefreshHash::of("t0"), first).await?;
        let mut old = RefreshHash::of("t0");
        for i in 1..5 {
            let new = RefreshHash::of(&format!("t{i}"));
            // Each refresh asks for 14 more days; the session's end caps it.
            let rotated = store.rotate(&old, rot(new, now + 14 * 86_400)).await?;
            assert_eq!(rotated.expires, end);
            assert_eq!(rotated.session_expires, end);
            old = new;
        }
        // Past the end (an idle device with a stolen token): refused.
        let over = RefreshRecord {
            session_expires: now,
            ..record("g")
        };
        store.insert(RefreshHash::of("late"), over).await?;
        assert_eq!(
            store
                .rotate(
                    &RefreshHash::of("late"),
                    rot(RefreshHash::of("x"), now + 60)
                )
                .await,
            Err(RotateError::Expired)
        );
        Ok(())
    }

    /// Review item 10: memory stays bounded under a stream of sign-ins: logged-out and
    /// reused families are forgotten at once, expired tokens are swept.
    #[tokio::test]
    async fn review_10_memory_follows_the_live_sessions() -> Result<(), RotateError> {
        let store = MemoryRefreshStore::new();
        let now = crate::clock::now();
        for i in 0..20_000 {
            let (a, b) = (
                RefreshHash::of(&format!("a{i}")),
                RefreshHash::of(&format!("b{i}")),
            );
            store.insert(a, record(&format!("f{i}"))).await?;
            match i % 3 {
                // Sign in, then out.
                0 => store.revoke_family(&a).await?,
                // Sign in, refresh, then the old token is reused: the family goes.
                1 => {
                    store.rotate(&a, rot(b, now + 60)).await?;
                    assert_eq!(
                        store.rotate(&a, rot(RefreshHash::of("c"), now + 60)).await,
                        Err(RotateError::Reused)
                    );
                }
                // A session that has expired by now.
                _ => {
                    store
                        .insert(
                            b,
                            RefreshRecord {
                                expires: now - 1,
                                ..record(&format!("g{i}"))
                            },
                        )
                        .await?;
                    store.revoke_family(&a).await?;
                }
            }
        }
        assert!(store.len() <= 1024, "{} tokens", store.len());
        let state = store.state();
        assert!(
            state.families.len() <= SWEEP_AFTER,
            "{} families",
            state.families.len()
        );
        Ok(())
    }
}
