//! A long timeline in the real window (Xvfb + tauri-driver +
//! WebKitWebDriver): blocks of cards far from view leave the page, a box of
//! their height keeping their place, and come back when the reader returns,
//! with every card exactly where it was; a block the reader jumps into comes
//! back whole within a few frames; and a reader scrolling through the list
//! and back never sees the page jump or an empty box. jsdom lays
//! nothing out, so this is where heights and scroll positions are checked.

use std::time::{Duration, Instant};

use kith_e2e::{Driver, PASSPHRASE, Result, Window, binary, fixture_home};
use serde_json::{Value, json};

const LONG: Duration = Duration::from_secs(60);
/// Posts in the home; the test reads on until the list holds `LOADED`.
const POSTS: u64 = 400;
const LOADED: u64 = 300;

/// The list as the page holds it: posts in the list, cards in the page,
/// blocks out of the page, blocks coming back.
const STATE: &str = "const tl = document.querySelector('[data-testid=timeline]');
const blocks = Array.from(tl.querySelectorAll(':scope > .block'));
return { posts: Number(tl.dataset.posts), cards: tl.getElementsByTagName('article').length,
         parked: blocks.filter(b => b.children.length === 0 && b.style.height !== '').length,
         waking: blocks.filter(b => b.style.minHeight !== '').length,
         end: document.body.textContent.includes('You’re all caught up') };";

/// Block `arguments[0]`: its cards in the page, its height and the height
/// it holds (out of the page), and the first card's id and top edge
/// (viewport px).
const BLOCK: &str = "const b = document.querySelector(`[data-block=\"${arguments[0]}\"]`);
const first = b && b.querySelector('[data-post-id]');
return { cards: b ? b.children.length : -1, parked: !!b && b.style.height !== '',
         height: b ? b.getBoundingClientRect().height : null, held: b ? b.style.height : null,
         first: first ? first.dataset.postId : null,
         top: first ? first.getBoundingClientRect().top : null,
         pageTop: b ? b.getBoundingClientRect().top + window.scrollY : null,
         scrollY: window.scrollY };";

/// Scrolls `arguments[0]` px a frame (up when negative), the way a reader
/// turns the wheel, until the top, or the foot of a list with nothing more
/// to load (`end`), or `arguments[1]` frames (a WebDriver script must
/// return within 30 s, so a long sweep runs as several). Each frame it takes the card at the
/// middle of the window and, the next frame, checks that the card moved by
/// exactly the scroll: anything else is the page jumping under the reader
/// (a box above the view changing its height). It also counts frames whose
/// middle shows a block with no card there: an empty box in view.
const SWEEP: &str = "const [step, limit] = [arguments[0], arguments[1]];
const done = arguments[arguments.length - 1];
const jumps = [];
let blank = 0, frames = 0, seen = null;
const root = document.scrollingElement;
const atEnd = () => step < 0 ? scrollY <= 0
  : scrollY + innerHeight >= root.scrollHeight - 1 && document.body.textContent.includes('You’re all caught up');
function tick() {
  if (seen && seen.el.isConnected) {
    const moved = seen.top - seen.el.getBoundingClientRect().top;
    if (Math.abs(moved - seen.by) > 1 && jumps.length < 10)
      jumps.push({ post: seen.el.dataset.postId, scrolled: seen.by, moved: Math.round(moved), y: Math.round(scrollY) });
  }
  const at = document.elementFromPoint(innerWidth / 2, innerHeight / 2);
  const card = at && at.closest('[data-post-id]');
  if (!card && at && at.closest('.block')) blank++;
  const end = atEnd();
  if (frames++ >= limit || end) return done({ jumps, blank, end, y: Math.round(scrollY) });
  const [before, top] = [scrollY, card && card.getBoundingClientRect().top];
  window.scrollBy(0, step);
  seen = card ? { el: card, top, by: scrollY - before } : null;
  requestAnimationFrame(tick);
}
requestAnimationFrame(tick);";

/// Scrolls to `arguments[0]` at once, the way a scrollbar drag or End does,
/// and counts the frames until the middle of the window shows a card (at
/// most `arguments[1]`).
const JUMP: &str = "const [y, limit] = [arguments[0], arguments[1]];
const done = arguments[arguments.length - 1];
window.scrollTo(0, y);
let frames = 0;
function tick() {
  frames++;
  const at = document.elementFromPoint(innerWidth / 2, innerHeight / 2);
  if ((at && at.closest('[data-post-id]')) || frames >= limit) return done(frames);
  requestAnimationFrame(tick);
}
requestAnimationFrame(tick);";

