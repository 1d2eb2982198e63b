#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![warn(clippy::missing_errors_doc)]

mod dpop;
mod limit;
mod refresh;
mod sign_out;

use std::time::Duration;

pub use dpop::RedisDpopReplay;
pub use limit::RedisRateLimit;
pub use refresh::RedisRefreshStore;
pub use sign_out::RedisSignOutStore;

/// A client for `url` and a reconnecting, multiplexed connection with a 1 s response
/// timeout, a 1 s connection timeout and two retries: an outage or a silent server fails
/// a request within seconds, never hangs it.
async fn connect(url: &str) -> redis::RedisResult<(redis::Client, redis::aio::ConnectionManager)> {
    let client = redis::Client::open(url)?;
    let config = redis::aio::ConnectionManagerConfig::new()
        .set_response_timeout(Some(Duration::from_secs(1)))
        .set_connection_timeout(Some(Duration::from_secs(1)))
        .set_number_of_retries(2);
    let connection = redis::aio::ConnectionManager::new_with_config(client.clone(), config).await?;
    Ok((client, connection))
}
