//! What exactly was wrong: the scheme, the malformed request, the refused token or key.

/// The authentication scheme a rejection speaks for; it names the `WWW-Authenticate`
/// challenge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Scheme {
    /// `Bearer` tokens (RFC 6750): JWTs.
    Bearer,
    /// API keys, challenged as `ApiKey`.
    ApiKey,
    /// DPoP-bound tokens (RFC 9449), challenged as `DPoP`.
    Dpop,
}

impl Scheme {
    /// The scheme name as it appears in a challenge.
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Bearer => "Bearer",
            Scheme::ApiKey => "ApiKey",
            Scheme::Dpop => "DPoP",
        }
    }
}

/// Why a request with `Authorization: DPoP` was refused (401, `WWW-Authenticate: DPoP`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum DpopError {
    /// The `DPoP` proof is missing, malformed or fails a check (`invalid_dpop_proof`).
    #[error("the DPoP proof is not valid: {0}")]
    Proof(&'static str),
    /// The server requires a nonce it issued, and the proof has none or a stale one
    /// (`use_dpop_nonce`): the answer carries a fresh one in `DPoP-Nonce`.
    #[error("the DPoP proof needs the server's current nonce")]
    UseNonce(String),
    /// The access token is refused (`invalid_token`), or not bound to the proof's key.
    #[error("{0}")]
    Token(TokenError),
}

/// Why a request's credential was malformed (400 `invalid_request`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum InvalidRequest {
    /// `Authorization: Bearer` with nothing after the scheme.
    #[error("the Authorization header names the Bearer scheme but carries no token")]
    EmptyToken,
    /// More than one token after the scheme.
    #[error("the Authorization header carries more than one token")]
    ExtraParts,
    /// Characters outside the RFC 6750 `b64token` alphabet.
    #[error("the token contains characters that are not allowed")]
    IllegalCharacters,
    /// The header is not visible ASCII.
    #[error("the Authorization header is not valid visible ASCII")]
    NotAscii,
    /// The same credential header appears more than once.
    #[error("the credential header appears more than once")]
    DuplicateHeader,
    /// A credential was presented in more than one place (header, cookie, query).
    #[error("more than one credential was presented")]
    MultipleCredentials,
}

/// Why a token was refused (401 `invalid_token`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// Longer than the validator's size limit; refused before any decoding.
    #[error("the token is larger than allowed")]
    TooLarge,
    /// Not three dot-separated segments.
    #[error("the token is not a compact JWS (three segments)")]
    Malformed,
    /// A segment is not canonical unpadded base64url.
    #[error("the token is not valid base64url")]
    Base64,
    /// The header is not a JSON object of the expected shape (or repeats a member).
    #[error("the token header is not valid")]
    Header,
    /// The header names an algorithm this validator does not accept.
    #[error("the token's algorithm is not accepted")]
    Algorithm,
    /// No configured key matches the token's key id and algorithm.
    #[error("no key matches the token")]
    UnknownKey,
    /// The header carries `jku`, `x5u` or `jwk`: keys are never taken from the token.
    #[error("the token header refers to a key source that is never trusted")]
    ForbiddenHeader,
    /// The header carries `crit`; no JWS extension is supported.
    #[error("the token requires an unsupported extension")]
    Critical,
    /// The header's `typ` is not the one required.
    #[error("the token type is not accepted")]
    Type,
    /// The signature does not verify.
    #[error("the token signature is invalid")]
    Signature,
    /// The payload is not a JSON object (or repeats a member).
    #[error("the token claims are not valid JSON")]
    Claims,
    /// A registered claim has the wrong JSON type (such as `"exp": "123"`).
    #[error("a registered claim has the wrong type")]
    ClaimType,
    /// A required claim is absent.
    #[error("a required claim is missing")]
    MissingClaim,
    /// `exp` is in the past (beyond the leeway).
    #[error("the token has expired")]
    Expired,
    /// `nbf` is in the future (beyond the leeway).
    #[error("the token is not valid yet")]
    NotYetValid,
    /// `iat` is in the future (beyond the leeway).
    #[error("the token was issued in the future")]
    IssuedInFuture,
    /// `iss` is not one of the accepted issuers.
    #[error("the token issuer is not accepted")]
    Issuer,
    /// `aud` does not contain an accepted audience.
    #[error("the token audience is not accepted")]
    Audience,
    /// The claims do not fit the application's claims type.
    #[error("the token claims do not have the expected shape")]
    ClaimsShape,
    /// The keys that would verify the token are not available (a remote key set not
    /// fetched yet, or past its stale limit): answered 503, not 401, since the token may
    /// well be good.
    #[error("the keys to verify the token are unavailable")]
    KeysUnavailable,
    /// Its subject signed out everywhere after it was issued (its `iat` is before the
    /// subject's sign-out epoch: [`SignOuts`](crate::jwt::SignOuts)).
    #[error("the token was revoked")]
    Revoked,
    /// The authorization server's introspection answer says the token is not active
    /// (`active` false or missing: RFC 7662 §2.2), or the answer is not one to trust.
    #[error("the authorization server says the token is not active")]
    Inactive,
    /// The token is not a JWT and must be introspected: the validator answers it later,
    /// through its introspection client (never returned when it has none).
    #[error("the token is opaque and must be introspected")]
    Opaque,
    /// The introspection endpoint could not be reached or answered with an error:
    /// answered 503, not 401, since the token may well be good.
    #[error("the token cannot be introspected right now")]
    IntrospectionUnavailable,
    /// The token is bound to a key (`cnf`: DPoP, mutual TLS) and was presented as a bearer
    /// token: it is good only with a proof of that key (RFC 9449 §7.2).
    #[error("the token is bound to a key and was not presented with a proof of it")]
    Bound,
}

/// Why an API key was refused (401 `invalid_key`). Callers get one answer for all of
/// these; the reason goes only to the logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// Not the shape `<prefix>_<body><checksum>`.
    #[error("malformed key")]
    Malformed,
    /// The checksum does not match.
    #[error("key checksum mismatch")]
    Checksum,
    /// A prefix this deployment does not accept (a test key on a live deployment).
    #[error("key prefix not accepted here")]
    Prefix,
    /// No such key in the store.
    #[error("unknown key")]
    Unknown,
    /// The key was revoked.
    #[error("revoked key")]
    Revoked,
    /// The key has expired.
    #[error("expired key")]
    Expired,
    /// More than one key was presented.
    #[error("more than one key presented")]
    Duplicate,
    /// The credential is larger than any key.
    #[error("oversized key")]
    TooLarge,
}
