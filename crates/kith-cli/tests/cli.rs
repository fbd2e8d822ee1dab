//! Scenario tests of the real `kith` binary: each test runs it in a fresh
//! temporary home, the way a person or a script would.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use common::describe;
use serde_json::Value;

mod common;

const PASSPHRASE: &str = "correct horse battery staple";

/// A `kith` command on `home`, isolated from the caller's environment.
fn command(home: &Path, passphrase: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kith"));
    cmd.arg("--home")
        .arg(home)
        .args(args)
        .env_remove("KITH_HOME")
        .env_remove("KITH_LOG")
        .env("KITH_PASSPHRASE", passphrase)
        .stdin(Stdio::null());
    cmd
}

/// Runs `kith --home HOME ARGS…` with the usual passphrase.
fn kith(home: &Path, args: &[&str]) -> Output {
    kith_with_passphrase(home, PASSPHRASE, args)
}

fn kith_with_passphrase(home: &Path, passphrase: &str, args: &[&str]) -> Output {
    command(home, passphrase, args)
        .output()
        .expect("running the kith binary")
}

/// Runs `kith` with `input` written to its stdin.
fn kith_with_stdin(home: &Path, args: &[&str], input: &str) -> Output {
    let mut child = command(home, PASSPHRASE, args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting the kith binary");
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(input.as_bytes())
        .expect("writing to kith's stdin");
    child.wait_with_output().expect("waiting for kith")
}

/// Asserts success and returns stdout as text.
fn ok(home: &Path, args: &[&str]) -> String {
    let out = kith(home, args);
    assert!(
        out.status.success(),
        "expected success:\n{}",
        describe(args, &out)
    );
    String::from_utf8(out.stdout).expect("stdout is UTF-8")
}

/// Parses `out` as a successful run printing exactly one JSON document.
fn parse_json(args: &[&str], out: &Output) -> Value {
    assert!(
        out.status.success(),
        "expected success:\n{}",
        describe(args, out)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not exactly one JSON document ({e}):\n{}",
            describe(args, out)
        )
    })
}

/// Runs `kith --json ARGS…`, asserts success and one JSON document on stdout.
fn json(home: &Path, args: &[&str]) -> Value {
    let mut full = vec!["--json"];
    full.extend_from_slice(args);
    let out = kith(home, &full);
    parse_json(&full, &out)
}

/// Asserts failure with nothing on stdout; returns stderr.
fn fails(out: &Output, args: &[&str]) -> String {
    assert!(
        !out.status.success(),
        "expected failure:\n{}",
        describe(args, out)
    );
    assert!(
        out.stdout.is_empty(),
        "a failing command printed on stdout:\n{}",
        describe(args, out)
    );
    String::from_utf8(out.stderr.clone()).expect("stderr is UTF-8")
}

/// Asserts a `--json` failure: stdout empty, stderr one JSON error object.
/// Returns (code, message).
fn json_error(out: &Output, args: &[&str]) -> (String, String) {
    let stderr = fails(out, args);
    let v: Value = serde_json::from_str(stderr.trim()).unwrap_or_else(|e| {
        panic!(
            "stderr is not one JSON document ({e}):\n{}",
            describe(args, out)
        )
    });
    let code = v["error"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no error.code:\n{}", describe(args, out)));
    let message = v["error"]["message"]
        .as_str()
        .unwrap_or_else(|| panic!("no error.message:\n{}", describe(args, out)));
    assert!(
        !code.is_empty() && !message.is_empty(),
        "{}",
        describe(args, out)
    );
    (code.to_owned(), message.to_owned())
}

fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("`{key}` is not a string in {v:#}"))
}

/// Creates an identity in `home`; returns the `init` document.
fn init(home: &Path, name: &str) -> Value {
    json(home, &["init", "--name", name])
}

fn post(home: &Path, text: &str) -> String {
    str_of(&json(home, &["post", text]), "id").to_owned()
}

fn posts(page: &Value) -> &Vec<Value> {
    page["posts"]
        .as_array()
        .unwrap_or_else(|| panic!("no `posts` array in {page:#}"))
}

fn ids(page: &Value) -> Vec<String> {
    posts(page)
        .iter()
        .map(|p| str_of(p, "id").to_owned())
        .collect()
}

fn timeline(home: &Path) -> Value {
    json(home, &["timeline", "--limit", "500"])
}

fn search(home: &Path, query: &str) -> Vec<String> {
    ids(&json(home, &["search", query]))
}

/// A valid checksummed id with one character changed to another of the
/// same alphabet.
fn mistype(id: &str) -> String {
    let mut chars: Vec<char> = id.chars().collect();
    let i = 10;
    chars[i] = if chars[i] == 'q' { 'p' } else { 'q' };
    chars.into_iter().collect()
}

