//! An API-key guarded request against the same route bare, in one run, per framework.

#![allow(
    missing_docs,
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::unreachable
)]

use std::{future::Future, hint::black_box};

use auth_benches::{
    harness::{actix_routes, axum_routes},
    keys::{actix_app, axum_app, fixture},
};
use auth_core::request::StaticRequest;
use criterion::{Criterion, criterion_group, criterion_main};

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

    let header = ("x-api-key", key.as_str());
    let app = axum_app(validator.clone());
    axum_routes(
        &mut group,
        &tokio_rt,
        &app,
        header,
        &[
            ("axum_bare", "/bare"),
            ("axum_extractor", "/extractor"),
            ("axum_guarded", "/guarded"),
        ],
    );
    let service = actix_rt.block_on(actix_web::test::init_service(actix_app(validator.clone())));
    actix_routes(
        &mut group,
        &actix_rt,
        &service,
        header,
        &[
            ("actix_bare", "/bare"),
            ("actix_extractor", "/extractor"),
            ("actix_guarded", "/guarded"),
        ],
    );
    group.finish();
}

criterion_group! {
    name = benches;
    config = auth_benches::harness::config();
    targets = bench
}
criterion_main!(benches);
