//! The start-up banner: the address, development tokens, ready-to-paste `curl` lines, the
//! sign-in links and where the API keys come from.

use std::net::SocketAddr;

use crate::{Demo, INTROSPECTION_CACHE, KEY_FILE_POLL, KEY_RATE, KeySource};

impl Demo {
    /// The start-up banner, for the address actually bound.
    ///
    /// # Security
    ///
    /// A generated API key is printed here, once; it is never stored in plaintext.
    pub fn banner(&self, program: &str, bound: SocketAddr) -> String {
        let base = self
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{bound}"));
        let mut out = format!("{program} listening on http://{bound}\n");
        if self.secret_generated {
            out.push_str(
                "JWT secret: generated for this run (set DEMO_JWT_SECRET, 32+ bytes, to keep \
                 tokens valid across restarts)\n",
            );
        }
        let user = self.issuer.issue("demo-user", &["read"], &());
        let admin = self.issuer.issue("demo-admin", &["read", "admin"], &());
        match (user, admin) {
            (Ok(user), Ok(admin)) => {
                out.push_str(
                    "\nDevelopment tokens (a convenience for trying the API; valid 15 minutes):\n",
                );
                out.push_str(&format!("  user  (scope read):       {user}\n"));
                out.push_str(&format!("  admin (scope read admin): {admin}\n\n"));
                out.push_str(&format!("  curl -s {base}/health\n"));
                out.push_str(&format!(
                    "  curl -s -H 'Authorization: Bearer {user}' {base}/api/me\n"
                ));
                out.push_str(&format!(
                    "  curl -s -H 'Authorization: Bearer {user}' {base}/api/admin    # 403\n"
                ));
                out.push_str(&format!(
                    "  curl -s -H 'Authorization: Bearer {admin}' {base}/api/admin\n"
                ));
            }
            _ => out.push_str("(could not mint development tokens)\n"),
        }
        if let Some(login) = &self.login {
            for provider in login.providers() {
                out.push_str(&format!(
                    "\nSign in with {provider}: {}?return_to=/api/me\n  (then /api/me works with the session cookie alone)\n",
                    login.login_url(provider)
                ));
            }
        }
        if let Some((issuer, audience)) = &self.oidc {
            out.push_str(&format!(
                "\nAlso accepted on /api/*: access tokens from {issuer} with aud {audience:?} \
                 (keys from its JWKS through discovery, refreshed in the background)\n"
            ));
            if self.validator.introspects() {
                out.push_str(&format!(
                    "  and its opaque access tokens, through introspection (answers kept at most {} s)\n",
                    INTROSPECTION_CACHE.as_secs()
                ));
            }
        }
        if let Some(metadata) = &self.metadata {
            out.push_str(&format!(
                "\nProtected-resource metadata (RFC 9728; named in the challenges on /api/*):\n  curl -s {}\n",
                metadata.url()
            ));
        }
        out.push_str(&format!(
            "\nEach API key: {} requests a minute (429 with Retry-After beyond)",
            KEY_RATE.0
        ));
        match &self.key_source {
            KeySource::File(path) => out.push_str(&format!(
                "\nAPI keys: from {} (reloaded within {} s of a change)\n",
                path.display(),
                KEY_FILE_POLL.as_secs()
            )),
            KeySource::Database => out.push_str(
                "\nAPI keys: from DEMO_DATABASE_URL (PostgreSQL; changes seen within 1 s; \
                 add one with auth-keys new --database-url URL --prefix demo --name NAME --scope stats:read)\n",
            ),
            KeySource::Generated(key) => {
                out.push_str(&format!(
                    "\nAPI key for this run (scope stats:read; shown once, stored only as a hash):\n  {}\n",
                    key.expose_secret()
                ));
                out.push_str(&format!(
                    "  curl -s -H 'X-API-Key: {}' {base}/api/whoami    # a token works too\n",
                    key.expose_secret()
                ));
                out.push_str(&format!(
                    "  curl -s -H 'X-API-Key: {}' {base}/internal/stats\n",
                    key.expose_secret()
                ));
                out.push_str(
                    "  (keys from a file instead: DEMO_API_KEYS_FILE=keys.json, written by auth-keys)\n",
                );
            }
        }
        out.push_str(&format!(
            "\nAnother port: DEMO_ADDR=127.0.0.1:8080. Every variable: {program} --help\n"
        ));
        out
    }
}