/// Sweeps the list `step` px a frame (see [`SWEEP`]), in runs of at most
/// 400 frames, and checks that it reached the list's end with nothing in
/// view jumping or empty.
async fn sweep(w: &Window, step: i64, way: &str) -> Result<()> {
    for _ in 0..10 {
        let swept = w.js_async(SWEEP, vec![json!(step), json!(400)]).await?;
        assert_eq!(
            swept["jumps"],
            json!([]),
            "the page jumped under the reader scrolling {way} (a card in view moved by other than the scroll): {swept}"
        );
        assert_eq!(
            swept["blank"], 0,
            "an empty box was in view while scrolling {way}: {swept}"
        );
        if swept["end"] == true {
            return Ok(());
        }
    }
    Err(format!("scrolling {way} did not reach the end of the list within 4,000 frames").into())
}

async fn state(w: &Window) -> Result<Value> {
    w.js(STATE, vec![]).await
}

async fn block(w: &Window, key: u64) -> Result<Value> {
    w.js(BLOCK, vec![json!(key)]).await
}

/// Polls `check` on the page's state every 100 ms until it holds, for at
/// most `limit`; the error names `what` and the last state seen.
async fn until(
    w: &Window,
    what: &str,
    limit: Duration,
    check: impl Fn(&Value) -> bool,
    read: impl AsyncFn(&Window) -> Result<Value>,
) -> Result<Value> {
    let started = Instant::now();
    loop {
        let v = read(w).await?;
        if check(&v) {
            return Ok(v);
        }
        if started.elapsed() > limit {
            return Err(format!("{what}: not within {limit:?}; last seen {v}").into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn scroll_to(w: &Window, y: f64) -> Result<()> {
    w.js("window.scrollTo(0, arguments[0]);", vec![json!(y)])
        .await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn far_cards_leave_the_page_and_come_back_exactly_where_they_were() -> Result<()> {
    let app = binary("kith-desktop")?;
    let dir = tempfile::tempdir()?;
    let home = dir.path().join("ada");
    fixture_home(dir.path(), &home, POSTS)?;
    let driver = Driver::start(
        &[("KITH_HOME", home.as_path())],
        &dir.path().join("driver.log"),
    )?;
    let w = Window::open(&driver, &app).await?;
    let result = tokio::time::timeout(Duration::from_secs(300), walk(&w)).await;
    let result = result.unwrap_or_else(|_| Err("the walk did not finish within 300 s".into()));
    if result.is_err() {
        let _ = w.screenshot("long-timeline-failure").await;
    }
    let _ = tokio::time::timeout(Duration::from_secs(15), w.close()).await;
    result
}

/// Scrolls to the foot of the list.
async fn to_foot(w: &Window) -> Result<()> {
    w.js(
        "window.scrollTo(0, document.scrollingElement.scrollHeight);",
        vec![],
    )
    .await?;
    Ok(())
}

/// Goes to the foot of the list and waits for block `key` to leave the
/// page; then the block as it stands.
async fn away_to_foot(w: &Window, key: u64) -> Result<Value> {
    to_foot(w).await?;
    until(
        w,
        &format!("block {key} to leave the page"),
        LONG,
        |b| b["parked"] == true && b["cards"] == 0,
        async |w: &Window| block(w, key).await,
    )
    .await
}

/// Waits for block `key` to show all its 30 cards and for no block to be
/// still coming back; then the block as it stands.
async fn block_back(w: &Window, key: u64) -> Result<Value> {
    until(
        w,
        &format!("block {key} to show all its cards"),
        LONG,
        |b| b["cards"] == 30 && b["parked"] == false,
        async |w: &Window| block(w, key).await,
    )
    .await?;
    until(
        w,
        "no block still coming back",
        LONG,
        |s| s["waking"] == 0,
        state,
    )
    .await?;
    block(w, key).await
}

/// Reads on to the foot of the list until it holds `LOADED` posts; checks
/// that the page then holds the cards near the view only. Returns the
/// number of posts in the list.
async fn read_on(w: &Window) -> Result<u64> {
    let loaded = until(
        w,
        &format!("the timeline to hold {LOADED} posts"),
        LONG,
        |s| s["posts"].as_u64().unwrap_or(0) >= LOADED || s["end"] == true,
        async |w: &Window| {
            to_foot(w).await?;
            tokio::time::sleep(Duration::from_millis(150)).await;
            state(w).await
        },
    )
    .await?;
    let posts = loaded["posts"].as_u64().unwrap_or(0);
    assert!(
        posts >= LOADED,
        "the timeline stopped at {posts} posts: {loaded}"
    );
    // At the foot of the list, the blocks far above are out of the page.
    let settled = until(
        w,
        "blocks far above the view to leave the page",
        LONG,
        |s| s["parked"].as_u64().unwrap_or(0) >= 2 && s["waking"] == 0,
        state,
    )
    .await?;
    let cards = settled["cards"].as_u64().unwrap_or(u64::MAX);
    assert!(
        cards * 2 < posts,
        "the page should hold the cards near the view only, not most of the list: {settled}"
    );
    Ok(posts)
}

async fn walk(w: &Window) -> Result<()> {
    w.find("unlock-input", LONG).await?;
    w.type_into("unlock-input", PASSPHRASE).await?;
    w.click("unlock-button").await?;
    w.find("post", LONG).await?;
    read_on(w).await?;

    // A place in the middle: block 3's top a little below the window's top.
    let b3 = block(w, 3).await?;
    let place = b3["pageTop"].as_f64().ok_or(format!("no block 3: {b3}"))? - 100.0;
    scroll_to(w, place).await?;
    let here = block_back(w, 3).await?;

    // Away to the foot of the list: block 3 leaves the page.
    let away = away_to_foot(w, 3).await?;

    // Back: block 3 returns, and its first card is where it was.
    scroll_to(w, place).await?;
    let back = block_back(w, 3).await?;
    assert_eq!(
        back["first"], here["first"],
        "block 3 came back with other posts: {back} against {here}"
    );
    assert_eq!(
        back["scrollY"], here["scrollY"],
        "the page scrolled by itself: {back} against {here}"
    );
    let held: f64 = away["held"]
        .as_str()
        .and_then(|h| h.strip_suffix("px"))
        .and_then(|h| h.parse().ok())
        .ok_or(format!("block 3 held no height: {away}"))?;
    let height = back["height"].as_f64().unwrap_or(f64::NAN);
    assert!(
        (held - height).abs() <= 1.0,
        "block 3 held {held} px out of the page but is {height} px with its cards: {away} against {back}"
    );
    let moved = back["top"].as_f64().unwrap_or(f64::NAN) - here["top"].as_f64().unwrap_or(f64::NAN);
    assert!(
        moved.abs() <= 1.0,
        "the first card of block 3 moved {moved} px after leaving the page and coming back: {back} against {here}"
    );
    w.screenshot("19-long-timeline").await?;

    // A jump into the foot of a block out of the page: the reader is looking
    // at it, so it comes back whole within a few frames, not three cards a
    // frame from its top (ten steps for 30 cards).
    let gone = away_to_foot(w, 3).await?;
    let foot =
        gone["pageTop"].as_f64().unwrap_or(f64::NAN) + gone["height"].as_f64().unwrap_or(f64::NAN);
    let inner: f64 = w
        .js("return window.innerHeight;", vec![])
        .await?
        .as_f64()
        .unwrap_or(768.0);
    let frames = w
        .js_async(JUMP, vec![json!(foot - inner), json!(60)])
        .await?;
    let frames = frames.as_u64().unwrap_or(u64::MAX);
    assert!(
        frames <= 5,
        "after a jump into the foot of block 3 the window showed no card for {frames} frames: {gone}"
    );

    // A reader's way through the list: from the top to the foot and back,
    // 60 px a frame. Blocks far behind leave the page, blocks ahead come
    // back as the reader nears them, and nothing in view moves by other
    // than the scroll or is empty.
    scroll_to(w, 0.0).await?;
    until(
        w,
        "the blocks at the top to be back",
        LONG,
        |s| s["waking"] == 0,
        state,
    )
    .await?;
    sweep(w, 60, "down").await?;
    sweep(w, -60, "up").await?;
    Ok(())
}
