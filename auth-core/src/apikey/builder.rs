//! `ApiKeyValidatorBuilder`: the configuration of an [`ApiKeyValidator`], checked once by
//! [`build`](ApiKeyValidatorBuilder::build).

use std::{fmt, sync::Arc};

use super::{
    hash::KeyHasher,
    store::ApiKeyStore,
    validator::{ApiKeyValidator, Inner},
};
use crate::{
    credential::TokenSource,
    error::{ConfigError, RenderRejection, Renderer},
    guard::Origin,
    limit::{Limiter, SharedRateLimit},
};

/// Configures an [`ApiKeyValidator`].
pub struct ApiKeyValidatorBuilder {
    store: Arc<dyn ApiKeyStore>,
    hasher: Result<KeyHasher, ConfigError>,
    previous: Vec<Result<KeyHasher, ConfigError>>,
    header: String,
    authorization: bool,
    prefixes: Vec<String>,
    renderer: Renderer,
    rate_limit: Option<(u32, std::time::Duration)>,
    shared_limit: Option<Arc<dyn SharedRateLimit>>,
}

impl fmt::Debug for ApiKeyValidatorBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiKeyValidatorBuilder")
            .field("header", &self.header)
            .field("prefixes", &self.prefixes)
            .finish_non_exhaustive()
    }
}

impl ApiKeyValidatorBuilder {
    pub(super) fn new(store: Arc<dyn ApiKeyStore>) -> ApiKeyValidatorBuilder {
        ApiKeyValidatorBuilder {
            store,
            hasher: Ok(KeyHasher::sha256()),
            previous: Vec::new(),
            header: "x-api-key".into(),
            authorization: false,
            prefixes: Vec::new(),
            renderer: Renderer::default(),
            rate_limit: None,
            shared_limit: None,
        }
    }

    /// The header that carries the key (default `X-API-Key`).
    pub fn header(mut self, name: &str) -> Self {
        self.header = name.to_ascii_lowercase();
        self
    }

    /// Also accept `Authorization: ApiKey <key>`.
    pub fn allow_authorization_header(mut self) -> Self {
        self.authorization = true;
        self
    }

    /// Accept only keys with this prefix (call again for several): a test key is then
    /// refused by a live deployment and vice versa.
    pub fn prefix(mut self, prefix: &str) -> Self {
        self.prefixes.push(prefix.to_owned());
        self
    }

    /// Hash keys with HMAC-SHA256 under `pepper` (the store's records must have been made
    /// with the same pepper). A pepper shorter than 32 bytes makes [`build`](Self::build)
    /// fail.
    pub fn pepper(mut self, pepper: &[u8]) -> Self {
        self.hasher = KeyHasher::with_pepper(pepper);
        self
    }

    /// A pepper used before the current one (pepper rotation; call again for several):
    /// keys stored under it keep working — a key is hashed under the current pepper first,
    /// then under each previous one — and each such key is reported once in the log, to be
    /// re-issued (`auth-keys rotate`). New keys are minted under the current pepper. An
    /// unknown key costs one more HMAC per previous pepper.
    pub fn previous_pepper(mut self, pepper: &[u8]) -> Self {
        self.previous.push(KeyHasher::with_pepper(pepper));
        self
    }

    /// The realm named in `WWW-Authenticate` challenges.
    pub fn realm(mut self, realm: &str) -> Self {
        self.renderer = self.renderer.with_realm(realm);
        self
    }

    /// Render rejections with a custom hook instead of problem+json.
    pub fn renderer(mut self, renderer: impl RenderRejection) -> Self {
        self.renderer = self.renderer.with_custom(renderer);
        self
    }

    /// Tell clients why a malformed credential was refused (see
    /// [`Renderer::with_detail`]). An invalid key gets one answer whatever the reason,
    /// even then. For development only.
    pub fn detailed_errors(mut self) -> Self {
        self.renderer = self.renderer.with_detail(true);
        self
    }

    /// Limit each key (by its id, whatever store holds it) to `burst` requests at once,
    /// refilled evenly over `per` (GCRA): `rate_limit(60, Duration::from_secs(60))` allows a
    /// burst of 60, then one a second. A key over its limit gets 429 with `Retry-After`.
    /// Only verified keys count: unknown keys never reach the limiter.
    pub fn rate_limit(mut self, burst: u32, per: std::time::Duration) -> Self {
        self.rate_limit = Some((burst, per));
        self
    }

    /// Count the [`rate_limit`](Self::rate_limit) in `engine`, shared by every instance
    /// (such as `auth_redis::RedisRateLimit`): two instances together then allow the
    /// configured rate, not twice it. While the engine cannot answer, each instance counts
    /// in its own memory ([`Limiter`]: fail open to the local limit, logged once).
    pub fn shared_rate_limit(mut self, engine: Arc<dyn SharedRateLimit>) -> Self {
        self.shared_limit = Some(engine);
        self
    }

    /// Build the validator.
    ///
    /// # Errors
    ///
    /// A header name that cannot be one, a pepper shorter than 32 bytes, a rate limit of
    /// zero requests or a zero period.
    pub fn build(self) -> Result<ApiKeyValidator, ConfigError> {
        let hasher = self.hasher?;
        let previous_hashers = self.previous.into_iter().collect::<Result<Vec<_>, _>>()?;
        if !TokenSource::Header(self.header.clone()).is_valid() {
            return Err(ConfigError::BadSourceName);
        }
        let limiter = self
            .rate_limit
            .map(|(burst, per)| Limiter::new(burst, per, self.shared_limit, "api-key"))
            .transpose()?;
        let renderer = self.renderer;
        Ok(ApiKeyValidator {
            inner: Arc::new(Inner {
                store: self.store,
                hasher,
                previous_hashers,
                reported: std::sync::Mutex::default(),
                header: self.header,
                authorization: self.authorization,
                prefixes: self.prefixes,
                renderer,
                limiter,
                origin: Origin::new(),
            }),
        })
    }
}
