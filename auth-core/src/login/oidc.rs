//! OpenID providers: discovery, the ID token's rules, userinfo; the Google preset. The ID
//! token is checked with a [`JwtValidator`] over the provider's discovered keys, plus the
//! OpenID rules a plain JWT does not have (`nonce`, `azp`, `at_hash`, one audience).

use std::sync::Arc;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use oauth2::TokenResponse;
use secrecy::SecretString;
use serde_json::{Map, Value};
use subtle::ConstantTimeEq;

use super::{
    Identity,
    provider::{ExchangeError, ProviderError, TokenResp, get_json},
};
use crate::{
    error::AuthError,
    jwt::{Algorithm, ClaimName, JwtValidator},
    remote::{KeySource, RefreshPolicy, RemoteKeySet, ReqwestFetch, discover},
};

/// An OpenID provider, configured through discovery; give it to
/// [`LoginBuilder::provider`](super::LoginBuilder::provider). Its `Debug` output never shows
/// the client secret.
#[derive(Clone)]
pub struct OidcProvider {
    pub(super) name: String,
    pub(super) issuer: String,
    pub(super) client_id: String,
    pub(super) client_secret: Option<SecretString>,
    pub(super) scopes: Vec<String>,
    pub(super) authorization_endpoint: String,
    pub(super) token_endpoint: String,
    pub(super) userinfo_endpoint: Option<String>,
    pub(super) iss_parameter: bool,
    pub(super) id_tokens: JwtValidator,
    /// Checks back-channel logout tokens: the same keys, issuer and audience, no `nonce`.
    pub(super) logout_tokens: JwtValidator,
    /// Where an RP-initiated logout sends the browser, if the provider has it.
    pub(super) end_session_endpoint: Option<String>,
    pub(super) form_post: bool,
}

impl std::fmt::Debug for OidcProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcProvider")
            .field("name", &self.name)
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &crate::redact::presence(&self.client_secret),
            )
            .field("scopes", &self.scopes)
            .field("authorization_endpoint", &self.authorization_endpoint)
            .field("token_endpoint", &self.token_endpoint)
            .field("userinfo_endpoint", &self.userinfo_endpoint)
            .field("form_post", &self.form_post)
            .finish_non_exhaustive()
    }
}

/// The ID-token algorithms accepted when the provider lists none: OpenID's default.
const DEFAULT_ID_TOKEN_ALGS: [Algorithm; 1] = [Algorithm::RS256];

impl OidcProvider {
    /// Discover `issuer` (its `issuer` must match exactly), load its keys (refreshed in the
    /// background on the current Tokio runtime), and set up the client `client_id` (with
    /// `client_secret`, sent by HTTP Basic, or none for a public client using PKCE alone).
    /// Routes are `/auth/{name}/login` and `/auth/{name}/callback`.
    ///
    /// # Errors
    ///
    /// [`ProviderError`] when discovery fails (unreachable, not https, another `issuer`),
    /// the keys cannot be loaded, or no Tokio runtime is running.
    pub async fn discover(
        name: impl Into<String>,
        issuer: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: Option<String>,
        fetch: Arc<ReqwestFetch>,
    ) -> Result<OidcProvider, ProviderError> {
        let issuer = issuer.into();
        let client_id = client_id.into();
        let metadata = discover(fetch.as_ref(), &issuer).await?;
        let authorization_endpoint = metadata
            .authorization_endpoint
            .clone()
            .ok_or(ProviderError::Metadata("no authorization_endpoint"))?;
        let token_endpoint = metadata
            .token_endpoint
            .clone()
            .ok_or(ProviderError::Metadata("no token_endpoint"))?;
        let keys = RemoteKeySet::load(
            KeySource::Jwks(metadata.jwks_uri.clone()),
            fetch,
            RefreshPolicy::default(),
        )
        .await?;
        keys.spawn_refresher()?;
        // Public-key algorithms only: an HS256 ID token would be keyed by the client secret,
        // which this client never uses as a verification key.
        let mut algorithms: Vec<Algorithm> = metadata
            .id_token_signing_alg_values_supported
            .iter()
            .filter_map(|a| Algorithm::from_name(a))
            .filter(|a| Algorithm::public_key().any(|p| p == *a))
            .collect();
        if algorithms.is_empty() {
            algorithms = DEFAULT_ID_TOKEN_ALGS.to_vec();
        }
        let id_tokens = JwtValidator::builder()
            .remote_keys(keys.clone())
            .algorithms(algorithms.clone())
            .issuer(issuer.clone())
            .audience(client_id.clone())
            .require_claim(ClaimName::Sub)
            .require_claim(ClaimName::Iat)
            .allow_nonce()
            .build()?;
        // Back-Channel Logout 1.0 §2.6: signed as ID tokens are, `iat` and `jti` required,
        // `nonce` refused (an ID token is not a logout token), `exp` required.
        let logout_tokens = JwtValidator::builder()
            .remote_keys(keys)
            .algorithms(algorithms)
            .issuer(issuer.clone())
            .audience(client_id.clone())
            .require_claim(ClaimName::Iat)
            .require_claim(ClaimName::Jti)
            .build()?;
        Ok(OidcProvider {
            name: name.into(),
            issuer,
            client_id,
            client_secret: client_secret.map(SecretString::from),
            scopes: vec!["openid".into(), "email".into(), "profile".into()],
            authorization_endpoint,
            token_endpoint,
            userinfo_endpoint: metadata.userinfo_endpoint,
            iss_parameter: metadata.authorization_response_iss_parameter_supported,
            id_tokens,
            logout_tokens,
            end_session_endpoint: metadata.end_session_endpoint,
            form_post: false,
        })
    }

