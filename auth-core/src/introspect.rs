//! An OAuth 2.0 token introspection client (RFC 7662) for opaque access tokens: give it to
//! a validator ([`JwtValidatorBuilder::introspection`](crate::jwt::JwtValidatorBuilder::introspection))
//! and the validator's routes take opaque tokens beside JWTs.
//!
//! The rules:
//!
//! - The request is authenticated (`client_secret_basic`) and goes through the same
//!   outbound policy as JWKS fetches ([`ReqwestFetch`]: no redirects, a timeout, a body
//!   cap, public destinations only when asked).
//! - Only `"active": true` is active: `false`, a missing `active` or another type is a
//!   refused token (401 `invalid_token`), as is an answer that is not a JSON object, a
//!   token bound to a key (`cnf`: it must come with its proof) or a refresh token.
//! - An answer is cached by the SHA-256 of the token (never the token), for no longer than
//!   `min(exp − now, max_cache)`; expiry, `nbf`, audience and issuer are checked again on
//!   every use, and the route's scopes by its guard (ory/oathkeeper#743 is the bug avoided).
//! - A server that cannot be reached (or answers an error) gets 503, never a pass.

use std::{sync::Arc, time::Duration};

use base64::{Engine, engine::general_purpose::STANDARD};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;

use crate::{
    error::TokenError,
    jwt::{ClaimPath, Introspect, Introspected},
    remote::{Fetch, RemoteError, ReqwestFetch, discover},
};

/// How long an answer is kept when the configuration says nothing.
pub const DEFAULT_MAX_CACHE: Duration = Duration::from_secs(60);

/// An introspection client; cheap to clone (shared cache).
#[derive(Clone)]
pub struct Introspector {
    inner: Arc<Inner>,
}

struct Inner {
    endpoint: String,
    /// `Basic base64(urlencode(id):urlencode(secret))`.
    authorization: SecretString,
    fetch: Arc<ReqwestFetch>,
    audiences: Vec<String>,
    issuer: Option<String>,
    roles: Vec<ClaimPath>,
    max_cache: i64,
    cache: Option<quick_cache::sync::Cache<[u8; 32], Arc<Entry>>>,
}

/// A cached answer.
struct Entry {
    /// `None`: the server said the token is not active.
    answer: Option<Introspected>,
    exp: Option<i64>,
    nbf: Option<i64>,
    aud: Vec<String>,
    iss: Option<String>,
    /// Used no later than this (seconds since the epoch).
    until: i64,
}

impl std::fmt::Debug for Introspector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Introspector")
            .field("endpoint", &self.inner.endpoint)
            .field("client_secret", &"[redacted]")
            .field("audiences", &self.inner.audiences)
            .field("issuer", &self.inner.issuer)
            .field("max_cache", &self.inner.max_cache)
            .finish()
    }
}

/// Configures an [`Introspector`].
pub struct IntrospectorBuilder {
    endpoint: String,
    client_id: String,
    client_secret: SecretString,
    fetch: Arc<ReqwestFetch>,
    audiences: Vec<String>,
    issuer: Option<String>,
    roles: Vec<ClaimPath>,
    max_cache: Duration,
    capacity: usize,
}

impl std::fmt::Debug for IntrospectorBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IntrospectorBuilder")
            .field("endpoint", &self.endpoint)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

impl Introspector {
    /// A client of the introspection `endpoint`, authenticating as `client_id` with
    /// `client_secret`, through `fetch`.
    pub fn builder(
        endpoint: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
        fetch: Arc<ReqwestFetch>,
    ) -> IntrospectorBuilder {
        IntrospectorBuilder {
            endpoint: endpoint.into(),
            client_id: client_id.into(),
            client_secret: SecretString::from(client_secret.into()),
            fetch,
            audiences: Vec::new(),
            issuer: None,
            roles: Vec::new(),
            max_cache: DEFAULT_MAX_CACHE,
            capacity: 10_000,
        }
    }

