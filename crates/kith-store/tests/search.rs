//! Full-text search: whole words, case and accents ignored; a word written
//! as a hashtag finds only the posts that use it as a hashtag.
#![allow(clippy::unwrap_used)]

mod common;

use common::{own_store, store_post as post};
use kith_store::Store;

/// The texts a search finds, newest first.
fn found(store: &Store, query: &str) -> Vec<String> {
    store
        .search(query, 10)
        .unwrap()
        .posts
        .into_iter()
        .filter_map(|p| p.text)
        .collect()
}

#[test]
fn a_hashtag_finds_the_posts_tagged_with_it_and_a_bare_word_finds_them_all() {
    let (_home, mut store, mut me) = own_store();
    post(&mut store, &mut me, 1, "Un #Thé au jardin");
    post(&mut store, &mut me, 2, "Du thé sans tag");
    post(&mut store, &mut me, 3, "#the vert, et #jardin");
    post(
        &mut store,
        &mut me,
        4,
        "Le menu : https://example.org/carte#thé",
    );
    post(&mut store, &mut me, 5, "Rien à voir");

    assert_eq!(
        found(&store, "#thé"),
        ["#the vert, et #jardin", "Un #Thé au jardin"],
        "tags only, case and accents folded"
    );
    assert_eq!(
        found(&store, "thé"),
        [
            "Le menu : https://example.org/carte#thé",
            "#the vert, et #jardin",
            "Du thé sans tag",
            "Un #Thé au jardin"
        ],
        "a bare word finds the word anywhere"
    );
    assert_eq!(
        found(&store, "#thé jardin"),
        ["#the vert, et #jardin", "Un #Thé au jardin"],
        "a tag and a word"
    );
    assert_eq!(found(&store, "#thé #jardin"), ["#the vert, et #jardin"]);
    assert!(
        found(&store, "#rien").is_empty(),
        "a word never used as a tag"
    );
}

#[test]
fn a_tag_search_fills_its_page_past_untagged_uses_of_the_word() {
    let (_home, mut store, mut me) = own_store();
    for t in 0..3 {
        post(&mut store, &mut me, t, &format!("tagged #rust {t}"));
    }
    for t in 3..40 {
        post(&mut store, &mut me, t, &format!("plain rust {t}"));
    }
    let page = store.search("#rust", 2).unwrap();
    let texts: Vec<_> = page.posts.into_iter().filter_map(|p| p.text).collect();
    assert_eq!(texts, ["tagged #rust 2", "tagged #rust 1"]);
}
