//! The sign-in page of both demos in a real browser (headless Chromium through
//! chromedriver) against the real OpenID provider: sign in (the provider answering by
//! redirect on http, by `form_post` on https), who you are, `/api/me`, a second session
//! revoked from the first, refresh, a cross-site form `POST` from another origin refused,
//! and sign-out; the cookies as the browser keeps them (`__Host-` and `Secure` on https,
//! `HttpOnly` and `SameSite=Lax` always). A failed step saves a screenshot in
//! `target/browser-screenshots`; `AUTH_SCREENSHOTS=folder` saves one after every step.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;
use common::*;

use auth_tests::chrome::{Chrome, TlsProxy};

/// How a run reaches the demo.
#[derive(Clone, Copy)]
enum Mode {
    /// `http://127.0.0.1`, the provider answering by redirect (`response_mode=query`).
    HttpQuery,
    /// `https://localhost` (a TLS proxy in front), the provider answering by `form_post`.
    HttpsFormPost,
}

/// An attacker's page on another origin (another loopback port: the same site, which
/// `SameSite` does not stop) whose form posts to the demo's `/auth/logout-all`.
async fn attacker(target: &str) -> (String, tokio::task::JoinHandle<()>) {
    let page = format!(
        "<!doctype html><title>elsewhere</title>\
         <form method=post action=\"{target}/auth/logout-all\">\
         <button id=go type=submit>win a prize</button></form>"
    );
    let app = axum::Router::new().route(
        "/",
        axum::routing::get(move || {
            let page = page.clone();
            async move { axum::response::Html(page) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (url, task)
}

async fn run(bin: &str, demo: &str, mode: Mode) {
    let port = free_port();
    let https = matches!(mode, Mode::HttpsFormPost);
    let tls_port = free_port();
    let base = if https {
        format!("https://localhost:{tls_port}")
    } else {
        format!("http://127.0.0.1:{port}")
    };
    let provider = auth_tests::oidc::OidcProvider::start_with_redirects(&[format!(
        "{base}/auth/oidc/callback"
    )]);
    let mut env = vec![];
    if https {
        env.push(("DEMO_PUBLIC_URL", base.as_str()));
        env.push(("DEMO_OIDC_RESPONSE_MODE", "form_post"));
    }
    let _server = start_signing_in(bin, port, &provider, &env);
    let _proxy = if https {
        Some(TlsProxy::start(tls_port, ([127, 0, 0, 1], port).into()).await)
    } else {
        None
    };
    let label = format!("{demo}-{}", if https { "https" } else { "http" });
    let chrome = Chrome::start(&label).await;
    let home = format!("{base}/");

    chrome
        .step("signed-out", async {
            chrome.goto(&home).await?;
            chrome.wait_text("#signin", "Sign in with oidc").await?;
            chrome.wait_text("p.muted", demo).await.map(drop)
        })
        .await;
    chrome
        .step("signed-in", async {
            chrome.click("#signin-oidc").await?;
            chrome.provider_sign_in("alice", &base).await?;
            chrome.wait_text("#sub", "alice").await?;
            chrome.wait_text("#claims", "\"iss\"").await?;
            chrome.wait_count("#sessions li", 1).await
        })
        .await;
    chrome
        .step("cookies", async {
            let cookies = chrome.cookies().await?;
            let prefix = if https { "__Host-" } else { "" };
            for name in ["auth-session", "auth-refresh"] {
                let name = format!("{prefix}{name}");
                let c = cookies
                    .iter()
                    .find(|c| c.name == name)
                    .ok_or_else(|| format!("no {name} in {cookies:?}"))?;
                let ok = c.http_only
                    && c.secure == https
                    && c.same_site.as_deref() == Some("Lax")
                    && c.path.as_deref() == Some("/");
                if !ok {
                    return Err(format!("{name}: {c:?}"));
                }
            }
            // The sign-in flow's cookie is gone once it served its callback.
            match cookies.iter().find(|c| c.name.ends_with("auth-flow")) {
                Some(c) => Err(format!("the flow cookie is left: {c:?}")),
                None => Ok(()),
            }
        })
        .await;
    chrome
        .step("api-me", async {
            chrome.click("#call-me").await?;
            chrome.wait_text("#answer", "200").await?;
            chrome.wait_text("#answer", "alice").await.map(drop)
        })
        .await;
    chrome
        .step("two-sessions", async {
            // A second sign-in in this browser: the provider remembers the first.
            chrome
                .goto(&format!("{base}/auth/oidc/login?return_to=/"))
                .await?;
            chrome.provider_sign_in("alice", &base).await?;
            chrome.wait_text("#sub", "alice").await?;
            chrome.wait_count("#sessions li", 2).await?;
            chrome.wait_count("#sessions li .current", 1).await
        })
        .await;
    chrome
        .step("revoked", async {
            chrome
                .click("#sessions li:not(:has(.current)) button.revoke")
                .await?;
            chrome.wait_text("#status", "Session revoked.").await?;
            chrome.wait_count("#sessions li", 1).await?;
            chrome.wait_count("#sessions li .current", 1).await
        })
        .await;
    chrome
        .step("refreshed", async {
            chrome.click("#refresh").await?;
            chrome.wait_text("#status", "Session refreshed").await?;
            chrome.wait_text("#sub", "alice").await.map(drop)
        })
        .await;
    if !https {
        let (elsewhere, task) = attacker(&base).await;
        chrome
            .step("cross-site-refused", async {
                chrome.goto(&elsewhere).await?;
                chrome.click("#go").await?;
                chrome.wait_url(&format!("{base}/auth/logout-all")).await?;
                chrome.wait_text("body", "403").await?;
                // Still signed in, the session untouched.
                chrome.goto(&home).await?;
                chrome.wait_text("#sub", "alice").await?;
                chrome.wait_count("#sessions li", 1).await
            })
            .await;
        task.abort();
    }
    let (button, said) = if https {
        ("#logout-all", "Signed out everywhere.")
    } else {
        ("#logout", "Signed out.")
    };
    chrome
        .step("signed-out-again", async {
            chrome.click(button).await?;
            chrome.wait_text("#status", said).await?;
            chrome.wait_text("#signin", "Sign in with oidc").await?;
            // A reload asks the server again: still signed out.
            chrome.goto(&home).await?;
            chrome
                .wait_text("#signin", "Sign in with oidc")
                .await
                .map(drop)
        })
        .await;
    chrome.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sign_in_page_works_in_a_real_browser_on_axum() {
    let bin = env!("CARGO_BIN_EXE_axum-demo");
    run(bin, "axum", Mode::HttpQuery).await;
    run(bin, "axum", Mode::HttpsFormPost).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sign_in_page_works_in_a_real_browser_on_actix() {
    let bin = env!("CARGO_BIN_EXE_actix-demo");
    run(bin, "actix-web", Mode::HttpQuery).await;
    run(bin, "actix-web", Mode::HttpsFormPost).await;
}
