//! The conformance suite: one table of requests, run through the axum and the actix-web
//! adapters in-process, each expected to give the same status, challenge and body.
//!
//! The same apps are built here for both frameworks:
//!
//! | route | guard | body on success |
//! |---|---|---|
//! | `GET /me` | `RequireJwt<serde_json::Value>` | `{"sub": ..., "scopes": [...]}` |
//! | `GET /admin` | layer / middleware requiring scope `admin`, then `RequireJwt` | `{"sub": ..., "admin": true}` |
//! | `GET /optional` | `Option<RequireJwt>` / `OptionalJwt` | `{"sub": ... or null}` |
//! | `GET /staff` | `Authorized<Staff>`: scope `admin`, or role `admin` (from `roles` or `realm_access.roles`) | `{"sub": ..., "roles": [...]}` |
//! | `GET /ops` | layer / middleware requiring role `ops` alone, then `RequireJwt` | `{"sub": ..., "roles": [...]}` |

// Test harness: a failed set-up step should fail the test at once with its reason.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

pub mod browser;
pub mod cases;
pub mod chrome;
pub mod dpop;
pub mod fuzz;
pub mod jwks_server;
pub mod keys;
pub mod logcap;
pub mod oidc;
pub mod postgres;
pub mod proxy;
pub mod redis_server;
pub mod rng;
pub mod signin;
pub mod soak;

use auth_core::{
    jwt::{Algorithm, JwtValidator},
    scope::ScopeRequirement,
    test_util::TestKey,
};
use serde_json::{Value, json};

/// The issuer the fixture's validator accepts.
pub const ISSUER: &str = "https://issuer.test";
/// The audience the fixture's validator accepts.
pub const AUDIENCE: &str = "api";
/// The realm in challenges.
pub const REALM: &str = "auth-demo";
/// Where the fixture's validator reads roles from.
pub const ROLE_CLAIMS: [&str; 2] = ["roles", "realm_access.roles"];

auth_core::requirement! {
    /// `/staff`: the `admin` scope, or the `admin` role.
    pub Staff = ScopeRequirement::all(["admin"]).or_any_role(["admin"]);
}

/// `/ops`: the `ops` role; no scope grants it.
pub fn ops() -> ScopeRequirement {
    ScopeRequirement::any_role(["ops"])
}

/// The fixture's HS256 secret.
pub const HS_SECRET: &[u8] = b"conformance-suite-secret-0123456789";

/// Keys for every family, and a validator that trusts them.
#[derive(Debug)]
pub struct Fixture {
    /// HS256, no kid.
    pub hs: TestKey,
    /// RS256, kid `rsa`.
    pub rs: TestKey,
    /// PS256, kid `pss`.
    pub ps: TestKey,
    /// ES256, kid `ec`.
    pub es: TestKey,
    /// EdDSA, kid `ed`.
    pub ed: TestKey,
    /// The validator trusting the five keys.
    pub validator: JwtValidator,
}

impl Fixture {
    /// Generate the keys and build the validator.
    pub fn new() -> Fixture {
        let hs = TestKey::hmac(Algorithm::HS256, HS_SECRET);
        let rs = TestKey::new(Algorithm::RS256).with_kid("rsa");
        let ps = TestKey::new(Algorithm::PS256).with_kid("pss");
        let es = TestKey::new(Algorithm::ES256).with_kid("ec");
        let ed = TestKey::new(Algorithm::EdDSA).with_kid("ed");
        let validator = JwtValidator::builder()
            .key(hs.verifying_key())
            .key(rs.verifying_key())
            .key(ps.verifying_key())
            .key(es.verifying_key())
            .key(ed.verifying_key())
            .issuer(ISSUER)
            .audience(AUDIENCE)
            .roles_from(ROLE_CLAIMS)
            .realm(REALM)
            .build()
            .expect("fixture validator");
        Fixture {
            hs,
            rs,
            ps,
            es,
            ed,
            validator,
        }
    }

    /// The keys, with the PEM of each public key, for the jsonwebtoken cross-check.
    pub fn keys(&self) -> [&TestKey; 5] {
        [&self.hs, &self.rs, &self.ps, &self.es, &self.ed]
    }
}

impl Default for Fixture {
    fn default() -> Self {
        Fixture::new()
    }
}

/// A request of the table.
#[derive(Debug, Clone)]
pub struct TestRequest {
    /// The path, with its query string if any.
    pub uri: String,
    /// Header pairs, in order (a name may repeat).
    pub headers: Vec<(String, String)>,
}

/// What came back, reduced to what the suite compares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestResponse {
    /// Status code.
    pub status: u16,
    /// `WWW-Authenticate`, if any.
    pub www_authenticate: Option<String>,
    /// `Content-Type`, if any.
    pub content_type: Option<String>,
    /// `Retry-After`, if any.
    pub retry_after: Option<String>,
    /// `DPoP-Nonce`, if any.
    pub dpop_nonce: Option<String>,
    /// The body.
    pub body: String,
}

fn me_body(sub: Option<&str>, scopes: &auth_core::scope::Scopes) -> Value {
    json!({ "sub": sub, "scopes": scopes })
}

