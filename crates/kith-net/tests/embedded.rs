//! The node as the desktop app embeds it: `start` returns a running node
//! whose activity stream reports a followed account's post arriving from
//! another node on loopback, then its image and a reaction to it, and
//! `stop` shuts it down cleanly.

use std::time::Duration;

use kith_net::{Activity, ControlRequest, NetConfig, Running};
use kith_node::{NewPost, Node, Request};

const PASSPHRASE: &str = "embedded node test";
/// The image B's post carries (PNG-shaped, published byte for byte).
fn image() -> Vec<u8> {
    kith_core::image::png_holding(b"an embedded node's picture")
}

fn config() -> NetConfig {
    NetConfig {
        listen: vec!["/ip4/127.0.0.1/tcp/0".parse().expect("an address")],
        mdns: false,
        tick: Duration::from_millis(200),
        ..NetConfig::default()
    }
}

fn new_node(dir: &std::path::Path, name: &str) -> Node {
    let mut node = Node::open(dir).expect("home opened");
    node.init(Some(name), PASSPHRASE).expect("account created");
    node
}

/// Ada's and Bea's nodes, each in a home of its own, and Bea's account.
fn ada_and_bea() -> (
    tempfile::TempDir,
    Node,
    tempfile::TempDir,
    Node,
    kith_core::AccountId,
) {
    let (da, db) = (
        tempfile::tempdir().expect("dir"),
        tempfile::tempdir().expect("dir"),
    );
    let a = new_node(da.path(), "Ada");
    let b = new_node(db.path(), "Bea");
    let bea = b.identity().expect("identity").account;
    (da, a, db, b, bea)
}

async fn first_addr(r: &Running) -> String {
    for _ in 0..50 {
        let v = r.control(ControlRequest::Addrs).await.expect("addresses");
        if let Some(a) = v["addrs"]
            .as_array()
            .and_then(|a| a.first())
            .and_then(|a| a.as_str())
        {
            return a.to_owned();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the node never listened");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_followed_accounts_post_and_its_image_show_up_in_the_activity_stream_then_stop_removes_the_socket()
 {
    let (da, mut a, _db, b, bea) = ada_and_bea();
    a.follow(bea).expect("followed");

    let ra = kith_net::start(a, config()).await.expect("A runs");
    let rb = kith_net::start(b, config()).await.expect("B runs");
    let mut activity = ra.subscribe();
    let addr = first_addr(&rb).await;
    ra.control(ControlRequest::Connect { addr })
        .await
        .expect("A reaches B");

    let posted = rb
        .replicator
        .local_change(|n| {
            n.post(NewPost {
                text: Some("Bonjour from the embedded node".into()),
                cw: None,
                images: vec![image()],
                descriptions: Vec::new(),
                reply_to: None,
                quote_of: None,
            })
        })
        .await
        .expect("node thread")
        .expect("posted");

    let image = *blake3::hash(&image()).as_bytes();
    let (mut arrived, mut image_arrived) = (None, false);
    tokio::time::timeout(Duration::from_secs(20), async {
        while arrived.is_none() || !image_arrived {
            match activity.recv().await {
                Ok(Activity::PostsArrived { account, posts }) if account == bea => {
                    arrived = Some(posts);
                }
                Ok(Activity::BlobArrived { hash }) if hash == image => image_arrived = true,
                Ok(_) => {}
                Err(e) => panic!("the activity stream ended: {e}"),
            }
        }
    })
    .await
    .unwrap_or_else(|_| {
        panic!("within 20 s: B's post reached A's activity stream: {arrived:?}; its image did: {image_arrived}")
    });
    let arrived = arrived.unwrap_or_default();
    assert!(
        arrived.contains(&posted),
        "the arrival names the post B published: {arrived:?} vs {posted}"
    );

    // B reacts to its post: A's window is told which post to count anew.
    rb.replicator
        .local_change(move |n| n.react(&posted, "👍"))
        .await
        .expect("node thread")
        .expect("reacted");
    assert_eq!(
        next_counts_changed(&mut activity, Duration::from_secs(20)).await,
        Some(vec![posted]),
        "within 20 s, B's reaction reached A's activity stream naming the post"
    );

    ra.stop().await;
    rb.stop().await;
    assert!(
        !da.path().join("kith.sock").exists(),
        "stop removes the control socket"
    );
}

/// The next `PostsArrived` of the activity stream within 5 s, skipping
/// other activity.
async fn next_posts_arrived(
    activity: &mut tokio::sync::broadcast::Receiver<Activity>,
) -> Option<(kith_core::AccountId, Vec<kith_core::PostId>)> {
    tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match activity.recv().await {
                Ok(Activity::PostsArrived { account, posts }) => return Some((account, posts)),
                Ok(_) => {}
                Err(_) => return None,
            }
        }
    })
    .await
    .ok()
    .flatten()
}

