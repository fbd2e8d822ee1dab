//! The real desktop app in a real window (Xvfb + tauri-driver +
//! WebKitWebDriver): onboarding, posting, replying, the thread, a peer's
//! post arriving live from a `kith serve` process on loopback, and a
//! screenshot of every screen. Figures (cold start, idle memory) are
//! printed and written to `target/e2e-screenshots/figures.json`; they are
//! not asserted.

use std::time::{Duration, Instant};

use kith_e2e::{
    Display, Driver, Kith, Result, Window, app_pid, binary, loopback_settings, screenshot_dir,
    tree_rss_kib,
};
use serde_json::json;

const LONG: Duration = Duration::from_secs(30);
const PASSPHRASE: &str = "a long desktop passphrase";

async fn onboard(w: &Window) -> Result<Vec<String>> {
    w.find("onboarding-create", LONG).await?;
    w.screenshot("01-welcome").await?;
    w.click("onboarding-create").await?;
    w.type_into("name-input", "Ada").await?;
    w.type_into("passphrase-input", PASSPHRASE).await?;
    w.type_into("passphrase-confirm-input", PASSPHRASE).await?;
    w.screenshot("02-create-account").await?;
    w.click("create-account-button").await?;
    w.find("recovery-phrase", LONG).await?;
    let mut words = Vec::new();
    for e in w.all("recovery-word").await? {
        words.push(e.text().await?.trim().to_owned());
    }
    // A word may be shown with its number ("3. cable"): keep the word.
    let words: Vec<String> = words
        .iter()
        .map(|w| {
            w.rsplit(|c: char| c.is_whitespace() || c == '.')
                .next()
                .unwrap_or(w)
                .to_owned()
        })
        .collect();
    assert_eq!(
        words.len(),
        24,
        "the recovery phrase has 24 words: {words:?}"
    );
    w.screenshot("03-recovery-phrase").await?;
    w.click("phrase-saved-button").await?;
    w.find("confirm-word-input", LONG).await?;
    for input in w.all("confirm-word-input").await? {
        let position: usize = input
            .attr("data-position")
            .await?
            .ok_or("a confirm input without data-position")?
            .parse()?;
        let word = words.get(position - 1).ok_or("position out of range")?;
        input.click().await?;
        input.send_keys(word).await?;
    }
    w.screenshot("04-confirm-phrase").await?;
    w.click("confirm-phrase-button").await?;
    w.find("timeline", LONG).await?;
    Ok(words)
}

