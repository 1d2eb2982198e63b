//! The API-key table through both adapters: expected answers, identical from each, one
//! answer for every kind of bad key, and no store lookup for a malformed one.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use auth_tests::{
    call_actix, call_axum,
    keys::{KeyFixture, actix_key_config, axum_key_app, key_cases},
};

#[actix_web::test]
async fn key_table_through_both_adapters() {
    let fx = KeyFixture::new();
    let table = key_cases(&fx);
    let axum = axum_key_app(fx.validator.clone());
    let actix = actix_web::test::init_service(
        actix_web::App::new().configure(actix_key_config(fx.validator.clone())),
    )
    .await;
    let mut failures = Vec::new();
    let mut invalid_bodies = Vec::new();
    for case in &table {
        let before = fx.lookups();
        let a = call_axum(&axum, &case.request).await;
        let after_axum = fx.lookups();
        let b = call_actix(&actix, &case.request).await;
        let after_actix = fx.lookups();
        for (adapter, r, lookups) in [
            ("axum", &a, after_axum - before),
            ("actix", &b, after_actix - after_axum),
        ] {
            if r.status != case.status {
                failures.push(format!(
                    "[{adapter}] {}: status {} != {}",
                    case.name, r.status, case.status
                ));
            }
            if r.www_authenticate != case.challenge {
                failures.push(format!(
                    "[{adapter}] {}: challenge {:?} != {:?}",
                    case.name, r.www_authenticate, case.challenge
                ));
            }
            if !case.reaches_store && lookups != 0 {
                failures.push(format!(
                    "[{adapter}] {}: the store was consulted {lookups} times",
                    case.name
                ));
            }
            if let Some(secret) = &case.secret {
                let body_part = &secret.trim()[secret.trim().len().saturating_sub(20)..];
                if r.body.contains(body_part) {
                    failures.push(format!(
                        "[{adapter}] {}: the response echoes the key",
                        case.name
                    ));
                }
            }
            if r.status == 200 {
                let body: serde_json::Value = serde_json::from_str(&r.body).unwrap_or_default();
                if body["key_id"] != fx.valid_record.id && body["key_id"].as_str().is_none() {
                    failures.push(format!(
                        "[{adapter}] {}: no key_id in {}",
                        case.name, r.body
                    ));
                }
            } else if r.content_type.as_deref() != Some("application/problem+json") {
                failures.push(format!("[{adapter}] {}: not problem+json", case.name));
            }
        }
        if a != b {
            failures.push(format!(
                "{}: adapters differ\n  axum  {a:?}\n  actix {b:?}",
                case.name
            ));
        }
        if a.status == 401
            && case
                .challenge
                .as_deref()
                .is_some_and(|c| c.contains("invalid_key"))
        {
            invalid_bodies.push((case.name.clone(), a.body.clone()));
        }
    }
    // One answer for all: unknown, malformed, revoked, expired, duplicated, oversized.
    let first = &invalid_bodies[0].1;
    for (name, body) in &invalid_bodies {
        if body != first {
            failures.push(format!("{name}: a different invalid_key body: {body}"));
        }
    }
    assert!(invalid_bodies.len() >= 7);
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[actix_web::test]
async fn a_valid_key_is_marked_used() {
    let fx = KeyFixture::new();
    let req =
        auth_core::request::StaticRequest::new().header("x-api-key", fx.valid.expose_secret());
    let verified = fx
        .validator
        .authenticate(&req)
        .await
        .expect("valid")
        .expect("present");
    assert_eq!(verified.id(), fx.valid_record.id);
    let stored = auth_core::apikey::ApiKeyStore::find(&fx.store.inner, &fx.valid_record.hash)
        .await
        .expect("store")
        .expect("record");
    assert!(stored.last_used().is_some());
}

#[actix_web::test]
async fn a_key_over_its_rate_limit_gets_429_with_retry_after_in_both_adapters() {
    use std::time::Duration;

    use auth_core::apikey::ApiKeyValidator;
    use auth_tests::{REALM, TestRequest};

    let fx = KeyFixture::new();
    // A burst of 3, then one an hour: the fourth request of a key is over its limit.
    let validator = ApiKeyValidator::builder(fx.store.clone())
        .realm(REALM)
        .prefix("demo")
        .rate_limit(3, Duration::from_secs(3 * 3600))
        .build()
        .unwrap();
    let axum = axum_key_app(validator.clone());
    let actix =
        actix_web::test::init_service(actix_web::App::new().configure(actix_key_config(validator)))
            .await;
    let with = |key: &auth_core::apikey::ApiKeySecret| TestRequest {
        uri: "/internal/stats".into(),
        headers: vec![("x-api-key".into(), key.expose_secret().to_owned())],
    };
    // The adapters share the validator, and so the limit: 3 requests pass in all.
    let mut answers = Vec::new();
    for i in 0..6 {
        let req = with(&fx.valid);
        let r = if i % 2 == 0 {
            call_axum(&axum, &req).await
        } else {
            call_actix(&actix, &req).await
        };
        answers.push(r);
    }
    let statuses: Vec<u16> = answers.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [200, 200, 200, 429, 429, 429]);
    for limited in &answers[3..] {
        let secs: u64 = limited.retry_after.as_deref().unwrap().parse().unwrap();
        assert!((3000..=3600).contains(&secs), "Retry-After {secs}");
        assert_eq!(limited.www_authenticate, None);
        assert!(limited.body.contains("\"status\":429"), "{}", limited.body);
        assert!(!limited.body.contains(fx.valid.expose_secret()));
    }
    assert_eq!(answers[3], answers[4], "the adapters answer alike");
    // Limits are per key: another key, and an unknown one (never counted), are unaffected.
    let unscoped = call_axum(
        &axum,
        &TestRequest {
            uri: "/internal/whoami".into(),
            ..with(&fx.unscoped)
        },
    )
    .await;
    assert_eq!(unscoped.status, 200);
    let unknown = call_actix(&actix, &with(&fx.unknown)).await;
    assert_eq!(unknown.status, 401);
}