#[test]
fn init_prints_account_device_and_24_word_phrase_as_json() {
    let home = tempfile::tempdir().unwrap();
    let created = init(home.path(), "Ada");
    let account = str_of(&created, "account");
    let device = str_of(&created, "device");
    let phrase = str_of(&created, "phrase");
    assert!(account.starts_with("kith1"), "{created:#}");
    assert!(device.starts_with("kithdev1"), "{created:#}");
    assert_eq!(phrase.split_whitespace().count(), 24, "{created:#}");

    let id = json(home.path(), &["id"]);
    assert_eq!(str_of(&id, "account"), account);
    assert_eq!(str_of(&id, "device"), device);
    assert_eq!(str_of(&id, "name"), "Ada");
}

#[test]
fn post_reply_and_thread_show_the_conversation() {
    let home = tempfile::tempdir().unwrap();
    init(home.path(), "Ada");
    let root = post(home.path(), "Who wants tea?");
    let reply = str_of(&json(home.path(), &["reply", &root, "Me, please"]), "id").to_owned();
    assert_ne!(root, reply);

    let thread = json(home.path(), &["thread", &reply]);
    assert_eq!(
        ids(&thread),
        vec![root.clone(), reply.clone()],
        "{thread:#}"
    );
    let p = posts(&thread);
    assert_eq!(str_of(&p[0], "text"), "Who wants tea?");
    assert!(p[0]["reply_to"].is_null(), "{thread:#}");
    assert_eq!(str_of(&p[1], "text"), "Me, please");
    assert_eq!(str_of(&p[1], "reply_to"), root);

    // Asked from the root, the thread shows the same conversation.
    let from_root = json(home.path(), &["thread", &root]);
    assert_eq!(ids(&from_root), vec![root, reply], "{from_root:#}");
}

#[test]
fn edit_keeps_the_id_and_marks_the_post_edited() {
    let home = tempfile::tempdir().unwrap();
    init(home.path(), "Ada");
    let id = post(home.path(), "teh first draft");
    let edited = json(home.path(), &["edit", &id, "the second draft"]);
    assert_eq!(str_of(&edited, "id"), id);
    assert_eq!(edited["edited"], Value::Bool(true));

    let tl = timeline(home.path());
    assert_eq!(ids(&tl), vec![id.clone()], "{tl:#}");
    let p = &posts(&tl)[0];
    assert_eq!(str_of(p, "text"), "the second draft");
    assert_eq!(p["edited"], Value::Bool(true), "{p:#}");
    assert!(p["edited_at"].is_i64(), "{p:#}");

    assert_eq!(search(home.path(), "second"), vec![id]);
    assert!(
        search(home.path(), "teh").is_empty(),
        "old text still found"
    );
}

#[test]
fn edit_changes_the_content_warning_and_image_descriptions_only_when_asked() {
    let home = tempfile::tempdir().unwrap();
    let files = tempfile::tempdir().unwrap();
    init(home.path(), "Ada");
    let image = files.path().join("photo.png");
    std::fs::write(
        &image,
        kith_core::image::png_holding(b"not really a picture"),
    )
    .unwrap();
    let image = image.to_str().unwrap();
    let posted = json(
        home.path(),
        &[
            "post", "La fin", "--cw", "film", "--image", image, "--alt", "Un banc",
        ],
    );
    let id = str_of(&posted, "id").to_owned();
    let shown = |home: &Path| posts(&timeline(home))[0].clone();

    json(home.path(), &["edit", &id, "La fin du film"]);
    let p = shown(home.path());
    assert_eq!(str_of(&p, "cw"), "film", "kept without --cw: {p:#}");
    assert_eq!(
        p["descriptions"],
        serde_json::json!(["Un banc"]),
        "kept without --alt"
    );

    json(
        home.path(),
        &[
            "edit",
            &id,
            "La fin du film",
            "--cw",
            "gros spoilers",
            "--alt",
            "Deux personnes sur un banc",
        ],
    );
    let p = shown(home.path());
    assert_eq!(str_of(&p, "cw"), "gros spoilers");
    assert_eq!(
        p["descriptions"],
        serde_json::json!(["Deux personnes sur un banc"])
    );

    json(
        home.path(),
        &["edit", &id, "La fin du film", "--no-cw", "--alt", ""],
    );
    let p = shown(home.path());
    assert!(p["cw"].is_null(), "--no-cw removes the warning: {p:#}");
    assert_eq!(
        p["descriptions"],
        serde_json::json!([]),
        "an empty --alt removes the description"
    );

    let args = ["edit", &id, "x", "--alt", "un", "--alt", "deux"];
    let refused = fails(&kith(home.path(), &args), &args);
    assert!(
        refused.contains("2 image descriptions for a post with 1 images"),
        "{refused}"
    );
    let args = ["edit", &id, "x", "--cw", "a", "--no-cw"];
    let refused = fails(&kith(home.path(), &args), &args);
    assert!(refused.contains("cannot be used with"), "{refused}");
    assert_eq!(
        str_of(&shown(home.path()), "text"),
        "La fin du film",
        "refused edits change nothing"
    );
}

