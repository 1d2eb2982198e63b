//! `RequireJwtLayer`: guard a whole route group with a valid token and, optionally, scopes.

use auth_core::{
    jwt::{JwtGuard, JwtValidator},
    scope::ScopeRequirement,
};

use crate::guard::{GuardLayer, GuardService};

/// A tower layer that admits only requests with a valid token (and the required scopes).
///
/// The verified token is stored in the request extensions, so a
/// [`RequireJwt`](crate::RequireJwt) in the handler does not verify it again.
///
/// ```
/// use auth_axum::{RequireJwt, RequireJwtLayer};
/// use auth_core::{jwt::JwtValidator, scope::ScopeRequirement};
/// use axum::{Router, routing::get};
///
/// async fn admin(RequireJwt(claims): RequireJwt) -> String {
///     format!("hello admin {}", claims.sub().unwrap_or_default())
/// }
///
/// fn app(validator: JwtValidator) -> Router {
///     Router::new()
///         .route("/admin", get(admin))
///         .route_layer(
///             RequireJwtLayer::new(validator.clone())
///                 .scopes(ScopeRequirement::all(["admin"])),
///         )
///         .with_state(validator)
/// }
/// ```
pub type RequireJwtLayer = GuardLayer<JwtGuard>;

/// The service made by [`RequireJwtLayer`].
pub type RequireJwtService<S> = GuardService<JwtGuard, S>;

impl GuardLayer<JwtGuard> {
    /// Require a valid token checked by `validator`.
    pub fn new(validator: JwtValidator) -> Self {
        GuardLayer {
            guard: JwtGuard::new(validator),
        }
    }

    /// Also require scopes; a valid token without them gets 403 `insufficient_scope`.
    pub fn scopes(self, requirement: ScopeRequirement) -> Self {
        GuardLayer {
            guard: self.guard.scopes(requirement),
        }
    }
}

impl From<JwtGuard> for GuardLayer<JwtGuard> {
    fn from(guard: JwtGuard) -> Self {
        GuardLayer { guard }
    }
}

#[cfg(test)]
mod tests {
    use auth_core::{
        jwt::{Algorithm, JwtValidator},
        scope::ScopeRequirement,
        test_util::{TestKey, TokenBuilder},
    };
    use axum::{Router, body::Body, routing::get};
    use http::{Request, StatusCode, header};
    use tower::ServiceExt;

    use super::RequireJwtLayer;
    use crate::RequireJwt;

    fn setup() -> (TestKey, JwtValidator) {
        let key = TestKey::new(Algorithm::ES256);
        let validator = JwtValidator::builder()
            .key(key.verifying_key())
            .issuer("i")
            .audience("a")
            .realm("r")
            .build()
            .expect("validator");
        (key, validator)
    }

    async fn call(app: &Router, token: Option<&str>) -> (StatusCode, Option<String>) {
        let mut req = Request::builder().uri("/admin");
        if let Some(t) = token {
            req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        let resp = app
            .clone()
            .oneshot(req.body(Body::empty()).expect("request"))
            .await
            .expect("infallible");
        let challenge = resp
            .headers()
            .get(header::WWW_AUTHENTICATE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        (resp.status(), challenge)
    }

    #[tokio::test]
    async fn nested_layers_check_each_scope_on_one_verification() {
        let (key, validator) = setup();
        async fn handler(RequireJwt(c): RequireJwt) -> String {
            c.sub().unwrap_or_default().to_owned()
        }
        let app = Router::new()
            .route("/admin", get(handler))
            .route_layer(
                RequireJwtLayer::new(validator.clone()).scopes(ScopeRequirement::all(["admin"])),
            )
            .layer(RequireJwtLayer::new(validator.clone()))
            .with_state(validator);
        let user = TokenBuilder::valid(&key, "i", "a", "u")
            .claim("scope", "read")
            .sign(&key);
        let admin = TokenBuilder::valid(&key, "i", "a", "u")
            .claim("scope", "admin")
            .sign(&key);

        assert_eq!(
            call(&app, None).await,
            (StatusCode::UNAUTHORIZED, Some(r#"Bearer realm="r""#.into()))
        );
        assert_eq!(
            call(&app, Some(&user)).await,
            (
                StatusCode::FORBIDDEN,
                Some(r#"Bearer realm="r", error="insufficient_scope", scope="admin""#.into())
            )
        );
        assert_eq!(call(&app, Some(&admin)).await.0, StatusCode::OK);
    }

    #[tokio::test]
    async fn any_of_requirement() {
        let (key, validator) = setup();
        let app = Router::new()
            .route("/admin", get(|| async { "ok" }))
            .route_layer(
                RequireJwtLayer::new(validator).scopes(ScopeRequirement::any(["admin", "owner"])),
            );
        let owner = TokenBuilder::valid(&key, "i", "a", "u")
            .claim("scp", vec!["owner"])
            .sign(&key);
        let none = TokenBuilder::valid(&key, "i", "a", "u").sign(&key);
        assert_eq!(call(&app, Some(&owner)).await.0, StatusCode::OK);
        assert_eq!(
            call(&app, Some(&none)).await,
            (
                StatusCode::FORBIDDEN,
                Some(r#"Bearer realm="r", error="insufficient_scope", scope="admin owner""#.into())
            )
        );
    }
}
