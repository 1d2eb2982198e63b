//! An API that accepts the access tokens of an OpenID provider, checked against the
//! provider's published keys (axum).
//!
//! ```sh
//! ISSUER=https://login.example.com AUDIENCE=my-api cargo run -p examples --example resource_server
//! ```
//!
//! The keys come through OpenID discovery and are refreshed in the background; a token
//! signed with a key the provider has just published makes the set refetch once.

use std::sync::Arc;

use auth_axum::{AuthLayer, RequireJwt};
use auth_core::{
    jwt::{Algorithm, JwtValidator},
    remote::{FetchPolicy, KeySource, RefreshPolicy, RemoteKeySet, ReqwestFetch},
    scope::ScopeRequirement,
};
use axum::{Router, routing::get};

async fn me(RequireJwt(claims): RequireJwt) -> String {
    format!("subject {}\n", claims.sub().unwrap_or("?"))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt().with_env_filter("info").init();
    let issuer = std::env::var("ISSUER").map_err(|_| "set ISSUER to your provider's issuer URL")?;
    let audience = std::env::var("AUDIENCE").unwrap_or_else(|_| "my-api".into());

    // https only, a timeout, a size cap, no redirects; and no private addresses.
    let policy = FetchPolicy {
        public_only: true,
        ..FetchPolicy::default()
    };
    let fetch = Arc::new(ReqwestFetch::new(policy)?);
    let keys = RemoteKeySet::load(
        KeySource::Discovery(issuer.clone()),
        fetch,
        RefreshPolicy::default(),
    )
    .await?;
    keys.spawn_refresher()?;
    let validator = JwtValidator::builder()
        .remote_keys(keys)
        .algorithms([Algorithm::RS256, Algorithm::ES256, Algorithm::EdDSA])
        .issuer(&issuer)
        .audience(&audience)
        .access_token_profile() // RFC 9068: the provider's ID tokens are refused
        .realm("my-api")
        .build()?;

    let app = Router::new()
        .route("/api/me", get(me))
        .route_layer(AuthLayer::jwt(validator.clone()).scopes(ScopeRequirement::all(["read"])))
        .with_state(validator);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:3004").await?;
    println!("serving http://127.0.0.1:3004/api/me for tokens of {issuer} (aud {audience})");
    axum::serve(listener, app).await?;
    Ok(())
}
