//! Started on a home whose passphrase is forgotten, the app opens with the
//! recovery phrase instead: the lock screen's "Forgot your passphrase?"
//! sets a new one, the network starts, and the computer is a new device
//! of the same account.

use std::path::Path;
use std::time::Duration;

use kith_e2e::{Driver, Kith, Result, Window, binary, bounded_walk, loopback_settings};

const LONG: Duration = Duration::from_secs(30);
const NEW: &str = "a passphrase remembered";

async fn walk(driver: &Driver, app: &Path, home: &Path, created: &serde_json::Value) -> Result<()> {
    let phrase = created["phrase"].as_str().ok_or("the recovery phrase")?;
    let w = Window::open(driver, app).await?;
    w.find("unlock-input", LONG).await?;
    w.click("forgot-passphrase").await?;
    // Another account's words change nothing.
    let other: Vec<&str> = phrase.split(' ').rev().collect();
    w.type_into("reset-phrase-input", &other.join(" ")).await?;
    w.type_into("reset-passphrase-input", NEW).await?;
    w.type_into("reset-passphrase-confirm-input", NEW).await?;
    w.click("reset-passphrase-button").await?;
    w.find("reset-error", LONG).await?;
    w.replace_text("reset-phrase-input", phrase).await?;
    w.click("reset-passphrase-button").await?;
    w.find("timeline", LONG).await?;

    // The node runs: a `kith` command goes through its socket.
    let posted = Kith::new(home)?.json(&["post", "Back in after a forgotten passphrase"])?;
    assert!(posted["id"].is_string(), "{posted}");
    let id = Kith::new(home)?.json(&["id"])?;
    assert_eq!(id["account"], created["account"], "the same account");
    assert_ne!(id["device"], created["device"], "as a new device");
    w.close().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forgotten_passphrase_is_replaced_at_start_with_the_recovery_phrase() -> Result<()> {
    let app = binary("kith-desktop")?;
    let dir = tempfile::tempdir()?;
    let home = dir.path().join("ada");
    let created = Kith::new(&home)?.json(&["init", "--name", "Ada"])?;
    loopback_settings(&home)?;
    let driver = Driver::for_home(dir.path(), &home)?;
    bounded_walk(
        Duration::from_secs(120),
        walk(&driver, &app, &home, &created),
        dir.path(),
        &["driver.log", "driver.err"],
    )
    .await
}
