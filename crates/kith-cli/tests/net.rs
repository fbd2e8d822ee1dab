//! Replication between real `kith serve` processes on loopback sockets:
//! live delivery to a follower, a new follower sent the newest posts
//! first and seeded from the peer's snapshot, store-and-forward through a third peer
//! while the author is offline, and an honest node holding firm against a
//! peer that sends forged, uncertified, malformed, oversized and replayed
//! messages; and one node per home.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::{
    Served, describe, import_fixture, init, kith_json, post_two_large_images, posts_as_written,
    texts, wait_for,
};
use futures::StreamExt;
use kith_core::feed::{FeedDoc, FeedKey, FeedValue, Write};
use kith_core::{AccountId, DeviceCertificate, Envelope, keys};
use kith_net::behaviour::{Behaviour, BehaviourEvent, BehaviourOptions};
use kith_net::protocol::{SyncRequest, SyncResponse, Update, feed_topic};
use libp2p::gossipsub::IdentTopic;
use libp2p::swarm::SwarmEvent;
use libp2p::{Multiaddr, PeerId, Swarm, request_response};
use serde_bytes::ByteBuf;
use serde_json::Value;

#[test]
fn follower_sees_a_post_within_two_seconds_and_the_socket_is_private() {
    let dir = tempfile::tempdir().unwrap();
    let (a_home, a_id) = init(dir.path(), "ada");
    let (b_home, _) = init(dir.path(), "bo");
    let a = Served::loopback(&a_home, &[]);
    let b = Served::loopback(&b_home, &["--bootstrap", &a.addr()]);
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(a_home.join("kith.sock"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "the control socket must be private");
    }
    // B follows A through its running node.
    kith_json(&b_home, &["follow", &a_id]);
    wait_for(Duration::from_secs(10), "B to connect to A", || {
        let peers = kith_json(&b_home, &["peers"]);
        (peers["peers"].as_array()?.len() == 1).then_some(())
    });
    let posted = Instant::now();
    kith_json(&a_home, &["post", "hello over loopback"]);
    wait_for(Duration::from_secs(2), "A's post on B's timeline", || {
        b.timeline_texts()
            .contains(&"hello over loopback".to_owned())
            .then_some(())
    });
    eprintln!("delivered in {:?}", posted.elapsed());
    let status = kith_json(&b_home, &["sync-status"]);
    let feed = status["feeds"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["account"] == a_id.as_str())
        .cloned()
        .unwrap_or_else(|| panic!("A's feed missing from sync-status: {status}"));
    assert!(feed["changes"].as_u64().unwrap() >= 2, "{feed}");
    assert_eq!(feed["peers"], 1, "{feed}");
    // A's device published its network key in A's feed, which B holds:
    // B names the peer as A's computer. A holds no feed of B's: unnamed.
    let seen_by_b = &kith_json(&b_home, &["peers"])["peers"][0];
    assert_eq!(seen_by_b["peer_id"], a.peer_id().as_str(), "{seen_by_b}");
    assert_eq!(seen_by_b["account"], a_id.as_str(), "{seen_by_b}");
    assert_eq!(seen_by_b["name"], "ada", "{seen_by_b}");
    let seen_by_a = &kith_json(&a_home, &["peers"])["peers"][0];
    assert_eq!(seen_by_a["account"], Value::Null, "{seen_by_a}");
    let plain = common::command(None, &b_home, &["peers"]).output().unwrap();
    let plain = String::from_utf8_lossy(&plain.stdout);
    assert!(
        plain
            .lines()
            .any(|l| l.contains(&a.peer_id()) && l.ends_with("  ada")),
        "`kith peers` names the peer: {plain}"
    );
    assert_eq!(a.stop().code(), Some(0), "Ctrl-C/SIGTERM stops cleanly");
    assert!(
        !a_home.join("kith.sock").exists(),
        "the socket is removed on exit"
    );
    drop(b);
}

