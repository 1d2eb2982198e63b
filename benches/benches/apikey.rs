//! An API-key guarded request against the same route bare, in one run, per framework.

#![allow(
    missing_docs,
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::unreachable
)]

use std::{future::Future, hint::black_box, time::Duration};

use actix_web::dev::Service as _;
use auth_benches::keys::{actix_app, axum_app, fixture};
use auth_core::request::StaticRequest;
use criterion::{Criterion, criterion_group, criterion_main};
use tower::ServiceExt;

fn bench(c: &mut Criterion) {
    let tokio_rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let actix_rt = actix_web::rt::System::new();
    let (validator, key) = fixture();
    let mut group = c.benchmark_group("apikey");

    // The core alone: read, check, hash, look up. The in-memory store answers at once, so
    // one poll with a no-op waker completes the future (no runtime in the figure).
    let core_request = StaticRequest::new().header("x-api-key", key.as_str());
    group.bench_function("core_authenticate", |b| {
        b.iter(|| {
            let mut future = std::pin::pin!(validator.authenticate(black_box(&core_request)));
            let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
            match future.as_mut().poll(&mut cx) {
                std::task::Poll::Ready(result) => black_box(result.unwrap()),
                std::task::Poll::Pending => unreachable!("the memory store is synchronous"),
            }
        })
    });

    let app = axum_app(validator.clone());
    let axum_request = |path: &str| {
        http::Request::builder()
            .uri(path)
            .header("x-api-key", key.as_str())
            .body(axum::body::Body::empty())
            .unwrap()
    };
    for (name, path) in [
        ("axum_bare", "/bare"),
        ("axum_extractor", "/extractor"),
        ("axum_guarded", "/guarded"),
    ] {
        let check = tokio_rt
            .block_on(app.clone().oneshot(axum_request(path)))
            .unwrap();
        assert_eq!(check.status(), 200, "{name}");
        group.bench_function(name, |b| {
            b.iter(|| {
                black_box(
                    tokio_rt
                        .block_on(app.clone().oneshot(axum_request(path)))
                        .unwrap(),
                )
            })
        });
    }

    let service = actix_rt.block_on(actix_web::test::init_service(actix_app(validator.clone())));
    let actix_request = |path: &str| {
        actix_web::test::TestRequest::get()
            .uri(path)
            .insert_header(("x-api-key", key.as_str()))
            .to_request()
    };
    for (name, path) in [
        ("actix_bare", "/bare"),
        ("actix_extractor", "/extractor"),
        ("actix_guarded", "/guarded"),
    ] {
        let check = actix_rt
            .block_on(service.call(actix_request(path)))
            .unwrap();
        assert_eq!(check.status(), 200, "{name}");
        group.bench_function(name, |b| {
            b.iter(|| {
                black_box(
                    actix_rt
                        .block_on(service.call(actix_request(path)))
                        .unwrap(),
                )
            })
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(50);
    targets = bench
}
criterion_main!(benches);
