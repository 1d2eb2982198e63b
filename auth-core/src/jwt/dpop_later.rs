//! A DPoP request whose proofs are shared by every instance: checked as a future that
//! owns what it needs, since the shared replay store answers asynchronously.

use super::VerifiedJwt;
use crate::request::RequestView;

/// What a DPoP request is checked against, owned: the future that waits for the shared
/// replay store does not borrow the request.
struct OwnedRequest {
    method: String,
    path: Option<String>,
    proofs: Vec<Vec<u8>>,
}

impl RequestView for OwnedRequest {
    fn header_values<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a [u8]> {
        let proofs: &[Vec<u8>] = if name.eq_ignore_ascii_case("dpop") {
            &self.proofs
        } else {
            &[]
        };
        proofs.iter().map(Vec::as_slice)
    }

    fn query(&self) -> Option<&str> {
        None
    }

    fn method(&self) -> &str {
        &self.method
    }

    fn path(&self) -> Option<&str> {
        self.path.as_deref()
    }
}

impl super::JwtValidator {
    /// For a DPoP request to a validator whose proofs are shared by every instance: the
    /// whole check, as a future (the shared store is asked last, once everything else
    /// passed). `None` for any other request, decided at once as before.
    pub(crate) fn dpop_later<R: RequestView>(
        &self,
        req: &R,
    ) -> Option<
        futures_util::future::BoxFuture<'static, Result<VerifiedJwt, crate::error::AuthError>>,
    > {
        use crate::error::{AuthError, DpopError};
        let dpop = self.inner.dpop.as_ref()?;
        dpop.shared()?;
        let token = match super::describe::dpop_token(req) {
            Ok(Some(token)) => token.to_owned(),
            Ok(None) => return None,
            Err(e) => return Some(Box::pin(async move { Err(e) })),
        };
        let owned = OwnedRequest {
            method: req.method().to_owned(),
            path: req.path().map(str::to_owned),
            proofs: req.header_values("dpop").map(<[u8]>::to_vec).collect(),
        };
        let (validator, dpop) = (self.clone(), dpop.clone());
        Some(Box::pin(async move {
            let now = crate::clock::now();
            let fail = |e| AuthError::Dpop(DpopError::Token(e));
            let jwt = validator.verify_at_bound(&token, now, true).map_err(fail)?;
            let seen = dpop
                .check(&owned, &token, &jwt, now)
                .map_err(AuthError::Dpop)?;
            dpop.first_shared_use(seen).await?;
            Ok(VerifiedJwt { dpop: true, ..jwt })
        }))
    }
}
