//! A feed synced page by page keeps the bytes of its changes only in its
//! document until the sync's last page (`feeds.unsaved`). What happens
//! when that document is lost: the process stops mid-sync, or a page fails
//! after earlier pages were committed.
#![allow(clippy::unwrap_used)]

mod common;

use common::{Device, hello_feed, kill, reference, shown, sync_page};
use kith_core::{Envelope, PostId};
use kith_store::{DB_FILE, Store};

/// Enough changes a page for the store to keep their bytes only in the
/// document (it does so from 256).
const PAGE: usize = 400;

/// Stores `envs[range]`, with their bodies, as one page of a sync.
fn store_range(
    store: &mut Store,
    dev: &Device,
    (envs, bodies): (&[Envelope], &[(PostId, Vec<u8>)]),
    range: std::ops::Range<usize>,
    more: bool,
) -> kith_store::IngestReport {
    sync_page(store, dev, &envs[range.clone()], &bodies[range], more).unwrap()
}

/// Stores the feed's first two pages, more pages to follow.
fn store_two_pages(store: &mut Store, dev: &Device, feed: (&[Envelope], &[(PostId, Vec<u8>)])) {
    store_range(store, dev, feed, 0..PAGE, true);
    store_range(store, dev, feed, PAGE..2 * PAGE, true);
}

/// `(unsaved, rows in unsnapshotted, snapshot_changes)` of the only
/// feed of a store that follows nobody, read through a second connection.
fn bytes_state(home: &std::path::Path) -> (i64, i64, i64) {
    let conn = rusqlite::Connection::open(home.join(DB_FILE)).unwrap();
    conn.query_row(
        "SELECT coalesce(sum(unsaved), 0), (SELECT count(*) FROM unsnapshotted), coalesce(sum(snapshot_changes), 0) FROM feeds",
        [],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )
    .unwrap()
}

/// Checks that the store shows the feed as storing it in one batch does,
/// and still does after the process is killed (`after_kill` says why).
fn assert_whole_across_a_kill(
    store: Store,
    home: &std::path::Path,
    dev: &Device,
    (envs, bodies): (&[Envelope], &[(PostId, Vec<u8>)]),
    after_kill: &str,
) {
    let expected = reference(dev, envs, bodies);
    assert_eq!(shown(&store, dev), expected);
    kill(store);
    let store = Store::open(home).unwrap();
    assert_eq!(shown(&store, dev), expected, "{after_kill}");
}

#[test]
fn pages_of_a_sync_keep_their_bytes_only_in_the_document_until_the_last_page_saves_it() {
    let (dev, envs, bodies) = hello_feed(1_000, false);
    let home = tempfile::tempdir().unwrap();
    let mut store = Store::open(home.path()).unwrap();
    store_two_pages(&mut store, &dev, (&envs, &bodies));
    assert_eq!(
        bytes_state(home.path()),
        (800, 0, 0),
        "800 changes held only by the document, no bytes written, no snapshot yet"
    );
    store_range(
        &mut store,
        &dev,
        (&envs, &bodies),
        2 * PAGE..envs.len(),
        false,
    );
    assert_eq!(
        bytes_state(home.path()),
        (0, 0, 1_000),
        "the last page saves the document with all 1,000 changes"
    );
    assert_whole_across_a_kill(
        store,
        home.path(),
        &dev,
        (&envs, &bodies),
        "the snapshot alone reloads it",
    );
}

#[test]
fn a_node_killed_in_the_middle_of_a_sync_drops_the_half_synced_feed_and_syncs_it_again_whole() {
    let (dev, envs, bodies) = hello_feed(1_000, false);
    let home = tempfile::tempdir().unwrap();
    let mut store = Store::open(home.path()).unwrap();
    store_two_pages(&mut store, &dev, (&envs, &bodies));
    assert_eq!(
        shown(&store, &dev).1,
        800,
        "two pages shown before the kill"
    );
    kill(store);

    let mut store = Store::open(home.path()).unwrap();
    assert!(
        store
            .feed_posts(dev.account, 5_000, None)
            .unwrap()
            .posts
            .is_empty(),
        "no post whose change no file holds is shown"
    );
    assert_eq!(shown(&store, &dev).1, 0, "nor found");
    let state = &store.feed_states(&[dev.account]).unwrap()[0];
    assert_eq!(
        (state.changes, state.heads.len()),
        (0, 0),
        "the feed holds nothing, so peers send it whole again"
    );
    assert_eq!(bytes_state(home.path()), (0, 0, 0));

    for (i, part) in envs.chunks(PAGE).enumerate() {
        let start = i * PAGE;
        let more = start + part.len() < envs.len();
        let report = store_range(
            &mut store,
            &dev,
            (&envs, &bodies),
            start..start + part.len(),
            more,
        );
        assert_eq!(report.accepted, part.len(), "page {i} is new again");
    }
    assert_whole_across_a_kill(
        store,
        home.path(),
        &dev,
        (&envs, &bodies),
        "and it survives the next kill",
    );
}

#[test]
fn a_page_refused_in_the_middle_of_a_sync_keeps_the_pages_stored_before_it() {
    let (dev, envs, bodies) = hello_feed(1_000, false);
    // A post whose body does not decode: the store refuses the page
    // holding it, after the page's rows were written.
    let mut fork = dev.clone();
    let (broken, broken_id, broken_body) = fork.post_with_broken_body(2_000_001);

    let home = tempfile::tempdir().unwrap();
    let mut store = Store::open(home.path()).unwrap();
    store_two_pages(&mut store, &dev, (&envs, &bodies));
    let before = shown(&store, &dev);
    let mut bad = envs[2 * PAGE..].to_vec();
    bad.push(broken);
    let mut bad_bodies = bodies[2 * PAGE..].to_vec();
    bad_bodies.push((broken_id, broken_body));
    let refused = sync_page(&mut store, &dev, &bad, &bad_bodies, false);
    assert!(refused.is_err(), "the store refuses the page");
    assert_eq!(shown(&store, &dev), before, "the two pages before it stay");
    assert_eq!(
        bytes_state(home.path()),
        (0, 800, 0),
        "their bytes were written when the document was dropped"
    );
    kill(store);

    let mut store = Store::open(home.path()).unwrap();
    assert_eq!(shown(&store, &dev), before, "they survive a kill");
    let report = store_range(
        &mut store,
        &dev,
        (&envs, &bodies),
        2 * PAGE..envs.len(),
        false,
    );
    assert_eq!(report.accepted, envs.len() - 2 * PAGE);
    assert_eq!(shown(&store, &dev), reference(&dev, &envs, &bodies));
}

#[test]
fn pages_arriving_newest_first_keep_the_bytes_of_changes_that_wait_and_converge() {
    let (dev, envs, bodies) = hello_feed(1_000, false);
    let home = tempfile::tempdir().unwrap();
    let mut store = Store::open(home.path()).unwrap();
    store_range(
        &mut store,
        &dev,
        (&envs, &bodies),
        2 * PAGE..envs.len(),
        true,
    );
    assert_eq!(
        bytes_state(home.path()),
        (0, 200, 0),
        "changes waiting for their dependencies keep their bytes"
    );
    store_range(&mut store, &dev, (&envs, &bodies), 0..2 * PAGE, false);
    assert_eq!(bytes_state(home.path()), (0, 0, 1_000));
    assert_whole_across_a_kill(
        store,
        home.path(),
        &dev,
        (&envs, &bodies),
        "the same after a kill",
    );
}
