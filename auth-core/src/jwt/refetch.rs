//! The remote-key paths of [`JwtValidator`]: a token whose key id the remote key set does
//! not hold (or a set with no usable keys) makes the set refetch, single-flight and
//! rate-limited, and is tried once more.
//!
//! The naming rule of every validator: the plain name (`verify`, `verify_claims`) may
//! await, here a refetch of remote keys; the `_now` name answers at once from what is in
//! memory.

use serde::de::DeserializeOwned;

use super::{claims::Claims, validator::JwtValidator, verified::VerifiedJwt};
use crate::{
    credential::find_bearer,
    error::{AuthError, TokenError},
    request::RequestView,
};

impl JwtValidator {
    /// Verify `token` (signature, then claims) and keep its payload, for reading claims
    /// later ([`VerifiedJwt::claims`]). A token whose key id a remote key set does not hold
    /// (yet) makes the set refetch (single flight, with a cool-down) and is tried once more;
    /// with static keys this is [`verify_now`](Self::verify_now).
    ///
    /// # Errors
    ///
    /// Why the token is refused ([`TokenError`]).
    pub async fn verify(&self, token: &str) -> Result<VerifiedJwt, TokenError> {
        match self.verify_now(token) {
            Err(e) if self.refetchable(&e) => {
                self.refetch_for(token).await?;
                self.verify_now(token)
            }
            other => other,
        }
    }

    /// Verify `token` and read its claims, with the application's type `C`, in one pass
    /// over the payload; refetches remote keys as [`verify`](Self::verify) does.
    ///
    /// # Errors
    ///
    /// Why the token is refused ([`TokenError`]), including claims that do not fit `C`.
    pub async fn verify_claims<C: DeserializeOwned>(
        &self,
        token: &str,
    ) -> Result<Claims<C>, TokenError> {
        match self.verify_claims_now(token) {
            Err(e) if self.refetchable(&e) => {
                self.refetch_for(token).await?;
                self.verify_claims_now(token)
            }
            other => other,
        }
    }

    /// Whether `e` may go away after a refetch of a remote key set: an unknown key id, or
    /// keys not usable yet.
    pub(crate) fn may_refetch(&self, e: &AuthError) -> bool {
        matches!(
            e,
            AuthError::InvalidToken(TokenError::UnknownKey) | AuthError::Unavailable
        ) && self.has_remote_keys()
    }

    fn refetchable(&self, e: &TokenError) -> bool {
        matches!(e, TokenError::UnknownKey | TokenError::KeysUnavailable) && self.has_remote_keys()
    }

    /// The bearer token `req` carries through the configured sources, if exactly one.
    pub(crate) fn token<R: RequestView>(&self, req: &R) -> Option<String> {
        find_bearer(req, &self.inner.sources)
            .ok()
            .flatten()
            .map(|b| b.token.to_owned())
    }

    /// Refetch the key set that would verify `token` (at most once per cool-down).
    async fn refetch_for(&self, token: &str) -> Result<(), TokenError> {
        let target = self.route(token)?;
        let Some(remote) = target.inner.remote.clone() else {
            return Err(TokenError::UnknownKey);
        };
        // Whether or not a fetch happened (it may be cooling down), the caller verifies
        // against the keys now in force.
        let _ = remote.refresh_for_unknown_kid().await;
        Ok(())
    }

    /// Whether this validator reads keys from a remote set (whose misses may need a fetch).
    pub(crate) fn has_remote_keys(&self) -> bool {
        self.inner.remote.is_some() || self.inner.routes.iter().any(|(_, v)| v.has_remote_keys())
    }
}
