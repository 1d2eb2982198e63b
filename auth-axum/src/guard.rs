//! [`AuthLayer`]: the one tower shell of the guards. [`AuthLayer::jwt`] and
//! [`AuthLayer::api_key`] wrap the core's [`JwtGuard`] and [`ApiKeyGuard`];
//! [`AuthLayer::new`] any other [`Guard`]. The guard decides; this stores what it verified
//! in the request extensions and calls the inner service, or answers the rejection.

use std::task::{Context, Poll};

use auth_core::{
    apikey::{ApiKeyGuard, ApiKeyValidator},
    guard::{Admission, Guard, ScopedGuard},
    jwt::{JwtGuard, JwtValidator},
    scope::ScopeRequirement,
};
use axum_core::response::{IntoResponse, Response};
use http::Request;
use tower_layer::Layer;
use tower_service::Service;

use crate::{future::ResponseFuture, rejection::AuthRejection, view::HttpView};

/// A tower layer that admits only the requests its guard admits: a valid token
/// ([`jwt`](Self::jwt)), a valid API key ([`api_key`](Self::api_key)), optionally with
/// scopes, or what a [`Guard`] of your own decides ([`new`](Self::new)).
///
/// What the guard verified is stored in the request extensions, so a
/// [`RequireJwt`](crate::RequireJwt) or [`ApiKey`](crate::ApiKey) in the handler with the
/// same validator does not verify it again.
///
/// ```
/// use auth_axum::{ApiKey, AuthLayer, RequireJwt};
/// use auth_core::{apikey::ApiKeyValidator, jwt::JwtValidator, scope::ScopeRequirement};
/// use axum::{Router, extract::FromRef, routing::get};
///
/// #[derive(Clone, FromRef)]
/// struct AppState {
///     tokens: JwtValidator,
///     keys: ApiKeyValidator,
/// }
///
/// async fn admin(RequireJwt(claims): RequireJwt) -> String {
///     format!("hello admin {}", claims.sub().unwrap_or_default())
/// }
///
/// async fn stats(key: ApiKey) -> String {
///     format!("hello {}", key.name())
/// }
///
/// fn app(state: AppState) -> Router {
///     let admin_routes = Router::<AppState>::new()
///         .route("/admin", get(admin))
///         .route_layer(AuthLayer::jwt(state.tokens.clone()).scopes(ScopeRequirement::all(["admin"])));
///     let internal = Router::<AppState>::new()
///         .route("/internal/stats", get(stats))
///         .route_layer(AuthLayer::api_key(state.keys.clone()).scopes(ScopeRequirement::all(["stats:read"])));
///     admin_routes.merge(internal).with_state(state)
/// }
/// ```
#[derive(Debug, Clone)]
pub struct AuthLayer<G> {
    guard: G,
}

impl<G: ScopedGuard> AuthLayer<G> {
    /// Also require scopes; a valid credential without them gets 403 `insufficient_scope`.
    pub fn scopes(self, requirement: ScopeRequirement) -> Self {
        AuthLayer::new(self.guard.with_scopes(requirement))
    }
}

impl<G: Guard> AuthLayer<G> {
    /// A layer over a guard of your own.
    pub fn new(guard: G) -> Self {
        AuthLayer { guard }
    }
}

impl AuthLayer<JwtGuard> {
    /// Require a valid token checked by `validator`.
    pub fn jwt(validator: JwtValidator) -> Self {
        AuthLayer::new(JwtGuard::new(validator))
    }
}

impl AuthLayer<ApiKeyGuard> {
    /// Require a valid API key checked by `validator`.
    pub fn api_key(validator: ApiKeyValidator) -> Self {
        AuthLayer::new(ApiKeyGuard::new(validator))
    }
}

impl<G: Clone, S> Layer<S> for AuthLayer<G> {
    type Service = AuthService<G, S>;

    fn layer(&self, inner: S) -> Self::Service {
        AuthService {
            inner,
            guard: self.guard.clone(),
        }
    }
}

/// The service made by an [`AuthLayer`].
#[derive(Debug, Clone)]
pub struct AuthService<G, S> {
    inner: S,
    guard: G,
}

impl<G, S, B> Service<Request<B>> for AuthService<G, S>
where
    G: Guard,
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
        let admission = self.guard.admit(
            &HttpView::from_request(&req),
            req.extensions().get::<G::Verified>(),
        );
        match admission {
            // Decided now: the service that was polled ready is called now, as tower's
            // contract asks; no clone (for a boxed axum route, a clone is an allocation).
            Admission::Now(Ok(verified)) => {
                if let Some(verified) = verified {
                    req.extensions_mut().insert(verified);
                }
                ResponseFuture::inner(self.inner.call(req))
            }
            Admission::Now(Err(rejection)) => ResponseFuture::rejected(rejection),
            // Decided later: the future takes the service that was polled ready and leaves
            // a fresh clone in its place.
            Admission::Later(decision) => {
                let clone = self.inner.clone();
                let mut inner = std::mem::replace(&mut self.inner, clone);
                ResponseFuture::boxed(async move {
                    match decision.await {
                        Ok(verified) => {
                            if let Some(verified) = verified {
                                req.extensions_mut().insert(verified);
                            }
                            inner.call(req).await
                        }
                        Err(rejection) => Ok(AuthRejection(rejection).into_response()),
                    }
                })
            }
        }
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

    use super::AuthLayer;
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
            .route_layer(AuthLayer::jwt(validator.clone()).scopes(ScopeRequirement::all(["admin"])))
            .layer(AuthLayer::jwt(validator.clone()))
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
                AuthLayer::jwt(validator).scopes(ScopeRequirement::any(["admin", "owner"])),
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
