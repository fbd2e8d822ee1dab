//! The activity of the home's account: replies, mentions, quotes, reposts
//! and reactions by others, newest first, paged, judged by moderation, and
//! counted as unread until seen.
#![allow(clippy::unwrap_used)]

mod common;

use common::{Device, own_store, store_name, store_reply as post};
use kith_core::feed::{FeedKey, FeedValue, Write};
use kith_core::{Body, PostId, PostRecord};
use kith_store::{ActivityKind, MAX_UNREAD, Store};

/// Stores `dev`'s quote of `of` (a repost when `text` is `None`).
fn quote(store: &mut Store, dev: &mut Device, t: i64, of: PostId, text: Option<&str>) -> PostId {
    store
        .add_certificates(std::slice::from_ref(&dev.cert))
        .unwrap();
    let body = text.map(|t| Body::new(t, None).unwrap());
    let local = (t as u64).to_be_bytes();
    let record = PostRecord {
        created_at: t,
        body_hash: body.as_ref().map(Body::hash),
        quote_of: Some(of),
        ..PostRecord::default()
    };
    let env = dev.write(
        t,
        &[Write::Put(
            FeedKey::Post(local),
            FeedValue::Bytes(record.encode()),
        )],
    );
    let id = PostId {
        author: dev.account,
        local,
    };
    store.ingest(vec![env]).unwrap();
    if let Some(b) = body {
        store.put_bodies(&[(id, b.encode())]).unwrap();
    }
    id
}

fn react(store: &mut Store, dev: &mut Device, t: i64, to: PostId, emoji: &str) {
    store
        .add_certificates(std::slice::from_ref(&dev.cert))
        .unwrap();
    let env = dev.write(
        t,
        &[Write::Put(
            FeedKey::Reaction(to, emoji.to_owned()),
            FeedValue::Timestamp(t),
        )],
    );
    store.ingest(vec![env]).unwrap();
}

fn kinds(store: &Store) -> Vec<(ActivityKind, i64)> {
    store
        .activity(50, None)
        .unwrap()
        .items
        .iter()
        .map(|i| (i.kind, i.at))
        .collect()
}

#[test]
fn replies_mentions_quotes_reposts_and_reactions_by_others_are_listed_newest_first() {
    let (_home, mut store, mut me) = own_store();
    let (_, mut bea) = Device::new_account();
    let (_, mut cy) = Device::new_account();
    let mine = post(&mut store, &mut me, 10, "my first post", None);
    // Not activity: own replies and reactions, others' posts naming nobody.
    post(&mut store, &mut me, 11, "replying to myself", Some(mine));
    react(&mut store, &mut me, 12, mine, "👍");
    post(&mut store, &mut bea, 13, "just a post", None);

    post(&mut store, &mut bea, 20, "a reply", Some(mine));
    post(
        &mut store,
        &mut cy,
        30,
        &format!("hello @{} and friends", me.account),
        None,
    );
    quote(&mut store, &mut bea, 40, mine, Some("look at this"));
    quote(&mut store, &mut cy, 50, mine, None);
    react(&mut store, &mut bea, 60, mine, "❤️");
    // A reply that also mentions is listed once, as a reply.
    post(
        &mut store,
        &mut cy,
        70,
        &format!("@{} yes", me.account),
        Some(mine),
    );

    assert_eq!(
        kinds(&store),
        vec![
            (ActivityKind::Reply, 70),
            (ActivityKind::Reaction, 60),
            (ActivityKind::Repost, 50),
            (ActivityKind::Quote, 40),
            (ActivityKind::Mention, 30),
            (ActivityKind::Reply, 20),
        ]
    );
    let page = store.activity(50, None).unwrap();
    let reaction = &page.items[1];
    assert_eq!(reaction.actor, bea.account);
    assert_eq!(reaction.reaction.as_deref(), Some("❤️"));
    assert!(reaction.post.is_none());
    assert_eq!(reaction.target.as_ref().unwrap().id, mine);
    let mention = &page.items[4];
    assert_eq!(mention.actor, cy.account);
    assert!(mention.target.is_none());
    let text = mention.post.as_ref().unwrap();
    assert_eq!(text.mentions.len(), 1, "the post names who it mentions");
    assert_eq!(text.mentions[0].account, me.account);
    let repost = &page.items[2];
    assert!(repost.post.as_ref().unwrap().text.is_none());
    assert_eq!(
        repost.target.as_ref().unwrap().text.as_deref(),
        Some("my first post")
    );
}

