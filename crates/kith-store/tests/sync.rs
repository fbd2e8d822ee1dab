//! Catching a peer up sends exactly the changes it lacks, and both ends
//! then hold the same feed.
#![allow(clippy::unwrap_used)]

mod common;

use common::own_store;
use kith_store::Store;

#[test]
fn a_peer_behind_by_eleven_changes_gets_exactly_those_eleven_and_converges() {
    let (_a_home, mut author, mut dev) = own_store();
    let mut first = None;
    for t in 1..=200 {
        let (env, id, body) = dev.post(t * 1_000, &format!("post {t}"), None);
        author.ingest(vec![env]).unwrap();
        author.put_bodies(&[(id, body)]).unwrap();
        first.get_or_insert(id);
    }
    let mut bundle = Vec::new();
    author
        .export(&[dev.account], &mut bundle, &mut |_, _| {})
        .unwrap();
    let reader_home = tempfile::tempdir().unwrap();
    let mut reader = Store::open(reader_home.path()).unwrap();
    reader.import(&bundle, &mut |_, _| {}).unwrap();
    assert_eq!(
        reader.feed_heads(dev.account).unwrap(),
        author.feed_heads(dev.account).unwrap()
    );

    // The author moves on: ten posts and a deletion.
    for t in 201..=210 {
        let (env, id, body) = dev.post(t * 1_000, &format!("post {t}"), None);
        author.ingest(vec![env]).unwrap();
        author.put_bodies(&[(id, body)]).unwrap();
    }
    author
        .ingest(vec![dev.delete(211_000, &first.unwrap())])
        .unwrap();

    let have = reader.feed_heads(dev.account).unwrap().unwrap();
    let missing = author.signed_changes(dev.account, &have).unwrap();
    assert_eq!(
        missing.envelopes.len(),
        11,
        "only the missing changes are sent"
    );
    let bodies = author.bodies_for(&missing.envelopes).unwrap();
    assert_eq!(
        bodies.len(),
        10,
        "bodies of the new posts, none for the deleted one"
    );

    let report = reader.ingest(missing.envelopes).unwrap();
    assert_eq!(report.accepted, 11);
    assert_eq!(reader.put_bodies(&bodies).unwrap(), 10);
    assert_eq!(
        reader.feed_heads(dev.account).unwrap(),
        author.feed_heads(dev.account).unwrap()
    );
    let a = serde_json::to_string(&author.feed_posts(dev.account, 500, None).unwrap()).unwrap();
    let b = serde_json::to_string(&reader.feed_posts(dev.account, 500, None).unwrap()).unwrap();
    assert_eq!(a, b, "both ends show the same feed");
    assert!(reader.post(&first.unwrap()).unwrap().unwrap().deleted);

    // Nothing more is missing, and heads the author never saw are ignored.
    let have = reader.feed_heads(dev.account).unwrap().unwrap();
    assert!(
        author
            .signed_changes(dev.account, &have)
            .unwrap()
            .envelopes
            .is_empty()
    );
    let unknown = automerge::ChangeHash([9u8; 32]);
    assert_eq!(
        author
            .signed_changes(dev.account, &[unknown])
            .unwrap()
            .envelopes
            .len(),
        211
    );
}

#[test]
fn pages_with_skip_add_up_to_the_whole_answer_and_a_new_change_is_not_missed() {
    let (_home, mut author, mut dev) = own_store();
    for t in 1..=120 {
        let (env, id, body) = dev.post(t * 1_000, &format!("post {t}"), None);
        author.ingest(vec![env]).unwrap();
        author.put_bodies(&[(id, body)]).unwrap();
    }
    let whole: Vec<Vec<u8>> = author
        .signed_changes(dev.account, &[])
        .unwrap()
        .envelopes
        .iter()
        .map(kith_core::Envelope::encode)
        .collect();
    let mut paged: Vec<Vec<u8>> = Vec::new();
    let mut bodies = 0;
    for _ in 0..1000 {
        let page = author
            .changes_page(dev.account, &[], paged.len(), 2_000)
            .unwrap();
        assert!(!page.changes.envelopes.is_empty(), "a page makes progress");
        bodies += page.bodies.len();
        paged.extend(
            page.changes
                .envelopes
                .iter()
                .map(kith_core::Envelope::encode),
        );
        if !page.more {
            break;
        }
    }
    assert_eq!(bodies, 120, "every post's body travels with its change");
    assert_eq!(paged, whole, "pages in order, nothing lost or repeated");

    // A change made between pages invalidates the kept answer.
    let (env, _, _) = dev.post(121_000, "post 121", None);
    author.ingest(vec![env]).unwrap();
    let page = author
        .changes_page(dev.account, &[], whole.len(), usize::MAX)
        .unwrap();
    assert!(!page.more);
    assert_eq!(page.changes.envelopes.len(), 1, "the new change is served");
}