#[test]
fn a_new_follower_is_sent_the_newest_posts_first_then_the_whole_feed_seeded_from_the_peers_snapshot()
 {
    let dir = tempfile::tempdir().unwrap();
    let (a_home, _) = init(dir.path(), "ada");
    // 1,500 signed posts by three authors, 500 each.
    let author = import_fixture(dir.path(), &a_home, 1500);
    let a_feed = posts_as_written(&kith_json(&a_home, &["feed", &author, "--limit", "500"]));
    assert_eq!(a_feed.len(), 500);
    let (b_home, _) = init(dir.path(), "bo");
    kith_json(&b_home, &["follow", &author]);

    let a = Served::loopback(&a_home, &[]);
    let b = Served::loopback(&b_home, &["--bootstrap", &a.addr()]);
    wait_for(Duration::from_secs(60), "B to hold the whole feed", || {
        let b_feed = posts_as_written(&kith_json(&b_home, &["feed", &author, "--limit", "500"]));
        (b_feed == a_feed).then_some(())
    });
    let log = b.log();
    let newest = log
        .lines()
        .position(|l| l.contains("newest changes stored"))
        .unwrap_or_else(|| panic!("B never asked for the newest changes:\n{log}"));
    let first_page = log
        .lines()
        .position(|l| l.contains("page stored"))
        .unwrap_or_else(|| panic!("B never stored a page:\n{log}"));
    assert!(
        newest < first_page,
        "the newest changes are stored before the first page:\n{log}"
    );
    let accepted: u64 = log
        .lines()
        .nth(newest)
        .and_then(|l| l.split("accepted=").nth(1))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap();
    assert!(
        (1..500).contains(&accepted),
        "a budget's worth of the newest changes came first, not the whole feed: {accepted}"
    );
    // The feed (500 posts, over the 256 changes a snapshot must hold to
    // be offered) was seeded from A's snapshot, and the seed completed.
    assert!(
        log.contains("seeded from the peer's snapshot"),
        "B took A's snapshot as the feed's seed:\n{log}"
    );
    assert!(
        !log.contains("fetched again without it"),
        "the seed was completed, not given up:\n{log}"
    );
    assert!(
        log.contains("sealed page stored"),
        "the seed's changes were rebuilt and only their seals asked for:\n{log}"
    );
}

#[test]
fn a_seeded_sync_of_long_posts_asks_again_for_the_bodies_an_answer_left_out() {
    let dir = tempfile::tempdir().unwrap();
    let (a_home, _) = init(dir.path(), "ada");
    // 999 posts of 700 words (~6 KB each) by one author: the bodies of one
    // request for seals (~6 MB) are past the 4 MiB an answer holds.
    let bundle = dir.path().join("long.kith");
    let fixture = kith_json(
        dir.path(),
        &[
            "bench",
            "fixture",
            "--n",
            "999",
            "--words",
            "700",
            "--out",
            bundle.to_str().unwrap(),
        ],
    );
    kith_json(&a_home, &["import", bundle.to_str().unwrap()]);
    let author = fixture["authors"][0].as_str().unwrap().to_owned();
    // The newest 500 (a page's most): the first request's answer reaches
    // only the oldest ~650 bodies, so these come in the answers asked again.
    let a_feed = kith_json(&a_home, &["feed", &author, "--limit", "500"]);
    let posts = a_feed["posts"].as_array().unwrap();
    assert_eq!(posts.len(), 500);
    assert!(
        posts
            .iter()
            .all(|p| p["text"].as_str().unwrap().len() > 3000),
        "every post is long"
    );
    let (b_home, _) = init(dir.path(), "bo");
    kith_json(&b_home, &["follow", &author]);

    let a = Served::loopback(&a_home, &[]);
    let b = Served::loopback(&b_home, &["--bootstrap", &a.addr()]);
    wait_for(
        Duration::from_secs(60),
        "B to hold every post with its words",
        || {
            let b_feed = kith_json(&b_home, &["feed", &author, "--limit", "500"]);
            (posts_as_written(&b_feed) == posts_as_written(&a_feed)).then_some(())
        },
    );
    let log = b.log();
    assert!(
        log.contains("sealed page stored"),
        "B synced the feed by its seals:\n{log}"
    );
    assert!(
        log.contains("bodies past an answer's budget asked for again"),
        "B asked again for the bodies A's answer left out:\n{log}"
    );
    drop(a);
}

