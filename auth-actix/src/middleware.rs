//! `RequireJwtMiddleware`: guard a whole scope with a valid token and, optionally, scopes.

use std::{
    future::{Ready, ready},
    sync::Arc,
};

use actix_web::{
    Error, HttpMessage, ResponseError,
    body::{EitherBody, MessageBody},
    dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready},
};
use auth_core::{
    jwt::{JwtValidator, VerifiedJwt, check_scopes},
    scope::ScopeRequirement,
};
use futures_util::future::LocalBoxFuture;

use crate::{rejection::AuthRejection, view::ActixView};

/// Middleware that admits only requests with a valid token (and the required scopes).
///
/// The verified token is stored in the request extensions, so a
/// [`RequireJwt`](crate::RequireJwt) in the handler does not verify it again.
///
/// ```
/// use actix_web::{App, web, HttpResponse};
/// use auth_actix::RequireJwtMiddleware;
/// use auth_core::{jwt::JwtValidator, scope::ScopeRequirement};
///
/// fn configure(validator: JwtValidator) -> impl FnOnce(&mut web::ServiceConfig) {
///     move |cfg| {
///         cfg.service(
///             web::scope("/admin")
///                 .wrap(RequireJwtMiddleware::new(validator.clone())
///                     .scopes(ScopeRequirement::all(["admin"])))
///                 .route("", web::get().to(|| async { HttpResponse::Ok().finish() })),
///         );
///     }
/// }
/// ```
#[derive(Debug, Clone)]
pub struct RequireJwtMiddleware {
    validator: JwtValidator,
    scopes: Option<Arc<ScopeRequirement>>,
}

impl RequireJwtMiddleware {
    /// Require a valid token checked by `validator`.
    pub fn new(validator: JwtValidator) -> Self {
        RequireJwtMiddleware {
            validator,
            scopes: None,
        }
    }

    /// Also require scopes; a valid token without them gets 403 `insufficient_scope`.
    pub fn scopes(mut self, requirement: ScopeRequirement) -> Self {
        self.scopes = Some(Arc::new(requirement));
        self
    }
}

impl<S, B> Transform<S, ServiceRequest> for RequireJwtMiddleware
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Transform = RequireJwtMiddlewareService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(RequireJwtMiddlewareService {
            service,
            validator: self.validator.clone(),
            scopes: self.scopes.clone(),
        }))
    }
}

/// The service made by [`RequireJwtMiddleware`].
#[derive(Debug)]
pub struct RequireJwtMiddlewareService<S> {
    service: S,
    validator: JwtValidator,
    scopes: Option<Arc<ScopeRequirement>>,
}

impl<S, B> Service<ServiceRequest> for RequireJwtMiddlewareService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Future = LocalBoxFuture<'static, Result<Self::Response, Self::Error>>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let scopes = self.scopes.as_deref();
        let existing = req.extensions().get::<Arc<VerifiedJwt>>().cloned();
        let verified = match existing {
            // An outer middleware verified the token already: only the scopes remain.
            Some(jwt) => check_scopes(&jwt, scopes).map(|()| None),
            None => self
                .validator
                .require(&ActixView(req.request()), scopes)
                .map(Some),
        };
        match verified {
            Ok(jwt) => {
                if let Some(jwt) = jwt {
                    req.extensions_mut().insert(Arc::new(jwt));
                }
                let future = self.service.call(req);
                Box::pin(async move { future.await.map(ServiceResponse::map_into_left_body) })
            }
            Err(e) => {
                let response = AuthRejection(self.validator.reject(&e)).error_response();
                let response = req.into_response(response).map_into_right_body();
                Box::pin(ready(Ok(response)))
            }
        }
    }
}
