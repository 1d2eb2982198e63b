//! Where a credential is read from, and the strict parsing of `Authorization`.
//!
//! The rules (RFC 9110 §11, RFC 6750 §2):
//!
//! - the scheme is matched case-insensitively; another scheme (such as `Basic`) counts as
//!   no credential;
//! - `Bearer` with no token, with more than one token, or with characters outside the
//!   `b64token` alphabet is `invalid_request` (400);
//! - more than one `Authorization` header is `invalid_request`;
//! - a credential in more than one place (say a header and a cookie) is `invalid_request`;
//! - the query string is read only when a [`TokenSource::Query`] is configured.

use crate::{
    error::{AuthError, InvalidRequest, Scheme},
    request::RequestView,
};

/// A place a bearer token may be read from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenSource {
    /// `Authorization: Bearer <token>` (the default).
    AuthorizationBearer,
    /// A header that holds the bare token, such as `X-Access-Token`.
    Header(String),
    /// A cookie that holds the bare token.
    Cookie(String),
    /// A query parameter, such as `access_token`.
    ///
    /// # Security
    ///
    /// Tokens in URLs end up in access logs, browser history and `Referer` headers
    /// (RFC 6750 §5.3). Enable this only for routes that cannot send a header, such as
    /// WebSocket upgrades from a browser.
    Query(String),
}

impl TokenSource {
    pub(crate) fn is_valid(&self) -> bool {
        match self {
            TokenSource::AuthorizationBearer => true,
            TokenSource::Header(n) | TokenSource::Cookie(n) | TokenSource::Query(n) => {
                !n.is_empty() && n.bytes().all(is_tchar)
            }
        }
    }
}

/// RFC 9110 `tchar`: the characters of a header or cookie name.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Byte classes for the single pass over a token (a lookup table: this runs on every
/// request, over every byte of the token).
const B64TOKEN: u8 = 1; // ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/"
const EQUALS: u8 = 2; // "="
const SPACE: u8 = 3; // SP / HTAB
const VISIBLE: u8 = 4; // other visible ASCII
const BAD: u8 = 0; // control characters and non-ASCII

const CLASS: [u8; 256] = {
    let mut t = [BAD; 256];
    let mut b = 0x21;
    while b < 0x7f {
        t[b] = VISIBLE;
        b += 1;
    }
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        if c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'~' | b'+' | b'/') {
            t[b] = B64TOKEN;
        }
        b += 1;
    }
    t[b'=' as usize] = EQUALS;
    t[b' ' as usize] = SPACE;
    t[b'\t' as usize] = SPACE;
    t
};

/// Check a token's bytes in one pass against the RFC 6750 `b64token` grammar:
/// `1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`.
fn check_b64token(token: &[u8]) -> Result<(), InvalidRequest> {
    let mut body = 0; // length of the part before trailing '='
    let mut in_padding = false;
    let mut error = None;
    for (i, &b) in token.iter().enumerate() {
        match CLASS[b as usize] {
            B64TOKEN if !in_padding => body = i + 1,
            EQUALS => in_padding = true,
            SPACE => return Err(InvalidRequest::ExtraParts),
            BAD => return Err(InvalidRequest::NotAscii),
            // A token character after '=', or another visible character: keep scanning, a
            // space or control character later is the more telling error.
            _ => error = Some(InvalidRequest::IllegalCharacters),
        }
    }
    match error {
        Some(e) => Err(e),
        None if body == 0 => Err(InvalidRequest::IllegalCharacters),
        None => Ok(()),
    }
}

