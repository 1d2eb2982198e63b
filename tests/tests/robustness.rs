//! No input makes the library panic or answer 500: mutated tokens, random header values,
//! and random (validly signed) payloads, through the core and both adapters.
//!
//! A small deterministic generator (xorshift) keeps the runs reproducible without a crate.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use auth_core::{
    jwt::Algorithm,
    request::StaticRequest,
    test_util::{TestKey, TokenBuilder, sign_raw},
};
use auth_tests::{
    AUDIENCE, Fixture, ISSUER, TestRequest, actix_config, axum_app, call_actix, call_axum,
    keys::KeyFixture,
};

use auth_tests::rng::Rng;

const ALPHABET: &[char] = &[
    'a', 'Z', '0', '-', '_', '.', '=', '+', '/', ' ', '\t', '"', '\\', '{', '}', '%', 'é', '\u{0}',
    '\u{7f}', '😀',
];

fn mutate(rng: &mut Rng, token: &str) -> String {
    let mut chars: Vec<char> = token.chars().collect();
    for _ in 0..=rng.below(4) {
        match rng.below(4) {
            0 if !chars.is_empty() => {
                let i = rng.below(chars.len());
                chars[i] = ALPHABET[rng.below(ALPHABET.len())];
            }
            1 if !chars.is_empty() => {
                let i = rng.below(chars.len());
                chars.truncate(i);
            }
            2 => {
                let i = rng.below(chars.len() + 1);
                chars.insert(i, ALPHABET[rng.below(ALPHABET.len())]);
            }
            _ => {
                let i = rng.below(chars.len() + 1);
                chars.insert(i, '.');
            }
        }
    }
    chars.into_iter().collect()
}

fn random_json(rng: &mut Rng, depth: usize) -> String {
    match rng.below(if depth > 3 { 4 } else { 7 }) {
        0 => format!("{}", rng.next_u64() as i64),
        1 => format!("{}.{}e{}", rng.below(100), rng.below(100), rng.below(400)),
        2 => format!(
            "\"{}\\u00e9\\n{}\"",
            rng.below(1000),
            ALPHABET[rng.below(10)]
        ),
        3 => ["true", "null", "false", "-0"][rng.below(4)].to_owned(),
        4 => {
            let items: Vec<String> = (0..rng.below(4))
                .map(|_| random_json(rng, depth + 1))
                .collect();
            format!("[{}]", items.join(","))
        }
        _ => {
            let names = [
                "exp", "nbf", "iat", "iss", "aud", "sub", "scope", "scp", "jti", "x", "exp",
            ];
            let members: Vec<String> = (0..rng.below(6))
                .map(|_| {
                    format!(
                        "\"{}\":{}",
                        names[rng.below(names.len())],
                        random_json(rng, depth + 1)
                    )
                })
                .collect();
            format!("{{{}}}", members.join(","))
        }
    }
}

#[test]
fn mutated_tokens_and_random_payloads_never_panic() {
    let fx = Fixture::new();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let good = TokenBuilder::valid(&fx.es, ISSUER, AUDIENCE, "u").sign(&fx.es);
    let mut verdicts = [0usize; 2];
    for _ in 0..20_000 {
        let token = mutate(&mut rng, &good);
        verdicts[usize::from(fx.validator.verify_now(&token).is_ok())] += 1;
        let header = format!("Bearer {token}");
        let req = StaticRequest::new().header("authorization", header.as_bytes());
        if let Err(e) = fx.validator.authenticate_now(&req) {
            assert!(
                matches!(fx.validator.reject(&e).status, 400 | 401),
                "{token}"
            );
        }
    }
    assert!(
        verdicts[0] > 19_000,
        "mutations should almost all fail: {verdicts:?}"
    );

    let hs = TestKey::hmac(Algorithm::HS256, auth_tests::HS_SECRET);
    for _ in 0..5_000 {
        let payload = random_json(&mut rng, 0);
        let token = sign_raw(br#"{"alg":"HS256"}"#, payload.as_bytes(), &hs);
        let _ = fx.validator.verify_claims_now::<serde_json::Value>(&token);
    }
}

#[actix_web::test]
async fn adapters_answer_random_input_with_4xx_and_identically() {
    let fx = Fixture::new();
    let keys = KeyFixture::new();
    let mut rng = Rng(42);
    let axum = axum_app(fx.validator.clone());
    let actix = actix_web::test::init_service(
        actix_web::App::new().configure(actix_config(fx.validator.clone())),
    )
    .await;
    let good = TokenBuilder::valid(&fx.hs, ISSUER, AUDIENCE, "u").sign(&fx.hs);
    for _ in 0..300 {
        // Only header-safe mutations reach an HTTP request.
        let token: String = mutate(&mut rng, &good)
            .chars()
            .filter(|c| c.is_ascii_graphic() || *c == ' ')
            .collect();
        let req = TestRequest {
            uri: ["/me", "/admin", "/optional"][rng.below(3)].into(),
            headers: vec![("authorization".into(), format!("Bearer {token}"))],
        };
        let a = call_axum(&axum, &req).await;
        let b = call_actix(&actix, &req).await;
        assert!(matches!(a.status, 200 | 400 | 401 | 403), "{a:?}");
        assert_eq!(a, b, "adapters differ on {token}");
    }
    for _ in 0..2_000 {
        let len = rng.below(80);
        let value: String = (0..len)
            .map(|_| ALPHABET[rng.below(ALPHABET.len())])
            .collect();
        let req = StaticRequest::new().header("x-api-key", value.as_bytes());
        if let Err(e) = keys.validator.authenticate(&req).await {
            assert_eq!(keys.validator.reject(&e).status, 401, "{value:?}");
        }
    }
}
