//! The verified-token cache (opt-in): tokens whose signature was already checked, so that
//! a repeated RS256 or ES256 token costs a hash and a lookup instead of a signature check.
//!
//! Entries are keyed by SHA-256 of the whole token (the token itself is never a map key,
//! so a lookup reveals nothing about cached tokens through timing), bounded in number
//! (`quick_cache`, S3-FIFO eviction), and hold the decoded payload, the fingerprint of the
//! key that verified it, and `exp`. A hit is used only while `exp` has not passed and its
//! key is still in the validator's key set; the claims are checked again on every use.

use std::{fmt, sync::Arc};

use serde::Deserialize;

use super::validator::JwtValidator;
use crate::error::TokenError;

/// SHA-256 of a token.
pub(super) type Digest = [u8; 32];

pub(super) fn digest(token: &str) -> Digest {
    let mut out = [0; 32];
    out.copy_from_slice(
        aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, token.as_bytes()).as_ref(),
    );
    out
}

/// A verified token's decoded payload and what its validity depends on.
#[derive(Debug)]
pub(super) struct Entry {
    pub(super) payload: Box<[u8]>,
    /// [`JwtKey::fingerprint`](super::JwtKey::fingerprint) of the key that verified it.
    pub(super) key: [u8; 16],
    /// `exp`, when the token has one: the entry is not used past it.
    pub(super) exp: Option<i64>,
}

impl Entry {
    pub(super) fn new(payload: &[u8], key: [u8; 16]) -> Entry {
        #[derive(Deserialize)]
        struct Exp {
            exp: Option<f64>,
        }
        // The payload has passed the claims checks, so `exp`, if present, is a number.
        let exp = serde_json::from_slice::<Exp>(payload)
            .ok()
            .and_then(|e| e.exp)
            .map(|e| e as i64);
        Entry {
            payload: payload.into(),
            key,
            exp,
        }
    }
}

/// A bounded map from token digests to verified payloads.
pub(super) struct VerifiedCache {
    entries: quick_cache::sync::Cache<Digest, Arc<Entry>>,
}

impl fmt::Debug for VerifiedCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifiedCache")
            .field("len", &self.entries.len())
            .field("capacity", &self.entries.capacity())
            .finish()
    }
}

impl VerifiedCache {
    pub(super) fn new(capacity: usize) -> VerifiedCache {
        VerifiedCache {
            entries: quick_cache::sync::Cache::new(capacity),
        }
    }

    pub(super) fn get(&self, digest: &Digest) -> Option<Arc<Entry>> {
        self.entries.get(digest)
    }

    pub(super) fn insert(&self, digest: Digest, entry: Entry) {
        self.entries.insert(digest, Arc::new(entry));
    }

    pub(super) fn remove(&self, digest: &Digest) {
        self.entries.remove(digest);
    }

    pub(super) fn len(&self) -> usize {
        self.entries.len()
    }
}

impl JwtValidator {
    /// Verify the JWS layer, then hand the decoded payload to `f`: through the
    /// verified-token cache when it is on.
    pub(super) fn with_payload<T>(
        &self,
        token: &str,
        f: impl FnOnce(&[u8]) -> Result<T, TokenError>,
    ) -> Result<T, TokenError> {
        let Some(cache) = &self.inner.cache else {
            return self.verify_payload(token, |_, payload| f(payload));
        };
        if token.len() > self.inner.max_len {
            return Err(TokenError::TooLarge);
        }
        let digest = digest(token);
        if let Some(entry) = cache.get(&digest) {
            let live = entry.exp.is_none_or(|exp| crate::clock::now() < exp);
            if live && self.holds_key(&entry.key) {
                return f(&entry.payload);
            }
            cache.remove(&digest);
        }
        let mut verified = None;
        let out = self.verify_payload(token, |key, payload| {
            let out = f(payload)?;
            verified = Some(Entry::new(payload, key.fingerprint()));
            Ok(out)
        })?;
        if let Some(entry) = verified.filter(|e| e.exp.is_none_or(|exp| crate::clock::now() < exp))
        {
            cache.insert(digest, entry);
        }
        Ok(out)
    }

    /// Whether a key with this fingerprint is among the keys in force.
    fn holds_key(&self, fingerprint: &[u8; 16]) -> bool {
        let inner = &*self.inner;
        inner.keys.iter().any(|k| k.fingerprint() == *fingerprint)
            || inner.remote.as_ref().is_some_and(|r| {
                let snapshot = r.snapshot();
                snapshot.usable()
                    && snapshot
                        .keys
                        .iter()
                        .any(|k| k.fingerprint() == *fingerprint)
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        error::ConfigError,
        jwt::{
            Algorithm, JwtKey, NoClaims,
            validator::tests::{H, SECRET, hs256},
        },
    };

    #[test]
    fn the_cache_skips_the_signature_but_never_the_claims() -> Result<(), ConfigError> {
        let v = JwtValidator::builder()
            .key(JwtKey::hmac(Algorithm::HS256, SECRET)?)
            .issuer("iss")
            .audience("aud")
            .cache_verified(100)
            .build()?;
        let now = crate::clock::now();
        let token = hs256(
            H,
            &format!(r#"{{"iss":"iss","aud":"aud","exp":{}}}"#, now + 600),
        );
        assert!(v.verify(&token).is_ok());
        assert_eq!(v.cached_tokens(), 1);
        assert!(v.verify_claims::<NoClaims>(&token).is_ok());
        assert_eq!(v.cached_tokens(), 1);
        // A hit still checks the claims against the time given.
        assert_eq!(
            v.verify_at(&token, now + 10_000).err(),
            Some(TokenError::Expired)
        );
        // A token that fails is not cached; a forged signature is not a hit.
        let expired = hs256(
            H,
            &format!(r#"{{"iss":"iss","aud":"aud","exp":{}}}"#, now - 600),
        );
        assert_eq!(v.verify(&expired).err(), Some(TokenError::Expired));
        let mut forged = token.clone();
        forged.pop();
        forged.push(if token.ends_with('A') { 'B' } else { 'A' });
        assert!(v.verify(&forged).is_err());
        assert_eq!(v.cached_tokens(), 1);
        Ok(())
    }

    #[test]
    fn entries_record_exp() {
        let e = Entry::new(br#"{"sub":"a","exp":1700000000}"#, [1; 16]);
        assert_eq!(e.exp, Some(1_700_000_000));
        assert_eq!(Entry::new(br#"{"sub":"a"}"#, [1; 16]).exp, None);
        assert_ne!(digest("a.b.c"), digest("a.b.d"));
    }

    #[test]
    fn the_cache_is_bounded() {
        let cache = VerifiedCache::new(10);
        for i in 0..100u8 {
            cache.insert([i; 32], Entry::new(b"{}", [0; 16]));
        }
        assert!(cache.len() <= 10, "{}", cache.len());
    }
}
