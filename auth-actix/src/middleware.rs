//! `RequireJwtMiddleware`: guard a whole scope with a valid token and, optionally, scopes.

use std::{
    future::{Ready, ready},
    rc::Rc,
    sync::Arc,
};

use actix_web::{
    Error, HttpMessage, ResponseError,
    body::{EitherBody, MessageBody},
    dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready},
};
use auth_core::{
    jwt::{JwtGuard, JwtValidator, VerifiedJwt},
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
    guard: JwtGuard,
}

impl RequireJwtMiddleware {
    /// Require a valid token checked by `validator`.
    pub fn new(validator: JwtValidator) -> Self {
        RequireJwtMiddleware {
            guard: JwtGuard::new(validator),
        }
    }

    /// Also require scopes; a valid token without them gets 403 `insufficient_scope`.
    pub fn scopes(self, requirement: ScopeRequirement) -> Self {
        RequireJwtMiddleware {
            guard: self.guard.scopes(requirement),
        }
    }
}

impl From<JwtGuard> for RequireJwtMiddleware {
    fn from(guard: JwtGuard) -> Self {
        RequireJwtMiddleware { guard }
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
            service: Rc::new(service),
            guard: self.guard.clone(),
        }))
    }
}

/// The service made by [`RequireJwtMiddleware`].
#[derive(Debug)]
pub struct RequireJwtMiddlewareService<S> {
    service: Rc<S>,
    guard: JwtGuard,
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
        if self.guard.validator().has_remote_keys() {
            // An unknown key id may need a refetch of the remote key set: check in the future.
            let guard = self.guard.clone();
            let service = Rc::clone(&self.service);
            return Box::pin(async move {
                let verified = req.extensions().get::<Arc<VerifiedJwt>>().cloned();
                let checked = guard
                    .check_async(&ActixView(req.request()), verified.as_deref())
                    .await;
                match checked {
                    Ok(jwt) => {
                        if let Some(jwt) = jwt {
                            req.extensions_mut().insert(Arc::new(jwt));
                        }
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
            });
        }
        let verified = req.extensions().get::<Arc<VerifiedJwt>>().cloned();
        match self
            .guard
            .check(&ActixView(req.request()), verified.as_deref())
        {
            Ok(jwt) => {
                if let Some(jwt) = jwt {
                    req.extensions_mut().insert(Arc::new(jwt));
                }
                let future = self.service.call(req);
                Box::pin(async move { future.await.map(ServiceResponse::map_into_left_body) })
            }
            Err(rejection) => {
                let response = AuthRejection(rejection).error_response();
                let response = req.into_response(response).map_into_right_body();
                Box::pin(ready(Ok(response)))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use actix_web::{App, HttpResponse, http::StatusCode, test, web};
    use auth_core::{
        jwt::{Algorithm, JwtValidator},
        scope::ScopeRequirement,
        test_util::{TestKey, TokenBuilder},
    };

    use super::RequireJwtMiddleware;
    use crate::RequireJwt;

    #[actix_web::test]
    async fn nested_middleware_and_data_registration() {
        let key = TestKey::new(Algorithm::EdDSA);
        let validator = JwtValidator::builder()
            .key(key.verifying_key())
            .issuer("i")
            .audience("a")
            .realm("r")
            .build()
            .expect("validator");
        let app = test::init_service(
            // Registered as web::Data this time: the extractor finds it either way.
            App::new()
                .app_data(web::Data::new(validator.clone()))
                .service(
                    web::scope("/admin")
                        .wrap(
                            RequireJwtMiddleware::new(validator.clone())
                                .scopes(ScopeRequirement::all(["admin"])),
                        )
                        .wrap(RequireJwtMiddleware::new(validator))
                        .route(
                            "",
                            web::get().to(|RequireJwt(c): RequireJwt| async move {
                                HttpResponse::Ok().body(c.sub().unwrap_or_default().to_owned())
                            }),
                        ),
                ),
        )
        .await;
        let call = |token: Option<String>| {
            let mut req = test::TestRequest::get().uri("/admin");
            if let Some(t) = token {
                req = req.insert_header(("authorization", format!("Bearer {t}")));
            }
            req.to_request()
        };
        let user = TokenBuilder::valid(&key, "i", "a", "u")
            .claim("scope", "read")
            .sign(&key);
        let admin = TokenBuilder::valid(&key, "i", "a", "boss")
            .claim("scope", "admin")
            .sign(&key);

        let resp = test::call_service(&app, call(None)).await;
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
        let resp = test::call_service(&app, call(Some(user))).await;
        assert_eq!(resp.status(), StatusCode::FORBIDDEN);
        assert_eq!(
            resp.headers()
                .get("www-authenticate")
                .and_then(|v| v.to_str().ok()),
            Some(r#"Bearer realm="r", error="insufficient_scope", scope="admin""#)
        );
        let resp = test::call_service(&app, call(Some(admin))).await;
        assert_eq!(resp.status(), StatusCode::OK);
        assert_eq!(test::read_body(resp).await, "boss");
    }
}
