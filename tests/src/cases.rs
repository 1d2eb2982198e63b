//! The conformance table: the bearer-transport and token rules of SECURITY.md as requests and expected answers.

use auth_core::test_util::{TestKey, TokenBuilder, b64url, now, sign_raw};
use serde_json::json;

use crate::{AUDIENCE, Fixture, ISSUER, TestRequest};

/// How the case relates to `jsonwebtoken::decode` given the same keys and policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reference {
    /// jsonwebtoken reaches the same verdict (accept or reject).
    Agrees,
    /// We refuse a token jsonwebtoken accepts, on purpose; the reason says why.
    Stricter(&'static str),
    /// Not a token-verification case (transport rules, scopes, no token).
    NotApplicable,
}

/// One row of the table.
#[derive(Debug, Clone)]
pub struct Case {
    /// A short name, shown on failure.
    pub name: String,
    /// The request.
    pub request: TestRequest,
    /// The expected status.
    pub status: u16,
    /// The expected RFC 6750 `error` attribute, if any.
    pub error: Option<&'static str>,
    /// The token sent, if the case sends one (to check it is never echoed).
    pub token: Option<String>,
    /// The relation to jsonwebtoken's verdict.
    pub reference: Reference,
}

fn get(uri: &str, headers: &[(&str, &str)]) -> TestRequest {
    TestRequest {
        uri: uri.to_owned(),
        headers: headers
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    }
}

fn valid(key: &TestKey) -> TokenBuilder {
    TokenBuilder::valid(key, ISSUER, AUDIENCE, "user-1")
}

/// Flip one base64url character of segment `seg` (0, 1, 2) at its middle.
fn tamper(token: &str, seg: usize) -> String {
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    let s = &mut parts[seg];
    let mid = s.len() / 2;
    let c = s.as_bytes()[mid];
    let new = if c == b'A' { 'B' } else { 'A' };
    s.replace_range(mid..mid + 1, &new.to_string());
    parts.join(".")
}

fn base64_decode(s: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s)
        .unwrap_or_default()
}

/// DER-encode a fixed-width ECDSA signature `R‖S` as `SEQUENCE { INTEGER r, INTEGER s }`.
fn der_ecdsa(raw: &[u8]) -> Vec<u8> {
    fn integer(bytes: &[u8]) -> Vec<u8> {
        let start = bytes
            .iter()
            .position(|&b| b != 0)
            .unwrap_or(bytes.len() - 1);
        let mut v = bytes[start..].to_vec();
        if v[0] & 0x80 != 0 {
            v.insert(0, 0);
        }
        let mut out = vec![0x02, v.len() as u8];
        out.extend(v);
        out
    }
    let (r, s) = raw.split_at(raw.len() / 2);
    let body = [integer(r), integer(s)].concat();
    let mut out = vec![0x30, body.len() as u8];
    out.extend(body);
    out
}

