//! Fetching provider metadata and key sets: from the real OpenID provider, and from a server
//! under the test's control that misbehaves (redirects, errors, garbage, huge or slow
//! answers, a foreign issuer). Every server binds 127.0.0.1 and stops with the test.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use auth_core::{
    jwt::JwtValidator,
    remote::{Fetch, FetchError, FetchPolicy, RemoteError, ReqwestFetch, discover, fetch_jwks},
};
use auth_tests::oidc::OidcProvider;
use axum::{
    Router,
    http::{StatusCode, header},
    response::IntoResponse,
    routing::get,
};

fn dev_policy() -> FetchPolicy {
    FetchPolicy {
        timeout: Duration::from_millis(500),
        max_body: 64 * 1024,
        allow_http_loopback: true,
        public_only: true,
    }
}

/// Serve `app` on 127.0.0.1; the server task ends with the test's runtime.
async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

#[tokio::test]
async fn discovery_and_keys_from_the_real_provider() {
    let provider = OidcProvider::start();
    let fetch = ReqwestFetch::new(dev_policy()).unwrap();
    let metadata = discover(&fetch, &provider.issuer).await.expect("discovery");
    assert_eq!(metadata.issuer, provider.issuer);
    let (keys, _) = fetch_jwks(&fetch, &metadata.jwks_uri).await.expect("JWKS");
    assert_eq!(keys.len(), 2);
    let validator = JwtValidator::builder()
        .keys(keys)
        .issuer(metadata.issuer.clone())
        .audience("urn:api:es256")
        .require_typ("at+jwt")
        .build()
        .unwrap();
    let token = provider
        .client_credentials_token("urn:api:es256", "read")
        .await;
    assert!(validator.verify_now(&token).is_ok());

    // The same provider under a configured issuer that differs by a trailing slash.
    let mismatch = discover(&fetch, &format!("{}/", provider.issuer)).await;
    assert!(
        matches!(mismatch, Err(RemoteError::IssuerMismatch { .. })),
        "{mismatch:?}"
    );
}

