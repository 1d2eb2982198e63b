//! Fixtures for the criterion benchmarks: a 10-claim token per algorithm, the matching
//! validator and jsonwebtoken key, and the same tiny app with and without `RequireJwt`
//! in axum and in actix-web.

// Benchmark set-up: failing at once with the reason is the useful behaviour.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use auth_core::{
    jwt::{Algorithm, JwtValidator},
    test_util::{TestKey, TokenBuilder, now},
};
use serde::Deserialize;

/// The issuer of the benchmark tokens.
pub const ISSUER: &str = "https://issuer.bench";
/// The audience of the benchmark tokens.
pub const AUDIENCE: &str = "bench-api";

/// The app's own claims, as a handler would declare them.
#[derive(Debug, Deserialize)]
pub struct AppClaims {
    /// A display name.
    pub name: String,
    /// An e-mail address.
    pub email: String,
}

/// All ten claims, for the jsonwebtoken baseline (which has no registered/custom split).
#[derive(Debug, Deserialize)]
pub struct AllClaims {
    /// `iss`
    pub iss: String,
    /// `sub`
    pub sub: String,
    /// `aud`
    pub aud: String,
    /// `exp`
    pub exp: u64,
    /// `nbf`
    pub nbf: u64,
    /// `iat`
    pub iat: u64,
    /// `jti`
    pub jti: String,
    /// `scope`
    pub scope: String,
    /// `name`
    pub name: String,
    /// `email`
    pub email: String,
}

/// One algorithm's fixture.
#[derive(Debug)]
pub struct Fixture {
    /// The algorithm.
    pub alg: Algorithm,
    /// A valid 10-claim token.
    pub token: String,
    /// `Bearer <token>`.
    pub authorization: String,
    /// Our validator.
    pub validator: JwtValidator,
    /// jsonwebtoken's key.
    pub jwt_key: jsonwebtoken::DecodingKey,
    /// The signing key, for the primitive-only baseline.
    pub key: TestKey,
    /// jsonwebtoken's validation, with the same policy.
    pub jwt_validation: jsonwebtoken::Validation,
}

impl Fixture {
    /// Generate a key and a token for `alg`.
    pub fn new(alg: Algorithm) -> Fixture {
        let key = match alg {
            Algorithm::HS256 => TestKey::hmac(alg, b"benchmark-secret-0123456789abcdefghij"),
            _ => TestKey::new(alg),
        }
        .with_kid("bench");
        let t = now();
        let token = TokenBuilder::for_key(&key)
            .claim("iss", ISSUER)
            .claim("sub", "user-1234567890")
            .claim("aud", AUDIENCE)
            .claim("exp", t + 3600)
            .claim("nbf", t - 10)
            .claim("iat", t - 10)
            .claim("jti", "7f1c7f5e-0a5b-4c8e-9b1e-3f2a1d0c9b8a")
            .claim("scope", "read write admin")
            .claim("name", "Ada Lovelace")
            .claim("email", "ada@example.com")
            .sign(&key);
        let validator = JwtValidator::builder()
            .key(key.verifying_key())
            .issuer(ISSUER)
            .audience(AUDIENCE)
            .realm("bench")
            .build()
            .unwrap();
        let jwt_key = match alg {
            Algorithm::HS256 => {
                jsonwebtoken::DecodingKey::from_secret(b"benchmark-secret-0123456789abcdefghij")
            }
            Algorithm::RS256 => {
                jsonwebtoken::DecodingKey::from_rsa_pem(key.public_pem().as_bytes()).unwrap()
            }
            Algorithm::ES256 => {
                jsonwebtoken::DecodingKey::from_ec_pem(key.public_pem().as_bytes()).unwrap()
            }
            _ => jsonwebtoken::DecodingKey::from_ed_pem(key.public_pem().as_bytes()).unwrap(),
        };
        let jwt_alg = match alg {
            Algorithm::HS256 => jsonwebtoken::Algorithm::HS256,
            Algorithm::RS256 => jsonwebtoken::Algorithm::RS256,
            Algorithm::ES256 => jsonwebtoken::Algorithm::ES256,
            _ => jsonwebtoken::Algorithm::EdDSA,
        };
        let mut jwt_validation = jsonwebtoken::Validation::new(jwt_alg);
        jwt_validation.set_issuer(&[ISSUER]);
        jwt_validation.set_audience(&[AUDIENCE]);
        jwt_validation.validate_nbf = true;
        Fixture {
            key,
            alg,
            authorization: format!("Bearer {token}"),
            token,
            validator,
            jwt_key,
            jwt_validation,
        }
    }

