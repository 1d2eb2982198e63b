//! The key file (JSON, hashes and metadata only), written atomically under a lock, and a
//! store that serves it and picks up changes without a restart.

use std::{
    fs,
    io::Write,
    path::{Path, PathBuf},
    sync::{Arc, Weak},
    time::{Duration, SystemTime},
};

use arc_swap::{ArcSwap, ArcSwapOption};
use serde::{Deserialize, Serialize};

use super::{
    hash::KeyHash,
    record::ApiKeyRecord,
    store::{ApiKeyStore, Index, StoreError, StoredKey, index_of},
};

/// The on-disk format: `{"version": 1, "keys": [records]}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyFile {
    /// Format version (1).
    pub version: u32,
    /// The records.
    pub keys: Vec<ApiKeyRecord>,
}

fn io_error(path: &Path, source: std::io::Error) -> StoreError {
    StoreError::Io {
        path: path.display().to_string(),
        source,
    }
}

impl KeyFile {
    /// An empty key file.
    pub fn new() -> Self {
        KeyFile {
            version: 1,
            keys: Vec::new(),
        }
    }

    /// Read `path`.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the file is missing, unreadable or not a key file.
    pub fn load(path: &Path) -> Result<KeyFile, StoreError> {
        let text = fs::read_to_string(path).map_err(|e| io_error(path, e))?;
        let file: KeyFile = serde_json::from_str(&text).map_err(|e| StoreError::Format {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        if file.version != 1 {
            return Err(StoreError::Format {
                path: path.display().to_string(),
                reason: format!("unsupported version {}", file.version),
            });
        }
        Ok(file)
    }

    /// Read `path`, or an empty key file if it does not exist.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the file exists but is unreadable or not a key file.
    pub fn load_or_new(path: &Path) -> Result<KeyFile, StoreError> {
        match fs::metadata(path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(KeyFile::new()),
            _ => KeyFile::load(path),
        }
    }

    /// Change the file at `path` (an empty key file if there is none yet) under an
    /// exclusive lock: load, `edit`, save. Concurrent updates (two `auth-keys` commands at
    /// once, from any process) take turns, so none overwrites another's change: a
    /// revocation is never lost to a concurrent `new`. When `edit` fails nothing is
    /// written.
    ///
    /// The lock is an advisory lock (`flock`) on a sidecar file, `.{name}.lock` in the same
    /// folder, which stays in place: removing it could let two writers lock two different
    /// files. Readers need no lock, since every save is an atomic rename.
    ///
    /// # Errors
    ///
    /// `edit`'s own error, or a [`StoreError`] (converted into `E`) when the lock cannot be
    /// taken or the file read or written.
    pub fn update<T, E: From<StoreError>>(
        path: &Path,
        edit: impl FnOnce(&mut KeyFile) -> Result<T, E>,
    ) -> Result<T, E> {
        let (dir, name) = dir_and_name(path);
        let lock_path = dir.join(format!(".{name}.lock"));
        let lock = fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&lock_path)
            // A lock file made by another user may be read-only to us: a shared open
            // still takes the exclusive lock.
            .or_else(|_| fs::File::open(&lock_path))
            .map_err(|e| io_error(&lock_path, e))?;
        lock.lock().map_err(|e| io_error(&lock_path, e))?;
        let mut file = KeyFile::load_or_new(path)?;
        let out = edit(&mut file)?;
        file.save(path)?;
        // Dropping `lock` releases it; so would the process ending.
        drop(lock);
        Ok(out)
    }

    /// Write to `path` atomically: a temporary file in the same folder, flushed to disk,
    /// then renamed over the old one. A crash leaves the old file or the new one, never a
    /// torn one. An existing file keeps its permissions and its owner (so that a server
    /// running as another user can still read it after `auth-keys` runs as root); when the
    /// owner cannot be kept, nothing is written. A new file is made readable by its owner
    /// only (0600).
    ///
    /// To change a file that others may change at the same time, use
    /// [`update`](Self::update), which saves under a lock.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the file cannot be written, flushed, renamed, or given its old
    /// owner.
    pub fn save(&self, path: &Path) -> Result<(), StoreError> {
        let (dir, name) = dir_and_name(path);
        let tmp = dir.join(format!(".{name}.{}.tmp", super::key::random_id("w")));
        let json = serde_json::to_vec_pretty(self).map_err(|e| StoreError::Format {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        let write = || -> std::io::Result<()> {
            let mut options = fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let mut f = options.open(&tmp)?;
            #[cfg(unix)]
            if let Ok(old) = fs::metadata(path) {
                keep_owner_and_mode(&f, &old, path)?;
            }
            f.write_all(&json)?;
            f.write_all(b"\n")?;
            f.sync_all()?;
            fs::rename(&tmp, path)?;
            // Make the rename itself durable.
            if let Ok(d) = fs::File::open(&dir) {
                let _ = d.sync_all();
            }
            Ok(())
        };
        write().map_err(|e| {
            let _ = fs::remove_file(&tmp);
            io_error(path, e)
        })
    }
}

/// The folder of `path` (`.` when it has none) and its file name.
fn dir_and_name(path: &Path) -> (PathBuf, String) {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "keys.json".into());
    (dir, name)
}

/// Give the new file `f` the owner, group and permission bits of the file it replaces.
#[cfg(unix)]
fn keep_owner_and_mode(f: &fs::File, old: &fs::Metadata, path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let new = f.metadata()?;
    if (new.uid(), new.gid()) != (old.uid(), old.gid()) {
        std::os::unix::fs::fchown(f, Some(old.uid()), Some(old.gid())).map_err(|e| {
            std::io::Error::new(
                e.kind(),
                format!(
                    "cannot keep the owner of {} (uid {}, gid {}): {e}; run the tool as that \
                     user or as root, or the server may no longer read the file",
                    path.display(),
                    old.uid(),
                    old.gid()
                ),
            )
        })?;
    }
    // After the chown, which may clear set-id bits; `set_permissions` is not subject to
    // the umask, unlike the mode given at creation.
    f.set_permissions(fs::Permissions::from_mode(old.mode() & 0o7777))
}

/// Serves a key file; with [`watch`](FileStore::watch), a change to the file (a new key, a
/// revocation) takes effect within the poll interval, without a restart.
///
/// # Security
///
/// A file that changes but cannot be read (unreadable to the server's user, malformed)
/// leaves the last good keys in force: a revocation written since is **not** in force. This
/// is logged at error level once per incident, and reported by
/// [`problem`](ApiKeyStore::problem) until the file is readable again, so a health check can
/// show it. Failing closed instead (refusing every key) would turn a typo in the file into
/// an outage of every service that uses it.
#[derive(Debug)]
pub struct FileStore {
    path: PathBuf,
    index: Arc<ArcSwap<Index>>,
    /// Why the last reload failed, while it keeps failing.
    problem: Arc<ArcSwapOption<String>>,
    /// The file's change marker taken before it was read: the watcher starts from it, so a
    /// change made between loading and watching is not missed.
    loaded: Option<Stamp>,
}

/// The change marker of a file: modification time, length and (on Unix) inode. The tool
/// replaces the file by a rename, so the inode changes on every write, even when two writes
/// fall in one tick of the file-system clock with equal lengths.
type Stamp = (SystemTime, u64, u64);

fn stamp(path: &Path) -> Option<Stamp> {
    let m = fs::metadata(path).ok()?;
    #[cfg(unix)]
    let inode = std::os::unix::fs::MetadataExt::ino(&m);
    #[cfg(not(unix))]
    let inode = 0;
    Some((m.modified().ok()?, m.len(), inode))
}

impl FileStore {
    /// Load `path` (it must exist and be a key file).
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the file is missing, unreadable or not a key file.
    pub fn open(path: impl Into<PathBuf>) -> Result<FileStore, StoreError> {
        let path = path.into();
        let loaded = stamp(&path);
        let file = KeyFile::load(&path)?;
        Ok(FileStore {
            index: Arc::new(ArcSwap::from_pointee(index_of(file.keys, None))),
            problem: Arc::new(ArcSwapOption::empty()),
            path,
            loaded,
        })
    }

    /// Poll the file every `interval` on a background thread and reload it when it
    /// changes. The thread ends when the store is dropped.
    pub fn watch(self, interval: Duration) -> Self {
        let weak: Weak<ArcSwap<Index>> = Arc::downgrade(&self.index);
        let path = self.path.clone();
        let loaded = self.loaded;
        let problem = self.problem.clone();
        let spawned = std::thread::Builder::new()
            .name("auth-keys-watch".into())
            .spawn(move || watch_loop(path, weak, &problem, interval, loaded));
        if let Err(e) = spawned {
            tracing::warn!(error = %e, "cannot start the key file watcher; changes need a restart");
        }
        self
    }

    /// Reload the file now.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the file is unreadable or not a key file; the last good keys
    /// stay in force.
    pub fn reload(&self) -> Result<(), StoreError> {
        // (The watcher notices the new stamp and reloads once more: harmless.)
        let result = reload(&self.path, &self.index);
        report(&self.path, &self.problem, &result);
        result
    }

    /// The path served.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The records currently served.
    pub fn records(&self) -> Vec<ApiKeyRecord> {
        self.index
            .load()
            .values()
            .map(|s| s.record().clone())
            .collect()
    }
}

fn reload(path: &Path, index: &ArcSwap<Index>) -> Result<(), StoreError> {
    let file = KeyFile::load(path)?;
    let current = index.load();
    index.store(Arc::new(index_of(file.keys, Some(&current))));
    Ok(())
}

/// Record the outcome of a reload in `problem`, logging the start (at error level: a
/// revocation may not be in force) and the end of each incident once.
fn report(path: &Path, problem: &ArcSwapOption<String>, result: &Result<(), StoreError>) {
    match result {
        Ok(()) => {
            if problem.swap(None).is_some() {
                tracing::info!(path = %path.display(), "key file readable again; its keys are in force");
            }
            tracing::debug!(path = %path.display(), "key file reloaded");
        }
        Err(e) => {
            let text = format!(
                "the key file changed but cannot be read ({e}); the last good keys stay in \
                 force, and changes made since (revocations too) are not"
            );
            if problem.swap(Some(Arc::new(text.clone()))).is_none() {
                tracing::error!(path = %path.display(), "{text}");
            }
        }
    }
}

fn watch_loop(
    path: PathBuf,
    index: Weak<ArcSwap<Index>>,
    problem: &ArcSwapOption<String>,
    interval: Duration,
    loaded: Option<Stamp>,
) {
    let mut last = loaded;
    loop {
        std::thread::sleep(interval);
        let Some(index) = index.upgrade() else {
            return;
        };
        let now = stamp(&path);
        if now == last && problem.load().is_none() {
            continue;
        }
        last = now;
        report(&path, problem, &reload(&path, &index));
    }
}

#[async_trait::async_trait]
impl ApiKeyStore for FileStore {
    async fn find(&self, hash: &KeyHash) -> Result<Option<Arc<StoredKey>>, StoreError> {
        Ok(self.index.load().get(hash).cloned())
    }

    fn find_now(&self, hash: &KeyHash) -> Option<Result<Option<Arc<StoredKey>>, StoreError>> {
        Some(Ok(self.index.load().get(hash).cloned()))
    }

    fn problem(&self) -> Option<String> {
        self.problem.load().as_deref().cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        apikey::{ApiKeySecret, KeyHasher},
        scope::Scopes,
    };

    fn record(key: &ApiKeySecret, id: &str) -> ApiKeyRecord {
        ApiKeyRecord {
            id: id.into(),
            name: "svc".into(),
            prefix: key.prefix().into(),
            start: key.start().into(),
            hash: KeyHasher::sha256().hash(key),
            scopes: Scopes::new(["a"]).unwrap_or_default(),
            created: 1,
            expires: None,
            revoked: None,
        }
    }

    #[test]
    fn save_then_load_round_trips_and_leaves_no_temporary_file()
    -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("keys.json");
        let key = ApiKeySecret::generate("t")?;
        let file = KeyFile {
            version: 1,
            keys: vec![record(&key, "k_1")],
        };
        file.save(&path)?;
        assert_eq!(KeyFile::load(&path)?, file);
        let names: Vec<_> = fs::read_dir(dir.path())?.collect();
        assert_eq!(names.len(), 1);
        let text = fs::read_to_string(&path)?;
        assert!(!text.contains(key.expose_secret()));
        Ok(())
    }

    #[test]
    fn a_crash_before_the_rename_leaves_the_old_file_intact()
    -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("keys.json");
        let key = ApiKeySecret::generate("t")?;
        let old = KeyFile {
            version: 1,
            keys: vec![record(&key, "k_old")],
        };
        old.save(&path)?;
        // What a crash mid-write leaves behind: a partial temporary file, no rename.
        fs::write(
            dir.path().join(".keys.json.w_crash.tmp"),
            b"{\"version\":1,\"ke",
        )?;
        assert_eq!(KeyFile::load(&path)?, old);
        // The next save still succeeds.
        let new = KeyFile::new();
        new.save(&path)?;
        assert_eq!(KeyFile::load(&path)?, new);
        Ok(())
    }

