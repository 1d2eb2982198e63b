//! A bounded load on one demo binary: mixed traffic from a few workers on 127.0.0.1 for a
//! fixed time, the process's resident memory sampled at a fixed interval, every status
//! counted and every log line kept. Used by the soak smoke test (seconds, debug build) and
//! by `cargo run --release -p auth-benches --bin soak` (ten minutes, release build, the
//! curve in BENCHMARKS.md).

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::{
    collections::BTreeMap,
    io::{BufRead, BufReader},
    path::Path,
    process::{Child, Command, Stdio},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use auth_core::{
    apikey::{KeyFile, KeyHasher, mint},
    jwt::{Algorithm, JwtIssuer, SigningKey},
};

use crate::{
    browser::{Browser, cookie_value},
    oidc::{OidcProvider, SIGNIN_CLIENT_ID, SIGNIN_CLIENT_SECRET},
};

const SECRET: &str = "a soak-test secret of 32 bytes or more";

/// What a soak saw.
#[derive(Debug, Default, Clone)]
pub struct Report {
    /// Requests by kind and status.
    pub statuses: BTreeMap<(String, u16), u64>,
    /// `(seconds since start, resident set in KiB)`, one per sample.
    pub rss: Vec<(u64, u64)>,
    /// Log lines at ERROR level.
    pub errors: Vec<String>,
    /// Requests sent.
    pub requests: u64,
}

impl Report {
    /// Requests answered 5xx (or not answered).
    pub fn failures(&self) -> u64 {
        self.statuses
            .iter()
            .filter(|((_, s), _)| *s >= 500 || *s == 0)
            .map(|(_, n)| n)
            .sum()
    }

    /// Growth of the resident set after the first `warm_up`: the largest sample after it
    /// over the first sample at or after it (1.0: flat).
    pub fn growth_after(&self, warm_up: u64) -> f64 {
        let after: Vec<u64> = self
            .rss
            .iter()
            .filter(|(t, _)| *t >= warm_up)
            .map(|(_, r)| *r)
            .collect();
        match (after.first(), after.iter().max()) {
            (Some(&first), Some(&max)) if first > 0 => max as f64 / first as f64,
            _ => 1.0,
        }
    }

    /// The samples as CSV (`seconds,rss_kib`).
    pub fn csv(&self) -> String {
        let mut out = String::from("seconds,rss_kib\n");
        for (t, r) in &self.rss {
            out.push_str(&format!("{t},{r}\n"));
        }
        out
    }
}

struct Demo {
    child: Child,
    base: String,
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}

/// Run `bin` (axum-demo or actix-demo) under load for `duration`, sampling memory every
/// `every`, with `workers` concurrent clients. Starts its own OpenID provider and key file;
/// stops the demo at the end.
pub async fn run(bin: &Path, duration: Duration, every: Duration, workers: usize) -> Report {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port();
    let base = format!("http://127.0.0.1:{port}");
    let provider = OidcProvider::start_with_redirects(&[format!("{base}/auth/oidc/callback")]);
    let dir = std::env::temp_dir().join(format!("auth-soak-{}-{port}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let keys = dir.join("keys.json");
    let now = auth_core::clock::now();
    let (good, good_record) = mint(
        &KeyHasher::sha256(),
        "demo",
        "soak",
        ["stats:read"],
        now,
        None,
    )
    .unwrap();
    let (revoked, mut revoked_record) = mint(
        &KeyHasher::sha256(),
        "demo",
        "revoked",
        ["stats:read"],
        now,
        None,
    )
    .unwrap();
    revoked_record.revoked = Some(now);
    let mut file = KeyFile::new();
    file.keys.push(good_record);
    file.keys.push(revoked_record);
    file.save(&keys).unwrap();

    let mut child = Command::new(bin)
        .env("DEMO_ADDR", format!("127.0.0.1:{port}"))
        .env("DEMO_JWT_SECRET", SECRET)
        .env("DEMO_API_KEYS_FILE", &keys)
        .env("DEMO_OIDC_ISSUER", &provider.issuer)
        .env("DEMO_OIDC_CLIENT_ID", SIGNIN_CLIENT_ID)
        .env("DEMO_OIDC_CLIENT_SECRET", SIGNIN_CLIENT_SECRET)
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the demo");
    let errors = Arc::new(Mutex::new(Vec::new()));
    let stderr = BufReader::new(child.stderr.take().unwrap());
    let sink = errors.clone();
    std::thread::spawn(move || {
        for line in stderr.lines().map_while(Result::ok) {
            if line.contains("ERROR") {
                sink.lock().unwrap().push(line);
            }
        }
    });
    let demo = Demo { child, base };
    let client = reqwest::Client::new();
    let started = Instant::now();
    while client
        .get(format!("{}/health", demo.base))
        .send()
        .await
        .is_err()
    {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the demo did not start"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // One real sign-in: its refresh token is rotated for the whole run.
    let browser = Browser::new();
    let (_, back) = browser
        .authorize(
            &format!("{}/auth/oidc/login?return_to=/api/me", demo.base),
            "soak",
            &format!("{}/auth/oidc/callback", demo.base),
        )
        .await;
    let signed_in = browser.callback(&back).await;
    let refresh = cookie_value(&signed_in.set_cookies, "auth-refresh").expect("a session");

    let issuer = JwtIssuer::new(
        SigningKey::hmac(Algorithm::HS256, SECRET.as_bytes()).unwrap(),
        "auth-demo",
        "auth-demo",
    );
    let forged = JwtIssuer::new(
        SigningKey::hmac(Algorithm::HS256, b"another secret of 32 bytes or more!!").unwrap(),
        "auth-demo",
        "auth-demo",
    );
    let report = Arc::new(Mutex::new(Report::default()));
    let deadline = Instant::now() + duration;
    let mut tasks = Vec::new();
    for w in 0..workers {
        let (client, base, report) = (client.clone(), demo.base.clone(), report.clone());
        let good_token = issuer.issue("soak-user", &["read"], &()).unwrap();
        let bad_token = forged.issue("soak-user", &["read"], &()).unwrap();
        let (good, revoked) = (
            good.expose_secret().to_owned(),
            revoked.expose_secret().to_owned(),
        );
        let mut refresh = (w == 0).then(|| refresh.clone());
        tasks.push(tokio::spawn(async move {
            let mut i = 0u64;
            while Instant::now() < deadline {
                i += 1;
                let (kind, request) = match i % 9 {
                    0 => (
                        "jwt valid",
                        client
                            .get(format!("{base}/api/me"))
                            .bearer_auth(&good_token),
                    ),
                    1 => (
                        "jwt forged",
                        client.get(format!("{base}/api/me")).bearer_auth(&bad_token),
                    ),
                    2 => (
                        "jwt malformed",
                        client.get(format!("{base}/api/me")).bearer_auth("a.b"),
                    ),
                    3 => (
                        "key valid",
                        client
                            .get(format!("{base}/internal/stats"))
                            .header("x-api-key", &good),
                    ),
                    4 => (
                        "key revoked",
                        client
                            .get(format!("{base}/internal/stats"))
                            .header("x-api-key", &revoked),
                    ),
                    5 => (
                        "key malformed",
                        client
                            .get(format!("{base}/internal/stats"))
                            .header("x-api-key", "demo_nope"),
                    ),
                    6 => (
                        "callback bad state",
                        client.get(format!("{base}/auth/oidc/callback?code=c&state=s{i}")),
                    ),
                    7 => match &refresh {
                        Some(token) => (
                            "refresh",
                            client
                                .post(format!("{base}/auth/refresh"))
                                .header("cookie", format!("auth-refresh={token}")),
                        ),
                        None => ("health", client.get(format!("{base}/health"))),
                    },
                    _ => ("health", client.get(format!("{base}/health"))),
                };
                let response = request.send().await;
                let status = response.as_ref().map_or(0, |r| r.status().as_u16());
                if kind == "refresh"
                    && let Ok(r) = &response
                {
                    let cookies: Vec<String> = r
                        .headers()
                        .get_all("set-cookie")
                        .iter()
                        .filter_map(|v| v.to_str().ok().map(str::to_owned))
                        .collect();
                    if let Some(next) = cookie_value(&cookies, "auth-refresh") {
                        refresh = Some(next);
                    }
                }
                let mut report = report.lock().unwrap();
                report.requests += 1;
                *report
                    .statuses
                    .entry((kind.to_owned(), status))
                    .or_default() += 1;
            }
        }));
    }
    let pid = demo.child.id();
    let started = Instant::now();
    while Instant::now() < deadline {
        let sample = (started.elapsed().as_secs(), rss_kib(pid));
        report.lock().unwrap().rss.push(sample);
        tokio::time::sleep(every.min(deadline.saturating_duration_since(Instant::now()))).await;
    }
    report
        .lock()
        .unwrap()
        .rss
        .push((started.elapsed().as_secs(), rss_kib(pid)));
    for task in tasks {
        task.await.unwrap();
    }
    drop(demo);
    let _ = std::fs::remove_dir_all(&dir);
    let mut out = report.lock().unwrap().clone();
    out.errors = errors.lock().unwrap().clone();
    out
}
