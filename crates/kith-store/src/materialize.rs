//! Keeping the materialized tables (posts, profiles, follows, reactions,
//! search index) equal to the feed documents.
//!
//! Each batch re-reads, from the merged document, every key its changes
//! touched, so the tables depend only on the document and never on the
//! order in which changes arrived. Rows of new posts may be written from
//! the changes while the document applies them ([`Predicted`]); each is
//! then compared with the document and rewritten from it if it differs.

use std::collections::{BTreeSet, HashMap, HashSet};

use kith_core::feed::{FeedDoc, FeedKey, FeedValue};
use kith_core::moderation::ListEntry;
use kith_core::post::PostRecord;
use kith_core::{AccountId, Hash, PostId};
use rusqlite::{Connection, OptionalExtension, params};

use crate::docs;
use crate::error::Result;

/// Post bodies that arrived with a batch of changes: a new post row is
/// written with its body (and indexed for search) at once, instead of
/// being written bare and updated afterwards.
#[derive(Default)]
pub(crate) struct ArrivedBodies<'a> {
    by_post: std::collections::HashMap<PostId, &'a [u8]>,
    /// The bodies already written into rows.
    pub(crate) stored: std::collections::HashSet<PostId>,
}

impl<'a> ArrivedBodies<'a> {
    /// The bodies of a batch.
    pub(crate) fn new(bodies: &'a [(PostId, Vec<u8>)]) -> Self {
        Self {
            by_post: bodies.iter().map(|(p, b)| (*p, b.as_slice())).collect(),
            stored: std::collections::HashSet::new(),
        }
    }

    /// The body of `post` if it arrived and matches `hash`, decoded.
    fn matching(&self, post: &PostId, hash: &Hash) -> Option<(&'a [u8], kith_core::Body)> {
        let bytes = *self.by_post.get(post)?;
        if blake3::hash(bytes).as_bytes() != hash {
            return None;
        }
        kith_core::Body::decode(bytes).ok().map(|b| (bytes, b))
    }
}

/// Updates the tables for `keys` of feed `feed`.
/// Returns the accounts the own feed newly blocks (their feeds must be purged).
pub(crate) fn apply(
    conn: &Connection,
    feed: i64,
    own: Option<AccountId>,
    doc: &FeedDoc,
    keys: &BTreeSet<FeedKey>,
    purged: &mut Vec<Hash>,
    bodies: &mut ArrivedBodies<'_>,
) -> Result<Vec<AccountId>> {
    let mut blocked = Vec::new();
    if keys.iter().any(|k| {
        matches!(
            k,
            FeedKey::Block(_)
                | FeedKey::Mute(_)
                | FeedKey::MutedWord(_)
                | FeedKey::List(_)
                | FeedKey::ListEntry(..)
        )
    }) {
        crate::moderation::bump(conn)?;
    }
    let account = doc.account();
    let mut profile_done = false;
    let mut home = FeedHome::new(feed);
    let locals: HashSet<[u8; 8]> = keys
        .iter()
        .filter_map(|k| match k {
            FeedKey::Post(local) | FeedKey::Tombstone(local) => Some(*local),
            _ => None,
        })
        .collect();
    let posts = doc.posts(&locals);
    for key in keys {
        match key {
            FeedKey::Name | FeedKey::Bio | FeedKey::Avatar => {
                if !profile_done {
                    profile(conn, feed, doc, purged)?;
                    profile_done = true;
                }
            }
            FeedKey::Post(local) | FeedKey::Tombstone(local) => {
                post(conn, &mut home, account, &posts, *local, purged, bodies)?;
            }
            FeedKey::Follow(target) => {
                let since = match doc.get(key) {
                    Some(FeedValue::Timestamp(t)) => Some(t),
                    _ => None,
                };
                relation(conn, "follows", feed, *target, since)?;
                if own == Some(account) {
                    let target_feed = docs::feed_id(conn, *target)?;
                    let shown = i64::from(since.is_some() || own == Some(*target));
                    conn.prepare_cached("UPDATE feeds SET home = ?2 WHERE id = ?1")?
                        .execute(params![target_feed, shown])?;
                    conn.prepare_cached("UPDATE posts SET home = ?2 WHERE feed_id = ?1")?
                        .execute(params![target_feed, shown])?;
                    if target_feed == feed {
                        home = FeedHome::new(feed);
                    }
                }
            }
            FeedKey::Block(target) => {
                let since = match doc.get(key) {
                    Some(FeedValue::Timestamp(t)) => Some(t),
                    _ => None,
                };
                relation(conn, "blocks", feed, *target, since)?;
                if since.is_some() && own == Some(account) && *target != account {
                    blocked.push(*target);
                }
            }
            FeedKey::Mute(_)
            | FeedKey::MutedWord(_)
            | FeedKey::List(_)
            | FeedKey::ListEntry(..)
            | FeedKey::Peer(_) => moderation_row(conn, feed, doc, key)?,
            FeedKey::Reaction(target, reaction) => match doc.get(key) {
                Some(FeedValue::Timestamp(t)) => {
                    conn.prepare_cached(
                        "INSERT INTO reactions(target, reaction, feed_id, created_at) VALUES(?1, ?2, ?3, ?4)
                         ON CONFLICT DO UPDATE SET created_at = excluded.created_at",
                    )?
                    .execute(params![target.to_bytes().as_slice(), reaction, feed, t])?;
                }
                _ => {
                    conn.prepare_cached("DELETE FROM reactions WHERE target = ?1 AND reaction = ?2 AND feed_id = ?3")?
                        .execute(params![target.to_bytes().as_slice(), reaction, feed])?;
                }
            },
            FeedKey::Device(_) => {}
        }
    }
    Ok(blocked)
}