/// Parse one `Authorization` header value for `scheme`.
///
/// `Ok(None)` when the header names another scheme; an error when it names `scheme` but
/// is malformed.
///
/// ```
/// use auth_core::credential::parse_authorization;
/// assert_eq!(parse_authorization(b"bearer abc.def", "Bearer"), Ok(Some("abc.def")));
/// assert_eq!(parse_authorization(b"Basic dXNlcg==", "Bearer"), Ok(None));
/// assert!(parse_authorization(b"Bearer", "Bearer").is_err());
/// assert!(parse_authorization(b"Bearer a b", "Bearer").is_err());
/// assert!(parse_authorization(b"Bearer a,b", "Bearer").is_err());
/// ```
///
/// # Errors
///
/// [`InvalidRequest`] when the header names `scheme` but is malformed: no token, extra
/// parts, characters outside visible ASCII.
pub fn parse_authorization<'a>(
    value: &'a [u8],
    scheme: &str,
) -> Result<Option<&'a str>, InvalidRequest> {
    let token = match split_authorization(value, scheme)? {
        Some(token) => token,
        None => return Ok(None),
    };
    check_b64token(token.as_bytes())?;
    Ok(Some(token))
}

/// [`parse_authorization`] without the per-character `b64token` check, which the hot path
/// defers: a token that verifies is made of base64url and dots, so the check only runs
/// when verification fails, to tell a malformed header (400) from a bad token (401).
pub(crate) fn split_authorization<'a>(
    value: &'a [u8],
    scheme: &str,
) -> Result<Option<&'a str>, InvalidRequest> {
    let is_space = |b: &u8| *b == b' ' || *b == b'\t';
    let value = trim_blanks(value);
    let name_len = value.iter().position(is_space).unwrap_or(value.len());
    if !value[..name_len].eq_ignore_ascii_case(scheme.as_bytes()) {
        return Ok(None);
    }
    let rest = &value[name_len..];
    let token_start = rest.iter().position(|b| !is_space(b)).unwrap_or(rest.len());
    let token = &rest[token_start..];
    if token.is_empty() {
        return Err(InvalidRequest::EmptyToken);
    }
    // One SIMD pass for both bytes (`<[u8]>::contains` goes a word at a time, twice): this
    // runs over the whole token on every request.
    if memchr::memchr2(b' ', b'\t', token).is_some() {
        return Err(InvalidRequest::ExtraParts);
    }
    std::str::from_utf8(token)
        .map(Some)
        .map_err(|_| InvalidRequest::NotAscii)
}

/// `value` without the spaces and tabs HTTP allows around a field value.
pub(crate) fn trim_blanks(value: &[u8]) -> &[u8] {
    let is_space = |b: &u8| *b == b' ' || *b == b'\t';
    let start = value
        .iter()
        .position(|b| !is_space(b))
        .unwrap_or(value.len());
    let end = value
        .iter()
        .rposition(|b| !is_space(b))
        .map_or(start, |i| i + 1);
    &value[start..end]
}

/// Why `token`, read from an `Authorization` header, is not an RFC 6750 `b64token`.
pub(crate) fn b64token_error(token: &str) -> Option<InvalidRequest> {
    check_b64token(token.as_bytes()).err()
}

/// The single value of header `name`: `None` when absent, an error when repeated.
///
/// # Errors
///
/// [`InvalidRequest::DuplicateHeader`] when the header appears more than once.
pub fn single_header<'a, R: RequestView>(
    req: &'a R,
    name: &str,
) -> Result<Option<&'a [u8]>, InvalidRequest> {
    let mut values = req.header_values(name);
    let first = values.next();
    if first.is_some() && values.next().is_some() {
        return Err(InvalidRequest::DuplicateHeader);
    }
    Ok(first)
}

/// The value of cookie `name` from the request's `Cookie` header(s), if present.
///
/// A cookie repeated with different values is ambiguous and refused.
///
/// # Errors
///
/// [`InvalidRequest::DuplicateHeader`] when the cookie appears twice with different values.
pub fn cookie<'a, R: RequestView>(
    req: &'a R,
    name: &str,
) -> Result<Option<&'a str>, InvalidRequest> {
    let mut found = None;
    for header in req.header_values("cookie") {
        let Ok(header) = std::str::from_utf8(header) else {
            continue;
        };
        for pair in header.split(';') {
            let Some((k, v)) = pair.split_once('=') else {
                continue;
            };
            if k.trim() == name {
                let v = v.trim();
                let v = v
                    .strip_prefix('"')
                    .and_then(|v| v.strip_suffix('"'))
                    .unwrap_or(v);
                match found {
                    Some(prev) if prev != v => return Err(InvalidRequest::DuplicateHeader),
                    _ => found = Some(v),
                }
            }
        }
    }
    Ok(found)
}

