//! The window as it was left, in the real window: Ctrl + = zooms the page
//! (its width in CSS pixels shrinks by the level) and the level is kept in
//! `desktop.json`; the window moved and resized is kept in `window.json`;
//! the next start opens at that zoom, size and place before anything is
//! typed, and Ctrl + 0 returns to 100 %; Ctrl + the wheel zooms too.
//! SIGTERM (the window locked) and Ctrl + Q quit, the node stopped
//! cleanly and no socket left behind. `kith serve` is refused
//! while the window asks for the passphrase.

use std::path::Path;
use std::time::{Duration, Instant};

use kith_e2e::{
    Driver, Kith, PASSPHRASE, Result, Window, app_pid, binary, bounded_walk, loopback_settings,
};

const LONG: Duration = Duration::from_secs(30);
/// Ctrl, in WebDriver's key codes.
const CTRL: &str = "\u{E009}";

/// The page's width in CSS pixels.
async fn css_width(w: &Window) -> Result<f64> {
    Ok(w.js("return window.innerWidth;", vec![])
        .await?
        .as_f64()
        .ok_or("the page's width")?)
}

/// Waits until the page is `wanted` CSS pixels wide (within rounding).
async fn width_becomes(w: &Window, wanted: f64, what: &str) -> Result<()> {
    let start = Instant::now();
    loop {
        let now = css_width(w).await?;
        if (now - wanted).abs() <= 2.0 {
            return Ok(());
        }
        if start.elapsed() > LONG {
            return Err(format!("{what}: the page is {now} px wide, not {wanted}").into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Where the window is moved, and its new size (the default is 1100 × 760).
const PLACE: (i32, i32) = (40, 30);
const SIZE: (u32, u32) = (960, 640);

/// Whether `window.json` holds that place and size.
fn saved_window_is(home: &Path, place: (i32, i32), size: (u32, u32)) -> bool {
    let Ok(bytes) = std::fs::read(home.join("window.json")) else {
        return false;
    };
    let Ok(saved) = serde_json::from_slice::<serde_json::Value>(&bytes) else {
        return false;
    };
    saved["x"] == place.0
        && saved["y"] == place.1
        && saved["width"].as_f64() == Some(f64::from(size.0))
        && saved["height"].as_f64() == Some(f64::from(size.1))
        && saved["maximized"] == false
}

fn saved_zoom(home: &Path) -> Result<u64> {
    let settings: serde_json::Value =
        serde_json::from_slice(&std::fs::read(home.join("desktop.json"))?)?;
    Ok(settings["zoom"].as_u64().ok_or("no zoom in desktop.json")?)
}

/// `kith serve` on the home of a window still asking for the passphrase
/// is refused (and the window's unlock is not spoiled by it): its error.
fn serve_beside_the_window(home: &Path) -> Result<String> {
    // Bounded: a serve that wrongly started would run until killed.
    let out = std::process::Command::new("timeout")
        .arg("20")
        .arg(binary("kith")?)
        .arg("--home")
        .arg(home)
        .args(["serve", "--no-mdns", "--listen", "/ip4/127.0.0.1/tcp/0"])
        .env("KITH_PASSPHRASE", PASSPHRASE)
        .env_remove("KITH_HOME")
        .stdin(std::process::Stdio::null())
        .output()?;
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    if out.status.success() || out.status.code() == Some(124) {
        return Err(format!(
            "kith serve ran beside the window ({}): {stderr}",
            out.status
        )
        .into());
    }
    Ok(stderr)
}

/// Waits for the app to end after `how`, then checks it removed its
/// sockets (the window's, and its node's when the account was open).
async fn ends_leaving_no_socket(home: &Path, how: &str) -> Result<()> {
    let start = Instant::now();
    while app_pid(home).is_some() {
        if start.elapsed() > LONG {
            return Err(format!("{how} did not end the app within {LONG:?}").into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for socket in ["desktop.sock", "kith.sock"] {
        assert!(
            !home.join(socket).exists(),
            "{socket} is removed as the app ends after {how}"
        );
    }
    Ok(())
}

async fn walk(driver: &Driver, app: &Path, home: &Path) -> Result<()> {
    let w = Window::open(driver, app).await?;
    let input = w.find("unlock-input", LONG).await?;
    let refused = serve_beside_the_window(home)?;
    let pid = app_pid(home).ok_or("the app's process")?;
    assert!(
        refused.contains(&format!("the Kith app (process {pid}) is already running")),
        "kith serve names the window that holds the home: {refused}"
    );
    let base = css_width(&w).await?;
    // Two steps up: 110 %, then 125 %.
    input.send_keys(&format!("{CTRL}=")).await?;
    input.send_keys(&format!("{CTRL}=")).await?;
    width_becomes(&w, base / 1.25, "after Ctrl + = twice").await?;
    let typed = w
        .js(
            "return document.querySelector('[data-testid=unlock-input]').value;",
            vec![],
        )
        .await?;
    assert_eq!(typed, serde_json::json!(""), "the zoom keys typed nothing");
    assert_eq!(
        saved_zoom(home)?,
        125,
        "the level is kept for the next start"
    );
    // Enter rather than a click: WebDriver's pointer does not follow the
    // page's zoom.
    input.send_keys(&format!("{PASSPHRASE}\u{E007}")).await?;
    w.find("composer-text", LONG).await?;
    w.screenshot("36-zoom-125").await?;
    // Moved and made smaller, as with the mouse; kept once still.
    let pid = app_pid(home).ok_or("the app's process")?;
    driver.display().place_windows_of(pid, PLACE, SIZE)?;
    let start = Instant::now();
    while !saved_window_is(home, PLACE, SIZE) {
        if start.elapsed() > LONG {
            return Err(format!(
                "window.json does not say {PLACE:?} {SIZE:?}: {:?}",
                std::fs::read_to_string(home.join("window.json"))
            )
            .into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Locked, then the system asks the app to end (as at logout): its node
    // stops cleanly all the same, as when the window is closed.
    assert!(
        home.join("kith.sock").exists(),
        "the unlocked node serves its control socket"
    );
    // The sidebar's Lock, clicked in the page (WebDriver's pointer does not
    // follow the zoom).
    w.js(
        "document.querySelector('[data-testid=lock-button]').click(); return null;",
        vec![],
    )
    .await?;
    w.find("unlock-input", LONG).await?;
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()?;
    assert!(killed.success(), "SIGTERM sent");
    ends_leaving_no_socket(home, "SIGTERM").await?;
    // The session's window is gone; closing it may fail.
    let _ = w.close().await;

    let w = Window::open(driver, app).await?;
    let input = w.find("unlock-input", LONG).await?;
    width_becomes(&w, f64::from(SIZE.0) / 1.25, "the next start").await?;
    let pid = app_pid(home).ok_or("the app's process")?;
    assert_eq!(
        driver.display().geometry_of(pid)?,
        vec![(PLACE.0, PLACE.1, SIZE.0, SIZE.1)],
        "the window opens where and as large as it was left"
    );
    input.send_keys(&format!("{CTRL}0")).await?;
    width_becomes(&w, f64::from(SIZE.0), "after Ctrl + 0").await?;
    assert_eq!(saved_zoom(home)?, 100);
    // Ctrl + the wheel, with X's own pointer and keys: one notch up.
    let (cx, cy) = (PLACE.0 + 400, PLACE.1 + 300);
    driver
        .display()
        .xdotool(&["mousemove", &cx.to_string(), &cy.to_string()])?;
    driver
        .display()
        .xdotool(&["keydown", "ctrl", "click", "4", "keyup", "ctrl"])?;
    width_becomes(&w, f64::from(SIZE.0) / 1.1, "after Ctrl + the wheel up").await?;
    assert_eq!(saved_zoom(home)?, 110);
    // Ctrl + Q quits: the process ends, its node with it.
    // (The app may end before WebDriver answers the keys: that is not
    // checked, the process is.)
    let _ = input.send_keys(&format!("{CTRL}q")).await;
    ends_leaving_no_socket(home, "Ctrl + Q").await?;
    // The session's window is gone; closing it may fail.
    let _ = w.close().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_next_start_opens_at_the_zoom_size_and_place_the_window_was_left_at() -> Result<()> {
    let app = binary("kith-desktop")?;
    let dir = tempfile::tempdir()?;
    let home = dir.path().join("ada");
    Kith::new(&home)?.json(&["init", "--name", "Ada"])?;
    loopback_settings(&home)?;
    let driver = Driver::for_home(dir.path(), &home)?;
    bounded_walk(
        Duration::from_secs(180),
        walk(&driver, &app, &home),
        dir.path(),
        &["driver.log"],
    )
    .await
}
