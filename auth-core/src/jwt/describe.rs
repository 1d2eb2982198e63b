//! What a validator says about itself (protected-resource metadata), and how it reads a
//! DPoP request's token.

use serde::de::DeserializeOwned;

use super::{Claims, JwtValidator, VerifiedJwt};
use crate::{
    credential::TokenSource,
    error::{AuthError, Scheme, TokenError},
    request::RequestView,
};

/// The token of `Authorization: DPoP <token>`, if the request has one.
pub(super) fn dpop_token<R: RequestView>(req: &R) -> Result<Option<&str>, AuthError> {
    let bad = |e| AuthError::InvalidRequest(Scheme::Dpop, e);
    // A repeated header is reported by the bearer path, as before.
    match crate::credential::single_header(req, "authorization") {
        Ok(Some(value)) => crate::credential::parse_authorization(value, "DPoP").map_err(bad),
        _ => Ok(None),
    }
}

/// What a verified DPoP request becomes: the token itself, or typed claims.
pub(super) trait FromVerified: Sized {
    fn from_verified(jwt: VerifiedJwt) -> Result<Self, TokenError>;
}

impl FromVerified for VerifiedJwt {
    fn from_verified(jwt: VerifiedJwt) -> Result<Self, TokenError> {
        Ok(jwt)
    }
}

impl<C: DeserializeOwned> FromVerified for Claims<C> {
    fn from_verified(jwt: VerifiedJwt) -> Result<Self, TokenError> {
        jwt.into_claims()
    }
}

/// What a validator tells protected-resource metadata about itself.
pub(crate) struct Described {
    pub(crate) issuers: Vec<String>,
    pub(crate) bearer_methods: Vec<&'static str>,
    pub(crate) dpop_algs: Vec<&'static str>,
    pub(crate) dpop_required: bool,
    /// The cookies it reads tokens from.
    #[cfg_attr(not(feature = "openapi"), allow(dead_code))]
    pub(crate) cookies: Vec<String>,
}

impl JwtValidator {
    /// The issuers it accepts (its routes' too) and how it reads tokens.
    pub(crate) fn describe(&self) -> Described {
        let i = &self.inner;
        let mut issuers = i.issuers.clone();
        issuers.extend(i.routes.iter().map(|(issuer, _)| issuer.clone()));
        let mut bearer_methods = Vec::new();
        let mut cookies = Vec::new();
        for source in &i.sources {
            if let TokenSource::Cookie(name) = source {
                cookies.push(name.clone());
            }
            let method = match source {
                TokenSource::AuthorizationBearer => "header",
                TokenSource::Query(_) => "query",
                // A custom header or a cookie is not an RFC 6750 method.
                TokenSource::Header(_) | TokenSource::Cookie(_) => continue,
            };
            if !bearer_methods.contains(&method) {
                bearer_methods.push(method);
            }
        }
        Described {
            issuers,
            bearer_methods,
            dpop_algs: i
                .dpop
                .as_ref()
                .map(super::Dpop::algorithm_names)
                .unwrap_or_default(),
            dpop_required: false,
            cookies,
        }
    }
}
