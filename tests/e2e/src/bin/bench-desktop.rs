//! `bench-desktop`: figures of the desktop app (a benchmark, not a test): cold start to the unlock
//! screen, unlock to the first painted timeline, idle resident memory, and
//! frame times while scrolling a 10,000-post timeline (20 s, then 40 s
//! more as the list grows); beside them, the idle
//! memory of an empty Tauri window (`kith-blank-window`) and the same web
//! view scrolling a plain page. Run with
//! `scripts/bench-desktop.sh` (release build); results are printed and
//! written to `target/e2e-screenshots/figures.json`.

use std::path::Path;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use kith_e2e::{
    Driver, Memory, PASSPHRASE, Result, Window, app_pid, binary, fixture_home, memory_kib,
    process_pid, process_start_epoch_ms, rss_by_mapping_kib, screenshot_dir, tree_memory_kib,
};
use serde_json::{Value, json};

const LONG: Duration = Duration::from_secs(60);
/// The home timeline's list.
const TIMELINE: &str = "[data-testid=timeline]";

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

/// When the page set the performance mark `name`, as ms since the epoch
/// (waits up to a second for it: the mark follows the paint).
async fn mark_at(w: &Window, name: &str) -> Result<Option<f64>> {
    for _ in 0..20 {
        let v = w
            .js(
                "const m = performance.getEntriesByName(arguments[0])[0];
                 return m ? performance.timeOrigin + m.startTime : null;",
                vec![json!(name)],
            )
            .await?;
        if let Some(t) = v.as_f64() {
            return Ok(Some(t));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(None)
}

/// The page's marks (`[name, epoch ms]`) as ms after `origin`, in order.
fn relative_marks(marks: &Value, origin: f64) -> Value {
    let list: Vec<Value> = marks
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|m| Some(json!([m[0].as_str()?, (m[1].as_f64()? - origin).round()])))
                .collect()
        })
        .unwrap_or_default();
    Value::Array(list)
}

/// Scrolls the timeline for `seconds`, `step` pixels a frame, and reports
/// frame intervals, how many posts the list held by the end and how many
/// cards of them were in the page (a long list keeps only those near view).
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
// Each frame over 32 ms with the cards added to the list in it and in the
// frame before (new cards are laid out in the frame after they arrive), to
// tell the cost of new cards from the cost of scrolling.
const long = [];
let last = performance.now();
// Cards may sit in blocks: count them through a live collection (cheap
// to read each frame); the plain page's lines are its direct children.
const items = timeline.querySelector('article') ? timeline.getElementsByTagName('article')
                                               : timeline.children;
let cards = items.length;
let addedBefore = 0;
const end = last + seconds * 1000;
function tick(now) {
  const interval = now - last;
  frames.push(interval);
  const count = items.length;
  if (interval > 32) long.push([Math.round(interval), count - cards, addedBefore]);
  addedBefore = count - cards;
  cards = count;
  last = now;
  scroller.scrollTop += step;
  if (now < end) requestAnimationFrame(tick);
  else done({ frames, long, posts: Number(timeline.dataset.posts ?? items.length),
              cards: items.length, scrolled: scroller.scrollTop });
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
        "cards_in_page": v["cards"],
        "long_frames_ms_cards_added_now_and_before": v["long"],
    })
}

/// The page's start-up steps: navigation timing and the app's own marks.
const START_UP_MARKS: &str = "const at = (t) => Math.round(performance.timeOrigin + t);
const nav = performance.getEntriesByType('navigation')[0];
const steps = [['page-navigation', at(0)]];
if (nav) steps.push(['page-response-end', at(nav.responseEnd)],
                    ['page-dom-content-loaded', at(nav.domContentLoadedEventEnd)]);
return steps.concat(performance.getEntriesByType('mark').map(m => [m.name, at(m.startTime)]));";

/// Frame figures of 20 s of scrolling the list `selector` names, 60 px a
/// frame, from where it stands.
async fn scroll_for_20s(w: &Window, selector: &str) -> Result<Value> {
    scroll_by(w, selector, 60).await
}

/// Frame figures of 20 s of scrolling the list `selector` names by `step`
/// px a frame (negative: up), from where it stands.
async fn scroll_by(w: &Window, selector: &str, step: i32) -> Result<Value> {
    let v = w
        .client
        .execute_async(SCROLL_SCRIPT, vec![json!(20), json!(step), json!(selector)])
        .await?;
    Ok(frame_stats(&v))
}

/// The limit beside the memory figure: an empty Tauri window (one line of
/// text, Kith's window size), started the same way as the app and measured
/// after the same 10 s wait. Its own process, then with WebKit's.
async fn empty_window_memory(
    driver: &Driver,
    home: &Path,
) -> Result<(Memory, Memory, Vec<(String, u64)>)> {
    let app = binary("kith-blank-window")?;
    let w = Window::open(driver, &app).await?;
    tokio::time::sleep(Duration::from_secs(10)).await;
    let pid = process_pid("kith-blank-window", home)
        .ok_or("the empty window's process was not found to measure")?;
    let own = memory_kib(pid);
    let tree = tree_memory_kib(pid);
    let by_mapping = rss_by_mapping_kib(pid);
    let _ = w.close().await;
    Ok((own, tree, by_mapping))
}

