//! Logout that starts at the provider, or ends there, end to end against the real OpenID
//! provider through both adapters: OpenID Connect Back-Channel Logout 1.0 (the provider
//! ends a user's session and posts a `logout_token`; the app revokes that session, and only
//! it) and RP-Initiated Logout 1.0 (the app's logout sends the browser to the provider's
//! `end_session_endpoint` with `id_token_hint`).
//!
//! The provider's back-channel posts go through a small relay that records each
//! `logout_token` before handing it to the app, so a test can replay one.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::sync::{Arc, Mutex};

use auth_tests::{
    browser::{Browser, param},
    oidc::OidcProvider as Peer,
    signin::{App, listeners, login, serve_actix, serve_axum, sign_in},
};

/// A relay on 127.0.0.1 that records each form posted to it and forwards it to `target`,
/// answering with the target's status.
async fn relay(target: String) -> (String, Arc<Mutex<Vec<(String, u16)>>>) {
    use axum::{Router, extract::State, routing::post};
    type Seen = Arc<Mutex<Vec<(String, u16)>>>;
    async fn forward(
        State((target, seen)): State<(String, Seen)>,
        body: String,
    ) -> axum::http::StatusCode {
        let status = reqwest::Client::new()
            .post(&target)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.clone())
            .send()
            .await
            .map(|r| r.status().as_u16())
            .unwrap_or(599);
        seen.lock().unwrap().push((body, status));
        axum::http::StatusCode::from_u16(status).unwrap()
    }
    let seen: Seen = Arc::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/relay", listener.local_addr().unwrap());
    let app = Router::new()
        .route("/relay", post(forward))
        .with_state((target, seen.clone()));
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, seen)
}

async fn refresh(app: &App, browser: &Browser) -> u16 {
    browser
        .post(&app.url("/auth/refresh"), &[], &[])
        .await
        .status
        .as_u16()
}

async fn backchannel(app: &App, form: &[(&str, &str)]) -> u16 {
    let form: Vec<(String, String)> = form
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    Browser::new()
        .post(&app.url("/auth/oidc/backchannel-logout"), &form, &[])
        .await
        .status
        .as_u16()
}

async fn scenario(
    app: &App,
    peer: &Peer,
    relayed: &Arc<Mutex<Vec<(String, u16)>>>,
) -> Vec<(&'static str, u16)> {
    let mut seen = Vec::new();
    // One user, two browsers: two sessions at the provider (two `sid`s), two in the app.
    let (a, b) = (Browser::new(), Browser::new());
    for browser in [&a, &b] {
        assert_eq!(sign_in(app, browser, "erin").await.status, 303);
    }
    seen.push(("refresh A before", refresh(app, &a).await));

    // The user signs out at the provider in browser A: the provider posts a logout token
    // naming A's provider session; the app revokes that session only.
    a.end_provider_session(&format!("{}/session/end", peer.issuer), &app.base)
        .await;
    let (token, status) = relayed.lock().unwrap().first().cloned().expect("a logout");
    seen.push(("the provider's back-channel logout", status));
    seen.push(("refresh A after", refresh(app, &a).await));
    seen.push(("refresh B after", refresh(app, &b).await));

    // The same logout token again: refused, nothing changes.
    let token = url::form_urlencoded::parse(token.as_bytes())
        .find(|(k, _)| k == "logout_token")
        .map(|(_, v)| v.into_owned())
        .expect("logout_token");
    seen.push((
        "the logout token replayed",
        backchannel(app, &[("logout_token", &token)]).await,
    ));
    // An ID token is not a logout token (it has a nonce and no logout event), nor is a
    // forgery or nothing.
    let id_token = peer.id_token(&app.callback(), "erin").await;
    seen.push((
        "an ID token as logout token",
        backchannel(app, &[("logout_token", &id_token)]).await,
    ));
    let mut forged = token.clone();
    forged.push('A');
    seen.push((
        "a tampered logout token",
        backchannel(app, &[("logout_token", &forged)]).await,
    ));
    seen.push(("no logout token", backchannel(app, &[]).await));
    seen.push(("refresh B still", refresh(app, &b).await));

    // RP-initiated logout from browser B: the app revokes its session and sends the
    // browser to the provider with the sign-in's ID token as hint; the provider ends its
    // session and sends the browser back to the app's page.
    let bad = b
        .post(
            &app.url("/auth/logout"),
            &[
                ("end_session".into(), "true".into()),
                ("return_to".into(), "//evil.test/".into()),
            ],
            &[],
        )
        .await;
    seen.push(("RP logout to another site", bad.status.as_u16()));
    let out = b
        .post(
            &app.url("/auth/logout"),
            &[
                ("end_session".into(), "true".into()),
                ("return_to".into(), "/bye".into()),
            ],
            &[],
        )
        .await;
    seen.push(("RP logout", out.status.as_u16()));
    let to = out.location.clone().expect("a redirect to the provider");
    assert!(
        to.as_str()
            .starts_with(&format!("{}/session/end", peer.issuer)),
        "{to}"
    );
    assert_eq!(param(&to, "client_id").as_deref(), Some("app"));
    assert!(param(&to, "id_token_hint").is_some_and(|h| h.split('.').count() == 3));
    assert_eq!(
        param(&to, "post_logout_redirect_uri"),
        Some(app.url("/bye"))
    );
    assert!(out.set_cookies.iter().all(|c| c.contains("Max-Age=0")));
    seen.push(("refresh B after its logout", refresh(app, &b).await));
    let back = b.end_provider_session(to.as_str(), &app.base).await;
    assert_eq!(
        back.location.as_ref().map(|l| l.as_str().to_owned()),
        Some(app.url("/bye")),
        "the provider sends the browser back: {}",
        back.body
    );
    seen.push((
        "the provider's back-channel logout for B",
        relayed.lock().unwrap().get(1).map_or(0, |r| r.1),
    ));
    seen
}

#[actix_web::test]
async fn provider_logout_ends_the_apps_sessions_through_both_adapters() {
    let (listeners, bases) = listeners();
    let expected = [
        ("refresh A before", 200),
        ("the provider's back-channel logout", 200),
        ("refresh A after", 401),
        ("refresh B after", 200),
        ("the logout token replayed", 400),
        ("an ID token as logout token", 400),
        ("a tampered logout token", 400),
        ("no logout token", 400),
        ("refresh B still", 200),
        ("RP logout to another site", 400),
        ("RP logout", 303),
        ("refresh B after its logout", 401),
        ("the provider's back-channel logout for B", 200),
    ];
    let [axum_listener, actix_listener] = listeners;
    let mut serve = [
        Some(
            Box::new(move |l: auth_core::login::Login| serve_axum(axum_listener, l))
                as Box<dyn FnOnce(auth_core::login::Login)>,
        ),
        Some(Box::new(move |l: auth_core::login::Login| {
            serve_actix(actix_listener, l)
        })),
    ];
    for (i, base) in bases.iter().enumerate() {
        let app = App { base: base.clone() };
        let (relay_url, relayed) = relay(app.url("/auth/oidc/backchannel-logout")).await;
        let peer = Peer::start_with_logout(&[app.callback()], Some(&relay_url), &[app.url("/bye")]);
        (serve[i].take().unwrap())(login(base, &peer).await);
        assert_eq!(scenario(&app, &peer, &relayed).await, expected, "{base}");
    }
}
