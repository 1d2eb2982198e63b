//! What `axum-demo` and `actix-demo` share: the configuration read from the environment
//! ([`Config`], in `config.rs`), the validators, issuer, sign-in and keys built from it
//! ([`Demo::build`]), the start-up banner and the response bodies. The two binaries only
//! wire these into their framework (the contract is `docs/demo.md`).

mod banner;
mod config;
mod openapi;
mod page;
mod provider;
mod stores;

pub use config::{Client, Config, VARIABLES, command_line, help};
pub use page::Page;
pub use provider::{INTROSPECTION_CACHE, provider_key_policy};
use provider::{introspector, provider_validator, sign_in};

use std::{net::SocketAddr, path::PathBuf, sync::Arc, time::Duration};

use auth_core::{
    apikey::{ApiKeySecret, ApiKeyValidator, VerifiedKey},
    error::ConfigError,
    jwt::{
        Algorithm, ClaimName, Claims, JwtIssuer, JwtValidator, RegisteredClaims, SigningKey,
        VerifyingKey,
    },
    remote::{FetchPolicy, ReqwestFetch},
    scope::{ScopeRequirement, Scopes},
};
use auth_core::{credential::TokenSource, login::Login};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use zeroize::Zeroizing;

/// The realm named in every challenge.
pub const REALM: &str = "auth-demo";

auth_core::requirement! {
    /// What `/api/admin` requires: the `admin` scope, or the `admin` role in one of the
    /// [`ROLE_CLAIMS`] (a provider's roles).
    pub Admin = ScopeRequirement::all(["admin"]).or_any_role(["admin"]);
}

/// Where the demo reads roles from, in the app's tokens and the provider's: Entra ID's
/// `roles` and Keycloak's realm roles.
pub const ROLE_CLAIMS: [&str; 2] = ["roles", "realm_access.roles"];

/// The scope `/internal/stats` requires.
pub fn stats_scope() -> ScopeRequirement {
    ScopeRequirement::all(["stats:read"])
}

/// The scope `GET /metrics` requires of an API key.
pub fn metrics_scope() -> ScopeRequirement {
    ScopeRequirement::all(["metrics:read"])
}

/// The Prometheus exporter of this process: the toolkit's metrics (`auth_core::telemetry`)
/// and the verification-latency histogram with buckets from 1 µs to 100 ms, with the
/// toolkit's handles registered in it. `None` when a recorder was installed already.
pub fn metrics_exporter() -> Option<metrics_exporter_prometheus::PrometheusHandle> {
    let buckets = [
        1e-6, 2.5e-6, 5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 1e-3, 1e-2, 1e-1,
    ];
    metrics_exporter_prometheus::PrometheusBuilder::new()
        .set_buckets_for_metric(
            metrics_exporter_prometheus::Matcher::Full(
                auth_core::telemetry::VERIFICATION_SECONDS.to_owned(),
            ),
            &buckets,
        )
        .ok()?
        .install_recorder()
        .ok()
        .inspect(|_| {
            // Installed: each admission now records through handles, not registry lookups.
            auth_core::telemetry::register_metrics();
        })
}

/// The body of `GET /metrics`: the Prometheus text format.
pub fn metrics_body(handle: &metrics_exporter_prometheus::PrometheusHandle) -> String {
    handle.run_upkeep();
    handle.render()
}

/// The `Content-Type` of `GET /metrics`.
pub const METRICS_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Each API key's limit: a burst of 120 requests, refilled over a minute (then 429 with
/// `Retry-After`).
pub const KEY_RATE: (u32, Duration) = (120, Duration::from_secs(60));

/// Each client address's limit on the sign-in routes: a burst of 30, refilled over a
/// minute (then 429 with `Retry-After`).
pub const SIGN_IN_RATE: (u32, Duration) = (30, Duration::from_secs(60));

/// How often a key file is checked for changes: a revoked key stops working within this.
pub const KEY_FILE_POLL: Duration = Duration::from_secs(2);

