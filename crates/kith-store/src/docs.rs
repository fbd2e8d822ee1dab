//! Feed documents: loading (snapshot + incremental changes), a small cache,
//! and snapshot compaction.

use std::collections::{HashMap, HashSet, VecDeque};

use kith_core::AccountId;
use kith_core::feed::{FeedDoc, LeftOut, Skipped};
use rusqlite::{Connection, OptionalExtension, params};

use crate::error::{Result, StoreError};
use crate::seed::Seeded;

/// At most this many feeds are seeded at once (each holds its document).
pub(crate) const MAX_SEEDS: usize = 4;

/// How many loaded documents stay in memory.
const CACHE_CAPACITY: usize = 256;
/// Compact when a feed has this many changes outside its snapshot…
const COMPACT_MIN: i64 = 256;
/// …and they are at least this fraction (1/N) of the snapshot's changes.
const COMPACT_RATIO: i64 = 4;

/// The id of `account`'s feed row, created if missing.
pub(crate) fn feed_id(conn: &Connection, account: AccountId) -> Result<i64> {
    if let Some(id) = find_feed(conn, account)? {
        return Ok(id);
    }
    conn.execute(
        "INSERT INTO feeds(account) VALUES(?1)",
        [account.as_bytes().as_slice()],
    )?;
    Ok(conn.last_insert_rowid())
}

/// The id of `account`'s feed row, if the store knows it.
pub(crate) fn find_feed(conn: &Connection, account: AccountId) -> Result<Option<i64>> {
    Ok(conn
        .prepare_cached("SELECT id FROM feeds WHERE account = ?1")?
        .query_row([account.as_bytes().as_slice()], |r| r.get(0))
        .optional()?)
}

/// Loaded feed documents, least recently used evicted first.
#[derive(Default)]
pub(crate) struct DocCache {
    docs: HashMap<i64, FeedDoc>,
    order: VecDeque<i64>,
    /// Set while the pages of a sync are stored and more follow: a feed
    /// whose snapshot holds no change yet is not snapshotted between
    /// pages (see [`maybe_compact`]).
    pub(crate) more_pages_follow: bool,
    /// Set while the last page of a sync is stored (not for changes that
    /// arrive any other way): a seed it does not complete is given up.
    pub(crate) last_sync_page: bool,
    /// Feeds whose document is a peer's snapshot not trusted yet
    /// ([`crate::seed`]); they are not in `docs`.
    seeds: HashMap<i64, Seeded>,
    /// Feeds whose seed was given up since the store opened: they sync
    /// without one.
    refused_seeds: HashSet<i64>,
}

impl DocCache {
    /// Takes a document out of the cache, loading it if absent. Put it back
    /// with [`Self::put`] once it is consistent with the database.
    pub(crate) fn take(
        &mut self,
        conn: &Connection,
        feed: i64,
        account: AccountId,
    ) -> Result<FeedDoc> {
        if self.seeds.contains_key(&feed) {
            // An untrusted seed is absent to everyone but the pages that
            // check it: the feed reads as empty until it is trusted.
            return Ok(FeedDoc::new(account));
        }
        if let Some(doc) = self.docs.remove(&feed) {
            self.order.retain(|f| *f != feed);
            return Ok(doc);
        }
        load(conn, feed, account)
    }

    /// Puts a document (consistent with the database) back. A document
    /// evicted to make room first has its pending changes folded into its
    /// snapshot, so that reloading it later is fast (see
    /// [`compact_if_pending`]); a failure to do so is logged, not fatal.
    pub(crate) fn put(&mut self, conn: &Connection, feed: i64, doc: FeedDoc) {
        if self.seeds.contains_key(&feed) {
            // The empty stand-in `take` gave for a seeded feed.
            return;
        }
        self.docs.insert(feed, doc);
        self.order.push_back(feed);
        while self.order.len() > CACHE_CAPACITY {
            let Some(old) = self.order.pop_front() else {
                break;
            };
            if let Some(evicted) = self.docs.remove(&old)
                && let Err(e) = fold_atomically(conn, old, &evicted)
            {
                tracing::warn!(feed = old, error = %e, "could not snapshot an evicted feed");
            }
        }
    }

