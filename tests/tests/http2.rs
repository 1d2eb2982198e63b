//! Issue 12, item 3: the cross-site check of cookie-authenticated unsafe requests over
//! HTTP/2, which carries `:authority` and no `Host`, and over HTTP/1.1; and trusted origins
//! for apps served on more than one origin. Both frameworks, real sockets on 127.0.0.1
//! (h2c with prior knowledge).

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::net::TcpListener;

use auth_core::{
    credential::TokenSource,
    jwt::{Algorithm, JwtIssuer, JwtValidator, SigningKey},
};
use serde_json::Value;

const SECRET: &[u8] = b"http2-tests-secret-0123456789abcdef";

fn issuer() -> JwtIssuer {
    JwtIssuer::new(
        SigningKey::hmac(Algorithm::HS256, SECRET).unwrap(),
        "app",
        "app",
    )
}

/// Session tokens from the `session` cookie; `admin.test` trusted besides the app's own
/// authority.
fn validator() -> JwtValidator {
    issuer()
        .validator()
        .unwrap()
        .token_sources([TokenSource::Cookie("session".into())])
        .trusted_origin("https://admin.test")
        .build()
        .unwrap()
}

fn serve_axum(listener: TcpListener) {
    use auth_axum::RequireJwt;
    use axum::{Router, routing::post};
    async fn me(RequireJwt(c): RequireJwt<Value>) -> String {
        c.sub().unwrap_or_default().to_owned()
    }
    let app = Router::new().route("/me", post(me)).with_state(validator());
    listener.set_nonblocking(true).unwrap();
    let listener = tokio::net::TcpListener::from_std(listener).unwrap();
    // axum::serve answers HTTP/1.1 and HTTP/2 (h2c) on one port.
    tokio::spawn(async move { axum::serve(listener, app).await });
}

fn serve_actix(listener: TcpListener) {
    use actix_web::{App, HttpServer, web};
    use auth_actix::RequireJwt;
    async fn me(RequireJwt(c): RequireJwt<Value>) -> String {
        c.sub().unwrap_or_default().to_owned()
    }
    let server = HttpServer::new(|| {
        App::new()
            .app_data(validator())
            .route("/me", web::post().to(me))
    })
    .workers(1)
    .disable_signals()
    .listen_auto_h2c(listener)
    .unwrap()
    .run();
    actix_web::rt::spawn(server);
}

/// POST `/me` with the session cookie and `headers`, over HTTP/2 or HTTP/1.1: the status
/// and the protocol the server answered with.
async fn post(base: &str, http2: bool, headers: &[(&str, &str)]) -> (u16, reqwest::Version) {
    let token = issuer().issue("carol", &[], &()).unwrap();
    let builder = reqwest::Client::builder();
    let client = if http2 {
        builder.http2_prior_knowledge()
    } else {
        builder.http1_only()
    }
    .build()
    .unwrap();
    let mut request = client
        .post(format!("{base}/me"))
        .header("cookie", format!("session={token}"));
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    let response = request.send().await.unwrap();
    (response.status().as_u16(), response.version())
}

#[actix_web::test]
async fn same_site_posts_pass_over_http2_and_http1_in_both_frameworks() {
    let listeners = [
        TcpListener::bind("127.0.0.1:0").unwrap(),
        TcpListener::bind("127.0.0.1:0").unwrap(),
    ];
    let bases =
        [&listeners[0], &listeners[1]].map(|l| format!("http://{}", l.local_addr().unwrap()));
    let [axum_listener, actix_listener] = listeners;
    serve_axum(axum_listener);
    serve_actix(actix_listener);
    for base in &bases {
        for http2 in [true, false] {
            let expected = if http2 {
                reqwest::Version::HTTP_2
            } else {
                reqwest::Version::HTTP_11
            };
            let same = post(
                base,
                http2,
                &[("origin", base), ("sec-fetch-site", "same-origin")],
            )
            .await;
            assert_eq!(same, (200, expected), "{base} http2={http2}: same origin");
            let evil = post(base, http2, &[("origin", "https://evil.test")]).await;
            assert_eq!(evil.0, 403, "{base} http2={http2}: another origin");
            let marked = post(base, http2, &[("sec-fetch-site", "cross-site")]).await;
            assert_eq!(marked.0, 403, "{base} http2={http2}: marked cross-site");
            let other_port = base.replace("127.0.0.1:", "127.0.0.1:1");
            let port = post(base, http2, &[("origin", &other_port)]).await;
            assert_eq!(
                port.0, 403,
                "{base} http2={http2}: another port is another origin"
            );
            let trusted = post(
                base,
                http2,
                &[
                    ("origin", "https://admin.test"),
                    ("sec-fetch-site", "cross-site"),
                ],
            )
            .await;
            assert_eq!(trusted.0, 200, "{base} http2={http2}: a trusted origin");
            let none = post(base, http2, &[]).await;
            assert_eq!(none.0, 200, "{base} http2={http2}: neither header (curl)");
        }
    }
}