/// The demo's configuration and the security objects built from it.
#[derive(Debug)]
pub struct Demo {
    /// Where to listen.
    pub addr: SocketAddr,
    /// The app's external base URL.
    pub public_url: Option<String>,
    /// Validates the app's own tokens on `/api/*` (and the provider's access tokens, with
    /// `DEMO_OIDC_ISSUER` and `DEMO_OIDC_AUDIENCE`).
    pub validator: JwtValidator,
    /// The provider whose access tokens `/api/*` accepts: issuer and audience.
    pub oidc: Option<(String, String)>,
    /// The RFC 9728 document served at `/.well-known/oauth-protected-resource`, with
    /// `DEMO_OIDC_ISSUER`.
    pub metadata: Option<auth_core::metadata::ResourceMetadata>,
    /// Sign-in (`DEMO_OIDC_ISSUER` + `DEMO_OIDC_CLIENT_ID`): the `/auth/*` routes.
    pub login: Option<Login>,
    /// Mints the app's own tokens (the banner's development tokens).
    pub issuer: JwtIssuer,
    /// Whether the HS256 secret was generated for this run.
    pub secret_generated: bool,
    /// Validates API keys on `/internal/*`.
    pub keys: ApiKeyValidator,
    /// Where the keys come from: a file, or one key generated for this run (shown once).
    pub key_source: KeySource,
    /// The Prometheus exporter `GET /metrics` renders.
    pub metrics: Option<metrics_exporter_prometheus::PrometheusHandle>,
    /// The OpenAPI 3.1 document `GET /openapi.json` serves.
    pub openapi: Arc<str>,
}

/// Where the demo's API keys come from.
#[derive(Debug)]
pub enum KeySource {
    /// `DEMO_API_KEYS_FILE`, reloaded when it changes.
    File(PathBuf),
    /// One key generated at start, with scope `stats:read`.
    Generated(ApiKeySecret),
    /// `DEMO_DATABASE_URL`: keys in PostgreSQL, managed with `auth-keys --database-url`.
    Database,
}

/// A start-up failure: names the variable and what is wrong with it.
#[derive(Debug)]
pub struct StartError(pub(crate) String);

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for StartError {}

/// What both binaries do first: read the configuration, bind its address (first: the base
/// URL of callbacks and metadata may need the port chosen), and build the demo for the
/// address bound. A failure is printed as one line, `{program}: ...`, naming the variable.
///
/// # Errors
///
/// The exit code to end with, the reason already printed.
pub async fn start(program: &str) -> Result<(Demo, std::net::TcpListener), std::process::ExitCode> {
    let fail = |e: &dyn std::fmt::Display| {
        eprintln!("{program}: {e}");
        std::process::ExitCode::FAILURE
    };
    let config = Config::from_env().map_err(|e| fail(&e))?;
    let listener = std::net::TcpListener::bind(config.addr)
        .map_err(|e| fail(&format!("DEMO_ADDR: cannot listen on {}: {e}", config.addr)))?;
    let bound = listener.local_addr().unwrap_or(config.addr);
    let demo = Demo::build(config, bound).await.map_err(|e| fail(&e))?;
    Ok((demo, listener))
}

