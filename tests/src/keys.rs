//! The API-key conformance table (the demo contract and the API-key rules of SECURITY.md), run through both adapters.

use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};

use auth_core::{
    apikey::{
        ApiKeyRecord, ApiKeySecret, ApiKeyStore, ApiKeyValidator, KeyHash, KeyHasher, MemoryStore,
        StoreError, StoredKey, mint,
    },
    scope::ScopeRequirement,
    test_util::now,
};
use serde_json::json;

use crate::{REALM, TestRequest};

/// A store that counts lookups, to prove that malformed keys never reach it.
#[derive(Debug, Default)]
pub struct CountingStore {
    /// The keys.
    pub inner: MemoryStore,
    /// Lookups so far.
    pub lookups: AtomicUsize,
}

#[async_trait::async_trait]
impl ApiKeyStore for CountingStore {
    async fn find(&self, hash: &KeyHash) -> Result<Option<Arc<StoredKey>>, StoreError> {
        self.lookups.fetch_add(1, Ordering::SeqCst);
        self.inner.find(hash).await
    }
}

/// Keys in every state, and a validator over them.
#[derive(Debug)]
pub struct KeyFixture {
    /// The store.
    pub store: Arc<CountingStore>,
    /// The validator (prefix `demo` only).
    pub validator: ApiKeyValidator,
    /// Scope `stats:read`.
    pub valid: ApiKeySecret,
    /// Its record.
    pub valid_record: ApiKeyRecord,
    /// Scope `other` only.
    pub unscoped: ApiKeySecret,
    /// Revoked.
    pub revoked: ApiKeySecret,
    /// Expired.
    pub expired: ApiKeySecret,
    /// Prefix `test`, stored, but not accepted by this deployment.
    pub other_prefix: ApiKeySecret,
    /// Well-formed, never stored.
    pub unknown: ApiKeySecret,
}

fn make(
    prefix: &str,
    scopes: &[&str],
    store: &CountingStore,
    edit: impl FnOnce(&mut ApiKeyRecord),
) -> (ApiKeySecret, ApiKeyRecord) {
    let (key, mut record) = mint(
        &KeyHasher::sha256(),
        prefix,
        "svc",
        scopes,
        now() - 100,
        None,
    )
    .expect("mint");
    edit(&mut record);
    store.inner.insert(record.clone());
    (key, record)
}

impl KeyFixture {
    /// Mint the keys.
    pub fn new() -> KeyFixture {
        let store = Arc::new(CountingStore::default());
        let (valid, valid_record) = make("demo", &["stats:read"], &store, |_| {});
        let (unscoped, _) = make("demo", &["other"], &store, |_| {});
        let (revoked, _) = make("demo", &["stats:read"], &store, |r| {
            r.revoked = Some(now() - 10)
        });
        let (expired, _) = make("demo", &["stats:read"], &store, |r| {
            r.expires = Some(now() - 10)
        });
        let (other_prefix, _) = make("test", &["stats:read"], &store, |_| {});
        let unknown = ApiKeySecret::generate("demo").expect("key");
        let validator = ApiKeyValidator::builder(store.clone())
            .realm(REALM)
            .prefix("demo")
            .build()
            .expect("validator");
        KeyFixture {
            store,
            validator,
            valid,
            valid_record,
            unscoped,
            revoked,
            expired,
            other_prefix,
            unknown,
        }
    }

    /// Lookups so far.
    pub fn lookups(&self) -> usize {
        self.store.lookups.load(Ordering::SeqCst)
    }
}

impl Default for KeyFixture {
    fn default() -> Self {
        KeyFixture::new()
    }
}

/// One row.
#[derive(Debug, Clone)]
pub struct KeyCase {
    /// Name.
    pub name: String,
    /// Request.
    pub request: TestRequest,
    /// Expected status.
    pub status: u16,
    /// Expected challenge, exactly (`None` for 200).
    pub challenge: Option<String>,
    /// Whether the store may be consulted.
    pub reaches_store: bool,
    /// The secret sent, to check it is never echoed.
    pub secret: Option<String>,
}

/// The required scope of `/internal/stats`.
pub fn stats_scope() -> ScopeRequirement {
    ScopeRequirement::all(["stats:read"])
}

