//! A fresh feed seeded from a peer's snapshot (`Store::plant_seed`): the
//! pages of the sync are checked to be in the seed instead of applied, and
//! nothing of the seed is shown or served until every change in it has
//! arrived verified.
#![allow(clippy::unwrap_used)]

mod common;

use common::{
    Bodies, Device, hello_feed, kill, receiver, reference, seed_sender, shown, sync_page,
};
use kith_core::feed::{FeedKey, FeedValue, Write};
use kith_core::{Envelope, PostId, PostRecord, keys};
use kith_store::{DB_FILE, Seed, Store};

/// Changes a page.
const PAGE: usize = 600;

/// Stores `envs` as one page of a sync.
fn store_page(store: &mut Store, dev: &Device, envs: &[Envelope], bodies: &Bodies, more: bool) {
    sync_page(store, dev, envs, bodies, more).unwrap();
}

/// Stores the whole feed page by page, the last page saying no more follow.
fn store_pages(store: &mut Store, dev: &Device, envs: &[Envelope], bodies: &Bodies) {
    let pages: Vec<&[Envelope]> = envs.chunks(PAGE).collect();
    for (i, page) in pages.iter().enumerate() {
        store_page(store, dev, page, bodies, i + 1 < pages.len());
    }
}

/// `(snapshot, snapshot_changes, unsaved, change_count)` of the feed.
fn feed_row(home: &std::path::Path, dev: &Device) -> (Option<Vec<u8>>, i64, i64, i64) {
    let conn = rusqlite::Connection::open(home.join(DB_FILE)).unwrap();
    conn.query_row(
        "SELECT snapshot, snapshot_changes, unsaved, change_count FROM feeds WHERE account = ?1",
        [dev.account.as_bytes().as_slice()],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
    )
    .unwrap()
}

#[test]
fn a_seeded_sync_shows_what_applying_every_change_shows_and_keeps_the_snapshot_as_sent() {
    let (dev, envs, bodies) = hello_feed(1_500, true);
    // The sender's own stored snapshot is what it offers.
    let (_sender_home, _sender, offered) = seed_sender(&dev, &envs, &bodies);

    let (home, mut store) = receiver(&dev);
    let seed = Seed::load(dev.account, offered.clone()).unwrap();
    assert_eq!(seed.changes(), envs.len());
    assert!(store.plant_seed(seed).unwrap());

    store_page(&mut store, &dev, &envs[..PAGE], &bodies, true);
    assert_eq!(
        store.feed_heads(dev.account).unwrap(),
        None,
        "an untrusted seed is not read: no heads yet"
    );
    assert!(
        store
            .signed_changes(dev.account, &[])
            .unwrap()
            .envelopes
            .is_empty(),
        "nor served to peers"
    );
    store_pages(&mut store, &dev, &envs[PAGE..], &bodies);

    assert_eq!(shown(&store, &dev), reference(&dev, &envs, &bodies));
    assert_eq!(
        store.feed_heads(dev.account).unwrap(),
        Some(dev.doc.heads())
    );
    let (snapshot, in_snapshot, unsaved, held) = feed_row(home.path(), &dev);
    assert_eq!(
        snapshot.as_deref(),
        Some(offered.as_slice()),
        "stored as sent"
    );
    assert_eq!(
        (in_snapshot, unsaved, held),
        (envs.len() as i64, 0, envs.len() as i64)
    );
    assert_eq!(
        store
            .signed_changes(dev.account, &[])
            .unwrap()
            .envelopes
            .len(),
        envs.len(),
        "served once trusted"
    );
    drop(store);
    let store = Store::open(home.path()).unwrap();
    assert_eq!(shown(&store, &dev), reference(&dev, &envs, &bodies));
}

