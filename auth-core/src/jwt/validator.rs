//! `JwtValidator`: built once at start-up, immutable, cheap to clone and share.
//!
//! The verification path is written here rather than delegated to
//! `jsonwebtoken::decode`, which parses the key on every call and decodes the header and the
//! claims twice. This one parses each key once at start-up (aws-lc-rs `ParsedPublicKey`,
//! `hmac::Key`), decodes each segment once, and reads the JSON in one pass; it uses the same
//! aws-lc-rs primitives jsonwebtoken uses, and the test suite checks it against
//! jsonwebtoken on the whole conformance table and on the Wycheproof JWS vectors.

use std::{fmt, sync::Arc};

use serde::de::DeserializeOwned;

use super::{
    algorithm::Algorithm,
    cache::VerifiedCache,
    claims::{self, Claims, NoClaims},
    key::VerifyingKey,
    registered::RegisteredClaims,
    verified::VerifiedJwt,
};
use crate::{
    credential::{SiteCheck, TokenSource, find_bearer, is_unsafe_method},
    error::{AuthError, Rejection, Renderer, Scheme, TokenError},
    guard::Origin,
    request::RequestView,
    scope::ScopeRequirement,
};

/// A registered claim that can be made mandatory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ClaimName {
    /// `iss`
    Iss,
    /// `sub`
    Sub,
    /// `aud`
    Aud,
    /// `exp`
    Exp,
    /// `nbf`
    Nbf,
    /// `iat`
    Iat,
    /// `jti`
    Jti,
}

impl ClaimName {
    pub(super) fn present(self, c: &RegisteredClaims) -> bool {
        match self {
            ClaimName::Iss => c.iss().is_some(),
            ClaimName::Sub => c.sub().is_some(),
            ClaimName::Aud => !c.aud_is_empty(),
            ClaimName::Exp => c.exp().is_some(),
            ClaimName::Nbf => c.nbf().is_some(),
            ClaimName::Iat => c.iat().is_some(),
            ClaimName::Jti => c.jti().is_some(),
        }
    }
}

/// Validates JWTs (compact JWS) against a fixed policy.
///
/// ```
/// use auth_core::jwt::{Algorithm, VerifyingKey, JwtValidator};
///
/// let validator = JwtValidator::builder()
///     .key(VerifyingKey::hmac(Algorithm::HS256, b"0123456789abcdefghijklmnopqrstuv")?)
///     .issuer("https://issuer.example")
///     .audience("my-api")
///     .realm("my-api")
///     .build()?;
/// assert!(validator.verify_now("not.a.token").is_err());
/// # Ok::<(), auth_core::error::ConfigError>(())
/// ```
///
/// # Security
///
/// - Algorithms come from the keys (each key is bound to one) and the optional
///   [`algorithms`](super::JwtValidatorBuilder::algorithms) list, never from the token. `none` does
///   not exist here.
/// - Tokens with `jku`, `x5u`, `jwk` or `crit` headers are refused; `x5c` is ignored.
/// - `exp` is required unless [`allow_missing_exp`](super::JwtValidatorBuilder::allow_missing_exp)
///   is called; `nbf` and `iat` are honoured with the leeway (default 60 s).
/// - Issuers match byte for byte. A token with `aud` is refused unless an accepted audience
///   is configured and present (RFC 7519 §4.1.3).
/// - Duplicate JSON members and registered claims of the wrong type are refused.
/// - A token with a `nonce` claim (an OpenID ID token) is refused: an ID token is never an
///   access token, even when its audience is ours. Validators of ID tokens opt out with
///   [`allow_nonce`](super::JwtValidatorBuilder::allow_nonce). A provider's JWT access
///   tokens are best checked under
///   [`access_token_profile`](super::JwtValidatorBuilder::access_token_profile) (RFC 9068:
///   `typ` `at+jwt`).
/// - A token without `kid` is tried against every key bound to its algorithm (static and
///   remote alike); a token with a `kid` only against the key with that id and algorithm.
///
/// # Remote keys, several issuers, the verified-token cache
///
/// - [`remote_keys`](super::JwtValidatorBuilder::remote_keys) adds a provider's key set
///   ([`RemoteKeySet`](crate::remote::RemoteKeySet)); the request path reads it from a
///   lock-free snapshot. A token with an unknown `kid` makes
///   [`verify`](JwtValidator::verify), [`verify_claims`](JwtValidator::verify_claims), the
///   guards and the extractors refetch (single-flight, rate-limited) and try once more; a set with no usable keys answers
///   503.
/// - [`route_issuer`](super::JwtValidatorBuilder::route_issuer) combines validators, one
///   per issuer, each with its own keys, audiences and algorithms: the token's `iss` (read
///   before verification, only to choose) picks one of the configured issuers, and that
///   validator decides. Any other `iss` is refused.
/// - [`cache_verified`](super::JwtValidatorBuilder::cache_verified) keeps tokens whose
///   signature was checked, keyed by SHA-256 of the token, each no longer than its `exp`
///   and only while its key is in the set; claims are checked again on every use.
#[derive(Clone)]
pub struct JwtValidator {
    pub(super) inner: Arc<Inner>,
}

