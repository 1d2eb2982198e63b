//! The JWT policies the adapters wrap: [`JwtGuard`] for layers and middleware, and
//! [`Extract`] for [`Claims`] in a handler's arguments.

use std::sync::Arc;

use serde::de::DeserializeOwned;

use super::{Claims, JwtValidator, VerifiedJwt, validator::check_scopes};
use crate::{
    error::{AuthError, Rejection, Scheme},
    extract::{Extract, Stash},
    guard::{Admission, Guard},
    request::RequestView,
    scope::{Policy, ScopeRequirement},
};

/// A valid token is required, and optionally scopes. Adapters wrap it as a tower layer
/// (`auth-axum`) or actix-web middleware (`auth-actix`); the decision is made here.
///
/// ```
/// use auth_core::{guard::{Admission, Guard}, jwt::{Algorithm, JwtGuard, VerifyingKey,
///     JwtValidator}, request::StaticRequest, scope::ScopeRequirement};
///
/// let validator = JwtValidator::builder()
///     .key(VerifyingKey::hmac(Algorithm::HS256, b"0123456789abcdefghijklmnopqrstuv")?)
///     .realm("api")
///     .build()?;
/// let guard = JwtGuard::new(validator).scopes(ScopeRequirement::all(["admin"]));
/// let Admission::Now(Err(rejection)) = guard.admit(&StaticRequest::new(), None) else {
///     panic!("no token, no entry");
/// };
/// assert_eq!(rejection.status, 401);
/// # Ok::<(), auth_core::error::ConfigError>(())
/// ```
#[derive(Debug, Clone)]
pub struct JwtGuard {
    validator: JwtValidator,
    scopes: Option<Arc<ScopeRequirement>>,
}

impl JwtGuard {
    /// Require a valid token checked by `validator`.
    pub fn new(validator: JwtValidator) -> Self {
        JwtGuard {
            validator,
            scopes: None,
        }
    }

    /// Also require scopes; a valid token without them gets 403 `insufficient_scope`.
    pub fn scopes(mut self, requirement: ScopeRequirement) -> Self {
        self.scopes = Some(Arc::new(requirement));
        self
    }
}

impl crate::guard::ScopedGuard for JwtGuard {
    fn with_scopes(self, requirement: ScopeRequirement) -> Self {
        self.scopes(requirement)
    }
}

impl Guard for JwtGuard {
    type Verified = Arc<VerifiedJwt>;

    /// Admit or reject `req`. `verified` is the token an outer guard already verified, if
    /// any: when this guard's validator produced it, only the scopes are checked; a token
    /// another validator verified is verified again. A token whose key id a remote key set
    /// does not hold (yet) is checked again, later, after a refetch.
    fn admit<R: RequestView>(
        &self,
        req: &R,
        verified: Option<&Arc<VerifiedJwt>>,
    ) -> Admission<Arc<VerifiedJwt>> {
        let scopes = self.scopes.as_deref();
        let reject = |e: AuthError| self.validator.reject(&e);
        if let Some(jwt) = verified.filter(|jwt| self.validator.produced(jwt)) {
            return Admission::Now(check_scopes(jwt, scopes).map(|()| None).map_err(reject));
        }
        crate::telemetry::observe(
            "jwt",
            |jwt| if jwt.dpop { "dpop" } else { "jwt" },
            || self.decide(req),
        )
    }
}

impl JwtGuard {
    /// The decision about a request no outer guard vouched for.
    fn decide<R: RequestView>(&self, req: &R) -> Admission<Arc<VerifiedJwt>> {
        let scopes = self.scopes.as_deref();
        let reject = |e: AuthError| self.validator.reject(&e);
        if let Some(later) = self.validator.dpop_later(req) {
            let guard = self.clone();
            return Admission::Later(Box::pin(async move {
                let checked = later
                    .await
                    .and_then(|jwt| check_scopes(&jwt, guard.scopes.as_deref()).map(|()| jwt));
                checked
                    .map(|jwt| Some(Arc::new(jwt)))
                    .map_err(|e| guard.validator.reject(&e))
            }));
        }
        match self.validator.require_now(req, scopes) {
            Ok(jwt) => Admission::Now(Ok(Some(Arc::new(jwt)))),
            Err(e) if self.validator.may_refetch(&e) => match self.validator.token(req) {
                Some(token) => {
                    let guard = self.clone();
                    Admission::Later(Box::pin(async move {
                        let scopes = guard.scopes.as_deref();
                        match guard.validator.verify(&token).await {
                            Ok(jwt) => check_scopes(&jwt, scopes).map(|()| Some(Arc::new(jwt))),
                            Err(e) => Err(AuthError::from(e)),
                        }
                        .map_err(|e| guard.validator.reject(&e))
                    }))
                }
                None => Admission::Now(Err(reject(e))),
            },
            Err(e) => Admission::Now(Err(reject(e))),
        }
    }
}

