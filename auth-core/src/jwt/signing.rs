//! Signing keys: [`SigningKey`] and the compact signer [`sign_compact`], behind
//! [`JwtIssuer`](super::JwtIssuer).
//!
//! Signing uses aws-lc-rs directly, the same primitives the validator verifies with, so a
//! key pair is generated, used and published (as a JWK) in one place. The test kit signs
//! deliberately broken tokens through [`sign_compact`], with the same code.

use std::fmt;

use aws_lc_rs::{
    encoding::AsDer,
    hmac, rand,
    rsa::{self, KeySize},
    signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair},
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use serde_json::{Value, json};

use super::{
    algorithm::{Algorithm, Family},
    key::{VerifyingKey, check_hmac_secret},
};
use crate::error::ConfigError;

/// Why a token could not be minted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IssueError {
    /// The crypto backend failed to sign.
    #[error("signing failed")]
    Sign,
    /// The custom claims do not serialize to a JSON object.
    #[error("custom claims must serialize to a JSON object")]
    Claims,
    /// The custom claims set a claim the issuer owns (`iss`, `sub`, `aud`, `exp`, `nbf`,
    /// `iat`, `jti`) or a scope claim (`scope`, `scp`).
    #[error("custom claims may not set the registered or scope claim {0:?}")]
    ReservedClaim(&'static str),
}

/// A private key (or HMAC secret) that signs tokens of one algorithm.
///
/// # Security
///
/// `Debug` prints the algorithm and key id only.
pub struct SigningKey {
    alg: Algorithm,
    kid: Option<String>,
    signer: Signer,
}

enum Signer {
    Hmac {
        key: Box<hmac::Key>,
        /// Kept to derive the verifying key; wiped when the key is dropped.
        secret: zeroize::Zeroizing<Vec<u8>>,
    },
    Rsa(rsa::KeyPair),
    Ec(EcdsaKeyPair),
    Ed(Ed25519KeyPair),
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("alg", &self.alg)
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

fn ec_signing(alg: Algorithm) -> Option<&'static signature::EcdsaSigningAlgorithm> {
    match alg {
        Algorithm::ES256 => Some(&signature::ECDSA_P256_SHA256_FIXED_SIGNING),
        Algorithm::ES384 => Some(&signature::ECDSA_P384_SHA384_FIXED_SIGNING),
        Algorithm::ES512 => Some(&signature::ECDSA_P521_SHA512_FIXED_SIGNING),
        _ => None,
    }
}

fn rsa_padding(alg: Algorithm) -> &'static dyn signature::RsaEncoding {
    match alg {
        Algorithm::RS384 => &signature::RSA_PKCS1_SHA384,
        Algorithm::RS512 => &signature::RSA_PKCS1_SHA512,
        Algorithm::PS256 => &signature::RSA_PSS_SHA256,
        Algorithm::PS384 => &signature::RSA_PSS_SHA384,
        Algorithm::PS512 => &signature::RSA_PSS_SHA512,
        _ => &signature::RSA_PKCS1_SHA256,
    }
}

impl SigningKey {
    /// An HMAC signing secret (same length and strength rules as [`VerifyingKey::hmac`]).
    ///
    /// # Errors
    ///
    /// [`ConfigError`] for a secret that is too short or well known, or an `alg` that is
    /// not HMAC.
    pub fn hmac(alg: Algorithm, secret: impl AsRef<[u8]>) -> Result<SigningKey, ConfigError> {
        let secret = secret.as_ref();
        let hmac_alg = check_hmac_secret(alg, secret)?;
        Ok(SigningKey {
            alg,
            kid: None,
            signer: Signer::Hmac {
                key: Box::new(hmac::Key::new(hmac_alg, secret)),
                secret: zeroize::Zeroizing::new(secret.to_vec()),
            },
        })
    }

