//! `RequireJwtMiddleware`: guard a whole scope with a valid token and, optionally, scopes.

use auth_core::{
    jwt::{JwtGuard, JwtValidator},
    scope::ScopeRequirement,
};

use crate::guard::{GuardMiddleware, GuardMiddlewareService};

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
pub type RequireJwtMiddleware = GuardMiddleware<JwtGuard>;

/// The service made by [`RequireJwtMiddleware`].
pub type RequireJwtMiddlewareService<S> = GuardMiddlewareService<JwtGuard, S>;

impl GuardMiddleware<JwtGuard> {
    /// Require a valid token checked by `validator`.
    pub fn new(validator: JwtValidator) -> Self {
        GuardMiddleware {
            guard: JwtGuard::new(validator),
        }
    }

    /// Also require scopes; a valid token without them gets 403 `insufficient_scope`.
    pub fn scopes(self, requirement: ScopeRequirement) -> Self {
        GuardMiddleware {
            guard: self.guard.scopes(requirement),
        }
    }
}

impl From<JwtGuard> for GuardMiddleware<JwtGuard> {
    fn from(guard: JwtGuard) -> Self {
        GuardMiddleware { guard }
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
