//! The demo's configuration: every `DEMO_*` variable, read and checked in one place, before
//! anything is built from it ([`Demo::build`](crate::Demo::build) does that).

use std::{net::SocketAddr, path::PathBuf};

use secrecy::SecretString;

use crate::StartError;

/// Every variable the demos read: name, default, meaning. `--help` prints this table, and
/// `docs/demo.md`'s configuration table lists the same variables (a test checks).
pub const VARIABLES: &[(&str, &str, &str)] = &[
    (
        "DEMO_ADDR",
        "127.0.0.1:3000",
        "listen address (port 0: any free port)",
    ),
    (
        "DEMO_PUBLIC_URL",
        "http:// + the address bound",
        "external base URL: redirect URIs, the API's metadata resource, cookie Secure on https",
    ),
    (
        "DEMO_JWT_SECRET",
        "random per start",
        "HS256 key (32+ bytes) of the app's own tokens",
    ),
    (
        "DEMO_JWT_PREVIOUS_SECRET",
        "unset",
        "the secret DEMO_JWT_SECRET replaced: tokens, sessions and sign-ins it signed stay valid (rotation without downtime)",
    ),
    (
        "DEMO_JWT_ISSUER",
        "auth-demo",
        "iss the app writes and requires",
    ),
    (
        "DEMO_JWT_AUDIENCE",
        "auth-demo",
        "aud the app writes and requires",
    ),
    (
        "DEMO_API_KEYS_FILE",
        "one generated key",
        "key file written by auth-keys (prefix demo), reloaded within 2 s of a change",
    ),
    (
        "DEMO_OIDC_ISSUER",
        "unset",
        "an OpenID provider (discovery): sign-in with DEMO_OIDC_CLIENT_ID",
    ),
    ("DEMO_OIDC_CLIENT_ID", "unset", "client id at that provider"),
    (
        "DEMO_OIDC_CLIENT_SECRET",
        "unset",
        "client secret (omit for a public client)",
    ),
    (
        "DEMO_OIDC_RESPONSE_MODE",
        "query",
        "how the provider answers sign-in: query (a redirect) or form_post (a POST)",
    ),
    (
        "DEMO_OIDC_AUDIENCE",
        "unset",
        "also accept the provider's at+jwt access tokens with this aud on /api/*",
    ),
    (
        "DEMO_GITHUB_CLIENT_ID, DEMO_GITHUB_CLIENT_SECRET",
        "unset",
        "GitHub sign-in",
    ),
    (
        "DEMO_GOOGLE_CLIENT_ID, DEMO_GOOGLE_CLIENT_SECRET",
        "unset",
        "Google sign-in",
    ),
    (
        "DEMO_REDIS_URL",
        "unset: in process",
        "redis://host:port/db: sign-in sessions, sign-out epochs and both rate limits shared by every instance",
    ),
    (
        "DEMO_DATABASE_URL",
        "unset: DEMO_API_KEYS_FILE or in memory",
        "postgres://user@host:port/db: API keys kept in PostgreSQL (managed with auth-keys --database-url), changes seen by every instance within 1 s",
    ),
    ("RUST_LOG", "info", "log filter (logs go to stderr)"),
];

/// What `program --help` prints: the routes in one line and the variables table.
pub fn help(program: &str) -> String {
    let mut out = format!(
        "{program}: the auth toolkit's demo app (GET /health, /api/me, /api/admin, \
         /api/whoami, /internal/stats; /auth/* with a provider)\n\n\
         Usage: {program}            (configured through these environment variables)\n\n"
    );
    let width = VARIABLES.iter().map(|(n, _, _)| n.len()).max().unwrap_or(0);
    for (name, default, meaning) in VARIABLES {
        out.push_str(&format!(
            "  {name:width$}  {meaning} (default: {default})\n"
        ));
    }
    out
}

/// What the command line asks for: `--help` (or `-h`) prints [`help`] and the program
/// exits with success; any other argument is an error (the demos are configured through
/// the environment). `None`: start the server.
pub fn command_line(program: &str) -> Option<std::process::ExitCode> {
    let arg = std::env::args().nth(1)?;
    if arg == "--help" || arg == "-h" {
        print!("{}", help(program));
        return Some(std::process::ExitCode::SUCCESS);
    }
    eprintln!(
        "{program}: unexpected argument {arg:?}; the demo is configured through environment variables (see --help)"
    );
    Some(std::process::ExitCode::FAILURE)
}

