//! `Principal<C>`: a route that takes a bearer token or an API key.

use actix_web::{FromRequest, HttpRequest, dev::Payload};
use auth_core::{apikey::ApiKeyValidator, jwt::JwtValidator, principal};
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;

use crate::{extract::registered, rejection::AuthRejection, view::ActixView};

/// The caller: a user with a verified token, or a service with a verified API key. See
/// [`auth_core::principal`] for the rule; both validators come from `app_data`.
///
/// ```
/// use actix_web::HttpResponse;
/// use auth_actix::Principal;
/// use auth_core::principal::Principal as Caller;
///
/// async fn whoami(Principal(caller): Principal) -> HttpResponse {
///     match caller {
///         Caller::User(claims) => HttpResponse::Ok().body(format!("user {:?}", claims.sub())),
///         Caller::Service(key) => HttpResponse::Ok().body(format!("service {}", key.name())),
///     }
/// }
/// ```
#[derive(Debug, Clone)]
pub struct Principal<C = auth_core::jwt::NoClaims>(pub principal::Principal<C>);

impl<C: DeserializeOwned + 'static> FromRequest for Principal<C> {
    type Error = AuthRejection;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let read = registered::<JwtValidator>(req).and_then(|jwt| {
            let keys = registered::<ApiKeyValidator>(req)?;
            let presented =
                principal::read::<C, _>(&jwt, &keys, &ActixView(req)).map_err(AuthRejection)?;
            Ok((jwt, keys, presented))
        });
        Box::pin(async move {
            let (jwt, keys, presented) = read?;
            principal::finish(&jwt, &keys, presented)
                .await
                .map(Principal)
                .map_err(AuthRejection)
        })
    }
}
