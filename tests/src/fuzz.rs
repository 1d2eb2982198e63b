//! The fuzz targets' bodies: every parser that reads attacker-controlled bytes, each as a
//! function of one byte slice that must never panic (and, for the differential target,
//! must agree with `jsonwebtoken`). The `fuzz/` crate drives them under libFuzzer
//! (coverage-guided); `tests/tests/fuzz_smoke.rs` runs them over the committed corpus on
//! every test run. See FUZZING.md.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::{
    future::Future,
    sync::{Arc, OnceLock},
    task::{Context, Poll, Waker},
};

use auth_core::{
    apikey::{ApiKeySecret, ApiKeyValidator, MemoryStore},
    credential::{TokenSource, find_bearer},
    jwt::{Algorithm, JwtIssuer, JwtValidator, SigningKey, keys_from_jwks},
    login::{Login, LoginInput, is_local_path},
    remote::{Fetch, FetchError, FetchResponse, max_age},
    request::StaticRequest,
    test_util::{TestKey, sign_raw},
};

/// A target's body.
pub type Target = fn(&[u8]);

/// The targets, by name (the names of `fuzz/fuzz_targets/*.rs` and `fuzz/corpus/*`).
pub const TARGETS: &[(&str, Target)] = &[
    ("jwt_verify", jwt_verify),
    ("jwt_differential", jwt_differential),
    ("jwks", jwks),
    ("discovery", discovery),
    ("credentials", credentials),
    ("flow_cookie", flow_cookie),
    ("small_parsers", small_parsers),
];

const SECRET: &[u8] = b"fuzzing-secret-0123456789abcdefghij";
const ISSUER: &str = "https://issuer.fuzz";
const AUDIENCE: &str = "fuzz";

/// Poll a future that never waits (every fake here answers at once) to its end.
fn ready<F: Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
    }
}

fn validator() -> &'static JwtValidator {
    static V: OnceLock<JwtValidator> = OnceLock::new();
    V.get_or_init(|| {
        JwtValidator::builder()
            .key(auth_core::jwt::VerifyingKey::hmac(Algorithm::HS256, SECRET).unwrap())
            .issuer(ISSUER)
            .audience(AUDIENCE)
            .build()
            .unwrap()
    })
}

/// Any bytes as a token: size check, base64url, header JSON, signature, payload JSON, claims.
pub fn jwt_verify(data: &[u8]) {
    if let Ok(token) = std::str::from_utf8(data) {
        let _ = validator().verify_now(token);
        let _ = validator().verify_claims_now::<serde_json::Value>(token);
    }
}

/// Split `data` into a header and a payload (the first byte says where), sign them
/// validly with HS256, and compare our verdict with `jsonwebtoken::decode`'s under the
/// same policy. A difference must be one of the documented stricter cases (we refuse what
/// jsonwebtoken accepts, for a reason [`stricter`] recognises); we never accept what it
/// refuses.
pub fn jwt_differential(data: &[u8]) {
    let Some((&split, rest)) = data.split_first() else {
        return;
    };
    let at = usize::from(split).min(rest.len());
    let (header, payload) = rest.split_at(at);
    static KEY: OnceLock<TestKey> = OnceLock::new();
    let key = KEY.get_or_init(|| TestKey::hmac(Algorithm::HS256, SECRET));
    let token = sign_raw(header, payload, key);
    let ours = validator()
        .verify_claims_now::<serde_json::Value>(&token)
        .is_ok();
    let theirs = jsonwebtoken_accepts(&token);
    if ours && !theirs {
        panic!(
            "we accept what jsonwebtoken refuses: header {:?} payload {:?}",
            String::from_utf8_lossy(header),
            String::from_utf8_lossy(payload)
        );
    }
    if theirs && !ours && stricter(header, payload).is_none() {
        let why = validator()
            .verify_claims_now::<serde_json::Value>(&token)
            .err();
        panic!(
            "an undocumented difference ({why:?}): header {:?} payload {:?}",
            String::from_utf8_lossy(header),
            String::from_utf8_lossy(payload)
        );
    }
}

