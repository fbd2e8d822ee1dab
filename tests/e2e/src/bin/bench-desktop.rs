//! `bench-desktop`: figures of the desktop app (a benchmark, not a test): cold start to the unlock
//! screen, unlock to the first painted timeline, idle resident memory, and
//! frame times while scrolling a 10,000-post timeline. Run with
//! `scripts/bench-desktop.sh` (release build); results are printed and
//! written to `target/e2e-screenshots/figures.json`.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use kith_e2e::{
    Display, Driver, Kith, PASSPHRASE, Result, Window, app_pid, binary, loopback_settings,
    process_start_epoch_ms, rss_kib, screenshot_dir, tree_rss_kib,
};
use serde_json::{Value, json};

const LONG: Duration = Duration::from_secs(60);

fn epoch_ms() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

/// Page time now, as ms since the epoch, after two animation frames.
async fn painted_at(w: &Window) -> Result<f64> {
    let v = w
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             requestAnimationFrame(() => requestAnimationFrame(
               () => done(performance.timeOrigin + performance.now())));",
            Vec::new(),
        )
        .await?;
    v.as_f64().ok_or_else(|| "no page time".into())
}

/// Scrolls the timeline for `seconds`, `step` pixels a frame, and reports
/// frame intervals and how many posts were on screen by the end.
const SCROLL_SCRIPT: &str = r"
const [seconds, step, selector] = [arguments[0], arguments[1], arguments[2]];
const done = arguments[arguments.length - 1];
const timeline = document.querySelector(selector);
let scroller = timeline;
while (scroller && !(scroller.scrollHeight > scroller.clientHeight &&
       /(auto|scroll)/.test(getComputedStyle(scroller).overflowY))) {
  scroller = scroller.parentElement;
}
scroller = scroller || document.scrollingElement;
const frames = [];
let last = performance.now();
const end = last + seconds * 1000;
function tick(now) {
  frames.push(now - last);
  last = now;
  scroller.scrollTop += step;
  if (now < end) requestAnimationFrame(tick);
  else done({ frames, posts: document.querySelectorAll('[data-testid=post], p').length,
              scrolled: scroller.scrollTop });
}
requestAnimationFrame((t) => { last = t; requestAnimationFrame(tick); });
";

fn frame_stats(v: &Value) -> Value {
    let mut frames: Vec<f64> = v["frames"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_f64).collect())
        .unwrap_or_default();
    frames.sort_by(f64::total_cmp);
    let n = frames.len();
    let pct = |p: f64| {
        frames
            .get(((n as f64 - 1.0) * p).round() as usize)
            .copied()
            .unwrap_or(0.0)
    };
    json!({
        "frames": n,
        "p50_ms": (pct(0.5) * 10.0).round() / 10.0,
        "p99_ms": (pct(0.99) * 10.0).round() / 10.0,
        "max_ms": (frames.last().copied().unwrap_or(0.0) * 10.0).round() / 10.0,
        "over_32_ms": frames.iter().filter(|f| **f > 32.0).count(),
        "posts_in_page": v["posts"],
    })
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<()> {
    const POSTS: u64 = 10_000;
    let app = binary("kith-desktop")?;
    let dir = tempfile::tempdir()?;
    let home = dir.path().join("ada");
    let ada = Kith::new(&home)?;
    ada.json(&["init", "--name", "Ada"])?;
    let bundle = dir.path().join("fixture.bundle");
    let fixture = ada.json(&[
        "bench",
        "fixture",
        "--n",
        &POSTS.to_string(),
        "--out",
        &bundle.display().to_string(),
    ])?;
    ada.json(&["import", &bundle.display().to_string()])?;
    for a in fixture["authors"].as_array().ok_or("fixture authors")? {
        ada.json(&["follow", a.as_str().ok_or("an author id")?])?;
    }
    loopback_settings(&home)?;

    let display = Display::start()?;
    let driver = Driver::start(
        &display,
        &[("KITH_HOME", home.as_path())],
        &dir.path().join("driver.log"),
    )?;
    let launched = epoch_ms();
    let started = Instant::now();
    let w = Window::open(&driver, &app).await?;
    w.find("unlock-input", LONG).await?;
    let unlock_painted = painted_at(&w).await?;
    let process_started = app_pid(&home).and_then(process_start_epoch_ms);
    w.type_into("unlock-input", PASSPHRASE).await?;
    let clicked = epoch_ms();
    w.click("unlock-button").await?;
    w.find("post", LONG).await?;
    let mark = w
        .js(
            "const m = performance.getEntriesByName('first-timeline')[0];
             return m ? performance.timeOrigin + m.startTime : null;",
            vec![],
        )
        .await?;
    let timeline_painted = match mark.as_f64() {
        Some(t) => t,
        None => painted_at(&w).await?,
    };
    let to_timeline = started.elapsed();
    w.screenshot("figures-timeline-10k").await?;

    tokio::time::sleep(Duration::from_secs(10)).await;
    let rss = app_pid(&home).map_or(0, tree_rss_kib);
    let own = app_pid(&home).map_or(0, rss_kib);

    let scroll = w
        .client
        .execute_async(
            SCROLL_SCRIPT,
            vec![json!(20), json!(60), json!("[data-testid=timeline]")],
        )
        .await?;
    let scrolling = frame_stats(&scroll);

    // The limit beside it: the same web view scrolling 10,000 plain
    // paragraphs, no app code at all.
    w.js(
        "document.body.innerHTML = '<div id=plain style=\"height:100vh;overflow:auto\">' +
           Array.from({length: 10000}, (_, i) => '<p>Plain line ' + i + ' of a static page</p>').join('') +
           '</div>';",
        vec![],
    )
    .await?;
    let plain = w
        .client
        .execute_async(SCROLL_SCRIPT, vec![json!(20), json!(60), json!("#plain")])
        .await?;
    let plain_scrolling = frame_stats(&plain);

    let figures = json!({
        "posts_in_timeline": POSTS,
        "process_start_to_unlock_screen_ms": process_started.map(|t| (unlock_painted - t).round()),
        "webdriver_session_to_unlock_screen_ms": (unlock_painted - launched).round(),
        "unlock_to_first_timeline_ms": (timeline_painted - clicked).round(),
        "launch_to_timeline_with_typing_ms": to_timeline.as_millis() as u64,
        "idle_rss_mb_app_and_webview": rss / 1024,
        "idle_rss_mb_app_process": own / 1024,
        "scrolling_20s_60px_per_frame": scrolling,
        "limit_plain_page_scrolling_same_webview": plain_scrolling,
    });
    println!("{}", serde_json::to_string_pretty(&figures)?);
    std::fs::write(
        screenshot_dir().join("figures.json"),
        serde_json::to_vec_pretty(&figures)?,
    )?;
    let _ = w.close().await;
    Ok(())
}
