//! A database of the test's own on the machine's PostgreSQL (127.0.0.1:5432, trust
//! auth): created with `CREATE DATABASE`, dropped when the value is dropped. A missing
//! PostgreSQL fails the test that asks for one; it never skips it.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::sync::OnceLock;

/// The machine's PostgreSQL.
pub const ADDRESS: &str = "127.0.0.1:5432";

/// The user tests connect as: `$PGUSER`, else `postgres`, else `root` (trust auth), the
/// first that the server accepts.
static USER: OnceLock<String> = OnceLock::new();

fn server(user: &str) -> String {
    format!("postgres://{user}@{ADDRESS}")
}

/// A fresh, empty database; dropped (connections included) with this value.
#[derive(Debug)]
pub struct TestDatabase {
    name: String,
}

async fn admin() -> tokio_postgres::Client {
    let candidates: Vec<String> = match USER.get() {
        Some(user) => vec![user.clone()],
        None => std::env::var("PGUSER")
            .into_iter()
            .chain(["postgres".to_owned(), "root".to_owned()])
            .collect(),
    };
    let mut last = None;
    for user in candidates {
        match tokio_postgres::connect(&format!("{}/test", server(&user)), tokio_postgres::NoTls)
            .await
        {
            Ok((client, connection)) => {
                tokio::spawn(connection);
                let _ = USER.set(user);
                return client;
            }
            Err(e) => last = Some(e),
        }
    }
    panic!("PostgreSQL at {ADDRESS} (database test) is required by this test: {last:?}")
}

fn user() -> &'static str {
    USER.get().map_or("postgres", String::as_str)
}

impl TestDatabase {
    /// Create a database named after this process and the time.
    pub async fn create() -> TestDatabase {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let name = format!("auth_test_{}_{nanos}", std::process::id());
        admin()
            .await
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .expect("CREATE DATABASE");
        TestDatabase { name }
    }

    /// Its URL.
    pub fn url(&self) -> String {
        format!("{}/{}", server(user()), self.name)
    }

    /// Its URL through `addr` (a proxy) instead of the server's own address.
    pub fn url_via(&self, addr: std::net::SocketAddr) -> String {
        format!("postgres://{}@{addr}/{}", user(), self.name)
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let name = self.name.clone();
        // Drop may run inside a runtime: a thread with a runtime of its own does the work.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                let _ = admin()
                    .await
                    .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .await;
            });
        })
        .join();
    }
}
