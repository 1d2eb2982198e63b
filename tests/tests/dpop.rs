//! DPoP (RFC 9449) through both adapters: a table of proofs, good and forged (wrong
//! method, wrong URL, stale or future, replayed, wrong `ath`, a foreign key, `alg` `none`,
//! HMAC, a private key embedded, another `typ`, no or two headers), each expected to get the
//! same answer from axum and actix-web; and a bound token sent as `Bearer`, refused.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use auth_core::{
    jwt::{Algorithm, Dpop, JwtValidator},
    test_util::{TokenBuilder, b64url, now},
};
use auth_tests::{
    AUDIENCE, Fixture, ISSUER, REALM, TestRequest, TestResponse, actix_config, axum_app,
    call_actix, call_axum,
    dpop::{DpopKey, ath},
};
use serde_json::json;

const BASE: &str = "https://api.test";

fn request(auth: &str, proofs: &[&str]) -> TestRequest {
    let mut headers = vec![("authorization".to_owned(), auth.to_owned())];
    headers.extend(proofs.iter().map(|p| ("dpop".to_owned(), (*p).to_owned())));
    TestRequest {
        uri: "/me".into(),
        headers,
    }
}

/// The fixture's ES256 key, and `dpop`.
fn validator(fx: &Fixture, dpop: Dpop) -> JwtValidator {
    JwtValidator::builder()
        .key(fx.es.verifying_key())
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .realm(REALM)
        .dpop(dpop)
        .build()
        .unwrap()
}

/// A token bound to `client`'s key (`cnf.jkt`).
fn bound_to(fx: &Fixture, client: &DpopKey) -> String {
    TokenBuilder::valid(&fx.es, ISSUER, AUDIENCE, "user-1")
        .claim("cnf", json!({ "jkt": client.thumbprint() }))
        .sign(&fx.es)
}

