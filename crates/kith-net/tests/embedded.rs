//! The node as the desktop app embeds it: `start` returns a running node
//! whose activity stream reports a followed account's post arriving from
//! another node on loopback, and `stop` shuts it down cleanly.

use std::time::Duration;

use kith_net::{Activity, ControlRequest, NetConfig, Running};
use kith_node::{NewPost, Node};

const PASSPHRASE: &str = "embedded node test";

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
async fn a_followed_accounts_post_shows_up_in_the_activity_stream_then_stop_removes_the_socket() {
    let (da, db) = (
        tempfile::tempdir().expect("dir"),
        tempfile::tempdir().expect("dir"),
    );
    let mut a = new_node(da.path(), "Ada");
    let b = new_node(db.path(), "Bea");
    let bea = b.identity().expect("identity").account;
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
                images: Vec::new(),
                reply_to: None,
                quote_of: None,
            })
        })
        .await
        .expect("node thread")
        .expect("posted");

    let arrived = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            match activity.recv().await {
                Ok(Activity::PostsArrived { account, posts }) if account == bea => break posts,
                Ok(_) => {}
                Err(e) => panic!("the activity stream ended: {e}"),
            }
        }
    })
    .await
    .expect("B's post reached A's activity stream within 20 s");
    assert!(
        arrived.contains(&posted),
        "the arrival names the post B published: {arrived:?} vs {posted}"
    );

    ra.stop().await;
    rb.stop().await;
    assert!(
        !da.path().join("kith.sock").exists(),
        "stop removes the control socket"
    );
}
