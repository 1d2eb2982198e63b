//! A user's sessions, end to end against the real OpenID provider, through both adapters:
//! list them (`GET /auth/sessions`), revoke one (`DELETE /auth/sessions/{id}`), sign out
//! everywhere (`POST /auth/logout-all`: every refresh family revoked and every access token
//! issued before it refused), with the cross-site rule and other users untouched.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use auth_tests::{
    browser::{Browser, cookie_value},
    oidc::OidcProvider as Peer,
    signin::{App, listeners, login, serve_actix, serve_axum, sign_in},
};
use reqwest::Method;
use serde_json::Value;

/// Sign `user` in with a browser that calls itself `agent`; the browser and its access
/// token.
async fn signed_in(app: &App, user: &str, agent: &str) -> (Browser, String) {
    let browser = Browser::with_agent(agent);
    let page = sign_in(app, &browser, user).await;
    assert_eq!(page.status, 303, "{}", page.body);
    let access = cookie_value(&page.set_cookies, "auth-session").expect("session cookie");
    (browser, access)
}

async fn list(app: &App, browser: &Browser) -> (u16, Vec<Value>) {
    let page = browser.get(&app.url("/auth/sessions")).await;
    let sessions = serde_json::from_str::<Value>(&page.body)
        .ok()
        .and_then(|v| v["sessions"].as_array().cloned())
        .unwrap_or_default();
    (page.status.as_u16(), sessions)
}

async fn scenario(app: &App) -> Vec<(&'static str, u16)> {
    let mut seen = Vec::new();
    let (a, a_token) = signed_in(app, "carol", "tab A").await;
    let (b, _) = signed_in(app, "carol", "phone B").await;
    let (d, _) = signed_in(app, "dave", "dave's laptop").await;

    let (status, sessions) = list(app, &a).await;
    seen.push(("list", status));
    assert_eq!(sessions.len(), 2, "{sessions:?}");
    let current: Vec<_> = sessions.iter().filter(|s| s["current"] == true).collect();
    assert_eq!(current.len(), 1, "{sessions:?}");
    assert_eq!(current[0]["user_agent"], "tab A");
    assert_eq!(current[0]["provider"], "oidc");
    assert_eq!(current[0]["address"], "127.0.0.1");
    assert!(current[0]["created_at"].as_i64().unwrap() > 1_700_000_000);
    let other = sessions.iter().find(|s| s["current"] == false).unwrap();
    assert_eq!(other["user_agent"], "phone B");
    let b_id = other["id"].as_str().unwrap().to_owned();
    // Never a token in the list.
    let text = serde_json::to_string(&sessions).unwrap();
    assert!(!text.contains(&a_token), "{text}");
    let (_, dave) = list(app, &d).await;
    assert_eq!(dave.len(), 1, "another user's sessions are not listed");
    let d_id = dave[0]["id"].as_str().unwrap().to_owned();

    let anonymous = Browser::new().get(&app.url("/auth/sessions")).await;
    seen.push(("list without a session", anonymous.status.as_u16()));
    let bearer = Browser::new()
        .send(
            Method::GET,
            &app.url("/auth/sessions"),
            &[("authorization", &format!("Bearer {a_token}"))],
        )
        .await;
    seen.push(("list with the bearer token", bearer.status.as_u16()));

    let revoke = |browser: &Browser, id: &str, headers: &'static [(&str, &str)]| {
        let (browser, url) = (browser.clone(), app.url(&format!("/auth/sessions/{id}")));
        async move { browser.send(Method::DELETE, &url, headers).await }
    };
    let foreign = revoke(&a, &d_id, &[]).await;
    seen.push(("revoke another user's session", foreign.status.as_u16()));
    let forged = revoke(&a, &b_id, &[("origin", "http://evil.test")]).await;
    seen.push(("revoke from another site", forged.status.as_u16()));
    let revoked = revoke(&a, &b_id, &[]).await;
    seen.push(("revoke the other session", revoked.status.as_u16()));
    let refresh = b.post(&app.url("/auth/refresh"), &[], &[]).await;
    seen.push(("refresh of the revoked session", refresh.status.as_u16()));
    let (_, sessions) = list(app, &a).await;
    assert_eq!(sessions.len(), 1, "{sessions:?}");
    let again = revoke(&a, &b_id, &[]).await;
    seen.push(("revoke it again", again.status.as_u16()));

    // A second device again; then sign out everywhere from the first.
    let (b, b_token) = signed_in(app, "carol", "phone B").await;
    let me = |token: &str| {
        let (url, auth) = (app.url("/me"), format!("Bearer {token}"));
        async move {
            Browser::new()
                .send(Method::GET, &url, &[("authorization", &auth)])
                .await
                .status
                .as_u16()
        }
    };
    seen.push(("me before signing out everywhere", me(&b_token).await));
    let cross = a
        .send(
            Method::POST,
            &app.url("/auth/logout-all"),
            &[("sec-fetch-site", "cross-site")],
        )
        .await;
    seen.push((
        "sign out everywhere from another site",
        cross.status.as_u16(),
    ));
    let all = a
        .send(Method::POST, &app.url("/auth/logout-all"), &[])
        .await;
    seen.push(("sign out everywhere", all.status.as_u16()));
    assert!(
        all.set_cookies.iter().all(|c| c.contains("Max-Age=0")),
        "{:?}",
        all.set_cookies
    );
    seen.push(("first access token after", me(&a_token).await));
    seen.push(("other device's access token after", me(&b_token).await));
    let refresh = b.post(&app.url("/auth/refresh"), &[], &[]).await;
    seen.push(("other device's refresh after", refresh.status.as_u16()));
    let (status, dave) = list(app, &d).await;
    assert_eq!((status, dave.len()), (200, 1), "another user keeps theirs");

    // Signing in again at once works: the new token is not caught by the epoch.
    let (a, a_token) = signed_in(app, "carol", "tab A").await;
    seen.push(("a new sign-in at once", me(&a_token).await));
    let (_, sessions) = list(app, &a).await;
    assert_eq!(sessions.len(), 1, "{sessions:?}");
    seen
}

#[actix_web::test]
async fn users_list_revoke_and_end_their_sessions_through_both_adapters() {
    let (listeners, bases) = listeners();
    let peer =
        Peer::start_with_redirects(&bases.clone().map(|b| format!("{b}/auth/oidc/callback")));
    let [axum_listener, actix_listener] = listeners;
    serve_axum(axum_listener, login(&bases[0], &peer).await);
    serve_actix(actix_listener, login(&bases[1], &peer).await);
    let expected = [
        ("list", 200),
        ("list without a session", 401),
        ("list with the bearer token", 200),
        ("revoke another user's session", 404),
        ("revoke from another site", 403),
        ("revoke the other session", 204),
        ("refresh of the revoked session", 401),
        ("revoke it again", 404),
        ("me before signing out everywhere", 200),
        ("sign out everywhere from another site", 403),
        ("sign out everywhere", 204),
        ("first access token after", 401),
        ("other device's access token after", 401),
        ("other device's refresh after", 401),
        ("a new sign-in at once", 200),
    ];
    for base in bases {
        assert_eq!(scenario(&App { base }).await, expected);
    }
}
