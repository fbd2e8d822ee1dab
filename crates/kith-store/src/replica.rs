//! What replication asks of the store beyond [`crate::sync`]: which feeds
//! this home carries, their heads without loading documents, a sample of a
//! feed's history for peers that diverged, verified ingest of what a peer
//! sent (certificates, envelopes and bodies in one transaction), blobs a
//! peer can supply, and the peers met before.

use std::collections::HashMap;

use automerge::ChangeHash;
use kith_core::{AccountId, DeviceCertificate, Envelope, Hash, PostId};
use rusqlite::{OptionalExtension, params};

use crate::error::Result;
use crate::ingest::{self, IngestReport};
use crate::{Store, docs, materialize};

/// A feed as replication sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedState {
    /// Whose feed.
    pub account: AccountId,
    /// Its current heads (empty if the store holds none of its changes).
    pub heads: Vec<ChangeHash>,
    /// How many verified changes the store holds.
    pub changes: u64,
    /// The name its profile gives, if any.
    pub name: Option<String>,
}

/// SQLite's page cache while the pages of a sync are stored, in KiB.
const SYNC_CACHE_KIB: i64 = 32 * 1024;
/// SQLite's page cache otherwise (SQLite's default), in KiB.
const DEFAULT_CACHE_KIB: i64 = 2000;

/// A `feeds` row as replication reads it: id, heads, change count, name.
type FeedRow = (i64, Option<Vec<u8>>, i64, Option<String>);

/// A peer met before.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownPeer {
    /// Its libp2p peer id, as text.
    pub peer_id: String,
    /// Addresses it was reached at, as multiaddr text.
    pub addrs: Vec<String>,
    /// When it was last seen (ms since the Unix epoch).
    pub last_seen: i64,
}

/// At most this many addresses are remembered per peer.
const MAX_PEER_ADDRS: usize = 8;
/// At most this many peers are remembered; past it, the least recently
/// seen are forgotten.
pub const MAX_REMEMBERED_PEERS: usize = 512;
/// Most feeds carried because friends follow them.
pub const MAX_FRIENDS_FEEDS: usize = 2000;
/// Changes a peer may push per minute by default before more are dropped.
pub const DEFAULT_PEER_RATE: u32 = 1200;

/// Which feeds a node carries besides its own, the followed ones and the
/// maintainers of subscribed lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "kebab-case")]
pub enum Scope {
    /// Only those.
    #[default]
    Follows,
    /// Also the feeds the followed accounts follow (up to
    /// [`MAX_FRIENDS_FEEDS`]).
    FollowsOfFollows,
}

impl std::str::FromStr for Scope {
    type Err = crate::StoreError;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "follows" => Ok(Self::Follows),
            "follows-of-follows" => Ok(Self::FollowsOfFollows),
            other => Err(crate::StoreError::NotFound(format!(
                "replication scope `{}` (use follows or follows-of-follows)",
                other.chars().take(40).collect::<String>()
            ))),
        }
    }
}

/// The replication policy of a home.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Policy {
    /// Which feeds are carried.
    pub scope: Scope,
    /// Changes one peer may push per minute (gossip); more are dropped, not stored.
    pub peer_rate: u32,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            scope: Scope::Follows,
            peer_rate: DEFAULT_PEER_RATE,
        }
    }
}

