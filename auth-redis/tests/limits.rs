//! `RedisRateLimit` against real Redis servers: two instances (two connections) count one
//! limit together; with Redis down each instance falls back to its own limit at once (never
//! an error, never a long wait) and returns to the shared one when Redis is back.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use auth_core::limit::{Limiter, SharedRateLimit};
use auth_redis::RedisRateLimit;

const MACHINE_REDIS: &str = "redis://127.0.0.1:6379/0";

fn unique_prefix() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("auth-test-rl-{}-{nanos}:", std::process::id())
}

#[tokio::test]
async fn two_instances_count_one_limit() -> Result<(), Box<dyn std::error::Error>> {
    let prefix = unique_prefix();
    let engines: Vec<Arc<dyn SharedRateLimit>> = vec![
        Arc::new(RedisRateLimit::connect(MACHINE_REDIS, &prefix).await?),
        Arc::new(RedisRateLimit::connect(MACHINE_REDIS, &prefix).await?),
    ];
    let per = Duration::from_secs(60);
    // The engine alone: a burst of 10 across both, then a wait of one interval (6 s).
    for i in 0..10 {
        assert_eq!(
            engines[i % 2].check("k", 10, per).await?,
            Ok(()),
            "request {i}"
        );
    }
    assert_eq!(engines[0].check("k", 10, per).await?, Err(6));
    assert_eq!(engines[1].check("k", 10, per).await?, Err(6));
    assert_eq!(
        engines[1].check("other", 10, per).await?,
        Ok(()),
        "keys apart"
    );
    // Through the toolkit's limiter, as the validators use it: 25 requests spread over
    // two instances, a burst of 10 allowed in all.
    let limiters = engines
        .iter()
        .map(|e| Limiter::new(10, per, Some(Arc::clone(e)), "api-key"))
        .collect::<Result<Vec<_>, _>>()?;
    let mut allowed = 0;
    for i in 0..25 {
        if limiters[i % 2].check(&"key-1".to_owned()).await.is_ok() {
            allowed += 1;
        }
    }
    assert_eq!(
        allowed, 10,
        "two instances together allow the configured burst"
    );
    auth_tests::redis_server::remove_keys(MACHINE_REDIS, &format!("{prefix}*")).await;
    Ok(())
}

/// Redis stopped: checks keep answering from the instance's own limit (fail open to the
/// local limit), each within the timeout; Redis back: the shared count resumes, no restart.
#[tokio::test]
async fn with_redis_down_the_local_limit_decides() -> Result<(), Box<dyn std::error::Error>> {
    let mut server = auth_tests::redis_server::RedisServer::start();
    let engine: Arc<dyn SharedRateLimit> =
        Arc::new(RedisRateLimit::connect(&server.url(), "t:").await?);
    let per = Duration::from_secs(60);
    let limiter = Limiter::new(3, per, Some(Arc::clone(&engine)), "sign-in")?;
    assert_eq!(limiter.check(&"1.2.3.4").await, Ok(()));
    server.kill();
    let started = Instant::now();
    let decisions = [
        limiter.check(&"1.2.3.4").await,
        limiter.check(&"1.2.3.4").await,
        limiter.check(&"1.2.3.4").await,
        limiter.check(&"1.2.3.4").await,
    ];
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(
        &decisions[..3],
        &[Ok(()), Ok(()), Ok(())],
        "the local burst"
    );
    assert!(decisions[3].is_err(), "and the local limit holds");
    server.restart();
    let deadline = Instant::now() + Duration::from_secs(15);
    while engine.check("probe", 3, per).await.is_err() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(1100)).await;
    // Back to Redis: its count (one request before the outage) decides again.
    assert_eq!(limiter.check(&"1.2.3.4").await, Ok(()));
    assert_eq!(limiter.check(&"1.2.3.4").await, Ok(()));
    assert!(limiter.check(&"1.2.3.4").await.is_err());
    Ok(())
}
