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
    let a = rpassword::prompt_password("Choose a passphrase for your keys: ")
        .context("reading the passphrase")?;
    if a.is_empty() {
        bail!("the passphrase must not be empty");
    }
    let b = rpassword::prompt_password("Repeat it: ").context("reading the passphrase")?;
    if a != b {
        bail!("the two passphrases differ");
    }
    Ok(a)
}
