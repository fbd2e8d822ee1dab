//! Kith's local store: verified envelopes, feed documents, materialized
//! views (timeline, threads, profiles, reactions), full-text search and
//! content-addressed blobs, in one SQLite file (WAL mode) and a blob folder.
//!
//! A [`Store`] is the only writer of its database: the node owns one and
//! sends it work. Everything entering it is verified first (signatures,
//! certificates, schema) and written in one transaction, so a rejected batch
//! leaves the store exactly as it was.

mod activity;
mod blobs;
mod bundle;
mod checkpointer;
mod docs;
mod error;
mod follows;
mod fts;
mod ingest;
mod materialize;
mod moderation;
mod parallel;
mod query;
mod replica;
mod reports;
mod schema;
mod seal;
mod secure;
mod seed;
mod sync;
mod wanted;

use std::path::{Path, PathBuf};

use kith_core::AccountId;
use rusqlite::{Connection, OptionalExtension};

pub use activity::{ActivityItem, ActivityKind, ActivityPage, MAX_UNREAD};
pub use blobs::BlobStore;
pub use bundle::{ExportReport, ImportReport};
pub use error::{Result, StoreError, is_disk_full};
pub use follows::{FollowDirection, FollowPage, FollowView};
pub use ingest::{
    IngestReport, SealedEnvelopes, VerifiedEnvelopes, verify_envelopes,
    verify_envelopes_beside_store, verify_sealed,
};
pub use moderation::{
    ListEntryView, ListView, MAX_PEER_KEY_OWNERS, Mark, Marks, ModAction, ModerationNote,
    PeerKeyOwner,
};
pub use query::{Cursor, MentionView, Page, PersonView, PostView, ProfileView};
pub use replica::{DEFAULT_PEER_RATE, FeedState, KnownPeer, MAX_FRIENDS_FEEDS, Policy, Scope};
pub use reports::{MAX_INBOX, MAX_OUTBOX, PendingReport, ReportView};
pub use schema::{LATEST_VERSION, MIGRATIONS};
pub use seal::{MAX_SEALS, Rebuilt, Seal, SealRequest, Seals, posts_not_reached};
pub use seed::{MAX_SEED_BYTES, MAX_UNSNAPSHOTTED, MIN_SEED_CHANGES, Seed};
pub use sync::{ANSWER_KEPT_FOR, ChangesPage, RECENT_POSTS, SignedChanges};
pub use wanted::{FIRST_RETRY_MS, LONGEST_RETRY_MS, WantedBlob};

/// File name of the database inside a home directory.
pub const DB_FILE: &str = "kith.db";
/// Folder name of the blob store inside a home directory.
pub const BLOB_DIR: &str = "blobs";

/// A progress callback: `(done, total)`.
pub type Progress<'a> = &'a mut dyn FnMut(u64, u64);

/// The store of one home directory.
pub struct Store {
    conn: Connection,
    blobs: BlobStore,
    docs: docs::DocCache,
    own: Option<AccountId>,
    dir: PathBuf,
    /// The last answer built for a peer's paged request.
    pages: Option<sync::PageCache>,
    /// The signatures and bodies read for a peer's requests for seals.
    seal_cache: Option<seal::SealCache>,
    /// The moderation judge of the views and the generation it was built at.
    judge: std::sync::Mutex<Option<(i64, std::sync::Arc<moderation::Judge>)>>,
    /// Whether SQLite's page cache is at its larger size for a paged sync
    /// (see [`Store::ingest_verified_page`]).
    sync_cache: bool,
    /// Checkpoints the write-ahead log off this thread; stopped when the
    /// store closes.
    _checkpointer: checkpointer::Checkpointer,
}

impl Store {
    /// Opens (creating and migrating if needed) the store in `dir`.
    pub fn open(dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(dir).map_err(|e| StoreError::io(dir, e))?;
        let mut conn = Connection::open(dir.join(DB_FILE))?;
        schema::configure(&conn)?;
        schema::migrate(&conn)?;
        let checkpointer = checkpointer::Checkpointer::start(&mut conn, &dir.join(DB_FILE))?;
        // Feeds whose documents were lost in the middle of a sync (the
        // process stopped) are fetched again from scratch.
        let lost = docs::reset_all_lost(&conn)?;
        if lost > 0 {
            tracing::warn!(
                feeds = lost,
                "dropped feeds left half-synced, to fetch them again"
            );
        }
        let own = conn
            .query_row(
                "SELECT value FROM meta WHERE key = 'own_account'",
                [],
                |r| r.get::<_, Vec<u8>>(0),
            )
            .optional()?
            .map(|b| AccountId::from_slice(&b))
            .transpose()?;
        let blobs = BlobStore::open(&dir.join(BLOB_DIR))?;
        Ok(Self {
            conn,
            blobs,
            docs: docs::DocCache::default(),
            own,
            dir: dir.to_owned(),
            pages: None,
            seal_cache: None,
            judge: std::sync::Mutex::new(None),
            sync_cache: false,
            _checkpointer: checkpointer,
        })
    }

