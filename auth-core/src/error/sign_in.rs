//! Why a sign-in route refused a request.

/// Why a sign-in route (`/auth/*`) refused a request. Each text is fixed (or the app's own
/// refusal), never request data; the status is [`SignInError::status`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignInError {
    /// No provider of that name (404).
    #[error("no such sign-in provider")]
    UnknownProvider,
    /// A malformed or stale sign-in request or callback (400).
    #[error("{0}")]
    BadRequest(&'static str),
    /// The app's sign-in hook refused the user (403), with the app's reason.
    #[error("{0}")]
    Refused(String),
    /// No session: no refresh token, or one that is not valid (401, `invalid_token`).
    #[error("{0}")]
    Session(&'static str),
    /// Too many sign-in requests from this client (429, `Retry-After` in seconds).
    #[error("too many sign-in requests; retry later")]
    RateLimited(u64),
    /// Something the sign-in needs is missing: randomness, the session store (503).
    #[error("{0}")]
    Unavailable(&'static str),
    /// The app's sign-in hook made a grant that cannot be issued: a server bug (500).
    #[error("the session could not be issued")]
    Misconfigured,
    /// The session named is not one of the caller's (404).
    #[error("no such session")]
    NoSuchSession,
}

impl SignInError {
    /// The HTTP status code.
    pub fn status(&self) -> u16 {
        match self {
            SignInError::UnknownProvider | SignInError::NoSuchSession => 404,
            SignInError::BadRequest(_) => 400,
            SignInError::Refused(_) => 403,
            SignInError::Session(_) => 401,
            SignInError::RateLimited(_) => 429,
            SignInError::Unavailable(_) => 503,
            SignInError::Misconfigured => 500,
        }
    }
}