#[test]
fn delete_removes_the_post_from_timeline_and_search() {
    let home = tempfile::tempdir().unwrap();
    init(home.path(), "Ada");
    let keep = post(home.path(), "a pancake recipe to keep");
    let gone = post(home.path(), "a pancake recipe to regret");
    assert_eq!(search(home.path(), "regret"), vec![gone.clone()]);

    let deleted = json(home.path(), &["delete", &gone]);
    assert_eq!(str_of(&deleted, "id"), gone);
    assert_eq!(deleted["deleted"], Value::Bool(true));

    assert_eq!(ids(&timeline(home.path())), vec![keep.clone()]);
    assert!(search(home.path(), "regret").is_empty());
    assert_eq!(search(home.path(), "pancake"), vec![keep]);
}

#[test]
fn react_counts_appear_in_the_timeline() {
    let home = tempfile::tempdir().unwrap();
    init(home.path(), "Ada");
    let id = post(home.path(), "React to this");
    let reacted = json(home.path(), &["react", &id, "👍"]);
    assert_eq!(str_of(&reacted, "post"), id);
    assert_eq!(str_of(&reacted, "reaction"), "👍");

    let tl = timeline(home.path());
    assert_eq!(
        posts(&tl)[0]["reactions"],
        serde_json::json!({ "👍": 1 }),
        "{tl:#}"
    );
}

#[test]
fn search_folds_case_and_accents() {
    let home = tempfile::tempdir().unwrap();
    init(home.path(), "Ada");
    let cafe = post(home.path(), "Le café est prêt");
    post(home.path(), "Something else entirely");
    assert_eq!(search(home.path(), "CAFE"), vec![cafe.clone()]);
    assert_eq!(search(home.path(), "pret"), vec![cafe]);
}

#[test]
fn timeline_paginates_with_the_next_cursor() {
    let home = tempfile::tempdir().unwrap();
    init(home.path(), "Ada");
    let posted: Vec<String> = (1..=5)
        .map(|i| post(home.path(), &format!("post number {i}")))
        .collect();
    let newest_first: Vec<String> = posted.into_iter().rev().collect();
    assert_eq!(all_pages(home.path(), &["timeline"]), newest_first);
}

#[test]
fn search_paginates_with_the_next_cursor() {
    let home = tempfile::tempdir().unwrap();
    init(home.path(), "Ada");
    let found: Vec<String> = (1..=5)
        .map(|i| post(home.path(), &format!("rainy day {i}")))
        .collect();
    post(home.path(), "sunny day");
    let newest_first: Vec<String> = found.into_iter().rev().collect();
    assert_eq!(all_pages(home.path(), &["search", "rainy"]), newest_first);
}

/// The ids of every page of `command`, two posts a page, following each
/// page's `next` until it is null (at most ten pages).
fn all_pages(home: &Path, command: &[&str]) -> Vec<String> {
    let mut seen = Vec::new();
    let mut before: Option<String> = None;
    for _ in 0..10 {
        let mut args = command.to_vec();
        args.extend(["--limit", "2"]);
        if let Some(b) = &before {
            args.extend(["--before", b.as_str()]);
        }
        let page = json(home, &args);
        let page_ids = ids(&page);
        assert!(page_ids.len() <= 2, "{page:#}");
        seen.extend(page_ids);
        match &page["next"] {
            Value::Null => return seen,
            Value::String(next) => before = Some(next.clone()),
            other => panic!("`next` is neither null nor a string: {other}"),
        }
    }
    panic!("pagination of {command:?} never ended: {seen:?}");
}

#[test]
fn mistyped_account_id_is_rejected_with_a_clear_message() {
    let home = tempfile::tempdir().unwrap();
    let account = str_of(&init(home.path(), "Ada"), "account").to_owned();
    let typo = mistype(&account);
    assert_ne!(typo, account);

    let args = ["follow", typo.as_str()];
    let out = kith(home.path(), &args);
    let stderr = fails(&out, &args).to_lowercase();
    assert!(
        stderr.contains("invalid") || stderr.contains("typing mistake"),
        "{}",
        describe(&args, &out)
    );
    assert!(stderr.contains(&typo), "{}", describe(&args, &out));

    let args = ["--json", "follow", typo.as_str()];
    let out = kith(home.path(), &args);
    let (_code, message) = json_error(&out, &args);
    let message = message.to_lowercase();
    assert!(
        message.contains("invalid") || message.contains("typing mistake"),
        "{}",
        describe(&args, &out)
    );

    // Nothing was followed.
    let following = json(home.path(), &["following"]);
    assert_eq!(
        following["accounts"],
        serde_json::json!([]),
        "{following:#}"
    );
}

