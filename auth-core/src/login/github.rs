//! GitHub: OAuth 2.0 without OpenID; who signed in comes from its REST API.

use secrecy::SecretString;
use serde_json::Value;

use super::{
    Identity,
    provider::{ExchangeError, get_json},
};
use crate::remote::ReqwestFetch;

/// GitHub: OAuth 2.0 (no OpenID), the user from its REST API and the primary verified
/// email from `/user/emails`. Endpoints can be pointed elsewhere (GitHub Enterprise, or a
/// stand-in in tests). Its `Debug` output never shows the client secret.
#[derive(Clone)]
pub struct GitHubProvider {
    pub(super) name: String,
    pub(super) client_id: String,
    pub(super) client_secret: SecretString,
    pub(super) authorize_url: String,
    pub(super) token_url: String,
    pub(super) api_url: String,
    pub(super) scopes: Vec<String>,
}

impl std::fmt::Debug for GitHubProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GitHubProvider")
            .field("name", &self.name)
            .field("client_id", &self.client_id)
            .field("client_secret", &crate::redact::Redacted)
            .field("authorize_url", &self.authorize_url)
            .field("token_url", &self.token_url)
            .field("api_url", &self.api_url)
            .field("scopes", &self.scopes)
            .finish()
    }
}

impl GitHubProvider {
    /// The OAuth app `client_id` / `client_secret` on github.com; routes under
    /// `/auth/github/`.
    pub fn new(client_id: impl Into<String>, client_secret: impl Into<String>) -> Self {
        GitHubProvider {
            name: "github".into(),
            client_id: client_id.into(),
            client_secret: SecretString::from(client_secret.into()),
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
impl GitHubProvider {
    pub(super) async fn identity(
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
