//! Minting the app's own tokens: [`SigningKey`] and [`JwtIssuer`].
//!
//! Signing uses aws-lc-rs directly, the same primitives the validator verifies with, so a
//! key pair is generated, used and published (as a JWK) in one place. The test kit signs
//! deliberately broken tokens through [`sign_compact`], with the same code.

use std::{fmt, time::Duration};

use aws_lc_rs::{
    encoding::AsDer,
    hmac, rand,
    rsa::{self, KeySize},
    signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair},
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use serde::Serialize;
use serde_json::{Map, Value, json};

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
/// JWS. No check is made on either: this is the low-level tool behind [`JwtIssuer`] and the
/// test kit.
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

/// Mints the app's own tokens: `iss`, `sub`, `aud`, `iat`, `exp`, a random `jti`, `scope`,
/// plus the app's claims.
///
/// ```
/// use auth_core::jwt::{Algorithm, JwtIssuer, JwtValidator, NoClaims, SigningKey};
///
/// let key = SigningKey::hmac(Algorithm::HS256, b"0123456789abcdefghijklmnopqrstuv")?;
/// let validator = JwtValidator::builder()
///     .key(key.verifying_key()?)
///     .issuer("me")
///     .audience("my-api")
///     .build()?;
/// let issuer = JwtIssuer::new(key, "me", "my-api");
/// let token = issuer.issue("user-1", &["read"], &serde_json::json!({"name": "Ada"}))?;
/// let jwt = validator.verify_now(&token)?;
/// assert_eq!(jwt.registered().sub(), Some("user-1"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct JwtIssuer {
    key: SigningKey,
    /// Keys it signed with before: verified, published, never used to sign.
    previous: Vec<SigningKey>,
    issuer: String,
    audience: String,
    ttl: Duration,
    typ: String,
}

impl JwtIssuer {
    /// An issuer that signs with `key` as `issuer` for `audience`, with a 15-minute lifetime.
    pub fn new(key: SigningKey, issuer: impl Into<String>, audience: impl Into<String>) -> Self {
        JwtIssuer {
            key,
            previous: Vec::new(),
            issuer: issuer.into(),
            audience: audience.into(),
            ttl: Duration::from_secs(15 * 60),
            typ: "JWT".into(),
        }
    }

