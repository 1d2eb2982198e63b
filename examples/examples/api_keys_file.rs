//! Internal routes behind API keys kept in a file that `auth-keys` manages (axum).
//!
//! ```sh
//! cargo run -p examples --example api_keys_file -- keys.json
//! cargo run -p auth-cli --bin auth-keys -- new --store keys.json --prefix svc --name billing --scope stats:read
//! curl -H "X-API-Key: <the key>" http://127.0.0.1:3003/internal/stats
//! cargo run -p auth-cli --bin auth-keys -- revoke --store keys.json <key-id>   # refused within 2 s
//! ```
//!
//! The file holds hashes only; the server re-reads it when it changes, so new, revoked and
//! rotated keys take effect without a restart.

use std::{sync::Arc, time::Duration};

use auth_axum::{ApiKey, AuthLayer};
use auth_core::{
    apikey::{ApiKeyValidator, FileStore, KeyFile},
    scope::ScopeRequirement,
};
use axum::{Json, Router, routing::get};
use serde_json::{Value, json};

async fn stats(key: ApiKey) -> Json<Value> {
    Json(json!({ "key_id": key.id(), "key_name": key.name() }))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt().with_env_filter("info").init();
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "keys.json".into());
    if !std::path::Path::new(&path).exists() {
        KeyFile::new().save(path.as_ref())?; // an empty key file, for `auth-keys new`
    }
    let store = FileStore::open(&path)?.watch(Duration::from_secs(2));
    let keys = ApiKeyValidator::builder(Arc::new(store))
        .prefix("svc")
        .realm("my-app")
        .rate_limit(120, Duration::from_secs(60))
        .build()?;

    let app = Router::new()
        .route("/internal/stats", get(stats))
        .route_layer(AuthLayer::api_key(keys.clone()).scopes(ScopeRequirement::all(["stats:read"])))
        .with_state(keys);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:3003").await?;
    println!("serving http://127.0.0.1:3003/internal/stats with the keys of {path}");
    axum::serve(listener, app).await?;
    Ok(())
}
