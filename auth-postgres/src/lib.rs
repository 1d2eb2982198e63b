#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![warn(clippy::missing_errors_doc)]

mod admin;
mod keys;
mod refresh;
mod schema;

use std::time::Duration;

pub use admin::KeyAdmin;
pub use keys::{PostgresKeyStore, PostgresKeyStoreBuilder};
pub use refresh::PostgresRefreshStore;

/// A PostgreSQL store could not be set up or could not answer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PgError {
    /// The URL is not a PostgreSQL URL (or connection string).
    #[error("not a PostgreSQL URL: {0}")]
    Url(String),
    /// The server cannot be reached, refused the connection, or failed a statement.
    #[error("PostgreSQL: {0}")]
    Database(String),
    /// The server did not answer in time.
    #[error("PostgreSQL did not answer within {0:?}")]
    Timeout(Duration),
    /// The database's schema is newer than this build knows.
    #[error(
        "the database schema of {component} is at version {found}, newer than this build's {known}"
    )]
    SchemaTooNew {
        /// Which tables.
        component: &'static str,
        /// The version found.
        found: i32,
        /// The newest this build knows.
        known: i32,
    },
}

impl From<tokio_postgres::Error> for PgError {
    fn from(e: tokio_postgres::Error) -> Self {
        // The driver's text names the failing part (connection, statement, constraint),
        // never a parameter value.
        PgError::Database(match e.as_db_error() {
            Some(db) => db.message().to_owned(),
            None => e.to_string(),
        })
    }
}

impl From<deadpool_postgres::PoolError> for PgError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        match e {
            deadpool_postgres::PoolError::Backend(e) => PgError::from(e),
            deadpool_postgres::PoolError::Timeout(_) => PgError::Timeout(TIMEOUT),
            other => PgError::Database(other.to_string()),
        }
    }
}

/// How long one operation may take, waiting for a connection included: past it, it fails
/// with [`PgError::Timeout`] (a slow or silent server never hangs a request).
pub const TIMEOUT: Duration = Duration::from_secs(2);

/// Run `f` within [`TIMEOUT`].
async fn timed<T>(f: impl std::future::Future<Output = Result<T, PgError>>) -> Result<T, PgError> {
    tokio::time::timeout(TIMEOUT, f)
        .await
        .map_err(|_| PgError::Timeout(TIMEOUT))?
}

/// The driver configuration of `url` (`postgres://user@host:port/db?sslmode=require`, or a
/// `key=value` connection string), with a 1 s connect timeout.
fn config(url: &str) -> Result<tokio_postgres::Config, PgError> {
    let mut config: tokio_postgres::Config = url
        .parse()
        .map_err(|e: tokio_postgres::Error| PgError::Url(e.to_string()))?;
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(Duration::from_secs(1));
    }
    Ok(config)
}

/// The TLS connector: rustls with the platform's roots (feature `tls`), used when the URL's
/// `sslmode` asks for TLS; without the feature, plain TCP only.
#[cfg(feature = "tls")]
fn tls() -> Result<tokio_postgres_rustls::MakeRustlsConnect, PgError> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_native_certs::load_native_certs().certs {
        // A certificate the platform lists but rustls cannot parse is skipped.
        let _ = roots.add(cert);
    }
    let config = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| PgError::Url(e.to_string()))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(tokio_postgres_rustls::MakeRustlsConnect::new(config))
}

#[cfg(not(feature = "tls"))]
fn tls() -> Result<tokio_postgres::NoTls, PgError> {
    Ok(tokio_postgres::NoTls)
}

/// A pool of connections to `url` (at most 16), each operation bounded by [`TIMEOUT`].
async fn pool(url: &str) -> Result<deadpool_postgres::Pool, PgError> {
    let config = config(url)?;
    let manager = deadpool_postgres::Manager::from_config(
        config,
        tls()?,
        deadpool_postgres::ManagerConfig {
            recycling_method: deadpool_postgres::RecyclingMethod::Fast,
        },
    );
    let pool = deadpool_postgres::Pool::builder(manager)
        .max_size(16)
        .runtime(deadpool_postgres::Runtime::Tokio1)
        .wait_timeout(Some(TIMEOUT))
        .create_timeout(Some(TIMEOUT))
        .recycle_timeout(Some(TIMEOUT))
        .build()
        .map_err(|e| PgError::Url(e.to_string()))?;
    // Reach the server now: an unreachable database stops the start, not the first request.
    drop(timed(async { Ok(pool.get().await?) }).await?);
    Ok(pool)
}

/// One connection of its own (for `LISTEN`), driven by the returned future's owner.
async fn listen_connection(
    url: &str,
) -> Result<
    (
        tokio_postgres::Client,
        impl futures_util::Stream<Item = Result<tokio_postgres::AsyncMessage, tokio_postgres::Error>>
        + Send
        + 'static,
    ),
    PgError,
> {
    let config = config(url)?;
    let connector = tls()?;
    let (client, mut connection) = tokio::time::timeout(TIMEOUT, config.connect(connector))
        .await
        .map_err(|_| PgError::Timeout(TIMEOUT))??;
    let messages = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
    Ok((client, messages))
}