/// Updates the row of a moderation key (mutes, muted words, lists and
/// their entries) or of a device's network key.
fn moderation_row(conn: &Connection, feed: i64, doc: &FeedDoc, key: &FeedKey) -> Result<()> {
    match key {
        FeedKey::Mute(target) => {
            let since = match doc.get(key) {
                Some(FeedValue::Timestamp(t)) => Some(t),
                _ => None,
            };
            relation(conn, "mutes", feed, *target, since)?;
        }
        FeedKey::MutedWord(word) => match doc.get(key) {
            Some(FeedValue::Timestamp(t)) => {
                conn.prepare_cached(
                    "INSERT INTO muted_words(feed_id, word, since) VALUES(?1, ?2, ?3)
                     ON CONFLICT DO UPDATE SET since = excluded.since",
                )?
                .execute(params![feed, word, t])?;
            }
            _ => {
                conn.prepare_cached("DELETE FROM muted_words WHERE feed_id = ?1 AND word = ?2")?
                    .execute(params![feed, word])?;
            }
        },
        FeedKey::List(local) => {
            let local = i64::from_be_bytes(*local);
            match doc.get(key) {
                Some(FeedValue::Str(name)) => {
                    conn.prepare_cached(
                        "INSERT INTO lists(feed_id, local, name) VALUES(?1, ?2, ?3)
                         ON CONFLICT DO UPDATE SET name = excluded.name",
                    )?
                    .execute(params![feed, local, name])?;
                }
                _ => {
                    conn.prepare_cached("DELETE FROM lists WHERE feed_id = ?1 AND local = ?2")?
                        .execute(params![feed, local])?;
                }
            }
        }
        FeedKey::ListEntry(local, target) => {
            let local = i64::from_be_bytes(*local);
            let entry = match doc.get(key) {
                Some(FeedValue::Bytes(b)) => ListEntry::decode(&b).ok(),
                _ => None,
            };
            match entry {
                Some(e) => {
                    conn.prepare_cached(
                        "INSERT INTO list_entries(feed_id, list, target, labels, reason, created_at)
                         VALUES(?1, ?2, ?3, ?4, ?5, ?6)
                         ON CONFLICT DO UPDATE SET labels = excluded.labels, reason = excluded.reason,
                         created_at = excluded.created_at",
                    )?
                    .execute(params![
                        feed,
                        local,
                        target.to_bytes(),
                        i64::from(e.labels.0),
                        e.reason,
                        e.created_at
                    ])?;
                }
                None => {
                    conn.prepare_cached(
                        "DELETE FROM list_entries WHERE feed_id = ?1 AND list = ?2 AND target = ?3",
                    )?
                    .execute(params![feed, local, target.to_bytes()])?;
                }
            }
        }
        FeedKey::Peer(device) => {
            if let Some(FeedValue::Bytes(b)) = doc.get(key) {
                conn.prepare_cached(
                    "INSERT INTO peer_keys(feed_id, device, peer_key) VALUES(?1, ?2, ?3)
                     ON CONFLICT DO UPDATE SET peer_key = excluded.peer_key",
                )?
                .execute(params![feed, device.as_bytes().as_slice(), b])?;
            }
        }
        _ => {}
    }
    Ok(())
}

