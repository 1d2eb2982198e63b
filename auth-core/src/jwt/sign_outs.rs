//! [`SignOuts`]: per-subject "not before" epochs, so that "sign out everywhere" ends the
//! access tokens already issued, read from memory on every request.

use std::{
    collections::HashMap,
    fmt,
    sync::{
        RwLock,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

/// The sign-out epochs a validator checks: a token of subject `s` whose `iat` is before
/// `s`'s epoch is refused ([`TokenError::Revoked`](crate::error::TokenError::Revoked)), as
/// is one without `iat` when its subject has an epoch.
///
/// This is the in-memory mirror every instance reads without a network call; a shared
/// engine keeps it current (the sign-in routes' `SignOutStore`, whose Redis version
/// mirrors every instance's sign-outs through pub/sub). Entries are forgotten once no
/// token they revoke can still be alive: `retention` after the epoch (the access tokens'
/// lifetime plus the validators' leeway).
///
/// ```
/// use std::time::Duration;
/// use auth_core::jwt::SignOuts;
///
/// let sign_outs = SignOuts::new(Duration::from_secs(16 * 60));
/// sign_outs.raise("user-1", 1_700_000_100);
/// assert!(sign_outs.revokes(Some("user-1"), Some(1_700_000_099)));
/// assert!(!sign_outs.revokes(Some("user-1"), Some(1_700_000_100)));
/// assert!(!sign_outs.revokes(Some("user-2"), Some(1)));
/// ```
pub struct SignOuts {
    epochs: RwLock<HashMap<String, i64>>,
    /// Whether any epoch is kept: the request path's fast exit.
    any: AtomicBool,
    retention: i64,
}

impl fmt::Debug for SignOuts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Subjects are personal data: only their number.
        f.debug_struct("SignOuts")
            .field("subjects", &self.len())
            .field("retention", &self.retention)
            .finish()
    }
}

impl SignOuts {
    /// An empty mirror whose entries live `retention` past their epoch (at least the
    /// access tokens' lifetime plus the leeway of the validators that check them).
    pub fn new(retention: Duration) -> SignOuts {
        SignOuts {
            epochs: RwLock::new(HashMap::new()),
            any: AtomicBool::new(false),
            retention: i64::try_from(retention.as_secs()).unwrap_or(i64::MAX),
        }
    }

    /// How long an entry lives past its epoch, in seconds.
    pub fn retention(&self) -> i64 {
        self.retention
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<String, i64>> {
        self.epochs
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<String, i64>> {
        self.epochs
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Whether a token of `subject` issued at `iat` is revoked.
    #[inline]
    pub fn revokes(&self, subject: Option<&str>, iat: Option<i64>) -> bool {
        if !self.any.load(Ordering::Acquire) {
            return false;
        }
        let Some(subject) = subject else {
            return false;
        };
        match self.read().get(subject) {
            Some(&epoch) => iat.is_none_or(|iat| iat < epoch),
            None => false,
        }
    }

    /// The epoch of `subject`, if any.
    pub fn epoch(&self, subject: &str) -> Option<i64> {
        if !self.any.load(Ordering::Acquire) {
            return None;
        }
        self.read().get(subject).copied()
    }

    /// Refuse `subject`'s tokens issued before `epoch` (an epoch is never lowered).
    pub fn raise(&self, subject: &str, epoch: i64) {
        let mut epochs = self.write();
        let now = crate::clock::now();
        if epochs.len() >= 64 && epochs.len().is_power_of_two() {
            // Amortised: forget what no live token can need any more.
            let horizon = now.saturating_sub(self.retention);
            epochs.retain(|_, e| *e > horizon);
        }
        let e = epochs.entry(subject.to_owned()).or_insert(epoch);
        *e = (*e).max(epoch);
        self.any.store(true, Ordering::Release);
    }

    /// Replace every epoch (a resynchronisation from the shared engine, after a lost
    /// connection): what the engine holds is the truth, but an epoch this instance knows is
    /// never lowered by an older copy.
    pub fn replace(&self, all: impl IntoIterator<Item = (String, i64)>) {
        let horizon = crate::clock::now().saturating_sub(self.retention);
        let mut epochs = self.write();
        let mut fresh: HashMap<String, i64> = all.into_iter().collect();
        for (subject, epoch) in epochs.drain() {
            let e = fresh.entry(subject).or_insert(epoch);
            *e = (*e).max(epoch);
        }
        fresh.retain(|_, e| *e > horizon);
        self.any.store(!fresh.is_empty(), Ordering::Release);
        *epochs = fresh;
    }

    /// How many subjects have an epoch.
    pub fn len(&self) -> usize {
        self.read().len()
    }

    /// Whether no subject has an epoch.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epochs_are_never_lowered_and_expire_after_retention() {
        let s = SignOuts::new(Duration::from_secs(60));
        assert!(!s.revokes(Some("a"), None));
        s.raise("a", 100);
        s.raise("a", 50);
        assert_eq!(s.epoch("a"), Some(100));
        assert!(
            s.revokes(Some("a"), None),
            "no iat: cannot prove it is newer"
        );
        assert!(!s.revokes(None, Some(1)));
        let now = crate::clock::now();
        s.replace([("b".to_owned(), now), ("c".to_owned(), now - 3600)]);
        assert_eq!(s.epoch("b"), Some(now));
        assert_eq!(s.epoch("c"), None, "older than the retention");
        assert_eq!(
            s.epoch("a"),
            None,
            "kept by the merge, then past its retention"
        );
        s.replace([]);
        assert_eq!(
            s.epoch("b"),
            Some(now),
            "a resync never lowers a known epoch"
        );
    }

    /// A validator with sign-outs refuses the subject's tokens issued before the epoch,
    /// and only theirs; a token issued at the epoch passes.
    #[test]
    fn a_validator_refuses_tokens_issued_before_the_epoch() -> Result<(), Box<dyn std::error::Error>>
    {
        use crate::{
            error::TokenError,
            jwt::{Algorithm, JwtIssuer, SigningKey},
        };
        use std::sync::Arc;
        let key = SigningKey::hmac(Algorithm::HS256, b"0123456789abcdefghijklmnopqrstuv")?;
        let issuer = JwtIssuer::new(key, "app", "app");
        let sign_outs = Arc::new(SignOuts::new(Duration::from_secs(1000)));
        let validator = issuer.validator()?.sign_outs(sign_outs.clone()).build()?;
        let now = crate::clock::now();
        let old = issuer.issue("carol", &["read"], &())?;
        let other = issuer.issue("dave", &["read"], &())?;
        assert!(validator.verify_now(&old).is_ok());
        sign_outs.raise("carol", now + 1);
        assert_eq!(validator.verify_now(&old).err(), Some(TokenError::Revoked));
        assert!(validator.verify_now(&other).is_ok(), "another subject");
        let fresh = issuer.issue_at("carol", &["read"], &(), now + 1)?;
        assert!(validator.verify_now(&fresh).is_ok(), "issued at the epoch");
        Ok(())
    }
}
