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
use crate::seed::Seed;
use crate::sync::ANSWER_KEPT_FOR;
use crate::{Store, docs};

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
}

/// A feed's signatures and bodies, read in one pass each for a peer's
/// first request for seals and kept for its next ones.
pub(crate) struct SealCache {
    account: AccountId,
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
    /// feed it does not carry, or blocks, has none.
    pub fn seals(
        &mut self,
        account: AccountId,
        hashes: &[ChangeHash],
        posts: &[[u8; 8]],
        budget: usize,
    ) -> Result<Seals> {
        self.in_one_transaction(|s| s.build_seals(account, hashes, posts, budget))
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
        let bodies = self.bodies_for_seals(account, feed, posts, budget)?;
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
        })
    }

    /// Reads the signatures and bodies of `account`'s feed (row id `feed`)
    /// in one pass each, unless read for it in the last [`ANSWER_KEPT_FOR`]
    /// or the feed is too small a part of the store for a pass to beat
    /// lookups (then there is no cache).
    fn read_feed_for_seals(&mut self, account: AccountId, feed: i64) -> Result<()> {
        let cached = self
            .seal_cache
            .as_ref()
            .is_some_and(|c| c.account == account && !c.older_than(ANSWER_KEPT_FOR));
        if cached {
            return Ok(());
        }
        self.seal_cache = None;
        let held: i64 = self
            .conn
            .prepare_cached("SELECT change_count FROM feeds WHERE id = ?1")?
            .query_row([feed], |r| r.get(0))?;
        if crate::sync::worth_scanning(&self.conn, usize::try_from(held).unwrap_or(0), true)? {
            self.seal_cache = Some(SealCache {
                account,
                signatures: all_signatures(&self.conn, feed)?,
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
    /// order, while they (+48 bytes each) fit in `budget`.
    fn bodies_for_seals(
        &self,
        account: AccountId,
        feed: i64,
        posts: &[[u8; 8]],
        budget: usize,
    ) -> Result<Vec<(PostId, Vec<u8>)>> {
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
            if bytes + body.len() + 48 > budget {
                break;
            }
            bytes += body.len() + 48;
            bodies.push((post, body));
        }
        Ok(bodies)
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

/// The signatures of the feed with row id `feed`, with their certificate
/// row ids, by change hash.
fn all_signatures(
    conn: &rusqlite::Connection,
    feed: i64,
) -> Result<HashMap<ChangeHash, (i64, Vec<u8>)>> {
    let mut all = HashMap::new();
    let mut stmt =
        conn.prepare_cached("SELECT hash, cert_id, signature FROM changes WHERE feed_id = ?1")?;
    let mut rows = stmt.query([feed])?;
    while let Some(row) = rows.next()? {
        if let Ok(bytes) = row.get_ref(0)?.as_blob()
            && let Ok(hash) = ChangeHash::try_from(bytes)
        {
            all.insert(hash, (row.get(1)?, row.get(2)?));
        }
    }
    Ok(all)
}

/// A change rebuilt from a seed, waiting for its seal.
struct RebuiltChange {
    hash: ChangeHash,
    /// Taken when the change is put in its envelope.
    bytes: Option<Vec<u8>>,
    /// The local ids of the posts it writes.
    posts: Vec<[u8; 8]>,
}

/// The changes of a seed, rebuilt from it, to be put in their envelopes
/// as their seals arrive.
pub struct Rebuilt {
    account: AccountId,
    changes: Vec<RebuiltChange>,
    by_hash: HashMap<ChangeHash, usize>,
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
    /// Rebuilds every change of the seed (in causal order), with the posts
    /// each writes. Takes about as long as loading it (~0.3 s for 100,000
    /// changes), so call it off the store's thread.
    pub fn rebuild(&self) -> Rebuilt {
        let account = self.doc.account();
        let changes = self.doc.doc().get_changes(&[]);
        let half = changes.len() / 2;
        let (first, second) = changes.split_at(half);
        let posts_of = |part: &[automerge::Change]| -> Vec<Vec<[u8; 8]>> {
            part.iter()
                .map(|c| {
                    crate::sync::posts_of(account, c)
                        .into_iter()
                        .map(|p| p.local)
                        .collect()
                })
                .collect()
        };
        let (mut posts, second_posts) = crate::parallel::beside(
            changes.len() >= crate::parallel::MIN_ITEMS,
            || posts_of(first),
            || posts_of(second),
        );
        posts.extend(second_posts);
        let changes: Vec<RebuiltChange> = changes
            .iter()
            .zip(posts)
            .map(|(c, posts)| RebuiltChange {
                hash: c.hash(),
                bytes: Some(c.raw_bytes().to_vec()),
                posts,
            })
            .collect();
        let by_hash = changes
            .iter()
            .enumerate()
            .map(|(i, c)| (c.hash, i))
            .collect();
        Rebuilt {
            account,
            changes,
            by_hash,
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

    /// The requests that ask for every seal, at most `per_request`
    /// changes (and posts) each, in causal order.
    pub fn requests(&self, per_request: usize) -> Vec<SealRequest> {
        let per_request = per_request.clamp(1, MAX_SEALS);
        let mut requests = Vec::new();
        let mut current = SealRequest::default();
        let mut posts = std::collections::HashSet::new();
        for change in &self.changes {
            let full = current.hashes.len() == per_request
                || current.posts.len() + change.posts.len() > per_request;
            if full && !current.hashes.is_empty() {
                requests.push(std::mem::take(&mut current));
                posts.clear();
            }
            current.hashes.push(change.hash);
            for post in &change.posts {
                if posts.insert(*post) {
                    current.posts.push(*post);
                }
            }
        }
        if !current.hashes.is_empty() {
            requests.push(current);
        }
        requests
    }

    /// Puts each change that `seals` seals in its signed envelope, in the
    /// order of the seals. Seals of changes not rebuilt here, or already
    /// put in an envelope, are left out. A seal naming a certificate that
    /// `certificates` lacks, or one of another account, is malformed.
    pub fn envelopes(
        &mut self,
        certificates: &[DeviceCertificate],
        seals: Vec<Seal>,
    ) -> Result<Vec<Envelope>> {
        let references: Vec<_> = certificates
            .iter()
            .map(DeviceCertificate::reference)
            .collect();
        let mut envelopes = Vec::with_capacity(seals.len());
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
            else {
                continue;
            };
            let Some(bytes) = change.bytes.take() else {
                continue;
            };
            envelopes.push(Envelope {
                account: self.account,
                device: cert.device,
                cert_ref: *cert_ref,
                change: bytes,
                signature: seal.signature,
            });
        }
        Ok(envelopes)
    }
}

fn malformed_seal(why: &str) -> StoreError {
    StoreError::Core(CoreError::Malformed {
        what: "seal",
        reason: why.into(),
    })
}
