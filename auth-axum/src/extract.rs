//! The one extractor shell: every credential extractor ([`RequireJwt`](crate::RequireJwt),
//! [`OptionalJwt`](crate::OptionalJwt), [`ApiKey`](crate::ApiKey),
//! [`Principal`](crate::Principal)) finds its validators in the router state, hands the
//! request to the core's [`Extract`] policy and awaits the answer only when the core says it
//! must.

use auth_core::{
    apikey::ApiKeyValidator,
    extract::{Extract, Stash},
    guard::Admission,
    jwt::JwtValidator,
};
use axum_core::extract::FromRef;
use http::{Extensions, request::Parts};

use crate::{rejection::AuthRejection, view::HttpView};

/// Validators an extractor finds in the router state: [`JwtValidator`] and
/// [`ApiKeyValidator`] through [`FromRef`], and a pair of them for
/// [`Principal`](crate::Principal). Implemented here only; it names what a state must
/// provide.
pub(crate) trait FromState<S>: Sized {
    /// Take the validators from `state`.
    fn from_state(state: &S) -> Self;
}

impl<S> FromState<S> for JwtValidator
where
    JwtValidator: FromRef<S>,
{
    fn from_state(state: &S) -> Self {
        JwtValidator::from_ref(state)
    }
}

impl<S> FromState<S> for ApiKeyValidator
where
    ApiKeyValidator: FromRef<S>,
{
    fn from_state(state: &S) -> Self {
        ApiKeyValidator::from_ref(state)
    }
}

impl<S, A: FromState<S>, B: FromState<S>> FromState<S> for (A, B) {
    fn from_state(state: &S) -> Self {
        (A::from_state(state), B::from_state(state))
    }
}

/// What outer layers stored on the request.
struct Stored<'a>(&'a Extensions);

impl Stash for Stored<'_> {
    fn get<T: Send + Sync + 'static>(&self) -> Option<&T> {
        self.0.get::<T>()
    }
}

/// The credential of `parts`, `None` when none was sent.
pub(crate) async fn optional<E, S>(parts: &Parts, state: &S) -> Result<Option<E>, AuthRejection>
where
    E: Extract,
    E::Validators: FromState<S>,
{
    found::<E>(parts, &E::Validators::from_state(state)).await
}

/// The credential of `parts`, or the core's answer for a missing one.
pub(crate) async fn required<E, S>(parts: &Parts, state: &S) -> Result<E, AuthRejection>
where
    E: Extract,
    E::Validators: FromState<S>,
{
    let validators = E::Validators::from_state(state);
    found::<E>(parts, &validators)
        .await?
        .ok_or_else(|| AuthRejection(E::missing(&validators)))
}

async fn found<E: Extract>(
    parts: &Parts,
    validators: &E::Validators,
) -> Result<Option<E>, AuthRejection> {
    let admission = E::extract(
        validators,
        &HttpView::from_parts(parts),
        &Stored(&parts.extensions),
    );
    match admission {
        Admission::Now(decision) => decision,
        Admission::Later(decision) => decision.await,
    }
    .map_err(AuthRejection)
}
