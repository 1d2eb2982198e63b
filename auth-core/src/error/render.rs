//! Rendering an [`AuthError`] into what an adapter writes to the wire: [`Rejection`], the
//! default RFC 9457 body ([`problem_json`]), and the app's hook ([`RenderRejection`]).

use std::{fmt, sync::Arc};

use super::AuthError;

/// A framework-free HTTP rejection: what an adapter writes to the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// HTTP status code.
    pub status: u16,
    /// `WWW-Authenticate` header value, if any.
    pub www_authenticate: Option<String>,
    /// `Content-Type` of the body.
    pub content_type: String,
    /// The body.
    pub body: String,
    /// `Retry-After`, in seconds, if any.
    pub retry_after: Option<u64>,
    /// `DPoP-Nonce`: the nonce a DPoP client must put in its next proof (RFC 9449 §8), with
    /// a `use_dpop_nonce` error.
    pub dpop_nonce: Option<String>,
}

/// The default `application/problem+json` (RFC 9457) rendering of an error.
///
/// Body members: `type`, `title`, `status`, `detail` (the generic
/// [`description`](AuthError::description)), and `error` (the RFC 6750 code) when there is
/// one.
pub fn problem_json(error: &AuthError, realm: Option<&str>) -> Rejection {
    problem_json_with(error, realm, false)
}

/// [`problem_json`], with the reason ([`AuthError::detail`]) as `detail` and as the
/// challenge's `error_description` when `detailed`: for development.
pub fn problem_json_with(error: &AuthError, realm: Option<&str>, detailed: bool) -> Rejection {
    #[derive(serde::Serialize)]
    struct Problem<'a> {
        r#type: &'a str,
        title: &'a str,
        status: u16,
        detail: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        error: Option<&'a str>,
    }
    let detail = if detailed {
        error.detail()
    } else {
        error.description()
    };
    let problem = Problem {
        r#type: error.problem_type(),
        title: error.title(),
        status: error.status(),
        detail: &detail,
        error: error.code(),
    };
    // Serialising a struct of strings and a u16 cannot fail; fall back to a fixed body
    // rather than unwrap.
    let body = serde_json::to_string(&problem)
        .unwrap_or_else(|_| String::from(r#"{"type":"about:blank","status":500}"#));
    Rejection {
        status: error.status(),
        www_authenticate: error.challenge_with(realm, detailed),
        content_type: "application/problem+json".to_owned(),
        body,
        retry_after: error.retry_after(),
        dpop_nonce: error.dpop_nonce().map(str::to_owned),
    }
}

/// A hook that turns an [`AuthError`] into the response an app wants.
///
/// The default is [`problem_json`]. A closure `Fn(&AuthError, Option<&str>) -> Rejection`
/// implements it; call [`problem_json`] inside to start from the default.
///
/// ```
/// use auth_core::error::{problem_json, AuthError, Rejection, RenderRejection};
///
/// let renderer = |err: &AuthError, realm: Option<&str>| {
///     let mut r = problem_json(err, realm);
///     r.content_type = "application/json".into();
///     r.body = format!(r#"{{"message":"{}"}}"#, err.description());
///     r
/// };
/// let r = renderer.render(&AuthError::Misconfigured("x"), None);
/// assert_eq!(r.status, 500);
/// ```
pub trait RenderRejection: Send + Sync + 'static {
    /// Render `error` for a credential checked in `realm`.
    fn render(&self, error: &AuthError, realm: Option<&str>) -> Rejection;
}

impl<F> RenderRejection for F
where
    F: Fn(&AuthError, Option<&str>) -> Rejection + Send + Sync + 'static,
{
    fn render(&self, error: &AuthError, realm: Option<&str>) -> Rejection {
        self(error, realm)
    }
}

/// How rejections are rendered: a realm and an optional custom renderer, shared by the
/// validators of an app.
#[derive(Clone, Default)]
pub struct Renderer {
    realm: Option<Arc<str>>,
    custom: Option<Arc<dyn RenderRejection>>,
    /// Put the reason in responses (development only).
    detailed: bool,
    /// The protected-resource metadata URL named in `Bearer` challenges.
    resource_metadata: Option<Arc<str>>,
}

impl fmt::Debug for Renderer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Renderer")
            .field("realm", &self.realm)
            .field("custom", &self.custom.is_some())
            .field("detailed", &self.detailed)
            .field("resource_metadata", &self.resource_metadata)
            .finish()
    }
}

impl Renderer {
    /// A renderer for `realm` with the default problem+json body.
    pub fn new(realm: Option<&str>) -> Self {
        Renderer {
            realm: realm.map(Arc::from),
            custom: None,
            detailed: false,
            resource_metadata: None,
        }
    }

    /// Tell clients why a token or request was refused (an expired token, an unknown key
    /// id, a bad signature) in `error_description` and the body's `detail`, instead of one
    /// text per error code.
    ///
    /// # Security
    ///
    /// For development: the reasons help an attacker map the configuration (which
    /// algorithms, which key ids). They are always in the logs (`debug`).
    pub fn with_detail(mut self, detailed: bool) -> Self {
        self.detailed = detailed;
        self
    }

    /// Set the realm.
    pub fn with_realm(mut self, realm: &str) -> Self {
        self.realm = Some(Arc::from(realm));
        self
    }

    /// Add `resource_metadata="{url}"` (RFC 9728 §5.1) to every `Bearer` and `DPoP`
    /// challenge.
    pub fn with_resource_metadata(mut self, url: &str) -> Self {
        self.resource_metadata = Some(Arc::from(url));
        self
    }

    /// Replace the body renderer.
    pub fn with_custom(mut self, custom: impl RenderRejection) -> Self {
        self.custom = Some(Arc::new(custom));
        self
    }

    /// The realm named in challenges.
    pub fn realm(&self) -> Option<&str> {
        self.realm.as_deref()
    }

    /// Render an error, logging its reason at debug level (never the credential).
    pub fn render(&self, error: &AuthError) -> Rejection {
        crate::telemetry::refused(error);
        tracing::debug!(
            status = error.status(),
            credential = crate::telemetry::credential(error),
            outcome = crate::telemetry::outcome(error),
            reason = %error,
            "request rejected"
        );
        match &self.custom {
            Some(custom) => {
                let mut rejection = custom.render(error, self.realm());
                // A custom body keeps the protocol's headers.
                rejection.retry_after = rejection.retry_after.or(error.retry_after());
                rejection.dpop_nonce = rejection
                    .dpop_nonce
                    .or_else(|| error.dpop_nonce().map(str::to_owned));
                if let Some(url) = &self.resource_metadata {
                    // Only the toolkit's own challenge is extended; a hook's own is its own.
                    if rejection.www_authenticate == error.challenge(self.realm()) {
                        rejection.www_authenticate = error.challenge_in(self.realm(), false, url);
                    }
                }
                rejection
            }
            None => {
                let mut rejection = problem_json_with(error, self.realm(), self.detailed);
                if let Some(url) = &self.resource_metadata {
                    rejection.www_authenticate =
                        error.challenge_in(self.realm(), self.detailed, url);
                }
                rejection
            }
        }
    }
}
