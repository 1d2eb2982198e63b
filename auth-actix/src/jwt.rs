//! `RequireJwt<C>` and `OptionalJwt<C>`: verified claims in a handler's arguments.

use std::ops::Deref;

use actix_web::{FromRequest, HttpRequest, dev::Payload};
use auth_core::{
    jwt::{self, Claims, NoClaims},
    scope::Policy,
};
use serde::de::DeserializeOwned;

use crate::{
    extract::{Extracted, optional, required},
    rejection::AuthRejection,
};

/// Verified claims, or the caller gets the RFC 6750 answer.
///
/// The validator is found in `app_data`, registered either as `JwtValidator` or as
/// `web::Data<JwtValidator>`. If it is missing the request gets a 500, and the log says
/// why: that is a server bug, not the client's fault. If an
/// [`AuthMiddleware::jwt`](crate::AuthMiddleware::jwt) with the same validator (or a clone
/// of it) already verified the token, the extractor reuses that result; a middleware with
/// another validator vouches for nothing here.
///
/// ```
/// use actix_web::{App, get, HttpResponse};
/// use auth_actix::RequireJwt;
///
/// #[derive(serde::Deserialize)]
/// struct MyClaims { name: String }
///
/// #[get("/me")]
/// async fn me(RequireJwt(claims): RequireJwt<MyClaims>) -> HttpResponse {
///     HttpResponse::Ok().body(format!("hello {}", claims.custom.name))
/// }
/// ```
///
/// # `Option<RequireJwt<C>>`
///
/// actix-web's own `Option<T>` extractor turns *every* error into `None`, so an invalid
/// token would be silently ignored. Use [`OptionalJwt<C>`], which gives `None` only when no
/// token was sent.
#[derive(Debug, Clone)]
pub struct RequireJwt<C = NoClaims>(pub Claims<C>);

impl<C> Deref for RequireJwt<C> {
    type Target = Claims<C>;

    fn deref(&self) -> &Claims<C> {
        &self.0
    }
}

/// `Some(claims)` when a valid token was sent, `None` when none was; an invalid token is
/// still rejected.
#[derive(Debug, Clone)]
pub struct OptionalJwt<C = NoClaims>(pub Option<Claims<C>>);

impl<C: DeserializeOwned + Send + 'static> FromRequest for RequireJwt<C> {
    type Error = AuthRejection;
    type Future = Extracted<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        required(req, RequireJwt)
    }
}

impl<C: DeserializeOwned + Send + 'static> FromRequest for OptionalJwt<C> {
    type Error = AuthRejection;
    type Future = Extracted<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        optional(req, OptionalJwt)
    }
}

/// Verified claims that meet the policy `P`, a requirement declared as a type with
/// [`auth_core::requirement!`]: the handler's signature says what the route needs. No token
/// gets 401, a valid token that falls short 403 `insufficient_scope` (naming what is
/// missing, never the token). Scopes and roles count as the requirement says; roles come
/// from the claims the validator reads ([`roles_from`](auth_core::jwt::JwtValidatorBuilder::roles_from)).
///
/// ```
/// use actix_web::web;
/// use auth_actix::Authorized;
/// use auth_core::{jwt::JwtValidator, scope::ScopeRequirement};
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
/// fn configure(validator: JwtValidator) -> impl FnOnce(&mut web::ServiceConfig) {
///     move |cfg| {
///         cfg.app_data(web::Data::new(validator))
///             .route("/admin", web::get().to(admin));
///     }
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

impl<P: Policy, C: DeserializeOwned + Send + 'static> FromRequest for Authorized<P, C> {
    type Error = AuthRejection;
    type Future = Extracted<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        required(req, |a: jwt::Authorized<P, C>| {
            Authorized(a.claims, a.policy)
        })
    }
}