    /// The verification key alone.
    pub fn verifying_key(&self) -> auth_core::jwt::VerifyingKey {
        self.key.verifying_key()
    }

    /// The baseline: a full `jsonwebtoken::decode` of the token into all ten claims.
    pub fn jsonwebtoken_decode(&self) -> AllClaims {
        jsonwebtoken::decode::<AllClaims>(&self.token, &self.jwt_key, &self.jwt_validation)
            .unwrap()
            .claims
    }
}

/// The axum app: `/bare` (no auth) and `/me` (`RequireJwt<AppClaims>`), same handler body.
pub fn axum_app(validator: JwtValidator) -> axum::Router {
    use auth_axum::RequireJwt;
    use axum::routing::get;
    async fn bare() -> &'static str {
        "ok"
    }
    async fn me(RequireJwt(claims): RequireJwt<AppClaims>) -> &'static str {
        std::hint::black_box(&claims);
        "ok"
    }
    axum::Router::new()
        .route("/bare", get(bare))
        .route("/me", get(me))
        .with_state(validator)
}

/// The actix-web app: `/bare` and `/me`, as for axum.
pub fn actix_app(
    validator: JwtValidator,
) -> actix_web::App<
    impl actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = actix_web::dev::ServiceResponse,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    use actix_web::{HttpResponse, web};
    use auth_actix::RequireJwt;
    async fn bare() -> HttpResponse {
        HttpResponse::Ok().body("ok")
    }
    async fn me(RequireJwt(claims): RequireJwt<AppClaims>) -> HttpResponse {
        std::hint::black_box(&claims);
        HttpResponse::Ok().body("ok")
    }
    actix_web::App::new()
        .app_data(validator)
        .route("/bare", web::get().to(bare))
        .route("/me", web::get().to(me))
}

/// API-key fixtures: a store with one key, its validator, and the apps.
pub mod keys {
    use std::sync::Arc;

    use auth_core::{
        apikey::{ApiKeyValidator, MemoryStore},
        scope::ScopeRequirement,
    };

    /// A validator over a store holding one key with scope `stats:read`, and that key.
    pub fn fixture() -> (ApiKeyValidator, String) {
        let store = Arc::new(MemoryStore::new());
        let validator = ApiKeyValidator::builder(store.clone())
            .realm("bench")
            .build()
            .unwrap();
        let (key, record) = validator
            .mint("bench", "svc", ["stats:read"], None)
            .unwrap();
        store.insert(record);
        (validator, key.expose_secret().to_owned())
    }

    fn scope() -> ScopeRequirement {
        ScopeRequirement::all(["stats:read"])
    }

