//! The window's zoom in the real window: Ctrl + = zooms the page (its
//! width in CSS pixels shrinks by the level), the level is kept in
//! `desktop.json`, the next start opens at it before anything is typed,
//! and Ctrl + 0 returns to 100 %.

use std::path::Path;
use std::time::{Duration, Instant};

use kith_e2e::{Driver, Kith, PASSPHRASE, Result, Window, binary, loopback_settings};

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

fn saved_zoom(home: &Path) -> Result<u64> {
    let settings: serde_json::Value =
        serde_json::from_slice(&std::fs::read(home.join("desktop.json"))?)?;
    Ok(settings["zoom"].as_u64().ok_or("no zoom in desktop.json")?)
}

async fn walk(driver: &Driver, app: &Path, home: &Path) -> Result<()> {
    let w = Window::open(driver, app).await?;
    let input = w.find("unlock-input", LONG).await?;
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
    w.close().await?;

    let w = Window::open(driver, app).await?;
    let input = w.find("unlock-input", LONG).await?;
    width_becomes(&w, base / 1.25, "the next start").await?;
    input.send_keys(&format!("{CTRL}0")).await?;
    width_becomes(&w, base, "after Ctrl + 0").await?;
    assert_eq!(saved_zoom(home)?, 100);
    w.close().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_plus_zooms_the_window_and_the_next_start_opens_at_that_zoom() -> Result<()> {
    let app = binary("kith-desktop")?;
    let dir = tempfile::tempdir()?;
    let home = dir.path().join("ada");
    Kith::new(&home)?.json(&["init", "--name", "Ada"])?;
    loopback_settings(&home)?;
    let driver = Driver::start(
        &[
            ("KITH_HOME", home.as_path()),
            ("XDG_DATA_HOME", dir.path().join("xdg-data").as_path()),
        ],
        &dir.path().join("driver.log"),
    )?;
    let result = tokio::time::timeout(Duration::from_secs(180), walk(&driver, &app, &home))
        .await
        .unwrap_or_else(|_| Err("the walk did not finish within 180 s".into()));
    if result.is_err()
        && let Ok(text) = std::fs::read_to_string(dir.path().join("driver.log"))
    {
        let tail: Vec<&str> = text.lines().rev().take(40).collect();
        for l in tail.iter().rev() {
            eprintln!("{l}");
        }
    }
    result
}
