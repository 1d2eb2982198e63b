//! Security review, item 13: through both adapters, every refused token gets the same
//! answer (status, challenge, body), whatever the reason; the reason stays in the logs.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use auth_core::{
    jwt::Algorithm,
    test_util::{TestKey, TokenBuilder, now},
};
use auth_tests::{
    AUDIENCE, Fixture, ISSUER, TestRequest, actix_config, axum_app, call_actix, call_axum,
};

#[actix_web::test]
async fn review_13_refused_tokens_are_not_told_apart() {
    let fx = Fixture::new();
    let stranger = TestKey::new(Algorithm::ES256).with_kid("ec");
    let valid = || TokenBuilder::valid(&fx.es, ISSUER, AUDIENCE, "u");
    let tokens = [
        ("expired", valid().claim("exp", now() - 3600).sign(&fx.es)),
        (
            "bad signature",
            TokenBuilder::valid(&stranger, ISSUER, AUDIENCE, "u").sign(&stranger),
        ),
        ("unknown kid", valid().header("kid", "nope").sign(&fx.es)),
        (
            "algorithm",
            TokenBuilder::valid(&TestKey::new(Algorithm::ES384), ISSUER, AUDIENCE, "u")
                .sign(&TestKey::new(Algorithm::ES384)),
        ),
        (
            "issuer",
            TokenBuilder::valid(&fx.es, "https://other.test", AUDIENCE, "u").sign(&fx.es),
        ),
        (
            "not yet valid",
            valid().claim("nbf", now() + 3600).sign(&fx.es),
        ),
    ];
    let axum = axum_app(fx.validator.clone());
    let actix = actix_web::test::init_service(
        actix_web::App::new().configure(actix_config(fx.validator.clone())),
    )
    .await;
    let mut answers = Vec::new();
    for (reason, token) in &tokens {
        let req = TestRequest {
            uri: "/me".into(),
            headers: vec![("authorization".into(), format!("Bearer {token}"))],
        };
        let a = call_axum(&axum, &req).await;
        let b = call_actix(&actix, &req).await;
        assert_eq!(a.status, 401, "{reason}");
        assert_eq!(a, b, "{reason}: the adapters differ");
        answers.push((reason, a));
    }
    for (reason, answer) in &answers[1..] {
        assert_eq!(answer, &answers[0].1, "{reason} is told apart from expired");
    }
    assert_eq!(
        answers[0].1.www_authenticate.as_deref(),
        Some(
            r#"Bearer realm="auth-demo", error="invalid_token", error_description="the token is not valid""#
        )
    );
}
