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

/// Each decision is one `auth` span whose `credential` and `outcome` fields are the
/// metrics' labels, through both adapters; the refusal's event sits under it.
#[test]
fn each_decision_is_a_span_with_its_outcome() {
    use auth_tests::{actix_config, axum_app, call_actix, call_axum, logcap::LogCapture};
    let fx = Fixture::new();
    let table = cases(&fx);
    let pick = |name: &str| {
        table
            .iter()
            .find(|c| c.name == name)
            .unwrap_or_else(|| panic!("no case {name}"))
            .request
            .clone()
    };
    let requests = [
        (
            pick("valid HS256"),
            r#"credential="jwt" outcome="accepted""#,
        ),
        (pick("expired"), r#"credential="jwt" outcome="expired""#),
        (
            pick("wrong audience"),
            r#"credential="jwt" outcome="audience""#,
        ),
        (
            pick("HS256 wrong secret"),
            r#"credential="jwt" outcome="bad_signature""#,
        ),
    ];
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    for adapter in ["axum", "actix"] {
        let capture = LogCapture::default();
        let _guard = tracing::subscriber::set_default(capture.span_subscriber());
        rt.block_on(async {
            if adapter == "axum" {
                let app = axum_app(fx.validator.clone());
                for (req, _) in &requests {
                    call_axum(&app, req).await;
                }
            } else {
                let app = actix_web::test::init_service(
                    actix_web::App::new().configure(actix_config(fx.validator.clone())),
                )
                .await;
                for (req, _) in &requests {
                    call_actix(&app, req).await;
                }
            }
        });
        let logs = capture.text();
        let closed: Vec<&str> = logs.lines().filter(|l| l.contains(": close")).collect();
        assert_eq!(
            closed.len(),
            requests.len(),
            "{adapter}: one span each: {logs}"
        );
        for ((_, fields), line) in requests.iter().zip(&closed) {
            assert!(
                line.contains(&format!("auth{{{fields}}}")),
                "{adapter}: {line}"
            );
        }
        let rejected: Vec<&str> = logs
            .lines()
            .filter(|l| l.contains("request rejected"))
            .collect();
        assert_eq!(rejected.len(), 3, "{adapter}: {logs}");
        assert!(
            rejected.iter().all(|l| l.contains("auth{")),
            "{adapter}: the event is in the span: {logs}"
        );
    }
}