impl Demo {
    /// Build the validators, the issuer, sign-in and the API keys from `config`, for a
    /// server listening on `bound` (the base URL when `DEMO_PUBLIC_URL` is unset is
    /// `http://{bound}`). With an OpenID provider, its keys are fetched through discovery (a
    /// failure stops the start) and refreshed in the background on the current Tokio
    /// runtime.
    ///
    /// # Errors
    ///
    /// A value the toolkit refuses (a short secret, an unreachable provider); the message
    /// names the variable.
    pub async fn build(config: Config, bound: SocketAddr) -> Result<Demo, StartError> {
        // First: what happens while building (the provider's keys fetched) is counted too.
        let metrics = metrics_exporter();
        let base = config
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{bound}"));
        let bad_secret = |e: ConfigError| StartError(format!("DEMO_JWT_SECRET: {e}"));
        let (secret, secret_generated) = match &config.jwt_secret {
            Some(secret) => (
                Zeroizing::new(secret.expose_secret().as_bytes().to_vec()),
                false,
            ),
            None => {
                let mut bytes = Zeroizing::new(vec![0u8; 32]);
                aws_lc_rs::rand::fill(&mut bytes).map_err(|_| {
                    StartError("DEMO_JWT_SECRET: no randomness to generate one".into())
                })?;
                (bytes, true)
            }
        };
        // One key signs the banner's development tokens, another (the same secret) the
        // sessions: `SigningKey` is not `Clone`.
        let signing = SigningKey::hmac(Algorithm::HS256, &secret).map_err(bad_secret)?;
        let sessions = SigningKey::hmac(Algorithm::HS256, &secret).map_err(bad_secret)?;
        let verifying: VerifyingKey = signing.verifying_key().map_err(bad_secret)?;
        // A rotated-out secret keeps what it signed valid (tokens, sessions, sign-ins in
        // progress) while new ones use the current secret.
        let previous = |e: ConfigError| StartError(format!("DEMO_JWT_PREVIOUS_SECRET: {e}"));
        let previous_secret = config
            .jwt_previous_secret
            .as_ref()
            .map(|s| Zeroizing::new(s.expose_secret().as_bytes().to_vec()));
        let previous_verifying = previous_secret
            .as_ref()
            .map(|s| SigningKey::hmac(Algorithm::HS256, s).and_then(|k| k.verifying_key()))
            .transpose()
            .map_err(previous)?;
        let fetch = Arc::new(
            ReqwestFetch::new(FetchPolicy {
                // Plain http to loopback only: a provider on this machine in development.
                allow_http_loopback: true,
                // No private or link-local destination (a metadata service, the internal
                // network), whatever discovery or DNS says; loopback stays allowed above.
                public_only: true,
                ..FetchPolicy::default()
            })
            .map_err(|e| StartError(format!("DEMO_OIDC_ISSUER: {e}")))?,
        );
        let shared = stores::shared(&config).await?;
        let limits = shared.limits.clone();
        let dpop_replay = shared.dpop_replay.clone();
        let login = sign_in(
            &config,
            &base,
            (&secret, previous_secret.as_deref().map(Vec::as_slice)),
            sessions,
            &fetch,
            shared,
        )
        .await?;
        let mut sources = vec![TokenSource::AuthorizationBearer];
        if let Some(login) = &login {
            sources.push(TokenSource::Cookie(login.session_cookie().to_owned()));
        }
        // With a provider, clients learn from the API's metadata where to get a token; the
        // challenges on /api/* name it.
        // With a provider's tokens accepted, DPoP-bound ones are too: a proof's `htu` is the
        // base URL + the request's path.
        let dpop = match &config.oidc_audience {
            Some(_) if config.oidc_issuer.is_some() => {
                let dpop = auth_core::jwt::Dpop::new(&base)
                    .map_err(|e| StartError(format!("DEMO_PUBLIC_URL: {e}")))?;
                // Several instances: a proof replayed to another one is refused too.
                Some(match dpop_replay {
                    Some(store) => dpop.shared_replay(store),
                    None => dpop,
                })
            }
            _ => None,
        };
        let metadata = match &config.oidc_issuer {
            None => None,
            Some(issuer) => Some(
                auth_core::metadata::ResourceMetadata::builder(&base)
                    .map(|m| {
                        let m = m
                            .authorization_servers([issuer.as_str()])
                            .scopes_supported(["read", "admin"])
                            .name("auth-demo");
                        match &dpop {
                            Some(dpop) => m.dpop(dpop),
                            None => m,
                        }
                    })
                    .and_then(|m| m.build())
                    .map_err(|e| StartError(format!("DEMO_PUBLIC_URL: {e}")))?,
            ),
        };
        let metadata_url = metadata.as_ref().map(|m| m.url().to_owned());
        let mut app = JwtValidator::builder()
            .key(verifying)
            .keys(previous_verifying)
            .algorithms([Algorithm::HS256])
            .issuer(config.jwt_issuer.clone())
            .audience(config.jwt_audience.clone())
            .require_claim(ClaimName::Sub)
            .roles_from(ROLE_CLAIMS)
            .realm(REALM)
            .token_sources(sources.clone());
        if let Some(login) = &login {
            // "Sign out everywhere" ends the access tokens already issued.
            app = app.sign_outs(login.sign_outs());
        }
        if let Some(url) = &metadata_url {
            app = app.resource_metadata(url);
        }
        let app = app
            .build()
            .map_err(|e| StartError(format!("JWT validator: {e}")))?;
        let oidc = config.oidc_issuer.clone().zip(config.oidc_audience.clone());
        let validator = match &oidc {
            None => app,
            Some((issuer, audience)) => {
                let mut routes = JwtValidator::builder()
                    .route_issuer(app)
                    .route_issuer(provider_validator(issuer, audience, fetch.clone()).await?)
                    .realm(REALM)
                    .token_sources(sources);
                if let Some(url) = &metadata_url {
                    routes = routes.resource_metadata(url);
                }
                if let Some(dpop) = dpop {
                    routes = routes.dpop(dpop);
                }
                // With the demo's client credentials, the provider's opaque tokens are
                // accepted too, through introspection.
                if let Some(Client {
                    id,
                    secret: Some(secret),
                }) = &config.oidc_client
                {
                    routes = routes.introspection(
                        introspector(issuer, audience, (id, secret), fetch.clone()).await?,
                    );
                }
                routes.build().map_err(|e| {
                    StartError(format!(
                        "DEMO_OIDC_ISSUER: {e} (is it equal to DEMO_JWT_ISSUER?)"
                    ))
                })?
            }
        };
        let issuer = JwtIssuer::new(signing, config.jwt_issuer, config.jwt_audience);
        let (keys, key_source) =
            stores::api_keys(config.api_keys_file, config.database_url.as_ref(), limits).await?;
        let openapi = openapi::document(&openapi::Described {
            validator: &validator,
            keys: &keys,
            login: login.as_ref(),
            provider_tokens: oidc.is_some(),
            metadata: metadata.is_some(),
        })
        .into();
        Ok(Demo {
            openapi,
            addr: bound,
            public_url: config.public_url,
            validator,
            oidc,
            metadata,
            metrics,
            login,
            issuer,
            secret_generated,
            keys,
            key_source,
        })
    }

