//! `RedisSignOutStore` against real Redis servers: two instances (two stores on one server)
//! see each other's sign-outs within a second; an instance that connects later, or whose
//! subscription was lost to a Redis restart, resynchronises. A missing Redis fails these
//! tests; it never skips them.

use std::time::{Duration, Instant};

use auth_core::{jwt::SignOuts, login::SignOutStore};
use auth_redis::RedisSignOutStore;

const MACHINE_REDIS: &str = "redis://127.0.0.1:6379/0";
const RETENTION: Duration = Duration::from_secs(17 * 60);

fn unique_prefix() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("auth-test-so-{}-{nanos}:", std::process::id())
}

/// How long until `mirror` holds `epoch` for `subject` (giving up after `limit`).
async fn seen_within(mirror: &SignOuts, subject: &str, epoch: i64, limit: Duration) -> Duration {
    let started = Instant::now();
    while mirror.epoch(subject) != Some(epoch) && started.elapsed() < limit {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    started.elapsed()
}

#[tokio::test]
async fn a_sign_out_reaches_every_instance_within_a_second()
-> Result<(), Box<dyn std::error::Error>> {
    let prefix = unique_prefix();
    let connect = || RedisSignOutStore::connect(MACHINE_REDIS, &prefix, RETENTION);
    let (a, b) = (connect().await?, connect().await?);
    // Another app with the same prefix on another logical database.
    let elsewhere =
        RedisSignOutStore::connect("redis://127.0.0.1:6379/1", &prefix, RETENTION).await?;
    let epoch = auth_core::clock::now() + 1;
    a.sign_out("carol", epoch).await?;
    assert_eq!(
        a.sign_outs().epoch("carol"),
        Some(epoch),
        "at once on its own"
    );
    let took = seen_within(&b.sign_outs(), "carol", epoch, Duration::from_secs(2)).await;
    assert!(
        took < Duration::from_secs(1),
        "the other instance took {took:?}"
    );
    assert!(b.sign_outs().revokes(Some("carol"), Some(epoch - 1)));
    assert!(!b.sign_outs().revokes(Some("dave"), Some(epoch - 1)));
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        elsewhere.sign_outs().epoch("carol"),
        None,
        "another logical database is another app"
    );
    // An epoch is never lowered, by anyone.
    b.sign_out("carol", epoch - 100).await?;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(a.sign_outs().epoch("carol"), Some(epoch));
    // An instance started later loads what was signed out before it.
    let c = connect().await?;
    assert_eq!(c.sign_outs().epoch("carol"), Some(epoch));
    auth_tests::redis_server::remove_keys(MACHINE_REDIS, &format!("{prefix}*")).await;
    Ok(())
}

/// The mirror's subscription lost (the server closes it; later, Redis restarts): it comes
/// back by itself, with no restart of the instance; an epoch recorded while it could not
/// hear is loaded when it resynchronises, and sign-outs after a restart reach it.
#[tokio::test(flavor = "current_thread")]
async fn a_lost_subscription_comes_back_and_resynchronises()
-> Result<(), Box<dyn std::error::Error>> {
    // The mirror's task runs on this thread: its log lines are captured here.
    let logs = auth_tests::logcap::LogCapture::default();
    let _guard = logs.install();
    let mut server = auth_tests::redis_server::RedisServer::start();
    let url = server.url();
    let a = RedisSignOutStore::connect(&url, "t:", RETENTION).await?;
    let b = RedisSignOutStore::connect(&url, "t:", RETENTION).await?;
    let mirror = b.sign_outs();
    let client = redis::Client::open(url.as_str())?;
    let mut connection = client.get_multiplexed_async_connection().await?;
    let epoch = auth_core::clock::now() + 1;
    // Recorded without a message: no subscriber hears of it.
    let _: i64 = redis::cmd("ZADD")
        .arg("t:{so}:epochs")
        .arg(epoch)
        .arg("quiet")
        .query_async(&mut connection)
        .await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(mirror.epoch("quiet"), None);
    let _: redis::Value = redis::cmd("CLIENT")
        .arg("KILL")
        .arg("TYPE")
        .arg("pubsub")
        .query_async(&mut connection)
        .await?;
    let took = seen_within(&mirror, "quiet", epoch, Duration::from_secs(10)).await;
    assert_eq!(
        mirror.epoch("quiet"),
        Some(epoch),
        "resynchronised after the lost subscription ({took:?})"
    );
    let text = logs.text();
    assert!(
        text.contains("lost its Redis subscription") && text.contains("back and resynchronised"),
        "the instance says so in its log: {text}"
    );

    server.kill();
    assert!(a.sign_out("carol", epoch).await.is_err(), "Redis is down");
    server.restart();
    let mut delivered = false;
    for _ in 0..100 {
        if a.sign_out("carol", epoch).await.is_ok()
            && seen_within(&mirror, "carol", epoch, Duration::from_millis(200)).await
                < Duration::from_millis(200)
        {
            delivered = true;
            break;
        }
    }
    assert!(delivered, "a sign-out after the restart reaches the mirror");
    Ok(())
}
