//! `GET /openapi.json` of both demos: a valid OpenAPI 3.1 document, the same from both, whose
//! security says what each route's guard checks — every route it marks as guarded refuses a
//! request without a credential, every scope it names is needed and enough, and the sign-in
//! provider's endpoints are those of its discovery document.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;
use common::*;

use auth_core::jwt::{Algorithm, JwtIssuer, SigningKey};
use serde_json::Value;

/// What `security` says of a scheme across an operation's alternatives: its scopes, if it
/// is one of them.
fn scopes_of(operation: &Value, scheme: &str) -> Option<Vec<String>> {
    operation["security"].as_array()?.iter().find_map(|alt| {
        alt.get(scheme).map(|s| {
            s.as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap().to_owned())
                .collect()
        })
    })
}

#[tokio::test]
async fn the_openapi_document_says_what_each_route_requires_in_both_demos() {
    let (ports, bases, provider) = provider_for_two();
    let (_dir, _store, store) = key_store();
    let keys = [
        ("stats:read", new_key(&store, "stats", &["stats:read"])),
        (
            "metrics:read",
            new_key(&store, "metrics", &["metrics:read"]),
        ),
    ];
    let other_key = new_key(&store, "other", &["other:read"]);
    let _servers = start_pair(
        ports,
        &provider,
        &[
            ("DEMO_API_KEYS_FILE", &store),
            ("DEMO_OIDC_AUDIENCE", "urn:api:rs256"),
        ],
    );
    let issuer = JwtIssuer::new(
        SigningKey::hmac(
            Algorithm::HS256,
            b"a shared 32-byte secret for both instances",
        )
        .unwrap(),
        "auth-demo",
        "auth-demo",
    );
    let client = reqwest::Client::new();
    let mut documents = Vec::new();
    for base in &bases {
        let resp = client
            .get(format!("{base}/openapi.json"))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.headers()["content-type"], "application/json");
        documents.push(resp.text().await.unwrap());
    }
    assert_eq!(documents[0], documents[1], "both demos, one document");
    let valid = auth_tests::oidc::validate_openapi(&documents[0]);
    assert_eq!(valid.as_deref(), Ok("valid 3.1"), "{valid:?}");
    let doc: Value = serde_json::from_str(&documents[0]).unwrap();
    assert_eq!(doc["openapi"], "3.1.0");

    // The schemes, read off the validators and the provider's discovery.
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["bearer"]["type"], "http");
    assert_eq!(schemes["bearer"]["scheme"], "bearer");
    assert_eq!(schemes["bearer"]["bearerFormat"], "JWT");
    assert_eq!(schemes["api_key"]["type"], "apiKey");
    assert_eq!(schemes["api_key"]["in"], "header");
    assert_eq!(schemes["api_key"]["name"], "X-API-Key");
    assert_eq!(schemes["cookie"]["in"], "cookie");
    assert_eq!(schemes["cookie"]["name"], "auth-session");
    assert_eq!(schemes["dpop"]["name"], "DPoP");
    let discovery: Value = client
        .get(format!(
            "{}/.well-known/openid-configuration",
            provider.issuer
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let flow = &schemes["oauth2_oidc"]["flows"]["authorizationCode"];
    assert_eq!(schemes["oauth2_oidc"]["type"], "oauth2");
    assert_eq!(
        flow["authorizationUrl"],
        discovery["authorization_endpoint"]
    );
    assert_eq!(flow["tokenUrl"], discovery["token_endpoint"]);
    assert!(flow["scopes"].get("openid").is_some(), "{flow}");

    // What the guards check, route by route.
    let admin = &doc["paths"]["/api/admin"]["get"];
    for scheme in ["bearer", "cookie", "dpop", "oauth2_oidc"] {
        assert_eq!(
            scopes_of(admin, scheme),
            Some(vec!["admin".to_owned()]),
            "{scheme}"
        );
    }
    assert_eq!(
        scopes_of(&doc["paths"]["/internal/stats"]["get"], "api_key"),
        Some(vec!["stats:read".to_owned()])
    );
    assert_eq!(
        scopes_of(&doc["paths"]["/metrics"]["get"], "api_key"),
        Some(vec!["metrics:read".to_owned()])
    );

    // Every GET route: marked guarded ⇔ refused without a credential; the scopes named are
    // needed (a credential without them: 403) and enough (with them: 200).
    let base = &bases[0];
    let mut guarded = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        let Some(get_op) = item.get("get") else {
            continue;
        };
        if path.contains('{') {
            continue;
        }
        let url = format!("{base}{path}");
        let bare = get(&client, &url, &[]).await.status;
        let Some(security) = get_op.get("security") else {
            assert_ne!(bare, 401, "{path} is public in the document");
            continue;
        };
        guarded += 1;
        assert_eq!(bare, 401, "{path} is guarded in the document: {security}");
        if let Some(scopes) = scopes_of(get_op, "bearer") {
            let scopes: Vec<&str> = scopes.iter().map(String::as_str).collect();
            let token = issuer.issue("doc-reader", &scopes, &()).unwrap();
            let bearer = format!("Bearer {token}");
            let with = get(&client, &url, &[("authorization", &bearer)]).await;
            assert_eq!(with.status, 200, "{path}: a token with {scopes:?}");
            if !scopes.is_empty() {
                let token = issuer.issue("doc-reader", &["unrelated"], &()).unwrap();
                let bearer = format!("Bearer {token}");
                let without = get(&client, &url, &[("authorization", &bearer)]).await;
                assert_eq!(without.status, 403, "{path}: a token without {scopes:?}");
            }
        }
        if let Some(scopes) = scopes_of(get_op, "api_key") {
            if let [scope] = scopes.as_slice() {
                let (_, key) = keys.iter().find(|(s, _)| s == scope).expect("a key");
                let with = get(&client, &url, &[("x-api-key", key)]).await;
                assert_eq!(with.status, 200, "{path}: a key with {scope}");
                let without = get(&client, &url, &[("x-api-key", &other_key)]).await;
                assert_eq!(without.status, 403, "{path}: a key without {scope}");
            } else {
                assert!(scopes.is_empty(), "{path}: {scopes:?}");
                let with = get(&client, &url, &[("x-api-key", &other_key)]).await;
                assert_eq!(with.status, 200, "{path}: any key");
            }
        }
    }
    // /api/me, /api/whoami, /api/admin, /internal/stats, /metrics, /auth/sessions.
    assert_eq!(guarded, 6, "{}", documents[0]);
    for path in [
        "/",
        "/health",
        "/openapi.json",
        "/auth/oidc/login",
        "/auth/oidc/callback",
        "/auth/refresh",
        "/auth/logout",
        "/auth/logout-all",
        "/auth/sessions/{id}",
        "/auth/oidc/backchannel-logout",
        "/.well-known/oauth-protected-resource",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} is documented");
    }
}