    /// [`builder`](Self::builder) with the endpoint from the provider's OpenID discovery
    /// (`introspection_endpoint`), and the answers' `iss` required to be `issuer`.
    ///
    /// # Errors
    ///
    /// [`RemoteError`] when discovery fails or names no introspection endpoint.
    pub async fn discover(
        issuer: &str,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
        fetch: Arc<ReqwestFetch>,
    ) -> Result<IntrospectorBuilder, RemoteError> {
        let metadata = discover(fetch.as_ref() as &dyn Fetch, issuer).await?;
        let endpoint = metadata
            .introspection_endpoint
            .ok_or_else(|| RemoteError::Document {
                url: format!("{issuer}/.well-known/openid-configuration"),
                reason: "the provider names no introspection_endpoint",
            })?;
        Ok(Introspector::builder(endpoint, client_id, client_secret, fetch).issuer(issuer))
    }

    /// How many answers the cache holds.
    pub fn cached(&self) -> usize {
        self.inner.cache.as_ref().map_or(0, |c| c.len())
    }

    /// Ask the server about `token` (no cache).
    async fn ask(&self, token: &str) -> Result<Entry, TokenError> {
        let inner = &self.inner;
        let mut body = String::from("token=");
        body.extend(url::form_urlencoded::byte_serialize(token.as_bytes()));
        body.push_str("&token_type_hint=access_token");
        let request = http::Request::post(&inner.endpoint)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", "application/json")
            .header("authorization", inner.authorization.expose_secret())
            .body(body.into_bytes())
            .map_err(|_| TokenError::IntrospectionUnavailable)?;
        let response = inner.fetch.send(request).await.map_err(|e| {
            tracing::warn!(endpoint = %inner.endpoint, error = %e, "introspection failed");
            TokenError::IntrospectionUnavailable
        })?;
        if response.status() != 200 {
            tracing::warn!(
                endpoint = %inner.endpoint,
                status = response.status().as_u16(),
                "introspection answered with an error (are the client credentials right?)"
            );
            return Err(TokenError::IntrospectionUnavailable);
        }
        let now = crate::clock::now();
        let Ok(Value::Object(answer)) = serde_json::from_slice::<Value>(response.body()) else {
            tracing::warn!(endpoint = %inner.endpoint, "introspection answer is not a JSON object");
            return Err(TokenError::IntrospectionUnavailable);
        };
        let date = |name: &str| answer.get(name).and_then(Value::as_f64).map(|d| d as i64);
        let (exp, nbf) = (date("exp"), date("nbf"));
        let until = now + exp.map_or(inner.max_cache, |exp| (exp - now).min(inner.max_cache));
        // Only `true` is active; a bound token (`cnf`) needs its proof, a refresh token is
        // not an access token: neither is accepted as a bearer token.
        let active = answer.get("active") == Some(&Value::Bool(true))
            && !answer.contains_key("cnf")
            && answer
                .get("token_type")
                .and_then(Value::as_str)
                .is_none_or(|t| !t.eq_ignore_ascii_case("refresh_token"));
        if !active {
            return Ok(Entry {
                answer: None,
                exp,
                nbf,
                aud: Vec::new(),
                iss: None,
                until: now + inner.max_cache,
            });
        }
        let aud = match answer.get("aud") {
            Some(Value::String(a)) => vec![a.clone()],
            Some(Value::Array(list)) => list
                .iter()
                .filter_map(|a| a.as_str().map(str::to_owned))
                .collect(),
            _ => Vec::new(),
        };
        let iss = answer.get("iss").and_then(Value::as_str).map(str::to_owned);
        let payload = serde_json::to_vec(&answer).map_err(|_| TokenError::Claims)?;
        let roles = crate::jwt::roles_of(&inner.roles, &payload);
        Ok(Entry {
            answer: Some(Introspected::new(payload.into(), roles)),
            exp,
            nbf,
            aud,
            iss,
            until,
        })
    }

