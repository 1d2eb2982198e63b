//! `RedisDpopReplay` against a real Redis server of the test's own: two instances (two
//! validators, two connections) refuse a DPoP proof the other one already accepted; with
//! Redis down a DPoP request gets 503 (never a pass), and works again when Redis is back.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::{sync::Arc, time::Duration};

use auth_core::{
    jwt::{Algorithm, Dpop, JwtValidator},
    test_util::TokenBuilder,
};
use auth_redis::RedisDpopReplay;
use auth_tests::{
    AUDIENCE, Fixture, ISSUER, REALM, TestRequest, axum_app, call_axum, dpop::DpopKey,
    redis_server::RedisServer,
};
use serde_json::json;

const BASE: &str = "https://api.test";

#[tokio::test]
async fn a_proof_is_used_once_across_instances_and_redis_down_is_503() {
    let mut redis = RedisServer::start();
    let fx = Fixture::new();
    let mut apps = Vec::new();
    for _ in 0..2 {
        let replay = RedisDpopReplay::connect(&redis.url(), "auth-test:")
            .await
            .unwrap()
            .timeout(Duration::from_millis(300));
        let validator = JwtValidator::builder()
            .key(fx.es.verifying_key())
            .issuer(ISSUER)
            .audience(AUDIENCE)
            .realm(REALM)
            .dpop(Dpop::new(BASE).unwrap().shared_replay(Arc::new(replay)))
            .build()
            .unwrap();
        apps.push(axum_app(validator));
    }
    let client = DpopKey::new(Algorithm::ES256);
    let bound = TokenBuilder::valid(&fx.es, ISSUER, AUDIENCE, "user-1")
        .claim("cnf", json!({ "jkt": client.thumbprint() }))
        .sign(&fx.es);
    let request = |proof: String| TestRequest {
        uri: "/me".into(),
        headers: vec![
            ("authorization".into(), format!("DPoP {bound}")),
            ("dpop".into(), proof),
        ],
    };
    let fresh = || client.proof("GET", &format!("{BASE}/me"), Some(&bound));

    let proof = fresh();
    assert_eq!(
        call_axum(&apps[0], &request(proof.clone())).await.status,
        200
    );
    let replayed = call_axum(&apps[1], &request(proof)).await;
    assert_eq!(
        replayed.status, 401,
        "the other instance refuses it: {replayed:?}"
    );
    assert!(
        replayed
            .www_authenticate
            .unwrap_or_default()
            .contains(r#"error="invalid_dpop_proof""#)
    );
    assert_eq!(call_axum(&apps[1], &request(fresh())).await.status, 200);
    // Scopes still decide on a route that requires them: a DPoP token without `admin`.
    let admin = TestRequest {
        uri: "/admin".into(),
        ..request(client.proof("GET", &format!("{BASE}/admin"), Some(&bound)))
    };
    assert_eq!(call_axum(&apps[0], &admin).await.status, 403);

    redis.kill();
    let down = call_axum(&apps[0], &request(fresh())).await;
    assert_eq!(down.status, 503, "{down:?}");
    redis.restart();
    let mut back = 0;
    for _ in 0..50 {
        back = call_axum(&apps[0], &request(fresh())).await.status;
        if back == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(back, 200, "DPoP works again once Redis is back");
}