pub(super) struct Inner {
    pub(super) keys: Vec<VerifyingKey>,
    pub(super) remote: Option<Arc<dyn super::KeySet>>,
    pub(super) algorithms: Vec<Algorithm>,
    pub(super) issuers: Vec<String>,
    pub(super) audiences: Vec<String>,
    pub(super) leeway: i64,
    pub(super) require_exp: bool,
    pub(super) required: Vec<ClaimName>,
    pub(super) typ: Vec<String>,
    /// Refuse tokens with a `nonce` claim (ID tokens); off only for ID-token validators.
    pub(super) refuse_nonce: bool,
    pub(super) max_len: usize,
    pub(super) sources: Vec<TokenSource>,
    pub(super) renderer: Renderer,
    /// Validators by issuer: when not empty, the token's `iss` picks one, which decides.
    pub(super) routes: Vec<(String, JwtValidator)>,
    pub(super) cache: Option<VerifiedCache>,
    /// The cross-site check of cookie tokens: the app's origin (else the request's
    /// authority) and trusted origins.
    pub(super) site: SiteCheck,
    /// Sign-out epochs checked against `iat`.
    pub(super) sign_outs: Option<Arc<super::SignOuts>>,
    /// Where roles are read from (none: no roles, no cost).
    pub(super) roles: Vec<super::ClaimPath>,
    /// Where opaque tokens go, if they are accepted.
    pub(super) introspection: Option<Arc<dyn super::Introspect>>,
    /// DPoP-bound tokens, if they are accepted.
    pub(super) dpop: Option<super::Dpop>,
    /// This validator's identity, recorded in every [`VerifiedJwt`] it produces.
    pub(super) origin: Origin,
}

impl fmt::Debug for JwtValidator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.inner;
        f.debug_struct("JwtValidator")
            .field("keys", &i.keys)
            .field("algorithms", &i.algorithms)
            .field("issuers", &i.issuers)
            .field("audiences", &i.audiences)
            .field("leeway", &i.leeway)
            .field("require_exp", &i.require_exp)
            .field("typ", &i.typ)
            .field("max_len", &i.max_len)
            .field("sources", &i.sources)
            .field("renderer", &i.renderer)
            .field("routes", &i.routes)
            .field("cache", &i.cache)
            .finish()
    }
}

impl JwtValidator {
    /// Start configuring a validator.
    pub fn builder() -> super::JwtValidatorBuilder {
        super::JwtValidatorBuilder::default()
    }

    /// Verify `token` (signature, then claims) and keep its payload, for reading claims
    /// later ([`VerifiedJwt::claims`]). A token whose key id a remote key set does not hold
    /// (yet) makes the set refetch (single flight, with a cool-down) and is tried once more;
    /// with static keys this is [`verify_now`](Self::verify_now).
    ///
    /// # Errors
    ///
    /// Why the token is refused ([`TokenError`]).
    pub async fn verify(&self, token: &str) -> Result<VerifiedJwt, TokenError> {
        match self.verify_now(token) {
            Err(TokenError::Opaque) => {
                let (answer, NoClaims) = self.introspect::<NoClaims>(token).await?;
                Ok(answer)
            }
            Err(e) if self.refetchable(&e) => {
                self.refetch_for(token).await?;
                self.verify_now(token)
            }
            other => other,
        }
    }

    /// Verify `token` and read its claims, with the application's type `C`, in one pass
    /// over the payload; refetches remote keys as [`verify`](Self::verify) does.
    ///
    /// # Errors
    ///
    /// Why the token is refused ([`TokenError`]), including claims that do not fit `C`.
    pub async fn verify_claims<C: DeserializeOwned>(
        &self,
        token: &str,
    ) -> Result<Claims<C>, TokenError> {
        match self.verify_claims_now(token) {
            Err(TokenError::Opaque) => {
                let (jwt, custom) = self.introspect::<C>(token).await?;
                Ok(Claims {
                    registered: jwt.registered,
                    scopes: jwt.scopes,
                    roles: jwt.roles,
                    dpop: false,
                    custom,
                })
            }
            Err(e) if self.refetchable(&e) => {
                self.refetch_for(token).await?;
                self.verify_claims_now(token)
            }
            other => other,
        }
    }