    /// The checks made on every use of an answer, cached or fresh.
    fn check(&self, entry: &Entry, now: i64) -> Result<Introspected, TokenError> {
        let inner = &self.inner;
        let answer = entry.answer.clone().ok_or(TokenError::Inactive)?;
        if entry.exp.is_some_and(|exp| now >= exp) {
            return Err(TokenError::Expired);
        }
        if entry.nbf.is_some_and(|nbf| now < nbf) {
            return Err(TokenError::NotYetValid);
        }
        if !inner.audiences.is_empty() && !entry.aud.iter().any(|a| inner.audiences.contains(a)) {
            return Err(TokenError::Audience);
        }
        if let Some(issuer) = &inner.issuer
            && entry.iss.as_deref() != Some(issuer.as_str())
        {
            return Err(TokenError::Issuer);
        }
        Ok(answer)
    }
}

impl IntrospectorBuilder {
    /// Require the answer's `aud` to contain `audience` (call again for several). Strongly
    /// advised: without it, any active token of the server is accepted, whoever it was
    /// issued for; with it, tokens without an audience (a refresh token) are refused.
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audiences.push(audience.into());
        self
    }

    /// Require the answer's `iss` to be `issuer`.
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = Some(issuer.into());
        self
    }

    /// Read roles from these member paths of the answer (see
    /// [`JwtValidatorBuilder::roles_from`](crate::jwt::JwtValidatorBuilder::roles_from)).
    pub fn roles_from<I, P>(mut self, paths: I) -> Self
    where
        I: IntoIterator<Item = P>,
        P: Into<ClaimPath>,
    {
        self.roles.extend(paths.into_iter().map(Into::into));
        self
    }

    /// Keep an answer at most this long (default [`DEFAULT_MAX_CACHE`]); zero turns the
    /// cache off. A token the server revokes is refused within this time.
    pub fn max_cache(mut self, max: Duration) -> Self {
        self.max_cache = max;
        self
    }

    /// How many answers the cache holds at most (default 10 000).
    pub fn cache_capacity(mut self, capacity: usize) -> Self {
        self.capacity = capacity;
        self
    }

    /// The client.
    ///
    /// # Errors
    ///
    /// [`ConfigError::Introspection`](crate::error::ConfigError::Introspection) for an
    /// endpoint that is not a URL, an empty client id, or a role path that names nothing.
    pub fn build(self) -> Result<Introspector, crate::error::ConfigError> {
        use crate::error::ConfigError;
        if url::Url::parse(&self.endpoint).is_err() {
            return Err(ConfigError::Introspection("the endpoint is not a URL"));
        }
        if self.client_id.is_empty() {
            return Err(ConfigError::Introspection("the client id is empty"));
        }
        if !self.roles.iter().all(ClaimPath::is_valid) {
            return Err(ConfigError::RolePath);
        }
        // RFC 6749 §2.3.1: both parts form-urlencoded before base64.
        let encode =
            |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
        let pair = format!(
            "{}:{}",
            encode(&self.client_id),
            encode(self.client_secret.expose_secret())
        );
        let authorization = SecretString::from(format!("Basic {}", STANDARD.encode(pair)));
        let max_cache = i64::try_from(self.max_cache.as_secs()).unwrap_or(i64::MAX);
        Ok(Introspector {
            inner: Arc::new(Inner {
                endpoint: self.endpoint,
                authorization,
                fetch: self.fetch,
                audiences: self.audiences,
                issuer: self.issuer,
                roles: self.roles,
                max_cache,
                cache: (max_cache > 0 && self.capacity > 0)
                    .then(|| quick_cache::sync::Cache::new(self.capacity)),
            }),
        })
    }
}

#[async_trait::async_trait]
impl Introspect for Introspector {
    async fn introspect(&self, token: &str) -> Result<Introspected, TokenError> {
        let key: [u8; 32] = {
            let mut out = [0; 32];
            out.copy_from_slice(
                aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, token.as_bytes()).as_ref(),
            );
            out
        };
        let now = crate::clock::now();
        if let Some(cache) = &self.inner.cache
            && let Some(entry) = cache.get(&key)
        {
            if now < entry.until {
                return self.check(&entry, now);
            }
            cache.remove(&key);
        }
        let entry = self.ask(token).await?;
        let result = self.check(&entry, now);
        if let Some(cache) = &self.inner.cache
            && now < entry.until
        {
            cache.insert(key, Arc::new(entry));
        }
        result
    }
}
