//! Refresh-token rotation: the in-memory store against Redis and PostgreSQL on loopback, in
//! one run.
//!
//! - `*_rotate`: one rotation at a time (latency);
//! - `*_rotate_32`: rotations by 32 concurrent clients, each on its own session (the time
//!   per rotation is the inverse of the throughput).
//!
//! Before criterion runs, 10 000 sequential rotations per engine are timed one by one and
//! their p50 and p99 printed: criterion reports central figures, and the goals (p99 ≤ 1 ms
//! Redis, ≤ 3 ms PostgreSQL) are on the tail.

#![allow(missing_docs, clippy::expect_used, clippy::unwrap_used)]

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Instant,
};

use auth_core::login::{
    MemoryRefreshStore, RefreshHash, RefreshRecord, RefreshStore, Rotation, SessionGrant,
};
use auth_redis::RedisRefreshStore;
use criterion::{Criterion, criterion_group, criterion_main};

const REDIS: &str = "redis://127.0.0.1:6379/0";

/// A session in `store` and a way to rotate it for ever: each call rotates the current
/// token into a fresh one.
struct Session {
    store: Arc<dyn RefreshStore>,
    current: RefreshHash,
    name: String,
    counter: AtomicU64,
}

impl Session {
    async fn start(store: Arc<dyn RefreshStore>, name: String) -> Session {
        let now = auth_core::clock::now();
        let current = RefreshHash::of(&format!("{name}-0"));
        store
            .insert(
                current,
                RefreshRecord::new(
                    name.clone(),
                    SessionGrant::new("user-1").scopes(["read"]),
                    now + 600,
                    now + 600,
                ),
            )
            .await
            .unwrap();
        Session {
            store,
            current,
            name,
            counter: AtomicU64::new(0),
        }
    }

    async fn rotate(&mut self) {
        let n = self.counter.fetch_add(1, Ordering::Relaxed) + 1;
        let new = RefreshHash::of(&format!("{}-{n}", self.name));
        let rotation = Rotation {
            new,
            expires: auth_core::clock::now() + 600,
            grace: 0,
        };
        self.store.rotate(&self.current, rotation).await.unwrap();
        self.current = new;
    }
}

fn run_id() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("bench-{nanos}")
}

fn percentiles(rt: &tokio::runtime::Runtime, engine: &str, store: Arc<dyn RefreshStore>) {
    rt.block_on(async {
        let mut session = Session::start(store, format!("{}-p", run_id())).await;
        let mut times = Vec::with_capacity(10_000);
        for _ in 0..10_000 {
            let started = Instant::now();
            session.rotate().await;
            times.push(started.elapsed());
        }
        times.sort_unstable();
        println!(
            "{engine} rotation latency over 10000 sequential rotations: p50 {:?}, p99 {:?}, max {:?}",
            times[5_000], times[9_900], times[9_999]
        );
    });
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let prefix = format!("{}:", run_id());
    let redis: Arc<dyn RefreshStore> = Arc::new(
        rt.block_on(RedisRefreshStore::connect(REDIS, &prefix))
            .expect("Redis on 127.0.0.1:6379"),
    );
    let memory: Arc<dyn RefreshStore> = Arc::new(MemoryRefreshStore::new());
    let db = rt.block_on(auth_tests::postgres::TestDatabase::create());
    let postgres: Arc<dyn RefreshStore> = Arc::new(
        rt.block_on(auth_postgres::PostgresRefreshStore::connect(&db.url()))
            .expect("PostgreSQL on 127.0.0.1:5432"),
    );
    percentiles(&rt, "redis", Arc::clone(&redis));
    percentiles(&rt, "postgres", Arc::clone(&postgres));

    let mut group = c.benchmark_group("refresh");
    for (name, store) in [
        ("memory", &memory),
        ("redis", &redis),
        ("postgres", &postgres),
    ] {
        let mut session = rt.block_on(Session::start(Arc::clone(store), format!("{prefix}{name}")));
        group.bench_function(format!("{name}_rotate"), |b| {
            b.iter(|| rt.block_on(session.rotate()));
        });
        group.bench_function(format!("{name}_rotate_32"), |b| {
            b.iter_custom(|iters| {
                rt.block_on(async {
                    let per_client = iters.div_ceil(32);
                    let mut sessions = Vec::new();
                    for i in 0..32 {
                        let name = format!("{prefix}{name}-c{i}-{}", run_id());
                        sessions.push(Session::start(Arc::clone(store), name).await);
                    }
                    let started = Instant::now();
                    let tasks: Vec<_> = sessions
                        .into_iter()
                        .map(|mut s| {
                            tokio::spawn(async move {
                                for _ in 0..per_client {
                                    s.rotate().await;
                                }
                            })
                        })
                        .collect();
                    for task in tasks {
                        task.await.unwrap();
                    }
                    started
                        .elapsed()
                        .mul_f64(iters as f64 / (per_client * 32) as f64)
                })
            });
        });
    }
    group.finish();
    drop(postgres);
    drop(db);
    // The bench's families expire within ten minutes; remove them now.
    rt.block_on(auth_tests::redis_server::remove_keys(
        REDIS,
        &format!("{prefix}*"),
    ));
}

criterion_group! {
    name = benches;
    config = auth_benches::harness::config();
    targets = bench
}
criterion_main!(benches);
