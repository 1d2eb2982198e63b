//! The verified-token cache (opt-in): tokens whose signature was already checked, so that
//! a repeated RS256 or ES256 token costs a hash and a lookup instead of a signature check.
//!
//! Entries are keyed by SHA-256 of the token's signing input (header and payload; the
//! token itself is never a map key, so a lookup reveals nothing about cached tokens through
//! timing), bounded in number (`quick_cache`, S3-FIFO eviction), and hold the decoded
//! payload, a digest of the signature in its canonical form, the fingerprint of the key that verified
//! it, and `exp`. A hit is used only when the presented signature is the cached one (in
//! constant time), while `exp` has not passed and its key is still in the validator's key
//! set; the claims are checked again on every use.
//!
//! ECDSA signatures are malleable: if (r, s) verifies, so does (r, n − s), a second token
//! string for the same header, payload and key. Both are valid and both are accepted (many
//! signers, Node.js and Go among them, do not normalise s, so refusing high-s signatures
//! would refuse half of their tokens). What matters is that nothing keyed on tokens tells
//! the twins apart: the cache stores the low-s form and compares the presented signature
//! in that form, so a token and its twin are one entry. Anything of yours keyed on a token
//! (a denylist) should key on its `jti`, or on the signing input, never on the token
//! string.

use std::{fmt, sync::Arc};

use serde::Deserialize;
use subtle::ConstantTimeEq;

use super::{
    algorithm::Algorithm,
    b64::{SIGNATURE_BUF, with_decoded},
};

/// SHA-256 of a token's signing input, or of a signature.
pub(super) type Digest = [u8; 32];

pub(super) fn digest(text: &str) -> Digest {
    digest_bytes(text.as_bytes())
}

fn digest_bytes(bytes: &[u8]) -> Digest {
    let mut out = [0; 32];
    out.copy_from_slice(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bytes).as_ref());
    out
}

/// The order n of the curve of an ECDSA algorithm, big-endian, as long as its `s`.
fn curve_order(alg: Algorithm) -> Option<&'static [u8]> {
    const P256: [u8; 32] = [
        0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63,
        0x25, 0x51,
    ];
    const P384: [u8; 48] = [
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xc7, 0x63, 0x4d, 0x81, 0xf4, 0x37,
        0x2d, 0xdf, 0x58, 0x1a, 0x0d, 0xb2, 0x48, 0xb0, 0xa7, 0x7a, 0xec, 0xec, 0x19, 0x6a, 0xcc,
        0xc5, 0x29, 0x73,
    ];
    const P521: [u8; 66] = [
        0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xfa, 0x51, 0x86, 0x87, 0x83, 0xbf, 0x2f, 0x96, 0x6b, 0x7f, 0xcc, 0x01,
        0x48, 0xf7, 0x09, 0xa5, 0xd0, 0x3b, 0xb5, 0xc9, 0xb8, 0x89, 0x9c, 0x47, 0xae, 0xbb, 0x6f,
        0xb7, 0x1e, 0x91, 0x38, 0x64, 0x09,
    ];
    match alg {
        Algorithm::ES256 => Some(&P256),
        Algorithm::ES384 => Some(&P384),
        Algorithm::ES512 => Some(&P521),
        _ => None,
    }
}

/// SHA-256 of a presented signature in canonical form: for ECDSA (`r ‖ s`, decoded), with
/// `s` replaced by `n − s` when that is smaller (low-s), so a signature and its malleated
/// twin have one digest; for any other algorithm, of the base64url text as presented
/// (canonical, or verification refuses it), since none of them is malleable: RSA and HMAC
/// cannot be altered without the key, and Ed25519 verification refuses a non-canonical `S`.
/// `None` when the text does not decode. Runs on every cache hit, on the stack.
///
/// The low-s arithmetic is written by hand: a big-endian subtraction, where a bignum crate
/// would be a dependency for one operation.
pub(super) fn signature_digest(alg: Algorithm, signature_b64: &str) -> Option<Digest> {
    let Some(n) = curve_order(alg) else {
        return Some(digest(signature_b64));
    };
    with_decoded::<SIGNATURE_BUF, Option<Digest>>(signature_b64, |sig| {
        if sig.len() != 2 * n.len() {
            return Ok(None);
        }
        let mut canonical = [0u8; 2 * MAX_ORDER_LEN];
        let (r, s) = sig.split_at(n.len());
        canonical[..n.len()].copy_from_slice(r);
        let mut low = [0u8; MAX_ORDER_LEN];
        canonical[n.len()..sig.len()].copy_from_slice(low_s(n, s, &mut low));
        Ok(Some(digest_bytes(&canonical[..sig.len()])))
    })
    .ok()
    .flatten()
}

/// The longest curve order (P-521's).
const MAX_ORDER_LEN: usize = 66;

/// The smaller of `s` and `n − s` (big-endian, `n.len()` bytes), written into `buf`.
fn low_s<'a>(n: &[u8], s: &'a [u8], buf: &'a mut [u8; MAX_ORDER_LEN]) -> &'a [u8] {
    let twin = &mut buf[..n.len()];
    order_minus(n, s, twin);
    // Equal lengths, big-endian: byte order is numeric order.
    if &*twin < s { twin } else { s }
}

/// `out = n − s`, big-endian, all `n.len()` bytes (a verified s is below n: no borrow is
/// left).
fn order_minus(n: &[u8], s: &[u8], out: &mut [u8]) {
    let mut borrow = 0i16;
    for i in (0..n.len()).rev() {
        let mut d = i16::from(n[i]) - i16::from(s[i]) - borrow;
        borrow = i16::from(d < 0);
        if d < 0 {
            d += 256;
        }
        out[i] = d as u8;
    }
}

