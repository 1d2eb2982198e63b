//! The demo's provider side: the provider's access tokens (keys through discovery, opaque
//! ones through introspection) and sign-in with the configured providers.

use std::{sync::Arc, time::Duration};

use auth_core::{
    jwt::{Algorithm, JwtIssuer, JwtValidator, SigningKey},
    login::{GitHubProvider, Login, OidcProvider, ProviderConfig, SessionGrant},
    remote::{KeySource as RemoteSource, RefreshPolicy, RemoteKeySet, ReqwestFetch},
};
use secrecy::ExposeSecret;

use crate::{Client, Config, REALM, ROLE_CLAIMS, SIGN_IN_RATE, StartError, stores};

/// How the provider's keys stay fresh: refetched every minute whatever the provider's
/// `Cache-Control` says (a security-minded app: a key the provider retires is refused within
/// two minutes), kept 24 h through an outage.
pub fn provider_key_policy() -> RefreshPolicy {
    RefreshPolicy::default().ages(Duration::from_secs(60), Duration::from_secs(60))
}

/// The validator for the provider's access tokens: RFC 9068 JWTs (`typ` `at+jwt`, so the
/// provider's ID tokens are refused), keys through discovery (fail fast at start),
/// refreshed in the background, verified tokens cached.
pub(crate) async fn provider_validator(
    issuer: &str,
    audience: &str,
    fetch: Arc<ReqwestFetch>,
) -> Result<JwtValidator, StartError> {
    let named = |e: &dyn std::fmt::Display| StartError(format!("DEMO_OIDC_ISSUER: {e}"));
    let set = RemoteKeySet::load(
        RemoteSource::Discovery(issuer.to_owned()),
        fetch,
        provider_key_policy(),
    )
    .await
    .map_err(|e| named(&e))?;
    set.spawn_refresher().map_err(|e| named(&e))?;
    JwtValidator::builder()
        .remote_keys(set)
        .algorithms(Algorithm::public_key())
        .issuer(issuer)
        .audience(audience)
        .access_token_profile()
        .roles_from(ROLE_CLAIMS)
        .cache_verified(10_000)
        .build()
        .map_err(|e| StartError(format!("DEMO_OIDC_AUDIENCE: {e}")))
}

/// How long the demo keeps an introspection answer: a token the provider revokes is
/// refused within this.
pub const INTROSPECTION_CACHE: Duration = Duration::from_secs(30);

/// The introspection client for the provider's opaque tokens: authenticated with the
/// demo's client credentials, the answer's `aud` must be `audience` and its `iss` the
/// issuer, answers kept at most [`INTROSPECTION_CACHE`], roles read as for JWTs.
pub(crate) async fn introspector(
    issuer: &str,
    audience: &str,
    (id, secret): (&str, &secrecy::SecretString),
    fetch: Arc<ReqwestFetch>,
) -> Result<auth_core::introspect::Introspector, StartError> {
    let named = |e: &dyn std::fmt::Display| StartError(format!("DEMO_OIDC_ISSUER: {e}"));
    auth_core::introspect::Introspector::discover(issuer, id, secret.expose_secret(), fetch)
        .await
        .map_err(|e| named(&e))?
        .audience(audience)
        .roles_from(ROLE_CLAIMS)
        .max_cache(INTROSPECTION_CACHE)
        .build()
        .map_err(|e| named(&e))
}

/// Sign-in with the configured providers, `None` without any. Sessions are the app's own
/// tokens (scope `read`, claim `idp`), in cookies; plain http is allowed because this is a
/// development server (cookies then lose `Secure` and `__Host-`).
pub(crate) async fn sign_in(
    config: &Config,
    base: &str,
    (secret, previous): (&[u8], Option<&[u8]>),
    sessions: SigningKey,
    fetch: &Arc<ReqwestFetch>,
    shared: stores::Shared,
) -> Result<Option<Login>, StartError> {
    let mut providers: Vec<ProviderConfig> = Vec::new();
    if let (Some(issuer), Some(client)) = (&config.oidc_issuer, &config.oidc_client) {
        let id = client.id.clone();
        let secret = client.secret.as_ref().map(|s| s.expose_secret().to_owned());
        let provider = OidcProvider::discover("oidc", issuer, id, secret, fetch.clone())
            .await
            .map_err(|e| StartError(format!("DEMO_OIDC_ISSUER: {e}")))?;
        let provider = if config.oidc_form_post {
            provider.form_post()
        } else {
            provider
        };
        providers.push(provider.into());
    }
    if let Some(Client {
        id,
        secret: Some(secret),
    }) = &config.github
    {
        providers.push(GitHubProvider::new(id.clone(), secret.expose_secret()).into());
    }
    if let Some(Client {
        id,
        secret: Some(secret),
    }) = &config.google
    {
        let google = OidcProvider::google(id.clone(), secret.expose_secret(), fetch.clone())
            .await
            .map_err(|e| StartError(format!("DEMO_GOOGLE_CLIENT_ID: Google: {e}")))?;
        providers.push(google.into());
    }
    if providers.is_empty() {
        return Ok(None);
    }
    let mut sessions = JwtIssuer::new(
        sessions,
        config.jwt_issuer.clone(),
        config.jwt_audience.clone(),
    );
    if let Some(previous) = previous {
        let key = SigningKey::hmac(Algorithm::HS256, previous)
            .map_err(|e| StartError(format!("DEMO_JWT_PREVIOUS_SECRET: {e}")))?;
        sessions = sessions.previous_key(key);
    }
    let mut builder = Login::builder(base, sessions)
        .fetch(fetch.clone())
        .refresh_store(shared.refresh)
        .cookie_secret(secret)
        .rate_limit(SIGN_IN_RATE.0, SIGN_IN_RATE.1)
        // Two tabs refreshing at once keep their session.
        .refresh_grace(std::time::Duration::from_secs(10))
        // Sign-in errors are rendered as the validators render theirs.
        .renderer(auth_core::error::Renderer::new(Some(REALM)))
        .on_sign_in(|id| {
            Ok(SessionGrant::new(id.subject.clone())
                .scopes(["read"])
                .claim("idp", id.provider.clone()))
        });
    for provider in providers {
        builder = builder.provider(provider);
    }
    if let Some(sign_outs) = shared.sign_outs {
        builder = builder.sign_out_store(sign_outs);
    }
    if let Some(previous) = previous {
        builder = builder.previous_cookie_secret(previous);
    }
    if let Some(limits) = shared.limits {
        builder = builder.shared_rate_limit(limits);
    }
    if base.starts_with("http://") {
        builder = builder.allow_insecure_http();
    }
    builder
        .build()
        .map(Some)
        .map_err(|e| StartError(format!("DEMO_PUBLIC_URL: {e}")))
}
