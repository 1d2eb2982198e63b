//! No token appears in the logs (SECURITY.md: no log line contains a credential), at any level, for any case of the table.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use auth_core::request::StaticRequest;
use auth_tests::{Fixture, cases::cases, logcap::capture};

#[test]
fn no_token_reaches_the_logs() {
    let fx = Fixture::new();
    let table = cases(&fx);
    let logs = capture(|| {
        for case in &table {
            let mut req = StaticRequest::new();
            for (k, v) in &case.request.headers {
                req = req.header(k, v.as_bytes());
            }
            if let Some((_, q)) = case.request.uri.split_once('?') {
                req = req.query_string(q);
            }
            if let Err(e) = fx.validator.authenticate_now(&req) {
                let _ = fx.validator.reject(&e);
            }
        }
    });
    assert!(
        logs.contains("request rejected"),
        "the capture saw no rejection: {logs}"
    );
    for case in &table {
        let Some(token) = &case.token else { continue };
        for piece in token.split('.').filter(|p| p.len() >= 8) {
            assert!(
                !logs.contains(piece),
                "{}: a token piece is in the logs",
                case.name
            );
        }
    }
}

#[test]
fn no_api_key_reaches_the_logs() {
    use auth_tests::keys::{KeyFixture, key_cases};
    let fx = KeyFixture::new();
    let table = key_cases(&fx);
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let logs = capture(|| {
        for case in &table {
            let mut req = StaticRequest::new();
            for (k, v) in &case.request.headers {
                req = req.header(k, v.as_bytes());
            }
            if let Err(e) = rt.block_on(fx.validator.authenticate(&req)) {
                let _ = fx.validator.reject(&e);
            }
        }
    });
    assert!(
        logs.contains("revoked API key presented"),
        "the capture saw no key event: {logs}"
    );
    for key in [
        &fx.valid,
        &fx.unscoped,
        &fx.revoked,
        &fx.expired,
        &fx.other_prefix,
        &fx.unknown,
    ] {
        let body = &key.expose_secret()[key.prefix().len() + 5..];
        assert!(!logs.contains(body), "a key body is in the logs");
    }
}