    /// Replace the requested scopes (default `openid email profile`; `openid` is added when
    /// missing).
    pub fn scopes(mut self, scopes: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.scopes = scopes.into_iter().map(Into::into).collect();
        if !self.scopes.iter().any(|s| s == "openid") {
            self.scopes.insert(0, "openid".into());
        }
        self
    }

    /// Ask for the response by `POST` (`response_mode=form_post`) instead of the query:
    /// the code then stays out of URLs (history, logs, `Referer`). The flow cookie becomes
    /// `SameSite=None` (on https) so that it survives the provider's cross-site `POST`.
    pub fn form_post(mut self) -> Self {
        self.form_post = true;
        self
    }

    /// The provider's name (its route segment).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The issuer.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }
}
impl OidcProvider {
    /// Google: [`discover`](Self::discover) of `https://accounts.google.com`, routes under
    /// `/auth/google/`.
    ///
    /// # Errors
    ///
    /// As [`discover`](Self::discover).
    pub async fn google(
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
        fetch: Arc<ReqwestFetch>,
    ) -> Result<OidcProvider, ProviderError> {
        Self::google_at(GOOGLE_ISSUER, client_id, client_secret, fetch).await
    }

    /// The Google preset against another issuer URL (a stand-in in tests).
    ///
    /// # Errors
    ///
    /// As [`discover`](Self::discover).
    pub async fn google_at(
        issuer: &str,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
        fetch: Arc<ReqwestFetch>,
    ) -> Result<OidcProvider, ProviderError> {
        Self::discover(
            "google",
            issuer,
            client_id,
            Some(client_secret.into()),
            fetch,
        )
        .await
    }
}

/// Google's issuer.
const GOOGLE_ISSUER: &str = "https://accounts.google.com";
impl OidcProvider {
    /// Check the ID token (with `nonce`), read userinfo when the provider has it, and say
    /// who signed in.
    pub(super) async fn identity(
        &self,
        http: &ReqwestFetch,
        token: &TokenResp,
        nonce: &str,
    ) -> Result<Identity, ExchangeError> {
        let id_token = token
            .extra_fields()
            .id_token
            .as_deref()
            .ok_or(ExchangeError::NoIdToken)?;
        let access_token = token.access_token().secret();
        let mut claims = self.check_id_token(id_token, access_token, nonce).await?;
        let subject = claims
            .get("sub")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| ExchangeError::IdToken("no sub".into()))?;
        if let Some(url) = &self.userinfo_endpoint {
            let Value::Object(info) = get_json(http, url, access_token).await? else {
                return Err(ExchangeError::UserInfo("not a JSON object".into()));
            };
            if info.get("sub").and_then(Value::as_str) != Some(subject.as_str()) {
                return Err(ExchangeError::UserInfo(
                    "its sub is not the ID token's".into(),
                ));
            }
            for (k, v) in info {
                claims.entry(k).or_insert(v);
            }
        }
        let mut identity = Identity::from_claims(&self.name, subject, claims);
        identity.id_token = Some(super::identity::RawIdToken(id_token.to_owned()));
        Ok(identity)
    }

    async fn check_id_token(
        &self,
        id_token: &str,
        access_token: &str,
        nonce: &str,
    ) -> Result<Map<String, Value>, ExchangeError> {
        let validator = &self.id_tokens;
        let verified = validator
            .verify_claims::<Map<String, Value>>(id_token)
            .await
            .map_err(|e| ExchangeError::IdToken(AuthError::from(e).to_string()))?;
        let client_id = self.client_id.as_str();
        // Every audience must be this client: no token minted for someone else as well.
        if verified.registered.aud().any(|a| a != client_id) {
            return Err(ExchangeError::IdToken(
                "an audience other than this client".into(),
            ));
        }
        let claims = verified.custom;
        if let Some(azp) = claims.get("azp")
            && azp.as_str() != Some(client_id)
        {
            return Err(ExchangeError::IdToken("azp is not this client".into()));
        }
        let sent = claims.get("nonce").and_then(Value::as_str).unwrap_or("");
        if !bool::from(sent.as_bytes().ct_eq(nonce.as_bytes())) || nonce.is_empty() {
            return Err(ExchangeError::Nonce);
        }
        if let Some(at_hash) = claims.get("at_hash") {
            let alg =
                header_alg(id_token).ok_or_else(|| ExchangeError::IdToken("header".into()))?;
            if at_hash.as_str() != Some(left_half_hash(alg, access_token).as_str()) {
                return Err(ExchangeError::IdToken("at_hash does not match".into()));
            }
        }
        Ok(claims)
    }
}
/// The `alg` of a JWT's header.
fn header_alg(token: &str) -> Option<Algorithm> {
    let header = URL_SAFE_NO_PAD.decode(token.split('.').next()?).ok()?;
    let value: Value = serde_json::from_slice(&header).ok()?;
    Algorithm::from_name(value.get("alg")?.as_str()?)
}

