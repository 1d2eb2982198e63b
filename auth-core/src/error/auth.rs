//! [`AuthError`]: every way a request can fail, and its RFC 6750 mapping.

use super::{DpopError, InvalidRequest, KeyError, Scheme, SignInError, TokenError};
use crate::scope::ScopeRequirement;

/// Every way a request can fail authentication or authorization.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// No credential was presented (401, challenge without `error`).
    #[error("no credential was presented")]
    MissingCredential(Scheme),
    /// No credential was presented to a route that takes a bearer token or an API key (401,
    /// both challenges).
    #[error("no credential was presented")]
    MissingEither,
    /// The credential was malformed (400 `invalid_request`).
    #[error("{1}")]
    InvalidRequest(Scheme, InvalidRequest),
    /// The token was refused (401 `invalid_token`).
    #[error("{0}")]
    InvalidToken(TokenError),
    /// The credential is valid but lacks a scope (403 `insufficient_scope`).
    #[error("the credential lacks a required scope")]
    InsufficientScope(Scheme, ScopeRequirement),
    /// The API key was refused (401 `invalid_key`).
    #[error("invalid API key: {0}")]
    InvalidKey(KeyError),
    /// A credential store could not be reached (503).
    #[error("credential store unavailable")]
    Unavailable,
    /// Too many requests with this API key (429, `Retry-After` in seconds, no challenge).
    #[error("API key rate limit exceeded")]
    RateLimited(u64),
    /// A cookie-authenticated unsafe request (POST, PUT, PATCH, DELETE) came from another
    /// site (403, no challenge): the cross-site request forgery check.
    #[error("cross-site request refused")]
    CrossSite,
    /// The server is misconfigured (500); the text is for the operator, not the client.
    #[error("server misconfiguration: {0}")]
    Misconfigured(&'static str),
    /// A sign-in route (`/auth/*`) refused the request.
    #[error("{0}")]
    SignIn(SignInError),
    /// A DPoP request (`Authorization: DPoP`) was refused: its proof (401
    /// `invalid_dpop_proof`) or its token (401 `invalid_token`), challenged as `DPoP`.
    #[error("{0}")]
    Dpop(DpopError),
}

impl From<TokenError> for AuthError {
    fn from(e: TokenError) -> Self {
        match e {
            TokenError::KeysUnavailable | TokenError::IntrospectionUnavailable => {
                AuthError::Unavailable
            }
            e => AuthError::InvalidToken(e),
        }
    }
}

impl AuthError {
    /// The HTTP status code for this error.
    pub fn status(&self) -> u16 {
        match self {
            AuthError::MissingCredential(_)
            | AuthError::MissingEither
            | AuthError::InvalidToken(_)
            | AuthError::Dpop(_)
            | AuthError::InvalidKey(_) => 401,
            AuthError::InvalidRequest(..) => 400,
            AuthError::InsufficientScope(..) | AuthError::CrossSite => 403,
            AuthError::Unavailable => 503,
            AuthError::Misconfigured(_) => 500,
            AuthError::RateLimited(_) => 429,
            AuthError::SignIn(e) => e.status(),
        }
    }