/// Verified claims: those of the token a guard with the same validator already verified,
/// or else of the request's own token, read in one pass; a token whose key id a remote key
/// set does not hold (yet) is verified after a refetch.
impl<C: DeserializeOwned + Send + 'static> Extract for Claims<C> {
    type Validators = JwtValidator;

    fn extract<R: RequestView, S: Stash + ?Sized>(
        validator: &JwtValidator,
        req: &R,
        stash: &S,
    ) -> Admission<Self> {
        if let Some(reused) = reuse(validator, stash) {
            return Admission::Now(reused);
        }
        crate::telemetry::observe("jwt", claims_kind, || claims_of(validator, req))
    }

    fn missing(validator: &JwtValidator) -> Rejection {
        validator.reject(&AuthError::MissingCredential(Scheme::Bearer))
    }
}

/// The `credential` label of admitted claims.
fn claims_kind<C>(claims: &Claims<C>) -> &'static str {
    if claims.dpop { "dpop" } else { "jwt" }
}

/// The claims of the token an outer guard with the same validator verified, if any.
fn reuse<C: DeserializeOwned, S: Stash + ?Sized>(
    validator: &JwtValidator,
    stash: &S,
) -> Option<crate::guard::Decision<Claims<C>>> {
    let jwt = stash
        .get::<Arc<VerifiedJwt>>()
        .filter(|jwt| validator.produced(jwt))?;
    Some(
        jwt.claims()
            .map(Some)
            .map_err(|e| validator.reject(&e.into())),
    )
}

/// The request's own token's claims, read in one pass; a token whose key id a remote key
/// set does not hold (yet), or an opaque one, is answered later.
fn claims_of<C: DeserializeOwned + Send + 'static, R: RequestView>(
    validator: &JwtValidator,
    req: &R,
) -> Admission<Claims<C>> {
    let reject = |e: AuthError| validator.reject(&e);
    if let Some(later) = validator.dpop_later(req) {
        let validator = validator.clone();
        return Admission::Later(Box::pin(async move {
            let claims = later.await.and_then(|jwt| {
                jwt.into_claims()
                    .map_err(|e| AuthError::Dpop(crate::error::DpopError::Token(e)))
            });
            claims.map(Some).map_err(|e| validator.reject(&e))
        }));
    }
    match validator.authenticate_claims_now::<C, R>(req) {
        Err(e) if validator.may_refetch(&e) => match validator.token(req) {
            Some(token) => {
                let validator = validator.clone();
                Admission::Later(Box::pin(async move {
                    validator
                        .verify_claims(&token)
                        .await
                        .map(Some)
                        .map_err(|e| validator.reject(&e.into()))
                }))
            }
            None => Admission::Now(Err(reject(e))),
        },
        other => Admission::Now(other.map_err(reject)),
    }
}

