//! Two devices of one account write concurrently; whatever order and
//! duplication their signed changes arrive in, every store ends with the
//! same document and the same materialized timeline.
#![allow(clippy::unwrap_used)]

mod common;

use common::Device;
use kith_core::{Envelope, PostId};
use kith_store::Store;
use proptest::prelude::*;

/// What one step of the scenario does.
#[derive(Debug, Clone)]
enum Step {
    Post {
        device: usize,
    },
    Edit {
        device: usize,
        post: usize,
    },
    Delete {
        device: usize,
        post: usize,
    },
    React {
        device: usize,
        post: usize,
    },
    Follow {
        device: usize,
        who: usize,
    },
    Unfollow {
        device: usize,
        who: usize,
    },
    /// Device `into` receives everything device `from` has.
    Sync {
        from: usize,
        into: usize,
    },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => (0..2usize).prop_map(|device| Step::Post { device }),
        2 => (0..2usize, 0..8usize).prop_map(|(device, post)| Step::Edit { device, post }),
        1 => (0..2usize, 0..8usize).prop_map(|(device, post)| Step::Delete { device, post }),
        1 => (0..2usize, 0..8usize).prop_map(|(device, post)| Step::React { device, post }),
        1 => (0..2usize, 0..3usize).prop_map(|(device, who)| Step::Follow { device, who }),
        1 => (0..2usize, 0..3usize).prop_map(|(device, who)| Step::Unfollow { device, who }),
        2 => (0..2usize).prop_map(|from| Step::Sync { from, into: 1 - from }),
    ]
}

/// Signed changes, bodies, certificates and the account of a scenario.
type Scenario = (
    Vec<Envelope>,
    Vec<(PostId, Vec<u8>)>,
    Vec<kith_core::DeviceCertificate>,
    kith_core::AccountId,
);

/// Runs the scenario; returns every signed change, every body ever made,
/// and the certificates.
fn run(steps: &[Step]) -> Scenario {
    let (account_key, first) = Device::new_account();
    let mut devices = [first, Device::for_account(&account_key)];
    let others: Vec<kith_core::AccountId> =
        (0..3).map(|_| Device::new_account().1.account).collect();
    let mut envs = Vec::new();
    let mut bodies = Vec::new();
    let mut posts: Vec<PostId> = Vec::new();
    for (i, s) in steps.iter().enumerate() {
        let t = 1_000 + i as i64;
        match *s {
            Step::Post { device } => {
                let (e, id, b) =
                    devices[device].post(t, &format!("post {i}"), posts.last().copied());
                envs.push(e);
                bodies.push((id, b));
                posts.push(id);
            }
            Step::Edit { device, post } => {
                if let Some(id) = posts.get(post)
                    && devices[device]
                        .doc
                        .post(id.local)
                        .is_some_and(|(_, deleted)| !deleted)
                {
                    let (e, b) = devices[device].edit(t, id, &format!("edit {i}"));
                    envs.push(e);
                    bodies.push((*id, b));
                }
            }
            Step::Delete { device, post } => {
                // Like `Node::delete`: a post this device already sees
                // deleted (by itself or another device) is not deleted again.
                if let Some(id) = posts.get(post)
                    && devices[device]
                        .doc
                        .post(id.local)
                        .is_some_and(|(_, deleted)| !deleted)
                {
                    envs.push(devices[device].delete(t, id));
                }
            }
            Step::React { device, post } => {
                if let Some(id) = posts.get(post) {
                    use kith_core::feed::{FeedKey, FeedValue, Write};
                    envs.push(devices[device].write(
                        t,
                        &[Write::Put(
                            FeedKey::Reaction(*id, "👍".into()),
                            FeedValue::Timestamp(t),
                        )],
                    ));
                }
            }
            Step::Follow { device, who } => {
                use kith_core::feed::{FeedKey, FeedValue, Write};
                envs.push(devices[device].write(
                    t,
                    &[Write::Put(
                        FeedKey::Follow(others[who]),
                        FeedValue::Timestamp(t),
                    )],
                ));
            }
            Step::Unfollow { device, who } => {
                use kith_core::feed::{FeedKey, Write};
                if devices[device].doc.follows().contains(&others[who]) {
                    envs.push(
                        devices[device].write(t, &[Write::Delete(FeedKey::Follow(others[who]))]),
                    );
                }
            }
            Step::Sync { from, into } => {
                let src = devices[from].clone();
                devices[into].merge_from(&src);
            }
        }
    }
    let certs = devices.iter().map(|d| d.cert.clone()).collect();
    (envs, bodies, certs, devices[0].account)
}

