//! The cases every [`RefreshStore`] must pass, whatever keeps its state.

use std::{sync::Arc, time::Duration};

use crate::login::{
    RefreshHash, RefreshRecord, RefreshStore, RotateError, Rotation, SessionGrant, SessionMeta,
};

/// Run the refresh-store conformance cases against `store`: rotation, reuse revoking the
/// family, the grace window (two tabs; only the immediately preceding token; not after the
/// window), expiry and the session's end, logout, concurrent rotations of one token, and a
/// user's sessions (listed, revoked one by one, all at once).
///
/// Every token and family it makes is named after a random run id, so runs against one
/// shared engine never collide; what it leaves behind expires within two minutes. It waits
/// about two seconds (for a one-second grace window to pass).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), String> {
/// use std::sync::Arc;
/// use auth_core::{login::MemoryRefreshStore, test_util::refresh_store_conformance};
/// refresh_store_conformance(Arc::new(MemoryRefreshStore::new())).await
/// # }
/// ```
///
/// # Errors
///
/// The first case the store fails, described.
pub async fn refresh_store_conformance(store: Arc<dyn RefreshStore>) -> Result<(), String> {
    let run = crate::apikey::ApiKeySecret::generate("run")
        .map_err(|e| e.to_string())?
        .start()
        .to_owned();
    let cases = Cases { store, run };
    cases.rotation_and_reuse().await?;
    cases.grace_window().await?;
    cases.expiry_and_session_end().await?;
    cases.logout().await?;
    cases.concurrent_rotations().await?;
    cases.sessions().await?;
    Ok(())
}

struct Cases {
    store: Arc<dyn RefreshStore>,
    run: String,
}

fn check(ok: bool, what: &str) -> Result<(), String> {
    if ok { Ok(()) } else { Err(what.to_owned()) }
}

impl Cases {
    fn token(&self, name: &str) -> RefreshHash {
        RefreshHash::of(&format!("{}-{name}", self.run))
    }

    fn record(&self, family: &str, expires_in: i64) -> RefreshRecord {
        let now = crate::clock::now();
        RefreshRecord::new(
            format!("{}-{family}", self.run),
            SessionGrant::new("user-1").scopes(["read"]),
            now + expires_in,
            now + 120,
        )
    }

    async fn rotate(&self, old: &str, new: &str, grace: i64) -> Result<RefreshRecord, RotateError> {
        let rotation = Rotation {
            new: self.token(new),
            expires: crate::clock::now() + 60,
            grace,
        };
        self.store.rotate(&self.token(old), rotation).await
    }

    async fn insert(&self, token: &str, record: RefreshRecord) -> Result<(), String> {
        self.store
            .insert(self.token(token), record)
            .await
            .map_err(|e| format!("insert: {e}"))
    }

    async fn rotation_and_reuse(&self) -> Result<(), String> {
        self.insert("a0", self.record("fa", 60)).await?;
        let next = self.rotate("a0", "a1", 0).await;
        let next = next.map_err(|e| format!("a fresh token is rotated: {e}"))?;
        check(
            next.family == format!("{}-fa", self.run) && next.generation == 1,
            "the new token joins its family, one generation later",
        )?;
        check(
            next.grant == SessionGrant::new("user-1").scopes(["read"]),
            "the new token keeps the grant",
        )?;
        check(
            self.rotate("a0", "a2", 0).await == Err(RotateError::Reused),
            "a rotated token presented again is reuse",
        )?;
        check(
            self.rotate("a1", "a3", 0).await.is_err(),
            "reuse revokes the whole family, the newest token included",
        )?;
        check(
            self.rotate("never-issued", "a4", 0).await == Err(RotateError::Unknown),
            "an unknown token is unknown",
        )
    }

    async fn grace_window(&self) -> Result<(), String> {
        self.insert("g0", self.record("fg", 60)).await?;
        self.rotate("g0", "g1", 10)
            .await
            .map_err(|e| format!("first rotation: {e}"))?;
        // A second tab presents g0 within the window: a sibling of g1.
        let sibling = self.rotate("g0", "g1b", 10).await;
        check(
            sibling.as_ref().is_ok_and(|r| r.generation == 1),
            "within the grace window the replaced token gets a sibling of its successor",
        )?;
        check(
            self.rotate("g1", "g2", 10).await.is_ok(),
            "both siblings stay valid: the first tab's token rotates",
        )?;
        check(
            self.rotate("g0", "g1c", 10).await == Err(RotateError::Reused),
            "once a later generation exists, an older token is reuse, even within the window",
        )?;
        check(
            self.rotate("g2", "g3", 10).await.is_err(),
            "and that reuse revokes the family",
        )?;

        // Zero disables the window.
        self.insert("z0", self.record("fz", 60)).await?;
        self.rotate("z0", "z1", 0)
            .await
            .map_err(|e| format!("rotation: {e}"))?;
        check(
            self.rotate("z0", "z1b", 0).await == Err(RotateError::Reused),
            "with no grace window a second presentation is reuse",
        )?;

        // After the window, the replaced token is reuse.
        self.insert("w0", self.record("fw", 60)).await?;
        self.rotate("w0", "w1", 1)
            .await
            .map_err(|e| format!("rotation: {e}"))?;
        tokio::time::sleep(Duration::from_millis(2100)).await;
        check(
            self.rotate("w0", "w1b", 1).await == Err(RotateError::Reused),
            "after the grace window the replaced token is reuse",
        )?;
        check(
            self.rotate("w1", "w2", 1).await.is_err(),
            "and revokes the family",
        )
    }