/// An OAuth client: its id and, for a confidential client, its secret.
#[derive(Clone)]
pub struct Client {
    /// The client id.
    pub id: String,
    /// The client secret (`None`: a public client).
    pub secret: Option<SecretString>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("id", &self.id)
            .field("secret", &self.secret.as_ref().map(|_| "[redacted]"))
            .finish()
    }
}

/// The demo's configuration, as read from the environment: plain values, checked for
/// shape and for variables that need each other, nothing built yet.
#[derive(Clone)]
pub struct Config {
    /// `DEMO_ADDR`.
    pub addr: SocketAddr,
    /// `DEMO_PUBLIC_URL`.
    pub public_url: Option<String>,
    /// `DEMO_JWT_SECRET` (`None`: generate one for this run).
    pub jwt_secret: Option<SecretString>,
    /// `DEMO_JWT_PREVIOUS_SECRET`: the secret rotated out.
    pub jwt_previous_secret: Option<SecretString>,
    /// `DEMO_JWT_ISSUER`.
    pub jwt_issuer: String,
    /// `DEMO_JWT_AUDIENCE`.
    pub jwt_audience: String,
    /// `DEMO_API_KEYS_FILE`.
    pub api_keys_file: Option<PathBuf>,
    /// `DEMO_OIDC_ISSUER`.
    pub oidc_issuer: Option<String>,
    /// `DEMO_OIDC_CLIENT_ID` and `DEMO_OIDC_CLIENT_SECRET`.
    pub oidc_client: Option<Client>,
    /// `DEMO_OIDC_RESPONSE_MODE=form_post`: the provider answers sign-in by `POST`.
    pub oidc_form_post: bool,
    /// `DEMO_OIDC_AUDIENCE`.
    pub oidc_audience: Option<String>,
    /// `DEMO_GITHUB_CLIENT_ID` and `DEMO_GITHUB_CLIENT_SECRET`.
    pub github: Option<Client>,
    /// `DEMO_GOOGLE_CLIENT_ID` and `DEMO_GOOGLE_CLIENT_SECRET`.
    pub google: Option<Client>,
    /// `DEMO_REDIS_URL` (it may hold a password: kept secret).
    pub redis_url: Option<SecretString>,
    /// `DEMO_DATABASE_URL` (it may hold a password: kept secret).
    pub database_url: Option<SecretString>,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("addr", &self.addr)
            .field("public_url", &self.public_url)
            .field(
                "jwt_secret",
                &self.jwt_secret.as_ref().map(|_| "[redacted]"),
            )
            .field(
                "jwt_previous_secret",
                &self.jwt_previous_secret.as_ref().map(|_| "[redacted]"),
            )
            .field("jwt_issuer", &self.jwt_issuer)
            .field("jwt_audience", &self.jwt_audience)
            .field("api_keys_file", &self.api_keys_file)
            .field("oidc_issuer", &self.oidc_issuer)
            .field("oidc_client", &self.oidc_client)
            .field("oidc_form_post", &self.oidc_form_post)
            .field("oidc_audience", &self.oidc_audience)
            .field("github", &self.github)
            .field("google", &self.google)
            .field("redis_url", &self.redis_url.as_ref().map(|_| "[redacted]"))
            .field(
                "database_url",
                &self.database_url.as_ref().map(|_| "[redacted]"),
            )
            .finish()
    }
}

fn var(name: &str) -> Result<Option<String>, StartError> {
    match std::env::var(name) {
        Ok(v) => Ok(Some(v)),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => {
            Err(StartError(format!("{name}: the value is not valid UTF-8")))
        }
    }
}

/// Both variables of a client, or neither; one alone names the other.
fn pair(id: &str, secret: &str) -> Result<Option<Client>, StartError> {
    match (var(id)?, var(secret)?) {
        (Some(id), Some(secret)) => Ok(Some(Client {
            id,
            secret: Some(secret.into()),
        })),
        (None, None) => Ok(None),
        (Some(_), None) => Err(StartError(format!("{secret}: set it with {id}"))),
        (None, Some(_)) => Err(StartError(format!("{id}: set it with {secret}"))),
    }
}

