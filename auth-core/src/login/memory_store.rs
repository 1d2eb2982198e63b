//! [`MemoryRefreshStore`]: the embedded default, one process, nothing to install.

use std::{
    collections::{HashMap, HashSet},
    sync::Mutex,
};

use super::store::{RefreshHash, RefreshRecord, RefreshStore, RotateError, Rotation, Session};

#[derive(Debug)]
struct Entry {
    record: RefreshRecord,
    /// When it was first rotated.
    used_at: Option<i64>,
}

#[derive(Debug, Default)]
struct Family {
    /// Its tokens, so that revoking one costs O(family), not O(store).
    members: Vec<RefreshHash>,
    /// Its newest generation.
    newest: u64,
    /// When it was last rotated (0: never).
    last_used: i64,
}

#[derive(Debug, Default)]
struct State {
    tokens: HashMap<RefreshHash, Entry>,
    families: HashMap<String, Family>,
    /// Families by subject, for the list of a user's sessions.
    subjects: HashMap<String, HashSet<String>>,
    /// Changes since the last sweep of expired tokens.
    changes: usize,
}

/// Sweep expired tokens once this many changes, or as many as there are tokens, have been
/// made since the last sweep: memory follows the live sessions, and each change costs O(1)
/// amortised.
pub(super) const SWEEP_AFTER: usize = 1024;

impl State {
    fn add(&mut self, hash: RefreshHash, record: RefreshRecord, now: i64) {
        let family = self.families.entry(record.family.clone()).or_default();
        family.members.push(hash);
        family.newest = family.newest.max(record.generation);
        if record.generation > 0 {
            family.last_used = now;
        }
        self.subjects
            .entry(record.grant.subject.clone())
            .or_default()
            .insert(record.family.clone());
        self.tokens.insert(
            hash,
            Entry {
                record,
                used_at: None,
            },
        );
        self.changes += 1;
        if self.changes >= SWEEP_AFTER.max(self.tokens.len()) {
            self.sweep(now);
        }
    }

    /// Forget a family and every token in it.
    fn drop_family(&mut self, family: &str) {
        let mut subject = None;
        for hash in self.families.remove(family).unwrap_or_default().members {
            if let Some(entry) = self.tokens.remove(&hash) {
                subject = Some(entry.record.grant.subject);
            }
        }
        if let Some(subject) = subject {
            self.unlink(&subject, family);
        }
    }

    fn unlink(&mut self, subject: &str, family: &str) {
        if let Some(families) = self.subjects.get_mut(subject) {
            families.remove(family);
            if families.is_empty() {
                self.subjects.remove(subject);
            }
        }
    }

    /// Forget expired tokens, and families left empty.
    fn sweep(&mut self, now: i64) {
        self.tokens.retain(|_, e| e.record.expires > now);
        let tokens = &self.tokens;
        self.families.retain(|_, family| {
            family.members.retain(|h| tokens.contains_key(h));
            !family.members.is_empty()
        });
        let families = &self.families;
        self.subjects.retain(|_, set| {
            set.retain(|f| families.contains_key(f));
            !set.is_empty()
        });
        self.changes = 0;
    }

    /// The session `family` as listed, if it is live: from its newest live token.
    fn session(&self, family: &str, now: i64) -> Option<Session> {
        let f = self.families.get(family)?;
        let newest = f
            .members
            .iter()
            .filter_map(|h| self.tokens.get(h))
            .filter(|e| e.record.expires > now && e.record.session_expires > now)
            .max_by_key(|e| e.record.generation)?;
        Some(Session::new(
            family,
            newest.record.meta.clone(),
            f.last_used,
        ))
    }

    fn owns(&self, subject: &str, family: &str) -> bool {
        self.subjects
            .get(subject)
            .is_some_and(|set| set.contains(family))
    }
}