    /// A fresh key from the OS random number generator: a secret as long as the hash for
    /// HMAC, RSA-2048, the algorithm's curve for ECDSA, or Ed25519.
    ///
    /// # Errors
    ///
    /// [`ConfigError`] when the system's random number generator fails.
    pub fn generate(alg: Algorithm) -> Result<SigningKey, ConfigError> {
        let failed = ConfigError::InvalidKey {
            alg: alg.as_str(),
            reason: "key generation failed",
        };
        let signer = match alg.family() {
            Family::Hmac => {
                let mut secret = zeroize::Zeroizing::new(vec![0u8; alg.min_secret_len()]);
                rand::fill(secret.as_mut_slice()).map_err(|_| failed)?;
                return SigningKey::hmac(alg, secret.as_slice());
            }
            Family::Rsa => {
                Signer::Rsa(rsa::KeyPair::generate(KeySize::Rsa2048).map_err(|_| failed)?)
            }
            Family::Ec => {
                let ec = ec_signing(alg).ok_or(ConfigError::UnknownAlgorithm)?;
                Signer::Ec(EcdsaKeyPair::generate(ec).map_err(|_| failed)?)
            }
            Family::Ed25519 => Signer::Ed(Ed25519KeyPair::generate().map_err(|_| failed)?),
        };
        Ok(SigningKey {
            alg,
            kid: None,
            signer,
        })
    }

    /// A private key in PKCS#8 DER.
    ///
    /// # Errors
    ///
    /// [`ConfigError`] when the DER is not a private key of `alg`'s family, or an RSA key
    /// is under 2048 bits.
    pub fn from_pkcs8_der(alg: Algorithm, der: &[u8]) -> Result<SigningKey, ConfigError> {
        let invalid = ConfigError::InvalidKey {
            alg: alg.as_str(),
            reason: "not a PKCS#8 private key of this algorithm's type",
        };
        let signer = match alg.family() {
            Family::Hmac => return Err(invalid),
            Family::Rsa => {
                let kp = rsa::KeyPair::from_pkcs8(der).map_err(|_| invalid)?;
                if kp.public_modulus_len() * 8 < 2048 {
                    return Err(ConfigError::RsaKeyTooSmall(kp.public_modulus_len() * 8));
                }
                Signer::Rsa(kp)
            }
            Family::Ec => {
                let ec = ec_signing(alg).ok_or(ConfigError::UnknownAlgorithm)?;
                Signer::Ec(EcdsaKeyPair::from_pkcs8(ec, der).map_err(|_| invalid)?)
            }
            Family::Ed25519 => {
                Signer::Ed(Ed25519KeyPair::from_pkcs8_maybe_unchecked(der).map_err(|_| invalid)?)
            }
        };
        Ok(SigningKey {
            alg,
            kid: None,
            signer,
        })
    }

    /// A private key in PEM (`PRIVATE KEY`, PKCS#8).
    ///
    /// # Errors
    ///
    /// [`ConfigError`] when the PEM does not hold a PKCS#8 private key of `alg`'s family.
    pub fn from_pkcs8_pem(
        alg: Algorithm,
        pem: impl AsRef<[u8]>,
    ) -> Result<SigningKey, ConfigError> {
        let parsed = pem::parse(pem.as_ref()).map_err(|_| ConfigError::InvalidKey {
            alg: alg.as_str(),
            reason: "not a PEM document",
        })?;
        if parsed.tag() != "PRIVATE KEY" {
            return Err(ConfigError::InvalidKey {
                alg: alg.as_str(),
                reason: "expected a PKCS#8 \"PRIVATE KEY\" PEM",
            });
        }
        SigningKey::from_pkcs8_der(alg, parsed.contents())
    }

    /// Set the key id written into tokens' `kid` header.
    pub fn with_kid(mut self, kid: impl Into<String>) -> SigningKey {
        self.kid = Some(kid.into());
        self
    }

