//! `RequireJwtLayer`: guard a whole route group with a valid token and, optionally, scopes.

use std::{
    sync::Arc,
    task::{Context, Poll},
};

use auth_core::{
    jwt::{JwtGuard, JwtValidator, VerifiedJwt},
    scope::ScopeRequirement,
};
use axum_core::response::{IntoResponse, Response};
use http::Request;
use tower_layer::Layer;
use tower_service::Service;

use crate::{future::ResponseFuture, rejection::AuthRejection, view::HttpView};

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
#[derive(Debug, Clone)]
pub struct RequireJwtLayer {
    guard: JwtGuard,
}

impl RequireJwtLayer {
    /// Require a valid token checked by `validator`.
    pub fn new(validator: JwtValidator) -> Self {
        RequireJwtLayer {
            guard: JwtGuard::new(validator),
        }
    }

    /// Also require scopes; a valid token without them gets 403 `insufficient_scope`.
    pub fn scopes(self, requirement: ScopeRequirement) -> Self {
        RequireJwtLayer {
            guard: self.guard.scopes(requirement),
        }
    }
}

impl From<JwtGuard> for RequireJwtLayer {
    fn from(guard: JwtGuard) -> Self {
        RequireJwtLayer { guard }
    }
}

impl<S> Layer<S> for RequireJwtLayer {
    type Service = RequireJwtService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RequireJwtService {
            inner,
            guard: self.guard.clone(),
        }
    }
}

/// The service made by [`RequireJwtLayer`].
#[derive(Debug, Clone)]
pub struct RequireJwtService<S> {
    inner: S,
    guard: JwtGuard,
}

impl<S, B> Service<Request<B>> for RequireJwtService<S>
where
    S: Service<Request<B>, Response = Response> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    B: Send + 'static,
{
    type Response = Response;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future, S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<B>) -> Self::Future {
        if self.guard.validator().has_remote_keys() {
            return self.call_remote(req);
        }
        let verified = req.extensions().get::<Arc<VerifiedJwt>>().map(Arc::as_ref);
        match self.guard.check(&HttpView::from_request(&req), verified) {
            Ok(jwt) => {
                if let Some(jwt) = jwt {
                    req.extensions_mut().insert(Arc::new(jwt));
                }
                // Call the service that was polled ready, leave a fresh clone in its place.
                let clone = self.inner.clone();
                let mut inner = std::mem::replace(&mut self.inner, clone);
                ResponseFuture::inner(inner.call(req))
            }
            Err(rejection) => ResponseFuture::rejected(rejection),
        }
    }
}

impl<S> RequireJwtService<S> {
    /// With a remote key set a token's key id may be unknown until the set is refetched:
    /// the check awaits, so the request travels in a boxed future.
    fn call_remote<B>(&mut self, req: Request<B>) -> ResponseFuture<S::Future, S::Error>
    where
        S: Service<Request<B>, Response = Response> + Clone + Send + 'static,
        S::Future: Send + 'static,
        S::Error: Send + 'static,
        B: Send + 'static,
    {
        let guard = self.guard.clone();
        // Call the service that was polled ready, leave a fresh clone in its place.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let (mut parts, body) = req.into_parts();
        ResponseFuture::boxed(async move {
            let verified = parts.extensions.get::<Arc<VerifiedJwt>>().cloned();
            let checked = guard
                .check_async(&HttpView::from_parts(&parts), verified.as_deref())
                .await;
            match checked {
                Ok(jwt) => {
                    if let Some(jwt) = jwt {
                        parts.extensions.insert(Arc::new(jwt));
                    }
                    inner.call(Request::from_parts(parts, body)).await
                }
                Err(rejection) => Ok(AuthRejection(rejection).into_response()),
            }
        })
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
