//! `auth-keys`: mint, list, revoke and rotate API keys in a key store file or a PostgreSQL
//! database.
//!
//! The store file holds hashes and metadata only; a new key is printed once, on stdout
//! alone. See `auth_cli` for the commands.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = auth_cli::Cli::parse();
    let mut stdout = std::io::stdout();
    match auth_cli::run(cli, &mut stdout) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("auth-keys: {e}");
            ExitCode::FAILURE
        }
    }
}