#[test]
fn wrong_passphrase_is_a_clear_error() {
    let home = tempfile::tempdir().unwrap();
    init(home.path(), "Ada");

    let args = ["post", "hello"];
    let out = kith_with_passphrase(home.path(), "not the passphrase", &args);
    let stderr = fails(&out, &args);
    assert!(
        stderr.contains("wrong passphrase"),
        "{}",
        describe(&args, &out)
    );

    let args = ["--json", "post", "hello"];
    let out = kith_with_passphrase(home.path(), "not the passphrase", &args);
    let (code, message) = json_error(&out, &args);
    assert_eq!(code, "wrong_passphrase", "{}", describe(&args, &out));
    assert!(message.contains("wrong passphrase"), "{message}");

    // Nothing was posted.
    assert!(posts(&timeline(home.path())).is_empty());
}

#[test]
fn commands_before_init_explain_what_to_do() {
    let home = tempfile::tempdir().unwrap();

    let args = ["post", "hello"];
    let out = kith(home.path(), &args);
    let stderr = fails(&out, &args);
    assert!(stderr.contains("kith init"), "{}", describe(&args, &out));

    let args = ["--json", "post", "hello"];
    let out = kith(home.path(), &args);
    let (code, message) = json_error(&out, &args);
    assert_eq!(code, "no_identity", "{}", describe(&args, &out));
    assert!(message.contains("kith init"), "{message}");

    // Reading an empty home either shows an empty timeline or says to run
    // `kith init`; it must not crash or print garbage.
    let args = ["timeline"];
    let out = kith(home.path(), &args);
    if out.status.success() {
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(stdout.contains("Nothing yet"), "{}", describe(&args, &out));
    } else {
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("kith init"), "{}", describe(&args, &out));
    }
}

#[test]
fn export_and_import_carry_a_followed_feed_with_its_image_and_description_to_another_home() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let files = tempfile::tempdir().unwrap();

    let a_id = str_of(&init(a.path(), "Ada"), "account").to_owned();
    let image = files.path().join("photo.png");
    std::fs::write(
        &image,
        kith_core::image::png_holding(b"not really a picture"),
    )
    .unwrap();
    let image = image.to_str().unwrap();
    let posted = json(
        a.path(),
        &[
            "post",
            "The ending surprised me",
            "--cw",
            "film",
            "--image",
            image,
            "--alt",
            "Two people on a bench at dusk",
        ],
    );
    let post_id = str_of(&posted, "id").to_owned();
    let args = [
        "post", "x", "--image", image, "--alt", "one", "--alt", "two",
    ];
    let extra = fails(&kith(a.path(), &args), &args);
    assert!(extra.contains("2 --alt for 1 --image"), "{extra}");

    init(b.path(), "Bob");
    json(b.path(), &["follow", &a_id]);

    let bundle = files.path().join("a.bundle");
    let bundle = bundle.to_str().unwrap();
    let exported = json(a.path(), &["export", "--out", bundle]);
    assert!(exported["changes"].as_u64().unwrap() > 0, "{exported:#}");
    assert_eq!(exported["blobs"], 1, "{exported:#}");

    let imported = json(b.path(), &["import", bundle]);
    assert!(imported["changes"].as_u64().unwrap() > 0, "{imported:#}");
    assert_eq!(imported["blobs"], 1, "{imported:#}");

    let tl = timeline(b.path());
    let found: Vec<&Value> = posts(&tl)
        .iter()
        .filter(|p| p["id"] == post_id.as_str())
        .collect();
    assert_eq!(found.len(), 1, "A's post is not in B's timeline: {tl:#}");
    let p = found[0];
    assert_eq!(str_of(p, "author"), a_id);
    assert_eq!(str_of(p, "text"), "The ending surprised me");
    assert_eq!(str_of(p, "cw"), "film");
    assert_eq!(p["attachments"].as_array().unwrap().len(), 1, "{p:#}");
    assert_eq!(
        p["descriptions"],
        serde_json::json!(["Two people on a bench at dusk"]),
        "{p:#}"
    );
    let shown = ok(b.path(), &["timeline"]);
    assert!(
        shown.contains("[image 1: Two people on a bench at dusk]"),
        "{shown}"
    );

    let profile = json(b.path(), &["profile", "show", &a_id]);
    assert_eq!(str_of(&profile, "name"), "Ada", "{profile:#}");

    let again = json(b.path(), &["import", bundle]);
    assert_eq!(again["changes"], 0, "{again:#}");
    assert!(again["duplicates"].as_u64().unwrap() > 0, "{again:#}");
}

