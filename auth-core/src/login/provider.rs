//! Sign-in providers: the kinds ([`ProviderConfig`]: OpenID, GitHub) and what they share:
//! the `oauth2` client (authorization code with PKCE S256) over this crate's outbound
//! client, and the exchange.

use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet, EndpointSet,
    ExtraTokenFields, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope,
    StandardRevocableToken, StandardTokenResponse, TokenResponse, TokenUrl,
    basic::{
        BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse,
        BasicTokenType,
    },
};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{GitHubProvider, Identity, OidcProvider};
use crate::{
    error::ConfigError,
    remote::{FetchError, RemoteError, ReqwestFetch},
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
    pub(super) id_token: Option<String>,
}

impl ExtraTokenFields for IdTokenField {}

pub(super) type TokenResp = StandardTokenResponse<IdTokenField, BasicTokenType>;

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

    /// The authorization endpoint, the token endpoint and the scopes asked for.
    #[cfg(feature = "openapi")]
    pub(crate) fn endpoints(&self) -> (&str, &str, &[String]) {
        match self {
            ProviderConfig::Oidc(p) => (&p.authorization_endpoint, &p.token_endpoint, &p.scopes),
            ProviderConfig::GitHub(p) => (&p.authorize_url, &p.token_url, &p.scopes),
        }
    }

    pub(super) fn client(&self, redirect: &str) -> Result<OAuthClient, ProviderError> {
        match self {
            ProviderConfig::Oidc(p) => client(
                &p.client_id,
                p.client_secret.as_ref().map(ExposeSecret::expose_secret),
                &p.authorization_endpoint,
                &p.token_endpoint,
                redirect,
            ),
            ProviderConfig::GitHub(p) => client(
                &p.client_id,
                Some(p.client_secret.expose_secret()),
                &p.authorize_url,
                &p.token_url,
                redirect,
            ),
        }
    }
}

/// The `oauth2` client; the secret is copied into oauth2's own redacting `ClientSecret`.
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

    /// Whether the response comes by `POST` (`response_mode=form_post`).
    pub(super) fn form_post(&self) -> bool {
        matches!(&self.config, ProviderConfig::Oidc(p) if p.form_post)
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
        if self.form_post() {
            request = request.add_extra_param("response_mode", "form_post");
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
/// GET `url` with the access token, expecting JSON (GitHub wants a `User-Agent`).
pub(super) async fn get_json(
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

/// Each provider's name, authorization endpoint, token endpoint and scopes (for
/// [`openapi`](crate::openapi)).
#[cfg(feature = "openapi")]
impl super::Login {
    pub(crate) fn provider_endpoints(
        &self,
    ) -> impl Iterator<Item = (&str, (&str, &str, &[String]))> {
        self.inner
            .providers
            .iter()
            .map(|p| (p.name(), p.config.endpoints()))
    }
}
