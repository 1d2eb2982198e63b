//! [`RequestView`] over actix-web's request type.

use actix_web::{
    HttpRequest,
    http::header::{self, HeaderName},
};

const X_API_KEY: HeaderName = HeaderName::from_static("x-api-key");
use auth_core::request::RequestView;

/// Lets the core read an actix-web request's headers and query string.
#[derive(Debug, Clone, Copy)]
pub struct ActixView<'a>(pub &'a HttpRequest);

impl RequestView for ActixView<'_> {
    fn method(&self) -> &str {
        self.0.method().as_str()
    }

    fn header_values<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a [u8]> {
        // The usual names as ready-made `HeaderName`s: looking a `&str` up parses and
        // lowercases it first, on every request.
        let headers = self.0.headers();
        let values = match name {
            "authorization" => headers.get_all(header::AUTHORIZATION),
            "cookie" => headers.get_all(header::COOKIE),
            "x-api-key" => headers.get_all(X_API_KEY),
            _ => headers.get_all(name),
        };
        values.map(|v| v.as_bytes())
    }

    fn query(&self) -> Option<&str> {
        Some(self.0.query_string()).filter(|q| !q.is_empty())
    }

    fn path(&self) -> Option<&str> {
        Some(self.0.path())
    }

    fn authority(&self) -> Option<&str> {
        // HTTP/2 puts `:authority` in the URI and sends no `Host`; HTTP/1.1 the reverse.
        self.0
            .uri()
            .authority()
            .map(actix_web::http::uri::Authority::as_str)
            .or_else(|| {
                self.0
                    .headers()
                    .get(header::HOST)
                    .and_then(|v| v.to_str().ok())
            })
    }
}
