//! Stored form of a key: SHA-256 of the whole key, or HMAC-SHA256 with a server pepper.
//!
//! # Why a fast hash
//!
//! Password hashes (Argon2, bcrypt) are slow on purpose, to make guessing a *low-entropy*
//! secret expensive. An API key is not guessable: its 178 random bits put a brute-force search
//! out of reach however fast the hash, so a slow hash would add nothing but latency (an
//! Argon2id check measured 18.7 ms per request here, against well under a microsecond for
//! SHA-256). A pepper (a server-side HMAC key kept outside the key store) additionally makes
//! a stolen store useless on its own.

use std::fmt;

use aws_lc_rs::{digest, hmac};
use subtle::ConstantTimeEq;

use super::key::ApiKey;

/// The SHA-256 (or HMAC-SHA256) of a key: what stores keep.
#[derive(Clone, Copy, Hash, PartialEq, Eq)]
pub struct KeyHash([u8; 32]);

impl KeyHash {
    /// From 32 raw bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        KeyHash(bytes)
    }

    /// From 64 lowercase or uppercase hex digits.
    pub fn from_hex(hex: &str) -> Option<Self> {
        if hex.len() != 64 {
            return None;
        }
        let mut out = [0u8; 32];
        for (i, slot) in out.iter_mut().enumerate() {
            *slot = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
        }
        Some(KeyHash(out))
    }

    /// 64 lowercase hex digits.
    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Constant-time equality.
    pub fn ct_eq(&self, other: &KeyHash) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

impl fmt::Debug for KeyHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A hash of a high-entropy key is not secret, but printing it whole invites copying
        // it around: show a short, recognisable start.
        write!(f, "KeyHash({}…)", &self.to_hex()[..8])
    }
}

/// Computes [`KeyHash`]es: plain SHA-256, or HMAC-SHA256 under a pepper.
#[derive(Clone, Default)]
pub struct KeyHasher {
    pepper: Option<hmac::Key>,
}

impl fmt::Debug for KeyHasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyHasher")
            .field("pepper", &self.pepper.is_some())
            .finish()
    }
}

impl KeyHasher {
    /// Plain SHA-256.
    pub fn sha256() -> Self {
        KeyHasher { pepper: None }
    }

    /// HMAC-SHA256 under `pepper` (32 bytes or more). Every key in a store must have been
    /// hashed with the same pepper.
    pub fn with_pepper(pepper: &[u8]) -> Option<Self> {
        (pepper.len() >= 32).then(|| KeyHasher {
            pepper: Some(hmac::Key::new(hmac::HMAC_SHA256, pepper)),
        })
    }

    /// Hash a key.
    pub fn hash(&self, key: &ApiKey) -> KeyHash {
        let data = key.expose_secret().as_bytes();
        let mut out = [0u8; 32];
        match &self.pepper {
            Some(p) => out.copy_from_slice(hmac::sign(p, data).as_ref()),
            None => out.copy_from_slice(digest::digest(&digest::SHA256, data).as_ref()),
        }
        KeyHash(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip_and_pepper_changes_the_hash() {
        let key = ApiKey::generate("t").map_err(|e| e.to_string());
        let key = key.unwrap_or_else(|e| panic!("{e}"));
        let plain = KeyHasher::sha256().hash(&key);
        assert_eq!(KeyHash::from_hex(&plain.to_hex()), Some(plain));
        let peppered = KeyHasher::with_pepper(&[9u8; 32]).map(|h| h.hash(&key));
        assert!(peppered.is_some_and(|p| !p.ct_eq(&plain)));
        assert!(KeyHasher::with_pepper(&[9u8; 8]).is_none());
        assert!(KeyHash::from_hex("zz").is_none());
    }
}
