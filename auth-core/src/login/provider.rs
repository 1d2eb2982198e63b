//! Sign-in providers: OpenID Connect through discovery. The authorization-code exchange
//! goes through the `oauth2` crate (PKCE S256), over this crate's outbound client; the ID
//! token is checked with a [`JwtValidator`] over the provider's discovered keys, plus the
//! OpenID rules a plain JWT does not have (`nonce`, `azp`, `at_hash`, one audience).

use std::sync::Arc;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet, EndpointSet,
    ExtraTokenFields, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope,
    StandardRevocableToken, StandardTokenResponse, TokenResponse, TokenUrl,
    basic::{
        BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse,
        BasicTokenType,
    },
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use subtle::ConstantTimeEq;

use super::Identity;
use crate::{
    error::{AuthError, ConfigError, TokenError},
    jwt::{Algorithm, JwtValidator, RegisteredClaim},
    remote::{
        FetchError, KeySource, RefreshPolicy, RemoteError, RemoteKeySet, ReqwestFetch, discover,
    },
};

/// Why a sign-in provider could not be set up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProviderError {
    /// Discovery or the key set failed.
    #[error(transparent)]
    Remote(#[from] RemoteError),
    /// The provider's metadata lacks an endpoint or has an unusable one.
    #[error("provider metadata: {0}")]
    Metadata(&'static str),
    /// The ID-token validator could not be built.
    #[error(transparent)]
    Config(#[from] ConfigError),
}

/// The token response: the standard fields and the OpenID `id_token`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct IdTokenField {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    id_token: Option<String>,
}

impl ExtraTokenFields for IdTokenField {}

type TokenResp = StandardTokenResponse<IdTokenField, BasicTokenType>;

/// The `oauth2` client with its authorization and token endpoints set: a concrete type kept
/// inside [`Provider`], so no typestate generics reach the application.
pub(super) type OAuthClient = oauth2::Client<
    BasicErrorResponse,
    TokenResp,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

/// An OpenID provider, configured through discovery; give it to
/// [`LoginBuilder::provider`](super::LoginBuilder::provider).
#[derive(Debug, Clone)]
pub struct OidcProvider {
    pub(super) name: String,
    pub(super) issuer: String,
    pub(super) client_id: String,
    pub(super) client_secret: Option<String>,
    pub(super) scopes: Vec<String>,
    pub(super) authorization_endpoint: String,
    pub(super) token_endpoint: String,
    pub(super) userinfo_endpoint: Option<String>,
    pub(super) iss_parameter: bool,
    pub(super) id_tokens: JwtValidator,
}

/// The ID-token algorithms accepted when the provider lists none: OpenID's default.
const DEFAULT_ID_TOKEN_ALGS: [Algorithm; 1] = [Algorithm::RS256];

impl OidcProvider {
    /// Discover `issuer` (its `issuer` must match exactly), load its keys (refreshed in the
    /// background on the current Tokio runtime), and set up the client `client_id` (with
    /// `client_secret`, sent by HTTP Basic, or none for a public client using PKCE alone).
    /// Routes are `/auth/{name}/login` and `/auth/{name}/callback`.
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
            .filter(|a| a.verification().is_some())
            .collect();
        if algorithms.is_empty() {
            algorithms = DEFAULT_ID_TOKEN_ALGS.to_vec();
        }
        let id_tokens = JwtValidator::builder()
            .remote_keys(keys)
            .algorithms(algorithms)
            .issuer(issuer.clone())
            .audience(client_id.clone())
            .require_claim(RegisteredClaim::Sub)
            .require_claim(RegisteredClaim::Iat)
            .build()?;
        Ok(OidcProvider {
            name: name.into(),
            issuer,
            client_id,
            client_secret,
            scopes: vec!["openid".into(), "email".into(), "profile".into()],
            authorization_endpoint,
            token_endpoint,
            userinfo_endpoint: metadata.userinfo_endpoint,
            iss_parameter: metadata.authorization_response_iss_parameter_supported,
            id_tokens,
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

    /// The provider's name (its route segment).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The issuer.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }
}

/// A provider of either kind, for [`LoginBuilder::provider`](super::LoginBuilder::provider).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum ProviderConfig {
    /// An OpenID provider (Google, or any through discovery).
    Oidc(OidcProvider),
    /// GitHub (OAuth 2.0 without OpenID).
    GitHub(GitHubProvider),
}

impl From<OidcProvider> for ProviderConfig {
    fn from(p: OidcProvider) -> Self {
        ProviderConfig::Oidc(p)
    }
}

impl From<GitHubProvider> for ProviderConfig {
    fn from(p: GitHubProvider) -> Self {
        ProviderConfig::GitHub(p)
    }
}

impl ProviderConfig {
    /// The provider's name (its route segment).
    pub fn name(&self) -> &str {
        match self {
            ProviderConfig::Oidc(p) => &p.name,
            ProviderConfig::GitHub(p) => &p.name,
        }
    }

    pub(super) fn client(&self, redirect: &str) -> Result<OAuthClient, ProviderError> {
        match self {
            ProviderConfig::Oidc(p) => client(
                &p.client_id,
                p.client_secret.as_deref(),
                &p.authorization_endpoint,
                &p.token_endpoint,
                redirect,
            ),
            ProviderConfig::GitHub(p) => client(
                &p.client_id,
                Some(&p.client_secret),
                &p.authorize_url,
                &p.token_url,
                redirect,
            ),
        }
    }
}

fn client(
    client_id: &str,
    secret: Option<&str>,
    authorize: &str,
    token: &str,
    redirect: &str,
) -> Result<OAuthClient, ProviderError> {
    let bad = |_| ProviderError::Metadata("an endpoint is not a valid URL");
    let mut client = oauth2::Client::new(ClientId::new(client_id.to_owned()))
        .set_auth_uri(AuthUrl::new(authorize.to_owned()).map_err(bad)?)
        .set_token_uri(TokenUrl::new(token.to_owned()).map_err(bad)?)
        .set_redirect_uri(RedirectUrl::new(redirect.to_owned()).map_err(bad)?);
    if let Some(secret) = secret {
        client = client.set_client_secret(ClientSecret::new(secret.to_owned()));
    }
    Ok(client)
}

/// GitHub: OAuth 2.0 (no OpenID), the user from its REST API and the primary verified
/// email from `/user/emails`. Endpoints can be pointed elsewhere (GitHub Enterprise, or a
/// stand-in in tests).
#[derive(Debug, Clone)]
pub struct GitHubProvider {
    pub(super) name: String,
    pub(super) client_id: String,
    pub(super) client_secret: String,
    pub(super) authorize_url: String,
    pub(super) token_url: String,
    pub(super) api_url: String,
    pub(super) scopes: Vec<String>,
}

impl GitHubProvider {
    /// The OAuth app `client_id` / `client_secret` on github.com; routes under
    /// `/auth/github/`.
    pub fn new(client_id: impl Into<String>, client_secret: impl Into<String>) -> Self {
        GitHubProvider {
            name: "github".into(),
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            authorize_url: "https://github.com/login/oauth/authorize".into(),
            token_url: "https://github.com/login/oauth/access_token".into(),
            api_url: "https://api.github.com".into(),
            scopes: vec!["read:user".into(), "user:email".into()],
        }
    }

    /// Use other endpoints: the authorization page, the token endpoint and the REST API's
    /// base URL.
    pub fn endpoints(
        mut self,
        authorize: impl Into<String>,
        token: impl Into<String>,
        api: impl Into<String>,
    ) -> Self {
        self.authorize_url = authorize.into();
        self.token_url = token.into();
        self.api_url = api.into().trim_end_matches('/').to_owned();
        self
    }

    /// Another route name (default `github`).
    pub fn named(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }
}

impl OidcProvider {
    /// Google: [`discover`](Self::discover) of `https://accounts.google.com`, routes under
    /// `/auth/google/`.
    pub async fn google(
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
        fetch: Arc<ReqwestFetch>,
    ) -> Result<OidcProvider, ProviderError> {
        Self::google_at(GOOGLE_ISSUER, client_id, client_secret, fetch).await
    }

    /// The Google preset against another issuer URL (a stand-in in tests).
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

/// A provider ready for requests: its configuration and its `oauth2` client.
#[derive(Debug)]
pub(super) struct Provider {
    pub(super) config: ProviderConfig,
    pub(super) client: OAuthClient,
}

/// Why a callback failed after the flow checks: the provider's side.
#[derive(Debug, thiserror::Error)]
pub(super) enum ExchangeError {
    #[error("the code exchange failed: {0}")]
    Token(String),
    #[error("the provider sent no ID token")]
    NoIdToken,
    #[error("the ID token is not valid: {0}")]
    IdToken(String),
    #[error("the ID token's nonce does not match")]
    Nonce,
    #[error("userinfo failed: {0}")]
    UserInfo(String),
}

impl Provider {
    pub(super) fn name(&self) -> &str {
        self.config.name()
    }

    /// The issuer a callback's `iss` must name, and whether it must be present.
    pub(super) fn issuer(&self) -> (Option<&str>, bool) {
        match &self.config {
            ProviderConfig::Oidc(p) => (Some(&p.issuer), p.iss_parameter),
            ProviderConfig::GitHub(_) => (None, false),
        }
    }

    /// Whether the flow uses an OpenID `nonce`.
    pub(super) fn uses_nonce(&self) -> bool {
        matches!(self.config, ProviderConfig::Oidc(_))
    }

    /// The authorization URL for a login with this `state`, PKCE challenge and `nonce`
    /// (empty: none).
    pub(super) fn authorize_url(
        &self,
        state: &str,
        challenge: PkceCodeChallenge,
        nonce: &str,
    ) -> String {
        let state = state.to_owned();
        let mut request = self
            .client
            .authorize_url(move || CsrfToken::new(state))
            .set_pkce_challenge(challenge);
        if !nonce.is_empty() {
            request = request.add_extra_param("nonce", nonce.to_owned());
        }
        let scopes = match &self.config {
            ProviderConfig::Oidc(p) => &p.scopes,
            ProviderConfig::GitHub(p) => &p.scopes,
        };
        for scope in scopes {
            request = request.add_scope(Scope::new(scope.clone()));
        }
        request.url().0.to_string()
    }

    /// Exchange `code` with the PKCE `verifier`, then learn who signed in.
    pub(super) async fn finish(
        &self,
        http: &ReqwestFetch,
        code: String,
        verifier: String,
        nonce: &str,
    ) -> Result<Identity, ExchangeError> {
        let token = self
            .client
            .exchange_code(AuthorizationCode::new(code))
            .set_pkce_verifier(PkceCodeVerifier::new(verifier))
            .request_async(&OAuthHttp(http))
            .await
            .map_err(|e| ExchangeError::Token(describe(&e)))?;
        match &self.config {
            ProviderConfig::Oidc(p) => p.identity(http, &token, nonce).await,
            ProviderConfig::GitHub(p) => p.identity(http, token.access_token().secret()).await,
        }
    }
}

impl GitHubProvider {
    async fn identity(
        &self,
        http: &ReqwestFetch,
        access_token: &str,
    ) -> Result<Identity, ExchangeError> {
        let user = get_json(http, &format!("{}/user", self.api_url), access_token).await?;
        let Value::Object(user) = user else {
            return Err(ExchangeError::UserInfo(
                "the user is not a JSON object".into(),
            ));
        };
        let subject = match user.get("id") {
            Some(Value::Number(id)) => id.to_string(),
            _ => return Err(ExchangeError::UserInfo("the user has no id".into())),
        };
        let emails = get_json(http, &format!("{}/user/emails", self.api_url), access_token).await?;
        let primary = emails.as_array().and_then(|list| {
            list.iter().find(|e| {
                e.get("primary").and_then(Value::as_bool) == Some(true)
                    && e.get("verified").and_then(Value::as_bool) == Some(true)
            })
        });
        let mut claims = user;
        claims.insert("sub".into(), Value::String(subject.clone()));
        if let Some(email) = primary.and_then(|e| e.get("email")).and_then(Value::as_str) {
            claims.insert("email".into(), Value::String(email.to_owned()));
            claims.insert("email_verified".into(), Value::Bool(true));
        } else {
            // `user.email` is the public profile address, not known to be verified.
            claims.remove("email");
        }
        if claims.get("name").is_none_or(Value::is_null)
            && let Some(login) = claims.get("login").cloned()
        {
            claims.insert("name".into(), login);
        }
        Ok(Identity::from_claims(&self.name, subject, claims))
    }
}

/// GET `url` with the access token, expecting JSON (GitHub wants a `User-Agent`).
async fn get_json(
    http: &ReqwestFetch,
    url: &str,
    access_token: &str,
) -> Result<Value, ExchangeError> {
    let request = http::Request::get(url)
        .header("authorization", format!("Bearer {access_token}"))
        .header("accept", "application/json")
        .header("user-agent", "auth-toolkit")
        .body(Vec::new())
        .map_err(|e| ExchangeError::UserInfo(e.to_string()))?;
    let response = http
        .send(request)
        .await
        .map_err(|e| ExchangeError::UserInfo(e.to_string()))?;
    if response.status() != 200 {
        return Err(ExchangeError::UserInfo(format!(
            "status {}",
            response.status()
        )));
    }
    serde_json::from_slice(response.body()).map_err(|_| ExchangeError::UserInfo("not JSON".into()))
}

impl OidcProvider {
    /// Check the ID token (with `nonce`), read userinfo when the provider has it, and say
    /// who signed in.
    async fn identity(
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
        Ok(Identity::from_claims(&self.name, subject, claims))
    }

    async fn check_id_token(
        &self,
        id_token: &str,
        access_token: &str,
        nonce: &str,
    ) -> Result<Map<String, Value>, ExchangeError> {
        let validator = &self.id_tokens;
        let verified = match validator.verify_claims::<Map<String, Value>>(id_token) {
            Err(TokenError::UnknownKey | TokenError::KeysUnavailable) => {
                validator.verify_claims_refetching(id_token).await
            }
            other => other.map_err(AuthError::from),
        }
        .map_err(|e| ExchangeError::IdToken(e.to_string()))?;
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

/// `oauth2`'s HTTP client trait over this crate's outbound client. A named type with a
/// boxed `Send` future, because a closure returning a borrowing future trips the compiler's
/// higher-ranked `Send` check inside axum handlers.
struct OAuthHttp<'a>(&'a ReqwestFetch);

impl<'c> oauth2::AsyncHttpClient<'c> for OAuthHttp<'_> {
    type Error = SendError;
    type Future = std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<oauth2::HttpResponse, SendError>> + Send + 'c>,
    >;

    fn call(&'c self, request: oauth2::HttpRequest) -> Self::Future {
        Box::pin(async move {
            let mut response = self.0.send(request).await.map_err(SendError)?;
            // GitHub answers a failed exchange with 200 and an `error` member: make it the
            // error response RFC 6749 §5.2 says it is, so it is reported as one.
            if response.status() == 200
                && serde_json::from_slice::<Map<String, Value>>(response.body())
                    .is_ok_and(|m| m.contains_key("error") && !m.contains_key("access_token"))
            {
                *response.status_mut() = http::StatusCode::BAD_REQUEST;
            }
            Ok(response)
        })
    }
}

/// The transport error of a token request.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub(super) struct SendError(FetchError);

/// A token error for logs: the provider's error code, never a token.
fn describe(e: &oauth2::RequestTokenError<SendError, BasicErrorResponse>) -> String {
    match e {
        oauth2::RequestTokenError::ServerResponse(r) => r.error().to_string(),
        oauth2::RequestTokenError::Request(e) => e.to_string(),
        oauth2::RequestTokenError::Parse(..) => "unparsable token response".into(),
        oauth2::RequestTokenError::Other(m) => m.clone(),
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
    use crate::jwt::{JwtKey, SigningKey, sign_compact};

    const ISSUER: &str = "https://op.test";

    fn provider(key: JwtKey) -> Result<Provider, Box<dyn std::error::Error>> {
        let config = ProviderConfig::Oidc(config(key)?);
        let client = config.client("https://app.test/auth/op/callback")?;
        Ok(Provider { config, client })
    }

    /// A provider configuration with static keys, for tests.
    pub(in crate::login) fn config(
        key: JwtKey,
    ) -> Result<OidcProvider, Box<dyn std::error::Error>> {
        let id_tokens = JwtValidator::builder()
            .key(key)
            .algorithms([Algorithm::RS256])
            .issuer(ISSUER)
            .audience("app")
            .require_claim(RegisteredClaim::Sub)
            .require_claim(RegisteredClaim::Iat)
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
        };
        Ok(config)
    }

    #[tokio::test]
    async fn id_token_rules() -> Result<(), Box<dyn std::error::Error>> {
        let key = SigningKey::generate(Algorithm::RS256)?;
        let p = provider(key.verifying_key()?)?;
        let now = crate::clock::now();
        let base = json!({
            "iss": ISSUER, "aud": "app", "sub": "u1", "iat": now, "exp": now + 300,
            "nonce": "n-1",
        });
        let sign = |changes: Value, remove: &[&str]| {
            let mut claims = base.clone();
            if let (Some(c), Value::Object(extra)) = (claims.as_object_mut(), changes) {
                c.extend(extra);
                for r in remove {
                    c.remove(*r);
                }
            }
            sign_compact(
                br#"{"alg":"RS256","typ":"JWT"}"#,
                claims.to_string().as_bytes(),
                &key,
            )
            .unwrap_or_default()
        };
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
