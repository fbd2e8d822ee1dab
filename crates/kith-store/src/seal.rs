//! Seals: the signatures of changes a peer rebuilt from this node's
//! snapshot of a feed, with the bodies of the posts they write.
//!
//! A node that syncs a whole feed from a peer's snapshot (see
//! [`crate::seed`]) already holds every change of it: automerge rebuilds
//! them from the snapshot byte for byte ([`Seed::rebuild`]). What it lacks
//! is each change's signature and certificate, and the posts' bodies. It
//! asks for those by change hash and post id ([`Store::seals`]); the
//! answering node reads them from its tables without loading the feed's
//! document, and the asking node puts each rebuilt change in its envelope
//! ([`Rebuilt::envelopes`]), which is then verified like any other. A
//! change whose seal does not come is never stored, so the seed is then
//! never trusted and the feed is fetched again in whole changes.

use std::collections::HashMap;

use automerge::ChangeHash;
use kith_core::{AccountId, CoreError, DeviceCertificate, Envelope, PostId};
use rusqlite::{OptionalExtension, params};

use crate::error::{Result, StoreError};
use crate::ingest::SealedEnvelopes;
use crate::seed::Seed;
use crate::sync::ANSWER_KEPT_FOR;
use crate::{Store, docs};

/// Post bodies by post id, in the order asked.
type PostBodies = Vec<(PostId, Vec<u8>)>;

/// Most seals (and most post bodies) in one request.
pub const MAX_SEALS: usize = 8192;

/// A change's signature, and which of the answer's certificates certifies
/// the device that made it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seal {
    /// The change's hash.
    pub hash: ChangeHash,
    /// Index of the certificate in [`Seals::certificates`].
    pub cert: u16,
    /// The device's signature of the change's envelope.
    pub signature: [u8; 64],
}

/// The answer to a request for seals.
#[derive(Debug, Clone, Default)]
pub struct Seals {
    /// Every certificate of the feed's devices that the store holds.
    pub certificates: Vec<DeviceCertificate>,
    /// The seals of the changes asked for that the store holds, in the
    /// order asked.
    pub seals: Vec<Seal>,
    /// The bodies of the live posts asked for, in the order asked, as
    /// many as fit in the budget.
    pub bodies: Vec<(PostId, Vec<u8>)>,
    /// Whether bodies were left out because the budget was reached: the
    /// posts after the last body sent are to be asked for again
    /// ([`posts_not_reached`]).
    pub more_bodies: bool,
}

/// The posts of `asked` that an answer whose bodies are `bodies` (in the
/// order asked, cut at its budget) did not reach: those after the last
/// body sent, or all of them if none was.
pub fn posts_not_reached(asked: &[[u8; 8]], bodies: &[(PostId, Vec<u8>)]) -> Vec<[u8; 8]> {
    let reached = bodies
        .last()
        .and_then(|(last, _)| asked.iter().position(|local| *local == last.local))
        .map_or(0, |i| i + 1);
    asked.get(reached..).unwrap_or_default().to_vec()
}

/// A feed's signatures and bodies, read in one pass each for a peer's
/// first request for seals and kept for its next ones.
pub(crate) struct SealCache {
    account: AccountId,
    /// The feed's change count when it was read: a changed feed is read
    /// again (a newer snapshot holds changes this one lacks).
    held: i64,
    signatures: HashMap<ChangeHash, (i64, Vec<u8>)>,
    bodies: HashMap<i64, Vec<u8>>,
    /// Seals answered from it so far: once every one was, it is dropped.
    served: usize,
    built: std::time::Instant,
}

impl SealCache {
    /// Whether it was built longer than `age` ago.
    pub(crate) fn older_than(&self, age: std::time::Duration) -> bool {
        self.built.elapsed() > age
    }
}

impl Store {
    /// The seals of the changes of `account`'s feed among `hashes`, with
    /// the bodies of its live posts among `posts` (local ids) while they
    /// (+48 bytes each) fit in `budget`. At most [`MAX_SEALS`] of each are
    /// answered. Changes and posts the store does not hold are left out; a
    /// feed it holds nothing of, or blocks, has none.
    pub fn seals(
        &mut self,
        account: AccountId,
        hashes: &[ChangeHash],
        posts: &[[u8; 8]],
        budget: usize,
    ) -> Result<Seals> {
        self.in_one_transaction(|s| s.build_seals(account, hashes, posts, budget))
    }

    /// Reads, ahead of a peer's requests for seals, what answering them
    /// takes (one pass over the feed's signatures and bodies, kept for
    /// [`ANSWER_KEPT_FOR`]): for a feed whose snapshot this store offers
    /// as a seed, once a peer that holds nothing of it was sent its newest
    /// changes. Returns whether anything was read.
    pub fn prepare_seals(&mut self, account: AccountId) -> Result<bool> {
        let Some(feed) = self.feed_offered_as_seed(account)? else {
            return Ok(false);
        };
        self.in_one_transaction(|s| s.read_feed_for_seals(account, feed))?;
        Ok(self.seal_cache.is_some())
    }

