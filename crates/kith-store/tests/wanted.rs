//! Blobs a home references but lacks stay wanted, and are offered for
//! asking again ever less often, until they arrive or nothing live
//! references them (`wanted.rs`).
#![allow(clippy::unwrap_used)]

mod common;

use common::{Device, receiver};
use kith_core::feed::{FeedKey, FeedValue, Write};
use kith_core::{Envelope, Hash, PostId};
use kith_store::{FIRST_RETRY_MS, IngestReport, Store, WantedBlob};

const NOW: i64 = 1_700_000_000_000;
const IMAGE: &[u8] = b"an image's bytes";
const PICTURE: &[u8] = b"a profile picture's bytes";

fn hash(bytes: &[u8]) -> Hash {
    *blake3::hash(bytes).as_bytes()
}

/// Stores `envs` of `dev`'s feed in `store`, as a peer's batch.
fn store_batch(
    store: &mut Store,
    dev: &Device,
    envs: Vec<Envelope>,
    bodies: &[(PostId, Vec<u8>)],
) -> IngestReport {
    store
        .ingest_signed(std::slice::from_ref(&dev.cert), envs, bodies)
        .unwrap()
}

/// The blobs due at `at`, sorted (and put off, as a round would).
fn due(store: &mut Store, at: i64) -> Vec<Hash> {
    hashes(&store.due_blobs(at, 16).unwrap())
}

fn hashes(due: &[WantedBlob]) -> Vec<Hash> {
    let mut h: Vec<Hash> = due.iter().map(|w| w.hash).collect();
    h.sort_unstable();
    h
}

fn sorted(mut h: Vec<Hash>) -> Vec<Hash> {
    h.sort_unstable();
    h
}

#[test]
fn an_attachment_and_a_profile_picture_that_did_not_come_are_wanted_until_they_arrive_each_retry_waiting_twice_as_long()
 {
    let (_, mut dev) = Device::new_account();
    let (with_image, id, body) = dev.post_with(1_000, "look at this", None, vec![hash(IMAGE)]);
    let (plain, plain_id, plain_body) = dev.post_with(2_000, "look at this", None, Vec::new());
    let avatar = dev.write(
        3_000,
        &[Write::Put(
            FeedKey::Avatar,
            FeedValue::Bytes(hash(PICTURE).to_vec()),
        )],
    );
    let (_home, mut store) = receiver(&dev);
    let report = store_batch(
        &mut store,
        &dev,
        vec![with_image, plain, avatar],
        &[(id, body), (plain_id, plain_body)],
    );

    let missing = store.want_blobs(&report, NOW).unwrap();
    assert_eq!(
        sorted(missing),
        sorted(vec![hash(IMAGE), hash(PICTURE)]),
        "the image and the profile picture are missing, to ask the sender for at once"
    );
    assert_eq!(store.wanted_blob_count().unwrap(), 2);
    assert!(
        due(&mut store, NOW).is_empty(),
        "the sender is being asked: nothing is due before the first retry"
    );

    let first = NOW + FIRST_RETRY_MS;
    let first_round = store.due_blobs(first, 16).unwrap();
    assert_eq!(
        hashes(&first_round),
        sorted(vec![hash(IMAGE), hash(PICTURE)])
    );
    assert!(
        first_round.iter().all(|w| w.feed == dev.account),
        "{first_round:?}"
    );
    assert!(
        due(&mut store, first).is_empty(),
        "a blob handed out is not handed out again before its next try"
    );
    assert!(
        due(&mut store, first + 2 * FIRST_RETRY_MS - 1).is_empty(),
        "the second retry waits twice as long as the first"
    );
    assert_eq!(
        store
            .due_blobs(first + 2 * FIRST_RETRY_MS, 1)
            .unwrap()
            .len(),
        1,
        "at most `limit` are handed out"
    );

    assert!(
        store.put_referenced_blob(IMAGE).unwrap(),
        "the image arrives"
    );
    assert_eq!(store.wanted_blob_count().unwrap(), 1);
    let later = NOW + 24 * 3_600_000;
    assert_eq!(
        due(&mut store, later),
        vec![hash(PICTURE)],
        "only the picture is still wanted"
    );

    store.want_blobs_now(&[dev.account]).unwrap();
    assert_eq!(
        due(&mut store, later),
        vec![hash(PICTURE)],
        "a peer holding the feed came: the picture is due at once, not at its next try"
    );
}

#[test]
fn a_wanted_blob_no_live_post_references_any_more_is_forgotten_not_asked_for() {
    let (_, mut dev) = Device::new_account();
    let (env, id, body) = dev.post_with(1_000, "look at this", None, vec![hash(IMAGE)]);
    let (_home, mut store) = receiver(&dev);
    let report = store_batch(&mut store, &dev, vec![env], &[(id, body)]);
    assert_eq!(store.want_blobs(&report, NOW).unwrap(), vec![hash(IMAGE)]);

    let deletion = dev.delete(5_000, &id);
    store_batch(&mut store, &dev, vec![deletion], &[]);
    assert!(
        due(&mut store, NOW + FIRST_RETRY_MS).is_empty(),
        "the post was deleted: its image is not asked for"
    );
    assert_eq!(store.wanted_blob_count().unwrap(), 0, "and it is forgotten");
    assert!(
        !store.put_referenced_blob(IMAGE).unwrap(),
        "nor kept if a peer sends it anyway"
    );
}

#[test]
fn a_blob_the_home_holds_is_not_wanted_and_one_that_arrived_meanwhile_is_forgotten() {
    let (_, mut dev) = Device::new_account();
    let (first, first_id, first_body) =
        dev.post_with(1_000, "look at this", None, vec![hash(IMAGE)]);
    let (_home, mut store) = receiver(&dev);
    let report = store_batch(&mut store, &dev, vec![first], &[(first_id, first_body)]);
    assert_eq!(store.want_blobs(&report, NOW).unwrap(), vec![hash(IMAGE)]);
    // Put in the blob folder by another way (a bundle, the user's own post).
    store.blobs().put(IMAGE).unwrap();
    assert!(
        due(&mut store, NOW + FIRST_RETRY_MS).is_empty(),
        "a blob that arrived meanwhile is not asked for"
    );
    assert_eq!(store.wanted_blob_count().unwrap(), 0);

    let (second, second_id, second_body) =
        dev.post_with(2_000, "look at this", None, vec![hash(IMAGE)]);
    let report = store_batch(&mut store, &dev, vec![second], &[(second_id, second_body)]);
    assert!(
        store.want_blobs(&report, NOW).unwrap().is_empty(),
        "a post reusing a blob the home holds wants nothing"
    );
    assert_eq!(store.wanted_blob_count().unwrap(), 0);
}
