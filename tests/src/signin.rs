//! The apps of the sign-in tests: the same routes (`/me` and the sign-in routes) served
//! over loopback by axum and by actix-web, with a session issuer and validator.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic, missing_docs)]

use std::{net::TcpListener, sync::Arc};

use auth_core::{
    credential::TokenSource,
    jwt::{Algorithm, JwtIssuer, JwtValidator, SigningKey},
    login::{Login, LoginBuilder, OidcProvider, SessionGrant},
    remote::{FetchPolicy, ReqwestFetch},
};
use serde_json::{Value, json};

use crate::{
    browser::{Browser, Page},
    oidc::{OidcProvider as Peer, SIGNIN_CLIENT_ID, SIGNIN_CLIENT_SECRET},
};

pub const SECRET: &[u8] = b"sign-in-tests-secret-0123456789abcdef";

pub fn issuer() -> JwtIssuer {
    JwtIssuer::new(
        SigningKey::hmac(Algorithm::HS256, SECRET).unwrap(),
        "app",
        "app",
    )
}

/// An outbound client that may use plain http to loopback.
pub fn loopback_fetch() -> Arc<ReqwestFetch> {
    Arc::new(
        ReqwestFetch::new(FetchPolicy {
            allow_http_loopback: true,
            ..FetchPolicy::default()
        })
        .unwrap(),
    )
}

/// The tests' builder: sessions, cookie secret, http allowed, a hook that refuses
/// `mallory` and grants `read` with `idp` and `email` claims.
pub fn builder(base: &str, fetch: Arc<ReqwestFetch>) -> LoginBuilder {
    Login::builder(base, issuer())
        .fetch(fetch)
        .cookie_secret(SECRET)
        .allow_insecure_http()
        .on_sign_in(|id| {
            if id.subject == "mallory" {
                return Err("this account may not sign in here".into());
            }
            Ok(SessionGrant::new(id.subject.clone())
                .scopes(["read"])
                .claim("idp", id.provider.clone())
                .claim("email", id.email.clone().unwrap_or_default()))
        })
}

/// Sign-in with the real provider as `oidc`.
pub async fn login(base: &str, peer: &Peer) -> Login {
    login_with(base, peer, LoginBuilder::provider).await
}

/// [`login`], with the builder finished by `finish` from the discovered provider (such as
/// `|b, p| b.provider(p.form_post())`).
pub async fn login_with(
    base: &str,
    peer: &Peer,
    finish: impl FnOnce(LoginBuilder, OidcProvider) -> LoginBuilder,
) -> Login {
    let fetch = loopback_fetch();
    let provider = OidcProvider::discover(
        "oidc",
        peer.issuer.clone(),
        SIGNIN_CLIENT_ID,
        Some(SIGNIN_CLIENT_SECRET.into()),
        fetch.clone(),
    )
    .await
    .expect("discovery of the provider");
    finish(builder(base, fetch), provider)
        .build()
        .expect("login")
}

/// Session tokens from the header or the session cookie; refused after their user signs
/// out everywhere.
pub fn validator(login: &Login) -> JwtValidator {
    JwtValidator::builder()
        .key(issuer().key().verifying_key().unwrap())
        .issuer("app")
        .audience("app")
        .sign_outs(login.sign_outs())
        .token_sources([
            TokenSource::AuthorizationBearer,
            TokenSource::Cookie(login.session_cookie().to_owned()),
        ])
        .build()
        .unwrap()
}

fn me_json(sub: Option<&str>, claims: &Value) -> Value {
    json!({ "sub": sub, "idp": claims["idp"], "email": claims["email"] })
}

/// Serve `/me` and the sign-in routes with axum on `listener`.
pub fn serve_axum(listener: TcpListener, login: Login) {
    use auth_axum::RequireJwt;
    use axum::{Json, Router, routing::get};
    async fn me(RequireJwt(c): RequireJwt<Value>) -> Json<Value> {
        Json(me_json(c.sub(), &c.custom))
    }
    let app = Router::new()
        .route("/me", get(me).post(me))
        .with_state(validator(&login))
        .merge(auth_axum::login_routes(login));
    listener.set_nonblocking(true).unwrap();
    let listener = tokio::net::TcpListener::from_std(listener).unwrap();
    // With connect info: the sign-in rate limit is per client address.
    let app = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, app).await });
}

/// Serve `/me` and the sign-in routes with actix-web on `listener`.
pub fn serve_actix(listener: TcpListener, login: Login) {
    use actix_web::{App, HttpResponse, HttpServer, web};
    use auth_actix::RequireJwt;
    async fn me(RequireJwt(c): RequireJwt<Value>) -> HttpResponse {
        HttpResponse::Ok().json(me_json(c.sub(), &c.custom))
    }
    let server = HttpServer::new(move || {
        App::new()
            .app_data(validator(&login))
            .route("/me", web::get().to(me))
            .route("/me", web::post().to(me))
            .configure(auth_actix::login_config(login.clone()))
    })
    .workers(1)
    .disable_signals()
    .listen(listener)
    .unwrap()
    .run();
    actix_web::rt::spawn(server);
}

/// Two listeners on loopback (one per adapter) and their base URLs.
pub fn listeners() -> ([TcpListener; 2], [String; 2]) {
    let listeners = [
        TcpListener::bind("127.0.0.1:0").unwrap(),
        TcpListener::bind("127.0.0.1:0").unwrap(),
    ];
    let bases =
        [&listeners[0], &listeners[1]].map(|l| format!("http://{}", l.local_addr().unwrap()));
    (listeners, bases)
}

/// An app under test, by its base URL.
#[derive(Debug, Clone)]
pub struct App {
    /// `http://127.0.0.1:<port>`.
    pub base: String,
}

impl App {
    /// `path` on the app.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
    /// The callback of provider `oidc`.
    pub fn callback(&self) -> String {
        self.url("/auth/oidc/callback")
    }
    /// The login URL of provider `oidc`.
    pub fn login(&self, return_to: &str) -> String {
        self.url(&format!("/auth/oidc/login?return_to={return_to}"))
    }
}

/// A browser signed in as `user` with `return_to=/me`: the callback's answer.
pub async fn sign_in(app: &App, browser: &Browser, user: &str) -> Page {
    let (_, back) = browser
        .authorize(&app.login("/me"), user, &app.callback())
        .await;
    browser.callback(&back).await
}

/// Whether `page` set no session (or only cleared one).
pub fn no_session(page: &Page) -> bool {
    page.set_cookies
        .iter()
        .all(|c| !c.contains("auth-session=") && !c.contains("auth-refresh="))
        || page.set_cookies.iter().all(|c| c.contains("Max-Age=0"))
}
