//! [`PostgresKeyStore`]: API keys with PostgreSQL as the system of record, served from an
//! in-memory snapshot.

use std::{
    collections::HashMap,
    fmt,
    sync::{Arc, Mutex, Weak},
    time::Duration,
};

use auth_core::apikey::{ApiKeyRecord, ApiKeyStore, KeyHash, MemoryStore, StoreError, StoredKey};
use deadpool_postgres::Pool;
use futures_util::StreamExt;
use tokio::{sync::Notify, task::JoinHandle};
use tokio_postgres::AsyncMessage;

use crate::{
    PgError,
    admin::{COLUMNS, KeyAdmin, record},
    timed,
};

/// Configures a [`PostgresKeyStore`].
#[derive(Debug, Clone)]
pub struct PostgresKeyStoreBuilder {
    url: String,
    reload_every: Duration,
    write_uses_every: Duration,
}

impl PostgresKeyStoreBuilder {
    /// A full reload at least this often, whatever notifications say (default 30 s): the
    /// fallback when a notification is lost.
    pub fn reload_every(mut self, every: Duration) -> Self {
        self.reload_every = every;
        self
    }

    /// Write last-used times back at most this often, in one statement for all keys used
    /// since (default 60 s): at most one write per key per interval.
    pub fn write_uses_every(mut self, every: Duration) -> Self {
        self.write_uses_every = every;
        self
    }

    /// Connect, create or migrate the keys table, load every key, and keep the snapshot
    /// current in tasks on the current Tokio runtime.
    ///
    /// # Errors
    ///
    /// The URL is not a PostgreSQL URL, the server cannot be reached, or its schema is
    /// newer than this build.
    pub async fn connect(self) -> Result<PostgresKeyStore, PgError> {
        let admin = KeyAdmin::connect(&self.url).await?;
        let shared = Arc::new(Shared {
            snapshot: MemoryStore::new(),
            pool: admin.pool,
            problem: Mutex::new(None),
            reload: Notify::new(),
        });
        shared.reload().await?;
        let weak = Arc::downgrade(&shared);
        let tasks = vec![
            tokio::spawn(listen(self.url.clone(), weak.clone())),
            tokio::spawn(reloader(weak.clone(), self.reload_every)),
            tokio::spawn(write_uses(weak, self.write_uses_every)),
        ];
        Ok(PostgresKeyStore { shared, tasks })
    }
}

/// API keys kept in PostgreSQL, served from memory.
///
/// - The request path never touches the network: every check reads this instance's
///   snapshot of the keys table (an atomic swap on reload, no lock).
/// - A change (new, revoked, rotated key) reaches every instance within a second: a trigger
///   on the table sends `NOTIFY auth_api_keys`, each instance `LISTEN`s on a connection of
///   its own and reloads. A full reload runs every 30 s as well, in case a notification is
///   lost; a lost `LISTEN` connection is logged, reconnected with backoff, and followed by
///   a reload.
/// - Last-used times are counted in memory and written back in batches (one statement for
///   all keys used, at most once a minute).
/// - PostgreSQL unreachable: checks keep answering from the last snapshot; the store
///   reports the problem ([`ApiKeyStore::problem`], for health checks) and logs it once.
///
/// ```no_run
/// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
/// use std::sync::Arc;
/// use auth_core::apikey::ApiKeyValidator;
/// use auth_postgres::PostgresKeyStore;
/// let store = PostgresKeyStore::builder("postgres://app@127.0.0.1:5432/app").connect().await?;
/// let keys = ApiKeyValidator::builder(Arc::new(store)).build()?;
/// # let _ = keys; Ok(()) }
/// ```
pub struct PostgresKeyStore {
    shared: Arc<Shared>,
    tasks: Vec<JoinHandle<()>>,
}

struct Shared {
    snapshot: MemoryStore,
    pool: Pool,
    problem: Mutex<Option<String>>,
    /// Wakes the reloader at once (a notification arrived).
    reload: Notify,
}

impl fmt::Debug for PostgresKeyStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresKeyStore")
            .field("keys", &self.shared.snapshot.records().len())
            .field("problem", &self.problem())
            .finish_non_exhaustive()
    }
}

impl Drop for PostgresKeyStore {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

impl PostgresKeyStore {
    /// Configure a store on `url`.
    pub fn builder(url: &str) -> PostgresKeyStoreBuilder {
        PostgresKeyStoreBuilder {
            url: url.to_owned(),
            reload_every: Duration::from_secs(30),
            write_uses_every: Duration::from_secs(60),
        }
    }

    /// Reload every key now.
    ///
    /// # Errors
    ///
    /// The database cannot answer; the last snapshot stays in force.
    pub async fn reload(&self) -> Result<(), PgError> {
        self.shared.reload().await
    }

    /// The keys in the snapshot.
    pub fn records(&self) -> Vec<ApiKeyRecord> {
        self.shared.snapshot.records()
    }
}

impl Shared {
    async fn reload(&self) -> Result<(), PgError> {
        let loaded = timed(async {
            let client = self.pool.get().await?;
            let rows = client
                .query(&format!("SELECT {COLUMNS} FROM auth_api_keys"), &[])
                .await?;
            rows.iter().map(record).collect::<Result<Vec<_>, _>>()
        })
        .await;
        match loaded {
            Ok(records) => {
                self.snapshot.replace_all(records);
                self.set_problem(None);
                Ok(())
            }
            Err(e) => {
                self.set_problem(Some(format!(
                    "PostgreSQL cannot be read ({e}); serving the keys loaded last"
                )));
                Err(e)
            }
        }
    }