    /// The algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.alg
    }

    /// The key id, if any.
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// Sign `message` (a JWS signing input).
    ///
    /// # Errors
    ///
    /// [`IssueError`] when the signature cannot be made.
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, IssueError> {
        let rng = rand::SystemRandom::new();
        match &self.signer {
            Signer::Hmac { key, .. } => Ok(hmac::sign(key, message).as_ref().to_vec()),
            Signer::Rsa(kp) => {
                let mut sig = vec![0u8; kp.public_modulus_len()];
                kp.sign(rsa_padding(self.alg), &rng, message, &mut sig)
                    .map_err(|_| IssueError::Sign)?;
                Ok(sig)
            }
            Signer::Ec(kp) => Ok(kp
                .sign(&rng, message)
                .map_err(|_| IssueError::Sign)?
                .as_ref()
                .to_vec()),
            Signer::Ed(kp) => Ok(kp.sign(message).as_ref().to_vec()),
        }
    }

    /// The public key (SPKI DER) of an asymmetric key; `None` for HMAC.
    pub fn public_key_der(&self) -> Option<Vec<u8>> {
        let der = match &self.signer {
            Signer::Hmac { .. } => return None,
            Signer::Rsa(kp) => kp.public_key().as_der().ok()?,
            Signer::Ec(kp) => kp.public_key().as_der().ok()?,
            Signer::Ed(kp) => kp.public_key().as_der().ok()?,
        };
        Some(der.as_ref().to_vec())
    }

    /// The matching verification key (with the same `kid`).
    ///
    /// # Errors
    ///
    /// [`ConfigError`] when the public key cannot be derived (it always can for the keys
    /// this type builds).
    pub fn verifying_key(&self) -> Result<VerifyingKey, ConfigError> {
        let key = match &self.signer {
            Signer::Hmac { secret, .. } => VerifyingKey::hmac(self.alg, secret.as_slice())?,
            _ => {
                let der = self.public_key_der().ok_or(ConfigError::InvalidKey {
                    alg: self.alg.as_str(),
                    reason: "cannot encode the public key",
                })?;
                VerifyingKey::from_der(self.alg, der)?
            }
        };
        Ok(match &self.kid {
            Some(kid) => key.with_kid(kid.clone()),
            None => key,
        })
    }

    /// The public key as a JWK (RFC 7517) with `alg`, `use: sig` and `kid`; `None` for
    /// HMAC keys, which are never published.
    pub fn public_jwk(&self) -> Option<Value> {
        let b64 = |b: &[u8]| URL_SAFE_NO_PAD.encode(b);
        let mut jwk = match &self.signer {
            Signer::Hmac { .. } => return None,
            Signer::Rsa(kp) => {
                let pk = kp.public_key();
                json!({
                    "kty": "RSA",
                    "n": b64(pk.modulus().big_endian_without_leading_zero()),
                    "e": b64(pk.exponent().big_endian_without_leading_zero()),
                })
            }
            Signer::Ec(kp) => {
                let point = kp.public_key().as_ref();
                let size = (point.len() - 1) / 2;
                json!({
                    "kty": "EC",
                    "crv": self.alg.curve(),
                    "x": b64(&point[1..1 + size]),
                    "y": b64(&point[1 + size..]),
                })
            }
            Signer::Ed(kp) => json!({
                "kty": "OKP",
                "crv": "Ed25519",
                "x": b64(kp.public_key().as_ref()),
            }),
        };
        jwk["alg"] = json!(self.alg.as_str());
        jwk["use"] = json!("sig");
        if let Some(kid) = &self.kid {
            jwk["kid"] = json!(kid);
        }
        Some(jwk)
    }
}

/// Sign an arbitrary header and payload (raw bytes, base64url-encoded here) into a compact
/// JWS. No check is made on either: this is the low-level tool behind
/// [`JwtIssuer`](super::JwtIssuer) and the test kit.
///
/// # Errors
///
/// [`IssueError`] when the signature cannot be made.
pub fn sign_compact(header: &[u8], payload: &[u8], key: &SigningKey) -> Result<String, IssueError> {
    let mut token = URL_SAFE_NO_PAD.encode(header);
    token.push('.');
    URL_SAFE_NO_PAD.encode_string(payload, &mut token);
    let sig = key.sign(token.as_bytes())?;
    token.push('.');
    URL_SAFE_NO_PAD.encode_string(sig, &mut token);
    Ok(token)
}
