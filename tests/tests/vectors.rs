//! Data-driven tests: the RFC 7515 / RFC 8037 examples and the Wycheproof vectors, run
//! through the validator (JWS) and the key primitive (raw signatures), and cross-checked
//! against jsonwebtoken where it can take the same input.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::path::PathBuf;

use auth_core::jwt::{Algorithm, JwtValidator, VerifyingKey};
use serde_json::Value;

fn vectors_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("vectors")
}

fn load(name: &str) -> Value {
    let path = vectors_dir().join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).expect("vector JSON")
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

fn jws_validator(key: VerifyingKey) -> JwtValidator {
    JwtValidator::builder()
        .key(key)
        .allow_missing_exp()
        .build()
        .expect("validator")
}

#[test]
fn rfc_examples() {
    let data = load("rfc.json");
    let vectors = data["vectors"].as_array().expect("vectors");
    assert_eq!(vectors.len(), 5);
    for v in vectors {
        let name = v["name"].as_str().unwrap();
        let key =
            VerifyingKey::from_jwk(&v["jwk"].to_string()).unwrap_or_else(|e| panic!("{name}: {e}"));
        let validator = jws_validator(key);
        let token = v["token"].as_str().unwrap();
        let result = validator.verify_jws_now(token);
        if v["valid"].as_bool().unwrap() {
            let payload = result.unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(payload, v["payload"].as_str().unwrap().as_bytes(), "{name}");
        } else {
            assert!(result.is_err(), "{name} must be refused");
        }
    }
}

#[test]
fn rfc_7515_jwt_claims_are_checked_at_their_time() {
    let data = load("rfc.json");
    let v = &data["vectors"][0];
    let validator = JwtValidator::builder()
        .key(VerifyingKey::from_jwk(&v["jwk"].to_string()).unwrap())
        .issuer("joe")
        .build()
        .unwrap();
    let token = v["token"].as_str().unwrap();
    // exp is 1300819380 (March 2011): valid just before, expired now.
    assert!(validator.verify_at(token, 1_300_819_000).is_ok());
    assert_eq!(
        validator.verify_now(token).err(),
        Some(auth_core::error::TokenError::Expired)
    );
}

/// Wycheproof's JWS file names P-521 keys `ES521`; the registered name is `ES512`.
fn fix_alg(mut jwk: Value) -> Value {
    if jwk["alg"] == "ES521" {
        jwk["alg"] = "ES512".into();
    }
    jwk
}

/// Vectors where our verdict differs from Wycheproof's on purpose: a stricter policy.
const DELIBERATE: &[(i64, &str)] = &[
    (
        346,
        "key bound to PS256; the token says PS384 (RFC 8725 §3.1: one algorithm per key)",
    ),
    (
        350,
        "key bound to PS256; the token says PS384 (RFC 8725 §3.1: one algorithm per key)",
    ),
    (
        357,
        "the HMAC key is all zero bytes: refused at configuration as a weak secret",
    ),
    (
        358,
        "the HMAC key is all zero bytes: refused at configuration as a weak secret",
    ),
    (
        359,
        "the HMAC key is all zero bytes: refused at configuration as a weak secret",
    ),
    (
        376,
        "the HMAC key is all zero bytes: refused at configuration as a weak secret",
    ),
    (
        377,
        "the HMAC key is all zero bytes: refused at configuration as a weak secret",
    ),
    (
        372,
        "a character outside base64url in the header: non-canonical encodings are refused",
    ),
    (
        373,
        "a character outside base64url in the payload: non-canonical encodings are refused",
    ),
];