/// base64url of the left half of the `alg`-matched hash of `access_token` (OpenID Core
/// §3.1.3.6; Ed25519 uses SHA-512).
fn left_half_hash(alg: Algorithm, access_token: &str) -> String {
    use aws_lc_rs::digest::{SHA256, SHA384, SHA512, digest};
    let name = alg.as_str();
    let hash = if name.ends_with("384") {
        &SHA384
    } else if name.ends_with("512") || alg == Algorithm::EdDSA {
        &SHA512
    } else {
        &SHA256
    };
    let d = digest(hash, access_token.as_bytes());
    let bytes = d.as_ref();
    URL_SAFE_NO_PAD.encode(&bytes[..bytes.len() / 2])
}
#[cfg(test)]
pub(super) mod tests {
    use serde_json::json;

    use super::*;
    use crate::{
        jwt::{SigningKey, sign_compact},
        login::provider::{Provider, ProviderConfig},
    };

    const ISSUER: &str = "https://op.test";

    fn provider(key: &SigningKey) -> Result<Provider, Box<dyn std::error::Error>> {
        let config = ProviderConfig::Oidc(config(key)?);
        let client = config.client("https://app.test/auth/op/callback")?;
        Ok(Provider { config, client })
    }

    /// A provider configuration with static keys, for tests.
    pub(in crate::login) fn config(
        key: &SigningKey,
    ) -> Result<OidcProvider, Box<dyn std::error::Error>> {
        let id_tokens = JwtValidator::builder()
            .key(key.verifying_key()?)
            .algorithms([Algorithm::RS256])
            .issuer(ISSUER)
            .audience("app")
            .require_claim(ClaimName::Sub)
            .require_claim(ClaimName::Iat)
            .allow_nonce()
            .build()?;
        let logout_tokens = JwtValidator::builder()
            .key(key.verifying_key()?)
            .algorithms([Algorithm::RS256])
            .issuer(ISSUER)
            .audience("app")
            .require_claim(ClaimName::Iat)
            .require_claim(ClaimName::Jti)
            .build()?;
        let config = OidcProvider {
            name: "op".into(),
            issuer: ISSUER.into(),
            client_id: "app".into(),
            client_secret: None,
            scopes: vec!["openid".into()],
            authorization_endpoint: format!("{ISSUER}/auth"),
            token_endpoint: format!("{ISSUER}/token"),
            userinfo_endpoint: None,
            iss_parameter: true,
            id_tokens,
            logout_tokens,
            end_session_endpoint: None,
            form_post: false,
        };
        Ok(config)
    }

    /// `base` with `changes` merged and `remove` removed, signed RS256 with `typ`.
    fn signed(
        key: &SigningKey,
        typ: &str,
        base: &Value,
        changes: Value,
        remove: &[&str],
    ) -> String {
        let mut claims = base.clone();
        if let (Some(c), Value::Object(extra)) = (claims.as_object_mut(), changes) {
            c.extend(extra);
            for r in remove {
                c.remove(*r);
            }
        }
        let header = json!({"alg": "RS256", "typ": typ}).to_string();
        sign_compact(header.as_bytes(), claims.to_string().as_bytes(), key).unwrap_or_default()
    }

