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
        let mut all = vec!["serve"];
        let want_mdns = args.contains(&"--mdns");
        if !want_mdns {
            all.push("--no-mdns");
        }
        all.extend(args.iter().filter(|a| **a != "--mdns"));
        let log = home.join("serve.log");
        let file = std::fs::File::create(&log).expect("log file");
        let child = command(netns, home, &all)
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