#[tokio::test]
async fn a_misbehaving_server_never_yields_keys() {
    // A second server that must never be contacted through a redirect.
    let target_hits = Arc::new(AtomicUsize::new(0));
    let hits = target_hits.clone();
    let target = serve(Router::new().route(
        "/jwks",
        get(move || {
            hits.fetch_add(1, Ordering::SeqCst);
            async { r#"{"keys":[]}"# }
        }),
    ))
    .await;
    let redirect_to = format!("{target}/jwks");
    let base = serve(
        Router::new()
            .route(
                "/redirect",
                get(move || async move {
                    (StatusCode::FOUND, [(header::LOCATION, redirect_to)]).into_response()
                }),
            )
            .route("/error", get(|| async { StatusCode::INTERNAL_SERVER_ERROR }))
            .route("/garbage", get(|| async { "{\"keys\": [nope" }))
            .route("/huge", get(|| async { "x".repeat(1024 * 1024) }))
            .route(
                "/slow",
                get(|| async {
                    tokio::time::sleep(Duration::from_secs(3)).await;
                    r#"{"keys":[]}"#
                }),
            )
            .route(
                "/.well-known/openid-configuration",
                get(|| async {
                    r#"{"issuer":"https://someone-else.example","jwks_uri":"https://someone-else.example/jwks"}"#
                }),
            ),
    )
    .await;
    let fetch = ReqwestFetch::new(dev_policy()).unwrap();
    let fetch: &dyn Fetch = &fetch;

    type Expected = fn(&RemoteError) -> bool;
    let cases: [(&str, Expected); 5] = [
        ("/redirect", |e| {
            matches!(
                e,
                RemoteError::Fetch {
                    source: FetchError::Status(302),
                    ..
                }
            )
        }),
        ("/error", |e| {
            matches!(
                e,
                RemoteError::Fetch {
                    source: FetchError::Status(500),
                    ..
                }
            )
        }),
        ("/garbage", |e| matches!(e, RemoteError::Document { .. })),
        ("/huge", |e| {
            matches!(
                e,
                RemoteError::Fetch {
                    source: FetchError::TooLarge(_),
                    ..
                }
            )
        }),
        ("/slow", |e| {
            matches!(
                e,
                RemoteError::Fetch {
                    source: FetchError::Timeout,
                    ..
                }
            )
        }),
    ];
    for (path, expected) in cases {
        let result = fetch_jwks(fetch, &format!("{base}{path}")).await;
        match result {
            Err(e) => assert!(expected(&e), "{path}: {e}"),
            Ok(_) => panic!("{path}: keys from a misbehaving server"),
        }
    }
    assert_eq!(
        target_hits.load(Ordering::SeqCst),
        0,
        "a redirect was followed"
    );

    let foreign = discover(fetch, &base).await;
    assert!(
        matches!(foreign, Err(RemoteError::IssuerMismatch { .. })),
        "{foreign:?}"
    );
}

#[tokio::test]
async fn plain_http_is_refused_before_any_connection() {
    // Only loopback addresses here (non-loopback ones are covered by `check_url`'s unit
    // tests, which make no connection at all). No server listens on port 9: a refusal, not
    // a transport error, proves that no connection was tried.
    let strict = ReqwestFetch::new(FetchPolicy::default()).unwrap();
    for url in [
        "http://127.0.0.1:9/jwks",
        "ftp://127.0.0.1:9/jwks",
        "http://[::1]:9/jwks",
    ] {
        assert!(
            matches!(strict.get(url).await, Err(FetchError::Refused(_))),
            "{url}"
        );
    }
}

#[actix_web::test]
async fn remote_keys_through_both_adapters_and_kid_misses_refetch_once() {
    use std::sync::Mutex;

    use auth_core::{
        jwt::Algorithm,
        remote::{KeySource, RefreshPolicy, RemoteKeySet},
        test_util::{TestKey, TokenBuilder},
    };
    use auth_tests::{
        AUDIENCE, ISSUER, REALM, TestRequest, actix_config, axum_app, call_actix, call_axum,
    };

    let a = TestKey::new(Algorithm::ES256).with_kid("a");
    let b = TestKey::new(Algorithm::ES256).with_kid("b");
    let body = Arc::new(Mutex::new(TestKey::jwks(&[&a])));
    let fetches = Arc::new(AtomicUsize::new(0));
    let (served, count) = (body.clone(), fetches.clone());
    let base = serve(Router::new().route(
        "/jwks",
        get(move || {
            count.fetch_add(1, Ordering::SeqCst);
            let jwks = served.lock().unwrap().clone();
            async move { jwks }
        }),
    ))
    .await;
    let fetch = Arc::new(ReqwestFetch::new(dev_policy()).unwrap());
    let policy = RefreshPolicy::default().kid_miss_cooldown(Duration::from_secs(3600));
    let set = RemoteKeySet::load(KeySource::Jwks(format!("{base}/jwks")), fetch, policy)
        .await
        .unwrap();
    let validator = JwtValidator::builder()
        .remote_keys(set)
        .algorithms([Algorithm::ES256])
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .realm(REALM)
        .build()
        .unwrap();
    let axum = axum_app(validator.clone());
    let actix =
        actix_web::test::init_service(actix_web::App::new().configure(actix_config(validator)))
            .await;
    let request = |uri: &str, token: &str| TestRequest {
        uri: uri.into(),
        headers: vec![("authorization".into(), format!("Bearer {token}"))],
    };
    let both = |req: TestRequest| {
        let axum = axum.clone();
        let actix = &actix;
        async move {
            let x = call_axum(&axum, &req).await;
            let y = call_actix(actix, &req).await;
            assert_eq!(x, y, "adapters differ on {}", req.uri);
            x.status
        }
    };

    let with_a = TokenBuilder::valid(&a, ISSUER, AUDIENCE, "u").sign(&a);
    assert_eq!(both(request("/me", &with_a)).await, 200);
    assert_eq!(
        fetches.load(Ordering::SeqCst),
        1,
        "a known kid needs no fetch"
    );

    // The provider adds key b and signs with it: the first request refetches, once.
    *body.lock().unwrap() = TestKey::jwks(&[&a, &b]);
    let with_b = TokenBuilder::valid(&b, ISSUER, AUDIENCE, "u")
        .claim("scope", "admin")
        .sign(&b);
    assert_eq!(both(request("/me", &with_b)).await, 200);
    assert_eq!(
        both(request("/admin", &with_b)).await,
        200,
        "through the layer too"
    );
    assert_eq!(fetches.load(Ordering::SeqCst), 2);

    // Forged tokens with unknown kids: 401, and no fetch within the cool-down.
    let forger = TestKey::new(Algorithm::ES256);
    for i in 0..50 {
        let kid = format!("forged-{i}");
        let forged = TokenBuilder::valid(&forger, ISSUER, AUDIENCE, "u")
            .header("kid", kid.as_str())
            .sign(&forger);
        assert_eq!(both(request(["/me", "/admin"][i % 2], &forged)).await, 401);
    }
    assert_eq!(
        fetches.load(Ordering::SeqCst),
        2,
        "unknown kids hammered the provider"
    );
}
