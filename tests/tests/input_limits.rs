//! Issue 12, item 7: the maximum sizes the toolkit accepts, and what each gets beyond them:
//! 400 or 401 (or the server's 431), never a 500, never a panic, memory bounded by the
//! request. Through both adapters in-process, and over real sockets for what the HTTP
//! servers bound before the toolkit sees a request (header count and size).

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use auth_core::{
    jwt::{Algorithm, MAX_JWKS_KEYS, keys_from_jwks},
    test_util::{TestKey, TokenBuilder, sign_raw},
};
use auth_tests::{
    AUDIENCE, Fixture, ISSUER, TestRequest, actix_config, axum_app, call_actix, call_axum,
};

/// `/me` through both adapters, which must answer alike: the status.
async fn both(fx: &Fixture, headers: Vec<(String, String)>) -> u16 {
    let req = TestRequest {
        uri: "/me".into(),
        headers,
    };
    let axum = call_axum(&axum_app(fx.validator.clone()), &req).await;
    let actix_app = actix_web::test::init_service(
        actix_web::App::new().configure(actix_config(fx.validator.clone())),
    )
    .await;
    let actix = call_actix(&actix_app, &req).await;
    assert_eq!(axum, actix, "the adapters differ");
    axum.status
}

fn bearer(token: &str) -> Vec<(String, String)> {
    vec![("authorization".into(), format!("Bearer {token}"))]
}

/// The longest valid HS256 token of at most `len` bytes (a `pad` claim fills it; base64
/// moves in steps, so it may fall a few bytes short).
fn token_up_to(fx: &Fixture, len: usize) -> String {
    let with = |pad: usize| {
        TokenBuilder::valid(&fx.hs, ISSUER, AUDIENCE, "u")
            .claim("pad", "x".repeat(pad))
            .sign(&fx.hs)
    };
    let mut pad = len.saturating_sub(with(0).len()) * 3 / 4;
    while with(pad).len() > len {
        pad -= 1;
    }
    while with(pad + 1).len() <= len {
        pad += 1;
    }
    with(pad)
}

#[actix_web::test]
async fn a_token_is_read_up_to_8_kib_and_refused_unread_beyond() {
    let fx = Fixture::new();
    let at = token_up_to(&fx, 8192);
    assert!(at.len() > 8186, "{}", at.len());
    assert_eq!(both(&fx, bearer(&at)).await, 200, "{} bytes", at.len());
    let over = token_up_to(&fx, 8200);
    assert!(over.len() > 8192, "{}", over.len());
    assert_eq!(both(&fx, bearer(&over)).await, 401, "{} bytes", over.len());
    let huge = "a".repeat(1024 * 1024);
    assert_eq!(both(&fx, bearer(&huge)).await, 401, "1 MiB");
}

#[actix_web::test]
async fn deep_json_and_many_claims_never_fail_the_server() {
    let fx = Fixture::new();
    let claims = |extra: &str| {
        format!(
            r#"{{"iss":"{ISSUER}","aud":"{AUDIENCE}","sub":"u","exp":{}{extra}}}"#,
            auth_core::clock::now() + 600
        )
    };
    let header = br#"{"alg":"HS256","typ":"JWT"}"#;
    // 100 levels: within serde_json's limit of 128, accepted.
    let nested = |depth: usize| format!(",\"deep\":{}1{}", "[".repeat(depth), "]".repeat(depth));
    let ok = sign_raw(header, claims(&nested(100)).as_bytes(), &fx.hs);
    assert_eq!(both(&fx, bearer(&ok)).await, 200, "100 levels");
    // 1,000 and 3,000 levels: refused as invalid claims (401), no stack overflow.
    for depth in [1_000, 3_000] {
        let deep = sign_raw(header, claims(&nested(depth)).as_bytes(), &fx.hs);
        assert!(deep.len() <= 8192, "{}", deep.len());
        assert_eq!(both(&fx, bearer(&deep)).await, 401, "{depth} levels");
    }
    // A deep unknown header member: skipped without recursion (unknown header members are
    // ignored), so the token is judged on the rest.
    let deep_header = format!(
        r#"{{"alg":"HS256","x":{}1{}}}"#,
        "[".repeat(2000),
        "]".repeat(2000)
    );
    let token = sign_raw(deep_header.as_bytes(), claims("").as_bytes(), &fx.hs);
    assert_eq!(
        both(&fx, bearer(&token)).await,
        200,
        "deep unknown header member"
    );
    // As many claims as 8 KiB holds (about 600): read, and accepted.
    let many: String = (0..600).map(|i| format!(",\"c{i}\":1")).collect();
    let token = sign_raw(header, claims(&many).as_bytes(), &fx.hs);
    assert!(token.len() <= 8192, "{}", token.len());
    assert_eq!(both(&fx, bearer(&token)).await, 200, "600 claims");
    // A key of 1 MiB in X-API-Key is refused unread (the API-key routes are in apikeys.rs);
    // here, a cookie header of 1 MiB with no session cookie: no credential, 401.
    let cookie = vec![(
        "cookie".into(),
        format!("other={}", "x".repeat(1024 * 1024)),
    )];
    assert_eq!(both(&fx, cookie).await, 401);
}

