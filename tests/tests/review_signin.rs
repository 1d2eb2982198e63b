//! Security review, sign-in items, against the real OpenID provider through both adapters
//! served over loopback.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use auth_core::login::SessionGrant;
use auth_tests::{
    browser::Browser,
    oidc::OidcProvider as Peer,
    signin::{App, listeners, login_with, no_session, serve_actix, serve_axum, sign_in},
};
use reqwest::StatusCode;

/// Review item 6: a sign-in hook that copies a provider-controlled `scp` (or any
/// registered claim) into the grant does not grant it: the session is refused (500, no
/// cookie), never issued with the extra scope.
#[actix_web::test]
async fn review_06_a_hook_cannot_grant_scopes_through_custom_claims() {
    let ([axum_listener, actix_listener], bases) = listeners();
    let peer =
        Peer::start_with_redirects(&bases.clone().map(|b| format!("{b}/auth/oidc/callback")));
    let copying = |b: auth_core::login::LoginBuilder, p| {
        b.provider(p).on_sign_in(|id| {
            Ok(SessionGrant::new(id.subject.clone())
                .scopes(["read"])
                .claim("scp", serde_json::json!(["admin"])))
        })
    };
    // Review item 8, for the one type that needs a provider: no client secret in `Debug`.
    let discovered = auth_core::login::OidcProvider::discover(
        "oidc",
        peer.issuer.clone(),
        auth_tests::oidc::SIGNIN_CLIENT_ID,
        Some(auth_tests::oidc::SIGNIN_CLIENT_SECRET.into()),
        auth_tests::signin::loopback_fetch(),
    )
    .await
    .unwrap();
    let shown = format!("{discovered:?} {discovered:#?}");
    assert!(
        !shown.contains(auth_tests::oidc::SIGNIN_CLIENT_SECRET),
        "{shown}"
    );
    assert!(
        shown.contains(auth_tests::oidc::SIGNIN_CLIENT_ID),
        "{shown}"
    );
    serve_axum(axum_listener, login_with(&bases[0], &peer, copying).await);
    serve_actix(actix_listener, login_with(&bases[1], &peer, copying).await);
    for base in bases {
        let app = App { base };
        let page = sign_in(&app, &Browser::new(), "alice").await;
        assert_eq!(
            page.status,
            StatusCode::INTERNAL_SERVER_ERROR,
            "{}: {}",
            app.base,
            page.body
        );
        assert!(no_session(&page), "{:?}", page.set_cookies);
    }
}

/// Review item 9: refreshing does not keep a session alive past its absolute lifetime,
/// even with the newest refresh token presented by hand (the browser would have dropped
/// the cookie by itself).
#[actix_web::test]
async fn review_09_a_session_ends_at_its_absolute_lifetime() {
    use auth_tests::browser::cookie_value;
    use std::time::{Duration, Instant};
    let ([axum_listener, actix_listener], bases) = listeners();
    let peer =
        Peer::start_with_redirects(&bases.clone().map(|b| format!("{b}/auth/oidc/callback")));
    let lifetime = Duration::from_secs(3);
    let short =
        move |b: auth_core::login::LoginBuilder, p| b.provider(p).session_lifetime(lifetime);
    serve_axum(axum_listener, login_with(&bases[0], &peer, short).await);
    serve_actix(actix_listener, login_with(&bases[1], &peer, short).await);
    for base in bases {
        let app = App { base };
        let browser = Browser::new();
        let started = Instant::now();
        let page = sign_in(&app, &browser, "alice").await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
        let refresh = cookie_value(&page.set_cookies, "auth-refresh").unwrap();
        // The refresh cookie lives no longer than the session.
        let cookie = page
            .set_cookies
            .iter()
            .find(|c| c.starts_with("auth-refresh="))
            .unwrap();
        assert!(
            cookie.contains("Max-Age=3") || cookie.contains("Max-Age=2"),
            "{cookie}"
        );
        // Within the lifetime, a refresh works and rotates.
        let refresh_url = app.url("/auth/refresh");
        let first = browser
            .post_with_cookie(&refresh_url, &format!("auth-refresh={refresh}"))
            .await;
        assert_eq!(first.status, StatusCode::OK, "{}", first.body);
        let newest = cookie_value(&first.set_cookies, "auth-refresh").unwrap();
        // Past it, the newest token is refused all the same.
        tokio::time::sleep(
            (lifetime + Duration::from_millis(1100)).saturating_sub(started.elapsed()),
        )
        .await;
        let late = browser
            .post_with_cookie(&refresh_url, &format!("auth-refresh={newest}"))
            .await;
        assert_eq!(
            late.status,
            StatusCode::UNAUTHORIZED,
            "{}: {}",
            app.base,
            late.body
        );
    }
}