/// The twelve largest entries of an RSS breakdown, in MB with one decimal.
fn largest_mappings_mb(list: &[(String, u64)]) -> Value {
    Value::Array(
        list.iter()
            .take(12)
            .map(|(name, kib)| json!([name, (*kib as f64 / 102.4).round() / 10.0]))
            .collect(),
    )
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<()> {
    const POSTS: u64 = 10_000;
    let app = binary("kith-desktop")?;
    let dir = tempfile::tempdir()?;
    let home = dir.path().join("ada");
    fixture_home(dir.path(), &home, POSTS)?;
    let driver = Driver::start(
        &[("KITH_HOME", home.as_path())],
        &dir.path().join("driver.log"),
    )?;
    let launched = epoch_ms();
    let started = Instant::now();
    let w = Window::open(&driver, &app).await?;
    w.find("unlock-input", LONG).await?;
    let unlock_painted = match mark_at(&w, "first-screen").await? {
        Some(t) => t,
        None => painted_at(&w).await?,
    };
    let pid = app_pid(&home).ok_or("the app's process was not found")?;
    let process_started = process_start_epoch_ms(pid);
    w.type_into("unlock-input", PASSPHRASE).await?;
    let clicked = epoch_ms();
    w.click("unlock-button").await?;
    w.find("post", LONG).await?;
    let timeline_painted = match mark_at(&w, "first-timeline").await? {
        Some(t) => t,
        None => painted_at(&w).await?,
    };
    let to_timeline = started.elapsed();
    let marks = w.js(START_UP_MARKS, vec![]).await?;
    let launch_marks = relative_marks(&marks, process_started.unwrap_or(launched));
    w.screenshot("figures-timeline-10k").await?;

    tokio::time::sleep(Duration::from_secs(10)).await;
    let tree = tree_memory_kib(pid);
    let own = memory_kib(pid);
    let own_by_mapping = rss_by_mapping_kib(pid);

    let scrolling = scroll_for_20s(&w, TIMELINE).await?;
    // Reading on: two more 20 s stretches from where the first stopped, as
    // later pages make the list two to three times as long.
    let later_20_40 = scroll_for_20s(&w, TIMELINE).await?;
    let later_40_60 = scroll_for_20s(&w, TIMELINE).await?;
    // Back up over cards read before: those far from view left the page
    // and come back as the reader nears them.
    let back_up = scroll_by(&w, TIMELINE, -60).await?;
    // What 80 s of reading left in memory: the web process holds the cards
    // in the page and their script objects.
    let read_tree = tree_memory_kib(pid);

    // The limit beside it: the same web view scrolling 10,000 plain
    // paragraphs, no app code at all.
    w.js(
        "document.body.innerHTML = '<div id=plain style=\"height:100vh;overflow:auto\">' +
           Array.from({length: 10000}, (_, i) => '<p>Plain line ' + i + ' of a static page</p>').join('') +
           '</div>';",
        vec![],
    )
    .await?;
    let plain_scrolling = scroll_for_20s(&w, "#plain").await?;
    let _ = w.close().await;
    let (blank_own, blank_tree, blank_by_mapping) = empty_window_memory(&driver, &home).await?;

    let figures = json!({
        "posts_in_timeline": POSTS,
        "process_start_to_unlock_screen_ms": process_started.map(|t| (unlock_painted - t).round()),
        "webdriver_session_to_unlock_screen_ms": (unlock_painted - launched).round(),
        "unlock_to_first_timeline_ms": (timeline_painted - clicked).round(),
        "launch_to_timeline_with_typing_ms": to_timeline.as_millis() as u64,
        "page_marks_ms_after_process_start": launch_marks,
        "unlock_clicked_ms_after_process_start": (clicked - process_started.unwrap_or(launched)).round(),
        "idle_rss_mb_app_and_webview": tree.rss / 1024,
        "idle_rss_mb_app_process": own.rss / 1024,
        "idle_pss_mb_app_and_webview": tree.pss / 1024,
        "idle_pss_mb_app_process": own.pss / 1024,
        "idle_anonymous_mb_app_process": own.anonymous / 1024,
        "pss_mb_app_and_webview_after_scrolling": read_tree.pss / 1024,
        "rss_mb_app_and_webview_after_scrolling": read_tree.rss / 1024,
        "limit_empty_tauri_window_idle_rss_mb_app_process": blank_own.rss / 1024,
        "limit_empty_tauri_window_idle_pss_mb_app_process": blank_own.pss / 1024,
        "limit_empty_tauri_window_idle_anonymous_mb_app_process": blank_own.anonymous / 1024,
        "limit_empty_tauri_window_idle_rss_mb_with_webview": blank_tree.rss / 1024,
        "limit_empty_tauri_window_idle_pss_mb_with_webview": blank_tree.pss / 1024,
        "idle_rss_mb_app_process_largest_mappings": largest_mappings_mb(&own_by_mapping),
        "limit_empty_tauri_window_idle_rss_mb_largest_mappings": largest_mappings_mb(&blank_by_mapping),
        "scrolling_20s_60px_per_frame": scrolling,
        "scrolling_on_20_to_40s": later_20_40,
        "scrolling_on_40_to_60s": later_40_60,
        "scrolling_back_up_20s": back_up,
        "limit_plain_page_scrolling_same_webview": plain_scrolling,
    });
    println!("{}", serde_json::to_string_pretty(&figures)?);
    std::fs::write(
        screenshot_dir().join("figures.json"),
        serde_json::to_vec_pretty(&figures)?,
    )?;
    // The app's own log (timestamps of its start-up steps) beside the figures.
    for name in ["driver.log", "driver.err"] {
        let _ = std::fs::copy(
            dir.path().join(name),
            screenshot_dir().join(format!("bench-desktop-{name}")),
        );
    }
    Ok(())
}