/// The value of query parameter `name` (not percent-decoded: a token is made of
/// characters that need no escaping, so an escaped one is refused later as malformed).
///
/// # Errors
///
/// [`InvalidRequest::DuplicateHeader`] when the parameter appears more than once.
pub fn query_param<'a, R: RequestView>(
    req: &'a R,
    name: &str,
) -> Result<Option<&'a str>, InvalidRequest> {
    let Some(query) = req.query() else {
        return Ok(None);
    };
    let mut found = None;
    for pair in query.split('&') {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        if k == name {
            if found.is_some() {
                return Err(InvalidRequest::DuplicateHeader);
            }
            found = Some(v);
        }
    }
    Ok(found)
}

/// Find the bearer token among `sources`.
///
/// `Ok(None)` when no source holds one; `invalid_request` when one is malformed or more
/// than one source holds a token (RFC 6750 §2: a client must not use more than one
/// method).
///
/// The token of an `Authorization` header is checked against the RFC 6750 `b64token`
/// grammar only by [`BearerToken::grammar_error`], which the validator calls when the token
/// fails to verify.
///
/// # Errors
///
/// [`AuthError::InvalidRequest`] when a source's token is malformed, or more than one
/// source holds a token.
pub fn find_bearer<'a, R: RequestView>(
    req: &'a R,
    sources: &[TokenSource],
) -> Result<Option<BearerToken<'a>>, AuthError> {
    let bad = |e| AuthError::InvalidRequest(Scheme::Bearer, e);
    let mut found: Option<BearerToken<'a>> = None;
    for source in sources {
        let from_authorization = matches!(source, TokenSource::AuthorizationBearer);
        let from_cookie = matches!(source, TokenSource::Cookie(_));
        let token = match source {
            TokenSource::AuthorizationBearer => {
                match single_header(req, "authorization").map_err(bad)? {
                    Some(v) => split_authorization(v, "Bearer").map_err(bad)?,
                    None => None,
                }
            }
            TokenSource::Header(name) => match single_header(req, name).map_err(bad)? {
                Some(v) => Some(std::str::from_utf8(v).map_err(|_| bad(InvalidRequest::NotAscii))?),
                None => None,
            },
            TokenSource::Cookie(name) => cookie(req, name).map_err(bad)?,
            TokenSource::Query(name) => query_param(req, name).map_err(bad)?,
        };
        // An empty cookie or parameter is how clients clear them: treat as absent.
        let Some(token) = token.filter(|t| !t.is_empty()) else {
            continue;
        };
        if found.is_some() {
            return Err(bad(InvalidRequest::MultipleCredentials));
        }
        found = Some(BearerToken {
            token,
            from_authorization,
            from_cookie,
        });
    }
    Ok(found)
}

/// A bearer token found in a request. Its `Debug` output shows where it came from, never
/// the token.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct BearerToken<'a> {
    /// The token.
    pub token: &'a str,
    /// Whether it came from an `Authorization` header (whose grammar is RFC 6750's).
    pub from_authorization: bool,
    /// Whether it came from a cookie (which browsers attach to cross-site requests).
    pub from_cookie: bool,
}

