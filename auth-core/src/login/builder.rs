//! [`LoginBuilder`]: the configuration of a [`Login`], checked once by
//! [`build`](LoginBuilder::build).

use std::{fmt, sync::Arc, time::Duration};

use cookie::Key;
use secrecy::{ExposeSecret, SecretSlice};

use super::{
    CookieNames, Identity, Login, MemoryRefreshStore, MemorySignOutStore, ProviderConfig,
    ProviderError, RefreshStore, SessionGrant, SessionHook, SignOutStore, flow::UsedStates,
    provider::Provider, routes::Inner,
};
use crate::{
    error::Renderer,
    jwt::JwtIssuer,
    remote::{FetchPolicy, ReqwestFetch},
};

/// Why a [`Login`] could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoginError {
    /// The public URL is not an absolute http(s) URL.
    #[error("the public URL must be an absolute http or https URL")]
    PublicUrl,
    /// The public URL is plain http and insecure http was not allowed.
    #[error(
        "the public URL is http: cookies would travel in clear; use https (or allow_insecure_http for development)"
    )]
    InsecureHttp,
    /// The cookie secret is shorter than 32 bytes.
    #[error("the cookie secret must be at least 32 bytes")]
    CookieSecret,
    /// Two providers share a name, or a name is not a plain path segment.
    #[error("provider names must be distinct and made of [a-z0-9_-]")]
    ProviderName,
    /// A provider's client could not be set up.
    #[error(transparent)]
    Provider(#[from] ProviderError),
    /// The outbound client could not be built.
    #[error("outbound HTTP client: {0}")]
    Http(String),
    /// The rate limit is zero requests or a zero period.
    #[error(transparent)]
    RateLimit(#[from] crate::error::ConfigError),
    /// The sessions' own tokens cannot be verified with the issuer's key.
    #[error("the session issuer's key cannot verify: {0}")]
    SessionKey(String),
}

/// Maps a provider's subject to the app's session subject: `(provider, sub)`.
pub(super) type ProviderSubjects = dyn Fn(&str, &str) -> Option<String> + Send + Sync;

/// Configures a [`Login`].
pub struct LoginBuilder {
    public_url: String,
    issuer: JwtIssuer,
    providers: Vec<ProviderConfig>,
    store: Arc<dyn RefreshStore>,
    sign_outs: Option<Arc<dyn SignOutStore>>,
    hook: Arc<SessionHook>,
    provider_subjects: Arc<ProviderSubjects>,
    cookie_secret: Option<SecretSlice<u8>>,
    previous_cookie_secrets: Vec<SecretSlice<u8>>,
    insecure_http: bool,
    refresh_ttl: Duration,
    refresh_grace: Duration,
    session_lifetime: Duration,
    fetch: Option<Arc<ReqwestFetch>>,
    rate_limit: Option<(u32, Duration)>,
    trusted: Vec<String>,
    shared_limit: Option<Arc<dyn crate::limit::SharedRateLimit>>,
    renderer: Renderer,
}

impl fmt::Debug for LoginBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoginBuilder")
            .field("public_url", &self.public_url)
            .field("providers", &self.providers.len())
            .finish_non_exhaustive()
    }
}

impl LoginBuilder {
    pub(super) fn new(public_url: String, issuer: JwtIssuer) -> LoginBuilder {
        LoginBuilder {
            public_url,
            issuer,
            providers: Vec::new(),
            store: Arc::new(MemoryRefreshStore::new()),
            sign_outs: None,
            hook: Arc::new(|id: &Identity| {
                Ok(SessionGrant::new(id.subject.clone()).claim("idp", id.provider.clone()))
            }),
            provider_subjects: Arc::new(|_: &str, sub: &str| Some(sub.to_owned())),
            cookie_secret: None,
            previous_cookie_secrets: Vec::new(),
            insecure_http: false,
            refresh_ttl: Duration::from_secs(14 * 24 * 3600),
            refresh_grace: Duration::ZERO,
            session_lifetime: Duration::from_secs(30 * 24 * 3600),
            fetch: None,
            rate_limit: None,
            trusted: Vec::new(),
            shared_limit: None,
            renderer: Renderer::default(),
        }
    }