#[test]
fn activity_lists_a_reply_and_a_mention_by_name_once_their_feed_is_imported() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let files = tempfile::tempdir().unwrap();
    let a_id = str_of(&init(a.path(), "Ada"), "account").to_owned();
    let b_id = str_of(&init(b.path(), "Bea"), "account").to_owned();
    let mine = post(a.path(), "Anyone up for a walk?");
    let empty = ok(a.path(), &["activity"]);
    assert!(empty.contains("Nothing yet"), "{empty}");

    // Bea gets Ada's post, replies to it, and mentions her in another post.
    let bundle = files.path().join("a.bundle");
    let bundle = bundle.to_str().unwrap();
    json(a.path(), &["export", "--out", bundle]);
    json(b.path(), &["follow", &a_id]);
    json(b.path(), &["import", bundle]);
    json(b.path(), &["reply", &mine, "Count me in"]);
    json(b.path(), &["post", &format!("Walking with @{a_id} today")]);
    json(b.path(), &["export", "--out", bundle]);
    json(a.path(), &["follow", &b_id]);
    json(a.path(), &["import", bundle]);

    let page = json(a.path(), &["activity"]);
    let items = page["items"].as_array().unwrap();
    let kinds: Vec<&str> = items.iter().map(|i| str_of(i, "kind")).collect();
    assert_eq!(kinds, ["mention", "reply"], "{page:#}");
    assert_eq!(str_of(&items[0], "actor_name"), "Bea");
    let mentions = items[0]["post"]["mentions"].as_array().unwrap();
    assert_eq!(str_of(&mentions[0], "account"), a_id, "{page:#}");
    assert_eq!(str_of(&mentions[0], "name"), "Ada", "{page:#}");
    assert_eq!(str_of(&items[1]["target"], "id"), mine, "{page:#}");

    let text = ok(a.path(), &["activity"]);
    assert!(text.contains("Bea mentioned you"), "{text}");
    assert!(
        text.contains("Walking with @Ada today"),
        "the id shows as the name: {text}"
    );
    assert!(text.contains("Bea replied to you"), "{text}");
    let bad = fails(
        &kith(a.path(), &["activity", "--before", "nonsense"]),
        &["activity"],
    );
    assert!(bad.contains("cursor"), "{bad}");
}

#[test]
fn following_and_followers_list_what_imported_feeds_say_including_accounts_not_held() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let c = tempfile::tempdir().unwrap();
    let files = tempfile::tempdir().unwrap();
    let a_id = str_of(&init(a.path(), "Ada"), "account").to_owned();
    let b_id = str_of(&init(b.path(), "Bea"), "account").to_owned();
    let c_id = str_of(&init(c.path(), "Cal"), "account").to_owned();
    let none = ok(a.path(), &["followers"]);
    assert!(
        none.contains("No feed on this computer follows you"),
        "{none}"
    );

    // Bea follows Ada and Cal; Ada gets Bea's feed, but never Cal's.
    json(b.path(), &["follow", &a_id]);
    json(b.path(), &["follow", &c_id]);
    let bundle = files.path().join("b.bundle");
    let bundle = bundle.to_str().unwrap();
    json(b.path(), &["export", "--out", bundle]);
    json(a.path(), &["follow", &b_id]);
    json(a.path(), &["import", bundle]);

    let page = json(a.path(), &["following", &b_id]);
    let accounts = page["accounts"].as_array().unwrap();
    let ids: Vec<&str> = accounts.iter().map(|f| str_of(f, "account")).collect();
    assert_eq!(
        ids,
        [c_id.as_str(), a_id.as_str()],
        "newest first: {page:#}"
    );
    assert_eq!(accounts[0]["held"], false, "{page:#}");
    assert_eq!(accounts[1]["name"], "Ada", "{page:#}");
    let text = ok(a.path(), &["following", &b_id]);
    assert!(
        text.contains(&format!("(not on this computer)  {c_id}")),
        "{text}"
    );

    let followers = json(a.path(), &["followers"]);
    assert_eq!(str_of(&followers["accounts"][0], "account"), b_id);
    assert_eq!(followers["accounts"][0]["followed"], true, "{followers:#}");
    let text = ok(a.path(), &["followers"]);
    assert!(
        text.contains(&format!("Bea  {b_id}  · you follow")),
        "{text}"
    );

    // Cal's profile, known only from Bea's follow.
    let cal = json(a.path(), &["profile", "show", &c_id]);
    assert_eq!(
        (&cal["held"], &cal["followers"]),
        (&serde_json::json!(false), &serde_json::json!(1))
    );
    let text = ok(a.path(), &["profile", "show", &c_id]);
    assert!(
        text.contains("Nothing of this account is on this computer yet"),
        "{text}"
    );

    let bad = fails(
        &kith(a.path(), &["following", "kith1nonsense"]),
        &["following"],
    );
    assert!(bad.to_lowercase().contains("invalid"), "{bad}");
    let args = ["following", "--limit", "0"];
    let zero = fails(&kith(a.path(), &args), &args);
    assert!(zero.contains("--limit"), "{zero}");
}