    fn build_seals(
        &mut self,
        account: AccountId,
        hashes: &[ChangeHash],
        posts: &[[u8; 8]],
        budget: usize,
    ) -> Result<Seals> {
        let Some(feed) = docs::find_feed(&self.conn, account)? else {
            return Ok(Seals::default());
        };
        if crate::moderation::is_blocked(&self.conn, account)? {
            return Ok(Seals::default());
        }
        let (hashes, posts) = (
            &hashes[..hashes.len().min(MAX_SEALS)],
            &posts[..posts.len().min(MAX_SEALS)],
        );
        let (certificates, cert_index) = feed_certificates(&self.conn, feed)?;
        self.read_feed_for_seals(account, feed)?;
        let seals = self.seals_of(account, feed, hashes, &cert_index)?;
        let (bodies, more_bodies) = self.bodies_for_seals(account, feed, posts, budget)?;
        if let Some(cache) = &mut self.seal_cache {
            cache.served += seals.len();
            if cache.served >= cache.signatures.len() {
                self.seal_cache = None;
            }
        }
        Ok(Seals {
            certificates,
            seals,
            bodies,
            more_bodies,
        })
    }

    /// Reads the signatures and bodies of `account`'s feed (row id `feed`)
    /// in one pass each, unless read for it in the last [`ANSWER_KEPT_FOR`]
    /// and unchanged since, or the feed is too small a part of the store
    /// for a pass to beat lookups (then there is no cache).
    fn read_feed_for_seals(&mut self, account: AccountId, feed: i64) -> Result<()> {
        let held: i64 = self
            .conn
            .prepare_cached("SELECT change_count FROM feeds WHERE id = ?1")?
            .query_row([feed], |r| r.get(0))?;
        let cached = self.seal_cache.as_ref().is_some_and(|c| {
            c.account == account && c.held == held && !c.older_than(ANSWER_KEPT_FOR)
        });
        if cached {
            return Ok(());
        }
        self.seal_cache = None;
        if crate::sync::worth_scanning(&self.conn, usize::try_from(held).unwrap_or(0), true)? {
            self.seal_cache = Some(SealCache {
                account,
                held,
                signatures: crate::sync::all_signatures(&self.conn, feed)?,
                bodies: crate::sync::all_bodies(&self.conn, feed)?,
                served: 0,
                built: std::time::Instant::now(),
            });
        }
        Ok(())
    }

    /// The seals of the changes of feed `feed` among `hashes`, in order.
    fn seals_of(
        &self,
        account: AccountId,
        feed: i64,
        hashes: &[ChangeHash],
        cert_index: &HashMap<i64, u16>,
    ) -> Result<Vec<Seal>> {
        let corrupt = |why: &str| StoreError::CorruptFeed(account.to_string(), why.into());
        let mut lookup = self.conn.prepare_cached(
            "SELECT cert_id, signature FROM changes WHERE hash = ?1 AND feed_id = ?2",
        )?;
        let mut seals = Vec::with_capacity(hashes.len());
        for hash in hashes {
            let row = if let Some(cache) = &self.seal_cache {
                cache.signatures.get(hash).cloned()
            } else {
                lookup
                    .query_row(params![hash.0.as_slice(), feed], |r| {
                        Ok((r.get(0)?, r.get(1)?))
                    })
                    .optional()?
            };
            let Some((cert_id, signature)) = row else {
                continue;
            };
            let cert = *cert_index
                .get(&cert_id)
                .ok_or_else(|| corrupt("a change's certificate is missing"))?;
            let signature: [u8; 64] = signature
                .try_into()
                .map_err(|_| corrupt("a stored signature is damaged"))?;
            seals.push(Seal {
                hash: *hash,
                cert,
                signature,
            });
        }
        Ok(seals)
    }

    /// The bodies of the live posts of feed `feed` among `posts`, in
    /// order, while they (+48 bytes each) fit in `budget` (at least one),
    /// and whether any was left out for it.
    fn bodies_for_seals(
        &self,
        account: AccountId,
        feed: i64,
        posts: &[[u8; 8]],
        budget: usize,
    ) -> Result<(PostBodies, bool)> {
        let mut bodies = Vec::new();
        let mut bytes = 0usize;
        for local in posts {
            let post = PostId {
                author: account,
                local: *local,
            };
            let body = match &self.seal_cache {
                Some(cache) => cache.bodies.get(&i64::from_be_bytes(*local)).cloned(),
                None => self.body_in_feed(feed, &post)?,
            };
            let Some(body) = body else { continue };
            if !bodies.is_empty() && bytes + body.len() + 48 > budget {
                return Ok((bodies, true));
            }
            bytes += body.len() + 48;
            bodies.push((post, body));
        }
        Ok((bodies, false))
    }
}