#[test]
fn a_new_follower_sent_the_newest_changes_first_shows_them_at_once_then_converges_on_the_whole_feed()
 {
    let (_a_home, mut author, mut dev) = own_store();
    let mut ids = Vec::new();
    for t in 1..=800 {
        let (env, id, body) = dev.post(t * 1_000, &format!("post {t}"), None);
        author.ingest(vec![env]).unwrap();
        author.put_bodies(&[(id, body)]).unwrap();
        ids.push(id);
    }
    // Recent history also edits an old post, edits a new one and deletes one.
    let (env, body) = dev.edit(801_000, &ids[9], "post 10, edited");
    author.ingest(vec![env]).unwrap();
    author.put_bodies(&[(ids[9], body)]).unwrap();
    let (env, body) = dev.edit(802_000, &ids[789], "post 790, edited");
    author.ingest(vec![env]).unwrap();
    author.put_bodies(&[(ids[789], body)]).unwrap();
    author.ingest(vec![dev.delete(803_000, &ids[794])]).unwrap();

    let reader_home = tempfile::tempdir().unwrap();
    let mut reader = Store::open(reader_home.path()).unwrap();
    let recent = author.recent_changes(dev.account, 64 * 1024).unwrap();
    let n_recent = recent.changes.envelopes.len();
    assert!(
        (50..400).contains(&n_recent),
        "a budget's worth of the newest changes, not the whole feed: {n_recent}"
    );
    let report = reader
        .ingest_signed(
            &recent.changes.certificates,
            recent.changes.envelopes,
            &recent.bodies,
        )
        .unwrap();
    assert_eq!(report.accepted, n_recent);
    let first_page = |s: &Store| {
        serde_json::to_value(s.feed_posts(dev.account, 30, None).unwrap()).unwrap()["posts"].clone()
    };
    assert_eq!(
        first_page(&reader),
        first_page(&author),
        "the newest posts show at once, edited and deleted as the author has them"
    );
    assert!(reader.post(&ids[794]).unwrap().unwrap().deleted);
    assert!(
        reader.post(&ids[0]).unwrap().is_none(),
        "the oldest posts have not arrived yet"
    );

    // The rest arrives oldest first, overlapping what was sent already.
    let mut skip = 0;
    for _ in 0..100 {
        let page = author
            .changes_page(dev.account, &[], skip, 64 * 1024)
            .unwrap();
        skip += page.changes.envelopes.len();
        reader
            .ingest_signed(
                &page.changes.certificates,
                page.changes.envelopes,
                &page.bodies,
            )
            .unwrap();
        if !page.more {
            break;
        }
    }
    assert_eq!(skip, 803, "every change was paged");
    assert_eq!(
        reader.feed_heads(dev.account).unwrap(),
        author.feed_heads(dev.account).unwrap()
    );
    assert_eq!(
        reader.feed_states(&[dev.account]).unwrap()[0].changes,
        803,
        "the changes sent twice are counted once"
    );
    let all =
        |s: &Store| serde_json::to_string(&s.feed_posts(dev.account, 1000, None).unwrap()).unwrap();
    assert_eq!(all(&reader), all(&author), "both ends show the same feed");
    assert_eq!(
        reader.post(&ids[9]).unwrap().unwrap().text.as_deref(),
        Some("post 10, edited")
    );
}

#[test]
fn a_feed_synced_page_by_page_is_snapshotted_once_after_its_last_page_and_reopens_whole() {
    let (_a_home, mut author, mut dev) = own_store();
    for t in 1..=1_500 {
        let (env, id, body) = dev.post(t * 1_000, &format!("post {t}"), None);
        author.ingest(vec![env]).unwrap();
        author.put_bodies(&[(id, body)]).unwrap();
    }
    let reader_home = tempfile::tempdir().unwrap();
    let mut reader = Store::open(reader_home.path()).unwrap();
    let db = reader_home.path().join(kith_store::DB_FILE);
    let snapshot_changes = || -> i64 {
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.query_row(
            "SELECT coalesce(max(snapshot_changes), 0) FROM feeds",
            [],
            |r| r.get(0),
        )
        .unwrap()
    };

    let mut skip = 0;
    let mut pages = 0;
    for _ in 0..1_000 {
        let page = author
            .changes_page(dev.account, &[], skip, 16 * 1024)
            .unwrap();
        skip += page.changes.envelopes.len();
        pages += 1;
        let verified = kith_store::verify_envelopes(page.changes.envelopes);
        reader
            .ingest_verified_page(
                &page.changes.certificates,
                verified,
                &page.bodies,
                page.more,
            )
            .unwrap();
        if !page.more {
            break;
        }
        assert_eq!(
            snapshot_changes(),
            0,
            "no snapshot is saved while more pages follow (page {pages}, {skip} changes in)"
        );
    }
    assert!(pages > 4, "the feed took several pages: {pages}");
    assert_eq!(
        snapshot_changes(),
        1_500,
        "the last page snapshots all 1,500 changes at once"
    );

    let all = |s: &Store| {
        serde_json::to_string(&s.feed_posts(dev.account, 2_000, None).unwrap()).unwrap()
    };
    let before = all(&reader);
    assert_eq!(before, all(&author), "both ends show the same feed");
    drop(reader);
    let mut reopened = Store::open(reader_home.path()).unwrap();
    assert_eq!(
        all(&reopened),
        before,
        "the snapshot reloads the whole feed"
    );
    assert_eq!(
        reopened.feed_heads(dev.account).unwrap(),
        author.feed_heads(dev.account).unwrap()
    );
}