    /// [`verify`](Self::verify) against the keys in memory, at once (no refetch of remote
    /// keys). To get typed claims at once, use [`verify_claims_now`](Self::verify_claims_now),
    /// which reads the payload only once.
    ///
    /// # Errors
    ///
    /// Why the token is refused ([`TokenError`]).
    pub fn verify_now(&self, token: &str) -> Result<VerifiedJwt, TokenError> {
        self.verify_at(token, crate::clock::now())
    }

    /// [`verify_now`](Self::verify_now) as if the time were `now` (seconds since the epoch).
    ///
    /// # Errors
    ///
    /// Why the token is refused ([`TokenError`]).
    pub fn verify_at(&self, token: &str, now: i64) -> Result<VerifiedJwt, TokenError> {
        self.verify_at_bound(token, now, false)
    }

    /// [`verify_at`](Self::verify_at); a token bound to a key (`cnf`) passes only when
    /// `allow_bound` (a DPoP request, whose proof is checked next).
    pub(super) fn verify_at_bound(
        &self,
        token: &str,
        now: i64,
        allow_bound: bool,
    ) -> Result<VerifiedJwt, TokenError> {
        self.check_shape(token)?;
        if !self.inner.routes.is_empty() {
            // The routing validator vouches for the result, not the route it chose.
            let mut jwt = self
                .route(token)?
                .verify_at_bound(token, now, allow_bound)?;
            jwt.origin = self.inner.origin;
            return Ok(jwt);
        }
        self.with_payload(token, |payload| {
            let (recorded, NoClaims) = claims::parse::<NoClaims>(payload)?;
            self.check_claims(&recorded, now)?;
            if recorded.cnf && !allow_bound {
                return Err(TokenError::Bound);
            }
            Ok(VerifiedJwt {
                registered: recorded.registered,
                scopes: recorded.scopes,
                roles: super::roles::roles_of(&self.inner.roles, payload),
                dpop: false,
                payload: payload.to_vec(),
                origin: self.inner.origin,
            })
        })
    }

    /// Whether `jwt` was verified by this validator (or a clone of it). Guards and
    /// extractors reuse an outer guard's result only then: a token another validator
    /// accepted (another issuer's keys, audience or `typ`) is checked again.
    pub(crate) fn produced(&self, jwt: &VerifiedJwt) -> bool {
        jwt.origin == self.inner.origin
    }

    /// [`verify_claims`](Self::verify_claims) against the keys in memory, at once.
    ///
    /// # Errors
    ///
    /// Why the token is refused ([`TokenError`]), including claims that do not fit `C`.
    pub fn verify_claims_now<C: DeserializeOwned>(
        &self,
        token: &str,
    ) -> Result<Claims<C>, TokenError> {
        self.verify_claims_at(token, crate::clock::now())
    }

    /// [`verify_claims_now`](Self::verify_claims_now) as if the time were `now`.
    pub(crate) fn verify_claims_at<C: DeserializeOwned>(
        &self,
        token: &str,
        now: i64,
    ) -> Result<Claims<C>, TokenError> {
        self.check_shape(token)?;
        if !self.inner.routes.is_empty() {
            return self.route(token)?.verify_claims_at(token, now);
        }
        self.with_payload(token, |payload| {
            let (recorded, custom) = claims::parse::<C>(payload)?;
            self.check_claims(&recorded, now)?;
            if recorded.cnf {
                return Err(TokenError::Bound);
            }
            Ok(Claims {
                registered: recorded.registered,
                scopes: recorded.scopes,
                roles: super::roles::roles_of(&self.inner.roles, payload),
                dpop: false,
                custom,
            })
        })
    }

    /// Verify only the JWS layer (header rules, algorithm, key, signature) and return the
    /// decoded payload, which need not be JSON. No claim is checked: use
    /// [`verify_now`](Self::verify_now) for JWTs.
    ///
    /// # Errors
    ///
    /// Why the JWS is refused ([`TokenError`]).
    pub fn verify_jws_now(&self, token: &str) -> Result<Vec<u8>, TokenError> {
        if !self.inner.routes.is_empty() {
            return self.route(token)?.verify_jws_now(token);
        }
        self.with_payload(token, |payload| Ok(payload.to_vec()))
    }

