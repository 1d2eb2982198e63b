//! End to end against a real OpenID provider (`oidc-provider` 8.8.1 on 127.0.0.1): its
//! discovery document and JWKS configure a validator, and the RS256 and ES256 access tokens
//! it issues (RFC 9068, `typ: at+jwt`) pass through both adapters.
//!
//! The second test configures the validator through discovery alone (a `RemoteKeySet` with
//! its background refresher and the verified-token cache), then rotates the provider's
//! signing keys: new tokens validate without restart, old ones keep working until their
//! keys leave the provider's JWKS.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use auth_core::jwt::{JwtValidator, keys_from_jwks};
use auth_tests::{TestRequest, actix_config, axum_app, call_actix, call_axum, oidc::OidcProvider};

async fn json(url: &str) -> serde_json::Value {
    reqwest::get(url)
        .await
        .expect(url)
        .json()
        .await
        .expect("JSON")
}

#[actix_web::test]
async fn provider_tokens_validate_through_both_adapters() {
    let provider = OidcProvider::start();
    let discovery = json(&format!(
        "{}/.well-known/openid-configuration",
        provider.issuer
    ))
    .await;
    // The discovery document names the issuer exactly as configured.
    assert_eq!(discovery["issuer"], provider.issuer.as_str());
    let jwks_uri = discovery["jwks_uri"].as_str().expect("jwks_uri");
    let jwks = reqwest::get(jwks_uri).await.unwrap().text().await.unwrap();
    let keys = keys_from_jwks(&jwks).expect("the provider's JWKS");
    assert_eq!(keys.len(), 2, "one RS256 and one ES256 key");

    for (resource, alg) in [("urn:api:rs256", "RS256"), ("urn:api:es256", "ES256")] {
        let validator = JwtValidator::builder()
            .keys(keys_from_jwks(&jwks).unwrap())
            .issuer(provider.issuer.clone())
            .audience(resource)
            .require_typ("at+jwt")
            .realm(auth_tests::REALM)
            .build()
            .expect("validator");
        let token = provider.client_credentials_token(resource, "read").await;
        let claims = validator
            .verify_claims_now::<serde_json::Value>(&token)
            .unwrap_or_else(|e| panic!("{alg} token from the provider refused: {e}"));
        assert_eq!(claims.sub(), Some("svc"));
        assert!(claims.scopes.contains("read"));
        assert_eq!(claims.custom["client_id"], "svc");

        // Through both adapters, with identical answers.
        let axum = axum_app(validator.clone());
        let actix = actix_web::test::init_service(
            actix_web::App::new().configure(actix_config(validator.clone())),
        )
        .await;
        let ok = TestRequest {
            uri: "/me".into(),
            headers: vec![("authorization".into(), format!("Bearer {token}"))],
        };
        let a = call_axum(&axum, &ok).await;
        let b = call_actix(&actix, &ok).await;
        assert_eq!(a.status, 200, "{alg}: {a:?}");
        assert_eq!(a, b, "{alg}: adapters differ");

        // A token for the other resource is refused (audience), identically.
        let other = if alg == "RS256" {
            "urn:api:es256"
        } else {
            "urn:api:rs256"
        };
        let wrong = provider.client_credentials_token(other, "read").await;
        let bad = TestRequest {
            uri: "/me".into(),
            headers: vec![("authorization".into(), format!("Bearer {wrong}"))],
        };
        let a = call_axum(&axum, &bad).await;
        let b = call_actix(&actix, &bad).await;
        assert_eq!(a.status, 401, "{alg}: {a:?}");
        assert_eq!(a, b);
    }
}

#[actix_web::test]
async fn a_validator_without_the_typ_rule_still_refuses_a_foreign_issuer() {
    let provider = OidcProvider::start();
    let jwks = reqwest::get(format!("{}/jwks", provider.issuer))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let validator = JwtValidator::builder()
        .keys(keys_from_jwks(&jwks).unwrap())
        .issuer("https://another-issuer.example")
        .audience("urn:api:rs256")
        .build()
        .unwrap();
    let token = provider
        .client_credentials_token("urn:api:rs256", "read")
        .await;
    assert_eq!(
        validator.verify_now(&token).err(),
        Some(auth_core::error::TokenError::Issuer)
    );
}

#[actix_web::test]
async fn discovered_keys_follow_the_providers_rotation() {
    use std::time::Duration;

    use auth_core::{
        jwt::Algorithm,
        remote::{FetchPolicy, KeySource, RefreshPolicy, RemoteKeySet, ReqwestFetch},
    };
    use auth_tests::{jwks_server::both, oidc::kid_of};

    let provider = OidcProvider::start();
    let fetch = ReqwestFetch::new(FetchPolicy {
        allow_http_loopback: true,
        ..FetchPolicy::default()
    })
    .unwrap();
    // Scheduled refreshes every 300 ms, so that withdrawn keys leave quickly.
    let policy =
        RefreshPolicy::default().ages(Duration::from_millis(300), Duration::from_millis(300));
    let set = RemoteKeySet::load(
        KeySource::Discovery(provider.issuer.clone()),
        std::sync::Arc::new(fetch),
        policy,
    )
    .await
    .expect("discovery and keys");
    let refresher = set.spawn_refresher().unwrap();
    let validator = JwtValidator::builder()
        .remote_keys(set)
        .algorithms([Algorithm::RS256, Algorithm::ES256])
        .issuer(provider.issuer.clone())
        .audience("urn:api:rs256")
        .audience("urn:api:es256")
        .require_typ("at+jwt")
        .realm(auth_tests::REALM)
        .cache_verified(1000)
        .build()
        .unwrap();
    let app = both(validator.clone()).await;
    let resources = ["urn:api:rs256", "urn:api:es256"];

    let mut old = Vec::new();
    for resource in resources {
        let token = provider.client_credentials_token(resource, "read").await;
        assert_eq!(app.status(&token).await, 200, "{resource}");
        old.push(token);
    }
    assert_eq!(validator.cached_tokens(), 2);

    // Rotation: new tokens are signed with new kids, unknown to the key set until the
    // first of them makes it refetch; old tokens keep working.
    let kids = provider.rotate_keys().await;
    assert_eq!(kids.len(), 4, "{kids:?}");
    let mut new = Vec::new();
    for resource in resources {
        let token = provider.client_credentials_token(resource, "read").await;
        let kid = kid_of(&token).unwrap();
        assert!(
            kids[..2].contains(&kid),
            "{resource} signed with {kid}, not a new key"
        );
        assert_eq!(app.status(&token).await, 200, "new {resource} token");
        new.push(token);
    }
    for token in &old {
        assert_eq!(app.status(token).await, 200, "old token after rotation");
    }

    // The old keys leave the provider's JWKS: once the refresher has seen it, old tokens
    // (cached ones included) are refused; new ones still pass.
    provider.retire_old_keys().await;
    for token in &old {
        app.until(token, 401, Duration::from_secs(5)).await;
    }
    for token in &new {
        assert_eq!(app.status(token).await, 200);
    }
    refresher.abort();
}
