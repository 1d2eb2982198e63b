//! The `auth-keys` binary, run as a user would.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::process::{Command, Output};

use auth_core::apikey::{ApiKeySecret, KeyFile};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_auth-keys"))
        .args(args)
        .output()
        .expect("run auth-keys")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn new_list_rotate_revoke() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("keys.json");
    let s = store.to_str().unwrap();

    let out = run(&[
        "new",
        "--store",
        s,
        "--name",
        "billing",
        "--scope",
        "stats:read",
        "--expires-in",
        "30d",
        "--prefix",
        "acme",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert_eq!(
        stdout.lines().count(),
        1,
        "stdout holds the key alone: {stdout}"
    );
    let key = stdout.trim().to_owned();
    let parsed = ApiKeySecret::parse(&key).expect("a well-formed key");
    assert_eq!(parsed.prefix(), "acme");
    assert!(!text(&out.stderr).contains(&key), "the key is on stderr");
    let file_text = std::fs::read_to_string(&store).unwrap();
    assert!(!file_text.contains(&key), "the key is in the store file");
    let file = KeyFile::load(&store).unwrap();
    let record = &file.keys[0];
    assert_eq!(record.name, "billing");
    assert!(record.expires.is_some());
    assert!(
        record
            .hash
            .ct_eq(&auth_core::apikey::KeyHasher::sha256().hash(&parsed))
    );

    let list = run(&["list", "--store", s]);
    assert!(list.status.success());
    let listed = text(&list.stdout);
    assert!(listed.starts_with(&record.id), "{listed}");
    assert!(!listed.contains(&key[9..]), "list shows the key");
    assert!(
        !listed.contains(&record.hash.to_hex()),
        "list shows the whole hash"
    );

    let rotate = run(&["rotate", "--store", s, &record.id, "--overlap", "7d"]);
    assert!(rotate.status.success(), "{}", text(&rotate.stderr));
    let new_key = text(&rotate.stdout).trim().to_owned();
    assert!(ApiKeySecret::parse(&new_key).is_ok());
    let file = KeyFile::load(&store).unwrap();
    assert_eq!(file.keys.len(), 2);
    let old = &file.keys[0];
    let until = old.expires.unwrap();
    assert!(
        until <= record.created + 7 * 86_400 + 5,
        "the old key outlives the overlap"
    );
    assert_eq!(file.keys[1].scopes, old.scopes);

    let revoke = run(&["revoke", "--store", s, &old.id]);
    assert!(revoke.status.success());
    let file = KeyFile::load(&store).unwrap();
    assert!(file.keys[0].revoked.is_some());
    assert!(file.keys[1].revoked.is_none());
    assert!(text(&run(&["list", "--store", s]).stdout).contains("revoked"));
}

#[test]
fn errors_are_one_clear_line_and_a_failure_status() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("keys.json");
    let s = store.to_str().unwrap();
    for args in [
        vec!["list", "--store", s],
        vec!["revoke", "--store", s, "k_nope"],
        vec![
            "new",
            "--store",
            s,
            "--name",
            "x",
            "--prefix",
            "t",
            "--expires-in",
            "soon",
        ],
        vec!["new", "--store", s, "--name", "x", "--prefix", "Bad Prefix"],
    ] {
        let out = run(&args);
        assert!(!out.status.success(), "{args:?}");
        assert_eq!(
            text(&out.stderr).lines().count(),
            1,
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert!(out.stdout.is_empty());
    }
}

/// Review item 2: commands run at the same time take turns on the store; a revocation is
/// never lost to a concurrent `new` (or to another revocation).
#[test]
fn review_02_concurrent_commands_lose_no_revocation() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("keys.json");
    let s = store.to_str().unwrap();
    const N: usize = 12;
    for i in 0..N {
        let out = run(&[
            "new",
            "--store",
            s,
            "--prefix",
            "t",
            "--name",
            &format!("old-{i}"),
        ]);
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    let ids: Vec<String> = KeyFile::load(&store)
        .unwrap()
        .keys
        .iter()
        .map(|r| r.id.clone())
        .collect();
    // Every revocation races a `new` (and the other revocations).
    let mut children = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        for args in [
            vec!["revoke".to_owned(), "--store".into(), s.into(), id.clone()],
            vec![
                "new".to_owned(),
                "--store".into(),
                s.into(),
                "--prefix".into(),
                "t".into(),
                "--name".into(),
                format!("new-{i}"),
            ],
        ] {
            children.push(
                Command::new(env!("CARGO_BIN_EXE_auth-keys"))
                    .args(&args)
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::null())
                    .spawn()
                    .unwrap(),
            );
        }
    }
    for mut child in children {
        assert!(child.wait().unwrap().success());
    }
    let file = KeyFile::load(&store).unwrap();
    assert_eq!(file.keys.len(), 2 * N, "a new key was lost");
    for id in &ids {
        let record = file.keys.iter().find(|r| &r.id == id).unwrap();
        assert!(record.revoked.is_some(), "the revocation of {id} was lost");
    }
    // No temporary file is left; the lock file stays beside the store.
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, [".keys.json.lock", "keys.json"]);
}