#[test]
fn wycheproof_json_web_signature() {
    let data = load("wycheproof/json_web_signature_test.json");
    let (mut checked, mut jsonwebtoken_agreed, mut jsonwebtoken_checked) = (0, 0, 0);
    let mut failures = Vec::new();
    for group in data["testGroups"].as_array().unwrap() {
        let jwk = fix_alg(group.get("public").unwrap_or(&group["private"]).clone());
        let key = VerifyingKey::from_jwk(&jwk.to_string());
        for t in group["tests"].as_array().unwrap() {
            let id = t["tcId"].as_i64().unwrap();
            let want_valid = t["result"] == "valid";
            let jws = t["jws"].as_str().unwrap_or_default();
            let ours = match &key {
                // A key we refuse to load (encryption keys) makes every token invalid.
                Err(_) => false,
                Ok(_) => {
                    let key = VerifyingKey::from_jwk(&jwk.to_string()).unwrap();
                    jws_validator(key).verify_jws_now(jws).is_ok()
                }
            };
            checked += 1;
            let deliberate = DELIBERATE.iter().any(|(d, _)| *d == id);
            if deliberate {
                // Documented divergences must stay divergent (and only in the strict direction).
                if ours || !want_valid {
                    failures.push(format!("tcId {id}: expected a deliberate refusal"));
                }
            } else if t["result"] != "acceptable" && ours != want_valid {
                failures.push(format!("tcId {id} ({}): ours={ours}", t["comment"]));
            }
            // jsonwebtoken at the signature level (its `decode` needs a JSON payload, which
            // these vectors lack), on the same key: informational, since at that level it
            // neither binds the key to an algorithm nor honours `use`/`key_ops`.
            if let (Ok(jwk), Ok(header)) = (
                serde_json::from_value::<jsonwebtoken::jwk::Jwk>(jwk.clone()),
                jsonwebtoken::decode_header(jws),
            ) && let (Ok(dk), Some((input, sig))) = (
                jsonwebtoken::DecodingKey::from_jwk(&jwk),
                jws.rsplit_once('.'),
            ) {
                jsonwebtoken_checked += 1;
                let theirs = jsonwebtoken::crypto::verify(sig, input.as_bytes(), &dk, header.alg)
                    .unwrap_or(false)
                    && jws.matches('.').count() == 2;
                if theirs == ours {
                    jsonwebtoken_agreed += 1;
                } else {
                    println!(
                        "tcId {id} ({}): ours={ours} jsonwebtoken={theirs}",
                        t["comment"]
                    );
                }
            }
        }
    }
    println!(
        "wycheproof JWS: {checked} checked; jsonwebtoken agreed on {jsonwebtoken_agreed} of {jsonwebtoken_checked} it could run"
    );
    assert!(checked >= 400, "only {checked} vectors");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Raw signature vectors through the key primitive the validator uses.
fn raw_vectors(file: &str, alg: Algorithm) -> usize {
    let data = load(&format!("wycheproof/{file}"));
    let mut failures = Vec::new();
    let mut checked = 0;
    for group in data["testGroups"].as_array().unwrap() {
        let der = hex(group["publicKeyDer"].as_str().unwrap());
        let key = match VerifyingKey::from_der(alg, &der) {
            Ok(k) => k,
            Err(e) => {
                // Only refusals of keys we never accept are allowed here.
                assert!(
                    matches!(e, auth_core::error::ConfigError::RsaKeyTooSmall(_)),
                    "{file}: key refused: {e}"
                );
                continue;
            }
        };
        for t in group["tests"].as_array().unwrap() {
            if t["result"] == "acceptable" {
                continue;
            }
            checked += 1;
            let ok = key.verify_signature(
                &hex(t["msg"].as_str().unwrap()),
                &hex(t["sig"].as_str().unwrap()),
            );
            if ok != (t["result"] == "valid") {
                failures.push(format!(
                    "{file} tcId {}: {} ours={ok}",
                    t["tcId"], t["comment"]
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    checked
}

#[test]
fn wycheproof_ecdsa_p256_p1363() {
    assert!(raw_vectors("ecdsa_secp256r1_sha256_p1363_test.json", Algorithm::ES256) > 200);
}

#[test]
fn wycheproof_ecdsa_p384_p1363() {
    assert!(raw_vectors("ecdsa_secp384r1_sha384_p1363_test.json", Algorithm::ES384) > 200);
}

#[test]
fn wycheproof_ed25519() {
    assert!(raw_vectors("ed25519_test.json", Algorithm::EdDSA) > 100);
}

#[test]
fn wycheproof_rsa_pkcs1_2048_sha256() {
    assert!(raw_vectors("rsa_signature_2048_sha256_test.json", Algorithm::RS256) > 200);
}

#[test]
fn wycheproof_rsa_pss_2048_sha256() {
    assert!(raw_vectors("rsa_pss_2048_sha256_mgf1_32_test.json", Algorithm::PS256) > 50);
}
