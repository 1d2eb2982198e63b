//! Security review, item 8: `Debug` never prints a secret. Each type that carries a token,
//! a code, a cookie or a client secret is formatted (`{:?}` and `{:#?}`) with known secrets
//! inside, and none of them may appear.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use auth_core::{
    credential::BearerToken,
    login::{Answer, GitHubProvider, LoginInput},
    request::StaticRequest,
};

const TOKEN: &str = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1In0.c2lnbmF0dXJlLXNlY3JldA";
const REFRESH: &str = "refresh-token-secret-0123456789";
const CODE: &str = "authorization-code-secret-42";
const STATE: &str = "state-secret-abcdefghijklmnop";
const FLOW: &str = "sealed-flow-cookie-secret-xyz";
const CLIENT_SECRET: &str = "client-secret-do-not-print";

fn assert_hidden(what: &str, shown: &str) {
    for secret in [TOKEN, REFRESH, CODE, STATE, FLOW, CLIENT_SECRET] {
        assert!(!shown.contains(secret), "{what} shows a secret: {shown}");
    }
    // Pieces of the JWT too (its signature, its payload).
    for piece in TOKEN.split('.') {
        assert!(
            !shown.contains(piece),
            "{what} shows part of a token: {shown}"
        );
    }
}

fn both(value: &impl std::fmt::Debug) -> String {
    format!("{value:?}\n{value:#?}")
}

#[test]
fn review_08_debug_output_holds_no_secret() {
    let input = LoginInput {
        query: Some(format!("code={CODE}&state={STATE}&iss=https%3A%2F%2Fop")),
        flow: Some(FLOW.into()),
        refresh: Some(REFRESH.into()),
        origin: Some("https://app.example".into()),
        form: Some(format!("code={CODE}&state={STATE}")),
        ..LoginInput::default()
    };
    let shown = both(&input);
    assert_hidden("LoginInput", &shown);
    assert!(shown.contains("code") && shown.contains("state"), "{shown}");

    let answer = Answer {
        status: 200,
        headers: vec![
            (
                "set-cookie",
                format!("__Host-auth-session={TOKEN}; Path=/; HttpOnly; Secure"),
            ),
            (
                "set-cookie",
                format!("__Host-auth-refresh={REFRESH}; Path=/; HttpOnly"),
            ),
            (
                "location",
                format!("https://op.example/auth?state={STATE}&code_challenge=x"),
            ),
            ("cache-control", "no-store".into()),
        ],
        body: Some((
            "application/json".into(),
            format!(r#"{{"access_token":"{TOKEN}","token_type":"Bearer"}}"#),
        )),
    };
    let shown = both(&answer);
    assert_hidden("Answer", &shown);
    assert!(
        shown.contains("__Host-auth-session") && shown.contains("HttpOnly"),
        "{shown}"
    );

    let bearer = BearerToken {
        token: TOKEN,
        from_authorization: true,
        from_cookie: false,
    };
    assert_hidden("BearerToken", &both(&bearer));

    let request = StaticRequest::new()
        .header("authorization", format!("Bearer {TOKEN}"))
        .header("cookie", format!("auth-refresh={REFRESH}"))
        .query_string(&format!("access_token={TOKEN}"));
    assert_hidden("StaticRequest", &both(&request));

    let github = GitHubProvider::new("client-id", CLIENT_SECRET);
    let shown = both(&github);
    assert_hidden("GitHubProvider", &shown);
    assert!(shown.contains("client-id"));
}

const HMAC: &str = "hmac-secret-of-the-app-0123456789abcdef";
const PEPPER: &str = "pepper-of-the-key-store-0123456789abcdef";
const COOKIE: &str = "cookie-sealing-secret-0123456789abcdef";

/// Every way a byte secret could be printed: as text, as `[104, 109, …]`, as hex.
fn assert_no_bytes(what: &str, shown: &str) {
    for secret in [HMAC, PEPPER, COOKIE, CLIENT_SECRET] {
        let bytes = secret.as_bytes();
        let list = format!("{bytes:?}");
        let spaced = format!("{:#?}", bytes);
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        assert!(!shown.contains(secret), "{what} shows a secret: {shown}");
        assert!(
            !shown.contains(&list[1..list.len() - 1]),
            "{what} shows secret bytes"
        );
        assert!(!shown.contains(&spaced[2..12]), "{what} shows secret bytes");
        assert!(!shown.contains(&hex[..16]), "{what} shows a secret in hex");
    }
}

/// Issue 10, item 4: every configuration type that holds a secret (HMAC keys, the pepper,
/// the cookie-sealing secret, client secrets) formats without it.
#[tokio::test]
async fn configuration_types_format_without_their_secrets() {
    use std::sync::Arc;

    use auth_core::{
        apikey::{ApiKeyValidator, KeyHasher, MemoryStore},
        jwt::{Algorithm, JwtIssuer, JwtValidator, SigningKey, VerifyingKey},
        login::{Login, SessionGrant},
    };

    let verifying = VerifyingKey::hmac(Algorithm::HS256, HMAC).expect("key");
    assert_no_bytes("VerifyingKey", &both(&verifying));
    let validator = JwtValidator::builder()
        .key(VerifyingKey::hmac(Algorithm::HS256, HMAC).expect("key"))
        .issuer("i")
        .audience("a");
    assert_no_bytes("JwtValidatorBuilder", &both(&validator));
    let validator = validator.build().expect("validator");
    assert_no_bytes("JwtValidator", &both(&validator));
    let signing = SigningKey::hmac(Algorithm::HS256, HMAC).expect("key");
    assert_no_bytes("SigningKey", &both(&signing));
    let issuer = JwtIssuer::new(signing, "i", "a");
    assert_no_bytes("JwtIssuer", &both(&issuer));

    assert_no_bytes(
        "KeyHasher",
        &both(&KeyHasher::with_pepper(PEPPER.as_bytes()).expect("pepper")),
    );
    let keys = ApiKeyValidator::builder(Arc::new(MemoryStore::new())).pepper(PEPPER.as_bytes());
    assert_no_bytes("ApiKeyValidatorBuilder", &both(&keys));
    assert_no_bytes("ApiKeyValidator", &both(&keys.build().expect("keys")));

    let sessions = JwtIssuer::new(
        SigningKey::hmac(Algorithm::HS256, HMAC).expect("key"),
        "i",
        "a",
    );
    let login = Login::builder("https://app.example", sessions)
        .cookie_secret(COOKIE.as_bytes())
        .provider(auth_core::login::GitHubProvider::new(
            "client-id",
            CLIENT_SECRET,
        ))
        .on_sign_in(|id| Ok(SessionGrant::new(id.subject.clone())));
    assert_no_bytes("LoginBuilder", &both(&login));
    let login = login.build().expect("login");
    let shown = both(&login);
    assert_no_bytes("Login", &shown);
    assert_hidden("Login", &shown);
}