    /// Holds a document taken out by a write that failed, only until the
    /// caller rolls back and calls [`Self::clear`] (no eviction, no write).
    pub(crate) fn hold(&mut self, feed: i64, doc: FeedDoc) {
        self.order.retain(|f| *f != feed);
        self.order.push_back(feed);
        self.docs.insert(feed, doc);
    }

    /// The cached documents.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (i64, &FeedDoc)> {
        self.docs.iter().map(|(feed, doc)| (*feed, doc))
    }

    /// Forgets one feed's document (after the feed was purged).
    pub(crate) fn forget(&mut self, feed: i64) {
        self.docs.remove(&feed);
        self.seeds.remove(&feed);
        self.order.retain(|f| *f != feed);
    }

    /// Forgets everything, after a failed transaction (rolled back): a
    /// cached document may hold what was rolled back. A feed whose earlier
    /// pages' changes only its document held (`feeds.unsaved`) first has
    /// their bytes written, so that what was committed stays whole; if
    /// that fails, its next load drops the feed's rows (see [`load`]).
    pub(crate) fn clear(&mut self, conn: &Connection) {
        for (feed, _) in self.seeds.drain() {
            // Its pages' rows wait for a seed that is gone: drop them, and
            // fetch the feed again without one.
            self.refused_seeds.insert(feed);
            if let Err(e) = reset_lost(conn, feed) {
                tracing::warn!(feed, error = %e, "could not drop a seeded feed's rows");
            }
        }
        for (feed, doc) in self.docs.drain() {
            if let Err(e) = keep_unsaved(conn, feed, &doc) {
                tracing::warn!(feed, error = %e, "could not keep a feed's unsaved changes");
            }
        }
        self.order.clear();
    }
}

impl DocCache {
    /// Takes out the seed of `feed`, if it has one.
    pub(crate) fn take_seed(&mut self, feed: i64) -> Option<Seeded> {
        self.seeds.remove(&feed)
    }

    /// Puts a seed back, or makes `seed` the document of `feed` in place of
    /// any cached one.
    pub(crate) fn put_seed(&mut self, feed: i64, seed: Seeded) {
        self.docs.remove(&feed);
        self.order.retain(|f| *f != feed);
        self.seeds.insert(feed, seed);
    }

    /// The seed of `feed`, if it has one, in place.
    pub(crate) fn seed_mut(&mut self, feed: i64) -> Option<&mut Seeded> {
        self.seeds.get_mut(&feed)
    }

    /// Whether another seed may be planted for `feed` (none is planted,
    /// none was given up since the store opened, and fewer than the most
    /// are planted at once).
    pub(crate) fn may_seed(&self, feed: i64) -> bool {
        !self.refused_seeds.contains(&feed)
            && !self.seeds.contains_key(&feed)
            && self.seeds.len() < MAX_SEEDS
    }

    /// Gives up seeding `feed` until the store is opened again.
    pub(crate) fn refuse_seed(&mut self, feed: i64) {
        self.seeds.remove(&feed);
        self.refused_seeds.insert(feed);
    }
}

