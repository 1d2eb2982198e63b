//! Sign-in with an OpenID provider and the app's own sessions (axum).
//!
//! ```sh
//! ISSUER=https://login.example.com CLIENT_ID=my-client CLIENT_SECRET=... \
//!     cargo run -p examples --example sign_in
//! ```
//!
//! Register `http://127.0.0.1:3005/auth/oidc/callback` as the client's redirect URI, then
//! open `http://127.0.0.1:3005/auth/oidc/login?return_to=/me`. After sign-in the session is
//! an access JWT in an HttpOnly cookie (15 minutes) and a rotating refresh token:
//! `POST /auth/refresh` renews it, `POST /auth/logout` ends it.

use std::sync::Arc;

use auth_axum::RequireJwt;
use auth_core::{
    credential::TokenSource,
    jwt::{Algorithm, JwtIssuer, JwtValidator, SigningKey},
    login::{Login, OidcProvider, SessionGrant},
    remote::{FetchPolicy, ReqwestFetch},
};
use axum::{Router, routing::get};

async fn me(RequireJwt(claims): RequireJwt) -> String {
    format!("signed in as {}\n", claims.sub().unwrap_or("?"))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt().with_env_filter("info").init();
    let var = |name: &str| std::env::var(name).map_err(|_| format!("set {name}"));
    let (issuer, client_id) = (var("ISSUER")?, var("CLIENT_ID")?);
    let client_secret = std::env::var("CLIENT_SECRET").ok(); // none: a public client, PKCE alone
    let public_url = "http://127.0.0.1:3005";

    // A provider on this machine over plain http is allowed for development only.
    let policy = FetchPolicy {
        allow_http_loopback: true,
        ..FetchPolicy::default()
    };
    let fetch = Arc::new(ReqwestFetch::new(policy)?);
    let provider =
        OidcProvider::discover("oidc", issuer, client_id, client_secret, fetch.clone()).await?;

    // The app's session tokens: its own key, never the provider's tokens.
    let key = SigningKey::generate(Algorithm::HS256)?;
    let validator_key = key.verifying_key()?;
    let login = Login::builder(public_url, JwtIssuer::new(key, "my-app", "my-app"))
        .provider(provider)
        .fetch(fetch)
        .allow_insecure_http() // plain http: development only; https gets __Host- cookies
        .on_sign_in(|who| Ok(SessionGrant::new(who.subject.clone()).scopes(["read"])))
        .build()?;
    let validator = JwtValidator::builder()
        .key(validator_key)
        .issuer("my-app")
        .audience("my-app")
        .token_sources([
            TokenSource::AuthorizationBearer,
            TokenSource::Cookie(login.session_cookie().to_owned()),
        ])
        .build()?;

    let app = Router::new()
        .route("/me", get(me))
        .with_state(validator)
        .merge(auth_axum::login_routes(login));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:3005").await?;
    println!("open {public_url}/auth/oidc/login?return_to=/me");
    axum::serve(listener, app).await?;
    Ok(())
}