/// A verified token's decoded payload and what its validity depends on.
#[derive(Debug)]
pub(super) struct Entry {
    pub(super) payload: Box<[u8]>,
    /// The algorithm it was verified with, and the [`signature_digest`] of its signature.
    pub(super) alg: Algorithm,
    pub(super) signature: Digest,
    /// [`VerifyingKey::fingerprint`](super::VerifyingKey::fingerprint) of the key that verified it.
    pub(super) key: [u8; 16],
    /// `exp`, when the token has one: the entry is not used past it.
    pub(super) exp: Option<i64>,
}

impl Entry {
    pub(super) fn new(payload: &[u8], alg: Algorithm, signature: Digest, key: [u8; 16]) -> Entry {
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
            alg,
            signature,
            key,
            exp,
        }
    }

    /// Whether `signature_b64` (as presented) is this entry's signature, or its malleated
    /// twin.
    pub(super) fn same_signature(&self, signature_b64: &str) -> bool {
        signature_digest(self.alg, signature_b64)
            .is_some_and(|d| bool::from(d.ct_eq(&self.signature)))
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

#[cfg(test)]
mod tests {
    use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};

    use super::*;
    use crate::{
        error::{ConfigError, TokenError},
        jwt::JwtValidator,
        jwt::{
            Algorithm, NoClaims, VerifyingKey,
            validator::tests::{H, SECRET, hs256},
        },
    };

    #[test]
    fn the_cache_skips_the_signature_but_never_the_claims() -> Result<(), ConfigError> {
        let v = JwtValidator::builder()
            .key(VerifyingKey::hmac(Algorithm::HS256, SECRET)?)
            .issuer("iss")
            .audience("aud")
            .cache_verified(100)
            .build()?;
        let now = crate::clock::now();
        let token = hs256(
            H,
            &format!(r#"{{"iss":"iss","aud":"aud","exp":{}}}"#, now + 600),
        );
        assert!(v.verify_now(&token).is_ok());
        assert_eq!(v.cached_tokens(), 1);
        assert!(v.verify_claims_now::<NoClaims>(&token).is_ok());
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
        assert_eq!(v.verify_now(&expired).err(), Some(TokenError::Expired));
        let mut forged = token.clone();
        forged.pop();
        forged.push(if token.ends_with('A') { 'B' } else { 'A' });
        assert!(v.verify_now(&forged).is_err());
        assert_eq!(v.cached_tokens(), 1);
        Ok(())
    }

    fn entry(payload: &[u8]) -> Entry {
        Entry::new(payload, Algorithm::HS256, [0; 32], [1; 16])
    }

    #[test]
    fn entries_record_exp() {
        let e = entry(br#"{"sub":"a","exp":1700000000}"#);
        assert_eq!(e.exp, Some(1_700_000_000));
        assert_eq!(entry(br#"{"sub":"a"}"#).exp, None);
        assert_ne!(digest("a.b"), digest("a.c"));
    }

    #[test]
    fn the_cache_is_bounded() {
        let cache = VerifiedCache::new(10);
        for i in 0..100u8 {
            cache.insert([i; 32], entry(b"{}"));
        }
        assert!(cache.len() <= 10, "{}", cache.len());
    }

    /// The twin of an ECDSA token: the same header and payload, signature (r, n − s).
    fn twin(token: &str, alg: Algorithm) -> String {
        let (input, sig) = token.rsplit_once('.').unwrap_or_default();
        let mut sig = URL_SAFE_NO_PAD.decode(sig).unwrap_or_default();
        let n = curve_order(alg).unwrap_or_default();
        let mut twin = vec![0u8; n.len()];
        order_minus(n, &sig[n.len()..], &mut twin);
        sig[n.len()..].copy_from_slice(&twin);
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig))
    }

    /// Review item 12: an ECDSA token and its malleated twin (r, n − s) are one cache
    /// entry; both verify (signers need not normalise s); a signature that is neither is
    /// no hit.
    #[test]
    fn review_12_an_ecdsa_twin_is_the_same_cache_entry() -> Result<(), Box<dyn std::error::Error>> {
        use crate::jwt::{JwtIssuer, SigningKey};
        for alg in [Algorithm::ES256, Algorithm::ES384, Algorithm::ES512] {
            let key = SigningKey::generate(alg)?;
            let v = JwtValidator::builder()
                .key(key.verifying_key()?)
                .issuer("i")
                .audience("a")
                .cache_verified(100)
                .build()?;
            let token = JwtIssuer::new(key, "i", "a").issue("u", &[], &())?;
            let twin = twin(&token, alg);
            assert_ne!(token, twin);
            assert!(v.verify_now(&token).is_ok(), "{alg}");
            assert!(v.verify_now(&twin).is_ok(), "{alg}: the twin verifies too");
            assert_eq!(v.cached_tokens(), 1, "{alg}: the twin is another entry");
            // And it is a hit: the cached entry takes either signature as its own.
            let (input, token_sig) = token.rsplit_once('.').unwrap_or_default();
            let (_, twin_sig) = twin.rsplit_once('.').unwrap_or_default();
            let entry = v
                .inner
                .cache
                .as_ref()
                .and_then(|c| c.get(&digest(input)))
                .ok_or("no entry")?;
            assert!(entry.same_signature(token_sig) && entry.same_signature(twin_sig));
            assert!(!entry.same_signature(&URL_SAFE_NO_PAD.encode([9u8; 64])));
            // A forged signature over the cached input is not a hit.
            let n = curve_order(alg).unwrap_or_default().len();
            let forged = format!("{input}.{}", URL_SAFE_NO_PAD.encode(vec![7u8; 2 * n]));
            assert_eq!(
                v.verify_now(&forged).err(),
                Some(TokenError::Signature),
                "{alg}"
            );
        }
        Ok(())
    }
}