impl Store {
    /// The feeds this home carries: its own, those its account follows,
    /// those of the maintainers of the lists it subscribes to, and with
    /// [`Scope::FollowsOfFollows`] those its follows follow. Never a
    /// blocked one.
    pub fn carried_feeds(&self) -> Result<Vec<AccountId>> {
        let Some(own) = self.own else {
            return Ok(Vec::new());
        };
        let mut out = vec![own];
        let blocked = |a: &AccountId| crate::moderation::is_blocked(&self.conn, *a);
        let push = |a: AccountId, out: &mut Vec<AccountId>| -> Result<()> {
            if !out.contains(&a) && !blocked(&a)? {
                out.push(a);
            }
            Ok(())
        };
        if let Some(feed) = docs::find_feed(&self.conn, own)? {
            let mut stmt = self
                .conn
                .prepare_cached("SELECT target FROM follows WHERE feed_id = ?1 ORDER BY since")?;
            for row in stmt.query_map([feed], |r| r.get::<_, Vec<u8>>(0))? {
                push(AccountId::from_slice(&row?)?, &mut out)?;
            }
        }
        for owner in self.subscribed_list_owners()? {
            push(owner, &mut out)?;
        }
        if self.policy()?.scope == Scope::FollowsOfFollows {
            let direct = out.len();
            // Taken in turns: each followed feed's newest follow, then each
            // one's second newest, and so on. `since` is the writer's word,
            // so ordering by it alone let one followed account that wrote
            // 2,000 follows "in the future" take every slot.
            let mut stmt = self.conn.prepare_cached(
                "SELECT target FROM (
                     SELECT w.target AS target, w.since AS since,
                            row_number() OVER (PARTITION BY w.feed_id ORDER BY w.since DESC) AS turn
                     FROM follows w JOIN feeds f ON f.id = w.feed_id
                     WHERE f.account IN (SELECT target FROM follows WHERE feed_id IN own_feed))
                 GROUP BY target ORDER BY min(turn), max(since) DESC LIMIT ?1",
            )?;
            let rows: Vec<Vec<u8>> = stmt
                .query_map([(MAX_FRIENDS_FEEDS * 2) as i64], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            for row in rows {
                if out.len() >= direct + MAX_FRIENDS_FEEDS {
                    break;
                }
                push(AccountId::from_slice(&row)?, &mut out)?;
            }
        }
        Ok(out)
    }

    /// Whether the changes a batch stored (`report`) may have changed
    /// [`Self::carried_feeds`]: they wrote follows or blocks of the own
    /// feed (made on another of this account's devices), or, carrying
    /// [`Scope::FollowsOfFollows`], follows of another feed.
    pub fn carried_may_change(&self, report: &IngestReport) -> Result<bool> {
        if report.relations.is_empty() {
            return Ok(false);
        }
        if self.own.is_some_and(|own| report.relations.contains(&own)) {
            return Ok(true);
        }
        Ok(self.policy()?.scope == Scope::FollowsOfFollows)
    }

    /// The replication policy.
    pub fn policy(&self) -> Result<Policy> {
        let raw: Option<Vec<u8>> = self
            .conn
            .prepare_cached("SELECT value FROM meta WHERE key = 'policy'")?
            .query_row([], |r| r.get(0))
            .optional()?;
        Ok(raw
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default())
    }

    /// Changes the replication policy.
    pub fn set_policy(&mut self, policy: Policy) -> Result<()> {
        let bytes = serde_json::to_vec(&policy).unwrap_or_default();
        self.conn.execute(
            "INSERT INTO meta(key, value) VALUES('policy', ?1) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [bytes],
        )?;
        Ok(())
    }

