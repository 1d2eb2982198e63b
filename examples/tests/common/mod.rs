//! What the demo tests share: a demo binary started on loopback (killed when dropped), the
//! OpenID provider with its callbacks registered, and a request helper.

#![allow(dead_code, clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::{
    io::{BufRead, BufReader},
    process::{Child, Command, Stdio},
    time::Duration,
};

use serde_json::Value;

/// The HS256 secret the demos are started with.
pub(crate) const SECRET: &str = "smoke-test-secret-for-the-demo-0123456789";

/// A running demo, killed when dropped.
pub(crate) struct Server {
    pub(crate) child: Child,
    pub(crate) base: String,
    pub(crate) banner: Vec<String>,
    /// What it wrote to stderr so far (also passed on to the test's stderr).
    pub(crate) stderr: std::sync::Arc<std::sync::Mutex<String>>,
}

impl Server {
    /// The API key the demo generated for this run, from its banner.
    pub(crate) fn generated_key(&self) -> String {
        self.banner
            .iter()
            .skip_while(|l| !l.starts_with("API key for this run"))
            .nth(1)
            .map(|l| l.trim().to_owned())
            .expect("a generated key in the banner")
    }

    pub(crate) fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn start(bin: &str) -> Server {
    start_with(bin, &[])
}

pub(crate) fn start_with(bin: &str, env: &[(&str, &str)]) -> Server {
    let mut command = Command::new(bin);
    command
        .env("DEMO_ADDR", "127.0.0.1:0")
        .env("DEMO_JWT_SECRET", SECRET)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        command.env(k, v);
    }
    let mut child = command.spawn().expect("spawn demo");
    let stderr = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let errors = BufReader::new(child.stderr.take().expect("stderr"));
    let sink = stderr.clone();
    std::thread::spawn(move || {
        for line in errors.lines().map_while(Result::ok) {
            eprintln!("{line}");
            let mut all = sink.lock().unwrap();
            all.push_str(&line);
            all.push('\n');
        }
    });
    let stdout = child.stdout.take().expect("stdout");
    let mut reader = BufReader::new(stdout);
    // The banner is one write: read it up to its last line (the API-key lines).
    let mut banner = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).expect("banner") == 0 {
            break;
        }
        let done = line.contains("/internal/stats") || line.starts_with("API keys: from");
        banner.push(line);
        if done {
            break;
        }
    }
    // Keep draining the pipe so the server never writes to a closed one.
    std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
    let base = banner
        .first()
        .and_then(|l| l.split_whitespace().find(|w| w.starts_with("http://")))
        .unwrap_or_else(|| panic!("no address in banner {banner:?}"))
        .to_owned();
    Server {
        child,
        base,
        banner,
        stderr,
    }
}

#[derive(Debug, PartialEq)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) challenge: Option<String>,
    pub(crate) body: Value,
}

pub(crate) async fn get(client: &reqwest::Client, url: &str, headers: &[(&str, &str)]) -> Answer {
    let mut req = client.get(url);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = req.send().await.expect("request");
    let status = resp.status().as_u16();
    // A challenge names the demo's own metadata URL, which holds its port: written as
    // `{base}` so the two demos' answers compare equal.
    let origin = url.splitn(4, '/').take(3).collect::<Vec<_>>().join("/");
    let challenge = resp
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().replace(&origin, "{base}"));
    let text = resp.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    Answer {
        status,
        challenge,
        body,
    }
}

/// Two free ports, their base URLs, and the OpenID provider with both callbacks registered.
pub(crate) fn provider_for_two() -> ([u16; 2], [String; 2], auth_tests::oidc::OidcProvider) {
    let ports = [free_port(), free_port()];
    let bases = ports.map(|p| format!("http://127.0.0.1:{p}"));
    let provider = auth_tests::oidc::OidcProvider::start_with_redirects(
        &bases.clone().map(|b| format!("{b}/auth/oidc/callback")),
    );
    (ports, bases, provider)
}