    /// Read the bearer token from `req` through the configured sources and verify it,
    /// keeping the payload ([`VerifiedJwt`]): what a layer that guards a route group needs.
    ///
    /// `Ok(None)` when the request carries no token. Synchronous: keys in memory only.
    ///
    /// # Errors
    ///
    /// A malformed request, a cross-site request with a cookie token, or a refused token.
    pub fn authenticate_now<R: RequestView>(
        &self,
        req: &R,
    ) -> Result<Option<VerifiedJwt>, AuthError> {
        self.authenticate_with(req, |token| self.verify_now(token))
    }

    /// Read the bearer token from `req` and verify it into typed claims, in one pass: what
    /// an extractor needs.
    ///
    /// `Ok(None)` when the request carries no token.
    pub(crate) fn authenticate_claims_now<C: DeserializeOwned, R: RequestView>(
        &self,
        req: &R,
    ) -> Result<Option<Claims<C>>, AuthError> {
        self.authenticate_with(req, |token| self.verify_claims_now(token))
    }

    /// How many verified tokens the cache holds (0 when it is off).
    pub fn cached_tokens(&self) -> usize {
        self.inner.cache.as_ref().map_or(0, VerifiedCache::len)
    }

    pub(super) fn authenticate_with<R: RequestView, T: super::describe::FromVerified>(
        &self,
        req: &R,
        verify: impl FnOnce(&str) -> Result<T, TokenError>,
    ) -> Result<Option<T>, AuthError> {
        if let Some(dpop) = &self.inner.dpop
            && let Some(token) = super::describe::dpop_token(req)?
        {
            // Decided here, never after a refetch: a DPoP error is not one to retry.
            let now = crate::clock::now();
            let fail = |e| AuthError::Dpop(crate::error::DpopError::Token(e));
            let mut jwt = self.verify_at_bound(token, now, true).map_err(fail)?;
            dpop.check(req, token, &jwt, now).map_err(AuthError::Dpop)?;
            jwt.dpop = true;
            return T::from_verified(jwt).map(Some).map_err(fail);
        }
        let Some(bearer) = find_bearer(req, &self.inner.sources)? else {
            return Ok(None);
        };
        if bearer.from_cookie && is_unsafe_method(req.method()) {
            let header = |name| {
                req.header_values(name)
                    .next()
                    .and_then(|v| std::str::from_utf8(v).ok())
            };
            if self.inner.site.is_cross_site(
                header("origin"),
                header("sec-fetch-site"),
                req.authority(),
            ) {
                return Err(AuthError::CrossSite);
            }
        }
        verify(bearer.token).map(Some).map_err(|e| {
            // A token that fails to verify may be a malformed header (400) rather than a bad
            // token (401); the grammar check runs only now, off the hot path.
            match bearer.grammar_error() {
                Some(grammar) => AuthError::InvalidRequest(Scheme::Bearer, grammar),
                None => AuthError::from(e),
            }
        })
    }

    /// Like [`authenticate_now`](Self::authenticate_now), but a missing token is an error,
    /// and the token must meet `scopes` when given.
    pub(crate) fn require_now<R: RequestView>(
        &self,
        req: &R,
        scopes: Option<&ScopeRequirement>,
    ) -> Result<VerifiedJwt, AuthError> {
        let jwt = self
            .authenticate_now(req)?
            .ok_or(AuthError::MissingCredential(Scheme::Bearer))?;
        check_scopes(&jwt, scopes)?;
        Ok(jwt)
    }

    /// Render `error` with this validator's realm and renderer.
    pub fn reject(&self, error: &AuthError) -> Rejection {
        self.inner.renderer.render(error)
    }

    /// The renderer (realm and body hook) of this validator.
    pub fn renderer(&self) -> &Renderer {
        &self.inner.renderer
    }
}

