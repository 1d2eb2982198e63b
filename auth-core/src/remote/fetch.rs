//! Outbound HTTP for key sets and discovery: a small injectable trait, and the policy every
//! fetch obeys (https only, timeouts, a response-size cap, no redirects).

use std::{fmt, net::IpAddr, time::Duration};

/// What a fetch may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FetchPolicy {
    /// The whole request, connection included.
    pub timeout: Duration,
    /// The largest response body read; a larger one fails the fetch.
    pub max_body: usize,
    /// Allow plain `http://` to loopback addresses (127.0.0.0/8, `::1`, `localhost`): for
    /// tests and development only.
    pub allow_http_loopback: bool,
}

impl Default for FetchPolicy {
    fn default() -> Self {
        FetchPolicy {
            timeout: Duration::from_secs(5),
            max_body: 256 * 1024,
            allow_http_loopback: false,
        }
    }
}

/// Why a fetch failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FetchError {
    /// The URL is refused by the policy before any connection (not https, not a URL).
    #[error("URL refused: {0}")]
    Refused(&'static str),
    /// The server answered with a status other than 200 (redirects are not followed).
    #[error("HTTP status {0}")]
    Status(u16),
    /// The body is larger than the policy's cap.
    #[error("response larger than {0} bytes")]
    TooLarge(usize),
    /// No complete answer within the timeout.
    #[error("timed out")]
    Timeout,
    /// Connection or protocol failure.
    #[error("transport error: {0}")]
    Transport(String),
}

/// A successful response.
#[derive(Clone, PartialEq, Eq)]
pub struct FetchResponse {
    /// The body (at most the policy's cap).
    pub body: Vec<u8>,
    /// `Cache-Control: max-age`, in seconds, if the server sent one.
    pub max_age: Option<u64>,
}

impl fmt::Debug for FetchResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FetchResponse")
            .field("body_len", &self.body.len())
            .field("max_age", &self.max_age)
            .finish()
    }
}

/// Fetches a URL with GET. Implement it to bring your own client (or canned responses in
/// tests); [`ReqwestFetch`](super::ReqwestFetch) (feature `reqwest`) is the ready one.
///
/// `#[async_trait]` because validators hold it as `Arc<dyn Fetch>`.
#[async_trait::async_trait]
pub trait Fetch: Send + Sync + fmt::Debug {
    /// GET `url`. Implementations must apply [`check_url`] and the policy.
    async fn get(&self, url: &str) -> Result<FetchResponse, FetchError>;
}

/// Check `url` against `policy`, before any connection is made.
///
/// ```
/// use auth_core::remote::{FetchPolicy, check_url};
/// let dev = FetchPolicy { allow_http_loopback: true, ..FetchPolicy::default() };
/// assert!(check_url("https://issuer.example/jwks", &FetchPolicy::default()).is_ok());
/// assert!(check_url("http://issuer.example/jwks", &dev).is_err());
/// assert!(check_url("http://127.0.0.1:9400/jwks", &dev).is_ok());
/// assert!(check_url("http://127.0.0.1:9400/jwks", &FetchPolicy::default()).is_err());
/// ```
pub fn check_url(url: &str, policy: &FetchPolicy) -> Result<url::Url, FetchError> {
    let parsed = url::Url::parse(url).map_err(|_| FetchError::Refused("not an absolute URL"))?;
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(FetchError::Refused("credentials in the URL"));
    }
    match parsed.scheme() {
        "https" => Ok(parsed),
        "http" if policy.allow_http_loopback && is_loopback(&parsed) => Ok(parsed),
        "http" => Err(FetchError::Refused("https is required")),
        _ => Err(FetchError::Refused("only https URLs are fetched")),
    }
}

fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// `max-age` of a `Cache-Control` header value.
pub fn max_age(cache_control: &str) -> Option<u64> {
    cache_control.split(',').find_map(|d| {
        let (k, v) = d.trim().split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("max-age")
            .then(|| v.trim().trim_matches('"').parse().ok())?
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let dev = FetchPolicy {
            allow_http_loopback: true,
            ..FetchPolicy::default()
        };
        for (url, ok) in [
            ("https://a.example/x", true),
            ("http://a.example/x", false),
            ("http://localhost:1/x", true),
            ("http://[::1]:1/x", true),
            ("http://127.8.0.1/x", true),
            ("http://169.254.169.254/latest", false),
            ("file:///etc/passwd", false),
            ("https://user:pw@a.example/", false),
            ("/relative", false),
        ] {
            assert_eq!(check_url(url, &dev).is_ok(), ok, "{url}");
        }
    }

    #[test]
    fn cache_control() {
        assert_eq!(max_age("public, max-age=300"), Some(300));
        assert_eq!(max_age("no-store"), None);
        assert_eq!(max_age("max-age=x"), None);
    }
}