    /// Render the sign-in routes' errors as the app's validators do: pass
    /// `validator.renderer().clone()` (or a [`Renderer`] with your
    /// [`RenderRejection`](crate::error::RenderRejection)), so every error body the
    /// toolkit writes has one shape. Default: problem+json with no realm.
    pub fn renderer(mut self, renderer: Renderer) -> Self {
        self.renderer = renderer;
        self
    }

    /// Add a provider: an [`OidcProvider`](super::OidcProvider) or a
    /// [`GitHubProvider`](super::GitHubProvider).
    pub fn provider(mut self, provider: impl Into<ProviderConfig>) -> Self {
        self.providers.push(provider.into());
        self
    }

    /// Where refresh tokens live (default: in memory).
    pub fn refresh_store(mut self, store: Arc<dyn RefreshStore>) -> Self {
        self.store = store;
        self
    }

    /// Where "sign out everywhere" is recorded (default: in this process's memory). Give
    /// the app's validators [`Login::sign_outs`] so that they refuse the access tokens
    /// issued before a sign-out; with a shared store (`auth_redis::RedisSignOutStore`),
    /// every instance does within a second.
    pub fn sign_out_store(mut self, store: Arc<dyn SignOutStore>) -> Self {
        self.sign_outs = Some(store);
        self
    }

    /// Turn a signed-in identity into a session, or refuse it (default: the provider's
    /// subject, no scopes, and an `idp` claim naming the provider).
    pub fn on_sign_in(
        mut self,
        hook: impl Fn(&Identity) -> Result<SessionGrant, String> + Send + Sync + 'static,
    ) -> Self {
        self.hook = Arc::new(hook);
        self
    }

    /// How a provider's subject maps to the app's session subject, for a back-channel
    /// logout (which names the provider's `sub`): `(provider, sub)` → the subject the
    /// [`on_sign_in`](Self::on_sign_in) hook gave its sessions, `None` for no such user.
    /// By default the provider's `sub` itself, as the default hook grants.
    pub fn provider_subjects(
        mut self,
        map: impl Fn(&str, &str) -> Option<String> + Send + Sync + 'static,
    ) -> Self {
        self.provider_subjects = Arc::new(map);
        self
    }

    /// The secret (at least 32 bytes) from which the flow cookie's encryption key is derived
    /// (HKDF-SHA256); default: a random key per process (logins in progress fail across a
    /// restart).
    pub fn cookie_secret(mut self, secret: impl Into<Vec<u8>>) -> Self {
        self.cookie_secret = Some(SecretSlice::from(secret.into()));
        self
    }

    /// A cookie secret used before the current one: flow cookies it sealed still open, so
    /// sign-ins in progress survive a deploy that rotates the secret (call again for
    /// several). New cookies are sealed with the current secret only. Drop it once the
    /// flow lifetime (10 minutes) has passed since the rotation.
    pub fn previous_cookie_secret(mut self, secret: impl Into<Vec<u8>>) -> Self {
        self.previous_cookie_secrets
            .push(SecretSlice::from(secret.into()));
        self
    }

    /// Allow a plain-http public URL: cookies then lose `Secure` and the `__Host-` prefix.
    /// For development only.
    pub fn allow_insecure_http(mut self) -> Self {
        self.insecure_http = true;
        self
    }

    /// Refresh-token lifetime (default 14 days): a session unused this long ends. Each
    /// refresh starts it again, up to the [`session_lifetime`](Self::session_lifetime).
    pub fn refresh_ttl(mut self, ttl: Duration) -> Self {
        self.refresh_ttl = ttl;
        self
    }