/// Build the table.
pub fn cases(fx: &Fixture) -> Vec<Case> {
    let mut out = Vec::new();
    let mut token_case =
        |name: &str, uri: &str, token: String, status: u16, reference: Reference| {
            let error = match status {
                200 => None,
                400 => Some("invalid_request"),
                403 => Some("insufficient_scope"),
                _ => Some("invalid_token"),
            };
            out.push(Case {
                name: name.to_owned(),
                request: get(uri, &[("authorization", &format!("Bearer {token}"))]),
                status,
                error,
                token: Some(token),
                reference,
            });
        };
    use Reference::*;
    let t = now();

    // --- Valid tokens, every algorithm family.
    token_case(
        "valid HS256",
        "/me",
        valid(&fx.hs).sign(&fx.hs),
        200,
        Agrees,
    );
    token_case(
        "valid RS256",
        "/me",
        valid(&fx.rs).sign(&fx.rs),
        200,
        Agrees,
    );
    token_case(
        "valid PS256",
        "/me",
        valid(&fx.ps).sign(&fx.ps),
        200,
        Agrees,
    );
    token_case(
        "valid ES256",
        "/me",
        valid(&fx.es).sign(&fx.es),
        200,
        Agrees,
    );
    token_case(
        "valid EdDSA",
        "/me",
        valid(&fx.ed).sign(&fx.ed),
        200,
        Agrees,
    );
    token_case(
        "aud as array containing ours",
        "/me",
        valid(&fx.hs)
            .claim("aud", json!(["other", AUDIENCE]))
            .sign(&fx.hs),
        200,
        Agrees,
    );
    token_case(
        "expired within leeway",
        "/me",
        valid(&fx.hs).claim("exp", t - 30).sign(&fx.hs),
        200,
        Agrees,
    );

    // --- Time claims (B.26).
    token_case(
        "expired",
        "/me",
        valid(&fx.hs).claim("exp", t - 120).sign(&fx.hs),
        401,
        Agrees,
    );
    token_case(
        "not yet valid",
        "/me",
        valid(&fx.hs).claim("nbf", t + 120).sign(&fx.hs),
        401,
        Agrees,
    );
    token_case(
        "issued in the future",
        "/me",
        valid(&fx.hs).claim("iat", t + 120).sign(&fx.hs),
        401,
        Stricter("jsonwebtoken does not check iat"),
    );
    token_case(
        "missing exp",
        "/me",
        valid(&fx.hs).remove_claim("exp").sign(&fx.hs),
        401,
        Agrees,
    );
    // Found by the differential fuzz target (fuzz/corpus/jwt_differential/regression-*).
    token_case(
        "missing iss with an issuer configured",
        "/me",
        valid(&fx.hs).remove_claim("iss").sign(&fx.hs),
        401,
        Stricter("jsonwebtoken checks iss only when the token has one"),
    );
    token_case(
        "missing aud with an audience configured",
        "/me",
        valid(&fx.hs).remove_claim("aud").sign(&fx.hs),
        401,
        Stricter("jsonwebtoken checks aud only when the token has one"),
    );

    // --- Issuer and audience (B.28, B.29).
    token_case(
        "wrong issuer",
        "/me",
        valid(&fx.hs).claim("iss", "https://evil.test").sign(&fx.hs),
        401,
        Agrees,
    );
    token_case(
        "issuer with trailing slash",
        "/me",
        valid(&fx.hs)
            .claim("iss", format!("{ISSUER}/"))
            .sign(&fx.hs),
        401,
        Agrees,
    );
    token_case(
        "wrong audience",
        "/me",
        valid(&fx.hs).claim("aud", "other").sign(&fx.hs),
        401,
        Agrees,
    );
    token_case(
        "empty audience array",
        "/me",
        valid(&fx.hs).claim("aud", json!([])).sign(&fx.hs),
        401,
        Agrees,
    );

    // --- alg none in every letter case (B.10, B.11).
    for none in ["none", "None", "NONE", "nOnE"] {
        token_case(
            &format!("alg {none}"),
            "/me",
            valid(&fx.hs).header("alg", none).unsigned(),
            401,
            Agrees,
        );
    }

    // --- Algorithm confusion: HS256 with the public key as the secret (B.12, B.13).
    token_case(
        "HS256 signed with the RSA public key PEM, kid rsa",
        "/me",
        valid(&fx.rs)
            .header("alg", "HS256")
            .sign_hs256_with(fx.rs.public_pem().as_bytes()),
        401,
        Agrees,
    );
    token_case(
        "HS256 signed with the RSA public key DER, no kid",
        "/me",
        valid(&fx.hs).sign_hs256_with(&fx.rs.public_der()),
        401,
        Agrees,
    );
    token_case(
        "HS256 signed with the EC public key PEM, kid ec",
        "/me",
        valid(&fx.es)
            .header("alg", "HS256")
            .sign_hs256_with(fx.es.public_pem().as_bytes()),
        401,
        Agrees,
    );
    token_case(
        "RS256 header on the EC key id",
        "/me",
        valid(&fx.es).header("alg", "RS256").sign(&fx.rs),
        401,
        Agrees,
    );
    token_case(
        "PS256 token presented under the RS256 key id",
        "/me",
        valid(&fx.rs).header("alg", "PS256").sign(&fx.ps),
        401,
        Agrees,
    );

    // --- Wrong key, tampering, truncation (B.11, B.37).
    let other_hs = TestKey::hmac(
        auth_core::jwt::Algorithm::HS256,
        b"another-secret-that-nobody-trusts-0123",
    );
    token_case(
        "HS256 wrong secret",
        "/me",
        valid(&fx.hs).sign(&other_hs),
        401,
        Agrees,
    );
    let attacker_rs = TestKey::new(auth_core::jwt::Algorithm::RS256).with_kid("rsa");
    token_case(
        "RS256 attacker key, same kid",
        "/me",
        valid(&attacker_rs).sign(&attacker_rs),
        401,
        Agrees,
    );
    let good = valid(&fx.es).sign(&fx.es);
    token_case("tampered payload", "/me", tamper(&good, 1), 401, Agrees);
    token_case("tampered signature", "/me", tamper(&good, 2), 401, Agrees);
    token_case(
        "tampered header",
        "/me",
        tamper(&valid(&fx.rs).sign(&fx.rs), 0),
        401,
        Agrees,
    );
    let (signing_input, _) = good.rsplit_once('.').unwrap_or_default();
    token_case(
        "empty signature",
        "/me",
        format!("{signing_input}."),
        401,
        Agrees,
    );
    token_case(
        "missing signature segment",
        "/me",
        signing_input.to_owned(),
        401,
        Agrees,
    );
    token_case(
        "truncated signature",
        "/me",
        good[..good.len() - 10].to_owned(),
        401,
        Agrees,
    );
    token_case(
        "ES256 all-zero signature (psychic signature)",
        "/me",
        format!("{signing_input}.{}", b64url([0u8; 64])),
        401,
        Agrees,
    );
    token_case(
        "ES256 signature in DER form instead of R||S",
        "/me",
        {
            let (_, sig) = good.rsplit_once('.').unwrap_or_default();
            let raw = base64_decode(sig);
            format!("{signing_input}.{}", b64url(der_ecdsa(&raw)))
        },
        401,
        Agrees,
    );
    token_case(
        "HS256 signed with an empty secret",
        "/me",
        valid(&fx.hs).sign_hs256_with(b""),
        401,
        Agrees,
    );
    token_case(
        "JWE-shaped five segments",
        "/me",
        format!("{good}.a.b"),
        401,
        Agrees,
    );

    // --- kid injection (B.17): opaque map keys, unknown kid is just unknown.
    for kid in [
        "../../dev/null",
        "/dev/null",
        "' UNION SELECT '1",
        "|sleep 10",
    ] {
        token_case(
            &format!("kid {kid}"),
            "/me",
            valid(&fx.hs).header("kid", kid).sign(&fx.hs),
            401,
            Agrees,
        );
    }
    token_case(
        "kid of 10 KB",
        "/me",
        valid(&fx.hs).header("kid", "k".repeat(10_000)).sign(&fx.hs),
        401,
        Agrees,
    );

    // --- Key references in the header (B.14, B.15) and crit (B.18).
    token_case(
        "jku header",
        "/me",
        valid(&fx.rs)
            .header("jku", "https://evil.test/jwks")
            .sign(&fx.rs),
        401,
        Stricter("jsonwebtoken ignores jku; we refuse tokens that point at keys"),
    );
    token_case(
        "x5u header",
        "/me",
        valid(&fx.rs)
            .header("x5u", "https://evil.test/cert")
            .sign(&fx.rs),
        401,
        Stricter("jsonwebtoken ignores x5u; we refuse tokens that point at keys"),
    );
    let attacker_ec = TestKey::new(auth_core::jwt::Algorithm::ES256);
    token_case(
        "embedded jwk signed by the attacker",
        "/me",
        valid(&attacker_ec)
            .header("jwk", attacker_ec.public_jwk())
            .sign(&attacker_ec),
        401,
        Agrees,
    );
    token_case(
        "crit with an unknown extension",
        "/me",
        valid(&fx.hs)
            .header("crit", json!(["exp2"]))
            .header("exp2", 1)
            .sign(&fx.hs),
        401,
        Stricter("jsonwebtoken does not enforce crit"),
    );
    token_case(
        "crit with an empty list",
        "/me",
        valid(&fx.hs).header("crit", json!([])).sign(&fx.hs),
        401,
        Stricter("jsonwebtoken does not enforce crit"),
    );

    // --- Malformed encodings and JSON (B.30, B.31, B.32).
    let claims = valid(&fx.hs).claims_json();
    let header = r#"{"alg":"HS256","typ":"JWT"}"#;
    token_case(
        "header is not JSON",
        "/me",
        sign_raw(b"{alg:HS256}", claims.as_bytes(), &fx.hs),
        401,
        Agrees,
    );
    token_case(
        "payload is not JSON",
        "/me",
        sign_raw(header.as_bytes(), b"not json", &fx.hs),
        401,
        Agrees,
    );
    token_case(
        "payload is a JSON array",
        "/me",
        sign_raw(header.as_bytes(), b"[1,2]", &fx.hs),
        401,
        Agrees,
    );
    token_case(
        "duplicate alg in header",
        "/me",
        sign_raw(
            br#"{"alg":"HS256","alg":"HS256"}"#,
            claims.as_bytes(),
            &fx.hs,
        ),
        401,
        Agrees,
    );
    token_case(
        "duplicate unregistered header member",
        "/me",
        sign_raw(br#"{"alg":"HS256","x":1,"x":2}"#, claims.as_bytes(), &fx.hs),
        401,
        Stricter("jsonwebtoken ignores unknown header members, repeated or not"),
    );
    let dup_claims = claims.replacen('{', r#"{"sub":"admin","#, 1);
    token_case(
        "duplicate sub in payload",
        "/me",
        sign_raw(header.as_bytes(), dup_claims.as_bytes(), &fx.hs),
        401,
        Agrees,
    );
    let dup_custom = claims.replacen('{', r#"{"role":"user","role":"admin","#, 1);
    token_case(
        "duplicate custom claim in payload",
        "/me",
        sign_raw(header.as_bytes(), dup_custom.as_bytes(), &fx.hs),
        401,
        Stricter(
            "jsonwebtoken keeps the last of repeated custom claims; we refuse (RFC 8725 §2.6)",
        ),
    );
    token_case(
        "base64 padding on the signature",
        "/me",
        format!("{}==", valid(&fx.hs).sign(&fx.hs)),
        401,
        Agrees,
    );
    let std_alphabet = {
        // A header whose base64 uses '+' where base64url has '-'.
        let h = b64url(br#"{"alg":"HS256","typ":"JWT","x":">>>"}"#).replace('-', "+");
        let t = valid(&fx.hs).sign(&fx.hs);
        let (_, rest) = t.split_once('.').unwrap_or_default();
        format!("{h}.{rest}")
    };
    token_case("standard base64 alphabet", "/me", std_alphabet, 401, Agrees);

    // --- Registered claims of the wrong type (B.27).
    for (claim, value, reference) in [
        ("exp", json!("9999999999"), Agrees),
        ("nbf", json!("x"), Agrees),
        (
            "aud",
            json!({}),
            Stricter("jsonwebtoken treats a wrongly typed aud as absent (CVE-2026-25537 class)"),
        ),
        (
            "iss",
            json!(1),
            Stricter("jsonwebtoken treats a wrongly typed iss as absent (CVE-2026-25537 class)"),
        ),
    ] {
        token_case(
            &format!("{claim} of the wrong type"),
            "/me",
            valid(&fx.hs).claim(claim, value).sign(&fx.hs),
            401,
            reference,
        );
    }

    // --- Oversized (B.32, B.33): refused before decoding.
    token_case(
        "token of 9000 characters",
        "/me",
        "a".repeat(9000),
        401,
        Agrees,
    );
    token_case("100 KB of dots", "/me", ".".repeat(100_000), 401, Agrees);

    // --- Scopes (A.4).
    let admin = valid(&fx.hs).claim("scope", "read admin").sign(&fx.hs);
    token_case("admin scope on /admin", "/admin", admin, 200, NotApplicable);
    let scp = valid(&fx.es).claim("scp", json!(["admin"])).sign(&fx.es);
    token_case("admin via scp array", "/admin", scp, 200, NotApplicable);
    let no_admin = valid(&fx.hs).claim("scope", "read").sign(&fx.hs);
    token_case("missing scope", "/admin", no_admin, 403, NotApplicable);
    let upper = valid(&fx.hs).claim("scope", "Admin").sign(&fx.hs);
    token_case(
        "scope names are case-sensitive",
        "/admin",
        upper,
        403,
        NotApplicable,
    );
    let expired_admin = valid(&fx.hs)
        .claim("scope", "admin")
        .claim("exp", t - 300)
        .sign(&fx.hs);
    token_case(
        "expired token on a scoped route",
        "/admin",
        expired_admin,
        401,
        NotApplicable,
    );
    // --- Roles from nested claims (issue: roles and permissions).
    let role = |claim: &str, value: serde_json::Value| {
        valid(&fx.hs)
            .claim("scope", "read")
            .claim(claim, value)
            .sign(&fx.hs)
    };
    token_case(
        "role admin in roles grants /staff",
        "/staff",
        role("roles", json!(["admin"])),
        200,
        NotApplicable,
    );
    token_case(
        "role admin in realm_access.roles grants /staff",
        "/staff",
        role("realm_access", json!({"roles": ["user", "admin"]})),
        200,
        NotApplicable,
    );
    token_case(
        "scope admin grants /staff without a role",
        "/staff",
        valid(&fx.es).claim("scope", "admin").sign(&fx.es),
        200,
        NotApplicable,
    );
    token_case(
        "neither scope nor role on /staff",
        "/staff",
        role("roles", json!(["user"])),
        403,
        NotApplicable,
    );
    token_case(
        "role names are case-sensitive",
        "/staff",
        role("roles", json!(["Admin"])),
        403,
        NotApplicable,
    );
    token_case(
        "a role in an unread claim counts for nothing",
        "/staff",
        role("groups", json!(["admin"])),
        403,
        NotApplicable,
    );
    token_case(
        "roles as an object are no roles",
        "/staff",
        role("roles", json!({"admin": true})),
        403,
        NotApplicable,
    );
    token_case(
        "a role given as a scope grants nothing",
        "/ops",
        valid(&fx.hs).claim("scope", "ops").sign(&fx.hs),
        403,
        NotApplicable,
    );
    token_case(
        "role ops grants /ops",
        "/ops",
        role("realm_access", json!({"roles": ["ops"]})),
        200,
        NotApplicable,
    );
    token_case(
        "expired token with the role",
        "/staff",
        valid(&fx.hs)
            .claim("roles", json!(["admin"]))
            .claim("exp", t - 300)
            .sign(&fx.hs),
        401,
        NotApplicable,
    );

    token_case(
        "optional route with a valid token",
        "/optional",
        valid(&fx.ed).sign(&fx.ed),
        200,
        NotApplicable,
    );
    token_case(
        "optional route with an invalid token",
        "/optional",
        tamper(&valid(&fx.ed).sign(&fx.ed), 2),
        401,
        NotApplicable,
    );

    // --- Transport (A.1, A.2, A.5, A.6, A.8).
    let token = valid(&fx.hs).sign(&fx.hs);
    let transport = |name: &str, uri: &str, headers: &[(&str, &str)], status, error| Case {
        name: name.to_owned(),
        request: get(uri, headers),
        status,
        error,
        token: Some(token.clone()),
        reference: NotApplicable,
    };
    let bearer = format!("Bearer {token}");
    let lower = format!("bearer {token}");
    let upper = format!("BEARER {token}");
    let spaced = format!("Bearer  {token}");
    let two = format!("Bearer {token} {token}");
    let query = format!("/me?access_token={token}");
    let padded_header = {
        let (h, rest) = token.split_once('.').unwrap_or_default();
        format!("Bearer {h}==.{rest}")
    };
    out.extend([
        transport("no credential", "/me", &[], 401, None),
        transport("no credential on /admin", "/admin", &[], 401, None),
        transport("no credential on /staff", "/staff", &[], 401, None),
        transport("no credential on /ops", "/ops", &[], 401, None),
        transport("no credential on /optional", "/optional", &[], 200, None),
        transport(
            "Basic scheme counts as none",
            "/me",
            &[("authorization", "Basic dXNlcjpwYXNz")],
            401,
            None,
        ),
        transport(
            "Bearer without token",
            "/me",
            &[("authorization", "Bearer")],
            400,
            Some("invalid_request"),
        ),
        transport(
            "Bearer and spaces",
            "/me",
            &[("authorization", "Bearer   ")],
            400,
            Some("invalid_request"),
        ),
        transport(
            "two tokens",
            "/me",
            &[("authorization", &two)],
            400,
            Some("invalid_request"),
        ),
        transport(
            "illegal characters",
            "/me",
            &[("authorization", "Bearer a,b")],
            400,
            Some("invalid_request"),
        ),
        transport(
            "'=' inside the token (b64token allows it only at the end)",
            "/me",
            &[("authorization", &padded_header)],
            400,
            Some("invalid_request"),
        ),
        transport(
            "two Authorization headers",
            "/me",
            &[("authorization", &bearer), ("authorization", &bearer)],
            400,
            Some("invalid_request"),
        ),
        transport(
            "Bearer plus Basic headers",
            "/admin",
            &[("authorization", &bearer), ("authorization", "Basic eA==")],
            400,
            Some("invalid_request"),
        ),
        transport(
            "lowercase scheme",
            "/me",
            &[("authorization", &lower)],
            200,
            None,
        ),
        transport(
            "uppercase scheme",
            "/me",
            &[("authorization", &upper)],
            200,
            None,
        ),
        transport(
            "two spaces after scheme",
            "/me",
            &[("authorization", &spaced)],
            200,
            None,
        ),
        transport("token only in the query", &query, &[], 401, None),
        transport(
            "token in query and header",
            &query,
            &[("authorization", &bearer)],
            200,
            None,
        ),
    ]);
    out
}
