//! Opaque access tokens through RFC 7662 introspection, beside JWTs on the same routes,
//! through both adapters: against the real provider (its introspection and revocation
//! endpoints), and against a server under the test's control for the answers the real one
//! never gives (no `active`, `"active": "true"`, a bound token, a refresh token).

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::{sync::Arc, time::Duration};

use auth_core::{
    introspect::Introspector,
    jwt::JwtValidator,
    remote::{FetchPolicy, ReqwestFetch},
    test_util::TokenBuilder,
};
use auth_tests::{
    AUDIENCE, Fixture, ISSUER, REALM, TestRequest, TestResponse, actix_config, axum_app,
    call_actix, call_axum,
    oidc::{CLIENT_ID, CLIENT_SECRET, OidcProvider},
};

fn fetch() -> Arc<ReqwestFetch> {
    Arc::new(
        ReqwestFetch::new(FetchPolicy {
            timeout: Duration::from_secs(2),
            allow_http_loopback: true,
            ..FetchPolicy::default()
        })
        .unwrap(),
    )
}

fn bearer(uri: &str, token: &str) -> TestRequest {
    TestRequest {
        uri: uri.to_owned(),
        headers: vec![("authorization".into(), format!("Bearer {token}"))],
    }
}

/// The fixture's static keys for JWTs, and `introspector` for opaque tokens.
fn validator(fx: &Fixture, introspector: Introspector) -> JwtValidator {
    JwtValidator::builder()
        .key(fx.hs.verifying_key())
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .realm(REALM)
        .introspection(introspector)
        .build()
        .unwrap()
}

/// Send `req` through both adapters; they must answer alike.
macro_rules! both {
    ($axum:expr, $actix:expr, $req:expr) => {{
        let req = $req;
        let a: TestResponse = call_axum(&$axum, &req).await;
        let b: TestResponse = call_actix(&$actix, &req).await;
        assert_eq!(a, b, "{}: axum and actix-web differ", req.uri);
        a
    }};
}

fn error_of(r: &TestResponse) -> &str {
    let challenge = r.www_authenticate.as_deref().unwrap_or("");
    ["invalid_token", "insufficient_scope", "invalid_request"]
        .into_iter()
        .find(|e| challenge.contains(e))
        .unwrap_or("")
}

#[actix_web::test]
async fn opaque_tokens_are_introspected_beside_jwts_through_both_adapters() {
    let provider = OidcProvider::start();
    let fx = Fixture::new();
    let introspector = Introspector::discover(&provider.issuer, CLIENT_ID, CLIENT_SECRET, fetch())
        .await
        .unwrap()
        .audience("urn:api:rs256")
        .max_cache(Duration::from_secs(2))
        .build()
        .unwrap();
    let validator = validator(&fx, introspector.clone());
    let axum = axum_app(validator.clone());
    let actix =
        actix_web::test::init_service(actix_web::App::new().configure(actix_config(validator)))
            .await;

    let read = provider.opaque_token("urn:api:rs256", "read").await;
    let admin = provider.opaque_token("urn:api:rs256", "read admin").await;
    let other = provider.opaque_token("urn:api:es256", "read").await;
    assert_eq!(
        read.matches('.').count(),
        0,
        "the provider's token is opaque"
    );

    // The shape chooses: an opaque token is introspected, a JWT verified.
    let r = both!(axum, actix, bearer("/me", &read));
    assert_eq!(r.status, 200, "{r:?}");
    let body: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(body["scopes"], serde_json::json!(["read"]));
    let jwt = TokenBuilder::valid(&fx.hs, ISSUER, AUDIENCE, "user-1").sign(&fx.hs);
    assert_eq!(both!(axum, actix, bearer("/me", &jwt)).status, 200);

    // A cached answer is checked for the route's scope every time.
    assert!(introspector.cached() >= 1);
    let r = both!(axum, actix, bearer("/admin", &read));
    assert_eq!((r.status, error_of(&r)), (403, "insufficient_scope"));
    assert_eq!(both!(axum, actix, bearer("/admin", &admin)).status, 200);

    // Another audience, or a token the server does not know: 401 invalid_token.
    for token in [other.as_str(), "not-a-token-the-provider-issued"] {
        let r = both!(axum, actix, bearer("/me", token));
        assert_eq!((r.status, error_of(&r)), (401, "invalid_token"), "{token}");
        assert!(!r.body.contains(token));
    }

    // Revoked at the provider: still accepted from the cache, refused once the answer's
    // life (2 s here) is over.
    provider.revoke(&read).await;
    assert_eq!(both!(axum, actix, bearer("/me", &read)).status, 200);
    tokio::time::sleep(Duration::from_millis(3100)).await;
    let r = both!(axum, actix, bearer("/me", &read));
    assert_eq!((r.status, error_of(&r)), (401, "invalid_token"));

    // The introspection request is authenticated: a wrong secret gets nothing from the
    // provider, and the API answers 503 (the token may be good), never a pass.
    let wrong = Introspector::discover(&provider.issuer, CLIENT_ID, "wrong-secret", fetch())
        .await
        .unwrap()
        .build()
        .unwrap();
    let unreachable = Introspector::builder(
        "http://127.0.0.1:1/token/introspection",
        CLIENT_ID,
        CLIENT_SECRET,
        fetch(),
    )
    .build()
    .unwrap();
    for client in [wrong, unreachable] {
        let validator = self::validator(&fx, client);
        let axum = axum_app(validator.clone());
        let actix =
            actix_web::test::init_service(actix_web::App::new().configure(actix_config(validator)))
                .await;
        let r = both!(axum, actix, bearer("/me", &admin));
        assert_eq!(r.status, 503, "{r:?}");
        assert!(!r.body.contains(&admin));
    }
}