/// Ingests `envs` in the given order and batch sizes, then offers every body.
fn materialize(
    envs: &[Envelope],
    order: &[usize],
    batches: &[usize],
    bodies: &[(PostId, Vec<u8>)],
    certs: &[kith_core::DeviceCertificate],
    account: kith_core::AccountId,
) -> (String, Vec<automerge::ChangeHash>) {
    let home = tempfile::tempdir().unwrap();
    let mut store = Store::open(home.path()).unwrap();
    store.add_certificates(certs).unwrap();
    store.set_own_account(account).unwrap();
    let mut queue: Vec<Envelope> = order.iter().map(|&i| envs[i].clone()).collect();
    let mut b = batches.iter().cycle();
    while !queue.is_empty() {
        let n = (*b.next().unwrap()).clamp(1, queue.len());
        let rest = queue.split_off(n);
        store.ingest(queue).unwrap();
        queue = rest;
    }
    store.put_bodies(bodies).unwrap();
    let timeline = serde_json::to_string(&store.timeline(500, None).unwrap()).unwrap();
    let following = format!("{:?}", store.following(account).unwrap());
    let mut heads = store.feed_heads(account).unwrap().unwrap_or_default();
    heads.sort();
    // Reopening the store (snapshot + incremental changes) gives the same views.
    drop(store);
    let store = Store::open(home.path()).unwrap();
    assert_eq!(
        serde_json::to_string(&store.timeline(500, None).unwrap()).unwrap(),
        timeline
    );
    (format!("{timeline}\n{following}"), heads)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, max_shrink_iters: 200, ..ProptestConfig::default() })]

    #[test]
    fn any_order_and_duplication_of_two_devices_changes_converges(
        steps in prop::collection::vec(step(), 1..40),
        shuffle_seed in any::<u64>(),
        dup_seed in any::<u64>(),
        batches in prop::collection::vec(1..12usize, 1..5),
    ) {
        let (envs, bodies, certs, account) = run(&steps);
        prop_assume!(!envs.is_empty());
        let natural: Vec<usize> = (0..envs.len()).collect();
        let reference = materialize(&envs, &natural, &[envs.len()], &bodies, &certs, account);

        // A permutation with duplicates, from the seeds.
        let mut order: Vec<usize> = natural.clone();
        let mut x = shuffle_seed | 1;
        for i in (1..order.len()).rev() {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            order.swap(i, (x % (i as u64 + 1)) as usize);
        }
        let mut y = dup_seed | 1;
        for _ in 0..order.len() / 2 {
            y ^= y << 13; y ^= y >> 7; y ^= y << 17;
            let pick = order[(y % order.len() as u64) as usize];
            let at = ((y >> 32) % (order.len() as u64 + 1)) as usize;
            order.insert(at, pick);
        }
        let shuffled = materialize(&envs, &order, &batches, &bodies, &certs, account);
        prop_assert_eq!(&shuffled.1, &reference.1, "documents differ");
        prop_assert_eq!(shuffled.0, reference.0, "materialized views differ");
    }
}

/// The ids of the posts a search finds, sorted (stores number their rows
/// in the order they wrote them, which search results follow).
fn found(store: &Store, words: &str) -> Vec<String> {
    let mut ids: Vec<String> = store
        .search(words, 10_000, None)
        .unwrap()
        .posts
        .iter()
        .map(|p| format!("{:?}", p.id))
        .collect();
    ids.sort();
    ids
}

/// A batch of several hundred changes is applied to its document on a
/// second thread while the rows of its new posts are written from the
/// changes themselves; the tables and the search index must come out as
/// they do when every change is applied first and read back from the
/// document, one change at a time. Two devices post, reply, edit and
/// delete; one store also receives the newest changes first (waiting for
/// their dependencies), as a fresh sync does.
#[test]
fn a_batch_applied_beside_its_rows_stores_what_one_change_at_a_time_stores() {
    let (account_key, first) = Device::new_account();
    let mut devices = [first, Device::for_account(&account_key)];
    let (mut envs, mut bodies, mut posts) = (Vec::new(), Vec::new(), Vec::<PostId>::new());
    for i in 0..420usize {
        let t = 10_000 + i as i64;
        let device = usize::from(i % 7 == 3);
        if i == 200 {
            let src = devices[0].clone();
            devices[1].merge_from(&src);
        }
        match i % 10 {
            4 if posts.len() > 20 => {
                let id = posts[i % posts.len()];
                if devices[device].doc.post(id.local).is_some_and(|(_, d)| !d) {
                    let (e, b) = devices[device].edit(t, &id, &format!("edited words {i}"));
                    envs.push(e);
                    bodies.push((id, b));
                }
            }
            8 if posts.len() > 20 => {
                let id = posts[(i * 3) % posts.len()];
                if devices[device].doc.post(id.local).is_some_and(|(_, d)| !d) {
                    envs.push(devices[device].delete(t, &id));
                }
            }
            _ => {
                let (e, id, b) =
                    devices[device].post(t, &format!("words of post {i}"), posts.last().copied());
                envs.push(e);
                bodies.push((id, b));
                posts.push(id);
            }
        }
    }
    assert!(envs.len() > 400, "enough changes for the second thread");
    let certs: Vec<_> = devices.iter().map(|d| d.cert.clone()).collect();
    let account = devices[0].account;
    let open = || {
        let home = tempfile::tempdir().unwrap();
        let mut store = Store::open(home.path()).unwrap();
        store.add_certificates(&certs).unwrap();
        store.set_own_account(account).unwrap();
        (home, store)
    };

    let (_one_home, mut one_by_one) = open();
    for env in &envs {
        one_by_one
            .ingest_signed(&certs, vec![env.clone()], &bodies)
            .unwrap();
    }
    let (_batch_home, mut batch) = open();
    let report = batch.ingest_signed(&certs, envs.clone(), &bodies).unwrap();
    assert_eq!(report.accepted, envs.len());
    let (_newest_home, mut newest_first) = open();
    let newest = envs[envs.len() - 40..].to_vec();
    newest_first.ingest_signed(&certs, newest, &bodies).unwrap();
    newest_first
        .ingest_signed(&certs, envs.clone(), &bodies)
        .unwrap();

    let expected = common::fingerprint(&one_by_one);
    for (name, store) in [("one batch", &batch), ("newest first", &newest_first)] {
        assert_eq!(
            common::fingerprint(store),
            expected,
            "{name}: timeline or feeds differ"
        );
        for words in ["words", "edited", "post", "of"] {
            assert_eq!(
                found(store, words),
                found(&one_by_one, words),
                "{name}: search for {words:?} differs"
            );
        }
    }
    assert!(!found(&batch, "edited").is_empty(), "edits were indexed");
}