/// A first-hour stumble: a space-separated `--scope` (an OAuth habit), an empty one or one
/// with a quote used to mint a key with no scopes and exit 0. Each is refused now, with one
/// clear line, and nothing is stored.
#[test]
fn invalid_scopes_are_refused_and_nothing_is_minted() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("keys.json");
    let s = store.to_str().unwrap();
    for scope in ["stats:read admin", "", "has\"quote", "back\\slash"] {
        let out = run(&[
            "new", "--store", s, "--prefix", "t", "--name", "x", "--scope", scope,
        ]);
        assert!(!out.status.success(), "{scope:?}");
        let err = text(&out.stderr);
        assert_eq!(err.lines().count(), 1, "{scope:?}: {err}");
        assert!(err.contains("--scope"), "{scope:?}: {err}");
        assert!(out.stdout.is_empty());
    }
    assert!(!store.exists(), "no key was stored");
    // A prefix must be chosen: nothing defaults real deployments to the demo's.
    let out = run(&["new", "--store", s, "--name", "x", "--scope", "a"]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("--prefix"));
}

/// `--database-url`: the same commands on a PostgreSQL database of the test's own (the
/// table created on first use); only hashes are stored; errors are one clear line.
#[tokio::test]
async fn the_same_commands_on_a_database() {
    let db = auth_tests::postgres::TestDatabase::create().await;
    let url = db.url();
    let url = url.as_str();
    let new = run(&[
        "new",
        "--database-url",
        url,
        "--name",
        "billing",
        "--prefix",
        "acme_live",
        "--scope",
        "stats:read",
    ]);
    assert!(new.status.success(), "{}", text(&new.stderr));
    let key = text(&new.stdout).trim().to_owned();
    let key_secret = ApiKeySecret::parse(&key).unwrap();
    let admin = auth_postgres::KeyAdmin::connect(url).await.unwrap();
    let stored = admin.list().await.unwrap();
    assert_eq!(stored.len(), 1);
    let record = stored[0].0.clone();
    assert_eq!(
        record.hash,
        auth_core::apikey::KeyHasher::sha256().hash(&key_secret)
    );
    let list = text(&run(&["list", "--database-url", url]).stdout);
    assert!(
        list.starts_with(&record.id) && list.contains("active"),
        "{list}"
    );
    assert!(!list.contains(&key[12..]), "list shows a key");

    let rotate = run(&[
        "rotate",
        "--database-url",
        url,
        &record.id,
        "--overlap",
        "7d",
    ]);
    assert!(rotate.status.success(), "{}", text(&rotate.stderr));
    let keys = admin.list().await.unwrap();
    assert_eq!(keys.len(), 2);
    assert!(
        keys.iter()
            .any(|(r, _)| r.id == record.id && r.expires.is_some())
    );

    let revoke = run(&["revoke", "--database-url", url, &record.id]);
    assert!(revoke.status.success(), "{}", text(&revoke.stderr));
    assert!(text(&run(&["list", "--database-url", url]).stdout).contains("revoked"));
    let rotate_revoked = run(&[
        "rotate",
        "--database-url",
        url,
        &record.id,
        "--overlap",
        "1d",
    ]);
    assert!(!rotate_revoked.status.success());
    assert_eq!(
        admin.list().await.unwrap().len(),
        2,
        "a refused rotation adds nothing"
    );

    for args in [
        vec!["revoke", "--database-url", url, "k_nope"],
        vec![
            "list",
            "--database-url",
            "postgres://postgres@127.0.0.1:1/none",
        ],
        vec!["list", "--database-url", url, "--store", "keys.json"],
        vec!["list"],
    ] {
        let out = run(&args);
        assert!(!out.status.success(), "{args:?}");
        let err = text(&out.stderr);
        assert!(!err.is_empty() && out.stdout.is_empty(), "{args:?}: {err}");
        if !args.contains(&"--store") && args.len() > 1 {
            assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        }
    }
}
