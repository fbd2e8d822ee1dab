//! What a node does with what honest peers relay, on loopback:
//!
//! - a peer that relays the other history of a device that signed two
//!   (restored from a backup, it wrote again with the same sequence
//!   numbers) is not struck nor banned, and the rest of what it sends
//!   arrives;
//! - a follow and a block made on another device of the own account reach
//!   this node as changes to the own feed, and change what it carries at
//!   once, without a restart.

use std::path::Path;
use std::time::Duration;

use kith_core::AccountId;
use kith_net::{ControlRequest, NetConfig, Running};
use kith_node::{NewPost, Node};

const PASSPHRASE: &str = "relayed changes test";

fn config() -> NetConfig {
    NetConfig {
        listen: vec!["/ip4/127.0.0.1/tcp/0".parse().expect("an address")],
        mdns: false,
        tick: Duration::from_millis(200),
        ..NetConfig::default()
    }
}

fn new_node(dir: &Path, name: &str) -> Node {
    let mut node = Node::open(dir).expect("home opened");
    node.init(Some(name), PASSPHRASE).expect("account created");
    node
}

fn reopen(dir: &Path) -> Node {
    let mut node = Node::open(dir).expect("home opened");
    node.unlock(PASSPHRASE).expect("unlocked");
    node
}

/// A second device of `node`'s account, in `dir`.
fn second_device(node: &Node, dir: &Path) -> Node {
    let phrase = node.recovery_phrase(PASSPHRASE).expect("the phrase");
    let mut other = Node::open(dir).expect("home opened");
    other.restore(&phrase, PASSPHRASE).expect("restored");
    other
}

fn post(node: &mut Node, text: &str) {
    node.post(NewPost {
        text: Some(text.into()),
        ..NewPost::default()
    })
    .expect("posted");
}

/// Copies the home at `from` to `to`, as a backup would.
fn copy_home(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).expect("home listed") {
        let entry = entry.expect("an entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("its type").is_dir() {
            std::fs::create_dir_all(&target).expect("folder made");
            copy_home(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("file copied");
        }
    }
}