fn load(conn: &Connection, feed: i64, account: AccountId) -> Result<FeedDoc> {
    if unsaved(conn, feed)? > 0 {
        // The document that held these changes is gone.
        reset_lost(conn, feed)?;
        return Ok(FeedDoc::new(account));
    }
    let start = std::time::Instant::now();
    let snapshot: Option<Vec<u8>> = conn
        .query_row("SELECT snapshot FROM feeds WHERE id = ?1", [feed], |r| {
            r.get(0)
        })
        .optional()?
        .flatten();
    let snapshot_bytes = snapshot.as_ref().map_or(0, Vec::len);
    let mut doc = match snapshot {
        Some(bytes) => FeedDoc::load(account, &bytes)
            .map_err(|e| StoreError::CorruptFeed(account.to_string(), e.to_string()))?,
        None => FeedDoc::new(account),
    };
    let loaded = start.elapsed();
    let mut stmt =
        conn.prepare_cached("SELECT bytes FROM unsnapshotted WHERE feed_id = ?1 ORDER BY id")?;
    let mut changes = Vec::new();
    for bytes in stmt.query_map([feed], |r| r.get::<_, Vec<u8>>(0))? {
        let change = automerge::Change::from_bytes(bytes?)
            .map_err(|e| StoreError::CorruptFeed(account.to_string(), e.to_string()))?;
        changes.push(change);
    }
    let pending = changes.len();
    let read = start.elapsed();
    doc.apply(changes)
        .map_err(|e| StoreError::CorruptFeed(account.to_string(), e.to_string()))?;
    let mut stmt = conn.prepare_cached("SELECT hash, why FROM left_out WHERE feed_id = ?1")?;
    for row in stmt.query_map([feed], |r| {
        Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, i64>(1)?))
    })? {
        let (hash, why) = row?;
        if let Ok(hash) = automerge::ChangeHash::try_from(hash.as_slice()) {
            doc.remember_left_out(hash, left_out_of(why));
        }
    }
    tracing::debug!(
        feed,
        snapshot_bytes,
        load_ms = loaded.as_millis() as u64,
        pending,
        read_ms = read.as_millis() as u64,
        total_ms = start.elapsed().as_millis() as u64,
        "feed document loaded"
    );
    Ok(doc)
}

/// Folds the changes applied since the last snapshot into a new snapshot
/// when there are enough of them, and drops their bytes (automerge
/// regenerates identical bytes from the snapshot).
///
/// With `more_pages_follow` (a sync is storing a feed page by page), a
/// feed whose snapshot holds no change yet waits for its last page: a
/// document with no snapshot reloads by applying its changes at in-memory
/// speed, so the wait costs nothing if the node stops, and the feed is
/// saved once instead of at every quarter of its growing size (on a
/// 100,000-change feed, about a second of saving).
pub(crate) fn maybe_compact(
    conn: &Connection,
    feed: i64,
    doc: &FeedDoc,
    more_pages_follow: bool,
) -> Result<()> {
    let (stored, unsaved, in_snapshot): (i64, i64, i64) = conn
        .prepare_cached(
            "SELECT (SELECT count(*) FROM unsnapshotted WHERE feed_id = ?1), unsaved, snapshot_changes FROM feeds WHERE id = ?1",
        )?
        .query_row([feed], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    if unsaved > 0 && !more_pages_follow {
        // A sync's last page: the document holds changes nothing else does.
        return compact(conn, feed, doc);
    }
    let pending = stored + unsaved;
    if pending < COMPACT_MIN
        || pending * COMPACT_RATIO < in_snapshot
        || (more_pages_follow && in_snapshot == 0)
    {
        return Ok(());
    }
    compact(conn, feed, doc)
}

/// Folds every applied change still outside the snapshot into it. A
/// document loaded from a snapshot applies further changes far more
/// slowly than one built in memory (automerge 0.12: about 1.4 ms a change
/// on a 100,000-change feed, against 20–30 µs), so a feed should not be
/// left with thousands of changes to apply at its next load.
pub(crate) fn compact_if_pending(conn: &Connection, feed: i64, doc: &FeedDoc) -> Result<bool> {
    let pending: i64 = conn
        .prepare_cached(
            "SELECT (SELECT count(*) FROM unsnapshotted WHERE feed_id = ?1 AND waiting = 0) + unsaved FROM feeds WHERE id = ?1",
        )?
        .query_row([feed], |r| r.get(0))?;
    if pending == 0 {
        return Ok(false);
    }
    compact(conn, feed, doc)?;
    Ok(true)
}

/// [`compact_if_pending`] as one atomic step, inside or outside the
/// caller's transaction (a savepoint).
pub(crate) fn fold_atomically(conn: &Connection, feed: i64, doc: &FeedDoc) -> Result<bool> {
    conn.execute_batch("SAVEPOINT fold_evicted")?;
    match compact_if_pending(conn, feed, doc) {
        Ok(folded) => {
            conn.execute_batch("RELEASE fold_evicted")?;
            Ok(folded)
        }
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK TO fold_evicted; RELEASE fold_evicted");
            Err(e)
        }
    }
}

