//! A provider outage of every kind (500, garbage, huge, slow, redirect) keeps the last good
//! keys until the stale limit, then 503, then recovery; each incident is logged once.
//!
//! Alone in its test binary: it counts log lines, and `tracing`'s per-callsite interest
//! cache is shared by every test thread of a process.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::{
    sync::atomic::Ordering,
    time::{Duration, Instant},
};

use auth_core::{
    jwt::Algorithm,
    remote::{KeySource, RefreshPolicy, RemoteKeySet},
    test_util::{TestKey, TokenBuilder},
};
use auth_tests::{
    AUDIENCE,
    jwks_server::{Controlled, Mode, both, fetch, validator},
    logcap::LogCapture,
};

#[actix_web::test]
async fn an_outage_keeps_the_last_good_keys_until_the_stale_limit_and_is_logged_once() {
    let logs = LogCapture::default();
    let _guard = logs.install();
    let key = TestKey::new(Algorithm::ES256).with_kid("a");
    let server = Controlled::start(TestKey::jwks(&[&key])).await;
    let policy = RefreshPolicy::default()
        .ages(Duration::from_millis(100), Duration::from_millis(100))
        .stale_limit(Duration::from_secs(4))
        .retry(Duration::from_millis(50), Duration::from_millis(100));
    let set = RemoteKeySet::load(KeySource::Discovery(server.base.clone()), fetch(), policy)
        .await
        .unwrap();
    let refresher = set.spawn_refresher().unwrap();
    let app = both(validator(set, &server.base)).await;
    let token = TokenBuilder::valid(&key, &server.base, AUDIENCE, "u").sign(&key);
    assert_eq!(app.status(&token).await, 200);

    // Every kind of failure, each for a few refresh attempts: the last good keys serve.
    let start = Instant::now();
    for mode in [
        Mode::Error,
        Mode::Garbage,
        Mode::Huge,
        Mode::Redirect,
        Mode::Slow,
    ] {
        let before = server.hits();
        server.set(mode);
        tokio::time::sleep(Duration::from_millis(if mode == Mode::Slow {
            700
        } else {
            300
        }))
        .await;
        assert!(server.hits() > before, "{mode:?}: no refresh was tried");
        assert_eq!(
            app.status(&token).await,
            200,
            "{mode:?}: the last good keys were dropped"
        );
    }
    assert!(
        start.elapsed() < Duration::from_secs(4),
        "the test ran past the stale limit"
    );
    assert_eq!(
        server.redirect_hits.load(Ordering::SeqCst),
        0,
        "a redirect was followed"
    );

    // Past the stale limit: 503 (not 401: the token may be good), through both adapters.
    app.until(&token, 503, Duration::from_secs(6)).await;
    let answer = app.call("/me", &token).await;
    assert_eq!(answer.www_authenticate, None);
    assert!(answer.body.contains("retry later"), "{}", answer.body);

    // The provider is back: the refresher's next retry restores service.
    server.set(Mode::Ok);
    app.until(&token, 200, Duration::from_secs(3)).await;

    let text: String = logs
        .text()
        .lines()
        .filter(|l| l.contains("auth_core::remote"))
        .map(|l| format!("{l}\n"))
        .collect();
    for (line, times) in [
        ("keeping the last good keys", 1),
        ("no usable keys", 1),
        ("key set fetched again", 1),
    ] {
        assert_eq!(text.matches(line).count(), times, "{line:?} in:\n{text}");
    }
    refresher.abort();
}
