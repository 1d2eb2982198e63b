//! The one extractor shell: every credential extractor ([`RequireJwt`](crate::RequireJwt),
//! [`OptionalJwt`](crate::OptionalJwt), [`ApiKey`](crate::ApiKey),
//! [`OptionalApiKey`](crate::OptionalApiKey), [`Principal`](crate::Principal)) finds its
//! validators in `app_data`, hands the request to the core's [`Extract`] policy and awaits
//! the answer only when the core says it must (no allocation otherwise).

use std::future::{Ready, ready};

use actix_web::{HttpMessage, HttpRequest, web};
use auth_core::{
    apikey::ApiKeyValidator,
    error::{AuthError, Renderer},
    extract::{Extract, Stash},
    guard::Admission,
    jwt::JwtValidator,
};
use futures_util::future::{Either, LocalBoxFuture};

use crate::{rejection::AuthRejection, view::ActixView};

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

/// Validators an extractor finds in `app_data`: each one registered, or both of a pair.
pub(crate) trait Registered: Sized {
    fn registered(req: &HttpRequest) -> Result<Self, AuthRejection>;
}

impl Registered for JwtValidator {
    fn registered(req: &HttpRequest) -> Result<Self, AuthRejection> {
        registered(req)
    }
}

impl Registered for ApiKeyValidator {
    fn registered(req: &HttpRequest) -> Result<Self, AuthRejection> {
        registered(req)
    }
}

impl<A: Registered, B: Registered> Registered for (A, B) {
    fn registered(req: &HttpRequest) -> Result<Self, AuthRejection> {
        Ok((A::registered(req)?, B::registered(req)?))
    }
}

/// What outer middleware stored on the request.
struct Stored<'a>(&'a actix_web::dev::Extensions);

impl Stash for Stored<'_> {
    fn get<T: Send + Sync + 'static>(&self) -> Option<&T> {
        self.0.get::<T>()
    }
}

/// The future of every credential extractor: ready when the core decided at once.
pub(crate) type Extracted<T> =
    Either<Ready<Result<T, AuthRejection>>, LocalBoxFuture<'static, Result<T, AuthRejection>>>;

/// The credential of `req` made into `T` by `wrap`; `None` when none was sent.
pub(crate) fn optional<E, T: 'static>(req: &HttpRequest, wrap: fn(Option<E>) -> T) -> Extracted<T>
where
    E: Extract,
    E::Validators: Registered,
{
    decide::<E, T>(req, move |found, _| found.map(wrap))
}

/// The credential of `req` made into `T` by `wrap`, or the core's answer for a missing one.
pub(crate) fn required<E, T: 'static>(req: &HttpRequest, wrap: fn(E) -> T) -> Extracted<T>
where
    E: Extract,
    E::Validators: Registered,
{
    decide::<E, T>(req, move |found, validators| match found? {
        Some(credential) => Ok(wrap(credential)),
        None => Err(AuthRejection(E::missing(validators))),
    })
}

fn decide<E, T: 'static>(
    req: &HttpRequest,
    finish: impl FnOnce(Result<Option<E>, AuthRejection>, &E::Validators) -> Result<T, AuthRejection>
    + 'static,
) -> Extracted<T>
where
    E: Extract,
    E::Validators: Registered,
{
    let validators = match E::Validators::registered(req) {
        Ok(validators) => validators,
        Err(rejection) => return Either::Left(ready(Err(rejection))),
    };
    let admission = E::extract(&validators, &ActixView(req), &Stored(&req.extensions()));
    match admission {
        Admission::Now(decision) => {
            Either::Left(ready(finish(decision.map_err(AuthRejection), &validators)))
        }
        Admission::Later(decision) => Either::Right(Box::pin(async move {
            finish(decision.await.map_err(AuthRejection), &validators)
        })),
    }
}