    /// Seconds the client should wait (`Retry-After`), for errors that have one.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            AuthError::RateLimited(secs) | AuthError::SignIn(SignInError::RateLimited(secs)) => {
                Some(*secs)
            }
            _ => None,
        }
    }

    /// The nonce a DPoP client must use next (`DPoP-Nonce`), for a `use_dpop_nonce` error.
    pub fn dpop_nonce(&self) -> Option<&str> {
        match self {
            AuthError::Dpop(DpopError::UseNonce(nonce)) => Some(nonce),
            _ => None,
        }
    }

    /// The RFC 6750 error code, if any (`invalid_request`, `invalid_token`,
    /// `insufficient_scope`).
    pub fn code(&self) -> Option<&'static str> {
        match self {
            AuthError::MissingCredential(_)
            | AuthError::MissingEither
            | AuthError::Misconfigured(_)
            | AuthError::Unavailable
            | AuthError::CrossSite
            | AuthError::RateLimited(_) => None,
            AuthError::InvalidRequest(..) => Some("invalid_request"),
            AuthError::Dpop(DpopError::Proof(_)) => Some("invalid_dpop_proof"),
            AuthError::Dpop(DpopError::UseNonce(_)) => Some("use_dpop_nonce"),
            AuthError::InvalidToken(_)
            | AuthError::Dpop(DpopError::Token(_))
            | AuthError::SignIn(SignInError::Session(_)) => Some("invalid_token"),
            AuthError::SignIn(_) => None,
            AuthError::InvalidKey(_) => Some("invalid_key"),
            AuthError::InsufficientScope(..) => Some("insufficient_scope"),
        }
    }

    pub(super) fn scheme(&self) -> Option<Scheme> {
        match self {
            AuthError::MissingCredential(s)
            | AuthError::InvalidRequest(s, _)
            | AuthError::InsufficientScope(s, _) => Some(*s),
            AuthError::InvalidToken(_) | AuthError::SignIn(SignInError::Session(_)) => {
                Some(Scheme::Bearer)
            }
            AuthError::SignIn(_) => None,
            AuthError::InvalidKey(_) => Some(Scheme::ApiKey),
            AuthError::Dpop(_) => Some(Scheme::Dpop),
            AuthError::MissingEither => Some(Scheme::Bearer),
            AuthError::Misconfigured(_)
            | AuthError::Unavailable
            | AuthError::CrossSite
            | AuthError::RateLimited(_) => None,
        }
    }

    /// The client-facing description: one fixed text per error code, whatever the reason
    /// (RFC 6750 `error_description`, problem+json `detail`). It never contains client
    /// input, and does not tell the reasons of a refused token or request apart.
    pub fn description(&self) -> String {
        match self {
            AuthError::InvalidRequest(..) => "the request's credential is malformed".into(),
            AuthError::InvalidToken(_) | AuthError::Dpop(DpopError::Token(_)) => {
                "the token is not valid".into()
            }
            AuthError::Dpop(DpopError::Proof(_)) => "the DPoP proof is not valid".into(),
            AuthError::Dpop(DpopError::UseNonce(_)) => {
                "use the server's nonce (DPoP-Nonce) in the DPoP proof".into()
            }
            _ => self.detail(),
        }
    }

    /// The reason, in fixed words (an expired token, an unknown key id, a bad signature...):
    /// for logs, and for responses only when a renderer asks for detail
    /// ([`Renderer::with_detail`](super::Renderer::with_detail)). It never contains client input.
    pub fn detail(&self) -> String {
        match self {
            AuthError::MissingCredential(Scheme::Bearer | Scheme::Dpop) => {
                "no bearer token was presented".into()
            }
            AuthError::MissingCredential(Scheme::ApiKey) => {
                "this route takes an API key, and none was presented".into()
            }
            AuthError::MissingEither => "no bearer token or API key was presented".into(),
            AuthError::InvalidRequest(_, r) => r.to_string(),
            AuthError::InvalidToken(t) => t.to_string(),
            AuthError::Dpop(e) => e.to_string(),
            AuthError::InsufficientScope(_, req) => {
                match (req.scopes().is_empty(), req.roles().is_empty()) {
                    (_, true) if req.scopes().len() == 1 => {
                        "the credential lacks the required scope".into()
                    }
                    (_, true) => "the credential lacks the required scopes".into(),
                    // Role names come from the server's configuration, never from the token.
                    (true, false) => format!(
                        "the credential lacks the required role ({})",
                        req.roles().join(", ")
                    ),
                    (false, false) => format!(
                        "the credential lacks the required scope, or else the role ({}) \
                         that grants access too",
                        req.roles().join(", ")
                    ),
                }
            }
            // One answer for every reason: the caller learns nothing about which keys exist.
            AuthError::InvalidKey(_) => "the API key is not valid".into(),
            AuthError::Unavailable => "credentials cannot be checked right now; retry later".into(),
            AuthError::Misconfigured(_) => "the server is not configured correctly".into(),
            AuthError::CrossSite => "cross-site request refused".into(),
            AuthError::RateLimited(_) => "too many requests with this API key; retry later".into(),
            AuthError::SignIn(e) => e.to_string(),
        }
    }

    /// The `WWW-Authenticate` challenge for this error, in the given realm.
    ///
    /// `Bearer realm="x"` for a missing credential (no `error`, RFC 6750 §3),
    /// `error`/`error_description` for 400 and 401 (the generic
    /// [`description`](Self::description)), `error`/`scope` for 403.
    pub fn challenge(&self, realm: Option<&str>) -> Option<String> {
        self.challenge_with(realm, false)
    }

    /// [`challenge`](Self::challenge), with the reason ([`detail`](Self::detail)) as
    /// `error_description` when `detailed`.
    pub fn challenge_with(&self, realm: Option<&str>, detailed: bool) -> Option<String> {
        self.challenge_for(realm, detailed, None)
    }

    /// [`challenge_with`](Self::challenge_with), naming the API's protected-resource
    /// metadata (RFC 9728 §5.1: `resource_metadata="{url}"`) in a `Bearer` challenge.
    pub fn challenge_in(&self, realm: Option<&str>, detailed: bool, url: &str) -> Option<String> {
        self.challenge_for(realm, detailed, Some(url))
    }

    fn challenge_for(
        &self,
        realm: Option<&str>,
        detailed: bool,
        resource_metadata: Option<&str>,
    ) -> Option<String> {
        if let AuthError::MissingEither = self {
            let bearer = AuthError::MissingCredential(Scheme::Bearer).challenge_for(
                realm,
                false,
                resource_metadata,
            )?;
            let key = AuthError::MissingCredential(Scheme::ApiKey).challenge_with(realm, false)?;
            return Some(format!("{bearer}, {key}"));
        }
        let scheme = self.scheme()?;
        let mut params: Vec<(&str, String)> = Vec::with_capacity(3);
        if let Some(realm) = realm {
            params.push(("realm", realm.to_owned()));
        }
        match self {
            AuthError::InvalidRequest(..) | AuthError::InvalidToken(_) | AuthError::Dpop(_) => {
                params.push(("error", self.code().unwrap_or_default().to_owned()));
                let text = if detailed {
                    self.detail()
                } else {
                    self.description()
                };
                params.push(("error_description", text));
            }
            AuthError::InsufficientScope(_, req) => {
                params.push(("error", "insufficient_scope".to_owned()));
                // A requirement met by roles alone names no scope.
                if !req.scopes().is_empty() {
                    params.push(("scope", req.scopes().join(" ")));
                }
            }
            AuthError::InvalidKey(_) => params.push(("error", "invalid_key".to_owned())),
            AuthError::SignIn(SignInError::Session(_)) => {
                params.push(("error", "invalid_token".to_owned()));
            }
            _ => {}
        }
        if let (Scheme::Bearer | Scheme::Dpop, Some(url)) = (scheme, resource_metadata) {
            params.push(("resource_metadata", url.to_owned()));
        }
        let mut out = String::from(scheme.as_str());
        for (i, (k, v)) in params.iter().enumerate() {
            out.push_str(if i == 0 { " " } else { ", " });
            out.push_str(k);
            out.push_str("=\"");
            // Quoted-string: the values are toolkit text or configured names; escape
            // anyway so a realm with a quote cannot break the header.
            for c in v.chars() {
                if c == '"' || c == '\\' {
                    out.push('\\');
                }
                out.push(c);
            }
            out.push('"');
        }
        Some(out)
    }

    pub(super) fn problem_type(&self) -> &'static str {
        // RFC 6750 describes bearer tokens only: API-key answers link to the HTTP status.
        match self {
            AuthError::MissingCredential(Scheme::ApiKey) | AuthError::InvalidKey(_) => {
                "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.2"
            }
            AuthError::InvalidRequest(Scheme::ApiKey, _) => {
                "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.1"
            }
            AuthError::InsufficientScope(Scheme::ApiKey, _) => {
                "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.4"
            }
            AuthError::MissingCredential(_) | AuthError::MissingEither => {
                "https://www.rfc-editor.org/rfc/rfc6750#section-3"
            }
            AuthError::Dpop(_) => "https://www.rfc-editor.org/rfc/rfc9449#section-7.1",
            AuthError::Misconfigured(_)
            | AuthError::Unavailable
            | AuthError::CrossSite
            | AuthError::RateLimited(_)
            | AuthError::SignIn(_) => "about:blank",
            _ => "https://www.rfc-editor.org/rfc/rfc6750#section-3.1",
        }
    }

    pub(super) fn title(&self) -> &'static str {
        match self {
            AuthError::MissingCredential(_) | AuthError::MissingEither => "Authentication required",
            AuthError::InvalidRequest(..) => "Invalid request",
            AuthError::InvalidToken(_) | AuthError::Dpop(DpopError::Token(_)) => "Invalid token",
            AuthError::Dpop(DpopError::Proof(_)) => "Invalid DPoP proof",
            AuthError::Dpop(DpopError::UseNonce(_)) => "DPoP nonce required",
            AuthError::InsufficientScope(..) => "Insufficient scope",
            AuthError::InvalidKey(_) => "Invalid API key",
            AuthError::Unavailable => "Service Unavailable",
            AuthError::Misconfigured(_) => "Internal Server Error",
            AuthError::CrossSite => "Forbidden",
            AuthError::RateLimited(_) => "Too Many Requests",
            AuthError::SignIn(e) => match e.status() {
                400 => "Bad Request",
                401 => "Unauthorized",
                403 => "Forbidden",
                404 => "Not Found",
                429 => "Too Many Requests",
                500 => "Internal Server Error",
                _ => "Service Unavailable",
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{ConfigError, Rejection, Renderer, problem_json};

    /// `docs/errors.md` states each error's status and whether it challenges: as computed.
    #[test]
    fn the_error_table_in_the_docs_is_what_the_code_answers() {
        let doc = include_str!("../../../docs/errors.md");
        let cases = [
            (
                "MissingCredential(Bearer)",
                AuthError::MissingCredential(Scheme::Bearer),
            ),
            (
                "MissingCredential(ApiKey)",
                AuthError::MissingCredential(Scheme::ApiKey),
            ),
            ("MissingEither", AuthError::MissingEither),
            (
                "InvalidRequest(scheme, reason)",
                AuthError::InvalidRequest(Scheme::Bearer, InvalidRequest::ExtraParts),
            ),
            (
                "InvalidToken(reason)",
                AuthError::InvalidToken(TokenError::Expired),
            ),
            (
                "InvalidKey(reason)",
                AuthError::InvalidKey(KeyError::Unknown),
            ),
            (
                "InsufficientScope(scheme, scopes)",
                AuthError::InsufficientScope(Scheme::Bearer, ScopeRequirement::all(["a"])),
            ),
            ("CrossSite", AuthError::CrossSite),
            ("RateLimited(secs)", AuthError::RateLimited(3)),
            ("Unavailable", AuthError::Unavailable),
            ("Misconfigured(_)", AuthError::Misconfigured("x")),
        ];
        for (name, error) in cases {
            let row = doc
                .lines()
                .find(|l| l.starts_with(&format!("| `{name}` |")))
                .unwrap_or_else(|| panic!("docs/errors.md has no row for {name}"));
            let cells: Vec<&str> = row.split('|').map(str::trim).collect();
            assert!(
                cells[2].starts_with(&error.status().to_string()),
                "{name}: {row}"
            );
            let challenged = error.challenge(Some("r")).is_some();
            assert_eq!(cells[3] != "none", challenged, "{name}: {row}");
        }
    }

    fn assert_send_sync<T: Send + Sync>() {}

    /// A first-hour stumble: `fn main() -> Result<(), Box<dyn Error>>` failing with `?`
    /// prints the error's `Debug`; it reads as the message.
    #[test]
    fn config_errors_debug_as_their_message() {
        let e = ConfigError::SecretTooShort {
            alg: "HS256",
            len: 9,
            min: 32,
        };
        assert_eq!(format!("{e:?}"), e.to_string());
        let boxed: Box<dyn std::error::Error> = Box::new(e);
        assert!(format!("{boxed:?}").contains("at least 32"));
    }

    #[test]
    fn api_key_answers_do_not_link_to_the_bearer_rfc() {
        for e in [
            AuthError::MissingCredential(Scheme::ApiKey),
            AuthError::InvalidRequest(Scheme::ApiKey, InvalidRequest::DuplicateHeader),
            AuthError::InsufficientScope(
                Scheme::ApiKey,
                crate::scope::ScopeRequirement::all(["a"]),
            ),
            AuthError::InvalidKey(KeyError::Unknown),
        ] {
            assert!(!e.problem_type().contains("rfc6750"), "{e:?}");
        }
        assert_eq!(
            AuthError::MissingCredential(Scheme::ApiKey).description(),
            "this route takes an API key, and none was presented"
        );
    }

    #[test]
    fn errors_are_send_and_sync() {
        assert_send_sync::<AuthError>();
        assert_send_sync::<ConfigError>();
        assert_send_sync::<TokenError>();
        assert_send_sync::<Rejection>();
    }

    #[test]
    fn missing_credential_challenge_has_no_error() {
        let e = AuthError::MissingCredential(Scheme::Bearer);
        assert_eq!(e.status(), 401);
        assert_eq!(
            e.challenge(Some("auth-demo")).as_deref(),
            Some(r#"Bearer realm="auth-demo""#)
        );
        assert_eq!(e.challenge(None).as_deref(), Some("Bearer"));
    }

    #[test]
    fn invalid_token_challenge() {
        let e = AuthError::InvalidToken(TokenError::Expired);
        assert_eq!(
            e.challenge(Some("r")).as_deref(),
            Some(
                r#"Bearer realm="r", error="invalid_token", error_description="the token is not valid""#
            )
        );
    }

    #[test]
    fn scope_challenge_lists_scopes() {
        let e = AuthError::InsufficientScope(Scheme::Bearer, ScopeRequirement::all(["a", "b"]));
        assert_eq!(e.status(), 403);
        assert_eq!(
            e.challenge(Some("r")).as_deref(),
            Some(r#"Bearer realm="r", error="insufficient_scope", scope="a b""#)
        );
    }

    #[test]
    fn invalid_key_is_one_answer_for_all_reasons() {
        let a = problem_json(&AuthError::InvalidKey(KeyError::Unknown), Some("r"));
        let b = problem_json(&AuthError::InvalidKey(KeyError::Revoked), Some("r"));
        assert_eq!(a, b);
        assert_eq!(a.status, 401);
        assert_eq!(
            a.www_authenticate.as_deref(),
            Some(r#"ApiKey realm="r", error="invalid_key""#)
        );
    }

    #[test]
    fn either_challenge_offers_both_schemes() {
        assert_eq!(
            AuthError::MissingEither.challenge(Some("r")).as_deref(),
            Some(r#"Bearer realm="r", ApiKey realm="r""#)
        );
    }

    #[test]
    fn realm_is_escaped() {
        let e = AuthError::MissingCredential(Scheme::ApiKey);
        assert_eq!(
            e.challenge(Some(r#"a"b"#)).as_deref(),
            Some(r#"ApiKey realm="a\"b""#)
        );
    }

    #[test]
    fn problem_body_shape() {
        let r = problem_json(&AuthError::InvalidToken(TokenError::Signature), Some("r"));
        let v: serde_json::Value = serde_json::from_str(&r.body).unwrap_or_default();
        assert_eq!(v["status"], 401);
        assert_eq!(v["error"], "invalid_token");
        assert_eq!(v["detail"], "the token is not valid");
        assert_eq!(v["title"], "Invalid token");
        assert!(v["type"].is_string());
        assert_eq!(r.content_type, "application/problem+json");
    }

    #[test]
    fn misconfigured_is_500_without_challenge() {
        let r = problem_json(&AuthError::Misconfigured("no validator"), None);
        assert_eq!(r.status, 500);
        assert!(r.www_authenticate.is_none());
        assert!(!r.body.contains("no validator"));
    }

    /// Review item 13: by default every refused token gets the same description (challenge
    /// and body), whatever the reason; a renderer asking for detail restores the reason.
    #[test]
    fn review_13_token_failures_are_not_told_apart() {
        let reasons = [
            TokenError::Algorithm,
            TokenError::UnknownKey,
            TokenError::Signature,
            TokenError::Expired,
            TokenError::Issuer,
            TokenError::Audience,
            TokenError::Type,
        ];
        let plain = Renderer::new(Some("r"));
        let answers: Vec<Rejection> = reasons
            .iter()
            .map(|t| plain.render(&AuthError::InvalidToken(*t)))
            .collect();
        assert!(answers.windows(2).all(|w| w[0] == w[1]), "{answers:?}");
        let requests: Vec<Rejection> = [InvalidRequest::EmptyToken, InvalidRequest::ExtraParts]
            .iter()
            .map(|r| plain.render(&AuthError::InvalidRequest(Scheme::Bearer, *r)))
            .collect();
        assert_eq!(requests[0], requests[1]);
        // For development, the reason comes back.
        let detailed = Renderer::new(Some("r")).with_detail(true);
        let r = detailed.render(&AuthError::InvalidToken(TokenError::Expired));
        assert!(r.body.contains("the token has expired"), "{}", r.body);
        assert!(
            r.www_authenticate
                .as_deref()
                .is_some_and(|c| c.contains(r#"error_description="the token has expired""#)),
            "{:?}",
            r.www_authenticate
        );
    }
}
