//! An API-key check with keys in PostgreSQL (`PostgresKeyStore`, served from its snapshot)
//! against the same check with the in-memory store, in one run: the core check alone, and a
//! guarded axum request. Goal: PostgreSQL ÷ memory ≤ 1.05 (no network on a hit).

#![allow(
    missing_docs,
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::unreachable
)]

use std::{future::Future, hint::black_box, sync::Arc};

use auth_benches::{harness::axum_routes, keys::axum_app};
use auth_core::{
    apikey::{ApiKeyStore, ApiKeyValidator, MemoryStore},
    request::StaticRequest,
};
use criterion::{Criterion, criterion_group, criterion_main};

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let db = rt.block_on(auth_tests::postgres::TestDatabase::create());
    let memory = Arc::new(MemoryStore::new());
    let minter = ApiKeyValidator::builder(memory.clone()).build().unwrap();
    let (key, record) = minter.mint("bench", "svc", ["stats:read"], None).unwrap();
    memory.insert(record.clone());
    let postgres: Arc<dyn ApiKeyStore> = rt.block_on(async {
        let admin = auth_postgres::KeyAdmin::connect(&db.url()).await.unwrap();
        admin.insert(&record).await.unwrap();
        Arc::new(
            auth_postgres::PostgresKeyStore::builder(&db.url())
                .connect()
                .await
                .unwrap(),
        )
    });
    let key = key.expose_secret().to_owned();
    let request = StaticRequest::new().header("x-api-key", key.as_str());
    let mut group = c.benchmark_group("key_stores");
    for (name, store) in [
        ("memory", memory as Arc<dyn ApiKeyStore>),
        ("postgres", postgres),
    ] {
        let validator = ApiKeyValidator::builder(store)
            .realm("bench")
            .build()
            .unwrap();
        // Both stores answer from memory: one poll completes the check.
        group.bench_function(format!("{name}_core"), |b| {
            b.iter(|| {
                let mut future = std::pin::pin!(validator.authenticate(black_box(&request)));
                let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
                match future.as_mut().poll(&mut cx) {
                    std::task::Poll::Ready(result) => black_box(result.unwrap()),
                    std::task::Poll::Pending => unreachable!("served from memory"),
                }
            })
        });
        let app = axum_app(validator);
        axum_routes(
            &mut group,
            &rt,
            &app,
            ("x-api-key", key.as_str()),
            &[(&format!("{name}_axum_guarded"), "/guarded")],
        );
    }
    group.finish();
    drop(db);
}

criterion_group! {
    name = benches;
    config = auth_benches::harness::config();
    targets = bench
}
criterion_main!(benches);
