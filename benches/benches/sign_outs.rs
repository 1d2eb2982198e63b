//! The sign-out epoch mirror's cost on the request path: the same HS256 token verified by
//! the same validator without sign-outs, and with a mirror holding 10 000 other users'
//! epochs (the token's subject not among them, so the token passes). Goal: on ÷ off ≤ 1.05.

#![allow(missing_docs, clippy::expect_used, clippy::unwrap_used)]

use std::{hint::black_box, sync::Arc, time::Duration};

use auth_benches::{AUDIENCE, AppClaims, Fixture, ISSUER};
use auth_core::jwt::{Algorithm, JwtValidator, SignOuts};
use criterion::{Criterion, criterion_group, criterion_main};

fn bench(c: &mut Criterion) {
    let fx = Fixture::new(Algorithm::HS256);
    let sign_outs = Arc::new(SignOuts::new(Duration::from_secs(17 * 60)));
    let now = auth_core::clock::now();
    for i in 0..10_000 {
        sign_outs.raise(&format!("user-{i}"), now);
    }
    let validator = |sign_outs: Option<Arc<SignOuts>>| {
        let mut builder = JwtValidator::builder()
            .key(fx.verifying_key())
            .issuer(ISSUER)
            .audience(AUDIENCE)
            .realm("bench");
        if let Some(s) = sign_outs {
            builder = builder.sign_outs(s);
        }
        builder.build().unwrap()
    };
    let (off, on) = (validator(None), validator(Some(sign_outs)));
    assert!(on.verify_now(&fx.token).is_ok());
    let mut group = c.benchmark_group("sign_outs");
    for (name, v) in [("off", &off), ("on", &on)] {
        group.bench_function(name, |b| {
            b.iter(|| {
                black_box(
                    v.verify_claims_now::<AppClaims>(black_box(&fx.token))
                        .unwrap(),
                )
            })
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = auth_benches::harness::config();
    targets = bench
}
criterion_main!(benches);
