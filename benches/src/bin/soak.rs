//! The soak: each release-built demo under mixed load for ten minutes (both at once), its
//! resident memory sampled every 10 s. Fails (exit 1) on any 5xx, any ERROR log line, or
//! more than 10 % memory growth after the first minute. Writes `soak-axum.csv` and
//! `soak-actix.csv` in the current folder. Run through `benches/soak.sh`, which builds the
//! release binaries first and draws `soak.png`.
//!
//! ```text
//! cargo run --release -p auth-benches --bin soak -- [MINUTES] [TARGET_DIR]
//! ```

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::print_stdout)]

use std::{path::PathBuf, process::ExitCode, time::Duration};

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let minutes: u64 = args.next().and_then(|m| m.parse().ok()).unwrap_or(10);
    let target = args
        .next()
        .or_else(|| std::env::var("CARGO_TARGET_DIR").ok())
        .map_or_else(|| PathBuf::from("target"), PathBuf::from);
    let run = |name: &'static str| {
        let bin = target.join("release").join(format!("{name}-demo"));
        async move {
            let report = auth_tests::soak::run(
                &bin,
                Duration::from_secs(minutes * 60),
                Duration::from_secs(10),
                4,
            )
            .await;
            (name, report)
        }
    };
    let (axum, actix) = tokio::join!(run("axum"), run("actix"));
    let mut ok = true;
    for (name, report) in [axum, actix] {
        std::fs::write(format!("soak-{name}.csv"), report.csv()).expect("write the csv");
        let growth = report.growth_after(60);
        let failures = report.failures();
        println!(
            "{name}-demo: {} requests in {minutes} min, {failures} failed (5xx or no answer), \
             {} ERROR log lines, RSS {} → {} KiB, growth after the first minute {:.1} %",
            report.requests,
            report.errors.len(),
            report.rss.first().map_or(0, |s| s.1),
            report.rss.last().map_or(0, |s| s.1),
            (growth - 1.0) * 100.0
        );
        for ((kind, status), n) in &report.statuses {
            println!("  {kind:<20} {status}  {n}");
        }
        ok &= failures == 0 && report.errors.is_empty() && growth <= 1.10;
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
