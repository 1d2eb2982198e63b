//! Issue 12, item 4: secrets rotated under traffic, with zero refused legitimate requests.
//! A rolling deploy is simulated by instances (validators) of the old and the new
//! configuration answering interleaved requests through both adapters, in the two phases
//! a rotation takes: first every instance learns the new secret, then the new secret is put
//! to use.
//!
//! (The flow-cookie sealing key: `login::routes` `flow_cookies_survive_a_rotated_cookie_secret`.
//! Refresh tokens are hashed with plain SHA-256, no key: nothing to rotate.)

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::sync::Arc;

use auth_core::{
    apikey::{ApiKeyValidator, MemoryStore},
    jwt::{Algorithm, JwtIssuer, JwtValidator, SigningKey, keys_from_jwks},
};
use auth_tests::{TestRequest, actix_config, axum_app, call_actix, call_axum};

/// `/me` with `token` through both adapters over `validator`: the status (both agree).
async fn me(validator: &JwtValidator, token: &str) -> u16 {
    let req = TestRequest {
        uri: "/me".into(),
        headers: vec![("authorization".into(), format!("Bearer {token}"))],
    };
    let axum = call_axum(&axum_app(validator.clone()), &req).await;
    let app = actix_web::test::init_service(
        actix_web::App::new().configure(actix_config(validator.clone())),
    )
    .await;
    let actix = call_actix(&app, &req).await;
    assert_eq!(axum, actix, "the adapters differ");
    axum.status
}

fn key(alg: Algorithm, kid: &str, seed: u8) -> SigningKey {
    match alg {
        Algorithm::HS256 => {
            SigningKey::hmac(alg, format!("rotation-test-secret-{seed}-0123456789abcdef"))
                .unwrap()
                .with_kid(kid)
        }
        _ => unreachable!(),
    }
}

/// An instance: signs with `signing`, verifies `signing` and `also`.
fn issuer(signing: (&str, u8), also: &[(&str, u8)]) -> JwtIssuer {
    let mut issuer = JwtIssuer::new(key(Algorithm::HS256, signing.0, signing.1), "app", "app");
    for (kid, seed) in also {
        issuer = issuer.previous_key(key(Algorithm::HS256, kid, *seed));
    }
    issuer
}

fn validator(issuer: &JwtIssuer) -> JwtValidator {
    issuer.validator().unwrap().build().unwrap()
}

#[actix_web::test]
async fn signing_keys_rotate_under_traffic_with_no_refused_token() {
    // Three instances; each phase of the deploy replaces them one at a time.
    let old = || issuer(("k1", 1), &[]);
    let learned = || issuer(("k1", 1), &[("k2", 2)]);
    let switched = || issuer(("k2", 2), &[("k1", 1)]);
    let phases: Vec<Vec<JwtIssuer>> = vec![
        vec![old(), old(), old()],
        vec![learned(), old(), old()],
        vec![learned(), learned(), old()],
        vec![learned(), learned(), learned()],
        vec![switched(), learned(), learned()],
        vec![switched(), switched(), learned()],
        vec![switched(), switched(), switched()],
    ];
    let mut served = 0;
    // Tokens minted in earlier phases stay in use (they live 15 minutes).
    let mut tokens: Vec<String> = Vec::new();
    for (p, instances) in phases.iter().enumerate() {
        for minter in instances {
            tokens.push(minter.issue("u", &["read"], &()).unwrap());
        }
        for instance in instances {
            let v = validator(instance);
            for token in &tokens {
                assert_eq!(me(&v, token).await, 200, "phase {p}");
                served += 1;
            }
        }
    }
    assert!(served > 100);
    // After the rotation, tokens of the new key carry its kid, and a token of a key no
    // instance knows is refused.
    let last = switched().issue("u", &[], &()).unwrap();
    assert!(last.split('.').next().is_some_and(|h| {
        use base64::Engine;
        let h = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(h)
            .unwrap();
        String::from_utf8_lossy(&h).contains(r#""kid":"k2""#)
    }));
    let stranger = issuer(("k3", 3), &[]).issue("u", &[], &()).unwrap();
    assert_eq!(me(&validator(&switched()), &stranger).await, 401);
}

/// Asymmetric keys: the issuer publishes the current and previous public keys; a service
/// that verifies through that JWKS accepts tokens of both, and the private keys never
/// appear in it.
#[actix_web::test]
async fn the_jwks_of_an_issuer_follows_its_rotation() {
    let old = SigningKey::generate(Algorithm::ES256)
        .unwrap()
        .with_kid("2026-11");
    let old_token = JwtIssuer::new(old, "app", "app")
        .issue("u", &[], &())
        .unwrap();
    // The same old key again (generated keys are not copied): rebuild from a new one for
    // the rotated issuer, and check its JWKS lists both kids.
    let current = SigningKey::generate(Algorithm::ES256)
        .unwrap()
        .with_kid("2026-12");
    let previous = SigningKey::generate(Algorithm::ES256)
        .unwrap()
        .with_kid("2026-11b");
    let rotated = JwtIssuer::new(current, "app", "app").previous_key(previous);
    let jwks = rotated.jwks();
    let kids: Vec<&str> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap())
        .collect();
    assert_eq!(kids, ["2026-12", "2026-11b"]);
    assert!(!jwks.to_string().contains("\"d\""), "no private part");
    let verifier = JwtValidator::builder()
        .keys(keys_from_jwks(&jwks.to_string()).unwrap())
        .algorithms([Algorithm::ES256])
        .issuer("app")
        .audience("app")
        .build()
        .unwrap();
    let new_token = rotated.issue("u", &[], &()).unwrap();
    assert_eq!(me(&verifier, &new_token).await, 200);
    assert_eq!(
        me(&verifier, &old_token).await,
        401,
        "a key it never published"
    );
}

