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

use super::key::ApiKeySecret;
use crate::error::ConfigError;

/// The SHA-256 (or HMAC-SHA256) of a key: what stores keep.
#[derive(Clone, Copy, Hash, PartialEq, Eq)]
pub struct KeyHash([u8; 32]);

impl KeyHash {
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

    /// Constant-time equality: the XOR of the two hashes is folded into one word without a
    /// branch, then compared with `subtle` (one comparison rather than thirty-two).
    pub fn ct_eq(&self, other: &KeyHash) -> bool {
        let mut acc = 0u64;
        for (a, b) in self.0.chunks_exact(8).zip(other.0.chunks_exact(8)) {
            let mut x = [0u8; 8];
            let mut y = [0u8; 8];
            x.copy_from_slice(a);
            y.copy_from_slice(b);
            acc |= u64::from_ne_bytes(x) ^ u64::from_ne_bytes(y);
        }
        acc.ct_eq(&0).into()
    }
}

impl fmt::Debug for KeyHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A hash of a high-entropy key is not secret, but printing it whole invites copying
        // it around: show a short, recognisable start.
        write!(f, "KeyHash({}…)", &self.to_hex()[..8])
    }
}

/// A `HashMap` hasher for [`KeyHash`] keys: they are already uniform (SHA-256 outputs that
/// no client can choose), so their first eight bytes are the hash. SipHash would only add
/// latency to every lookup.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct KeyHashBuilder;

/// The hasher made by [`KeyHashBuilder`].
#[derive(Debug, Default)]
pub(crate) struct KeyHashHasher(u64);

impl std::hash::BuildHasher for KeyHashBuilder {
    type Hasher = KeyHashHasher;

    fn build_hasher(&self) -> KeyHashHasher {
        KeyHashHasher(0)
    }
}

impl std::hash::Hasher for KeyHashHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // `KeyHash` hashes as its 32 bytes (after a length prefix for arrays in some
        // versions of std): fold them in, cheaply.
        for chunk in bytes.chunks(8) {
            let mut b = [0u8; 8];
            b[..chunk.len()].copy_from_slice(chunk);
            self.0 = self.0.rotate_left(5) ^ u64::from_le_bytes(b);
        }
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
    ///
    /// # Errors
    ///
    /// [`ConfigError::PepperTooShort`] below 32 bytes.
    pub fn with_pepper(pepper: &[u8]) -> Result<Self, ConfigError> {
        if pepper.len() < 32 {
            return Err(ConfigError::PepperTooShort(pepper.len()));
        }
        Ok(KeyHasher {
            pepper: Some(hmac::Key::new(hmac::HMAC_SHA256, pepper)),
        })
    }

    /// Hash a key.
    pub fn hash(&self, key: &ApiKeySecret) -> KeyHash {
        self.hash_bytes(key.expose_secret().as_bytes())
    }

    /// Hash the text of a key already checked for shape.
    pub(crate) fn hash_bytes(&self, data: &[u8]) -> KeyHash {
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
        let key = ApiKeySecret::generate("t").map_err(|e| e.to_string());
        let key = key.unwrap_or_else(|e| panic!("{e}"));
        let plain = KeyHasher::sha256().hash(&key);
        assert_eq!(KeyHash::from_hex(&plain.to_hex()), Some(plain));
        let peppered = KeyHasher::with_pepper(&[9u8; 32]).map(|h| h.hash(&key));
        assert!(peppered.is_ok_and(|p| !p.ct_eq(&plain)));
        assert!(KeyHasher::with_pepper(&[9u8; 8]).is_err());
        assert!(KeyHash::from_hex("zz").is_none());
    }
}
