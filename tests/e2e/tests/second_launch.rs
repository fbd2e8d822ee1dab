//! Launching Kith again on the same home brings the open window forward
//! instead of opening a second one, and an invite link it is launched with
//! (as a browser launches it for a `kith:` link, through the desktop
//! entry's `%u`) opens the invite screen with the code filled in: after
//! the passphrase when the window is locked. Nothing is followed until the
//! person accepts.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use kith_e2e::{
    Driver, Kith, PASSPHRASE, Result, Window, app_pid, binary, bounded_walk, loopback_settings,
};
use serde_json::json;

const LONG: Duration = Duration::from_secs(30);
/// How long a second launch may take to hand over and exit.
const HAND_OVER: Duration = Duration::from_secs(15);

/// Runs the app again on `home`, as the launcher or a browser would, and
/// waits for it to exit: it must hand over to the open window and exit 0.
fn launch_again(driver: &Driver, app: &Path, home: &Path, link: Option<&str>) -> Result<()> {
    let log = home.with_extension("second-launch.log");
    let mut child = Command::new(app)
        .args(link)
        .env("KITH_HOME", home)
        .env("DISPLAY", &driver.display().name)
        .env("DBUS_SESSION_BUS_ADDRESS", &driver.display().bus)
        .env("NO_AT_BRIDGE", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::from(std::fs::File::create(&log)?))
        .spawn()?;
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if started.elapsed() > HAND_OVER {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!(
                "the second launch still ran after {HAND_OVER:?}: {}",
                std::fs::read_to_string(&log).unwrap_or_default()
            )
            .into());
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    if !status.success() {
        return Err(format!(
            "the second launch exited {status}: {}",
            std::fs::read_to_string(&log).unwrap_or_default()
        )
        .into());
    }
    Ok(())
}

/// The "Accept an invite" box's text, once it is `want`, or what it held
/// at the limit.
async fn accept_box(w: &Window, want: &str) -> Result<String> {
    w.value_when("accept-invite-input", want, LONG).await
}

async fn walk(driver: &Driver, app: &Path, home: &Path, invite: &str) -> Result<()> {
    let w = Window::open(driver, app).await?;
    w.find("unlock-input", LONG).await?;
    let pid = app_pid(home).ok_or("the app's process")?;

    // Locked: a link clicked elsewhere starts Kith again with Bea's invite.
    launch_again(driver, app, home, Some(invite))?;
    assert_eq!(
        app_pid(home),
        Some(pid),
        "one app process on the home, the first"
    );
    w.type_into("unlock-input", PASSPHRASE).await?;
    w.click("unlock-button").await?;
    assert_eq!(
        accept_box(&w, invite).await?,
        invite,
        "after the passphrase, the invite screen holds the link's code"
    );
    w.wait_text(
        "invite-from-link",
        "Kith was opened with this invite link",
        LONG,
    )
    .await?;
    w.screenshot("35-invite-from-a-link").await?;
    w.click("accept-invite-button").await?;
    w.wait_text("accept-invite-result", "Following", LONG)
        .await?;

    // Off the screen (minimized), then launched again from the menu: the
    // same window comes back, with no second process left.
    driver.display().hide_windows_of(pid)?;
    assert!(driver.display().shown_windows_of(pid)?.is_empty());
    launch_again(driver, app, home, None)?;
    let start = Instant::now();
    while driver.display().shown_windows_of(pid)?.is_empty() {
        if start.elapsed() > LONG {
            return Err("the window did not come back after the second launch".into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(app_pid(home), Some(pid), "still the first process alone");
    // Unlocked and shown: a link goes straight to the invite screen (its
    // scheme in capitals, as URIs allow, accepted as `kith:`).
    w.click("nav-home").await?;
    w.find("timeline", LONG).await?;
    let shouted = invite.replacen("kith:", "KITH:", 1);
    launch_again(driver, app, home, Some(&shouted))?;
    assert_eq!(accept_box(&w, &shouted).await?, shouted);
    let on_invite = w
        .js(
            "return document.querySelector('[data-testid=nav-invite]').getAttribute('aria-current');",
            vec![],
        )
        .await?;
    assert_eq!(on_invite, json!("page"), "the invite screen is shown");
    w.click("accept-invite-button").await?;
    w.wait_text("accept-invite-result", "Following", LONG)
        .await?;
    w.close().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_launch_brings_the_window_forward_and_an_invite_link_fills_the_invite_screen()
-> Result<()> {
    let app = binary("kith-desktop")?;
    let dir = tempfile::tempdir()?;
    let home = dir.path().join("ada");
    Kith::new(&home)?.json(&["init", "--name", "Ada"])?;
    loopback_settings(&home)?;
    let bea = Kith::new(&dir.path().join("bea"))?;
    bea.json(&["init", "--name", "Bea"])?;
    let _bea_node = bea.serve(&dir.path().join("bea.log"))?;
    let invite = bea.json(&["invite"])?;
    let invite = invite["code"]
        .as_str()
        .ok_or("Bea's invite code")?
        .to_owned();
    let driver = Driver::for_home(dir.path(), &home)?;
    bounded_walk(
        Duration::from_secs(180),
        walk(&driver, &app, &home, &invite),
        dir.path(),
        &["driver.log", "driver.err", "ada.second-launch.log"],
    )
    .await
}
