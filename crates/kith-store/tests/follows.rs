//! Who follows whom, as far as this home knows: the accounts a held feed
//! follows, the held feeds that follow an account, paged and judged by
//! moderation; and the profile of an account whose feed is not held.
#![allow(clippy::unwrap_used)]

mod common;

use common::{Device, own_store, store_name, store_write};
use kith_core::AccountId;
use kith_core::feed::{FeedKey, FeedValue, Write};
use kith_store::{FollowDirection, FollowPage, Store};

/// Stores that `dev` follows `whom` since `t`.
fn follow(store: &mut Store, dev: &mut Device, t: i64, whom: AccountId) {
    store_write(
        store,
        dev,
        t,
        &[Write::Put(FeedKey::Follow(whom), FeedValue::Timestamp(t))],
    );
}

/// The names (or "?" when not held) of a page, in order.
fn names(page: &FollowPage) -> Vec<String> {
    page.accounts
        .iter()
        .map(|f| f.name.clone().unwrap_or_else(|| "?".to_owned()))
        .collect()
}

#[test]
fn following_lists_whom_a_held_feed_follows_most_recent_first_with_names_when_held() {
    let (_home, mut store, mut me) = own_store();
    store_name(&mut store, &mut me, 1, "Ada");
    let mut bea = Device::new_account().1;
    let mut cal = Device::new_account().1;
    let dan = Device::new_account().1;
    store_name(&mut store, &mut bea, 1, "Bea");
    store_name(&mut store, &mut cal, 1, "Cal");
    follow(&mut store, &mut bea, 4, me.account);
    follow(&mut store, &mut bea, 5, cal.account);
    follow(&mut store, &mut bea, 6, dan.account);
    follow(&mut store, &mut me, 7, cal.account);

    let page = store
        .follows(bea.account, FollowDirection::Following, 10, None)
        .unwrap();
    assert_eq!(names(&page), ["?", "Cal", "Ada"], "{page:#?}");
    assert_eq!(page.next, None);
    let [d, c, a] = &page.accounts[..] else {
        panic!("three follows expected: {page:#?}")
    };
    assert_eq!(d.account, dan.account);
    assert!(!d.held, "Dan's feed is not on this computer");
    assert!(c.held && c.followed, "Cal is held and followed here");
    assert_eq!(c.since, 5, "since when Bea follows Cal");
    assert!(a.held && !a.followed, "this home does not follow itself");

    // Own follows by default direction, and an account never seen follows no one.
    let own = store
        .follows(me.account, FollowDirection::Following, 10, None)
        .unwrap();
    assert_eq!(names(&own), ["Cal"]);
    let none = store
        .follows(dan.account, FollowDirection::Following, 10, None)
        .unwrap();
    assert!(none.accounts.is_empty() && none.next.is_none());
}

#[test]
fn followers_are_the_feeds_held_here_that_follow_an_account_and_a_profile_says_who_follows_you() {
    let (_home, mut store, mut me) = own_store();
    store_name(&mut store, &mut me, 1, "Ada");
    let mut bea = Device::new_account().1;
    let mut cal = Device::new_account().1;
    let dan = Device::new_account().1;
    store_name(&mut store, &mut bea, 1, "Bea");
    store_name(&mut store, &mut cal, 1, "Cal");
    follow(&mut store, &mut bea, 5, dan.account);
    follow(&mut store, &mut me, 6, dan.account);
    follow(&mut store, &mut cal, 7, dan.account);
    follow(&mut store, &mut me, 8, bea.account);

    let page = store
        .follows(dan.account, FollowDirection::Followers, 10, None)
        .unwrap();
    assert_eq!(names(&page), ["Cal", "Ada", "Bea"], "{page:#?}");
    assert!(page.accounts.iter().all(|f| f.held));
    let followed: Vec<bool> = page.accounts.iter().map(|f| f.followed).collect();
    assert_eq!(followed, [false, false, true], "this home follows Bea only");

    follow(&mut store, &mut bea, 9, me.account);
    assert!(store.profile(bea.account).unwrap().follows_you);
    assert!(!store.profile(cal.account).unwrap().follows_you);
    assert!(!store.profile(me.account).unwrap().follows_you);
    let profile = store.profile(dan.account).unwrap();
    assert_eq!(profile.followers, 3);
    assert_eq!(store.profile(bea.account).unwrap().followers, 1);
    assert_eq!(store.profile(cal.account).unwrap().followers, 0);
}

