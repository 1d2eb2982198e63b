//! [`SignOutStore`]: where "sign out everywhere" is recorded, so that every instance's
//! validators refuse the access tokens issued before it.

use std::{fmt, sync::Arc};

use super::RotateError;
use crate::jwt::SignOuts;

/// Where sign-out epochs are kept and how they reach every instance.
///
/// [`sign_out`](Self::sign_out) records an epoch for a subject; [`sign_outs`](Self::sign_outs)
/// is this instance's mirror, which the app gives its validators
/// ([`JwtValidatorBuilder::sign_outs`](crate::jwt::JwtValidatorBuilder::sign_outs)) and which
/// must hold every instance's epochs within a second. [`MemorySignOutStore`] serves one
/// process; `auth_redis::RedisSignOutStore` shares them through Redis pub/sub.
#[async_trait::async_trait]
pub trait SignOutStore: Send + Sync + fmt::Debug {
    /// This instance's mirror of the epochs.
    fn sign_outs(&self) -> Arc<SignOuts>;
    /// Refuse `subject`'s access tokens issued before `epoch` (seconds since the epoch) on
    /// every instance; in this instance's mirror before it returns.
    async fn sign_out(&self, subject: &str, epoch: i64) -> Result<(), RotateError>;
}

/// Sign-out epochs of one process.
#[derive(Debug, Clone)]
pub struct MemorySignOutStore(Arc<SignOuts>);

impl MemorySignOutStore {
    /// A store over `sign_outs`.
    pub fn new(sign_outs: Arc<SignOuts>) -> MemorySignOutStore {
        MemorySignOutStore(sign_outs)
    }
}

#[async_trait::async_trait]
impl SignOutStore for MemorySignOutStore {
    fn sign_outs(&self) -> Arc<SignOuts> {
        self.0.clone()
    }

    async fn sign_out(&self, subject: &str, epoch: i64) -> Result<(), RotateError> {
        self.0.raise(subject, epoch);
        Ok(())
    }
}