#[test]
fn a_jwk_set_holds_at_most_100_keys() {
    let key = TestKey::new(Algorithm::ES256);
    let jwk = key.public_jwk();
    let set = |n: usize| serde_json::json!({ "keys": vec![jwk.clone(); n] }).to_string();
    assert_eq!(
        keys_from_jwks(&set(MAX_JWKS_KEYS)).map(|k| k.len()).ok(),
        Some(100)
    );
    assert!(keys_from_jwks(&set(MAX_JWKS_KEYS + 1)).is_err());
    assert!(keys_from_jwks(&set(10_000)).is_err());
}

/// Over real sockets: the HTTP servers bound the header section before the toolkit runs
/// (hyper under axum: 100 headers, about 400 KiB of header section; actix-web: 96 headers,
/// 32 KiB). Beyond, each answers 4xx (431 or 400) or closes the connection, never 5xx, and
/// goes on serving.
#[actix_web::test]
async fn header_count_and_size_get_4xx_from_both_servers() {
    use std::net::TcpListener;
    let fx = Fixture::new();
    let listeners = [
        TcpListener::bind("127.0.0.1:0").unwrap(),
        TcpListener::bind("127.0.0.1:0").unwrap(),
    ];
    let bases =
        [&listeners[0], &listeners[1]].map(|l| format!("http://{}", l.local_addr().unwrap()));
    let [a, b] = listeners;
    let app = axum_app(fx.validator.clone());
    a.set_nonblocking(true).unwrap();
    let a = tokio::net::TcpListener::from_std(a).unwrap();
    tokio::spawn(async move { axum::serve(a, app).await });
    let validator = fx.validator.clone();
    let server = actix_web::HttpServer::new(move || {
        actix_web::App::new().configure(actix_config(validator.clone()))
    })
    .workers(1)
    .disable_signals()
    .listen(b)
    .unwrap()
    .run();
    actix_web::rt::spawn(server);
    let token = TokenBuilder::valid(&fx.hs, ISSUER, AUDIENCE, "u").sign(&fx.hs);
    for base in &bases {
        let client = reqwest::Client::new();
        let send = |headers: Vec<(String, String)>| {
            let mut request = client
                .get(format!("{base}/me"))
                .header("authorization", format!("Bearer {token}"));
            for (k, v) in headers {
                request = request.header(k, v);
            }
            async move { request.send().await.map(|r| r.status().as_u16()) }
        };
        let many: Vec<_> = (0..200)
            .map(|i| (format!("x-h{i}"), "v".to_owned()))
            .collect();
        let big = vec![("x-big".to_owned(), "v".repeat(1024 * 1024))];
        for (what, headers) in [("200 headers", many), ("a 1 MiB header", big)] {
            // A server may answer 4xx, or close the connection: never 5xx.
            if let Ok(status) = send(headers).await {
                assert!((400..500).contains(&status), "{base}: {what}: {status}");
            }
        }
        assert_eq!(
            send(Vec::new()).await.ok(),
            Some(200),
            "{base} still serves"
        );
    }
}
