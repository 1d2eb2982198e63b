//! `RequireJwtLayer`: guard a whole route group with a valid token and, optionally, scopes.

use std::{
    future::Future,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
};

use auth_core::{
    jwt::{JwtValidator, VerifiedJwt, check_scopes},
    scope::ScopeRequirement,
};
use axum_core::response::{IntoResponse, Response};
use http::{Request, StatusCode};
use pin_project_lite::pin_project;
use tower_layer::Layer;
use tower_service::Service;

use crate::{rejection::AuthRejection, view::HttpView};

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
    validator: JwtValidator,
    scopes: Option<Arc<ScopeRequirement>>,
}

impl RequireJwtLayer {
    /// Require a valid token checked by `validator`.
    pub fn new(validator: JwtValidator) -> Self {
        RequireJwtLayer {
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

impl<S> Layer<S> for RequireJwtLayer {
    type Service = RequireJwtService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RequireJwtService {
            inner,
            validator: self.validator.clone(),
            scopes: self.scopes.clone(),
        }
    }
}

/// The service made by [`RequireJwtLayer`].
#[derive(Debug, Clone)]
pub struct RequireJwtService<S> {
    inner: S,
    validator: JwtValidator,
    scopes: Option<Arc<ScopeRequirement>>,
}

impl<S, B> Service<Request<B>> for RequireJwtService<S>
where
    S: Service<Request<B>, Response = Response> + Clone,
{
    type Response = Response;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<B>) -> Self::Future {
        let scopes = self.scopes.as_deref();
        let verified = match req.extensions().get::<Arc<VerifiedJwt>>() {
            // An outer layer verified the token already: only the scopes remain.
            Some(jwt) => check_scopes(jwt, scopes).map(|()| None),
            None => self
                .validator
                .require(&HttpView::from_request(&req), scopes)
                .map(Some),
        };
        match verified {
            Ok(jwt) => {
                if let Some(jwt) = jwt {
                    req.extensions_mut().insert(Arc::new(jwt));
                }
                // Call the service that was polled ready, leave a fresh clone in its place.
                let clone = self.inner.clone();
                let mut inner = std::mem::replace(&mut self.inner, clone);
                ResponseFuture {
                    kind: Kind::Inner {
                        future: inner.call(req),
                    },
                }
            }
            Err(e) => ResponseFuture {
                kind: Kind::Rejected {
                    response: Some(AuthRejection(self.validator.reject(&e)).into_response()),
                },
            },
        }
    }
}

pin_project! {
    /// The response future of [`RequireJwtService`].
    #[derive(Debug)]
    pub struct ResponseFuture<F> {
        #[pin]
        kind: Kind<F>,
    }
}

pin_project! {
    #[project = KindProj]
    #[derive(Debug)]
    enum Kind<F> {
        Inner {
            #[pin]
            future: F,
        },
        Rejected {
            response: Option<Response>,
        },
    }
}

impl<F, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response, E>>,
{
    type Output = Result<Response, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().kind.project() {
            KindProj::Inner { future } => future.poll(cx),
            KindProj::Rejected { response } => Poll::Ready(Ok(response
                .take()
                // Polled again after completion: a caller bug, answered without panicking.
                .unwrap_or_else(|| StatusCode::INTERNAL_SERVER_ERROR.into_response()))),
        }
    }
}
