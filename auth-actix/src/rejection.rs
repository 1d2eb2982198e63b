//! The actix-web response for an [`AuthError`](auth_core::error::AuthError).

use std::fmt;

use actix_web::{
    HttpResponse, ResponseError,
    http::{
        StatusCode,
        header::{CONTENT_TYPE, HeaderValue, WWW_AUTHENTICATE},
    },
};
use auth_core::error::Rejection;

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

impl fmt::Display for AuthRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "authentication failed with status {}", self.0.status)
    }
}

impl ResponseError for AuthRejection {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.0.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        if let Ok(v) = HeaderValue::from_str(&self.0.content_type) {
            response.insert_header((CONTENT_TYPE, v));
        }
        if let Some(Ok(v)) = self
            .0
            .www_authenticate
            .as_deref()
            .map(HeaderValue::from_str)
        {
            response.insert_header((WWW_AUTHENTICATE, v));
        }
        if let Some(secs) = self.0.retry_after {
            response.insert_header((actix_web::http::header::RETRY_AFTER, secs.to_string()));
        }
        if let Some(nonce) = &self.0.dpop_nonce {
            response.insert_header(("dpop-nonce", nonce.as_str()));
        }
        response.body(self.0.body.clone())
    }
}