fn relation(
    conn: &Connection,
    table: &str,
    feed: i64,
    target: AccountId,
    since: Option<i64>,
) -> Result<()> {
    match since {
        Some(t) => conn
            .prepare_cached(&format!(
                "INSERT INTO {table}(feed_id, target, since) VALUES(?1, ?2, ?3) ON CONFLICT DO UPDATE SET since = excluded.since"
            ))?
            .execute(params![feed, target.as_bytes().as_slice(), t])?,
        None => conn
            .prepare_cached(&format!("DELETE FROM {table} WHERE feed_id = ?1 AND target = ?2"))?
            .execute(params![feed, target.as_bytes().as_slice()])?,
    };
    Ok(())
}

fn profile(conn: &Connection, feed: i64, doc: &FeedDoc, purged: &mut Vec<Hash>) -> Result<()> {
    let p = doc.profile();
    let old: Option<Vec<u8>> =
        conn.query_row("SELECT avatar FROM feeds WHERE id = ?1", [feed], |r| {
            r.get(0)
        })?;
    conn.execute(
        "UPDATE feeds SET name = ?2, bio = ?3, avatar = ?4 WHERE id = ?1",
        params![feed, p.name, p.bio, p.avatar.map(|a| a.to_vec())],
    )?;
    if let Some(old) = old.and_then(|o| Hash::try_from(o.as_slice()).ok())
        && Some(old) != p.avatar
    {
        release_blob(conn, old, purged)?;
    }
    Ok(())
}

fn attachments_of(bytes: Option<&[u8]>) -> Vec<Hash> {
    bytes
        .unwrap_or_default()
        .chunks_exact(32)
        .filter_map(|c| Hash::try_from(c).ok())
        .collect()
}

/// Whether a live post or a profile still uses the blob.
pub(crate) fn blob_referenced(conn: &Connection, hash: &Hash) -> Result<bool> {
    Ok(conn
        .prepare_cached(
            "SELECT EXISTS(SELECT 1 FROM posts WHERE deleted = 0 AND attachments IS NOT NULL AND instr(attachments, ?1) > 0)
             OR EXISTS(SELECT 1 FROM feeds WHERE avatar = ?1)",
        )?
        .query_row([hash.as_slice()], |r| r.get(0))?)
}

/// Queues a blob for removal if nothing references it any more.
fn release_blob(conn: &Connection, hash: Hash, purged: &mut Vec<Hash>) -> Result<()> {
    if !blob_referenced(conn, &hash)? {
        purged.push(hash);
    }
    Ok(())
}

/// Removes a post's words: from the search index (FTS5 `delete` with the
/// old text, which `secure-delete` scrubs from the index pages), then from
/// the row (which `secure_delete` zeroes in the database file).
pub(crate) fn purge_body(conn: &Connection, rowid: i64, old_body: &[u8]) -> Result<()> {
    if let Ok(old) = kith_core::Body::decode(old_body) {
        crate::fts::unindex(conn, rowid, &old)?;
    }
    conn.prepare_cached("UPDATE posts SET body = NULL WHERE id = ?1")?
        .execute([rowid])?;
    Ok(())
}

/// A post row as stored: id, body hash, body, attachments.
type StoredPost = (i64, Option<Vec<u8>>, Option<Vec<u8>>, Option<Vec<u8>>);

