//! Configuration errors, reported when a validator or issuer is built.

use std::fmt;

/// Why a configuration was refused at start-up.
///
/// `Debug` prints the message, as `Display` does: a `main` that returns
/// `Result<(), ConfigError>` (or a boxed error) and fails with `?` shows the reason, not the
/// variant's structure.
#[derive(thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The validator has no key.
    #[error("the validator has no verification key")]
    NoKeys,
    /// The allowed-algorithm list is empty.
    #[error("the list of allowed algorithms is empty")]
    NoAlgorithms,
    /// A key's algorithm is not in the allowed list.
    #[error("a key is bound to {0}, which is not in the allowed algorithms")]
    KeyAlgorithmNotAllowed(&'static str),
    /// An HMAC secret shorter than the hash output.
    #[error("the {alg} secret is {len} bytes; at least {min} are required")]
    SecretTooShort {
        /// The algorithm.
        alg: &'static str,
        /// The secret's length.
        len: usize,
        /// The minimum length.
        min: usize,
    },
    /// An HMAC secret that is a well-known or low-entropy value.
    #[error("the HMAC secret is a well-known or low-entropy value")]
    WeakSecret,
    /// An RSA key smaller than 2048 bits.
    #[error("the RSA key has {0} bits; at least 2048 are required")]
    RsaKeyTooSmall(usize),
    /// Key material that does not parse as the algorithm's key type.
    #[error("the key is not a valid {alg} key: {reason}")]
    InvalidKey {
        /// The algorithm the key was meant for.
        alg: &'static str,
        /// What was wrong.
        reason: &'static str,
    },
    /// A JWK or JWKS document that cannot be used.
    #[error("the JWK is not usable: {0}")]
    Jwk(&'static str),
    /// An unknown algorithm name.
    #[error("unknown or unsupported algorithm name")]
    UnknownAlgorithm,
    /// A key file that cannot be read.
    #[error("cannot read key file {path}: {source}")]
    Io {
        /// The path.
        path: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The token size limit is zero.
    #[error("the maximum token length must be positive")]
    ZeroTokenLimit,
    /// A rate limit of zero requests, or over a zero period.
    #[error("a rate limit needs at least one request over a positive period")]
    RateLimit,
    /// The issuer routes are not usable.
    #[error("issuer routes: {0}")]
    Routes(&'static str),
    /// A token source name that cannot be a header, cookie or query parameter name.
    #[error("a token source name is empty or contains characters that are not allowed")]
    BadSourceName,
    /// A role claim path that names nothing (no segment, or an empty one).
    #[error("a role claim path is empty or has an empty segment")]
    RolePath,
    /// Protected-resource metadata that cannot be published.
    #[error("protected-resource metadata: {0}")]
    Metadata(&'static str),
    /// DPoP settings that cannot work.
    #[error("DPoP: {0} is not usable")]
    Dpop(&'static str),
    /// An introspection client that cannot work.
    #[error("introspection: {0}")]
    Introspection(&'static str),
    /// An API-key pepper shorter than 32 bytes.
    #[error("the API-key pepper is {0} bytes; at least 32 are required")]
    PepperTooShort(usize),
}

impl fmt::Debug for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}