    /// The sign-in page of the demo on `framework`.
    pub fn page(&self, framework: &str) -> Page {
        Page::new(framework, self.login.iter().flat_map(Login::providers))
    }
}

/// The body of `GET /internal/stats`: who called.
pub fn stats_body(key: &VerifiedKey) -> Value {
    json!({ "key_id": key.id(), "name": key.name(), "scopes": key.scopes() })
}

/// The body of `GET /api/whoami`, the route that takes a token or an API key.
pub fn whoami_body(caller: &auth_core::principal::Caller) -> Value {
    match caller {
        auth_core::principal::Caller::User(claims) => {
            json!({ "kind": "user", "sub": claims.sub(), "scopes": claims.scopes })
        }
        auth_core::principal::Caller::Service(key) => {
            json!({ "kind": "service", "key_id": key.id(), "name": key.name(), "scopes": key.scopes() })
        }
    }
}

/// `GET /health`: 200 `{"status":"ok"}`, or 503 `{"status":"degraded","problems":[...]}`
/// while the API-key store serves keys it could not refresh (a key file that changed but
/// cannot be read: a revocation made since is not in force).
pub fn health(keys: &ApiKeyValidator) -> (u16, Value) {
    match keys.store_problem() {
        None => (200, json!({ "status": "ok" })),
        Some(problem) => (503, json!({ "status": "degraded", "problems": [problem] })),
    }
}

/// Log to stderr, filtered by `RUST_LOG` (default `info`): warnings and errors, such as a
/// key file that cannot be read any more, are visible without configuration.
pub fn init_logs() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// The demo's own claims, beside the registered ones.
#[derive(Debug, Deserialize)]
pub struct DemoClaims {
    /// The identity provider a signed-in user came from, if any.
    pub idp: Option<String>,
}

/// The body of `GET /api/me`: the validated claims (`iss`, `sub`, `aud`, `exp`, `nbf`,
/// `iat`, `jti` when present), `scopes` as an array, and `idp` when present.
#[derive(Debug, Serialize)]
pub struct MeBody<'a> {
    #[serde(flatten)]
    registered: &'a RegisteredClaims,
    scopes: &'a Scopes,
    #[serde(skip_serializing_if = "Option::is_none")]
    idp: Option<&'a str>,
}

/// The body of `GET /api/me` for `claims`.
pub fn me_body(claims: &Claims<DemoClaims>) -> MeBody<'_> {
    MeBody {
        registered: &claims.registered,
        scopes: &claims.scopes,
        idp: claims.custom.idp.as_deref(),
    }
}

/// The body of `GET /api/admin`: the subject, and the roles when the token has some.
pub fn admin_body<C>(claims: &Claims<C>) -> Value {
    if claims.roles.is_empty() {
        json!({ "sub": claims.sub(), "admin": true })
    } else {
        json!({ "sub": claims.sub(), "admin": true, "roles": claims.roles })
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    /// The contract: provider keys refreshed at least once a minute, so a retired key is
    /// refused within two minutes (the floor applies to `no-store` answers too).
    #[test]
    fn provider_keys_are_refreshed_every_minute() {
        let policy = super::provider_key_policy();
        assert!(policy.max_age <= Duration::from_secs(60), "{policy:?}");
        assert!(policy.min_age <= policy.max_age);
    }
}