/// Which origins may send cookie-authenticated unsafe requests: the cross-site request
/// forgery check, by `Origin` and `Sec-Fetch-Site` (no token to embed in forms).
///
/// A request is allowed when its `Origin` is one of the trusted origins (for apps served
/// on more than one origin, as tower-http's and Go's cross-origin protections allow);
/// otherwise `Sec-Fetch-Site`, when sent, must be `same-origin` or `none`, and `Origin`, when
/// sent, must equal the app's own origin when one is configured, else name the request's own
/// authority (HTTP/2's `:authority`, HTTP/1.1's `Host`). A request with neither header (curl,
/// another server) is not cross-site.
///
/// ```
/// use auth_core::credential::SiteCheck;
/// let app = SiteCheck::default().own_origin("https://app.example");
/// assert!(app.is_cross_site(Some("https://evil.example"), None, None));
/// assert!(!app.is_cross_site(Some("https://app.example"), Some("same-origin"), None));
/// let by_host = SiteCheck::default();
/// assert!(!by_host.is_cross_site(Some("http://127.0.0.1:3000"), None, Some("127.0.0.1:3000")));
/// assert!(by_host.is_cross_site(None, Some("cross-site"), None));
/// let two = SiteCheck::default().trust("https://admin.example");
/// assert!(!two.is_cross_site(Some("https://admin.example"), Some("cross-site"), Some("app.example")));
/// assert!(!SiteCheck::default().is_cross_site(None, None, None));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SiteCheck {
    own: Option<String>,
    trusted: Vec<String>,
}

impl SiteCheck {
    /// The app's own origin (`https://app.example`), compared with `Origin` instead of the
    /// request's authority (behind a proxy that rewrites `Host`).
    pub fn own_origin(mut self, origin: impl Into<String>) -> Self {
        self.own = Some(origin.into().trim_end_matches('/').to_owned());
        self
    }

    /// Also allow requests from `origin` (`https://admin.example`), exactly as written.
    pub fn trust(mut self, origin: impl Into<String>) -> Self {
        self.trusted
            .push(origin.into().trim_end_matches('/').to_owned());
        self
    }

    /// Whether a request with these headers, sent to `authority`, is cross-site.
    pub fn is_cross_site(
        &self,
        origin: Option<&str>,
        sec_fetch_site: Option<&str>,
        authority: Option<&str>,
    ) -> bool {
        if origin.is_some_and(|o| self.trusted.iter().any(|t| t == o)) {
            return false;
        }
        if sec_fetch_site.is_some_and(|s| s != "same-origin" && s != "none") {
            return true;
        }
        let Some(origin) = origin else {
            return false;
        };
        match &self.own {
            Some(own) => origin != own,
            None => {
                let from = origin
                    .strip_prefix("https://")
                    .or_else(|| origin.strip_prefix("http://"));
                from.is_none() || from != authority
            }
        }
    }
}

/// [`SiteCheck::is_cross_site`] with at most the app's own origin and no trusted origins.
///
/// ```
/// use auth_core::credential::is_cross_site;
/// assert!(is_cross_site(Some("https://evil.example"), None, Some("https://app.example"), None));
/// assert!(!is_cross_site(Some("http://127.0.0.1:3000"), None, None, Some("127.0.0.1:3000")));
/// ```
pub fn is_cross_site(
    origin: Option<&str>,
    sec_fetch_site: Option<&str>,
    own_origin: Option<&str>,
    authority: Option<&str>,
) -> bool {
    let check = SiteCheck {
        own: own_origin.map(str::to_owned),
        trusted: Vec::new(),
    };
    check.is_cross_site(origin, sec_fetch_site, authority)
}

/// Whether `method` is one a cross-site request may not use with cookies (anything but
/// `GET`, `HEAD`, `OPTIONS`, `TRACE`).
pub fn is_unsafe_method(method: &str) -> bool {
    !matches!(method, "GET" | "HEAD" | "OPTIONS" | "TRACE")
}

impl std::fmt::Debug for BearerToken<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BearerToken")
            .field("token", &crate::redact::Redacted)
            .field("from_authorization", &self.from_authorization)
            .field("from_cookie", &self.from_cookie)
            .finish()
    }
}

