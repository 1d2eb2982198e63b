//! The real OpenID provider (`oidc-provider` 8.8.1, on Node.js) as a test peer: installed
//! from the committed lockfile on first use, started on 127.0.0.1, stopped when dropped.

use std::{
    io::{BufRead, BufReader, Read},
    path::PathBuf,
    process::{Child, ChildStdin, Command, Stdio},
    sync::OnceLock,
};

/// A running provider.
#[derive(Debug)]
pub struct OidcProvider {
    child: Child,
    /// Held open: the provider exits when its stdin closes.
    _stdin: Option<ChildStdin>,
    /// The issuer URL (`http://127.0.0.1:<port>`).
    pub issuer: String,
}

/// The client whose access tokens the provider issues opaque: id, secret.
pub const OPAQUE_CLIENT: (&str, &str) = ("svc-opaque", "svc-opaque-secret-for-tests-only");

/// The client the provider knows: `client_credentials`, `client_secret_basic`.
pub const CLIENT_ID: &str = "svc";
/// Its secret (a test value).
pub const CLIENT_SECRET: &str = "svc-secret-for-tests-only";
/// The sign-in client: authorization code with PKCE, `client_secret_basic`.
pub const SIGNIN_CLIENT_ID: &str = "app";
/// Its secret (a test value).
pub const SIGNIN_CLIENT_SECRET: &str = "app-secret-for-tests-only";

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("oidc")
}

