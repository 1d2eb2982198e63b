//! API keys in axum: the `ApiKey` extractor and `RequireApiKeyLayer`.

use std::ops::Deref;

use auth_core::{
    apikey::{ApiKeyGuard, ApiKeyValidator, VerifiedKey},
    error::{AuthError, Scheme},
    scope::ScopeRequirement,
};
use axum_core::extract::{FromRef, FromRequestParts, OptionalFromRequestParts};
use http::request::Parts;

use crate::{
    guard::{GuardLayer, GuardService},
    rejection::AuthRejection,
    view::HttpView,
};

/// A verified API key: its id, name and scopes, or the caller gets 401 `invalid_key`.
///
/// The validator comes from the router state through [`FromRef`]. Behind a
/// [`RequireApiKeyLayer`] with the same validator the layer's verification is reused. `Option<ApiKey>` gives `None`
/// when no key was sent and still rejects a bad one.
///
/// ```
/// use auth_axum::ApiKey;
/// use auth_core::apikey::ApiKeyValidator;
/// use axum::{Router, routing::get};
///
/// async fn stats(key: ApiKey) -> String {
///     format!("hello {} ({})", key.name(), key.id())
/// }
///
/// fn app(keys: ApiKeyValidator) -> Router {
///     Router::new().route("/internal/stats", get(stats)).with_state(keys)
/// }
/// ```
#[derive(Debug, Clone)]
pub struct ApiKey(pub VerifiedKey);

impl Deref for ApiKey {
    type Target = VerifiedKey;

    fn deref(&self) -> &VerifiedKey {
        &self.0
    }
}

async fn verify(
    parts: &Parts,
    validator: &ApiKeyValidator,
) -> Result<Option<ApiKey>, AuthRejection> {
    if let Some(verified) = validator.reuse(parts.extensions.get::<VerifiedKey>()) {
        return Ok(Some(ApiKey(verified)));
    }
    let reject = |e: AuthError| AuthRejection(validator.reject(&e));
    match validator
        .credential(&HttpView::from_parts(parts))
        .map_err(reject)?
    {
        None => Ok(None),
        Some(key) => validator
            .verify_presented(&key)
            .await
            .map(|v| Some(ApiKey(v)))
            .map_err(reject),
    }
}

impl<S> FromRequestParts<S> for ApiKey
where
    ApiKeyValidator: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let validator = ApiKeyValidator::from_ref(state);
        verify(parts, &validator).await?.ok_or_else(|| {
            AuthRejection(validator.reject(&AuthError::MissingCredential(Scheme::ApiKey)))
        })
    }
}

impl<S> OptionalFromRequestParts<S> for ApiKey
where
    ApiKeyValidator: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AuthRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        let validator = ApiKeyValidator::from_ref(state);
        verify(parts, &validator).await
    }
}

/// A tower layer that admits only requests with a valid API key (and the scopes).
///
/// ```
/// use auth_axum::{ApiKey, RequireApiKeyLayer};
/// use auth_core::{apikey::ApiKeyValidator, scope::ScopeRequirement};
/// use axum::{Router, routing::get};
///
/// fn internal(keys: ApiKeyValidator) -> Router {
///     Router::new()
///         .route("/internal/stats", get(|key: ApiKey| async move { key.id().to_owned() }))
///         .route_layer(RequireApiKeyLayer::new(keys.clone()).scopes(ScopeRequirement::all(["stats:read"])))
///         .with_state(keys)
/// }
/// ```
pub type RequireApiKeyLayer = GuardLayer<ApiKeyGuard>;

/// The service made by [`RequireApiKeyLayer`].
pub type RequireApiKeyService<S> = GuardService<ApiKeyGuard, S>;

impl GuardLayer<ApiKeyGuard> {
    /// Require a valid key checked by `validator`.
    pub fn new(validator: ApiKeyValidator) -> Self {
        GuardLayer {
            guard: ApiKeyGuard::new(validator),
        }
    }

    /// Also require scopes; a valid key without them gets 403 `insufficient_scope`.
    pub fn scopes(self, requirement: ScopeRequirement) -> Self {
        GuardLayer {
            guard: self.guard.scopes(requirement),
        }
    }
}
