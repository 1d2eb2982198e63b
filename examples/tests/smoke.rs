//! HTTP-level smoke run of both demo binaries over loopback: the `/api/*` cases of
//! the demo contract (`docs/demo.md`), and the same answers from both.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;
use common::*;

use std::{process::Command, time::Duration};

use auth_core::{
    jwt::{Algorithm, JwtIssuer, SigningKey},
    test_util::{TestKey, TokenBuilder, now},
};
use serde_json::Value;

struct Tokens {
    user: String,
    admin: String,
    /// Scope `read` only, and the role `admin` in Keycloak's `realm_access.roles`.
    realm_admin: String,
    /// Scope `read` only, and the role `admin` in a claim the demo does not read.
    group_admin: String,
    expired: String,
    other_alg: String,
}

fn tokens() -> Tokens {
    let issuer = JwtIssuer::new(
        SigningKey::hmac(Algorithm::HS256, SECRET).unwrap(),
        "auth-demo",
        "auth-demo",
    );
    let hs = TestKey::hmac(Algorithm::HS256, SECRET.as_bytes());
    let rs = TestKey::new(Algorithm::RS256);
    Tokens {
        user: issuer.issue("alice", &["read"], &()).unwrap(),
        admin: issuer.issue("root", &["read", "admin"], &()).unwrap(),
        realm_admin: issuer
            .issue(
                "kc-admin",
                &["read"],
                &serde_json::json!({"realm_access": {"roles": ["admin"]}}),
            )
            .unwrap(),
        group_admin: issuer
            .issue(
                "g-admin",
                &["read"],
                &serde_json::json!({"groups": ["admin"]}),
            )
            .unwrap(),
        expired: TokenBuilder::valid(&hs, "auth-demo", "auth-demo", "alice")
            .claim("exp", now() - 3600)
            .sign(&hs),
        other_alg: TokenBuilder::valid(&rs, "auth-demo", "auth-demo", "alice").sign(&rs),
    }
}

/// Run the demo contract's cases against one server; returns the answers for comparison.
async fn run_cases(base: &str, t: &Tokens) -> Vec<Answer> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let url = |p: &str| format!("{base}{p}");
    let bearer = |t: &str| format!("Bearer {t}");
    let realm = r#"Bearer realm="auth-demo""#;
    let mut answers = Vec::new();

    let a = get(&client, &url("/health"), &[]).await;
    assert_eq!(
        (a.status, &a.body),
        (200, &serde_json::json!({"status": "ok"}))
    );
    answers.push(a);

    let a = get(&client, &url("/api/me"), &[]).await;
    assert_eq!((a.status, a.challenge.as_deref()), (401, Some(realm)));
    answers.push(a);

    let a = get(&client, &url("/api/me"), &[("authorization", "Basic dTpw")]).await;
    assert_eq!((a.status, a.challenge.as_deref()), (401, Some(realm)));
    answers.push(a);

    let a = get(
        &client,
        &url("/api/me"),
        &[("authorization", &bearer(&t.user))],
    )
    .await;
    assert_eq!(a.status, 200, "{a:?}");
    for k in ["sub", "iss", "aud", "exp"] {
        assert!(a.body.get(k).is_some(), "/api/me lacks {k}: {a:?}");
    }
    assert_eq!(a.body["sub"], "alice");
    assert_eq!(a.body["scopes"], serde_json::json!(["read"]));
    answers.push(a);

    let a = get(
        &client,
        &url("/api/me"),
        &[("authorization", &format!("bearer {}", t.user))],
    )
    .await;
    assert_eq!(a.status, 200);
    answers.push(a);

    let a = get(
        &client,
        &url(&format!("/api/me?access_token={}", t.user)),
        &[],
    )
    .await;
    assert_eq!((a.status, a.challenge.as_deref()), (401, Some(realm)));
    answers.push(a);

    for malformed in ["Bearer", "Bearer a b"] {
        let a = get(&client, &url("/api/me"), &[("authorization", malformed)]).await;
        assert_eq!(a.status, 400);
        assert!(
            a.challenge
                .as_deref()
                .unwrap()
                .contains(r#"error="invalid_request""#)
        );
        answers.push(a);
    }

    for bad in [&t.expired, &t.other_alg] {
        let a = get(&client, &url("/api/me"), &[("authorization", &bearer(bad))]).await;
        assert_eq!(a.status, 401);
        assert!(
            a.challenge
                .as_deref()
                .unwrap()
                .contains(r#"error="invalid_token""#)
        );
        assert_eq!(a.body["status"], 401);
        assert!(!a.body.to_string().contains(bad.as_str()));
        answers.push(a);
    }

    let a = get(
        &client,
        &url("/api/admin"),
        &[("authorization", &bearer(&t.user))],
    )
    .await;
    assert_eq!(a.status, 403);
    assert_eq!(
        a.challenge.as_deref(),
        Some(r#"Bearer realm="auth-demo", error="insufficient_scope", scope="admin""#)
    );
    answers.push(a);

    let a = get(
        &client,
        &url("/api/admin"),
        &[("authorization", &bearer(&t.admin))],
    )
    .await;
    assert_eq!(
        (a.status, &a.body),
        (200, &serde_json::json!({"sub": "root", "admin": true}))
    );
    answers.push(a);

    // A role claim grants /api/admin too; a role in a claim the demo does not read does not.
    let a = get(
        &client,
        &url("/api/admin"),
        &[("authorization", &bearer(&t.realm_admin))],
    )
    .await;
    assert_eq!(
        (a.status, &a.body),
        (
            200,
            &serde_json::json!({"sub": "kc-admin", "admin": true, "roles": ["admin"]})
        )
    );
    answers.push(a);
    let a = get(
        &client,
        &url("/api/admin"),
        &[("authorization", &bearer(&t.group_admin))],
    )
    .await;
    assert_eq!(a.status, 403);
    assert!(a.body["detail"].as_str().unwrap().contains("role (admin)"));
    answers.push(a);

    let a = get(
        &client,
        &url("/api/whoami"),
        &[("authorization", &bearer(&t.user))],
    )
    .await;
    assert_eq!(a.status, 200, "{a:?}");
    assert_eq!(
        (&a.body["kind"], &a.body["sub"]),
        (&serde_json::json!("user"), &serde_json::json!("alice"))
    );
    answers.push(a);

    answers
}

#[tokio::test]
async fn both_demos_answer_the_contract_identically() {
    let t = tokens();
    let axum = start(env!("CARGO_BIN_EXE_axum-demo"));
    let actix = start(env!("CARGO_BIN_EXE_actix-demo"));
    let a = run_cases(&axum.base, &t).await;
    let b = run_cases(&actix.base, &t).await;
    assert_eq!(a, b, "axum-demo and actix-demo differ");
}

#[test]
fn a_bad_secret_stops_the_start_with_one_line_naming_the_variable() {
    for bin in [
        env!("CARGO_BIN_EXE_axum-demo"),
        env!("CARGO_BIN_EXE_actix-demo"),
    ] {
        let out = Command::new(bin)
            .env("DEMO_ADDR", "127.0.0.1:0")
            .env("DEMO_JWT_SECRET", "0123456789")
            .output()
            .expect("run demo");
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains("DEMO_JWT_SECRET"), "{err}");
        assert!(!err.contains("0123456789"), "the secret is echoed: {err}");
    }
}

#[test]
fn a_bad_address_stops_the_start() {
    let out = Command::new(env!("CARGO_BIN_EXE_axum-demo"))
        .env("DEMO_ADDR", "not-an-address")
        .output()
        .expect("run demo");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("DEMO_ADDR"));
}

