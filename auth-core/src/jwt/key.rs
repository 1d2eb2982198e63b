//! Verification keys, each bound to exactly one algorithm, parsed once at start-up.
//!
//! Sources: HMAC secrets, PEM and DER public keys (SPKI, PKCS#1 for RSA, SEC1 points for EC,
//! raw 32-byte Ed25519), RSA components, and JWK / JWKS documents given as text or read
//! from a file. Every refusal happens here, at configuration time: short or well-known HMAC
//! secrets, RSA keys under 2048 bits, keys of the wrong family for their algorithm.

use std::{fmt, path::Path};

use aws_lc_rs::{
    encoding::AsDer,
    hmac,
    rsa::{PublicEncryptingKey, PublicKeyComponents},
    signature::ParsedPublicKey,
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use serde::Deserialize;

use super::algorithm::{Algorithm, Family};
use crate::error::ConfigError;

/// A key that verifies signatures of exactly one algorithm.
///
/// ```
/// use auth_core::jwt::{Algorithm, VerifyingKey};
/// let key = VerifyingKey::hmac(Algorithm::HS256, b"0123456789abcdefghijklmnopqrstuv")?
///     .with_kid("2026-11");
/// assert_eq!(key.algorithm(), Algorithm::HS256);
/// assert!(VerifyingKey::hmac(Algorithm::HS256, b"too short").is_err());
/// # Ok::<(), auth_core::error::ConfigError>(())
/// ```
///
/// # Security
///
/// `Debug` prints the algorithm and key id only, never key material.
pub struct VerifyingKey {
    kid: Option<String>,
    alg: Algorithm,
    material: Material,
    /// Identifies the key material and algorithm (not the kid), so that a key fetched
    /// again is recognised as the same key: the verified-token cache drops entries whose
    /// key has left the set.
    fingerprint: [u8; 16],
}

/// The first 16 bytes of SHA-256 over the algorithm name and `material`.
fn fingerprint(alg: Algorithm, material: &[u8]) -> [u8; 16] {
    let mut ctx = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
    ctx.update(alg.as_str().as_bytes());
    ctx.update(&[0]);
    ctx.update(material);
    let mut out = [0; 16];
    out.copy_from_slice(&ctx.finish().as_ref()[..16]);
    out
}

// The HMAC variant is large (aws-lc keeps precomputed pads), but keys are few and live in
// one Vec: keeping it inline spares the hot path a pointer chase.
#[allow(clippy::large_enum_variant)]
enum Material {
    Hmac(hmac::Key),
    Public(ParsedPublicKey),
}

impl fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifyingKey")
            .field("alg", &self.alg)
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

/// Secrets seen in tutorials and leaked configs; a secret equal to one of these, or made
/// by repeating one, is refused when the key is configured.
const WEAK_SECRETS: &[&str] = &[
    "secret",
    "password",
    "changeme",
    "change-me",
    "changeit",
    "your-256-bit-secret",
    "your-384-bit-secret",
    "your-512-bit-secret",
    "jwt_secret",
    "jwtsecret",
    "jwt-secret",
    "secretkey",
    "secret-key",
    "secret_key",
    "mysecret",
    "my-secret",
    "supersecret",
    "super-secret",
    "your_jwt_secret",
    "shhhhh",
    "0123456789",
    "1234567890",
    "qwertyuiop",
    "abcdefghijklmnopqrstuvwxyz",
];

fn is_weak_secret(secret: &[u8]) -> bool {
    let mut distinct = [false; 256];
    for &b in secret {
        distinct[b as usize] = true;
    }
    if distinct.iter().filter(|&&d| d).count() < 8 {
        return true;
    }
    let lower = secret.to_ascii_lowercase();
    WEAK_SECRETS.iter().any(|w| {
        let w = w.as_bytes();
        // The secret is `w` repeated (possibly cut short at the end).
        lower.len() >= w.len() && lower.iter().zip(w.iter().cycle()).all(|(a, b)| a == b)
    })
}

impl VerifyingKey {
    /// An HMAC key for `HS256`, `HS384` or `HS512`.
    ///
    /// Refuses secrets shorter than the hash output (32, 48, 64 bytes; RFC 7518 §3.2) and
    /// well-known or low-entropy secrets.
    ///
    /// # Errors
    ///
    /// [`ConfigError::SecretTooShort`], [`ConfigError::WeakSecret`], or
    /// [`ConfigError::InvalidKey`] when `alg` is not HMAC.
    pub fn hmac(alg: Algorithm, secret: impl AsRef<[u8]>) -> Result<VerifyingKey, ConfigError> {
        let secret = secret.as_ref();
        let hmac_alg = check_hmac_secret(alg, secret)?;
        let key = hmac::Key::new(hmac_alg, secret);
        // Keyed by the secret itself, so the fingerprint reveals nothing about it.
        let tag = hmac::sign(&key, b"auth-core key fingerprint");
        Ok(VerifyingKey {
            kid: None,
            alg,
            material: Material::Hmac(key),
            fingerprint: fingerprint(alg, tag.as_ref()),
        })
    }

    /// A public key in PEM: `PUBLIC KEY` (SPKI) for any family, or `RSA PUBLIC KEY`
    /// (PKCS#1) for RSA.
    ///
    /// # Errors
    ///
    /// [`ConfigError`] when the PEM is not a public key of `alg`'s family, or an RSA key is
    /// under 2048 bits.
    pub fn from_pem(alg: Algorithm, pem: impl AsRef<[u8]>) -> Result<VerifyingKey, ConfigError> {
        let invalid = |reason| ConfigError::InvalidKey {
            alg: alg.as_str(),
            reason,
        };
        let parsed = pem::parse(pem.as_ref()).map_err(|_| invalid("not a PEM document"))?;
        match parsed.tag() {
            "PUBLIC KEY" => {}
            "RSA PUBLIC KEY" if alg.family() == Family::Rsa => {}
            "CERTIFICATE" => return Err(invalid("a certificate; give its public key instead")),
            t if t.contains("PRIVATE") => {
                return Err(invalid("a private key where a public key was expected"));
            }
            _ => return Err(invalid("unexpected PEM label")),
        }
        VerifyingKey::from_der(alg, parsed.contents())
    }

    /// A public key in DER: SPKI for any family, PKCS#1 `RSAPublicKey` for RSA, an
    /// uncompressed SEC1 point for EC, or the raw 32 bytes for Ed25519.
    ///
    /// # Errors
    ///
    /// [`ConfigError`] when the DER is not a public key of `alg`'s family, or an RSA key is
    /// under 2048 bits.
    pub fn from_der(alg: Algorithm, der: impl AsRef<[u8]>) -> Result<VerifyingKey, ConfigError> {
        let Some(verification) = alg.verification() else {
            return Err(ConfigError::InvalidKey {
                alg: alg.as_str(),
                reason: "HMAC keys are secrets, not DER public keys; use VerifyingKey::hmac",
            });
        };
        let key = ParsedPublicKey::new(verification, der.as_ref()).map_err(|_| {
            ConfigError::InvalidKey {
                alg: alg.as_str(),
                reason: "the bytes are not a public key of this algorithm's type",
            }
        })?;
        if alg.family() == Family::Rsa {
            let bits = rsa_bits(&key).ok_or(ConfigError::InvalidKey {
                alg: alg.as_str(),
                reason: "cannot read the RSA modulus",
            })?;
            if bits < 2048 {
                return Err(ConfigError::RsaKeyTooSmall(bits));
            }
        }
        Ok(VerifyingKey {
            kid: None,
            alg,
            material: Material::Public(key),
            fingerprint: fingerprint(alg, der.as_ref()),
        })
    }

    /// An RSA public key from its modulus and exponent (big-endian bytes).
    ///
    /// # Errors
    ///
    /// [`ConfigError`] when `alg` is not an RSA algorithm, or the key is under 2048 bits.
    pub fn rsa_components(alg: Algorithm, n: &[u8], e: &[u8]) -> Result<VerifyingKey, ConfigError> {
        if alg.family() != Family::Rsa {
            return Err(ConfigError::InvalidKey {
                alg: alg.as_str(),
                reason: "RSA components given for a non-RSA algorithm",
            });
        }
        let der = PublicKeyComponents { n, e }
            .as_der()
            .map_err(|_| ConfigError::InvalidKey {
                alg: alg.as_str(),
                reason: "the modulus or exponent is not valid",
            })?;
        VerifyingKey::from_der(alg, der.as_ref())
    }

    /// A PEM public key read from `path`.
    ///
    /// # Errors
    ///
    /// [`ConfigError::Io`] when the file cannot be read, and the errors of
    /// [`from_pem`](Self::from_pem).
    pub fn from_pem_file(
        alg: Algorithm,
        path: impl AsRef<Path>,
    ) -> Result<VerifyingKey, ConfigError> {
        VerifyingKey::from_pem(alg, read(path.as_ref())?)
    }

    /// One JWK (RFC 7517). Its algorithm is the JWK's `alg`, or, when absent, the only one
    /// its key type allows (`EdDSA` for Ed25519, `ES256`/`ES384`/`ES512` by curve), `RS256`
    /// for RSA and `HS256` for `oct` keys.
    ///
    /// Refuses keys whose `use` is not `sig` or whose `key_ops` lacks `verify`.
    ///
    /// # Errors
    ///
    /// [`ConfigError::Jwk`] for a JWK that is not one, is private, or is not for
    /// verification; [`ConfigError`] for key material that does not fit its algorithm.
    pub fn from_jwk(jwk: &str) -> Result<VerifyingKey, ConfigError> {
        let jwk: Jwk =
            serde_json::from_str(jwk).map_err(|_| ConfigError::Jwk("not a JWK object"))?;
        jwk.into_key()
    }

    /// Set the key id matched against a token's `kid`.
    pub fn with_kid(mut self, kid: impl Into<String>) -> VerifyingKey {
        self.kid = Some(kid.into());
        self
    }

    /// The algorithm this key verifies.
    pub fn algorithm(&self) -> Algorithm {
        self.alg
    }

    /// The key id, if any.
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// Identifies the algorithm and key material (not the kid): equal for the same key
    /// parsed twice, as when a key set is fetched again.
    pub fn fingerprint(&self) -> [u8; 16] {
        self.fingerprint
    }

    /// Whether `signature` is valid for `message` under this key: the raw primitive, with
    /// no JWS rule applied (HMAC tags are compared in constant time). ECDSA signatures are
    /// the fixed-width `R‖S` form of JWS.
    pub fn verify_signature(&self, message: &[u8], signature: &[u8]) -> bool {
        match &self.material {
            Material::Hmac(key) => hmac::verify(key, message, signature).is_ok(),
            Material::Public(key) => key.verify_sig(message, signature).is_ok(),
        }
    }
}

pub(crate) fn check_hmac_secret(
    alg: Algorithm,
    secret: &[u8],
) -> Result<hmac::Algorithm, ConfigError> {
    let Some(hmac_alg) = alg.hmac() else {
        return Err(ConfigError::InvalidKey {
            alg: alg.as_str(),
            reason: "a secret was given for a public-key algorithm",
        });
    };
    if secret.len() < alg.min_secret_len() {
        return Err(ConfigError::SecretTooShort {
            alg: alg.as_str(),
            len: secret.len(),
            min: alg.min_secret_len(),
        });
    }
    if is_weak_secret(secret) {
        return Err(ConfigError::WeakSecret);
    }
    Ok(hmac_alg)
}

fn rsa_bits(key: &ParsedPublicKey) -> Option<usize> {
    let spki = key.as_der().ok()?;
    Some(
        PublicEncryptingKey::from_der(spki.as_ref())
            .ok()?
            .key_size_bits(),
    )
}

pub(crate) fn read(path: &Path) -> Result<Vec<u8>, ConfigError> {
    std::fs::read(path).map_err(|source| ConfigError::Io {
        path: path.display().to_string(),
        source,
    })
}

/// The most keys a JWK Set may hold. Providers publish a handful; a token without `kid` is
/// tried against every key of its algorithm, so a set of thousands (a compromised or broken
/// provider) would make each such token cost thousands of signature checks.
pub const MAX_JWKS_KEYS: usize = 100;

/// Parse a JWK Set (RFC 7517 §5) into keys.
///
/// Keys that cannot serve for verification are skipped with a `tracing` event: `use` other
/// than `sig`, `key_ops` without `verify`, unknown key types or algorithms, and RSA keys under
/// 2048 bits. A document that is not a JWK Set, or holds more than [`MAX_JWKS_KEYS`] keys,
/// is an error.
///
/// # Errors
///
/// [`ConfigError::Jwk`] when the document is not a JWK Set or holds too many keys.
pub fn keys_from_jwks(jwks: &str) -> Result<Vec<VerifyingKey>, ConfigError> {
    #[derive(Deserialize)]
    struct JwkSet {
        keys: Vec<serde_json::Value>,
    }
    let set: JwkSet =
        serde_json::from_str(jwks).map_err(|_| ConfigError::Jwk("not a JWK Set object"))?;
    if set.keys.len() > MAX_JWKS_KEYS {
        return Err(ConfigError::Jwk("more keys than a JWK Set may hold (100)"));
    }
    let mut out = Vec::with_capacity(set.keys.len());
    for value in set.keys {
        let parsed = Jwk::deserialize(&value)
            .map_err(|_| ConfigError::Jwk("malformed key"))
            .and_then(Jwk::into_key);
        match parsed {
            Ok(key) => out.push(key),
            Err(e) => tracing::debug!(reason = %e, "JWK skipped"),
        }
    }
    Ok(out)
}

/// [`keys_from_jwks`] on a file.
///
/// # Errors
///
/// [`ConfigError::Io`] when the file cannot be read, and the errors of [`keys_from_jwks`].
pub fn keys_from_jwks_file(path: impl AsRef<Path>) -> Result<Vec<VerifyingKey>, ConfigError> {
    let bytes = read(path.as_ref())?;
    let text = std::str::from_utf8(&bytes).map_err(|_| ConfigError::Jwk("not UTF-8"))?;
    keys_from_jwks(text)
}

#[derive(Deserialize)]
struct Jwk {
    kty: String,
    alg: Option<String>,
    #[serde(rename = "use")]
    use_: Option<String>,
    key_ops: Option<Vec<String>>,
    kid: Option<String>,
    crv: Option<String>,
    x: Option<String>,
    y: Option<String>,
    n: Option<String>,
    e: Option<String>,
    k: Option<String>,
}

fn b64(field: &Option<String>, what: &'static str) -> Result<Vec<u8>, ConfigError> {
    let s = field.as_deref().ok_or(ConfigError::Jwk(what))?;
    URL_SAFE_NO_PAD
        .decode(s)
        .map_err(|_| ConfigError::Jwk("a key member is not base64url"))
}

impl Jwk {
    fn into_key(self) -> Result<VerifyingKey, ConfigError> {
        if self.use_.as_deref().is_some_and(|u| u != "sig") {
            return Err(ConfigError::Jwk("the key's use is not sig"));
        }
        if let Some(ops) = &self.key_ops
            && !ops.iter().any(|o| o == "verify")
        {
            return Err(ConfigError::Jwk("the key's key_ops lack verify"));
        }
        let alg = match &self.alg {
            Some(name) => Algorithm::from_name(name).ok_or(ConfigError::UnknownAlgorithm)?,
            None => self.default_alg()?,
        };
        let key = match (self.kty.as_str(), alg.family()) {
            ("oct", Family::Hmac) => VerifyingKey::hmac(alg, b64(&self.k, "missing k")?)?,
            ("RSA", Family::Rsa) => {
                let n = b64(&self.n, "missing n")?;
                let e = b64(&self.e, "missing e")?;
                VerifyingKey::rsa_components(alg, strip_zeros(&n), strip_zeros(&e))?
            }
            ("EC", Family::Ec) => {
                if self.crv.as_deref() != alg.curve() {
                    return Err(ConfigError::Jwk("the curve does not match the algorithm"));
                }
                let x = b64(&self.x, "missing x")?;
                let y = b64(&self.y, "missing y")?;
                let size = match alg {
                    Algorithm::ES256 => 32,
                    Algorithm::ES384 => 48,
                    _ => 66,
                };
                if x.len() != size || y.len() != size {
                    return Err(ConfigError::Jwk("a coordinate has the wrong length"));
                }
                let mut point = Vec::with_capacity(1 + 2 * size);
                point.push(0x04);
                point.extend_from_slice(&x);
                point.extend_from_slice(&y);
                VerifyingKey::from_der(alg, point)?
            }
            ("OKP", Family::Ed25519) => {
                if self.crv.as_deref() != Some("Ed25519") {
                    return Err(ConfigError::Jwk("only the Ed25519 curve is supported"));
                }
                let x = b64(&self.x, "missing x")?;
                if x.len() != 32 {
                    return Err(ConfigError::Jwk("an Ed25519 key is 32 bytes"));
                }
                VerifyingKey::from_der(alg, x)?
            }
            _ => {
                return Err(ConfigError::Jwk(
                    "the key type does not match the algorithm",
                ));
            }
        };
        Ok(match self.kid {
            Some(kid) => key.with_kid(kid),
            None => key,
        })
    }

    fn default_alg(&self) -> Result<Algorithm, ConfigError> {
        Ok(match (self.kty.as_str(), self.crv.as_deref()) {
            ("oct", _) => Algorithm::HS256,
            ("RSA", _) => Algorithm::RS256,
            ("EC", Some("P-256")) => Algorithm::ES256,
            ("EC", Some("P-384")) => Algorithm::ES384,
            ("EC", Some("P-521")) => Algorithm::ES512,
            ("OKP", Some("Ed25519")) => Algorithm::EdDSA,
            _ => return Err(ConfigError::Jwk("unsupported key type or curve")),
        })
    }
}

fn strip_zeros(b: &[u8]) -> &[u8] {
    let i = b.iter().position(|&x| x != 0).unwrap_or(b.len());
    &b[i..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_weak_secrets_are_refused() {
        assert!(matches!(
            VerifyingKey::hmac(Algorithm::HS256, [7u8; 10]),
            Err(ConfigError::SecretTooShort {
                len: 10,
                min: 32,
                ..
            })
        ));
        assert!(matches!(
            VerifyingKey::hmac(Algorithm::HS512, [7u8; 48]),
            Err(ConfigError::SecretTooShort { min: 64, .. })
        ));
        assert!(matches!(
            VerifyingKey::hmac(Algorithm::HS256, [b'a'; 32]),
            Err(ConfigError::WeakSecret)
        ));
        assert!(matches!(
            VerifyingKey::hmac(Algorithm::HS256, "secretsecretsecretsecretsecretsecret"),
            Err(ConfigError::WeakSecret)
        ));
        assert!(matches!(
            VerifyingKey::hmac(Algorithm::HS256, "your-256-bit-secretyour-256-bit-secret"),
            Err(ConfigError::WeakSecret)
        ));
        assert!(VerifyingKey::hmac(Algorithm::HS256, "d3b07384d113edec49eaa6238ad5ff00").is_ok());
    }

    #[test]
    fn secret_for_public_key_alg_is_refused() {
        assert!(VerifyingKey::hmac(Algorithm::RS256, [1u8; 64]).is_err());
        assert!(VerifyingKey::from_der(Algorithm::HS256, [1u8; 64]).is_err());
    }

    #[test]
    fn jwk_use_and_key_ops_are_honoured() {
        let enc = r#"{"kty":"oct","use":"enc","k":"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"}"#;
        assert!(VerifyingKey::from_jwk(enc).is_err());
        let ops = r#"{"kty":"oct","key_ops":["sign"],"k":"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"}"#;
        assert!(VerifyingKey::from_jwk(ops).is_err());
        let ok = r#"{"kty":"oct","kid":"k1","k":"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"}"#;
        let key = VerifyingKey::from_jwk(ok).map_err(|e| e.to_string());
        assert_eq!(key.as_ref().map(|k| k.kid()), Ok(Some("k1")));
    }

    #[test]
    fn jwk_kty_must_match_alg() {
        let jwk = r#"{"kty":"oct","alg":"RS256","k":"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ"}"#;
        assert!(VerifyingKey::from_jwk(jwk).is_err());
    }

    #[test]
    fn jwks_skips_unusable_keys() {
        let jwks = r#"{"keys":[
            {"kty":"oct","use":"enc","k":"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"},
            {"kty":"oct","kid":"good","k":"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"},
            {"kty":"weird"}
        ]}"#;
        let keys = keys_from_jwks(jwks).unwrap_or_default();
        assert_eq!(keys.len(), 1);
        assert_eq!(keys[0].kid(), Some("good"));
        assert!(keys_from_jwks("[]").is_err());
    }

    #[test]
    fn pem_private_key_is_refused_with_a_clear_reason() {
        let pem = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
        let err = VerifyingKey::from_pem(Algorithm::RS256, pem).map(|_| ());
        assert!(matches!(err, Err(ConfigError::InvalidKey { .. })));
    }

    #[test]
    fn keys_from_files_and_a_clear_error_for_an_unreadable_one()
    -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let signing = crate::jwt::SigningKey::generate(Algorithm::ES256)?.with_kid("f");
        let der = signing.public_key_der().ok_or("no public key")?;
        let pem_path = dir.path().join("key.pem");
        std::fs::write(&pem_path, pem::encode(&pem::Pem::new("PUBLIC KEY", der)))?;
        assert_eq!(
            VerifyingKey::from_pem_file(Algorithm::ES256, &pem_path)?.algorithm(),
            Algorithm::ES256
        );
        let jwks_path = dir.path().join("jwks.json");
        let jwk = signing.public_jwk().ok_or("no jwk")?;
        std::fs::write(&jwks_path, serde_json::json!({ "keys": [jwk] }).to_string())?;
        assert_eq!(keys_from_jwks_file(&jwks_path)?.len(), 1);
        let missing = dir.path().join("missing.pem");
        let err = VerifyingKey::from_pem_file(Algorithm::ES256, &missing).map(|_| ());
        let message = err.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(message.contains("missing.pem"), "{message}");
        Ok(())
    }

    #[test]
    fn debug_shows_no_material() {
        let key = VerifyingKey::hmac(Algorithm::HS256, "d3b07384d113edec49eaa6238ad5ff00")
            .map(|k| format!("{k:?}"))
            .unwrap_or_default();
        assert!(key.contains("HS256"));
        assert!(!key.contains("d3b0"));
    }
}
