//! Rate-limit checks: in process (`governor`) against shared through Redis on loopback
//! (`RedisRateLimit`, one script call), in one run, through the toolkit's `Limiter`.
//!
//! Before criterion runs, 10 000 sequential shared checks and 10 000 local ones are timed
//! one by one and their p50 and p99 printed: the goal (p99 added ≤ 0.5 ms) is on the tail.

#![allow(missing_docs, clippy::expect_used, clippy::unwrap_used)]

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use auth_core::limit::{Limiter, SharedRateLimit};
use auth_redis::RedisRateLimit;
use criterion::{Criterion, criterion_group, criterion_main};

const REDIS: &str = "redis://127.0.0.1:6379/0";
/// Never refused: the checks measure the cost, not the refusals.
const BURST: u32 = 1_000_000_000;
const PER: Duration = Duration::from_secs(60);

fn percentiles(rt: &tokio::runtime::Runtime, name: &str, limiter: &Limiter<String>) -> Duration {
    rt.block_on(async {
        let key = "key-1".to_owned();
        let mut times = Vec::with_capacity(10_000);
        for _ in 0..10_000 {
            let started = Instant::now();
            limiter.check(&key).await.unwrap();
            times.push(started.elapsed());
        }
        times.sort_unstable();
        println!(
            "{name} limit check over 10000 sequential checks: p50 {:?}, p99 {:?}, max {:?}",
            times[5_000], times[9_900], times[9_999]
        );
        times[9_900]
    })
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let prefix = format!("bench-{nanos}:");
    let engine: Arc<dyn SharedRateLimit> = Arc::new(
        rt.block_on(RedisRateLimit::connect(REDIS, &prefix))
            .expect("Redis on 127.0.0.1:6379"),
    );
    let local = Limiter::new(BURST, PER, None, "bench").unwrap();
    let shared = Limiter::new(BURST, PER, Some(engine), "bench").unwrap();
    let local_p99 = percentiles(&rt, "local", &local);
    let shared_p99 = percentiles(&rt, "shared", &shared);
    println!(
        "p99 added by the shared limit: {:?}",
        shared_p99.saturating_sub(local_p99)
    );
    let mut group = c.benchmark_group("limits");
    let key = "key-1".to_owned();
    for (name, limiter) in [("local", &local), ("shared", &shared)] {
        group.bench_function(name, |b| {
            b.iter(|| rt.block_on(limiter.check(&key)).unwrap());
        });
    }
    group.finish();
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
