//! Seeding a fresh feed from a peer's snapshot.
//!
//! A node that holds nothing of a feed may be sent the sender's stored
//! snapshot before the pages of the sync. Loaded (off the store's thread),
//! it becomes the feed's document, and each page's verified changes are
//! only checked to be in it instead of being applied: automerge's apply is
//! the longer half of every page of a long sync.
//!
//! The seed is not trusted until every change it holds has arrived,
//! verified, in a page. automerge's load recomputes each change's hash
//! from the document's operations (and checks the heads), so a seed whose
//! every change hash belongs to a verified change holds exactly those
//! changes. Until then nothing is read from it: readers see the feed as
//! empty ([`crate::docs::DocCache::take`]), its heads are not stored, and
//! the posts' rows are the ones predicted from the verified changes
//! themselves; confirming them, materializing everything else and saving
//! the snapshot wait for the page that completes the seed. A sync that
//! ends without completing it, a failed transaction, or a stopped process
//! drops the feed's rows ([`crate::docs::reset_lost`]), and the feed is
//! fetched again without a seed.

use std::collections::{BTreeSet, HashMap, HashSet};

use automerge::ChangeHash;

use kith_core::feed::{FeedDoc, FeedKey};
use kith_core::{AccountId, CoreError, PostId};

use crate::error::{Result, StoreError};
use crate::materialize::Predicted;

/// The largest snapshot accepted as a seed: the sync protocol's response
/// cap (16 MiB) less room for the message around it.
pub const MAX_SEED_BYTES: usize = 15 * 1024 * 1024;
/// The most bytes a seed's columns may inflate to.
pub const MAX_SEED_INFLATED_BYTES: u64 = 256 * 1024 * 1024;
/// The most bytes of bodies a seed keeps for posts that have no row yet.
pub const MAX_HELD_BODY_BYTES: usize = 64 * 1024 * 1024;
/// A peer's snapshot is worth seeding from only for at least this many
/// changes (as many as a batch needs to apply on a second thread).
pub const MIN_SEED_CHANGES: usize = 256;

/// A peer's snapshot of a feed, loaded and not yet trusted.
pub struct Seed {
    pub(crate) doc: FeedDoc,
    pub(crate) bytes: Vec<u8>,
    /// The hashes of its changes (looked up once per change of every page:
    /// far cheaper than asking the loaded document).
    pub(crate) hashes: HashSet<ChangeHash>,
    /// Its changes, rebuilt while loading it, until [`Seed::rebuild`]
    /// takes them.
    pub(crate) changes: Vec<automerge::Change>,
}

impl Seed {
    /// Loads a peer's snapshot of `account`'s feed and rebuilds its
    /// changes (to learn their hashes, and for [`Seed::rebuild`]). Takes
    /// ~0.6 s for 100,000 changes, so call it off the store's thread.
    pub fn load(account: AccountId, bytes: Vec<u8>) -> Result<Self> {
        if bytes.len() > MAX_SEED_BYTES {
            return Err(seed_error(format!(
                "{} bytes, more than {MAX_SEED_BYTES}",
                bytes.len()
            )));
        }
        kith_core::columns::check_document(&bytes, MAX_SEED_INFLATED_BYTES)?;
        let doc = FeedDoc::load(account, &bytes)?;
        let changes = doc.doc().get_changes(&[]);
        let hashes: HashSet<ChangeHash> = changes.iter().map(automerge::Change::hash).collect();
        Ok(Self {
            doc,
            bytes,
            hashes,
            changes,
        })
    }

    /// How many changes it holds.
    pub fn changes(&self) -> usize {
        self.hashes.len()
    }
}

fn seed_error(why: String) -> StoreError {
    StoreError::Core(CoreError::Malformed {
        what: "feed snapshot",
        reason: why,
    })
}

