//! Issue 12, item 6, the smoke: each demo (debug build) under mixed load for a few seconds —
//! valid, forged and malformed JWTs; valid, revoked and malformed API keys; callbacks with a
//! bad state; a refresh chain; health checks. No 5xx, no request left unanswered, no log at
//! ERROR level, and every kind answered as the contract says (429 allowed where a limit
//! applies). The ten-minute run with the memory curve is
//! `cargo run --release -p auth-benches --bin soak` (BENCHMARKS.md).

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::{path::Path, time::Duration};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_demos_take_mixed_traffic_without_a_5xx_or_an_error_log() {
    for bin in [
        env!("CARGO_BIN_EXE_axum-demo"),
        env!("CARGO_BIN_EXE_actix-demo"),
    ] {
        let report = auth_tests::soak::run(
            Path::new(bin),
            Duration::from_secs(8),
            Duration::from_secs(1),
            4,
        )
        .await;
        assert!(report.requests > 100, "{bin}: {report:?}");
        assert_eq!(report.failures(), 0, "{bin}: {:?}", report.statuses);
        assert!(report.errors.is_empty(), "{bin}: {:?}", report.errors);
        for ((kind, status), n) in &report.statuses {
            let allowed: &[u16] = match kind.as_str() {
                "jwt valid" | "health" => &[200],
                "jwt forged" | "jwt malformed" | "key revoked" | "key malformed" => &[401],
                "key valid" => &[200, 429],
                "callback bad state" => &[400, 429],
                "refresh" => &[200, 429],
                other => panic!("unknown kind {other}"),
            };
            assert!(
                allowed.contains(status),
                "{bin}: {kind} got {status} ({n} times)"
            );
        }
        assert!(
            report
                .statuses
                .get(&("refresh".to_owned(), 200))
                .is_some_and(|n| *n > 0),
            "{bin}: the refresh chain ran: {:?}",
            report.statuses
        );
        assert!(report.rss.len() >= 8, "{bin}: {:?}", report.rss);
    }
}
