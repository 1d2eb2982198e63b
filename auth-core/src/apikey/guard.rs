//! `ApiKeyGuard`: the policy of a layer or middleware that guards routes with API keys.

use std::sync::Arc;

use super::{ApiKeyValidator, PresentedKey, VerifiedKey};
use crate::{
    error::Rejection,
    guard::{Admission, Guard},
    request::RequestView,
    scope::ScopeRequirement,
};

/// A valid API key is required, and optionally scopes. Adapters wrap it as a tower layer or
/// actix-web middleware; the decision is made here, in two steps because the store lookup
/// is asynchronous and the request may not be held across it: [`read`](Self::read) the key
/// from the request, then [`check`](Self::check) it.
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

    /// The validator.
    pub fn validator(&self) -> &ApiKeyValidator {
        &self.validator
    }

    /// Read the key from the request (no store lookup).
    pub fn read<R: RequestView>(&self, req: &R) -> Result<Option<PresentedKey>, Rejection> {
        self.validator
            .credential(req)
            .map_err(|e| self.validator.reject(&e))
    }

    /// [`check`](Self::check) without awaiting, when the store answers from memory; `None`
    /// when it must be awaited.
    pub fn check_now(&self, key: Option<&PresentedKey>) -> Option<Result<VerifiedKey, Rejection>> {
        let result = self.validator.require_now(key, self.scopes.as_deref())?;
        Some(result.map_err(|e| self.validator.reject(&e)))
    }

    /// Check what [`read`](Self::read) found: a missing key, a key unknown to the store, or
    /// one without the scopes is rejected.
    pub async fn check(&self, key: Option<PresentedKey>) -> Result<VerifiedKey, Rejection> {
        self.validator
            .require(key, self.scopes.as_deref())
            .await
            .map_err(|e| self.validator.reject(&e))
    }
}

impl Guard for ApiKeyGuard {
    type Verified = VerifiedKey;

    /// Read the key, then check it: at once when the store answers from memory, later
    /// when the lookup must be awaited. Every guard checks its own key (an outer guard's
    /// result is not reused: the scopes may differ, and keys are cheap to check).
    fn admit<R: RequestView>(&self, req: &R, _: Option<&VerifiedKey>) -> Admission<VerifiedKey> {
        let key = match self.read(req) {
            Ok(key) => key,
            Err(rejection) => return Admission::Now(Err(rejection)),
        };
        if let Some(decided) = self.check_now(key.as_ref()) {
            return Admission::Now(decided.map(Some));
        }
        let guard = self.clone();
        Admission::Later(Box::pin(async move { guard.check(key).await.map(Some) }))
    }
}
