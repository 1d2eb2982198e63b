//! Who called: a user with a bearer token, or a service with an API key, on routes that
//! accept either (the adapters' `Principal` extractors).
//!
//! The rule: an API key, when one is sent, decides; otherwise a bearer token; sending both
//! is ambiguous and refused (400 `invalid_request`); sending neither gets 401 with both
//! challenges ([`Extract::missing`]). Neither credential's guard rejects the other: the
//! route takes whichever came.

use serde::de::DeserializeOwned;

use crate::{
    apikey::{ApiKeyValidator, VerifiedKey},
    credential::split_authorization,
    error::{AuthError, InvalidRequest, Rejection, Scheme},
    extract::{Extract, Stash},
    guard::Admission,
    jwt::{Claims, JwtValidator, NoClaims},
    request::RequestView,
};

/// The caller of a route that takes a bearer token or an API key.
#[derive(Debug, Clone)]
pub enum Caller<C = NoClaims> {
    /// A user (or client) with a verified token.
    User(Claims<C>),
    /// A service with a verified API key.
    Service(VerifiedKey),
}

impl<C> Caller<C> {
    /// A name for logs: the token's subject or the key's id (both safe to log).
    pub fn id(&self) -> Option<&str> {
        match self {
            Caller::User(claims) => claims.sub(),
            Caller::Service(key) => Some(key.id()),
        }
    }
}

/// Whether `req` has an `Authorization` header of the `Bearer` scheme, well-formed or not.
fn has_bearer<R: RequestView>(req: &R) -> bool {
    req.header_values("authorization")
        .any(|v| !matches!(split_authorization(v, "Bearer"), Ok(None)))
}

/// The caller by the rule above; `Ok(None)` when neither credential was sent.
impl<C: DeserializeOwned + Send + 'static> Extract for Caller<C> {
    type Validators = (JwtValidator, ApiKeyValidator);

    fn extract<R: RequestView, S: Stash + ?Sized>(
        (jwt, keys): &(JwtValidator, ApiKeyValidator),
        req: &R,
        stash: &S,
    ) -> Admission<Self> {
        let wrap = |a: Admission<VerifiedKey>| a.map(Caller::Service);
        // An API key decides, unless a bearer token came with it.
        let key_sent = match keys.credential(req) {
            Ok(key) => key.is_some(),
            Err(e) => return Admission::Now(Err(keys.reject(&e))),
        };
        if key_sent {
            if has_bearer(req) {
                return Admission::Now(Err(jwt.reject(&AuthError::InvalidRequest(
                    Scheme::Bearer,
                    InvalidRequest::MultipleCredentials,
                ))));
            }
            return wrap(VerifiedKey::extract(keys, req, stash));
        }
        Claims::<C>::extract(jwt, req, stash).map(Caller::User)
    }

    fn missing((jwt, _): &(JwtValidator, ApiKeyValidator)) -> Rejection {
        jwt.reject(&AuthError::MissingEither)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::{
        apikey::MemoryStore,
        extract::NoStash,
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

    fn run(fx: &Fx, req: StaticRequest) -> Result<Caller, Rejection> {
        let validators = (fx.jwt.clone(), fx.keys.clone());
        let found = match Caller::<NoClaims>::extract(&validators, &req, &NoStash) {
            Admission::Now(found) => found,
            Admission::Later(_) => panic!("memory stores and static keys answer at once"),
        };
        found?.ok_or_else(|| Caller::<NoClaims>::missing(&validators))
    }

    #[test]
    fn either_credential_is_accepted() -> Result<(), Box<dyn std::error::Error>> {
        let fx = fx()?;
        let user = run(
            &fx,
            StaticRequest::new().header("authorization", format!("Bearer {}", fx.token)),
        );
        assert!(matches!(user, Ok(Caller::User(ref c)) if c.sub() == Some("alice")));
        let service = run(
            &fx,
            StaticRequest::new().header("x-api-key", fx.key.as_str()),
        );
        assert!(matches!(service, Ok(Caller::Service(ref k)) if k.name() == "billing"));
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
