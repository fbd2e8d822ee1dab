//! A listen port taken by another program at start, in the real window
//! (Xvfb + tauri-driver + WebKitWebDriver): the account still opens (the
//! node listens on the same interface on another port), Settings says why
//! and where it listens, and saving again once the port is free moves the
//! node back to it. Before, the window stopped at "Kith can't use its data
//! directory" at every start.

use std::time::Duration;

use kith_e2e::{Driver, Kith, PASSPHRASE, Result, Window, binary};
use serde_json::json;

const LONG: Duration = Duration::from_secs(60);

async fn walk(w: &Window, taken: &str, busy: std::net::TcpListener) -> Result<()> {
    w.find("unlock-input", LONG).await?;
    w.type_into("unlock-input", PASSPHRASE).await?;
    w.click("unlock-button").await?;
    w.find("timeline", LONG).await?;

    w.click("nav-settings").await?;
    w.wait_text("listen-problem", &format!("cannot listen on {taken}"), LONG)
        .await?;
    w.wait_text("listen-problem", "in use", LONG).await?;
    w.wait_text("listening-now", "/ip4/127.0.0.1/tcp/", LONG)
        .await?;
    let now = w.find("listening-now", LONG).await?.text().await?;
    // Kept to the interface asked for (loopback), on another port.
    let addrs: Vec<&str> = now
        .split_whitespace()
        .filter(|l| l.starts_with('/'))
        .collect();
    if addrs.is_empty()
        || addrs
            .iter()
            .any(|a| *a == taken || !a.starts_with("/ip4/127.0.0.1/tcp/"))
    {
        return Err(format!(
            "the node should listen on loopback only, on another port than {taken}: {now}"
        )
        .into());
    }
    w.screenshot("23-settings-listen-fallback").await?;

    // Saving while the port is still taken: the other settings are saved
    // (the addresses did not change), and the note stays.
    w.click("settings-save").await?;
    w.wait_text("toast", "Saved", LONG).await?;
    if !w.all("listen-error").await?.is_empty() {
        return Err("unchanged addresses that still cannot be used stopped the save".into());
    }
    w.wait_text("listen-problem", "in use", LONG).await?;

    // The port is free again: saving the same settings tries it again.
    drop(busy);
    w.click("settings-save").await?;
    w.wait_text("listening-now", taken, LONG).await?;
    for _ in 0..50 {
        if w.all("listen-problem").await?.is_empty() {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err("Settings still shows the problem after the node listens where asked".into())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listen_port_taken_at_start_still_opens_the_account_and_settings_say_why_until_it_is_free()
-> Result<()> {
    let app = binary("kith-desktop")?;
    let dir = tempfile::tempdir()?;
    let home = dir.path().join("ada");
    Kith::new(&home)?.json(&["init", "--name", "Ada"])?;
    let busy = std::net::TcpListener::bind("127.0.0.1:0")?;
    let taken = format!("/ip4/127.0.0.1/tcp/{}", busy.local_addr()?.port());
    // Loopback only and no mDNS, as every test of the app.
    std::fs::write(
        home.join("desktop.json"),
        serde_json::to_vec_pretty(&json!({
            "listen": [taken],
            "bootstrap": [],
            "mdns": false,
            "notifications": false,
            "theme": "system"
        }))?,
    )?;
    let driver = Driver::start(
        &[("KITH_HOME", home.as_path())],
        &dir.path().join("driver.log"),
    )?;
    let w = Window::open(&driver, &app).await?;
    let result = tokio::time::timeout(Duration::from_secs(180), walk(&w, &taken, busy)).await;
    let result = result.unwrap_or_else(|_| Err("the walk did not finish within 180 s".into()));
    if result.is_err() {
        let _ = w.screenshot("listen-fallback-failure").await;
    }
    let _ = tokio::time::timeout(Duration::from_secs(15), w.close()).await;
    result
}