/// Check `jwt` against an optional requirement, scopes or roles (403 `insufficient_scope`).
pub(crate) fn check_scopes(
    jwt: &VerifiedJwt,
    scopes: Option<&ScopeRequirement>,
) -> Result<(), AuthError> {
    match scopes {
        Some(req) if !req.is_met(&jwt.scopes, &jwt.roles) => {
            let scheme = if jwt.dpop {
                Scheme::Dpop
            } else {
                Scheme::Bearer
            };
            Err(AuthError::InsufficientScope(scheme, req.clone()))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
pub(super) mod tests {
    use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};

    use super::*;
    use crate::error::ConfigError;
    use crate::jwt::pipeline::same_typ;

    pub(in crate::jwt) const SECRET: &[u8] = b"0123456789abcdefghijklmnopqrstuv";

    pub(in crate::jwt) fn hs256(header: &str, claims: &str) -> String {
        use aws_lc_rs::hmac;
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header),
            URL_SAFE_NO_PAD.encode(claims)
        );
        let tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, SECRET), input.as_bytes());
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(tag.as_ref()))
    }

    pub(in crate::jwt) fn validator() -> Result<JwtValidator, ConfigError> {
        JwtValidator::builder()
            .key(VerifyingKey::hmac(Algorithm::HS256, SECRET)?)
            .issuer("iss")
            .audience("aud")
            .build()
    }

    pub(in crate::jwt) const H: &str = r#"{"alg":"HS256","typ":"JWT"}"#;

    #[test]
    fn accepts_a_valid_token() -> Result<(), ConfigError> {
        let v = validator()?;
        let t = hs256(
            H,
            r#"{"iss":"iss","aud":"aud","sub":"u","exp":2000,"scope":"a b"}"#,
        );
        let ok = v.verify_at(&t, 1000);
        assert_eq!(ok.as_ref().map(|j| j.registered().sub()), Ok(Some("u")));
        assert!(ok.is_ok_and(|j| j.scopes().contains("b")));
        Ok(())
    }

    #[test]
    fn time_claims_and_leeway() -> Result<(), ConfigError> {
        let v = validator()?;
        let t = |c: &str| hs256(H, &format!(r#"{{"iss":"iss","aud":"aud",{c}}}"#));
        assert_eq!(v.verify_at(&t(r#""exp":1000"#), 1059).err(), None);
        assert_eq!(
            v.verify_at(&t(r#""exp":1000"#), 1060).err(),
            Some(TokenError::Expired)
        );
        assert_eq!(
            v.verify_at(&t(r#""exp":5000,"nbf":1061"#), 1000).err(),
            Some(TokenError::NotYetValid)
        );
        assert_eq!(
            v.verify_at(&t(r#""exp":5000,"nbf":1060"#), 1000).err(),
            None
        );
        assert_eq!(
            v.verify_at(&t(r#""exp":5000,"iat":1061"#), 1000).err(),
            Some(TokenError::IssuedInFuture)
        );
        assert_eq!(
            v.verify_at(&t(r#""sub":"x""#), 1000).err(),
            Some(TokenError::MissingClaim)
        );
        Ok(())
    }

    #[test]
    fn issuer_and_audience_are_exact() -> Result<(), ConfigError> {
        let v = validator()?;
        let t = |c: &str| hs256(H, &format!(r#"{{"exp":5000,{c}}}"#));
        assert_eq!(
            v.verify_at(&t(r#""iss":"iss/","aud":"aud""#), 1000).err(),
            Some(TokenError::Issuer)
        );
        assert_eq!(
            v.verify_at(&t(r#""iss":"ISS","aud":"aud""#), 1000).err(),
            Some(TokenError::Issuer)
        );
        assert_eq!(
            v.verify_at(&t(r#""iss":"iss","aud":["x","aud"]"#), 1000)
                .err(),
            None
        );
        assert_eq!(
            v.verify_at(&t(r#""iss":"iss","aud":["x"]"#), 1000).err(),
            Some(TokenError::Audience)
        );
        assert_eq!(
            v.verify_at(&t(r#""iss":"iss","aud":[]"#), 1000).err(),
            Some(TokenError::Audience)
        );
        Ok(())
    }

    #[test]
    fn audience_present_but_not_configured_is_refused() -> Result<(), ConfigError> {
        let v = JwtValidator::builder()
            .key(VerifyingKey::hmac(Algorithm::HS256, SECRET)?)
            .build()?;
        let t = hs256(H, r#"{"exp":5000,"aud":"someone"}"#);
        assert_eq!(v.verify_at(&t, 1000).err(), Some(TokenError::Audience));
        Ok(())
    }

    #[test]
    fn typ_requirement() -> Result<(), ConfigError> {
        let v = JwtValidator::builder()
            .key(VerifyingKey::hmac(Algorithm::HS256, SECRET)?)
            .require_typ("at+jwt")
            .build()?;
        let c = r#"{"exp":5000}"#;
        assert!(
            v.verify_at(&hs256(r#"{"alg":"HS256","typ":"at+JWT"}"#, c), 0)
                .is_ok()
        );
        assert!(
            v.verify_at(
                &hs256(r#"{"alg":"HS256","typ":"application/at+jwt"}"#, c),
                0
            )
            .is_ok()
        );
        assert_eq!(v.verify_at(&hs256(H, c), 0).err(), Some(TokenError::Type));
        assert_eq!(
            v.verify_at(&hs256(r#"{"alg":"HS256"}"#, c), 0).err(),
            Some(TokenError::Type)
        );
        Ok(())
    }

    /// Review item 4: an ID token (a `nonce`, `typ` `JWT`) never passes as an access token.
    #[test]
    fn review_04_id_tokens_are_not_access_tokens() -> Result<(), ConfigError> {
        let id_token = hs256(
            H,
            r#"{"iss":"iss","aud":"aud","sub":"u","exp":5000,"iat":900,"nonce":"n"}"#,
        );
        // Refused by default, whatever the profile...
        assert_eq!(
            validator()?.verify_at(&id_token, 1000).err(),
            Some(TokenError::Type)
        );
        // ...and accepted by an ID-token validator.
        let ids = JwtValidator::builder()
            .key(VerifyingKey::hmac(Algorithm::HS256, SECRET)?)
            .issuer("iss")
            .audience("aud")
            .allow_nonce()
            .build()?;
        assert!(ids.verify_at(&id_token, 1000).is_ok());
        // The access-token profile: `at+jwt`, with `sub`, `iat` and `jti`.
        let access = JwtValidator::builder()
            .key(VerifyingKey::hmac(Algorithm::HS256, SECRET)?)
            .issuer("iss")
            .audience("aud")
            .access_token_profile()
            .build()?;
        let claims = r#"{"iss":"iss","aud":"aud","sub":"u","exp":5000,"iat":900,"jti":"j"}"#;
        let at = |typ: &str| hs256(&format!(r#"{{"alg":"HS256","typ":"{typ}"}}"#), claims);
        assert!(access.verify_at(&at("at+jwt"), 1000).is_ok());
        assert!(access.verify_at(&at("application/at+jwt"), 1000).is_ok());
        assert_eq!(
            access.verify_at(&at("JWT"), 1000).err(),
            Some(TokenError::Type)
        );
        let no_jti = hs256(
            r#"{"alg":"HS256","typ":"at+jwt"}"#,
            r#"{"iss":"iss","aud":"aud","sub":"u","exp":5000,"iat":900}"#,
        );
        assert_eq!(
            access.verify_at(&no_jti, 1000).err(),
            Some(TokenError::MissingClaim)
        );
        Ok(())
    }

    #[test]
    fn structure_errors() -> Result<(), ConfigError> {
        let v = validator()?;
        assert_eq!(v.verify_now("a.b").err(), Some(TokenError::Malformed));
        assert_eq!(v.verify_now("a.b.c.d").err(), Some(TokenError::Malformed));
        assert_eq!(
            v.verify_now(&".".repeat(5000)).err(),
            Some(TokenError::Malformed)
        );
        assert_eq!(
            v.verify_now(&"a".repeat(9000)).err(),
            Some(TokenError::TooLarge)
        );
        assert_eq!(v.verify_now("").err(), Some(TokenError::Malformed));
        Ok(())
    }

    #[test]
    fn build_errors() -> Result<(), ConfigError> {
        assert!(matches!(
            JwtValidator::builder().build(),
            Err(ConfigError::NoKeys)
        ));
        let key = || VerifyingKey::hmac(Algorithm::HS256, SECRET);
        assert!(matches!(
            JwtValidator::builder().key(key()?).algorithms([]).build(),
            Err(ConfigError::NoAlgorithms)
        ));
        assert!(matches!(
            JwtValidator::builder()
                .key(key()?)
                .algorithms([Algorithm::RS256])
                .build(),
            Err(ConfigError::KeyAlgorithmNotAllowed("HS256"))
        ));
        assert!(matches!(
            JwtValidator::builder().key(key()?).max_token_len(0).build(),
            Err(ConfigError::ZeroTokenLimit)
        ));
        assert!(matches!(
            JwtValidator::builder()
                .key(key()?)
                .token_sources([])
                .build(),
            Err(ConfigError::BadSourceName)
        ));
        Ok(())
    }

    #[test]
    fn typ_comparison() {
        assert!(same_typ("at+jwt", "application/AT+JWT"));
        assert!(same_typ("application/at+jwt", "at+jwt"));
        assert!(!same_typ("at+jwt", "jwt"));
    }
}
