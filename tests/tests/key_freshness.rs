//! Issue 12, item 2: key-set freshness honours the provider. A JWKS answered with
//! `Cache-Control: no-store`, `no-cache` or `max-age=0` is refetched at the policy's floor,
//! so a key the provider retires is refused then; without the header (or with a long
//! `max-age`) the keys are kept up to the ceiling. Through both adapters; and the real
//! provider's JWKS (no `Cache-Control`) is refetched at the ceiling.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::time::{Duration, Instant};

use auth_core::{
    jwt::Algorithm,
    remote::{KeySource, RefreshPolicy, RemoteKeySet},
    test_util::{TestKey, TokenBuilder},
};
use auth_tests::{
    AUDIENCE,
    jwks_server::{Controlled, Mode, both, fetch, validator},
};

/// A floor of 1 s and a ceiling of 10 min: short enough to see the floor in a test.
fn policy() -> RefreshPolicy {
    RefreshPolicy::default().ages(Duration::from_secs(1), Duration::from_secs(600))
}

#[actix_web::test]
async fn a_retired_key_is_refused_at_the_floor_when_the_jwks_may_not_be_cached() {
    for (header, refused_soon) in [
        ("no-store", true),
        ("no-cache", true),
        ("max-age=0", true),
        ("private, no-cache, must-revalidate", true),
        ("", false),
        ("max-age=3600", false),
    ] {
        let old = TestKey::new(Algorithm::ES256).with_kid("old");
        let new = TestKey::new(Algorithm::ES256).with_kid("new");
        let server = Controlled::start(TestKey::jwks(&[&old])).await;
        server.set(Mode::CacheControl(header));
        let set = RemoteKeySet::load(KeySource::Discovery(server.base.clone()), fetch(), policy())
            .await
            .unwrap();
        let refresher = set.spawn_refresher().unwrap();
        let app = both(validator(set, &server.base)).await;
        let token = TokenBuilder::valid(&old, &server.base, AUDIENCE, "u").sign(&old);
        assert_eq!(app.status(&token).await, 200, "{header:?}");
        // The provider retires the old key.
        server.serve_keys(&[&new]);
        if refused_soon {
            app.until(&token, 401, Duration::from_secs(5)).await;
        } else {
            tokio::time::sleep(Duration::from_millis(2500)).await;
            assert_eq!(
                app.status(&token).await,
                200,
                "{header:?}: kept up to the ceiling"
            );
        }
        refresher.abort();
    }
}

/// The real provider's `/jwks` sends no `Cache-Control`: its keys are refetched at the
/// policy's ceiling (here 2 s), never kept past it.
#[tokio::test]
async fn the_real_providers_keys_are_refetched_at_the_ceiling() {
    let provider = auth_tests::oidc::OidcProvider::start();
    let policy = RefreshPolicy::default().ages(Duration::from_secs(1), Duration::from_secs(2));
    let set = RemoteKeySet::load(
        KeySource::Discovery(provider.issuer.clone()),
        fetch(),
        policy,
    )
    .await
    .unwrap();
    let first = set.snapshot().fetched.unwrap();
    let refresh_at = set.snapshot().refresh_at;
    assert!(
        refresh_at.duration_since(first) <= Duration::from_secs(2),
        "no Cache-Control: the ceiling"
    );
    let refresher = set.spawn_refresher().unwrap();
    let started = Instant::now();
    while set.snapshot().fetched == Some(first) && started.elapsed() < Duration::from_secs(6) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_ne!(set.snapshot().fetched, Some(first), "refetched");
    refresher.abort();
}
