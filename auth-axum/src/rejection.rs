//! The axum response for an [`AuthError`](auth_core::error::AuthError).

use auth_core::error::Rejection;
use axum_core::{
    body::Body,
    response::{IntoResponse, Response},
};
use http::{HeaderValue, StatusCode, header};

/// A rejection rendered by the core; as a response it carries the core's status,
/// `WWW-Authenticate` challenge and body unchanged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthRejection(pub Rejection);

impl AuthRejection {
    /// The rendered rejection.
    pub fn rejection(&self) -> &Rejection {
        &self.0
    }
}

impl IntoResponse for AuthRejection {
    fn into_response(self) -> Response {
        let Rejection {
            status,
            www_authenticate,
            content_type,
            body,
            retry_after,
            dpop_nonce,
        } = self.0;
        let mut response = Response::new(Body::from(body));
        *response.status_mut() =
            StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let headers = response.headers_mut();
        if let Ok(v) = HeaderValue::from_str(&content_type) {
            headers.insert(header::CONTENT_TYPE, v);
        }
        if let Some(Ok(v)) = www_authenticate.as_deref().map(HeaderValue::from_str) {
            headers.insert(header::WWW_AUTHENTICATE, v);
        }
        if let Some(secs) = retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if let Some(Ok(v)) = dpop_nonce.as_deref().map(HeaderValue::from_str) {
            headers.insert(http::HeaderName::from_static("dpop-nonce"), v);
        }
        response
    }
}
