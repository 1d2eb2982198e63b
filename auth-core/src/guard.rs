//! What the guards of route groups share ([`JwtGuard`](crate::jwt::JwtGuard),
//! [`ApiKeyGuard`](crate::apikey::ApiKeyGuard)): a decision about a request, made at once
//! when it can be, and by a future that owns what it needs when it must await (a key-store
//! lookup, a refetch of a remote key set). The adapters' layers and middleware are one
//! generic shell over this trait.

use std::fmt;

use futures_util::future::BoxFuture;

use crate::{error::Rejection, request::RequestView};

/// A guard's decision: admitted, with what to store on the request for inner guards and
/// extractors (`None`: nothing new), or rejected with the response to send.
pub type Decision<T> = Result<Option<T>, Rejection>;

/// A decision now, or later.
pub enum Admission<T> {
    /// Decided without awaiting (the usual case).
    Now(Decision<T>),
    /// To be awaited; the future does not borrow the request.
    Later(BoxFuture<'static, Decision<T>>),
}

impl<T: fmt::Debug> fmt::Debug for Admission<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Admission::Now(d) => f.debug_tuple("Now").field(d).finish(),
            Admission::Later(_) => f.write_str("Later(..)"),
        }
    }
}

/// The policy of a layer or middleware that guards a group of routes.
pub trait Guard: Clone + Send + Sync + 'static {
    /// What an admitted request carries for inner guards and extractors (stored in the
    /// request's extensions by the adapters).
    type Verified: Clone + Send + Sync + 'static;

    /// Decide about `req`; `verified` is what an outer guard of the same kind stored, if
    /// anything.
    fn admit<R: RequestView>(
        &self,
        req: &R,
        verified: Option<&Self::Verified>,
    ) -> Admission<Self::Verified>;
}
