//! `Principal<C>`: a route that takes a bearer token or an API key.

use actix_web::{FromRequest, HttpRequest, dev::Payload};
use auth_core::{jwt::NoClaims, principal::Caller};
use serde::de::DeserializeOwned;

use crate::{
    extract::{Extracted, required},
    rejection::AuthRejection,
};

/// The caller: a user with a verified token, or a service with a verified API key. See
/// [`auth_core::principal`] for the rule; both validators come from `app_data`.
///
/// ```
/// use actix_web::HttpResponse;
/// use auth_actix::Principal;
/// use auth_core::principal::Caller;
///
/// async fn whoami(Principal(caller): Principal) -> HttpResponse {
///     match caller {
///         Caller::User(claims) => HttpResponse::Ok().body(format!("user {:?}", claims.sub())),
///         Caller::Service(key) => HttpResponse::Ok().body(format!("service {}", key.name())),
///     }
/// }
/// ```
#[derive(Debug, Clone)]
pub struct Principal<C = NoClaims>(pub Caller<C>);

impl<C: DeserializeOwned + Send + 'static> FromRequest for Principal<C> {
    type Error = AuthRejection;
    type Future = Extracted<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        required(req, Principal)
    }
}
