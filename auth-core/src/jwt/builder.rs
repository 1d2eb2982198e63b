//! `JwtValidatorBuilder`: the configuration of a [`JwtValidator`], checked once by
//! [`build`](JwtValidatorBuilder::build).

use std::{fmt, sync::Arc, time::Duration};

use super::{
    algorithm::Algorithm,
    key::VerifyingKey,
    validator::{ClaimName, Inner, JwtValidator},
};
use crate::{
    credential::TokenSource,
    error::{ConfigError, RenderRejection, Renderer},
};

/// The clock-skew allowance when none is set.
const DEFAULT_LEEWAY: Duration = Duration::from_secs(60);

/// Configures a [`JwtValidator`]; see its documentation for the rules.
pub struct JwtValidatorBuilder {
    keys: Vec<VerifyingKey>,
    remote: Option<Arc<dyn super::KeySet>>,
    algorithms: Option<Vec<Algorithm>>,
    issuers: Vec<String>,
    audiences: Vec<String>,
    /// `None`: the default (60 s); kept apart so a routing validator can tell it was set.
    leeway: Option<Duration>,
    require_exp: bool,
    required: Vec<ClaimName>,
    typ: Vec<String>,
    allow_nonce: bool,
    max_len: usize,
    sources: Vec<TokenSource>,
    renderer: Renderer,
    routes: Vec<(String, JwtValidator)>,
    cache: usize,
    site: crate::credential::SiteCheck,
    sign_outs: Option<Arc<super::SignOuts>>,
    roles: Vec<super::ClaimPath>,
    introspection: Option<Arc<dyn super::Introspect>>,
    dpop: Option<super::Dpop>,
}

impl fmt::Debug for JwtValidatorBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtValidatorBuilder")
            .field("keys", &self.keys)
            .field("issuers", &self.issuers)
            .field("audiences", &self.audiences)
            .finish_non_exhaustive()
    }
}

impl Default for JwtValidatorBuilder {
    fn default() -> Self {
        JwtValidatorBuilder {
            keys: Vec::new(),
            remote: None,
            algorithms: None,
            issuers: Vec::new(),
            audiences: Vec::new(),
            leeway: None,
            require_exp: true,
            required: Vec::new(),
            typ: Vec::new(),
            allow_nonce: false,
            max_len: 8 * 1024,
            sources: vec![TokenSource::AuthorizationBearer],
            renderer: Renderer::default(),
            routes: Vec::new(),
            cache: 0,
            site: crate::credential::SiteCheck::default(),
            sign_outs: None,
            roles: Vec::new(),
            introspection: None,
            dpop: None,
        }
    }
}

impl JwtValidatorBuilder {
    /// Add a verification key.
    pub fn key(mut self, key: VerifyingKey) -> Self {
        self.keys.push(key);
        self
    }

    /// Add several verification keys (for example from
    /// [`keys_from_jwks`](super::keys_from_jwks)).
    pub fn keys(mut self, keys: impl IntoIterator<Item = VerifyingKey>) -> Self {
        self.keys.extend(keys);
        self
    }

    /// Also verify with the keys of a set that changes over time ([`KeySet`](super::KeySet):
    /// a provider's JWKS as a [`RemoteKeySet`](crate::remote::RemoteKeySet)), read without
    /// a lock on every request; a token with an unknown key id triggers a refetch through
    /// [`verify`](JwtValidator::verify) and the extractors. The accepted
    /// algorithms must then be listed with [`algorithms`](Self::algorithms).
    pub fn remote_keys<K: super::KeySet>(mut self, set: Arc<K>) -> Self {
        self.remote = Some(set);
        self
    }

    /// Hand tokens whose `iss` is `validator`'s issuer to `validator`: for services that
    /// accept tokens from several issuers, each with its own keys, audiences, algorithms
    /// and claims policy. `validator` must accept exactly one issuer, different from the
    /// other routes'. A validator with routes has no keys, issuers, audiences or token
    /// policy of its own (algorithms, leeway, `typ`, required claims, `exp`, `nonce`, cache:
    /// set them on each routed validator; [`build`](Self::build) refuses them here rather
    /// than ignore them); it keeps its token sources, size limit, cookie origin, realm and
    /// renderer, and refuses any other `iss` (401 `invalid_token`).
    ///
    /// ```
    /// use auth_core::jwt::{Algorithm, VerifyingKey, JwtValidator};
    /// let app = JwtValidator::builder()
    ///     .key(VerifyingKey::hmac(Algorithm::HS256, b"0123456789abcdefghijklmnopqrstuv")?)
    ///     .issuer("my-app")
    ///     .audience("my-app")
    ///     .build()?;
    /// let partner = JwtValidator::builder()
    ///     .key(VerifyingKey::hmac(Algorithm::HS256, b"a-partner-secret-of-32-bytes-min")?)
    ///     .issuer("https://partner.example")
    ///     .audience("my-app")
    ///     .build()?;
    /// let validator = JwtValidator::builder()
    ///     .route_issuer(app)
    ///     .route_issuer(partner)
    ///     .realm("my-app")
    ///     .build()?;
    /// # Ok::<(), auth_core::error::ConfigError>(())
    /// ```
    pub fn route_issuer(mut self, validator: JwtValidator) -> Self {
        let issuer = validator.inner.issuers.first().cloned().unwrap_or_default();
        self.routes.push((issuer, validator));
        self
    }

