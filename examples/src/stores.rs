//! Where the demo keeps what it may share: sessions, sign-out epochs and rate limits
//! (Redis with `DEMO_REDIS_URL`), API keys (PostgreSQL with `DEMO_DATABASE_URL`, else the
//! key file or one generated key); each in this process when its variable is unset.

use std::{path::PathBuf, sync::Arc, time::Duration};

use auth_core::{
    apikey::{ApiKeyValidator, FileStore, MemoryStore},
    limit::SharedRateLimit,
    login::{MemoryRefreshStore, RefreshStore, SignOutStore},
};
use secrecy::{ExposeSecret, SecretString};

use crate::{Config, KEY_FILE_POLL, KEY_RATE, KeySource, REALM, StartError};

/// The API-key validator and where its keys come from: PostgreSQL when `database_url` is
/// set (unreachable: the start stops), else [`file_or_generated`].
pub(crate) async fn api_keys(
    file: Option<PathBuf>,
    database_url: Option<&SecretString>,
    limits: Option<Arc<dyn SharedRateLimit>>,
) -> Result<(ApiKeyValidator, KeySource), StartError> {
    let Some(url) = database_url else {
        return file_or_generated(file, limits);
    };
    let store = auth_postgres::PostgresKeyStore::builder(url.expose_secret())
        .connect()
        .await
        .map_err(|e| StartError(format!("DEMO_DATABASE_URL: PostgreSQL cannot be used: {e}")))?;
    Ok((key_validator(Arc::new(store), limits)?, KeySource::Database))
}

/// What every instance shares when `DEMO_REDIS_URL` is set: refresh families, sign-out
/// epochs, and the per-key and sign-in rate limits.
pub(crate) struct Shared {
    pub(crate) refresh: Arc<dyn RefreshStore>,
    pub(crate) sign_outs: Option<Arc<dyn SignOutStore>>,
    pub(crate) limits: Option<Arc<dyn SharedRateLimit>>,
    /// DPoP proofs seen by any instance.
    pub(crate) dpop_replay: Option<Arc<dyn auth_core::jwt::DpopReplayStore>>,
}

/// Where sign-in sessions and sign-outs live: Redis when `DEMO_REDIS_URL` is set (shared
/// by every instance; unreachable at start stops the start), else this process's memory.
pub(crate) async fn shared(config: &Config) -> Result<Shared, StartError> {
    let Some(url) = &config.redis_url else {
        return Ok(Shared {
            refresh: Arc::new(MemoryRefreshStore::new()),
            sign_outs: None,
            limits: None,
            dpop_replay: None,
        });
    };
    fn unreachable(e: impl std::fmt::Display) -> StartError {
        StartError(format!("DEMO_REDIS_URL: Redis cannot be reached: {e}"))
    }
    let url = url.expose_secret();
    let refresh = auth_redis::RedisRefreshStore::connect(url, "auth-demo:")
        .await
        .map_err(unreachable)?;
    // Sessions' access tokens live 15 minutes; validators allow 60 s of clock skew.
    let retention = Duration::from_secs(17 * 60);
    let sign_outs = auth_redis::RedisSignOutStore::connect(url, "auth-demo:", retention)
        .await
        .map_err(unreachable)?;
    let limits = auth_redis::RedisRateLimit::connect(url, "auth-demo:")
        .await
        .map_err(unreachable)?;
    let dpop_replay = auth_redis::RedisDpopReplay::connect(url, "auth-demo:")
        .await
        .map_err(unreachable)?;
    Ok(Shared {
        refresh: Arc::new(refresh),
        sign_outs: Some(Arc::new(sign_outs)),
        limits: Some(Arc::new(limits)),
        dpop_replay: Some(Arc::new(dpop_replay)),
    })
}

/// The API-key validator over the key file when one is configured, else over one key
/// generated for this run.
fn file_or_generated(
    file: Option<PathBuf>,
    limits: Option<Arc<dyn SharedRateLimit>>,
) -> Result<(ApiKeyValidator, KeySource), StartError> {
    let build =
        |store: Arc<dyn auth_core::apikey::ApiKeyStore>| key_validator(store, limits.clone());
    match file {
        Some(path) => {
            let store = FileStore::open(&path)
                .map_err(|e| StartError(format!("DEMO_API_KEYS_FILE: {e}")))?
                .watch(KEY_FILE_POLL);
            Ok((build(Arc::new(store))?, KeySource::File(path)))
        }
        None => {
            let store = Arc::new(MemoryStore::new());
            let validator = build(store.clone())?;
            let (key, record) = validator
                .mint("demo", "demo-generated", ["stats:read"], None)
                .map_err(|e| StartError(format!("API keys: {e}")))?;
            store.insert(record);
            Ok((validator, KeySource::Generated(key)))
        }
    }
}

/// The API-key validator over `store`: the demo's realm and per-key limit (shared when
/// `limits` is).
fn key_validator(
    store: Arc<dyn auth_core::apikey::ApiKeyStore>,
    limits: Option<Arc<dyn SharedRateLimit>>,
) -> Result<ApiKeyValidator, StartError> {
    let mut builder = ApiKeyValidator::builder(store)
        .realm(REALM)
        .rate_limit(KEY_RATE.0, KEY_RATE.1);
    if let Some(limits) = limits {
        builder = builder.shared_rate_limit(limits);
    }
    builder
        .build()
        .map_err(|e| StartError(format!("API keys: {e}")))
}
