//! Moderation in the store: blocking purges and refuses a feed, mutes and
//! muted words hide posts from views, subscribed lists hide or cover, and
//! reports are verified and kept per list.
#![allow(clippy::unwrap_used)]

mod common;

use common::{Device, files_containing, own_store, store_post as post};
use kith_core::ListId;
use kith_core::feed::{FeedKey, FeedValue, Write};
use kith_core::moderation::{Label, Labels, ListEntry, Target};
use kith_core::report::Report;
use kith_store::{ModAction, Store};

const WORDS: &str = "qxjvbrk-harassing-words";

fn follow(store: &mut Store, me: &mut Device, t: i64, whom: &Device) {
    let env = me.write(
        t,
        &[Write::Put(
            FeedKey::Follow(whom.account),
            FeedValue::Timestamp(t),
        )],
    );
    store.ingest(vec![env]).unwrap();
}

#[test]
fn public_block_purges_the_feed_from_every_store_file_and_refuses_it_afterwards() {
    let (home, mut store, mut me) = own_store();
    let (_, mut c) = Device::new_account();
    follow(&mut store, &mut me, 1, &c);
    let id = post(&mut store, &mut c, 10, WORDS);
    assert_eq!(store.timeline(10, None).unwrap().posts.len(), 1);
    store.checkpoint().unwrap();
    assert!(!files_containing(home.path(), WORDS.as_bytes()).is_empty());

    let block = me.write(
        20,
        &[
            Write::Put(FeedKey::Block(c.account), FeedValue::Timestamp(20)),
            Write::Delete(FeedKey::Follow(c.account)),
        ],
    );
    store.ingest(vec![block]).unwrap();
    store.checkpoint().unwrap();
    assert!(store.is_blocked(c.account).unwrap());
    assert!(store.timeline(10, None).unwrap().posts.is_empty());
    assert_eq!(matches(&store, "harassing"), 0);
    assert!(store.post(&id).unwrap().is_none());
    let found = files_containing(home.path(), WORDS.as_bytes());
    assert!(found.is_empty(), "blocked words still on disk in {found:?}");
    assert!(!store.feeds().unwrap().iter().any(|(a, _)| *a == c.account));

    // What the blocked account writes next is not stored, and not an error.
    let (env, _, _) = c.post(30, "more of the same", None);
    let report = store
        .ingest_signed(std::slice::from_ref(&c.cert), vec![env], &[])
        .unwrap();
    assert_eq!((report.accepted, report.blocked), (0, 1));
    assert!(store.feeds().unwrap().iter().all(|(a, _)| *a != c.account));
    let profile = store.profile(c.account).unwrap();
    assert!(profile.blocked && profile.posts == 0);
}

#[test]
fn blocking_a_prolific_account_purges_hundreds_of_posts_from_every_store_file() {
    let (home, mut store, mut me) = own_store();
    let (_, mut b) = Device::new_account();
    let (_, mut c) = Device::new_account();
    follow(&mut store, &mut me, 1, &b);
    follow(&mut store, &mut me, 2, &c);
    // More than the row-by-row threshold, sharing words with B's posts.
    for i in 0..300 {
        post(
            &mut store,
            &mut c,
            10 + i,
            &format!("{WORDS} number {i} shared"),
        );
        if i % 10 == 0 {
            post(&mut store, &mut b, 10 + i, &format!("kept post {i} shared"));
        }
    }
    store.checkpoint().unwrap();
    assert!(!files_containing(home.path(), WORDS.as_bytes()).is_empty());
    assert!(
        !files_containing(home.path(), b"jvbrk").is_empty(),
        "the index holds the token"
    );
    store.set_private_block(c.account, true, 1000).unwrap();
    // The whole text, and the unique token as the search index keeps it
    // (terms are stored prefix-compressed, so look for its tail).
    for needle in [WORDS.as_bytes(), b"jvbrk"] {
        let found = files_containing(home.path(), needle);
        assert!(found.is_empty(), "blocked words still on disk in {found:?}");
    }
    assert_eq!(matches(&store, "harassing"), 0);
    // B's posts are untouched and still found.
    assert_eq!(matches(&store, "shared"), 30);
    assert_eq!(store.timeline(100, None).unwrap().posts.len(), 30);
}

