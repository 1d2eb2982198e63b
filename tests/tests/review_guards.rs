//! Security review, item 1: an inner guard or extractor never trusts an outer guard's result
//! when another validator produced it. Through both adapters.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::sync::Arc;

use auth_core::{
    apikey::{ApiKeyValidator, MemoryStore},
    jwt::{Algorithm, JwtValidator},
    scope::ScopeRequirement,
    test_util::{TestKey, TokenBuilder},
};
use auth_tests::{TestRequest, TestResponse, call_actix, call_axum};
use serde_json::{Value, json};

const APP_SECRET: &[u8] = b"the-app-secret-0123456789abcdefghij";
const PARTNER_SECRET: &[u8] = b"the-partner-secret-0123456789abcdef";

struct Setup {
    app: JwtValidator,
    partner: JwtValidator,
    app_token: String,
    partner_admin: String,
}

fn setup() -> Setup {
    let app_key = TestKey::hmac(Algorithm::HS256, APP_SECRET);
    let partner_key = TestKey::hmac(Algorithm::HS256, PARTNER_SECRET);
    let validator = |key: &TestKey, iss: &str| {
        JwtValidator::builder()
            .key(key.verifying_key())
            .issuer(iss)
            .audience("api")
            .realm("r")
            .build()
            .unwrap()
    };
    Setup {
        app: validator(&app_key, "app"),
        partner: validator(&partner_key, "partner"),
        app_token: TokenBuilder::valid(&app_key, "app", "api", "alice")
            .claim("scope", "admin")
            .sign(&app_key),
        partner_admin: TokenBuilder::valid(&partner_key, "partner", "api", "mallory")
            .claim("scope", "admin")
            .sign(&partner_key),
    }
}

fn bearer(uri: &str, token: &str) -> TestRequest {
    TestRequest {
        uri: uri.into(),
        headers: vec![("authorization".into(), format!("Bearer {token}"))],
    }
}

fn admin() -> ScopeRequirement {
    ScopeRequirement::all(["admin"])
}

/// `/guarded`: outer layer with the partner's validator, inner layer with the app's (scope
/// `admin`), extractor with the app's. `/extracted`: outer partner layer, app extractor.
fn axum_app(s: &Setup) -> axum::Router {
    use auth_axum::{AuthLayer, RequireJwt};
    use axum::{Json, Router, routing::get};
    async fn iss(RequireJwt(c): RequireJwt) -> Json<Value> {
        Json(json!({ "iss": c.registered.iss() }))
    }
    let guarded = Router::new()
        .route("/guarded", get(iss))
        .route_layer(AuthLayer::jwt(s.app.clone()).scopes(admin()));
    Router::new()
        .route("/extracted", get(iss))
        .merge(guarded)
        .layer(AuthLayer::jwt(s.partner.clone()))
        .with_state(s.app.clone())
}

async fn actix_call(s: &Setup, req: &TestRequest) -> TestResponse {
    use actix_web::{App, HttpResponse, web};
    use auth_actix::{AuthMiddleware, RequireJwt};
    async fn iss(RequireJwt(c): RequireJwt) -> HttpResponse {
        HttpResponse::Ok().json(json!({ "iss": c.registered.iss() }))
    }
    let app = actix_web::test::init_service(
        App::new().app_data(s.app.clone()).service(
            web::scope("")
                .wrap(AuthMiddleware::jwt(s.partner.clone()))
                .service(
                    web::resource("/guarded")
                        .wrap(AuthMiddleware::jwt(s.app.clone()).scopes(admin()))
                        .route(web::get().to(iss)),
                )
                .route("/extracted", web::get().to(iss)),
        ),
    )
    .await;
    call_actix(&app, req).await
}

#[actix_web::test]
async fn review_01_an_inner_guard_does_not_trust_another_validators_result() {
    let s = setup();
    let axum = axum_app(&s);
    for uri in ["/guarded", "/extracted"] {
        // A partner token passes the outer (partner) guard, and nothing of the app's.
        let req = bearer(uri, &s.partner_admin);
        let a = call_axum(&axum, &req).await;
        let b = actix_call(&s, &req).await;
        assert_eq!(a.status, 401, "axum {uri}: {}", a.body);
        assert_eq!(b.status, 401, "actix {uri}: {}", b.body);
        assert_eq!(a, b, "{uri}");
        // An app token is refused by the outer partner guard, as before.
        let req = bearer(uri, &s.app_token);
        assert_eq!(call_axum(&axum, &req).await.status, 401);
        assert_eq!(actix_call(&s, &req).await.status, 401);
    }
}

#[actix_web::test]
async fn review_01_a_result_from_the_same_validator_is_reused() {
    // Outer and inner guard share the app's validator: the inner one reuses the result and
    // the extractor returns the app's claims.
    let s = setup();
    let same = Setup {
        partner: s.app.clone(),
        ..s
    };
    let axum = axum_app(&same);
    let req = bearer("/guarded", &same.app_token);
    let a = call_axum(&axum, &req).await;
    let b = actix_call(&same, &req).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a, b);
    assert!(a.body.contains(r#""iss":"app""#), "{}", a.body);
}

#[actix_web::test]
async fn review_01_an_api_key_extractor_does_not_trust_another_stores_guard() {
    let partner_store = Arc::new(MemoryStore::new());
    let partner = ApiKeyValidator::builder(partner_store.clone())
        .realm("r")
        .build()
        .unwrap();
    let (key, record) = partner
        .mint("demo", "partner", ["stats:read"], None)
        .unwrap();
    partner_store.insert(record);
    let app = ApiKeyValidator::builder(Arc::new(MemoryStore::new()))
        .realm("r")
        .build()
        .unwrap();
    let req = TestRequest {
        uri: "/stats".into(),
        headers: vec![("x-api-key".into(), key.expose_secret().to_owned())],
    };

    use auth_axum::{ApiKey, AuthLayer};
    let axum = axum::Router::new()
        .route(
            "/stats",
            axum::routing::get(|key: ApiKey| async move { key.id().to_owned() }),
        )
        .layer(AuthLayer::api_key(partner.clone()))
        .with_state(app.clone());
    let a = call_axum(&axum, &req).await;

    use actix_web::{App, HttpResponse, web};
    let actix = actix_web::test::init_service(
        App::new().app_data(app.clone()).service(
            web::scope("")
                .wrap(auth_actix::AuthMiddleware::api_key(partner.clone()))
                .route(
                    "/stats",
                    web::get().to(|key: auth_actix::ApiKey| async move {
                        HttpResponse::Ok().body(key.id().to_owned())
                    }),
                ),
        ),
    )
    .await;
    let b = call_actix(&actix, &req).await;
    assert_eq!(a.status, 401, "axum: {}", a.body);
    assert_eq!(b.status, 401, "actix: {}", b.body);
    assert_eq!(a.www_authenticate, b.www_authenticate);
}
