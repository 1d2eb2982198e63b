//! Sign-in end to end, against the real OpenID provider, through both adapters served over
//! loopback: a scripted browser signs in (the provider's login and consent forms), uses the
//! session cookie alone, refreshes, reuses an old refresh token (its family is revoked),
//! logs out; and every negative case ends in a clear 4xx with no session set.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::{net::TcpListener, sync::Arc};

use auth_core::{
    credential::TokenSource,
    jwt::{Algorithm, JwtIssuer, JwtValidator, SigningKey},
    login::{Login, OidcProvider, SessionGrant},
    remote::{FetchPolicy, ReqwestFetch},
};
use auth_tests::{
    browser::{Browser, Page, cookie_value, param},
    oidc::{OidcProvider as Peer, SIGNIN_CLIENT_ID, SIGNIN_CLIENT_SECRET},
};
use reqwest::{StatusCode, Url};
use serde_json::{Value, json};

const SECRET: &[u8] = b"sign-in-tests-secret-0123456789abcdef";

fn issuer() -> JwtIssuer {
    JwtIssuer::new(
        SigningKey::hmac(Algorithm::HS256, SECRET).unwrap(),
        "app",
        "app",
    )
}

async fn login(base: &str, peer: &Peer) -> Login {
    let fetch = Arc::new(
        ReqwestFetch::new(FetchPolicy {
            allow_http_loopback: true,
            ..FetchPolicy::default()
        })
        .unwrap(),
    );
    let provider = OidcProvider::discover(
        "oidc",
        peer.issuer.clone(),
        SIGNIN_CLIENT_ID,
        Some(SIGNIN_CLIENT_SECRET.into()),
        fetch.clone(),
    )
    .await
    .expect("discovery of the provider");
    Login::builder(base, issuer())
        .provider(provider)
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
        .build()
        .expect("login")
}