/// The certificates of the feed with row id `feed`, in the order the
/// store received them (at most `u16::MAX`), and each one's index by row id.
fn feed_certificates(
    conn: &rusqlite::Connection,
    feed: i64,
) -> Result<(Vec<DeviceCertificate>, HashMap<i64, u16>)> {
    let mut certificates = Vec::new();
    let mut index = HashMap::new();
    let mut stmt =
        conn.prepare_cached("SELECT id, cert FROM certs WHERE feed_id = ?1 ORDER BY id")?;
    let mut rows = stmt.query([feed])?;
    while let Some(row) = rows.next()? {
        let Ok(i) = u16::try_from(certificates.len()) else {
            break;
        };
        index.insert(row.get(0)?, i);
        certificates.push(DeviceCertificate::decode(&row.get::<_, Vec<u8>>(1)?)?);
    }
    Ok((certificates, index))
}

/// The changes of a seed, rebuilt from it, to be put in their envelopes
/// as their seals arrive.
pub struct Rebuilt {
    account: AccountId,
    /// In causal order; each taken when put in its envelope.
    changes: Vec<Option<automerge::Change>>,
    by_hash: HashMap<ChangeHash, usize>,
    /// How many changes the requests made so far cover.
    asked: usize,
}

/// One request's worth of seals to ask for: change hashes and the posts
/// those changes write.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SealRequest {
    /// The changes, in causal order.
    pub hashes: Vec<ChangeHash>,
    /// The local ids of the posts they write, each once.
    pub posts: Vec<[u8; 8]>,
}

impl Seed {
    /// Takes every change of the seed, in causal order, as rebuilt when it
    /// was loaded (a second call finds none).
    pub fn rebuild(&mut self) -> Rebuilt {
        let changes = std::mem::take(&mut self.changes);
        let by_hash = changes
            .iter()
            .enumerate()
            .map(|(i, c)| (c.hash(), i))
            .collect();
        Rebuilt {
            account: self.doc.account(),
            changes: changes.into_iter().map(Some).collect(),
            by_hash,
            asked: 0,
        }
    }
}

impl Rebuilt {
    /// How many changes it holds.
    pub fn len(&self) -> usize {
        self.changes.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// The next request, in causal order: the next changes (at most
    /// `per_request`, at most [`MAX_SEALS`]) and the posts they write
    /// (each once, at most as many). `None` once every change was in one.
    /// The posts are read from each change here, a request at a time, so
    /// that the first request leaves without waiting for the rest.
    pub fn next_request(&mut self, per_request: usize) -> Option<SealRequest> {
        let per_request = per_request.clamp(1, MAX_SEALS);
        let mut request = SealRequest::default();
        let mut seen = std::collections::HashSet::new();
        while let Some(slot) = self.changes.get(self.asked) {
            let Some(change) = slot else {
                self.asked += 1;
                continue;
            };
            let posts = crate::sync::posts_of(self.account, change);
            let full = request.hashes.len() == per_request
                || request.posts.len() + posts.len() > per_request;
            if full && !request.hashes.is_empty() {
                break;
            }
            request.hashes.push(change.hash());
            for post in posts {
                if seen.insert(post.local) {
                    request.posts.push(post.local);
                }
            }
            self.asked += 1;
        }
        (!request.hashes.is_empty()).then_some(request)
    }

    /// Puts each change that `seals` seals in its signed envelope, in the
    /// order of the seals. Seals of changes not rebuilt here, or already
    /// put in an envelope, are left out. A seal naming a certificate that
    /// `certificates` lacks, or one of another account, is malformed.
    pub fn envelopes(
        &mut self,
        certificates: &[DeviceCertificate],
        seals: Vec<Seal>,
    ) -> Result<SealedEnvelopes> {
        let references: Vec<_> = certificates
            .iter()
            .map(DeviceCertificate::reference)
            .collect();
        let mut envelopes = Vec::with_capacity(seals.len());
        let mut changes = Vec::with_capacity(seals.len());
        for seal in seals {
            let index = usize::from(seal.cert);
            let (Some(cert), Some(cert_ref)) = (certificates.get(index), references.get(index))
            else {
                return Err(malformed_seal("it names a certificate the answer lacks"));
            };
            if cert.account != self.account {
                return Err(malformed_seal("its certificate is of another account"));
            }
            let Some(change) = self
                .by_hash
                .get(&seal.hash)
                .and_then(|i| self.changes.get_mut(*i))
                .and_then(Option::take)
            else {
                continue;
            };
            envelopes.push(Envelope {
                account: self.account,
                device: cert.device,
                cert_ref: *cert_ref,
                change: change.raw_bytes().to_vec(),
                signature: seal.signature,
            });
            changes.push(Some(change));
        }
        Ok(SealedEnvelopes { envelopes, changes })
    }
}

fn malformed_seal(why: &str) -> StoreError {
    StoreError::Core(CoreError::Malformed {
        what: "seal",
        reason: why.into(),
    })
}
