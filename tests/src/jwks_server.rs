//! A JWKS and discovery server under the test's control, and both adapters over one
//! validator: shared by the remote-key fault tests.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic, missing_docs)]

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use auth_core::{
    jwt::{Algorithm, JwtValidator},
    remote::{FetchPolicy, RemoteKeySet, ReqwestFetch},
    test_util::TestKey,
};
use axum::{
    Router,
    http::{StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};

use crate::{
    AUDIENCE, REALM, TestRequest, TestResponse, actix_config, axum_app, call_actix, call_axum,
};

/// How the controlled server answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Answer normally, with `Cache-Control: max-age=3600`.
    Ok,
    /// 500.
    Error,
    /// Truncated JSON.
    Garbage,
    /// 1 MiB.
    Huge,
    /// Two seconds late.
    Slow,
    /// 302 to another server.
    Redirect,
    /// Answer normally with this `Cache-Control` (none when empty).
    CacheControl(&'static str),
}

/// A JWKS and discovery server whose behaviour the test switches.
#[derive(Debug, Clone)]
pub struct Controlled {
    /// `http://127.0.0.1:<port>`: also the issuer its discovery document names.
    pub base: String,
    mode: Arc<Mutex<Mode>>,
    jwks: Arc<Mutex<String>>,
    hits: Arc<AtomicUsize>,
    /// Requests that reached the redirect target (must stay 0).
    pub redirect_hits: Arc<AtomicUsize>,
}

async fn listen() -> (tokio::net::TcpListener, String) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    (listener, base)
}

