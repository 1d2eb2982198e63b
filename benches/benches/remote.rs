//! A token verified against a key set found through OpenID discovery (read through its
//! lock-free snapshot, with the background refresher running) versus the same key configured
//! statically; and a repeated token through the verified-token cache versus uncached.

#![allow(missing_docs, clippy::expect_used, clippy::unwrap_used)]

use std::{hint::black_box, sync::Arc, time::Duration};

use auth_core::{
    jwt::{Algorithm, JwtValidator},
    remote::{Fetch, FetchError, FetchResponse, KeySource, RefreshPolicy, RemoteKeySet},
    test_util::{TestKey, TokenBuilder},
};
use criterion::{Criterion, criterion_group, criterion_main};

/// Serves a discovery document and a fixed JWKS from memory (the fetch is not what is
/// measured).
#[derive(Debug)]
struct Fixed(String);

#[async_trait::async_trait]
impl Fetch for Fixed {
    async fn get(&self, url: &str) -> Result<FetchResponse, FetchError> {
        let body = if url.ends_with("/openid-configuration") {
            r#"{"issuer":"https://issuer.test","jwks_uri":"https://issuer.test/jwks"}"#.to_owned()
        } else {
            self.0.clone()
        };
        Ok(FetchResponse {
            body: body.into_bytes(),
            max_age: None,
        })
    }
}

fn bench(c: &mut Criterion) {
    // The refresher runs on this runtime's worker thread while the benchmark runs, and
    // refetches every 50 ms.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_time()
        .build()
        .unwrap();
    let mut group = c.benchmark_group("remote");
    for alg in [Algorithm::RS256, Algorithm::ES256] {
        let key = TestKey::new(alg).with_kid("k");
        let iss = "https://issuer.test";
        let token = TokenBuilder::valid(&key, iss, "aud", "u").sign(&key);
        let fixed_static = JwtValidator::builder()
            .key(key.verifying_key())
            .issuer(iss)
            .audience("aud")
            .build()
            .unwrap();
        let policy =
            RefreshPolicy::default().ages(Duration::from_millis(50), Duration::from_millis(50));
        let set = rt
            .block_on(RemoteKeySet::load(
                KeySource::Discovery(iss.into()),
                Arc::new(Fixed(TestKey::jwks(&[&key]))),
                policy,
            ))
            .unwrap();
        let refresher = rt.spawn(set.refresher(tokio::time::sleep));
        let remote = JwtValidator::builder()
            .remote_keys(set.clone())
            .algorithms([alg])
            .issuer(iss)
            .audience("aud")
            .build()
            .unwrap();
        let cached = JwtValidator::builder()
            .remote_keys(set)
            .algorithms([alg])
            .issuer(iss)
            .audience("aud")
            .cache_verified(10_000)
            .build()
            .unwrap();
        assert!(remote.verify_now(&token).is_ok());
        assert!(cached.verify_now(&token).is_ok());
        assert_eq!(cached.cached_tokens(), 1);
        group.bench_function(format!("{alg}_static"), |b| {
            b.iter(|| {
                black_box(
                    fixed_static
                        .verify_claims_now::<serde_json::Value>(black_box(&token))
                        .unwrap(),
                )
            })
        });
        group.bench_function(format!("{alg}_remote"), |b| {
            b.iter(|| {
                black_box(
                    remote
                        .verify_claims_now::<serde_json::Value>(black_box(&token))
                        .unwrap(),
                )
            })
        });
        group.bench_function(format!("{alg}_cached"), |b| {
            b.iter(|| {
                black_box(
                    cached
                        .verify_claims_now::<serde_json::Value>(black_box(&token))
                        .unwrap(),
                )
            })
        });
        assert!(!refresher.is_finished(), "the refresher stopped");
        refresher.abort();
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = auth_benches::harness::config();
    targets = bench
}
criterion_main!(benches);
