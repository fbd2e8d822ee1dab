//! Blobs this home references but lacks: attachments of stored posts and
//! profile pictures whose bytes have not arrived. The peer that sent the
//! change naming one is asked at once; when that fails (the peer left, or
//! lacked it too), peers holding its feed are asked again, less and less
//! often, until it arrives or nothing references it any more.

use std::collections::{HashMap, HashSet};

use kith_core::{AccountId, Hash};
use rusqlite::{OptionalExtension, params};

use crate::error::Result;
use crate::{IngestReport, Store, docs, materialize};

/// How long after a blob is first wanted it is asked for again.
pub const FIRST_RETRY_MS: i64 = 30_000;
/// The longest wait between two tries; each try waits twice the last.
pub const LONGEST_RETRY_MS: i64 = 30 * 60_000;
/// Most wanted rows one [`Store::due_blobs`] looks at.
const MAX_LOOKED_AT: i64 = 512;

/// A blob to ask peers for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WantedBlob {
    /// Its BLAKE3 hash.
    pub hash: Hash,
    /// The feed that references it: the peers holding it may hold the blob.
    pub feed: AccountId,
}

/// A row of `wanted_blobs` with its feed's account: hash, feed id, tries.
type WantedRow = (Vec<u8>, i64, i64, Option<Vec<u8>>);

/// The wait before the try after `tries` failed ones.
fn retry_after(tries: i64) -> i64 {
    let doublings = u32::try_from(tries.clamp(0, 16)).unwrap_or(16);
    FIRST_RETRY_MS
        .saturating_mul(1 << doublings)
        .min(LONGEST_RETRY_MS)
}

impl Store {
    /// Of the blobs a stored batch references (`report`), those this home
    /// lacks: remembered as wanted, first asked for again
    /// [`FIRST_RETRY_MS`] after `now_ms`, and returned so that the peer
    /// that sent the batch can be asked at once.
    pub fn want_blobs(&mut self, report: &IngestReport, now_ms: i64) -> Result<Vec<Hash>> {
        if report.attachments.is_empty() && report.profiles.is_empty() {
            return Ok(Vec::new());
        }
        self.in_one_transaction(|s| s.record_wanted(report, now_ms + FIRST_RETRY_MS))
    }

    /// Remembers the blobs `report`'s changes reference that this home
    /// lacks, first tried again at `next_try`; returns them.
    pub(crate) fn record_wanted(&self, report: &IngestReport, next_try: i64) -> Result<Vec<Hash>> {
        let mut referenced = report.attachments.clone();
        for account in &report.profiles {
            let avatar: Option<Vec<u8>> = self
                .conn
                .prepare_cached("SELECT avatar FROM feeds WHERE account = ?1")?
                .query_row([account.as_bytes().as_slice()], |r| r.get(0))
                .optional()?
                .flatten();
            if let Some(hash) = avatar.and_then(|a| Hash::try_from(a.as_slice()).ok()) {
                referenced.push((*account, hash));
            }
        }
        let mut feeds: HashMap<AccountId, Option<i64>> = HashMap::new();
        let mut seen: HashSet<Hash> = HashSet::new();
        let mut missing = Vec::new();
        let mut insert = self.conn.prepare_cached(
            "INSERT OR IGNORE INTO wanted_blobs(hash, feed_id, tries, next_try) VALUES(?1, ?2, 0, ?3)",
        )?;
        for (account, hash) in referenced {
            if !seen.insert(hash) || self.blobs.has(&hash) {
                continue;
            }
            let feed = if let Some(feed) = feeds.get(&account) {
                *feed
            } else {
                let feed = docs::find_feed(&self.conn, account)?;
                feeds.insert(account, feed);
                feed
            };
            let Some(feed) = feed else { continue };
            insert.execute(params![hash.as_slice(), feed, next_try])?;
            missing.push(hash);
        }
        Ok(missing)
    }

    /// Wanted blobs whose next try is due at `now_ms`, at most `limit`,
    /// oldest due first; each one's next try is put off (twice as long as
    /// the last wait, at most [`LONGEST_RETRY_MS`]). Blobs that arrived
    /// meanwhile, and those no live post or profile references any more,
    /// are forgotten instead.
    pub fn due_blobs(&mut self, now_ms: i64, limit: usize) -> Result<Vec<WantedBlob>> {
        self.in_one_transaction(|s| s.take_due_blobs(now_ms, limit))
    }