/// Build the table.
pub fn key_cases(fx: &KeyFixture) -> Vec<KeyCase> {
    let missing = Some(format!(r#"ApiKey realm="{REALM}""#));
    let invalid = Some(format!(r#"ApiKey realm="{REALM}", error="invalid_key""#));
    let scope = Some(format!(
        r#"ApiKey realm="{REALM}", error="insufficient_scope", scope="stats:read""#
    ));
    let valid = fx.valid.expose_secret().to_owned();
    let typo = {
        let mut b = valid.clone().into_bytes();
        b[8] = if b[8] == b'x' { b'y' } else { b'x' };
        String::from_utf8(b).expect("ascii")
    };
    let row = |name: &str,
               uri: &str,
               headers: &[(&str, &str)],
               status: u16,
               challenge: &Option<String>,
               reaches_store: bool| KeyCase {
        name: name.to_owned(),
        request: TestRequest {
            uri: uri.to_owned(),
            headers: headers
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        },
        status,
        challenge: challenge.clone(),
        reaches_store,
        secret: headers
            .iter()
            .find(|(_, v)| v.len() > 20)
            .map(|(_, v)| (*v).to_owned()),
    };
    let big = "a".repeat(10_000);
    let query = format!("/internal/stats?api_key={valid}");
    let bearer = format!("Bearer {valid}");
    let spaced = format!("  {valid} ");
    vec![
        row(
            "valid key on a scoped route",
            "/internal/stats",
            &[("x-api-key", &valid)],
            200,
            &None,
            true,
        ),
        row(
            "valid key, extractor only",
            "/internal/whoami",
            &[("x-api-key", &valid)],
            200,
            &None,
            true,
        ),
        row(
            "header name in capitals",
            "/internal/stats",
            &[("X-API-KEY", &valid)],
            200,
            &None,
            true,
        ),
        row(
            "surrounding spaces",
            "/internal/whoami",
            &[("x-api-key", &spaced)],
            200,
            &None,
            true,
        ),
        row("no key", "/internal/stats", &[], 401, &missing, false),
        row(
            "no key, extractor only",
            "/internal/whoami",
            &[],
            401,
            &missing,
            false,
        ),
        row(
            "key in the Authorization header",
            "/internal/stats",
            &[("authorization", &bearer)],
            401,
            &missing,
            false,
        ),
        row("key only in the query", &query, &[], 401, &missing, false),
        row(
            "garbage",
            "/internal/stats",
            &[("x-api-key", "hello")],
            401,
            &invalid,
            false,
        ),
        row(
            "one character changed",
            "/internal/stats",
            &[("x-api-key", &typo)],
            401,
            &invalid,
            false,
        ),
        row(
            "oversized header",
            "/internal/stats",
            &[("x-api-key", &big)],
            401,
            &invalid,
            false,
        ),
        row(
            "two X-API-Key headers",
            "/internal/stats",
            &[("x-api-key", &valid), ("x-api-key", &valid)],
            401,
            &invalid,
            false,
        ),
        row(
            "prefix not accepted here",
            "/internal/stats",
            &[("x-api-key", fx.other_prefix.expose_secret())],
            401,
            &invalid,
            false,
        ),
        row(
            "unknown key",
            "/internal/stats",
            &[("x-api-key", fx.unknown.expose_secret())],
            401,
            &invalid,
            true,
        ),
        row(
            "revoked key",
            "/internal/stats",
            &[("x-api-key", fx.revoked.expose_secret())],
            401,
            &invalid,
            true,
        ),
        row(
            "expired key",
            "/internal/whoami",
            &[("x-api-key", fx.expired.expose_secret())],
            401,
            &invalid,
            true,
        ),
        row(
            "valid key without the scope",
            "/internal/stats",
            &[("x-api-key", fx.unscoped.expose_secret())],
            403,
            &scope,
            true,
        ),
        row(
            "key without the scope, extractor only",
            "/internal/whoami",
            &[("x-api-key", fx.unscoped.expose_secret())],
            200,
            &None,
            true,
        ),
    ]
}

/// The body of the key routes.
pub fn key_body(key: &auth_core::apikey::VerifiedKey) -> serde_json::Value {
    json!({ "key_id": key.id(), "name": key.name() })
}

/// The axum app of the key table.
pub fn axum_key_app(validator: ApiKeyValidator) -> axum::Router {
    use auth_axum::{ApiKey, AuthLayer};
    use axum::{Json, Router, routing::get};
    async fn handler(key: ApiKey) -> Json<serde_json::Value> {
        Json(key_body(&key))
    }
    let stats = Router::new()
        .route("/internal/stats", get(handler))
        .route_layer(AuthLayer::api_key(validator.clone()).scopes(stats_scope()));
    Router::new()
        .route("/internal/whoami", get(handler))
        .merge(stats)
        .with_state(validator)
}

/// The actix-web app of the key table.
pub fn actix_key_config(
    validator: ApiKeyValidator,
) -> impl FnOnce(&mut actix_web::web::ServiceConfig) {
    use actix_web::{HttpResponse, web};
    use auth_actix::{ApiKey, AuthMiddleware};
    async fn handler(key: ApiKey) -> HttpResponse {
        HttpResponse::Ok().json(key_body(&key))
    }
    move |cfg| {
        cfg.app_data(validator.clone())
            .route("/internal/whoami", web::get().to(handler))
            .service(
                web::resource("/internal/stats")
                    .wrap(AuthMiddleware::api_key(validator).scopes(stats_scope()))
                    .route(web::get().to(handler)),
            );
    }
}