#[test]
fn a_seed_holding_a_change_no_page_brings_is_never_shown_and_the_feed_is_fetched_again() {
    let (dev, envs, bodies) = hello_feed(1_200, true);
    // The seed holds one more post, by a key that signed nothing.
    let mut forged = dev.doc.clone();
    let intruder = keys::generate();
    let record = PostRecord {
        created_at: 99_999_999,
        ..PostRecord::default()
    };
    forged
        .write(
            keys::device_id(&intruder),
            99_999_999,
            &[Write::Put(
                FeedKey::Post([0xee; 8]),
                FeedValue::Bytes(record.encode()),
            )],
        )
        .unwrap();
    let (home, mut store) = receiver(&dev);
    assert!(
        store
            .plant_seed(Seed::load(dev.account, forged.save()).unwrap())
            .unwrap()
    );
    let pages: Vec<&[Envelope]> = envs.chunks(PAGE).collect();
    let forged_id = PostId {
        author: dev.account,
        local: [0xee; 8],
    };
    for (i, page) in pages.iter().enumerate() {
        store_page(&mut store, &dev, page, &bodies, i + 1 < pages.len());
        assert!(
            store.post(&forged_id).unwrap().is_none(),
            "the forged post is never shown (after page {i})"
        );
    }
    let (_, _, unsaved, held) = feed_row(home.path(), &dev);
    assert_eq!(
        (unsaved, held),
        (0, 0),
        "the sync ended with the seed incomplete: the feed's rows were dropped"
    );
    assert!(
        store
            .feed_posts(dev.account, 10, None)
            .unwrap()
            .posts
            .is_empty()
    );
    // The next sync goes without a seed.
    assert!(
        !store
            .plant_seed(Seed::load(dev.account, dev.doc.save()).unwrap())
            .unwrap(),
        "no second seed for this feed before the store opens again"
    );
    store_pages(&mut store, &dev, &envs, &bodies);
    assert_eq!(shown(&store, &dev), reference(&dev, &envs, &bodies));
    assert!(store.post(&forged_id).unwrap().is_none());
}

#[test]
fn a_store_stopped_in_a_seeded_sync_drops_the_feed_and_syncs_it_again() {
    let (dev, envs, bodies) = hello_feed(1_200, true);
    let (home, mut store) = receiver(&dev);
    assert!(
        store
            .plant_seed(Seed::load(dev.account, dev.doc.save()).unwrap())
            .unwrap()
    );
    store_page(&mut store, &dev, &envs[..PAGE], &bodies, true);
    store_page(&mut store, &dev, &envs[PAGE..2 * PAGE], &bodies, true);
    kill(store);
    let mut store = Store::open(home.path()).unwrap();
    assert_eq!(feed_row(home.path(), &dev).3, 0, "dropped at open");
    store_pages(&mut store, &dev, &envs, &bodies);
    assert_eq!(shown(&store, &dev), reference(&dev, &envs, &bodies));
}

#[test]
fn newest_changes_held_first_and_changes_made_after_the_snapshot_join_a_seeded_sync() {
    let (mut dev, mut envs, mut bodies) = hello_feed(1_200, true);
    let snapshot = dev.doc.save();
    // Posted after the sender saved its snapshot.
    for t in 1_201..=1_210 {
        let (env, id, body) = dev.post(t * 1_000, &format!("post{t} hello"), None);
        envs.push(env);
        bodies.push((id, body));
    }
    let (home, mut store) = receiver(&dev);
    // Some of the newest changes first (they wait for their dependencies);
    // the seed is then completed by the last page, which also brings the
    // changes it lacks.
    let newest = envs.len() - 300..envs.len() - 200;
    store_page(&mut store, &dev, &envs[newest], &bodies, false);
    assert!(
        store
            .plant_seed(Seed::load(dev.account, snapshot).unwrap())
            .unwrap()
    );
    store_pages(&mut store, &dev, &envs, &bodies);
    assert_eq!(shown(&store, &dev), reference(&dev, &envs, &bodies));
    let (_, in_snapshot, unsaved, held) = feed_row(home.path(), &dev);
    assert_eq!(
        (in_snapshot, unsaved, held),
        (envs.len() as i64, 0, envs.len() as i64)
    );
}