/// The axum app of the table.
pub fn axum_app(validator: JwtValidator) -> axum::Router {
    use auth_axum::{AuthLayer, Authorized, RequireJwt};
    use axum::{Json, Router, routing::get};

    async fn me(RequireJwt(c): RequireJwt<Value>) -> Json<Value> {
        Json(me_body(c.sub(), &c.scopes))
    }
    async fn admin(RequireJwt(c): RequireJwt) -> Json<Value> {
        Json(json!({ "sub": c.sub(), "admin": true }))
    }
    async fn optional(c: Option<RequireJwt>) -> Json<Value> {
        Json(json!({ "sub": c.as_ref().and_then(|c| c.sub()) }))
    }
    async fn staff(Authorized(c, Staff): Authorized<Staff>) -> Json<Value> {
        Json(json!({ "sub": c.sub(), "roles": c.roles }))
    }
    async fn roles(RequireJwt(c): RequireJwt) -> Json<Value> {
        Json(json!({ "sub": c.sub(), "roles": c.roles }))
    }
    let admin_routes = Router::new()
        .route("/admin", get(admin))
        .route_layer(AuthLayer::jwt(validator.clone()).scopes(ScopeRequirement::all(["admin"])));
    let ops_routes = Router::new()
        .route("/ops", get(roles))
        .route_layer(AuthLayer::jwt(validator.clone()).scopes(ops()));
    Router::new()
        .route("/me", get(me))
        .route("/optional", get(optional))
        .route("/staff", get(staff))
        .merge(admin_routes)
        .merge(ops_routes)
        .with_state(validator)
}

/// Send a request through the axum app in-process.
pub async fn call_axum(app: &axum::Router, req: &TestRequest) -> TestResponse {
    use tower::ServiceExt;
    let mut builder = http::Request::builder().uri(&req.uri);
    for (k, v) in &req.headers {
        builder = builder.header(k, v);
    }
    let request = builder.body(axum::body::Body::empty()).expect("request");
    let response = app.clone().oneshot(request).await.expect("infallible");
    let (status, www_authenticate, content_type, retry_after, dpop_nonce) = {
        let header = |name| {
            response
                .headers()
                .get(name)
                .map(|v| v.to_str().unwrap_or("<not ascii>").to_owned())
        };
        (
            response.status().as_u16(),
            header(http::header::WWW_AUTHENTICATE),
            header(http::header::CONTENT_TYPE),
            header(http::header::RETRY_AFTER),
            header(http::HeaderName::from_static("dpop-nonce")),
        )
    };
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("body");
    TestResponse {
        status,
        www_authenticate,
        content_type,
        retry_after,
        dpop_nonce,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

/// Configure the actix-web app of the table on `cfg`.
pub fn actix_config(validator: JwtValidator) -> impl FnOnce(&mut actix_web::web::ServiceConfig) {
    use actix_web::{HttpResponse, web};
    use auth_actix::{AuthMiddleware, Authorized, OptionalJwt, RequireJwt};

    async fn me(RequireJwt(c): RequireJwt<Value>) -> HttpResponse {
        HttpResponse::Ok().json(me_body(c.sub(), &c.scopes))
    }
    async fn admin(RequireJwt(c): RequireJwt) -> HttpResponse {
        HttpResponse::Ok().json(json!({ "sub": c.sub(), "admin": true }))
    }
    async fn optional(OptionalJwt(c): OptionalJwt) -> HttpResponse {
        HttpResponse::Ok().json(json!({ "sub": c.as_ref().and_then(|c| c.sub()) }))
    }
    async fn staff(Authorized(c, Staff): Authorized<Staff>) -> HttpResponse {
        HttpResponse::Ok().json(json!({ "sub": c.sub(), "roles": c.roles }))
    }
    async fn roles(RequireJwt(c): RequireJwt) -> HttpResponse {
        HttpResponse::Ok().json(json!({ "sub": c.sub(), "roles": c.roles }))
    }
    move |cfg| {
        cfg.app_data(validator.clone())
            .route("/me", web::get().to(me))
            .route("/optional", web::get().to(optional))
            .route("/staff", web::get().to(staff))
            .service(
                web::resource("/ops")
                    .wrap(AuthMiddleware::jwt(validator.clone()).scopes(ops()))
                    .route(web::get().to(roles)),
            )
            .service(
                web::resource("/admin")
                    .wrap(AuthMiddleware::jwt(validator).scopes(ScopeRequirement::all(["admin"])))
                    .route(web::get().to(admin)),
            );
    }
}

/// Send a request through an initialised actix-web service in-process.
pub async fn call_actix<S, B>(app: &S, req: &TestRequest) -> TestResponse
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse<B>,
            Error = actix_web::Error,
        >,
    B: actix_web::body::MessageBody,
{
    let mut test = actix_web::test::TestRequest::get().uri(&req.uri);
    for (k, v) in &req.headers {
        test = test.append_header((k.as_str(), v.as_str()));
    }
    let response = actix_web::test::call_service(app, test.to_request()).await;
    let header = |name| {
        response
            .headers()
            .get(name)
            .map(|v: &actix_web::http::header::HeaderValue| {
                v.to_str().unwrap_or("<not ascii>").to_owned()
            })
    };
    let status = response.status().as_u16();
    let www_authenticate = header(actix_web::http::header::WWW_AUTHENTICATE);
    let content_type = header(actix_web::http::header::CONTENT_TYPE);
    let retry_after = header(actix_web::http::header::RETRY_AFTER);
    let dpop_nonce = header(actix_web::http::header::HeaderName::from_static(
        "dpop-nonce",
    ));
    let bytes = actix_web::test::read_body(response).await;
    TestResponse {
        status,
        www_authenticate,
        content_type,
        retry_after,
        dpop_nonce,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

/// The README's examples, compiled and run as doc tests.
#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
