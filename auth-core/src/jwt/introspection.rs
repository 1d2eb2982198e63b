//! Opaque tokens beside JWTs: a validator with an introspection client
//! ([`JwtValidatorBuilder::introspection`](super::JwtValidatorBuilder::introspection))
//! sends a token that is not a JWT to it, and reads the claims from the answer.

use std::{fmt, sync::Arc};

use crate::{error::TokenError, scope::Roles};

/// An active token's introspection answer (RFC 7662 §2.2), already checked by the client
/// (`active`, expiry, audience, issuer): the JSON object the claims are read from, and the
/// roles the client read from it.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Introspected {
    /// The answer, a JSON object (`sub`, `scope`, `client_id`, `exp`, ...).
    pub payload: Arc<[u8]>,
    /// The roles read from it.
    pub roles: Roles,
}

impl Introspected {
    /// An answer and the roles read from it.
    pub fn new(payload: Arc<[u8]>, roles: Roles) -> Self {
        Introspected { payload, roles }
    }
}

/// An introspection client: what a validator asks about a token that is not a JWT.
/// `auth_core::introspect::Introspector` (feature `reqwest`) is the ready one.
///
/// `#[async_trait]` because validators hold it as `Arc<dyn Introspect>`.
#[async_trait::async_trait]
pub trait Introspect: Send + Sync + fmt::Debug {
    /// The checked answer for `token`.
    ///
    /// # Errors
    ///
    /// [`TokenError::Inactive`] for a token the server says is not active (or an answer
    /// that fails a check), [`TokenError::IntrospectionUnavailable`] when the server
    /// cannot be asked.
    async fn introspect(&self, token: &str) -> Result<Introspected, TokenError>;
}

/// Whether `token` is shaped like a compact JWS (two dots); anything else is opaque.
pub(super) fn is_jwt_shaped(token: &str) -> bool {
    token.bytes().filter(|&b| b == b'.').count() == 2
}

impl super::JwtValidator {
    /// `Err(Opaque)` for a token to introspect (not shaped like a JWT, and a client to ask),
    /// checked before any JWT work; size first, as for JWTs.
    pub(super) fn check_shape(&self, token: &str) -> Result<(), TokenError> {
        if self.inner.introspection.is_none() || is_jwt_shaped(token) {
            return Ok(());
        }
        if token.len() > self.inner.max_len {
            return Err(TokenError::TooLarge);
        }
        Err(TokenError::Opaque)
    }

    /// Whether this validator accepts opaque tokens (it has an introspection client).
    pub fn introspects(&self) -> bool {
        self.inner.introspection.is_some()
    }

    /// Introspect `token` and read the answer as a verified token with claims `C`.
    pub(super) async fn introspect<C: serde::de::DeserializeOwned>(
        &self,
        token: &str,
    ) -> Result<(super::VerifiedJwt, C), TokenError> {
        let client = self
            .inner
            .introspection
            .as_ref()
            .ok_or(TokenError::Malformed)?;
        let answer = client.introspect(token).await?;
        let (recorded, custom) = super::claims::parse::<C>(&answer.payload)?;
        let jwt = super::VerifiedJwt {
            registered: recorded.registered,
            scopes: recorded.scopes,
            roles: answer.roles,
            dpop: false,
            payload: answer.payload.to_vec(),
            origin: self.inner.origin,
        };
        Ok((jwt, custom))
    }
}