#[test]
fn newest_changes_made_after_the_snapshot_held_first_are_applied_to_the_seed_which_is_still_taken()
{
    let (mut dev, mut envs, mut bodies) = hello_feed(1_200, true);
    let snapshot = dev.doc.save();
    // Posted after the sender saved its snapshot: a real feed has some.
    for t in 1_201..=1_240 {
        let (env, id, body) = dev.post(t * 1_000, &format!("post{t} hello"), None);
        envs.push(env);
        bodies.push((id, body));
    }
    let (home, mut store) = receiver(&dev);
    // The newest changes first, as a sync asks for them: the 40 the
    // snapshot lacks and 60 it holds, all waiting for their dependencies.
    store_page(&mut store, &dev, &envs[envs.len() - 100..], &bodies, false);
    assert!(
        store
            .plant_seed(Seed::load(dev.account, snapshot.clone()).unwrap())
            .unwrap(),
        "the seed is taken although it lacks some of the changes held"
    );
    store_pages(&mut store, &dev, &envs, &bodies);
    assert_eq!(shown(&store, &dev), reference(&dev, &envs, &bodies));
    assert_eq!(
        store.feed_heads(dev.account).unwrap(),
        Some(dev.doc.heads())
    );
    let (stored, in_snapshot, unsaved, held) = feed_row(home.path(), &dev);
    assert_ne!(
        stored.as_deref(),
        Some(snapshot.as_slice()),
        "with changes applied on top, the document is saved, not the snapshot as sent"
    );
    assert_eq!(
        (in_snapshot, unsaved, held),
        (envs.len() as i64, 0, envs.len() as i64)
    );
    drop(store);
    let store = Store::open(home.path()).unwrap();
    assert_eq!(shown(&store, &dev), reference(&dev, &envs, &bodies));
}

#[test]
fn a_seed_lacking_more_held_changes_than_a_loaded_document_applies_quickly_is_refused() {
    let (mut dev, mut envs, mut bodies) = hello_feed(1_200, true);
    let snapshot = dev.doc.save();
    let after = kith_store::MAX_UNSNAPSHOTTED as usize + 1;
    for t in 1_201..=(1_200 + after as i64) {
        let (env, id, body) = dev.post(t * 1_000, &format!("post{t} hello"), None);
        envs.push(env);
        bodies.push((id, body));
    }
    let (_home, mut store) = receiver(&dev);
    store_page(
        &mut store,
        &dev,
        &envs[envs.len() - after..],
        &bodies,
        false,
    );
    assert!(
        !store
            .plant_seed(Seed::load(dev.account, snapshot).unwrap())
            .unwrap(),
        "{after} held changes the seed lacks are more than it may apply"
    );
    store_pages(&mut store, &dev, &envs, &bodies);
    assert_eq!(
        shown(&store, &dev),
        reference(&dev, &envs, &bodies),
        "the feed still syncs whole, without the seed"
    );
}

#[test]
fn a_seed_is_refused_for_a_feed_with_applied_changes_and_bad_bytes_are_refused() {
    let (dev, envs, bodies) = hello_feed(1_100, true);
    let (_home, mut store) = receiver(&dev);
    store_page(&mut store, &dev, &envs[..PAGE], &bodies, true);
    assert!(
        !store
            .plant_seed(Seed::load(dev.account, dev.doc.save()).unwrap())
            .unwrap(),
        "the feed already has applied changes"
    );
    let mut bytes = dev.doc.save();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x55;
    assert!(Seed::load(dev.account, bytes).is_err());
    assert!(Seed::load(dev.account, b"not a snapshot".to_vec()).is_err());
    assert!(Seed::load(dev.account, vec![0; kith_store::MAX_SEED_BYTES + 1]).is_err());
    // Too small a feed is not worth seeding.
    let (small, _, _) = hello_feed(100, true);
    let (_home, mut other) = receiver(&small);
    assert!(
        !other
            .plant_seed(Seed::load(small.account, small.doc.save()).unwrap())
            .unwrap()
    );
}