/// A browser signed in as `user` (the provider's login and consent) on the demo at `base`,
/// and the callback's answer.
pub(crate) async fn sign_in_at(
    base: &str,
    user: &str,
) -> (auth_tests::browser::Browser, auth_tests::browser::Page) {
    let browser = auth_tests::browser::Browser::new();
    let (_, back) = browser
        .authorize(
            &format!("{base}/auth/oidc/login?return_to=/api/me"),
            user,
            &format!("{base}/auth/oidc/callback"),
        )
        .await;
    let page = browser.callback(&back).await;
    (browser, page)
}

/// `bin` on 127.0.0.1:`port` with sign-in through `provider`, plus `env`.
pub(crate) fn start_signing_in(
    bin: &str,
    port: u16,
    provider: &auth_tests::oidc::OidcProvider,
    env: &[(&str, &str)],
) -> Server {
    use auth_tests::oidc::{SIGNIN_CLIENT_ID, SIGNIN_CLIENT_SECRET};
    let addr = format!("127.0.0.1:{port}");
    let mut all = vec![
        ("DEMO_ADDR", addr.as_str()),
        ("DEMO_OIDC_ISSUER", provider.issuer.as_str()),
        ("DEMO_OIDC_CLIENT_ID", SIGNIN_CLIENT_ID),
        ("DEMO_OIDC_CLIENT_SECRET", SIGNIN_CLIENT_SECRET),
    ];
    all.extend_from_slice(env);
    start_with(bin, &all)
}

/// axum-demo and actix-demo on `ports` as two instances of one app: the same secret and
/// provider (signing in through `provider`), plus `env`.
pub(crate) fn start_pair(
    ports: [u16; 2],
    provider: &auth_tests::oidc::OidcProvider,
    env: &[(&str, &str)],
) -> Vec<Server> {
    let mut all = vec![(
        "DEMO_JWT_SECRET",
        "a shared 32-byte secret for both instances",
    )];
    all.extend_from_slice(env);
    [
        env!("CARGO_BIN_EXE_axum-demo"),
        env!("CARGO_BIN_EXE_actix-demo"),
    ]
    .into_iter()
    .zip(ports)
    .map(|(bin, port)| start_signing_in(bin, port, provider, &all))
    .collect()
}

/// How long until the demo at every one of `bases` answers `status` to `key` on
/// `/internal/stats` (polled every 20 ms, giving up after 3 s).
pub(crate) async fn until_key_status(
    client: &reqwest::Client,
    bases: &[&str],
    key: &str,
    status: u16,
) -> Duration {
    let started = std::time::Instant::now();
    for base in bases {
        let url = format!("{base}/internal/stats");
        while get(client, &url, &[("x-api-key", key)]).await.status != status
            && started.elapsed() < Duration::from_secs(3)
        {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    started.elapsed()
}

/// A port free at the time of asking (the demo binds it a moment later).
pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// `auth-keys` with `args`, in-process; what it printed.
pub(crate) fn cli(args: &[&str]) -> String {
    use clap::Parser;
    let mut out = Vec::new();
    let cli =
        auth_cli::Cli::try_parse_from(std::iter::once("auth-keys").chain(args.iter().copied()))
            .expect("arguments");
    auth_cli::run(cli, &mut out).expect("auth-keys");
    String::from_utf8(out).expect("utf-8").trim().to_owned()
}

/// A new key named `name` with `scopes` (prefix `demo`) in the key file `store`.
pub(crate) fn new_key(store: &str, name: &str, scopes: &[&str]) -> String {
    let mut args = vec!["new", "--store", store, "--prefix", "demo", "--name", name];
    for scope in scopes {
        args.extend(["--scope", scope]);
    }
    cli(&args)
}

/// A key store file in a fresh folder (kept while the `TempDir` lives).
pub(crate) fn key_store() -> (tempfile::TempDir, std::path::PathBuf, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = dir.path().join("keys.json");
    let store_s = store.to_str().expect("path").to_owned();
    (dir, store, store_s)
}