/// Writes a new snapshot of `doc` and drops the bytes of the changes it
/// now holds (those not waiting for dependencies).
pub(crate) fn compact(conn: &Connection, feed: i64, doc: &FeedDoc) -> Result<()> {
    store_snapshot(conn, feed, || doc.save())
}

/// [`compact`] with the snapshot's bytes made by `save` (only if there is
/// anything to fold).
pub(crate) fn store_snapshot(
    conn: &Connection,
    feed: i64,
    save: impl FnOnce() -> Vec<u8>,
) -> Result<()> {
    let dropped = conn
        .prepare_cached("DELETE FROM unsnapshotted WHERE feed_id = ?1 AND waiting = 0")?
        .execute([feed])?;
    let folded = dropped as i64 + unsaved(conn, feed)?;
    if folded == 0 {
        // Only changes still waiting for their dependencies: the document
        // holds nothing new to save.
        return Ok(());
    }
    conn.execute(
        "UPDATE feeds SET snapshot = ?2, snapshot_changes = snapshot_changes + ?3, unsaved = 0 WHERE id = ?1",
        params![feed, save(), folded],
    )?;
    Ok(())
}

/// How many applied changes of `feed` only its document in memory holds.
fn unsaved(conn: &Connection, feed: i64) -> Result<i64> {
    Ok(conn
        .prepare_cached("SELECT unsaved FROM feeds WHERE id = ?1")?
        .query_row([feed], |r| r.get(0))
        .optional()?
        .unwrap_or(0))
}

/// Where the bytes of a batch's new changes go (see [`ChangeBytes::for_batch`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ChangeBytes {
    /// To `unsnapshotted`, until a snapshot takes them in.
    Stored,
    /// Nowhere but the document: it is saved after the sync's last page,
    /// and counted in `feeds.unsaved` until then.
    InDocument,
}

impl ChangeBytes {
    /// A sync page (at least [`crate::parallel::MIN_ITEMS`] changes) of
    /// another account's feed that no snapshot holds anything of yet
    /// keeps its bytes only in the document. Writing them to
    /// `unsnapshotted` costs every page ~1.6 MB of rows (twice, with the
    /// WAL) that the snapshot after the last page deletes again. If the
    /// document is lost before that snapshot, the feed is dropped and
    /// fetched again ([`reset_lost`]): all of it came from peers. The
    /// node's own feed always keeps its bytes.
    pub(crate) fn for_batch(
        conn: &Connection,
        feed: i64,
        own_feed: bool,
        batch: usize,
    ) -> Result<Self> {
        if own_feed || batch < crate::parallel::MIN_ITEMS {
            return Ok(Self::Stored);
        }
        let in_snapshot: i64 = conn
            .prepare_cached("SELECT snapshot_changes FROM feeds WHERE id = ?1")?
            .query_row([feed], |r| r.get(0))?;
        Ok(if in_snapshot == 0 {
            Self::InDocument
        } else {
            Self::Stored
        })
    }
}