#[test]
fn restore_on_a_second_home_gives_the_same_account_and_both_devices_posts_merge() {
    let home1 = tempfile::tempdir().unwrap();
    let home2 = tempfile::tempdir().unwrap();
    let files = tempfile::tempdir().unwrap();

    let created = init(home1.path(), "Ada");
    let phrase = format!("{}\n", str_of(&created, "phrase"));
    let args = ["--json", "restore"];
    let out = kith_with_stdin(home2.path(), &args, &phrase);
    let restored = parse_json(&args, &out);
    assert_eq!(str_of(&restored, "account"), str_of(&created, "account"));
    assert_ne!(str_of(&restored, "device"), str_of(&created, "device"));

    let p1 = post(home1.path(), "from the laptop");
    let p2 = post(home2.path(), "from the phone");

    let b1 = files.path().join("1.bundle");
    let b2 = files.path().join("2.bundle");
    let (b1, b2) = (b1.to_str().unwrap(), b2.to_str().unwrap());
    json(home1.path(), &["export", "--out", b1]);
    json(home2.path(), &["export", "--out", b2]);
    json(home2.path(), &["import", b1]);
    json(home1.path(), &["import", b2]);

    let mut ids1 = ids(&timeline(home1.path()));
    let mut ids2 = ids(&timeline(home2.path()));
    ids1.sort();
    ids2.sort();
    let mut expected = vec![p1, p2];
    expected.sort();
    assert_eq!(ids1, expected);
    assert_eq!(ids2, expected);
}

#[test]
fn tampered_bundle_is_rejected_whole_and_nothing_changes() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let files = tempfile::tempdir().unwrap();

    let a_id = str_of(&init(a.path(), "Ada"), "account").to_owned();
    for i in 1..=3 {
        post(
            a.path(),
            &format!("post {i} with a bit of text to fill the bundle"),
        );
    }
    let good = files.path().join("a.bundle");
    json(a.path(), &["export", "--out", good.to_str().unwrap()]);
    let bytes = std::fs::read(&good).unwrap();
    assert!(bytes.len() > 100, "bundle suspiciously small");

    init(b.path(), "Bob");
    json(b.path(), &["follow", &a_id]);
    let snapshot = |home: &Path| {
        (
            ok(home, &["--json", "timeline"]),
            ok(home, &["--json", "following"]),
        )
    };
    let before = snapshot(b.path());

    let mut flipped = bytes.clone();
    flipped[bytes.len() / 2] ^= 0x01;
    let flipped_path = files.path().join("flipped.bundle");
    std::fs::write(&flipped_path, &flipped).unwrap();

    let truncated_path = files.path().join("truncated.bundle");
    std::fs::write(&truncated_path, &bytes[..bytes.len() / 2]).unwrap();

    let text_path = files.path().join("notes.txt");
    std::fs::write(&text_path, "Shopping list: eggs, flour, milk.\n").unwrap();

    for (path, extra) in [
        (&flipped_path, None),
        (&truncated_path, None),
        (&text_path, Some("not a kith bundle")),
    ] {
        let path = path.to_str().unwrap();
        let args = ["import", path];
        let out = kith(b.path(), &args);
        let stderr = fails(&out, &args).to_lowercase();
        assert!(stderr.contains("rejected"), "{}", describe(&args, &out));
        if let Some(extra) = extra {
            assert!(stderr.contains(extra), "{}", describe(&args, &out));
        }
        assert_eq!(
            snapshot(b.path()),
            before,
            "B changed after importing {path}"
        );
    }

    // The same check for scripts: a JSON error and still nothing stored.
    let args = ["--json", "import", flipped_path.to_str().unwrap()];
    let out = kith(b.path(), &args);
    let (_code, message) = json_error(&out, &args);
    assert!(message.contains("rejected"), "{message}");
    assert_eq!(snapshot(b.path()), before);

    // The intact bundle does change B, so the comparisons above meant something.
    json(b.path(), &["import", good.to_str().unwrap()]);
    assert_ne!(snapshot(b.path()).0, before.0);
}

#[test]
fn with_json_an_argument_error_is_one_json_error_with_the_usage_code_and_exit_2() {
    let home = tempfile::tempdir().unwrap();
    for args in [
        &["--json", "connect"][..],
        &["--json", "post", "hi", "--no-such-flag"],
        &["--json", "no-such-command"],
        &["timeline", "--json", "--limit", "many"],
    ] {
        let out = kith(home.path(), args);
        let (code, message) = json_error(&out, args);
        assert_eq!(code, "usage", "{}", describe(args, &out));
        assert!(!message.starts_with("error:"), "{}", describe(args, &out));
        assert_eq!(out.status.code(), Some(2), "{}", describe(args, &out));
    }
    // Without --json, clap's own words; help is still help.
    let out = kith(home.path(), &["connect"]);
    let stderr = fails(&out, &["connect"]);
    assert!(stderr.starts_with("error:"), "{stderr}");
    assert_eq!(out.status.code(), Some(2));
    let help = ok(home.path(), &["--json", "--help"]);
    assert!(help.contains("Examples"), "{help}");
}

