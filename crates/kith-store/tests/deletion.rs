//! Deletion is real: after a delete (or an edit), the old words are in no
//! store file: not the SQLite file, not its WAL, not the blob folder.
#![allow(clippy::unwrap_used)]

mod common;

use common::{files_containing, own_store};
use kith_store::Store;

const SECRET: &str = "zyxwvutsrq marmelade-confidentielle";
const SECRET_WORD: &str = "zyxwvutsrq";

fn assert_absent(dir: &std::path::Path, needle: &str) {
    for n in [needle, SECRET_WORD] {
        let found = files_containing(dir, n.as_bytes());
        assert!(found.is_empty(), "`{n}` is still on disk in {found:?}");
    }
}

#[test]
fn deleted_post_text_is_absent_from_every_store_file() {
    let (home, mut store, mut dev) = own_store();
    let (env, id, body) = dev.post(1_000, SECRET, None);
    let (other, other_id, other_body) = dev.post(2_000, "ordinary words stay", None);
    store.ingest(vec![env, other]).unwrap();
    store
        .put_bodies(&[(id, body), (other_id, other_body)])
        .unwrap();
    assert_eq!(store.search(SECRET_WORD, 10, None).unwrap().posts.len(), 1);
    store.checkpoint().unwrap();
    // The scan can see the words while they are stored…
    assert!(
        !files_containing(home.path(), SECRET.as_bytes()).is_empty(),
        "the scan must find stored text"
    );

    store.ingest(vec![dev.delete(3_000, &id)]).unwrap();
    store.checkpoint().unwrap();
    // …and cannot once they are deleted, while the other post remains.
    assert_absent(home.path(), SECRET);
    assert!(
        store
            .search(SECRET_WORD, 10, None)
            .unwrap()
            .posts
            .is_empty()
    );
    let tl = store.timeline(10, None).unwrap();
    assert_eq!(tl.posts.len(), 1);
    assert_eq!(tl.posts[0].text.as_deref(), Some("ordinary words stay"));
    drop(store);
    // Reopening (which replays nothing of the text) keeps it gone.
    let store = Store::open(home.path()).unwrap();
    assert_eq!(store.timeline(10, None).unwrap().posts.len(), 1);
    assert_absent(home.path(), SECRET);
}

#[test]
fn edited_away_text_is_absent_from_every_store_file() {
    let (home, mut store, mut dev) = own_store();
    let (env, id, body) = dev.post(1_000, SECRET, None);
    store.ingest(vec![env]).unwrap();
    store.put_bodies(&[(id, body)]).unwrap();
    let (edit, new_body) = dev.edit(2_000, &id, "corrected text");
    store.ingest(vec![edit]).unwrap();
    store.put_bodies(&[(id, new_body)]).unwrap();
    store.checkpoint().unwrap();
    assert_absent(home.path(), SECRET);
    let post = store.post(&id).unwrap().unwrap();
    assert_eq!(post.text.as_deref(), Some("corrected text"));
    assert!(post.edited);
}

#[test]
fn deletion_reaches_an_importing_home_and_erases_the_text_there() {
    let (_author_home, mut author, mut dev) = own_store();
    let reader_home = tempfile::tempdir().unwrap();
    let (env, id, body) = dev.post(1_000, SECRET, None);
    author.ingest(vec![env]).unwrap();
    author.put_bodies(&[(id, body)]).unwrap();
    let mut bundle = Vec::new();
    author
        .export(&[dev.account], &mut bundle, &mut |_, _| {})
        .unwrap();

    let mut reader = Store::open(reader_home.path()).unwrap();
    reader.import(&bundle, &mut |_, _| {}).unwrap();
    assert_eq!(
        reader.post(&id).unwrap().unwrap().text.as_deref(),
        Some(SECRET)
    );
    assert!(!files_containing(reader_home.path(), SECRET.as_bytes()).is_empty());

    author.ingest(vec![dev.delete(2_000, &id)]).unwrap();
    let mut bundle = Vec::new();
    author
        .export(&[dev.account], &mut bundle, &mut |_, _| {})
        .unwrap();
    assert!(
        !bundle.windows(SECRET.len()).any(|w| w == SECRET.as_bytes()),
        "the new bundle must not carry the text"
    );
    reader.import(&bundle, &mut |_, _| {}).unwrap();
    assert_absent(reader_home.path(), SECRET);
    let post = reader.post(&id).unwrap().unwrap();
    assert!(post.deleted && post.text.is_none());
}