fn jsonwebtoken_accepts(token: &str) -> bool {
    use jsonwebtoken::{DecodingKey, Validation, decode, decode_header};
    let Ok(header) = decode_header(token) else {
        return false;
    };
    if header.alg != jsonwebtoken::Algorithm::HS256 {
        return false;
    }
    let mut validation = Validation::new(jsonwebtoken::Algorithm::HS256);
    validation.set_issuer(&[ISSUER]);
    validation.set_audience(&[AUDIENCE]);
    validation.leeway = 60;
    validation.validate_nbf = true;
    validation.set_required_spec_claims(&["exp"]);
    decode::<serde_json::Value>(token, &DecodingKey::from_secret(SECRET), &validation).is_ok()
}

/// Why we refuse on purpose what jsonwebtoken accepts, if the token is one of the
/// documented stricter cases (the conformance table's `Stricter` rows, and RFC rules
/// jsonwebtoken does not apply).
pub fn stricter(header: &[u8], payload: &[u8]) -> Option<&'static str> {
    use serde_json::Value;
    let members = |bytes: &[u8]| -> Option<Vec<(String, Value)>> {
        // Every member, repeated ones included (a map would keep only one).
        let mut out = Vec::new();
        let text = std::str::from_utf8(bytes).ok()?;
        let mut de = serde_json::Deserializer::from_str(text);
        struct Members<'a>(&'a mut Vec<(String, Value)>);
        impl<'de> serde::de::Visitor<'de> for Members<'_> {
            type Value = ();
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
                while let Some((k, v)) = map.next_entry::<String, Value>()? {
                    self.0.push((k, v));
                }
                Ok(())
            }
        }
        serde::Deserializer::deserialize_map(&mut de, Members(&mut out)).ok()?;
        Some(out)
    };
    let header = members(header)?;
    let payload = members(payload)?;
    let repeated = |m: &[(String, Value)]| {
        let mut names: Vec<&str> = m.iter().map(|(k, _)| k.as_str()).collect();
        names.sort_unstable();
        names.windows(2).any(|w| w[0] == w[1])
    };
    if repeated(&header) || repeated(&payload) {
        return Some("repeated JSON members are refused");
    }
    let get = |m: &[(String, Value)], name: &str| {
        m.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    };
    for name in ["jku", "x5u", "jwk"] {
        if get(&header, name).is_some() {
            return Some("keys are never taken from the token");
        }
    }
    if get(&header, "crit").is_some() {
        return Some("crit is refused");
    }
    if get(&header, "kid").is_some_and(|k| !k.is_string())
        || get(&header, "typ").is_some_and(|t| !t.is_string())
    {
        return Some("header members of the wrong type");
    }
    if get(&payload, "nonce").is_some() {
        return Some("an ID token (nonce) is never an access token");
    }
    let now = auth_core::clock::now();
    for name in ["exp", "nbf", "iat"] {
        if get(&payload, name).is_some_and(|v| !(v.is_i64() || v.is_u64())) {
            return Some("a date claim that is not an integer");
        }
    }
    if get(&payload, "iat")
        .and_then(|v| v.as_i64())
        .is_some_and(|iat| iat > now + 60)
    {
        return Some("iat in the future");
    }
    for name in ["iss", "sub", "jti"] {
        if get(&payload, name).is_some_and(|v| !v.is_string()) {
            return Some("a registered claim of the wrong type");
        }
    }
    if get(&payload, "iss").is_none() {
        return Some("a configured issuer requires iss (jsonwebtoken checks it only when present)");
    }
    if get(&payload, "aud").is_none() {
        return Some("a configured audience requires aud");
    }
    match get(&payload, "aud") {
        Some(Value::String(_)) | None => {}
        Some(Value::Array(a)) if a.is_empty() || a.iter().any(|x| !x.is_string()) => {
            return Some("an empty or mixed aud array");
        }
        Some(Value::Array(_)) => {}
        Some(_) => return Some("a registered claim of the wrong type"),
    }
    if get(&payload, "scope").is_some_and(|v| !v.is_string())
        || get(&payload, "scp").is_some_and(|v| !v.is_array())
    {
        return Some("scope claims of the wrong type");
    }
    None
}

/// Any bytes as a JWK Set.
pub fn jwks(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = keys_from_jwks(text);
    }
}