#[test]
fn a_third_peer_serves_the_authors_feed_while_the_author_is_offline() {
    let dir = tempfile::tempdir().unwrap();
    let (a_home, a_id) = init(dir.path(), "ada");
    let (b_home, _) = init(dir.path(), "bo");
    let (c_home, _) = init(dir.path(), "cy");
    // A writes while offline; one post carries an image.
    let image = dir.path().join("pic.png");
    std::fs::write(
        &image,
        kith_core::image::png_holding(b" not really, but bytes all the same"),
    )
    .unwrap();
    for i in 0..30 {
        let text = format!("post {i} from ada");
        if i == 7 {
            kith_json(
                &a_home,
                &["post", &text, "--image", image.to_str().unwrap()],
            );
        } else {
            kith_json(&a_home, &["post", &text]);
        }
    }
    let a_feed = kith_json(&a_home, &["feed", &a_id, "--limit", "500"]);
    kith_json(&b_home, &["follow", &a_id]);
    let a = Served::loopback(&a_home, &[]);
    let b = Served::loopback(&b_home, &["--bootstrap", &a.addr()]);
    wait_for(
        Duration::from_secs(10),
        "B to hold all of A's posts",
        || {
            (b.timeline_texts()
                .iter()
                .filter(|t| t.contains("from ada"))
                .count()
                == 30)
                .then_some(())
        },
    );
    // The posts show as soon as they are stored; B asks for the image
    // after that. A leaves only once B holds all of it.
    let image_hash = blake3::hash(&std::fs::read(&image).unwrap())
        .to_hex()
        .to_string();
    let blob_at =
        |home: &std::path::Path| home.join("blobs").join(&image_hash[..2]).join(&image_hash);
    wait_for(Duration::from_secs(5), "B to fetch the image blob", || {
        blob_at(&b_home).exists().then_some(())
    });
    assert_eq!(a.stop().code(), Some(0));

    // C knows only B; A is gone.
    kith_json(&c_home, &["follow", &a_id]);
    let c = Served::loopback(&c_home, &["--bootstrap", &b.addr()]);
    wait_for(Duration::from_secs(10), "C to get A's posts from B", || {
        (c.timeline_texts()
            .iter()
            .filter(|t| t.contains("from ada"))
            .count()
            == 30)
            .then_some(())
    });
    let c_feed = kith_json(&c_home, &["feed", &a_id, "--limit", "500"]);
    assert_eq!(
        c_feed["posts"], a_feed["posts"],
        "C holds A's feed exactly as A wrote it (ids, texts, attachments)"
    );
    // The image came too, verified against its hash.
    let with_image = c_feed["posts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["text"] == "post 7 from ada")
        .unwrap();
    assert_eq!(
        with_image["attachments"][0].as_str(),
        Some(image_hash.as_str())
    );
    let blob = blob_at(&c_home);
    wait_for(Duration::from_secs(5), "C to fetch the image blob", || {
        blob.exists().then_some(())
    });
    assert_eq!(
        std::fs::read(&blob).unwrap(),
        std::fs::read(&image).unwrap(),
        "the image arrived intact"
    );
    drop(c);
    drop(b);
}

#[test]
fn an_image_the_serving_peer_lacked_is_fetched_once_a_peer_holding_the_feed_connects() {
    let dir = tempfile::tempdir().unwrap();
    let (a_home, a_id) = init(dir.path(), "ada");
    let (b_home, _) = init(dir.path(), "bo");
    let (c_home, _) = init(dir.path(), "cy");
    let image = dir.path().join("pic.png");
    std::fs::write(
        &image,
        kith_core::image::png_holding(b" pixels only Ada and Bo hold"),
    )
    .unwrap();
    let hash = blake3::hash(&std::fs::read(&image).unwrap())
        .to_hex()
        .to_string();
    let blob_at = |home: &std::path::Path| home.join("blobs").join(&hash[..2]).join(&hash);
    kith_json(
        &a_home,
        &["post", "a picture", "--image", image.to_str().unwrap()],
    );
    kith_json(&b_home, &["follow", &a_id]);
    {
        let a = Served::loopback(&a_home, &[]);
        let _b = Served::loopback(&b_home, &["--bootstrap", &a.addr()]);
        wait_for(Duration::from_secs(10), "B to fetch the image", || {
            blob_at(&b_home).exists().then_some(())
        });
    }
    // B lost the image (a fetch cut short, a disk cleaned): it carries the
    // post without it.
    std::fs::remove_file(blob_at(&b_home)).unwrap();

    kith_json(&c_home, &["follow", &a_id]);
    let b = Served::loopback(&b_home, &[]);
    let c = Served::loopback(&c_home, &["--bootstrap", &b.addr()]);
    wait_for(Duration::from_secs(10), "C to get A's post from B", || {
        c.timeline_texts()
            .iter()
            .any(|t| t == "a picture")
            .then_some(())
    });
    wait_for(Duration::from_secs(5), "C to ask B for the image", || {
        let sent = kith_json(&c_home, &["sync-status"]);
        (sent["requests_sent"]["blobs"].as_u64() >= Some(1)).then_some(())
    });
    assert!(!blob_at(&c_home).exists(), "B had no image to give");

    // A comes back; C meets it and asks it for what B lacked.
    let a = Served::loopback(&a_home, &[]);
    kith_json(&c_home, &["connect", &a.addr()]);
    wait_for(
        Duration::from_secs(10),
        "C to fetch the image from A",
        || blob_at(&c_home).exists().then_some(()),
    );
    assert_eq!(
        std::fs::read(blob_at(&c_home)).unwrap(),
        std::fs::read(&image).unwrap(),
        "the image arrived intact:\n{}",
        c.log()
    );
    drop((a, b, c));
}

/// The runtime an [`Attacker`] runs on.
fn attacker_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// An in-process libp2p peer speaking Kith's protocols, used to misbehave.
struct Attacker {
    swarm: Swarm<Behaviour>,
}

impl Attacker {
    fn new() -> Self {
        let key = libp2p::identity::Keypair::generate_ed25519();
        let options = BehaviourOptions {
            mdns: false,
            mdns_interval: Duration::from_secs(60),
            relay_server: false,
        };
        Self {
            swarm: kith_net::build_swarm(key, &options).unwrap(),
        }
    }

    /// Polls the swarm until `done` says so or `timeout` passes.
    async fn drive<T>(
        &mut self,
        timeout: Duration,
        mut done: impl FnMut(&mut Swarm<Behaviour>, &SwarmEvent<BehaviourEvent>) -> Option<T>,
    ) -> Option<T> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let event = tokio::time::timeout_at(deadline, self.swarm.select_next_some())
                .await
                .ok()?;
            if let Some(v) = done(&mut self.swarm, &event) {
                return Some(v);
            }
        }
    }

    /// Dials `addr` and waits (up to 10 s) to be connected to `peer`.
    async fn connect(&mut self, addr: &Multiaddr, peer: PeerId) {
        self.swarm.dial(addr.clone()).unwrap();
        self.drive(Duration::from_secs(10), |s, _| {
            s.is_connected(&peer).then_some(())
        })
        .await
        .unwrap_or_else(|| panic!("the attacker could not connect to {addr}"));
    }

    async fn request(&mut self, peer: PeerId, req: SyncRequest) -> Option<SyncResponse> {
        let id = self.swarm.behaviour_mut().sync.send_request(&peer, req);
        self.drive(Duration::from_secs(10), |_, e| match e {
            SwarmEvent::Behaviour(BehaviourEvent::Sync(request_response::Event::Message {
                message:
                    request_response::Message::Response {
                        request_id,
                        response,
                    },
                ..
            })) if *request_id == id => Some(Some(response.clone())),
            SwarmEvent::Behaviour(BehaviourEvent::Sync(
                request_response::Event::OutboundFailure { request_id, .. },
            )) if *request_id == id => Some(None),
            _ => None,
        })
        .await
        .flatten()
    }

    fn publish(&mut self, account: AccountId, data: Vec<u8>) {
        let topic = IdentTopic::new(feed_topic(account));
        let r = self.swarm.behaviour_mut().gossip.publish(topic, data);
        assert!(r.is_ok(), "the attacker could not publish: {r:?}");
    }
}

