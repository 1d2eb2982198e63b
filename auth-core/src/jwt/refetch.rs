//! The remote-key paths of [`JwtValidator`]: a token whose key id the remote key set does
//! not hold (or a set with no usable keys) makes the set refetch, single-flight and
//! rate-limited, and is tried once more.

use serde::de::DeserializeOwned;

use super::{
    claims::Claims,
    validator::{JwtValidator, check_scopes},
    verified::VerifiedJwt,
};
use crate::{
    credential::find_bearer,
    error::{AuthError, Scheme, TokenError},
    request::RequestView,
    scope::ScopeRequirement,
};

impl JwtValidator {
    /// [`authenticate_claims`](Self::authenticate_claims) for validators with a
    /// [`RemoteKeySet`](crate::remote::RemoteKeySet): a token whose key id is unknown makes
    /// the set refetch (single-flight, with a cool-down) and is tried once more. Without a
    /// remote set it is the synchronous call.
    pub async fn authenticate_claims_async<C: DeserializeOwned, R: RequestView>(
        &self,
        req: &R,
    ) -> Result<Option<Claims<C>>, AuthError> {
        match self.authenticate_claims::<C, R>(req) {
            Err(e) if self.may_refetch(&e) => {}
            other => return other,
        }
        self.retry_after_refresh(req, |token| self.verify_claims(token))
            .await
    }

    /// [`require`](Self::require), with a refetch of the remote key set when the token's key
    /// id is unknown (see [`authenticate_claims_async`](Self::authenticate_claims_async)).
    pub async fn require_async<R: RequestView>(
        &self,
        req: &R,
        scopes: Option<&ScopeRequirement>,
    ) -> Result<VerifiedJwt, AuthError> {
        match self.require(req, scopes) {
            Err(e) if self.may_refetch(&e) => {}
            other => return other,
        }
        let jwt = self
            .retry_after_refresh(req, |token| self.verify(token))
            .await?
            .ok_or(AuthError::MissingCredential(Scheme::Bearer))?;
        check_scopes(&jwt, scopes)?;
        Ok(jwt)
    }

    /// Whether `e` may go away after a refetch of a remote key set: an unknown key id, or
    /// keys not usable yet.
    pub fn may_refetch(&self, e: &AuthError) -> bool {
        matches!(
            e,
            AuthError::InvalidToken(TokenError::UnknownKey) | AuthError::Unavailable
        ) && self.has_remote_keys()
    }

    /// Refetch the remote key set (single-flight, cool-down) of the request's token issuer
    /// and verify the token once more; the token is copied so the request is not needed
    /// across the fetch.
    async fn retry_after_refresh<R: RequestView, T>(
        &self,
        req: &R,
        verify: impl FnOnce(&str) -> Result<T, TokenError>,
    ) -> Result<Option<T>, AuthError> {
        let Some(bearer) = find_bearer(req, &self.inner.sources)? else {
            return Err(AuthError::MissingCredential(Scheme::Bearer));
        };
        let token = bearer.token.to_owned();
        self.refetch_for(&token).await?;
        verify(&token).map(Some).map_err(AuthError::from)
    }

    /// The bearer token `req` carries through the configured sources, if exactly one.
    pub fn token<R: RequestView>(&self, req: &R) -> Option<String> {
        find_bearer(req, &self.inner.sources)
            .ok()
            .flatten()
            .map(|b| b.token.to_owned())
    }

    /// Refetch the key set that would verify `token` (at most once per cool-down).
    async fn refetch_for(&self, token: &str) -> Result<(), AuthError> {
        let target = self.route(token)?;
        let Some(remote) = target.inner.remote.clone() else {
            return Err(AuthError::InvalidToken(TokenError::UnknownKey));
        };
        // Whether or not a fetch happened (it may be cooling down), the caller verifies
        // against the keys now in force.
        let _ = remote.refresh_for_unknown_kid().await;
        Ok(())
    }

    /// [`verify`](Self::verify) after a refetch of the remote key set (single flight,
    /// cool-down): for a token that failed with an error for which
    /// [`may_refetch`](Self::may_refetch) holds.
    pub async fn verify_refetching(&self, token: &str) -> Result<VerifiedJwt, AuthError> {
        self.refetch_for(token).await?;
        self.verify(token).map_err(AuthError::from)
    }

    /// [`verify_claims`](Self::verify_claims) after a refetch of the remote key set (single
    /// flight, cool-down): for a token that failed with an error for which
    /// [`may_refetch`](Self::may_refetch) holds.
    pub async fn verify_claims_refetching<C: DeserializeOwned>(
        &self,
        token: &str,
    ) -> Result<Claims<C>, AuthError> {
        self.refetch_for(token).await?;
        self.verify_claims(token).map_err(AuthError::from)
    }

    /// Whether this validator reads keys from a remote set (whose misses may need a fetch).
    pub fn has_remote_keys(&self) -> bool {
        self.inner.remote.is_some() || self.inner.routes.iter().any(|(_, v)| v.has_remote_keys())
    }
}
