//! A real browser for end-to-end tests: headless Chromium driven through chromedriver
//! (Debian's `chromium` and `chromium-driver`; `.ci/run` installs them), with a fresh
//! profile per session, stopped when dropped. Each step of a test runs through
//! [`Chrome::step`], which saves a screenshot when the step fails (and after every step
//! when `AUTH_SCREENSHOTS` names a folder). Also [`TlsProxy`]: https in front of a plain
//! http server, with a self-signed certificate for `localhost` (the browser is told to
//! accept it), so cookies can be checked as a browser keeps them on https.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::{
    future::Future,
    net::SocketAddr,
    path::PathBuf,
    process::{Child, Command, Stdio},
    sync::atomic::{AtomicUsize, Ordering},
    time::Duration,
};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

/// The browser's binary and its driver (Debian's packages).
pub const CHROMIUM: &str = "/usr/bin/chromium";
/// chromedriver.
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// A headless Chromium session.
pub struct Chrome {
    driver: Child,
    profile: PathBuf,
    /// The WebDriver client.
    pub client: Client,
    /// Where failure screenshots go.
    shots: PathBuf,
    /// Prefixes the screenshots' names.
    name: String,
}

impl std::fmt::Debug for Chrome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Chrome").field("name", &self.name).finish()
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

impl Chrome {
    /// Start chromedriver and open a session; `name` prefixes its screenshots (saved in
    /// `target/browser-screenshots`).
    pub async fn start(name: &str) -> Chrome {
        static N: AtomicUsize = AtomicUsize::new(0);
        for tool in [CHROMIUM, CHROMEDRIVER] {
            assert!(
                std::path::Path::new(tool).exists(),
                "{tool} is missing: apt-get install chromium chromium-driver (.ci/run does)"
            );
        }
        let port = free_port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver");
        let profile = std::env::temp_dir().join(format!(
            "auth-chrome-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let url = format!("http://127.0.0.1:{port}");
        // The flags keep Chromium off the network (this machine's is closed) and quiet.
        let caps = json!({
            "acceptInsecureCerts": true,
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync",
                    "--disable-dev-shm-usage", "--window-size=1000,1150",
                    "--ignore-certificate-errors",
                    format!("--user-data-dir={}", profile.display()),
                ],
            },
        });
        let Value::Object(caps) = caps else {
            unreachable!()
        };
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let mut client = None;
        for _ in 0..100 {
            match ClientBuilder::new(connector.clone())
                .capabilities(caps.clone())
                .connect(&url)
                .await
            {
                Ok(c) => {
                    client = Some(c);
                    break;
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
        let shots = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/browser-screenshots");
        Chrome {
            driver,
            profile,
            client: client.expect("a chromedriver session within 10 s"),
            shots,
            name: name.to_owned(),
        }
    }

    /// Run one step of a test: on failure, save a screenshot named after the step and
    /// panic with what failed; with `AUTH_SCREENSHOTS` set, save one after it succeeds too.
    pub async fn step<T>(&self, step: &str, run: impl Future<Output = Result<T, String>>) -> T {
        let outcome = run.await;
        let file = format!("{}-{step}.png", self.name);
        match outcome {
            Ok(value) => {
                if let Ok(dir) = std::env::var("AUTH_SCREENSHOTS") {
                    self.save(&PathBuf::from(dir), &file).await;
                }
                value
            }
            Err(why) => {
                let path = self.save(&self.shots, &file).await;
                let url = self.client.current_url().await.map(|u| u.to_string());
                panic!(
                    "{}: step {step} failed: {why}\n  at {url:?}\n  screenshot: {path}",
                    self.name
                );
            }
        }
    }

    async fn save(&self, dir: &std::path::Path, file: &str) -> String {
        let _ = std::fs::create_dir_all(dir);
        let path = dir.join(file);
        match self.client.screenshot().await {
            Ok(png) => match std::fs::write(&path, png) {
                Ok(()) => path.display().to_string(),
                Err(e) => format!("not saved: {e}"),
            },
            Err(e) => format!("not taken: {e}"),
        }
    }

    /// Wait (up to 10 s) until the element at `css` is displayed and its text contains
    /// `text`; its text.
    pub async fn wait_text(&self, css: &str, text: &str) -> Result<String, String> {
        let mut last = String::new();
        for _ in 0..100 {
            if let Ok(element) = self.client.find(Locator::Css(css)).await
                && element.is_displayed().await.unwrap_or(false)
            {
                last = element.text().await.unwrap_or_default();
                if last.contains(text) {
                    return Ok(last);
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err(format!("{css} did not show {text:?} (last: {last:?})"))
    }

    /// Wait (up to 10 s) until `count` elements match `css`.
    pub async fn wait_count(&self, css: &str, count: usize) -> Result<(), String> {
        let mut seen = 0;
        for _ in 0..100 {
            seen = self
                .client
                .find_all(Locator::Css(css))
                .await
                .map_or(0, |e| e.len());
            if seen == count {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err(format!("{count} × {css} expected, {seen} found"))
    }

    /// Click the element at `css`.
    pub async fn click(&self, css: &str) -> Result<(), String> {
        let element = self
            .client
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css(css))
            .await
            .map_err(|e| format!("no {css}: {e}"))?;
        element
            .click()
            .await
            .map_err(|e| format!("click {css}: {e}"))
    }

    /// Open `url`.
    pub async fn goto(&self, url: &str) -> Result<(), String> {
        self.client
            .goto(url)
            .await
            .map_err(|e| format!("goto {url}: {e}"))
    }

    /// Wait (up to 10 s) until the page's URL starts with `prefix`.
    pub async fn wait_url(&self, prefix: &str) -> Result<(), String> {
        let mut last = String::new();
        for _ in 0..100 {
            last = self
                .client
                .current_url()
                .await
                .map(|u| u.to_string())
                .unwrap_or_default();
            if last.starts_with(prefix) {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err(format!("still at {last}, not {prefix}…"))
    }

    /// Go through the provider's development login (as `user`, any password) and its
    /// consent, in the browser, until the page is back at `app` (a URL prefix).
    pub async fn provider_sign_in(&self, user: &str, app: &str) -> Result<(), String> {
        for _ in 0..6 {
            tokio::time::sleep(Duration::from_millis(200)).await;
            let url = self.client.current_url().await.map_err(|e| e.to_string())?;
            if url.as_str().starts_with(app) {
                return Ok(());
            }
            if let Ok(login) = self.client.find(Locator::Css("input[name=login]")).await {
                login.send_keys(user).await.map_err(|e| e.to_string())?;
                let password = self
                    .client
                    .find(Locator::Css("input[name=password]"))
                    .await
                    .map_err(|e| e.to_string())?;
                password.send_keys("any").await.map_err(|e| e.to_string())?;
            }
            if let Ok(submit) = self.client.find(Locator::Css("button[type=submit]")).await {
                submit.click().await.map_err(|e| e.to_string())?;
            }
        }
        self.wait_url(app).await
    }

    /// The cookies the browser holds for the current page's site, as WebDriver reports
    /// them.
    pub async fn cookies(&self) -> Result<Vec<cookie_view::CookieView>, String> {
        let all = self
            .client
            .get_all_cookies()
            .await
            .map_err(|e| e.to_string())?;
        Ok(all
            .iter()
            .map(|c| cookie_view::CookieView {
                name: c.name().to_owned(),
                http_only: c.http_only().unwrap_or(false),
                secure: c.secure().unwrap_or(false),
                same_site: c.same_site().map(|s| s.to_string()),
                path: c.path().map(str::to_owned),
                domain: c.domain().map(str::to_owned),
            })
            .collect())
    }

    /// End the session, then the browser (dropping it).
    pub async fn close(self) {
        let _ = self.client.clone().close().await;
    }
}

impl Drop for Chrome {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// What the browser says of a cookie.
pub mod cookie_view {
    /// One cookie, as the browser keeps it.
    #[derive(Debug, Clone)]
    pub struct CookieView {
        /// Its name (with any `__Host-` prefix).
        pub name: String,
        /// `HttpOnly`.
        pub http_only: bool,
        /// `Secure`.
        pub secure: bool,
        /// `SameSite` (`Lax`, `Strict`, `None`).
        pub same_site: Option<String>,
        /// `Path`.
        pub path: Option<String>,
        /// `Domain`, as the browser reports it.
        pub domain: Option<String>,
    }
}

/// https on a free loopback port in front of `target` (plain http), with a self-signed
/// certificate for `localhost`; stops when dropped.
#[derive(Debug)]
pub struct TlsProxy {
    /// The port it listens on (browse to `https://localhost:{port}`).
    pub port: u16,
    task: tokio::task::JoinHandle<()>,
}

impl TlsProxy {
    /// Listen on `port` (127.0.0.1) and forward each connection's plaintext to `target`.
    pub async fn start(port: u16, target: SocketAddr) -> TlsProxy {
        use tokio_rustls::rustls;
        let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()])
            .expect("a certificate");
        let key = rustls::pki_types::PrivateKeyDer::Pkcs8(cert.key_pair.serialize_der().into());
        let provider = std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_no_client_auth()
            .with_single_cert(vec![cert.cert.der().clone()], key)
            .expect("TLS config");
        let acceptor = tokio_rustls::TlsAcceptor::from(std::sync::Arc::new(config));
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .expect("bind the TLS port");
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let Ok(mut tls) = acceptor.accept(stream).await else {
                        return;
                    };
                    let Ok(mut plain) = tokio::net::TcpStream::connect(target).await else {
                        return;
                    };
                    let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
                });
            }
        });
        TlsProxy { port, task }
    }
}

impl Drop for TlsProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}