/// The posts of the next `CountsChanged` of the activity stream within
/// `limit`, skipping other activity.
async fn next_counts_changed(
    activity: &mut tokio::sync::broadcast::Receiver<Activity>,
    limit: Duration,
) -> Option<Vec<kith_core::PostId>> {
    tokio::time::timeout(limit, async {
        loop {
            match activity.recv().await {
                Ok(Activity::CountsChanged { posts }) => return Some(posts),
                Ok(_) => {}
                Err(_) => return None,
            }
        }
    })
    .await
    .ok()
    .flatten()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reaction_or_reply_written_through_the_control_socket_tells_the_counts_it_changed_and_a_refused_one_does_not()
 {
    let (_da, mut a, _db, _b, _bea) = ada_and_bea();
    let mine = a
        .post(NewPost {
            text: Some("react to me".into()),
            cw: None,
            images: Vec::new(),
            descriptions: Vec::new(),
            reply_to: None,
            quote_of: None,
        })
        .expect("posted");
    let ra = kith_net::start(a, config()).await.expect("A runs");
    let mut activity = ra.subscribe();
    let node = |request| ControlRequest::Node { request };
    let limit = Duration::from_secs(5);

    ra.control(node(Request::React {
        post: mine,
        reaction: "👍".into(),
    }))
    .await
    .expect("reacted");
    assert_eq!(
        next_counts_changed(&mut activity, limit).await,
        Some(vec![mine]),
        "a `kith react` on a running node is told to its window"
    );
    ra.control(node(Request::Unreact {
        post: mine,
        reaction: "👍".into(),
    }))
    .await
    .expect("taken back");
    assert_eq!(
        next_counts_changed(&mut activity, limit).await,
        Some(vec![mine]),
        "taking it back is told too"
    );
    ra.control(node(Request::Post {
        text: Some("answering myself".into()),
        cw: None,
        images: Vec::new(),
        descriptions: Vec::new(),
        reply_to: Some(mine),
        quote_of: None,
    }))
    .await
    .expect("replied");
    assert_eq!(
        next_counts_changed(&mut activity, limit).await,
        Some(vec![mine]),
        "a `kith reply` tells the post it answers, whose reply count grew"
    );
    let refused = ra
        .control(node(Request::Unreact {
            post: mine,
            reaction: "❤️".into(),
        }))
        .await;
    assert!(
        refused.is_err(),
        "taking back a reaction never given is refused: {refused:?}"
    );
    assert_eq!(
        next_counts_changed(&mut activity, limit).await,
        None,
        "a refused request is not told"
    );
    ra.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_post_or_deletion_written_through_the_control_socket_is_told_in_the_activity_stream_and_a_refused_one_is_not()
 {
    let (_da, a, _db, _b, bea) = ada_and_bea();
    let ada = a.identity().expect("identity").account;
    let ra = kith_net::start(a, config()).await.expect("A runs");
    let mut activity = ra.subscribe();
    let node = |request| ControlRequest::Node { request };

    let answer = ra
        .control(node(Request::Post {
            text: Some("Posted from a terminal".into()),
            cw: None,
            images: Vec::new(),
            descriptions: Vec::new(),
            reply_to: None,
            quote_of: None,
        }))
        .await
        .expect("posted");
    let posted: kith_core::PostId = answer["id"]
        .as_str()
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("a post id in the answer: {answer}"));
    assert_eq!(
        next_posts_arrived(&mut activity).await,
        Some((ada, vec![posted])),
        "a `kith post` on a running node is told to its window as an own post"
    );

    ra.control(node(Request::Follow { account: bea }))
        .await
        .expect("followed");
    ra.control(node(Request::Delete { post: posted }))
        .await
        .expect("deleted");
    assert_eq!(
        next_posts_arrived(&mut activity).await,
        Some((ada, vec![posted])),
        "a deletion is told (so a window drops the post), and a follow is not told as a post"
    );

    let unknown = kith_core::PostId {
        author: ada,
        local: [7; 8],
    };
    let refused = ra.control(node(Request::Delete { post: unknown })).await;
    assert!(
        refused.is_err(),
        "deleting a post never written is refused: {refused:?}"
    );
    assert_eq!(
        next_posts_arrived(&mut activity).await,
        None,
        "a refused request is not told as a post"
    );
    ra.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listen_port_in_use_at_start_fails_the_node_unless_it_may_fall_back_to_another_port_and_then_it_says_why()
 {
    let busy = std::net::TcpListener::bind("127.0.0.1:0").expect("a port to hold");
    let port = busy.local_addr().expect("its address").port();
    let taken: libp2p::Multiaddr = format!("/ip4/127.0.0.1/tcp/{port}")
        .parse()
        .expect("an address");
    let dir = tempfile::tempdir().expect("dir");

    let strict = NetConfig {
        listen: vec![taken.clone()],
        ..config()
    };
    let Err(e) = kith_net::start(new_node(dir.path(), "Ada"), strict).await else {
        panic!("a node that may not fall back started on a port in use");
    };
    assert!(
        e.to_string().contains(&format!("cannot listen on {taken}")),
        "the error names the address: {e}"
    );

    let mut node = Node::open(dir.path()).expect("home opened again");
    node.unlock(PASSPHRASE).expect("unlocked");
    let lenient = NetConfig {
        listen: vec![taken.clone()],
        listen_fallback: true,
        ..config()
    };
    let running = kith_net::start(node, lenient)
        .await
        .expect("with fallback, the node starts");
    let addr = first_addr(&running).await;
    assert!(
        !addr.contains(&format!("/tcp/{port}/")),
        "it listens elsewhere: {addr}"
    );
    let status = running
        .replicator
        .swarm
        .ask(|reply| kith_net::swarm::Command::ListenStatus { reply })
        .await
        .expect("the swarm answers");
    assert_eq!(
        status.wanted,
        vec!["/ip4/127.0.0.1/tcp/0".to_owned()],
        "it fell back to the same interface on a port the system picks, not to every interface"
    );
    let problem = status.problem.expect("the status says why");
    assert!(
        problem.contains(&taken.to_string()) && problem.contains("in use"),
        "the problem names the address and the cause: {problem}"
    );

    // Asking for the address again once it is free clears the problem.
    drop(busy);
    let status = running
        .replicator
        .swarm
        .set_listen(vec![taken.clone()])
        .await
        .expect("the freed port is listened on");
    assert_eq!(status.problem, None);
    assert_eq!(status.listening, vec![taken.to_string()]);
    running.stop().await;
}

/// A request on the home's control socket, as a `kith` command sends it.
async fn over_the_socket(
    home: &std::path::Path,
    request: ControlRequest,
) -> Result<Option<serde_json::Value>, kith_net::ControlError> {
    let home = home.to_owned();
    tokio::task::spawn_blocking(move || kith_net::control::call(&home, &request))
        .await
        .expect("the socket call ran")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_locked_socket_refuses_kith_commands_while_the_apps_own_calls_go_on() {
    let dir = tempfile::tempdir().expect("dir");
    let running = kith_net::start(new_node(dir.path(), "Ada"), config())
        .await
        .expect("runs");
    let timeline = || ControlRequest::Node {
        request: kith_node::Request::Timeline {
            limit: 5,
            before: None,
        },
    };
    over_the_socket(dir.path(), timeline())
        .await
        .expect("answered while open")
        .expect("a node answers");

    running.lock_socket(true);
    for request in [timeline(), ControlRequest::Peers, ControlRequest::Invite] {
        let refused = over_the_socket(dir.path(), request)
            .await
            .expect_err("refused while locked");
        assert_eq!(refused.code, "locked", "{refused}");
        assert!(refused.message.contains("passphrase"), "{refused}");
    }
    running
        .control(timeline())
        .await
        .expect("the app's own calls are answered while locked");

    running.lock_socket(false);
    over_the_socket(dir.path(), timeline())
        .await
        .expect("answered once unlocked")
        .expect("a node answers");
    running.stop().await;
}

/// The sync state of `account`'s feed on `r`, as `kith sync-status` shows it.
async fn feed_sync(r: &Running, account: &str) -> serde_json::Value {
    let status = r
        .control(ControlRequest::SyncStatus)
        .await
        .expect("sync status");
    status["feeds"]
        .as_array()
        .and_then(|f| f.iter().find(|f| f["account"] == account))
        .cloned()
        .unwrap_or(serde_json::Value::Null)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_feed_already_up_to_date_with_a_peer_counts_as_synced_without_a_pull() {
    let (da, mut a, _db, mut b, bea) = ada_and_bea();
    b.post(NewPost {
        text: Some("Déjà là".into()),
        ..NewPost::default()
    })
    .expect("posted");
    a.follow(bea).expect("followed");
    let rb = kith_net::start(b, config()).await.expect("B runs");
    let addr = first_addr(&rb).await;
    let bea = bea.to_string();

    // A first run pulls B's feed.
    let ra = kith_net::start(a, config()).await.expect("A runs");
    ra.control(ControlRequest::Connect { addr: addr.clone() })
        .await
        .expect("A reaches B");
    let pulled = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            let f = feed_sync(&ra, &bea).await;
            if f["last_sync"].is_i64() && f["changes"].as_u64() > Some(0) {
                return f;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await
    .expect("within 20 s A pulled B's feed");
    assert_eq!(pulled["peers"], 1, "{pulled}");
    let asked = |r: serde_json::Value| r["requests_sent"]["changes"].as_u64();
    let first = ra
        .control(ControlRequest::SyncStatus)
        .await
        .expect("status");
    assert!(
        asked(first.clone()) > Some(0),
        "the first run asked for changes: {first}"
    );
    ra.stop().await;

    // Started again, A holds everything B has: the heads say so, no
    // change is asked for, and the feed counts as synced now.
    let mut a = Node::open(da.path()).expect("home opened");
    a.unlock(PASSPHRASE).expect("unlocked");
    let ra = kith_net::start(a, config()).await.expect("A runs again");
    assert_eq!(
        feed_sync(&ra, &bea).await["last_sync"],
        serde_json::Value::Null
    );
    ra.control(ControlRequest::Connect { addr })
        .await
        .expect("A reaches B again");
    let synced = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            let f = feed_sync(&ra, &bea).await;
            if f["last_sync"].is_i64() {
                return f;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await
    .expect("within 20 s B's feed counts as synced on A's second run");
    assert_eq!(synced["peers"], 1, "{synced}");
    let second = ra
        .control(ControlRequest::SyncStatus)
        .await
        .expect("status");
    assert_eq!(
        asked(second.clone()),
        Some(0),
        "no change was asked for: {second}"
    );
    ra.stop().await;
    rb.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_sync_seeded_from_a_snapshot_reports_a_count_that_only_grows_and_ends_at_every_change()
 {
    let (_da, mut a, _db, mut b, bea) = ada_and_bea();
    // More than the newest changes' budget (256 KiB), so that the seed's
    // seals bring the rest.
    let long = "Bea writes at length. ".repeat(45);
    for i in 0..300 {
        b.post(NewPost {
            text: Some(format!("Post {i}: {long}")),
            ..NewPost::default()
        })
        .expect("posted");
    }
    assert!(
        b.store_mut()
            .seed_snapshot(bea)
            .expect("snapshot read")
            .is_some(),
        "B offers its feed's snapshot as a seed (the path this test is about)"
    );
    a.follow(bea).expect("followed");

    let ra = kith_net::start(a, config()).await.expect("A runs");
    let rb = kith_net::start(b, config()).await.expect("B runs");
    let mut activity = ra.subscribe();
    let addr = first_addr(&rb).await;
    ra.control(ControlRequest::Connect { addr })
        .await
        .expect("A reaches B");

    // Every progress report of A's first pull of B's feed, to its end.
    let mut counts = Vec::new();
    let last = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            match activity.recv().await {
                Ok(Activity::Sync {
                    account,
                    received,
                    in_progress,
                    ..
                }) if account == bea => {
                    if !in_progress {
                        return received;
                    }
                    counts.push(received);
                }
                Ok(_) => {}
                Err(e) => panic!("the activity stream ended: {e}"),
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("within 30 s A's pull of B's feed ended; reports: {counts:?}"));
    assert!(
        counts.windows(2).all(|w| w[0] <= w[1]),
        "the count of changes received never goes back during the pull: {counts:?}"
    );
    let held = feed_sync(&ra, &bea.to_string()).await["changes"].as_u64();
    assert_eq!(
        Some(last),
        held,
        "the pull ends having counted every change of B's feed A now holds; reports: {counts:?}"
    );
    assert!(
        counts.iter().any(|&n| n > 0 && Some(n) < held),
        "the count was reported part way (the newest changes, before the seed's): {counts:?}"
    );
    ra.stop().await;
    rb.stop().await;
}
