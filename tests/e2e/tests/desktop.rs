//! The real desktop app in a real window (Xvfb + tauri-driver +
//! WebKitWebDriver): onboarding, posting, replying, the thread, a peer's
//! post arriving live from a `kith serve` process on loopback, a desktop
//! notification of a reply (shown by a real notification server, dunst)
//! whose click opens the reply, sharing
//! Kith from the window (the page fetched over loopback), an update that
//! peer announces offered and downloaded, and a screenshot of every screen. Figures (cold start, idle memory) are
//! printed and written to `target/e2e-screenshots/figures.json`; they are
//! not asserted.

use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use kith_e2e::{
    Driver, Kith, NotificationServer, Result, Window, app_pid, binary, free_port,
    loopback_settings, print_log_tails, screenshot_dir, tree_memory_kib, wait_until,
};
use serde_json::json;

const LONG: Duration = Duration::from_secs(30);
/// The test release key's seed; the app and the peer are told to trust it.
const RELEASE_SEED: u8 = 9;

/// `KITH_RELEASE_PUBLIC_KEY` for the test release key.
fn release_key_env() -> String {
    let key = ed25519_dalek::SigningKey::from_bytes(&[RELEASE_SEED; 32]);
    kith_core::release::ReleaseKey::of(&key).to_text()
}

/// Writes a package file of `version` and its signed manifest into `dir`;
/// returns the package's path.
fn test_release(dir: &std::path::Path, version: &str) -> Result<std::path::PathBuf> {
    use kith_core::release::{Manifest, PackageDigest};
    std::fs::create_dir_all(dir)?;
    let name = format!("Kith_{version}_amd64.deb");
    let bytes: Vec<u8> = (0..300_000u32).map(|i| (i % 253) as u8).collect();
    std::fs::write(dir.join(&name), &bytes)?;
    let mut digest = PackageDigest::new();
    digest.update(&bytes);
    let signed = Manifest {
        version: semver::Version::parse(version)?,
        date: "2026-11-23".into(),
        files: vec![digest.finish(&name)],
    }
    .sign(&ed25519_dalek::SigningKey::from_bytes(&[RELEASE_SEED; 32]))?;
    std::fs::write(dir.join("kith-manifest.txt"), signed.text())?;
    Ok(dir.join(name))
}

/// GETs `path` from `addr` over loopback: status line and body.
async fn http_get(addr: &str, path: &str) -> Result<(String, Vec<u8>)> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await?;
    let mut answer = Vec::new();
    tokio::time::timeout(LONG, stream.read_to_end(&mut answer)).await??;
    let split = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or("no header block in the answer")?;
    let head = String::from_utf8_lossy(&answer[..split]);
    let status = head.lines().next().unwrap_or_default().to_owned();
    Ok((status, answer[split + 4..].to_vec()))
}

/// Shares Kith from the window on a loopback port and fetches the page and
/// the package from it as someone with no Kith would; then stops.
async fn share_kith(w: &Window, package: &std::path::Path) -> Result<()> {
    w.click("nav-share").await?;
    w.find("held-release", LONG).await?;
    let fingerprint = w.find("release-fingerprint", LONG).await?.text().await?;
    let addr = format!("127.0.0.1:{}", free_port());
    w.replace_text("share-address", &addr).await?;
    w.click("share-start").await?;
    w.wait_text("share-url", &format!("http://{addr}/"), LONG)
        .await?;
    w.find("share-qr", LONG).await?;
    let (status, page) = http_get(&addr, "/").await?;
    let page = String::from_utf8_lossy(&page);
    if !status.contains("200") || !page.contains(fingerprint.trim()) {
        return Err(format!(
            "the share page ({status}) does not show the fingerprint {fingerprint}"
        )
        .into());
    }
    let name = package
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or("a package name")?;
    let (status, bytes) = http_get(&addr, &format!("/{name}")).await?;
    if !status.contains("200") || bytes != std::fs::read(package)? {
        return Err(format!("the shared package differs from the kept one ({status})").into());
    }
    w.screenshot("17-share-kith").await?;
    w.click("share-stop").await?;
    w.find("share-start", LONG).await?;
    Ok(())
}

/// The peer announces a newer release: the banner offers it; Download
/// fetches and verifies it; nothing is installed.
async fn update_from_a_peer(w: &Window, home: &std::path::Path) -> Result<()> {
    w.click("nav-home").await?;
    w.wait_text(
        "update-banner-text",
        "Kith 99.0.0 is available (from 1 peer",
        LONG,
    )
    .await?;
    w.screenshot("18-update-available").await?;
    w.click("update-download").await?;
    w.find("update-install", LONG).await?;
    let kept = Kith::new(home)?
        .with_env("KITH_RELEASE_PUBLIC_KEY", &release_key_env())
        .json(&["installer"])?;
    if kept["version"] != "99.0.0" {
        return Err(format!("the downloaded update is not kept: {kept}").into());
    }
    Ok(())
}
const PASSPHRASE: &str = "a long desktop passphrase";

/// Ada forgets her passphrase: locked, she sets a new one with her
/// recovery phrase, which opens the window; from then on the new one
/// unlocks it and the old one does not.
async fn forgotten_passphrase(w: &Window, words: &[String]) -> Result<()> {
    const NEW: &str = "remembered this time";
    w.click("lock-button").await?;
    w.find("unlock-input", LONG).await?;
    w.click("forgot-passphrase").await?;
    w.type_into("reset-phrase-input", &words.join(" ")).await?;
    w.type_into("reset-passphrase-input", NEW).await?;
    w.type_into("reset-passphrase-confirm-input", NEW).await?;
    w.screenshot("38-forgot-passphrase").await?;
    w.click("reset-passphrase-button").await?;
    w.find("lock-button", LONG).await?;

    w.click("lock-button").await?;
    w.type_into("unlock-input", PASSPHRASE).await?;
    w.click("unlock-button").await?;
    w.wait_text("unlock-error", "does not open this account", LONG)
        .await?;
    w.replace_text("unlock-input", NEW).await?;
    w.click("unlock-button").await?;
    w.find("lock-button", LONG).await?;
    Ok(())
}

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
        w.click_element(&input, &format!("confirm word {position}"))
            .await?;
        input.send_keys(word).await?;
    }
    w.screenshot("04-confirm-phrase").await?;
    w.click("confirm-phrase-button").await?;
    w.find("timeline", LONG).await?;
    Ok(words)
}

