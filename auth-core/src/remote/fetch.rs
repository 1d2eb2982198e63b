//! Outbound HTTP for key sets and discovery: a small injectable trait, and the policy every
//! fetch obeys (https only, timeouts, a response-size cap, no redirects, optionally public
//! destinations only).

use std::{
    fmt,
    net::{IpAddr, Ipv4Addr, Ipv6Addr},
    time::Duration,
};

/// What a fetch may do.
///
/// # Security
///
/// The URLs fetched come from configuration and from the provider's discovery document
/// (`jwks_uri`, token and userinfo endpoints), which may name any host: endpoints on
/// another host than the issuer's are normal (Google's keys live on googleapis.com), so they
/// are not tied to the issuer's host. What is enforced: https, no redirects, a timeout and
/// a size cap; and, with [`public_only`](Self::public_only), no private, loopback,
/// link-local or otherwise non-public destination, checked on every address the name
/// resolves to, so a provider (or whoever controls its DNS) cannot make the server call
/// into its own network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FetchPolicy {
    /// The whole request, connection included.
    pub timeout: Duration,
    /// The largest response body read; a larger one fails the fetch.
    pub max_body: usize,
    /// Allow plain `http://` to loopback addresses (127.0.0.0/8, `::1`, `localhost`), and
    /// loopback destinations under [`public_only`](Self::public_only): for tests and
    /// development only.
    pub allow_http_loopback: bool,
    /// Refuse destinations that are not public unicast addresses: private (10/8,
    /// 172.16/12, 192.168/16, fc00::/7), loopback, link-local (169.254/16, fe80::/10, the
    /// cloud metadata address among them), shared (100.64/10), unspecified, multicast,
    /// broadcast, documentation and reserved ranges, IPv4 inside IPv6 included; checked on a
    /// literal address in the URL and on every address DNS returns for a name, before any
    /// connection. Loopback stays allowed when
    /// [`allow_http_loopback`](Self::allow_http_loopback) is set. Off by default (a
    /// provider inside the company network is legitimate); the demo turns it on.
    pub public_only: bool,
}

impl Default for FetchPolicy {
    fn default() -> Self {
        FetchPolicy {
            timeout: Duration::from_secs(5),
            max_body: 256 * 1024,
            allow_http_loopback: false,
            public_only: false,
        }
    }
}

impl FetchPolicy {
    /// Whether the policy lets a connection go to `ip`.
    pub fn allows_destination(&self, ip: IpAddr) -> bool {
        !self.public_only || is_public(ip) || (self.allow_http_loopback && ip.is_loopback())
    }
}

/// Whether `ip` is a public unicast address (see [`FetchPolicy::public_only`]).
///
/// Written here rather than taken from `std`: `Ipv4Addr::is_global` and its IPv6 twin are
/// still unstable.
pub(crate) fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => {
            // IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d) and NAT64
            // (64:ff9b::a.b.c.d) addresses reach the IPv4 address inside.
            let s = v6.segments();
            let embedded =
                Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
            if s[..5] == [0; 5] && (s[5] == 0xffff || s[5] == 0) {
                return s[5] == 0xffff && is_public_v4(embedded);
            }
            if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
                return is_public_v4(embedded);
            }
            is_public_v6(v6)
        }
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || a >= 240
        || (a == 100 && (64..128).contains(&b))
        || (a == 192 && b == 0 && c == 0)
        || (a == 198 && (18..20).contains(&b)))
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00
        || (first & 0xffc0) == 0xfe80
        || (first & 0xffc0) == 0xfec0
        || first == 0x2001 && ip.segments()[1] == 0x0db8
        || first == 0x0100 && ip.segments()[1..4] == [0, 0, 0])
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
///
/// # Errors
///
/// [`FetchError`] for a URL that does not parse, is not https (or allowed loopback http),
/// carries credentials, or (under `public_only`) is a non-public literal address.
pub fn check_url(url: &str, policy: &FetchPolicy) -> Result<url::Url, FetchError> {
    let parsed = url::Url::parse(url).map_err(|_| FetchError::Refused("not an absolute URL"))?;
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(FetchError::Refused("credentials in the URL"));
    }
    match parsed.scheme() {
        "https" => {}
        "http" if policy.allow_http_loopback && is_loopback(&parsed) => {}
        "http" => return Err(FetchError::Refused("https is required")),
        _ => return Err(FetchError::Refused("only https URLs are fetched")),
    }
    let literal = match parsed.host() {
        Some(url::Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
        Some(url::Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
        _ => None,
    };
    if literal.is_some_and(|ip| !policy.allows_destination(ip)) {
        return Err(FetchError::Refused(NOT_PUBLIC));
    }
    Ok(parsed)
}

/// Why a destination was refused under [`FetchPolicy::public_only`].
pub(crate) const NOT_PUBLIC: &str = "the destination is not a public address";

fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// How long (seconds) a response may be kept, by its `Cache-Control` header value: 0 for
/// `no-store` or `no-cache` (keep it as briefly as the policy allows), else `max-age`;
/// `None` when the header says neither (the policy's default applies).
pub fn max_age(cache_control: &str) -> Option<u64> {
    let directives = || cache_control.split(',').map(str::trim);
    if directives().any(|d| {
        let name = d.split('=').next().unwrap_or_default().trim();
        name.eq_ignore_ascii_case("no-store") || name.eq_ignore_ascii_case("no-cache")
    }) {
        return Some(0);
    }
    directives().find_map(|d| {
        let (k, v) = d.split_once('=')?;
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
        assert_eq!(max_age("no-store"), Some(0));
        assert_eq!(max_age("No-Cache, max-age=300"), Some(0));
        assert_eq!(max_age("private, no-cache=\"set-cookie\""), Some(0));
        assert_eq!(max_age("max-age=0"), Some(0));
        assert_eq!(max_age("public"), None);
        assert_eq!(max_age("max-age=x"), None);
    }

    /// Review item 11 (the addresses): what `public_only` refuses.
    #[test]
    fn review_11_non_public_destinations() {
        let public_only = FetchPolicy {
            public_only: true,
            ..FetchPolicy::default()
        };
        for (url, ok) in [
            ("https://a.example/x", true),
            ("https://93.184.216.34/x", true),
            ("https://[2606:2800:220:1::1]/x", true),
            ("https://169.254.169.254/latest", false),
            ("https://10.0.0.1/x", false),
            ("https://172.16.5.4/x", false),
            ("https://192.168.1.1/x", false),
            ("https://127.0.0.1/x", false),
            ("https://100.64.0.1/x", false),
            ("https://0.0.0.0/x", false),
            ("https://[::1]/x", false),
            ("https://[fe80::1]/x", false),
            ("https://[fd00::1]/x", false),
            ("https://[::ffff:10.0.0.1]/x", false),
            ("https://[::ffff:169.254.169.254]/x", false),
            ("https://[64:ff9b::a9fe:a9fe]/x", false),
        ] {
            assert_eq!(check_url(url, &public_only).is_ok(), ok, "{url}");
        }
        // Without the opt-in, a literal address is not judged.
        assert!(check_url("https://10.0.0.1/x", &FetchPolicy::default()).is_ok());
        // Loopback stays allowed for development.
        let dev = FetchPolicy {
            allow_http_loopback: true,
            ..public_only
        };
        assert!(check_url("http://127.0.0.1:9400/x", &dev).is_ok());
        assert!(check_url("https://10.0.0.1/x", &dev).is_err());
    }
}
