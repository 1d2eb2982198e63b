//! The one tower shell of the guard layers: [`GuardLayer`] over a core
//! [`Guard`] ([`JwtGuard`](auth_core::jwt::JwtGuard) for
//! [`RequireJwtLayer`](crate::RequireJwtLayer),
//! [`ApiKeyGuard`](auth_core::apikey::ApiKeyGuard) for
//! [`RequireApiKeyLayer`](crate::RequireApiKeyLayer)). The guard decides; this stores what
//! it verified in the request extensions and calls the inner service, or answers the
//! rejection.

use std::task::{Context, Poll};

use auth_core::guard::{Admission, Guard};
use axum_core::response::{IntoResponse, Response};
use http::Request;
use tower_layer::Layer;
use tower_service::Service;

use crate::{future::ResponseFuture, rejection::AuthRejection, view::HttpView};

/// A tower layer that admits only the requests its guard admits.
#[derive(Debug, Clone)]
pub struct GuardLayer<G> {
    pub(crate) guard: G,
}

impl<G: Guard> GuardLayer<G> {
    /// A layer over `guard`.
    pub fn from_guard(guard: G) -> Self {
        GuardLayer { guard }
    }
}

impl<G: Clone, S> Layer<S> for GuardLayer<G> {
    type Service = GuardService<G, S>;

    fn layer(&self, inner: S) -> Self::Service {
        GuardService {
            inner,
            guard: self.guard.clone(),
        }
    }
}

/// The service made by a [`GuardLayer`].
#[derive(Debug, Clone)]
pub struct GuardService<G, S> {
    inner: S,
    guard: G,
}

impl<G, S, B> Service<Request<B>> for GuardService<G, S>
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
        // Call the service that was polled ready, leave a fresh clone in its place.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        match admission {
            Admission::Now(Ok(verified)) => {
                if let Some(verified) = verified {
                    req.extensions_mut().insert(verified);
                }
                ResponseFuture::inner(inner.call(req))
            }
            Admission::Now(Err(rejection)) => ResponseFuture::rejected(rejection),
            Admission::Later(decision) => ResponseFuture::boxed(async move {
                match decision.await {
                    Ok(verified) => {
                        if let Some(verified) = verified {
                            req.extensions_mut().insert(verified);
                        }
                        inner.call(req).await
                    }
                    Err(rejection) => Ok(AuthRejection(rejection).into_response()),
                }
            }),
        }
    }
}
