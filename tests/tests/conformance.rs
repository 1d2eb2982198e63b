//! One table, two adapters: every case must give the expected status and challenge, the
//! same answer from axum and actix-web, and the same verdict as jsonwebtoken (or a
//! documented, stricter one).

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use auth_core::jwt::JwtValidator;
use auth_tests::{
    AUDIENCE, Fixture, HS_SECRET, ISSUER, REALM, TestResponse, actix_config, axum_app, call_actix,
    call_axum,
    cases::{Case, Reference, cases},
};
use jsonwebtoken::{DecodingKey, Validation, decode, decode_header};

fn check_expected(case: &Case, r: &TestResponse, adapter: &str) -> Result<(), String> {
    let fail = |what: String| Err(format!("[{adapter}] {}: {what}\n  got {r:?}", case.name));
    if r.status != case.status {
        return fail(format!("status {} != expected {}", r.status, case.status));
    }
    let challenge = r.www_authenticate.as_deref();
    match (case.status, case.error) {
        (200, _) => {
            if challenge.is_some() {
                return fail("a 200 carries a challenge".into());
            }
        }
        (401, None) => {
            let want = format!(r#"Bearer realm="{REALM}""#);
            if challenge != Some(want.as_str()) {
                return fail(format!("challenge should be exactly {want}"));
            }
        }
        (403, Some("insufficient_scope")) => {
            // A requirement met by a role alone names no scope; the body names the role.
            let (want, detail) = if case.request.uri.starts_with("/ops") {
                (
                    format!(r#"Bearer realm="{REALM}", error="insufficient_scope""#),
                    "role (ops)",
                )
            } else {
                (
                    format!(r#"Bearer realm="{REALM}", error="insufficient_scope", scope="admin""#),
                    "scope",
                )
            };
            if challenge != Some(want.as_str()) {
                return fail(format!("challenge should be exactly {want}"));
            }
            if !r.body.contains(detail) {
                return fail(format!("the 403 body should name the missing {detail}"));
            }
        }
        (_, Some(error)) => {
            let prefix = format!(r#"Bearer realm="{REALM}", error="{error}", error_description=""#);
            if !challenge.is_some_and(|c| c.starts_with(&prefix)) {
                return fail(format!("challenge should start with {prefix}"));
            }
        }
        (_, None) => return fail("case without an error code".into()),
    }
    if case.status != 200 {
        if r.content_type.as_deref() != Some("application/problem+json") {
            return fail("error body is not problem+json".into());
        }
        let body: serde_json::Value = serde_json::from_str(&r.body)
            .map_err(|e| format!("{}: body not JSON: {e}", case.name))?;
        for member in ["type", "title", "status", "detail"] {
            if body.get(member).is_none() {
                return fail(format!("problem body lacks {member}"));
            }
        }
        if body["status"] != case.status {
            return fail("problem status differs from the HTTP status".into());
        }
    }
    if let Some(token) = &case.token {
        // Never echo the credential, nor any sizeable piece of it.
        let pieces = token.split('.').filter(|p| p.len() >= 8);
        for piece in pieces {
            if r.body.contains(piece) || challenge.is_some_and(|c| c.contains(piece)) {
                return fail("the response echoes part of the token".into());
            }
        }
    }
    Ok(())
}

/// jsonwebtoken's verdict with the same keys and policy: keys chosen by kid and alg,
/// issuer, audience, 60 s leeway, exp required, nbf checked.
fn jsonwebtoken_accepts(fx: &Fixture, token: &str) -> bool {
    let Ok(header) = decode_header(token) else {
        return false;
    };
    let alg_name = format!("{:?}", header.alg);
    let mut validation = Validation::new(header.alg);
    validation.set_issuer(&[ISSUER]);
    validation.set_audience(&[AUDIENCE]);
    validation.leeway = 60;
    validation.validate_nbf = true;
    validation.set_required_spec_claims(&["exp"]);
    fx.keys()
        .into_iter()
        .filter(|k| k.algorithm().as_str() == alg_name)
        .filter(|k| header.kid.is_none() || header.kid.as_deref() == k.kid())
        .any(|k| {
            let key = match alg_name.as_str() {
                "HS256" => DecodingKey::from_secret(HS_SECRET),
                "RS256" | "PS256" => DecodingKey::from_rsa_pem(k.public_pem().as_bytes()).unwrap(),
                "ES256" => DecodingKey::from_ec_pem(k.public_pem().as_bytes()).unwrap(),
                "EdDSA" => DecodingKey::from_ed_pem(k.public_pem().as_bytes()).unwrap(),
                _ => return false,
            };
            decode::<serde_json::Value>(token, &key, &validation).is_ok()
        })
}

fn bearer_token(case: &Case) -> Option<&str> {
    let (_, v) = case
        .request
        .headers
        .iter()
        .find(|(k, _)| k == "authorization")?;
    v.strip_prefix("Bearer ")
}

#[actix_web::test]
async fn conformance_table_through_both_adapters() {
    let fx = Fixture::new();
    let table = cases(&fx);
    assert!(table.len() >= 40, "the table has {} cases", table.len());
    println!(
        "conformance table: {} cases through axum and actix-web",
        table.len()
    );

    let axum = axum_app(fx.validator.clone());
    let actix = actix_web::test::init_service(
        actix_web::App::new().configure(actix_config(fx.validator.clone())),
    )
    .await;

    let mut failures = Vec::new();
    for case in &table {
        let a = call_axum(&axum, &case.request).await;
        let b = call_actix(&actix, &case.request).await;
        if let Err(e) = check_expected(case, &a, "axum") {
            failures.push(e);
        }
        if let Err(e) = check_expected(case, &b, "actix") {
            failures.push(e);
        }
        if a != b {
            failures.push(format!(
                "{}: adapters differ\n  axum  {a:?}\n  actix {b:?}",
                case.name
            ));
        }
        let ours = case.status != 401 && case.status != 400;
        match case.reference {
            Reference::Agrees => {
                let token = bearer_token(case).expect("a token case");
                let theirs = jsonwebtoken_accepts(&fx, token);
                if ours != theirs {
                    failures.push(format!(
                        "{}: we {} but jsonwebtoken {}",
                        case.name,
                        if ours { "accept" } else { "reject" },
                        if theirs { "accepts" } else { "rejects" }
                    ));
                }
            }
            Reference::Stricter(why) => {
                let token = bearer_token(case).expect("a token case");
                if ours || !jsonwebtoken_accepts(&fx, token) {
                    failures.push(format!(
                        "{}: documented as stricter than jsonwebtoken ({why}), but verdicts are ours={ours}",
                        case.name
                    ));
                }
            }
            Reference::NotApplicable => {}
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[actix_web::test]
async fn missing_validator_is_a_loud_500_in_actix() {
    use actix_web::{App, HttpResponse, test, web};
    use auth_actix::RequireJwt;
    let app = test::init_service(App::new().route(
        "/",
        web::get().to(|_: RequireJwt| async { HttpResponse::Ok().finish() }),
    ))
    .await;
    let resp = test::call_service(&app, test::TestRequest::get().uri("/").to_request()).await;
    assert_eq!(resp.status().as_u16(), 500);
}

#[actix_web::test]
async fn a_custom_renderer_shapes_the_body_in_both_adapters() {
    use auth_core::{
        error::{AuthError, Rejection, problem_json},
        jwt::{Algorithm, VerifyingKey},
    };
    let renderer = |err: &AuthError, realm: Option<&str>| -> Rejection {
        let mut r = problem_json(err, realm);
        r.content_type = "application/json".into();
        r.body =
            serde_json::json!({ "message": err.description(), "code": err.status() }).to_string();
        r
    };
    let validator = JwtValidator::builder()
        .key(VerifyingKey::hmac(Algorithm::HS256, HS_SECRET).unwrap())
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .realm(REALM)
        .renderer(renderer)
        .build()
        .unwrap();
    let axum = axum_app(validator.clone());
    let actix =
        actix_web::test::init_service(actix_web::App::new().configure(actix_config(validator)))
            .await;
    for headers in [
        vec![],
        vec![("authorization".to_owned(), "Bearer x.y.z".to_owned())],
    ] {
        let req = auth_tests::TestRequest {
            uri: "/me".into(),
            headers,
        };
        let a = call_axum(&axum, &req).await;
        let b = call_actix(&actix, &req).await;
        assert_eq!(a, b);
        assert_eq!(a.status, 401);
        assert_eq!(a.content_type.as_deref(), Some("application/json"));
        let body: serde_json::Value = serde_json::from_str(&a.body).unwrap();
        assert_eq!(body["code"], 401);
        assert!(
            a.www_authenticate
                .unwrap()
                .starts_with(r#"Bearer realm="auth-demo""#)
        );
    }
}

#[actix_web::test]
async fn cookie_header_and_opted_in_query_sources_in_both_adapters() {
    use auth_core::{
        credential::TokenSource,
        jwt::{Algorithm, VerifyingKey},
        test_util::{TestKey, TokenBuilder},
    };
    let key = TestKey::hmac(Algorithm::HS256, HS_SECRET);
    let validator = JwtValidator::builder()
        .key(VerifyingKey::hmac(Algorithm::HS256, HS_SECRET).unwrap())
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .realm(REALM)
        .token_sources([
            TokenSource::AuthorizationBearer,
            TokenSource::Cookie("session".into()),
            TokenSource::Header("x-access-token".into()),
            TokenSource::Query("access_token".into()),
        ])
        .build()
        .unwrap();
    let token = TokenBuilder::valid(&key, ISSUER, AUDIENCE, "u").sign(&key);
    let axum = axum_app(validator.clone());
    let actix =
        actix_web::test::init_service(actix_web::App::new().configure(actix_config(validator)))
            .await;
    let h = |k: &str, v: String| vec![(k.to_owned(), v)];
    let cases = [
        (
            "/me".to_owned(),
            h("cookie", format!("theme=dark; session={token}")),
            200,
        ),
        ("/me".to_owned(), h("x-access-token", token.clone()), 200),
        (format!("/me?access_token={token}"), vec![], 200),
        (
            format!("/me?access_token={token}"),
            h("authorization", format!("Bearer {token}")),
            400,
        ),
        (
            "/me".to_owned(),
            vec![
                ("cookie".into(), format!("session={token}")),
                ("authorization".into(), format!("Bearer {token}")),
            ],
            400,
        ),
        ("/me".to_owned(), h("cookie", "session=garbage".into()), 401),
    ];
    for (uri, headers, status) in cases {
        let req = auth_tests::TestRequest { uri, headers };
        let a = call_axum(&axum, &req).await;
        let b = call_actix(&actix, &req).await;
        assert_eq!(a.status, status, "{req:?}: {a:?}");
        assert_eq!(a, b, "{req:?}");
    }
}

/// RFC 9728 through both adapters: with `resource_metadata` configured, every `Bearer`
/// challenge (401 without `error`, 400, 401 `invalid_token`, 403) names the document, and
/// the document is served the same way by both.
#[actix_web::test]
async fn resource_metadata_in_challenges_and_the_document_in_both_adapters() {
    use auth_core::metadata::ResourceMetadata;
    let fx = Fixture::new();
    let metadata = ResourceMetadata::builder("https://api.test/v1")
        .expect("resource")
        .authorization_servers([ISSUER])
        .scopes_supported(["read", "admin"])
        .build()
        .expect("metadata");
    let url = metadata.url().to_owned();
    assert_eq!(
        url,
        "https://api.test/.well-known/oauth-protected-resource/v1"
    );
    let validator = auth_core::jwt::JwtValidator::builder()
        .key(fx.hs.verifying_key())
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .realm(REALM)
        .resource_metadata(&url)
        .build()
        .expect("validator");
    let axum =
        axum_app(validator.clone()).merge(auth_axum::resource_metadata_routes(metadata.clone()));
    let actix = actix_web::test::init_service(
        actix_web::App::new()
            .configure(actix_config(validator))
            .configure(auth_actix::resource_metadata_config(metadata)),
    )
    .await;
    let read = auth_core::test_util::TokenBuilder::valid(&fx.hs, ISSUER, AUDIENCE, "u")
        .claim("scope", "read")
        .sign(&fx.hs);
    let tail = format!(r#"resource_metadata="{url}""#);
    let request = |uri: &str, auth: Option<String>| auth_tests::TestRequest {
        uri: uri.to_owned(),
        headers: auth
            .map(|a| ("authorization".to_owned(), a))
            .into_iter()
            .collect(),
    };
    for (req, status, challenge) in [
        (
            request("/me", None),
            401,
            format!(r#"Bearer realm="{REALM}", {tail}"#),
        ),
        (
            request("/me", Some("Bearer".into())),
            400,
            format!(
                r#"Bearer realm="{REALM}", error="invalid_request", error_description="the request's credential is malformed", {tail}"#
            ),
        ),
        (
            request("/me", Some(format!("Bearer {read}x"))),
            401,
            format!(
                r#"Bearer realm="{REALM}", error="invalid_token", error_description="the token is not valid", {tail}"#
            ),
        ),
        (
            request("/admin", Some(format!("Bearer {read}"))),
            403,
            format!(r#"Bearer realm="{REALM}", error="insufficient_scope", scope="admin", {tail}"#),
        ),
    ] {
        let a = call_axum(&axum, &req).await;
        let b = call_actix(&actix, &req).await;
        assert_eq!(a, b, "{}: adapters differ", req.uri);
        assert_eq!(
            (a.status, a.www_authenticate.as_deref()),
            (status, Some(challenge.as_str()))
        );
    }
    let doc_req = request("/.well-known/oauth-protected-resource/v1", None);
    let a = call_axum(&axum, &doc_req).await;
    let b = call_actix(&actix, &doc_req).await;
    assert_eq!(a, b, "the document differs between adapters");
    assert_eq!(
        (a.status, a.content_type.as_deref()),
        (200, Some("application/json"))
    );
    let doc: serde_json::Value = serde_json::from_str(&a.body).expect("JSON");
    assert_eq!(
        doc,
        serde_json::json!({
            "resource": "https://api.test/v1",
            "authorization_servers": [ISSUER],
            "scopes_supported": ["read", "admin"],
            "bearer_methods_supported": ["header"],
        })
    );
}