#[test]
fn completions_and_help_work() {
    let home = tempfile::tempdir().unwrap();
    let completions = ok(home.path(), &["completions", "bash"]);
    assert!(!completions.trim().is_empty());
    assert!(completions.contains("kith"));

    let help = ok(home.path(), &["--help"]);
    assert!(help.contains("Examples"), "{help}");
}

#[test]
fn moderation_commands_refuse_bad_input_with_clear_errors_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("a");
    let me = init(&home, "ada");
    let account = str_of(&me, "account").to_owned();
    let other = str_of(&init(&dir.path().join("b"), "bo"), "account").to_owned();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["block", account.as_str()], "yourself"),
        (vec!["block", "kith1notanaccount"], "typing mistake"),
        (vec!["unblock", other.as_str()], "do not block"),
        (vec!["mute-word", "two words"], "without spaces"),
        (
            vec!["report", other.as_str(), "--label", "spam"],
            "subscribe to no list",
        ),
        (
            vec!["report", other.as_str(), "--label", "rude"],
            "harassment",
        ),
        (vec!["list", "create", ""], "1 to 64 bytes"),
        (
            vec!["policy", "--replicate", "everyone"],
            "follows-of-follows",
        ),
        (vec!["policy", "--peer-rate", "0"], "at least 1"),
    ];
    for (args, expect) in cases {
        let out = kith(&home, &args);
        let err = fails(&out, &args);
        assert!(
            err.contains(expect),
            "`kith {}` said: {err}",
            args.join(" ")
        );
    }
    // A list of someone whose feed this home does not hold cannot be reported to.
    json(&home, &["list", "create", "Mine"]);
    let foreign = kith_core::ListId {
        owner: other.parse().unwrap(),
        local: [1; 8],
    }
    .to_string();
    let args = [
        "report",
        other.as_str(),
        "--label",
        "spam",
        "--to",
        foreign.as_str(),
    ];
    let err = fails(&kith(&home, &args), &args);
    assert!(err.contains("subscribe to the list"), "{err}");
    // Nothing was written: no marks, one list, no reports.
    let m = json(&home, &["moderation"]);
    assert_eq!(m["marks"]["blocks"].as_array().unwrap().len(), 0, "{m}");
    assert_eq!(m["own_lists"].as_array().unwrap().len(), 1, "{m}");
    assert_eq!(
        json(&home, &["reports", "--sent"])["reports"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
}

#[test]
fn passphrase_change_needs_the_current_one_and_reset_needs_this_accounts_phrase() {
    let home = tempfile::tempdir().unwrap();
    let created = init(home.path(), "Ada");
    let change = |current: &str, next: &str| {
        command(home.path(), current, &["--json", "passphrase", "change"])
            .env("KITH_NEW_PASSPHRASE", next)
            .output()
            .unwrap()
    };
    let args = ["passphrase", "change"];
    let (code, _) = json_error(&change("not it", "second passphrase"), &args);
    assert_eq!(code, "wrong_passphrase");
    let out = change(PASSPHRASE, "second passphrase");
    assert_eq!(parse_json(&args, &out)["changed"], true);
    let refused = fails(
        &kith_with_passphrase(home.path(), PASSPHRASE, &["post", "old one"]),
        &["post"],
    );
    assert!(refused.contains("passphrase"), "{refused}");
    let posted = kith_with_passphrase(home.path(), "second passphrase", &["post", "new one"]);
    assert!(posted.status.success(), "{}", describe(&["post"], &posted));

    // Forgotten: another account's phrase changes nothing; this one's sets
    // the passphrase (KITH_PASSPHRASE) and makes a new device.
    let other = tempfile::tempdir().unwrap();
    let other_phrase = str_of(&init(other.path(), "Bea"), "phrase").to_owned();
    let args = ["--json", "passphrase", "reset"];
    let (code, message) = json_error(&kith_with_stdin(home.path(), &args, &other_phrase), &args);
    assert_eq!(code, "other_account");
    assert!(message.contains("another account"), "{message}");
    let out = kith_with_stdin(home.path(), &args, str_of(&created, "phrase"));
    let reset = parse_json(&args, &out);
    assert_eq!(reset["account"], created["account"]);
    assert_ne!(reset["device"], created["device"]);
    // kith_with_stdin gives the usual passphrase: it is the new one now.
    let texts = ok(home.path(), &["feed", str_of(&created, "account")]);
    assert!(texts.contains("new one"), "the feed goes on: {texts}");
    let posted = kith(home.path(), &["post", "after the reset"]);
    assert!(posted.status.success(), "{}", describe(&["post"], &posted));
}

/// Runs `kith ARGS…` with its stdout a pipe whose reader has already gone
/// away, as `kith … | head -1` leaves it once `head` is done.
fn kith_into_closed_pipe(home: &Path, args: &[&str]) -> Output {
    let (reader, writer) = std::io::pipe().expect("a pipe");
    drop(reader);
    command(home, PASSPHRASE, args)
        .stdout(writer)
        .stderr(Stdio::piped())
        .output()
        .expect("running the kith binary")
}

#[test]
fn text_output_into_a_closed_pipe_ends_quietly_with_status_0() {
    let home = tempfile::tempdir().unwrap();
    init(home.path(), "Ada");
    post(home.path(), "one");
    post(home.path(), "two");
    for args in [
        &["completions", "bash"][..],
        &["timeline"],
        &["id"],
        &["--json", "timeline"],
        &["moderation"],
    ] {
        let out = kith_into_closed_pipe(home.path(), args);
        assert_eq!(out.status.code(), Some(0), "{}", describe(args, &out));
        assert!(out.stderr.is_empty(), "{}", describe(args, &out));
    }
    // A failure is still one, whatever became of stdout.
    let args = ["thread", "kithpost1nothing"];
    let out = kith_into_closed_pipe(home.path(), &args);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&args, &out));
}

