//! API keys in actix-web: the `ApiKey` extractor and `RequireApiKeyMiddleware`.

use std::{
    future::{Ready, ready},
    ops::Deref,
    rc::Rc,
};

use actix_web::{
    Error, FromRequest, HttpMessage, HttpRequest, ResponseError,
    body::{EitherBody, MessageBody},
    dev::{Payload, Service, ServiceRequest, ServiceResponse, Transform, forward_ready},
};
use auth_core::{
    apikey::{ApiKeyGuard, ApiKeyValidator, VerifiedKey},
    error::{AuthError, Scheme},
    scope::ScopeRequirement,
};
use futures_util::future::LocalBoxFuture;

use crate::{extract::registered, rejection::AuthRejection, view::ActixView};

/// A verified API key: its id, name and scopes, or the caller gets 401 `invalid_key`.
///
/// The validator is found in `app_data` (as `ApiKeyValidator` or `web::Data` of it). Behind
/// a [`RequireApiKeyMiddleware`] the middleware's verification is reused.
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
    if let Some(verified) = req.extensions().get::<VerifiedKey>() {
        let verified = verified.clone();
        return Box::pin(ready(Ok(Some(verified))));
    }
    match registered::<ApiKeyValidator>(req) {
        Ok(validator) => lookup_with(req, validator),
        Err(rejection) => Box::pin(ready(Err(rejection))),
    }
}

fn lookup_with(
    req: &HttpRequest,
    validator: ApiKeyValidator,
) -> LocalBoxFuture<'static, Result<Option<VerifiedKey>, AuthRejection>> {
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
        // Behind the middleware: reuse its verification, no lookup, nothing else to do.
        if let Some(verified) = req.extensions().get::<VerifiedKey>() {
            let verified = verified.clone();
            return Box::pin(ready(Ok(ApiKey(verified))));
        }
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
#[derive(Debug, Clone)]
pub struct RequireApiKeyMiddleware {
    guard: ApiKeyGuard,
}

impl RequireApiKeyMiddleware {
    /// Require a valid key checked by `validator`.
    pub fn new(validator: ApiKeyValidator) -> Self {
        RequireApiKeyMiddleware {
            guard: ApiKeyGuard::new(validator),
        }
    }

    /// Also require scopes; a valid key without them gets 403 `insufficient_scope`.
    pub fn scopes(self, requirement: ScopeRequirement) -> Self {
        RequireApiKeyMiddleware {
            guard: self.guard.scopes(requirement),
        }
    }
}

impl<S, B> Transform<S, ServiceRequest> for RequireApiKeyMiddleware
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Transform = RequireApiKeyMiddlewareService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(RequireApiKeyMiddlewareService {
            service: Rc::new(service),
            guard: self.guard.clone(),
        }))
    }
}

/// The service made by [`RequireApiKeyMiddleware`].
#[derive(Debug)]
pub struct RequireApiKeyMiddlewareService<S> {
    service: Rc<S>,
    guard: ApiKeyGuard,
}

impl<S, B> Service<ServiceRequest> for RequireApiKeyMiddlewareService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Future = LocalBoxFuture<'static, Result<Self::Response, Self::Error>>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let key = match self.guard.read(&ActixView(req.request())) {
            Ok(key) => key,
            Err(rejection) => {
                let response = AuthRejection(rejection).error_response();
                return Box::pin(ready(Ok(req.into_response(response).map_into_right_body())));
            }
        };
        let guard = self.guard.clone();
        let service = Rc::clone(&self.service);
        Box::pin(async move {
            match guard.check(key).await {
                Ok(verified) => {
                    req.extensions_mut().insert(verified);
                    service
                        .call(req)
                        .await
                        .map(ServiceResponse::map_into_left_body)
                }
                Err(rejection) => {
                    let response = AuthRejection(rejection).error_response();
                    Ok(req.into_response(response).map_into_right_body())
                }
            }
        })
    }
}
