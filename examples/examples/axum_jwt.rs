//! The smallest axum app that takes JWTs: one route, one HS256 key, your own claims type.
//!
//! ```sh
//! cargo run -p examples --example axum_jwt
//! ```
//!
//! It prints a token to try it with; a request without one gets 401 and a `WWW-Authenticate`
//! challenge, a malformed header 400, a bad token 401 `invalid_token`.

use auth_axum::RequireJwt;
use auth_core::jwt::{Algorithm, JwtIssuer, JwtValidator, SigningKey};
use axum::{Router, routing::get};
use serde::{Deserialize, Serialize};

/// The claims of your app, beside the registered ones (`sub`, `exp`, ...) the toolkit checks.
#[derive(Serialize, Deserialize)]
struct Profile {
    name: String,
}

async fn me(RequireJwt(claims): RequireJwt<Profile>) -> String {
    format!(
        "hello {}, subject {}\n",
        claims.custom.name,
        claims.sub().unwrap_or("?")
    )
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt().with_env_filter("info").init();
    // In a real app the secret comes from your configuration (32 bytes or more).
    let key = SigningKey::generate(Algorithm::HS256)?;
    let validator = JwtValidator::builder()
        .key(key.verifying_key()?)
        .issuer("my-app")
        .audience("my-app")
        .realm("my-app")
        .build()?;
    let issuer = JwtIssuer::new(key, "my-app", "my-app");
    let token = issuer.issue("user-1", &["read"], &Profile { name: "Ada".into() })?;

    let app = Router::new().route("/me", get(me)).with_state(validator);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:3001").await?;
    println!("curl -H 'Authorization: Bearer {token}' http://127.0.0.1:3001/me");
    axum::serve(listener, app).await?;
    Ok(())
}
