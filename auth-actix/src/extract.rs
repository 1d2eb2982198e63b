//! `RequireJwt<C>` and `OptionalJwt<C>`: verified claims in a handler's arguments.

use std::{
    future::{Ready, ready},
    ops::Deref,
    sync::Arc,
};

use actix_web::{FromRequest, HttpMessage, HttpRequest, dev::Payload, web};
use auth_core::{
    error::{AuthError, Renderer, Scheme},
    jwt::{Claims, JwtValidator, NoClaims, VerifiedJwt},
};
use serde::de::DeserializeOwned;

use crate::{rejection::AuthRejection, view::ActixView};

/// Verified claims, or the caller gets the RFC 6750 answer.
///
/// The validator is found in `app_data`, registered either as `JwtValidator` or as
/// `web::Data<JwtValidator>`. If it is missing the request gets a 500, and the log says
/// why: that is a server bug, not the client's fault. If a
/// [`RequireJwtMiddleware`](crate::RequireJwtMiddleware) already verified the token, the
/// extractor reuses that result.
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

/// A validator (or any shared config) registered in `app_data`, as `T` or as
/// `web::Data<T>`, or a 500 rejection: a missing validator is a server bug, not the
/// client's fault.
pub(crate) fn registered<T: Clone + 'static>(req: &HttpRequest) -> Result<T, AuthRejection> {
    if let Some(v) = req.app_data::<T>() {
        return Ok(v.clone());
    }
    if let Some(v) = req.app_data::<web::Data<T>>() {
        return Ok(v.get_ref().clone());
    }
    tracing::error!(
        missing = std::any::type_name::<T>(),
        "an extractor needs a validator that is not registered: add .app_data(validator) to the App"
    );
    Err(AuthRejection(Renderer::default().render(
        &AuthError::Misconfigured("validator missing from app_data"),
    )))
}

fn verify<C: DeserializeOwned>(
    req: &HttpRequest,
) -> Result<(Option<Claims<C>>, JwtValidator), AuthRejection> {
    let validator = registered::<JwtValidator>(req)?;
    let verified = req.extensions().get::<Arc<VerifiedJwt>>().cloned();
    let claims = validator
        .extract(&ActixView(req), verified.as_deref())
        .map_err(AuthRejection)?;
    Ok((claims, validator))
}

impl<C: DeserializeOwned> FromRequest for RequireJwt<C> {
    type Error = AuthRejection;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(verify(req).and_then(|(claims, validator)| match claims {
            Some(c) => Ok(RequireJwt(c)),
            None => Err(AuthRejection(
                validator.reject(&AuthError::MissingCredential(Scheme::Bearer)),
            )),
        }))
    }
}

impl<C: DeserializeOwned> FromRequest for OptionalJwt<C> {
    type Error = AuthRejection;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(verify(req).map(|(claims, _)| OptionalJwt(claims)))
    }
}