/// A change to `account`'s feed written by a device the account never certified.
fn uncertified_update(account: AccountId) -> Vec<u8> {
    let impostor_account = keys::generate();
    let device_key = keys::generate();
    let device = keys::device_id(&device_key);
    let cert = DeviceCertificate::issue(&impostor_account, device, 1);
    let mut doc = FeedDoc::new(account);
    let change = doc
        .write(
            device,
            1,
            &[Write::Put(FeedKey::Name, FeedValue::Str("pwned".into()))],
        )
        .unwrap();
    let envelope = Envelope::seal(
        account,
        &device_key,
        cert.reference(),
        change.raw_bytes().to_vec(),
    );
    Update::new(&[cert], &envelope, &[]).encode()
}

#[test]
#[allow(clippy::too_many_lines)] // one scenario, told in order
fn misbehaving_peer_changes_nothing_and_honest_posts_keep_flowing() {
    let dir = tempfile::tempdir().unwrap();
    let (a_home, a_id) = init(dir.path(), "ada");
    let (b_home, _) = init(dir.path(), "bo");
    kith_json(&a_home, &["post", "the honest first post"]);
    kith_json(&b_home, &["follow", &a_id]);
    let a = Served::loopback(&a_home, &[]);
    let b = Served::loopback(&b_home, &["--bootstrap", &a.addr()]);
    wait_for(Duration::from_secs(10), "B to sync A", || {
        b.timeline_texts()
            .contains(&"the honest first post".to_owned())
            .then_some(())
    });
    let before_timeline = a.timeline_texts();
    let before_status = kith_json(&a_home, &["sync-status"]);
    let a_peer: PeerId = a.peer_id().parse().unwrap();
    let a_addr: Multiaddr = a.addr().parse().unwrap();
    let account: AccountId = a_id.parse().unwrap();

    attacker_runtime().block_on(async {
        let mut evil = Attacker::new();
        let topic = IdentTopic::new(feed_topic(account));
        evil.swarm.behaviour_mut().gossip.subscribe(&topic).unwrap();
        evil.swarm.dial(a_addr).unwrap();
        let hash = topic.hash();
        evil.drive(Duration::from_secs(10), |s, _| {
            s.behaviour()
                .gossip
                .all_peers()
                .any(|(p, topics)| *p == a_peer && topics.contains(&&hash))
                .then_some(())
        })
        .await
        .expect("A's subscription reaches the attacker");

        // A replay of a real envelope: accepted as a duplicate, stored once.
        let page = evil
            .request(
                a_peer,
                SyncRequest::Changes {
                    account: ByteBuf::from(account.as_bytes().to_vec()),
                    have: vec![],
                    skip: 0,
                    max_bytes: 1 << 20,
                },
            )
            .await
            .expect("A answers an honest request");
        let SyncResponse::Changes {
            certificates,
            envelopes,
            ..
        } = page
        else {
            panic!("unexpected answer {page:?}");
        };
        let real = Envelope::decode(envelopes.last().unwrap()).unwrap();
        let certs: Vec<DeviceCertificate> = certificates
            .iter()
            .map(|c| DeviceCertificate::decode(c).unwrap())
            .collect();
        evil.publish(account, Update::new(&certs, &real, &[]).encode());

        // Oversized: a request far beyond the limit.
        let huge = SyncRequest::Heads {
            feeds: vec![
                kith_net::protocol::FeedHeads {
                    account: ByteBuf::from(vec![0u8; 32]),
                    heads: vec![],
                    changes: 0,
                };
                60_000
            ],
        };
        let answer = evil.request(a_peer, huge).await;
        assert!(
            !matches!(answer, Some(SyncResponse::Heads { .. })),
            "an oversized request must not be answered: {answer:?}"
        );
        // Malformed: an account id of 5 bytes.
        let answer = evil
            .request(
                a_peer,
                SyncRequest::Changes {
                    account: ByteBuf::from(vec![1, 2, 3, 4, 5]),
                    have: vec![],
                    skip: 0,
                    max_bytes: 1,
                },
            )
            .await;
        assert!(
            matches!(&answer, Some(SyncResponse::Refused { code, .. }) if code == "malformed")
                || answer.is_none(),
            "a malformed request is refused: {answer:?}"
        );
        // Malformed: seals asked for a 33-byte change hash.
        let answer = evil
            .request(
                a_peer,
                SyncRequest::Seals {
                    account: ByteBuf::from(account.as_bytes().to_vec()),
                    hashes: ByteBuf::from(vec![7u8; 33]),
                    posts: ByteBuf::new(),
                },
            )
            .await;
        assert!(
            matches!(&answer, Some(SyncResponse::Refused { code, .. }) if code == "malformed")
                || answer.is_none(),
            "a malformed seals request is refused: {answer:?}"
        );

        // Forged signature on a real envelope.
        let mut forged = real.clone();
        forged.signature[10] ^= 0x55;
        forged.change.push(0); // a different message id than the replay
        evil.publish(account, Update::new(&certs, &forged, &[]).encode());
        // A device A never certified.
        evil.publish(account, uncertified_update(account));
        // Garbage.
        evil.publish(account, b"\xa1\x00not an update at all".to_vec());

        // The honest node cuts the attacker off.
        let cut = evil
            .drive(Duration::from_secs(10), |s, _| {
                (!s.is_connected(&a_peer)).then_some(())
            })
            .await;
        assert!(
            cut.is_some(),
            "A should disconnect the misbehaving peer\nA's log:\n{}",
            a.log()
        );
    });

    assert_eq!(
        a.timeline_texts(),
        before_timeline,
        "A's timeline is unchanged"
    );
    let after_status = kith_json(&a_home, &["sync-status"]);
    assert_eq!(
        after_status["feeds"][0]["changes"], before_status["feeds"][0]["changes"],
        "A stored no change from the attacker"
    );
    assert_eq!(
        kith_json(&a_home, &["profile", "show"])["name"],
        "ada",
        "the forged profile change was not applied"
    );
    // Honest traffic still flows.
    kith_json(&a_home, &["post", "still here"]);
    wait_for(
        Duration::from_secs(2),
        "B to get A's post after the attack",
        || {
            texts(&kith_json(&b_home, &["timeline"]))
                .contains(&"still here".to_owned())
                .then_some(())
        },
    );
    let log = a.log();
    assert!(log.contains("misbehaved"), "A logs the strikes:\n{log}");
}