/// Writes the row of post `local` of `author` from its record in `posts`
/// (read from the document by [`FeedDoc::posts`]).
fn post(
    conn: &Connection,
    home: &mut FeedHome,
    author: AccountId,
    posts: &HashMap<[u8; 8], (PostRecord, bool)>,
    local: [u8; 8],
    purged: &mut Vec<Hash>,
    bodies: &mut ArrivedBodies<'_>,
) -> Result<()> {
    let Some((record, deleted)) = posts.get(&local) else {
        return Ok(());
    };
    let id = PostId { author, local };
    write_post(conn, home, id, record, *deleted, purged, bodies)
}

/// Whether a feed's posts show on the home timeline (`feeds.home`), read
/// once for all the posts of a batch.
struct FeedHome {
    feed: i64,
    home: Option<i64>,
}

impl FeedHome {
    fn new(feed: i64) -> Self {
        Self { feed, home: None }
    }

    fn get(&mut self, conn: &Connection) -> Result<i64> {
        if let Some(home) = self.home {
            return Ok(home);
        }
        let home: i64 = conn
            .prepare_cached("SELECT home FROM feeds WHERE id = ?1")?
            .query_row([self.feed], |r| r.get(0))?;
        self.home = Some(home);
        Ok(home)
    }
}

/// Shows the posts written by changes that wait for their dependencies
/// (a peer sent a feed's newest changes before the rest, so that they can
/// be shown at once): a post the document does not hold and the table has
/// no row for gets a row from the record in the changes themselves, the
/// last write winning (`waiting` is in causal order). Once the document
/// applies those changes, [`apply`] rewrites the rows from it.
pub(crate) fn provisional(
    conn: &Connection,
    feed: i64,
    doc: &FeedDoc,
    waiting: &[automerge::Change],
    purged: &mut Vec<Hash>,
    bodies: &mut ArrivedBodies<'_>,
) -> Result<()> {
    let mut latest: std::collections::BTreeMap<[u8; 8], (Option<PostRecord>, bool)> =
        std::collections::BTreeMap::new();
    for change in waiting {
        for (key, value) in kith_core::feed::change_writes(change) {
            match (key, value) {
                (FeedKey::Post(local), Some(FeedValue::Bytes(b))) => {
                    latest.entry(local).or_default().0 = PostRecord::decode(&b).ok();
                }
                (FeedKey::Tombstone(local), value) => {
                    latest.entry(local).or_default().1 = value.is_some();
                }
                _ => {}
            }
        }
    }
    let mut home = FeedHome::new(feed);
    for (local, (record, deleted)) in latest {
        let Some(record) = record else { continue };
        if doc.post(local).is_some() {
            continue;
        }
        let exists: bool = conn
            .prepare_cached("SELECT EXISTS(SELECT 1 FROM posts WHERE feed_id = ?1 AND local = ?2)")?
            .query_row(params![feed, i64::from_be_bytes(local)], |r| r.get(0))?;
        if !exists {
            let id = PostId {
                author: doc.account(),
                local,
            };
            write_post(conn, &mut home, id, &record, deleted, purged, bodies)?;
        }
    }
    Ok(())
}

/// Rows of new posts written from the changes themselves while their
/// document applies those changes (on another thread), then checked
/// against the document.
///
/// A post that the batch's new changes put exactly once, whose tombstone
/// they do not write, and that has no row yet, gets its row from the
/// record in its change. (A post that a change still waiting for its
/// dependencies writes already has its provisional row; one released by
/// this batch may change what the document holds, which the comparison
/// below catches.) Once the document has applied the batch, [`Self::confirm`]
/// compares each such row with the document and rewrites those that
/// differ, so the tables still depend only on the document. In a long
/// sync every post is new and written once, so the rows are written
/// beside automerge instead of after it.
#[derive(Default)]
pub(crate) struct Predicted {
    /// Local id → the record written and the change that put it.
    rows: HashMap<[u8; 8], (PostRecord, automerge::ChangeHash)>,
}