    #[test]
    fn readers_never_see_a_torn_file() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("keys.json");
        let keys: Vec<ApiKeySecret> = (0..50)
            .map(|_| ApiKeySecret::generate("t"))
            .collect::<Result<_, _>>()?;
        KeyFile::new().save(&path)?;
        let reader_path = path.clone();
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let stop2 = stop.clone();
        let reader = std::thread::spawn(move || {
            let mut reads = 0;
            while !stop2.load(std::sync::atomic::Ordering::Relaxed) {
                KeyFile::load(&reader_path).map_err(|e| e.to_string())?;
                reads += 1;
            }
            Ok::<_, String>(reads)
        });
        for (i, key) in keys.iter().enumerate() {
            let file = KeyFile {
                version: 1,
                keys: keys[..=i].iter().map(|k| record(k, "k")).collect(),
            };
            file.save(&path)?;
            let _ = key;
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let reads = reader.join().map_err(|_| "reader panicked")??;
        assert!(reads > 0);
        Ok(())
    }

    #[test]
    fn watched_store_picks_up_a_revocation() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("keys.json");
        let key = ApiKeySecret::generate("t")?;
        let mut file = KeyFile {
            version: 1,
            keys: vec![record(&key, "k_1")],
        };
        file.save(&path)?;
        let store = FileStore::open(&path)?.watch(Duration::from_millis(20));
        let hash = KeyHasher::sha256().hash(&key);
        let rt = tokio::runtime::Builder::new_current_thread().build()?;
        let find = || rt.block_on(store.find(&hash)).map_err(|e| e.to_string());
        assert!(find()?.is_some_and(|s| s.record().revoked.is_none()));
        file.keys[0].revoked = Some(5);
        file.save(&path)?;
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while find()?.is_some_and(|s| s.record().revoked.is_none()) {
            assert!(std::time::Instant::now() < deadline, "revocation not seen");
            std::thread::sleep(Duration::from_millis(10));
        }
        let served = store.records();
        assert_eq!((served.len(), served[0].revoked), (1, Some(5)));
        // A broken file keeps the last good keys.
        fs::write(&path, b"not json")?;
        std::thread::sleep(Duration::from_millis(100));
        assert!(find()?.is_some());
        Ok(())
    }

    /// Review item 2: updates from many threads at once take turns; none is lost.
    #[test]
    fn review_02_concurrent_updates_lose_nothing() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let path = Arc::new(dir.path().join("keys.json"));
        let threads: Vec<_> = (0..8)
            .map(|t| {
                let path = path.clone();
                std::thread::spawn(move || -> Result<(), String> {
                    for i in 0..25 {
                        let key = ApiKeySecret::generate("t").map_err(|e| e.to_string())?;
                        KeyFile::update(&path, |file| {
                            file.keys.push(record(&key, &format!("k_{t}_{i}")));
                            Ok::<_, StoreError>(())
                        })
                        .map_err(|e| e.to_string())?;
                    }
                    Ok(())
                })
            })
            .collect();
        for t in threads {
            t.join().map_err(|_| "a writer panicked")??;
        }
        assert_eq!(KeyFile::load(&path)?.keys.len(), 200);
        // A failed edit writes nothing.
        let failed = KeyFile::update(&path, |file| {
            file.keys.clear();
            Err::<(), _>(StoreError::Unavailable("no".into()))
        });
        assert!(failed.is_err());
        assert_eq!(KeyFile::load(&path)?.keys.len(), 200);
        Ok(())
    }

    /// Review item 3: a save keeps the file's permissions and owner, so a server running as
    /// another user can still read it (and see the revocation).
    #[cfg(unix)]
    #[test]
    fn review_03_save_keeps_the_files_mode_and_owner() -> Result<(), Box<dyn std::error::Error>> {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("keys.json");
        KeyFile::new().save(&path)?;
        assert_eq!(
            fs::metadata(&path)?.mode() & 0o777,
            0o600,
            "a new file is private"
        );
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644))?;
        KeyFile::new().save(&path)?;
        assert_eq!(fs::metadata(&path)?.mode() & 0o777, 0o644);
        if fs::metadata(&path)?.uid() == 0 {
            // As root (CI): the file of another user stays theirs.
            std::os::unix::fs::chown(&path, Some(65534), Some(65534))?;
            fs::set_permissions(&path, fs::Permissions::from_mode(0o640))?;
            KeyFile::update(&path, |f| {
                f.keys.clear();
                Ok::<_, StoreError>(())
            })?;
            let m = fs::metadata(&path)?;
            assert_eq!((m.uid(), m.gid(), m.mode() & 0o777), (65534, 65534, 0o640));
        }
        Ok(())
    }

    /// Review item 3: a change that cannot be read is reported (error log, `problem`) until
    /// the file is readable again.
    #[test]
    fn review_03_an_unreadable_change_is_reported() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("keys.json");
        KeyFile::new().save(&path)?;
        let store = FileStore::open(&path)?.watch(Duration::from_millis(20));
        assert_eq!(store.problem(), None);
        let wait = |want: bool| {
            let deadline = std::time::Instant::now() + Duration::from_secs(5);
            while store.problem().is_some() != want {
                assert!(std::time::Instant::now() < deadline, "problem never {want}");
                std::thread::sleep(Duration::from_millis(10));
            }
        };
        fs::write(&path, b"{\"version\":1,\"keys\":[")?;
        wait(true);
        let problem = store.problem().unwrap_or_default();
        assert!(problem.contains("cannot be read"), "{problem}");
        KeyFile::new().save(&path)?;
        wait(false);
        // `reload` reports too.
        fs::write(&path, b"garbage")?;
        assert!(store.reload().is_err());
        assert!(store.problem().is_some());
        Ok(())
    }
}
