//! [`RequestView`] over axum's request types.

use auth_core::request::RequestView;
use http::{HeaderMap, Uri, request::Parts};

/// Lets the core read an axum request's headers and query string.
#[derive(Debug, Clone, Copy)]
pub struct HttpView<'a> {
    headers: &'a HeaderMap,
    uri: &'a Uri,
}

impl<'a> HttpView<'a> {
    /// A view of request parts (in extractors).
    pub fn from_parts(parts: &'a Parts) -> Self {
        HttpView {
            headers: &parts.headers,
            uri: &parts.uri,
        }
    }

    /// A view of a whole request (in middleware).
    pub fn from_request<B>(req: &'a http::Request<B>) -> Self {
        HttpView {
            headers: req.headers(),
            uri: req.uri(),
        }
    }
}

impl RequestView for HttpView<'_> {
    fn header_values<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a [u8]> {
        self.headers.get_all(name).iter().map(|v| v.as_bytes())
    }

    fn query(&self) -> Option<&str> {
        self.uri.query()
    }
}
