//! API keys in actix-web: the `ApiKey` extractor and `RequireApiKeyMiddleware`.

use std::{future::ready, ops::Deref};

use actix_web::{FromRequest, HttpMessage, HttpRequest, dev::Payload};
use auth_core::{
    apikey::{ApiKeyGuard, ApiKeyValidator, VerifiedKey},
    error::{AuthError, Scheme},
    scope::ScopeRequirement,
};
use futures_util::future::LocalBoxFuture;

use crate::{
    extract::registered,
    guard::{GuardMiddleware, GuardMiddlewareService},
    rejection::AuthRejection,
    view::ActixView,
};

/// A verified API key: its id, name and scopes, or the caller gets 401 `invalid_key`.
///
/// The validator is found in `app_data` (as `ApiKeyValidator` or `web::Data` of it). Behind
/// a [`RequireApiKeyMiddleware`] with the same validator the middleware's verification is
/// reused.
///
/// ```
/// use actix_web::{HttpResponse, get};
/// use auth_actix::ApiKey;
///
/// #[get("/internal/stats")]
/// async fn stats(key: ApiKey) -> HttpResponse {
///     HttpResponse::Ok().body(format!("hello {} ({})", key.name(), key.id()))
/// }
/// ```
#[derive(Debug, Clone)]
pub struct ApiKey(pub VerifiedKey);

impl Deref for ApiKey {
    type Target = VerifiedKey;

    fn deref(&self) -> &VerifiedKey {
        &self.0
    }
}

/// `Some(key)` when a valid key was sent, `None` when none was; a bad key is still
/// rejected (unlike actix-web's `Option<T>`, which would hide it).
#[derive(Debug, Clone)]
pub struct OptionalApiKey(pub Option<VerifiedKey>);

fn lookup(
    req: &HttpRequest,
) -> LocalBoxFuture<'static, Result<Option<VerifiedKey>, AuthRejection>> {
    match registered::<ApiKeyValidator>(req) {
        Ok(validator) => lookup_with(req, validator),
        Err(rejection) => Box::pin(ready(Err(rejection))),
    }
}

fn lookup_with(
    req: &HttpRequest,
    validator: ApiKeyValidator,
) -> LocalBoxFuture<'static, Result<Option<VerifiedKey>, AuthRejection>> {
    if let Some(verified) = validator.reuse(req.extensions().get::<VerifiedKey>()) {
        return Box::pin(ready(Ok(Some(verified))));
    }
    let key = match validator.credential(&ActixView(req)) {
        Ok(key) => key,
        Err(e) => return Box::pin(ready(Err(AuthRejection(validator.reject(&e))))),
    };
    Box::pin(async move {
        match key {
            None => Ok(None),
            Some(key) => validator
                .verify_presented(&key)
                .await
                .map(Some)
                .map_err(|e| AuthRejection(validator.reject(&e))),
        }
    })
}

impl FromRequest for ApiKey {
    type Error = AuthRejection;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let validator = match registered::<ApiKeyValidator>(req) {
            Ok(v) => v,
            Err(rejection) => return Box::pin(ready(Err(rejection))),
        };
        let found = lookup_with(req, validator.clone());
        Box::pin(async move {
            match found.await? {
                Some(key) => Ok(ApiKey(key)),
                None => Err(AuthRejection(
                    validator.reject(&AuthError::MissingCredential(Scheme::ApiKey)),
                )),
            }
        })
    }
}

impl FromRequest for OptionalApiKey {
    type Error = AuthRejection;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let found = lookup(req);
        Box::pin(async move { found.await.map(OptionalApiKey) })
    }
}

/// Middleware that admits only requests with a valid API key (and the scopes).
///
/// ```
/// use actix_web::{HttpResponse, web};
/// use auth_actix::RequireApiKeyMiddleware;
/// use auth_core::{apikey::ApiKeyValidator, scope::ScopeRequirement};
///
/// fn internal(keys: ApiKeyValidator) -> impl FnOnce(&mut web::ServiceConfig) {
///     move |cfg| {
///         cfg.service(
///             web::scope("/internal")
///                 .wrap(RequireApiKeyMiddleware::new(keys.clone())
///                     .scopes(ScopeRequirement::all(["stats:read"])))
///                 .route("/stats", web::get().to(|| async { HttpResponse::Ok().finish() })),
///         );
///     }
/// }
/// ```
pub type RequireApiKeyMiddleware = GuardMiddleware<ApiKeyGuard>;

/// The service made by [`RequireApiKeyMiddleware`].
pub type RequireApiKeyMiddlewareService<S> = GuardMiddlewareService<ApiKeyGuard, S>;

impl GuardMiddleware<ApiKeyGuard> {
    /// Require a valid key checked by `validator`.
    pub fn new(validator: ApiKeyValidator) -> Self {
        GuardMiddleware {
            guard: ApiKeyGuard::new(validator),
        }
    }

    /// Also require scopes; a valid key without them gets 403 `insufficient_scope`.
    pub fn scopes(self, requirement: ScopeRequirement) -> Self {
        GuardMiddleware {
            guard: self.guard.scopes(requirement),
        }
    }
}