/// After a failed transaction, writes to `unsnapshotted` the bytes of the
/// committed changes of `feed` that only `doc` holds (`feeds.unsaved`),
/// regenerated by automerge. Returns whether there were any. If `doc`
/// does not hold them all, nothing is written.
fn keep_unsaved(conn: &Connection, feed: i64, doc: &FeedDoc) -> Result<bool> {
    let unsaved = unsaved(conn, feed)?;
    if unsaved == 0 {
        return Ok(false);
    }
    conn.execute_batch("SAVEPOINT keep_unsaved")?;
    let kept = (|| -> Result<i64> {
        let stored: std::collections::HashSet<Vec<u8>> = conn
            .prepare("SELECT hash FROM unsnapshotted WHERE feed_id = ?1")?
            .query_map([feed], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let mut committed = conn.prepare_cached("SELECT 1 FROM changes WHERE hash = ?1")?;
        let mut insert = conn
            .prepare_cached("INSERT INTO unsnapshotted(hash, feed_id, bytes) VALUES(?1, ?2, ?3)")?;
        let mut kept = 0;
        for change in doc.doc().get_changes(&[]) {
            let hash = change.hash();
            if stored.contains(hash.0.as_slice()) || !committed.exists([hash.0.as_slice()])? {
                continue;
            }
            insert.execute(params![hash.0.as_slice(), feed, change.raw_bytes()])?;
            kept += 1;
        }
        Ok(kept)
    })();
    match kept {
        Ok(kept) if kept == unsaved => {
            conn.execute("UPDATE feeds SET unsaved = 0 WHERE id = ?1", [feed])?;
            conn.execute_batch("RELEASE keep_unsaved")?;
            Ok(true)
        }
        other => {
            let _ = conn.execute_batch("ROLLBACK TO keep_unsaved; RELEASE keep_unsaved");
            other?;
            Err(StoreError::CorruptFeed(
                format!("feed {feed}"),
                "its document no longer holds its unsaved changes".into(),
            ))
        }
    }
}

/// Drops the rows of a feed whose document was lost while it held changes
/// nothing else did (`feeds.unsaved`: the process stopped in the middle
/// of a sync): its changes, posts and everything materialized from it,
/// keeping the feed itself (followed or not) and its certificates. Peers
/// then send it again as on a first sync.
pub(crate) fn reset_lost(conn: &Connection, feed: i64) -> Result<()> {
    conn.execute_batch("SAVEPOINT reset_lost")?;
    let result = (|| -> Result<()> {
        crate::moderation::drop_feed_rows(conn, feed)?;
        conn.execute(
            "UPDATE feeds SET name = NULL, bio = NULL, avatar = NULL, snapshot = NULL,
                snapshot_changes = 0, heads = NULL, change_count = 0, unsaved = 0
             WHERE id = ?1",
            [feed],
        )?;
        crate::moderation::bump(conn)?;
        Ok(())
    })();
    match result {
        Ok(()) => {
            conn.execute_batch("RELEASE reset_lost")?;
            tracing::warn!(
                feed,
                "the feed's document was lost in the middle of a sync: its rows were dropped, to be fetched again"
            );
            Ok(())
        }
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK TO reset_lost; RELEASE reset_lost");
            Err(e)
        }
    }
}

/// How `left_out.why` stores why a change was left out (schema 12).
fn left_out_code(why: LeftOut) -> i64 {
    match why {
        LeftOut::Equivocation => 1,
        LeftOut::Descendant => 2,
    }
}

/// The reason [`left_out_code`] stored as `code`.
fn left_out_of(code: i64) -> LeftOut {
    if code == left_out_code(LeftOut::Equivocation) {
        LeftOut::Equivocation
    } else {
        LeftOut::Descendant
    }
}

/// Records the changes `feed`'s document left out (`skipped`), at most
/// [`kith_core::feed::MAX_LEFT_OUT`] for a feed, so that a document loaded
/// again leaves them out too ([`FeedDoc::remember_left_out`]).
pub(crate) fn remember_left_out(conn: &Connection, feed: i64, skipped: &[Skipped]) -> Result<()> {
    let mut stmt = conn.prepare_cached(
        "INSERT OR IGNORE INTO left_out(feed_id, hash, why)
         SELECT ?1, ?2, ?3 WHERE (SELECT count(*) FROM left_out WHERE feed_id = ?1) < ?4",
    )?;
    for s in skipped {
        stmt.execute(params![
            feed,
            s.hash.0.as_slice(),
            left_out_code(s.why),
            kith_core::feed::MAX_LEFT_OUT as i64
        ])?;
    }
    Ok(())
}