/// A home deeper in the file system than a Unix socket address can name
/// (108 bytes) still works: commands run offline, `kith serve` listens on
/// its socket in the home, and commands reach the running node through it.
#[test]
fn a_home_whose_socket_path_is_too_long_for_a_socket_address_still_serves_and_answers() {
    let dir = tempfile::tempdir().unwrap();
    let deep = dir.path().join("d".repeat(60)).join("e".repeat(60));
    let (home, _) = init(&deep, "deep");
    let socket = home.join(kith_net::control::SOCKET_FILE);
    assert!(socket.as_os_str().len() > 108, "{}", socket.display());
    kith_json(&home, &["post", "written offline"]);
    let served = Served::loopback(&home, &[]);
    assert!(
        socket.exists(),
        "the socket is in the home:\n{}",
        served.log()
    );
    kith_json(&home, &["post", "written through the node"]);
    assert_eq!(
        served.timeline_texts(),
        ["written through the node", "written offline"]
    );
    let status = kith_json(&home, &["sync-status"]);
    assert!(
        status["feeds"].is_array(),
        "the running node answers: {status}"
    );
}

/// A peer that asks for pages far faster than they are written, over
/// three connections at once, gets an answer or a refusal for every
/// request (pages, `busy`, or streams over the connection's limit
/// refused), none hangs; and once they have ended it is answered again,
/// page after page, more times than a peer may have open at once: what
/// the node owes a peer is freed as each answer ends, however it ended.
#[test]
fn a_peer_asking_far_more_at_once_than_its_share_gets_every_answer_or_busy_and_is_served_after() {
    let dir = tempfile::tempdir().unwrap();
    let (a_home, a_id) = init(dir.path(), "ada");
    for i in 0..5 {
        kith_json(&a_home, &["post", &format!("post number {i}")]);
    }
    let a = Served::loopback(&a_home, &[]);
    let a_peer: PeerId = a.peer_id().parse().unwrap();
    let a_addr: Multiaddr = a.addr().parse().unwrap();
    let account: AccountId = a_id.parse().unwrap();
    let page = || SyncRequest::Changes {
        account: ByteBuf::from(account.as_bytes().to_vec()),
        have: vec![],
        skip: 0,
        max_bytes: kith_net::protocol::PAGE_BYTES,
    };

    attacker_runtime().block_on(async {
        let mut evil = Attacker::new();
        for _ in 0..3 {
            evil.swarm.dial(a_addr.clone()).unwrap();
        }
        let mut connections = 0;
        evil.drive(Duration::from_secs(10), |_, e| {
            if matches!(e, SwarmEvent::ConnectionEstablished { .. }) {
                connections += 1;
            }
            (connections == 3).then_some(())
        })
        .await
        .expect("three connections to A");

        let burst = 60;
        let mut waiting: std::collections::HashSet<_> = (0..burst)
            .map(|_| evil.swarm.behaviour_mut().sync.send_request(&a_peer, page()))
            .collect();
        let (mut pages, mut busy, mut failed) = (0, 0, 0);
        evil.drive(Duration::from_secs(60), |_, e| {
            match e {
                SwarmEvent::Behaviour(BehaviourEvent::Sync(request_response::Event::Message {
                    message:
                        request_response::Message::Response {
                            request_id,
                            response,
                        },
                    ..
                })) if waiting.remove(request_id) => match response {
                    SyncResponse::Changes { envelopes, .. } if !envelopes.is_empty() => pages += 1,
                    SyncResponse::Refused { code, .. } if code == "busy" => busy += 1,
                    other => panic!("neither a page nor busy: {other:?}"),
                },
                SwarmEvent::Behaviour(BehaviourEvent::Sync(
                    request_response::Event::OutboundFailure { request_id, .. },
                )) if waiting.remove(request_id) => failed += 1,
                _ => {}
            }
            waiting.is_empty().then_some(())
        })
        .await
        .unwrap_or_else(|| {
            panic!(
                "{} of {burst} requests never ended ({pages} pages, {busy} busy, {failed} failed)\nA's log:\n{}",
                waiting.len(),
                a.log()
            )
        });
        assert!(pages > 0, "some of the burst is answered: {pages} pages, {busy} busy, {failed} failed");

        for i in 0..40 {
            let answer = evil.request(a_peer, page()).await;
            assert!(
                matches!(&answer, Some(SyncResponse::Changes { envelopes, .. }) if !envelopes.is_empty()),
                "request {i} after the burst is answered with a page, not {answer:?}\nA's log:\n{}",
                a.log()
            );
        }
    });
}