#[actix_web::test]
async fn dpop_proofs_are_checked_alike_through_both_adapters() {
    let fx = Fixture::new();
    // One validator (one replay cache) per adapter: each sees every proof once.
    let validator = || validator(&fx, Dpop::new(BASE).unwrap());
    let axum = axum_app(validator());
    let actix =
        actix_web::test::init_service(actix_web::App::new().configure(actix_config(validator())))
            .await;
    let client = DpopKey::new(Algorithm::ES256);
    let other = DpopKey::new(Algorithm::ES256);
    let bound = bound_to(&fx, &client);
    let unbound = TokenBuilder::valid(&fx.es, ISSUER, AUDIENCE, "user-1").sign(&fx.es);
    let url = format!("{BASE}/me");
    let dpop = format!("DPoP {bound}");
    let claims = |changes: serde_json::Value| {
        let mut c = json!({
            "jti": b64url(format!("jti-{}", rand())), "htm": "GET", "htu": url,
            "iat": now(), "ath": ath(&bound),
        });
        if let (Some(c), serde_json::Value::Object(extra)) = (c.as_object_mut(), changes) {
            for (k, v) in extra {
                if v.is_null() {
                    c.remove(&k);
                } else {
                    c.insert(k, v);
                }
            }
        }
        c
    };
    let good = client.proof("GET", &url, Some(&bound));
    let header = client.header();
    let mut private = header.clone();
    private["jwk"]["d"] = json!("AAAA");
    let mut typ = header.clone();
    typ["typ"] = json!("JWT");
    let mut none = header.clone();
    none["alg"] = json!("none");
    let unsigned = format!(
        "{}.{}.",
        b64url(none.to_string()),
        b64url(claims(json!({})).to_string())
    );
    let hmac = format!(
        "{}.{}.{}",
        b64url(
            json!({"typ": "dpop+jwt", "alg": "HS256", "jwk": {"kty": "oct", "k": "c2VjcmV0"}})
                .to_string()
        ),
        b64url(claims(json!({})).to_string()),
        b64url([0u8; 32])
    );
    // The other key's jwk, signed by the client's key: the signature fails.
    let mut swapped = header.clone();
    swapped["jwk"] = other.header()["jwk"].clone();

    let cases: Vec<(&str, TestRequest, u16, &str)> = vec![
        ("a good proof", request(&dpop, &[&good]), 200, ""),
        (
            "the same proof again",
            request(&dpop, &[&good]),
            401,
            "invalid_dpop_proof",
        ),
        ("no proof", request(&dpop, &[]), 401, "invalid_dpop_proof"),
        (
            "two proofs",
            request(
                &dpop,
                &[
                    &client.proof("GET", &url, Some(&bound)),
                    &client.proof("GET", &url, Some(&bound)),
                ],
            ),
            401,
            "invalid_dpop_proof",
        ),
        (
            "another method",
            request(
                &dpop,
                &[&client.sign(&header, &claims(json!({"htm": "POST"})))],
            ),
            401,
            "invalid_dpop_proof",
        ),
        (
            "another URL",
            request(
                &dpop,
                &[&client.sign(&header, &claims(json!({"htu": format!("{BASE}/admin")})))],
            ),
            401,
            "invalid_dpop_proof",
        ),
        (
            "another host",
            request(
                &dpop,
                &[&client.sign(&header, &claims(json!({"htu": "https://evil.test/me"})))],
            ),
            401,
            "invalid_dpop_proof",
        ),
        (
            "a query in htu is ignored",
            request(
                &dpop,
                &[&client.sign(&header, &claims(json!({"htu": format!("{url}?x=1")})))],
            ),
            200,
            "",
        ),
        (
            "stale",
            request(
                &dpop,
                &[&client.sign(&header, &claims(json!({"iat": now() - 600})))],
            ),
            401,
            "invalid_dpop_proof",
        ),
        (
            "from the future",
            request(
                &dpop,
                &[&client.sign(&header, &claims(json!({"iat": now() + 600})))],
            ),
            401,
            "invalid_dpop_proof",
        ),
        (
            "another token's ath",
            request(
                &dpop,
                &[&client.sign(&header, &claims(json!({"ath": ath("other")})))],
            ),
            401,
            "invalid_dpop_proof",
        ),
        (
            "no ath",
            request(
                &dpop,
                &[&client.sign(&header, &claims(json!({"ath": null})))],
            ),
            401,
            "invalid_dpop_proof",
        ),
        (
            "no jti",
            request(
                &dpop,
                &[&client.sign(&header, &claims(json!({"jti": null})))],
            ),
            401,
            "invalid_dpop_proof",
        ),
        (
            "a foreign key (not the token's)",
            request(&dpop, &[&other.sign(&other.header(), &claims(json!({})))]),
            401,
            "invalid_dpop_proof",
        ),
        (
            "a jwk that did not sign",
            request(&dpop, &[&client.sign(&swapped, &claims(json!({})))]),
            401,
            "invalid_dpop_proof",
        ),
        (
            "alg none",
            request(&dpop, &[&unsigned]),
            401,
            "invalid_dpop_proof",
        ),
        ("HMAC", request(&dpop, &[&hmac]), 401, "invalid_dpop_proof"),
        (
            "a good proof on a route the token lacks the scope for",
            TestRequest {
                uri: "/admin".into(),
                ..request(
                    &dpop,
                    &[&client.proof("GET", &format!("{BASE}/admin"), Some(&bound))],
                )
            },
            403,
            "insufficient_scope",
        ),
        (
            "a private key embedded",
            request(&dpop, &[&client.sign(&private, &claims(json!({})))]),
            401,
            "invalid_dpop_proof",
        ),
        (
            "typ JWT",
            request(&dpop, &[&client.sign(&typ, &claims(json!({})))]),
            401,
            "invalid_dpop_proof",
        ),
        (
            "garbage",
            request(&dpop, &["a.b.c"]),
            401,
            "invalid_dpop_proof",
        ),
        (
            "an unbound token with a good proof",
            request(
                &format!("DPoP {unbound}"),
                &[&client.sign(&header, &claims(json!({"ath": ath(&unbound)})))],
            ),
            401,
            "invalid_dpop_proof",
        ),
        (
            "a bound token as Bearer",
            request(&format!("Bearer {bound}"), &[]),
            401,
            "invalid_token",
        ),
        (
            "a bound token as Bearer, with a proof",
            request(
                &format!("Bearer {bound}"),
                &[&client.proof("GET", &url, Some(&bound))],
            ),
            401,
            "invalid_token",
        ),
        (
            "an unbound token as Bearer",
            request(&format!("Bearer {unbound}"), &[]),
            200,
            "",
        ),
        (
            "a tampered token",
            request(
                &format!("DPoP {bound}x"),
                &[&client.proof("GET", &url, Some(&bound))],
            ),
            401,
            "invalid_token",
        ),
    ];
    let mut failures = Vec::new();
    for (name, req, status, error) in cases {
        let a: TestResponse = call_axum(&axum, &req).await;
        let b: TestResponse = call_actix(&actix, &req).await;
        if a != b {
            failures.push(format!("{name}: adapters differ\n  {a:?}\n  {b:?}"));
        }
        let challenge = a.www_authenticate.clone().unwrap_or_default();
        let scheme = if name.contains("Bearer") {
            "Bearer"
        } else {
            "DPoP"
        };
        let ok = a.status == status
            && (error.is_empty()
                || challenge.starts_with(&format!(r#"{scheme} realm="{REALM}", error="{error}""#)));
        if !ok {
            failures.push(format!("{name}: expected {status} {error}, got {a:?}"));
        }
        if a.body.contains(&bound) || challenge.contains(&bound) {
            failures.push(format!("{name}: the answer echoes the token"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn rand() -> u64 {
    let mut b = [0u8; 8];
    aws_lc_rs::rand::fill(&mut b).unwrap();
    u64::from_le_bytes(b)
}

/// Server nonces (RFC 9449 §8): a proof without the server's nonce gets 401
/// `use_dpop_nonce` and a fresh one in `DPoP-Nonce`; a proof with it passes, on another
/// instance given the same secret too; a made-up nonce does not.
#[actix_web::test]
async fn server_nonces_are_asked_for_and_honoured_through_both_adapters() {
    let fx = Fixture::new();
    let secret = b"a nonce secret shared by every instance";
    let validator = || validator(&fx, Dpop::new(BASE).unwrap().server_nonces(secret).unwrap());
    let axum = axum_app(validator());
    let actix =
        actix_web::test::init_service(actix_web::App::new().configure(actix_config(validator())))
            .await;
    let client = DpopKey::new(Algorithm::ES256);
    let bound = bound_to(&fx, &client);
    let dpop = format!("DPoP {bound}");
    let url = format!("{BASE}/me");
    let with_nonce = |nonce: Option<&str>| {
        let mut claims = json!({
            "jti": b64url(format!("jti-{}", rand())), "htm": "GET", "htu": url,
            "iat": now(), "ath": ath(&bound),
        });
        if let Some(n) = nonce {
            claims["nonce"] = json!(n);
        }
        client.sign(&client.header(), &claims)
    };
    let first_a = call_axum(&axum, &request(&dpop, &[&with_nonce(None)])).await;
    let first_b = call_actix(&actix, &request(&dpop, &[&with_nonce(None)])).await;
    for first in [&first_a, &first_b] {
        assert_eq!(first.status, 401);
        assert!(
            first
                .www_authenticate
                .as_deref()
                .unwrap_or("")
                .starts_with(&format!(r#"DPoP realm="{REALM}", error="use_dpop_nonce""#)),
            "{first:?}"
        );
    }
    assert_eq!(
        first_a.dpop_nonce, first_b.dpop_nonce,
        "one nonce for both instances"
    );
    let nonce = first_a.dpop_nonce.clone().expect("a DPoP-Nonce header");
    let ok_a = call_axum(&axum, &request(&dpop, &[&with_nonce(Some(&nonce))])).await;
    let ok_b = call_actix(&actix, &request(&dpop, &[&with_nonce(Some(&nonce))])).await;
    assert_eq!((ok_a.status, ok_b.status), (200, 200));
    let forged = call_axum(
        &axum,
        &request(
            &dpop,
            &[&with_nonce(Some("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"))],
        ),
    )
    .await;
    assert_eq!(forged.status, 401);
    assert!(forged.dpop_nonce.is_some());
}