    /// The grace window of refresh-token rotation (default none): within it, the token
    /// just replaced may be presented once more and gets a sibling of its successor, so
    /// two tabs refreshing at once, or a retry after a lost answer, do not end the session.
    /// An older token, or the replaced one after the window, is reuse and revokes the
    /// session everywhere. A few seconds is enough (the demo uses 10 s).
    pub fn refresh_grace(mut self, grace: Duration) -> Self {
        self.refresh_grace = grace;
        self
    }

    /// Absolute session lifetime (default 30 days): counted from the sign-in, it ends the
    /// session however often it is refreshed, so a stolen refresh token cannot keep a
    /// session alive for ever. Then the user signs in again.
    pub fn session_lifetime(mut self, lifetime: Duration) -> Self {
        self.session_lifetime = lifetime;
        self
    }

    /// Limit each client address to `burst` sign-in requests (login, callback, refresh) at
    /// once, refilled over `per`; beyond, 429 with `Retry-After`. The address is the
    /// connection's peer: behind a reverse proxy every client shares the proxy's, so set
    /// the limit for the proxy, or put the limit in the proxy. With axum, serve with
    /// `into_make_service_with_connect_info::<SocketAddr>()` so the address is known;
    /// without it no request is limited.
    pub fn rate_limit(mut self, burst: u32, per: Duration) -> Self {
        self.rate_limit = Some((burst, per));
        self
    }

    /// Also accept the cookie-authenticated `POST`s and `DELETE`s of the sign-in and sessions
    /// routes from `origin` (call again for several), besides the public URL's own origin:
    /// for an app served on more than one origin. Exact match, scheme and port included.
    pub fn trusted_origin(mut self, origin: impl Into<String>) -> Self {
        self.trusted.push(origin.into());
        self
    }

    /// Count the [`rate_limit`](Self::rate_limit) in `engine`, shared by every instance
    /// (such as `auth_redis::RedisRateLimit`), so that a client's sign-in requests to all
    /// instances count together. While the engine cannot answer, each instance counts in
    /// its own memory ([`Limiter`](crate::limit::Limiter): fail open to the local limit,
    /// logged once).
    pub fn shared_rate_limit(mut self, engine: Arc<dyn crate::limit::SharedRateLimit>) -> Self {
        self.shared_limit = Some(engine);
        self
    }

    /// The outbound client for token and userinfo calls (default: https only, 5 s timeout).
    pub fn fetch(mut self, fetch: Arc<ReqwestFetch>) -> Self {
        self.fetch = Some(fetch);
        self
    }

