//! The passphrase changed in Settings is the one that opens Kith from then
//! on: a wrong current passphrase changes nothing; after the change the old
//! one opens neither the window nor `kith`, the new one opens both, and no
//! file of the change is left in the home.

use std::path::Path;
use std::time::Duration;

use kith_e2e::{
    Driver, Kith, PASSPHRASE, Result, Window, binary, bounded_walk, loopback_settings, wait_until,
};

const LONG: Duration = Duration::from_secs(30);
const NEW: &str = "a passphrase changed in Settings";

fn key_files(home: &Path) -> Result<(Vec<u8>, Vec<u8>)> {
    Ok((
        std::fs::read(home.join("account.key"))?,
        std::fs::read(home.join("device.key"))?,
    ))
}

async fn change_in_settings(w: &Window, home: &Path) -> Result<()> {
    w.click("nav-settings").await?;
    let before = key_files(home)?;
    w.type_into("current-passphrase-input", "not the passphrase")
        .await?;
    w.type_into("new-passphrase-input", NEW).await?;
    w.type_into("new-passphrase-confirm-input", NEW).await?;
    w.click("change-passphrase-button").await?;
    w.find("change-passphrase-error", LONG).await?;
    assert_eq!(
        key_files(home)?,
        before,
        "a wrong current passphrase left the key files as they were"
    );

    w.replace_text("current-passphrase-input", PASSPHRASE)
        .await?;
    w.click("change-passphrase-button").await?;
    let current = w.value_when("current-passphrase-input", "", LONG).await?;
    assert!(
        current.is_empty(),
        "the form empties once the change is made"
    );
    let after = key_files(home)?;
    assert!(
        after.0 != before.0 && after.1 != before.1,
        "both key files were written anew"
    );
    Ok(())
}

async fn unlock_with_the_new_passphrase_only(w: &Window) -> Result<()> {
    w.click("lock-button").await?;
    w.type_into("unlock-input", PASSPHRASE).await?;
    w.click("unlock-button").await?;
    w.find("unlock-error", LONG).await?;
    w.replace_text("unlock-input", NEW).await?;
    w.click("unlock-button").await?;
    // Unlocked, the window shows again the screen it was locked on.
    w.find("passphrase-section", LONG).await?;
    Ok(())
}

async fn walk(driver: &Driver, app: &Path, home: &Path) -> Result<()> {
    let w = Window::open(driver, app).await?;
    w.type_into("unlock-input", PASSPHRASE).await?;
    w.click("unlock-button").await?;
    w.find("timeline", LONG).await?;
    change_in_settings(&w, home).await?;
    unlock_with_the_new_passphrase_only(&w).await?;
    w.close().await?;

    // With the app gone (its lock on the home let go), `kith` opens the
    // home itself.
    let lock = home.join("node.lock");
    wait_until("the app to quit", LONG, || {
        std::fs::File::open(&lock).is_ok_and(|f| f.try_lock().is_ok())
    })?;
    let old = Kith::new(home)?.json(&["post", "With the old passphrase"]);
    let refused = old.expect_err("the old passphrase no longer signs");
    assert!(
        refused.to_string().contains("wrong_passphrase"),
        "refused as the wrong passphrase: {refused}"
    );
    let posted = Kith::new(home)?
        .with_env("KITH_PASSPHRASE", NEW)
        .json(&["post", "With the new passphrase"])?;
    assert!(posted["id"].is_string(), "{posted}");

    let left: Vec<String> = std::fs::read_dir(home)?
        .filter_map(std::result::Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| {
            let ext = Path::new(name).extension().and_then(|e| e.to_str());
            matches!(ext, Some("new" | "partial" | "replacing"))
        })
        .collect();
    assert!(
        left.is_empty(),
        "files of the change left in the home: {left:?}"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_passphrase_changed_in_settings_is_the_only_one_that_opens_kith() -> Result<()> {
    let app = binary("kith-desktop")?;
    let dir = tempfile::tempdir()?;
    let home = dir.path().join("ada");
    Kith::new(&home)?.json(&["init", "--name", "Ada"])?;
    loopback_settings(&home)?;
    let driver = Driver::for_home(dir.path(), &home)?;
    bounded_walk(
        Duration::from_secs(120),
        walk(&driver, &app, &home),
        dir.path(),
        &["driver.log", "driver.err"],
    )
    .await
}
