//! What the Prometheus exporter costs an axum `RequireJwt` request, with the metrics looked
//! up in its registry per decision and then through `telemetry::register_metrics`' handles,
//! on one thread and on two threads at once (both cores take the registry's lock).
//!
//! Its own bench binary: it installs the process's recorder, and registering cannot be
//! undone, so the looked-up figures are taken first, in the same run.

#![allow(missing_docs, clippy::expect_used, clippy::unwrap_used)]

use std::{
    hint::black_box,
    time::{Duration, Instant},
};

use auth_benches::{Fixture, axum_app, harness::axum_routes};
use auth_core::jwt::Algorithm;
use criterion::{
    BenchmarkGroup, Criterion, criterion_group, criterion_main, measurement::WallTime,
};
use tower::ServiceExt;

/// `iters` requests on each of two threads at once; the time per request of the pair.
fn two_threads(app: &axum::Router, authorization: &str, iters: u64) -> Duration {
    let run = || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        for _ in 0..iters {
            let request = http::Request::get("/me")
                .header("authorization", authorization)
                .body(axum::body::Body::empty())
                .unwrap();
            let response = rt.block_on(app.clone().oneshot(request)).unwrap();
            assert_eq!(response.status(), 200);
            black_box(response);
        }
    };
    let started = Instant::now();
    std::thread::scope(|s| {
        s.spawn(run);
        s.spawn(run);
    });
    started.elapsed() / 2
}

fn round(
    group: &mut BenchmarkGroup<'_, WallTime>,
    rt: &tokio::runtime::Runtime,
    app: &axum::Router,
    authorization: &str,
    name: &str,
) {
    axum_routes(
        group,
        rt,
        app,
        ("authorization", authorization),
        &[(name, "/me")],
    );
    group.bench_function(format!("{name}_two_threads"), |b| {
        b.iter_custom(|iters| two_threads(app, authorization, iters))
    });
}

fn bench(c: &mut Criterion) {
    metrics_exporter_prometheus::PrometheusBuilder::new()
        .install_recorder()
        .expect("the only recorder of this process");
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let fx = Fixture::new(Algorithm::HS256);
    let app = axum_app(fx.validator.clone());
    let mut group = c.benchmark_group("metrics");
    round(
        &mut group,
        &rt,
        &app,
        &fx.authorization,
        "prometheus_lookup",
    );
    assert!(auth_core::telemetry::register_metrics());
    round(
        &mut group,
        &rt,
        &app,
        &fx.authorization,
        "prometheus_registered",
    );
    group.finish();
}

criterion_group! {
    name = benches;
    config = auth_benches::harness::config();
    targets = bench
}
criterion_main!(benches);
