//! An ingest names the posts whose counts it changed (`counted`), so a
//! window showing them can count them anew: reactions given and taken back,
//! each post once, a reaction that waited for the change before it (named
//! again when it applies), and the posts a reply or a quote answers. The
//! counts themselves: replies and reposts held here, deletions left out.
#![allow(clippy::unwrap_used)]

mod common;

use common::{Device, own_store, store_post, store_reply};
use kith_core::PostId;
use kith_core::PostRecord;
use kith_core::feed::{FeedKey, FeedValue, Write};
use kith_store::Store;

fn give(to: PostId, emoji: &str, t: i64) -> Write {
    Write::Put(
        FeedKey::Reaction(to, emoji.to_owned()),
        FeedValue::Timestamp(t),
    )
}

fn count(store: &Store, post: &PostId, emoji: &str) -> u64 {
    let view = store.post(post).unwrap().unwrap();
    view.reactions.get(emoji).copied().unwrap_or(0)
}

/// A post's replies and reposts (with quotes) as shown.
fn counts(store: &Store, post: &PostId) -> (u64, u64) {
    let view = store.post(post).unwrap().unwrap();
    (view.replies, view.reposts)
}

/// A new account whose device's certificate `store` holds.
fn another_account(store: &mut Store) -> Device {
    let (_, dev) = Device::new_account();
    store
        .add_certificates(std::slice::from_ref(&dev.cert))
        .unwrap();
    dev
}

fn sorted(mut ids: Vec<PostId>) -> Vec<PostId> {
    ids.sort_unstable();
    ids
}

#[test]
fn a_batch_names_each_post_it_reacted_to_once_and_a_post_alone_names_none() {
    let (_home, mut store, mut me) = own_store();
    let (first, second) = (
        store_post(&mut store, &mut me, 10, "first"),
        store_post(&mut store, &mut me, 11, "second"),
    );
    let mut bea = another_account(&mut store);
    let one = bea.write(20, &[give(first, "👍", 20), give(first, "❤️", 20)]);
    let two = bea.write(21, &[give(second, "👍", 21), give(first, "😂", 21)]);
    let r = store.ingest(vec![one, two]).unwrap();
    assert_eq!(
        r.counted,
        sorted(vec![first, second]),
        "two changes reacting three times to the first post and once to the second name each once"
    );
    assert_eq!(count(&store, &first, "👍"), 1);

    let (post, _, _) = bea.post(30, "a post, no reaction", None);
    let r = store.ingest(vec![post]).unwrap();
    assert_eq!(r.accepted, 1);
    assert!(
        r.counted.is_empty(),
        "a post alone reacts to nothing: {r:?}"
    );
}

#[test]
fn a_reaction_taken_back_names_its_post() {
    let (_home, mut store, mut me) = own_store();
    let mine = store_post(&mut store, &mut me, 10, "mine");
    let mut bea = another_account(&mut store);
    let given = bea.write(20, &[give(mine, "👍", 20)]);
    store.ingest(vec![given]).unwrap();
    assert_eq!(count(&store, &mine, "👍"), 1);

    let taken_back = bea.write(
        21,
        &[Write::Delete(FeedKey::Reaction(mine, "👍".to_owned()))],
    );
    let r = store.ingest(vec![taken_back]).unwrap();
    assert_eq!(r.counted, [mine]);
    assert_eq!(count(&store, &mine, "👍"), 0);
}

#[test]
fn a_reaction_that_waited_for_an_earlier_change_is_named_by_the_batch_that_applies_it() {
    let (_home, mut store, mut me) = own_store();
    let mine = store_post(&mut store, &mut me, 10, "mine");
    let mut bea = another_account(&mut store);
    let (earlier, _, _) = bea.post(20, "bea's first post", None);
    let later = bea.write(21, &[give(mine, "❤️", 21)]);

    store.ingest(vec![later]).unwrap();
    assert_eq!(
        count(&store, &mine, "❤️"),
        0,
        "it waits for bea's first change"
    );

    let r = store.ingest(vec![earlier]).unwrap();
    assert_eq!(count(&store, &mine, "❤️"), 1);
    assert_eq!(
        r.counted,
        [mine],
        "the batch whose change let it apply names it"
    );
}

#[test]
fn a_reply_and_a_quote_name_the_posts_they_count_for_and_the_counts_leave_out_deletions() {
    let (_home, mut store, mut me) = own_store();
    let (first, second) = (
        store_post(&mut store, &mut me, 10, "first"),
        store_post(&mut store, &mut me, 11, "second"),
    );
    let mut bea = another_account(&mut store);
    let (reply, reply_id, _) = bea.post(20, "a reply", Some(first));
    let repost = PostRecord {
        created_at: 21,
        quote_of: Some(second),
        ..PostRecord::default()
    };
    let repost = bea.write(
        21,
        &[Write::Put(
            FeedKey::Post(21u64.to_be_bytes()),
            FeedValue::Bytes(repost.encode()),
        )],
    );
    let r = store.ingest(vec![reply, repost]).unwrap();
    assert_eq!(r.counted, sorted(vec![first, second]));
    assert_eq!(counts(&store, &first), (1, 0), "one reply, no repost");
    assert_eq!(counts(&store, &second), (0, 1), "one repost, no reply");

    // A second reply (mine), then Bea's deleted: one reply counted.
    store_reply(&mut store, &mut me, 30, "mine too", Some(first));
    let deleted = bea.delete(31, &reply_id);
    store.ingest(vec![deleted]).unwrap();
    assert_eq!(
        counts(&store, &first),
        (1, 0),
        "a deleted reply is not counted"
    );
}
