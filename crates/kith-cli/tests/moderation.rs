//! Moderation between real `kith serve` processes on loopback: a block
//! purges and stops relaying a feed, a subscribed list hides or covers an
//! account, and reports reach a list's maintainer now or when it returns.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::time::Duration;

use common::{Served, init, kith_json, texts, wait_for};
use serde_json::Value;

/// Words only C ever writes, to look for in A's files.
const C_WORDS: &str = "zqxvj-carrot-manifesto";
/// Bytes of C's image, to look for in A's blob folder.
/// What C's picture holds (in a PNG-shaped file), found again in the files of a store that keeps it.
const C_IMAGE: &[u8] = b" carrot picture bytes zqxvj";

/// The files of a home's store: the database, its log and the blobs.
fn store_files_containing(home: &Path, needle: &[u8]) -> Vec<String> {
    let mut found = Vec::new();
    let mut dirs = vec![home.to_owned()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            if path.is_dir() {
                if name == "blobs" || dir != home {
                    dirs.push(path);
                }
            } else if (name.starts_with("kith.db") || dir != home)
                && std::fs::read(&path)
                    .unwrap()
                    .windows(needle.len())
                    .any(|w| w == needle)
            {
                found.push(path.display().to_string());
            }
        }
    }
    found
}

fn has_text(page: &Value, needle: &str) -> bool {
    texts(page).iter().any(|t| t.contains(needle))
}

#[test]
fn a_block_purges_the_feed_and_stops_relaying_it_while_others_still_get_it() {
    let dir = tempfile::tempdir().unwrap();
    let (a_home, a_id) = init(dir.path(), "ada");
    let (b_home, _) = init(dir.path(), "bo");
    let (c_home, c_id) = init(dir.path(), "cy");
    let (d_home, _) = init(dir.path(), "dee");
    let image = dir.path().join("carrot.png");
    std::fs::write(&image, kith_core::image::png_holding(C_IMAGE)).unwrap();
    kith_json(
        &c_home,
        &["post", C_WORDS, "--image", image.to_str().unwrap()],
    );
    for home in [&a_home, &b_home] {
        kith_json(home, &["follow", &c_id]);
    }
    let c = Served::loopback(&c_home, &[]);
    let a = Served::loopback(&a_home, &["--bootstrap", &c.addr()]);
    let b = Served::loopback(&b_home, &["--bootstrap", &c.addr()]);
    for (who, served) in [("A", &a), ("B", &b)] {
        wait_for(
            Duration::from_secs(15),
            &format!("{who} to hold C's post"),
            || {
                served
                    .timeline_texts()
                    .iter()
                    .any(|t| t.contains(C_WORDS))
                    .then_some(())
            },
        );
    }
    wait_for(Duration::from_secs(10), "A to fetch C's image", || {
        (!store_files_containing(&a_home, C_IMAGE).is_empty()).then_some(())
    });

    let blocked = kith_json(&a_home, &["block", &c_id]);
    assert_eq!(blocked["blocked"], c_id.as_str());
    assert!(!has_text(&kith_json(&a_home, &["timeline"]), C_WORDS));
    assert!(texts(&kith_json(&a_home, &["search", "carrot"])).is_empty());
    assert_eq!(
        kith_json(&a_home, &["profile", "show", &c_id])["blocked"],
        true
    );
    let found = store_files_containing(&a_home, C_WORDS.as_bytes());
    assert!(found.is_empty(), "C's words still in A's store: {found:?}");
    let found = store_files_containing(&a_home, C_IMAGE);
    assert!(found.is_empty(), "C's image still in A's store: {found:?}");

    // C keeps posting: B (no block) gets it, A stores none of it.
    kith_json(&c_home, &["post", "second carrot zqxvj"]);
    wait_for(Duration::from_secs(10), "B to get C's second post", || {
        b.timeline_texts()
            .iter()
            .any(|t| t.contains("second carrot"))
            .then_some(())
    });
    assert_eq!(c.stop().code(), Some(0));
    // B would serve C's feed to anyone who finds it (the DHT names it as a
    // carrier); it leaves so that A is D's only possible source.
    assert_eq!(b.stop().code(), Some(0));

    // D follows C and A but can reach only A: it gets A's posts, never C's.
    kith_json(&d_home, &["follow", &c_id]);
    kith_json(&d_home, &["follow", &a_id]);
    let d = Served::loopback(&d_home, &["--bootstrap", &a.addr()]);
    kith_json(&a_home, &["post", "ada was here"]);
    wait_for(
        Duration::from_secs(15),
        "D to get A's post through A",
        || {
            d.timeline_texts()
                .iter()
                .any(|t| t.contains("ada was here"))
                .then_some(())
        },
    );
    // Give a relay every chance: heads are exchanged every 2 s.
    std::thread::sleep(Duration::from_secs(5));
    let peers = kith_json(&d_home, &["peers"]);
    assert_eq!(
        peers["peers"].as_array().unwrap().len(),
        1,
        "D must reach only A: {peers}"
    );
    let d_texts = d.timeline_texts();
    assert!(
        !d_texts.iter().any(|t| t.contains("carrot")),
        "D received C's feed from A, which blocks C: {d_texts:?}"
    );
    for words in [C_WORDS.as_bytes(), b"second carrot"] {
        let found = store_files_containing(&a_home, words);
        assert!(found.is_empty(), "C's words are in A's store: {found:?}");
    }
    drop((a, d));
}

