//! End to end against a real OpenID provider (`oidc-provider` 8.8.1 on 127.0.0.1): its
//! discovery document and JWKS configure a validator, and the RS256 and ES256 access tokens
//! it issues (RFC 9068, `typ: at+jwt`) pass through both adapters.
//!
//! Keys are read once from the provider's JWKS here; fetching and refreshing them at run time
//! (JWKS URLs, discovery, rotation) is the remote-keys work that builds on this harness.

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
            .verify_claims::<serde_json::Value>(&token)
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
        validator.verify(&token).err(),
        Some(auth_core::error::TokenError::Issuer)
    );
}
