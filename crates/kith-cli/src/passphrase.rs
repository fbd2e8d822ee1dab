//! Getting the passphrase: `KITH_PASSPHRASE`, or a prompt on the terminal.

use anyhow::{Context, bail};
use std::io::IsTerminal;

/// The environment variable holding the passphrase.
pub const ENV: &str = "KITH_PASSPHRASE";

/// The passphrase for an existing key.
pub fn existing() -> anyhow::Result<String> {
    if let Ok(p) = std::env::var(ENV) {
        return Ok(p);
    }
    if !std::io::stderr().is_terminal() {
        bail!("a passphrase is needed: set {ENV} or run in a terminal");
    }
    rpassword::prompt_password("Passphrase: ").context("reading the passphrase")
}

/// The environment variable holding the new passphrase of `kith
/// passphrase change`.
pub const NEW_ENV: &str = "KITH_NEW_PASSPHRASE";

/// The new passphrase of `kith passphrase change`: `KITH_NEW_PASSPHRASE`, or
/// asked twice on a terminal.
pub fn changed() -> anyhow::Result<String> {
    if let Ok(p) = std::env::var(NEW_ENV) {
        if p.is_empty() {
            bail!("{NEW_ENV} is empty; choose a passphrase");
        }
        return Ok(p);
    }
    if !std::io::stderr().is_terminal() {
        bail!("a new passphrase is needed: set {NEW_ENV} or run in a terminal");
    }
    ask_twice("New passphrase: ")
}

/// Asks for a new passphrase twice on the terminal.
fn ask_twice(prompt: &str) -> anyhow::Result<String> {
    let a = rpassword::prompt_password(prompt).context("reading the passphrase")?;
    if a.is_empty() {
        bail!("the passphrase must not be empty");
    }
    let b = rpassword::prompt_password("Repeat it: ").context("reading the passphrase")?;
    if a != b {
        bail!("the two passphrases differ");
    }
    Ok(a)
}

/// A passphrase for new keys (asked twice on a terminal).
pub fn new() -> anyhow::Result<String> {
    if let Ok(p) = std::env::var(ENV) {
        if p.is_empty() {
            bail!("{ENV} is empty; choose a passphrase");
        }
        return Ok(p);
    }
    if !std::io::stderr().is_terminal() {
        bail!("a passphrase is needed to protect your keys: set {ENV} or run in a terminal");
    }
    ask_twice("Choose a passphrase for your keys: ")
}