    /// Keep up to `capacity` verified tokens (0, the default: no cache). A repeated token
    /// then costs a SHA-256 of the token and a lookup instead of a signature check; its
    /// claims (`exp`, `nbf`, issuer, audience, scopes) are still checked on every use. An
    /// entry is used no later than the token's `exp`, and only while the key that verified
    /// it is in the key set. Worth it for RSA and ECDSA keys, whose checks cost tens of
    /// microseconds; an HMAC check costs about what the lookup does. With
    /// [`route_issuer`](Self::route_issuer), set it on the routed validators: each keeps its
    /// own.
    pub fn cache_verified(mut self, capacity: usize) -> Self {
        self.cache = capacity;
        self
    }

    /// Restrict the accepted algorithms (default: the algorithms of the keys). Every key's
    /// algorithm must be in the list.
    pub fn algorithms(mut self, algorithms: impl IntoIterator<Item = Algorithm>) -> Self {
        self.algorithms = Some(algorithms.into_iter().collect());
        self
    }

    /// Accept tokens from `issuer` (exact match). Call again to accept several.
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuers.push(issuer.into());
        self
    }

    /// Accept tokens whose `aud` contains `audience`. Call again to accept several.
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audiences.push(audience.into());
        self
    }

    /// Clock-skew allowance for `exp`, `nbf` and `iat` (default 60 s).
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = Some(leeway);
        self
    }

    /// Accept tokens without `exp`.
    ///
    /// # Security
    ///
    /// A token without `exp` is valid forever unless revoked by other means.
    pub fn allow_missing_exp(mut self) -> Self {
        self.require_exp = false;
        self
    }

    /// Make a registered claim mandatory.
    pub fn require_claim(mut self, claim: ClaimName) -> Self {
        self.required.push(claim);
        self
    }

    /// Require the header `typ` to be `typ` (such as `at+jwt` for RFC 9068 access tokens).
    /// Call again to accept several.
    pub fn require_typ(mut self, typ: impl Into<String>) -> Self {
        self.typ.push(typ.into());
        self
    }

    /// Check tokens as RFC 9068 JWT access tokens, as an identity provider issues them: the
    /// header `typ` must be `at+jwt` (or `application/at+jwt`), and `sub`, `iat` and `jti`
    /// are required (besides `exp`, and `iss` and `aud` when configured). Use it for a
    /// provider's access tokens: an ID token of the same provider (`typ` `JWT`, a `nonce`)
    /// is then refused even when its audience is ours.
    ///
    /// ```
    /// use auth_core::jwt::{Algorithm, VerifyingKey, JwtValidator};
    /// let provider = JwtValidator::builder()
    ///     .key(VerifyingKey::hmac(Algorithm::HS256, b"0123456789abcdefghijklmnopqrstuv")?)
    ///     .issuer("https://login.example.com")
    ///     .audience("my-api")
    ///     .access_token_profile()
    ///     .build()?;
    /// # Ok::<(), auth_core::error::ConfigError>(())
    /// ```
    pub fn access_token_profile(self) -> Self {
        self.require_typ("at+jwt")
            .require_claim(ClaimName::Sub)
            .require_claim(ClaimName::Iat)
            .require_claim(ClaimName::Jti)
    }

    /// Accept tokens that carry a `nonce` claim: for validators of OpenID ID tokens only.
    /// By default such a token is refused (401 `invalid_token`), since an ID token is never
    /// an access token.
    pub fn allow_nonce(mut self) -> Self {
        self.allow_nonce = true;
        self
    }

    /// The largest token accepted, in bytes (default 8 KiB); larger ones are refused
    /// before any decoding.
    pub fn max_token_len(mut self, len: usize) -> Self {
        self.max_len = len;
        self
    }

    /// Where tokens are read from (default: `Authorization: Bearer` only). Replaces the
    /// list.
    pub fn token_sources(mut self, sources: impl IntoIterator<Item = TokenSource>) -> Self {
        self.sources = sources.into_iter().collect();
        self
    }

    /// The app's origin (`https://app.example`), against which a cookie-authenticated
    /// unsafe request's `Origin` is checked (403 when it differs, or when `Sec-Fetch-Site`
    /// says cross-site). Default: the request's own authority (HTTP/2 `:authority`, else
    /// `Host`). Tokens from headers are never
    /// checked: browsers do not attach them to cross-site requests.
    pub fn cookie_origin(mut self, origin: impl Into<String>) -> Self {
        self.site = self.site.own_origin(origin);
        self
    }

    /// Also accept cookie-authenticated unsafe requests whose `Origin` is `origin` (call
    /// again for several): for an app served on more than one origin, or a front end on
    /// another origin of the same site. Exact match, scheme and port included.
    pub fn trusted_origin(mut self, origin: impl Into<String>) -> Self {
        self.site = self.site.trust(origin);
        self
    }

    /// Read roles from these claim paths ([`ClaimPath`](super::ClaimPath); a `&str` is
    /// read with dots between segments), for requirements with roles
    /// ([`ScopeRequirement::or_any_role`](crate::scope::ScopeRequirement::or_any_role)) and
    /// [`Claims::roles`](super::Claims::roles). Called again, adds paths. Without any, no
    /// roles are read and tokens pay nothing for it.
    ///
    /// ```
    /// use auth_core::jwt::{Algorithm, ClaimPath, JwtValidator, VerifyingKey};
    /// let validator = JwtValidator::builder()
    ///     .key(VerifyingKey::hmac(Algorithm::HS256, b"0123456789abcdefghijklmnopqrstuv")?)
    ///     .roles_from(["roles", "realm_access.roles"])
    ///     .roles_from([ClaimPath::new(["https://example.com/roles"])])
    ///     .build()?;
    /// # Ok::<(), auth_core::error::ConfigError>(())
    /// ```
    pub fn roles_from<I, P>(mut self, paths: I) -> Self
    where
        I: IntoIterator<Item = P>,
        P: Into<super::ClaimPath>,
    {
        self.roles.extend(paths.into_iter().map(Into::into));
        self
    }

    /// Accept opaque tokens too: a token that is not shaped like a JWT (two dots) is sent
    /// to `client` (RFC 7662 introspection: `auth_core::introspect::Introspector`, feature
    /// `reqwest`), and its claims are read from the answer; JWTs are verified as before.
    /// The token's shape chooses, so one route takes both. Scopes and roles are checked on
    /// every request, cached answers included. Set it on the validator the routes use (on
    /// a validator with issuer routes, beside the routes: an opaque token names no issuer).
    pub fn introspection(mut self, client: impl super::Introspect + 'static) -> Self {
        self.introspection = Some(Arc::new(client));
        self
    }

    /// Accept DPoP-bound tokens (RFC 9449): `Authorization: DPoP <token>` with a `DPoP`
    /// proof, checked by `dpop` ([`Dpop`](super::Dpop)); a refused proof gets 401
    /// `WWW-Authenticate: DPoP error="invalid_dpop_proof"`. Bearer tokens are taken as
    /// before, except a bound one (`cnf`), which is refused with or without this. Set it on
    /// the validator the routes use (on a validator with issuer routes, beside the routes).
    pub fn dpop(mut self, dpop: super::Dpop) -> Self {
        self.dpop = Some(dpop);
        self
    }

    /// Refuse tokens issued before their subject's sign-out epoch (401 `invalid_token`):
    /// "sign out everywhere" then ends the access tokens already issued, checked in memory
    /// on every request. The sign-in routes keep the epochs
    /// (`auth_core::login::Login::sign_outs`, feature `login`), shared across instances
    /// when their `SignOutStore` is.
    pub fn sign_outs(mut self, sign_outs: Arc<super::SignOuts>) -> Self {
        self.sign_outs = Some(sign_outs);
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

    /// Name the API's protected-resource metadata (RFC 9728) in every `Bearer` challenge:
    /// `resource_metadata="{url}"`, what a client (an MCP client, for one) follows to find
    /// where to get a token. `url` is the document's absolute URL
    /// ([`ResourceMetadata::url`](crate::metadata::ResourceMetadata::url)).
    pub fn resource_metadata(mut self, url: impl AsRef<str>) -> Self {
        self.renderer = self.renderer.with_resource_metadata(url.as_ref());
        self
    }

    /// Tell clients why a token was refused (see [`Renderer::with_detail`]); by default
    /// every refused token gets the same description. For development only.
    pub fn detailed_errors(mut self) -> Self {
        self.renderer = self.renderer.with_detail(true);
        self
    }

    /// Check the configuration and build the validator.
    ///
    /// # Errors
    ///
    /// [`ConfigError`] for a configuration that cannot verify safely: no keys, no or
    /// disallowed algorithms, remote keys without an algorithm list, a zero size limit, a
    /// routing validator with a policy of its own.
    pub fn build(self) -> Result<JwtValidator, ConfigError> {
        if !self.routes.is_empty() {
            self.check_routes()?;
        } else if self.keys.is_empty() && self.remote.is_none() && self.introspection.is_none() {
            return Err(ConfigError::NoKeys);
        }
        if !self.roles.iter().all(super::ClaimPath::is_valid) {
            return Err(ConfigError::RolePath);
        }
        if self.remote.is_some() && self.algorithms.is_none() {
            // Remote keys change: the algorithm list cannot be derived from them.
            return Err(ConfigError::NoAlgorithms);
        }
        let algorithms = match self.algorithms {
            Some(list) => {
                if list.is_empty() {
                    return Err(ConfigError::NoAlgorithms);
                }
                if let Some(k) = self.keys.iter().find(|k| !list.contains(&k.algorithm())) {
                    return Err(ConfigError::KeyAlgorithmNotAllowed(k.algorithm().as_str()));
                }
                list
            }
            None => {
                let mut list: Vec<Algorithm> = Vec::new();
                for k in &self.keys {
                    if !list.contains(&k.algorithm()) {
                        list.push(k.algorithm());
                    }
                }
                list
            }
        };
        if self.max_len == 0 {
            return Err(ConfigError::ZeroTokenLimit);
        }
        if self.sources.is_empty() || !self.sources.iter().all(TokenSource::is_valid) {
            return Err(ConfigError::BadSourceName);
        }
        let renderer = self.renderer;
        Ok(JwtValidator {
            inner: Arc::new(Inner {
                keys: self.keys,
                remote: self.remote,
                algorithms,
                issuers: self.issuers,
                audiences: self.audiences,
                leeway: i64::try_from(self.leeway.unwrap_or(DEFAULT_LEEWAY).as_secs())
                    .unwrap_or(i64::MAX),
                require_exp: self.require_exp,
                required: self.required,
                typ: self.typ,
                refuse_nonce: !self.allow_nonce,
                max_len: self.max_len,
                sources: self.sources,
                renderer,
                routes: self.routes,
                cache: (self.cache > 0).then(|| super::cache::VerifiedCache::new(self.cache)),
                site: self.site,
                sign_outs: self.sign_outs,
                roles: self.roles,
                introspection: self.introspection,
                dpop: self.dpop,
                origin: crate::guard::Origin::new(),
            }),
        })
    }

    fn check_routes(&self) -> Result<(), ConfigError> {
        if !self.keys.is_empty()
            || self.remote.is_some()
            || !self.issuers.is_empty()
            || !self.audiences.is_empty()
        {
            return Err(ConfigError::Routes(
                "a validator with issuer routes has no keys, issuers or audiences of its own",
            ));
        }
        // Each routed validator applies its own policy; the router's would be ignored, so
        // setting one is a mistake to report, not to let pass.
        if self.algorithms.is_some()
            || self.leeway.is_some()
            || !self.require_exp
            || !self.required.is_empty()
            || !self.typ.is_empty()
            || self.allow_nonce
            || self.cache > 0
            || self.sign_outs.is_some()
            || !self.roles.is_empty()
        {
            return Err(ConfigError::Routes(
                "a validator with issuer routes has no token policy of its own (algorithms, \
                 leeway, typ, required claims, exp, nonce, cache, sign-outs, roles): set it on each \
                 routed validator",
            ));
        }
        for (i, (issuer, v)) in self.routes.iter().enumerate() {
            if v.inner.issuers.len() != 1 || !v.inner.routes.is_empty() {
                return Err(ConfigError::Routes(
                    "each routed validator accepts exactly one issuer",
                ));
            }
            if self.routes[..i].iter().any(|(other, _)| other == issuer) {
                return Err(ConfigError::Routes("two routes for the same issuer"));
            }
        }
        Ok(())
    }
}
