//! Where the commands keep keys: a key store file (locked, rewritten atomically) or a
//! PostgreSQL database (`auth_postgres::KeyAdmin`, each change in one transaction).

use std::path::PathBuf;

use auth_core::apikey::{ApiKeyRecord, ApiKeySecret, KeyFile};
use auth_postgres::{KeyAdmin, PgError};

use crate::{CliError, Target};

pub(crate) enum Backend {
    File(PathBuf),
    Database(String),
}

/// Run `work` on the database at `url`, on a thread and runtime of its own: the commands
/// are synchronous, and may be called from inside another runtime (a test's).
fn on_database<T: Send>(
    url: &str,
    work: impl AsyncFnOnce(KeyAdmin) -> Result<T, CliError> + Send,
) -> Result<T, CliError> {
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|e| CliError(format!("cannot start: {e}")))?;
                rt.block_on(async {
                    let admin = KeyAdmin::connect(url).await?;
                    work(admin).await
                })
            })
            .join()
            .unwrap_or_else(|_| Err(CliError("the database command failed".into())))
    })
}

impl From<PgError> for CliError {
    fn from(e: PgError) -> Self {
        CliError(format!("--database-url: {e}"))
    }
}

impl Backend {
    /// The store `target` names; a file must exist when `must_exist` (the database's table
    /// is created when missing).
    pub(crate) fn open(target: &Target, must_exist: bool) -> Result<Backend, CliError> {
        match (&target.store, &target.database_url) {
            (Some(path), _) => {
                if must_exist {
                    KeyFile::load(path)?;
                }
                Ok(Backend::File(path.clone()))
            }
            (None, Some(url)) => Ok(Backend::Database(url.clone())),
            (None, None) => Err(CliError("give --store FILE or --database-url URL".into())),
        }
    }

    pub(crate) fn add(&self, record: ApiKeyRecord) -> Result<(), CliError> {
        match self {
            Backend::File(path) => KeyFile::update(path, |file| {
                file.keys.push(record);
                Ok::<_, CliError>(())
            }),
            Backend::Database(url) => {
                on_database(url, async |admin| Ok(admin.insert(&record).await?))
            }
        }
    }

    pub(crate) fn list(&self) -> Result<Vec<(ApiKeyRecord, Option<i64>)>, CliError> {
        match self {
            Backend::File(path) => Ok(KeyFile::load(path)?
                .keys
                .into_iter()
                .map(|r| (r, None))
                .collect()),
            Backend::Database(url) => on_database(url, async |admin| Ok(admin.list().await?)),
        }
    }

    pub(crate) fn revoke(&self, id: &str, now: i64) -> Result<(), CliError> {
        let missing = || CliError(format!("no key with id {id}"));
        match self {
            Backend::File(path) => KeyFile::update(path, |file| {
                let record = file
                    .keys
                    .iter_mut()
                    .find(|r| r.id == id)
                    .ok_or_else(missing)?;
                if record.revoked.is_none() {
                    record.revoked = Some(now);
                }
                Ok::<_, CliError>(())
            }),
            Backend::Database(url) => {
                if on_database(url, async |admin| Ok(admin.revoke(id, now).await?))? {
                    Ok(())
                } else {
                    Err(missing())
                }
            }
        }
    }

    /// Replace key `id` by the successor `mint` makes from it; `id` expires at `until` (no
    /// later than it already would). The new key and its id.
    pub(crate) fn rotate(
        &self,
        id: &str,
        until: i64,
        mint: impl FnOnce(&ApiKeyRecord) -> Result<(ApiKeySecret, ApiKeyRecord), CliError> + Send,
    ) -> Result<(ApiKeySecret, String), CliError> {
        let missing = || CliError(format!("no key with id {id}"));
        match self {
            Backend::File(path) => KeyFile::update(path, |file| {
                let old = file
                    .keys
                    .iter_mut()
                    .find(|r| r.id == id)
                    .ok_or_else(missing)?;
                let (key, record) = mint(old)?;
                old.expires = Some(old.expires.map_or(until, |e| e.min(until)));
                let new_id = record.id.clone();
                file.keys.push(record);
                Ok((key, new_id))
            }),
            Backend::Database(url) => on_database(url, async |admin| {
                let mut key = None;
                let record = admin
                    .rotate(
                        id,
                        |old| {
                            let (secret, record) = mint(old)?;
                            key = Some(secret);
                            Ok::<_, CliError>(record)
                        },
                        until,
                    )
                    .await?
                    .ok_or_else(missing)?;
                let key = key.ok_or_else(missing)?;
                Ok((key, record.id))
            }),
        }
    }
}
