//! The small view of an HTTP request through which the core reads credentials.
//!
//! Each adapter implements [`RequestView`] for its framework's request type; the core
//! never sees a framework type.

/// Read-only access to the parts of a request that can carry a credential.
pub trait RequestView {
    /// Every value of the header `name` (case-insensitive), in order.
    fn header_values<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a [u8]>;

    /// The raw query string (without `?`), if any.
    fn query(&self) -> Option<&str>;

    /// The method (`GET`, `POST`, ...): cookie-authenticated unsafe methods get the
    /// cross-site check.
    fn method(&self) -> &str;

    /// The request's path (without the query), as the client sent it: a DPoP proof's `htu`
    /// names it. `None` (the default) when the adapter cannot tell, and DPoP proofs are
    /// then refused.
    fn path(&self) -> Option<&str> {
        None
    }

    /// The authority the request was sent to (`host[:port]`): HTTP/2's `:authority` (in the
    /// request URI), else HTTP/1.1's `Host`. The cross-site check compares `Origin` with it.
    /// The default reads `Host`; adapters read the URI's authority first.
    fn authority(&self) -> Option<&str> {
        self.header_values("host")
            .next()
            .and_then(|v| std::str::from_utf8(v).ok())
    }
}

/// A request given as plain header pairs and a query string: for tests and for callers
/// outside a web framework. Its `Debug` output shows header names and query parameter
/// names, never their values (which may be credentials).
///
/// ```
/// use auth_core::request::{RequestView, StaticRequest};
/// let req = StaticRequest::new().header("authorization", "Bearer abc");
/// assert_eq!(req.header_values("Authorization").count(), 1);
/// ```
#[derive(Clone, Default)]
pub struct StaticRequest {
    headers: Vec<(String, Vec<u8>)>,
    query: Option<String>,
    method: Option<String>,
    authority: Option<String>,
    path: Option<String>,
}

impl std::fmt::Debug for StaticRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StaticRequest")
            .field("method", &self.method())
            .field(
                "headers",
                &self.headers.iter().map(|(n, _)| n).collect::<Vec<_>>(),
            )
            .field(
                "query",
                &self.query.as_deref().map(crate::redact::ParamNames),
            )
            .finish()
    }
}

impl StaticRequest {
    /// Set the method (default `GET`).
    pub fn method(mut self, method: &str) -> Self {
        self.method = Some(method.to_owned());
        self
    }

    /// An empty request.
    pub fn new() -> Self {
        Self::default()
    }

    /// Add a header.
    pub fn header(mut self, name: &str, value: impl Into<Vec<u8>>) -> Self {
        self.headers.push((name.to_ascii_lowercase(), value.into()));
        self
    }

    /// Set the query string.
    pub fn query_string(mut self, query: &str) -> Self {
        self.query = Some(query.to_owned());
        self
    }

    /// Set the path (default `/`).
    pub fn path(mut self, path: &str) -> Self {
        self.path = Some(path.to_owned());
        self
    }

    /// Set the URI's authority, as an HTTP/2 request carries it (`:authority`, no `Host`).
    pub fn authority(mut self, authority: &str) -> Self {
        self.authority = Some(authority.to_owned());
        self
    }
}

impl RequestView for StaticRequest {
    fn header_values<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a [u8]> {
        self.headers
            .iter()
            .filter(move |(n, _)| n == name || n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_slice())
    }

    fn method(&self) -> &str {
        self.method.as_deref().unwrap_or("GET")
    }

    fn query(&self) -> Option<&str> {
        self.query.as_deref()
    }

    fn path(&self) -> Option<&str> {
        Some(self.path.as_deref().unwrap_or("/"))
    }

    fn authority(&self) -> Option<&str> {
        self.authority.as_deref().or_else(|| {
            self.header_values("host")
                .next()
                .and_then(|v| std::str::from_utf8(v).ok())
        })
    }
}