/// Canned answers, each keyed by the token sent, only to a caller with the right
/// credentials (anything else: 401, as a real server answers).
async fn canned_server() -> String {
    use axum::{Form, Router, http::HeaderMap, routing::post};
    use std::collections::HashMap;
    async fn introspect(
        headers: HeaderMap,
        Form(form): Form<HashMap<String, String>>,
    ) -> (axum::http::StatusCode, String) {
        use base64::Engine;
        let expected = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode("rs%3Aone:s%C3%A9cret+%2B")
        );
        if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(&expected) {
            return (axum::http::StatusCode::UNAUTHORIZED, "{}".into());
        }
        let answer = match form.get("token").map(String::as_str) {
            Some("t-ok") => r#"{"active":true,"aud":"api","scope":"read","sub":"s"}"#,
            Some("t-missing") => r#"{"aud":"api","scope":"read","sub":"s"}"#,
            Some("t-string") => r#"{"active":"true","aud":"api","scope":"read"}"#,
            Some("t-cnf") => r#"{"active":true,"aud":"api","cnf":{"jkt":"x"}}"#,
            Some("t-refresh") => r#"{"active":true,"aud":"api","token_type":"refresh_token"}"#,
            Some("t-noaud") => r#"{"active":true,"scope":"read"}"#,
            Some("t-expired") => r#"{"active":true,"aud":"api","exp":1000}"#,
            Some("t-badtype") => r#"{"active":true,"aud":"api","sub":7}"#,
            Some("t-array") => r#"[{"active":true}]"#,
            _ => r#"{"active":false}"#,
        };
        (axum::http::StatusCode::OK, answer.into())
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = Router::new().route("/introspect", post(introspect));
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}/introspect")
}

#[actix_web::test]
async fn only_an_authenticated_active_true_answer_for_the_audience_passes() {
    let endpoint = canned_server().await;
    let fx = Fixture::new();
    // The credentials are form-urlencoded before base64 (RFC 6749 §2.3.1).
    let client = Introspector::builder(&endpoint, "rs:one", "sécret +", fetch())
        .audience("api")
        .build()
        .unwrap();
    let validator = validator(&fx, client);
    let axum = axum_app(validator.clone());
    let actix =
        actix_web::test::init_service(actix_web::App::new().configure(actix_config(validator)))
            .await;
    assert_eq!(both!(axum, actix, bearer("/me", "t-ok")).status, 200);
    for token in [
        "t-missing",
        "t-string",
        "t-cnf",
        "t-refresh",
        "t-noaud",
        "t-expired",
        "t-badtype",
        "t-unknown",
    ] {
        let r = both!(axum, actix, bearer("/me", token));
        assert_eq!((r.status, error_of(&r)), (401, "invalid_token"), "{token}");
    }
    // Not a JSON object: the server is broken, not the token.
    assert_eq!(both!(axum, actix, bearer("/me", "t-array")).status, 503);
    let wrong = Introspector::builder(&endpoint, "rs:one", "other", fetch())
        .build()
        .unwrap();
    let validator = self::validator(&fx, wrong);
    let axum = axum_app(validator.clone());
    let actix =
        actix_web::test::init_service(actix_web::App::new().configure(actix_config(validator)))
            .await;
    assert_eq!(both!(axum, actix, bearer("/me", "t-ok")).status, 503);
}