/// [`reset_lost`] for every feed that lost its document (at open).
pub(crate) fn reset_all_lost(conn: &Connection) -> Result<usize> {
    let lost: Vec<i64> = conn
        .prepare("SELECT id FROM feeds WHERE unsaved > 0")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for feed in &lost {
        reset_lost(conn, *feed)?;
    }
    Ok(lost.len())
}

/// Heads as stored in `feeds.heads`: the 32-byte hashes, concatenated.
pub(crate) fn encode_heads(heads: &[automerge::ChangeHash]) -> Vec<u8> {
    heads.iter().flat_map(|h| h.0).collect()
}

/// Reads heads stored by [`encode_heads`]; `None` if the bytes are damaged.
pub(crate) fn decode_heads(bytes: &[u8]) -> Option<Vec<automerge::ChangeHash>> {
    if !bytes.len().is_multiple_of(32) {
        return None;
    }
    bytes
        .chunks_exact(32)
        .map(|c| automerge::ChangeHash::try_from(c).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use kith_core::feed::{FeedKey, FeedValue, Write};
    use kith_core::{DeviceCertificate, Envelope, keys};

    use super::*;
    use crate::Store;

    /// Signed changes of one account's feed, each setting its name.
    struct Writer {
        account: AccountId,
        key: ed25519_dalek::SigningKey,
        cert: DeviceCertificate,
        doc: FeedDoc,
    }

    impl Writer {
        fn new() -> Self {
            let account_key = keys::generate();
            let key = keys::generate();
            let cert = DeviceCertificate::issue(&account_key, keys::device_id(&key), 1);
            let account = keys::account_id(&account_key);
            Self {
                account,
                key,
                cert,
                doc: FeedDoc::new(account),
            }
        }

        fn changes(&mut self, n: usize) -> Vec<Envelope> {
            (0..n)
                .map(|i| {
                    let write = Write::Put(FeedKey::Name, FeedValue::Str(format!("name {i}")));
                    let change = self
                        .doc
                        .write(keys::device_id(&self.key), 1_000 + i as i64, &[write])
                        .unwrap();
                    Envelope::seal(
                        self.account,
                        &self.key,
                        self.cert.reference(),
                        change.raw_bytes().to_vec(),
                    )
                })
                .collect()
        }
    }

    fn pending(store: &Store, account: AccountId) -> i64 {
        store
            .conn()
            .query_row(
                "SELECT count(*) FROM unsnapshotted u JOIN feeds f ON f.id = u.feed_id
                 WHERE f.account = ?1",
                [account.as_bytes().as_slice()],
                |r| r.get(0),
            )
            .unwrap()
    }

    #[test]
    fn a_feed_evicted_from_the_cache_or_left_at_close_keeps_no_changes_outside_its_snapshot() {
        let dir = tempfile::tempdir().unwrap();
        let mut writer = Writer::new();
        let account = writer.account;
        let mut store = Store::open(dir.path()).unwrap();
        store.add_certificates(&[writer.cert.clone()]).unwrap();
        store.ingest(writer.changes(300)).unwrap();
        store.ingest(writer.changes(10)).unwrap();
        assert_eq!(
            pending(&store, account),
            10,
            "too few to compact on their own"
        );

        // Reading as many other feeds as the cache holds evicts this one.
        for _ in 0..CACHE_CAPACITY {
            store.read_feed(Writer::new().account, |_| ()).unwrap();
        }
        assert_eq!(
            pending(&store, account),
            0,
            "folded into the snapshot on eviction"
        );
        let heads = store.feed_heads(account).unwrap();

        store.ingest(writer.changes(5)).unwrap();
        assert_eq!(pending(&store, account), 5);
        let heads_after = store.feed_heads(account).unwrap();
        assert_ne!(heads, heads_after);
        drop(store);
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(
            pending(&store, account),
            0,
            "folded into the snapshot at close"
        );
        let mut store = store;
        assert_eq!(
            store.feed_heads(account).unwrap(),
            heads_after,
            "nothing lost"
        );
        assert_eq!(store.feed_states(&[account]).unwrap()[0].changes, 315);
    }
}