impl Predicted {
    /// Writes the rows that can be predicted from `changes` (the batch's
    /// new changes of `account`'s feed `feed`).
    pub(crate) fn write(
        conn: &Connection,
        feed: i64,
        account: AccountId,
        changes: &[crate::ingest::NewChange],
        bodies: &mut ArrivedBodies<'_>,
    ) -> Result<Self> {
        let mut writes: HashMap<[u8; 8], usize> = HashMap::new();
        let mut tombstoned: HashSet<[u8; 8]> = HashSet::new();
        for change in changes {
            for key in &change.keys {
                match key {
                    FeedKey::Post(local) => *writes.entry(*local).or_default() += 1,
                    FeedKey::Tombstone(local) => {
                        tombstoned.insert(*local);
                    }
                    _ => {}
                }
            }
        }
        let mut home = FeedHome::new(feed);
        let mut rows = HashMap::new();
        for change in changes {
            for (local, record) in &change.post_puts {
                if writes.get(local) != Some(&1)
                    || tombstoned.contains(local)
                    || stored_post(conn, feed, *local)?.is_some()
                {
                    continue;
                }
                let id = PostId {
                    author: account,
                    local: *local,
                };
                // A new row releases no blob.
                let mut no_blobs = Vec::new();
                write_post_over(
                    conn,
                    &mut home,
                    id,
                    record,
                    false,
                    None,
                    &mut no_blobs,
                    bodies,
                )?;
                rows.insert(*local, (record.clone(), change.hash));
            }
        }
        Ok(Self { rows })
    }

    /// Takes in the rows another batch predicted (the pages of a seeded
    /// sync, confirmed together once the seed is trusted).
    pub(crate) fn absorb(&mut self, other: Self) {
        self.rows.extend(other.rows);
    }

    /// Whether the row of post `local` was written here (and so needs no
    /// writing from the document, only [`Self::confirm`]).
    pub(crate) fn has(&self, local: [u8; 8]) -> bool {
        self.rows.contains_key(&local)
    }

    /// Makes each row written by [`Self::write`] equal what the document,
    /// now holding the batch, says of its post: a row that differs is
    /// rewritten from the document; a post the document does not hold
    /// keeps its row only if its change waits for dependencies (the row
    /// [`provisional`] would have written).
    pub(crate) fn confirm(
        self,
        conn: &Connection,
        feed: i64,
        doc: &FeedDoc,
        purged: &mut Vec<Hash>,
        bodies: &mut ArrivedBodies<'_>,
    ) -> Result<()> {
        if self.rows.is_empty() {
            return Ok(());
        }
        let locals: HashSet<[u8; 8]> = self.rows.keys().copied().collect();
        let actual = doc.posts(&locals);
        let mut home = FeedHome::new(feed);
        for (local, (predicted, hash)) in self.rows {
            let id = PostId {
                author: doc.account(),
                local,
            };
            match actual.get(&local) {
                Some((record, false)) if *record == predicted => {}
                Some((record, deleted)) => {
                    // The document's version wins; its body may have
                    // come with the batch although the predicted one did not.
                    bodies.stored.remove(&id);
                    write_post(conn, &mut home, id, record, *deleted, purged, bodies)?;
                }
                None if !doc.has_change(&hash) => {}
                // Cannot happen: the change put a record the schema checked
                // decodes (`FeedKey::check_value`), and a post's key cannot
                // be deleted, so the document holds a record for it. Should
                // it ever, the batch fails (as a store fault, not the
                // peer's) rather than leave a row the document lacks.
                None => {
                    return Err(crate::error::StoreError::CorruptFeed(
                        doc.account().to_string(),
                        format!(
                            "post {} was put by an applied change but is missing",
                            hex::encode(local)
                        ),
                    ));
                }
            }
        }
        Ok(())
    }
}

/// Writes a post's row (insert or update) from its record.
fn write_post(
    conn: &Connection,
    home: &mut FeedHome,
    id: PostId,
    record: &PostRecord,
    deleted: bool,
    purged: &mut Vec<Hash>,
    bodies: &mut ArrivedBodies<'_>,
) -> Result<()> {
    let existing = stored_post(conn, home.feed, id.local)?;
    write_post_over(conn, home, id, record, deleted, existing, purged, bodies)
}