/// A peer that asks for images and then stops reading (its answers stay
/// unread, and so does the node's heads request) is disconnected while an
/// honest follower is served; what its answers held is freed with its
/// connection, so once it comes back and reads, it is answered again.
#[test]
fn a_peer_that_stops_reading_its_answers_is_disconnected_honest_peers_are_served_and_it_is_answered_when_back()
 {
    let dir = tempfile::tempdir().unwrap();
    let (a_home, a_id) = init(dir.path(), "ada");
    let (b_home, _) = init(dir.path(), "bo");
    let hashes = post_two_large_images(&a_home, dir.path());
    kith_json(&b_home, &["follow", &a_id]);
    let a = Served::loopback(&a_home, &[]);
    let a_peer: PeerId = a.peer_id().parse().unwrap();
    let a_addr: Multiaddr = a.addr().parse().unwrap();

    attacker_runtime().block_on(async {
        let mut evil = Attacker::new();
        evil.connect(&a_addr, a_peer).await;
        // As many as it may have open at once: were any still counted
        // after its connection closed, it would be refused when back.
        for i in 0..16 {
            let hash = ByteBuf::from(hashes[i % 2].clone());
            evil.swarm
                .behaviour_mut()
                .sync
                .send_request(&a_peer, SyncRequest::Blob { hash });
        }
        // Long enough to send the requests, not to read the answers.
        let _ = evil
            .drive(Duration::from_millis(30), |_, _| None::<()>)
            .await;

        // Stalled: the attacker reads nothing. An honest follower comes.
        let b = Served::loopback(&b_home, &["--bootstrap", &a.addr()]);
        wait_for(Duration::from_secs(20), "B to get A's post", || {
            b.timeline_texts()
                .contains(&"two large pictures".to_owned())
                .then_some(())
        });
        let evil_id = evil.swarm.local_peer_id().to_string();
        // Cut off within 5 s of a heads request it leaves unanswered (if no
        // ping came back meanwhile), else when its answers' requests time
        // out unread (30 s).
        let cut_off = format!("disconnected peer={evil_id}");
        wait_for(
            Duration::from_secs(50),
            "A to disconnect the peer that stopped reading",
            || a.log().contains(&cut_off).then_some(()),
        );
        // (It first reads what reached it before the close: up to 32 MB.)
        evil.drive(Duration::from_secs(40), |s, _| {
            (!s.is_connected(&a_peer)).then_some(())
        })
        .await
        .expect("the attacker sees its connection closed");

        // Back, and reading: answered every time, so nothing of what it
        // held before is still counted against it.
        evil.connect(&a_addr, a_peer).await;
        for i in 0..20 {
            let hash = ByteBuf::from(hashes[i % 2].clone());
            let answer = evil.request(a_peer, SyncRequest::Blob { hash }).await;
            assert!(
                matches!(&answer, Some(SyncResponse::Blob { bytes: Some(b) }) if b.len() > 1_000_000),
                "blob request {i} after coming back is answered, not {:?}\nA's log:\n{}",
                answer.map(|a| format!("{a:?}").chars().take(200).collect::<String>()),
                a.log()
            );
        }
        drop(b);
    });
}

