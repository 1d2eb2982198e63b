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
use futures_util::future::{Either, LocalBoxFuture};
use serde::de::DeserializeOwned;

use crate::{rejection::AuthRejection, view::ActixView};

/// Verified claims, or the caller gets the RFC 6750 answer.
///
/// The validator is found in `app_data`, registered either as `JwtValidator` or as
/// `web::Data<JwtValidator>`. If it is missing the request gets a 500, and the log says
/// why: that is a server bug, not the client's fault. If a
/// [`RequireJwtMiddleware`](crate::RequireJwtMiddleware) with the same validator (or a clone
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

/// Claims if a token was sent, and the validator that read them.
type Found<C> = Result<(Option<Claims<C>>, JwtValidator), AuthRejection>;

fn verify<C: DeserializeOwned>(req: &HttpRequest) -> Found<C> {
    let validator = registered::<JwtValidator>(req)?;
    let verified = req.extensions().get::<Arc<VerifiedJwt>>().cloned();
    let claims = validator
        .extract(&ActixView(req), verified.as_deref())
        .map_err(AuthRejection)?;
    Ok((claims, validator))
}

/// With a remote key set, an unknown key id may need a refetch: verify in a future that owns
/// a handle on the request.
fn verify_remote<C: DeserializeOwned + 'static>(
    req: &HttpRequest,
) -> LocalBoxFuture<'static, Found<C>> {
    let req = req.clone();
    Box::pin(async move {
        let validator = registered::<JwtValidator>(&req)?;
        let verified = req.extensions().get::<Arc<VerifiedJwt>>().cloned();
        let claims = validator
            .extract_async(&ActixView(&req), verified.as_deref())
            .await
            .map_err(AuthRejection)?;
        Ok((claims, validator))
    })
}

fn has_remote_keys(req: &HttpRequest) -> bool {
    registered::<JwtValidator>(req).is_ok_and(|v| v.has_remote_keys())
}

type Extracted<T> =
    Either<Ready<Result<T, AuthRejection>>, LocalBoxFuture<'static, Result<T, AuthRejection>>>;

fn required<C>(
    found: Result<(Option<Claims<C>>, JwtValidator), AuthRejection>,
) -> Result<RequireJwt<C>, AuthRejection> {
    found.and_then(|(claims, validator)| match claims {
        Some(c) => Ok(RequireJwt(c)),
        None => Err(AuthRejection(
            validator.reject(&AuthError::MissingCredential(Scheme::Bearer)),
        )),
    })
}

impl<C: DeserializeOwned + 'static> FromRequest for RequireJwt<C> {
    type Error = AuthRejection;
    type Future = Extracted<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        if has_remote_keys(req) {
            let found = verify_remote::<C>(req);
            return Either::Right(Box::pin(async move { required(found.await) }));
        }
        Either::Left(ready(required(verify(req))))
    }
}

impl<C: DeserializeOwned + 'static> FromRequest for OptionalJwt<C> {
    type Error = AuthRejection;
    type Future = Extracted<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        if has_remote_keys(req) {
            let found = verify_remote::<C>(req);
            return Either::Right(Box::pin(async move {
                found.await.map(|(claims, _)| OptionalJwt(claims))
            }));
        }
        Either::Left(ready(verify(req).map(|(claims, _)| OptionalJwt(claims))))
    }
}
