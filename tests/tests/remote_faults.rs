//! Remote key sets against a JWKS server under the test's control, through both adapters:
//! start-up with the provider down; 1,000 concurrent requests with an unknown kid and one
//! upstream fetch; the verified-token cache dropping tokens whose key left the set; several
//! issuers. Every server binds 127.0.0.1. (Outages: `remote_outage.rs`.)

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::time::Duration;

use auth_core::{
    jwt::{Algorithm, JwtValidator, VerifyingKey},
    remote::{KeySource, RefreshPolicy, RemoteKeySet},
    test_util::{TestKey, TokenBuilder},
};
use auth_tests::{
    AUDIENCE, HS_SECRET, ISSUER, REALM, axum_app, call_axum,
    jwks_server::{Controlled, Mode, bearer, both, fetch, validator},
};

#[actix_web::test]
async fn start_up_with_the_provider_down_fails_fast_or_waits() {
    let key = TestKey::new(Algorithm::ES256).with_kid("a");
    let server = Controlled::start(TestKey::jwks(&[&key])).await;
    server.set(Mode::Error);
    let source = KeySource::Discovery(server.base.clone());
    let policy =
        RefreshPolicy::default().retry(Duration::from_millis(50), Duration::from_millis(200));

    // Fail fast.
    let failed = RemoteKeySet::load(source.clone(), fetch(), policy).await;
    assert!(failed.is_err());

    // Or start, answer 503, and serve once the provider answers.
    let set = RemoteKeySet::start(source, fetch(), policy);
    let refresher = set.spawn_refresher().unwrap();
    let app = both(validator(set, &server.base)).await;
    let token = TokenBuilder::valid(&key, &server.base, AUDIENCE, "u").sign(&key);
    assert_eq!(app.status(&token).await, 503);
    server.set(Mode::Ok);
    app.until(&token, 200, Duration::from_secs(3)).await;
    refresher.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_requests_with_an_unknown_kid_cause_one_fetch() {
    let a = TestKey::new(Algorithm::ES256).with_kid("a");
    let b = TestKey::new(Algorithm::ES256).with_kid("b");
    let server = Controlled::start(TestKey::jwks(&[&a])).await;
    let url = format!("{}/jwks", server.base);
    let set = RemoteKeySet::load(KeySource::Jwks(url), fetch(), RefreshPolicy::default())
        .await
        .unwrap();
    let app = axum_app(validator(set, ISSUER));
    assert_eq!(server.hits(), 1);

    // The provider rotates to b; 1,000 requests with b's kid arrive at once.
    server.serve_keys(&[&a, &b]);
    let with_b = TokenBuilder::valid(&b, ISSUER, AUDIENCE, "u").sign(&b);
    let forger = TestKey::new(Algorithm::ES256);
    let tasks: Vec<_> = (0..1000)
        .map(|i| {
            let app = app.clone();
            let token = if i % 2 == 0 {
                with_b.clone()
            } else {
                TokenBuilder::valid(&forger, ISSUER, AUDIENCE, "u")
                    .header("kid", format!("forged-{i}").as_str())
                    .sign(&forger)
            };
            tokio::spawn(async move { (i, call_axum(&app, &bearer("/me", &token)).await.status) })
        })
        .collect();
    for task in tasks {
        let (i, status) = task.await.unwrap();
        if i % 2 == 0 {
            // Every request with b's kid either shared the one fetch or came after it.
            assert_eq!(status, 200, "request {i}");
        } else {
            assert_eq!(status, 401, "request {i}");
        }
    }
    assert_eq!(server.hits(), 2, "one initial fetch and one refetch");
}

#[actix_web::test]
async fn cached_tokens_are_dropped_when_their_key_leaves_the_set() {
    let a = TestKey::new(Algorithm::ES256).with_kid("a");
    let b = TestKey::new(Algorithm::ES256).with_kid("b");
    let server = Controlled::start(TestKey::jwks(&[&a])).await;
    let url = format!("{}/jwks", server.base);
    let policy = RefreshPolicy::default().kid_miss_cooldown(Duration::ZERO);
    let set = RemoteKeySet::load(KeySource::Jwks(url), fetch(), policy)
        .await
        .unwrap();
    let validator = JwtValidator::builder()
        .remote_keys(set.clone())
        .algorithms([Algorithm::ES256])
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .realm(REALM)
        .cache_verified(100)
        .build()
        .unwrap();
    let app = both(validator.clone()).await;
    let with_a = TokenBuilder::valid(&a, ISSUER, AUDIENCE, "u").sign(&a);
    assert_eq!(app.status(&with_a).await, 200);
    assert_eq!(validator.cached_tokens(), 1);
    assert_eq!(app.status(&with_a).await, 200);
    // An expired token is never served from the cache, even a cached one's twin.
    let expired = TokenBuilder::valid(&a, ISSUER, AUDIENCE, "u")
        .claim("exp", auth_core::test_util::now() - 3600)
        .sign(&a);
    assert_eq!(app.status(&expired).await, 401);
    assert_eq!(validator.cached_tokens(), 1);

    // The provider withdraws a: the cached token goes with it.
    server.serve_keys(&[&b]);
    set.refresh().await.unwrap();
    assert_eq!(app.status(&with_a).await, 401);
    assert_eq!(validator.cached_tokens(), 0);
    let with_b = TokenBuilder::valid(&b, ISSUER, AUDIENCE, "u").sign(&b);
    assert_eq!(app.status(&with_b).await, 200);
}

#[actix_web::test]
async fn several_issuers_each_with_its_own_keys() {
    let a = TestKey::new(Algorithm::ES256).with_kid("a");
    let b = TestKey::new(Algorithm::ES256).with_kid("b");
    let server = Controlled::start(TestKey::jwks(&[&a])).await;
    let set = RemoteKeySet::load(
        KeySource::Discovery(server.base.clone()),
        fetch(),
        RefreshPolicy::default(),
    )
    .await
    .unwrap();
    let app_issuer = JwtValidator::builder()
        .key(VerifyingKey::hmac(Algorithm::HS256, HS_SECRET).unwrap())
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .build()
        .unwrap();
    let routed = JwtValidator::builder()
        .route_issuer(app_issuer)
        .route_issuer(validator(set, &server.base))
        .realm(REALM)
        .build()
        .unwrap();
    let app = both(routed).await;
    let hs = TestKey::hmac(Algorithm::HS256, HS_SECRET);
    let local = TokenBuilder::valid(&hs, ISSUER, AUDIENCE, "u").sign(&hs);
    let remote = TokenBuilder::valid(&a, &server.base, AUDIENCE, "u").sign(&a);
    assert_eq!(app.status(&local).await, 200);
    assert_eq!(app.status(&remote).await, 200);

    // Keys do not cross issuers: the app's secret under the provider's issuer, and the
    // provider's key under the app's issuer, are refused; so is an unknown issuer.
    let crossed = TokenBuilder::valid(&hs, &server.base, AUDIENCE, "u").sign(&hs);
    let crossed_back = TokenBuilder::valid(&a, ISSUER, AUDIENCE, "u").sign(&a);
    let stranger = TokenBuilder::valid(&hs, "https://stranger.test", AUDIENCE, "u").sign(&hs);
    for token in [&crossed, &crossed_back, &stranger] {
        assert_eq!(app.status(token).await, 401);
    }

    // A kid miss under the provider's issuer refetches its key set.
    server.serve_keys(&[&a, &b]);
    let with_b = TokenBuilder::valid(&b, &server.base, AUDIENCE, "u").sign(&b);
    let before = server.hits();
    assert_eq!(app.status(&with_b).await, 200);
    assert_eq!(server.hits(), before + 1);
}

#[actix_web::test]
async fn which_jwks_entries_are_candidates() {
    // JWKS candidacy (RFC 7517): `use`, `key_ops` and `alg` decide candidacy; a kid shared by
    // keys of different types is disambiguated by the token's algorithm; a token without a
    // kid is tried against every key of its algorithm.
    let ec = TestKey::new(Algorithm::ES256).with_kid("k");
    let rsa = TestKey::new(Algorithm::RS256).with_kid("k");
    let ec_no_kid = TestKey::new(Algorithm::ES256);
    let enc = TestKey::new(Algorithm::ES256).with_kid("enc");
    let ops = TestKey::new(Algorithm::ES256).with_kid("ops");
    let rs384 = TestKey::new(Algorithm::RS384).with_kid("rs384");
    let mut entries = vec![ec.public_jwk(), rsa.public_jwk(), ec_no_kid.public_jwk()];
    let mut enc_jwk = enc.public_jwk();
    enc_jwk["use"] = "enc".into();
    let mut ops_jwk = ops.public_jwk();
    ops_jwk["key_ops"] = serde_json::json!(["sign"]);
    entries.extend([enc_jwk, ops_jwk, rs384.public_jwk()]);
    let jwks = serde_json::json!({ "keys": entries }).to_string();

    let server = Controlled::start(jwks).await;
    let set = RemoteKeySet::load(
        KeySource::Jwks(format!("{}/jwks", server.base)),
        fetch(),
        RefreshPolicy::default(),
    )
    .await
    .unwrap();
    assert_eq!(
        set.snapshot().keys.len(),
        4,
        "the enc and sign-only keys are dropped"
    );
    let validator = JwtValidator::builder()
        .remote_keys(set)
        .algorithms([Algorithm::ES256, Algorithm::RS256, Algorithm::RS384])
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .realm(REALM)
        .build()
        .unwrap();
    let app = both(validator).await;
    let token = |key: &TestKey| TokenBuilder::valid(key, ISSUER, AUDIENCE, "u").sign(key);
    // The shared kid "k": each algorithm finds its own key.
    assert_eq!(app.status(&token(&ec)).await, 200);
    assert_eq!(app.status(&token(&rsa)).await, 200);
    // No kid: tried against the ES256 keys, and the one without a kid verifies it.
    assert_eq!(app.status(&token(&ec_no_kid)).await, 200);
    let stranger = TestKey::new(Algorithm::ES256);
    assert_eq!(app.status(&token(&stranger)).await, 401);
    // Keys that are not candidates.
    assert_eq!(app.status(&token(&enc)).await, 401, "use=enc");
    assert_eq!(
        app.status(&token(&ops)).await,
        401,
        "key_ops without verify"
    );
    // An RS256 token under the RS384 key's kid: alg differs from the key's.
    let mismatched = TokenBuilder::valid(&rsa, ISSUER, AUDIENCE, "u")
        .header("kid", "rs384")
        .sign(&rsa);
    assert_eq!(app.status(&mismatched).await, 401);
}

/// Review item 5: a forged token naming a key id the provider has not published yet does
/// not lock that key out past the cool-down: once the provider publishes it, a genuine token
/// with it is accepted right after the cool-down, through both adapters.
#[actix_web::test]
async fn review_05_a_guessed_kid_does_not_lock_out_a_new_key() {
    let a = TestKey::new(Algorithm::ES256).with_kid("a");
    let next = TestKey::new(Algorithm::ES256).with_kid("next");
    let server = Controlled::start(TestKey::jwks(&[&a])).await;
    let url = format!("{}/jwks", server.base);
    let cooldown = Duration::from_millis(500);
    let policy = RefreshPolicy::default().kid_miss_cooldown(cooldown);
    let set = RemoteKeySet::load(KeySource::Jwks(url), fetch(), policy)
        .await
        .unwrap();
    let app = both(validator(set, ISSUER)).await;
    // The forger guesses the next key id: 401, and one refetch that does not find it.
    let forger = TestKey::new(Algorithm::ES256).with_kid("next");
    let forged = TokenBuilder::valid(&forger, ISSUER, AUDIENCE, "u").sign(&forger);
    assert_eq!(app.status(&forged).await, 401);
    let hits = server.hits();
    // The provider then rotates to that id.
    server.serve_keys(&[&a, &next]);
    let genuine = TokenBuilder::valid(&next, ISSUER, AUDIENCE, "u").sign(&next);
    tokio::time::sleep(cooldown + Duration::from_millis(100)).await;
    assert_eq!(app.status(&genuine).await, 200, "the new key is locked out");
    assert_eq!(server.hits(), hits + 1);
    assert_eq!(app.status(&forged).await, 401);
}
