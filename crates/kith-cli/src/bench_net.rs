//! Network benchmarks between real `kith serve` processes on loopback:
//! initial sync of a big feed, catch-up of a few changes, propagation to
//! many followers, and the memory of a node carrying many feeds.

use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail};
use kith_core::AccountId;
use kith_net::{ControlRequest, control};
use kith_node::{NewPost, Node};
use serde_json::{Value, json};

use crate::bench::{generate, ingest_all, percentile, rate};

const PASSPHRASE: &str = "bench passphrase";

/// A `kith serve` child process, killed when dropped.
struct Served {
    home: PathBuf,
    child: Child,
}

impl Served {
    fn start(home: &Path, extra: &[&str], log: &str) -> anyhow::Result<Self> {
        let exe = std::env::current_exe().context("finding the kith binary")?;
        let log_file = std::fs::File::create(home.join("serve.log"))?;
        // Named `kith` even when this binary is the desktop app's (one
        // binary serves both: see kith_desktop's main).
        let child = Command::new(exe)
            .arg0("kith")
            .arg("--home")
            .arg(home)
            .args(["serve", "--no-mdns", "--listen", "/ip4/127.0.0.1/tcp/0"])
            .args(extra)
            .env("KITH_PASSPHRASE", PASSPHRASE)
            .env(
                "KITH_LOG",
                std::env::var("KITH_BENCH_LOG").unwrap_or_else(|_| log.to_owned()),
            )
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log_file)
            .spawn()
            .context("starting kith serve")?;
        let served = Self {
            home: home.to_owned(),
            child,
        };
        if let Ok(keep) = std::env::var("KITH_BENCH_KEEP_LOGS") {
            eprintln!(
                "{}: log in {}/serve.log ({keep})",
                home.display(),
                home.display()
            );
        }
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(60) {
            if let Ok(Some(v)) = control::call(home, &ControlRequest::Addrs)
                && v["addrs"].as_array().is_some_and(|a| !a.is_empty())
            {
                return Ok(served);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        bail!("kith serve on {} did not start", home.display())
    }

    fn call(&self, request: &ControlRequest) -> anyhow::Result<Value> {
        control::call(&self.home, request)?.ok_or_else(|| anyhow!("the node stopped"))
    }

    fn addr(&self) -> anyhow::Result<String> {
        let v = self.call(&ControlRequest::Addrs)?;
        v["addrs"][0]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| anyhow!("no address"))
    }

    fn feed(&self, account: AccountId) -> anyhow::Result<Value> {
        let v = self.call(&ControlRequest::SyncStatus)?;
        Ok(v["feeds"]
            .as_array()
            .and_then(|f| {
                f.iter()
                    .find(|f| f["account"] == account.to_string().as_str())
                    .cloned()
            })
            .unwrap_or(Value::Null))
    }