#[test]
fn private_block_purges_and_unblock_lets_the_feed_back_in() {
    let (home, mut store, mut me) = own_store();
    let (_, mut c) = Device::new_account();
    follow(&mut store, &mut me, 1, &c);
    store
        .add_certificates(std::slice::from_ref(&c.cert))
        .unwrap();
    let (first, first_id, first_body) = c.post(10, WORDS, None);
    store.ingest(vec![first.clone()]).unwrap();
    store.put_bodies(&[(first_id, first_body)]).unwrap();
    store.set_private_block(c.account, true, 20).unwrap();
    assert!(files_containing(home.path(), WORDS.as_bytes()).is_empty());
    assert!(store.marks().unwrap().blocks[0].target == c.account.to_string());
    assert!(!store.marks().unwrap().blocks[0].public);

    store.set_private_block(c.account, false, 30).unwrap();
    // A peer sends the whole feed again (the first change had been purged).
    let (env, id, body) = c.post(40, "after the unblock", None);
    store
        .ingest_signed(
            std::slice::from_ref(&c.cert),
            vec![first, env],
            &[(id, body)],
        )
        .unwrap();
    assert_eq!(
        store.post(&id).unwrap().unwrap().text.as_deref(),
        Some("after the unblock")
    );
}

#[test]
fn muted_account_and_muted_word_leave_the_timeline_and_search_but_stay_stored() {
    let (_home, mut store, mut me) = own_store();
    let (_, mut b) = Device::new_account();
    let (_, mut c) = Device::new_account();
    follow(&mut store, &mut me, 1, &b);
    follow(&mut store, &mut me, 2, &c);
    post(&mut store, &mut b, 10, "talking about #Crypto again");
    post(&mut store, &mut b, 11, "a walk in the park");
    let muted = post(&mut store, &mut c, 12, "loud opinions");
    assert_eq!(store.timeline(10, None).unwrap().posts.len(), 3);

    store.set_private_mute(c.account, true, 20).unwrap();
    let env = me.write(
        21,
        &[Write::Put(
            FeedKey::MutedWord("crypto".into()),
            FeedValue::Timestamp(21),
        )],
    );
    store.ingest(vec![env]).unwrap();
    let tl = store.timeline(10, None).unwrap();
    assert_eq!(tl.posts.len(), 1, "{tl:?}");
    assert_eq!(tl.posts[0].text.as_deref(), Some("a walk in the park"));
    assert_eq!(matches(&store, "crypto"), 0);
    // Still stored (and so still relayed), shown with its reason in a thread.
    let thread = store.thread(&muted).unwrap();
    let note = thread.posts[0].moderation.clone().unwrap();
    assert_eq!(note.action, ModAction::Hide);
    assert_eq!(note.reasons, vec!["you muted this account".to_owned()]);
    assert!(thread.posts[0].text.is_none());
    let marks = store.marks().unwrap();
    assert_eq!(marks.words[0].target, "crypto");
    assert!(marks.words[0].public);
}

#[test]
fn a_subscribed_list_hides_or_covers_by_label_and_says_which_list() {
    let (_home, mut store, mut me) = own_store();
    let (_, mut l) = Device::new_account();
    let (_, mut c) = Device::new_account();
    follow(&mut store, &mut me, 1, &c);
    post(&mut store, &mut c, 10, "buy cheap followers");
    store
        .add_certificates(std::slice::from_ref(&l.cert))
        .unwrap();
    let list = ListId {
        owner: l.account,
        local: [7; 8],
    };
    let entry = ListEntry {
        labels: Labels::of([Label::Spam]),
        created_at: 5,
        reason: "bulk adverts".into(),
    };
    let env = l.write(
        5,
        &[
            Write::Put(
                FeedKey::List(list.local),
                FeedValue::Str("Spam watch".into()),
            ),
            Write::Put(
                FeedKey::ListEntry(list.local, Target::Account(c.account)),
                FeedValue::Bytes(entry.encode()),
            ),
        ],
    );
    store.ingest(vec![env]).unwrap();
    // Not subscribed: the list changes nothing.
    assert_eq!(store.timeline(10, None).unwrap().posts.len(), 1);

    store
        .subscribe_list(list, Labels::of([Label::Spam]), Labels::default(), 6)
        .unwrap();
    assert!(store.timeline(10, None).unwrap().posts.is_empty());
    let profile = store.profile(c.account).unwrap();
    assert_eq!(
        profile.moderation.unwrap().reasons,
        vec!["hidden by list “Spam watch”: spam — bulk adverts".to_owned()]
    );

    store
        .subscribe_list(list, Labels::default(), Labels::of([Label::Spam]), 7)
        .unwrap();
    let tl = store.timeline(10, None).unwrap();
    let note = tl.posts[0].moderation.clone().unwrap();
    assert_eq!(note.action, ModAction::Warn);
    assert!(note.reasons[0].starts_with("covered by list “Spam watch”: spam"));
    assert_eq!(store.subscribed_list_owners().unwrap(), vec![l.account]);
    let view = store.list(list).unwrap();
    assert_eq!(
        (view.name.as_deref(), view.entries),
        (Some("Spam watch"), 1)
    );
    assert_eq!(view.warn, vec!["spam".to_owned()]);
}