/// A peer publishes update notices that are garbage, unsigned, or signed
/// but altered, and asks for a package nobody announced: the honest node
/// offers nothing, says why it refused each, and answers the package
/// request with "not held".
#[test]
fn unsigned_and_forged_update_notices_are_refused_and_never_offered() {
    use kith_core::release::{Manifest, PackageDigest};
    use kith_net::protocol::{RELEASE_TOPIC, UpdateNotice};

    let dir = tempfile::tempdir().unwrap();
    let (a_home, _) = init(dir.path(), "ada");
    let key = ed25519_dalek::SigningKey::from_bytes(&[1; 32]);
    let trusted = kith_core::release::ReleaseKey::of(&key).to_text();
    let a = Served::start_with_env(
        &a_home,
        None,
        &["--listen", "/ip4/127.0.0.1/tcp/0"],
        &[("KITH_RELEASE_PUBLIC_KEY", trusted)],
    );
    let a_peer: PeerId = a.peer_id().parse().unwrap();
    let a_addr: Multiaddr = a.addr().parse().unwrap();

    let mut digest = PackageDigest::new();
    digest.update(b"not really a package");
    let signed = Manifest {
        version: semver::Version::new(50, 0, 0),
        date: "2026-11-23".into(),
        files: vec![digest.finish("Kith_50.0.0_amd64.deb")],
    }
    .sign(&key)
    .unwrap();
    let body_only = &signed.text()[..signed.text().find("signature: ").unwrap()];
    let altered = signed.text().replace("version: 50.0.0", "version: 51.0.0");
    let notice = |text: &str| {
        UpdateNotice {
            manifest: ByteBuf::from(text.as_bytes().to_vec()),
            at: 1,
        }
        .encode()
    };

    attacker_runtime().block_on(async {
        // One attacker per notice: the first invalid notice rightly
        // graylists its sender, whose later messages are then dropped unread.
        let topic = IdentTopic::new(RELEASE_TOPIC);
        let hash = topic.hash();
        let mut evil = Attacker::new();
        for data in [b"garbage".to_vec(), notice(body_only), notice(&altered)] {
            evil = Attacker::new();
            evil.swarm.behaviour_mut().gossip.subscribe(&topic).unwrap();
            evil.swarm.dial(a_addr.clone()).unwrap();
            evil.drive(Duration::from_secs(10), |s, _| {
                s.behaviour()
                    .gossip
                    .all_peers()
                    .any(|(p, topics)| *p == a_peer && topics.contains(&&hash))
                    .then_some(())
            })
            .await
            .expect("A's release topic subscription reaches the attacker");
            let r = evil
                .swarm
                .behaviour_mut()
                .gossip
                .publish(topic.clone(), data);
            assert!(r.is_ok(), "the attacker could not publish: {r:?}");
            evil.drive(Duration::from_millis(300), |_, _| None::<()>)
                .await;
        }
        let answer = evil
            .request(
                a_peer,
                SyncRequest::Package {
                    blake3: ByteBuf::from(vec![7; 32]),
                    offset: 0,
                },
            )
            .await
            .expect("A answers a package request");
        assert!(
            matches!(answer, SyncResponse::PackageChunk { bytes: None, .. }),
            "A holds no such package: {answer:?}"
        );
    });

    let status = wait_for(Duration::from_secs(10), "A to judge three notices", || {
        let v = kith_json(&a_home, &["update"]);
        (v["refused"].as_array()?.len() >= 3).then_some(v)
    });
    drop(a);
    assert!(
        status["available"].is_null(),
        "nothing is offered: {status}"
    );
    let refused = status["refused"].to_string();
    assert!(refused.contains("malformed update notice"), "{refused}");
    assert!(refused.contains("it is not signed"), "unsigned: {refused}");
    assert!(
        refused.contains("signature does not check"),
        "altered: {refused}"
    );
}