/// Every page of the answer for `dev`'s whole feed, in order: the encoded
/// envelopes and the bodies.
fn paged_answer(store: &mut Store, dev: &common::Device) -> (Vec<Vec<u8>>, common::Bodies) {
    let (mut envelopes, mut bodies) = (Vec::new(), Vec::new());
    for _ in 0..1000 {
        let page = store
            .changes_page(dev.account, &[], envelopes.len(), 3_000)
            .unwrap();
        envelopes.extend(
            page.changes
                .envelopes
                .iter()
                .map(kith_core::Envelope::encode),
        );
        bodies.extend(page.bodies);
        if !page.more {
            break;
        }
    }
    (envelopes, bodies)
}

#[test]
fn a_whole_feed_is_answered_alike_whether_its_rows_are_read_in_one_pass_or_one_by_one() {
    // Alone in a store, the feed's signatures and bodies are read in one
    // pass; beside a feed eight times its size, one lookup each.
    let (dev, envs, bodies) = common::hello_feed(40, true);
    let (big, big_envs, big_bodies) = common::hello_feed(400, false);
    let alone_home = tempfile::tempdir().unwrap();
    let mut alone = Store::open(alone_home.path()).unwrap();
    alone
        .ingest_signed(std::slice::from_ref(&dev.cert), envs.clone(), &bodies)
        .unwrap();
    let shared_home = tempfile::tempdir().unwrap();
    let mut shared = Store::open(shared_home.path()).unwrap();
    shared
        .ingest_signed(std::slice::from_ref(&big.cert), big_envs, &big_bodies)
        .unwrap();
    shared
        .ingest_signed(std::slice::from_ref(&dev.cert), envs.clone(), &bodies)
        .unwrap();

    let scanned = paged_answer(&mut alone, &dev);
    let looked_up = paged_answer(&mut shared, &dev);
    assert_eq!(scanned.0.len(), envs.len(), "every change is answered");
    assert_eq!(
        scanned.0, looked_up.0,
        "the same envelopes, in the same order"
    );
    assert_eq!(scanned.1, looked_up.1, "the same bodies, on the same pages");
    let live = bodies.len();
    assert!(
        scanned.1.len() >= live,
        "every live post's body travels ({} sent, {live} live)",
        scanned.1.len()
    );
    assert_eq!(
        alone
            .signed_changes(dev.account, &[])
            .unwrap()
            .envelopes
            .len(),
        envs.len()
    );
}

#[test]
fn an_answer_a_peer_stopped_paging_through_is_forgotten_once_older_than_asked_and_rebuilt_alike() {
    let (dev, envs, bodies) = common::hello_feed(30, false);
    let home = tempfile::tempdir().unwrap();
    let mut store = Store::open(home.path()).unwrap();
    store
        .ingest_signed(std::slice::from_ref(&dev.cert), envs, &bodies)
        .unwrap();
    let first = store.changes_page(dev.account, &[], 0, 2_000).unwrap();
    assert!(first.more, "the answer has more pages, so it is kept");
    assert!(
        !store.forget_answers_older_than(kith_store::ANSWER_KEPT_FOR),
        "a fresh answer is kept"
    );
    assert!(
        store.forget_answers_older_than(std::time::Duration::ZERO),
        "an answer older than asked is forgotten"
    );
    assert!(
        !store.forget_answers_older_than(std::time::Duration::ZERO),
        "nothing is left to forget"
    );
    // The next page is rebuilt: the same order, nothing lost or repeated.
    let whole = paged_answer(&mut store, &dev).0;
    let second = store
        .changes_page(dev.account, &[], first.changes.envelopes.len(), 2_000)
        .unwrap();
    let skip = first.changes.envelopes.len();
    assert_eq!(
        second
            .changes
            .envelopes
            .iter()
            .map(kith_core::Envelope::encode)
            .collect::<Vec<_>>(),
        whole[skip..skip + second.changes.envelopes.len()],
        "a page after forgetting continues the same answer"
    );
}
