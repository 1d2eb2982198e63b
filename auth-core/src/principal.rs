//! Who called: a user with a bearer token, or a service with an API key, on routes that
//! accept either (`Principal` extractors in the adapters).
//!
//! The rule: an API key, when one is sent, decides; otherwise a bearer token; sending both
//! is ambiguous and refused (400 `invalid_request`); sending neither gets 401 with both
//! challenges. Neither credential's guard rejects the other: the route takes whichever
//! came.

use serde::de::DeserializeOwned;

use crate::{
    apikey::{ApiKeyValidator, PresentedKey, VerifiedKey},
    error::{AuthError, InvalidRequest, Rejection, Scheme},
    jwt::{Claims, JwtValidator, NoClaims},
    request::RequestView,
};

/// The caller of a route that takes a bearer token or an API key.
#[derive(Debug, Clone)]
pub enum Principal<C = NoClaims> {
    /// A user (or client) with a verified token.
    User(Claims<C>),
    /// A service with a verified API key.
    Service(VerifiedKey),
}

impl<C> Principal<C> {
    /// A name for logs: the token's subject or the key's id (both safe to log).
    pub fn id(&self) -> Option<&str> {
        match self {
            Principal::User(claims) => claims.sub(),
            Principal::Service(key) => Some(key.id()),
        }
    }
}

/// What a request presented, read without any store lookup.
#[derive(Debug)]
pub enum Presented<C> {
    /// A verified token (tokens need no lookup).
    User(Claims<C>),
    /// A well-formed key, still to be looked up with [`finish`].
    Key(PresentedKey),
    /// A token whose key id the remote key set does not hold (yet): verified by [`finish`]
    /// after a refetch.
    Refetch(String),
}

/// Read the request's credential: the synchronous half, which holds the request.
pub fn read<C: DeserializeOwned, R: RequestView>(
    jwt: &JwtValidator,
    keys: &ApiKeyValidator,
    req: &R,
) -> Result<Presented<C>, Rejection> {
    let key = keys.credential(req).map_err(|e| keys.reject(&e))?;
    let user = jwt.authenticate_claims::<C, R>(req);
    match (key, user) {
        (Some(_), Ok(Some(_)) | Err(_)) if has_bearer(req) => Err(jwt.reject(
            &AuthError::InvalidRequest(Scheme::Bearer, InvalidRequest::MultipleCredentials),
        )),
        (Some(key), _) => Ok(Presented::Key(key)),
        (None, Ok(Some(claims))) => Ok(Presented::User(claims)),
        (None, Ok(None)) => Err(jwt.reject(&AuthError::MissingEither)),
        (None, Err(e)) if jwt.may_refetch(&e) => match jwt.token(req) {
            Some(token) => Ok(Presented::Refetch(token)),
            None => Err(jwt.reject(&e)),
        },
        (None, Err(e)) => Err(jwt.reject(&e)),
    }
}

fn has_bearer<R: RequestView>(req: &R) -> bool {
    req.header_values("authorization").any(|v| {
        v.get(..7)
            .is_some_and(|s| s.eq_ignore_ascii_case(b"bearer "))
    })
}

/// Finish what [`read`] found: the asynchronous half (the key store lookup, or the
/// refetch of a remote key set).
pub async fn finish<C: DeserializeOwned>(
    jwt: &JwtValidator,
    keys: &ApiKeyValidator,
    presented: Presented<C>,
) -> Result<Principal<C>, Rejection> {
    match presented {
        Presented::User(claims) => Ok(Principal::User(claims)),
        Presented::Refetch(token) => jwt
            .verify_claims_refetching(&token)
            .await
            .map(Principal::User)
            .map_err(|e| jwt.reject(&e)),
        Presented::Key(key) => keys
            .verify_presented(&key)
            .await
            .map(Principal::Service)
            .map_err(|e| keys.reject(&e)),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::{
        apikey::MemoryStore,
        jwt::{Algorithm, JwtIssuer, SigningKey},
        request::StaticRequest,
    };

    struct Fx {
        jwt: JwtValidator,
        keys: ApiKeyValidator,
        token: String,
        key: String,
    }

    fn fx() -> Result<Fx, Box<dyn std::error::Error>> {
        let signing = SigningKey::generate(Algorithm::HS256)?;
        let jwt = JwtValidator::builder()
            .key(signing.verifying_key()?)
            .issuer("i")
            .audience("a")
            .realm("r")
            .build()?;
        let token = JwtIssuer::new(signing, "i", "a").issue("alice", &[], &())?;
        let store = Arc::new(MemoryStore::new());
        let keys = ApiKeyValidator::builder(store.clone()).realm("r").build()?;
        let (key, record) = keys.mint("svc", "billing", ["x"], None)?;
        store.insert(record);
        Ok(Fx {
            jwt,
            keys,
            token,
            key: key.expose_secret().to_owned(),
        })
    }

    fn run(fx: &Fx, req: StaticRequest) -> Result<Principal, Rejection> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .map_err(|_| fx.jwt.reject(&AuthError::Misconfigured("runtime")))?;
        let presented = read::<NoClaims, _>(&fx.jwt, &fx.keys, &req)?;
        rt.block_on(finish(&fx.jwt, &fx.keys, presented))
    }

    #[test]
    fn either_credential_is_accepted() -> Result<(), Box<dyn std::error::Error>> {
        let fx = fx()?;
        let user = run(
            &fx,
            StaticRequest::new().header("authorization", format!("Bearer {}", fx.token)),
        );
        assert!(matches!(user, Ok(Principal::User(ref c)) if c.sub() == Some("alice")));
        let service = run(
            &fx,
            StaticRequest::new().header("x-api-key", fx.key.as_str()),
        );
        assert!(matches!(service, Ok(Principal::Service(ref k)) if k.name() == "billing"));
        Ok(())
    }

    #[test]
    fn neither_gets_both_challenges_and_both_is_refused() -> Result<(), Box<dyn std::error::Error>>
    {
        let fx = fx()?;
        let none = run(&fx, StaticRequest::new())
            .err()
            .map(|r| (r.status, r.www_authenticate));
        assert_eq!(
            none,
            Some((401, Some(r#"Bearer realm="r", ApiKey realm="r""#.into())))
        );
        let both = run(
            &fx,
            StaticRequest::new()
                .header("x-api-key", fx.key.as_str())
                .header("authorization", format!("Bearer {}", fx.token)),
        );
        assert_eq!(both.err().map(|r| r.status), Some(400));
        let bad_key = run(&fx, StaticRequest::new().header("x-api-key", "nope"));
        assert_eq!(bad_key.err().map(|r| r.status), Some(401));
        Ok(())
    }
}
