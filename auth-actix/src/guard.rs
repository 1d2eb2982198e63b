//! The one actix-web shell of the guard middleware: [`GuardMiddleware`] over a core
//! [`Guard`] ([`JwtGuard`](auth_core::jwt::JwtGuard) for
//! [`RequireJwtMiddleware`](crate::RequireJwtMiddleware),
//! [`ApiKeyGuard`](auth_core::apikey::ApiKeyGuard) for
//! [`RequireApiKeyMiddleware`](crate::RequireApiKeyMiddleware)). The guard decides; this
//! stores what it verified in the request extensions and calls the inner service, or
//! answers the rejection.

use std::{
    future::{Ready, ready},
    rc::Rc,
};

use actix_web::{
    Error, HttpMessage, ResponseError,
    body::{EitherBody, MessageBody},
    dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready},
};
use auth_core::{
    error::Rejection,
    guard::{Admission, Guard},
};
use futures_util::future::LocalBoxFuture;

use crate::{rejection::AuthRejection, view::ActixView};

/// Middleware that admits only the requests its guard admits.
#[derive(Debug, Clone)]
pub struct GuardMiddleware<G> {
    pub(crate) guard: G,
}

impl<G: Guard> GuardMiddleware<G> {
    /// Middleware over `guard`.
    pub fn from_guard(guard: G) -> Self {
        GuardMiddleware { guard }
    }
}

impl<G, S, B> Transform<S, ServiceRequest> for GuardMiddleware<G>
where
    G: Guard,
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Transform = GuardMiddlewareService<G, S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(GuardMiddlewareService {
            service: Rc::new(service),
            guard: self.guard.clone(),
        }))
    }
}

/// The service made by a [`GuardMiddleware`].
#[derive(Debug)]
pub struct GuardMiddlewareService<G, S> {
    service: Rc<S>,
    guard: G,
}

fn reject<B>(req: ServiceRequest, rejection: Rejection) -> ServiceResponse<EitherBody<B>> {
    let response = AuthRejection(rejection).error_response();
    req.into_response(response).map_into_right_body()
}

impl<G, S, B> Service<ServiceRequest> for GuardMiddlewareService<G, S>
where
    G: Guard,
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Future = LocalBoxFuture<'static, Result<Self::Response, Self::Error>>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let admission = {
            let extensions = req.extensions();
            self.guard
                .admit(&ActixView(req.request()), extensions.get::<G::Verified>())
        };
        match admission {
            Admission::Now(Ok(verified)) => {
                if let Some(verified) = verified {
                    req.extensions_mut().insert(verified);
                }
                let future = self.service.call(req);
                Box::pin(async move { future.await.map(ServiceResponse::map_into_left_body) })
            }
            Admission::Now(Err(rejection)) => Box::pin(ready(Ok(reject(req, rejection)))),
            Admission::Later(decision) => {
                let service = Rc::clone(&self.service);
                Box::pin(async move {
                    match decision.await {
                        Ok(verified) => {
                            if let Some(verified) = verified {
                                req.extensions_mut().insert(verified);
                            }
                            service
                                .call(req)
                                .await
                                .map(ServiceResponse::map_into_left_body)
                        }
                        Err(rejection) => Ok(reject(req, rejection)),
                    }
                })
            }
        }
    }
}
