//! The `auth-keys` tool, as a library so that its commands can be tested in-process.
//!
//! ```text
//! auth-keys new    --store keys.json --name billing --prefix acme_live --scope stats:read [--expires-in 30d]
//! auth-keys list   --store keys.json
//! auth-keys revoke --store keys.json <key-id>
//! auth-keys rotate --store keys.json <key-id> --overlap 7d
//! ```
//!
//! Every command takes `--database-url postgres://…` instead of `--store FILE` to manage
//! the keys of a PostgreSQL database (`auth_postgres::PostgresKeyStore`; the table is
//! created when missing): serving instances hear of each change within a second. `list`
//! then shows when each key was last used, as the instances last wrote it.
//!
//! Every command that changes the store rewrites it atomically (a temporary file renamed
//! over the old one), so a server watching the file sees the old or the new keys, never a
//! torn file; under an exclusive lock (a sidecar `.keys.json.lock`), so commands run at
//! the same time take turns and none loses another's change; and keeping the file's owner
//! and permissions, so a server running as another user can still read it. With `--pepper-env VAR`, keys are hashed with HMAC-SHA256 under the pepper in
//! environment variable `VAR`, which must match the server's.
#![warn(clippy::missing_errors_doc)]

use std::{io::Write, path::PathBuf};

use auth_core::apikey::{ApiKeyRecord, KeyHasher, MintError, StoreError, mint};

mod backend;

use backend::Backend;
use clap::{Args, Parser, Subcommand};

/// Command line.
#[derive(Debug, Parser)]
#[command(
    name = "auth-keys",
    version,
    about = "Mint, list, revoke and rotate API keys"
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Mint a key: prints it once on stdout, stores only its hash and metadata.
    New {
        /// Where the keys live (a file is created if missing).
        #[command(flatten)]
        target: Target,
        /// Who or what the key is for.
        #[arg(long)]
        name: String,
        /// A scope to grant: repeat the flag for several (`--scope a --scope b`); a
        /// space-separated list is refused.
        #[arg(long = "scope")]
        scopes: Vec<String>,
        /// Lifetime, such as 90s, 15m, 12h or 30d.
        #[arg(long)]
        expires_in: Option<String>,
        /// Key prefix (lowercase letters, digits, `_`): the name scanners and your
        /// validator recognise your keys by, such as `acme_live` (the demo's is `demo`).
        #[arg(long)]
        prefix: String,
        /// Environment variable holding the server's pepper, if it uses one.
        #[arg(long)]
        pepper_env: Option<String>,
    },
    /// List keys, one a line, id first (no hashes, no keys).
    List {
        /// Where the keys live.
        #[command(flatten)]
        target: Target,
    },
    /// Revoke a key by id.
    Revoke {
        /// Where the keys live.
        #[command(flatten)]
        target: Target,
        /// The key's id.
        id: String,
    },
    /// Mint a successor to a key; the old one expires after the overlap.
    Rotate {
        /// Where the keys live.
        #[command(flatten)]
        target: Target,
        /// The id of the key to replace.
        id: String,
        /// How long the old key keeps working, such as 7d.
        #[arg(long)]
        overlap: String,
        /// Environment variable holding the server's pepper, if it uses one.
        #[arg(long)]
        pepper_env: Option<String>,
    },
}

/// Where the keys live: a key store file, or a PostgreSQL database (exactly one).
#[derive(Debug, Clone, Args)]
#[group(required = true, multiple = false)]
pub struct Target {
    /// The key store file.
    #[arg(long)]
    pub store: Option<PathBuf>,
    /// A PostgreSQL database (`postgres://user@host:port/db`) holding the keys.
    #[arg(long)]
    pub database_url: Option<String>,
}

/// A failed command: the message says what and why, never a key.
#[derive(Debug)]
pub struct CliError(String);

impl std::fmt::Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CliError {}

fn err(e: impl std::fmt::Display) -> CliError {
    CliError(e.to_string())
}

impl From<StoreError> for CliError {
    fn from(e: StoreError) -> Self {
        err(e)
    }
}

/// Parse a duration such as `90s`, `15m`, `12h`, `30d` or `2w` into seconds.
///
/// # Errors
///
/// A number without a unit (`s`, `m`, `h`, `d`, `w`), a unit without a number, or a
/// duration too large to count in seconds.
pub fn parse_duration(text: &str) -> Result<i64, CliError> {
    let bad = || {
        CliError(format!(
            "{text:?} is not a duration such as 90s, 12h or 30d"
        ))
    };
    let split = text.len().checked_sub(1).ok_or_else(bad)?;
    let (n, unit) = text.split_at(split);
    let n: i64 = n.parse().map_err(|_| bad())?;
    let mult = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 604_800,
        _ => return Err(bad()),
    };
    if n <= 0 {
        return Err(bad());
    }
    n.checked_mul(mult).ok_or_else(bad)
}