    async fn expiry_and_session_end(&self) -> Result<(), String> {
        self.insert("e0", self.record("fe", -1)).await?;
        check(
            self.rotate("e0", "e1", 0).await.is_err(),
            "an expired token is refused",
        )?;
        let mut ending = self.record("fs", 60);
        ending.session_expires = crate::clock::now() + 30;
        let end = ending.session_expires;
        self.insert("s0", ending).await?;
        let next = self
            .rotate("s0", "s1", 0)
            .await
            .map_err(|e| format!("rotation: {e}"))?;
        check(
            next.expires == end && next.session_expires == end,
            "no rotation carries a token past its session's end",
        )
    }

    async fn logout(&self) -> Result<(), String> {
        self.insert("l0", self.record("fl", 60)).await?;
        self.rotate("l0", "l1", 10)
            .await
            .map_err(|e| format!("rotation: {e}"))?;
        self.store
            .revoke_family(&self.token("l1"))
            .await
            .map_err(|e| format!("revoke: {e}"))?;
        check(
            self.rotate("l1", "l2", 10).await.is_err(),
            "after logout the family's newest token is refused",
        )?;
        check(
            self.rotate("l0", "l2b", 10).await.is_err(),
            "after logout even the grace window gives nothing",
        )?;
        self.store
            .revoke_family(&self.token("never-issued"))
            .await
            .map_err(|e| format!("revoking an unknown token is no error: {e}"))
    }

    /// 50 concurrent rotations of token `old` (a fresh session of family `family`), into
    /// `{old}-{i}`, with `grace`.
    async fn rotate_at_once(
        &self,
        old: &str,
        family: &str,
        grace: i64,
    ) -> Result<Vec<Result<RefreshRecord, RotateError>>, String> {
        self.insert(old, self.record(family, 60)).await?;
        let attempts = (0..50).map(|i| {
            let store = Arc::clone(&self.store);
            let rotation = Rotation {
                new: self.token(&format!("{old}-{i}")),
                expires: crate::clock::now() + 60,
                grace,
            };
            let old = self.token(old);
            async move { store.rotate(&old, rotation).await }
        });
        Ok(futures_util::future::join_all(attempts).await)
    }

    async fn concurrent_rotations(&self) -> Result<(), String> {
        let results = self.rotate_at_once("c0", "fc", 0).await?;
        let winners = results.iter().filter(|r| r.is_ok()).count();
        check(
            winners == 1,
            &format!(
                "of 50 concurrent rotations of one token, exactly one succeeds (got {winners})"
            ),
        )?;

        // Within a grace window, concurrent presentations of one token (many tabs) all get
        // siblings of one generation, and the family stays whole.
        let results = self.rotate_at_once("k0", "fk", 10).await?;
        check(
            results
                .iter()
                .all(|r| r.as_ref().is_ok_and(|r| r.generation == 1)),
            "within the grace window concurrent rotations all get siblings of one generation",
        )?;
        check(
            self.rotate("k0-7", "k2", 10).await.is_ok(),
            "and any sibling rotates on",
        )
    }

    /// A session of `who` (this run's user of that name), signed in `ago` seconds ago.
    fn session(&self, who: &str, family: &str, ago: i64, expires_in: i64) -> RefreshRecord {
        let now = crate::clock::now();
        RefreshRecord::new(
            format!("{}-{family}", self.run),
            SessionGrant::new(format!("{}-{who}", self.run)),
            now + expires_in,
            now + 120,
        )
        .with_meta({
            let mut meta = SessionMeta::new("op", now - ago)
                .client(Some(format!("browser {family}")), Some("127.0.0.1".into()));
            // What a back-channel logout finds the session by, and an RP logout's hint.
            meta.provider_subject = Some(format!("op-{who}"));
            meta.provider_sid = Some(format!("sid-{family}"));
            meta.id_token = Some(format!("id-token-{family}"));
            meta
        })
    }