    fn rss_bytes(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .map_or(0, |kb| kb * 1024)
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(10) {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Bytes through the loopback interface so far (each packet counted once).
fn loopback_bytes() -> u64 {
    std::fs::read_to_string("/sys/class/net/lo/statistics/tx_bytes")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(0)
}

/// A new home with an identity, unlocked.
fn home(root: &Path, name: &str) -> anyhow::Result<Node> {
    let dir = root.join(name);
    let mut node = Node::open(&dir)?;
    node.init(Some(name), PASSPHRASE)?;
    Ok(node)
}

/// Polls `check` every 10 ms until it holds, for at most `timeout`.
fn wait(timeout: Duration, what: &str, mut check: impl FnMut() -> bool) -> anyhow::Result<()> {
    let start = Instant::now();
    while start.elapsed() < timeout {
        if check() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    bail!("timed out after {timeout:?} waiting for {what}")
}

/// The benchmark's scratch directory: removed afterwards unless
/// `KITH_BENCH_KEEP_LOGS` is set, so the nodes' logs can be read.
fn bench_root() -> anyhow::Result<tempfile::TempDir> {
    let mut root = tempfile::tempdir()?;
    if std::env::var_os("KITH_BENCH_KEEP_LOGS").is_some() {
        root.disable_cleanup(true);
    }
    Ok(root)
}

/// Writes `envs` (with the certificates and any of `bodies`) as a bundle.
fn write_bundle(
    file: &Path,
    certs: &[kith_core::DeviceCertificate],
    envs: &[kith_core::Envelope],
    bodies: &[(kith_core::PostId, Vec<u8>)],
) -> anyhow::Result<()> {
    use kith_core::bundle::{BundleWriter, RecordKind};
    let mut w = BundleWriter::new(std::io::BufWriter::new(std::fs::File::create(file)?))?;
    for cert in certs {
        w.record(RecordKind::Certificate, &cert.encode())?;
    }
    for env in envs {
        w.record(RecordKind::Envelope, &env.encode())?;
    }
    for (post, body) in bodies.iter().rev().take(envs.len()) {
        let mut record = post.to_bytes().to_vec();
        record.extend_from_slice(body);
        w.record(RecordKind::Body, &record)?;
    }
    std::io::Write::flush(&mut w.finish()?)?;
    Ok(())
}

/// How many changes of `account`'s feed the home stores beside the
/// feed's snapshot rather than in it.
fn changes_outside_snapshot(home: &Path, account: AccountId) -> anyhow::Result<i64> {
    let db = rusqlite::Connection::open(home.join(kith_store::DB_FILE))?;
    Ok(db.query_row(
        "SELECT count(*) FROM unsnapshotted u JOIN feeds f ON f.id = u.feed_id WHERE f.account = ?1",
        [account.as_bytes().as_slice()],
        |r| r.get(0),
    )?)
}

fn bundle_size(node: &mut Node, account: AccountId) -> anyhow::Result<u64> {
    let mut out = Vec::new();
    node.store_mut()
        .export(&[account], &mut out, &mut |_, _| {})?;
    Ok(out.len() as u64)
}

/// Initial sync of an `n`-post feed from one process to another; the
/// sender made the newest `after_snapshot` changes after its last
/// snapshot.
pub fn initial_sync(n: u64, after_snapshot: usize) -> anyhow::Result<Value> {
    let root = bench_root()?;
    eprintln!("generating a feed of {n} signed posts…");
    let mut a = home(root.path(), "a")?;
    let (certs, mut envs, bodies) = generate(n, 1, 11)?;
    let feed = certs[0].account;
    let for_limits = envs.clone();
    let later = envs.split_off(envs.len().saturating_sub(after_snapshot));
    ingest_all(a.store_mut(), &certs, envs, &bodies, 5000)?;
    let later_bundle = root.path().join("later.kith");
    write_bundle(&later_bundle, &certs, &later, &bodies)?;
    let saved = bundle_size(&mut a, feed)?;
    let a_db = std::fs::metadata(root.path().join("a").join(kith_store::DB_FILE))?.len();
    let mut b = home(root.path(), "b")?;
    b.unlock(PASSPHRASE)?;
    b.follow(feed)?;
    drop((a, b));
    let a = Served::start(&root.path().join("a"), &[], "warn")?;
    if !later.is_empty() {
        // Received by the running sender: stored beside the feed's
        // snapshot until it has 256 of them or the node stops.
        a.call(&ControlRequest::Node {
            request: kith_node::Request::Import { file: later_bundle },
        })?;
    }
    let outside_snapshot = changes_outside_snapshot(&root.path().join("a"), feed)?;
    let b = Served::start(&root.path().join("b"), &[], "warn")?;
    let addr = a.addr()?;
    let lo_before = loopback_bytes();
    let start = Instant::now();
    b.call(&ControlRequest::Connect { addr })?;
    let mut first_page = None;
    wait(Duration::from_secs(300), "the feed to arrive", || {
        let f = b.feed(feed).unwrap_or(Value::Null);
        let changes = f["changes"].as_u64().unwrap_or(0);
        if first_page.is_none() && changes > 0 {
            first_page = Some(start.elapsed());
        }
        changes >= n
    })?;
    let elapsed = start.elapsed();
    let wire = loopback_bytes() - lo_before;
    let status = b.call(&ControlRequest::SyncStatus)?;
    drop((a, b));
    let limits = SyncLimits::measure(&for_limits, wire)?;
    Ok(json!({
        "benchmark": "sync",
        "posts": n,
        "seconds": elapsed.as_secs_f64(),
        "first_changes_after_s": first_page.map(|d| d.as_secs_f64()),
        "posts_per_s": rate(n as usize, elapsed).round(),
        "bytes_on_wire": wire,
        "feed_bundle_bytes": saved,
        "wire_to_bundle": (wire as f64 / saved as f64 * 100.0).round() / 100.0,
        "sender_db_bytes": a_db,
        "sender_changes_after_snapshot": outside_snapshot,
        "requests_sent": status["requests_sent"],
        "limit_loopback_copy_s": limits.loopback_copy,
        "limit_batch_verify_s": limits.batch_verify,
        "limit_bare_insert_s": limits.bare_insert,
        "ratio_to_slowest_limit": (elapsed.as_secs_f64() / limits.slowest() * 100.0).round() / 100.0,
        "target_seconds": 3,
        "target_wire_to_bundle": 1.3,
    }))
}

/// What the stages of an initial sync cost alone on this machine, measured
/// in the same run after the sync: the bytes on the wire copied between
/// two threads over loopback TCP, every signature checked in batches on
/// all cores, and the envelopes inserted into a bare SQLite table. A sync
/// cannot beat the slowest of them.
/// All in seconds.
struct SyncLimits {
    loopback_copy: f64,
    batch_verify: f64,
    bare_insert: f64,
}

impl SyncLimits {
    fn measure(envs: &[kith_core::Envelope], wire: u64) -> anyhow::Result<Self> {
        let threads = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        let seconds = |per_s: f64| envs.len() as f64 / per_s.max(1.0);
        Ok(Self {
            loopback_copy: loopback_copy_seconds(wire)?,
            batch_verify: seconds(crate::bench::verify_rate(envs, threads, 2000)),
            bare_insert: seconds(crate::bench::bare_insert_rate(envs, 5000)?),
        })
    }

    fn slowest(&self) -> f64 {
        self.loopback_copy
            .max(self.batch_verify)
            .max(self.bare_insert)
    }
}

/// Seconds to copy `bytes` from one thread to another over a loopback TCP
/// connection.
fn loopback_copy_seconds(bytes: u64) -> anyhow::Result<f64> {
    use std::io::{Read as _, Write as _};
    const CHUNK: usize = 64 * 1024;
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let writer = std::thread::spawn(move || -> std::io::Result<()> {
        let mut stream = std::net::TcpStream::connect(addr)?;
        let chunk = vec![0x5a_u8; CHUNK];
        let mut left = bytes;
        while left > 0 {
            let n = usize::try_from(left).map_or(CHUNK, |l| l.min(CHUNK));
            stream.write_all(&chunk[..n])?;
            left -= n as u64;
        }
        Ok(())
    });
    let (mut stream, _) = listener.accept()?;
    let start = Instant::now();
    let mut buf = vec![0_u8; CHUNK];
    let mut got = 0_u64;
    while got < bytes {
        match stream.read(&mut buf)? {
            0 => bail!("the loopback copy ended after {got} of {bytes} bytes"),
            n => got += n as u64,
        }
    }
    let seconds = start.elapsed().as_secs_f64();
    writer
        .join()
        .map_err(|_| anyhow!("the loopback copy's writer failed"))??;
    Ok(seconds)
}

/// Catch-up of `behind` missing changes of an `n`-change feed.
pub fn catchup(n: u64, behind: usize) -> anyhow::Result<Value> {
    let root = bench_root()?;
    eprintln!("generating a feed of {n} signed posts…");
    let (certs, envs, bodies) = generate(n, 1, 12)?;
    let feed = certs[0].account;
    let mut a = home(root.path(), "a")?;
    ingest_all(a.store_mut(), &certs, envs.clone(), &bodies, 5000)?;
    let mut b = home(root.path(), "b")?;
    let keep = envs.len() - behind;
    ingest_all(
        b.store_mut(),
        &certs,
        envs[..keep].to_vec(),
        &bodies[..keep],
        5000,
    )?;
    b.unlock(PASSPHRASE)?;
    b.follow(feed)?;
    drop((a, b));
    let a = Served::start(&root.path().join("a"), &[], "warn")?;
    let b = Served::start(&root.path().join("b"), &[], "warn")?;
    let before = b.feed(feed)?["changes"].as_u64().unwrap_or(0);
    let addr = a.addr()?;
    let lo_before = loopback_bytes();
    let start = Instant::now();
    b.call(&ControlRequest::Connect { addr })?;
    wait(Duration::from_secs(60), "the catch-up", || {
        b.feed(feed).ok().and_then(|f| f["changes"].as_u64()) >= Some(before + behind as u64)
    })?;
    let elapsed = start.elapsed();
    // Let the exchange settle, then count everything that crossed.
    std::thread::sleep(Duration::from_millis(500));
    let wire = loopback_bytes() - lo_before;
    let status = b.call(&ControlRequest::SyncStatus)?;
    let sent = &status["requests_sent"];
    Ok(json!({
        "benchmark": "catchup-net",
        "feed_changes": n,
        "behind": behind,
        "seconds": elapsed.as_secs_f64(),
        "requests_sent_by_follower": sent,
        "round_trips": sent["heads"].as_u64().unwrap_or(0).min(1) + sent["changes"].as_u64().unwrap_or(0),
        "sync_payload_bytes": sent["request_bytes"].as_u64().unwrap_or(0) + sent["response_bytes"].as_u64().unwrap_or(0),
        "bytes_on_wire_including_connection_setup": wire,
        "target_round_trips": 2,
        "target_bytes": 10_000,
    }))
}

/// Propagation of posts from one author to `followers` follower processes.
pub fn propagation(followers: usize, posts: usize) -> anyhow::Result<Value> {
    let root = bench_root()?;
    let author = home(root.path(), "author")?;
    let account = author.identity()?.account;
    drop(author);
    for i in 0..followers {
        let mut f = home(root.path(), &format!("f{i}"))?;
        f.unlock(PASSPHRASE)?;
        f.follow(account)?;
    }
    let a = Served::start(&root.path().join("author"), &[], "warn")?;
    let addr = a.addr()?;
    let mut nodes = Vec::new();
    for i in 0..followers {
        nodes.push(Served::start(
            &root.path().join(format!("f{i}")),
            &["--bootstrap", &addr],
            "warn,kith_net::replicator=info",
        )?);
    }
    wait(Duration::from_secs(60), "every follower to connect", || {
        a.call(&ControlRequest::Peers)
            .ok()
            .and_then(|v| v["peers"].as_array().map(Vec::len))
            == Some(followers)
    })?;
    // Let gossipsub meshes form (a few heartbeats).
    std::thread::sleep(Duration::from_secs(3));
    let mut sent: Vec<(String, i64)> = Vec::new();
    for i in 0..posts {
        let t0 = kith_node::now_ms();
        let v = a.call(&ControlRequest::Node {
            request: kith_node::Request::Post {
                text: Some(format!("propagation test {i}")),
                cw: None,
                images: Vec::new(),
                descriptions: Vec::new(),
                reply_to: None,
                quote_of: None,
            },
        })?;
        sent.push((v["id"].as_str().unwrap_or_default().to_owned(), t0));
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_secs(2));
    let mut latencies = Vec::new();
    let mut delivered = 0;
    for node in &nodes {
        let log = std::fs::read_to_string(node.home.join("serve.log")).unwrap_or_default();
        for line in log.lines().filter(|l| l.contains("gossip stored")) {
            let field = |name: &str| {
                line.split(&format!("{name}="))
                    .nth(1)
                    .and_then(|r| r.split_whitespace().next())
                    .map(|v| v.trim_matches('"').to_owned())
            };
            let (Some(at), Some(ids)) = (field("stored_at_ms"), field("posts")) else {
                continue;
            };
            let Ok(at) = at.parse::<i64>() else { continue };
            for (id, t0) in &sent {
                if ids.split(',').any(|p| p == id) {
                    latencies.push(Duration::from_millis((at - t0).max(0) as u64));
                    delivered += 1;
                }
            }
        }
    }
    if delivered < followers * posts
        && let Some(node) = nodes.first()
    {
        let log = std::fs::read_to_string(node.home.join("serve.log")).unwrap_or_default();
        let tail: Vec<&str> = log.lines().rev().take(10).collect();
        eprintln!("not every post was delivered; a follower's log ends with:");
        for line in tail.iter().rev() {
            eprintln!("  {line}");
        }
    }
    latencies.sort();
    let author_rss = a.rss_bytes();
    Ok(json!({
        "benchmark": "propagation",
        "followers": followers,
        "posts": posts,
        "delivered": delivered,
        "expected": followers * posts,
        "latency_ms": {
            "p50": percentile(&latencies, 0.5),
            "p99": percentile(&latencies, 0.99),
            "max": latencies.last().map(|d| d.as_secs_f64() * 1000.0),
        },
        "author_rss_mb": author_rss / (1 << 20),
        "target_p99_ms": 1000,
    }))
}

/// Resident memory of a node carrying `feeds` feeds of `posts` posts each.
pub fn memory(feeds: u64, posts: u64) -> anyhow::Result<Value> {
    let root = bench_root()?;
    let mut node = home(root.path(), "carrier")?;
    node.unlock(PASSPHRASE)?;
    eprintln!("generating {feeds} feeds × {posts} posts…");
    let (certs, mut envs, mut bodies) = generate(feeds * posts, feeds as usize, 13)?;
    // Feed by feed (a stable sort keeps each feed's causal order), as a node
    // that synced its follows one after the other would have stored them.
    envs.sort_by_key(|e| e.account);
    bodies.sort_by_key(|(p, _)| p.author);
    let t = Instant::now();
    ingest_all(node.store_mut(), &certs, envs, &bodies, 5000)?;
    eprintln!("ingested in {:.1} s", t.elapsed().as_secs_f64());
    for c in &certs {
        node.follow(c.account)?;
    }
    let mut peer = home(root.path(), "peer")?;
    peer.unlock(PASSPHRASE)?;
    peer.post(NewPost {
        text: Some("hello".into()),
        ..NewPost::default()
    })?;
    drop((node, peer));
    let db = std::fs::metadata(root.path().join("carrier").join(kith_store::DB_FILE))?.len();
    let carrier = Served::start(&root.path().join("carrier"), &[], "warn")?;
    std::thread::sleep(Duration::from_secs(2));
    let idle = carrier.rss_bytes();
    // A peer connects: heads of every carried feed are read and exchanged,
    // and timeline pages are served.
    let peer = Served::start(&root.path().join("peer"), &[], "warn")?;
    carrier.call(&ControlRequest::Connect { addr: peer.addr()? })?;
    std::thread::sleep(Duration::from_secs(3));
    for _ in 0..20 {
        carrier.call(&ControlRequest::Node {
            request: kith_node::Request::Timeline {
                limit: 50,
                before: None,
            },
        })?;
    }
    let status = carrier.call(&ControlRequest::SyncStatus)?;
    let busy = carrier.rss_bytes();
    Ok(json!({
        "benchmark": "memory",
        "feeds": feeds,
        "posts_per_feed": posts,
        "db_bytes": db,
        "carried_feeds": status["feeds"].as_array().map(Vec::len),
        "rss_mb_idle": idle / (1 << 20),
        "rss_mb_after_peer_and_reads": busy / (1 << 20),
        "target_rss_mb": 300,
    }))
}