    #[tokio::test]
    async fn logout_token_rules() -> Result<(), Box<dyn std::error::Error>> {
        let key = SigningKey::generate(Algorithm::RS256)?;
        let p = provider(&key)?;
        let ProviderConfig::Oidc(oidc) = &p.config else {
            unreachable!()
        };
        let now = crate::clock::now();
        let event = json!({"http://schemas.openid.net/event/backchannel-logout": {}});
        let base = json!({
            "iss": ISSUER, "aud": "app", "sub": "u1", "sid": "s1", "iat": now,
            "exp": now + 120, "jti": "j1", "events": event,
        });
        let sign =
            |changes: Value, remove: &[&str]| signed(&key, "logout+jwt", &base, changes, remove);
        let ok = oidc.check_logout_token(&sign(json!({}), &[])).await;
        assert!(ok.is_ok_and(|t| t.sid.as_deref() == Some("s1") && t.jti == "j1"));
        assert!(
            oidc.check_logout_token(&sign(json!({}), &["sid"]))
                .await
                .is_ok()
        );
        assert!(
            oidc.check_logout_token(&sign(json!({}), &["sub"]))
                .await
                .is_ok()
        );
        for (what, token) in [
            ("an ID token (nonce)", sign(json!({"nonce": "n"}), &[])),
            ("no events", sign(json!({}), &["events"])),
            (
                "another event",
                sign(json!({"events": {"urn:other": {}}}), &[]),
            ),
            (
                "the event not an object",
                sign(
                    json!({"events": {"http://schemas.openid.net/event/backchannel-logout": 1}}),
                    &[],
                ),
            ),
            ("neither sub nor sid", sign(json!({}), &["sub", "sid"])),
            ("sid not a string", sign(json!({"sid": 5}), &[])),
            ("no jti", sign(json!({}), &["jti"])),
            ("no iat", sign(json!({}), &["iat"])),
            ("no exp", sign(json!({}), &["exp"])),
            ("expired", sign(json!({"exp": now - 600}), &[])),
            ("another audience", sign(json!({"aud": "other"}), &[])),
            (
                "another issuer",
                sign(json!({"iss": "https://evil.test"}), &[]),
            ),
        ] {
            assert!(oidc.check_logout_token(&token).await.is_err(), "{what}");
        }
        Ok(())
    }

    #[tokio::test]
    async fn id_token_rules() -> Result<(), Box<dyn std::error::Error>> {
        let key = SigningKey::generate(Algorithm::RS256)?;
        let p = provider(&key)?;
        let now = crate::clock::now();
        let base = json!({
            "iss": ISSUER, "aud": "app", "sub": "u1", "iat": now, "exp": now + 300,
            "nonce": "n-1",
        });
        let sign = |changes: Value, remove: &[&str]| signed(&key, "JWT", &base, changes, remove);
        let at = "access-token-1";
        let check = |token: String| {
            let p = &p;
            async move {
                let ProviderConfig::Oidc(oidc) = &p.config else {
                    unreachable!()
                };
                oidc.check_id_token(&token, at, "n-1").await.map(|_| ())
            }
        };
        assert!(check(sign(json!({}), &[])).await.is_ok());
        assert!(check(sign(json!({"azp": "app"}), &[])).await.is_ok());
        let at_hash = left_half_hash(Algorithm::RS256, at);
        assert!(check(sign(json!({"at_hash": at_hash}), &[])).await.is_ok());

        for (what, token) in [
            ("wrong nonce", sign(json!({"nonce": "n-2"}), &[])),
            ("no nonce", sign(json!({}), &["nonce"])),
            (
                "another issuer",
                sign(json!({"iss": "https://evil.test"}), &[]),
            ),
            ("another audience", sign(json!({"aud": "other"}), &[])),
            (
                "an extra audience",
                sign(json!({"aud": ["app", "other"]}), &[]),
            ),
            ("azp of another client", sign(json!({"azp": "other"}), &[])),
            ("no sub", sign(json!({}), &["sub"])),
            ("no iat", sign(json!({}), &["iat"])),
            ("expired", sign(json!({"exp": now - 3600}), &[])),
            (
                "at_hash mismatch",
                sign(json!({"at_hash": "AAAAAAAAAAAAAAAAAAAAAA"}), &[]),
            ),
        ] {
            assert!(check(token).await.is_err(), "{what} accepted");
        }
        // Signed by another key, or with alg none.
        let other = SigningKey::generate(Algorithm::RS256)?;
        let forged = sign_compact(br#"{"alg":"RS256"}"#, base.to_string().as_bytes(), &other)?;
        assert!(check(forged).await.is_err());
        let none = format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(br#"{"alg":"none"}"#),
            URL_SAFE_NO_PAD.encode(base.to_string())
        );
        assert!(check(none).await.is_err());
        Ok(())
    }

    #[test]
    fn at_hash_follows_openid_core() {
        // OpenID Core A.3: access token "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y" with
        // RS256 gives at_hash "77QmUPtjPfzWtF2AnpK9RQ".
        assert_eq!(
            left_half_hash(
                Algorithm::RS256,
                "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y"
            ),
            "77QmUPtjPfzWtF2AnpK9RQ"
        );
    }
}
