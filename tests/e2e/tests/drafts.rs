//! An unsent post survives closing the app: typed in the real window (its
//! photo dropped on the composer, beside a damaged one it refuses), the
//! window closed with the post unsent, the app started again and unlocked,
//! the composer holds it again, its image and the image's description too;
//! once posted, the photo is drawn turned as it was taken but nothing of
//! its metadata is stored, and a further restart brings nothing back.

use std::time::Duration;

use kith_e2e::{Driver, Kith, PASSPHRASE, Result, Window, binary, bounded_walk, loopback_settings};

const LONG: Duration = Duration::from_secs(30);
/// Longer than the composer's wait before it saves (400 ms).
const SAVED: Duration = Duration::from_secs(2);
const TEXT: &str = "Un brouillon qui survit";
/// A photo as a phone writes it: 64 by 48 pixels to be shown turned a
/// quarter (EXIF orientation 6), with where it was taken, the camera, a
/// comment, XMP and a motion photo's tail beside it.
const PICTURE: &[u8] =
    include_bytes!("../../../crates/kith-core/tests/fixtures/images/photo-gps.jpg");
/// What the photo's metadata says, none of which may be published.
const SECRETS: [&str; 4] = ["SecretCity", "KithTestCam", "secret comment", "MOTIONPHOTO"];

async fn unlock(w: &Window) -> Result<()> {
    w.find("unlock-input", LONG).await?;
    w.type_into("unlock-input", PASSPHRASE).await?;
    w.click("unlock-button").await?;
    w.find("composer-text", LONG).await?;
    Ok(())
}

/// The Home composer's text, once it is `want` (a saved draft is read
/// after the composer opens), or what it held at the limit.
async fn composer_text(w: &Window, want: &str) -> Result<String> {
    w.value_when("composer-text", want, Duration::from_secs(5))
        .await
}

/// Every file under `dir`.
fn walk_files(dir: &std::path::Path) -> Result<Vec<std::path::PathBuf>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            files.extend(walk_files(&path)?);
        } else {
            files.push(path);
        }
    }
    Ok(files)
}

async fn walk(driver: &Driver, app: &std::path::Path, home: &std::path::Path) -> Result<()> {
    let w = Window::open(driver, app).await?;
    unlock(&w).await?;
    w.type_into("composer-text", TEXT).await?;
    // Dropped on the composer, as from a file manager (the page's drop
    // event; the desktop's drag itself is not driven here).
    // With it, a damaged "picture" (PNG's signature, then garbage) that
    // WebKit cannot decode: the composer takes it out and names it.
    let mut damaged = b"\x89PNG\r\n\x1a\n".to_vec();
    damaged.extend((0..2048u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8));
    let dropped = w
        .js(
            "const dt = new DataTransfer();\
             dt.items.add(new File([new Uint8Array(arguments[0])], 'banc.jpg', { type: 'image/jpeg' }));\
             dt.items.add(new File([new Uint8Array(arguments[1])], 'abime.png', { type: 'image/png' }));\
             const form = document.querySelector('form.composer');\
             const drop = new DragEvent('drop', { bubbles: true, cancelable: true, dataTransfer: dt });\
             form.dispatchEvent(drop);\
             return drop.defaultPrevented;",
            vec![serde_json::json!(PICTURE), serde_json::json!(damaged)],
        )
        .await?;
    assert_eq!(
        dropped,
        serde_json::json!(true),
        "the composer took the dropped files"
    );
    w.wait_text(
        "image-errors",
        "“abime.png” cannot be shown: the file is damaged",
        LONG,
    )
    .await?;
    let kept = w
        .js(
            "return [...document.querySelectorAll('.thumbs img')].map((i) => i.getAttribute('alt'));",
            vec![],
        )
        .await?;
    assert_eq!(
        kept,
        serde_json::json!(["Image 1: banc.jpg, not described"]),
        "the picture WebKit decodes stays, the damaged one is taken out"
    );
    w.click("describe-button").await?;
    w.type_into("describe-text", "Un banc au soleil").await?;
    w.click("describe-save").await?;
    tokio::time::sleep(SAVED).await;
    w.close().await?;

    let w = Window::open(driver, app).await?;
    unlock(&w).await?;
    assert_eq!(
        composer_text(&w, TEXT).await?,
        TEXT,
        "the unsent post is back in the composer after a restart"
    );
    let alt = w
        .js(
            "const i = document.querySelector('.thumbs img');\
             return i ? i.getAttribute('alt') : null;",
            vec![],
        )
        .await?;
    assert_eq!(
        alt.as_str(),
        Some("Un banc au soleil"),
        "its image is back, described"
    );
    w.screenshot("32-draft-after-restart").await?;
    w.click("composer-submit").await?;
    w.wait_text("post-text", TEXT, LONG).await?;
    // Published without its metadata, but still turned as it was taken:
    // the window draws it 48 wide and 64 high.
    w.js_until(
        "the posted photo was not drawn turned a quarter (48 by 64)",
        "const img = document.querySelector('[data-testid=post-image] img');
         return img && img.complete ? [img.naturalWidth, img.naturalHeight] : null;",
        serde_json::json!([48, 64]),
        LONG,
    )
    .await?;
    let stored = walk_files(&home.join("blobs"))?;
    assert!(!stored.is_empty(), "the photo is stored");
    for entry in stored {
        let bytes = std::fs::read(&entry)?;
        for secret in SECRETS {
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                "{} holds the photo's {secret:?}: its metadata was published",
                entry.display()
            );
        }
    }
    tokio::time::sleep(SAVED).await;
    w.close().await?;

    let w = Window::open(driver, app).await?;
    unlock(&w).await?;
    w.wait_text("post-text", TEXT, LONG).await?;
    assert_eq!(
        composer_text(&w, "").await?,
        "",
        "a posted draft does not come back"
    );
    w.close().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unsent_post_and_its_described_image_survive_closing_the_app() -> Result<()> {
    let app = binary("kith-desktop")?;
    let dir = tempfile::tempdir()?;
    let home = dir.path().join("ada");
    Kith::new(&home)?.json(&["init", "--name", "Ada"])?;
    loopback_settings(&home)?;
    // The window's own storage (where drafts are saved) in this test's
    // folder, not the user's.
    let data = dir.path().join("xdg-data");
    let driver = Driver::start(
        &[
            ("KITH_HOME", home.as_path()),
            ("XDG_DATA_HOME", data.as_path()),
        ],
        &dir.path().join("driver.log"),
    )?;
    bounded_walk(
        Duration::from_secs(180),
        walk(&driver, &app, &home),
        dir.path(),
        &["driver.log"],
    )
    .await
}