#[tokio::test]
async fn keys_from_the_tool_guard_internal_stats_and_a_revocation_needs_no_restart() {
    let (_dir, store, store_s) = key_store();
    let store_s = store_s.as_str();
    let reader = cli(&[
        "new",
        "--store",
        store_s,
        "--prefix",
        "demo",
        "--name",
        "reader",
        "--scope",
        "stats:read",
    ]);
    let other = cli(&[
        "new", "--store", store_s, "--prefix", "demo", "--name", "other", "--scope", "other",
    ]);
    let file = std::fs::read_to_string(&store).expect("store");
    assert!(
        !file.contains(&reader) && !file.contains(&other),
        "a plaintext key is in the store"
    );
    let listed = cli(&["list", "--store", store_s]);
    assert_eq!(listed.lines().count(), 2);
    assert!(!listed.contains(&reader[10..]), "list shows a key");
    let reader_id = listed
        .lines()
        .find(|l| l.contains("\treader\t"))
        .and_then(|l| l.split('\t').next())
        .expect("reader id")
        .to_owned();

    let env = [("DEMO_API_KEYS_FILE", store_s)];
    let servers = [
        start_with(env!("CARGO_BIN_EXE_axum-demo"), &env),
        start_with(env!("CARGO_BIN_EXE_actix-demo"), &env),
    ];
    let client = reqwest::Client::new();
    let mut answers = Vec::new();
    for server in &servers {
        let url = format!("{}/internal/stats", server.base);
        let none = get(&client, &url, &[]).await;
        assert_eq!(
            (none.status, none.challenge.as_deref()),
            (401, Some(r#"ApiKey realm="auth-demo""#))
        );
        let ok = get(&client, &url, &[("x-api-key", &reader)]).await;
        assert_eq!(ok.status, 200, "{ok:?}");
        assert_eq!(ok.body["key_id"], reader_id.as_str());
        let scope = get(&client, &url, &[("x-api-key", &other)]).await;
        assert_eq!(scope.status, 403);
        assert_eq!(
            scope.challenge.as_deref(),
            Some(r#"ApiKey realm="auth-demo", error="insufficient_scope", scope="stats:read""#)
        );
        let garbage = get(&client, &url, &[("x-api-key", "not-a-key")]).await;
        assert_eq!(
            (garbage.status, garbage.challenge.as_deref()),
            (
                401,
                Some(r#"ApiKey realm="auth-demo", error="invalid_key""#)
            )
        );
        let whoami = format!("{}/api/whoami", server.base);
        let service = get(&client, &whoami, &[("x-api-key", &reader)]).await;
        assert_eq!(
            (service.status, &service.body["kind"]),
            (200, &serde_json::json!("service"))
        );
        let nobody = get(&client, &whoami, &[]).await;
        assert_eq!(
            (nobody.status, nobody.challenge.as_deref()),
            (
                401,
                Some(r#"Bearer realm="auth-demo", ApiKey realm="auth-demo""#)
            )
        );
        answers.push(vec![none, ok, scope, garbage, service, nobody]);
    }
    assert_eq!(answers[0], answers[1], "the demos differ");

    cli(&["revoke", "--store", store_s, &reader_id]);
    for server in &servers {
        let url = format!("{}/internal/stats", server.base);
        let a = until(&client, &url, &[("x-api-key", &reader)], |a| {
            a.status == 401
        })
        .await;
        assert_eq!(
            a.challenge.as_deref(),
            Some(r#"ApiKey realm="auth-demo", error="invalid_key""#)
        );
    }
}

/// GET `url` every 100 ms until `done` holds for the answer (at most 8 s); that answer.
async fn until(
    client: &reqwest::Client,
    url: &str,
    headers: &[(&str, &str)],
    done: impl Fn(&Answer) -> bool,
) -> Answer {
    let deadline = std::time::Instant::now() + Duration::from_secs(8);
    loop {
        let a = get(client, url, headers).await;
        if done(&a) {
            return a;
        }
        assert!(std::time::Instant::now() < deadline, "{url} stays {a:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Review item 3: a key file that changes but cannot be read is loud: an error line on
/// the demo's stderr (it logs by default) and a degraded `/health`, until it is readable.
#[tokio::test]
async fn review_03_a_key_file_that_cannot_be_read_is_loud_in_both_demos() {
    let (_dir, store, store_s) = key_store();
    let store_s = store_s.as_str();
    let key = cli(&[
        "new",
        "--store",
        store_s,
        "--prefix",
        "demo",
        "--name",
        "r",
        "--scope",
        "stats:read",
    ]);
    let good = std::fs::read(&store).expect("store");
    let env = [("DEMO_API_KEYS_FILE", store_s)];
    let servers = [
        start_with(env!("CARGO_BIN_EXE_axum-demo"), &env),
        start_with(env!("CARGO_BIN_EXE_actix-demo"), &env),
    ];
    let client = reqwest::Client::new();
    let health = |base: &str| format!("{base}/health");
    for server in &servers {
        let ok = get(&client, &health(&server.base), &[]).await;
        assert_eq!(
            (ok.status, &ok.body),
            (200, &serde_json::json!({"status": "ok"}))
        );
    }
    std::fs::write(&store, b"{\"version\": 1, \"keys\": [").expect("break the file");
    for server in &servers {
        let degraded = until(&client, &health(&server.base), &[], |a| a.status != 200).await;
        assert_eq!(degraded.status, 503);
        assert_eq!(degraded.body["status"], "degraded");
        assert!(
            degraded.body["problems"][0]
                .as_str()
                .is_some_and(|p| p.contains("cannot be read")),
            "{degraded:?}"
        );
        let logged = server.stderr();
        assert!(
            logged
                .lines()
                .any(|l| l.contains("ERROR") && l.contains("cannot be read")),
            "no error line: {logged}"
        );
        assert!(!logged.contains(&key), "the key reached the logs");
        // The documented behaviour: the last good keys stay in force meanwhile.
        let url = format!("{}/internal/stats", server.base);
        assert_eq!(get(&client, &url, &[("x-api-key", &key)]).await.status, 200);
    }
    std::fs::write(&store, good).expect("mend the file");
    for server in &servers {
        until(&client, &health(&server.base), &[], |a| a.status == 200).await;
    }
}

#[tokio::test]
async fn without_a_key_file_the_demo_makes_one_key_and_shows_it_once() {
    for bin in [
        env!("CARGO_BIN_EXE_axum-demo"),
        env!("CARGO_BIN_EXE_actix-demo"),
    ] {
        let server = start(bin);
        let key = server.generated_key();
        let client = reqwest::Client::new();
        let a = get(
            &client,
            &format!("{}/internal/stats", server.base),
            &[("x-api-key", &key)],
        )
        .await;
        assert_eq!(a.status, 200, "{a:?}");
        assert_eq!(a.body["name"], "demo-generated");
    }
}

#[test]
fn an_unreadable_key_file_stops_the_start() {
    for bin in [
        env!("CARGO_BIN_EXE_axum-demo"),
        env!("CARGO_BIN_EXE_actix-demo"),
    ] {
        let out = Command::new(bin)
            .env("DEMO_ADDR", "127.0.0.1:0")
            .env("DEMO_API_KEYS_FILE", "/nonexistent/keys.json")
            .output()
            .expect("run demo");
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains("DEMO_API_KEYS_FILE"), "{err}");
    }
}

#[tokio::test]
async fn provider_access_tokens_are_accepted_on_api_by_both_demos() {
    let provider = auth_tests::oidc::OidcProvider::start();
    let env = [
        ("DEMO_OIDC_ISSUER", provider.issuer.as_str()),
        ("DEMO_OIDC_AUDIENCE", "urn:api:rs256"),
        // The client credentials turn on introspection for opaque tokens.
        ("DEMO_OIDC_CLIENT_ID", auth_tests::oidc::SIGNIN_CLIENT_ID),
        (
            "DEMO_OIDC_CLIENT_SECRET",
            auth_tests::oidc::SIGNIN_CLIENT_SECRET,
        ),
    ];
    let opaque = provider.opaque_token("urn:api:rs256", "read").await;
    let opaque_admin = provider.opaque_token("urn:api:rs256", "read admin").await;
    let opaque_other = provider.opaque_token("urn:api:es256", "read").await;
    // A DPoP-bound token from the provider (its `cnf.jkt` is this key's thumbprint).
    let dpop_key = auth_tests::dpop::DpopKey::new(auth_core::jwt::Algorithm::ES256);
    let bound = provider
        .dpop_token(&dpop_key, "urn:api:rs256", "read")
        .await;
    let good = provider
        .client_credentials_token("urn:api:rs256", "read")
        .await;
    let other_audience = provider
        .client_credentials_token("urn:api:es256", "read")
        .await;
    let role_admin = provider.role_admin_token("urn:api:rs256", "read").await;
    let t = tokens();
    let client = reqwest::Client::new();
    let mut answers = Vec::new();
    let mut metadata_answers = Vec::new();
    let mut opaque_answers = Vec::new();
    let mut dpop_answers = Vec::new();
    for bin in [
        env!("CARGO_BIN_EXE_axum-demo"),
        env!("CARGO_BIN_EXE_actix-demo"),
    ] {
        let server = start_with(bin, &env);
        assert!(
            server
                .banner
                .iter()
                .any(|l| l.contains("Also accepted on /api/*")),
            "{:?}",
            server.banner
        );
        let me = format!("{}/api/me", server.base);
        let bearer = |t: &str| format!("Bearer {t}");
        let ok = get(&client, &me, &[("authorization", &bearer(&good))]).await;
        assert_eq!(ok.status, 200, "{bin}: {:?}", ok.body);
        assert_eq!(ok.body["sub"], "svc");
        assert_eq!(ok.body["iss"], provider.issuer.as_str());
        assert_eq!(ok.body["scopes"], serde_json::json!(["read"]));
        let wrong = get(&client, &me, &[("authorization", &bearer(&other_audience))]).await;
        assert_eq!(wrong.status, 401);
        assert!(
            wrong
                .challenge
                .as_deref()
                .unwrap_or("")
                .contains("invalid_token"),
            "{:?}",
            wrong.challenge
        );
        // The app's own tokens still work beside the provider's.
        let own = get(&client, &me, &[("authorization", &bearer(&t.user))]).await;
        assert_eq!(own.status, 200);
        let admin = format!("{}/api/admin", server.base);
        let no_scope = get(&client, &admin, &[("authorization", &bearer(&good))]).await;
        assert_eq!(no_scope.status, 403);
        // The provider put the role in `realm_access.roles`: that grants /api/admin.
        let by_role = get(&client, &admin, &[("authorization", &bearer(&role_admin))]).await;
        assert_eq!(
            (by_role.status, &by_role.body["roles"]),
            (200, &serde_json::json!(["admin"])),
            "{bin}: {:?}",
            by_role.body
        );
        // Opaque tokens: introspected with the demo's client credentials; the audience and
        // the route's scope are checked on every use.
        let by_opaque = get(&client, &me, &[("authorization", &bearer(&opaque))]).await;
        assert_eq!(
            (
                by_opaque.status,
                &by_opaque.body["iss"],
                &by_opaque.body["scopes"]
            ),
            (
                200,
                &serde_json::json!(provider.issuer),
                &serde_json::json!(["read"])
            ),
            "{bin}"
        );
        let opaque_no_admin = get(&client, &admin, &[("authorization", &bearer(&opaque))]).await;
        assert_eq!(opaque_no_admin.status, 403);
        let opaque_is_admin = get(
            &client,
            &admin,
            &[("authorization", &bearer(&opaque_admin))],
        )
        .await;
        assert_eq!(opaque_is_admin.status, 200);
        let opaque_elsewhere =
            get(&client, &me, &[("authorization", &bearer(&opaque_other))]).await;
        assert_eq!(opaque_elsewhere.status, 401);
        // The provider's back-channel logout route is there; a token that is not one is
        // refused with 400 and changes nothing.
        let logout = client
            .post(format!("{}/auth/oidc/backchannel-logout", server.base))
            .form(&[("logout_token", t.user.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(logout.status(), 400, "{bin}");
        // DPoP: the bound token with a proof for this request works; as Bearer, or with
        // the proof again, or a proof for another URL, it does not.
        let me_url = format!("{}/api/me", server.base);
        let proof = dpop_key.proof("GET", &me_url, Some(&bound));
        let dpop = |proof: String| {
            let (client, me, bound) = (client.clone(), me.clone(), bound.clone());
            async move {
                get(
                    &client,
                    &me,
                    &[
                        ("authorization", &format!("DPoP {bound}")),
                        ("dpop", &proof),
                    ],
                )
                .await
            }
        };
        let by_dpop = dpop(proof.clone()).await;
        assert_eq!(by_dpop.status, 200, "{bin}: {:?}", by_dpop.body);
        assert_eq!(by_dpop.body["sub"], "svc");
        let replayed = dpop(proof).await;
        assert_eq!(replayed.status, 401);
        let elsewhere =
            dpop(dpop_key.proof("GET", &format!("{}/api/admin", server.base), Some(&bound))).await;
        assert_eq!(elsewhere.status, 401);
        let as_bearer = get(&client, &me, &[("authorization", &bearer(&bound))]).await;
        assert_eq!(as_bearer.status, 401);
        for a in [&replayed, &elsewhere] {
            assert!(
                a.challenge
                    .as_deref()
                    .unwrap_or("")
                    .starts_with(r#"DPoP realm="auth-demo", error="invalid_dpop_proof""#),
                "{:?}",
                a.challenge
            );
        }
        dpop_answers.push((by_dpop, replayed, elsewhere, as_bearer));
        answers.push((ok, wrong, own, no_scope, by_role));
        opaque_answers.push((
            by_opaque,
            opaque_no_admin,
            opaque_is_admin,
            opaque_elsewhere,
        ));
        metadata_answers.push(follow_the_metadata(&client, &server.base, &provider).await);
    }
    assert_eq!(answers[0], answers[1], "axum-demo and actix-demo differ");
    assert_eq!(
        opaque_answers[0], opaque_answers[1],
        "axum-demo and actix-demo differ"
    );
    assert_eq!(
        dpop_answers[0], dpop_answers[1],
        "axum-demo and actix-demo differ"
    );
    assert_eq!(
        metadata_answers[0], metadata_answers[1],
        "axum-demo and actix-demo differ"
    );
}

/// What an MCP client does with no token: read `resource_metadata` from the 401 challenge,
/// fetch the RFC 9728 document, find the authorization server's token endpoint through its
/// discovery, get a token there, and call the API with it. Returns the document.
async fn follow_the_metadata(
    client: &reqwest::Client,
    base: &str,
    provider: &auth_tests::oidc::OidcProvider,
) -> serde_json::Value {
    let denied = get(client, &format!("{base}/api/me"), &[]).await;
    assert_eq!(denied.status, 401);
    let challenge = denied.challenge.clone().unwrap_or_default();
    let url = challenge
        .split("resource_metadata=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("no resource_metadata in {challenge}"));
    assert_eq!(url, "{base}/.well-known/oauth-protected-resource");
    let url = url.replace("{base}", base);
    // Every Bearer challenge on /api/* names it, 403 included; API-key ones do not.
    let no_key = get(client, &format!("{base}/internal/stats"), &[]).await;
    assert!(
        !no_key
            .challenge
            .unwrap_or_default()
            .contains("resource_metadata")
    );
    let response = client.get(&url).send().await.expect("metadata");
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"].to_str().ok(),
        Some("application/json")
    );
    let doc: serde_json::Value = response.json().await.expect("metadata JSON");
    assert_eq!(doc["resource"], base);
    assert_eq!(
        doc["authorization_servers"],
        serde_json::json!([provider.issuer])
    );
    assert_eq!(
        doc["bearer_methods_supported"],
        serde_json::json!(["header"])
    );
    assert_eq!(
        doc["scopes_supported"],
        serde_json::json!(["read", "admin"])
    );
    assert!(
        doc["dpop_signing_alg_values_supported"]
            .as_array()
            .is_some_and(|a| a.contains(&serde_json::json!("ES256"))),
        "{doc}"
    );
    let issuer = doc["authorization_servers"][0].as_str().unwrap_or_default();
    let discovery: serde_json::Value = client
        .get(format!("{issuer}/.well-known/openid-configuration"))
        .send()
        .await
        .expect("discovery")
        .json()
        .await
        .expect("discovery JSON");
    let token: serde_json::Value = client
        .post(discovery["token_endpoint"].as_str().unwrap_or_default())
        .basic_auth(
            auth_tests::oidc::CLIENT_ID,
            Some(auth_tests::oidc::CLIENT_SECRET),
        )
        .form(&[
            ("grant_type", "client_credentials"),
            ("resource", "urn:api:rs256"),
            ("scope", "read"),
        ])
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("token JSON");
    let access = token["access_token"].as_str().unwrap_or_default();
    let me = get(
        client,
        &format!("{base}/api/me"),
        &[("authorization", &format!("Bearer {access}"))],
    )
    .await;
    assert_eq!(me.status, 200, "{:?}", me.body);
    // The resource differs per demo (its port): compare the rest.
    let mut doc = doc;
    doc["resource"] = serde_json::Value::Null;
    doc
}

/// Review item 4: the provider's ID token (audience = the client id, a `nonce`, `typ`
/// `JWT`) is refused on `/api/*` even when `DEMO_OIDC_AUDIENCE` is the client id.
#[tokio::test]
async fn review_04_an_id_token_is_not_an_access_token_in_both_demos() {
    let redirect = "http://127.0.0.1:1/callback";
    let provider = auth_tests::oidc::OidcProvider::start_with_redirects(&[redirect.to_owned()]);
    let id_token = provider.id_token(redirect, "alice").await;
    let env = [
        ("DEMO_OIDC_ISSUER", provider.issuer.as_str()),
        ("DEMO_OIDC_AUDIENCE", auth_tests::oidc::SIGNIN_CLIENT_ID),
    ];
    let client = reqwest::Client::new();
    let mut answers = Vec::new();
    for bin in [
        env!("CARGO_BIN_EXE_axum-demo"),
        env!("CARGO_BIN_EXE_actix-demo"),
    ] {
        let server = start_with(bin, &env);
        let me = format!("{}/api/me", server.base);
        let a = get(
            &client,
            &me,
            &[("authorization", &format!("Bearer {id_token}"))],
        )
        .await;
        assert_eq!(a.status, 401, "{bin}: {a:?}");
        assert!(
            a.challenge
                .as_deref()
                .unwrap_or("")
                .contains("invalid_token"),
            "{a:?}"
        );
        answers.push(a);
    }
    assert_eq!(answers[0], answers[1]);
}

/// Review item 11: the demo fetches from public destinations only (and loopback, for
/// development): a provider on a private or link-local address stops the start, before
/// any connection.
#[test]
fn review_11_a_provider_on_a_private_address_stops_the_start() {
    for bin in [
        env!("CARGO_BIN_EXE_axum-demo"),
        env!("CARGO_BIN_EXE_actix-demo"),
    ] {
        for issuer in ["https://169.254.169.254", "https://10.1.2.3:8443"] {
            let out = Command::new(bin)
                .env("DEMO_ADDR", "127.0.0.1:0")
                .env("DEMO_JWT_SECRET", SECRET)
                .env("DEMO_OIDC_ISSUER", issuer)
                .env("DEMO_OIDC_AUDIENCE", "api")
                .output()
                .expect("run demo");
            assert!(!out.status.success());
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(
                err.contains("DEMO_OIDC_ISSUER") && err.contains("not a public address"),
                "{issuer}: {err}"
            );
        }
    }
}

#[test]
fn an_unusable_provider_stops_the_start_with_one_line_naming_the_variable() {
    for bin in [
        env!("CARGO_BIN_EXE_axum-demo"),
        env!("CARGO_BIN_EXE_actix-demo"),
    ] {
        for (env, name) in [
            // Nothing listens on port 9: discovery fails.
            (
                vec![
                    ("DEMO_OIDC_ISSUER", "http://127.0.0.1:9"),
                    ("DEMO_OIDC_AUDIENCE", "api"),
                ],
                "DEMO_OIDC_ISSUER",
            ),
            // Plain http to a non-loopback host is refused before any connection.
            (
                vec![
                    ("DEMO_OIDC_ISSUER", "http://login.example.com"),
                    ("DEMO_OIDC_AUDIENCE", "api"),
                ],
                "DEMO_OIDC_ISSUER",
            ),
            (
                vec![("DEMO_OIDC_ISSUER", "http://127.0.0.1:9")],
                "DEMO_OIDC_ISSUER",
            ),
            (vec![("DEMO_OIDC_AUDIENCE", "api")], "DEMO_OIDC_AUDIENCE"),
            // Nothing listens on port 9: Redis cannot be reached at start.
            (
                vec![("DEMO_REDIS_URL", "redis://127.0.0.1:9/0")],
                "DEMO_REDIS_URL",
            ),
            (vec![("DEMO_REDIS_URL", "not a url")], "DEMO_REDIS_URL"),
            (
                vec![("DEMO_DATABASE_URL", "postgres://postgres@127.0.0.1:9/test")],
                "DEMO_DATABASE_URL",
            ),
            (
                vec![("DEMO_DATABASE_URL", "not a url")],
                "DEMO_DATABASE_URL",
            ),
            (
                vec![
                    (
                        "DEMO_DATABASE_URL",
                        "postgres://postgres@127.0.0.1:5432/test",
                    ),
                    ("DEMO_API_KEYS_FILE", "keys.json"),
                ],
                "DEMO_DATABASE_URL",
            ),
        ] {
            let mut command = Command::new(bin);
            command
                .env("DEMO_ADDR", "127.0.0.1:0")
                .env("DEMO_JWT_SECRET", SECRET);
            for (k, v) in &env {
                command.env(k, v);
            }
            let out = command.output().expect("run demo");
            assert!(!out.status.success(), "{env:?}");
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(err.lines().count(), 1, "{env:?}: {err}");
            assert!(err.contains(name), "{env:?}: {err}");
        }
    }
}

#[tokio::test]
async fn a_person_signs_in_to_both_demos_through_the_provider() {
    use auth_tests::browser::Browser;
    let (ports, bases, provider) = provider_for_two();
    // A key that may read the metrics: the sign-ins and refreshes are counted.
    let (_dir, _store, store_s) = key_store();
    let ops = new_key(&store_s, "ops", &["metrics:read"]);
    let mut seen = Vec::new();
    let mut counted = Vec::new();
    for ((bin, base), port) in [
        env!("CARGO_BIN_EXE_axum-demo"),
        env!("CARGO_BIN_EXE_actix-demo"),
    ]
    .into_iter()
    .zip(&bases)
    .zip(ports)
    {
        let server = start_signing_in(bin, port, &provider, &[("DEMO_API_KEYS_FILE", &store_s)]);
        let login_url = format!("{base}/auth/oidc/login?return_to=/api/me");
        assert!(
            server.banner.iter().any(|l| l.contains(&login_url)),
            "{:?}",
            server.banner
        );
        let browser = Browser::new();
        let (_, back) = browser
            .authorize(&login_url, "alice", &format!("{base}/auth/oidc/callback"))
            .await;
        let signed_in = browser.callback(&back).await;
        assert_eq!(signed_in.status, 303, "{bin}: {}", signed_in.body);
        assert_eq!(
            signed_in.location.as_ref().map(|u| u.path().to_owned()),
            Some("/api/me".to_owned())
        );
        let me = browser.get(&format!("{base}/api/me")).await;
        assert_eq!(me.status, 200, "{bin}: {}", me.body);
        let body: Value = serde_json::from_str(&me.body).unwrap();
        assert_eq!(body["sub"], "alice");
        assert_eq!(body["idp"], "oidc");
        assert_eq!(body["iss"], "auth-demo");
        assert_eq!(body["scopes"], serde_json::json!(["read"]));
        let first_refresh =
            auth_tests::browser::cookie_value(&signed_in.set_cookies, "auth-refresh")
                .expect("refresh cookie");
        let refreshed = browser
            .post(&format!("{base}/auth/refresh"), &[], &[])
            .await;
        let (refresh_url, stolen_cookie) = (
            format!("{base}/auth/refresh"),
            format!("auth-refresh={first_refresh}"),
        );
        // A second tab sends the first refresh token too, within the 10 s grace window:
        // it gets a session of its own instead of ending this one.
        let second_tab = Browser::new()
            .post_with_cookie(&refresh_url, &stolen_cookie)
            .await;
        let refreshed_again = browser
            .post(&format!("{base}/auth/refresh"), &[], &[])
            .await;
        // The first refresh token once more, now two generations old (stolen): refused,
        // and its family with it.
        let reused = Browser::new()
            .post_with_cookie(&refresh_url, &stolen_cookie)
            .await;
        let family = browser
            .post(&format!("{base}/auth/refresh"), &[], &[])
            .await;
        // Sign in again, then log out.
        let (_, back) = browser
            .authorize(&login_url, "alice", &format!("{base}/auth/oidc/callback"))
            .await;
        let again = browser.callback(&back).await;
        let out = browser.post(&format!("{base}/auth/logout"), &[], &[]).await;
        let after = browser.get(&format!("{base}/api/me")).await;
        let text = reqwest::Client::new()
            .get(format!("{base}/metrics"))
            .header("x-api-key", &ops)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        counted.push([
            sample(&text, "auth_sign_ins_total", r#"outcome="ok""#),
            sample(&text, "auth_refreshes_total", r#"outcome="ok""#),
            sample(&text, "auth_refreshes_total", r#"outcome="reuse""#),
            sample(&text, "auth_refreshes_total", r#"outcome="invalid""#),
            // The provider's keys for ID tokens: fetched at start, at least.
            sample(&text, "auth_keyset_refreshes_total", r#"outcome="ok""#).min(1.0),
        ]);
        seen.push([
            signed_in.status.as_u16(),
            me.status.as_u16(),
            refreshed.status.as_u16(),
            second_tab.status.as_u16(),
            refreshed_again.status.as_u16(),
            reused.status.as_u16(),
            family.status.as_u16(),
            again.status.as_u16(),
            out.status.as_u16(),
            after.status.as_u16(),
        ]);
    }
    assert_eq!(
        seen,
        [[303, 200, 200, 200, 200, 401, 401, 303, 204, 401]; 2]
    );
    // 2 sign-ins; 3 rotations (the second tab's within the grace window); the stolen
    // token's reuse; then the revoked family's token.
    assert_eq!(counted, [[2.0, 3.0, 1.0, 1.0, 1.0]; 2]);
}

#[tokio::test]
async fn github_sign_in_starts_at_github_and_half_a_client_is_refused() {
    for bin in [
        env!("CARGO_BIN_EXE_axum-demo"),
        env!("CARGO_BIN_EXE_actix-demo"),
    ] {
        let port = free_port();
        let addr = format!("127.0.0.1:{port}");
        let server = start_with(
            bin,
            &[
                ("DEMO_ADDR", addr.as_str()),
                ("DEMO_GITHUB_CLIENT_ID", "gh-client-id"),
                ("DEMO_GITHUB_CLIENT_SECRET", "gh-client-secret"),
            ],
        );
        let login = format!("{}/auth/github/login?return_to=/api/me", server.base);
        assert!(
            server.banner.iter().any(|l| l.contains(&login)),
            "{:?}",
            server.banner
        );
        // No request leaves this machine: the login only redirects to GitHub.
        let response = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
            .get(&login)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 303);
        let location = response.headers()["location"].to_str().unwrap();
        assert!(
            location.starts_with("https://github.com/login/oauth/authorize?"),
            "{location}"
        );
        for part in [
            "client_id=gh-client-id",
            "code_challenge_method=S256",
            &format!("redirect_uri=http%3A%2F%2F127.0.0.1%3A{port}%2Fauth%2Fgithub%2Fcallback"),
        ] {
            assert!(location.contains(part), "{part} in {location}");
        }
        assert!(!location.contains("gh-client-secret"));
        drop(server);

        let out = Command::new(bin)
            .env("DEMO_ADDR", "127.0.0.1:0")
            .env("DEMO_JWT_SECRET", SECRET)
            .env("DEMO_GITHUB_CLIENT_ID", "gh-client-id")
            .output()
            .expect("run demo");
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains("DEMO_GITHUB_CLIENT_SECRET"), "{err}");
    }
}

/// A first-hour stumble: `--help` started a server. It prints every variable (with the key
/// file and the address first among them) and exits; any other argument is refused.
#[test]
fn help_lists_the_variables_and_starts_nothing() {
    for bin in [
        env!("CARGO_BIN_EXE_axum-demo"),
        env!("CARGO_BIN_EXE_actix-demo"),
    ] {
        let out = Command::new(bin)
            .arg("--help")
            .env("DEMO_ADDR", "127.0.0.1:0")
            .output()
            .expect("run");
        assert!(out.status.success(), "{bin}");
        let text = String::from_utf8_lossy(&out.stdout);
        for (name, _, _) in examples::VARIABLES {
            assert!(text.contains(name), "{bin}: {name} missing from --help");
        }
        let out = Command::new(bin).arg("--port=1").output().expect("run");
        assert!(!out.status.success(), "{bin}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("--help"));
    }
}

/// Two instances, one Redis (`DEMO_REDIS_URL`) and one PostgreSQL (`DEMO_DATABASE_URL`):
/// axum-demo and actix-demo with the same secrets behave as one app. A refresh token issued by one refreshes
/// on the other; a second tab within the grace window is served by either; a stolen older
/// token presented to one instance revokes the session on both; a user's sessions are
/// listed by either; signing out everywhere on one refuses the user's access tokens on
/// the other within a second.
#[tokio::test]
async fn two_instances_share_state_through_redis_and_postgres() {
    use auth_tests::browser::{Browser, cookie_value};
    let (ports, bases, provider) = provider_for_two();
    // A logical database of this run's own: the demo's keys and sign-out channel stay apart
    // from any other app on the machine's Redis, and are removed at the end.
    let db = 2 + std::process::id() % 14;
    let redis_url = format!("redis://127.0.0.1:6379/{db}");
    // One PostgreSQL database (of this test's own) for both: the same keys on either.
    let pg = auth_tests::postgres::TestDatabase::create().await;
    let database_url = pg.url();
    let key = cli(&[
        "new",
        "--database-url",
        &database_url,
        "--prefix",
        "demo",
        "--name",
        "shared",
        "--scope",
        "stats:read",
    ]);
    let servers = start_pair(
        ports,
        &provider,
        &[
            ("DEMO_REDIS_URL", redis_url.as_str()),
            ("DEMO_DATABASE_URL", database_url.as_str()),
        ],
    );
    let (a, b) = (&bases[0], &bases[1]);
    let (_, signed_in) = sign_in_at(a, "alice").await;
    assert_eq!(signed_in.status, 303, "{}", signed_in.body);
    let t0 = cookie_value(&signed_in.set_cookies, "auth-refresh").expect("refresh cookie");
    let refresh = |base: &str, token: &str| {
        let (url, cookie) = (
            format!("{base}/auth/refresh"),
            format!("auth-refresh={token}"),
        );
        async move { Browser::new().post_with_cookie(&url, &cookie).await }
    };
    // Issued by axum-demo, refreshed by actix-demo.
    let on_b = refresh(b, &t0).await;
    assert_eq!(on_b.status, 200, "{}", on_b.body);
    let t1 = cookie_value(&on_b.set_cookies, "auth-refresh").expect("rotated token");
    // A second tab on axum-demo sends t0 too, within the 10 s window: served.
    let second_tab = refresh(a, &t0).await;
    assert_eq!(second_tab.status, 200, "{}", second_tab.body);
    let sibling = cookie_value(&second_tab.set_cookies, "auth-refresh").expect("sibling");
    // The first tab goes on, on axum-demo.
    let on_a = refresh(a, &t1).await;
    assert_eq!(on_a.status, 200, "{}", on_a.body);
    // t0, now two generations old, stolen and sent to actix-demo: reuse.
    assert_eq!(refresh(b, &t0).await.status, 401);
    // The session is revoked on both instances.
    assert_eq!(refresh(a, &sibling).await.status, 401);
    let t2 = cookie_value(&on_a.set_cookies, "auth-refresh").expect("rotated token");
    assert_eq!(refresh(b, &t2).await.status, 401);

    // Two devices of one user, one per instance.
    let mut devices = Vec::new();
    for base in [a, b] {
        let (browser, page) = sign_in_at(base, "erin").await;
        let access = cookie_value(&page.set_cookies, "auth-session").expect("session cookie");
        devices.push((browser, access));
    }
    let listed = devices[1].0.get(&format!("{b}/auth/sessions")).await;
    let sessions: serde_json::Value = serde_json::from_str(&listed.body).unwrap();
    assert_eq!(
        sessions["sessions"].as_array().map(Vec::len),
        Some(2),
        "{sessions}"
    );
    let me = |base: &str, token: &str| {
        let (url, auth) = (format!("{base}/api/me"), format!("Bearer {token}"));
        async move {
            Browser::new()
                .send(reqwest::Method::GET, &url, &[("authorization", &auth)])
                .await
                .status
        }
    };
    assert_eq!(
        me(b, &devices[0].1).await,
        200,
        "issued by one, accepted by the other"
    );
    let all = devices[0]
        .0
        .send(reqwest::Method::POST, &format!("{a}/auth/logout-all"), &[])
        .await;
    assert_eq!(all.status, 204, "{}", all.body);
    let started = std::time::Instant::now();
    for (_, token) in &devices {
        while me(b, token).await != 401 && started.elapsed() < Duration::from_secs(3) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    let took = started.elapsed();
    assert!(
        took < Duration::from_secs(1),
        "the other instance refused the tokens after {took:?}"
    );
    assert_eq!(me(a, &devices[1].1).await, 401);

    // The per-key limit (a burst of 120) counts the requests to both instances together:
    // 70 to each, 140 in all, and about 20 are refused (each instance alone would have
    // allowed all 70).
    let client = reqwest::Client::new();
    let mut limited = [0, 0];
    for i in 0..140 {
        let base = [a, b][i % 2];
        let page = get(
            &client,
            &format!("{base}/internal/stats"),
            &[("x-api-key", &key)],
        )
        .await;
        match page.status {
            200 => {}
            429 => limited[i % 2] += 1,
            other => panic!("{other}: {page:?}"),
        }
    }
    let refused = limited[0] + limited[1];
    assert!(
        (15..=20).contains(&refused) && limited[0] > 0 && limited[1] > 0,
        "refused {limited:?}"
    );
    // The sign-in limit (30 a minute per client address) too: 40 more sign-in requests
    // from this address, 20 to each (about 7 each so far), are refused beyond 30 in all.
    let mut limited = [0, 0];
    for i in 0..40 {
        let base = [a, b][i % 2];
        let page = get(&client, &format!("{base}/auth/oidc/login"), &[]).await;
        if page.status == 429 {
            limited[i % 2] += 1;
        }
    }
    assert!(
        limited[0] + limited[1] >= 15 && limited[0] > 0 && limited[1] > 0,
        "refused {limited:?}"
    );
    // A key revoked with `auth-keys --database-url` is refused by both within a second.
    let id = cli(&["list", "--database-url", &database_url])
        .split('\t')
        .next()
        .unwrap()
        .to_owned();
    cli(&["revoke", "--database-url", &database_url, &id]);
    let took = until_key_status(&client, &[a, b], &key, 401).await;
    assert!(
        took < Duration::from_secs(1),
        "the revocation took {:?}",
        took
    );
    drop(servers);
    auth_tests::redis_server::remove_keys(&redis_url, "auth-demo:*").await;
}

/// Redis stopped while the demos run: `/auth/refresh` answers 503 problem+json and revokes
/// nothing; API-key checks go on (the per-key limit counts in the instance meanwhile);
/// once Redis is back (the same instance, no restart) the same refresh token works.
#[tokio::test]
async fn a_redis_outage_is_503_and_the_session_survives_it() {
    use auth_tests::{
        browser::{Browser, cookie_value},
        redis_server::RedisServer,
    };
    let (ports, bases, provider) = provider_for_two();
    let mut redis = RedisServer::start();
    let mut seen = Vec::new();
    for ((bin, base), port) in [
        env!("CARGO_BIN_EXE_axum-demo"),
        env!("CARGO_BIN_EXE_actix-demo"),
    ]
    .into_iter()
    .zip(&bases)
    .zip(ports)
    {
        let server = start_signing_in(
            bin,
            port,
            &provider,
            &[("DEMO_REDIS_URL", redis.url().as_str())],
        );
        let (_, signed_in) = sign_in_at(base, "alice").await;
        let token = cookie_value(&signed_in.set_cookies, "auth-refresh").expect("refresh cookie");
        let (url, cookie) = (
            format!("{base}/auth/refresh"),
            format!("auth-refresh={token}"),
        );
        let key = server.generated_key();
        let stats = format!("{base}/internal/stats");
        redis.kill();
        let during = Browser::new().post_with_cookie(&url, &cookie).await;
        assert!(
            during.body.contains("\"status\":503"),
            "{bin}: {}",
            during.body
        );
        let client = reqwest::Client::new();
        let key_check = get(&client, &stats, &[("x-api-key", &key)]).await;
        assert_eq!(key_check.status, 200, "{bin}: {key_check:?}");
        redis.restart();
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        let after = loop {
            let page = Browser::new().post_with_cookie(&url, &cookie).await;
            if page.status != 503 || std::time::Instant::now() > deadline {
                break page;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        seen.push([
            signed_in.status.as_u16(),
            during.status.as_u16(),
            after.status.as_u16(),
        ]);
    }
    assert_eq!(seen, [[303, 503, 200]; 2]);
}

/// Two instances, one PostgreSQL (`DEMO_DATABASE_URL`, a database of this test's own): a
/// key made with `auth-keys --database-url` is accepted by both, its revocation refused by
/// both within a second, without restart. One instance reaches the database through a proxy
/// that the test cuts: its key checks keep answering from the keys it loaded (and `/health`
/// says why); once the link is back it learns of the revocation it missed.
#[tokio::test]
async fn two_instances_share_api_keys_through_postgres() {
    use auth_tests::{postgres::TestDatabase, proxy::TcpProxy};
    let db = TestDatabase::create().await;
    let proxy = TcpProxy::start("127.0.0.1:5432".parse().unwrap());
    let (direct, via_proxy) = (db.url(), db.url_via(proxy.addr()));
    let key = cli(&[
        "new",
        "--database-url",
        &direct,
        "--prefix",
        "demo",
        "--name",
        "shared",
        "--scope",
        "stats:read",
    ]);
    let id = cli(&["list", "--database-url", &direct])
        .split('\t')
        .next()
        .unwrap()
        .to_owned();
    let servers = [
        start_with(
            env!("CARGO_BIN_EXE_axum-demo"),
            &[("DEMO_DATABASE_URL", direct.as_str())],
        ),
        start_with(
            env!("CARGO_BIN_EXE_actix-demo"),
            &[("DEMO_DATABASE_URL", via_proxy.as_str())],
        ),
    ];
    let client = reqwest::Client::new();
    let status = |base: &str| {
        let (client, url, key) = (
            client.clone(),
            format!("{base}/internal/stats"),
            key.clone(),
        );
        async move { get(&client, &url, &[("x-api-key", &key)]).await.status }
    };
    for server in &servers {
        assert_eq!(status(&server.base).await, 200, "{}", server.base);
        assert!(
            server
                .banner
                .iter()
                .any(|l| l.contains("DEMO_DATABASE_URL")),
            "{:?}",
            server.banner
        );
    }
    // A second key, then revoked: both instances follow within a second.
    let second = cli(&[
        "new",
        "--database-url",
        &direct,
        "--prefix",
        "demo",
        "--name",
        "second",
        "--scope",
        "stats:read",
    ]);
    let took = until_key_status(
        &client,
        &servers.iter().map(|s| s.base.as_str()).collect::<Vec<_>>(),
        &second,
        200,
    )
    .await;
    assert!(took < Duration::from_secs(1), "a new key took {:?}", took);

    // The proxied instance loses the database; the direct one does not.
    proxy.cut();
    cli(&["revoke", "--database-url", &direct, &id]);
    let started = std::time::Instant::now();
    while status(&servers[0].base).await != 401 && started.elapsed() < Duration::from_secs(3) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "the revocation took {:?}",
        started.elapsed()
    );
    // Cut off, it answers from what it loaded: never a 500.
    assert_eq!(status(&servers[1].base).await, 200);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let health = loop {
        let health = get(&client, &format!("{}/health", servers[1].base), &[]).await;
        if health.status == 503 || std::time::Instant::now() > deadline {
            break health;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(health.status, 503, "{health:?}");
    assert!(!format!("{health:?}").contains(&key), "the key in /health");
    proxy.restore();
    let started = std::time::Instant::now();
    while status(&servers[1].base).await != 401 && started.elapsed() < Duration::from_secs(15) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        status(&servers[1].base).await,
        401,
        "recovered without restart"
    );
    drop(servers);
}

/// 100 refreshes of one token at once, 50 to each of two instances sharing Redis: within
/// the 10 s grace window every one gets a sibling of the same generation, and the family
/// stays consistent afterwards: any sibling rotates on; then the original token, now two
/// generations old, is reuse and revokes the family on both instances, siblings included.
#[tokio::test]
async fn a_hundred_concurrent_refreshes_across_two_instances_stay_consistent() {
    use auth_tests::browser::{Browser, cookie_value};
    let (ports, bases, provider) = provider_for_two();
    // A logical database apart from the other Redis tests of this run.
    let db = 2 + (std::process::id() + 7) % 14;
    let redis_url = format!("redis://127.0.0.1:6379/{db}");
    let servers = start_pair(ports, &provider, &[("DEMO_REDIS_URL", redis_url.as_str())]);
    let (_, signed_in) = sign_in_at(&bases[0], "frank").await;
    let t0 = cookie_value(&signed_in.set_cookies, "auth-refresh").expect("refresh cookie");
    let refresh = |base: &str, token: &str| {
        let (url, cookie) = (
            format!("{base}/auth/refresh"),
            format!("auth-refresh={token}"),
        );
        async move { Browser::new().post_with_cookie(&url, &cookie).await }
    };
    // Each from a loopback address of its own (127.0.1.i): the sign-in limit counts per
    // client address, and 100 tabs are not one client hammering.
    let from = |i: u8, base: &str, token: &str| {
        let client = reqwest::Client::builder()
            .local_address(std::net::IpAddr::from([127, 0, 1, i]))
            .build()
            .unwrap();
        let request = client
            .post(format!("{base}/auth/refresh"))
            .header("cookie", format!("auth-refresh={token}"));
        async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            let cookies: Vec<String> = response
                .headers()
                .get_all("set-cookie")
                .iter()
                .filter_map(|v| v.to_str().ok().map(str::to_owned))
                .collect();
            (status, cookies)
        }
    };
    let pages = futures_util::future::join_all(
        (0..100u8).map(|i| from(i + 1, &bases[usize::from(i % 2)], &t0)),
    )
    .await;
    let statuses: Vec<u16> = pages.iter().map(|p| p.0).collect();
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    let siblings: Vec<String> = pages
        .iter()
        .map(|p| cookie_value(&p.1, "auth-refresh").expect("a sibling"))
        .collect();
    let unique: std::collections::HashSet<_> = siblings.iter().collect();
    assert_eq!(unique.len(), 100, "every refresh got a token of its own");
    // Consistent afterwards: a sibling rotates on (on the other instance).
    let next = refresh(&bases[1], &siblings[0]).await;
    assert_eq!(next.status, 200, "{}", next.body);
    // The original token is now two generations old: reuse, the family is revoked
    // everywhere, and no sibling hands out a token any more.
    assert_eq!(refresh(&bases[0], &t0).await.status, 401);
    for (i, token) in siblings.iter().enumerate().take(10) {
        assert_eq!(
            refresh(&bases[i % 2], token).await.status,
            401,
            "sibling {i}"
        );
    }
    let newest = cookie_value(&next.set_cookies, "auth-refresh").expect("rotated");
    assert_eq!(refresh(&bases[0], &newest).await.status, 401);
    drop(servers);
    auth_tests::redis_server::remove_keys(&redis_url, "auth-demo:*").await;
}

/// `DEMO_JWT_PREVIOUS_SECRET`: a demo started with a new secret and the old one as previous
/// accepts the tokens of both (rotation without downtime); without it, the old tokens are
/// refused.
#[tokio::test]
async fn a_rotated_secret_keeps_its_tokens_valid() {
    use auth_core::jwt::{Algorithm, JwtIssuer, SigningKey};
    const OLD: &str = "the secret before the rotation, 32+ bytes";
    const NEW: &str = "the secret after the rotation, 32+ bytes!";
    let token = |secret: &str| {
        JwtIssuer::new(
            SigningKey::hmac(Algorithm::HS256, secret).unwrap(),
            "auth-demo",
            "auth-demo",
        )
        .issue("rotated", &["read"], &())
        .unwrap()
    };
    let (old, new) = (token(OLD), token(NEW));
    let client = reqwest::Client::new();
    for bin in [
        env!("CARGO_BIN_EXE_axum-demo"),
        env!("CARGO_BIN_EXE_actix-demo"),
    ] {
        let mut seen = Vec::new();
        for env in [
            vec![("DEMO_JWT_SECRET", NEW), ("DEMO_JWT_PREVIOUS_SECRET", OLD)],
            vec![("DEMO_JWT_SECRET", NEW)],
        ] {
            let server = start_with(bin, &env);
            let url = format!("{}/api/me", server.base);
            for token in [&old, &new] {
                let auth = format!("Bearer {token}");
                seen.push(get(&client, &url, &[("authorization", &auth)]).await.status);
            }
        }
        assert_eq!(seen, [200, 200, 401, 200], "{bin}");
    }
}

/// The value of the Prometheus sample `name{labels}` in `text` (0 when absent).
fn sample(text: &str, name: &str, labels: &str) -> f64 {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .find_map(|l| {
            let (key, value) = l.rsplit_once(' ')?;
            let (n, rest) = key.split_once('{').unwrap_or((key, "}"));
            let mut want: Vec<&str> = labels.split(',').filter(|s| !s.is_empty()).collect();
            let mut have: Vec<&str> = rest
                .trim_end_matches('}')
                .split(',')
                .filter(|s| !s.is_empty())
                .collect();
            want.sort_unstable();
            have.sort_unstable();
            (n == name && want == have).then(|| value.parse().ok())?
        })
        .unwrap_or(0.0)
}

#[tokio::test]
async fn metrics_count_each_outcome_exactly_in_both_demos() {
    let (_dir, _store, store_s) = key_store();
    let ops = new_key(&store_s, "ops", &["metrics:read", "stats:read"]);
    let stats_only = new_key(&store_s, "reader", &["stats:read"]);
    // Well-formed, but from another store: unknown to the demo.
    let (_other_dir, _, other_store) = key_store();
    let stranger = new_key(&other_store, "x", &["stats:read"]);
    let t = tokens();
    let client = reqwest::Client::new();
    let mut answers = Vec::new();
    for bin in [
        env!("CARGO_BIN_EXE_axum-demo"),
        env!("CARGO_BIN_EXE_actix-demo"),
    ] {
        let server = start_with(bin, &[("DEMO_API_KEYS_FILE", store_s.as_str())]);
        let url = |p: &str| format!("{}{p}", server.base);
        let bearer = |t: &str| format!("Bearer {t}");
        // A known sequence: 3 accepted tokens, 1 missing, 2 expired, 1 of another
        // algorithm, 1 malformed header, 1 without the admin scope; 2 accepted keys, 1
        // unknown key, 1 malformed key; the scrape without a key, and with a key lacking
        // `metrics:read`.
        let (user, admin, expired, other) = (
            bearer(&t.user),
            bearer(&t.admin),
            bearer(&t.expired),
            bearer(&t.other_alg),
        );
        let (auth, key) = ("authorization", "x-api-key");
        let sequence: [(&str, Option<(&str, &str)>); 12] = [
            ("/api/me", Some((auth, &user))),
            ("/api/me", Some((auth, &user))),
            ("/api/admin", Some((auth, &admin))),
            ("/api/me", None),
            ("/api/me", Some((auth, &expired))),
            ("/api/me", Some((auth, &expired))),
            ("/api/me", Some((auth, &other))),
            ("/api/me", Some((auth, "Bearer"))),
            ("/api/admin", Some((auth, &user))),
            ("/internal/stats", Some((key, &stats_only))),
            ("/internal/stats", Some((key, &stats_only))),
            ("/internal/stats", Some((key, &stranger))),
        ];
        for (path, header) in sequence {
            get(&client, &url(path), header.as_slice()).await;
        }
        get(
            &client,
            &url("/internal/stats"),
            &[(key, "demo_notakey0000000000000000000000")],
        )
        .await;
        let no_key = get(&client, &url("/metrics"), &[]).await;
        assert_eq!(no_key.status, 401);
        let wrong_scope = get(&client, &url("/metrics"), &[("x-api-key", &stats_only)]).await;
        assert_eq!(wrong_scope.status, 403);
        let response = client
            .get(url("/metrics"))
            .header("x-api-key", &ops)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/plain"),
        );
        let text = response.text().await.unwrap();
        let count = |credential: &str, outcome: &str| {
            sample(
                &text,
                "auth_requests_total",
                &format!(r#"credential="{credential}",outcome="{outcome}""#),
            )
        };
        let seen = [
            ("jwt accepted", count("jwt", "accepted")),
            ("jwt missing", count("jwt", "missing")),
            ("jwt expired", count("jwt", "expired")),
            ("jwt algorithm", count("jwt", "algorithm")),
            ("jwt malformed", count("jwt", "malformed")),
            ("jwt insufficient_scope", count("jwt", "insufficient_scope")),
            ("api_key accepted", count("api_key", "accepted")),
            ("api_key unknown_key", count("api_key", "unknown_key")),
            ("api_key malformed", count("api_key", "malformed")),
            ("api_key missing", count("api_key", "missing")),
            (
                "api_key insufficient_scope",
                count("api_key", "insufficient_scope"),
            ),
            (
                "verifications timed",
                sample(
                    &text,
                    "auth_verification_seconds_count",
                    r#"credential="jwt""#,
                ),
            ),
        ];
        // No token, key or user id in any label.
        for secret in [&t.user, &t.admin, &ops, &stats_only] {
            assert!(!text.contains(secret.as_str()));
        }
        assert!(!text.contains("alice") && !text.contains("root"));
        answers.push(seen);
    }
    let expected = [
        ("jwt accepted", 3.0),
        ("jwt missing", 1.0),
        ("jwt expired", 2.0),
        ("jwt algorithm", 1.0),
        ("jwt malformed", 1.0),
        ("jwt insufficient_scope", 1.0),
        // 2 for /internal/stats; the scrape's own key is accepted by the metrics guard
        // before the body is rendered.
        ("api_key accepted", 3.0),
        ("api_key unknown_key", 1.0),
        ("api_key malformed", 1.0),
        ("api_key missing", 1.0),
        ("api_key insufficient_scope", 1.0),
        ("verifications timed", 9.0),
    ];
    for seen in &answers {
        assert_eq!(seen, &expected);
    }
}
