//! What a handler's credential argument does, whatever the framework: the extraction
//! policy beside [`Guard`](crate::guard::Guard), the policy of layers and middleware.
//!
//! Every credential a handler can take implements [`Extract`]: verified JWT claims
//! ([`Claims`](crate::jwt::Claims)), a verified API key
//! ([`VerifiedKey`](crate::apikey::VerifiedKey)) and a [`Caller`](crate::principal::Caller)
//! (either of them). The adapters have one generic extractor shell over this trait: they
//! find the validators in the app's state, hand over the request and what outer guards
//! stored on it, await the answer when the core says it must be awaited, and turn a
//! rejection into their response type. Reusing an outer guard's result, choosing between an
//! answer now and a refetch later, and the challenge sent when the credential is missing are
//! all decided here.
//!
//! ```
//! use auth_core::{
//!     extract::{Extract, NoStash},
//!     guard::Admission,
//!     jwt::{Algorithm, Claims, JwtIssuer, JwtValidator, NoClaims, SigningKey},
//!     request::StaticRequest,
//! };
//!
//! let signing = SigningKey::generate(Algorithm::HS256)?;
//! let validator = JwtValidator::builder()
//!     .key(signing.verifying_key()?)
//!     .issuer("app")
//!     .audience("app")
//!     .build()?;
//! let token = JwtIssuer::new(signing, "app", "app").issue("alice", &[], &())?;
//! let request = StaticRequest::new().header("authorization", format!("Bearer {token}"));
//!
//! let Admission::Now(Ok(Some(claims))) = Claims::<NoClaims>::extract(&validator, &request, &NoStash)
//! else {
//!     panic!("static keys answer at once");
//! };
//! assert_eq!(claims.sub(), Some("alice"));
//!
//! // No credential: `None`, and `missing` is the answer a required extractor sends.
//! let Admission::Now(Ok(None)) = Claims::<NoClaims>::extract(&validator, &StaticRequest::new(), &NoStash)
//! else {
//!     panic!("nothing was sent");
//! };
//! assert_eq!(Claims::<NoClaims>::missing(&validator).status, 401);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::{error::Rejection, guard::Admission, request::RequestView};

/// What outer guards stored on a request for inner guards and extractors: the adapters'
/// request extensions, seen through a type-keyed lookup.
pub trait Stash {
    /// The value of type `T` stored on the request, if any.
    fn get<T: Send + Sync + 'static>(&self) -> Option<&T>;
}

/// A request on which nothing was stored (no outer guard ran).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoStash;

impl Stash for NoStash {
    fn get<T: Send + Sync + 'static>(&self) -> Option<&T> {
        None
    }
}

/// A credential a handler takes as an argument: how to read and verify it from a request.
pub trait Extract: Sized + Send + 'static {
    /// What it is verified with, found in the app's state: a validator, or a pair of them.
    type Validators: Clone + Send + Sync + 'static;

    /// Read and verify the credential `req` carries, reusing what an outer guard with the
    /// same validator verified (`stash`). `Ok(None)` when the request carries none; errors
    /// come rendered. The answer comes at once when everything needed is in memory, and as
    /// an owned future when a store lookup or a refetch of remote keys must be awaited.
    fn extract<R: RequestView, S: Stash + ?Sized>(
        validators: &Self::Validators,
        req: &R,
        stash: &S,
    ) -> Admission<Self>;

    /// The answer for a request that carries no credential, when one is required.
    fn missing(validators: &Self::Validators) -> Rejection;
}
