//! A whole feed synced from a seed by its seals (`Store::seals`,
//! `Seed::rebuild`, `Rebuilt::envelopes`): the receiver rebuilds the
//! changes from the sender's snapshot and is sent only their signatures
//! and the posts' bodies.
#![allow(clippy::unwrap_used)]

mod common;

use common::{Device, hello_feed, receiver, reference, seed_sender as sender, shown};
use kith_store::{DB_FILE, Seed, Store};

/// Puts `answer`'s seals on `rebuilt`'s changes and stores them in `b`
/// as one verified page.
fn store_sealed(
    b: &mut Store,
    rebuilt: &mut kith_store::Rebuilt,
    answer: kith_store::Seals,
    more_pages_follow: bool,
) -> kith_store::Result<kith_store::IngestReport> {
    let sealed = rebuilt
        .envelopes(&answer.certificates, answer.seals)
        .unwrap();
    b.ingest_verified_page(
        &answer.certificates,
        kith_store::verify_sealed(sealed, false),
        &answer.bodies,
        more_pages_follow,
    )
}

/// How many change rows the receiver holds for any feed.
fn change_rows(home: &std::path::Path) -> i64 {
    let conn = rusqlite::Connection::open(home.join(DB_FILE)).unwrap();
    conn.query_row("SELECT count(*) FROM changes", [], |r| r.get(0))
        .unwrap()
}

#[test]
fn a_feed_synced_by_seals_alone_shows_what_applying_every_change_shows() {
    let (dev, envs, bodies) = hello_feed(1_500, true);
    let (_a, mut a, offered) = sender(&dev, &envs, &bodies);
    let (home, mut b) = receiver(&dev);
    let mut seed = Seed::load(dev.account, offered.clone()).unwrap();
    let mut rebuilt = seed.rebuild();
    assert_eq!(
        rebuilt.len(),
        envs.len(),
        "every change rebuilt from the snapshot"
    );
    assert!(b.plant_seed(seed).unwrap());
    let requests: Vec<_> = std::iter::from_fn(|| rebuilt.next_request(500)).collect();
    assert!(
        requests.len() >= 4,
        "asked in pages of at most 500: {}",
        requests.len()
    );
    let mut bodies_sent = 0;
    for (i, asked) in requests.iter().enumerate() {
        assert!(asked.hashes.len() <= 500 && asked.posts.len() <= 500);
        let answer = a
            .seals(dev.account, &asked.hashes, &asked.posts, 4 << 20)
            .unwrap();
        assert!(!answer.more_bodies, "short bodies all fit");
        assert_eq!(
            answer.seals.len(),
            asked.hashes.len(),
            "a seal for every change asked"
        );
        bodies_sent += answer.bodies.len();
        store_sealed(&mut b, &mut rebuilt, answer, i + 1 < requests.len()).unwrap();
    }
    assert_eq!(bodies_sent, bodies.len(), "each live post's body sent once");
    // Edited posts included: a page holding both a post's first version
    // and its edit gives the post its row only once the seed is trusted,
    // and its body, sent with that page, waits for it.
    assert!(
        shown(&b, &dev) == reference(&dev, &envs, &bodies),
        "the seals sync shows what storing every change shows"
    );
    assert_eq!(
        b.feed_heads(dev.account).unwrap(),
        Some(dev.doc.heads()),
        "the seed is trusted"
    );
    let served = b.signed_changes(dev.account, &[]).unwrap().envelopes;
    assert_eq!(
        served.len(),
        envs.len(),
        "the rebuilt envelopes are served on, as the sender signed them"
    );
    let mut sent = envs.clone();
    let mut rebuilt_envs = served;
    sent.sort_by_key(|e| e.signature);
    rebuilt_envs.sort_by_key(|e| e.signature);
    assert!(
        sent == rebuilt_envs,
        "byte for byte the envelopes the author signed"
    );
    drop(b);
    assert!(change_rows(home.path()) > 0);
}

#[test]
fn a_forged_seal_fails_verification_and_the_page_stores_nothing() {
    let (dev, envs, bodies) = hello_feed(400, false);
    let (_a, mut a, offered) = sender(&dev, &envs, &bodies);
    let (home, mut b) = receiver(&dev);
    let mut seed = Seed::load(dev.account, offered).unwrap();
    let mut rebuilt = seed.rebuild();
    assert!(b.plant_seed(seed).unwrap());
    let asked = rebuilt.next_request(8192).unwrap();
    let mut answer = a
        .seals(dev.account, &asked.hashes, &asked.posts, 4 << 20)
        .unwrap();
    answer.seals[17].signature[5] ^= 0x40;
    let refused = store_sealed(&mut b, &mut rebuilt, answer, false);
    assert!(refused.is_err(), "one forged signature refuses the page");
    drop(b);
    assert_eq!(
        change_rows(home.path()),
        0,
        "nothing of the page was stored"
    );
}

#[test]
fn a_seal_naming_a_certificate_the_answer_lacks_is_malformed() {
    let (dev, envs, bodies) = hello_feed(300, false);
    let (_a, mut a, offered) = sender(&dev, &envs, &bodies);
    let mut rebuilt = Seed::load(dev.account, offered).unwrap().rebuild();
    let asked = rebuilt.next_request(8192).unwrap();
    let mut answer = a
        .seals(dev.account, &asked.hashes, &asked.posts, 4 << 20)
        .unwrap();
    answer.seals[0].cert = 3;
    let Err(err) = rebuilt.envelopes(&answer.certificates, answer.seals) else {
        panic!("a seal naming certificate 3 of 1 was taken");
    };
    assert!(err.to_string().contains("certificate"), "{err}");
    let (_, other) = Device::new_account();
    let none = rebuilt
        .envelopes(std::slice::from_ref(&other.cert), vec![])
        .map(|e| e.len());
    assert_eq!(none.ok(), Some(0), "no seals, no envelopes");
}

