//! `RequireJwt<C>` and `OptionalJwt<C>`: verified claims in a handler's arguments.

use std::ops::Deref;

use actix_web::{FromRequest, HttpRequest, dev::Payload};
use auth_core::jwt::{Claims, NoClaims};
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