async fn post_reply_and_thread(w: &Window) -> Result<()> {
    w.screenshot("05-home-empty").await?;
    w.type_into("composer-text", "Bonjour depuis la fenêtre de Kith")
        .await?;
    w.click("composer-submit").await?;
    w.wait_text("post-text", "Bonjour depuis la fenêtre", LONG)
        .await?;
    w.screenshot("06-home-first-post").await?;

    let posts = w.all("post").await?;
    let first = posts.first().ok_or("the post is in the timeline")?;
    first
        .find(fantoccini::Locator::Css("[data-testid=\"reply-button\"]"))
        .await?
        .click()
        .await?;
    // The reply composer opens inline: it is the last composer on screen.
    let start = Instant::now();
    let reply_box = loop {
        let boxes = w.all("composer-text").await?;
        if boxes.len() >= 2 || start.elapsed() > LONG {
            break boxes.into_iter().last().ok_or("a reply composer")?;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    reply_box.click().await?;
    reply_box.send_keys("Et voici une réponse").await?;
    let submit = w
        .all("composer-submit")
        .await?
        .into_iter()
        .last()
        .ok_or("a reply submit button")?;
    submit.click().await?;
    w.wait_text("post-text", "Et voici une réponse", LONG)
        .await?;

    // Open the thread of the first post.
    let target = w.all("post-text").await?;
    let mut opened = false;
    for t in target {
        if t.text().await?.contains("Bonjour depuis la fenêtre") {
            t.click().await?;
            opened = true;
            break;
        }
    }
    assert!(opened, "the first post is clickable");
    w.find("thread", LONG).await?;
    w.wait_text("thread", "Bonjour depuis la fenêtre", LONG)
        .await?;
    w.wait_text("thread", "Et voici une réponse", LONG).await?;
    w.screenshot("07-thread").await?;
    Ok(())
}

async fn peer_post_arrives(w: &Window, peer: &Kith) -> Result<()> {
    let invite = peer.json(&["invite"])?;
    let code = invite["code"].as_str().ok_or("an invite code")?.to_owned();
    w.click("nav-invite").await?;
    w.find("invite-code", LONG).await?;
    w.wait_text("invite-code", "kith:", LONG).await?;
    w.screenshot("08-invite").await?;
    w.type_into("accept-invite-input", &code).await?;
    w.click("accept-invite-button").await?;
    w.find("toast", LONG).await?;

    peer.json(&["post", "Salut Ada, ici Bea sur un autre nœud"])?;
    w.click("nav-home").await?;
    w.find("timeline", LONG).await?;
    let start = Instant::now();
    loop {
        if let Some(pill) = w.all("new-posts-pill").await?.into_iter().next() {
            let _ = pill.click().await;
        }
        let mut seen = false;
        for t in w.all("post-text").await? {
            if t.text().await.unwrap_or_default().contains("ici Bea") {
                seen = true;
            }
        }
        if seen {
            break;
        }
        if start.elapsed() >= LONG {
            // An error, not a panic, so that the caller prints the logs.
            return Err(format!(
                "Bea's post from the kith serve peer did not reach the window within {LONG:?}"
            )
            .into());
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    w.screenshot("09-home-peer-post").await?;
    Ok(())
}

/// Mutes Bea from her post's menu: the post leaves the timeline at once,
/// and the moderation screen lists the mute.
async fn mute_from_a_posts_menu(w: &Window) -> Result<()> {
    let mut menu = None;
    for post in w.all("post").await? {
        if post.text().await.unwrap_or_default().contains("ici Bea") {
            menu = Some(
                post.find(fantoccini::Locator::Css("[data-testid=\"more-button\"]"))
                    .await?,
            );
        }
    }
    menu.ok_or("Bea's post has no menu button")?.click().await?;
    w.click("menu-mute").await?;
    let start = Instant::now();
    loop {
        let mut still = false;
        for t in w.all("post-text").await? {
            if t.text().await.unwrap_or_default().contains("ici Bea") {
                still = true;
            }
        }
        if !still {
            break;
        }
        assert!(
            start.elapsed() < LONG,
            "Bea's post stayed on the timeline after muting her"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    w.click("nav-moderation").await?;
    w.find("mute-row", LONG).await?;
    w.screenshot("16-moderation").await?;
    Ok(())
}

async fn every_screen(w: &Window) -> Result<()> {
    w.click("nav-people").await?;
    w.find("peer-row", LONG).await?;
    w.screenshot("10-people-and-sync").await?;
    w.click("nav-search").await?;
    w.type_into("search-input", "bonjour").await?;
    w.wait_text("post-text", "Bonjour depuis", LONG).await?;
    w.screenshot("11-search").await?;
    w.click("nav-profile").await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    w.screenshot("12-profile").await?;
    w.click("nav-backup").await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    w.screenshot("13-backup").await?;
    w.click("nav-settings").await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    w.screenshot("14-settings").await?;
    w.js("document.documentElement.dataset.theme = 'dark';", vec![])
        .await?;
    w.click("nav-home").await?;
    w.find("timeline", LONG).await?;
    w.screenshot("15-home-dark").await?;
    w.js("document.documentElement.dataset.theme = 'light';", vec![])
        .await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn onboarding_post_reply_thread_and_a_peers_post_reach_the_real_window() -> Result<()> {
    let app = binary("kith-desktop")?;
    let dir = tempfile::tempdir()?;
    let home = dir.path().join("ada");
    loopback_settings(&home)?;
    let bea = Kith::new(&dir.path().join("bea"))?;
    bea.json(&["init", "--name", "Bea"])?;
    let _bea_node = bea.serve(&dir.path().join("bea.log"))?;

    let display = Display::start()?;
    let driver = Driver::start(
        &display,
        &[("KITH_HOME", home.as_path())],
        &dir.path().join("driver.log"),
    )?;
    let started = Instant::now();
    let w = Window::open(&driver, &app).await?;
    let result = async {
        onboard(&w).await?;
        let onboarded_in = started.elapsed();
        post_reply_and_thread(&w).await?;
        peer_post_arrives(&w, &bea).await?;
        mute_from_a_posts_menu(&w).await?;
        every_screen(&w).await?;
        // Idle: let the node settle, then measure the whole process tree.
        tokio::time::sleep(Duration::from_secs(3)).await;
        let rss = app_pid(&home).map_or(0, tree_rss_kib);
        println!(
            "figure: idle resident memory of the app (with web processes): {} MB",
            rss / 1024
        );
        println!("figure: onboarding done after {onboarded_in:?}");
        std::fs::write(
            screenshot_dir().join("figures-onboarding.json"),
            serde_json::to_vec_pretty(&json!({ "idle_rss_kib": rss }))?,
        )?;
        Result::Ok(())
    }
    .await;
    if result.is_err() {
        let _ = w.screenshot("failure").await;
        for f in ["driver.log", "driver.err", "bea.log"] {
            if let Ok(text) = std::fs::read_to_string(dir.path().join(f)) {
                let tail: Vec<&str> = text.lines().rev().take(40).collect();
                eprintln!("--- {f} (last lines) ---");
                for l in tail.iter().rev() {
                    eprintln!("{l}");
                }
            }
        }
    }
    let _ = w.close().await;
    result
}