#[test]
fn pages_of_follows_follow_each_other_and_leave_out_blocked_and_muted_accounts() {
    let (_home, mut store, mut me) = own_store();
    let mut bea = Device::new_account().1;
    let others: Vec<AccountId> = (0..25).map(|_| Device::new_account().1.account).collect();
    for (i, a) in others.iter().enumerate() {
        follow(&mut store, &mut bea, 10 + i as i64, *a);
    }
    // Newest follow first: others[24] down to others[0].
    let expected: Vec<AccountId> = others.iter().rev().copied().collect();
    assert_eq!(
        every_page(&store, bea.account),
        expected,
        "every follow once, in order"
    );

    store.set_private_block(others[24], true, 50).unwrap();
    store.set_private_mute(others[23], true, 50).unwrap();
    follow(&mut store, &mut me, 51, others[22]);
    let first = store
        .follows(bea.account, FollowDirection::Following, 10, None)
        .unwrap();
    assert_eq!(
        first.accounts.len(),
        8,
        "the blocked and the muted account left out: {first:#?}"
    );
    assert_eq!(first.accounts[0].account, others[22]);
    assert!(first.next.is_some(), "10 read: there may be more");
    assert!(first.accounts[0].followed, "followed here since 51");
}

/// The accounts of every page of 10 of whom `whose` follows, in order
/// (at most five pages).
fn every_page(store: &Store, whose: AccountId) -> Vec<AccountId> {
    let mut seen = Vec::new();
    let mut before: Option<String> = None;
    for _ in 0..5 {
        let page = store
            .follows(whose, FollowDirection::Following, 10, before.as_deref())
            .unwrap();
        seen.extend(page.accounts.iter().map(|f| f.account));
        match page.next {
            Some(next) => before = Some(next),
            None => return seen,
        }
    }
    panic!("five pages of 10 and still more: {seen:?}");
}

#[test]
fn follows_made_or_ended_between_pages_neither_repeat_nor_hide_the_others() {
    let (_home, mut store, _me) = own_store();
    let mut bea = Device::new_account().1;
    let others: Vec<AccountId> = (0..25).map(|_| Device::new_account().1.account).collect();
    for (i, a) in others.iter().enumerate() {
        follow(&mut store, &mut bea, 10 + i as i64, *a);
    }
    // After the first page (others[24] to others[15]) Bea stops following
    // others[20], shown on it: counted by position, the next page would
    // skip one. After the second, she follows someone new (the newest):
    // counted by position, the last page would repeat one.
    let mut seen: Vec<AccountId> = Vec::new();
    let mut before: Option<String> = None;
    for page_number in 0..5 {
        let page = store
            .follows(
                bea.account,
                FollowDirection::Following,
                10,
                before.as_deref(),
            )
            .unwrap();
        seen.extend(page.accounts.iter().map(|f| f.account));
        before = page.next;
        if before.is_none() {
            break;
        }
        match page_number {
            0 => store_write(
                &mut store,
                &mut bea,
                100,
                &[Write::Delete(FeedKey::Follow(others[20]))],
            ),
            1 => follow(&mut store, &mut bea, 101, Device::new_account().1.account),
            _ => {}
        }
    }
    assert!(before.is_none(), "the pages ended");
    let expected: Vec<AccountId> = others.iter().rev().copied().collect();
    assert_eq!(seen, expected, "each of the first 25 once, none skipped");

    for bad in ["", "12", "x.00", "12.zz", "12.abcd"] {
        assert!(
            matches!(
                store.follows(bea.account, FollowDirection::Following, 10, Some(bad)),
                Err(kith_store::StoreError::BadCursor(_))
            ),
            "cursor {bad:?}"
        );
    }
}

#[test]
fn the_profile_of_an_account_not_held_says_so_and_counts_its_followers_here() {
    let (_home, mut store, mut me) = own_store();
    store_name(&mut store, &mut me, 1, "Ada");
    let mut bea = Device::new_account().1;
    let dan = Device::new_account().1;
    store_name(&mut store, &mut bea, 1, "Bea");
    follow(&mut store, &mut bea, 5, dan.account);

    let p = store.profile(dan.account).unwrap();
    assert!(!p.held && !p.in_home && !p.blocked);
    assert_eq!((p.name, p.posts, p.following, p.followers), (None, 0, 0, 1));

    let held = store.profile(bea.account).unwrap();
    assert!(held.held);
    assert_eq!(held.name.as_deref(), Some("Bea"));
    assert_eq!(held.following, 1);
}