    /// Token lifetime (default 15 minutes).
    pub fn ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }

    /// The header `typ` (default `JWT`).
    pub fn typ(mut self, typ: impl Into<String>) -> Self {
        self.typ = typ.into();
        self
    }

    /// The token lifetime.
    pub fn lifetime(&self) -> Duration {
        self.ttl
    }

    /// The signing key.
    pub fn key(&self) -> &SigningKey {
        &self.key
    }

    /// A key this issuer signed with before the current one (key rotation): the tokens it
    /// signed stay valid until they expire — [`validator`](Self::validator) accepts them and
    /// [`jwks`](Self::jwks) publishes its public half — while new tokens are signed with the
    /// current key. Give every key its own `kid` ([`SigningKey::with_kid`]); drop the old
    /// key once the tokens' lifetime has passed since the rotation.
    pub fn previous_key(mut self, key: SigningKey) -> Self {
        self.previous.push(key);
        self
    }

    /// The JWK Set (RFC 7517) of this issuer's public keys, the current one first: what a
    /// `/.well-known/jwks.json` route serves so that other services verify the app's tokens
    /// through a key set that follows its rotations. HMAC keys are never published.
    pub fn jwks(&self) -> Value {
        let keys: Vec<Value> = std::iter::once(&self.key)
            .chain(&self.previous)
            .filter_map(SigningKey::public_jwk)
            .collect();
        json!({ "keys": keys })
    }

    /// The `iss` of its tokens.
    pub fn iss(&self) -> &str {
        &self.issuer
    }

    /// The `aud` of its tokens.
    pub fn audience(&self) -> &str {
        &self.audience
    }

    /// A validator builder for this issuer's tokens: its verifying keys (current and
    /// previous) and their algorithms, its `iss` and `aud`, `sub` required. Add token sources, a realm, sign-outs, and build.
    ///
    /// # Errors
    ///
    /// The verifying key cannot be derived from the signing key.
    pub fn validator(&self) -> Result<super::JwtValidatorBuilder, ConfigError> {
        let mut algorithms = vec![self.key.alg];
        let mut builder = super::JwtValidator::builder().key(self.key.verifying_key()?);
        for key in &self.previous {
            builder = builder.key(key.verifying_key()?);
            if !algorithms.contains(&key.alg) {
                algorithms.push(key.alg);
            }
        }
        Ok(builder
            .algorithms(algorithms)
            .issuer(self.issuer.clone())
            .audience(self.audience.clone())
            .require_claim(super::ClaimName::Sub))
    }

    /// Mint a token for `subject` with `scopes` and the app's `custom` claims (an object, or
    /// `()` for none).
    ///
    /// # Security
    ///
    /// The registered claims (`iss`, `sub`, `aud`, `exp`, `nbf`, `iat`, `jti`) and the scope
    /// claims (`scope`, `scp`) are the issuer's alone: custom claims that set any of them are
    /// refused ([`IssueError::ReservedClaim`]), never merged, so claims copied from
    /// elsewhere (a provider's, a request's) can grant no scope and move no time.
    ///
    /// # Errors
    ///
    /// [`IssueError::ReservedClaim`] when `custom` sets a registered or scope claim;
    /// [`IssueError`] when `custom` is not a JSON object or the token cannot be signed.
    pub fn issue<C: Serialize + ?Sized>(
        &self,
        subject: &str,
        scopes: &[&str],
        custom: &C,
    ) -> Result<String, IssueError> {
        self.issue_at(subject, scopes, custom, crate::clock::now())
    }

    /// [`issue`](Self::issue) with `iat` = `now` (the sign-in routes move it past a
    /// sign-out epoch of the same second).
    pub(crate) fn issue_at<C: Serialize + ?Sized>(
        &self,
        subject: &str,
        scopes: &[&str],
        custom: &C,
        now: i64,
    ) -> Result<String, IssueError> {
        let mut claims = match serde_json::to_value(custom).map_err(|_| IssueError::Claims)? {
            Value::Object(map) => map,
            Value::Null => Map::new(),
            _ => return Err(IssueError::Claims),
        };
        if let Some(name) = super::claims::REGISTERED
            .into_iter()
            .find(|name| claims.contains_key(*name))
        {
            return Err(IssueError::ReservedClaim(name));
        }
        let mut jti = [0u8; 16];
        rand::fill(&mut jti).map_err(|_| IssueError::Sign)?;
        claims.insert("iss".into(), json!(self.issuer));
        claims.insert("sub".into(), json!(subject));
        claims.insert("aud".into(), json!(self.audience));
        claims.insert("iat".into(), json!(now));
        let ttl = i64::try_from(self.ttl.as_secs()).unwrap_or(i64::MAX);
        claims.insert("exp".into(), json!(now.saturating_add(ttl)));
        claims.insert("jti".into(), json!(URL_SAFE_NO_PAD.encode(jti)));
        if !scopes.is_empty() {
            claims.insert("scope".into(), json!(scopes.join(" ")));
        }
        let mut header = json!({"alg": self.key.alg.as_str(), "typ": self.typ});
        if let Some(kid) = &self.key.kid {
            header["kid"] = json!(kid);
        }
        let header = serde_json::to_vec(&header).map_err(|_| IssueError::Claims)?;
        let payload = serde_json::to_vec(&claims).map_err(|_| IssueError::Claims)?;
        sign_compact(&header, &payload, &self.key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jwt::JwtValidator;

    #[test]
    fn every_algorithm_round_trips() -> Result<(), Box<dyn std::error::Error>> {
        for alg in Algorithm::ALL {
            let key = SigningKey::generate(alg)?.with_kid(format!("k-{alg}"));
            let v = JwtValidator::builder()
                .key(key.verifying_key()?)
                .issuer("i")
                .audience("a")
                .build()?;
            let token = JwtIssuer::new(key, "i", "a").issue("s", &["x"], &())?;
            let jwt = v.verify_now(&token)?;
            assert_eq!(jwt.registered().sub(), Some("s"), "{alg}");
            assert!(jwt.scopes().contains("x"));
            let claims = jwt.into_claims::<crate::jwt::NoClaims>()?;
            assert_eq!(claims.sub(), Some("s"));
        }
        Ok(())
    }

    #[test]
    fn pkcs8_pem_private_keys_sign() -> Result<(), Box<dyn std::error::Error>> {
        use base64::{Engine, engine::general_purpose::STANDARD};
        let der = aws_lc_rs::signature::EcdsaKeyPair::generate_pkcs8(
            &aws_lc_rs::signature::ECDSA_P256_SHA256_FIXED_SIGNING,
            &aws_lc_rs::rand::SystemRandom::new(),
        )?;
        let body = STANDARD.encode(der.as_ref());
        let lines: Vec<&str> = body
            .as_bytes()
            .chunks(64)
            .map(std::str::from_utf8)
            .collect::<Result<_, _>>()?;
        let pem = format!(
            "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
            lines.join("\n")
        );
        let key = SigningKey::from_pkcs8_pem(Algorithm::ES256, &pem)?;
        let v = JwtValidator::builder()
            .key(key.verifying_key()?)
            .issuer("i")
            .audience("a")
            .build()?;
        let token = JwtIssuer::new(key, "i", "a").issue("s", &[], &())?;
        assert!(v.verify_now(&token).is_ok());
        // A key of another family, or no PEM at all, is refused with a reason.
        assert!(SigningKey::from_pkcs8_pem(Algorithm::RS256, &pem).is_err());
        assert!(SigningKey::from_pkcs8_pem(Algorithm::ES256, "not a key").is_err());
        Ok(())
    }

    #[test]
    fn public_jwk_round_trips() -> Result<(), Box<dyn std::error::Error>> {
        for alg in [
            Algorithm::RS256,
            Algorithm::PS384,
            Algorithm::ES256,
            Algorithm::ES512,
            Algorithm::EdDSA,
        ] {
            let key = SigningKey::generate(alg)?.with_kid("k");
            let jwk = key.public_jwk().ok_or("no jwk")?;
            let v = JwtValidator::builder()
                .key(VerifyingKey::from_jwk(&jwk.to_string())?)
                .allow_missing_exp()
                .build()?;
            let token = sign_compact(
                format!(r#"{{"alg":"{alg}","kid":"k"}}"#).as_bytes(),
                b"{}",
                &key,
            )?;
            assert!(v.verify_now(&token).is_ok(), "{alg}");
        }
        assert!(
            SigningKey::generate(Algorithm::HS256)?
                .public_jwk()
                .is_none()
        );
        Ok(())
    }

    #[test]
    fn custom_claims_must_be_an_object() -> Result<(), Box<dyn std::error::Error>> {
        let issuer = JwtIssuer::new(SigningKey::generate(Algorithm::HS256)?, "i", "a");
        assert_eq!(
            issuer.issue("s", &[], &[1, 2]).err(),
            Some(IssueError::Claims)
        );
        Ok(())
    }

    /// Review item 6: custom claims can set no registered or scope claim.
    #[test]
    fn review_06_custom_claims_cannot_grant_scopes_or_move_times()
    -> Result<(), Box<dyn std::error::Error>> {
        let key = SigningKey::generate(Algorithm::HS256)?;
        let v = JwtValidator::builder()
            .key(key.verifying_key()?)
            .issuer("i")
            .audience("a")
            .build()?;
        let issuer = JwtIssuer::new(key, "i", "a");
        for (custom, name) in [
            (json!({"scp": ["admin"]}), "scp"),
            (json!({"scope": "admin"}), "scope"),
            (json!({"nbf": 0}), "nbf"),
            (json!({"exp": 99_999_999_999_i64}), "exp"),
            (json!({"sub": "root", "name": "x"}), "sub"),
            (json!({"iss": "elsewhere"}), "iss"),
        ] {
            assert_eq!(
                issuer.issue("u", &["read"], &custom).err(),
                Some(IssueError::ReservedClaim(name)),
                "{custom}"
            );
        }
        let token = issuer.issue("u", &["read"], &json!({"idp": "oidc"}))?;
        let jwt = v.verify_now(&token)?;
        assert!(jwt.scopes().contains("read") && !jwt.scopes().contains("admin"));
        Ok(())
    }
}