/// The notification plugin's page script asks at every load whether
/// notifications are permitted; refused, the refusal reached the person as
/// an error toast whenever it came after the app had started listening.
async fn notification_permission_check_is_allowed(w: &Window) -> Result<()> {
    let answer = w
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             window.__TAURI_INTERNALS__.invoke('plugin:notification|is_permission_granted')
               .then((v) => done({ granted: v, page: window.Notification.permission }),
                     (e) => done({ error: String(e) }));",
            Vec::new(),
        )
        .await?;
    if answer["granted"] != json!(true) || answer["page"] != json!("granted") {
        return Err(format!(
            "the plugin's permission check should be allowed and answer granted; got {answer}"
        )
        .into());
    }
    Ok(())
}

async fn post_reply_and_thread(w: &Window) -> Result<()> {
    w.screenshot("05-home-empty").await?;
    w.type_into("composer-text", "Bonjour depuis la fenêtre de Kith")
        .await?;
    w.click("composer-submit").await?;
    w.wait_text("post-text", "Bonjour depuis la fenêtre", LONG)
        .await?;
    w.screenshot("06-home-first-post").await?;
    // A timeline shorter than the window does not scroll (a margin below
    // the full-height column once did, by 14 px).
    let overflow = w
        .js(
            "const e = document.scrollingElement; return e.scrollHeight - e.clientHeight;",
            vec![],
        )
        .await?;
    assert_eq!(
        overflow.as_f64(),
        Some(0.0),
        "the window scrolls by {overflow} px with one post on Home"
    );

    let posts = w.all("post").await?;
    let first = posts.first().ok_or("the post is in the timeline")?;
    let reply = first
        .find(fantoccini::Locator::Css("[data-testid=\"reply-button\"]"))
        .await?;
    w.click_element(&reply, "the first post's reply button")
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
    w.click_element(&reply_box, "the reply composer").await?;
    reply_box.send_keys("Et voici une réponse").await?;
    let submit = w
        .all("composer-submit")
        .await?
        .into_iter()
        .last()
        .ok_or("a reply submit button")?;
    w.click_element(&submit, "the reply's submit button")
        .await?;
    w.wait_text("post-text", "Et voici une réponse", LONG)
        .await?;

    // Open the thread of the first post.
    let target = w.all("post-text").await?;
    let mut opened = false;
    for t in target {
        if t.text().await?.contains("Bonjour depuis la fenêtre") {
            w.click_element(&t, "the first post's text").await?;
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

    // With a picture: the window shows it once the node has fetched it
    // from the peer (a blob, `kith-blob:`).
    let picture = peer.home.join("picture.png");
    std::fs::write(&picture, PEER_PICTURE)?;
    let picture_path = picture.to_str().ok_or("a UTF-8 temporary path")?;
    peer.json(&[
        "post",
        "Salut Ada, ici Bea sur un autre nœud",
        "--image",
        picture_path,
        "--alt",
        PEER_PICTURE_DESCRIPTION,
    ])?;
    wait_for_post(w, "ici Bea", "Bea's post from the kith serve peer").await?;
    wait_for_peer_picture(w).await?;
    w.screenshot("09-home-peer-post").await?;
    peer_picture_described_and_viewed(w).await?;
    Ok(())
}

/// A peer's post arriving while Home is shown is offered by the "new
/// posts" pill, drawn whole, which shows it.
async fn new_posts_pill(w: &Window, peer: &Kith) -> Result<()> {
    w.click("nav-home").await?;
    w.find("timeline", LONG).await?;
    peer.json(&["post", "Un message arrivé pendant la lecture"])?;
    let pill = w.find("new-posts-pill", LONG).await?;
    let fit = w
        .js(
            "const p = document.querySelector('[data-testid=\"new-posts-pill\"]');
             return [p.scrollHeight, p.clientHeight];",
            vec![],
        )
        .await?;
    assert!(
        fit[0].as_f64() <= fit[1].as_f64(),
        "the pill holds its text (content height, box height): {fit}"
    );
    w.screenshot("37-new-posts-pill").await?;
    w.click_element(&pill, "the new-posts pill").await?;
    w.wait_text("timeline", "Un message arrivé pendant la lecture", LONG)
        .await?;
    Ok(())
}

/// Opens Home and waits until a post containing `text` is on the
/// timeline (showing new posts when the pill offers them).
async fn wait_for_post(w: &Window, text: &str, what: &str) -> Result<()> {
    w.click("nav-home").await?;
    w.find("timeline", LONG).await?;
    let start = Instant::now();
    loop {
        if let Some(pill) = w.all("new-posts-pill").await?.into_iter().next() {
            let _ = pill.click().await;
        }
        for t in w.all("post-text").await? {
            if t.text().await.unwrap_or_default().contains(text) {
                return Ok(());
            }
        }
        if start.elapsed() >= LONG {
            // An error, not a panic, so that the caller prints the logs.
            return Err(format!("{what} did not reach the window within {LONG:?}").into());
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Whom Bea follows and who follows her, from her profile: Cal, whose
/// feed never reached this computer, is listed as not here yet and is
/// followed from the list; Bea's followers here are Ada.
async fn follows_lists(w: &Window, peer: &Kith, cal_home: &std::path::Path) -> Result<()> {
    let cal = Kith::new(cal_home)?;
    cal.json(&["init", "--name", "Cal"])?;
    let cal = cal.json(&["id"])?;
    let cal = cal["account"]
        .as_str()
        .ok_or("Cal's account id")?
        .to_owned();
    peer.json(&["follow", &cal])?;
    // The post depends on the follow: once it is here, so is the follow.
    peer.json(&["post", "Suivez Cal aussi !"])?;
    wait_for_post(w, "Suivez Cal", "Bea's post after following Cal").await?;
    w.js(
        "[...document.querySelectorAll('[data-testid=post]')]\
           .find((p) => p.textContent.includes('Suivez Cal'))\
           .querySelector('button.name').click();",
        vec![],
    )
    .await?;
    w.wait_text("profile-following", "2 following", LONG)
        .await?;
    w.wait_text("profile-followers", "1 follower", LONG).await?;
    w.wait_text("follows-you", "Follows you", LONG).await?;
    w.screenshot("29-profile-of-someone-you-follow").await?;
    w.click("profile-following").await?;
    w.wait_text("follows-list", "Not on this computer yet", LONG)
        .await?;
    let rows = w.all("follows-row").await?;
    let mut listed = Vec::new();
    for r in &rows {
        listed.push(r.attr("data-account").await?.unwrap_or_default());
    }
    assert_eq!(listed.len(), 2, "Bea follows Cal and Ada: {listed:?}");
    assert_eq!(listed[0], cal, "the newest follow first");
    w.screenshot("27-follows").await?;

    let toggle = format!(
        "return document.querySelector('[data-testid=follows-row][data-account=\"{cal}\"] [data-testid=follows-toggle]')?.getAttribute('aria-pressed') ?? null;"
    );
    w.js(
        &format!(
            "document.querySelector('[data-testid=follows-row][data-account=\"{cal}\"] [data-testid=follows-toggle]').click();"
        ),
        vec![],
    )
    .await?;
    let start = Instant::now();
    while w.js(&toggle, vec![]).await? != json!("true") {
        if start.elapsed() > LONG {
            return Err("following Cal from Bea's list did not take".into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    w.js(
        "document.querySelector('.page-header button').click();",
        vec![],
    )
    .await?;
    w.click("profile-followers").await?;
    w.wait_text("follows-about", "People who follow Bea", LONG)
        .await?;
    // The names are read from the page: WebDriver's visible text leaves
    // out an ellipsised name.
    let names = w
        .js(
            "return [...document.querySelectorAll('[data-testid=follows-row] button')]\
               .map((b) => b.textContent.trim());",
            vec![],
        )
        .await?;
    assert_eq!(names, json!(["You"]), "Ada alone follows Bea here");
    Ok(())
}

/// The picture Bea posts (96 × 96, four colours).
const PEER_PICTURE: &[u8] = include_bytes!("../fixtures/peer-picture.png");
/// What Bea says her picture shows (sent in the post's body, version 2).
const PEER_PICTURE_DESCRIPTION: &str = "Quatre carrés de couleur, deux en haut et deux en bas";

/// Bea's picture, as the window shows it: its description is the
/// image's alternative text, and the viewer opens it at full size with
/// the description under it; Escape closes the viewer.
async fn peer_picture_described_and_viewed(w: &Window) -> Result<()> {
    let alt = w
        .js(
            "const card = [...document.querySelectorAll('[data-testid=post]')]
                 .find((p) => p.textContent.includes('ici Bea'));
             return card?.querySelector('[data-testid=post-image] img')?.getAttribute('alt') ?? null;",
            vec![],
        )
        .await?;
    assert_eq!(
        alt,
        json!(PEER_PICTURE_DESCRIPTION),
        "the description Bea wrote is the picture's alternative text"
    );
    let mut opened = None;
    for post in w.all("post").await? {
        if post.text().await.unwrap_or_default().contains("ici Bea") {
            opened = Some(
                post.find(fantoccini::Locator::Css("[data-testid=\"post-image\"]"))
                    .await?,
            );
        }
    }
    let image = opened.ok_or("Bea's post has no image button")?;
    w.click_element(&image, "Bea's picture").await?;
    w.wait_text("image-description", PEER_PICTURE_DESCRIPTION, LONG)
        .await?;
    // The viewer's own <img> loads the picture (from the cache) a moment
    // after it opens.
    w.js_until(
        "the viewer did not show Bea's picture",
        "const img = document.querySelector('[data-testid=image-viewer] img');
         return img && img.complete ? [img.naturalWidth, img.naturalHeight] : null;",
        json!([96, 96]),
        LONG,
    )
    .await?;
    w.screenshot("28-image-viewer").await?;
    w.js(
        "window.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true }));",
        vec![],
    )
    .await?;
    let start = Instant::now();
    while !w.all("image-viewer").await?.is_empty() {
        if start.elapsed() > LONG {
            return Err("Escape did not close the image viewer".into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(())
}

/// Ada posts, with the `kith` command (the window's composer refuses such
/// a file), a PNG whose chunks are in order but whose pixel data is
/// garbage: her node publishes it (its shape is a PNG's) and holds it, so
/// the window says it cannot be shown (the web view could not decode it)
/// rather than that it was not received yet.
async fn damaged_picture_is_told_apart(w: &Window, home: &std::path::Path) -> Result<()> {
    let damaged = home.join("damaged.png");
    let garbage: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    std::fs::write(&damaged, kith_core::image::png_holding(&garbage))?;
    let damaged_path = damaged.to_str().ok_or("a UTF-8 temporary path")?;
    Kith::new(home)?.json(&["post", "Une image abîmée", "--image", damaged_path])?;
    wait_for_post(w, "Une image abîmée", "Ada's post with a damaged picture").await?;
    w.js_until(
        "the damaged picture of Ada's post was not shown as one that cannot be shown",
        "const card = [...document.querySelectorAll('[data-testid=post]')]
             .find((p) => p.textContent.includes('Une image abîmée'));
         const box = card?.querySelector('[data-testid=image-broken], [data-testid=image-missing], img');
         return box ? (box.dataset.testid ?? 'img') : null;",
        json!("image-broken"),
        LONG,
    )
    .await?;
    w.screenshot("39-damaged-picture").await?;
    Ok(())
}

/// Waits until the picture in Bea's post has loaded and has the picture's
/// size (fetched from the peer, served by `kith-blob:`, decoded).
async fn wait_for_peer_picture(w: &Window) -> Result<()> {
    let shown = w
        .js_until(
            "the picture of Bea's post did not show",
            "const card = [...document.querySelectorAll('[data-testid=post]')]
                 .find((p) => p.textContent.includes('ici Bea'));
             const img = card?.querySelector('[data-testid=post-image] img');
             return img && img.complete ? [img.naturalWidth, img.naturalHeight] : null;",
            json!([96, 96]),
            LONG,
        )
        .await;
    if let Err(e) = shown {
        let missing = w.all("image-missing").await?.len();
        return Err(format!("{e}; boxes saying not received yet: {missing}").into());
    }
    Ok(())
}

/// The boxes of an open picker or menu and of the button that opened it
/// (the expanded button `button` selects, and the popup its
/// `aria-controls` names): `[left, top, right, bottom]` of each.
async fn popup_and_button_boxes(w: &Window, button: &str) -> Result<([f64; 4], [f64; 4])> {
    let rects = w
        .js(
            "const b = document.querySelector(arguments[0] + '[aria-expanded=\"true\"]');
             const m = b && document.getElementById(b.getAttribute('aria-controls') || '');
             if (!m) return null;
             const [br, mr] = [b.getBoundingClientRect(), m.getBoundingClientRect()];
             return [br.left, br.top, br.right, br.bottom, mr.left, mr.top, mr.right, mr.bottom];",
            vec![json!(button)],
        )
        .await?;
    let v: Vec<f64> = rects
        .as_array()
        .ok_or(format!(
            "no open popup is named by the aria-controls of an expanded {button}"
        ))?
        .iter()
        .filter_map(serde_json::Value::as_f64)
        .collect();
    let [bl, bt, br, bb, ml, mt, mr, mb] = v[..] else {
        return Err(
            format!("the boxes of {button} and its popup could not be read: {rects}").into(),
        );
    };
    Ok(([bl, bt, br, bb], [ml, mt, mr, mb]))
}

/// A card's React button.
const REACT: &str = "button[aria-label=\"React\"]";

/// The reaction picker, made when opened and placed from its button's box:
/// it must sit just above the button, centred on it; the button closes it.
async fn reaction_picker_sits_above_its_button(w: &Window, react: &Element) -> Result<()> {
    w.click_element(react, "the React button of Bea's post")
        .await?;
    let ([bl, bt, br, _], [pl, _, pr, pb]) = popup_and_button_boxes(w, REACT).await?;
    assert!(
        pb <= bt && bt - pb < 12.0,
        "the picker should sit just above its button (button top {bt}, picker bottom {pb})"
    );
    let (button_mid, picker_mid) = (f64::midpoint(bl, br), f64::midpoint(pl, pr));
    assert!(
        (picker_mid - button_mid).abs() <= 1.0,
        "the picker should be centred on its button (button centre {button_mid}, picker centre {picker_mid})"
    );
    reactions_draw_in_colour(w).await?;
    w.screenshot("21-reaction-picker").await?;
    w.click_element(react, "the React button of Bea's post, to close its picker")
        .await?;
    let left = w
        .js("return document.querySelectorAll('[role=\"group\"][aria-label=\"Reactions\"]').length;", vec![])
        .await?;
    assert_eq!(
        left,
        json!(0),
        "the picker stayed open after its button was pressed again"
    );
    Ok(())
}

/// Every reaction of the open picker, drawn in the picker's font, has
/// coloured pixels: without a colour emoji font (the package recommends
/// one) some draw as empty boxes and the rest in grey.
async fn reactions_draw_in_colour(w: &Window) -> Result<()> {
    let grey = w
        .js(
            "const spans = Array.from(document.querySelectorAll('[role=\"group\"][aria-label=\"Reactions\"] .emoji'));
             const c = document.createElement('canvas');
             c.width = c.height = 48;
             const g = c.getContext('2d');
             return spans.filter((s) => {
               g.clearRect(0, 0, 48, 48);
               g.font = '32px ' + getComputedStyle(s).fontFamily;
               g.fillText(s.textContent, 4, 38);
               const d = g.getImageData(0, 0, 48, 48).data;
               let coloured = 0;
               for (let i = 0; i < d.length; i += 4) {
                 const [r, gr, b, a] = [d[i], d[i + 1], d[i + 2], d[i + 3]];
                 if (a > 0 && Math.max(r, gr, b) - Math.min(r, gr, b) > 60) coloured++;
               }
               return coloured < 20;
             }).map((s) => s.textContent).concat(spans.length === 0 ? ['(no reactions shown)'] : []);",
            vec![],
        )
        .await?;
    assert_eq!(
        grey,
        json!([]),
        "these reactions draw without colour (is fonts-noto-color-emoji installed?)"
    );
    Ok(())
}

/// The open post menu, made when opened and placed from its button's box:
/// it must hang just below the button, right edges aligned, at full width.
async fn menu_hangs_below_its_button(w: &Window) -> Result<()> {
    let ([_, _, br, bb], [ml, mt, mr, _]) =
        popup_and_button_boxes(w, "[data-testid=\"more-button\"]").await?;
    assert!(
        mt >= bb && mt - bb < 12.0,
        "the menu should open just below its button (button bottom {bb}, menu top {mt})"
    );
    assert!(
        (mr - br).abs() <= 1.0,
        "the menu's right edge should line up with its button's (button {br}, menu {mr})"
    );
    assert!(
        mr - ml >= 200.0,
        "the menu is squeezed to {} px wide",
        mr - ml
    );
    Ok(())
}

/// Mutes Bea from her post's menu: the post leaves the timeline at once,
/// and the moderation screen lists the mute.
/// Bea replies to Ada's post, mentions her and reacts to it from her
/// `kith serve` node: the sidebar counts three new items, Activity lists
/// them with the mention shown by name, and opening it clears the count.
/// Then [`mention_by_name`].
async fn activity_and_mentions(w: &Window, peer: &Kith, home: &std::path::Path) -> Result<String> {
    let ada = Kith::new(home)?.json(&["id"])?;
    let ada = ada["account"]
        .as_str()
        .ok_or("Ada's account id")?
        .to_owned();
    let bea = peer.json(&["id"])?;
    let bea = bea["account"]
        .as_str()
        .ok_or("Bea's account id")?
        .to_owned();
    let first = w
        .js(
            "const t = [...document.querySelectorAll('[data-testid=post]')]\
               .find((p) => p.textContent.includes('Bonjour depuis la fenêtre'));\
             return t ? t.dataset.postId : null;",
            vec![],
        )
        .await?;
    let first = first
        .as_str()
        .ok_or("Ada's first post is on the timeline")?;
    peer.json(&["follow", &ada])?;
    peer.json(&["reply", first, "Avec plaisir !"])?;
    peer.json(&["post", &format!("Demain au marché avec @{ada} ?")])?;
    peer.json(&["react", first, "🎉"])?;
    counted_live(w, first, home).await?;

    w.wait_text("activity-badge", "3", LONG).await?;
    w.click("nav-activity").await?;
    w.wait_text("activity-list", "Bea mentioned you", LONG)
        .await?;
    w.wait_text("activity-list", "Bea reacted 🎉 to your post", LONG)
        .await?;
    w.wait_text("activity-list", "Bea replied to your post", LONG)
        .await?;
    w.wait_text("activity-list", "Demain au marché avec @Ada ?", LONG)
        .await?;
    let shown = w.find("activity-list", LONG).await?.text().await?;
    assert!(
        !shown.contains("kith1"),
        "Activity shows the mention by name, not the id: {shown}"
    );
    let start = Instant::now();
    while !w.all("activity-badge").await?.is_empty() {
        if start.elapsed() > LONG {
            return Err("the Activity count stayed after opening Activity".into());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    w.screenshot("24-activity").await?;
    mention_by_name(w, peer, &ada, &bea).await?;
    Ok(first.to_owned())
}

/// The labels of the reaction chips of the card of post `id` on the page.
fn reaction_chips(id: &str) -> String {
    format!(
        "const card = document.querySelector('[data-post-id=\"{id}\"]');\
         const chips = card ? card.querySelectorAll('[aria-label=Reactions] button') : [];\
         return [...chips].map((b) => b.getAttribute('aria-label'));"
    )
}

/// Bea's reply and reaction to Ada's first post (made from her `kith
/// serve` node) are counted on Home's card as they arrive (Ada's own reply
/// and Bea's: two), and so is a reaction Ada gives from a terminal (`kith
/// react` through the running app's socket), chosen as hers; none needs
/// Home to be opened again.
async fn counted_live(w: &Window, first: &str, home: &std::path::Path) -> Result<()> {
    w.js_until(
        "Bea's reply counted on the card of Ada's first post",
        &format!(
            "const b = document.querySelector('[data-post-id=\"{first}\"] [data-testid=reply-button]');\
             return b ? b.getAttribute('aria-label') : null;"
        ),
        json!("Reply (2 replies)"),
        LONG,
    )
    .await?;
    let chips = reaction_chips(first);
    w.js_until(
        "Bea's 🎉 counted on the card of Ada's first post",
        &chips,
        json!(["🎉 1, react with 🎉"]),
        LONG,
    )
    .await?;
    Kith::new(home)?.json(&["react", first, "👍"])?;
    w.js_until(
        "Ada's 👍 from a terminal counted on the card, as hers",
        &chips,
        json!(["👍 1, yours: take it back", "🎉 1, react with 🎉"]),
        LONG,
    )
    .await?;
    Ok(())
}

/// Ada locks the window (the sidebar's Lock): the unlock screen shows, the
/// node refuses the window's commands and `kith`'s on its control socket,
/// and it goes on carrying feeds: Bea's post reaches Ada's node meanwhile. The passphrase opens the window
/// again, on a timeline with that post.
async fn lock_and_unlock(w: &Window, peer: &Kith, home: &std::path::Path) -> Result<()> {
    w.click("lock-button").await?;
    w.find("unlock-input", LONG).await?;
    w.screenshot("34-locked").await?;
    let refused = w
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             window.__TAURI_INTERNALS__.invoke('timeline', { limit: 10, before: null })
               .then((v) => done({ answered: v }), (e) => done({ refused: e }));",
            Vec::new(),
        )
        .await?;
    assert_eq!(
        refused["refused"]["code"],
        json!("not_ready"),
        "a locked window's command is refused: {refused}"
    );

    // A `kith` command in a terminal may not use the account either.
    let ada = Kith::new(home)?;
    match ada.json(&["post", "Posted behind the lock"]) {
        Ok(v) => return Err(format!("a locked node took a post from `kith`: {v}").into()),
        Err(e) => assert!(
            e.to_string().contains(r#""code":"locked""#),
            "`kith post` is refused as locked: {e}"
        ),
    }

    let text = "Pendant que tu étais verrouillée";
    peer.json(&["post", text])?;
    // Ada's node goes on carrying feeds while the window is locked: the
    // post is in her store (read as `kith` reads a home no node runs on).
    let start = Instant::now();
    while kith_store::Store::open(home)?
        .search("verrouillee", 10, None)?
        .posts
        .is_empty()
    {
        if start.elapsed() > LONG {
            return Err(format!("Bea's post did not reach the locked node within {LONG:?}").into());
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }

    w.type_into("unlock-input", PASSPHRASE).await?;
    w.click("unlock-button").await?;
    w.wait_text("timeline", text, LONG).await
}

/// Ada edits her post to Bea, putting it behind a content warning: the
/// card shows the warning in place of the text, and Bea's node receives
/// the edit.
async fn edit_adds_a_content_warning(w: &Window, peer: &Kith) -> Result<()> {
    w.click("nav-home").await?;
    w.wait_text("timeline", "Oui, à demain", LONG).await?;
    let id = w
        .js(
            "const c = [...document.querySelectorAll('[data-testid=post]')]\
               .find((p) => p.textContent.includes('Oui, à demain'));\
             c.querySelector('[data-testid=edit-button]').click();\
             return c.dataset.postId;",
            vec![],
        )
        .await?;
    let id = id
        .as_str()
        .ok_or("Ada's post to Bea is on the timeline")?
        .to_owned();
    w.click("edit-cw-toggle").await?;
    w.type_into("edit-cw", "rendez-vous").await?;
    w.screenshot("31-edit-post").await?;
    w.click("edit-save").await?;
    let card = format!("[data-testid=post][data-post-id=\"{id}\"]");
    let start = Instant::now();
    loop {
        let shown = w
            .js(
                "const c = document.querySelector(arguments[0]);\
                 return c ? [c.querySelector('.cw-text')?.textContent ?? null,\
                             c.querySelector('[data-testid=post-text]') !== null] : null;",
                vec![json!(card)],
            )
            .await?;
        if shown == json!(["rendez-vous", false]) {
            break;
        }
        if start.elapsed() > LONG {
            return Err(
                format!("the edited card shows {shown} (wanted the warning, text hidden)").into(),
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let start = Instant::now();
    loop {
        let thread = peer.json(&["thread", &id])?;
        let cw = thread["posts"]
            .as_array()
            .and_then(|ps| ps.iter().find(|p| p["id"] == id.as_str()))
            .map(|p| p["cw"].clone());
        if cw == Some(json!("rendez-vous")) {
            return Ok(());
        }
        if start.elapsed() > LONG {
            return Err(
                format!("Bea's node did not receive the edit within {LONG:?}: {thread}").into(),
            );
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// Bea replies to Ada's first post while Ada is in the window: Activity
/// and the window's title count it, and no notification repeats it. Ada minimizes the window and
/// Bea replies again: the desktop's notification server (dunst) shows
/// "Bea replied to you" with the reply, and clicking it brings the window
/// back, at that reply in its thread, under Ada's post.
async fn clicked_notification_opens_the_reply(
    w: &Window,
    peer: &Kith,
    notices: &NotificationServer,
    (driver, home): (&Driver, &std::path::Path),
    first: &str,
) -> Result<()> {
    notices.close_all()?;
    let before = notices.shown();
    peer.json(&["reply", first, "Tu es là ?"])?;
    w.wait_text("activity-badge", "1", LONG).await?;
    // The notification would follow the count within milliseconds.
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        notices.shown(),
        before,
        "no notification while the window has the focus"
    );
    // The taskbar's title counts it.
    let pid = app_pid(home).ok_or("the app's process")?;
    let start = Instant::now();
    loop {
        let titles = driver.display().window_titles_of(pid)?;
        if titles.iter().any(|t| t == "Kith (1)") {
            break;
        }
        if start.elapsed() > LONG {
            return Err(format!("the window's title stayed {titles:?}, not \"Kith (1)\"").into());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    driver.display().hide_windows_of(pid)?;
    let reply = peer.json(&["reply", first, "On se retrouve à 10 h ?"])?;
    let reply = reply["id"].as_str().ok_or("the reply's id")?.to_owned();
    let wanted = "Bea replied to you\tOn se retrouve à 10 h ?";
    let start = Instant::now();
    while !notices.shown().iter().any(|n| n == wanted) {
        if start.elapsed() > LONG {
            return Err(format!(
                "no notification \"{wanted}\" within {LONG:?}; shown: {:?}",
                notices.shown()
            )
            .into());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(
        notices.displayed()?,
        1,
        "only the new reply's notification is on screen"
    );
    notices.click_first()?;
    let start = Instant::now();
    let opened = loop {
        let opened = w
            .js(
                "const t = document.querySelector('[data-testid=thread]');\
                 const h = t && t.querySelector('[data-testid=post].highlight');\
                 return h ? h.dataset.postId : null;",
                vec![],
            )
            .await?;
        if opened.as_str() == Some(reply.as_str()) || start.elapsed() > LONG {
            break opened;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(
        opened.as_str(),
        Some(reply.as_str()),
        "the click opened the reply's thread with the reply highlighted"
    );
    assert!(
        !driver.display().shown_windows_of(pid)?.is_empty(),
        "the click brought the window back on screen"
    );
    w.wait_text("thread", "Bonjour depuis la fenêtre de Kith", LONG)
        .await?;
    w.screenshot("30-notification-opened").await?;
    Ok(())
}

/// Ada mentions Bea by picking her name after "@" in the composer: the
/// post shows "@Bea", and Bea's node lists the mention in her activity (the
/// window sent the account id, not the name).
async fn mention_by_name(w: &Window, peer: &Kith, ada: &str, bea: &str) -> Result<()> {
    w.click("nav-home").await?;
    w.type_into("composer-text", "Oui, à demain @Be").await?;
    // The option's name is read from the page: WebDriver's visible text of
    // the list leaves out the ellipsised name span (it reads "Following").
    w.find("mention-option", LONG).await?;
    let offered = w
        .js(
            "return [...document.querySelectorAll('[data-testid=mention-option] .person-name')]\
               .map((n) => n.textContent);",
            vec![],
        )
        .await?;
    assert_eq!(
        offered,
        json!(["Bea"]),
        "after \"@Be\" the composer offers Bea"
    );
    w.screenshot("25-mention-picker").await?;
    let field = w.find("composer-text", LONG).await?;
    field.send_keys("\u{E007}").await?;
    field.send_keys("!").await?;
    let typed = w
        .js(
            "return document.querySelector('[data-testid=composer-text]').value;",
            vec![],
        )
        .await?;
    assert_eq!(typed, "Oui, à demain @Bea !", "Enter picks Bea's name");
    w.click("composer-submit").await?;
    w.wait_text("post-text", "Oui, à demain @Bea !", LONG)
        .await?;
    let mention = w.find("mention", LONG).await?;
    assert_eq!(mention.text().await?, "@Bea");

    let start = Instant::now();
    loop {
        let page = peer.json(&["activity"])?;
        let mentioned = page["items"].as_array().is_some_and(|items| {
            items.iter().any(|i| {
                i["kind"] == "mention"
                    && i["actor"] == ada
                    && i["post"]["text"] == format!("Oui, à demain @{bea} !").as_str()
            })
        });
        if mentioned {
            break;
        }
        if start.elapsed() > LONG {
            return Err(
                format!("Bea's node did not list Ada's mention within {LONG:?}: {page}").into(),
            );
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    Ok(())
}

/// A program standing in for the desktop's browser opener (`xdg-open`):
/// it writes down each address it is asked to open, in `opened`.
fn fake_browser(dir: &std::path::Path, opened: &std::path::Path) -> Result<std::path::PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin)?;
    let script = bin.join("xdg-open");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$1\" >> '{}'\n",
            opened.display()
        ),
    )?;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755))?;
    Ok(bin)
}

/// A link in a post opens in the browser (the opener gets the whole
/// address) while the window stays on the app, even when a script tries to
/// send it elsewhere; a hashtag searches for itself; a name's beginning
/// finds the person and opens their profile.
async fn links_and_hashtags(w: &Window, opened: &std::path::Path) -> Result<()> {
    w.click("nav-home").await?;
    w.type_into(
        "composer-text",
        "Carte du salon : https://example.org/the/menu?day=1. #thé",
    )
    .await?;
    // Another screen and back: the unsent draft is still there.
    w.click("nav-activity").await?;
    w.find("activity-list", LONG).await?;
    w.click("nav-home").await?;
    w.find("composer-text", LONG).await?;
    let kept = w
        .js(
            "return document.querySelector('[data-testid=composer-text]').value;",
            vec![],
        )
        .await?;
    assert_eq!(
        kept,
        json!("Carte du salon : https://example.org/the/menu?day=1. #thé"),
        "the unsent draft comes back after another screen"
    );
    w.click("composer-submit").await?;
    w.wait_text("post-text", "example.org/the/menu?day=1. #thé", LONG)
        .await?;
    let link = w.find("post-link", LONG).await?;
    assert_eq!(link.text().await?, "example.org/the/menu?day=1");
    w.screenshot("26-link-and-hashtag").await?;
    w.click_element(&link, "[data-testid=post-link]").await?;
    let start = Instant::now();
    loop {
        let got = std::fs::read_to_string(opened).unwrap_or_default();
        if got
            .lines()
            .any(|l| l == "https://example.org/the/menu?day=1")
        {
            break;
        }
        if start.elapsed() > LONG {
            return Err(format!(
                "the browser opener was not asked for the link within {LONG:?}; it got {got:?}"
            )
            .into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let here = w.js("return location.protocol;", vec![]).await?;
    assert_eq!(
        here,
        json!("tauri:"),
        "clicking a link keeps the window on the app"
    );

    w.js("location.href = 'https://example.org/elsewhere';", vec![])
        .await?;
    tokio::time::sleep(Duration::from_millis(800)).await;
    let here = w.js("return location.href;", vec![]).await?;
    assert!(
        here.as_str()
            .is_some_and(|h| h.starts_with("tauri://localhost")),
        "the navigation guard keeps the window on the app's pages, but it is at {here}"
    );

    let tag = w.find("hashtag", LONG).await?;
    w.click_element(&tag, "[data-testid=hashtag]").await?;
    let query = w
        .js(
            "return document.querySelector('[data-testid=search-input]')?.value ?? null;",
            vec![],
        )
        .await?;
    assert_eq!(query, json!("#thé"), "a hashtag opens Search with it");
    w.wait_text("post-text", "example.org/the/menu", LONG)
        .await?;
    // A name's beginning, accent and case aside, finds the person too.
    w.replace_text("search-input", "BÉ").await?;
    // (WebKitWebDriver leaves the name, in a box that clips overflow, out
    // of the element's text; its title names it.)
    let person = w.find("search-person", LONG).await?;
    assert_eq!(
        person.attr("title").await?.as_deref(),
        Some("Open Bea’s profile"),
        "the one person \"BÉ\" finds is Bea"
    );
    w.screenshot("33-search-people").await?;
    w.click_element(&person, "Bea in the search's people")
        .await?;
    w.find("mute-button", LONG).await?;
    w.click("nav-home").await?;
    w.wait_text("post-text", "ici Bea", LONG).await
}

async fn mute_from_a_posts_menu(w: &Window) -> Result<()> {
    let mut buttons = None;
    for post in w.all("post").await? {
        if post.text().await.unwrap_or_default().contains("ici Bea") {
            let react = post.find(fantoccini::Locator::Css(REACT)).await?;
            let menu = post
                .find(fantoccini::Locator::Css("[data-testid=\"more-button\"]"))
                .await?;
            buttons = Some((react, menu));
        }
    }
    let (react, menu) = buttons.ok_or("Bea's post has no React or menu button")?;
    reaction_picker_sits_above_its_button(w, &react).await?;
    w.click_element(&menu, "the menu of Bea's post").await?;
    menu_hangs_below_its_button(w).await?;
    w.screenshot("20-post-menu").await?;
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
    // Bea's `kith serve` published its network key in her feed, which Ada
    // holds: the peer is named as Bea's computer.
    w.wait_text("peer-owner", "Bea", LONG).await?;
    // The tests keep mDNS off (no multicast on the host's interfaces): the
    // LAN panel says so and points to Settings.
    w.find("lan-off", LONG).await?;
    w.screenshot("10-people-and-sync").await?;
    w.click("nav-search").await?;
    // A word not yet finished finds the words it begins.
    w.type_into("search-input", "bonjo").await?;
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

/// Settings' notifications box is saved as it is ticked, with no Save:
/// the settings file says so each time (the command is allowed and the
/// file written, in the real window).
async fn notifications_saved_as_ticked(w: &Window, home: &std::path::Path) -> Result<()> {
    w.click("nav-settings").await?;
    for on in [false, true] {
        w.click("notifications").await?;
        wait_until(
            &format!("notifications {on} saved in desktop.json after the click"),
            LONG,
            || {
                std::fs::read(home.join("desktop.json"))
                    .ok()
                    .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
                    .is_some_and(|saved| saved["notifications"] == json!(on))
            },
        )?;
    }
    Ok(())
}

/// Listen addresses saved in Settings apply at once: a port another
/// program holds is refused with its cause beside the addresses (the node
/// keeps listening where it did), a free one is listened on and a peer
/// reaches the app there.
async fn listen_addresses_apply_at_once(w: &Window, peer: &Kith) -> Result<()> {
    w.click("nav-settings").await?;
    w.wait_text("listening-now", "/ip4/127.0.0.1/tcp/", LONG)
        .await?;
    let busy = std::net::TcpListener::bind("127.0.0.1:0")?;
    let taken = format!("/ip4/127.0.0.1/tcp/{}", busy.local_addr()?.port());
    w.replace_text("listen-input", &taken).await?;
    w.click("settings-save").await?;
    w.wait_text("listen-error", &format!("cannot listen on {taken}"), LONG)
        .await?;
    w.wait_text("listen-error", "in use", LONG).await?;
    w.screenshot("22-settings-port-in-use").await?;

    let free = format!("/ip4/127.0.0.1/tcp/{}", free_port());
    w.replace_text("listen-input", &free).await?;
    w.click("settings-save").await?;
    w.wait_text("listening-now", &free, LONG).await?;
    let peers = peer.json(&["peers"])?;
    let app = peers["peers"][0]["peer_id"]
        .as_str()
        .ok_or_else(|| format!("the peer is connected to the app: {peers}"))?;
    peer.json(&["connect", &format!("{free}/p2p/{app}")])
        .map_err(|e| format!("the app does not answer at its new address {free}: {e}"))?;
    drop(busy);
    Ok(())
}

/// The longest the whole walk through the app may take (it takes well under
/// a minute in a debug build here).
const WHOLE_WALK: Duration = Duration::from_secs(600);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn onboarding_post_reply_thread_and_a_peers_post_reach_the_real_window() -> Result<()> {
    let app = binary("kith-desktop")?;
    let dir = tempfile::tempdir()?;
    let home = dir.path().join("ada");
    loopback_settings(&home)?;
    let key = release_key_env();
    // Ada keeps the running version's package to share; Bea keeps a newer
    // one, which her node announces to Ada's.
    let running = test_release(&dir.path().join("rel-running"), env!("CARGO_PKG_VERSION"))?;
    Kith::new(&home)?
        .with_env("KITH_RELEASE_PUBLIC_KEY", &key)
        .json(&["installer", "add", &running.display().to_string()])?;
    let bea = Kith::new(&dir.path().join("bea"))?.with_env("KITH_RELEASE_PUBLIC_KEY", &key);
    bea.json(&["init", "--name", "Bea"])?;
    let newer = test_release(&dir.path().join("rel-newer"), "99.0.0")?;
    bea.json(&["installer", "add", &newer.display().to_string()])?;
    let _bea_node = bea.serve(&dir.path().join("bea.log"))?;

    let opened = dir.path().join("opened-links.txt");
    let bin = fake_browser(dir.path(), &opened)?;
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let driver = Driver::start(
        &[
            ("KITH_HOME", home.as_path()),
            ("PATH", std::path::Path::new(&path)),
            ("KITH_RELEASE_PUBLIC_KEY", std::path::Path::new(&key)),
        ],
        &dir.path().join("driver.log"),
    )?;
    // The desktop's notification server, there before the app's first
    // notification.
    let notices = NotificationServer::start(driver.display(), &dir.path().join("dunst"))?;
    let started = Instant::now();
    let w = Window::open(&driver, &app).await?;
    // Every step has its own limit; this one bounds the whole walk too.
    let result = tokio::time::timeout(WHOLE_WALK, async {
        let words = onboard(&w).await?;
        let onboarded_in = started.elapsed();
        notification_permission_check_is_allowed(&w).await?;
        post_reply_and_thread(&w).await?;
        peer_post_arrives(&w, &bea).await?;
        new_posts_pill(&w, &bea).await?;
        let first = activity_and_mentions(&w, &bea, &home).await?;
        clicked_notification_opens_the_reply(&w, &bea, &notices, (&driver, &home), &first).await?;
        edit_adds_a_content_warning(&w, &bea).await?;
        lock_and_unlock(&w, &bea, &home).await?;
        follows_lists(&w, &bea, &dir.path().join("cal")).await?;
        links_and_hashtags(&w, &opened).await?;
        mute_from_a_posts_menu(&w).await?;
        every_screen(&w).await?;
        notifications_saved_as_ticked(&w, &home).await?;
        listen_addresses_apply_at_once(&w, &bea).await?;
        share_kith(&w, &running).await?;
        update_from_a_peer(&w, &home).await?;
        forgotten_passphrase(&w, &words).await?;
        damaged_picture_is_told_apart(&w, &home).await?;
        // Idle: let the node settle, then measure the whole process tree.
        tokio::time::sleep(Duration::from_secs(3)).await;
        let rss = app_pid(&home).map_or(0, |p| tree_memory_kib(p).rss);
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
    })
    .await
    .unwrap_or_else(|_| {
        Err(format!("the walk through the app did not finish within {WHOLE_WALK:?}").into())
    });
    if result.is_err() {
        let _ = w.screenshot("failure").await;
        print_log_tails(
            dir.path(),
            &["driver.log", "driver.err", "bea.log", "dunst/dunst.log"],
        );
    }
    let _ = tokio::time::timeout(Duration::from_secs(15), w.close()).await;
    result
}