impl BearerToken<'_> {
    /// For a token from an `Authorization` header, why it is not a `b64token`, if it is not.
    pub fn grammar_error(&self) -> Option<InvalidRequest> {
        if self.from_authorization {
            b64token_error(self.token)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::StaticRequest;

    #[test]
    fn scheme_is_case_insensitive() {
        for s in ["Bearer", "bearer", "BEARER", "bEaReR"] {
            let h = format!("{s} a.b.c");
            assert_eq!(
                parse_authorization(h.as_bytes(), "Bearer"),
                Ok(Some("a.b.c"))
            );
        }
    }

    #[test]
    fn malformed_headers() {
        use InvalidRequest::*;
        let cases: &[(&[u8], InvalidRequest)] = &[
            (b"Bearer", EmptyToken),
            (b"Bearer   ", EmptyToken),
            (b"Bearer a b", ExtraParts),
            (b"Bearer a\tb", ExtraParts),
            (b"Bearer a,b", IllegalCharacters),
            (b"Bearer a\"b", IllegalCharacters),
            (b"Bearer ====", IllegalCharacters),
            (b"Bearer a=b", IllegalCharacters),
            (b"Bearer \xff", NotAscii),
            (b"Bearer a\x01", NotAscii),
        ];
        for (value, want) in cases {
            assert_eq!(
                parse_authorization(value, "Bearer"),
                Err(*want),
                "{value:?}"
            );
        }
    }

    #[test]
    fn trailing_equals_allowed() {
        assert_eq!(
            parse_authorization(b"Bearer ab==", "Bearer"),
            Ok(Some("ab=="))
        );
    }

    #[test]
    fn other_schemes_are_absent() {
        assert_eq!(parse_authorization(b"Basic abc", "Bearer"), Ok(None));
        assert_eq!(parse_authorization(b"Bearerx abc", "Bearer"), Ok(None));
        assert_eq!(parse_authorization(b"", "Bearer"), Ok(None));
    }

    #[test]
    fn duplicate_authorization_is_invalid_request() {
        let req = StaticRequest::new()
            .header("Authorization", "Bearer a")
            .header("Authorization", "Basic b");
        assert_eq!(
            find_bearer(&req, &[TokenSource::AuthorizationBearer]),
            Err(AuthError::InvalidRequest(
                Scheme::Bearer,
                InvalidRequest::DuplicateHeader
            ))
        );
    }

    #[test]
    fn query_is_ignored_unless_configured() {
        let req = StaticRequest::new().query_string("access_token=abc");
        assert_eq!(
            find_bearer(&req, &[TokenSource::AuthorizationBearer]),
            Ok(None)
        );
        let sources = [
            TokenSource::AuthorizationBearer,
            TokenSource::Query("access_token".into()),
        ];
        assert_eq!(
            find_bearer(&req, &sources).map(|t| t.map(|t| t.token)),
            Ok(Some("abc"))
        );
    }

    #[test]
    fn two_sources_at_once_is_invalid_request() {
        let req = StaticRequest::new()
            .header("Authorization", "Bearer a")
            .header("Cookie", "theme=dark; session=b");
        let sources = [
            TokenSource::AuthorizationBearer,
            TokenSource::Cookie("session".into()),
        ];
        assert_eq!(
            find_bearer(&req, &sources),
            Err(AuthError::InvalidRequest(
                Scheme::Bearer,
                InvalidRequest::MultipleCredentials
            ))
        );
    }

    #[test]
    fn cookie_parsing() {
        let req = StaticRequest::new()
            .header("Cookie", "a=1; session=\"tok\"")
            .header("Cookie", "b=2");
        assert_eq!(cookie(&req, "session"), Ok(Some("tok")));
        assert_eq!(cookie(&req, "b"), Ok(Some("2")));
        assert_eq!(cookie(&req, "c"), Ok(None));
        let req = StaticRequest::new().header("Cookie", "s=1; s=2");
        assert_eq!(cookie(&req, "s"), Err(InvalidRequest::DuplicateHeader));
    }

    #[test]
    fn source_names_are_checked() {
        assert!(TokenSource::Cookie("session".into()).is_valid());
        assert!(!TokenSource::Cookie("".into()).is_valid());
        assert!(!TokenSource::Header("a b".into()).is_valid());
    }
}
