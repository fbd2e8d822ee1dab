//! Full-text search: whole words (a last one no post has as the beginning
//! of words), case and accents ignored, in the text, the content warning and
//! the image descriptions; a word written as a hashtag finds only the
//! posts that use it as a hashtag.
#![allow(clippy::unwrap_used)]

mod common;

use common::{Device, own_store, store_name, store_post as post};
use kith_core::Body;
use kith_store::Store;

/// The texts a search finds, newest first.
fn found(store: &Store, query: &str) -> Vec<String> {
    store
        .search(query, 10, None)
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
    let page = store.search("#rust", 2, None).unwrap();
    let texts: Vec<_> = page.posts.into_iter().filter_map(|p| p.text).collect();
    assert_eq!(texts, ["tagged #rust 2", "tagged #rust 1"]);
}

#[test]
fn image_descriptions_are_searched_and_an_edit_or_a_delete_takes_their_words_out() {
    let (_home, mut store, mut me) = own_store();
    store
        .add_certificates(std::slice::from_ref(&me.cert))
        .unwrap();
    let body = Body::new("Au marché ce matin", None)
        .unwrap()
        .with_descriptions(vec![String::new(), "Des fraises dans une cagette".into()])
        .unwrap();
    let (env, id, bytes) = me.post_body(1, &body, None, vec![[1; 32], [2; 32]]);
    store.ingest(vec![env]).unwrap();
    store.put_bodies(&[(id, bytes)]).unwrap();
    post(&mut store, &mut me, 2, "Pas de fruits ici");

    assert_eq!(
        found(&store, "fraises"),
        ["Au marché ce matin"],
        "a described word"
    );
    assert_eq!(
        found(&store, "marche cagette"),
        ["Au marché ce matin"],
        "one word in the text, one in a description"
    );

    let edited = Body::new("Au marché ce matin", None)
        .unwrap()
        .with_descriptions(vec!["Des cerises".into()])
        .unwrap();
    let (env, bytes) = me.edit_body(3, &id, &edited);
    store.ingest(vec![env]).unwrap();
    store.put_bodies(&[(id, bytes)]).unwrap();
    assert!(
        found(&store, "fraises").is_empty(),
        "the old description's words are gone"
    );
    assert_eq!(found(&store, "cerises"), ["Au marché ce matin"]);

    let env = me.delete(4, &id);
    store.ingest(vec![env]).unwrap();
    assert!(
        found(&store, "cerises").is_empty(),
        "a deleted post's description is gone"
    );
    assert_eq!(found(&store, "fruits"), ["Pas de fruits ici"]);
}

#[test]
fn a_name_finds_the_posts_mentioning_that_account_and_follows_a_rename() {
    let (_home, mut store, mut me) = own_store();
    let (_, mut bea) = Device::new_account();
    let (_, mut cal) = Device::new_account();
    store_name(&mut store, &mut bea, 1, "Béatrice Dupont");
    store_name(&mut store, &mut cal, 1, "Cal");
    post(
        &mut store,
        &mut me,
        2,
        &format!("Thé avec @{} demain", bea.account),
    );
    post(
        &mut store,
        &mut me,
        3,
        &format!("Et @{} aussi", cal.account),
    );
    post(&mut store, &mut me, 4, "Beatrice, the word itself");

    assert_eq!(
        found(&store, "beatrice"),
        [
            "Beatrice, the word itself".to_owned(),
            format!("Thé avec @{} demain", bea.account)
        ],
        "a word of a name, accents folded, finds the mentions and the word"
    );
    assert_eq!(
        found(&store, "dupont thé"),
        [format!("Thé avec @{} demain", bea.account)],
        "with another word, both must match"
    );
    assert!(
        found(&store, "#beatrice").is_empty(),
        "a hashtag is only itself"
    );

    store_name(&mut store, &mut bea, 5, "Bea");
    assert!(
        found(&store, "dupont").is_empty(),
        "the old name no longer finds her mentions"
    );
    assert_eq!(
        found(&store, "bea"),
        [format!("Thé avec @{} demain", bea.account)],
        "her new name finds her mentions (a whole word: not \"Beatrice\")"
    );
    assert_eq!(
        found(&store, "bea thé"),
        [format!("Thé avec @{} demain", bea.account)],
        "her new name as a whole word finds only her mentions"
    );
}

