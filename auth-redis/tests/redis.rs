//! `RedisRefreshStore` against real Redis servers: the machine's (127.0.0.1:6379, each run
//! under its own key prefix, removed afterwards) for the conformance cases, and one of the
//! test's own on a free port for an outage. A missing Redis fails these tests; it never
//! skips them.

use std::{
    net::TcpListener,
    sync::Arc,
    time::{Duration, Instant},
};

use auth_core::{
    login::{RefreshHash, RefreshRecord, RefreshStore, RotateError, Rotation, SessionGrant},
    test_util::refresh_store_conformance,
};
use auth_redis::RedisRefreshStore;

const MACHINE_REDIS: &str = "redis://127.0.0.1:6379/0";

fn unique_prefix() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("auth-test-{}-{nanos}:", std::process::id())
}

#[tokio::test]
async fn the_redis_store_passes_the_conformance_cases() -> Result<(), Box<dyn std::error::Error>> {
    let prefix = unique_prefix();
    let store = RedisRefreshStore::connect(MACHINE_REDIS, &prefix)
        .await
        .map_err(|e| format!("Redis at {MACHINE_REDIS} is required by this test: {e}"))?;
    let outcome = refresh_store_conformance(Arc::new(store)).await;
    auth_tests::redis_server::remove_keys(MACHINE_REDIS, &format!("{prefix}*")).await;
    Ok(outcome?)
}

fn rotation(new: &str) -> Rotation {
    Rotation {
        new: RefreshHash::of(new),
        expires: auth_core::clock::now() + 60,
        grace: 0,
    }
}

/// Redis stopped mid-run: a rotation fails as unavailable (never as reuse, and revoking
/// nothing), within the timeout; once Redis is back the same connection recovers, and the
/// family rotated before the outage still works.
#[tokio::test]
async fn an_outage_is_unavailable_and_loses_nothing() -> Result<(), Box<dyn std::error::Error>> {
    let mut server = auth_tests::redis_server::RedisServer::start();
    let store = RedisRefreshStore::connect(&server.url(), "t").await?;
    let now = auth_core::clock::now();
    store
        .insert(
            RefreshHash::of("t0"),
            RefreshRecord::new("f", SessionGrant::new("user-1"), now + 60, now + 600),
        )
        .await?;
    store.rotate(&RefreshHash::of("t0"), rotation("t1")).await?;

    server.kill();
    let started = Instant::now();
    let during = store.rotate(&RefreshHash::of("t1"), rotation("t2")).await;
    assert!(
        matches!(during, Err(RotateError::Store(_))),
        "during the outage: {during:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(5), "it hung");

    server.restart();
    let deadline = Instant::now() + Duration::from_secs(10);
    let after = loop {
        match store.rotate(&RefreshHash::of("t1"), rotation("t2")).await {
            Err(RotateError::Store(_)) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            other => break other,
        }
    };
    assert_eq!(after.map(|r| r.generation), Ok(2), "after the outage");
    Ok(())
}

/// A Redis that accepts connections and never answers (a stalled server, a black-holed
/// route): operations fail with a clear error after the response timeout; nothing hangs.
#[tokio::test]
async fn a_silent_server_times_out_and_never_hangs() -> Result<(), Box<dyn std::error::Error>> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let port = listener.local_addr()?.port();
    std::thread::spawn(move || {
        // Hold every connection open, read nothing, answer nothing.
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    let started = Instant::now();
    let outcome =
        match RedisRefreshStore::connect(&format!("redis://127.0.0.1:{port}/0"), "t").await {
            // Connecting may already time out (a handshake unanswered): a clear error too.
            Err(e) => Err(RotateError::Store(e.to_string())),
            Ok(store) => store.rotate(&RefreshHash::of("t0"), rotation("t1")).await,
        };
    assert!(matches!(outcome, Err(RotateError::Store(_))), "{outcome:?}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    Ok(())
}
