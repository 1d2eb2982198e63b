//! `RequireJwt` against its baselines, in one run: for each algorithm, a request through
//! the framework with the extractor, the same request to a bare route, and a direct
//! `jsonwebtoken::decode` of the same token. `benches/report.py` turns the figures into
//! the ratios in BENCHMARKS.md.

#![allow(missing_docs, clippy::expect_used, clippy::unwrap_used)]

use std::hint::black_box;

use auth_benches::{
    Fixture, actix_app, axum_app,
    harness::{actix_routes, axum_routes},
};
use auth_core::jwt::Algorithm;
use criterion::{Criterion, criterion_group, criterion_main};

fn bench(c: &mut Criterion) {
    let tokio_rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let actix_rt = actix_web::rt::System::new();

    for alg in [
        Algorithm::HS256,
        Algorithm::RS256,
        Algorithm::ES256,
        Algorithm::EdDSA,
    ] {
        let fx = Fixture::new(alg);
        let mut group = c.benchmark_group(format!("jwt/{alg}"));

        // Sanity: the guarded routes really accept the token.
        assert_eq!(fx.validator.verify_now(&fx.token).map(|_| ()), Ok(()));

        group.bench_function("jsonwebtoken_decode", |b| {
            b.iter(|| black_box(fx.jsonwebtoken_decode()))
        });
        // The floor: the signature primitive alone, on the same signing input.
        let (signing_input, signature) = fx.token.rsplit_once('.').unwrap();
        let signature = base64_decode(signature);
        let key = fx.verifying_key();
        assert!(key.verify_signature(signing_input.as_bytes(), &signature));
        group.bench_function("signature_only", |b| {
            b.iter(|| {
                black_box(
                    key.verify_signature(
                        black_box(signing_input.as_bytes()),
                        black_box(&signature),
                    ),
                )
            })
        });
        group.bench_function("core_verify", |b| {
            b.iter(|| {
                black_box(
                    fx.validator
                        .verify_claims_now::<auth_benches::AppClaims>(black_box(&fx.token))
                        .unwrap(),
                )
            })
        });

        let header = ("authorization", fx.authorization.as_str());
        let app = axum_app(fx.validator.clone());
        axum_routes(
            &mut group,
            &tokio_rt,
            &app,
            header,
            &[("axum_bare", "/bare"), ("axum_require_jwt", "/me")],
        );
        let service = actix_rt.block_on(actix_web::test::init_service(actix_app(
            fx.validator.clone(),
        )));
        actix_routes(
            &mut group,
            &actix_rt,
            &service,
            header,
            &[("actix_bare", "/bare"), ("actix_require_jwt", "/me")],
        );
        group.finish();
    }
}

fn base64_decode(s: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s)
        .unwrap()
}

criterion_group! {
    name = benches;
    config = auth_benches::harness::config();
    targets = bench
}
criterion_main!(benches);
