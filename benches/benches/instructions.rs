//! The hot paths in instructions (Callgrind, through gungraun): repeatable for the same binary
//! whatever else the machine does, where wall-clock figures on these VMs move by ±15 %. The
//! scenarios of the criterion benches — JWT core verify per algorithm, `RequireJwt` through
//! each adapter and the bare routes, a cached repeat, the API-key guard — and, measured in the
//! same run, their floors: the signature primitive, base64url decoding of the three segments,
//! `serde_json` of the payload, and SHA-256 plus a map lookup for a key.
//!
//! Every scenario is a closure built and run twice in its setup (so lazy initialisation and
//! first-use costs are not counted), then run once under Callgrind. Each run pays the same
//! boxed call, so differences between scenarios are the work itself.
//!
//! `benches/instructions.sh` runs it and compares the counts with the committed baseline.

#![allow(missing_docs, clippy::expect_used, clippy::unwrap_used)]

use std::{collections::HashMap, hint::black_box};

use auth_benches::{AllClaims, AppClaims, Fixture, actix_app, axum_app, keys};
use auth_core::{jwt::Algorithm, request::StaticRequest};
use base64::Engine;
use gungraun::{library_benchmark, library_benchmark_group, main};

/// One scenario: does its work once, says whether it succeeded.
type Run = Box<dyn FnMut() -> bool>;

/// `run`, after two warm-up calls that must succeed.
fn warmed(mut run: impl FnMut() -> bool + 'static) -> Run {
    assert!(run(), "the scenario fails");
    assert!(run(), "the scenario fails the second time");
    Box::new(run)
}

/// Run the scenario once. Its state (validators, stores, runtimes) is leaked, not dropped:
/// the process ends right after, and a drop here would be counted as the scenario's work.
fn once(mut run: Run) -> bool {
    let ok = run();
    std::mem::forget(run);
    black_box(ok)
}

fn core_verify(alg: Algorithm) -> Run {
    let fx = Fixture::new(alg);
    warmed(move || {
        fx.validator
            .verify_claims_now::<AppClaims>(black_box(&fx.token))
            .is_ok()
    })
}

/// The same validator with the verified-token cache: the same token again.
fn core_verify_cached() -> Run {
    let fx = Fixture::new(Algorithm::HS256);
    let validator = auth_core::jwt::JwtValidator::builder()
        .key(fx.verifying_key())
        .issuer(auth_benches::ISSUER)
        .audience(auth_benches::AUDIENCE)
        .cache_verified(1024)
        .build()
        .unwrap();
    warmed(move || {
        validator
            .verify_claims_now::<AppClaims>(black_box(&fx.token))
            .is_ok()
    })
}

fn signature_only(alg: Algorithm) -> Run {
    let fx = Fixture::new(alg);
    let (input, signature) = fx.token.rsplit_once('.').unwrap();
    let input = input.to_owned();
    let signature = b64(signature);
    let key = fx.verifying_key();
    warmed(move || key.verify_signature(black_box(input.as_bytes()), black_box(&signature)))
}

fn jsonwebtoken_decode(alg: Algorithm) -> Run {
    let fx = Fixture::new(alg);
    warmed(move || {
        jsonwebtoken::decode::<AllClaims>(black_box(&fx.token), &fx.jwt_key, &fx.jwt_validation)
            .is_ok()
    })
}

fn b64(segment: &str) -> Vec<u8> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(segment)
        .unwrap()
}

/// Floor: base64url decoding of the three segments (into fresh buffers).
fn floor_base64() -> Run {
    let fx = Fixture::new(Algorithm::HS256);
    warmed(move || {
        let token = black_box(fx.token.as_str());
        token.split('.').all(|segment| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(segment)
                .is_ok_and(|bytes| !black_box(bytes).is_empty())
        })
    })
}

/// Floor: the decoded payload into a struct of all ten claims (one pass, what any
/// validator must read), and into the app's own two.
fn floor_claims(all: bool) -> Run {
    let fx = Fixture::new(Algorithm::HS256);
    let payload = b64(fx.token.split('.').nth(1).unwrap());
    warmed(move || {
        let payload = black_box(payload.as_slice());
        if all {
            serde_json::from_slice::<AllClaims>(payload).is_ok()
        } else {
            serde_json::from_slice::<AppClaims>(payload).is_ok()
        }
    })
}

fn axum_route(path: &'static str) -> Run {
    use tower::ServiceExt;
    let fx = Fixture::new(Algorithm::HS256);
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let app = axum_app(fx.validator.clone());
    warmed(move || {
        let request = http::Request::get(path)
            .header("authorization", fx.authorization.as_str())
            .body(axum::body::Body::empty())
            .unwrap();
        let response = rt.block_on(app.clone().oneshot(request)).unwrap();
        response.status() == 200
    })
}

/// `RequireJwt` through axum with the Prometheus exporter installed (as the demo does), its
/// metrics looked up per decision or, when `register`, through the registered handles.
fn axum_route_prometheus(register: bool) -> Run {
    metrics_exporter_prometheus::PrometheusBuilder::new()
        .install_recorder()
        .expect("the only recorder of this process");
    if register {
        assert!(auth_core::telemetry::register_metrics());
    }
    axum_route("/me")
}