#[test]
fn the_id_without_an_at_sign_or_in_another_account_is_not_a_mention() {
    let (_home, mut store, me) = own_store();
    let (_, mut bea) = Device::new_account();
    let (_, other) = Device::new_account();
    post(
        &mut store,
        &mut bea,
        10,
        &format!("my id is {}", me.account),
        None,
    );
    post(
        &mut store,
        &mut bea,
        11,
        &format!("hi @{}", other.account),
        None,
    );
    post(
        &mut store,
        &mut bea,
        12,
        &format!("hi @{}x", me.account),
        None,
    );
    assert_eq!(kinds(&store), vec![]);
}

#[test]
fn pages_follow_each_other_without_gaps_or_repeats() {
    let (_home, mut store, mut me) = own_store();
    let (_, mut bea) = Device::new_account();
    let mine = post(&mut store, &mut me, 1, "mine", None);
    // Same times across kinds, to test the cursor's tie-breaks.
    for t in 0..7 {
        post(
            &mut store,
            &mut bea,
            100 + t,
            &format!("reply {t}"),
            Some(mine),
        );
        react(&mut store, &mut bea, 100 + t, mine, &format!("r{t}"));
    }
    let mut seen = Vec::new();
    let mut before: Option<String> = None;
    for _ in 0..20 {
        let page = store.activity(3, before.as_deref()).unwrap();
        seen.extend(
            page.items
                .iter()
                .map(|i| (i.at, i.kind, i.reaction.clone())),
        );
        match page.next {
            Some(n) => before = Some(n),
            None => break,
        }
    }
    assert_eq!(seen.len(), 14, "{seen:?}");
    let mut unique = seen.clone();
    unique.dedup();
    assert_eq!(unique.len(), 14, "no item twice: {seen:?}");
    assert!(seen.windows(2).all(|w| w[0].0 >= w[1].0), "newest first");
    assert!(store.activity(3, Some("not a cursor")).is_err());
    assert!(store.activity(3, Some("1.2.zz")).is_err());
}

#[test]
fn muted_accounts_deleted_replies_and_reactions_to_deleted_posts_are_left_out() {
    let (_home, mut store, mut me) = own_store();
    let (_, mut bea) = Device::new_account();
    let (_, mut cy) = Device::new_account();
    let mine = post(&mut store, &mut me, 1, "mine", None);
    let gone = post(&mut store, &mut me, 2, "soon deleted", None);
    post(&mut store, &mut bea, 10, "from bea", Some(mine));
    react(&mut store, &mut bea, 11, mine, "👍");
    let reply = post(&mut store, &mut cy, 12, "from cy", Some(mine));
    react(&mut store, &mut cy, 13, gone, "👍");
    assert_eq!(kinds(&store).len(), 4);

    store.set_private_mute(bea.account, true, 20).unwrap();
    let env = cy.delete(21, &reply);
    store.ingest(vec![env]).unwrap();
    let env = me.delete(22, &gone);
    store.ingest(vec![env]).unwrap();
    assert_eq!(
        kinds(&store),
        vec![],
        "muted, deleted, and on a deleted post"
    );
    assert_eq!(store.activity_unread().unwrap(), 0);
}

#[test]
fn unread_counts_items_newer_than_the_seen_mark_which_never_moves_back() {
    let (_home, mut store, mut me) = own_store();
    let (_, mut bea) = Device::new_account();
    assert_eq!(store.activity_unread().unwrap(), 0, "an empty home");
    let mine = post(&mut store, &mut me, 1, "mine", None);
    post(&mut store, &mut bea, 10, "one", Some(mine));
    post(&mut store, &mut bea, 20, "two", Some(mine));
    assert_eq!(store.activity_unread().unwrap(), 2);
    store.set_activity_seen(20).unwrap();
    assert_eq!(store.activity_unread().unwrap(), 0);
    store.set_activity_seen(10).unwrap();
    assert_eq!(
        store.activity_seen().unwrap(),
        20,
        "the mark never moves back"
    );
    post(&mut store, &mut bea, 30, "three", Some(mine));
    assert_eq!(store.activity_unread().unwrap(), 1);
    for t in 0..(i64::from(MAX_UNREAD) + 10) {
        react(&mut store, &mut bea, 100 + t, mine, &format!("r{t}"));
    }
    assert_eq!(
        store.activity_unread().unwrap(),
        MAX_UNREAD,
        "counted up to the cap"
    );
}

