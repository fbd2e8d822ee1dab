//! Network tests on real Linux network namespaces that the tests create
//! themselves: veth pairs, and a bridge inside a dedicated "hub" namespace.
//! The host's own interfaces are never touched, and every address used
//! lives inside those namespaces, so no packet leaves them.
//!
//! They prove that:
//! - two nodes on one link find each other with mDNS alone (no address is
//!   given to either) and a followed feed flows between them;
//! - a node whose mDNS cannot start (netlink refused) runs without it and
//!   says so;
//! - a node that turns LAN discovery on while running is found without a
//!   restart, and when it moves to another port its announcements follow;
//! - a relay carries a followed feed, old posts and new, between two nodes
//!   that have no route to each other;
//! - two hosts behind their own NAT routers (MASQUERADE) reach each other
//!   through a relay and DCUtR turns that into a direct connection;
//! - three nodes split by a network partition, each side posting while
//!   split, reconnect by themselves once the link is back and converge to
//!   identical timelines within ten seconds of the heal.
//!
//! They need root and iproute2 (`ip netns`), the NAT test also iptables;
//! without them each test prints `SKIPPED: ...` to stderr and returns.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::wildcard_imports)]

mod common;

use std::fmt::Write as _;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use serde_json::Value;

/// How often a condition is polled.
const POLL_EVERY: Duration = Duration::from_millis(100);

/// A prefix unique to this process and test, for namespace and device
/// names (at most 10 characters, so `PREFIX` + 5 fits in 15).
fn prefix(test: char) -> String {
    format!("kt{}{test}", std::process::id())
}

/// The tests run at once, and a test deletes a leftover namespace of the
/// name it wants: two tests with the same letter would delete each
/// other's namespaces (a `kith serve` then never answers).
#[test]
fn every_test_has_a_prefix_letter_of_its_own() {
    let source = include_str!("netns.rs");
    let call = concat!("prefix", "('");
    let mut seen: Vec<char> = Vec::new();
    for piece in source.split(call).skip(1) {
        let letter = piece.chars().next().expect("a letter after the quote");
        assert!(
            !seen.contains(&letter),
            "two tests in netns.rs use the prefix letter {letter:?}"
        );
        seen.push(letter);
    }
    assert!(seen.len() >= 9, "found only {seen:?}");
}

/// A third byte for the tests' /24 subnets, derived from the process id so
/// that concurrent runs rarely share one (they are in separate namespaces
/// anyway).
fn subnet() -> u32 {
    std::process::id() % 200 + 20
}

