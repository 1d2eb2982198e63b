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

use std::fmt;

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
    /// What the session's list shows about it (recorded at sign-in).
    #[serde(default)]
    pub meta: SessionMeta,
}

/// What is recorded about a session at sign-in: for the user's list of sessions, and for
/// logout that starts at the provider (back-channel) or ends there (RP-initiated).
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SessionMeta {
    /// The provider signed in with.
    pub provider: String,
    /// When, seconds since the epoch.
    pub created_at: i64,
    /// The browser's `User-Agent`, cut to 256 bytes.
    pub user_agent: Option<String>,
    /// The client's address.
    pub address: Option<String>,
    /// The user's subject at the provider (a back-channel logout names it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_subject: Option<String>,
    /// The provider's session id (the ID token's `sid`; a back-channel logout names it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_sid: Option<String>,
    /// The sign-in's ID token: the `id_token_hint` of an RP-initiated logout. Never shown
    /// by `Debug` or the sessions route.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
}

impl SessionMeta {
    /// What is shown of a session signed in with `provider` at `created_at`.
    pub fn new(provider: impl Into<String>, created_at: i64) -> SessionMeta {
        SessionMeta {
            provider: provider.into(),
            created_at,
            ..SessionMeta::default()
        }
    }

    /// With the browser's `User-Agent` and the client's address.
    pub fn client(mut self, user_agent: Option<String>, address: Option<String>) -> SessionMeta {
        self.user_agent = user_agent;
        self.address = address;
        self
    }
}

impl fmt::Debug for SessionMeta {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionMeta")
            .field("provider", &self.provider)
            .field("created_at", &self.created_at)
            .field("user_agent", &self.user_agent)
            .field("address", &self.address)
            .field("provider_subject", &self.provider_subject)
            .field("provider_sid", &self.provider_sid)
            .field("id_token", &crate::redact::presence(&self.id_token))
            .finish()
    }
}

/// One active session (refresh family) of a user, as [`RefreshStore::sessions`] lists it:
/// never a token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// The family's id: what `DELETE /auth/sessions/{id}` names, and the access tokens'
    /// `sid` claim.
    pub id: String,
    /// What was recorded at sign-in.
    pub meta: SessionMeta,
    /// When it was last refreshed (its sign-in when never), seconds since the epoch.
    pub last_used_at: i64,
}

impl Session {
    /// The session `id` with `meta`, last refreshed at `last_refresh` (0 or less: never,
    /// so its last use is its sign-in).
    pub fn new(id: impl Into<String>, meta: SessionMeta, last_refresh: i64) -> Session {
        Session {
            id: id.into(),
            last_used_at: if last_refresh > 0 {
                last_refresh
            } else {
                meta.created_at
            },
            meta,
        }
    }
}

fn no_end() -> i64 {
    i64::MAX
}

impl RefreshRecord {
    /// The record of a new session's first token (generation 0, nothing recorded about
    /// the sign-in: add it with [`with_meta`](Self::with_meta)).
    pub fn new(
        family: impl Into<String>,
        grant: SessionGrant,
        expires: i64,
        session_expires: i64,
    ) -> RefreshRecord {
        RefreshRecord {
            family: family.into(),
            grant,
            expires,
            session_expires,
            generation: 0,
            meta: SessionMeta::default(),
        }
    }

    /// With what is recorded about the sign-in.
    pub fn with_meta(mut self, meta: SessionMeta) -> RefreshRecord {
        self.meta = meta;
        self
    }

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
    /// The active sessions (families not revoked, not past their end) of `subject`, in any
    /// order.
    async fn sessions(&self, subject: &str) -> Result<Vec<Session>, RotateError>;
    /// Revoke the session `id` if it is one of `subject`'s; whether it was.
    async fn revoke_session(&self, subject: &str, id: &str) -> Result<bool, RotateError>;
    /// Revoke every session of `subject` ("sign out everywhere"); how many there were.
    async fn revoke_subject(&self, subject: &str) -> Result<usize, RotateError>;
}