impl Controlled {
    /// Serve `jwks` (and a discovery document naming `base` as issuer).
    pub async fn start(jwks: String) -> Controlled {
        let (target_listener, target) = listen().await;
        let (listener, base) = listen().await;
        let server = Controlled {
            base,
            mode: Arc::new(Mutex::new(Mode::Ok)),
            jwks: Arc::new(Mutex::new(jwks)),
            hits: Arc::new(AtomicUsize::new(0)),
            redirect_hits: Arc::new(AtomicUsize::new(0)),
        };
        let redirect_hits = server.redirect_hits.clone();
        let elsewhere = Router::new().route(
            "/elsewhere",
            get(move || {
                redirect_hits.fetch_add(1, Ordering::SeqCst);
                async { r#"{"keys":[]}"# }
            }),
        );
        tokio::spawn(async move { axum::serve(target_listener, elsewhere).await });

        let (s1, s2) = (server.clone(), server.clone());
        let redirect_to = format!("{target}/elsewhere");
        let app = Router::new()
            .route(
                "/jwks",
                get(move || {
                    let s = s1.clone();
                    let to = redirect_to.clone();
                    async move {
                        s.hits.fetch_add(1, Ordering::SeqCst);
                        let body = s.jwks.lock().unwrap().clone();
                        s.answer(body, to).await
                    }
                }),
            )
            .route(
                "/.well-known/openid-configuration",
                get(move || {
                    let s = s2.clone();
                    async move {
                        let doc = serde_json::json!({
                            "issuer": s.base,
                            "jwks_uri": format!("{}/jwks", s.base),
                        });
                        s.answer(doc.to_string(), String::new()).await
                    }
                }),
            );
        tokio::spawn(async move { axum::serve(listener, app).await });
        server
    }

    async fn answer(&self, body: String, redirect_to: String) -> Response {
        let mode = *self.mode.lock().unwrap();
        match mode {
            Mode::Ok => ([(header::CACHE_CONTROL, "max-age=3600")], body).into_response(),
            Mode::Error => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
            Mode::Garbage => "{\"keys\": [nope".into_response(),
            Mode::Huge => "x".repeat(1024 * 1024).into_response(),
            Mode::Slow => {
                tokio::time::sleep(Duration::from_secs(2)).await;
                body.into_response()
            }
            Mode::Redirect => {
                (StatusCode::FOUND, [(header::LOCATION, redirect_to)]).into_response()
            }
            Mode::CacheControl("") => body.into_response(),
            Mode::CacheControl(value) => ([(header::CACHE_CONTROL, value)], body).into_response(),
        }
    }

    /// Switch the behaviour.
    pub fn set(&self, mode: Mode) {
        *self.mode.lock().unwrap() = mode;
    }

    /// Serve these keys.
    pub fn serve_keys(&self, keys: &[&TestKey]) {
        *self.jwks.lock().unwrap() = TestKey::jwks(keys);
    }

    /// Requests to `/jwks` so far.
    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

/// A client with a short timeout that may fetch plain http from loopback.
pub fn fetch() -> Arc<ReqwestFetch> {
    Arc::new(
        ReqwestFetch::new(FetchPolicy {
            timeout: Duration::from_millis(300),
            max_body: 64 * 1024,
            allow_http_loopback: true,
            public_only: true,
        })
        .unwrap(),
    )
}

/// An ES256 validator over `set` for `issuer`.
pub fn validator(set: Arc<RemoteKeySet>, issuer: &str) -> JwtValidator {
    JwtValidator::builder()
        .remote_keys(set)
        .algorithms([Algorithm::ES256])
        .issuer(issuer)
        .audience(AUDIENCE)
        .realm(REALM)
        .build()
        .unwrap()
}

/// A GET with a bearer token.
pub fn bearer(uri: &str, token: &str) -> TestRequest {
    TestRequest {
        uri: uri.into(),
        headers: vec![("authorization".into(), format!("Bearer {token}"))],
    }
}

/// Both adapters over one validator, answering alike.
#[allow(missing_debug_implementations)]
pub struct Both<S> {
    axum: Router,
    actix: S,
}

/// Build both apps (`/me`, `/admin` with scope `admin`) over `validator`.
pub async fn both(validator: JwtValidator) -> Both<impl ActixService> {
    Both {
        axum: axum_app(validator.clone()),
        actix: actix_web::test::init_service(
            actix_web::App::new().configure(actix_config(validator)),
        )
        .await,
    }
}

/// An initialised actix-web test service.
pub trait ActixService:
    actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse<actix_web::body::BoxBody>,
        Error = actix_web::Error,
    >
{
}
impl<T> ActixService for T where
    T: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse<actix_web::body::BoxBody>,
            Error = actix_web::Error,
        >
{
}

impl<S: ActixService> Both<S> {
    /// One request through both, which must answer alike.
    pub async fn call(&self, uri: &str, token: &str) -> TestResponse {
        let req = bearer(uri, token);
        let x = call_axum(&self.axum, &req).await;
        let y = call_actix(&self.actix, &req).await;
        assert_eq!(x, y, "adapters differ on {uri}");
        x
    }

    /// The status of `/me`, checking `/admin` agrees (403 for a good token).
    pub async fn status(&self, token: &str) -> u16 {
        let me = self.call("/me", token).await.status;
        let admin = self.call("/admin", token).await.status;
        // /admin needs a scope the tokens here lack: a good token gets 403 there.
        let expected_admin = if me == 200 { 403 } else { me };
        assert_eq!(admin, expected_admin, "the layer and the extractor differ");
        me
    }

    /// Poll until `token` gets `status` (within `limit`) from both adapters, which must then
    /// agree. While the state changes (keys going stale, coming back) the two requests of
    /// one probe may fall on either side of the change, so a probe only compares statuses;
    /// the full comparison is made once both have arrived.
    pub async fn until(&self, token: &str, status: u16, limit: Duration) {
        let start = Instant::now();
        loop {
            let req = bearer("/me", token);
            let got = call_axum(&self.axum, &req).await.status;
            let other = call_actix(&self.actix, &req).await.status;
            if got == status && other == status {
                assert_eq!(self.status(token).await, status);
                return;
            }
            assert!(
                start.elapsed() < limit,
                "still {got}, not {status}, after {limit:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}
