//! [`KeyAdmin`]: the keys table's management side (`auth-keys --database-url`), and the
//! row format both sides share.

use auth_core::{
    apikey::{ApiKeyRecord, KeyHash},
    scope::Scopes,
};
use deadpool_postgres::Pool;
use std::fmt;
use tokio_postgres::Row;

use crate::{PgError, schema, timed};

pub(crate) const COLUMNS: &str =
    "id, name, prefix, start, hash, scopes, created, expires, revoked, last_used";

pub(crate) fn record(row: &Row) -> Result<ApiKeyRecord, PgError> {
    // `try_get`: a row an operator edited by hand is an error, never a panic.
    let get = |e: tokio_postgres::Error| PgError::Database(format!("a malformed API key row: {e}"));
    let hash: String = row.try_get("hash").map_err(get)?;
    let scopes: Vec<String> = row.try_get("scopes").map_err(get)?;
    Ok(ApiKeyRecord {
        id: row.try_get("id").map_err(get)?,
        name: row.try_get("name").map_err(get)?,
        prefix: row.try_get("prefix").map_err(get)?,
        start: row.try_get("start").map_err(get)?,
        hash: KeyHash::from_hex(&hash)
            .ok_or_else(|| PgError::Database("a malformed API key row: hash".into()))?,
        scopes: Scopes::new(scopes)
            .map_err(|_| PgError::Database("a malformed API key row: scopes".into()))?,
        created: row.try_get("created").map_err(get)?,
        expires: row.try_get("expires").map_err(get)?,
        revoked: row.try_get("revoked").map_err(get)?,
    })
}

/// Add `record` through `client` (a connection or a transaction).
async fn insert_record(
    client: &impl deadpool_postgres::GenericClient,
    record: &ApiKeyRecord,
) -> Result<(), PgError> {
    let scopes: Vec<&str> = record.scopes.iter().collect();
    client
        .execute(
            "INSERT INTO auth_api_keys (id, name, prefix, start, hash, scopes, created, expires, revoked)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            &[
                &record.id,
                &record.name,
                &record.prefix,
                &record.start,
                &record.hash.to_hex(),
                &scopes,
                &record.created,
                &record.expires,
                &record.revoked,
            ],
        )
        .await?;
    Ok(())
}

/// The keys table, for the management tool: list, add, revoke, expire. Every change
/// notifies the serving instances (a trigger), which reload within a second.
#[derive(Clone)]
pub struct KeyAdmin {
    pub(crate) pool: Pool,
}

impl fmt::Debug for KeyAdmin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyAdmin").finish_non_exhaustive()
    }
}

impl KeyAdmin {
    /// Connect to `url`, creating or migrating the keys table.
    ///
    /// # Errors
    ///
    /// The URL is not a PostgreSQL URL, the server cannot be reached, or its schema is
    /// newer than this build.
    pub async fn connect(url: &str) -> Result<KeyAdmin, PgError> {
        let pool = crate::pool(url).await?;
        timed(schema::migrate(&pool, "api-keys", schema::KEYS)).await?;
        Ok(KeyAdmin { pool })
    }

    /// Every key with its last-used time (as last written by the serving instances).
    ///
    /// # Errors
    ///
    /// The database cannot answer.
    pub async fn list(&self) -> Result<Vec<(ApiKeyRecord, Option<i64>)>, PgError> {
        timed(async {
            let client = self.pool.get().await?;
            let rows = client
                .query(
                    &format!("SELECT {COLUMNS} FROM auth_api_keys ORDER BY created, id"),
                    &[],
                )
                .await?;
            rows.iter()
                .map(|row| {
                    let used = row
                        .try_get("last_used")
                        .map_err(|e| PgError::Database(e.to_string()))?;
                    Ok((record(row)?, used))
                })
                .collect()
        })
        .await
    }

    /// Add a key.
    ///
    /// # Errors
    ///
    /// The database cannot answer, or a key with that id or hash exists.
    pub async fn insert(&self, record: &ApiKeyRecord) -> Result<(), PgError> {
        timed(async {
            let client = self.pool.get().await?;
            insert_record(&client, record).await
        })
        .await
    }

    /// Revoke key `id` at `at` (a key already revoked keeps its first time); whether there
    /// is such a key.
    ///
    /// # Errors
    ///
    /// The database cannot answer.
    pub async fn revoke(&self, id: &str, at: i64) -> Result<bool, PgError> {
        timed(async {
            let client = self.pool.get().await?;
            let n = client
                .execute(
                    "UPDATE auth_api_keys SET revoked = COALESCE(revoked, $2) WHERE id = $1",
                    &[&id, &at],
                )
                .await?;
            Ok(n > 0)
        })
        .await
    }

    /// The key `id`, and in the same transaction `successor` added and `id` set to expire
    /// at `expires` (no later than it already would): a rotation. `Ok(None)` when there is
    /// no such key; an error from `successor` (the key cannot be rotated) changes nothing.
    ///
    /// # Errors
    ///
    /// The database cannot answer, or `successor` refuses.
    pub async fn rotate<E: From<PgError>>(
        &self,
        id: &str,
        successor: impl FnOnce(&ApiKeyRecord) -> Result<ApiKeyRecord, E>,
        expires: i64,
    ) -> Result<Option<ApiKeyRecord>, E> {
        let work = async {
            let mut client = self.pool.get().await.map_err(PgError::from)?;
            let tx = client.transaction().await.map_err(PgError::from)?;
            let Some(row) = tx
                .query_opt(
                    &format!("SELECT {COLUMNS} FROM auth_api_keys WHERE id = $1 FOR UPDATE"),
                    &[&id],
                )
                .await
                .map_err(PgError::from)?
            else {
                return Ok(None);
            };
            let old = record(&row)?;
            let new = successor(&old)?;
            insert_record(&tx, &new).await?;
            tx.execute(
                "UPDATE auth_api_keys SET expires = LEAST(COALESCE(expires, $2), $2) WHERE id = $1",
                &[&id, &expires],
            )
            .await
            .map_err(PgError::from)?;
            tx.commit().await.map_err(PgError::from)?;
            Ok(Some(new))
        };
        tokio::time::timeout(crate::TIMEOUT, work)
            .await
            .map_err(|_| E::from(PgError::Timeout(crate::TIMEOUT)))?
    }
}
