//! Test kit (feature `test-util`): mint keys and tokens, well-formed or deliberately
//! broken, to test protected handlers the way this toolkit tests itself.
//!
//! ```
//! use auth_core::jwt::{Algorithm, JwtValidator};
//! use auth_core::test_util::{TestKey, TokenBuilder};
//!
//! let key = TestKey::new(Algorithm::ES256).with_kid("k1");
//! let validator = JwtValidator::builder()
//!     .key(key.verifying_key())
//!     .issuer("https://issuer.test")
//!     .audience("api")
//!     .build()?;
//! let good = TokenBuilder::valid(&key, "https://issuer.test", "api", "user-1").sign(&key);
//! assert!(validator.verify_now(&good).is_ok());
//! let expired = TokenBuilder::valid(&key, "https://issuer.test", "api", "user-1")
//!     .claim("exp", 1)
//!     .sign(&key);
//! assert!(validator.verify_now(&expired).is_err());
//! # Ok::<(), auth_core::error::ConfigError>(())
//! ```

// Helpers for tests: a failure here is a broken test set-up, and failing the test at once
// with the reason is the useful behaviour.
#![allow(clippy::expect_used)]

use aws_lc_rs::hmac;
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use serde_json::{Map, Value, json};

use crate::jwt::{Algorithm, SigningKey, VerifyingKey, sign_compact};

pub use crate::clock::now;

/// Unpadded base64url.
pub fn b64url(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A freshly generated key pair (or HMAC secret) for one algorithm.
#[derive(Debug)]
pub struct TestKey {
    key: SigningKey,
}

impl TestKey {
    /// Generate a key for `alg` (RSA-2048 for RS*/PS*).
    ///
    /// # Panics
    ///
    /// If the crypto backend cannot generate a key.
    pub fn new(alg: Algorithm) -> TestKey {
        TestKey {
            key: SigningKey::generate(alg).expect("test key generation"),
        }
    }

    /// A key from a given HMAC secret.
    ///
    /// # Panics
    ///
    /// If the secret is refused (too short, weak).
    pub fn hmac(alg: Algorithm, secret: &[u8]) -> TestKey {
        TestKey {
            key: SigningKey::hmac(alg, secret).expect("test HMAC secret"),
        }
    }

    /// Set the key id.
    pub fn with_kid(self, kid: &str) -> TestKey {
        TestKey {
            key: self.key.with_kid(kid),
        }
    }

    /// The algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.key.algorithm()
    }

    /// The key id, if any.
    pub fn kid(&self) -> Option<&str> {
        self.key.kid()
    }

    /// The verification key (with the same kid).
    ///
    /// # Panics
    ///
    /// If the public key cannot be encoded.
    pub fn verifying_key(&self) -> VerifyingKey {
        self.key.verifying_key().expect("test verifying key")
    }

    /// The public key as SPKI DER (asymmetric keys only).
    ///
    /// # Panics
    ///
    /// For an HMAC key.
    pub fn public_der(&self) -> Vec<u8> {
        self.key.public_key_der().expect("asymmetric test key")
    }

    /// The public key as a PEM `PUBLIC KEY` document (asymmetric keys only).
    pub fn public_pem(&self) -> String {
        pem::encode(&pem::Pem::new("PUBLIC KEY", self.public_der()))
    }

    /// The public key as a JWK (asymmetric keys only).
    ///
    /// # Panics
    ///
    /// For an HMAC key.
    pub fn public_jwk(&self) -> Value {
        self.key.public_jwk().expect("asymmetric test key")
    }

    /// A JWK Set holding the public keys of `keys`.
    pub fn jwks(keys: &[&TestKey]) -> String {
        json!({ "keys": keys.iter().map(|k| k.public_jwk()).collect::<Vec<_>>() }).to_string()
    }
}

/// Builds a token from arbitrary header and claims members.
#[derive(Debug, Clone, Default)]
pub struct TokenBuilder {
    header: Map<String, Value>,
    claims: Map<String, Value>,
}

impl TokenBuilder {
    /// Empty header and claims.
    pub fn new() -> TokenBuilder {
        TokenBuilder::default()
    }

    /// A header for `key` (`alg`, `typ: JWT`, and `kid` when the key has one) and no claims.
    pub fn for_key(key: &TestKey) -> TokenBuilder {
        let mut b = TokenBuilder::new()
            .header("alg", key.algorithm().as_str())
            .header("typ", "JWT");
        if let Some(kid) = key.key.kid() {
            b = b.header("kid", kid);
        }
        b
    }

    /// A token that a validator with this issuer and audience accepts: `iss`, `aud`, `sub`,
    /// `iat` now and `exp` in ten minutes.
    pub fn valid(key: &TestKey, iss: &str, aud: &str, sub: &str) -> TokenBuilder {
        let now = now();
        TokenBuilder::for_key(key)
            .claim("iss", iss)
            .claim("aud", aud)
            .claim("sub", sub)
            .claim("iat", now)
            .claim("exp", now + 600)
    }

    /// Set a header member.
    pub fn header(mut self, name: &str, value: impl Into<Value>) -> TokenBuilder {
        self.header.insert(name.into(), value.into());
        self
    }

    /// Set a claim.
    pub fn claim(mut self, name: &str, value: impl Into<Value>) -> TokenBuilder {
        self.claims.insert(name.into(), value.into());
        self
    }

    /// Remove a claim.
    pub fn remove_claim(mut self, name: &str) -> TokenBuilder {
        self.claims.remove(name);
        self
    }

    /// The header as JSON.
    pub fn header_json(&self) -> String {
        Value::Object(self.header.clone()).to_string()
    }

    /// The claims as JSON.
    pub fn claims_json(&self) -> String {
        Value::Object(self.claims.clone()).to_string()
    }

    /// Sign with `key` (whatever the header's `alg` says).
    ///
    /// # Panics
    ///
    /// If signing fails.
    pub fn sign(&self, key: &TestKey) -> String {
        sign_raw(
            self.header_json().as_bytes(),
            self.claims_json().as_bytes(),
            key,
        )
    }

    /// Sign with HMAC-SHA256 under an arbitrary secret, with no strength check: for
    /// algorithm-confusion attacks (the public key's bytes used as the secret).
    pub fn sign_hs256_with(&self, secret: &[u8]) -> String {
        let input = format!(
            "{}.{}",
            b64url(self.header_json()),
            b64url(self.claims_json())
        );
        let tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, secret), input.as_bytes());
        format!("{input}.{}", b64url(tag.as_ref()))
    }

    /// `header.payload.` with an empty signature.
    pub fn unsigned(&self) -> String {
        format!(
            "{}.{}.",
            b64url(self.header_json()),
            b64url(self.claims_json())
        )
    }
}

/// Sign raw header and payload bytes (which need not be valid JSON).
///
/// # Panics
///
/// If signing fails.
pub fn sign_raw(header: &[u8], payload: &[u8], key: &TestKey) -> String {
    sign_compact(header, payload, &key.key).expect("test signing")
}

#[cfg(feature = "login")]
mod refresh_store;
#[cfg(feature = "login")]
#[cfg_attr(docsrs, doc(cfg(feature = "login")))]
pub use refresh_store::refresh_store_conformance;
