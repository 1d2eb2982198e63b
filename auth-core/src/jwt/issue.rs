//! Minting the app's own tokens: [`JwtIssuer`], which signs with a
//! [`SigningKey`](super::SigningKey).

use std::time::Duration;

use aws_lc_rs::rand;
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use serde::Serialize;
use serde_json::{Map, Value, json};

use super::signing::{IssueError, SigningKey, sign_compact};
use crate::error::ConfigError;

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
        let mut algorithms = vec![self.key.algorithm()];
        let mut builder = super::JwtValidator::builder().key(self.key.verifying_key()?);
        for key in &self.previous {
            builder = builder.key(key.verifying_key()?);
            if !algorithms.contains(&key.algorithm()) {
                algorithms.push(key.algorithm());
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
        let mut header = json!({"alg": self.key.algorithm().as_str(), "typ": self.typ});
        if let Some(kid) = self.key.kid() {
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
    use crate::jwt::{Algorithm, JwtValidator, VerifyingKey};

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