/// A Unix time as `YYYY-MM-DDTHH:MM:SSZ` (UTC).
pub fn format_time(secs: i64) -> String {
    // Days to civil date (H. Hinnant's algorithm): no date crate needed for one format.
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

fn hasher(pepper_env: Option<&str>) -> Result<KeyHasher, CliError> {
    match pepper_env {
        None => Ok(KeyHasher::sha256()),
        Some(var) => {
            let pepper = std::env::var(var)
                .map_err(|_| CliError(format!("{var}: not set (it should hold the pepper)")))?;
            KeyHasher::with_pepper(pepper.as_bytes()).map_err(|e| CliError(format!("{var}: {e}")))
        }
    }
}

fn status(r: &ApiKeyRecord, now: i64) -> String {
    match (r.revoked, r.expires) {
        (Some(t), _) if t <= now => format!("revoked {}", format_time(t)),
        (_, Some(t)) if t <= now => format!("expired {}", format_time(t)),
        (_, Some(t)) => format!("expires {}", format_time(t)),
        _ => "active".into(),
    }
}

/// Run a command; the new key (for `new` and `rotate`) goes to `out`, alone on its line.
///
/// # Errors
///
/// The key file cannot be read, locked or written; a prefix or scope that cannot be minted;
/// an unknown key id; a duration that does not parse.
pub fn run(cli: Cli, out: &mut impl Write) -> Result<(), CliError> {
    let now = auth_core::clock::now();
    match cli.command {
        Command::New {
            target,
            name,
            scopes,
            expires_in,
            prefix,
            pepper_env,
        } => {
            let hasher = hasher(pepper_env.as_deref())?;
            let expires = expires_in
                .as_deref()
                .map(parse_duration)
                .transpose()?
                .map(|d| now + d);
            let (key, record) =
                mint(&hasher, &prefix, &name, &scopes, now, expires).map_err(|e| match e {
                    MintError::Scope(e) => CliError(format!("--scope: {e}")),
                    e => CliError(format!("--prefix: {e}")),
                })?;
            let (id, name) = (record.id.clone(), record.name.clone());
            Backend::open(&target, false)?.add(record)?;
            eprintln!("created key {id} ({name})");
            writeln!(out, "{}", key.expose_secret()).map_err(err)?;
        }
        Command::List { target } => {
            for (r, last_used) in Backend::open(&target, true)?.list()? {
                let scopes: Vec<&str> = r.scopes.iter().collect();
                let used = last_used
                    .map(|t| format!("\tlast used {}", format_time(t)))
                    .unwrap_or_default();
                writeln!(
                    out,
                    "{}\t{}\t{}…\t{}\tcreated {}\t{}{used}",
                    r.id,
                    r.name,
                    r.start,
                    scopes.join(","),
                    format_time(r.created),
                    status(&r, now)
                )
                .map_err(err)?;
            }
        }
        Command::Revoke { target, id } => {
            // Not a new empty store: revoking in a store that does not exist is a typo.
            Backend::open(&target, true)?.revoke(&id, now)?;
            eprintln!("revoked key {id}");
        }
        Command::Rotate {
            target,
            id,
            overlap,
            pepper_env,
        } => {
            let hasher = hasher(pepper_env.as_deref())?;
            let until = now + parse_duration(&overlap)?;
            let (key, new_id) = Backend::open(&target, true)?.rotate(&id, until, |old| {
                if old.unusable_at(now).is_some() {
                    return Err(CliError(format!("key {id} is already revoked or expired")));
                }
                let scopes: Vec<String> = old.scopes.iter().map(str::to_owned).collect();
                mint(&hasher, &old.prefix, &old.name, &scopes, now, None).map_err(err)
            })?;
            eprintln!(
                "created key {new_id} to replace {id}, which expires {}",
                format_time(until)
            );
            writeln!(out, "{}", key.expose_secret()).map_err(err)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90s").ok(), Some(90));
        assert_eq!(parse_duration("12h").ok(), Some(43_200));
        assert_eq!(parse_duration("30d").ok(), Some(2_592_000));
        for bad in ["", "d", "10", "-1d", "0s", "5y", "1.5h"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn times() {
        assert_eq!(format_time(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_time(1_795_824_138), "2026-11-28T00:02:18Z");
        assert_eq!(format_time(951_782_400), "2000-02-29T00:00:00Z");
    }
}
