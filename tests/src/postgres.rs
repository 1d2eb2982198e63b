//! A database of the test's own on the machine's PostgreSQL (127.0.0.1:5432, trust
//! auth): created with `CREATE DATABASE`, dropped when the value is dropped. A missing
//! PostgreSQL fails the test that asks for one; it never skips it.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

/// The machine's PostgreSQL, as the user tests connect with.
pub const SERVER: &str = "postgres://postgres@127.0.0.1:5432";

/// A fresh, empty database; dropped (connections included) with this value.
#[derive(Debug)]
pub struct TestDatabase {
    name: String,
}

async fn admin() -> tokio_postgres::Client {
    let (client, connection) =
        tokio_postgres::connect(&format!("{SERVER}/test"), tokio_postgres::NoTls)
            .await
            .unwrap_or_else(|e| {
                panic!("PostgreSQL at {SERVER}/test is required by this test: {e}")
            });
    tokio::spawn(connection);
    client
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
        format!("{SERVER}/{}", self.name)
    }

    /// Its URL through `addr` (a proxy) instead of the server's own address.
    pub fn url_via(&self, addr: std::net::SocketAddr) -> String {
        format!("postgres://postgres@{addr}/{}", self.name)
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