#[test]
fn a_last_word_no_post_has_finds_the_words_it_begins_from_four_letters() {
    let (_home, mut store, mut me) = own_store();
    let (_, mut bea) = Device::new_account();
    store_name(&mut store, &mut bea, 1, "Béatrice");
    post(&mut store, &mut me, 1, "Bonjour tout le monde");
    post(&mut store, &mut me, 2, "Bonne nuit");
    post(&mut store, &mut me, 3, "Un bon café");
    post(&mut store, &mut me, 4, "#bonsoir à tous");
    post(&mut store, &mut me, 5, &format!("Merci @{}", bea.account));
    post(&mut store, &mut me, 6, "Bonjour encore");

    assert_eq!(
        found(&store, "BONJ"),
        ["Bonjour encore", "Bonjour tout le monde"],
        "case ignored, newest first"
    );
    assert_eq!(
        found(&store, "bons"),
        ["#bonsoir à tous"],
        "a hashtag's word begun"
    );
    assert!(
        found(&store, "nui").is_empty(),
        "three letters are only the whole word"
    );
    assert_eq!(
        found(&store, "bonne"),
        ["Bonne nuit"],
        "a word some post has is whole: not \"Bonnet\" or the like"
    );
    assert!(
        found(&store, "bonj monde").is_empty(),
        "a word before the last is whole: no post has both \"bonj\" and \"monde…\""
    );
    assert_eq!(
        found(&store, "monde bonj"),
        ["Bonjour tout le monde"],
        "no post has both whole words, so the last begins \"Bonjour\""
    );
    assert_eq!(found(&store, "cafe"), ["Un bon café"], "accents folded");
    assert_eq!(
        found(&store, "bon-caf"),
        [] as [&str; 0],
        "the begun word is the last run of letters: \"caf\" has three"
    );
    assert_eq!(
        found(&store, "un-bon-cafe"),
        ["Un bon café"],
        "words joined by punctuation follow each other"
    );
    assert_eq!(
        found(&store, "tout-le-mon"),
        [] as [&str; 0],
        "\"mon\" is too short to be begun"
    );
    assert_eq!(
        found(&store, "tout-le-mond"),
        ["Bonjour tout le monde"],
        "words joined by punctuation follow each other, the last one begun"
    );
    assert!(
        found(&store, "#bons").is_empty(),
        "a hashtag is only itself"
    );
    assert_eq!(
        found(&store, "béat"),
        [format!("Merci @{}", bea.account)],
        "the words a name begins find the mentions of that account"
    );
    let first = store.search("bonj", 1, None).unwrap();
    let next = store.search("bonj", 1, first.next.as_deref()).unwrap();
    let texts: Vec<_> = [first, next]
        .into_iter()
        .flat_map(|p| p.posts)
        .filter_map(|p| p.text)
        .collect();
    assert_eq!(
        texts,
        ["Bonjour encore", "Bonjour tout le monde"],
        "the next page of a begun word reads on the same way"
    );
}

#[test]
fn search_pages_follow_their_cursor_to_every_match_once_and_a_bad_cursor_is_refused() {
    let (_home, mut store, mut me) = own_store();
    for t in 0..45 {
        let tag = if t % 3 == 0 { "#pluie" } else { "sans tag" };
        post(&mut store, &mut me, t, &format!("pluie {t} {tag}"));
        post(&mut store, &mut me, 100 + t, &format!("soleil {t}"));
    }
    let all_pages = |query: &str| -> Vec<String> {
        let mut texts = Vec::new();
        let mut before: Option<String> = None;
        for _ in 0..20 {
            let page = store.search(query, 7, before.as_deref()).unwrap();
            assert!(page.posts.len() <= 7, "a page never passes its limit");
            texts.extend(page.posts.into_iter().filter_map(|p| p.text));
            match page.next {
                Some(next) => before = Some(next),
                None => return texts,
            }
        }
        panic!("20 pages and still a cursor for {query:?}");
    };
    let expected: Vec<String> = (0..45)
        .rev()
        .map(|t| {
            let tag = if t % 3 == 0 { "#pluie" } else { "sans tag" };
            format!("pluie {t} {tag}")
        })
        .collect();
    assert_eq!(
        all_pages("pluie"),
        expected,
        "every match, newest first, once"
    );
    let tagged: Vec<String> = expected
        .iter()
        .filter(|t| t.ends_with("#pluie"))
        .cloned()
        .collect();
    assert_eq!(
        all_pages("#pluie"),
        tagged,
        "a tag's pages skip the untagged"
    );
    assert!(all_pages("brouillard").is_empty());

    for bad in ["", "demain", "12.5", "-"] {
        let err = store.search("pluie", 7, Some(bad)).unwrap_err();
        assert!(
            matches!(err, kith_store::StoreError::BadCursor(_)),
            "cursor {bad:?} gave {err:?}"
        );
    }
}

#[test]
fn punctuation_and_search_syntax_in_a_query_are_plain_text() {
    let (_home, mut store, mut me) = own_store();
    post(&mut store, &mut me, 1, "C'est l'été : 30° à l'ombre");
    for query in [
        "\"",
        "*",
        "-",
        "(",
        "été*",
        "NEAR(été",
        "été OR",
        "l'été",
        "^été",
        "\u{0}",
    ] {
        let page = store.search(query, 10, None);
        assert!(page.is_ok(), "{query:?} failed: {page:?}");
    }
    assert_eq!(found(&store, "l'ete"), ["C'est l'été : 30° à l'ombre"]);
    assert_eq!(found(&store, "ombre ete"), ["C'est l'été : 30° à l'ombre"]);
}