/// A feed whose document is a seed not yet trusted, and what waits for it.
pub(crate) struct Seeded {
    pub(crate) doc: FeedDoc,
    /// The hashes of the seed's own changes.
    pub(crate) hashes: HashSet<ChangeHash>,
    /// The snapshot as received: stored as is once trusted, if nothing was
    /// applied on top of it.
    pub(crate) bytes: Vec<u8>,
    /// Seed changes that arrived verified.
    pub(crate) confirmed: usize,
    /// Whether nothing was applied on top of the seed.
    pub(crate) pristine: bool,
    /// Rows predicted by the pages so far, confirmed once trusted.
    pub(crate) predicted: Predicted,
    /// Keys the pages touched that were not predicted, materialized once trusted.
    pub(crate) keys: BTreeSet<FeedKey>,
    /// Bodies that arrived before their post had a row (those of posts
    /// several changes of a page write, materialized once trusted), and
    /// their total size.
    pub(crate) bodies: HashMap<PostId, Vec<u8>>,
    held_body_bytes: usize,
}

impl Seeded {
    pub(crate) fn new(seed: Seed, confirmed: usize) -> Self {
        Self {
            doc: seed.doc,
            hashes: seed.hashes,
            bytes: seed.bytes,
            confirmed,
            pristine: true,
            predicted: Predicted::default(),
            keys: BTreeSet::new(),
            bodies: HashMap::new(),
            held_body_bytes: 0,
        }
    }

    /// Keeps a body that matched no post row, to be stored once the seed
    /// is trusted if it matches its post then; at most
    /// [`MAX_HELD_BODY_BYTES`] in all (a body past it is dropped, and the
    /// post shows without its text).
    pub(crate) fn hold_body(&mut self, post: PostId, body: &[u8]) {
        if self.bodies.contains_key(&post)
            || self.held_body_bytes + body.len() > MAX_HELD_BODY_BYTES
        {
            return;
        }
        self.held_body_bytes += body.len();
        self.bodies.insert(post, body.to_vec());
    }

    /// Whether every change of the seed arrived verified.
    pub(crate) fn complete(&self) -> bool {
        self.confirmed >= self.hashes.len()
    }
}

