//! The provider presets against local stand-ins, through both adapters: GitHub (OAuth 2.0
//! without OpenID: a stand-in for its authorization page, token endpoint with PKCE and its
//! 200-with-error answers, and REST API), and Google (the OpenID preset, pointed at the real
//! provider standing in for accounts.google.com); and the `form_post` response mode with
//! the real provider.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::{
    collections::HashMap,
    net::TcpListener,
    sync::{Arc, Mutex},
};

use auth_core::login::{GitHubProvider, Login, OidcProvider};
use auth_tests::{
    browser::{Browser, param},
    oidc::{OidcProvider as Peer, SIGNIN_CLIENT_ID, SIGNIN_CLIENT_SECRET},
    signin::{
        App, builder, listeners, login_with, loopback_fetch, no_session, serve_actix, serve_axum,
    },
};
use axum::{
    Form, Json, Router,
    extract::{Query, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use serde_json::{Value, json};

/// Codes issued by the stand-in, with the PKCE challenge they were issued for.
#[derive(Clone, Default)]
struct GitHub {
    codes: Arc<Mutex<HashMap<String, String>>>,
}

const TOKEN: &str = "gho_standin_token";

/// Start a GitHub stand-in: `/login/oauth/authorize` approves at once,
/// `/login/oauth/access_token` checks the code and the PKCE verifier (answering failures
/// with 200 and an `error` member, as GitHub does), `/api/user` and `/api/user/emails`.
async fn github_standin() -> String {
    async fn authorize(
        State(gh): State<GitHub>,
        Query(q): Query<HashMap<String, String>>,
    ) -> Response {
        assert_eq!(
            q.get("code_challenge_method").map(String::as_str),
            Some("S256")
        );
        assert!(
            !q.contains_key("nonce"),
            "a nonce sent to a non-OpenID provider"
        );
        let code = format!("code-{}", gh.codes.lock().unwrap().len());
        gh.codes
            .lock()
            .unwrap()
            .insert(code.clone(), q["code_challenge"].clone());
        let to = format!("{}?code={code}&state={}", q["redirect_uri"], q["state"]);
        Redirect::to(&to).into_response()
    }
    async fn token(
        State(gh): State<GitHub>,
        headers: HeaderMap,
        Form(f): Form<HashMap<String, String>>,
    ) -> Json<Value> {
        assert!(
            headers.contains_key("authorization"),
            "no client authentication"
        );
        let challenge = gh.codes.lock().unwrap().remove(&f["code"]);
        let verifier = f.get("code_verifier").cloned().unwrap_or_default();
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, verifier.as_bytes());
        if challenge != Some(URL_SAFE_NO_PAD.encode(digest.as_ref())) {
            return Json(json!({
                "error": "bad_verification_code",
                "error_description": "The code passed is incorrect or expired.",
            }));
        }
        Json(
            json!({ "access_token": TOKEN, "token_type": "bearer", "scope": "read:user,user:email" }),
        )
    }
    fn authorized(headers: &HeaderMap) -> bool {
        headers.get("authorization").and_then(|v| v.to_str().ok())
            == Some(&format!("Bearer {TOKEN}"))
            && headers.contains_key("user-agent")
    }
    async fn user(headers: HeaderMap) -> Response {
        if !authorized(&headers) {
            return StatusCode::UNAUTHORIZED.into_response();
        }
        Json(json!({ "id": 583231, "login": "octocat", "name": null, "email": "public@example.test" }))
            .into_response()
    }
    async fn emails(headers: HeaderMap) -> Response {
        if !authorized(&headers) {
            return StatusCode::UNAUTHORIZED.into_response();
        }
        Json(json!([
            { "email": "old@example.test", "primary": false, "verified": true },
            { "email": "octocat@example.test", "primary": true, "verified": true },
        ]))
        .into_response()
    }
    let app = Router::new()
        .route("/login/oauth/authorize", get(authorize))
        .route("/login/oauth/access_token", post(token))
        .route("/api/user", get(user))
        .route("/api/user/emails", get(emails))
        .with_state(GitHub::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    base
}

fn github(base: &str, standin: &str) -> Login {
    let provider = GitHubProvider::new("gh-client", "gh-secret").endpoints(
        format!("{standin}/login/oauth/authorize"),
        format!("{standin}/login/oauth/access_token"),
        format!("{standin}/api"),
    );
    builder(base, loopback_fetch())
        .provider(provider)
        .build()
        .unwrap()
}

/// Two listeners and the real provider, with each listener's callback for `provider`
/// registered.
fn listeners_and_peer(provider: &str) -> ([TcpListener; 2], [String; 2], Peer) {
    let (listeners, bases) = listeners();
    let peer = Peer::start_with_redirects(
        &bases
            .clone()
            .map(|b| format!("{b}/auth/{provider}/callback")),
    );
    (listeners, bases, peer)
}

/// Serve `login` with axum (`axum`) or actix-web.
fn serve(listener: TcpListener, login: Login, axum: bool) {
    if axum {
        serve_axum(listener, login);
    } else {
        serve_actix(listener, login);
    }
}

#[actix_web::test]
async fn github_through_both_adapters() {
    let standin = github_standin().await;
    let ([a, b], bases) = listeners();
    serve_axum(a, github(&bases[0], &standin));
    serve_actix(b, github(&bases[1], &standin));
    for base in &bases {
        let app = App { base: base.clone() };
        let callback = app.url("/auth/github/callback");
        let login = app.url("/auth/github/login?return_to=/me");

        let browser = Browser::new();
        let start = browser.get(&login).await;
        let back = browser.follow(start, &callback).await;
        let signed_in = browser.callback(&back).await;
        assert_eq!(signed_in.status, 303, "{base}: {}", signed_in.body);
        let me = browser.get(&app.url("/me")).await;
        assert_eq!(me.status, 200);
        let body: Value = serde_json::from_str(&me.body).unwrap();
        assert_eq!(
            body,
            json!({"sub": "583231", "idp": "github", "email": "octocat@example.test"})
        );

        // The attacker's code in the victim's callback: GitHub answers 200 with an error,
        // which is a failed sign-in (400), not a crash and not a session.
        let attacker = Browser::new();
        let start = attacker.get(&login).await;
        let attacker_back = attacker.follow(start, &callback).await;
        let code = param(attacker_back.location.as_ref().unwrap(), "code").unwrap();
        let victim = Browser::new();
        let start = victim.get(&login).await;
        let victim_back = victim.follow(start, &callback).await;
        let mut injected = victim_back.location.clone().unwrap();
        let state = param(&injected, "state").unwrap();
        injected.set_query(Some(&format!("code={code}&state={state}")));
        let page = victim.get(injected.as_str()).await;
        assert_eq!(page.status, 400, "{}", page.body);
        assert!(no_session(&page));
    }
}

#[actix_web::test]
async fn google_preset_through_both_adapters() {
    let ([a, b], bases, peer) = listeners_and_peer("google");
    for (listener, base, axum) in [(a, &bases[0], true), (b, &bases[1], false)] {
        let fetch = loopback_fetch();
        let google = OidcProvider::google_at(
            &peer.issuer,
            SIGNIN_CLIENT_ID,
            SIGNIN_CLIENT_SECRET,
            fetch.clone(),
        )
        .await
        .unwrap();
        assert_eq!(google.name(), "google");
        let login = builder(base, fetch).provider(google).build().unwrap();
        serve(listener, login, axum);
        let app = App { base: base.clone() };
        let browser = Browser::new();
        let (_, back) = browser
            .authorize(
                &app.url("/auth/google/login?return_to=/me"),
                "grace",
                &app.url("/auth/google/callback"),
            )
            .await;
        let signed_in = browser.callback(&back).await;
        assert_eq!(signed_in.status, 303, "{}", signed_in.body);
        let me = browser.get(&app.url("/me")).await;
        let body: Value = serde_json::from_str(&me.body).unwrap();
        assert_eq!(body["sub"], "grace");
        assert_eq!(body["idp"], "google");
    }
}

#[actix_web::test]
async fn form_post_callbacks_through_both_adapters() {
    let ([a, b], bases, peer) = listeners_and_peer("oidc");
    serve_axum(
        a,
        login_with(&bases[0], &peer, |b, p| b.provider(p.form_post())).await,
    );
    serve_actix(
        b,
        login_with(&bases[1], &peer, |b, p| b.provider(p.form_post())).await,
    );
    for base in &bases {
        let app = App { base: base.clone() };
        let browser = Browser::new();
        let (start, back) = browser
            .authorize(&app.login("/me"), "heidi", &app.callback())
            .await;
        let authorization = start.location.as_ref().unwrap();
        assert_eq!(
            param(authorization, "response_mode").as_deref(),
            Some("form_post")
        );
        // The provider answers with a page that posts the response: no code in any URL.
        assert_eq!(back.status, 200);
        assert!(back.location.is_none());
        let signed_in = browser.callback(&back).await;
        assert_eq!(signed_in.status, 303, "{}", signed_in.body);
        let me = browser.get(&app.url("/me")).await;
        let body: Value = serde_json::from_str(&me.body).unwrap();
        assert_eq!(body["sub"], "heidi");

        // Replaying the posted response: refused (its flow cookie is gone, its state used).
        let replay = browser.callback(&back).await;
        assert_eq!(replay.status, 400);
        assert!(no_session(&replay));
    }
}

#[actix_web::test]
async fn sign_in_requests_are_rate_limited_per_client_in_both_adapters() {
    use std::time::Duration;

    let ([a, b], bases, peer) = listeners_and_peer("oidc");
    for (listener, base, axum) in [(a, &bases[0], true), (b, &bases[1], false)] {
        let login = login_with(base, &peer, |b, p| {
            b.provider(p).rate_limit(3, Duration::from_secs(3 * 3600))
        })
        .await;
        serve(listener, login, axum);
        let app = App { base: base.clone() };
        let mut statuses = Vec::new();
        let mut last = None;
        for _ in 0..5 {
            let page = Browser::new().get(&app.login("/")).await;
            statuses.push(page.status.as_u16());
            last = Some(page);
        }
        assert_eq!(statuses, [303, 303, 303, 429, 429], "{base}");
        let last = last.unwrap();
        assert!(last.body.contains("\"status\":429"), "{}", last.body);
        let wait: u64 = last.retry_after.as_deref().unwrap().parse().unwrap();
        assert!((3000..=3600).contains(&wait), "Retry-After {wait}");
        assert!(last.set_cookies.is_empty());
        // Refresh counts too; logout does not (a client can always leave).
        let refresh = Browser::new()
            .post(&app.url("/auth/refresh"), &[], &[])
            .await;
        assert_eq!(refresh.status, 429);
        let logout = Browser::new()
            .post(&app.url("/auth/logout"), &[], &[])
            .await;
        assert_eq!(logout.status, 204);
    }
}