/// Creates a list on `l_home` labelling `c_id` as spam; returns the list id.
fn spam_list(l_home: &Path, c_id: &str) -> String {
    let list = kith_json(l_home, &["list", "create", "Spam watch"]);
    let id = list["list"]["id"].as_str().unwrap().to_owned();
    let added = kith_json(
        l_home,
        &[
            "list",
            "add",
            &id,
            c_id,
            "--label",
            "spam",
            "--reason",
            "bulk adverts",
        ],
    );
    assert_eq!(added["entries"].as_array().unwrap().len(), 1, "{added}");
    id
}

#[test]
fn a_subscribed_list_hides_then_covers_the_listed_account_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let (a_home, _) = init(dir.path(), "ada");
    let (c_home, c_id) = init(dir.path(), "cy");
    let (l_home, _) = init(dir.path(), "lee");
    kith_json(&c_home, &["post", "buy followers cheap"]);
    let list = spam_list(&l_home, &c_id);
    let c = Served::loopback(&c_home, &[]);
    let l = Served::loopback(&l_home, &[]);
    let a = Served::loopback(
        &a_home,
        &["--bootstrap", &c.addr(), "--bootstrap", &l.addr()],
    );
    kith_json(&a_home, &["follow", &c_id]);
    wait_for(Duration::from_secs(15), "A to hold C's post", || {
        a.timeline_texts()
            .iter()
            .any(|t| t.contains("buy followers"))
            .then_some(())
    });

    kith_json(&a_home, &["list", "subscribe", &list, "--hide", "spam"]);
    wait_for(Duration::from_secs(15), "L's list to hide C on A", || {
        (!has_text(&kith_json(&a_home, &["timeline"]), "buy followers")).then_some(())
    });
    assert!(texts(&kith_json(&a_home, &["search", "followers"])).is_empty());
    let profile = kith_json(&a_home, &["profile", "show", &c_id]);
    assert_eq!(
        profile["moderation"]["reasons"][0], "hidden by list “Spam watch”: spam — bulk adverts",
        "{profile}"
    );

    kith_json(&a_home, &["list", "subscribe", &list, "--warn", "spam"]);
    let timeline = kith_json(&a_home, &["timeline"]);
    let post = timeline["posts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["author"] == c_id.as_str())
        .cloned()
        .unwrap_or_else(|| panic!("C's post is not on the timeline: {timeline}"));
    assert_eq!(post["moderation"]["action"], "warn", "{post}");
    assert!(
        post["moderation"]["reasons"][0]
            .as_str()
            .unwrap()
            .starts_with("covered by list “Spam watch”: spam"),
        "{post}"
    );
    drop((a, c, l));
}

#[test]
fn a_report_reaches_the_maintainer_now_and_after_it_comes_back() {
    let dir = tempfile::tempdir().unwrap();
    let (a_home, _) = init(dir.path(), "ada");
    let (_c_home, c_id) = init(dir.path(), "cy");
    let (l_home, _) = init(dir.path(), "lee");
    let list = kith_json(&l_home, &["list", "create", "Harassment watch"])["list"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let l = Served::loopback(&l_home, &[]);
    let l_addr = l.addr();
    let a = Served::loopback(&a_home, &["--bootstrap", &l_addr]);
    kith_json(
        &a_home,
        &["list", "subscribe", &list, "--hide", "harassment"],
    );
    wait_for(Duration::from_secs(15), "A to receive L's list", || {
        kith_json(&a_home, &["moderation"])["subscriptions"][0]["name"]
            .as_str()
            .map(|_| ())
    });

    kith_json(
        &a_home,
        &[
            "report",
            &c_id,
            "--label",
            "harassment",
            "--text",
            "threats in replies",
        ],
    );
    let first = wait_for(Duration::from_secs(15), "L to receive the report", || {
        let r = kith_json(&l_home, &["reports"]);
        let r = r["reports"].as_array()?.first()?.clone();
        Some(r)
    });
    assert_eq!(first["text"], "threats in replies");
    assert_eq!(first["target"], c_id.as_str());
    assert_eq!(first["labels"][0], "harassment");

    // L goes away; A reports again; the report waits.
    let port = l_addr
        .split("/tcp/")
        .nth(1)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    assert_eq!(l.stop().code(), Some(0));
    kith_json(
        &a_home,
        &["report", &c_id, "--label", "violence", "--to", &list],
    );
    let sent = kith_json(&a_home, &["reports", "--sent"]);
    assert!(
        sent["reports"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["status"] == "queued"),
        "{sent}"
    );
    // L comes back on the same address; A redials it and delivers.
    let l = Served::start(
        &l_home,
        None,
        &["--listen", &format!("/ip4/127.0.0.1/tcp/{port}")],
    );
    wait_for(
        Duration::from_secs(20),
        "the queued report to reach L",
        || {
            let r = kith_json(&l_home, &["reports"]);
            (r["reports"].as_array()?.len() == 2).then_some(())
        },
    );
    wait_for(Duration::from_secs(5), "A to see it delivered", || {
        let sent = kith_json(&a_home, &["reports", "--sent"]);
        sent["reports"]
            .as_array()?
            .iter()
            .all(|r| r["status"] == "delivered")
            .then_some(())
    });

    // The maintainer accepts the first report in one step: C is listed.
    let id = first["id"].as_str().unwrap();
    let accepted = kith_json(&l_home, &["reports", "accept", &id[..12]]);
    assert_eq!(accepted["status"], "accepted");
    let shown = kith_json(&l_home, &["list", "show", &list]);
    assert_eq!(shown["entries"][0]["target"], c_id.as_str(), "{shown}");
    assert_eq!(shown["entries"][0]["reason"], "threats in replies");
    wait_for(Duration::from_secs(15), "the new entry to reach A", || {
        let p = kith_json(&a_home, &["list", "show", &list]);
        (p["entries"].as_array()?.len() == 1).then_some(())
    });
    drop((a, l));
}
