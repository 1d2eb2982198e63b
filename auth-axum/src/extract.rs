//! `RequireJwt<C>` and `OptionalJwt<C>`: verified claims in a handler's arguments.

use std::{ops::Deref, sync::Arc};

use auth_core::{
    error::AuthError,
    jwt::{Claims, JwtValidator, NoClaims, VerifiedJwt},
};
use axum_core::extract::{FromRef, FromRequestParts, OptionalFromRequestParts};
use http::request::Parts;
use serde::de::DeserializeOwned;

use crate::{rejection::AuthRejection, view::HttpView};

/// Verified claims, or the caller gets the RFC 6750 answer.
///
/// The validator comes from the router state through [`FromRef`]. If a
/// [`RequireJwtLayer`](crate::RequireJwtLayer) with the same validator (or a clone of it)
/// already verified the token, the extractor reuses that result instead of verifying
/// again; a layer with another validator vouches for nothing here.
///
/// ```
/// use auth_axum::RequireJwt;
/// use axum::{Router, routing::get};
/// use auth_core::jwt::JwtValidator;
///
/// #[derive(serde::Deserialize)]
/// struct MyClaims { name: String }
///
/// async fn me(RequireJwt(claims): RequireJwt<MyClaims>) -> String {
///     format!("hello {}", claims.custom.name)
/// }
///
/// fn app(validator: JwtValidator) -> Router {
///     Router::new().route("/me", get(me)).with_state(validator)
/// }
/// ```
///
/// `Option<RequireJwt<C>>` gives `None` when no token was sent, and still rejects a token
/// that was sent but is invalid.
#[derive(Debug, Clone)]
pub struct RequireJwt<C = NoClaims>(pub Claims<C>);

impl<C> Deref for RequireJwt<C> {
    type Target = Claims<C>;

    fn deref(&self) -> &Claims<C> {
        &self.0
    }
}

/// `Some(claims)` when a valid token was sent, `None` when none was; an invalid token is
/// still rejected. The same as `Option<RequireJwt<C>>`.
#[derive(Debug, Clone)]
pub struct OptionalJwt<C = NoClaims>(pub Option<Claims<C>>);

/// Verify the request's token, or reuse a layer's verification; `Ok(None)` if absent.
async fn verify<C: DeserializeOwned>(
    parts: &Parts,
    validator: &JwtValidator,
) -> Result<Option<Claims<C>>, AuthRejection> {
    let verified = parts.extensions.get::<Arc<VerifiedJwt>>().map(Arc::as_ref);
    let view = HttpView::from_parts(parts);
    if validator.has_remote_keys() {
        validator.extract_async(&view, verified).await
    } else {
        validator.extract(&view, verified)
    }
    .map_err(AuthRejection)
}

impl<S, C> FromRequestParts<S> for RequireJwt<C>
where
    JwtValidator: FromRef<S>,
    S: Send + Sync,
    C: DeserializeOwned,
{
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let validator = JwtValidator::from_ref(state);
        match verify(parts, &validator).await? {
            Some(claims) => Ok(RequireJwt(claims)),
            None => Err(AuthRejection(validator.reject(
                &AuthError::MissingCredential(auth_core::error::Scheme::Bearer),
            ))),
        }
    }
}

impl<S, C> OptionalFromRequestParts<S> for RequireJwt<C>
where
    JwtValidator: FromRef<S>,
    S: Send + Sync,
    C: DeserializeOwned,
{
    type Rejection = AuthRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        let validator = JwtValidator::from_ref(state);
        Ok(verify(parts, &validator).await?.map(RequireJwt))
    }
}

impl<S, C> FromRequestParts<S> for OptionalJwt<C>
where
    JwtValidator: FromRef<S>,
    S: Send + Sync,
    C: DeserializeOwned,
{
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let validator = JwtValidator::from_ref(state);
        Ok(OptionalJwt(verify(parts, &validator).await?))
    }
}
