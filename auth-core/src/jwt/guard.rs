//! `JwtGuard`: the policy of a layer or middleware that guards a group of routes.

use std::sync::Arc;

use serde::de::DeserializeOwned;

use super::{Claims, JwtValidator, VerifiedJwt, check_scopes};
use crate::{
    error::{AuthError, Rejection},
    guard::{Admission, Guard},
    request::RequestView,
    scope::ScopeRequirement,
};

/// A valid token is required, and optionally scopes. Adapters wrap it as a tower layer
/// (`auth-axum`) or actix-web middleware (`auth-actix`); the decision is made here.
///
/// ```
/// use auth_core::{jwt::{Algorithm, JwtGuard, JwtKey, JwtValidator}, request::StaticRequest,
///     scope::ScopeRequirement};
///
/// let validator = JwtValidator::builder()
///     .key(JwtKey::hmac(Algorithm::HS256, b"0123456789abcdefghijklmnopqrstuv")?)
///     .realm("api")
///     .build()?;
/// let guard = JwtGuard::new(validator).scopes(ScopeRequirement::all(["admin"]));
/// let rejection = guard.check(&StaticRequest::new(), None).unwrap_err();
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

    /// The validator.
    pub fn validator(&self) -> &JwtValidator {
        &self.validator
    }

    /// Admit or reject `req`. `verified` is the token an outer guard already verified, if
    /// any: when this guard's validator produced it, only the scopes are checked; a token
    /// another validator verified is verified again. On success, the newly verified token
    /// (to be stored with the request for inner guards and extractors), or `None` if
    /// `verified` was reused.
    pub fn check<R: RequestView>(
        &self,
        req: &R,
        verified: Option<&VerifiedJwt>,
    ) -> Result<Option<VerifiedJwt>, Rejection> {
        let scopes = self.scopes.as_deref();
        match verified.filter(|jwt| self.validator.produced(jwt)) {
            Some(jwt) => check_scopes(jwt, scopes).map(|()| None),
            None => self.validator.require(req, scopes).map(Some),
        }
        .map_err(|e| self.validator.reject(&e))
    }
}

impl Guard for JwtGuard {
    type Verified = Arc<VerifiedJwt>;

    /// [`check`](Self::check) against the keys in force; a token whose key id a remote key
    /// set does not hold (yet) is checked again, later, after a refetch.
    fn admit<R: RequestView>(
        &self,
        req: &R,
        verified: Option<&Arc<VerifiedJwt>>,
    ) -> Admission<Arc<VerifiedJwt>> {
        let scopes = self.scopes.as_deref();
        if let Some(jwt) = verified.filter(|jwt| self.validator.produced(jwt)) {
            return Admission::Now(
                check_scopes(jwt, scopes)
                    .map(|()| None)
                    .map_err(|e| self.validator.reject(&e)),
            );
        }
        match self.validator.require(req, scopes) {
            Ok(jwt) => Admission::Now(Ok(Some(Arc::new(jwt)))),
            Err(e) if self.validator.may_refetch(&e) => match self.validator.token(req) {
                Some(token) => {
                    let guard = self.clone();
                    Admission::Later(Box::pin(async move {
                        let scopes = guard.scopes.as_deref();
                        match guard.validator.verify_refetching(&token).await {
                            Ok(jwt) => check_scopes(&jwt, scopes).map(|()| Some(Arc::new(jwt))),
                            Err(e) => Err(e),
                        }
                        .map_err(|e| guard.validator.reject(&e))
                    }))
                }
                None => Admission::Now(Err(self.validator.reject(&e))),
            },
            Err(e) => Admission::Now(Err(self.validator.reject(&e))),
        }
    }
}

impl JwtValidator {
    /// [`extract`](Self::extract), refetching a remote key set when the token's key id is
    /// unknown.
    pub async fn extract_async<C: DeserializeOwned, R: RequestView>(
        &self,
        req: &R,
        verified: Option<&VerifiedJwt>,
    ) -> Result<Option<Claims<C>>, Rejection> {
        match verified.filter(|jwt| self.produced(jwt)) {
            Some(jwt) => jwt.claims().map(Some).map_err(AuthError::from),
            None => self.authenticate_claims_async(req).await,
        }
        .map_err(|e| self.reject(&e))
    }

    /// What an extractor does: the claims of the token a guard with this validator already
    /// verified (`verified`, ignored when another validator produced it), or else of the
    /// request's own token, read in one pass. `Ok(None)` when there is no token; errors
    /// come rendered.
    pub fn extract<C: DeserializeOwned, R: RequestView>(
        &self,
        req: &R,
        verified: Option<&VerifiedJwt>,
    ) -> Result<Option<Claims<C>>, Rejection> {
        match verified.filter(|jwt| self.produced(jwt)) {
            Some(jwt) => jwt.claims().map(Some).map_err(AuthError::from),
            None => self.authenticate_claims(req),
        }
        .map_err(|e| self.reject(&e))
    }
}
