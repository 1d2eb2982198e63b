//! [`PostgresRefreshStore`]: refresh-token families in PostgreSQL.

use std::{fmt, time::Duration};

use auth_core::login::{
    RefreshHash, RefreshRecord, RefreshStore, RotateError, Rotation, Session, SessionGrant,
    SessionMeta,
};
use deadpool_postgres::Pool;
use tokio::task::JoinHandle;

use crate::{PgError, schema, timed};

/// Refresh-token families in PostgreSQL, shared by every instance on the same database.
///
/// - Rotation is one call (`SELECT … FROM auth_rotate(…)`, a PL/pgSQL function that locks
///   the family's row): atomic, so of concurrent rotations of one token at most one wins
///   outside the grace window, and a reuse deletes the family (its tokens cascade) for
///   every instance at once.
/// - Only SHA-256 hashes of tokens are stored (`bytea`).
/// - Expiry: every read checks the times, and a background task deletes expired tokens and
///   families once a minute, off the request path.
/// - PostgreSQL unreachable or slow (past 2 s): the operation fails with
///   [`RotateError::Store`], answered 503 by the sign-in routes; nothing is revoked.
/// - Tables are created on first start and migrated by version (`auth_schema`).
///
/// ```no_run
/// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
/// use std::sync::Arc;
/// use auth_postgres::PostgresRefreshStore;
/// let store = PostgresRefreshStore::connect("postgres://app@127.0.0.1:5432/app").await?;
/// // LoginBuilder::refresh_store(Arc::new(store))
/// # let _ = Arc::new(store); Ok(()) }
/// ```
pub struct PostgresRefreshStore {
    pool: Pool,
    sweeper: JoinHandle<()>,
}

impl fmt::Debug for PostgresRefreshStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresRefreshStore")
            .field("pool", &self.pool.status())
            .finish_non_exhaustive()
    }
}

impl Drop for PostgresRefreshStore {
    fn drop(&mut self) {
        self.sweeper.abort();
    }
}

fn unavailable(e: &PgError) -> RotateError {
    tracing::error!(error = %e, "PostgreSQL refresh store");
    RotateError::Store("PostgreSQL is unavailable".into())
}

impl PostgresRefreshStore {
    /// Connect to `url`, create or migrate the tables, and start the expiry sweep on the
    /// current Tokio runtime.
    ///
    /// # Errors
    ///
    /// The URL is not a PostgreSQL URL, the server cannot be reached, or its schema is
    /// newer than this build.
    pub async fn connect(url: &str) -> Result<PostgresRefreshStore, PgError> {
        let pool = crate::pool(url).await?;
        timed(schema::migrate(&pool, "refresh", schema::REFRESH)).await?;
        let sweeper = tokio::spawn(sweep(pool.clone()));
        Ok(PostgresRefreshStore { pool, sweeper })
    }
}

/// Delete what has expired, once a minute.
async fn sweep(pool: Pool) {
    loop {
        tokio::time::sleep(Duration::from_secs(60)).await;
        let now = auth_core::clock::now();
        let done = timed(async {
            let client = pool.get().await?;
            client
                .execute("DELETE FROM auth_refresh_tokens WHERE expires <= $1", &[&now])
                .await?;
            client
                .execute(
                    "DELETE FROM auth_refresh_families WHERE LEAST(token_expires, session_expires) <= $1",
                    &[&now],
                )
                .await?;
            Ok(())
        })
        .await;
        if let Err(e) = done {
            tracing::debug!(error = %e, "refresh store sweep postponed");
        }
    }
}

fn json<T: serde::Serialize>(value: &T) -> Result<serde_json::Value, RotateError> {
    serde_json::to_value(value).map_err(|e| RotateError::Store(e.to_string()))
}

