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

/// RFC 6750 `b64token` characters, before the optional trailing `=`.
fn is_b64token_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/')
}

/// Whether `token` is a well-formed RFC 6750 `b64token`: `1*( ALPHA / DIGIT / "-" / "." /
/// "_" / "~" / "+" / "/" ) *"="`.
pub fn is_b64token(token: &str) -> bool {
    let body = token.trim_end_matches('=');
    !body.is_empty() && body.bytes().all(is_b64token_char)
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
/// ```
pub fn parse_authorization<'a>(
    value: &'a [u8],
    scheme: &str,
) -> Result<Option<&'a str>, InvalidRequest> {
    let value = std::str::from_utf8(value).map_err(|_| InvalidRequest::NotAscii)?;
    if !value.bytes().all(|b| b == b' ' || b == b'\t' || b.is_ascii_graphic()) {
        return Err(InvalidRequest::NotAscii);
    }
    let value = value.trim_matches([' ', '\t']);
    let (name, rest) = match value.find([' ', '\t']) {
        Some(i) => (&value[..i], &value[i..]),
        None => (value, ""),
    };
    if !name.eq_ignore_ascii_case(scheme) {
        return Ok(None);
    }
    let token = rest.trim_start_matches([' ', '\t']);
    if token.is_empty() {
        return Err(InvalidRequest::EmptyToken);
    }
    if token.contains([' ', '\t']) {
        return Err(InvalidRequest::ExtraParts);
    }
    if !is_b64token(token) {
        return Err(InvalidRequest::IllegalCharacters);
    }
    Ok(Some(token))
}

/// The single value of header `name`: `None` when absent, an error when repeated.
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
pub fn find_bearer<'a, R: RequestView>(
    req: &'a R,
    sources: &[TokenSource],
) -> Result<Option<&'a str>, AuthError> {
    let bad = |e| AuthError::InvalidRequest(Scheme::Bearer, e);
    let mut found: Option<&'a str> = None;
    for source in sources {
        let token = match source {
            TokenSource::AuthorizationBearer => {
                match single_header(req, "authorization").map_err(bad)? {
                    Some(v) => parse_authorization(v, "Bearer").map_err(bad)?,
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
        found = Some(token);
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::StaticRequest;

    #[test]
    fn scheme_is_case_insensitive() {
        for s in ["Bearer", "bearer", "BEARER", "bEaReR"] {
            let h = format!("{s} a.b.c");
            assert_eq!(parse_authorization(h.as_bytes(), "Bearer"), Ok(Some("a.b.c")));
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
            assert_eq!(parse_authorization(value, "Bearer"), Err(*want), "{value:?}");
        }
    }

    #[test]
    fn trailing_equals_allowed() {
        assert_eq!(parse_authorization(b"Bearer ab==", "Bearer"), Ok(Some("ab==")));
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
            Err(AuthError::InvalidRequest(Scheme::Bearer, InvalidRequest::DuplicateHeader))
        );
    }

    #[test]
    fn query_is_ignored_unless_configured() {
        let req = StaticRequest::new().query_string("access_token=abc");
        assert_eq!(find_bearer(&req, &[TokenSource::AuthorizationBearer]), Ok(None));
        let sources = [
            TokenSource::AuthorizationBearer,
            TokenSource::Query("access_token".into()),
        ];
        assert_eq!(find_bearer(&req, &sources), Ok(Some("abc")));
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