    /// Check the configuration.
    ///
    /// # Errors
    ///
    /// [`LoginError`] for a public URL that is not an absolute http(s) URL, plain http
    /// without [`allow_insecure_http`](Self::allow_insecure_http), a cookie secret under 32
    /// bytes, repeated or ill-formed provider names, or an outbound client that cannot be
    /// built.
    pub fn build(self) -> Result<Login, LoginError> {
        let url = url::Url::parse(&self.public_url).map_err(|_| LoginError::PublicUrl)?;
        let secure = match url.scheme() {
            "https" => true,
            "http" if self.insecure_http => false,
            "http" => return Err(LoginError::InsecureHttp),
            _ => return Err(LoginError::PublicUrl),
        };
        if url.host_str().is_none() {
            return Err(LoginError::PublicUrl);
        }
        let origin = url.origin().ascii_serialization();
        let base = self.public_url.trim_end_matches('/').to_owned();
        let key = match &self.cookie_secret {
            Some(secret) if secret.expose_secret().len() < 32 => {
                return Err(LoginError::CookieSecret);
            }
            Some(secret) => derive_key(secret.expose_secret()).ok_or(LoginError::CookieSecret)?,
            None => Key::try_generate().ok_or(LoginError::CookieSecret)?,
        };
        let mut previous_keys = Vec::new();
        for secret in &self.previous_cookie_secrets {
            if secret.expose_secret().len() < 32 {
                return Err(LoginError::CookieSecret);
            }
            previous_keys.push(derive_key(secret.expose_secret()).ok_or(LoginError::CookieSecret)?);
        }
        let mut providers: Vec<Provider> = Vec::new();
        for config in self.providers {
            let name = config.name().to_owned();
            let name_ok = !name.is_empty()
                && name.bytes().all(|b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_'
                });
            if !name_ok || providers.iter().any(|p| p.name() == name) {
                return Err(LoginError::ProviderName);
            }
            let client = config.client(&format!("{base}/auth/{name}/callback"))?;
            providers.push(Provider { config, client });
        }
        let fetch = match self.fetch {
            Some(f) => f,
            None => Arc::new(
                ReqwestFetch::new(FetchPolicy::default())
                    .map_err(|e| LoginError::Http(e.to_string()))?,
            ),
        };
        let prefix = if secure { "__Host-" } else { "" };
        let session = format!("{prefix}auth-session");
        let sign_outs = self.sign_outs.unwrap_or_else(|| {
            // Long enough for every token issued before a sign-out to expire, with the
            // validators' default leeway.
            let retention = self.issuer.lifetime() + Duration::from_secs(120);
            Arc::new(MemorySignOutStore::new(Arc::new(
                crate::jwt::SignOuts::new(retention),
            )))
        });
        let site = self.trusted.iter().fold(
            crate::credential::SiteCheck::default().own_origin(origin.clone()),
            |s, o| s.trust(o.clone()),
        );
        let validator = self
            .issuer
            .validator()
            .and_then(|v| {
                let v = v
                    .token_sources([
                        crate::credential::TokenSource::AuthorizationBearer,
                        crate::credential::TokenSource::Cookie(session.clone()),
                    ])
                    .cookie_origin(origin.clone());
                self.trusted
                    .iter()
                    .fold(v, |v, o| v.trusted_origin(o.clone()))
                    .sign_outs(sign_outs.sign_outs())
                    .build()
            })
            .map_err(|e| LoginError::SessionKey(e.to_string()))?;
        let limiter = self
            .rate_limit
            .map(|(burst, per)| {
                crate::limit::Limiter::new(burst, per, self.shared_limit, "sign-in")
            })
            .transpose()?;
        Ok(Login {
            inner: Arc::new(Inner {
                limiter,
                base,
                site,
                secure,
                key,
                previous_keys,
                providers,
                issuer: self.issuer,
                store: self.store,
                sign_out_store: sign_outs,
                validator,
                hook: self.hook,
                used: UsedStates::default(),
                used_logouts: UsedStates::default(),
                provider_subjects: self.provider_subjects,
                refresh_ttl: self.refresh_ttl,
                refresh_grace: self.refresh_grace,
                session_lifetime: self.session_lifetime,
                flow_ttl: Duration::from_secs(600),
                names: CookieNames {
                    flow: format!("{prefix}auth-flow"),
                    session,
                    refresh: format!("{prefix}auth-refresh"),
                },
                fetch,
                renderer: self.renderer,
            }),
        })
    }
}

/// 64 bytes of key material from `secret`: HKDF-SHA256 with a label of its own, so the
/// cookie key is never the JWT key even when both come from one secret.
fn derive_key(secret: &[u8]) -> Option<Key> {
    use aws_lc_rs::hkdf;
    struct Len64;
    impl hkdf::KeyType for Len64 {
        fn len(&self) -> usize {
            64
        }
    }
    let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, b"auth-core login").extract(secret);
    let info: [&[u8]; 1] = [b"flow cookie key"];
    let okm = prk.expand(&info, Len64).ok()?;
    let mut bytes = [0u8; 64];
    okm.fill(&mut bytes).ok()?;
    Key::try_from(&bytes[..]).ok()
}
