//! Kith's own packages, with the real `kith` command: checking a package
//! against its signed manifest, keeping a genuine release to hand on, and
//! carrying it beside a USB bundle.
//!
//! Test releases are signed by test keys; each `kith` process is told to
//! trust one with `KITH_RELEASE_PUBLIC_KEY`, as a fork that signs its own
//! releases would build in its key.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::process::Output;

use common::release::{self, KEY_ENV};
use common::{command, describe, init};
use serde_json::Value;

/// The key the tests' releases are signed with.
const TRUSTED: u8 = 1;
/// Another key.
const STRANGER: u8 = 2;

/// Runs `kith ARGS` on `home`, trusting the test key `seed` (or the
/// built-in key when `None`).
fn kith(home: &Path, seed: Option<u8>, args: &[&str]) -> Output {
    let mut cmd = command(None, home, args);
    match seed {
        Some(seed) => cmd.env(KEY_ENV, release::public(seed)),
        None => cmd.env_remove(KEY_ENV),
    };
    cmd.output().expect("running kith")
}

fn ok_json(home: &Path, seed: Option<u8>, args: &[&str]) -> Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let out = kith(home, seed, &all);
    assert!(
        out.status.success(),
        "expected success:\n{}",
        describe(&all, &out)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn refused(home: &Path, seed: Option<u8>, args: &[&str]) -> String {
    let out = kith(home, seed, args);
    assert!(
        !out.status.success(),
        "expected a refusal:\n{}",
        describe(args, &out)
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn verify_package_says_genuine_or_names_exactly_what_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    let package = release::make(&dir.path().join("rel"), "0.2.0", TRUSTED);
    let file = package.to_str().unwrap();

    let genuine = ok_json(&home, Some(TRUSTED), &["verify-package", file]);
    assert_eq!(genuine["genuine"], true, "{genuine}");
    assert_eq!(genuine["version"], "0.2.0");
    let out = kith(&home, Some(TRUSTED), &["verify-package", file]);
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("GENUINE: "));

    // One byte changed in a copy: the SHA-256 differs.
    let tampered_dir = dir.path().join("tampered");
    std::fs::create_dir_all(&tampered_dir).unwrap();
    let tampered = tampered_dir.join(package.file_name().unwrap());
    let mut bytes = std::fs::read(&package).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    std::fs::write(&tampered, &bytes).unwrap();
    std::fs::copy(
        dir.path().join("rel/kith-manifest.txt"),
        tampered_dir.join("kith-manifest.txt"),
    )
    .unwrap();
    let err = refused(
        &home,
        Some(TRUSTED),
        &["verify-package", tampered.to_str().unwrap()],
    );
    assert!(
        err.contains("NOT GENUINE") && err.contains("SHA-256"),
        "{err}"
    );

    // A truncated copy: the size differs.
    std::fs::write(&tampered, &bytes[..middle]).unwrap();
    let err = refused(
        &home,
        Some(TRUSTED),
        &["verify-package", tampered.to_str().unwrap()],
    );
    assert!(
        err.contains("NOT GENUINE") && err.contains("bytes"),
        "{err}"
    );

    // The same package with a manifest signed by another key.
    let stranger_dir = dir.path().join("stranger");
    let stranger_pkg = release::make(&stranger_dir, "0.2.0", STRANGER);
    let err = refused(
        &home,
        Some(TRUSTED),
        &["verify-package", stranger_pkg.to_str().unwrap()],
    );
    assert!(
        err.contains("NOT GENUINE") && err.contains("unknown key"),
        "{err}"
    );

    // A manifest altered after signing.
    let manifest = dir.path().join("rel/kith-manifest.txt");
    let altered = dir.path().join("altered.txt");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(&altered, text.replace("version: 0.2.0", "version: 0.3.0")).unwrap();
    let err = refused(
        &home,
        Some(TRUSTED),
        &[
            "verify-package",
            file,
            "--manifest",
            altered.to_str().unwrap(),
        ],
    );
    assert!(err.contains("signature does not check"), "{err}");

    // Not a manifest at all, and no manifest where one is looked for.
    let junk = dir.path().join("junk.txt");
    std::fs::write(&junk, "hello").unwrap();
    let err = refused(
        &home,
        Some(TRUSTED),
        &["verify-package", file, "--manifest", junk.to_str().unwrap()],
    );
    assert!(err.contains("not a Kith release manifest"), "{err}");
    let lone = dir.path().join("lone.deb");
    std::fs::write(&lone, b"x").unwrap();
    let err = refused(
        &home,
        Some(TRUSTED),
        &["verify-package", lone.to_str().unwrap()],
    );
    assert!(err.contains("--manifest"), "{err}");

    // Without the test key, Kith trusts only its built-in key and says so.
    let err = refused(&home, None, &["verify-package", file]);
    assert!(
        err.contains("unknown key") && err.contains("culture-stove-bracket-worry-adult-blouse"),
        "{err}"
    );
}

#[test]
fn the_installer_keeps_only_verified_releases_and_never_goes_back_a_version() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    let empty = ok_json(&home, Some(TRUSTED), &["installer"]);
    assert!(empty.is_null(), "nothing kept at first: {empty}");

    // A tampered package is refused and nothing is kept.
    let v2 = release::make(&dir.path().join("v2"), "0.2.0", TRUSTED);
    let mut bytes = std::fs::read(&v2).unwrap();
    bytes[100] ^= 0xff;
    let bad_dir = dir.path().join("bad");
    std::fs::create_dir_all(&bad_dir).unwrap();
    let bad = bad_dir.join(v2.file_name().unwrap());
    std::fs::write(&bad, bytes).unwrap();
    std::fs::copy(
        dir.path().join("v2/kith-manifest.txt"),
        bad_dir.join("kith-manifest.txt"),
    )
    .unwrap();
    let err = refused(
        &home,
        Some(TRUSTED),
        &["installer", "add", bad.to_str().unwrap()],
    );
    assert!(
        err.contains("nothing was added") && err.contains("SHA-256"),
        "{err}"
    );
    assert!(ok_json(&home, Some(TRUSTED), &["installer"]).is_null());

    // The genuine one is kept, with its digest.
    let held = ok_json(
        &home,
        Some(TRUSTED),
        &["installer", "add", v2.to_str().unwrap()],
    );
    assert_eq!(held["version"], "0.2.0");
    assert_eq!(
        held["files"][0]["sha256"],
        release::manifest_sha256(&dir.path().join("v2"))
    );
    let kept = Path::new(held["files"][0]["path"].as_str().unwrap()).to_owned();
    assert_eq!(std::fs::read(&kept).unwrap(), std::fs::read(&v2).unwrap());

    // An older release is refused; the newer one stays.
    let v1 = release::make(&dir.path().join("v1"), "0.1.5", TRUSTED);
    let err = refused(
        &home,
        Some(TRUSTED),
        &["installer", "add", v1.to_str().unwrap()],
    );
    assert!(err.contains("already holds Kith 0.2.0"), "{err}");

    // A newer one replaces it, and the old package file is gone.
    let v3 = release::make(&dir.path().join("v3"), "0.3.0", TRUSTED);
    let held = ok_json(
        &home,
        Some(TRUSTED),
        &["installer", "add", v3.to_str().unwrap()],
    );
    assert_eq!(held["version"], "0.3.0");
    assert!(!kept.exists(), "the replaced release's package was removed");

    // A process trusting another key does not take the kept release as genuine.
    let err = refused(&home, Some(STRANGER), &["installer"]);
    assert!(err.contains("unknown key"), "{err}");
}