#[test]
fn init_with_a_too_long_name_is_refused_before_any_file_or_passphrase() {
    let home = tempfile::tempdir().unwrap();
    let long = "n".repeat(70);
    let args = ["init", "--name", long.as_str()];
    // No passphrase to be had: refused for the name, before asking one.
    let out = command(home.path(), "", &args)
        .env_remove("KITH_PASSPHRASE")
        .output()
        .unwrap();
    let stderr = fails(&out, &args);
    assert!(stderr.contains("name longer than 64 bytes"), "{stderr}");
    for file in ["account.key", "device.key", "identity.json"] {
        assert!(!home.path().join(file).exists(), "{file} was written");
    }
    let created = init(home.path(), "Ada");
    assert_eq!(str_of(&created, "phrase").split(' ').count(), 24);
}

#[test]
fn an_error_says_each_of_its_causes_once() {
    let home = tempfile::tempdir().unwrap();
    init(home.path(), "Ada");
    let missing = home.path().join("nowhere.bundle");
    let args = ["import", missing.to_str().unwrap()];
    let stderr = fails(&kith(home.path(), &args), &args);
    assert_eq!(
        stderr.matches("No such file or directory").count(),
        1,
        "{stderr}"
    );
    assert!(stderr.contains("nothing was imported"), "{stderr}");
    let (code, message) = json_error(
        &kith(
            home.path(),
            &["--json", "import", missing.to_str().unwrap()],
        ),
        &args,
    );
    assert_eq!(code, "io");
    assert_eq!(message.matches("No such file").count(), 1, "{message}");

    let broken = tempfile::tempdir().unwrap();
    std::fs::write(broken.path().join("kith.db"), b"not a database at all").unwrap();
    let args = ["init"];
    let stderr = fails(&kith(broken.path(), &args), &args);
    assert_eq!(
        stderr.matches("file is not a database").count(),
        1,
        "{stderr}"
    );
}

#[test]
fn every_benchmark_refuses_a_too_small_n_with_a_clear_error_instead_of_panicking() {
    let home = tempfile::tempdir().unwrap();
    let help = ok(home.path(), &["bench", "--help"]);
    let names: Vec<&str> = help
        .lines()
        .filter_map(|l| l.trim().strip_prefix("- ")?.split(':').next())
        .collect();
    assert!(names.len() >= 11, "benchmarks listed: {names:?}\n{help}");
    let out_file = home.path().join("fixture.bundle");
    for name in &names {
        let args = [
            "bench",
            name,
            "--n",
            "0",
            "--out",
            out_file.to_str().unwrap(),
        ];
        let out = kith(home.path(), &args);
        assert_eq!(out.status.code(), Some(1), "{}", describe(&args, &out));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains(&format!("`kith bench {name}` needs --n ")),
            "{}",
            describe(&args, &out)
        );
    }
    // 10 changes behind on a feed of 5 was a subtraction overflow.
    let args = ["bench", "catchup", "--n", "5"];
    let stderr = fails(&kith(home.path(), &args), &args);
    assert!(stderr.contains("needs --n 11 or more"), "{stderr}");
    // The smallest size runs.
    let report = json(home.path(), &["bench", "catchup", "--n", "11"]);
    assert_eq!(report["changes_sent"], 10, "{report}");
}