#[test]
fn a_running_nodes_listen_addresses_change_at_once_a_port_in_use_changes_nothing_and_peers_learn_the_new_ones()
 {
    let dir = tempfile::tempdir().unwrap();
    let (a_home, _) = init(dir.path(), "ada");
    let (b_home, _) = init(dir.path(), "bo");
    let a = Served::loopback(&a_home, &[]);
    let b = Served::loopback(&b_home, &[]);
    let (old, id) = (a.addr(), a.peer_id());
    kith_json(&b_home, &["connect", &old]);

    // A port another program holds: the change is refused, A keeps its address.
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let taken = format!("/ip4/127.0.0.1/tcp/{}", busy.local_addr().unwrap().port());
    let free = "/ip4/127.0.0.1/udp/0/quic-v1";
    let args = ["listen", free, taken.as_str()];
    let out = common::command(None, &a_home, &args).output().unwrap();
    let said = common::describe(&args, &out);
    assert!(!out.status.success(), "a port in use is refused:\n{said}");
    assert!(
        said.contains(&format!("cannot listen on {taken}")) && said.contains("in use"),
        "the error names the address and the cause:\n{said}"
    );
    assert_eq!(
        kith_json(&a_home, &["addrs"])["addrs"],
        serde_json::json!([old]),
        "nothing changed, not even the QUIC address asked for beside it"
    );

    // A free port: A listens there at once, and no longer at the old one.
    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap().port()
    };
    let new = format!("/ip4/127.0.0.1/tcp/{port}");
    let status = kith_json(&a_home, &["listen", &new]);
    assert_eq!(status["listening"], serde_json::json!([new]), "{status}");
    assert_eq!(
        kith_json(&a_home, &["addrs"])["addrs"],
        serde_json::json!([format!("{new}/p2p/{id}")])
    );
    let args = ["connect", old.as_str()];
    let out = common::command(None, &b_home, &args).output().unwrap();
    assert!(
        !out.status.success(),
        "the old address is closed:\n{}",
        common::describe(&args, &out)
    );

    // B, connected all along, was told the new address (identify push) and
    // remembered it: started again, it reaches A there by itself.
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(b.stop().code(), Some(0));
    let b = Served::loopback(&b_home, &[]);
    wait_for(
        Duration::from_secs(10),
        "B to redial A at its new address",
        || {
            let peers = kith_json(&b_home, &["peers"]);
            peers["peers"]
                .as_array()?
                .iter()
                .any(|p| {
                    p["peer_id"] == id.as_str()
                        && p["addr"].as_str().is_some_and(|a| a.starts_with(&new))
                })
                .then_some(())
        },
    );
    let reached = kith_json(&b_home, &["connect", &format!("{new}/p2p/{id}")]);
    assert_eq!(reached["peer_id"], id.as_str(), "the new address answers");
    drop((a, b, busy));
}

/// `kith --json serve` on `home`, expected to be refused: its error.
fn serve_refused(home: &Path) -> Value {
    let args = [
        "--json",
        "serve",
        "--no-mdns",
        "--listen",
        "/ip4/127.0.0.1/tcp/0",
    ];
    let out = common::command(None, home, &args)
        .output()
        .expect("running kith serve");
    assert!(
        !out.status.success(),
        "expected a refusal:\n{}",
        describe(&args, &out)
    );
    let err: Value = serde_json::from_slice(&out.stderr)
        .unwrap_or_else(|e| panic!("no JSON error ({e}):\n{}", describe(&args, &out)));
    err["error"].clone()
}

#[test]
fn serve_refuses_a_home_the_desktop_app_or_another_serve_holds_and_names_the_holder() {
    let dir = tempfile::tempdir().unwrap();
    let (home, _) = init(dir.path(), "ada");
    // The desktop app holds the lock from the moment its window opens,
    // before the passphrase: no node of its own runs yet.
    let window = kith_node::HomeLock::acquire(&home, "the Kith app").unwrap();
    let refused = serve_refused(&home);
    assert_eq!(refused["code"], "already_running", "{refused}");
    let expected = format!("the Kith app (process {})", std::process::id());
    assert!(
        refused["message"].as_str().unwrap().contains(&expected),
        "the refusal names the window holding the home: {refused}"
    );
    assert!(
        !home.join("kith.sock").exists(),
        "a refused serve leaves no socket behind"
    );

    drop(window);
    let served = Served::loopback(&home, &[]);
    let refused = serve_refused(&home);
    assert_eq!(refused["code"], "already_running", "{refused}");
    let expected = format!("kith serve (process {})", served.pid());
    assert!(
        refused["message"].as_str().unwrap().contains(&expected),
        "the refusal names the running serve: {refused}\n{}",
        served.log()
    );
    kith_json(&home, &["peers"]);
    drop(served);
}

#[test]
fn the_sync_benchmark_runs_with_changes_the_sender_made_after_its_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let report = kith_json(
        dir.path(),
        &["bench", "sync", "--n", "1000", "--after-snapshot", "100"],
    );
    assert_eq!(report["posts"], 1000, "{report}");
    assert_eq!(
        report["sender_changes_after_snapshot"], 100,
        "the sender held its newest 100 changes beside its snapshot: {report}"
    );
    assert!(report["seconds"].as_f64() > Some(0.0), "{report}");
}
