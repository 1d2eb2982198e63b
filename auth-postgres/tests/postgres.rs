//! The PostgreSQL stores against the machine's PostgreSQL, each test in a database of its
//! own (created, then dropped): the refresh-store conformance cases; API keys changed by
//! the management side reach a serving instance within a second; last-used times written
//! in batches; faults through a TCP proxy (cut, slow). A missing PostgreSQL fails these
//! tests; it never skips them.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use auth_core::{
    apikey::{ApiKeySecret, ApiKeyStore, ApiKeyValidator, KeyHasher, mint},
    login::{RefreshHash, RefreshRecord, RefreshStore, RotateError, Rotation, SessionGrant},
    test_util::refresh_store_conformance,
};
use auth_postgres::{KeyAdmin, PgError, PostgresKeyStore, PostgresRefreshStore};
use auth_tests::{postgres::TestDatabase, proxy::TcpProxy};

#[tokio::test]
async fn the_postgres_store_passes_the_conformance_cases() -> Result<(), Box<dyn std::error::Error>>
{
    let db = TestDatabase::create().await;
    let store = PostgresRefreshStore::connect(&db.url()).await?;
    // A second start migrates nothing and keeps the data.
    let again = PostgresRefreshStore::connect(&db.url()).await?;
    drop(again);
    Ok(refresh_store_conformance(Arc::new(store)).await?)
}

fn new_key(
    admin_name: &str,
) -> Result<(ApiKeySecret, auth_core::apikey::ApiKeyRecord), Box<dyn std::error::Error>> {
    Ok(mint(
        &KeyHasher::sha256(),
        "demo",
        admin_name,
        ["stats:read"],
        auth_core::clock::now(),
        None,
    )?)
}

/// How long until `check` holds (giving up after `limit`).
async fn within(limit: Duration, mut check: impl AsyncFnMut() -> bool) -> Duration {
    let started = Instant::now();
    while !check().await && started.elapsed() < limit {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    started.elapsed()
}

#[tokio::test]
async fn key_changes_reach_a_serving_instance_within_a_second()
-> Result<(), Box<dyn std::error::Error>> {
    let db = TestDatabase::create().await;
    let admin = KeyAdmin::connect(&db.url()).await?;
    let (old, record) = new_key("before")?;
    admin.insert(&record).await?;
    let store = Arc::new(PostgresKeyStore::builder(&db.url()).connect().await?);
    let validator = ApiKeyValidator::builder(store.clone()).build()?;
    assert!(validator.verify(&old).await.is_ok(), "loaded at start");

    let (new, record) = new_key("after")?;
    admin.insert(&record).await?;
    let took = within(Duration::from_secs(3), async || {
        validator.verify(&new).await.is_ok()
    })
    .await;
    assert!(took < Duration::from_secs(1), "a new key took {took:?}");

    assert!(admin.revoke(&record.id, auth_core::clock::now()).await?);
    let took = within(Duration::from_secs(3), async || {
        validator.verify(&new).await.is_err()
    })
    .await;
    assert!(took < Duration::from_secs(1), "a revocation took {took:?}");
    assert!(!admin.revoke("k_nonexistent", 1).await?);
    assert!(store.problem().is_none());
    Ok(())
}

#[tokio::test]
async fn last_uses_are_written_in_batches() -> Result<(), Box<dyn std::error::Error>> {
    let db = TestDatabase::create().await;
    let admin = KeyAdmin::connect(&db.url()).await?;
    let (key, record) = new_key("used")?;
    admin.insert(&record).await?;
    let store = PostgresKeyStore::builder(&db.url())
        .write_uses_every(Duration::from_millis(300))
        .connect()
        .await?;
    let validator = ApiKeyValidator::builder(Arc::new(store)).build()?;
    for _ in 0..100 {
        validator.verify(&key).await?;
    }
    let took = within(Duration::from_secs(3), async || {
        admin.list().await.is_ok_and(|keys| {
            keys.iter()
                .any(|(r, used)| r.id == record.id && used.is_some())
        })
    })
    .await;
    assert!(
        took < Duration::from_secs(2),
        "last use written after {took:?}"
    );
    Ok(())
}

/// PostgreSQL cut off (a proxy that closes every connection and refuses new ones): key
/// checks keep answering from the snapshot, the store reports its problem; restored: a
/// change made meanwhile arrives without a restart. Slow (the proxy delays every chunk by
/// 3 s): management calls and rotations fail with a timeout error, never hang.
#[tokio::test]
async fn an_unreachable_or_slow_database_never_stops_key_checks()
-> Result<(), Box<dyn std::error::Error>> {
    let db = TestDatabase::create().await;
    let proxy = TcpProxy::start("127.0.0.1:5432".parse()?);
    let url = db.url_via(proxy.addr());
    let admin = KeyAdmin::connect(&db.url()).await?;
    let (key, record) = new_key("steady")?;
    admin.insert(&record).await?;
    let store = Arc::new(
        PostgresKeyStore::builder(&url)
            .reload_every(Duration::from_millis(500))
            .connect()
            .await?,
    );
    let validator = ApiKeyValidator::builder(store.clone()).build()?;
    proxy.cut();
    let started = Instant::now();
    assert!(store.reload().await.is_err());
    assert!(started.elapsed() < Duration::from_secs(3));
    for _ in 0..10 {
        assert!(validator.verify(&key).await.is_ok(), "the snapshot answers");
    }
    assert!(
        store
            .problem()
            .is_some_and(|p| !p.contains(key.expose_secret()))
    );
    // Revoked while the instance cannot hear: it learns of it once the link is back.
    admin.revoke(&record.id, auth_core::clock::now()).await?;
    proxy.restore();
    let took = within(Duration::from_secs(15), async || {
        validator.verify(&key).await.is_err()
    })
    .await;
    assert!(
        validator.verify(&key).await.is_err(),
        "recovered after {took:?}"
    );
    assert!(store.problem().is_none());

    proxy.latency(Duration::from_secs(3));
    let slow = KeyAdmin::connect(&url).await;
    assert!(matches!(slow, Err(PgError::Timeout(_))), "{slow:?}");
    Ok(())
}

#[tokio::test]
async fn a_slow_database_times_out_rotations() -> Result<(), Box<dyn std::error::Error>> {
    let db = TestDatabase::create().await;
    let proxy = TcpProxy::start("127.0.0.1:5432".parse()?);
    let store = PostgresRefreshStore::connect(&db.url_via(proxy.addr())).await?;
    let now = auth_core::clock::now();
    store
        .insert(
            RefreshHash::of("t0"),
            RefreshRecord::new("f", SessionGrant::new("u"), now + 60, now + 600),
        )
        .await?;
    proxy.latency(Duration::from_secs(3));
    let started = Instant::now();
    let rotation = Rotation {
        new: RefreshHash::of("t1"),
        expires: now + 60,
        grace: 0,
    };
    assert!(matches!(
        store.rotate(&RefreshHash::of("t0"), rotation).await,
        Err(RotateError::Store(_))
    ));
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    proxy.latency(Duration::ZERO);
    proxy.cut();
    proxy.restore();
    // Nothing was lost: the token still rotates once the database answers.
    let deadline = Instant::now() + Duration::from_secs(10);
    let rotated = loop {
        match store.rotate(&RefreshHash::of("t0"), rotation).await {
            Err(RotateError::Store(_)) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            other => break other,
        }
    };
    assert!(rotated.is_ok(), "{rotated:?}");
    Ok(())
}