#[test]
fn seals_leave_out_changes_the_sender_lacks_and_bodies_past_the_budget() {
    let (dev, envs, bodies) = hello_feed(300, false);
    let (_a, mut a, offered) = sender(&dev, &envs, &bodies);
    let mut rebuilt = Seed::load(dev.account, offered).unwrap().rebuild();
    let mut asked = rebuilt.next_request(8192).unwrap();
    assert_eq!(asked.posts.len(), 300, "every post asked for once");
    let unknown = automerge::ChangeHash([9; 32]);
    asked.hashes.insert(3, unknown);
    let answer = a
        .seals(dev.account, &asked.hashes, &asked.posts, 4 << 20)
        .unwrap();
    assert_eq!(
        answer.seals.len(),
        envs.len(),
        "the unknown change left out"
    );
    assert!(answer.seals.iter().all(|s| s.hash != unknown));
    let order: Vec<_> = answer.seals.iter().map(|s| s.hash).collect();
    let mut expected = asked.hashes.clone();
    expected.retain(|h| *h != unknown);
    assert_eq!(order, expected, "in the order asked");
    let ten: usize = bodies[..10].iter().map(|(_, b)| b.len() + 48).sum();
    let answer = a
        .seals(dev.account, &asked.hashes, &asked.posts, ten)
        .unwrap();
    assert_eq!(
        answer.bodies.len(),
        10,
        "only the bodies that fit the budget"
    );
    assert!(answer.more_bodies, "and it says some were left out");
    let left = kith_store::posts_not_reached(&asked.posts, &answer.bodies);
    assert_eq!(
        left,
        asked.posts[10..],
        "the posts after the last body sent"
    );
    let (_, stranger) = Device::new_account();
    let none = a
        .seals(stranger.account, &asked.hashes, &asked.posts, 4 << 20)
        .unwrap();
    assert!(
        none.seals.is_empty() && none.bodies.is_empty(),
        "a feed it does not hold has no seals"
    );
}

#[test]
fn a_change_parsed_beforehand_stands_in_for_parsing_only_if_its_bytes_are_the_envelopes() {
    let (_, envs, _) = hello_feed(2, false);
    let first = envs[0].parse_change().unwrap();
    assert!(envs[0].check_parsed_change(first.clone()).is_ok());
    let err = envs[1].check_parsed_change(first).unwrap_err();
    assert!(err.to_string().contains("not the envelope's"), "{err}");
}

#[test]
fn bodies_past_an_answers_budget_are_asked_for_again_and_every_post_keeps_its_words() {
    // 600 posts of ~7,000 bytes: a request's bodies are ~4.2 MB, past the
    // 4 MiB an answer holds.
    let (_, mut dev) = Device::new_account();
    let (mut envs, mut bodies) = (Vec::new(), Vec::new());
    for t in 1..=600 {
        let text = format!("post{t} hello {}", "long words ".repeat(636));
        let (env, id, body) = dev.post(t * 1_000, &text, None);
        envs.push(env);
        bodies.push((id, body));
    }
    let (_a, mut a, offered) = sender(&dev, &envs, &bodies);
    let (_home, mut b) = receiver(&dev);
    let mut seed = Seed::load(dev.account, offered).unwrap();
    let mut rebuilt = seed.rebuild();
    assert!(b.plant_seed(seed).unwrap());
    let asked = rebuilt.next_request(8192).unwrap();
    assert!(
        rebuilt.next_request(8192).is_none(),
        "one request holds them all"
    );
    let mut answer = a
        .seals(dev.account, &asked.hashes, &asked.posts, 4 << 20)
        .unwrap();
    assert!(
        answer.more_bodies && answer.bodies.len() < 600,
        "cut at the budget"
    );
    let mut left = kith_store::posts_not_reached(&asked.posts, &answer.bodies);
    let mut rounds = 0;
    while answer.more_bodies && rounds < 10 {
        rounds += 1;
        let more = a.seals(dev.account, &[], &left, 4 << 20).unwrap();
        assert!(more.seals.is_empty(), "no change asked, no seal");
        left = kith_store::posts_not_reached(&left, &more.bodies);
        answer.more_bodies = more.more_bodies;
        answer.bodies.extend(more.bodies);
    }
    assert_eq!(
        answer.bodies.len(),
        600,
        "every body came, in {rounds} more answers"
    );
    store_sealed(&mut b, &mut rebuilt, answer, false).unwrap();
    assert!(
        shown(&b, &dev) == reference(&dev, &envs, &bodies),
        "every post shows its words"
    );
}

#[test]
fn seals_read_ahead_are_read_again_once_the_feed_has_changed() {
    let (dev, envs, bodies) = hello_feed(400, false);
    let (first, later) = envs.split_at(300);
    let (_a, mut a, _) = sender(&dev, first, &bodies);
    assert!(a.prepare_seals(dev.account).unwrap(), "read ahead");
    a.ingest_signed(std::slice::from_ref(&dev.cert), later.to_vec(), &bodies)
        .unwrap();
    let newest: Vec<_> = later
        .iter()
        .map(|e| e.parse_change().unwrap().hash())
        .collect();
    let answer = a.seals(dev.account, &newest, &[], 4 << 20).unwrap();
    assert_eq!(
        answer.seals.len(),
        newest.len(),
        "changes stored after the read ahead have their seals"
    );
}