    /// The home directory this store lives in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The account this home belongs to, once set.
    pub fn own_account(&self) -> Option<AccountId> {
        self.own
    }

    /// Records which account this home belongs to (its feed is always kept
    /// and always in the home timeline).
    pub fn set_own_account(&mut self, account: AccountId) -> Result<()> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT INTO meta(key, value) VALUES('own_account', ?1) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [account.as_bytes().as_slice()],
        )?;
        let feed = docs::feed_id(&tx, account)?;
        tx.execute("UPDATE feeds SET home = 1 WHERE id = ?1", [feed])?;
        tx.execute("UPDATE posts SET home = 1 WHERE feed_id = ?1", [feed])?;
        moderation::bump(&tx)?;
        tx.commit()?;
        self.own = Some(account);
        Ok(())
    }

    /// The blob store.
    pub fn blobs(&self) -> &BlobStore {
        &self.blobs
    }

    /// Flushes the write-ahead log into the database file and truncates it,
    /// so that nothing purged survives in the WAL.
    pub fn checkpoint(&self) -> Result<()> {
        secure::checkpoint(&self.conn)
    }

    /// Folds the changes applied to the cached feed documents since their
    /// last snapshots into new snapshots, so that the next load of those
    /// feeds has nothing left to apply. Runs when the store is dropped;
    /// returns how many feeds were compacted.
    pub fn fold_pending(&mut self) -> Result<usize> {
        let tx = self.conn.transaction()?;
        let mut folded = 0;
        for (feed, doc) in self.docs.iter() {
            folded += usize::from(docs::compact_if_pending(&tx, feed, doc)?);
        }
        tx.commit()?;
        Ok(folded)
    }

    /// Runs `f` inside one transaction unless one is already open, and
    /// commits what it wrote (rolls back, and forgets the cached documents,
    /// if it fails). Many small reads then
    /// share one snapshot of the database and take SQLite's WAL read lock
    /// (an `fcntl` call each way) once instead of once per statement: a
    /// fifth of the time spent building sync pages before.
    pub(crate) fn in_one_transaction<T>(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<T>,
    ) -> Result<T> {
        if !self.conn.is_autocommit() {
            return f(self);
        }
        self.conn.execute_batch("BEGIN")?;
        let result = f(self);
        let ended = self.end_transaction(result.is_ok());
        if result.is_err() || ended.is_err() {
            // What was rolled back, the cache of documents must not hold.
            self.docs.clear(&self.conn);
        }
        let value = result?;
        ended?;
        Ok(value)
    }

    /// Commits (or rolls back) the open transaction; if a commit fails,
    /// rolls back, so that no transaction is left open either way.
    fn end_transaction(&self, commit: bool) -> Result<()> {
        let ended = self
            .conn
            .execute_batch(if commit { "COMMIT" } else { "ROLLBACK" });
        if ended.is_err() && !self.conn.is_autocommit() {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
        Ok(ended?)
    }

    #[cfg(test)]
    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        match self.fold_pending() {
            Ok(0) => {}
            Ok(n) => tracing::debug!(feeds = n, "feed snapshots written on close"),
            Err(e) => tracing::warn!(error = %e, "could not write feed snapshots on close"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(store: &Store, key: &str) -> Option<Vec<u8>> {
        store
            .conn()
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()
            .unwrap()
    }

    #[test]
    fn what_a_failing_step_wrote_in_one_transaction_is_rolled_back_and_the_store_stays_usable() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        let failed: Result<()> = store.in_one_transaction(|s| {
            s.conn
                .execute("INSERT INTO meta(key, value) VALUES('probe', x'01')", [])?;
            Err(StoreError::NotFound("on purpose".into()))
        });
        assert!(failed.is_err(), "the step's error is returned");
        assert!(store.conn().is_autocommit(), "no transaction is left open");
        assert_eq!(meta(&store, "probe"), None, "the write was rolled back");

        store
            .in_one_transaction(|s| {
                s.conn
                    .execute("INSERT INTO meta(key, value) VALUES('probe', x'02')", [])?;
                // Nested: runs inside the open transaction.
                s.in_one_transaction(|s| Ok(s.conn.is_autocommit()))
                    .map(|nested_autocommit| assert!(!nested_autocommit))
            })
            .unwrap();
        assert_eq!(
            meta(&store, "probe"),
            Some(vec![2]),
            "the write was committed"
        );
    }
}
