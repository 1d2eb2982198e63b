//! `Principal<C>`: a route that takes a bearer token or an API key.

use auth_core::{
    apikey::ApiKeyValidator,
    jwt::{JwtValidator, NoClaims},
    principal::Caller,
};
use axum_core::extract::{FromRef, FromRequestParts};
use http::request::Parts;
use serde::de::DeserializeOwned;

use crate::{extract::required, rejection::AuthRejection};

/// The caller: a user with a verified token, or a service with a verified API key. See
/// [`auth_core::principal`] for the rule; both validators come from the state.
///
/// ```
/// use auth_axum::Principal;
/// use auth_core::principal::Caller;
///
/// async fn whoami(Principal(caller): Principal) -> String {
///     match caller {
///         Caller::User(claims) => format!("user {}", claims.sub().unwrap_or("?")),
///         Caller::Service(key) => format!("service {}", key.name()),
///     }
/// }
/// ```
#[derive(Debug, Clone)]
pub struct Principal<C = NoClaims>(pub Caller<C>);

impl<S, C> FromRequestParts<S> for Principal<C>
where
    JwtValidator: FromRef<S>,
    ApiKeyValidator: FromRef<S>,
    S: Send + Sync,
    C: DeserializeOwned + Send + 'static,
{
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        required(parts, state).await.map(Principal)
    }
}
