//! Sign-in end to end, against the real OpenID provider, through both adapters served over
//! loopback: a scripted browser signs in (the provider's login and consent forms), uses the
//! session cookie alone, refreshes, reuses an old refresh token (its family is revoked),
//! logs out; and every negative case ends in a clear 4xx with no session set.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::net::TcpListener;

use auth_tests::{
    browser::{Browser, cookie_value, param},
    oidc::OidcProvider as Peer,
    signin::{App, login, no_session, serve_actix, serve_axum, sign_in},
};
use reqwest::{StatusCode, Url};
use serde_json::{Value, json};

/// The whole scenario against one app; returns the statuses seen, to compare adapters, and
/// the secrets met on the way (tokens, codes), which must never reach the logs.
async fn scenario(app: &App) -> (Vec<(&'static str, u16)>, Vec<String>) {
    let mut secrets = Vec::new();
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
    secrets.extend([
        session.clone(),
        first_refresh.clone(),
        second_refresh.clone(),
    ]);
    secrets.extend(token["access_token"].as_str().map(str::to_owned));
    let bearer = reqwest::Client::new()
        .get(app.url("/me"))
        .bearer_auth(token["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    saw("me with the refreshed access token", bearer.status());

    // A cookie-authenticated POST from another site is refused; from the app's own origin,
    // or with the token in a header (which browsers never attach by themselves), it passes.
    let cross = browser
        .post(&app.url("/me"), &[], &[("origin", "http://evil.example")])
        .await;
    saw("cookie POST from another site", cross.status);
    let fetch_meta = browser
        .post(&app.url("/me"), &[], &[("sec-fetch-site", "cross-site")])
        .await;
    saw("cookie POST marked cross-site", fetch_meta.status);
    let same = browser
        .post(&app.url("/me"), &[], &[("origin", app.base.as_str())])
        .await;
    saw("cookie POST from the app", same.status);
    let header_token = reqwest::Client::new()
        .post(app.url("/me"))
        .bearer_auth(token["access_token"].as_str().unwrap())
        .header("origin", "http://evil.example")
        .send()
        .await
        .unwrap();
    saw("bearer POST from another site", header_token.status());

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
    secrets.extend(param(&callback, "code"));
    secrets.push(flow.clone());
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
    (seen, secrets)
}

#[actix_web::test]
async fn sign_in_sessions_refresh_and_logout_through_both_adapters() {
    // Every thread's events (actix-web serves from worker threads): this test is alone in
    // its binary.
    let logs = auth_tests::logcap::LogCapture::default();
    tracing::subscriber::set_global_default(logs.subscriber()).unwrap();
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

    let (axum, mut secrets) = scenario(&App {
        base: bases[0].clone(),
    })
    .await;
    let (actix, more) = scenario(&App {
        base: bases[1].clone(),
    })
    .await;
    let expected = [
        ("me with the session cookie", 200),
        ("refresh", 200),
        ("me with the refreshed access token", 200),
        ("cookie POST from another site", 403),
        ("cookie POST marked cross-site", 403),
        ("cookie POST from the app", 200),
        ("bearer POST from another site", 200),
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

    // SECURITY: no token, code or flow cookie in the logs, at any level.
    secrets.extend(more);
    let text = logs.text();
    assert!(text.contains("sign-in failed"), "the capture saw nothing");
    for secret in secrets.iter().filter(|s| s.len() >= 16) {
        // Enough of it to be unmistakable; JWTs are checked segment by segment.
        for piece in secret.split('.').filter(|p| p.len() >= 16) {
            assert!(!text.contains(piece), "a secret reached the logs");
        }
    }
}
