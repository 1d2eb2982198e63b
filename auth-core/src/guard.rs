//! What the guards of route groups share ([`JwtGuard`](crate::jwt::JwtGuard),
//! [`ApiKeyGuard`](crate::apikey::ApiKeyGuard)): a decision about a request, made at once
//! when it can be, and by a future that owns what it needs when it must await (a key-store
//! lookup, a refetch of a remote key set). The adapters' layers and middleware are one
//! generic shell over this trait.

use std::{
    fmt,
    sync::atomic::{AtomicU64, Ordering},
};

use futures_util::future::BoxFuture;

use crate::{error::Rejection, request::RequestView};

/// A decision: for a guard, admitted with what to store on the request for inner guards
/// and extractors (`None`: nothing new); for an extractor, the credential (`None`: none
/// was sent); or rejected with the response to send.
pub type Decision<T> = Result<Option<T>, Rejection>;

/// A decision now, or later.
pub enum Admission<T> {
    /// Decided without awaiting (the usual case).
    Now(Decision<T>),
    /// To be awaited; the future does not borrow the request.
    Later(BoxFuture<'static, Decision<T>>),
}

impl<T: Send + 'static> Admission<T> {
    /// The same decision about a `U` made from the `T`.
    pub fn map<U>(self, f: impl FnOnce(T) -> U + Send + 'static) -> Admission<U> {
        match self {
            Admission::Now(decision) => Admission::Now(decision.map(|found| found.map(f))),
            Admission::Later(decision) => {
                Admission::Later(Box::pin(
                    async move { decision.await.map(|found| found.map(f)) },
                ))
            }
        }
    }
}

impl<T: fmt::Debug> fmt::Debug for Admission<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Admission::Now(d) => f.debug_tuple("Now").field(d).finish(),
            Admission::Later(_) => f.write_str("Later(..)"),
        }
    }
}

/// Which validator produced a verified result (a token, an API key). Each validator gets
/// its own at `build()`, shared by its clones; a result stored in a request by an outer
/// guard is reused only by guards and extractors whose validator has the same origin, and
/// checked again by any other (a partner's validator must not vouch for the app's routes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Origin(u64);

impl Origin {
    /// A new origin, unlike every other in this process.
    pub(crate) fn new() -> Origin {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        Origin(NEXT.fetch_add(1, Ordering::Relaxed))
    }
}

/// The policy of a layer or middleware that guards a group of routes.
pub trait Guard: Clone + Send + Sync + 'static {
    /// What an admitted request carries for inner guards and extractors (stored in the
    /// request's extensions by the adapters).
    type Verified: Clone + Send + Sync + 'static;

    /// Decide about `req`; `verified` is what an outer guard of the same kind stored, if
    /// anything. It is reused only when this guard's own validator produced it; any other
    /// is ignored and the request checked again.
    fn admit<R: RequestView>(
        &self,
        req: &R,
        verified: Option<&Self::Verified>,
    ) -> Admission<Self::Verified>;
}

/// A guard that can also require scopes: a valid credential without them gets 403
/// `insufficient_scope`. The adapters' `scopes` on a layer or middleware take any such
/// guard.
pub trait ScopedGuard: Guard {
    /// This guard, also requiring `requirement`.
    fn with_scopes(self, requirement: crate::scope::ScopeRequirement) -> Self;
}