    /// Record the current problem; log when it appears, changes or ends.
    fn set_problem(&self, problem: Option<String>) {
        let mut current = self
            .problem
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if *current != problem {
            match &problem {
                Some(p) => tracing::error!(problem = %p, "API keys"),
                None => tracing::info!("API keys: PostgreSQL answers again"),
            }
            *current = problem;
        }
    }
}

/// `LISTEN auth_api_keys` on a connection of its own; each notification wakes the
/// reloader. A lost connection (closed, or silent past a ping every 10 s) is logged,
/// reconnected with backoff, and followed by a reload (notifications sent meanwhile are
/// lost, the reload makes up for them).
async fn listen(url: String, shared: Weak<Shared>) {
    let mut backoff = Duration::from_millis(100);
    let mut lost = false;
    loop {
        match listen_once(&url, &shared, &mut lost).await {
            Ok(()) => backoff = Duration::from_millis(100),
            Err(e) => tracing::debug!(error = %e, "API keys: change listener"),
        }
        let Some(s) = shared.upgrade() else {
            return;
        };
        if !lost {
            tracing::warn!(
                "API keys: the change listener lost its connection; keys reload every few seconds until it is back"
            );
            lost = true;
        }
        s.reload.notify_one();
        drop(s);
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(5));
    }
}

/// One life of the listener: connect, `LISTEN`, relay notifications until the connection
/// ends or stops answering.
async fn listen_once(url: &str, shared: &Weak<Shared>, lost: &mut bool) -> Result<(), PgError> {
    let (client, mut messages) = crate::listen_connection(url).await?;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    // The connection is driven by its own task; notifications come through the channel.
    let driver = tokio::spawn(async move {
        while let Some(message) = messages.next().await {
            match message {
                Ok(AsyncMessage::Notification(_)) => {
                    if tx.send(()).is_err() {
                        return;
                    }
                }
                Ok(_) => {}
                Err(_) => return,
            }
        }
    });
    let _stop = AbortOnDrop(driver);
    timed(async { Ok(client.batch_execute("LISTEN auth_api_keys").await?) }).await?;
    if std::mem::take(lost) {
        tracing::info!("API keys: listening for changes again");
    }
    // Anything changed while not listening is loaded now.
    match shared.upgrade() {
        Some(s) => s.reload.notify_one(),
        None => return Ok(()),
    }
    let mut ping = tokio::time::interval(Duration::from_secs(10));
    ping.tick().await;
    loop {
        tokio::select! {
            got = rx.recv() => match (got, shared.upgrade()) {
                (Some(()), Some(s)) => s.reload.notify_one(),
                (None, _) => return Err(PgError::Database("the listening connection closed".into())),
                (_, None) => return Ok(()),
            },
            _ = ping.tick() => {
                timed(async { Ok(client.batch_execute("SELECT 1").await?) }).await?;
            }
        }
    }
}

struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Reload when woken, and at least every `every`.
async fn reloader(shared: Weak<Shared>, every: Duration) {
    loop {
        let Some(s) = shared.upgrade() else {
            return;
        };
        // Woken by a notification, or the period is over: reload either way.
        let _ = tokio::time::timeout(every, s.reload.notified()).await;
        drop(s);
        let Some(s) = shared.upgrade() else {
            return;
        };
        if let Err(e) = s.reload().await {
            tracing::debug!(error = %e, "API keys: reload failed");
        }
    }
}

/// Write last-used times back, every `every`, only those that moved.
async fn write_uses(shared: Weak<Shared>, every: Duration) {
    let mut written: HashMap<String, i64> = HashMap::new();
    loop {
        tokio::time::sleep(every).await;
        let Some(s) = shared.upgrade() else {
            return;
        };
        let moved: Vec<(String, i64)> = s
            .snapshot
            .last_uses()
            .into_iter()
            .filter(|(id, at)| written.get(id) != Some(at))
            .collect();
        if moved.is_empty() {
            continue;
        }
        let (ids, times): (Vec<&str>, Vec<i64>) =
            moved.iter().map(|(id, at)| (id.as_str(), *at)).unzip();
        let done = timed(async {
            let client = s.pool.get().await?;
            client
                .execute(
                    "UPDATE auth_api_keys SET last_used = GREATEST(COALESCE(last_used, 0), v.at)
                     FROM unnest($1::text[], $2::bigint[]) AS v(id, at)
                     WHERE auth_api_keys.id = v.id",
                    &[&ids, &times],
                )
                .await?;
            Ok(())
        })
        .await;
        match done {
            Ok(()) => written.extend(moved),
            Err(e) => tracing::debug!(error = %e, "API keys: last-used times kept for later"),
        }
    }
}

#[async_trait::async_trait]
impl ApiKeyStore for PostgresKeyStore {
    async fn find(&self, hash: &KeyHash) -> Result<Option<Arc<StoredKey>>, StoreError> {
        self.shared.snapshot.find(hash).await
    }

    fn find_now(&self, hash: &KeyHash) -> Option<Result<Option<Arc<StoredKey>>, StoreError>> {
        self.shared.snapshot.find_now(hash)
    }

    fn problem(&self) -> Option<String> {
        self.shared
            .problem
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}