fn actix_route(path: &'static str) -> Run {
    use actix_web::dev::Service;
    let fx = Fixture::new(Algorithm::HS256);
    let system = actix_web::rt::System::new();
    let service = system.block_on(actix_web::test::init_service(actix_app(
        fx.validator.clone(),
    )));
    warmed(move || {
        let request = actix_web::test::TestRequest::get()
            .uri(path)
            .insert_header(("authorization", fx.authorization.as_str()))
            .to_request();
        let response = system.block_on(service.call(request)).unwrap();
        response.status() == 200
    })
}

/// The API-key core: read, check, hash, look up (the memory store answers at once).
fn key_core() -> Run {
    use std::future::Future;
    let (validator, key) = keys::fixture();
    let request = StaticRequest::new().header("x-api-key", key.as_str());
    warmed(move || {
        let mut future = std::pin::pin!(validator.authenticate(black_box(&request)));
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        matches!(future.as_mut().poll(&mut cx), std::task::Poll::Ready(Ok(_)))
    })
}

/// Floor: SHA-256 of the key and a lookup in a map keyed by digest.
fn floor_key_lookup() -> Run {
    let (_, key) = keys::fixture();
    let digest = |k: &str| {
        let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, k.as_bytes());
        <[u8; 32]>::try_from(d.as_ref()).unwrap()
    };
    let map: HashMap<[u8; 32], &'static str> = HashMap::from([(digest(&key), "svc")]);
    // The record itself, as a store returns it (not only whether it exists).
    warmed(move || black_box(map.get(&digest(black_box(&key)))).is_some())
}

fn axum_key_route(path: &'static str) -> Run {
    use tower::ServiceExt;
    let (validator, key) = keys::fixture();
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let app = keys::axum_app(validator);
    warmed(move || {
        let request = http::Request::get(path)
            .header("x-api-key", key.as_str())
            .body(axum::body::Body::empty())
            .unwrap();
        rt.block_on(app.clone().oneshot(request)).unwrap().status() == 200
    })
}

fn actix_key_route(path: &'static str) -> Run {
    use actix_web::dev::Service;
    let (validator, key) = keys::fixture();
    let system = actix_web::rt::System::new();
    let service = system.block_on(actix_web::test::init_service(keys::actix_app(validator)));
    warmed(move || {
        let request = actix_web::test::TestRequest::get()
            .uri(path)
            .insert_header(("x-api-key", key.as_str()))
            .to_request();
        system.block_on(service.call(request)).unwrap().status() == 200
    })
}

#[library_benchmark]
#[bench::hs256_core_verify(core_verify(Algorithm::HS256))]
#[bench::hs256_core_verify_cached(core_verify_cached())]
#[bench::hs256_signature(signature_only(Algorithm::HS256))]
#[bench::hs256_jsonwebtoken(jsonwebtoken_decode(Algorithm::HS256))]
#[bench::rs256_core_verify(core_verify(Algorithm::RS256))]
#[bench::rs256_signature(signature_only(Algorithm::RS256))]
#[bench::rs256_jsonwebtoken(jsonwebtoken_decode(Algorithm::RS256))]
#[bench::es256_core_verify(core_verify(Algorithm::ES256))]
#[bench::es256_signature(signature_only(Algorithm::ES256))]
#[bench::es256_jsonwebtoken(jsonwebtoken_decode(Algorithm::ES256))]
#[bench::eddsa_core_verify(core_verify(Algorithm::EdDSA))]
#[bench::eddsa_signature(signature_only(Algorithm::EdDSA))]
#[bench::eddsa_jsonwebtoken(jsonwebtoken_decode(Algorithm::EdDSA))]
#[bench::floor_base64(floor_base64())]
#[bench::floor_claims_all(floor_claims(true))]
#[bench::floor_claims_app(floor_claims(false))]
fn jwt(run: Run) -> bool {
    once(run)
}

#[library_benchmark]
#[bench::axum_bare(axum_route("/bare"))]
#[bench::axum_require_jwt(axum_route("/me"))]
#[bench::axum_require_jwt_prometheus(axum_route_prometheus(false))]
#[bench::axum_require_jwt_prometheus_registered(axum_route_prometheus(true))]
#[bench::actix_bare(actix_route("/bare"))]
#[bench::actix_require_jwt(actix_route("/me"))]
fn jwt_routes(run: Run) -> bool {
    once(run)
}

#[library_benchmark]
#[bench::core(key_core())]
#[bench::floor_sha256_lookup(floor_key_lookup())]
#[bench::axum_bare(axum_key_route("/bare"))]
#[bench::axum_extractor(axum_key_route("/extractor"))]
#[bench::axum_guarded(axum_key_route("/guarded"))]
#[bench::actix_bare(actix_key_route("/bare"))]
#[bench::actix_extractor(actix_key_route("/extractor"))]
#[bench::actix_guarded(actix_key_route("/guarded"))]
fn apikey(run: Run) -> bool {
    once(run)
}

library_benchmark_group!(name = hot_paths, benchmarks = [jwt, jwt_routes, apikey]);

main!(library_benchmark_groups = hot_paths);
