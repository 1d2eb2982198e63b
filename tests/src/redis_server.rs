//! A `redis-server` of a test's own on a free port of 127.0.0.1, persisting every write
//! (append-only file, fsync always), to kill and restart for outage tests. It stops when
//! dropped and removes its folder.

use std::{
    net::{TcpListener, TcpStream},
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

/// A running `redis-server`.
#[derive(Debug)]
pub struct RedisServer {
    child: Option<Child>,
    /// Its port on 127.0.0.1.
    pub port: u16,
    dir: PathBuf,
}

impl RedisServer {
    /// Start one on a free port.
    ///
    /// # Panics
    ///
    /// When `redis-server` is not installed or does not start within 10 s: the tests that
    /// use it fail rather than skip.
    pub fn start() -> RedisServer {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port");
        let dir =
            std::env::temp_dir().join(format!("auth-test-redis-{port}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a folder for redis-server");
        let mut server = RedisServer {
            child: None,
            port,
            dir,
        };
        server.run();
        server
    }

    /// `redis://127.0.0.1:{port}/0`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    fn run(&mut self) {
        let child = Command::new("redis-server")
            .args([
                "--bind",
                "127.0.0.1",
                "--port",
                &self.port.to_string(),
                "--save",
                "",
            ])
            .args(["--appendonly", "yes", "--appendfsync", "always"])
            .arg("--dir")
            .arg(&self.dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server is required by this test (Debian package redis-server)");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "redis-server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Kill it (SIGKILL): what it acknowledged is on disk.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Start it again on the same port, from its files.
    pub fn restart(&mut self) {
        self.kill();
        self.run();
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Delete every key matching `pattern` (such as `my-prefix*`) on the Redis at `url`: what a
/// test or a bench leaves behind.
///
/// # Panics
///
/// When Redis cannot be reached: a test that used it must not pass silently.
pub async fn remove_keys(url: &str, pattern: &str) {
    let client = redis::Client::open(url).expect("a Redis URL");
    let mut connection = client
        .get_multiplexed_async_connection()
        .await
        .expect("Redis for the clean-up");
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(pattern)
        .query_async(&mut connection)
        .await
        .expect("KEYS");
    for chunk in keys.chunks(1000) {
        let _: i64 = redis::cmd("DEL")
            .arg(chunk)
            .query_async(&mut connection)
            .await
            .expect("DEL");
    }
}
