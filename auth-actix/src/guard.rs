//! [`AuthMiddleware`]: the one actix-web shell of the guards. [`AuthMiddleware::jwt`] and
//! [`AuthMiddleware::api_key`] wrap the core's [`JwtGuard`] and [`ApiKeyGuard`];
//! [`AuthMiddleware::new`] any other [`Guard`]. The guard decides; this stores what it
//! verified in the request extensions and calls the inner service, or answers the
//! rejection.

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
    apikey::{ApiKeyGuard, ApiKeyValidator},
    error::Rejection,
    guard::{Admission, Guard, ScopedGuard},
    jwt::{JwtGuard, JwtValidator},
    scope::ScopeRequirement,
};
use futures_util::future::LocalBoxFuture;

use crate::{rejection::AuthRejection, view::ActixView};

/// Middleware that admits only the requests its guard admits: a valid token
/// ([`jwt`](Self::jwt)), a valid API key ([`api_key`](Self::api_key)), optionally with
/// scopes, or what a [`Guard`] of your own decides ([`new`](Self::new)).
///
/// What the guard verified is stored in the request extensions, so a
/// [`RequireJwt`](crate::RequireJwt) or [`ApiKey`](crate::ApiKey) in the handler with the
/// same validator does not verify it again.
///
/// ```
/// use actix_web::{HttpResponse, web};
/// use auth_actix::AuthMiddleware;
/// use auth_core::{apikey::ApiKeyValidator, jwt::JwtValidator, scope::ScopeRequirement};
///
/// fn configure(tokens: JwtValidator, keys: ApiKeyValidator) -> impl FnOnce(&mut web::ServiceConfig) {
///     move |cfg| {
///         cfg.service(
///             web::scope("/admin")
///                 .wrap(AuthMiddleware::jwt(tokens).scopes(ScopeRequirement::all(["admin"])))
///                 .route("", web::get().to(|| async { HttpResponse::Ok().finish() })),
///         )
///         .service(
///             web::scope("/internal")
///                 .wrap(AuthMiddleware::api_key(keys).scopes(ScopeRequirement::all(["stats:read"])))
///                 .route("/stats", web::get().to(|| async { HttpResponse::Ok().finish() })),
///         );
///     }
/// }
/// ```
#[derive(Debug, Clone)]
pub struct AuthMiddleware<G> {
    guard: G,
}

impl<G: ScopedGuard> AuthMiddleware<G> {
    /// Also require scopes; a valid credential without them gets 403 `insufficient_scope`.
    pub fn scopes(self, requirement: ScopeRequirement) -> Self {
        AuthMiddleware::new(self.guard.with_scopes(requirement))
    }
}

impl<G: Guard> AuthMiddleware<G> {
    /// Middleware over a guard of your own.
    pub fn new(guard: G) -> Self {
        AuthMiddleware { guard }
    }
}

impl AuthMiddleware<JwtGuard> {
    /// Require a valid token checked by `validator`.
    pub fn jwt(validator: JwtValidator) -> Self {
        AuthMiddleware::new(JwtGuard::new(validator))
    }
}

impl AuthMiddleware<ApiKeyGuard> {
    /// Require a valid API key checked by `validator`.
    pub fn api_key(validator: ApiKeyValidator) -> Self {
        AuthMiddleware::new(ApiKeyGuard::new(validator))
    }
}

impl<G, S, B> Transform<S, ServiceRequest> for AuthMiddleware<G>
where
    G: Guard,
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Transform = AuthMiddlewareService<G, S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(AuthMiddlewareService {
            service: Rc::new(service),
            guard: self.guard.clone(),
        }))
    }
}

/// The service made by an [`AuthMiddleware`].
#[derive(Debug)]
pub struct AuthMiddlewareService<G, S> {
    service: Rc<S>,
    guard: G,
}

fn reject<B>(req: ServiceRequest, rejection: Rejection) -> ServiceResponse<EitherBody<B>> {
    let response = AuthRejection(rejection).error_response();
    req.into_response(response).map_into_right_body()
}

impl<G, S, B> Service<ServiceRequest> for AuthMiddlewareService<G, S>
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

#[cfg(test)]
mod tests {
    use actix_web::{App, HttpResponse, http::StatusCode, test, web};
    use auth_core::{
        jwt::{Algorithm, JwtValidator},
        scope::ScopeRequirement,
        test_util::{TestKey, TokenBuilder},
    };

    use super::AuthMiddleware;
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
                            AuthMiddleware::jwt(validator.clone())
                                .scopes(ScopeRequirement::all(["admin"])),
                        )
                        .wrap(AuthMiddleware::jwt(validator))
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