#[actix_web::test]
async fn the_api_key_pepper_rotates_under_traffic_with_no_refused_key() {
    const P1: &[u8] = b"the first pepper, 32 bytes or more";
    const P2: &[u8] = b"the second pepper, 32 bytes or more";
    let store = Arc::new(MemoryStore::new());
    let build = |current: &[u8], previous: Option<&[u8]>| {
        let mut b = ApiKeyValidator::builder(store.clone()).pepper(current);
        if let Some(p) = previous {
            b = b.previous_pepper(p);
        }
        b.build().unwrap()
    };
    let v1 = build(P1, None);
    let mut keys = Vec::new();
    for i in 0..5 {
        let (key, record) = v1
            .mint("demo", &format!("old-{i}"), ["read"], None)
            .unwrap();
        store.insert(record);
        keys.push(key);
    }
    // Phase 1: instances move to current P2, previous P1, one by one; no new key yet.
    let v2 = build(P2, Some(P1));
    for instances in [vec![&v1, &v1], vec![&v2, &v1], vec![&v2, &v2]] {
        for v in instances {
            for key in &keys {
                assert!(v.verify(key).await.is_ok(), "an old key was refused");
            }
        }
    }
    // Phase 2: new keys are minted under P2; every instance (all on v2 now) takes both.
    let (new_key, record) = v2.mint("demo", "new", ["read"], None).unwrap();
    store.insert(record);
    keys.push(new_key);
    for key in &keys {
        assert!(v2.verify(key).await.is_ok());
    }
    // Without the previous pepper, the old keys would be unknown: the rotation needs it.
    let forgot = build(P2, None);
    assert!(forgot.verify(&keys[0]).await.is_err());
    assert!(forgot.verify(keys.last().unwrap()).await.is_ok());
}

/// Keys still hashed with the previous pepper are reported once each, never with the key.
#[tokio::test]
async fn keys_under_a_previous_pepper_are_reported_once() {
    let logs = auth_tests::logcap::LogCapture::default();
    let _guard = logs.install();
    let store = Arc::new(MemoryStore::new());
    let old = ApiKeyValidator::builder(store.clone())
        .pepper(b"the first pepper, 32 bytes or more")
        .build()
        .unwrap();
    let (key, record) = old.mint("demo", "old", ["read"], None).unwrap();
    store.insert(record.clone());
    let new = ApiKeyValidator::builder(store)
        .pepper(b"the second pepper, 32 bytes or more")
        .previous_pepper(b"the first pepper, 32 bytes or more")
        .build()
        .unwrap();
    for _ in 0..3 {
        new.verify(&key).await.unwrap();
    }
    let text = logs.text();
    assert_eq!(text.matches("previous pepper").count(), 1, "{text}");
    assert!(text.contains(&record.id), "{text}");
    assert!(!text.contains(key.expose_secret()), "the key in the log");
}