#[async_trait::async_trait]
impl RefreshStore for PostgresRefreshStore {
    async fn insert(&self, hash: RefreshHash, record: RefreshRecord) -> Result<(), RotateError> {
        let (grant, meta) = (json(&record.grant)?, json(&record.meta)?);
        let generation = i64::try_from(record.generation).unwrap_or(i64::MAX);
        timed(async {
            let mut client = self.pool.get().await?;
            let tx = client.transaction().await?;
            tx.execute(
                "INSERT INTO auth_refresh_families
                    (id, subject, grant_json, meta, newest, token_expires, session_expires)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)
                 ON CONFLICT (id) DO UPDATE SET
                    newest = GREATEST(auth_refresh_families.newest, EXCLUDED.newest),
                    token_expires = GREATEST(auth_refresh_families.token_expires, EXCLUDED.token_expires)",
                &[
                    &record.family,
                    &record.grant.subject,
                    &grant,
                    &meta,
                    &generation,
                    &record.expires,
                    &record.session_expires,
                ],
            )
            .await?;
            tx.execute(
                "INSERT INTO auth_refresh_tokens (hash, family, generation, expires)
                 VALUES ($1, $2, $3, $4)",
                &[&&hash.0[..], &record.family, &generation, &record.expires],
            )
            .await?;
            tx.commit().await?;
            Ok(())
        })
        .await
        .map_err(|e| unavailable(&e))
    }

    async fn rotate(
        &self,
        old: &RefreshHash,
        rotation: Rotation,
    ) -> Result<RefreshRecord, RotateError> {
        let now = auth_core::clock::now();
        let row = timed(async {
            let client = self.pool.get().await?;
            let statement = client
                .prepare_cached("SELECT * FROM auth_rotate($1, $2, $3, $4, $5)")
                .await?;
            Ok(client
                .query_one(
                    &statement,
                    &[
                        &&old.0[..],
                        &&rotation.new.0[..],
                        &now,
                        &rotation.expires,
                        &rotation.grace,
                    ],
                )
                .await?)
        })
        .await
        .map_err(|e| unavailable(&e))?;
        let bad = || RotateError::Store("a malformed session in PostgreSQL".into());
        let status: &str = row.try_get("status").map_err(|_| bad())?;
        match status {
            "ok" => {
                let grant: SessionGrant =
                    serde_json::from_value(row.try_get("grant_json").map_err(|_| bad())?)
                        .map_err(|_| bad())?;
                let meta: SessionMeta =
                    serde_json::from_value(row.try_get("meta").map_err(|_| bad())?)
                        .map_err(|_| bad())?;
                let generation: i64 = row.try_get("generation").map_err(|_| bad())?;
                let mut record = RefreshRecord::new(
                    row.try_get::<_, String>("family").map_err(|_| bad())?,
                    grant,
                    row.try_get("expires").map_err(|_| bad())?,
                    row.try_get("session_expires").map_err(|_| bad())?,
                )
                .with_meta(meta);
                record.generation = u64::try_from(generation).map_err(|_| bad())?;
                Ok(record)
            }
            "unknown" => Err(RotateError::Unknown),
            "expired" => Err(RotateError::Expired),
            "reused" => {
                tracing::warn!(
                    "a rotated refresh token was presented again: its family is revoked"
                );
                Err(RotateError::Reused)
            }
            _ => Err(RotateError::Store(
                "an unexpected answer from PostgreSQL".into(),
            )),
        }
    }

    async fn revoke_family(&self, token: &RefreshHash) -> Result<(), RotateError> {
        timed(async {
            let client = self.pool.get().await?;
            client
                .execute(
                    "DELETE FROM auth_refresh_families
                     WHERE id = (SELECT family FROM auth_refresh_tokens WHERE hash = $1)",
                    &[&&token.0[..]],
                )
                .await?;
            Ok(())
        })
        .await
        .map_err(|e| unavailable(&e))
    }

    async fn sessions(&self, subject: &str) -> Result<Vec<Session>, RotateError> {
        let now = auth_core::clock::now();
        let rows = timed(async {
            let client = self.pool.get().await?;
            Ok(client
                .query(
                    "SELECT id, meta, last_used FROM auth_refresh_families
                     WHERE subject = $1 AND token_expires > $2 AND session_expires > $2",
                    &[&subject, &now],
                )
                .await?)
        })
        .await
        .map_err(|e| unavailable(&e))?;
        let bad = || RotateError::Store("a malformed session in PostgreSQL".into());
        rows.iter()
            .map(|row| {
                let meta: SessionMeta =
                    serde_json::from_value(row.try_get("meta").map_err(|_| bad())?)
                        .map_err(|_| bad())?;
                let last: i64 = row.try_get("last_used").map_err(|_| bad())?;
                let id: String = row.try_get("id").map_err(|_| bad())?;
                Ok(Session::new(id, meta, last))
            })
            .collect()
    }

    async fn revoke_session(&self, subject: &str, id: &str) -> Result<bool, RotateError> {
        let now = auth_core::clock::now();
        let rows = timed(async {
            let client = self.pool.get().await?;
            Ok(client
                .query(
                    "DELETE FROM auth_refresh_families WHERE id = $1 AND subject = $2
                     RETURNING token_expires > $3 AND session_expires > $3",
                    &[&id, &subject, &now],
                )
                .await?)
        })
        .await
        .map_err(|e| unavailable(&e))?;
        Ok(rows
            .first()
            .is_some_and(|row| row.try_get::<_, bool>(0).unwrap_or(false)))
    }

    async fn revoke_subject(&self, subject: &str) -> Result<usize, RotateError> {
        let now = auth_core::clock::now();
        let rows = timed(async {
            let client = self.pool.get().await?;
            Ok(client
                .query(
                    "DELETE FROM auth_refresh_families WHERE subject = $1
                     RETURNING token_expires > $2 AND session_expires > $2",
                    &[&subject, &now],
                )
                .await?)
        })
        .await
        .map_err(|e| unavailable(&e))?;
        Ok(rows
            .iter()
            .filter(|row| row.try_get::<_, bool>(0).unwrap_or(false))
            .count())
    }
}