    /// The heads and change counts of `accounts`' feeds, in the same order
    /// (feeds the store has never seen have no heads and no changes).
    pub fn feed_states(&mut self, accounts: &[AccountId]) -> Result<Vec<FeedState>> {
        let mut out = Vec::with_capacity(accounts.len());
        for &account in accounts {
            let row: Option<FeedRow> = self
                .conn
                .prepare_cached(
                    "SELECT id, heads, change_count, name FROM feeds WHERE account = ?1",
                )?
                .query_row([account.as_bytes().as_slice()], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
                })
                .optional()?;
            let state = match row {
                None => FeedState {
                    account,
                    heads: Vec::new(),
                    changes: 0,
                    name: None,
                },
                Some((feed, stored, changes, name)) => {
                    let heads = match stored.as_deref().and_then(docs::decode_heads) {
                        Some(h) => h,
                        // Written before heads were stored: compute them once.
                        None if changes > 0 => {
                            let heads = self.feed_heads(account)?.unwrap_or_default();
                            self.conn.execute(
                                "UPDATE feeds SET heads = ?2 WHERE id = ?1",
                                params![feed, docs::encode_heads(&heads)],
                            )?;
                            heads
                        }
                        None => Vec::new(),
                    };
                    FeedState {
                        account,
                        heads,
                        changes: changes as u64,
                        name,
                    }
                }
            };
            out.push(state);
        }
        Ok(out)
    }

    /// Whether the store holds every change in `hashes` for `account`'s
    /// feed, or left it out ([`kith_core::feed::FeedDoc::apply`]: it
    /// conflicts with a change held, or depends on one that does), so that
    /// nothing of them is worth asking a peer for.
    pub fn has_changes(&mut self, account: AccountId, hashes: &[ChangeHash]) -> Result<bool> {
        if hashes.is_empty() {
            return Ok(true);
        }
        if docs::find_feed(&self.conn, account)?.is_none() {
            return Ok(false);
        }
        self.read_feed(account, |doc| {
            hashes
                .iter()
                .all(|h| doc.has_change(h) || doc.left_out(h).is_some())
        })
    }

    /// The feed's heads followed by changes at exponentially growing
    /// distances back through its history (1, 2, 4, … changes before the
    /// newest), at most `max` hashes. A peer that knows any of them knows
    /// everything before it, so a diverged peer can still be sent only
    /// what it lacks (plus at most as much again).
    pub fn ancestry_sample(&mut self, account: AccountId, max: usize) -> Result<Vec<ChangeHash>> {
        if docs::find_feed(&self.conn, account)?.is_none() {
            return Ok(Vec::new());
        }
        self.read_feed(account, |doc| {
            let mut out = doc.heads();
            let all = doc.doc().get_changes(&[]);
            let mut back = 1usize;
            while back <= all.len() && out.len() < max {
                let hash = all[all.len() - back].hash();
                if !out.contains(&hash) {
                    out.push(hash);
                }
                back *= 2;
            }
            out.truncate(max);
            out
        })
    }

    /// Verifies what a peer sent (certificates, envelopes, post bodies) and
    /// stores it in one transaction: all of it, or, if any certificate or
    /// envelope fails a check, none of it. Bodies that do not match their
    /// posts' signed hashes are skipped.
    pub fn ingest_signed(
        &mut self,
        certificates: &[DeviceCertificate],
        envelopes: Vec<Envelope>,
        bodies: &[(PostId, Vec<u8>)],
    ) -> Result<IngestReport> {
        self.ingest_verified(certificates, ingest::verify_envelopes(envelopes), bodies)
    }

    /// [`Self::ingest_signed`] for envelopes already put through
    /// [`crate::verify_envelopes`] (off the store's thread).
    pub fn ingest_verified(
        &mut self,
        certificates: &[DeviceCertificate],
        verified: ingest::VerifiedEnvelopes,
        bodies: &[(PostId, Vec<u8>)],
    ) -> Result<IngestReport> {
        self.size_cache_for_sync(false)?;
        self.store_verified(certificates, verified, bodies)
    }

    /// [`Self::ingest_verified`] for one page of a feed's changes; with
    /// `more_pages_follow`, a feed that has no snapshot yet is snapshotted
    /// after its last page rather than between pages.
    pub fn ingest_verified_page(
        &mut self,
        certificates: &[DeviceCertificate],
        verified: ingest::VerifiedEnvelopes,
        bodies: &[(PostId, Vec<u8>)],
        more_pages_follow: bool,
    ) -> Result<IngestReport> {
        self.size_cache_for_sync(more_pages_follow)?;
        self.docs.more_pages_follow = more_pages_follow;
        self.docs.last_sync_page = !more_pages_follow;
        let result = self.store_verified(certificates, verified, bodies);
        self.docs.more_pages_follow = false;
        self.docs.last_sync_page = false;
        if result.is_err() {
            self.size_cache_for_sync(false)?;
        }
        result
    }

    /// Grows SQLite's page cache while the pages of a sync arrive, and
    /// shrinks it back (freeing the memory) after the last one. With the
    /// default 2 MiB, the indexes a big sync grows (random change hashes,
    /// the search index) no longer fit, and every page re-reads and spills
    /// them: the larger cache made a 100k-post sync ~4 % faster. Kept
    /// only for the sync, as a resident 32 MiB would cost ~35 MB of memory
    /// on a node that merely reads.
    fn size_cache_for_sync(&mut self, syncing: bool) -> Result<()> {
        if syncing != self.sync_cache {
            let kib = if syncing {
                SYNC_CACHE_KIB
            } else {
                DEFAULT_CACHE_KIB
            };
            self.conn.pragma_update(None, "cache_size", -kib)?;
            self.sync_cache = syncing;
        }
        Ok(())
    }

    fn store_verified(
        &mut self,
        certificates: &[DeviceCertificate],
        verified: ingest::VerifiedEnvelopes,
        bodies: &[(PostId, Vec<u8>)],
    ) -> Result<IngestReport> {
        let start = std::time::Instant::now();
        let ingest::VerifiedEnvelopes { envelopes, checks } = verified;
        // Only certificates the envelopes use are checked and kept, so a
        // peer cannot fill the store with certificates of other accounts.
        let used: std::collections::HashSet<(AccountId, Hash)> =
            envelopes.iter().map(|e| (e.account, e.cert_ref)).collect();
        let mut certs: HashMap<Hash, DeviceCertificate> = HashMap::new();
        for c in certificates {
            let reference = c.reference();
            if used.contains(&(c.account, reference)) {
                c.verify()?;
                certs.insert(reference, c.clone());
            }
        }
        let checked =
            ingest::check_verified(&self.conn, envelopes, checks, &certs, &mut |_, _| {})?;
        let mut purged = Vec::new();
        let result = (|| {
            let tx = self.conn.transaction()?;
            ingest::store_certificates(&tx, certs.values())?;
            let (report, _) = ingest::apply_with_bodies(
                &tx,
                &mut self.docs,
                self.own,
                checked,
                &mut purged,
                bodies,
            )?;
            tx.commit()?;
            tracing::debug!(
                changes = report.accepted,
                ms = start.elapsed().as_millis() as u64,
                "verified changes stored"
            );
            Ok(report)
        })();
        match &result {
            Ok(_) => ingest::remove_purged(&self.blobs, &purged),
            Err(_) => self.docs.clear(&self.conn),
        }
        result
    }

    /// Stores a blob a peer sent if a live post or profile references it
    /// (the blob store checks its size), and stops wanting it. Returns
    /// whether it was stored.
    pub fn put_referenced_blob(&mut self, bytes: &[u8]) -> Result<bool> {
        crate::BlobStore::check_size(bytes.len())?;
        let hash = *blake3::hash(bytes).as_bytes();
        if self.blobs.has(&hash) {
            self.blob_arrived(&hash)?;
            return Ok(false);
        }
        if !materialize::blob_referenced(&self.conn, &hash)? {
            return Ok(false);
        }
        self.blobs.put(bytes)?;
        self.blob_arrived(&hash)?;
        Ok(true)
    }

    /// Remembers a peer and the addresses it was reached at (the first
    /// eight). At most `MAX_REMEMBERED_PEERS` (512) are kept: a new one past
    /// that makes the least recently seen forgotten.
    pub fn remember_peer(&self, peer_id: &str, addrs: &[String], now_ms: i64) -> Result<()> {
        let addrs: Vec<&String> = addrs.iter().take(MAX_PEER_ADDRS).collect();
        let json = serde_json::to_string(&addrs).unwrap_or_else(|_| "[]".into());
        self.conn
            .prepare_cached(
                "INSERT INTO peers(peer_id, addrs, last_seen) VALUES(?1, ?2, ?3)
                 ON CONFLICT(peer_id) DO UPDATE SET addrs = excluded.addrs, last_seen = excluded.last_seen",
            )?
            .execute(params![peer_id, json, now_ms])?;
        let remembered: i64 = self
            .conn
            .prepare_cached("SELECT count(*) FROM peers")?
            .query_row([], |r| r.get(0))?;
        if remembered > MAX_REMEMBERED_PEERS as i64 {
            self.forget_peers_past(MAX_REMEMBERED_PEERS)?;
        }
        Ok(())
    }

    /// Forgets every remembered peer but the `keep` most recently seen.
    fn forget_peers_past(&self, keep: usize) -> Result<usize> {
        Ok(self
            .conn
            .prepare_cached(
                "DELETE FROM peers WHERE peer_id IN
                 (SELECT peer_id FROM peers ORDER BY last_seen DESC, peer_id LIMIT -1 OFFSET ?1)",
            )?
            .execute([keep as i64])?)
    }

    /// The peers met before, most recently seen first.
    pub fn known_peers(&self, limit: usize) -> Result<Vec<KnownPeer>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT peer_id, addrs, last_seen FROM peers ORDER BY last_seen DESC LIMIT ?1",
        )?;
        let rows = stmt.query_map([limit as i64], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (peer_id, addrs, last_seen) = row?;
            out.push(KnownPeer {
                peer_id,
                addrs: serde_json::from_str(&addrs).unwrap_or_default(),
                last_seen,
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use kith_core::feed::{FeedKey, FeedValue, Write};
    use kith_core::keys;

    use super::*;
    use crate::ingest::testing::Device;

    #[test]
    fn a_follow_or_block_made_on_another_device_of_the_own_account_changes_what_is_carried() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        let own_key = keys::generate();
        let own = keys::account_id(&own_key);
        store.set_own_account(own).unwrap();
        let mut other_device = Device::of(&own_key);
        let bea = keys::account_id(&keys::generate());

        let follow = other_device.write(
            1,
            &[Write::Put(FeedKey::Follow(bea), FeedValue::Timestamp(1))],
        );
        let r = store
            .ingest_signed(&[other_device.cert.clone()], vec![follow], &[])
            .unwrap();
        assert_eq!(r.relations, [own]);
        assert!(store.carried_may_change(&r).unwrap());
        assert!(store.carried_feeds().unwrap().contains(&bea));

        let block = other_device.write(
            2,
            &[
                Write::Delete(FeedKey::Follow(bea)),
                Write::Put(FeedKey::Block(bea), FeedValue::Timestamp(2)),
            ],
        );
        let r = store
            .ingest_signed(&[other_device.cert.clone()], vec![block], &[])
            .unwrap();
        assert!(store.carried_may_change(&r).unwrap());
        assert!(!store.carried_feeds().unwrap().contains(&bea));

        // A post changes nothing carried.
        let (post, id, body) = other_device.post(3, 1, "hello");
        let r = store
            .ingest_signed(&[other_device.cert.clone()], vec![post], &[(id, body)])
            .unwrap();
        assert!(r.relations.is_empty());
        assert!(!store.carried_may_change(&r).unwrap());
    }

    #[test]
    fn a_follow_that_waited_for_its_dependencies_changes_what_is_carried_when_it_applies() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        let own_key = keys::generate();
        let own = keys::account_id(&own_key);
        store.set_own_account(own).unwrap();
        let mut other_device = Device::of(&own_key);
        let bea = keys::account_id(&keys::generate());
        let name = other_device.write(
            1,
            &[Write::Put(FeedKey::Name, FeedValue::Str("Ada".into()))],
        );
        let follow = other_device.write(
            2,
            &[Write::Put(FeedKey::Follow(bea), FeedValue::Timestamp(2))],
        );
        let cert = [other_device.cert.clone()];
        // Gossip brings the follow first: it waits for the change before it.
        store.ingest_signed(&cert, vec![follow], &[]).unwrap();
        assert!(!store.carried_feeds().unwrap().contains(&bea));
        let r = store.ingest_signed(&cert, vec![name], &[]).unwrap();
        assert_eq!(r.relations, [own], "the follow applied with this batch");
        assert!(store.carried_may_change(&r).unwrap());
        assert!(store.carried_feeds().unwrap().contains(&bea));
    }

    #[test]
    fn a_follow_made_by_a_followed_account_changes_what_is_carried_only_with_follows_of_follows() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        store
            .set_own_account(keys::account_id(&keys::generate()))
            .unwrap();
        let friend_key = keys::generate();
        let mut friend = Device::of(&friend_key);
        let someone = keys::account_id(&keys::generate());
        let follow = friend.write(
            1,
            &[Write::Put(
                FeedKey::Follow(someone),
                FeedValue::Timestamp(1),
            )],
        );
        let r = store
            .ingest_signed(&[friend.cert.clone()], vec![follow], &[])
            .unwrap();
        assert_eq!(r.relations, [friend.account]);
        assert!(!store.carried_may_change(&r).unwrap());
        store
            .set_policy(Policy {
                scope: Scope::FollowsOfFollows,
                ..Policy::default()
            })
            .unwrap();
        assert!(store.carried_may_change(&r).unwrap());
    }

    #[test]
    fn one_followed_account_cannot_take_every_follows_of_follows_slot() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        let own_key = keys::generate();
        store.set_own_account(keys::account_id(&own_key)).unwrap();
        store
            .set_policy(Policy {
                scope: Scope::FollowsOfFollows,
                ..Policy::default()
            })
            .unwrap();
        let mut me = Device::of(&own_key);
        let (mut greedy, mut friend) =
            (Device::of(&keys::generate()), Device::of(&keys::generate()));
        let follow_both = me.write(
            1,
            &[
                Write::Put(FeedKey::Follow(greedy.account), FeedValue::Timestamp(1)),
                Write::Put(FeedKey::Follow(friend.account), FeedValue::Timestamp(1)),
            ],
        );
        store
            .ingest_signed(&[me.cert.clone()], vec![follow_both], &[])
            .unwrap();
        // More follows than there are slots, all dated as late as can be.
        let mut changes = Vec::new();
        for chunk in 0..4 {
            let writes: Vec<Write> = (0..(MAX_FRIENDS_FEEDS / 4 + 50))
                .map(|_| {
                    Write::Put(
                        FeedKey::Follow(keys::account_id(&keys::generate())),
                        FeedValue::Timestamp(i64::MAX - chunk),
                    )
                })
                .collect();
            changes.push(greedy.write(10 + chunk, &writes));
        }
        store
            .ingest_signed(&[greedy.cert.clone()], changes, &[])
            .unwrap();
        let friends_friend = keys::account_id(&keys::generate());
        let honest = friend.write(
            20,
            &[Write::Put(
                FeedKey::Follow(friends_friend),
                FeedValue::Timestamp(20),
            )],
        );
        store
            .ingest_signed(&[friend.cert.clone()], vec![honest], &[])
            .unwrap();

        let carried = store.carried_feeds().unwrap();
        assert!(
            carried.contains(&friends_friend),
            "the other followed account's follow has a slot"
        );
        assert_eq!(
            carried.len(),
            3 + MAX_FRIENDS_FEEDS,
            "the slots are all used"
        );
    }

    #[test]
    fn remembered_peers_are_bounded_and_the_least_recently_seen_are_forgotten() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let addrs = vec!["/ip4/10.0.0.1/tcp/4001".to_owned()];
        store.remember_peer("honest", &addrs, 10_000).unwrap();
        for i in 0..(MAX_REMEMBERED_PEERS as i64 + 100) {
            store
                .remember_peer(&format!("peer{i}"), &addrs, 1_000 + i)
                .unwrap();
        }
        let all = store.known_peers(10_000).unwrap();
        assert_eq!(all.len(), MAX_REMEMBERED_PEERS);
        assert_eq!(all[0].peer_id, "honest", "the most recently seen stays");
        assert!(
            !all.iter().any(|p| p.peer_id == "peer0"),
            "the least recently seen went"
        );
        assert_eq!(
            all.last().map(|p| p.last_seen),
            Some(1_000 + 100 + 1),
            "exactly the oldest were forgotten"
        );
    }
}
