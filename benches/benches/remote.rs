//! A token verified against a remote key set (read through its lock-free snapshot) versus the
//! same key configured statically, in one run.

#![allow(missing_docs, clippy::expect_used, clippy::unwrap_used)]

use std::{hint::black_box, sync::Arc};

use auth_core::{
    jwt::{Algorithm, JwtValidator},
    remote::{Fetch, FetchError, FetchResponse, RefreshPolicy, RemoteKeySet},
    test_util::{TestKey, TokenBuilder},
};
use criterion::{Criterion, criterion_group, criterion_main};

/// Serves a fixed JWKS from memory (the fetch is not what is measured).
#[derive(Debug)]
struct Fixed(String);

#[async_trait::async_trait]
impl Fetch for Fixed {
    async fn get(&self, _url: &str) -> Result<FetchResponse, FetchError> {
        Ok(FetchResponse {
            body: self.0.clone().into_bytes(),
            max_age: None,
        })
    }
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let mut group = c.benchmark_group("remote");
    for alg in [Algorithm::RS256, Algorithm::ES256] {
        let key = TestKey::new(alg).with_kid("k");
        let token = TokenBuilder::valid(&key, "iss", "aud", "u").sign(&key);
        let fixed_static = JwtValidator::builder()
            .key(key.verifying_key())
            .issuer("iss")
            .audience("aud")
            .build()
            .unwrap();
        let set = rt
            .block_on(RemoteKeySet::load(
                "https://issuer.test/jwks",
                Arc::new(Fixed(TestKey::jwks(&[&key]))),
                RefreshPolicy::default(),
            ))
            .unwrap();
        let remote = JwtValidator::builder()
            .remote_keys(set)
            .algorithms([alg])
            .issuer("iss")
            .audience("aud")
            .build()
            .unwrap();
        assert!(remote.verify(&token).is_ok());
        group.bench_function(format!("{alg}_static"), |b| {
            b.iter(|| {
                black_box(
                    fixed_static
                        .verify_claims::<serde_json::Value>(black_box(&token))
                        .unwrap(),
                )
            })
        });
        group.bench_function(format!("{alg}_remote"), |b| {
            b.iter(|| {
                black_box(
                    remote
                        .verify_claims::<serde_json::Value>(black_box(&token))
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