#[test]
fn timeline_pages_fill_past_hidden_posts_and_the_cursor_goes_on() {
    let (_home, mut store, mut me) = own_store();
    let (_, mut b) = Device::new_account();
    follow(&mut store, &mut me, 1, &b);
    for i in 0..30 {
        let text = if i % 3 == 0 {
            format!("visible {i}")
        } else {
            format!("noise {i}")
        };
        post(&mut store, &mut b, 100 + i, &text);
    }
    store.set_private_muted_word("noise", true, 1).unwrap();
    let mut seen = Vec::new();
    let mut before: Option<String> = None;
    for _ in 0..20 {
        let page = store.timeline(4, before.as_deref()).unwrap();
        seen.extend(page.posts.iter().map(|p| p.text.clone().unwrap()));
        match page.next {
            Some(n) => before = Some(n),
            None => break,
        }
    }
    assert_eq!(seen.len(), 10, "{seen:?}");
    assert!(seen.iter().all(|t| t.starts_with("visible")));
}

#[test]
fn reports_are_verified_kept_once_and_only_for_own_lists() {
    let (_home, mut store, mut me) = own_store();
    let (_, reporter) = Device::new_account();
    let list = ListId {
        owner: me.account,
        local: [1; 8],
    };
    let env = me.write(
        1,
        &[Write::Put(
            FeedKey::List(list.local),
            FeedValue::Str("Mine".into()),
        )],
    );
    store.ingest(vec![env]).unwrap();
    let report = Report {
        reporter: reporter.account,
        list,
        target: Target::Account(reporter.account),
        labels: Labels::of([Label::Violence]),
        created_at: 2,
        text: "threats".into(),
    };
    let signed = report.sign(&reporter.key, &reporter.cert).unwrap();
    assert!(store.receive_report(&report, &signed, 3).unwrap());
    assert!(!store.receive_report(&report, &signed, 4).unwrap());
    let inbox = store.inbox(false).unwrap();
    assert_eq!(inbox.len(), 1);
    assert_eq!(inbox[0].labels, vec!["violence".to_owned()]);
    store
        .set_report_status(&inbox[0].id[..10], "accepted")
        .unwrap();
    assert!(store.inbox(false).unwrap().is_empty());
    assert_eq!(store.inbox(true).unwrap()[0].status, "accepted");

    let elsewhere = Report {
        list: ListId {
            owner: reporter.account,
            local: [1; 8],
        },
        ..report
    };
    let signed = elsewhere.sign(&reporter.key, &reporter.cert).unwrap();
    assert!(store.receive_report(&elsewhere, &signed, 5).is_err());
}

#[test]
fn follows_of_follows_policy_carries_friends_feeds_but_never_a_blocked_one() {
    let (_home, mut store, mut me) = own_store();
    let (_, mut b) = Device::new_account();
    let (_, c) = Device::new_account();
    let (_, d) = Device::new_account();
    let (_, l) = Device::new_account();
    follow(&mut store, &mut me, 1, &b);
    // B follows C and D (B's feed is held because A follows B).
    store
        .add_certificates(std::slice::from_ref(&b.cert))
        .unwrap();
    let env = b.write(
        2,
        &[
            Write::Put(FeedKey::Follow(c.account), FeedValue::Timestamp(2)),
            Write::Put(FeedKey::Follow(d.account), FeedValue::Timestamp(2)),
        ],
    );
    store.ingest(vec![env]).unwrap();
    let list = ListId {
        owner: l.account,
        local: [1; 8],
    };
    store
        .subscribe_list(list, Labels::of([Label::Spam]), Labels::default(), 3)
        .unwrap();
    let carried = store.carried_feeds().unwrap();
    assert_eq!(
        carried,
        vec![me.account, b.account, l.account],
        "follows only"
    );

    let mut policy = store.policy().unwrap();
    policy.scope = kith_store::Scope::FollowsOfFollows;
    store.set_policy(policy).unwrap();
    store.set_private_block(d.account, true, 4).unwrap();
    let carried = store.carried_feeds().unwrap();
    assert!(carried.contains(&c.account), "{carried:?}");
    assert!(
        !carried.contains(&d.account),
        "a blocked feed is never carried"
    );
    assert_eq!(
        store.policy().unwrap().scope,
        kith_store::Scope::FollowsOfFollows
    );
}

/// How many posts a search for `query` finds (up to 500).
fn matches(store: &Store, query: &str) -> usize {
    store.search(query, 500, None).unwrap().posts.len()
}