/// Runs `ip ARGS`, panicking with its error output if it fails.
fn ip(args: &[&str]) {
    let out = Command::new("ip")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("running ip");
    assert!(
        out.status.success(),
        "`ip {}` failed ({}): {}",
        args.join(" "),
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Runs `ip ARGS` and reports only whether it succeeded.
fn ip_quiet(args: &[&str]) -> bool {
    Command::new("ip")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Whether this process may create network namespaces (root and
/// iproute2); prints why the test is skipped when not.
fn namespaces_available(test: &str, prefix: &str) -> bool {
    let probe = format!("{prefix}-probe");
    if ip_quiet(&["netns", "add", &probe]) {
        ip_quiet(&["netns", "del", &probe]);
        true
    } else {
        eprintln!(
            "SKIPPED: {test}: it needs root and iproute2 (`ip netns add {probe}` failed); \
             run the tests as root to run it"
        );
        false
    }
}

/// The network namespaces a test created, deleted when dropped (also when
/// the test panics).
#[derive(Default)]
struct Namespaces {
    names: Vec<String>,
}

impl Namespaces {
    /// Creates a namespace (deleting a leftover of the same name first)
    /// with its loopback up, and returns its name.
    fn add(&mut self, name: String) -> String {
        ip_quiet(&["netns", "del", &name]);
        self.names.push(name.clone());
        ip(&["netns", "add", &name]);
        ip(&["-n", &name, "link", "set", "lo", "up"]);
        name
    }
}

impl Drop for Namespaces {
    fn drop(&mut self) {
        for name in self.names.iter().rev() {
            ip_quiet(&["netns", "del", name]);
        }
    }
}

/// Gives `dev` in namespace `ns` the address `addr` and brings it up.
fn configure(ns: &str, dev: &str, addr: &str) {
    ip(&["-n", ns, "addr", "add", addr, "dev", dev]);
    ip(&["-n", ns, "link", "set", dev, "up"]);
}

/// Polls `check` every 100 ms until it returns `Some`, for at most
/// `timeout` (and at most 10 000 tries); `None` if it never did.
fn poll<T>(timeout: Duration, mut check: impl FnMut() -> Option<T>) -> Option<T> {
    let start = Instant::now();
    for _ in 0..10_000 {
        if let Some(v) = check() {
            return Some(v);
        }
        if start.elapsed() >= timeout {
            return None;
        }
        std::thread::sleep(POLL_EVERY);
    }
    None
}

/// The peer ids a running node lists in `kith peers`.
fn peer_ids(node: &Served) -> Vec<String> {
    kith_json(&node.home, &["peers"])["peers"]
        .as_array()
        .map(|peers| {
            peers
                .iter()
                .filter_map(|p| p["peer_id"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// What `node` lists of `peer` among the peers mDNS found on the LAN.
fn lan_peer(node: &Served, peer: &str) -> Option<Value> {
    let answer = kith_json(&node.home, &["peers"]);
    assert_eq!(
        answer["lan"]["enabled"],
        Value::Bool(true),
        "mDNS is on, so `peers` says it looks on the LAN: {answer}"
    );
    answer["lan"]["peers"]
        .as_array()?
        .iter()
        .find(|p| p["peer_id"] == peer)
        .cloned()
}

/// Every node's log, for a failure message.
fn logs(nodes: &[(&str, &Served)]) -> String {
    let mut out = String::new();
    for (name, node) in nodes {
        let _ = write!(out, "\n===== log of node {name} =====\n{}", node.log());
    }
    out
}

/// Every node's peers and timeline, for a failure message.
fn state(nodes: &[(&str, &Served)]) -> String {
    let mut out = String::new();
    for (name, node) in nodes {
        let _ = write!(
            out,
            "\nnode {name}: peers {:?}\n  timeline {:?}",
            peer_ids(node),
            node.timeline_texts()
        );
    }
    out
}

/// Two nodes on one link, given no address at all, find each other with
/// mDNS and the follower receives a post made after they met.
#[test]
fn mdns_finds_a_peer_in_a_namespace_pair_with_no_address_given() {
    let p = prefix('m');
    if !namespaces_available(
        "mdns_finds_a_peer_in_a_namespace_pair_with_no_address_given",
        &p,
    ) {
        return;
    }
    let net = subnet();
    let mut namespaces = Namespaces::default();
    let (ns_a, ns_b) = two_hosts(&mut namespaces, &p, &format!("10.77.{net}"));

    let dir = tempfile::tempdir().unwrap();
    let (home_a, account_a) = init(dir.path(), "a");
    let (home_b, _) = init(dir.path(), "b");
    kith_json(&home_b, &["follow", &account_a]);
    let args = [
        "--mdns",
        "--mdns-interval",
        "1",
        "--listen",
        "/ip4/0.0.0.0/tcp/0",
    ];
    let a = Served::start(&home_a, Some(&ns_a), &args);
    let b = Served::start(&home_b, Some(&ns_b), &args);
    let nodes = [("a", &a), ("b", &b)];
    let (id_a, id_b) = (a.peer_id(), b.peer_id());

    let started = Instant::now();
    let found = poll(Duration::from_secs(15), || {
        (peer_ids(&a).contains(&id_b) && peer_ids(&b).contains(&id_a)).then_some(())
    });
    assert!(
        found.is_some(),
        "after 15 s, the two nodes had not found each other with mDNS \
         (a is {id_a}, b is {id_b}):{}{}",
        state(&nodes),
        logs(&nodes)
    );
    eprintln!(
        "mDNS: the nodes found each other in {:?}",
        started.elapsed()
    );
    // The connection may be b's dial, made before a's own mDNS query
    // heard b: a lists b once it has.
    let listed = poll(Duration::from_secs(10), || {
        lan_peer(&a, &id_b).filter(|p| p["state"] == "connected")
    });
    assert!(
        listed.is_some(),
        "after 10 s more, a did not list b among the peers found on the LAN, \
         connected; it lists {:?}:{}",
        lan_peer(&a, &id_b),
        logs(&nodes)
    );

    let text = "hello over mDNS";
    kith_json(&home_a, &["post", text]);
    let posted = Instant::now();
    let arrived = poll(Duration::from_secs(5), || {
        b.timeline_texts().iter().any(|t| t == text).then_some(())
    });
    assert!(
        arrived.is_some(),
        "after 5 s, a's post {text:?} had not reached b, which follows a:{}{}",
        state(&nodes),
        logs(&nodes)
    );
    eprintln!("mDNS: a's post reached b in {:?}", posted.elapsed());
}

/// Two nodes whose hosts refuse every incoming TCP connection still hear
/// each other's mDNS announcements: each lists the other as found on the
/// LAN but unreachable, with the dial's error. Once B's host lets
/// connections in, A dials B again by itself (mDNS does not announce B
/// anew) and lists B as connected; a dial at the address B announced (what
/// the app's "Try again" does) is then answered at once.
#[test]
#[allow(clippy::too_many_lines)] // the topology, then each step with its failure message
fn a_peer_found_on_the_lan_but_unreachable_is_listed_with_why_and_redialled_until_it_connects() {
    let test = "a_peer_found_on_the_lan_but_unreachable_is_listed_with_why_and_redialled_until_it_connects";
    let p = prefix('l');
    if !namespaces_available(test, &p) {
        return;
    }
    if !iptables_available(test) {
        return;
    }
    let net = subnet();
    let mut namespaces = Namespaces::default();
    let (ns_a, ns_b) = two_hosts(&mut namespaces, &p, &format!("10.78.{net}"));
    // A connection attempt is answered with a reset; mDNS (UDP) passes.
    let refuse = [
        "INPUT",
        "-p",
        "tcp",
        "--syn",
        "-j",
        "REJECT",
        "--reject-with",
        "tcp-reset",
    ];
    for ns in [&ns_a, &ns_b] {
        let mut args = vec!["-A"];
        args.extend_from_slice(&refuse);
        in_ns_ok(ns, "iptables", &args);
    }

    let dir = tempfile::tempdir().unwrap();
    let (home_a, _) = init(dir.path(), "a");
    let (home_b, _) = init(dir.path(), "b");
    let args = [
        "--mdns",
        "--mdns-interval",
        "1",
        "--listen",
        "/ip4/0.0.0.0/tcp/0",
    ];
    let a = Served::start(&home_a, Some(&ns_a), &args);
    let b = Served::start(&home_b, Some(&ns_b), &args);
    let nodes = [("a", &a), ("b", &b)];
    let id_b = b.peer_id();

    let unreachable = poll(Duration::from_secs(15), || {
        lan_peer(&a, &id_b).filter(|p| p["state"] == "unreachable")
    });
    let Some(listed) = unreachable else {
        panic!(
            "after 15 s, a did not list b ({id_b}) as found on the LAN and unreachable; \
             a lists {:?}:{}{}",
            lan_peer(&a, &id_b),
            state(&nodes),
            logs(&nodes)
        );
    };
    eprintln!("LAN: a lists b as {listed}");
    let error = listed["error"].as_str().unwrap_or_default();
    assert!(
        error.contains("refused"),
        "the dial's error says the connection was refused: {listed}"
    );
    assert!(
        !peer_ids(&a).contains(&id_b),
        "a is not connected to b while b refuses connections"
    );
    let announced = listed["addrs"][0].as_str().unwrap_or_default().to_owned();
    assert!(
        announced.starts_with(&format!("/ip4/10.78.{net}.2/tcp/")),
        "b announced its address on the link: {listed}"
    );
    let human = command(None, &home_a, &["peers"])
        .output()
        .expect("running kith peers");
    let human = String::from_utf8_lossy(&human.stdout);
    assert!(
        human.contains("Found on the LAN:")
            && human.contains(&format!("{id_b}  {announced}  unreachable: ")),
        "`kith peers` prints b as found on the LAN and unreachable, with why:\n{human}"
    );

    let mut args = vec!["-D"];
    args.extend_from_slice(&refuse);
    in_ns_ok(&ns_b, "iptables", &args);
    let opened = Instant::now();
    let connected = poll(Duration::from_secs(30), || {
        lan_peer(&a, &id_b).filter(|p| p["state"] == "connected")
    });
    let Some(listed) = connected else {
        panic!(
            "30 s after b let connections in, a had not dialled it again and connected; \
             a lists {:?}:{}{}",
            lan_peer(&a, &id_b),
            state(&nodes),
            logs(&nodes)
        );
    };
    eprintln!(
        "LAN: a redialled b by itself {:?} after b let connections in",
        opened.elapsed()
    );
    assert_eq!(
        listed["error"],
        Value::Null,
        "the old error is forgotten: {listed}"
    );
    assert!(
        peer_ids(&a).contains(&id_b),
        "a lists b as a connected peer too"
    );
    // What the app's "Try again" does: a dial at the announced address.
    kith_json(&home_a, &["connect", &format!("{announced}/p2p/{id_b}")]);
}

/// LAN discovery turned on in a running node (`kith lan on`, what the
/// app's Settings do): B starts with it off and A, looking, neither finds
/// nor connects to B; once B turns it on, the two find each other and
/// connect with no restart, and once B turns it off again B lists nothing.
#[test]
fn lan_discovery_turned_on_while_running_finds_the_peer_without_a_restart_and_announces_a_new_port()
{
    let p = prefix('o');
    if !namespaces_available(
        "lan_discovery_turned_on_while_running_finds_the_peer_without_a_restart_and_announces_a_new_port",
        &p,
    ) {
        return;
    }
    let net = subnet();
    let mut namespaces = Namespaces::default();
    let (ns_a, ns_b) = two_hosts(&mut namespaces, &p, &format!("10.79.{net}"));
    let dir = tempfile::tempdir().unwrap();
    let (home_a, _) = init(dir.path(), "a");
    let (home_b, _) = init(dir.path(), "b");
    let listen = ["--mdns-interval", "1", "--listen", "/ip4/0.0.0.0/tcp/0"];
    let a = Served::start(&home_a, Some(&ns_a), &[&["--mdns"][..], &listen].concat());
    let b = Served::start(&home_b, Some(&ns_b), &listen);
    let nodes = [("a", &a), ("b", &b)];
    let (id_a, id_b) = (a.peer_id(), b.peer_id());

    // Three of A's queries go unanswered.
    std::thread::sleep(Duration::from_secs(3));
    assert!(
        lan_peer(&a, &id_b).is_none() && !peer_ids(&a).contains(&id_b),
        "b, not looking on the LAN, is neither found nor connected:{}",
        state(&nodes)
    );
    assert_eq!(
        kith_json(&home_b, &["peers"])["lan"]["enabled"],
        Value::Bool(false)
    );

    let on = kith_json(&home_b, &["lan", "on"]);
    assert_eq!(on["enabled"], Value::Bool(true), "{on}");
    let turned_on = Instant::now();
    let found = poll(Duration::from_secs(15), || {
        (lan_peer(&a, &id_b).is_some_and(|p| p["state"] == "connected")
            && lan_peer(&b, &id_a).is_some_and(|p| p["state"] == "connected"))
        .then_some(())
    });
    assert!(
        found.is_some(),
        "15 s after b turned LAN discovery on, a and b did not list each other as \
         found on the LAN and connected: a lists {:?}, b lists {:?}:{}{}",
        lan_peer(&a, &id_b),
        lan_peer(&b, &id_a),
        state(&nodes),
        logs(&nodes)
    );
    eprintln!(
        "LAN: found and connected {:?} after b turned discovery on",
        turned_on.elapsed()
    );

    // B moves to another port: its announcements follow, and A lists the
    // new address.
    // Nothing else runs in B's namespace, and B's first port was an
    // ephemeral one (32768 and up): 4001 is free there.
    let port = 4001;
    let moved = kith_json(&home_b, &["listen", &format!("/ip4/0.0.0.0/tcp/{port}")]);
    assert!(
        moved["listening"]
            .as_array()
            .is_some_and(|a| a.iter().any(|x| x
                .as_str()
                .is_some_and(|x| x.ends_with(&format!("/tcp/{port}"))))),
        "{moved}"
    );
    let announced = poll(Duration::from_secs(15), || {
        lan_peer(&a, &id_b)?["addrs"]
            .as_array()?
            .iter()
            .any(|x| {
                x.as_str()
                    .is_some_and(|x| x.ends_with(&format!("/tcp/{port}")))
            })
            .then_some(())
    });
    assert!(
        announced.is_some(),
        "15 s after b moved to port {port}, a does not list that address: {:?}:{}{}",
        lan_peer(&a, &id_b),
        state(&nodes),
        logs(&nodes)
    );

    kith_json(&home_b, &["lan", "off"]);
    let lan = kith_json(&home_b, &["peers"])["lan"].clone();
    assert_eq!(
        lan,
        serde_json::json!({ "enabled": false, "peers": [] }),
        "turned off, b forgets the peers it found"
    );
}

/// A shared library that makes every netlink socket fail (`EACCES`), as on
/// a system whose sandbox forbids netlink: mDNS, which watches interfaces
/// through netlink, cannot start. Built with the C compiler Rust links with.
const NO_NETLINK: &str = r#"
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <sys/socket.h>
int socket(int domain, int type, int protocol) {
    static int (*real)(int, int, int);
    if (!real) real = (int (*)(int, int, int))dlsym(RTLD_NEXT, "socket");
    if (domain == AF_NETLINK) { errno = EACCES; return -1; }
    return real(domain, type, protocol);
}
"#;

#[test]
fn a_node_whose_lan_discovery_cannot_start_runs_without_it_and_says_so() {
    let p = prefix('n');
    if !namespaces_available(
        "a_node_whose_lan_discovery_cannot_start_runs_without_it_and_says_so",
        &p,
    ) {
        return;
    }
    // In a namespace of its own: were the library to fail, mDNS would
    // announce there, not on the host's interfaces.
    let mut namespaces = Namespaces::default();
    let ns = namespaces.add(format!("{p}-a"));
    let dir = tempfile::tempdir().unwrap();
    let shim = dir.path().join("no-netlink.so");
    let source = dir.path().join("no-netlink.c");
    std::fs::write(&source, NO_NETLINK).unwrap();
    let built = Command::new("cc")
        .args(["-shared", "-fPIC", "-o"])
        .arg(&shim)
        .arg(&source)
        .arg("-ldl")
        .output()
        .expect("running cc (Rust links with it)");
    assert!(
        built.status.success(),
        "cc: {}",
        String::from_utf8_lossy(&built.stderr)
    );
    let (home, _) = init(dir.path(), "a");
    let log = home.join("serve.log");
    let mut node = Command::new("ip")
        .args(["netns", "exec", &ns, "env"])
        .arg(format!("LD_PRELOAD={}", shim.display()))
        .arg(env!("CARGO_BIN_EXE_kith"))
        .arg("--home")
        .arg(&home)
        .args(["serve", "--listen", "/ip4/127.0.0.1/tcp/0"])
        .env("KITH_PASSPHRASE", PASSPHRASE)
        .env("KITH_LOG", "info")
        .env_remove("KITH_HOME")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .expect("starting kith serve");
    let answered = poll(Duration::from_secs(20), || {
        let out = command(None, &home, &["--json", "peers"]).output().ok()?;
        out.status
            .success()
            .then(|| serde_json::from_slice::<Value>(&out.stdout).ok())?
    });
    // Turning it on again tries again, and says why it still cannot.
    let retry = command(None, &home, &["lan", "on"]).output().unwrap();
    let said = std::fs::read_to_string(&log).unwrap_or_default();
    let _ = node.kill();
    let _ = node.wait();
    let peers = answered.unwrap_or_else(|| panic!("the node did not run without mDNS:\n{said}"));
    let retried = describe(&["lan", "on"], &retry);
    assert!(
        !retry.status.success() && retried.contains("mDNS"),
        "turning LAN discovery on fails with the reason:\n{retried}"
    );
    assert_eq!(peers["lan"]["enabled"], Value::Bool(false), "{peers}");
    assert!(
        said.contains("LAN discovery could not start"),
        "the log says why mDNS is off:\n{said}"
    );
}

/// A and C on two links with no route between them, R on both links
/// serving as a relay: C listens through R (a circuit relay v2
/// reservation), A dials C through R's circuit, and over the relayed
/// connection A gets C's posts, old and new, and a 500-post feed that C
/// carries for another author.
#[test]
#[allow(clippy::too_many_lines)] // the topology, then each step with its failure message
fn a_relay_carries_a_feed_between_two_nodes_that_have_no_route_to_each_other() {
    let test = "a_relay_carries_a_feed_between_two_nodes_that_have_no_route_to_each_other";
    let p = prefix('r');
    if !namespaces_available(test, &p) {
        return;
    }
    let net = subnet();
    let mut namespaces = Namespaces::default();
    let ns_a = namespaces.add(format!("{p}-a"));
    let ns_r = namespaces.add(format!("{p}-r"));
    let ns_c = namespaces.add(format!("{p}-c"));
    let (addr_a, relay_side_a) = (format!("10.79.{net}.1"), format!("10.79.{net}.2"));
    let (addr_c, relay_side_c) = (format!("10.80.{net}.1"), format!("10.80.{net}.2"));
    for (ns, dev, peer, addr, r_addr) in [
        (
            &ns_a,
            format!("{p}a"),
            format!("{p}ra"),
            &addr_a,
            &relay_side_a,
        ),
        (
            &ns_c,
            format!("{p}c"),
            format!("{p}rc"),
            &addr_c,
            &relay_side_c,
        ),
    ] {
        ip(&[
            "-n", ns, "link", "add", &dev, "type", "veth", "peer", "name", &peer, "netns", &ns_r,
        ]);
        configure(ns, &dev, &format!("{addr}/24"));
        configure(&ns_r, &peer, &format!("{r_addr}/24"));
    }
    assert!(
        !ip_quiet(&["-n", &ns_a, "route", "get", &addr_c]),
        "A must have no route to C for this test to mean anything"
    );

    let dir = tempfile::tempdir().unwrap();
    let (home_a, _) = init(dir.path(), "a");
    let (home_r, _) = init(dir.path(), "r");
    let (home_c, account_c) = init(dir.path(), "c");
    kith_json(&home_a, &["follow", &account_c]);
    kith_json(&home_c, &["post", "before the relay"]);
    // C also carries 500 posts of another author (about 300 KB signed, with
    // their words), more than a relayed connection carries by default.
    let other = import_fixture(dir.path(), &home_c, 1000);
    kith_json(&home_a, &["follow", &other]);
    let other_feed = kith_json(&home_c, &["feed", &other, "--limit", "500"]);

    let r = Served::start(
        &home_r,
        Some(&ns_r),
        &[
            "--relay",
            "--listen",
            &format!("/ip4/{relay_side_a}/tcp/4001"),
            "--listen",
            &format!("/ip4/{relay_side_c}/tcp/4001"),
        ],
    );
    let id_r = r.peer_id();
    let c = Served::start(
        &home_c,
        Some(&ns_c),
        &[
            "--listen",
            &format!("/ip4/{addr_c}/tcp/4001"),
            "--listen",
            &format!("/ip4/{relay_side_c}/tcp/4001/p2p/{id_r}/p2p-circuit"),
        ],
    );
    let id_c = c.peer_id();
    let reserved = poll(Duration::from_secs(15), || {
        peer_ids(&r).contains(&id_c).then_some(())
    });
    assert!(
        reserved.is_some(),
        "C never connected to the relay to reserve a slot:{}",
        logs(&[("r", &r), ("c", &c)])
    );

    let through_r = format!("/ip4/{relay_side_a}/tcp/4001/p2p/{id_r}/p2p-circuit/p2p/{id_c}");
    let a = Served::start(
        &home_a,
        Some(&ns_a),
        &[
            "--listen",
            &format!("/ip4/{addr_a}/tcp/4001"),
            "--bootstrap",
            &through_r,
        ],
    );
    let nodes = [("a", &a), ("r", &r), ("c", &c)];
    let connected = poll(Duration::from_secs(15), || {
        peer_ids(&a).contains(&id_c).then_some(())
    });
    assert!(
        connected.is_some(),
        "A never reached C through the relay ({through_r}):{}{}",
        state(&nodes),
        logs(&nodes)
    );
    let synced = poll(Duration::from_secs(15), || {
        a.timeline_texts()
            .iter()
            .any(|t| t == "before the relay")
            .then_some(())
    });
    assert!(
        synced.is_some(),
        "C's earlier post did not reach A through the relay:{}{}",
        state(&nodes),
        logs(&nodes)
    );
    let carried = poll(Duration::from_secs(30), || {
        let feed = kith_json(&home_a, &["feed", &other, "--limit", "500"]);
        (posts_as_written(&feed) == posts_as_written(&other_feed)).then_some(())
    });
    assert!(
        carried.is_some(),
        "the 500 posts C carries for another author did not all reach A through the relay:{}{}",
        state(&nodes),
        logs(&nodes)
    );
    kith_json(&home_c, &["post", "through the relay"]);
    let live = poll(Duration::from_secs(10), || {
        a.timeline_texts()
            .iter()
            .any(|t| t == "through the relay")
            .then_some(())
    });
    assert!(
        live.is_some(),
        "C's new post did not reach A through the relay:{}{}",
        state(&nodes),
        logs(&nodes)
    );
}

/// Runs `program ARGS` in namespace `ns`, panicking with its error output
/// if it fails.
fn in_ns_ok(ns: &str, program: &str, args: &[&str]) {
    let out = in_namespace(ns, program, args);
    assert!(
        out.status.success(),
        "`{program} {}` in {ns} failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Joins namespaces `a` and `b` with a veth pair, `a_addr` and `b_addr`
/// (with their prefix lengths) on each end.
fn link(a: &str, a_dev: &str, a_addr: &str, b: &str, b_dev: &str, b_addr: &str) {
    ip(&[
        "-n", a, "link", "add", a_dev, "type", "veth", "peer", "name", b_dev, "netns", b,
    ]);
    configure(a, a_dev, a_addr);
    configure(b, b_dev, b_addr);
}

/// Two hosts on one link: namespaces `{p}-a` and `{p}-b`, at
/// `{net24}.1` and `{net24}.2` (`net24` is the first three bytes).
fn two_hosts(namespaces: &mut Namespaces, p: &str, net24: &str) -> (String, String) {
    let ns_a = namespaces.add(format!("{p}-a"));
    let ns_b = namespaces.add(format!("{p}-b"));
    link(
        &ns_a,
        &format!("{p}a"),
        &format!("{net24}.1/24"),
        &ns_b,
        &format!("{p}b"),
        &format!("{net24}.2/24"),
    );
    (ns_a, ns_b)
}

/// Whether `iptables` runs here; says the test is skipped when not.
fn iptables_available(test: &str) -> bool {
    let found = Command::new("iptables").arg("-V").output().is_ok();
    if !found {
        eprintln!("SKIPPED: {test}: it needs iptables (scripts/setup.sh installs it)");
    }
    found
}

/// Two hosts each behind its own NAT router (Linux MASQUERADE, as a home
/// router does), the routers joined through an "internet" namespace where
/// a relay runs. C listens through the relay; A reaches C through it, and
/// DCUtR then punches a direct connection through both NATs, which A's
/// peers list shows; C's post reaches A.
#[test]
#[allow(clippy::too_many_lines)] // the topology, then each step with its failure message
fn dcutr_upgrades_a_relayed_connection_between_two_natted_hosts_to_a_direct_one() {
    let test = "dcutr_upgrades_a_relayed_connection_between_two_natted_hosts_to_a_direct_one";
    let p = prefix('d');
    if !namespaces_available(test, &p) {
        return;
    }
    if !iptables_available(test) {
        return;
    }
    let net = subnet();
    let mut namespaces = Namespaces::default();
    let ns_r = namespaces.add(format!("{p}-r"));
    let (router_a, ns_a) = (
        namespaces.add(format!("{p}-ga")),
        namespaces.add(format!("{p}-a")),
    );
    let (router_c, ns_c) = (
        namespaces.add(format!("{p}-gc")),
        namespaces.add(format!("{p}-c")),
    );
    // The internet: R routes between the routers' public sides.
    let (r_a, wan_a) = (format!("10.81.{net}.1"), format!("10.81.{net}.2"));
    let (r_c, wan_c) = (format!("10.82.{net}.1"), format!("10.82.{net}.2"));
    link(
        &ns_r,
        &format!("{p}ra"),
        &format!("{r_a}/24"),
        &router_a,
        &format!("{p}wa"),
        &format!("{wan_a}/24"),
    );
    link(
        &ns_r,
        &format!("{p}rc"),
        &format!("{r_c}/24"),
        &router_c,
        &format!("{p}wc"),
        &format!("{wan_c}/24"),
    );
    in_ns_ok(&ns_r, "sysctl", &["-q", "-w", "net.ipv4.ip_forward=1"]);
    // Each home: a private /24 behind its router, masqueraded.
    let (lan_a, addr_a) = (format!("10.83.{net}.1"), format!("10.83.{net}.2"));
    let (lan_c, addr_c) = (format!("10.84.{net}.1"), format!("10.84.{net}.2"));
    for (gw, host, gw_lan, host_addr, r, wan_dev, tag) in [
        (
            &router_a,
            &ns_a,
            &lan_a,
            &addr_a,
            &r_a,
            format!("{p}wa"),
            'a',
        ),
        (
            &router_c,
            &ns_c,
            &lan_c,
            &addr_c,
            &r_c,
            format!("{p}wc"),
            'c',
        ),
    ] {
        link(
            gw,
            &format!("{p}l{tag}"),
            &format!("{gw_lan}/24"),
            host,
            &format!("{p}h{tag}"),
            &format!("{host_addr}/24"),
        );
        ip(&["-n", gw, "route", "add", "default", "via", r]);
        ip(&["-n", host, "route", "add", "default", "via", gw_lan]);
        in_ns_ok(gw, "sysctl", &["-q", "-w", "net.ipv4.ip_forward=1"]);
        in_ns_ok(
            gw,
            "iptables",
            &[
                "-t",
                "nat",
                "-A",
                "POSTROUTING",
                "-o",
                &wan_dev,
                "-j",
                "MASQUERADE",
            ],
        );
        // Like a home router, drop what arrives unasked from outside
        // instead of answering it with a reset.
        in_ns_ok(
            gw,
            "iptables",
            &["-A", "INPUT", "-i", &wan_dev, "-j", "DROP"],
        );
    }

    let dir = tempfile::tempdir().unwrap();
    let (home_a, _) = init(dir.path(), "a");
    let (home_r, _) = init(dir.path(), "r");
    let (home_c, account_c) = init(dir.path(), "c");
    kith_json(&home_a, &["follow", &account_c]);
    let r = Served::start(
        &home_r,
        Some(&ns_r),
        &[
            "--relay",
            "--listen",
            &format!("/ip4/{r_a}/tcp/4001"),
            "--listen",
            &format!("/ip4/{r_c}/tcp/4001"),
        ],
    );
    let id_r = r.peer_id();
    let c = Served::start(
        &home_c,
        Some(&ns_c),
        &[
            "--listen",
            "/ip4/0.0.0.0/tcp/4001",
            "--listen",
            &format!("/ip4/{r_c}/tcp/4001/p2p/{id_r}/p2p-circuit"),
        ],
    );
    let id_c = c.peer_id();
    let reserved = poll(Duration::from_secs(15), || {
        peer_ids(&r).contains(&id_c).then_some(())
    });
    assert!(
        reserved.is_some(),
        "C never reached the relay:{}",
        logs(&[("r", &r), ("c", &c)])
    );
    let a = Served::start(
        &home_a,
        Some(&ns_a),
        &[
            "--listen",
            "/ip4/0.0.0.0/tcp/4001",
            "--bootstrap",
            &format!("/ip4/{r_a}/tcp/4001/p2p/{id_r}/p2p-circuit/p2p/{id_c}"),
        ],
    );
    let nodes = [("a", &a), ("r", &r), ("c", &c)];
    let direct = poll(Duration::from_secs(30), || {
        let peers = kith_json(&a.home, &["peers"]);
        peers["peers"].as_array()?.iter().find_map(|peer| {
            let addr = peer["addr"].as_str()?;
            (peer["peer_id"] == id_c.as_str() && !addr.contains("p2p-circuit"))
                .then(|| addr.to_owned())
        })
    });
    let Some(direct) = direct else {
        panic!(
            "A's connection to C stayed relayed: DCUtR did not punch through the NATs:{}{}",
            state(&nodes),
            logs(&nodes)
        );
    };
    assert!(
        direct.contains(&wan_c),
        "the direct connection goes to C's router's public address {wan_c}: {direct}"
    );
    kith_json(&home_c, &["post", "punched through"]);
    let arrived = poll(Duration::from_secs(10), || {
        a.timeline_texts()
            .iter()
            .any(|t| t == "punched through")
            .then_some(())
    });
    assert!(
        arrived.is_some(),
        "C's post did not reach A:{}{}",
        state(&nodes),
        logs(&nodes)
    );
}

/// Three namespaces A, B, C, each joined by a veth to a bridge in a hub
/// namespace, on 10.78.NET.{1,2,3}/24.
struct Hub {
    /// Deleted when the hub is dropped (after the nodes, declared later).
    _namespaces: Namespaces,
    /// The hub namespace.
    name: String,
    /// The node namespaces, A, B, C.
    nodes: Vec<String>,
    /// The hub's end of each node's veth, A, B, C.
    ports: Vec<String>,
    /// Each node's address, A, B, C (no prefix length).
    addrs: Vec<String>,
}

impl Hub {
    fn new(p: &str, net: u32) -> Self {
        Self::with_nodes(p, net, &["a", "b", "c"])
    }

    /// A hub with one namespace per name, on 10.78.NET.{1,2,…}/24.
    fn with_nodes(p: &str, net: u32, names: &[&str]) -> Self {
        let mut namespaces = Namespaces::default();
        let hub = namespaces.add(format!("{p}-hub"));
        let bridge = format!("{p}br");
        ip(&["-n", &hub, "link", "add", &bridge, "type", "bridge"]);
        ip(&["-n", &hub, "link", "set", &bridge, "up"]);
        let (mut nodes, mut ports, mut addrs) = (Vec::new(), Vec::new(), Vec::new());
        for (n, name) in names.iter().enumerate() {
            let ns = namespaces.add(format!("{p}-{name}"));
            let (port, dev) = (format!("{p}h{name}"), format!("{p}e{name}"));
            ip(&[
                "-n", &hub, "link", "add", &port, "type", "veth", "peer", "name", &dev, "netns",
                &ns,
            ]);
            ip(&["-n", &hub, "link", "set", &port, "master", &bridge]);
            ip(&["-n", &hub, "link", "set", &port, "up"]);
            let addr = format!("10.78.{net}.{}", n + 1);
            configure(&ns, &dev, &format!("{addr}/24"));
            nodes.push(ns);
            ports.push(port);
            addrs.push(addr);
        }
        Self {
            _namespaces: namespaces,
            name: hub,
            nodes,
            ports,
            addrs,
        }
    }

    /// Sets the hub's end of node `n`'s veth down or up.
    fn set_port(&self, n: usize, state: &str) {
        ip(&["-n", &self.name, "link", "set", &self.ports[n], state]);
    }
}

/// Starts A, B and C (B and C bootstrapping to A, C also to B) and waits
/// until each has the other two as peers.
fn start_three(hub: &Hub, homes: &[std::path::PathBuf]) -> Vec<Served> {
    let listen = |n: usize| format!("/ip4/{}/tcp/4001", hub.addrs[n]);
    let a = Served::start(&homes[0], Some(&hub.nodes[0]), &["--listen", &listen(0)]);
    let boot_a = format!("{}/p2p/{}", listen(0), a.peer_id());
    let b = Served::start(
        &homes[1],
        Some(&hub.nodes[1]),
        &["--listen", &listen(1), "--bootstrap", &boot_a],
    );
    let boot_b = format!("{}/p2p/{}", listen(1), b.peer_id());
    let c = Served::start(
        &homes[2],
        Some(&hub.nodes[2]),
        &[
            "--listen",
            &listen(2),
            "--bootstrap",
            &boot_a,
            "--bootstrap",
            &boot_b,
        ],
    );
    let started = Instant::now();
    let all = [("a", &a), ("b", &b), ("c", &c)];
    let meshed = poll(Duration::from_secs(20), || {
        all.iter()
            .all(|(_, n)| peer_ids(n).len() == 2)
            .then_some(())
    });
    assert!(
        meshed.is_some(),
        "after 20 s, the three nodes were not all connected to each other:{}{}",
        state(&all),
        logs(&all)
    );
    eprintln!("partition: full mesh in {:?}", started.elapsed());
    vec![a, b, c]
}

/// Splits {A, B} | {C} (C's port on the hub goes down), posts on both
/// sides, checks that A's post reaches B but nothing crosses the split,
/// and waits until the nodes have noticed it. Returns the two posts.
fn split(hub: &Hub, all: &[(&str, &Served); 3]) -> (String, String) {
    let [(_, a), (_, b), (_, c)] = *all;
    hub.set_port(2, "down");
    let split = Instant::now();
    let (a_split, c_split) = ("a during split".to_owned(), "c during split".to_owned());
    kith_json(&a.home, &["post", &a_split]);
    kith_json(&c.home, &["post", &c_split]);
    let on_side_ab = poll(Duration::from_secs(5), || {
        (a.timeline_texts().contains(&a_split) && b.timeline_texts().contains(&a_split))
            .then_some(())
    });
    assert!(
        on_side_ab.is_some(),
        "during the split, a's post {a_split:?} did not reach both a and b within 5 s:{}{}",
        state(all),
        logs(all)
    );
    // Bounded check that nothing crosses the split (3 s of samples).
    for _ in 0..15 {
        let (ta, tb, tc) = (a.timeline_texts(), b.timeline_texts(), c.timeline_texts());
        assert!(
            !tc.contains(&a_split) && !ta.contains(&c_split) && !tb.contains(&c_split),
            "a post crossed the partition (is C's hub port really down?):{}{}",
            state(all),
            logs(all)
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    // Let the nodes notice the split (their pings fail and close the
    // connections across it), so that the heal needs a real reconnection
    // rather than TCP retransmitting on the old connections. libp2p's ping
    // forgives a first failure, and the second attempt is bounded by its
    // 10 s stream negotiation timeout: this takes up to about 25 s.
    let (id_a, id_b) = (a.peer_id(), b.peer_id());
    let noticed = poll(Duration::from_secs(40), || {
        (peer_ids(a) == [id_b.clone()] && peer_ids(b) == [id_a.clone()] && peer_ids(c).is_empty())
            .then_some(())
    });
    assert!(
        noticed.is_some(),
        "40 s into the split, the nodes still listed peers across it \
         (a and b should list only each other, c nobody):{}{}",
        state(all),
        logs(all)
    );
    eprintln!(
        "partition: the split was noticed after {:?}",
        split.elapsed()
    );

    (a_split, c_split)
}

/// Three nodes on one bridge, all following each other, are split
/// {A, B} | {C}; both sides post; once the link is back, all three
/// timelines are identical, with both sides' posts, within 10 s.
#[test]
fn partitioned_nodes_converge_within_ten_seconds_of_the_heal() {
    let tag = prefix('p');
    if !namespaces_available(
        "partitioned_nodes_converge_within_ten_seconds_of_the_heal",
        &tag,
    ) {
        return;
    }
    let hub = Hub::new(&tag, subnet());
    let dir = tempfile::tempdir().unwrap();
    let (homes, accounts): (Vec<_>, Vec<_>) =
        ["a", "b", "c"].iter().map(|n| init(dir.path(), n)).unzip();
    for (i, home) in homes.iter().enumerate() {
        for (j, account) in accounts.iter().enumerate() {
            if i != j {
                kith_json(home, &["follow", account]);
            }
        }
    }
    let served = start_three(&hub, &homes);
    let all = [("a", &served[0]), ("b", &served[1]), ("c", &served[2])];

    // Before the split: one post each, seen everywhere.
    let mut expected: Vec<String> = Vec::new();
    for (name, node) in all {
        let text = format!("{name} before the split");
        kith_json(&node.home, &["post", &text]);
        expected.push(text);
    }
    let synced = poll(Duration::from_secs(10), || {
        all.iter()
            .all(|(_, n)| {
                let t = n.timeline_texts();
                expected.iter().all(|e| t.contains(e))
            })
            .then_some(())
    });
    assert!(
        synced.is_some(),
        "after 10 s, not every timeline had all three posts {expected:?}:{}{}",
        state(&all),
        logs(&all)
    );

    let (a_split, c_split) = split(&hub, &all);

    // The heal.
    hub.set_port(2, "up");
    let healed = Instant::now();
    expected.push(a_split);
    expected.push(c_split);
    let mut last: Vec<Vec<String>> = Vec::new();
    let converged = poll(Duration::from_secs(10), || {
        last = all.iter().map(|(_, n)| n.timeline_texts()).collect();
        let elapsed = healed.elapsed();
        let same = last[0] == last[1] && last[1] == last[2];
        let complete = expected.iter().all(|e| last[0].contains(e));
        (same && complete && elapsed <= Duration::from_secs(10)).then_some(elapsed)
    });
    let Some(took) = converged else {
        panic!(
            "10 s after the heal, the timelines had not converged to the same posts \
             (expected all of {expected:?}):\na: {:?}\nb: {:?}\nc: {:?}\nnow:{}{}",
            last[0],
            last[1],
            last[2],
            state(&all),
            logs(&all)
        );
    };
    eprintln!("partition: converged {took:?} after the heal");
}

/// Kills a child process when dropped (also when the test panics).
struct KillOnDrop<'a>(&'a mut std::process::Child);

impl Drop for KillOnDrop<'_> {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs `ip netns exec NS PROGRAM ARGS` and returns its output.
fn in_namespace(ns: &str, program: &str, args: &[&str]) -> std::process::Output {
    Command::new("ip")
        .args(["netns", "exec", ns, program])
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("running ip netns exec")
}

/// A node shares Kith on its LAN address; a second host with no Kith (a
/// namespace where only curl and sha256sum run) fetches the page, the
/// manifest and the package over the veth link, and the package's
/// SHA-256 is the manifest's. The page offers nothing else.
#[test]
#[allow(clippy::too_many_lines)] // one scenario, told in order
fn share_app_serves_the_genuine_package_to_a_host_without_kith_over_a_veth_link() {
    let p = prefix('s');
    if !namespaces_available(
        "share_app_serves_the_genuine_package_to_a_host_without_kith_over_a_veth_link",
        &p,
    ) {
        return;
    }
    let net = subnet();
    let mut namespaces = Namespaces::default();
    let ns_a = namespaces.add(format!("{p}-a"));
    let ns_b = namespaces.add(format!("{p}-b"));
    let (dev_a, dev_b) = (format!("{p}a"), format!("{p}b"));
    ip(&[
        "-n", &ns_a, "link", "add", &dev_a, "type", "veth", "peer", "name", &dev_b, "netns", &ns_b,
    ]);
    let addr_a = format!("10.79.{net}.1");
    configure(&ns_a, &dev_a, &format!("{addr_a}/24"));
    configure(&ns_b, &dev_b, &format!("10.79.{net}.2/24"));

    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("sharer");
    let release_dir = dir.path().join("release");
    let package = release::make(&release_dir, "0.2.0", 1);
    let name = package.file_name().unwrap().to_str().unwrap().to_owned();
    let trust = [(release::KEY_ENV, release::public(1))];
    let added = command(
        None,
        &home,
        &["installer", "add", package.to_str().unwrap()],
    )
    .envs(trust.iter().map(|(k, v)| (*k, v.as_str())))
    .output()
    .unwrap();
    assert!(
        added.status.success(),
        "{}",
        describe(&["installer", "add"], &added)
    );

    let log = dir.path().join("share.log");
    let mut sharer = command(
        Some(&ns_a),
        &home,
        &["share-app", "--listen", &addr_a, "--minutes", "2"],
    )
    .envs(trust.iter().map(|(k, v)| (*k, v.as_str())))
    .stdout(std::fs::File::create(&log).unwrap())
    .stderr(Stdio::null())
    .spawn()
    .unwrap();
    let _guard = KillOnDrop(&mut sharer);

    let url = format!("http://{addr_a}:4180/");
    let page = poll(Duration::from_secs(15), || {
        let out = in_namespace(&ns_b, "curl", &["-sf", "--max-time", "5", &url]);
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    });
    let page = page.unwrap_or_else(|| {
        panic!(
            "host B could not fetch {url} within 15 s; sharer said:\n{}",
            std::fs::read_to_string(&log).unwrap_or_default()
        )
    });
    // The server answers as soon as it listens, which can be a moment
    // before share-app has printed where: wait for the print as well.
    let printed = poll(Duration::from_secs(5), || {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        text.contains(&url).then_some(())
    });
    assert!(
        printed.is_some(),
        "share-app did not print its address {url} within 5 s of serving it; it printed:\n{}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );
    let sha = release::manifest_sha256(&release_dir);
    assert!(page.contains(&sha), "the page shows the package's SHA-256");
    assert!(page.contains(&format!("sudo apt install ./{name}")));

    let fetched = dir.path().join("fetched");
    std::fs::create_dir_all(&fetched).unwrap();
    for file in [name.as_str(), "kith-manifest.txt"] {
        let out = in_namespace(
            &ns_b,
            "curl",
            &[
                "-sf",
                "--max-time",
                "20",
                "-o",
                fetched.join(file).to_str().unwrap(),
                &format!("{url}{file}"),
            ],
        );
        assert!(
            out.status.success(),
            "curl {file}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // What someone with no Kith does: sha256sum, compared with the manifest.
    assert_eq!(
        release::sha256sum(&fetched.join(&name)),
        release::manifest_sha256(&fetched),
        "the fetched package's SHA-256 is the one its manifest lists"
    );
    assert_eq!(release::manifest_sha256(&fetched), sha);
    for path in [
        "etc/passwd",
        "installer/kith-manifest.txt",
        "%2e%2e/identity.json",
    ] {
        let out = in_namespace(
            &ns_b,
            "curl",
            &[
                "-s",
                "-o",
                "/dev/null",
                "-w",
                "%{http_code}",
                &format!("{url}{path}"),
            ],
        );
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "404",
            "{path} is not offered"
        );
    }
}

/// Five nodes on one bridge. D keeps Kith 0.0.1 (older than the one
/// running) and F keeps 99.0.0, both signed by the trusted key, but F's
/// package file was altered after it was kept; E keeps 98.0.0 signed by a
/// key only E trusts. B, connected to D, E and F, offers 99.0.0 from F,
/// refuses D's downgrade and E's unknown key; fetching from F fails the
/// digest check and keeps nothing. Then A, holding the genuine 99.0.0,
/// joins: B fetches it (from A, after F fails again if F is asked first)
/// and it matches the manifest.
#[test]
#[allow(clippy::too_many_lines, clippy::many_single_char_names)] // one scenario; nodes are named by letter
fn an_update_notice_reaches_a_peer_which_fetches_and_verifies_it_and_downgrades_strangers_and_tampered_files_are_refused()
 {
    let tag = prefix('u');
    if !namespaces_available("an_update_notice_reaches_a_peer", &tag) {
        return;
    }
    let hub = Hub::with_nodes(&tag, subnet(), &["a", "b", "d", "e", "f"]);
    let dir = tempfile::tempdir().unwrap();
    let (trusted, stranger) = (1u8, 2u8);
    let mut homes = std::collections::HashMap::new();
    for name in ["a", "b", "d", "e", "f"] {
        homes.insert(name, init(dir.path(), name).0);
    }
    let keep = |name: &str, package: &std::path::Path, key: u8| {
        let added = command(
            None,
            &homes[name],
            &["installer", "add", package.to_str().unwrap()],
        )
        .env(release::KEY_ENV, release::public(key))
        .output()
        .unwrap();
        assert!(
            added.status.success(),
            "{}",
            describe(&["installer", "add"], &added)
        );
    };
    let genuine = release::make(&dir.path().join("rel-a"), "99.0.0", trusted);
    keep("a", &genuine, trusted);
    keep("f", &genuine, trusted);
    keep(
        "d",
        &release::make(&dir.path().join("rel-d"), "0.0.1", trusted),
        trusted,
    );
    keep(
        "e",
        &release::make(&dir.path().join("rel-e"), "98.0.0", stranger),
        stranger,
    );
    // F's kept copy is altered afterwards (same size): F is now a peer that
    // announces a genuine manifest and serves a file that does not match it.
    let f_copy = homes["f"]
        .join("installer")
        .join(genuine.file_name().unwrap());
    let mut bytes = std::fs::read(&f_copy).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x20;
    std::fs::write(&f_copy, bytes).unwrap();

    let listen = |n: usize| format!("/ip4/{}/tcp/4001", hub.addrs[n]);
    let env = |key: u8| [(release::KEY_ENV, release::public(key))];
    let start = |name: &str, n: usize, key: u8, extra: &[&str]| {
        let mut args = vec!["--listen".to_owned(), listen(n)];
        args.extend(extra.iter().map(|a| (*a).to_owned()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        Served::start_with_env(&homes[name], Some(&hub.nodes[n]), &args, &env(key))
    };
    let d = start("d", 2, trusted, &[]);
    let e = start("e", 3, stranger, &[]);
    let f = start("f", 4, trusted, &[]);
    let boot = |n: usize, node: &Served| format!("{}/p2p/{}", listen(n), node.peer_id());
    let b = start(
        "b",
        1,
        trusted,
        &[
            "--bootstrap",
            &boot(2, &d),
            "--bootstrap",
            &boot(3, &e),
            "--bootstrap",
            &boot(4, &f),
        ],
    );
    let first = [("b", &b), ("d", &d), ("e", &e), ("f", &f)];
    let started = Instant::now();
    let status = poll(Duration::from_secs(40), || {
        let v = kith_json(&b.home, &["update"]);
        let refused = v["refused"].to_string();
        (v["available"]["version"] == "99.0.0"
            && refused.contains("0.0.1 is not newer than the running")
            && refused.contains("unknown key"))
        .then_some(v)
    });
    let status = status.unwrap_or_else(|| {
        panic!(
            "after 40 s, b did not offer 99.0.0 and refuse the others: {}{}",
            kith_json(&b.home, &["update"]),
            logs(&first)
        )
    });
    eprintln!(
        "update: the notices were judged after {:?}",
        started.elapsed()
    );
    assert_eq!(
        status["available"]["peers"], 1,
        "only F offers 99.0.0 so far: {status}"
    );

    // Only F holds it, and F's file does not match: nothing is kept.
    let out = command(None, &b.home, &["--json", "update", "--download"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "a tampered download must fail: {}",
        describe(&["update", "--download"], &out)
    );
    assert!(
        err.contains("not genuine") && err.contains("SHA-256"),
        "{err}"
    );
    assert!(
        kith_json(&b.home, &["installer"]).is_null(),
        "nothing kept from F"
    );
    assert!(
        !std::fs::read_dir(b.home.join("installer")).is_ok_and(|mut d| d
            .any(|e| { e.is_ok_and(|e| e.file_name().to_string_lossy().ends_with(".deb")) })),
        "no package file left behind"
    );

    // A joins with the genuine file.
    let a = start("a", 0, trusted, &[]);
    kith_json(&b.home, &["connect", &boot(0, &a)]);
    let all = [("a", &a), ("b", &b), ("d", &d), ("e", &e), ("f", &f)];
    poll(Duration::from_secs(30), || {
        (kith_json(&b.home, &["update"])["available"]["peers"] == 2).then_some(())
    })
    .unwrap_or_else(|| panic!("A's notice did not reach b within 30 s:{}", logs(&all)));
    let fetched = Instant::now();
    let done = kith_json(&b.home, &["update", "--download"]);
    eprintln!("update: fetched and verified in {:?}", fetched.elapsed());
    assert_eq!(done["downloaded"]["version"], "99.0.0", "{done}");
    let path = std::path::PathBuf::from(done["downloaded"]["files"][0]["path"].as_str().unwrap());
    assert_eq!(
        release::sha256sum(&path),
        release::manifest_sha256(&dir.path().join("rel-a")),
        "the downloaded package is the genuine one, byte for byte"
    );
    // Nothing was installed: the package waits in b's installer directory.
    assert!(path.starts_with(&homes["b"]));
}