impl Config {
    /// Read the `DEMO_*` variables ([`VARIABLES`]).
    ///
    /// # Errors
    ///
    /// A value of the wrong shape, or a variable set without the one it needs; the message
    /// names the variable.
    pub fn from_env() -> Result<Config, StartError> {
        let addr: SocketAddr = match var("DEMO_ADDR")? {
            Some(a) => a.parse().map_err(|_| {
                StartError(format!(
                    "DEMO_ADDR: {a:?} is not an address such as 127.0.0.1:3000"
                ))
            })?,
            None => SocketAddr::from(([127, 0, 0, 1], 3000)),
        };
        let public_url = var("DEMO_PUBLIC_URL")?;
        if let Some(url) = &public_url
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            return Err(StartError(format!(
                "DEMO_PUBLIC_URL: {url:?} must start with http:// or https://"
            )));
        }
        let oidc_issuer = var("DEMO_OIDC_ISSUER")?;
        let oidc_client = match (var("DEMO_OIDC_CLIENT_ID")?, var("DEMO_OIDC_CLIENT_SECRET")?) {
            (Some(id), secret) => Some(Client {
                id,
                secret: secret.map(SecretString::from),
            }),
            (None, Some(_)) => {
                return Err(StartError(
                    "DEMO_OIDC_CLIENT_SECRET: set DEMO_OIDC_CLIENT_ID (and DEMO_OIDC_ISSUER) too"
                        .into(),
                ));
            }
            (None, None) => None,
        };
        let oidc_audience = var("DEMO_OIDC_AUDIENCE")?;
        match (&oidc_issuer, &oidc_client, &oidc_audience) {
            (None, Some(_), _) => {
                return Err(StartError(
                    "DEMO_OIDC_CLIENT_ID: set DEMO_OIDC_ISSUER too".into(),
                ));
            }
            (None, None, Some(_)) => {
                return Err(StartError(
                    "DEMO_OIDC_AUDIENCE: set DEMO_OIDC_ISSUER too (the provider whose tokens carry this audience)".into(),
                ));
            }
            (Some(_), None, None) => {
                return Err(StartError(
                    "DEMO_OIDC_ISSUER: set DEMO_OIDC_CLIENT_ID (sign-in) or DEMO_OIDC_AUDIENCE \
                     (its access tokens on /api/*), or both"
                        .into(),
                ));
            }
            _ => {}
        }
        let oidc_form_post = match var("DEMO_OIDC_RESPONSE_MODE")?.as_deref() {
            None | Some("query") => false,
            Some("form_post") => true,
            Some(other) => {
                return Err(StartError(format!(
                    "DEMO_OIDC_RESPONSE_MODE: {other:?} is neither query nor form_post"
                )));
            }
        };
        let api_keys_file = var("DEMO_API_KEYS_FILE")?.map(PathBuf::from);
        let database_url = var("DEMO_DATABASE_URL")?.map(SecretString::from);
        if api_keys_file.is_some() && database_url.is_some() {
            return Err(StartError(
                "DEMO_DATABASE_URL: API keys come from the database or from DEMO_API_KEYS_FILE, not both"
                    .into(),
            ));
        }
        Ok(Config {
            addr,
            public_url,
            jwt_secret: var("DEMO_JWT_SECRET")?.map(SecretString::from),
            jwt_previous_secret: var("DEMO_JWT_PREVIOUS_SECRET")?.map(SecretString::from),
            jwt_issuer: var("DEMO_JWT_ISSUER")?.unwrap_or_else(|| "auth-demo".into()),
            jwt_audience: var("DEMO_JWT_AUDIENCE")?.unwrap_or_else(|| "auth-demo".into()),
            api_keys_file,
            oidc_issuer,
            oidc_client,
            oidc_form_post,
            oidc_audience,
            github: pair("DEMO_GITHUB_CLIENT_ID", "DEMO_GITHUB_CLIENT_SECRET")?,
            google: pair("DEMO_GOOGLE_CLIENT_ID", "DEMO_GOOGLE_CLIENT_SECRET")?,
            redis_url: var("DEMO_REDIS_URL")?.map(SecretString::from),
            database_url,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::VARIABLES;

    /// The documented contract and `--help` name the same variables.
    #[test]
    fn the_docs_list_every_variable_and_no_other() {
        let doc = include_str!("../../docs/demo.md");
        let start = doc.find("## Configuration").unwrap_or(0);
        let end = doc[start..]
            .find("## Routes")
            .map_or(doc.len(), |e| start + e);
        let table = &doc[start..end];
        let mut documented: Vec<&str> = table
            .lines()
            .filter(|l| l.starts_with("| `"))
            .flat_map(|l| l.split('|').nth(1).unwrap_or_default().split(','))
            .map(|n| n.trim().trim_matches('`'))
            .collect();
        let mut known: Vec<&str> = VARIABLES
            .iter()
            .flat_map(|(names, _, _)| names.split(", "))
            .collect();
        documented.sort_unstable();
        known.sort_unstable();
        assert_eq!(documented, known);
    }
}