/// Verified claims whose scopes or roles meet the policy `P` (a type declared with
/// [`requirement!`](crate::requirement)): what the adapters' `Authorized<P, C>` extractors
/// take. A valid token that falls short gets 403 `insufficient_scope`.
///
/// ```
/// use auth_core::{
///     extract::{Extract, NoStash},
///     guard::Admission,
///     jwt::{Algorithm, Authorized, JwtIssuer, JwtValidator, NoClaims, SigningKey},
///     request::StaticRequest,
///     scope::ScopeRequirement,
/// };
///
/// auth_core::requirement! {
///     /// The `admin` scope or the `admin` role.
///     Admin = ScopeRequirement::all(["admin"]).or_any_role(["admin"]);
/// }
///
/// let signing = SigningKey::generate(Algorithm::HS256)?;
/// let validator = JwtValidator::builder()
///     .key(signing.verifying_key()?)
///     .issuer("app")
///     .audience("app")
///     .roles_from(["roles"])
///     .build()?;
/// let issuer = JwtIssuer::new(signing, "app", "app");
/// let ask = |token: String| {
///     let req = StaticRequest::new().header("authorization", format!("Bearer {token}"));
///     match Authorized::<Admin, NoClaims>::extract(&validator, &req, &NoStash) {
///         Admission::Now(Ok(Some(_))) => 200,
///         Admission::Now(Err(rejection)) => rejection.status,
///         _ => 0,
///     }
/// };
/// assert_eq!(ask(issuer.issue("ada", &["read"], &serde_json::json!({"roles": ["admin"]}))?), 200);
/// assert_eq!(ask(issuer.issue("bob", &["read"], &())?), 403);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Authorized<P, C = super::NoClaims> {
    /// The verified claims.
    pub claims: Claims<C>,
    /// The policy they met.
    pub policy: P,
}

impl<P: Policy, C: DeserializeOwned + Send + 'static> Extract for Authorized<P, C> {
    type Validators = JwtValidator;

    fn extract<R: RequestView, S: Stash + ?Sized>(
        validator: &JwtValidator,
        req: &R,
        stash: &S,
    ) -> Admission<Self> {
        let check = |validator: &JwtValidator, found: Option<Claims<C>>| match found {
            None => Ok(None),
            Some(claims) => match claims.require(P::requirement()) {
                Ok(()) => Ok(Some(Authorized {
                    claims,
                    policy: P::default(),
                })),
                Err(e) => Err(validator.reject(&e)),
            },
        };
        if let Some(reused) = reuse(validator, stash) {
            return Admission::Now(reused.and_then(|c| check(validator, c)));
        }
        let decide = || match claims_of::<C, R>(validator, req) {
            Admission::Now(decision) => Admission::Now(decision.and_then(|c| check(validator, c))),
            Admission::Later(decision) => {
                let validator = validator.clone();
                Admission::Later(Box::pin(async move {
                    decision.await.and_then(|c| check(&validator, c))
                }))
            }
        };
        crate::telemetry::observe("jwt", |a| claims_kind(&a.claims), decide)
    }

    fn missing(validator: &JwtValidator) -> Rejection {
        Claims::<C>::missing(validator)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        extract::NoStash,
        jwt::{Algorithm, JwtIssuer, NoClaims, SigningKey, VerifyingKey},
        request::StaticRequest,
    };

    #[test]
    fn an_outer_result_from_another_validator_is_not_reused()
    -> Result<(), Box<dyn std::error::Error>> {
        struct One(Arc<VerifiedJwt>);
        impl Stash for One {
            fn get<T: Send + Sync + 'static>(&self) -> Option<&T> {
                (&self.0 as &dyn std::any::Any).downcast_ref()
            }
        }
        let secret = b"0123456789abcdefghijklmnopqrstuv";
        let signing = SigningKey::hmac(Algorithm::HS256, secret)?;
        let build = || -> Result<JwtValidator, crate::error::ConfigError> {
            JwtValidator::builder()
                .key(VerifyingKey::hmac(Algorithm::HS256, secret)?)
                .issuer("i")
                .audience("a")
                .build()
        };
        let (ours, theirs) = (build()?, build()?);
        let token = JwtIssuer::new(signing, "i", "a").issue("u", &[], &())?;
        let stored = One(Arc::new(theirs.verify_now(&token)?));
        // The stash holds a result from another validator, the request no token: refused.
        let Admission::Now(Ok(None)) =
            Claims::<NoClaims>::extract(&ours, &StaticRequest::new(), &stored)
        else {
            panic!("another validator's result must not be reused");
        };
        let stored = One(Arc::new(ours.verify_now(&token)?));
        let Admission::Now(Ok(Some(c))) =
            Claims::<NoClaims>::extract(&ours, &StaticRequest::new(), &stored)
        else {
            panic!("our own result is reused");
        };
        assert_eq!(c.sub(), Some("u"));
        let Admission::Now(Ok(None)) =
            Claims::<NoClaims>::extract(&ours, &StaticRequest::new(), &NoStash)
        else {
            panic!("nothing sent");
        };
        Ok(())
    }
}
