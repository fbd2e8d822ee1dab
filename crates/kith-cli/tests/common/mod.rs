//! A harness for network tests: real `kith serve` processes on real
//! sockets (loopback, or network namespaces the test creates), driven with
//! the real `kith` command through their control sockets.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// The passphrase every test identity uses.
pub const PASSPHRASE: &str = "correct horse battery staple";

/// A `kith` command on `home`, isolated from the caller's environment,
/// optionally run inside a network namespace.
pub fn command(netns: Option<&str>, home: &Path, args: &[&str]) -> Command {
    let mut cmd = match netns {
        Some(ns) => {
            let mut c = Command::new("ip");
            c.args(["netns", "exec", ns, env!("CARGO_BIN_EXE_kith")]);
            c
        }
        None => Command::new(env!("CARGO_BIN_EXE_kith")),
    };
    cmd.arg("--home")
        .arg(home)
        .args(args)
        .env_remove("KITH_HOME")
        .env("KITH_PASSPHRASE", PASSPHRASE)
        .stdin(Stdio::null());
    cmd
}

/// Describes a finished command for an assertion message.
pub fn describe(args: &[&str], out: &Output) -> String {
    format!(
        "kith {}\nstatus: {}\nstdout:\n{}\nstderr:\n{}",
        args.join(" "),
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Runs `kith --json ARGS` on `home` and returns its JSON answer.
pub fn kith_json(home: &Path, args: &[&str]) -> Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let out = command(None, home, &all).output().expect("running kith");
    assert!(
        out.status.success(),
        "expected success:\n{}",
        describe(&all, &out)
    );
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", describe(&all, &out)))
}

/// Creates an identity in a new home under `root`.
pub fn init(root: &Path, name: &str) -> (PathBuf, String) {
    let home = root.join(name);
    let v = kith_json(&home, &["init", "--name", name]);
    (home, v["account"].as_str().unwrap().to_owned())
}

/// Imports `n` signed posts of `kith bench fixture` into `home` and
/// returns the fixture's first author.
pub fn import_fixture(root: &Path, home: &Path, n: u32) -> String {
    let bundle = root.join("fixture.kith");
    let fixture = kith_json(
        root,
        &[
            "bench",
            "fixture",
            "--n",
            &n.to_string(),
            "--out",
            bundle.to_str().unwrap(),
        ],
    );
    kith_json(home, &["import", bundle.to_str().unwrap()]);
    fixture["authors"][0].as_str().unwrap().to_owned()
}

/// The posts of a page (`kith feed --json`) as their author wrote them:
/// without their reply and repost counts, which are of what each home
/// holds (a home that carries other feeds holds more replies).
pub fn posts_as_written(page: &serde_json::Value) -> Vec<serde_json::Value> {
    let mut posts = page["posts"].as_array().cloned().unwrap_or_default();
    for post in &mut posts {
        if let Some(fields) = post.as_object_mut() {
            fields.remove("replies");
            fields.remove("reposts");
        }
    }
    posts
}

/// Polls `check` every 50 ms until it returns `Some`, or panics with
/// `what` after `timeout`.
pub fn wait_for<T>(timeout: Duration, what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = check() {
            return v;
        }
        assert!(
            start.elapsed() < timeout,
            "timed out after {timeout:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A running `kith serve`, stopped (SIGTERM, then kill) when dropped.
pub struct Served {
    /// The home directory.
    pub home: PathBuf,
    /// The namespace it runs in, if any.
    pub netns: Option<String>,
    child: Child,
    log: PathBuf,
}

impl Served {
    /// Starts `kith serve ARGS` on `home` (mDNS off unless `args` turn it
    /// on: pass `--mdns` to keep it) and waits until its control socket
    /// answers.
    pub fn start(home: &Path, netns: Option<&str>, args: &[&str]) -> Self {
        Self::start_with_env(home, netns, args, &[])
    }

    /// [`Served::start`] with extra environment variables for the process.
    pub fn start_with_env(
        home: &Path,
        netns: Option<&str>,
        args: &[&str],
        env: &[(&str, String)],
    ) -> Self {
        let mut all = vec!["serve"];
        let want_mdns = args.contains(&"--mdns");
        if !want_mdns {
            all.push("--no-mdns");
        }
        all.extend(args.iter().filter(|a| **a != "--mdns"));
        let log = home.join("serve.log");
        let file = std::fs::File::create(&log).expect("log file");
        let child = command(netns, home, &all)
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .env("KITH_LOG", "info,kith_net=debug")
            .stdout(Stdio::null())
            .stderr(file)
            .spawn()
            .expect("starting kith serve");
        let served = Self {
            home: home.to_owned(),
            netns: netns.map(str::to_owned),
            child,
            log,
        };
        wait_for(
            Duration::from_secs(20),
            "kith serve to answer on its socket",
            || {
                let out = command(None, home, &["--json", "addrs"]).output().ok()?;
                let v: Value = serde_json::from_slice(&out.stdout).ok()?;
                (out.status.success() && !v["addrs"].as_array()?.is_empty()).then_some(())
            },
        );
        served
    }

    /// Starts a node listening on a free loopback TCP port.
    pub fn loopback(home: &Path, extra: &[&str]) -> Self {
        let mut args = vec!["--listen", "/ip4/127.0.0.1/tcp/0"];
        args.extend_from_slice(extra);
        Self::start(home, None, &args)
    }

    /// Its first listen address (with `/p2p/<peer id>`).
    pub fn addr(&self) -> String {
        let v = kith_json(&self.home, &["addrs"]);
        v["addrs"][0].as_str().expect("an address").to_owned()
    }

    /// Its peer id.
    pub fn peer_id(&self) -> String {
        kith_json(&self.home, &["addrs"])["peer_id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// The texts of its home timeline, newest first.
    pub fn timeline_texts(&self) -> Vec<String> {
        texts(&kith_json(&self.home, &["timeline", "--limit", "500"]))
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Its log so far (for failure messages).
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Stops it with SIGTERM (as Ctrl-C would) and waits up to 10 s.
    pub fn stop(mut self) -> std::process::ExitStatus {
        self.terminate()
    }

    fn terminate(&mut self) -> std::process::ExitStatus {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(10) {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        self.child.wait().expect("waiting for kith serve")
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            self.terminate();
        }
    }
}

/// The post texts of a page, in order.
pub fn texts(page: &Value) -> Vec<String> {
    page["posts"]
        .as_array()
        .map(|posts| {
            posts
                .iter()
                .filter_map(|p| p["text"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// Test releases: package files and manifests signed by test keys, and the
/// environment that makes a `kith` process trust such a key.
pub mod release {
    use std::path::{Path, PathBuf};

    use ed25519_dalek::SigningKey;
    use kith_core::release::{Manifest, PackageDigest, ReleaseKey};

    /// The environment variable naming the trusted release key.
    pub const KEY_ENV: &str = "KITH_RELEASE_PUBLIC_KEY";

    /// The test release key with this seed.
    pub fn key(seed: u8) -> SigningKey {
        SigningKey::from_bytes(&[seed; 32])
    }

    /// `KITH_RELEASE_PUBLIC_KEY`'s value for the key with this seed.
    pub fn public(seed: u8) -> String {
        ReleaseKey::of(&key(seed)).to_text()
    }

    /// Writes `Kith_VERSION_amd64.deb` (a real, tiny Debian package when
    /// dpkg-deb is here, else 200 kB of bytes) and `kith-manifest.txt`
    /// signed by the key with `seed` into `dir`; returns the package path.
    pub fn make(dir: &Path, version: &str, seed: u8) -> PathBuf {
        std::fs::create_dir_all(dir).unwrap();
        let name = format!("Kith_{version}_amd64.deb");
        let path = dir.join(&name);
        if !build_deb(dir, version, &path) {
            let bytes: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 256) as u8).collect();
            std::fs::write(&path, bytes).unwrap();
        }
        let bytes = std::fs::read(&path).unwrap();
        let mut digest = PackageDigest::new();
        digest.update(&bytes);
        let signed = Manifest {
            version: semver::Version::parse(version).unwrap(),
            date: "2026-11-23".into(),
            files: vec![digest.finish(&name)],
        }
        .sign(&key(seed))
        .unwrap();
        std::fs::write(dir.join("kith-manifest.txt"), signed.text()).unwrap();
        path
    }

    fn build_deb(dir: &Path, version: &str, out: &Path) -> bool {
        let root = dir.join(format!("debroot-{version}"));
        let control = root.join("DEBIAN");
        if std::fs::create_dir_all(&control).is_err() {
            return false;
        }
        let _ = std::fs::create_dir_all(root.join("usr/share/doc/kith-test"));
        let _ = std::fs::write(
            root.join("usr/share/doc/kith-test/README"),
            format!("A test package standing for Kith {version}.\n"),
        );
        let text = format!(
            "Package: kith-test\nVersion: {version}\nArchitecture: amd64\nMaintainer: Kith tests <tests@kith.invalid>\nDescription: stands for a Kith release in tests\n"
        );
        if std::fs::write(control.join("control"), text).is_err() {
            return false;
        }
        let ok = std::process::Command::new("dpkg-deb")
            .args(["--root-owner-group", "-b"])
            .arg(&root)
            .arg(out)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        let _ = std::fs::remove_dir_all(&root);
        ok
    }

    /// The SHA-256 the manifest in `dir` lists for its first file.
    pub fn manifest_sha256(dir: &Path) -> String {
        let text = std::fs::read_to_string(dir.join("kith-manifest.txt")).unwrap();
        text.lines()
            .find_map(|l| l.strip_prefix("sha256: "))
            .unwrap()
            .to_owned()
    }

    /// What `sha256sum FILE` prints for the file (the digest alone).
    pub fn sha256sum(file: &Path) -> String {
        let out = std::process::Command::new("sha256sum")
            .arg(file)
            .output()
            .expect("running sha256sum");
        String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_owned()
    }
}

/// Posts two 2 MB pictures from `home`; their hashes.
pub fn post_two_large_images(home: &Path, dir: &Path) -> Vec<Vec<u8>> {
    let mut hashes = Vec::new();
    let mut args = vec!["post".to_owned(), "two large pictures".to_owned()];
    for i in 0..2u8 {
        let image = dir.join(format!("big{i}.png"));
        let pixels: Vec<u8> = (0..2_000_000u32)
            .map(|n| (n.wrapping_mul(31) ^ u32::from(i)) as u8)
            .collect();
        let bytes = kith_core::image::png_holding(&pixels);
        std::fs::write(&image, &bytes).unwrap();
        hashes.push(blake3::hash(&bytes).as_bytes().to_vec());
        args.extend(["--image".to_owned(), image.display().to_string()]);
    }
    kith_json(home, &args.iter().map(String::as_str).collect::<Vec<_>>());
    hashes
}