fn validator(login: &Login) -> JwtValidator {
    JwtValidator::builder()
        .key(issuer().key().verifying_key().unwrap())
        .issuer("app")
        .audience("app")
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

fn serve_axum(listener: TcpListener, login: Login) {
    use auth_axum::RequireJwt;
    use axum::{Json, Router, routing::get};
    async fn me(RequireJwt(c): RequireJwt<Value>) -> Json<Value> {
        Json(me_json(c.sub(), &c.custom))
    }
    let app = Router::new()
        .route("/me", get(me))
        .with_state(validator(&login))
        .merge(auth_axum::login_routes(login));
    listener.set_nonblocking(true).unwrap();
    let listener = tokio::net::TcpListener::from_std(listener).unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
}

fn serve_actix(listener: TcpListener, login: Login) {
    use actix_web::{App, HttpResponse, HttpServer, web};
    use auth_actix::RequireJwt;
    async fn me(RequireJwt(c): RequireJwt<Value>) -> HttpResponse {
        HttpResponse::Ok().json(me_json(c.sub(), &c.custom))
    }
    let server = HttpServer::new(move || {
        App::new()
            .app_data(validator(&login))
            .route("/me", web::get().to(me))
            .configure(auth_actix::login_config(login.clone()))
    })
    .workers(1)
    .disable_signals()
    .listen(listener)
    .unwrap()
    .run();
    actix_web::rt::spawn(server);
}

struct App {
    base: String,
}

impl App {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
    fn callback(&self) -> String {
        self.url("/auth/oidc/callback")
    }
    fn login(&self, return_to: &str) -> String {
        self.url(&format!("/auth/oidc/login?return_to={return_to}"))
    }
}

/// A browser signed in as `user` with `return_to=/me`: the callback's answer.
async fn sign_in(app: &App, browser: &Browser, user: &str) -> Page {
    let (_, back) = browser
        .authorize(&app.login("/me"), user, &app.callback())
        .await;
    browser.callback(&back).await
}

fn no_session(page: &Page) -> bool {
    page.set_cookies
        .iter()
        .all(|c| !c.contains("auth-session=") && !c.contains("auth-refresh="))
        || page.set_cookies.iter().all(|c| c.contains("Max-Age=0"))
}

/// The whole scenario against one app; returns the statuses seen, to compare adapters.
async fn scenario(app: &App) -> Vec<(&'static str, u16)> {
    let mut seen = Vec::new();
    let mut saw = |what: &'static str, status: StatusCode| seen.push((what, status.as_u16()));

    // Sign in; the session cookie alone authenticates /me.
    let browser = Browser::new();
    let signed_in = sign_in(app, &browser, "alice").await;
    assert_eq!(
        signed_in.status,
        StatusCode::SEE_OTHER,
        "{}",
        signed_in.body
    );
    assert_eq!(signed_in.location.as_ref().map(Url::path), Some("/me"));
    let session = cookie_value(&signed_in.set_cookies, "auth-session").expect("session cookie");
    let first_refresh = cookie_value(&signed_in.set_cookies, "auth-refresh").expect("refresh");
    for c in &signed_in.set_cookies {
        assert!(
            c.contains("HttpOnly") && c.contains("SameSite=Lax") && c.contains("Path=/"),
            "{c}"
        );
    }
    assert!(
        signed_in
            .set_cookies
            .iter()
            .any(|c| c.starts_with("auth-flow=;") && c.contains("Max-Age=0"))
    );
    let me = browser.get(&app.url("/me")).await;
    saw("me with the session cookie", me.status);
    let body: Value = serde_json::from_str(&me.body).unwrap();
    assert_eq!(
        body,
        json!({"sub": "alice", "idp": "oidc", "email": "alice@example.test"})
    );
    assert!(!session.is_empty());

    // Refresh: a new access token and a rotated refresh token.
    let refreshed = browser.post(&app.url("/auth/refresh"), &[], &[]).await;
    saw("refresh", refreshed.status);
    let token: Value = serde_json::from_str(&refreshed.body).unwrap();
    assert_eq!(token["token_type"], "Bearer");
    let second_refresh = cookie_value(&refreshed.set_cookies, "auth-refresh").unwrap();
    assert_ne!(first_refresh, second_refresh);
    let bearer = reqwest::Client::new()
        .get(app.url("/me"))
        .bearer_auth(token["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    saw("me with the refreshed access token", bearer.status());

    // A cross-site refresh is refused and changes nothing.
    for header in [
        ("origin", "http://evil.example"),
        ("sec-fetch-site", "cross-site"),
    ] {
        let cross = browser
            .post(&app.url("/auth/refresh"), &[], &[header])
            .await;
        saw("cross-site refresh", cross.status);
        assert!(no_session(&cross));
    }
    let same_origin = browser
        .post(
            &app.url("/auth/refresh"),
            &[],
            &[
                ("origin", app.base.as_str()),
                ("sec-fetch-site", "same-origin"),
            ],
        )
        .await;
    saw("same-origin refresh", same_origin.status);

    // The first refresh token again: reuse. Its family is revoked, so the browser's newest
    // refresh token fails too.
    let stolen = Browser::new()
        .post_with_cookie(
            &app.url("/auth/refresh"),
            &format!("auth-refresh={first_refresh}"),
        )
        .await;
    saw("reused refresh token", stolen.status);
    let legit = browser.post(&app.url("/auth/refresh"), &[], &[]).await;
    saw("newest refresh token after the reuse", legit.status);

    // Logout: 204, cookies cleared, the refresh family revoked.
    let browser = Browser::new();
    let signed_in = sign_in(app, &browser, "bob").await;
    let refresh = cookie_value(&signed_in.set_cookies, "auth-refresh").unwrap();
    let out = browser.post(&app.url("/auth/logout"), &[], &[]).await;
    saw("logout", out.status);
    for name in ["auth-session=", "auth-refresh="] {
        assert!(
            out.set_cookies
                .iter()
                .any(|c| c.starts_with(name) && c.contains("Max-Age=0")),
            "{:?}",
            out.set_cookies
        );
    }
    let me = browser.get(&app.url("/me")).await;
    saw("me after logout", me.status);
    let after = Browser::new()
        .post_with_cookie(
            &app.url("/auth/refresh"),
            &format!("auth-refresh={refresh}"),
        )
        .await;
    saw("refresh after logout", after.status);

    // The application's hook refuses an account: 403, no session.
    let refused = sign_in(app, &Browser::new(), "mallory").await;
    saw("refused by the app", refused.status);
    assert!(no_session(&refused));

    // Negative callbacks. Each starts a login and stops at the redirect back to the app.
    let browser = Browser::new();
    let (start, back) = browser
        .authorize(&app.login("/"), "carol", &app.callback())
        .await;
    let flow = cookie_value(&start.set_cookies, "auth-flow").expect("flow cookie");
    let callback = back.location.clone().unwrap();
    let with = |k: &str, v: Option<&str>| {
        let mut url = callback.clone();
        let pairs: Vec<(String, String)> = callback
            .query_pairs()
            .filter(|(name, _)| name != k)
            .map(|(a, b)| (a.into_owned(), b.into_owned()))
            .chain(v.map(|v| (k.to_owned(), v.to_owned())))
            .collect();
        url.query_pairs_mut().clear().extend_pairs(pairs);
        url.to_string()
    };
    for (what, url) in [
        ("tampered state", with("state", Some("forged"))),
        ("missing state", with("state", None)),
        ("another issuer", with("iss", Some("http://127.0.0.1:1"))),
        ("missing code", with("code", None)),
        ("provider error", with("error", Some("access_denied"))),
    ] {
        let page = browser.get(&url).await;
        saw(what, page.status);
        assert!(no_session(&page), "{what}");
        assert!(
            page.body.contains("\"status\":400"),
            "{what}: {}",
            page.body
        );
    }
    // Without the flow cookie (another browser), or with a tampered one.
    let elsewhere = Browser::new().get(callback.as_str()).await;
    saw("missing flow cookie", elsewhere.status);
    let tampered = Browser::new()
        .get_with_cookie(callback.as_str(), "auth-flow=AAAA")
        .await;
    saw("tampered flow cookie", tampered.status);
    // None of that consumed the login: the genuine callback still works, once.
    let genuine = browser.get(callback.as_str()).await;
    saw("genuine callback after the failures", genuine.status);
    // Replayed with the flow cookie it came with: the state was used.
    let replayed = Browser::new()
        .get_with_cookie(callback.as_str(), &format!("auth-flow={flow}"))
        .await;
    saw("callback replayed", replayed.status);
    assert!(replayed.body.contains("already used"), "{}", replayed.body);
    assert!(no_session(&replayed));

    // A code from another login (the attacker's) in the victim's callback: PKCE fails.
    let attacker = Browser::new();
    let (_, attacker_back) = attacker
        .authorize(&app.login("/"), "eve", &app.callback())
        .await;
    let victim = Browser::new();
    let (_, victim_back) = victim
        .authorize(&app.login("/"), "dave", &app.callback())
        .await;
    let mut injected = victim_back.location.clone().unwrap();
    let code = param(attacker_back.location.as_ref().unwrap(), "code").unwrap();
    let pairs: Vec<(String, String)> = injected
        .query_pairs()
        .map(|(k, v)| {
            let v = if k == "code" {
                code.clone()
            } else {
                v.into_owned()
            };
            (k.into_owned(), v)
        })
        .collect();
    injected.query_pairs_mut().clear().extend_pairs(pairs);
    let page = victim.get(injected.as_str()).await;
    saw("code from another login", page.status);
    assert!(no_session(&page));

    // Open redirects are refused at login.
    for bad in [
        "//evil.com",
        "/%5Cevil.com",
        "https:evil.com",
        "/%2F%2Fevil.com",
        "%20/x",
    ] {
        let page = Browser::new().get(&app.login(bad)).await;
        saw("open redirect", page.status);
        assert!(page.set_cookies.is_empty(), "{bad}");
    }
    let unknown = Browser::new().get(&app.url("/auth/nobody/login")).await;
    saw("unknown provider", unknown.status);
    seen
}

#[actix_web::test]
async fn sign_in_sessions_refresh_and_logout_through_both_adapters() {
    let (axum_listener, actix_listener) = (
        TcpListener::bind("127.0.0.1:0").unwrap(),
        TcpListener::bind("127.0.0.1:0").unwrap(),
    );
    let bases =
        [&axum_listener, &actix_listener].map(|l| format!("http://{}", l.local_addr().unwrap()));
    let peer =
        Peer::start_with_redirects(&bases.clone().map(|b| format!("{b}/auth/oidc/callback")));
    serve_axum(axum_listener, login(&bases[0], &peer).await);
    serve_actix(actix_listener, login(&bases[1], &peer).await);

    let axum = scenario(&App {
        base: bases[0].clone(),
    })
    .await;
    let actix = scenario(&App {
        base: bases[1].clone(),
    })
    .await;
    let expected = [
        ("me with the session cookie", 200),
        ("refresh", 200),
        ("me with the refreshed access token", 200),
        ("cross-site refresh", 403),
        ("cross-site refresh", 403),
        ("same-origin refresh", 200),
        ("reused refresh token", 401),
        ("newest refresh token after the reuse", 401),
        ("logout", 204),
        ("me after logout", 401),
        ("refresh after logout", 401),
        ("refused by the app", 403),
        ("tampered state", 400),
        ("missing state", 400),
        ("another issuer", 400),
        ("missing code", 400),
        ("provider error", 400),
        ("missing flow cookie", 400),
        ("tampered flow cookie", 400),
        ("genuine callback after the failures", 303),
        ("callback replayed", 400),
        ("code from another login", 400),
        ("open redirect", 400),
        ("open redirect", 400),
        ("open redirect", 400),
        ("open redirect", 400),
        ("open redirect", 400),
        ("unknown provider", 404),
    ];
    assert_eq!(axum, expected);
    assert_eq!(actix, expected);
}