/// `npm ci` once per test process, when the package is not installed yet.
fn install() {
    static DONE: OnceLock<()> = OnceLock::new();
    DONE.get_or_init(|| {
        let installed = ["oidc-provider", "@seriousme/openapi-schema-validator"]
            .iter()
            .all(|p| {
                dir()
                    .join("node_modules")
                    .join(p)
                    .join("package.json")
                    .exists()
            });
        if installed {
            return;
        }
        let out = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(dir())
            .output()
            .expect("npm: is Node.js installed?");
        assert!(
            out.status.success(),
            "npm ci failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    });
}

impl OidcProvider {
    /// Install if needed, start, and wait until it serves.
    pub fn start() -> OidcProvider {
        Self::start_with_redirects(&[])
    }

    /// [`start`](Self::start), registering `redirect_uris` for the sign-in client.
    pub fn start_with_redirects(redirect_uris: &[String]) -> OidcProvider {
        Self::start_with_logout(redirect_uris, None, &[])
    }

    /// [`start_with_redirects`](Self::start_with_redirects), with the sign-in client's
    /// back-channel logout URI (the provider posts a `logout_token` there when a user's
    /// session at the provider ends; `sid` required) and its allowed
    /// `post_logout_redirect_uris` (RP-initiated logout).
    pub fn start_with_logout(
        redirect_uris: &[String],
        backchannel_logout_uri: Option<&str>,
        post_logout_redirect_uris: &[String],
    ) -> OidcProvider {
        install();
        let mut child = Command::new("node")
            .arg("provider.js")
            .current_dir(dir())
            .env("PORT", "0")
            .env("REDIRECT_URIS", redirect_uris.join(","))
            .env(
                "BACKCHANNEL_LOGOUT_URI",
                backchannel_logout_uri.unwrap_or(""),
            )
            .env(
                "POST_LOGOUT_REDIRECT_URIS",
                post_logout_redirect_uris.join(","),
            )
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("node: is Node.js installed?");
        let stdin = child.stdin.take();
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let mut line = String::new();
        stdout.read_line(&mut line).expect("provider output");
        let Some(issuer) = line.trim().strip_prefix("READY ").map(str::to_owned) else {
            let mut err = String::new();
            if let Some(mut e) = child.stderr.take() {
                let _ = e.read_to_string(&mut err);
            }
            let _ = child.kill();
            panic!("the provider did not start: {line}{err}");
        };
        // Drain its output so it never blocks on a full pipe.
        std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
        if let Some(mut stderr) = child.stderr.take() {
            std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));
        }
        OidcProvider {
            child,
            _stdin: stdin,
            issuer,
        }
    }

    /// An RFC 9068 access token for `resource` (`urn:api:rs256` or `urn:api:es256`) by
    /// the client-credentials grant.
    pub async fn client_credentials_token(&self, resource: &str, scope: &str) -> String {
        self.client_credentials_as((CLIENT_ID, CLIENT_SECRET), resource, scope)
            .await
    }

    /// [`client_credentials_token`](Self::client_credentials_token) as the client
    /// `svc-admin`, whose tokens carry `realm_access.roles` = `["admin"]` (Keycloak's shape),
    /// added by the provider.
    pub async fn role_admin_token(&self, resource: &str, scope: &str) -> String {
        let client = ("svc-admin", "svc-admin-secret-for-tests-only");
        self.client_credentials_as(client, resource, scope).await
    }

    /// An opaque access token for `resource` (client `svc-opaque`: the provider issues it
    /// opaque, for introspection).
    pub async fn opaque_token(&self, resource: &str, scope: &str) -> String {
        self.client_credentials_as(OPAQUE_CLIENT, resource, scope)
            .await
    }

    /// An access token for `resource` by the client-credentials grant, as `client` (id,
    /// secret).
    async fn client_credentials_as(
        &self,
        client: (&str, &str),
        resource: &str,
        scope: &str,
    ) -> String {
        let form = [
            ("grant_type", "client_credentials"),
            ("resource", resource),
            ("scope", scope),
        ];
        self.token(client, &form, "access_token").await
    }

    /// A DPoP-bound access token for `resource` (client `svc`): the token request carries
    /// a proof made with `key`, so the token's `cnf.jkt` is its thumbprint.
    pub async fn dpop_token(
        &self,
        key: &crate::dpop::DpopKey,
        resource: &str,
        scope: &str,
    ) -> String {
        let proof = key.proof("POST", &format!("{}/token", self.issuer), None);
        let form = [
            ("grant_type", "client_credentials"),
            ("resource", resource),
            ("scope", scope),
        ];
        let body = self
            .token_answer((CLIENT_ID, CLIENT_SECRET), &form, Some(&proof))
            .await;
        assert_eq!(body["token_type"], "DPoP", "{body}");
        body["access_token"]
            .as_str()
            .expect("access_token")
            .to_owned()
    }

    /// Revoke `token` at the provider (RFC 7009, as `svc-opaque`, which it was issued to).
    pub async fn revoke(&self, token: &str) {
        let response = reqwest::Client::new()
            .post(format!("{}/token/revocation", self.issuer))
            .basic_auth(OPAQUE_CLIENT.0, Some(OPAQUE_CLIENT.1))
            .form(&[("token", token), ("token_type_hint", "access_token")])
            .send()
            .await
            .expect("revocation request");
        assert_eq!(response.status(), 200, "revocation");
    }

    /// POST `form` to the token endpoint as `client` (id, secret); member `field` of the
    /// answer.
    async fn token(&self, client: (&str, &str), form: &[(&str, &str)], field: &str) -> String {
        let body = self.token_answer(client, form, None).await;
        body[field].as_str().expect(field).to_owned()
    }

    /// The token endpoint's JSON answer to `form`, as `client`, with a `DPoP` proof when
    /// given.
    async fn token_answer(
        &self,
        client: (&str, &str),
        form: &[(&str, &str)],
        dpop: Option<&str>,
    ) -> serde_json::Value {
        let mut request = reqwest::Client::new()
            .post(format!("{}/token", self.issuer))
            .basic_auth(client.0, Some(client.1))
            .form(form);
        if let Some(proof) = dpop {
            request = request.header("dpop", proof);
        }
        let response = request.send().await.expect("token request");
        assert!(
            response.status().is_success(),
            "token endpoint: {}",
            response.status()
        );
        response.json().await.expect("token response")
    }
}

impl OidcProvider {
    /// An ID token for `user`, obtained as the sign-in client `app` would (authorization
    /// code, PKCE S256, a `nonce`) through the provider's development login; the provider
    /// must have been started with `redirect_uri` registered. For tests that present an ID
    /// token where an access token belongs.
    pub async fn id_token(&self, redirect_uri: &str, user: &str) -> String {
        use base64::Engine;
        let verifier = "a-pkce-verifier-for-tests-only-0123456789-abcdefghijklmnop";
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, verifier.as_bytes());
        let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest);
        let mut url = reqwest::Url::parse(&format!("{}/auth", self.issuer)).expect("URL");
        url.query_pairs_mut()
            .append_pair("client_id", SIGNIN_CLIENT_ID)
            .append_pair("response_type", "code")
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("scope", "openid")
            .append_pair("state", "test-state")
            .append_pair("nonce", "test-nonce")
            .append_pair("code_challenge", &challenge)
            .append_pair("code_challenge_method", "S256");
        let browser = crate::browser::Browser::new();
        let first = browser.get(url.as_str()).await;
        let back = browser.interact(first, user, redirect_uri).await;
        let code = back
            .location
            .as_ref()
            .and_then(|l| crate::browser::param(l, "code"))
            .unwrap_or_else(|| panic!("no code: {back:?}"));
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", redirect_uri),
            ("code_verifier", verifier),
        ];
        self.token((SIGNIN_CLIENT_ID, SIGNIN_CLIENT_SECRET), &form, "id_token")
            .await
    }

    /// Add a new RS256 + ES256 key pair in front (new tokens are signed with it), keeping
    /// the old keys published; returns the published key ids, newest first.
    pub async fn rotate_keys(&self) -> Vec<String> {
        self.admin("rotate").await
    }

    /// Withdraw every key but the newest pair; returns the published key ids.
    pub async fn retire_old_keys(&self) -> Vec<String> {
        self.admin("retire").await
    }

    async fn admin(&self, action: &str) -> Vec<String> {
        let response = reqwest::Client::new()
            .post(format!("{}/__test/{action}", self.issuer))
            .send()
            .await
            .expect("provider admin request");
        assert!(
            response.status().is_success(),
            "{action}: {}",
            response.status()
        );
        let body: serde_json::Value = response.json().await.expect("admin response");
        body["kids"]
            .as_array()
            .expect("kids")
            .iter()
            .filter_map(|k| k.as_str().map(str::to_owned))
            .collect()
    }
}

/// The `kid` in a token's header (no verification: for assertions only).
pub fn kid_of(token: &str) -> Option<String> {
    use base64::Engine;
    let header = token.split('.').next()?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(header)
        .ok()?;
    let value: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    value["kid"].as_str().map(str::to_owned)
}

impl Drop for OidcProvider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Validate an OpenAPI document against the specification's JSON Schema (3.1 documents
/// against the 3.1 schema; `@seriousme/openapi-schema-validator`, pinned in the same
/// lockfile as the provider): `Ok("valid 3.1")`, or the schema's errors.
pub fn validate_openapi(document: &str) -> Result<String, String> {
    use std::io::Write;
    install();
    let mut child = Command::new("node")
        .arg("validate-openapi.js")
        .current_dir(dir())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("node: is Node.js installed?");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(document.as_bytes())
        .expect("write the document");
    let out = child.wait_with_output().expect("the validator");
    let text = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    if out.status.success() {
        Ok(text)
    } else {
        Err(format!("{text}{}", String::from_utf8_lossy(&out.stderr)))
    }
}