/// An in-memory [`RefreshStore`]: one process, lost on restart (users sign in again).
///
/// Revoking a family (logout, reuse) forgets its tokens at once; expired tokens are swept
/// as the store changes. Memory follows the live sessions, and no operation scans the
/// whole store except an amortised sweep.
#[derive(Debug, Default)]
pub struct MemoryRefreshStore(Mutex<State>);

impl MemoryRefreshStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// How many tokens are kept (used ones included, until they expire).
    pub fn len(&self) -> usize {
        self.state().tokens.len()
    }

    /// Whether no token is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[async_trait::async_trait]
impl RefreshStore for MemoryRefreshStore {
    async fn insert(&self, hash: RefreshHash, record: RefreshRecord) -> Result<(), RotateError> {
        self.state().add(hash, record, crate::clock::now());
        Ok(())
    }

    async fn rotate(
        &self,
        old: &RefreshHash,
        rotation: Rotation,
    ) -> Result<RefreshRecord, RotateError> {
        let now = crate::clock::now();
        let mut state = self.state();
        let entry = state.tokens.get(old).ok_or(RotateError::Unknown)?;
        if let Some(used_at) = entry.used_at {
            let newest = state
                .families
                .get(&entry.record.family)
                .map_or(0, |f| f.newest);
            if !entry
                .record
                .reuse_allowed(used_at, newest, now, rotation.grace)
            {
                let family = entry.record.family.clone();
                tracing::warn!(
                    "a rotated refresh token was presented again: its family is revoked"
                );
                state.drop_family(&family);
                return Err(RotateError::Reused);
            }
        }
        let record = entry.record.rotated(rotation.expires, now)?;
        if let Some(entry) = state.tokens.get_mut(old) {
            entry.used_at.get_or_insert(now);
        }
        state.add(rotation.new, record.clone(), now);
        Ok(record)
    }

    async fn revoke_family(&self, token: &RefreshHash) -> Result<(), RotateError> {
        let mut state = self.state();
        if let Some(family) = state.tokens.get(token).map(|e| e.record.family.clone()) {
            state.drop_family(&family);
        }
        Ok(())
    }

    async fn sessions(&self, subject: &str) -> Result<Vec<Session>, RotateError> {
        let now = crate::clock::now();
        let state = self.state();
        Ok(state
            .subjects
            .get(subject)
            .into_iter()
            .flatten()
            .filter_map(|family| state.session(family, now))
            .collect())
    }

    async fn revoke_session(&self, subject: &str, id: &str) -> Result<bool, RotateError> {
        let mut state = self.state();
        if !state.owns(subject, id) {
            return Ok(false);
        }
        let live = state.session(id, crate::clock::now()).is_some();
        state.drop_family(id);
        state.unlink(subject, id);
        Ok(live)
    }