/// Writes `node`'s own feed to a bundle in `dir`; returns its path.
fn bundle_of(node: &mut Node, dir: &Path, name: &str) -> std::path::PathBuf {
    let out = dir.join(name);
    let own = node.identity().expect("identity").account;
    node.export(&[own], &out, &mut |_, _| {}).expect("exported");
    out
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

/// The texts of `account`'s posts `r` holds.
async fn texts(r: &Running, account: AccountId) -> Vec<String> {
    r.replicator
        .node
        .local(move |n| n.feed(account, 100, None))
        .await
        .expect("node thread")
        .map(|page| page.posts.into_iter().filter_map(|p| p.text).collect())
        .unwrap_or_default()
}

/// Whether `r` carries `account`'s feed (as `kith sync-status` lists it).
async fn carries(r: &Running, account: AccountId) -> bool {
    let status = r
        .control(ControlRequest::SyncStatus)
        .await
        .expect("sync status");
    status["feeds"]
        .as_array()
        .is_some_and(|f| f.iter().any(|f| f["account"] == account.to_string()))
}

/// Polls `check` every 100 ms for at most `secs` seconds.
async fn within<F, Fut>(secs: u64, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    for _ in 0..secs * 10 {
        if check().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_relaying_the_other_history_of_a_device_that_signed_two_is_not_banned_and_the_rest_of_its_page_arrives()
 {
    let dirs: Vec<tempfile::TempDir> = (0..6).map(|_| tempfile::tempdir().expect("dir")).collect();
    let [bea_dir, backup_dir, second_dir, ada_dir, rey_dir, bundles] = &dirs[..] else {
        unreachable!()
    };

    // Bea's device posts, is backed up, posts again; the backup, restored,
    // posts too: two changes of that device with the same sequence number.
    let mut bea = new_node(bea_dir.path(), "Bea");
    let bea_account = bea.identity().expect("identity").account;
    post(&mut bea, "before the backup");
    drop(bea);
    copy_home(bea_dir.path(), backup_dir.path());
    let mut bea = reopen(bea_dir.path());
    let mut backup = reopen(backup_dir.path());
    post(&mut bea, "branch one");
    post(&mut backup, "branch two");
    // Bea's second device writes on its own history.
    let mut second = second_device(&bea, second_dir.path());
    post(&mut second, "from the second device");

    // Ada holds the first history; Rey, who relays Bea's feed, the other
    // one and the second device's post.
    let mut ada = new_node(ada_dir.path(), "Ada");
    ada.follow(bea_account).expect("followed");
    let one = bundle_of(&mut bea, bundles.path(), "one.kith");
    ada.import(&one, &mut |_, _| {}).expect("imported");
    let mut rey = new_node(rey_dir.path(), "Rey");
    rey.follow(bea_account).expect("followed");
    for (node, name) in [(&mut backup, "two.kith"), (&mut second, "second.kith")] {
        let bundle = bundle_of(node, bundles.path(), name);
        rey.import(&bundle, &mut |_, _| {}).expect("imported");
    }
    drop((bea, backup, second));

    let ra = kith_net::start(ada, config()).await.expect("Ada runs");
    let rr = kith_net::start(rey, config()).await.expect("Rey runs");
    let addr = first_addr(&rr).await;
    let reached = ra
        .control(ControlRequest::Connect { addr: addr.clone() })
        .await
        .expect("Ada reaches Rey");
    let rey_peer: libp2p::PeerId = reached["peer_id"]
        .as_str()
        .and_then(|p| p.parse().ok())
        .expect("Rey's peer id");

    let arrived = within(20, || async {
        texts(&ra, bea_account)
            .await
            .contains(&"from the second device".to_owned())
    })
    .await;
    let held = texts(&ra, bea_account).await;
    assert!(
        arrived,
        "within 20 s the second device's post, in the page beside the other history, reached Ada: {held:?}"
    );
    assert!(held.contains(&"branch one".to_owned()), "{held:?}");
    assert!(
        !held.contains(&"branch two".to_owned()),
        "the other history is left out: {held:?}"
    );

    // Ada pulls Bea's feed from Rey again and again (past the strikes
    // that ban a peer): Rey stays welcome.
    for _ in 0..4 {
        within(10, || async {
            let status = ra
                .control(ControlRequest::SyncStatus)
                .await
                .expect("sync status");
            !status["feeds"].as_array().is_some_and(|f| {
                f.iter()
                    .any(|f| f["account"] == bea_account.to_string() && f["in_progress"] == true)
            })
        })
        .await;
        ra.replicator.pull(bea_account, rey_peer, 0).await;
    }
    let again = tokio::time::timeout(
        Duration::from_secs(20),
        ra.control(ControlRequest::Connect { addr }),
    )
    .await;
    assert!(
        matches!(again, Ok(Ok(_))),
        "Ada did not ban Rey for relaying it: {again:?}"
    );
    assert!(
        !texts(&ra, bea_account)
            .await
            .contains(&"branch two".to_owned())
    );

    ra.stop().await;
    rr.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_follow_and_a_block_made_on_another_device_of_the_account_change_what_this_one_carries_without_a_restart()
 {
    let dirs: Vec<tempfile::TempDir> = (0..3).map(|_| tempfile::tempdir().expect("dir")).collect();
    let [one_dir, two_dir, bea_dir] = &dirs[..] else {
        unreachable!()
    };
    let one = new_node(one_dir.path(), "Ada");
    let two = second_device(&one, two_dir.path());
    let mut bea = new_node(bea_dir.path(), "Bea");
    let bea_account = bea.identity().expect("identity").account;
    post(&mut bea, "Bea's first post");

    let r1 = kith_net::start(one, config())
        .await
        .expect("device one runs");
    let r2 = kith_net::start(two, config())
        .await
        .expect("device two runs");
    let rb = kith_net::start(bea, config()).await.expect("Bea runs");
    let (addr1, addr_bea) = (first_addr(&r1).await, first_addr(&rb).await);
    for addr in [addr1, addr_bea] {
        r2.control(ControlRequest::Connect { addr })
            .await
            .expect("device two reaches the others");
    }
    assert!(!carries(&r2, bea_account).await);

    // Device one follows Bea: device two, which gets the change to their
    // feed, carries Bea's feed too, and pulls it from Bea.
    r1.replicator
        .local_change(move |n| n.follow(bea_account))
        .await
        .expect("node thread")
        .expect("followed");
    let followed = within(20, || async {
        carries(&r2, bea_account).await
            && texts(&r2, bea_account)
                .await
                .contains(&"Bea's first post".to_owned())
    })
    .await;
    assert!(
        followed,
        "within 20 s device two carried Bea's feed and held her post: carried {}, posts {:?}",
        carries(&r2, bea_account).await,
        texts(&r2, bea_account).await
    );

    // Device one blocks Bea: device two stops carrying her feed and holds
    // nothing of it.
    r1.replicator
        .local_change(move |n| n.block(bea_account, true))
        .await
        .expect("node thread")
        .expect("blocked");
    let dropped = within(20, || async {
        !carries(&r2, bea_account).await && texts(&r2, bea_account).await.is_empty()
    })
    .await;
    assert!(
        dropped,
        "within 20 s device two stopped carrying Bea's feed: carried {}, posts {:?}",
        carries(&r2, bea_account).await,
        texts(&r2, bea_account).await
    );

    r1.stop().await;
    r2.stop().await;
    rb.stop().await;
}
