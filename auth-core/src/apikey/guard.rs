//! The API-key policies the adapters wrap: [`ApiKeyGuard`] for layers and middleware, and
//! [`Extract`] for [`VerifiedKey`] in a handler's arguments.

use std::sync::Arc;

use super::{ApiKeyValidator, VerifiedKey};
use crate::{
    error::{AuthError, Rejection, Scheme},
    extract::{Extract, Stash},
    guard::{Admission, Guard},
    request::RequestView,
    scope::ScopeRequirement,
};

/// A valid API key is required, and optionally scopes. Adapters wrap it as a tower layer or
/// actix-web middleware; the decision is made here: at once when the store answers from
/// memory, by an owned future when its lookup must be awaited.
#[derive(Debug, Clone)]
pub struct ApiKeyGuard {
    validator: ApiKeyValidator,
    scopes: Option<Arc<ScopeRequirement>>,
}

impl ApiKeyGuard {
    /// Require a valid key checked by `validator`.
    pub fn new(validator: ApiKeyValidator) -> Self {
        ApiKeyGuard {
            validator,
            scopes: None,
        }
    }

    /// Also require scopes; a valid key without them gets 403 `insufficient_scope`.
    pub fn scopes(mut self, requirement: ScopeRequirement) -> Self {
        self.scopes = Some(Arc::new(requirement));
        self
    }
}

impl crate::guard::ScopedGuard for ApiKeyGuard {
    fn with_scopes(self, requirement: ScopeRequirement) -> Self {
        self.scopes(requirement)
    }
}

impl Guard for ApiKeyGuard {
    type Verified = VerifiedKey;

    /// Read the key, then check it: at once when the store answers from memory, later
    /// when the lookup must be awaited. Every guard checks its own key (an outer guard's
    /// result is not reused: the scopes may differ, and keys are cheap to check).
    fn admit<R: RequestView>(&self, req: &R, _: Option<&VerifiedKey>) -> Admission<VerifiedKey> {
        crate::telemetry::observe("api_key", |_| "api_key", || self.decide(req))
    }
}

impl ApiKeyGuard {
    fn decide<R: RequestView>(&self, req: &R) -> Admission<VerifiedKey> {
        let validator = &self.validator;
        let reject = |e: AuthError| validator.reject(&e);
        let key = match validator.credential(req) {
            Ok(key) => key,
            Err(e) => return Admission::Now(Err(reject(e))),
        };
        if let Some(decided) = validator.require_now(key.as_ref(), self.scopes.as_deref()) {
            return Admission::Now(decided.map(Some).map_err(reject));
        }
        let guard = self.clone();
        Admission::Later(Box::pin(async move {
            let validator = &guard.validator;
            validator
                .require(key, guard.scopes.as_deref())
                .await
                .map(Some)
                .map_err(|e| validator.reject(&e))
        }))
    }
}

/// A verified key: the one a guard with the same validator already verified, or else the
/// request's own, looked up in the store.
impl Extract for VerifiedKey {
    type Validators = ApiKeyValidator;

    fn extract<R: RequestView, S: Stash + ?Sized>(
        validator: &ApiKeyValidator,
        req: &R,
        stash: &S,
    ) -> Admission<Self> {
        if let Some(verified) = validator.reuse(stash.get::<VerifiedKey>()) {
            return Admission::Now(Ok(Some(verified)));
        }
        crate::telemetry::observe("api_key", |_| "api_key", || key_of(validator, req))
    }

    fn missing(validator: &ApiKeyValidator) -> Rejection {
        validator.reject(&AuthError::MissingCredential(Scheme::ApiKey))
    }
}

/// The request's own key, looked up.
fn key_of<R: RequestView>(validator: &ApiKeyValidator, req: &R) -> Admission<VerifiedKey> {
    let key = match validator.credential(req) {
        Ok(Some(key)) => key,
        Ok(None) => return Admission::Now(Ok(None)),
        Err(e) => return Admission::Now(Err(validator.reject(&e))),
    };
    if let Some(decided) = validator.verify_now(&key) {
        return Admission::Now(decided.map(Some).map_err(|e| validator.reject(&e)));
    }
    let validator = validator.clone();
    Admission::Later(Box::pin(async move {
        validator
            .verify_presented(&key)
            .await
            .map(Some)
            .map_err(|e| validator.reject(&e))
    }))
}
