//! The background refresher of a [`RemoteKeySet`].

use std::{
    future::Future,
    sync::Arc,
    time::{Duration, Instant},
};

#[cfg(feature = "tokio")]
use super::RemoteError;
use super::RemoteKeySet;

impl RemoteKeySet {
    /// The background refresher: a future that refreshes the set when its keys' age runs
    /// out and retries failures with exponential back-off (from the policy's `retry_min`
    /// to `retry_max`). Spawn it on the application's runtime with its timer, as in
    /// `tokio::spawn(set.refresher(tokio::time::sleep))`. It holds the set weakly and ends
    /// when the set is dropped.
    pub fn refresher<S, F>(self: &Arc<Self>, sleep: S) -> impl Future<Output = ()> + Send + 'static
    where
        S: Fn(Duration) -> F + Send + 'static,
        F: Future<Output = ()> + Send + 'static,
    {
        let weak = Arc::downgrade(self);
        async move {
            let mut backoff: Option<Duration> = None;
            loop {
                let wait = {
                    let Some(set) = weak.upgrade() else { return };
                    match backoff {
                        Some(b) => b,
                        None => set
                            .snapshot
                            .load()
                            .refresh_at
                            .saturating_duration_since(Instant::now()),
                    }
                };
                sleep(wait).await;
                let Some(set) = weak.upgrade() else { return };
                backoff = match set.refresh().await {
                    Ok(()) => None,
                    Err(_) => Some(match backoff {
                        None => set.policy().retry_min,
                        Some(b) => (b * 2).min(set.policy().retry_max),
                    }),
                };
            }
        }
    }

    /// Spawn the [`refresher`](Self::refresher) on the current Tokio runtime (the one axum
    /// and actix-web run on).
    ///
    /// # Errors
    ///
    /// [`RemoteError::NoRuntime`] outside a Tokio runtime.
    #[cfg(feature = "tokio")]
    #[cfg_attr(docsrs, doc(cfg(feature = "tokio")))]
    pub fn spawn_refresher(self: &Arc<Self>) -> Result<tokio::task::JoinHandle<()>, RemoteError> {
        let handle = tokio::runtime::Handle::try_current().map_err(|_| RemoteError::NoRuntime)?;
        Ok(handle.spawn(self.refresher(tokio::time::sleep)))
    }
}