    /// axum: `/bare`, `/extractor` (the `ApiKey` extractor and a scope check in the
    /// handler), `/guarded` (layer with a scope, then the extractor).
    pub fn axum_app(validator: ApiKeyValidator) -> axum::Router {
        use auth_axum::{ApiKey, AuthLayer};
        use axum::routing::get;
        async fn bare() -> &'static str {
            "ok"
        }
        async fn guarded(key: ApiKey) -> &'static str {
            std::hint::black_box(&key);
            "ok"
        }
        async fn extractor(key: ApiKey) -> &'static str {
            std::hint::black_box(key.scopes().satisfies(&scope()));
            "ok"
        }
        let guarded = axum::Router::new()
            .route("/guarded", get(guarded))
            .route_layer(AuthLayer::api_key(validator.clone()).scopes(scope()));
        axum::Router::new()
            .route("/bare", get(bare))
            .route("/extractor", get(extractor))
            .merge(guarded)
            .with_state(validator)
    }

    /// actix-web: the same two routes.
    pub fn actix_app(
        validator: ApiKeyValidator,
    ) -> actix_web::App<
        impl actix_web::dev::ServiceFactory<
            actix_web::dev::ServiceRequest,
            Config = (),
            Response = actix_web::dev::ServiceResponse,
            Error = actix_web::Error,
            InitError = (),
        >,
    > {
        use actix_web::{HttpResponse, web};
        use auth_actix::{ApiKey, AuthMiddleware};
        async fn bare() -> HttpResponse {
            HttpResponse::Ok().body("ok")
        }
        async fn guarded(key: ApiKey) -> HttpResponse {
            std::hint::black_box(&key);
            HttpResponse::Ok().body("ok")
        }
        async fn extractor(key: ApiKey) -> HttpResponse {
            std::hint::black_box(key.scopes().satisfies(&scope()));
            HttpResponse::Ok().body("ok")
        }
        actix_web::App::new()
            .app_data(validator.clone())
            .route("/bare", web::get().to(bare))
            .route("/extractor", web::get().to(extractor))
            .service(
                web::resource("/guarded")
                    .wrap(AuthMiddleware::api_key(validator).scopes(scope()))
                    .route(web::get().to(guarded)),
            )
    }
}

/// What every bench file shares: the criterion configuration, and timing requests to routes
/// through axum (tower `oneshot`) and actix-web (an initialised service), each checked to
/// answer 200 first.
pub mod harness {
    use std::{hint::black_box, time::Duration};

    use criterion::{BenchmarkGroup, Criterion, measurement::WallTime};
    use tower::ServiceExt;

    /// One configuration for all bench files: short warm-up, 3 s, 50 samples.
    pub fn config() -> Criterion {
        Criterion::default()
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(3))
            .sample_size(50)
    }

    /// Bench each `(name, path)` of `app`, with `header` on every request.
    pub fn axum_routes(
        group: &mut BenchmarkGroup<'_, WallTime>,
        rt: &tokio::runtime::Runtime,
        app: &axum::Router,
        header: (&str, &str),
        routes: &[(&str, &str)],
    ) {
        let request = |path: &str| {
            http::Request::builder()
                .uri(path)
                .header(header.0, header.1)
                .body(axum::body::Body::empty())
                .unwrap()
        };
        for &(name, path) in routes {
            let check = rt.block_on(app.clone().oneshot(request(path))).unwrap();
            assert_eq!(check.status(), 200, "{name}");
            group.bench_function(name, |b| {
                b.iter(|| black_box(rt.block_on(app.clone().oneshot(request(path))).unwrap()))
            });
        }
    }

    /// Bench each `(name, path)` of an initialised actix-web `service`.
    pub fn actix_routes<S, B>(
        group: &mut BenchmarkGroup<'_, WallTime>,
        system: &actix_web::rt::SystemRunner,
        service: &S,
        header: (&str, &str),
        routes: &[(&str, &str)],
    ) where
        S: actix_web::dev::Service<
                actix_http::Request,
                Response = actix_web::dev::ServiceResponse<B>,
                Error = actix_web::Error,
            >,
    {
        let request = |path: &str| {
            actix_web::test::TestRequest::get()
                .uri(path)
                .insert_header((header.0, header.1))
                .to_request()
        };
        for &(name, path) in routes {
            let check = system.block_on(service.call(request(path))).unwrap();
            assert_eq!(check.status(), 200, "{name}");
            group.bench_function(name, |b| {
                b.iter(|| black_box(system.block_on(service.call(request(path))).unwrap()))
            });
        }
    }
}