    async fn revoke_subject(&self, subject: &str) -> Result<usize, RotateError> {
        let now = crate::clock::now();
        let mut state = self.state();
        let families = state.subjects.remove(subject).unwrap_or_default();
        let live = families
            .iter()
            .filter(|f| state.session(f, now).is_some())
            .count();
        for family in &families {
            state.drop_family(family);
        }
        Ok(live)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::login::SessionGrant;

    fn record(family: &str) -> RefreshRecord {
        RefreshRecord::new(
            family,
            SessionGrant::new("u"),
            crate::clock::now() + 60,
            crate::clock::now() + 3600,
        )
    }

    fn rot(new: RefreshHash, expires: i64) -> Rotation {
        Rotation {
            new,
            expires,
            grace: 0,
        }
    }

    #[tokio::test]
    async fn rotation_reuse_and_logout() -> Result<(), RotateError> {
        let store = MemoryRefreshStore::new();
        let (a, b, c) = (
            RefreshHash::of("a"),
            RefreshHash::of("b"),
            RefreshHash::of("c"),
        );
        let far = crate::clock::now() + 60;
        store.insert(a, record("f")).await?;
        assert_eq!(store.rotate(&a, rot(b, far)).await?.family, "f");
        // a again: reuse; the family (b included) is revoked.
        assert_eq!(
            store.rotate(&a, rot(c, far)).await,
            Err(RotateError::Reused)
        );
        assert!(store.rotate(&b, rot(c, far)).await.is_err());
        assert_eq!(
            store.rotate(&RefreshHash::of("x"), rot(c, far)).await,
            Err(RotateError::Unknown)
        );

        let (d, e) = (RefreshHash::of("d"), RefreshHash::of("e"));
        store.insert(d, record("g")).await?;
        store.revoke_family(&d).await?;
        assert!(store.rotate(&d, rot(e, far)).await.is_err());

        let (x, y) = (RefreshHash::of("old"), RefreshHash::of("y"));
        store
            .insert(
                x,
                RefreshRecord {
                    expires: crate::clock::now() - 1,
                    ..record("h")
                },
            )
            .await?;
        assert!(store.rotate(&x, rot(y, far)).await.is_err());
        Ok(())
    }

    /// Review item 9: a session ends at its absolute lifetime, however often it is
    /// refreshed: no rotation extends a token past the family's end.
    #[tokio::test]
    async fn review_09_refreshing_never_outlives_the_session() -> Result<(), RotateError> {
        let store = MemoryRefreshStore::new();
        let now = crate::clock::now();
        let end = now + 100;
        let first = RefreshRecord {
            session_expires: end,
            ..record("f")
        };
        store.insert(RefreshHash::of("t0"), first).await?;
        let mut old = RefreshHash::of("t0");
        for i in 1..5 {
            let new = RefreshHash::of(&format!("t{i}"));
            // Each refresh asks for 14 more days; the session's end caps it.
            let rotated = store.rotate(&old, rot(new, now + 14 * 86_400)).await?;
            assert_eq!(rotated.expires, end);
            assert_eq!(rotated.session_expires, end);
            old = new;
        }
        // Past the end (an idle device with a stolen token): refused.
        let over = RefreshRecord {
            session_expires: now,
            ..record("g")
        };
        store.insert(RefreshHash::of("late"), over).await?;
        assert_eq!(
            store
                .rotate(
                    &RefreshHash::of("late"),
                    rot(RefreshHash::of("x"), now + 60)
                )
                .await,
            Err(RotateError::Expired)
        );
        Ok(())
    }

    /// Review item 10: memory stays bounded under a stream of sign-ins: logged-out and
    /// reused families are forgotten at once, expired tokens are swept.
    #[tokio::test]
    async fn review_10_memory_follows_the_live_sessions() -> Result<(), RotateError> {
        let store = MemoryRefreshStore::new();
        let now = crate::clock::now();
        for i in 0..20_000 {
            let (a, b) = (
                RefreshHash::of(&format!("a{i}")),
                RefreshHash::of(&format!("b{i}")),
            );
            store.insert(a, record(&format!("f{i}"))).await?;
            match i % 3 {
                // Sign in, then out.
                0 => store.revoke_family(&a).await?,
                // Sign in, refresh, then the old token is reused: the family goes.
                1 => {
                    store.rotate(&a, rot(b, now + 60)).await?;
                    assert_eq!(
                        store.rotate(&a, rot(RefreshHash::of("c"), now + 60)).await,
                        Err(RotateError::Reused)
                    );
                }
                // A session that has expired by now.
                _ => {
                    store
                        .insert(
                            b,
                            RefreshRecord {
                                expires: now - 1,
                                ..record(&format!("g{i}"))
                            },
                        )
                        .await?;
                    store.revoke_family(&a).await?;
                }
            }
        }
        assert!(store.len() <= 1024, "{} tokens", store.len());
        let state = store.state();
        assert!(
            state.families.len() <= SWEEP_AFTER,
            "{} families",
            state.families.len()
        );
        Ok(())
    }
}
