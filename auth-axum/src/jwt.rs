//! `RequireJwt<C>` and `OptionalJwt<C>`: verified claims in a handler's arguments.

use std::ops::Deref;

use auth_core::{
    jwt::{self, Claims, JwtValidator, NoClaims},
    scope::Policy,
};
use axum_core::extract::{FromRef, FromRequestParts, OptionalFromRequestParts};
use http::request::Parts;
use serde::de::DeserializeOwned;

use crate::{
    extract::{optional, required},
    rejection::AuthRejection,
};

/// Verified claims, or the caller gets the RFC 6750 answer.
///
/// The validator comes from the router state through [`FromRef`]. If an [`AuthLayer::jwt`](crate::AuthLayer::jwt)
/// with the same validator (or a clone of it) already verified the token, the extractor
/// reuses that result instead of verifying again; a layer with another validator vouches
/// for nothing here.
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

impl<S, C> FromRequestParts<S> for RequireJwt<C>
where
    JwtValidator: FromRef<S>,
    S: Send + Sync,
    C: DeserializeOwned + Send + 'static,
{
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        required(parts, state).await.map(RequireJwt)
    }
}

impl<S, C> OptionalFromRequestParts<S> for RequireJwt<C>
where
    JwtValidator: FromRef<S>,
    S: Send + Sync,
    C: DeserializeOwned + Send + 'static,
{
    type Rejection = AuthRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        Ok(optional(parts, state).await?.map(RequireJwt))
    }
}

impl<S, C> FromRequestParts<S> for OptionalJwt<C>
where
    JwtValidator: FromRef<S>,
    S: Send + Sync,
    C: DeserializeOwned + Send + 'static,
{
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        optional(parts, state).await.map(OptionalJwt)
    }
}

/// Verified claims that meet the policy `P`, a requirement declared as a type with
/// [`auth_core::requirement!`]: the handler's signature says what the route needs. No token
/// gets 401, a valid token that falls short 403 `insufficient_scope` (naming what is
/// missing, never the token). Scopes and roles count as the requirement says; roles come
/// from the claims the validator reads ([`roles_from`](auth_core::jwt::JwtValidatorBuilder::roles_from)).
///
/// ```
/// use auth_axum::Authorized;
/// use auth_core::{jwt::JwtValidator, scope::ScopeRequirement};
/// use axum::{Router, routing::get};
///
/// auth_core::requirement! {
///     /// The `admin` scope, or the `admin` role (Keycloak's realm roles).
///     pub Admin = ScopeRequirement::all(["admin"]).or_any_role(["admin"]);
/// }
///
/// async fn admin(Authorized(claims, Admin): Authorized<Admin>) -> String {
///     format!("hello admin {}", claims.sub().unwrap_or("?"))
/// }
///
/// fn app(validator: JwtValidator) -> Router {
///     Router::new().route("/admin", get(admin)).with_state(validator)
/// }
/// ```
#[derive(Debug, Clone)]
pub struct Authorized<P, C = NoClaims>(pub Claims<C>, pub P);

impl<P, C> Deref for Authorized<P, C> {
    type Target = Claims<C>;

    fn deref(&self) -> &Claims<C> {
        &self.0
    }
}

impl<S, P, C> FromRequestParts<S> for Authorized<P, C>
where
    JwtValidator: FromRef<S>,
    S: Send + Sync,
    P: Policy,
    C: DeserializeOwned + Send + 'static,
{
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        required::<jwt::Authorized<P, C>, S>(parts, state)
            .await
            .map(|a| Authorized(a.claims, a.policy))
    }
}
