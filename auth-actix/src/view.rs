//! [`RequestView`] over actix-web's request type.

use actix_web::HttpRequest;
use auth_core::request::RequestView;

/// Lets the core read an actix-web request's headers and query string.
#[derive(Debug, Clone, Copy)]
pub struct ActixView<'a>(pub &'a HttpRequest);

impl RequestView for ActixView<'_> {
    fn header_values<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a [u8]> {
        self.0.headers().get_all(name).map(|v| v.as_bytes())
    }

    fn query(&self) -> Option<&str> {
        Some(self.0.query_string()).filter(|q| !q.is_empty())
    }
}