    async fn listed(&self, who: &str) -> Result<Vec<String>, String> {
        let mut ids: Vec<String> = self
            .store
            .sessions(&format!("{}-{who}", self.run))
            .await
            .map_err(|e| format!("sessions: {e}"))?
            .into_iter()
            .map(|s| {
                s.id.trim_start_matches(&format!("{}-", self.run))
                    .to_owned()
            })
            .collect();
        ids.sort();
        Ok(ids)
    }

    /// The sessions of `subject`, and the one with `id` among them.
    async fn session_of(
        &self,
        subject: &str,
        id: &str,
    ) -> Result<(Vec<crate::login::Session>, crate::login::Session), String> {
        let listed = self
            .store
            .sessions(subject)
            .await
            .map_err(|e| format!("sessions: {e}"))?;
        let found = listed
            .iter()
            .find(|s| s.id == id)
            .cloned()
            .ok_or(format!("{id} is listed"))?;
        Ok((listed, found))
    }

    async fn sessions(&self) -> Result<(), String> {
        let (alice, bob) = (format!("{}-alice", self.run), format!("{}-bob", self.run));
        let id = |f: &str| format!("{}-{f}", self.run);
        self.insert("sa0", self.session("alice", "sa", 30, 60))
            .await?;
        self.insert("sb0", self.session("alice", "sb", 10, 60))
            .await?;
        self.insert("sc0", self.session("bob", "sc", 10, 60))
            .await?;
        self.insert("sx0", self.session("alice", "sx", 10, -1))
            .await?;
        check(
            self.listed("alice").await? == ["sa", "sb"],
            "a user's live sessions are listed, and only theirs (an expired one is not)",
        )?;
        let (_, a) = self.session_of(&alice, &id("sa")).await?;
        check(
            (a.meta.created_at - (crate::clock::now() - 30)).abs() <= 2
                && a.meta.address.as_deref() == Some("127.0.0.1"),
            "what was recorded at sign-in is listed",
        )?;
        check(
            a.meta.provider_subject.as_deref() == Some("op-alice")
                && a.meta.provider_sid.as_deref() == Some("sid-sa")
                && a.meta.id_token.as_deref() == Some("id-token-sa"),
            "the provider's subject, session id and ID token are kept (provider logout)",
        )?;
        check(
            a.meta.user_agent.as_deref() == Some("browser sa")
                && a.meta.provider == "op"
                && a.last_used_at == a.meta.created_at,
            "a session never refreshed was last used at its sign-in",
        )?;
        self.rotate("sa0", "sa1", 10)
            .await
            .map_err(|e| format!("rotation: {e}"))?;
        let (listed, a) = self.session_of(&alice, &id("sa")).await?;
        check(
            listed.len() == 2 && a.last_used_at >= crate::clock::now() - 5,
            "a refresh keeps one entry per session and moves its last use",
        )?;
        let revoke = |who: &str, f: &str| {
            let (who, f) = (who.to_owned(), id(f));
            let store = Arc::clone(&self.store);
            async move {
                store
                    .revoke_session(&who, &f)
                    .await
                    .map_err(|e| format!("revoke_session: {e}"))
            }
        };
        check(
            !revoke(&bob, "sa").await?,
            "nobody revokes another user's session",
        )?;
        check(
            self.listed("alice").await? == ["sa", "sb"],
            "and it stays listed",
        )?;
        check(revoke(&alice, "sa").await?, "a user revokes their session")?;
        check(
            self.rotate("sa1", "sa2", 10).await.is_err()
                && self.rotate("sa0", "sa2b", 10).await.is_err(),
            "a revoked session's tokens are refused, grace window included",
        )?;
        check(
            self.listed("alice").await? == ["sb"],
            "a revoked session is no longer listed",
        )?;
        check(
            !revoke(&alice, "sa").await?,
            "a session already revoked is not found",
        )?;
        self.insert("sd0", self.session("alice", "sd", 5, 60))
            .await?;
        self.rotate("sd0", "sd1", 0)
            .await
            .map_err(|e| format!("rotation: {e}"))?;
        check(
            self.rotate("sd0", "sd2", 0).await == Err(RotateError::Reused),
            "reuse",
        )?;
        check(
            self.listed("alice").await? == ["sb"],
            "a family revoked by reuse is no longer listed",
        )?;
        let ended = self
            .store
            .revoke_subject(&alice)
            .await
            .map_err(|e| format!("revoke_subject: {e}"))?;
        check(
            ended == 1,
            &format!("sign out everywhere ends the live sessions (counted {ended})"),
        )?;
        check(
            self.rotate("sb0", "sb1", 10).await.is_err() && self.listed("alice").await?.is_empty(),
            "after signing out everywhere no session of the user is left",
        )?;
        check(
            self.listed("bob").await? == ["sc"] && self.rotate("sc0", "sc1", 0).await.is_ok(),
            "another user's sessions are untouched",
        )
    }
}
