//! [`VerifiedJwt`]: a token that passed every check, with its payload kept for reading
//! claims later.

use serde::de::DeserializeOwned;

use super::{
    claims::{self, Claims},
    registered::RegisteredClaims,
};
use crate::{
    error::TokenError,
    guard::Origin,
    scope::{Roles, Scopes},
};

/// A token whose signature and claims passed every check, by the validator it remembers:
/// guards and extractors reuse it only when they hold that validator (or a clone of it).
#[derive(Debug, Clone)]
pub struct VerifiedJwt {
    pub(super) registered: RegisteredClaims,
    pub(super) scopes: Scopes,
    pub(super) roles: Roles,
    /// Presented with a DPoP proof: its answers (403 included) are challenged as `DPoP`.
    pub(super) dpop: bool,
    pub(super) payload: Vec<u8>,
    pub(super) origin: Origin,
}

impl VerifiedJwt {
    /// The registered claims.
    pub fn registered(&self) -> &RegisteredClaims {
        &self.registered
    }

    /// The scopes (`scope` and `scp`).
    pub fn scopes(&self) -> &Scopes {
        &self.scopes
    }

    /// The roles read from the validator's role claims
    /// ([`roles_from`](super::JwtValidatorBuilder::roles_from)).
    pub fn roles(&self) -> &Roles {
        &self.roles
    }

    /// The decoded payload (JSON), for reading claims of another type.
    pub fn payload(&self) -> &[u8] {
        &self.payload
    }

    /// The claims with the application's type `C`, keeping this value.
    ///
    /// # Errors
    ///
    /// [`TokenError::ClaimsShape`] when the claims do not fit `C`.
    pub fn claims<C: DeserializeOwned>(&self) -> Result<Claims<C>, TokenError> {
        let (_, custom) = claims::parse::<C>(&self.payload)?;
        Ok(Claims {
            registered: self.registered.clone(),
            scopes: self.scopes.clone(),
            roles: self.roles.clone(),
            dpop: self.dpop,
            custom,
        })
    }

    /// The claims with the application's type `C`.
    ///
    /// # Errors
    ///
    /// [`TokenError::ClaimsShape`] when the claims do not fit `C`.
    pub fn into_claims<C: DeserializeOwned>(self) -> Result<Claims<C>, TokenError> {
        let (_, custom) = claims::parse::<C>(&self.payload)?;
        Ok(Claims {
            custom,
            registered: self.registered,
            scopes: self.scopes,
            roles: self.roles,
            dpop: self.dpop,
        })
    }
}
