//! Kith's local store: verified envelopes, feed documents, materialized
//! views (timeline, threads, profiles, reactions), full-text search and
//! content-addressed blobs, in one SQLite file (WAL mode) and a blob folder.
//!
//! A [`Store`] is the only writer of its database: the node owns one and
//! sends it work. Everything entering it is verified first (signatures,
//! certificates, schema) and written in one transaction, so a rejected batch
//! leaves the store exactly as it was.

mod blobs;
mod bundle;
mod docs;
mod error;
mod ingest;
mod materialize;
mod moderation;
mod query;
mod replica;
mod reports;
mod schema;
mod secure;
mod sync;

use std::path::{Path, PathBuf};

use kith_core::AccountId;
use rusqlite::{Connection, OptionalExtension};

pub use blobs::BlobStore;
pub use bundle::{ExportReport, ImportReport};
pub use error::{Result, StoreError};
pub use ingest::{IngestReport, VerifiedEnvelopes, verify_envelopes};
pub use moderation::{ListEntryView, ListView, Mark, Marks, ModAction, ModerationNote};
pub use query::{Cursor, Page, PostView, ProfileView};
pub use replica::{DEFAULT_PEER_RATE, FeedState, KnownPeer, MAX_FRIENDS_FEEDS, Policy, Scope};
pub use reports::{MAX_INBOX, MAX_OUTBOX, PendingReport, ReportView};
pub use schema::{LATEST_VERSION, MIGRATIONS};
pub use sync::{ChangesPage, RECENT_POSTS, SignedChanges};

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
    /// The moderation judge of the views and the generation it was built at.
    judge: std::sync::Mutex<Option<(i64, std::sync::Arc<moderation::Judge>)>>,
}

impl Store {
    /// Opens (creating and migrating if needed) the store in `dir`.
    pub fn open(dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(dir).map_err(|e| StoreError::io(dir, e))?;
        let conn = Connection::open(dir.join(DB_FILE))?;
        schema::configure(&conn)?;
        schema::migrate(&conn)?;
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
            judge: std::sync::Mutex::new(None),
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
