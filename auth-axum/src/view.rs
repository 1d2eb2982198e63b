//! [`RequestView`] over axum's request types.

use auth_core::request::RequestView;
use http::{HeaderMap, HeaderName, Method, Uri, header, request::Parts};

const X_API_KEY: HeaderName = HeaderName::from_static("x-api-key");

/// Lets the core read an axum request's headers and query string.
#[derive(Debug, Clone, Copy)]
pub struct HttpView<'a> {
    headers: &'a HeaderMap,
    uri: &'a Uri,
    method: &'a Method,
}

impl<'a> HttpView<'a> {
    /// A view of request parts (in extractors).
    pub fn from_parts(parts: &'a Parts) -> Self {
        HttpView {
            headers: &parts.headers,
            uri: &parts.uri,
            method: &parts.method,
        }
    }

    /// A view of a whole request (in middleware).
    pub fn from_request<B>(req: &'a http::Request<B>) -> Self {
        HttpView {
            headers: req.headers(),
            uri: req.uri(),
            method: req.method(),
        }
    }
}

impl RequestView for HttpView<'_> {
    fn method(&self) -> &str {
        self.method.as_str()
    }

    fn header_values<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a [u8]> {
        // The usual names as ready-made `HeaderName`s: looking a `&str` up parses and
        // lowercases it first, on every request.
        let values = match name {
            "authorization" => self.headers.get_all(header::AUTHORIZATION),
            "cookie" => self.headers.get_all(header::COOKIE),
            "x-api-key" => self.headers.get_all(X_API_KEY),
            _ => self.headers.get_all(name),
        };
        values.iter().map(|v| v.as_bytes())
    }

    fn query(&self) -> Option<&str> {
        self.uri.query()
    }

    fn path(&self) -> Option<&str> {
        Some(self.uri.path())
    }

    fn authority(&self) -> Option<&str> {
        // HTTP/2 puts `:authority` in the URI and sends no `Host`; HTTP/1.1 the reverse.
        self.uri
            .authority()
            .map(http::uri::Authority::as_str)
            .or_else(|| self.headers.get(header::HOST).and_then(|v| v.to_str().ok()))
    }
}