#[test]
fn people_are_found_by_any_part_of_their_name_followed_first_and_never_muted_or_self() {
    let (_home, mut store, mut me) = own_store();
    store_name(&mut store, &mut me, 1, "Ada Lovelace");
    let mut people: Vec<Device> = (0..6).map(|_| Device::new_account().1).collect();
    for (i, n) in [
        "Bea",
        "Adam",
        "Zadie",
        "Muted Adele",
        "100%_ada",
        "Élodie Jean-Luc",
    ]
    .iter()
    .enumerate()
    {
        store_name(&mut store, &mut people[i], 2, n);
    }
    let zadie = people[2].account;
    let env = me.write(
        3,
        &[Write::Put(FeedKey::Follow(zadie), FeedValue::Timestamp(3))],
    );
    store.ingest(vec![env]).unwrap();
    store.set_private_mute(people[3].account, true, 4).unwrap();

    let names = |q: &str| -> Vec<String> {
        store
            .people_named(q, 8)
            .unwrap()
            .into_iter()
            .map(|p| p.name)
            .collect()
    };
    // Followed first, then names starting with the query, then the rest.
    assert_eq!(names("ad"), ["Zadie", "Adam", "100%_ada"]);
    assert_eq!(names("ADA"), ["Adam", "100%_ada"], "case ignored");
    assert_eq!(names("%"), ["100%_ada"], "LIKE wildcards are literal");
    assert_eq!(names("%_"), ["100%_ada"]);
    assert_eq!(names("")[0], "Zadie", "no query: followed first");
    assert!(
        !names("").contains(&"Ada Lovelace".to_owned()),
        "never oneself"
    );
    assert!(names("nobody").is_empty());
    assert_eq!(
        names("elo"),
        ["Élodie Jean-Luc"],
        "a word's beginning, accents ignored"
    );
    assert_eq!(names("ÉLODIE"), ["Élodie Jean-Luc"], "case of any letter");
    assert_eq!(names("jean l"), ["Élodie Jean-Luc"], "words in a row");
    assert_eq!(names("odie"), ["Élodie Jean-Luc"], "any part as written");
    assert!(names("\"\u{0}*").is_empty(), "query syntax is plain text");
    assert_eq!(
        store.people_named("", 2).unwrap().len(),
        2,
        "at most the limit"
    );
    assert!(store.people_named("ad", 8).unwrap()[0].followed);
}

#[test]
fn a_reply_names_the_author_it_answers_when_known_and_gives_the_account_always() {
    let (_home, mut store, mut me) = own_store();
    let (_, mut bea) = Device::new_account();
    let (_, mut stranger) = Device::new_account();
    store_name(&mut store, &mut me, 1, "Ada");
    let mine = post(&mut store, &mut me, 10, "my first post", None);
    // A post of an account this store holds nothing else of: no name.
    let (_, theirs, _) = stranger.post(11, "elsewhere", None);
    post(&mut store, &mut bea, 20, "a reply", Some(mine));
    post(
        &mut store,
        &mut bea,
        21,
        "answering a stranger",
        Some(theirs),
    );

    let feed = store.feed_posts(bea.account, 10, None).unwrap();
    let by_text = |t: &str| {
        feed.posts
            .iter()
            .find(|p| p.text.as_deref() == Some(t))
            .unwrap()
            .clone()
    };
    let reply = by_text("a reply");
    assert_eq!(reply.reply_to_author, Some(me.account));
    assert_eq!(reply.reply_to_name.as_deref(), Some("Ada"));
    let other = by_text("answering a stranger");
    assert_eq!(other.reply_to_author, Some(stranger.account));
    assert_eq!(other.reply_to_name, None, "no name known for that account");
}