impl crate::Store {
    /// Makes `seed` the document of its feed, to be checked by the pages
    /// of the sync that follows instead of applying them. Only for a feed
    /// this node carries, holds no applied change of, and has not given up
    /// a seed for since it opened. Changes waiting for their dependencies
    /// (the feed's newest, stored before the seed loaded) are fine: those
    /// the seed holds count as arrived, and the others (made after the
    /// peer saved its snapshot; at most [`MAX_UNSNAPSHOTTED`], since a
    /// loaded document applies them slowly) are applied to it. Returns
    /// whether the seed was taken.
    pub fn plant_seed(&mut self, mut seed: Seed) -> Result<bool> {
        if seed.changes() < MIN_SEED_CHANGES {
            return Ok(false);
        }
        let Some(feed) = self.seedable_feed(seed.doc.account())? else {
            return Ok(false);
        };
        let (in_snapshot, unsaved, held): (i64, i64, i64) = self
            .conn
            .prepare_cached(
                "SELECT snapshot_changes, unsaved, change_count FROM feeds WHERE id = ?1",
            )?
            .query_row([feed], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        let waiting: Vec<(Vec<u8>, bool, Vec<u8>)> = self
            .conn
            .prepare_cached("SELECT hash, waiting, bytes FROM unsnapshotted WHERE feed_id = ?1")?
            .query_map([feed], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let only_waiting = waiting.iter().all(|(_, w, _)| *w) && waiting.len() as i64 == held;
        if in_snapshot != 0 || unsaved != 0 || !only_waiting {
            return Ok(false);
        }
        let stored = waiting.len();
        let mut outside = Vec::new();
        for (hash, _, bytes) in waiting {
            let Ok(hash) = automerge::ChangeHash::try_from(hash.as_slice()) else {
                return Ok(false);
            };
            if !seed.hashes.contains(&hash) {
                let Ok(change) = automerge::Change::from_bytes(bytes) else {
                    return Ok(false);
                };
                outside.push(change);
            }
        }
        if outside.len() > MAX_UNSNAPSHOTTED as usize {
            return Ok(false);
        }
        let (in_seed, applied) = (stored - outside.len(), outside.len());
        if !outside.is_empty() && seed.doc.apply(outside).is_err() {
            return Ok(false);
        }
        tracing::debug!(
            feed,
            changes = seed.changes(),
            in_seed,
            applied,
            "seeded from a peer's snapshot"
        );
        let mut seeded = Seeded::new(seed, in_seed);
        // Changes applied on top: once trusted, the document is saved
        // rather than the snapshot kept as received.
        seeded.pristine = applied == 0;
        self.docs.put_seed(feed, seeded);
        Ok(true)
    }

    /// Whether a peer's snapshot of `account`'s feed could be planted as
    /// its seed now, as far as this store's state goes (the feed is
    /// carried and not blocked, and no seed of it is planted or was given
    /// up): when not, a pull need not ask for one.
    pub fn may_plant_seed(&self, account: AccountId) -> Result<bool> {
        Ok(self.seedable_feed(account)?.is_some())
    }

    /// The row id of `account`'s feed if a seed may be planted for it: a
    /// carried feed, not this home's own nor blocked, with no seed planted
    /// or given up.
    fn seedable_feed(&self, account: AccountId) -> Result<Option<i64>> {
        if self.own == Some(account) || crate::moderation::is_blocked(&self.conn, account)? {
            return Ok(None);
        }
        let feed = crate::docs::find_feed(&self.conn, account)?;
        Ok(feed.filter(|f| self.docs.may_seed(*f)))
    }

    /// The stored snapshot of `account`'s feed, for a peer that holds
    /// nothing of it to seed from: only when the snapshot holds the feed
    /// but for at most [`MAX_UNSNAPSHOTTED`] changes, fits
    /// [`MAX_SEED_BYTES`], and holds at least [`MIN_SEED_CHANGES`].
    pub fn seed_snapshot(&mut self, account: AccountId) -> Result<Option<Vec<u8>>> {
        let Some(feed) = crate::docs::find_feed(&self.conn, account)? else {
            return Ok(None);
        };
        if crate::moderation::is_blocked(&self.conn, account)? {
            return Ok(None);
        }
        let row: (Option<Vec<u8>>, i64, i64, i64) = self
            .conn
            .prepare_cached(
                "SELECT snapshot, snapshot_changes, unsaved,
                    (SELECT count(*) FROM unsnapshotted WHERE feed_id = ?1) FROM feeds WHERE id = ?1",
            )?
            .query_row([feed], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
        let (Some(snapshot), in_snapshot, unsaved, outside) = row else {
            return Ok(None);
        };
        let usable = offered_as_seed(snapshot.len(), in_snapshot, unsaved, outside);
        Ok(usable.then_some(snapshot))
    }

    /// The row id of `account`'s feed if [`Self::seed_snapshot`] offers a
    /// snapshot of it, found without reading the snapshot.
    pub(crate) fn feed_offered_as_seed(&self, account: AccountId) -> Result<Option<i64>> {
        let Some(feed) = crate::docs::find_feed(&self.conn, account)? else {
            return Ok(None);
        };
        if crate::moderation::is_blocked(&self.conn, account)? {
            return Ok(None);
        }
        let (bytes, in_snapshot, unsaved, outside): (Option<i64>, i64, i64, i64) = self
            .conn
            .prepare_cached(
                "SELECT length(snapshot), snapshot_changes, unsaved,
                    (SELECT count(*) FROM unsnapshotted WHERE feed_id = ?1) FROM feeds WHERE id = ?1",
            )?
            .query_row([feed], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
        let offered = bytes.is_some_and(|b| {
            offered_as_seed(
                usize::try_from(b).unwrap_or(usize::MAX),
                in_snapshot,
                unsaved,
                outside,
            )
        });
        Ok(offered.then_some(feed))
    }
}

/// Whether a stored snapshot of `bytes` holding `in_snapshot` changes, of
/// a feed with `unsaved` changes applied since and `outside` changes not
/// in it, is offered as a seed.
fn offered_as_seed(bytes: usize, in_snapshot: i64, unsaved: i64, outside: i64) -> bool {
    unsaved == 0
        && outside <= MAX_UNSNAPSHOTTED
        && in_snapshot >= MIN_SEED_CHANGES as i64
        && bytes <= MAX_SEED_BYTES
}

/// A snapshot is offered as a seed only if at most this many of the
/// feed's changes are outside it: the receiver applies those to a loaded
/// document, which automerge does slowly (~1.4 ms a change).
pub const MAX_UNSNAPSHOTTED: i64 = 256;
