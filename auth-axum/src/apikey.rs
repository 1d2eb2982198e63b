//! `ApiKey`: a verified API key in a handler's arguments.

use std::ops::Deref;

use auth_core::apikey::{ApiKeyValidator, VerifiedKey};
use axum_core::extract::{FromRef, FromRequestParts, OptionalFromRequestParts};
use http::request::Parts;

use crate::{
    extract::{optional, required},
    rejection::AuthRejection,
};

/// A verified API key (sent in `X-API-Key` by default): its id, name and scopes, or the
/// caller gets 401 `invalid_key`.
///
/// The validator comes from the router state through [`FromRef`]. Behind an
/// [`AuthLayer::api_key`](crate::AuthLayer::api_key) with the same validator the layer's
/// verification is reused. `Option<ApiKey>` gives `None` when no key was sent and still
/// rejects a bad one.
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

impl<S> FromRequestParts<S> for ApiKey
where
    ApiKeyValidator: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        required(parts, state).await.map(ApiKey)
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
        Ok(optional(parts, state).await?.map(ApiKey))
    }
}
