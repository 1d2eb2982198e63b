//! What the sign-in routes read from a request and answer, independent of the framework:
//! the adapters copy [`LoginInput`] out of their request and [`Answer`] into their response.

use std::fmt;

use crate::error::Rejection;
use secrecy::SecretString;

use crate::{
    credential::{TokenSource, cookie, find_bearer},
    redact::{ParamNames, presence},
    request::RequestView,
};

/// The parts of a request the sign-in routes use, copied out so that the request need not
/// live across the provider calls.
///
/// # Security
///
/// `Debug` shows which parts are present and the names of the query and form parameters,
/// never the flow cookie, the refresh token, the code or the `state`.
#[derive(Clone, Default)]
pub struct LoginInput {
    /// The query string, undecoded.
    pub query: Option<String>,
    /// The flow cookie's value, if exactly one was sent.
    pub flow: Option<String>,
    /// The refresh cookie's value.
    pub refresh: Option<SecretString>,
    /// `Origin`.
    pub origin: Option<String>,
    /// `Sec-Fetch-Site`.
    pub sec_fetch_site: Option<String>,
    /// A `form_post` callback's body (`application/x-www-form-urlencoded`): its parameters
    /// replace the query's.
    pub form: Option<String>,
    /// The client's address (the connection's peer), for the per-client rate limit.
    pub client: Option<std::net::IpAddr>,
    /// The session's access token, from `Authorization: Bearer` or the session cookie (the
    /// sessions routes' credential).
    pub access: Option<SecretString>,
    /// Whether [`access`](Self::access) came from the cookie (then unsafe requests get the
    /// cross-site check).
    pub access_from_cookie: bool,
    /// `User-Agent`, recorded with a new session (cut to 256 bytes).
    pub user_agent: Option<String>,
}

impl fmt::Debug for LoginInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoginInput")
            .field("query", &self.query.as_deref().map(ParamNames))
            .field("flow", &presence(&self.flow))
            .field("refresh", &presence(&self.refresh))
            .field("origin", &self.origin)
            .field("sec_fetch_site", &self.sec_fetch_site)
            .field("form", &self.form.as_deref().map(ParamNames))
            .field("client", &self.client)
            .field("access", &presence(&self.access))
            .field("access_from_cookie", &self.access_from_cookie)
            .field("user_agent", &self.user_agent)
            .finish()
    }
}

impl LoginInput {
    /// Read `req`, with the cookie names of a [`Login`](super::Login).
    pub fn read<R: RequestView>(req: &R, names: &super::CookieNames) -> LoginInput {
        let header = |name: &str| {
            req.header_values(name)
                .next()
                .and_then(|v| std::str::from_utf8(v).ok())
                .map(str::to_owned)
        };
        // An ambiguous cookie (sent twice with different values) counts as absent.
        let cookie = |name: &str| cookie(req, name).ok().flatten().map(str::to_owned);
        let sources = [
            TokenSource::AuthorizationBearer,
            TokenSource::Cookie(names.session.clone()),
        ];
        // A malformed `Authorization` header counts as no credential (401).
        let access = find_bearer(req, &sources).ok().flatten();
        let user_agent = header("user-agent").map(|mut ua| {
            let mut end = ua.len().min(256);
            while !ua.is_char_boundary(end) {
                end -= 1;
            }
            ua.truncate(end);
            ua
        });
        LoginInput {
            access_from_cookie: access.as_ref().is_some_and(|b| b.from_cookie),
            access: access.map(|b| SecretString::from(b.token.to_owned())),
            user_agent,
            query: req.query().map(str::to_owned),
            flow: cookie(&names.flow),
            refresh: cookie(&names.refresh).map(SecretString::from),
            origin: header("origin"),
            sec_fetch_site: header("sec-fetch-site"),
            form: None,
            client: None,
        }
    }

    /// Set the client's address (the adapters pass the connection's peer).
    pub fn with_client(mut self, client: Option<std::net::IpAddr>) -> LoginInput {
        self.client = client;
        self
    }

    /// Add a form body (a `form_post` callback).
    pub fn with_form(mut self, body: &[u8]) -> LoginInput {
        self.form = Some(String::from_utf8_lossy(body).into_owned());
        self
    }

    /// The first value of parameter `name`, decoded: from the form body when there is one,
    /// else from the query.
    pub(super) fn param(&self, name: &str) -> Option<String> {
        let source = self.form.as_deref().or(self.query.as_deref())?;
        url::form_urlencoded::parse(source.as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }
}

/// A framework-neutral response: status, headers (`Set-Cookie` may repeat), body.
///
/// # Security
///
/// `Debug` shows the status, the header names, each cookie's name and attributes and the
/// redirect's path and parameter names, and the body's type and length: never a cookie's
/// value (a session or refresh token), the `state` or a body that may hold a token.
#[derive(Clone, PartialEq, Eq)]
pub struct Answer {
    /// The status code.
    pub status: u16,
    /// Header pairs, in order.
    pub headers: Vec<(&'static str, String)>,
    /// The body and its content type, if any.
    pub body: Option<(String, String)>,
}

impl fmt::Debug for Answer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Header<'a>(&'static str, &'a str);
        impl fmt::Debug for Header<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self.0 {
                    "set-cookie" => {
                        let (pair, attributes) = self.1.split_once(';').unwrap_or((self.1, ""));
                        let name = pair.split('=').next().unwrap_or_default();
                        write!(f, "set-cookie: {name}=<redacted>;{attributes}")
                    }
                    "location" => {
                        let (path, query) = self.1.split_once('?').unwrap_or((self.1, ""));
                        write!(f, "location: {path}?{:?}", ParamNames(query))
                    }
                    name => write!(f, "{name}: {}", self.1),
                }
            }
        }
        f.debug_struct("Answer")
            .field("status", &self.status)
            .field(
                "headers",
                &self
                    .headers
                    .iter()
                    .map(|(k, v)| Header(k, v))
                    .collect::<Vec<_>>(),
            )
            .field(
                "body",
                &self
                    .body
                    .as_ref()
                    .map(|(kind, text)| format!("{kind}, {} bytes", text.len())),
            )
            .finish()
    }
}

impl Answer {
    /// A redirect (303 See Other) to `location`.
    pub(super) fn see_other(location: impl Into<String>) -> Answer {
        Answer {
            status: 303,
            headers: vec![
                ("location", location.into()),
                ("cache-control", "no-store".into()),
            ],
            body: None,
        }
    }

    /// A rejection, rendered by the app's renderer, never cached.
    pub(super) fn rejected(rejection: Rejection) -> Answer {
        let mut headers = vec![("cache-control", "no-store".into())];
        if let Some(challenge) = rejection.www_authenticate {
            headers.push(("www-authenticate", challenge));
        }
        if let Some(secs) = rejection.retry_after {
            headers.push(("retry-after", secs.to_string()));
        }
        Answer {
            status: rejection.status,
            headers,
            body: Some((rejection.content_type, rejection.body)),
        }
    }

    /// A JSON body.
    pub(super) fn json(status: u16, body: serde_json::Value) -> Answer {
        Answer {
            status,
            headers: vec![("cache-control", "no-store".into())],
            body: Some(("application/json".into(), body.to_string())),
        }
    }

    /// Add a header.
    pub(super) fn with(mut self, name: &'static str, value: String) -> Answer {
        self.headers.push((name, value));
        self
    }

    /// The `Set-Cookie` values, for tests and logs.
    pub fn set_cookies(&self) -> impl Iterator<Item = &str> {
        self.headers
            .iter()
            .filter(|(k, _)| *k == "set-cookie")
            .map(|(_, v)| v.as_str())
    }
}
