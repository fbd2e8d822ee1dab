//! A home on a disk that fills up (a small tmpfs the test mounts): the
//! command whose data no longer fits fails with a clear error (code
//! `disk_full`), an export to that disk leaves no partial file, everything
//! stored before stays readable, and once space is freed the home works
//! again; a running node whose disk fills while it syncs says so in
//! `sync-status`. Mounting needs root; without it each test prints
//! `SKIPPED: ...` to stderr and returns.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use std::time::Duration;

use common::{Served, command, describe, init, kith_json, wait_for};
use serde_json::Value;

/// A tmpfs of a given size mounted on a temporary folder, unmounted when
/// dropped.
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    fn mount(size: &str) -> Option<Self> {
        let dir = tempfile::tempdir().unwrap();
        let mounted = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0700"),
                "tmpfs",
            ])
            .arg(dir.path())
            .output();
        match mounted {
            Ok(out) if out.status.success() => Some(Self { dir }),
            Ok(out) => {
                eprintln!(
                    "SKIPPED: cannot mount a tmpfs (needs root): {}",
                    String::from_utf8_lossy(&out.stderr).trim()
                );
                None
            }
            Err(e) => {
                eprintln!("SKIPPED: no mount command: {e}");
                None
            }
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}

/// A picture of `bytes` bytes that no other call writes (a PNG signature
/// holding bytes drawn from `seed`).
fn picture(dir: &Path, seed: u32, bytes: u32) -> PathBuf {
    let path = dir.join(format!("picture{seed}.png"));
    let mut x = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    let data: Vec<u8> = (0..bytes)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x.to_le_bytes()[0]
        })
        .collect();
    std::fs::write(&path, kith_core::image::png_holding(&data)).unwrap();
    path
}

/// The code and message of a `--json` command's error.
fn json_error(args: &[&str], out: &Output) -> (String, String) {
    assert!(
        !out.status.success(),
        "expected a failure:\n{}",
        describe(args, out)
    );
    let e: Value = serde_json::from_slice(&out.stderr)
        .unwrap_or_else(|e| panic!("the error is not JSON ({e}):\n{}", describe(args, out)));
    (
        e["error"]["code"].as_str().unwrap_or_default().to_owned(),
        e["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    )
}

/// Every post text of `home`'s timeline.
fn timeline_texts(home: &Path) -> Vec<String> {
    let page = kith_json(home, &["timeline", "--limit", "500"]);
    page["posts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["text"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[test]
fn a_full_disk_is_a_clear_error_and_everything_stored_before_is_kept() {
    let Some(disk) = SmallDisk::mount("4m") else {
        return;
    };
    let (home, _) = init(disk.path(), "ada");
    // Room to free later.
    let filler = disk.path().join("filler");
    std::fs::write(&filler, vec![0u8; 768 * 1024]).unwrap();
    let pictures = tempfile::tempdir().unwrap();

    let mut stored = Vec::new();
    let mut refused = None;
    for i in 0..40 {
        let text = format!("post {i} with its own picture");
        let image = picture(pictures.path(), i, 300_000);
        let args = ["--json", "post", &text, "--image", image.to_str().unwrap()];
        let out = command(None, &home, &args).output().unwrap();
        if out.status.success() {
            stored.push(text);
        } else {
            let error = json_error(&args, &out);
            refused = Some((text, error));
            break;
        }
    }
    let (refused_text, (code, message)) =
        refused.expect("a 4 MB disk fills within 40 posts of 300 KB pictures");
    assert!(
        stored.len() >= 3,
        "posts stored before it filled: {}",
        stored.len()
    );
    assert_eq!(code, "disk_full", "{message}");
    assert!(
        message.starts_with("the disk is full") && message.contains("free some space"),
        "a clear message: {message}"
    );

    let texts = timeline_texts(&home);
    for text in &stored {
        assert!(
            texts.contains(text),
            "{text:?} was stored and is kept: {texts:?}"
        );
    }
    assert!(
        !texts.contains(&refused_text),
        "the refused post is not half there"
    );

    // A backup written to the full disk: refused, naming the file, and no
    // partial file stays behind.
    let bundle = disk.path().join("backup.kith");
    let args = ["--json", "export", "--out", bundle.to_str().unwrap()];
    let out = command(None, &home, &args).output().unwrap();
    let (code, message) = json_error(&args, &out);
    assert_eq!(code, "disk_full", "{message}");
    assert!(message.contains(bundle.to_str().unwrap()), "{message}");
    let left: Vec<_> = std::fs::read_dir(disk.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        left.iter().all(|name| name == "ada" || name == "filler"),
        "nothing but the home and the filler on the disk: {left:?}"
    );

    // Space freed: the home works again and holds everything it held.
    std::fs::remove_file(&filler).unwrap();
    kith_json(&home, &["post", "after freeing space"]);
    let texts = timeline_texts(&home);
    assert_eq!(texts.len(), stored.len() + 1, "{texts:?}");
    assert!(texts.contains(&"after freeing space".to_owned()));
    for text in &stored {
        assert!(texts.contains(text), "{text:?} is kept: {texts:?}");
    }
}

#[test]
fn a_node_whose_disk_fills_while_it_syncs_says_so_and_keeps_serving() {
    let Some(disk) = SmallDisk::mount("3m") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (a_home, a_id) = init(dir.path(), "ada");
    // 3.6 MB of pictures: more than B's disk holds beside its database.
    for i in 0..12 {
        let image = picture(dir.path(), 100 + i, 300_000);
        kith_json(
            &a_home,
            &[
                "post",
                &format!("picture {i}"),
                "--image",
                image.to_str().unwrap(),
            ],
        );
    }
    let (b_home, _) = init(disk.path(), "bo");
    kith_json(&b_home, &["follow", &a_id]);
    let a = Served::loopback(&a_home, &[]);
    let b = Served::loopback(&b_home, &["--bootstrap", &a.addr()]);

    // The JSON and the words for people, read together.
    let (failure, said) = wait_for(Duration::from_secs(30), "B to say it cannot store", || {
        let failure = kith_json(&b_home, &["sync-status"])["store_failure"]
            .as_str()
            .map(str::to_owned)?;
        let out = command(None, &b_home, &["sync-status"]).output().unwrap();
        Some((failure, String::from_utf8_lossy(&out.stdout).into_owned()))
    });
    assert!(failure.starts_with("the disk is full"), "{failure}");
    assert!(
        said.starts_with("What peers send cannot be stored until this is fixed: the disk is full"),
        "{said}"
    );
    // The posts' words came before their pictures, and B still answers.
    let texts = b.timeline_texts();
    assert!(texts.contains(&"picture 0".to_owned()), "{texts:?}");
    drop(a);
}