#[derive(Debug)]
struct Served(Vec<u8>);

#[async_trait::async_trait]
impl Fetch for Served {
    async fn get(&self, _url: &str) -> Result<FetchResponse, FetchError> {
        Ok(FetchResponse {
            body: self.0.clone(),
            max_age: None,
        })
    }
}

/// Any bytes as a discovery document (issuer check, endpoint URLs, JWKS location).
pub fn discovery(data: &[u8]) {
    let fetch = Served(data.to_vec());
    let _ = ready(auth_core::remote::discover(&fetch, ISSUER));
}

fn keys() -> &'static ApiKeyValidator {
    static V: OnceLock<ApiKeyValidator> = OnceLock::new();
    V.get_or_init(|| {
        let store = Arc::new(MemoryStore::new());
        let v = ApiKeyValidator::builder(store.clone())
            .allow_authorization_header()
            .build()
            .unwrap();
        let (_, record) = v.mint("fuzz", "k", ["read"], None).unwrap();
        store.insert(record);
        v
    })
}

/// Any bytes as the credential headers: `Authorization` (Bearer and ApiKey grammar),
/// `Cookie` (the session cookie among others), `X-API-Key` (shape and checksum). The
/// first byte chooses which headers carry what.
pub fn credentials(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    let mut req = StaticRequest::new().method(if mode & 8 == 0 { "GET" } else { "POST" });
    if mode & 1 != 0 {
        req = req.header("authorization", rest.to_vec());
    }
    if mode & 2 != 0 {
        req = req.header("cookie", rest.to_vec());
    }
    if mode & 4 != 0 {
        req = req.header("x-api-key", rest.to_vec());
    }
    if mode & 16 != 0 {
        req = req
            .header("origin", rest.to_vec())
            .header("sec-fetch-site", rest.to_vec());
    }
    let sources = [
        TokenSource::AuthorizationBearer,
        TokenSource::Cookie("session".into()),
        TokenSource::Header("x-api-key".into()),
    ];
    let _ = find_bearer(&req, &sources);
    let _ = validator().authenticate_now(&req);
    let _ = ready(keys().authenticate(&req));
    let _ = ApiKeySecret::parse(&text);
}

fn login() -> &'static Login {
    static L: OnceLock<Login> = OnceLock::new();
    L.get_or_init(|| {
        let issuer = JwtIssuer::new(
            SigningKey::hmac(Algorithm::HS256, SECRET).unwrap(),
            ISSUER,
            AUDIENCE,
        );
        // A GitHub provider needs no discovery; the callback never reaches it with a flow
        // cookie that does not open.
        Login::builder("https://app.fuzz", issuer)
            .cookie_secret(SECRET)
            .provider(auth_core::login::GitHubProvider::new("id", "secret"))
            .build()
            .unwrap()
    })
}

/// Any bytes as a sealed flow cookie, with the callback's query built from them too
/// (`state`, `code`, `iss`, `error`): nothing may open but a cookie this app sealed.
pub fn flow_cookie(data: &[u8]) {
    // Split the bytes, not the text: half a character is still bytes to fuzz with.
    let (cookie, query) = data.split_at(data.len() / 2);
    let (cookie, query) = (
        String::from_utf8_lossy(cookie).into_owned(),
        String::from_utf8_lossy(query).into_owned(),
    );
    let input = LoginInput {
        flow: Some(cookie),
        query: Some(query.clone()),
        ..LoginInput::default()
    };
    let answer = ready(login().callback("github", &input));
    assert_ne!(answer.status, 303, "a forged flow cookie opened");
    let _ = ready(login().begin(
        "github",
        &LoginInput {
            query: Some(format!("return_to={query}")),
            ..LoginInput::default()
        },
    ));
}

/// `return_to` paths and `Cache-Control` values.
pub fn small_parsers(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if is_local_path(&text) {
        // A local path never leaves the site, whatever a browser makes of it.
        let url = url::Url::parse("https://app.fuzz").unwrap().join(&text);
        assert!(
            url.as_ref()
                .map_or(true, |u| u.host_str() == Some("app.fuzz")),
            "{text:?} left the site"
        );
    }
    let _ = max_age(&text);
}