/// The row of post `local` of feed `feed`, if there is one.
fn stored_post(conn: &Connection, feed: i64, local: [u8; 8]) -> Result<Option<StoredPost>> {
    Ok(conn
        .prepare_cached(
            "SELECT id, body_hash, body, attachments FROM posts WHERE feed_id = ?1 AND local = ?2",
        )?
        .query_row(params![feed, i64::from_be_bytes(local)], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })
        .optional()?)
}

/// [`write_post`] over the row `existing` (read by [`stored_post`]).
#[allow(clippy::too_many_arguments)] // write_post's, plus the row it read
fn write_post_over(
    conn: &Connection,
    home: &mut FeedHome,
    id: PostId,
    record: &PostRecord,
    deleted: bool,
    existing: Option<StoredPost>,
    purged: &mut Vec<Hash>,
    bodies: &mut ArrivedBodies<'_>,
) -> Result<()> {
    let feed = home.feed;
    let local_i = i64::from_be_bytes(id.local);
    let body_hash = if deleted { None } else { record.body_hash };
    let attachments: Vec<u8> = if deleted {
        Vec::new()
    } else {
        record.attachments.concat()
    };
    let home = home.get(conn)?;
    let reply_to = record.reply_to.map(|p| p.to_bytes().to_vec());
    let quote_of = record.quote_of.map(|p| p.to_bytes().to_vec());
    let hash_bytes = body_hash.map(|h| h.to_vec());
    let attachment_bytes = (!attachments.is_empty()).then_some(attachments.clone());
    let deleted_i = i64::from(deleted);
    // A new post's body goes in with it when it has already arrived.
    let body = match existing {
        None => body_hash.and_then(|h| bodies.matching(&id, &h)),
        Some(_) => None,
    };
    let body_bytes = body.as_ref().map(|(bytes, _)| *bytes);
    // ?1..?10 for both statements; ?11 (the body) only for the insert.
    let fields: [&dyn rusqlite::ToSql; 11] = [
        &feed,
        &local_i,
        &record.created_at,
        &record.edited_at,
        &reply_to,
        &quote_of,
        &hash_bytes,
        &attachment_bytes,
        &deleted_i,
        &home,
        &body_bytes,
    ];
    match existing {
        None => {
            conn.prepare_cached(
                "INSERT INTO posts(feed_id, local, created_at, edited_at, reply_to, quote_of, body_hash, attachments, deleted, home, body)
                 VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )?
            .execute(&fields[..])?;
            if let Some((_, decoded)) = body {
                crate::fts::index(conn, conn.last_insert_rowid(), &decoded)?;
                bodies.stored.insert(id);
            }
        }
        Some((rowid, old_hash, old_body, old_attachments)) => {
            if let Some(old_body) = old_body
                && old_hash.as_deref() != body_hash.as_ref().map(<[u8; 32]>::as_slice)
            {
                purge_body(conn, rowid, &old_body)?;
            }
            conn.prepare_cached(
                "UPDATE posts SET created_at = ?3, edited_at = ?4, reply_to = ?5, quote_of = ?6, body_hash = ?7,
                 attachments = ?8, deleted = ?9, home = ?10 WHERE feed_id = ?1 AND local = ?2",
            )?
            .execute(&fields[..10])?;
            for old in attachments_of(old_attachments.as_deref()) {
                if !record.attachments.contains(&old) || deleted {
                    release_blob(conn, old, purged)?;
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use kith_core::feed::{FeedKey, FeedValue, Write};
    use kith_core::keys;

    use super::*;
    use crate::ingest::NewChange;

    /// A home, a feed document of a new account, and the feed's row id.
    fn setup() -> (
        tempfile::TempDir,
        crate::Store,
        FeedDoc,
        ed25519_dalek::SigningKey,
        i64,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::Store::open(dir.path()).unwrap();
        let account = keys::account_id(&keys::generate());
        let feed = docs::feed_id(store.conn(), account).unwrap();
        (dir, store, FeedDoc::new(account), keys::generate(), feed)
    }

    fn record(created_at: i64) -> PostRecord {
        PostRecord {
            created_at,
            ..PostRecord::default()
        }
    }

    /// The write that puts post `local` with `record(created_at)`.
    fn put(local: [u8; 8], created_at: i64) -> Write {
        Write::Put(
            FeedKey::Post(local),
            FeedValue::Bytes(record(created_at).encode()),
        )
    }

    /// The stored (created_at, deleted) of post `local` of `feed`.
    fn row(conn: &Connection, feed: i64, local: [u8; 8]) -> Option<(i64, bool)> {
        conn.query_row(
            "SELECT created_at, deleted FROM posts WHERE feed_id = ?1 AND local = ?2",
            params![feed, i64::from_be_bytes(local)],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
        .unwrap()
    }

    /// Writes a predicted row for `local` claiming `claimed`, for the
    /// change `change` (which really puts something else, or is absent).
    fn predict(
        conn: &Connection,
        feed: i64,
        doc: &FeedDoc,
        local: [u8; 8],
        claimed: PostRecord,
        change: &automerge::Change,
    ) -> Predicted {
        let new = [NewChange {
            bytes: crate::ingest::HeldBytes::Row(0),
            hash: change.hash(),
            keys: vec![FeedKey::Post(local)],
            post_puts: vec![(local, claimed)],
        }];
        let mut bodies = ArrivedBodies::new(&[]);
        Predicted::write(conn, feed, doc.account(), &new, &mut bodies).unwrap()
    }

    /// Runs [`Predicted::confirm`] with nothing purged or arrived yet.
    fn confirm(conn: &Connection, feed: i64, doc: &FeedDoc, predicted: Predicted) {
        let (mut purged, mut bodies) = (Vec::new(), ArrivedBodies::new(&[]));
        predicted
            .confirm(conn, feed, doc, &mut purged, &mut bodies)
            .unwrap();
    }

    #[test]
    fn a_predicted_row_the_document_contradicts_is_rewritten_from_the_document() {
        let (_dir, store, mut doc, device, feed) = setup();
        let conn = store.conn();
        let local = [7; 8];
        let put = put(local, 1_000);
        let tombstone = Write::Put(FeedKey::Tombstone(local), FeedValue::Timestamp(1_001));
        let change = doc
            .write(keys::device_id(&device), 1_000, &[put, tombstone])
            .unwrap();
        let predicted = predict(conn, feed, &doc, local, record(999), &change);
        assert_eq!(
            row(conn, feed, local),
            Some((999, false)),
            "written as predicted"
        );
        confirm(conn, feed, &doc, predicted);
        assert_eq!(
            row(conn, feed, local),
            Some((1_000, true)),
            "the document's record and tombstone win"
        );
    }

    #[test]
    fn a_predicted_row_of_a_change_still_waiting_stays_as_a_provisional_row() {
        let (_dir, store, doc, device, feed) = setup();
        let conn = store.conn();
        let local = [8; 8];
        // A change made on another copy of the feed: this document lacks it.
        let mut elsewhere = FeedDoc::new(doc.account());
        let put = put(local, 2_000);
        let change = elsewhere
            .write(keys::device_id(&device), 2_000, &[put])
            .unwrap();
        let predicted = predict(conn, feed, &doc, local, record(2_000), &change);
        confirm(conn, feed, &doc, predicted);
        assert_eq!(row(conn, feed, local), Some((2_000, false)));
    }

    #[test]
    fn a_post_that_already_has_a_row_is_not_predicted() {
        let (_dir, store, mut doc, device, feed) = setup();
        let conn = store.conn();
        let local = [9; 8];
        let put = put(local, 3_000);
        let change = doc.write(keys::device_id(&device), 3_000, &[put]).unwrap();
        predict(conn, feed, &doc, local, record(3_000), &change);
        let again = predict(conn, feed, &doc, local, record(3_333), &change);
        assert!(
            !again.has(local),
            "the row existed, so the document decides"
        );
        assert_eq!(
            row(conn, feed, local),
            Some((3_000, false)),
            "and it was left alone"
        );
    }
}