    fn take_due_blobs(&self, now_ms: i64, limit: usize) -> Result<Vec<WantedBlob>> {
        let rows: Vec<WantedRow> = self
            .conn
            .prepare_cached(
                "SELECT w.hash, w.feed_id, w.tries, f.account FROM wanted_blobs w
                 LEFT JOIN feeds f ON f.id = w.feed_id
                 WHERE w.next_try <= ?1 ORDER BY w.next_try LIMIT ?2",
            )?
            .query_map(params![now_ms, MAX_LOOKED_AT], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })?
            .collect::<rusqlite::Result<_>>()?;
        let mut due = Vec::new();
        for (hash_bytes, feed, tries, account) in rows {
            if due.len() == limit {
                break;
            }
            let hash = Hash::try_from(hash_bytes.as_slice()).ok();
            let account = account.and_then(|a| AccountId::from_slice(&a).ok());
            let (Some(hash), Some(account)) = (hash, account) else {
                self.forget_wanted(&hash_bytes)?;
                continue;
            };
            if self.blobs.has(&hash) || !self.still_referenced(&hash, feed)? {
                self.forget_wanted(&hash_bytes)?;
                continue;
            }
            self.conn
                .prepare_cached(
                    "UPDATE wanted_blobs SET tries = tries + 1, next_try = ?2 WHERE hash = ?1",
                )?
                .execute(params![hash.as_slice(), now_ms + retry_after(tries + 1)])?;
            due.push(WantedBlob {
                hash,
                feed: account,
            });
        }
        Ok(due)
    }

    /// Whether a live post or profile references `hash`: its own feed's
    /// first (one feed's rows), then any.
    fn still_referenced(&self, hash: &Hash, feed: i64) -> Result<bool> {
        let by_feed: bool = self
            .conn
            .prepare_cached(
                "SELECT EXISTS(SELECT 1 FROM posts WHERE feed_id = ?2 AND deleted = 0
                                AND attachments IS NOT NULL AND instr(attachments, ?1) > 0)
                 OR EXISTS(SELECT 1 FROM feeds WHERE id = ?2 AND avatar = ?1)",
            )?
            .query_row(params![hash.as_slice(), feed], |r| r.get(0))?;
        Ok(by_feed || materialize::blob_referenced(&self.conn, hash)?)
    }

    fn forget_wanted(&self, hash: &[u8]) -> Result<()> {
        self.conn
            .prepare_cached("DELETE FROM wanted_blobs WHERE hash = ?1")?
            .execute([hash])?;
        Ok(())
    }

    /// A blob that arrived is no longer wanted.
    pub(crate) fn blob_arrived(&self, hash: &Hash) -> Result<()> {
        self.forget_wanted(hash.as_slice())
    }

    /// A peer holding `accounts`' feeds just came: their wanted blobs are
    /// due at once instead of at their next try.
    pub fn want_blobs_now(&mut self, accounts: &[AccountId]) -> Result<()> {
        let mut stmt = self.conn.prepare_cached(
            "UPDATE wanted_blobs SET next_try = 0
             WHERE feed_id = (SELECT id FROM feeds WHERE account = ?1)",
        )?;
        for account in accounts {
            stmt.execute([account.as_bytes().as_slice()])?;
        }
        Ok(())
    }

    /// How many blobs this home wants.
    pub fn wanted_blob_count(&self) -> Result<u64> {
        let n: i64 = self
            .conn
            .query_row("SELECT count(*) FROM wanted_blobs", [], |r| r.get(0))?;
        Ok(n.unsigned_abs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_retry_waits_twice_as_long_as_the_last_up_to_half_an_hour() {
        assert_eq!(retry_after(0), 30_000);
        assert_eq!(retry_after(1), 60_000);
        assert_eq!(retry_after(3), 240_000);
        assert_eq!(retry_after(6), LONGEST_RETRY_MS);
        assert_eq!(retry_after(i64::MAX), LONGEST_RETRY_MS);
    }
}