#[test]
fn export_with_installer_puts_the_package_beside_the_bundle_and_import_keeps_it() {
    let dir = tempfile::tempdir().unwrap();
    let (alice, _) = init(dir.path(), "alice");
    let v2 = release::make(&dir.path().join("v2"), "0.2.0", TRUSTED);
    let out = kith(
        &alice,
        Some(TRUSTED),
        &["export", "--out", "x", "--with-installer"],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("keeps no Kith package"),
        "{err}"
    );
    assert!(!Path::new("x").exists(), "nothing written when refused");

    ok_json(
        &alice,
        Some(TRUSTED),
        &["installer", "add", v2.to_str().unwrap()],
    );
    let usb = dir.path().join("usb");
    std::fs::create_dir_all(&usb).unwrap();
    let bundle = usb.join("kith.bundle");
    let out = kith(
        &alice,
        Some(TRUSTED),
        &[
            "export",
            "--out",
            bundle.to_str().unwrap(),
            "--with-installer",
        ],
    );
    assert!(out.status.success(), "{}", describe(&["export"], &out));
    let on_stick = usb.join(v2.file_name().unwrap());
    assert_eq!(
        std::fs::read(&on_stick).unwrap(),
        std::fs::read(&v2).unwrap()
    );
    assert_eq!(
        release::sha256sum(&on_stick),
        release::manifest_sha256(&usb)
    );

    // Bob imports: the feed, and the package is checked, kept and offered.
    let (bob, _) = init(dir.path(), "bob");
    let out = kith(&bob, Some(TRUSTED), &["import", bundle.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", describe(&["import"], &out));
    assert!(
        text.contains("genuine Kith 0.2.0") && text.contains("sudo apt install"),
        "{text}"
    );
    let held = ok_json(&bob, Some(TRUSTED), &["installer"]);
    assert_eq!(held["version"], "0.2.0");

    // Carol gets a stick whose package was swapped: the feed still imports,
    // the package is called out and not kept.
    let mut bytes = std::fs::read(&on_stick).unwrap();
    bytes[10] ^= 1;
    std::fs::write(&on_stick, bytes).unwrap();
    let (carol, _) = init(dir.path(), "carol");
    let out = kith(&carol, Some(TRUSTED), &["import", bundle.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", describe(&["import"], &out));
    assert!(text.contains("NOT genuine"), "{text}");
    assert!(ok_json(&carol, Some(TRUSTED), &["installer"]).is_null());
}

#[test]
fn share_app_refuses_bad_minutes_addresses_and_an_empty_installer_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    let err = refused(
        &home,
        Some(TRUSTED),
        &["share-app", "--listen", "127.0.0.1:0", "--minutes", "0"],
    );
    assert!(err.contains("1 to 240 minutes"), "{err}");
    let err = refused(
        &home,
        Some(TRUSTED),
        &["share-app", "--listen", "my laptop"],
    );
    assert!(err.contains("is not an address"), "{err}");
    let err = refused(
        &home,
        Some(TRUSTED),
        &["share-app", "--listen", "127.0.0.1:0"],
    );
    assert!(err.contains("no Kith package to share"), "{err}");
    let err = refused(&home, Some(TRUSTED), &["update"]);
    assert!(err.contains("no node is running"), "{err}");
}
