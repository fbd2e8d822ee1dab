//! What a peer needs to catch up on a feed: its heads, the signed changes
//! it lacks, and the bodies of the posts those changes touch. Used by bundle
//! export (everything) and by replication (only what is missing).

use std::collections::HashMap;

use automerge::ChangeHash;
use kith_core::feed::validate_change;
use kith_core::{AccountId, DeviceCertificate, Envelope, Hash, PostId};

use crate::error::{Result, StoreError};
use rusqlite::params;

use crate::{Store, docs};

/// How many of a feed's newest posts [`Store::recent_changes`] reaches back for.
pub const RECENT_POSTS: usize = 500;

/// How long a built answer is kept for the next pages.
pub const ANSWER_KEPT_FOR: std::time::Duration = std::time::Duration::from_secs(120);

/// The last answer built for a peer, kept for its following pages.
pub(crate) struct PageCache {
    account: AccountId,
    /// The feed's row id.
    feed: i64,
    have: Vec<ChangeHash>,
    heads: Vec<ChangeHash>,
    certificates: Vec<DeviceCertificate>,
    /// The envelopes in answer order, each with the posts it writes.
    envelopes: Vec<(Envelope, Vec<PostId>)>,
    /// For a whole feed, the bodies of its live posts by local id, read in
    /// one pass; otherwise each page looks them up.
    bodies: Option<HashMap<i64, Vec<u8>>>,
    built: std::time::Instant,
}

/// A feed's changes collected for a peer, their signatures not looked up yet.
struct Collected {
    /// The feed's row id.
    feed: i64,
    /// Every certificate of the feed's devices, by row id, with its reference.
    certs: HashMap<i64, (Hash, DeviceCertificate)>,
    /// In causal order, then those still waiting for their dependencies.
    changes: Vec<Unsealed>,
}

/// A change to send, before its signature is looked up.
#[allow(clippy::large_enum_variant)] // nearly all are `Applied`: boxing each would cost an allocation
enum Unsealed {
    /// Rebuilt from the feed's document.
    Applied(automerge::Change),
    /// Stored still waiting for its dependencies, with the bytes as signed.
    Waiting { bytes: Vec<u8>, hash: ChangeHash },
}

impl Unsealed {
    /// The posts of `account` this change writes.
    fn posts(&self, account: AccountId) -> Vec<PostId> {
        match self {
            Self::Applied(change) => posts_of(account, change),
            Self::Waiting { bytes, .. } => automerge::Change::from_bytes(bytes.clone())
                .map(|change| posts_of(account, &change))
                .unwrap_or_default(),
        }
    }
}

impl Collected {
    /// The certificates, in the order the store received them.
    fn certificates(&self) -> Vec<DeviceCertificate> {
        let mut certs: Vec<(&i64, &DeviceCertificate)> = self
            .certs
            .iter()
            .map(|(id, (_, cert))| (id, cert))
            .collect();
        certs.sort_by_key(|(id, _)| **id);
        certs.into_iter().map(|(_, cert)| cert.clone()).collect()
    }
}

/// A whole feed's answer reads its signatures (and bodies) in one pass
/// over their tables when it holds at least this fraction (1 / this) of
/// the store's changes: a lookup by hash costs about eleven scanned rows
/// (100,000 lookups 0.43 s, a scan of 100,000 rows into memory 0.04 s).
const SCAN_WHEN_ONE_IN: i64 = 8;

/// Whether an answer of `wanted` changes (all of a feed's when `whole`)
/// reads its feed's rows in one pass rather than one lookup each.
pub(crate) fn worth_scanning(
    conn: &rusqlite::Connection,
    wanted: usize,
    whole: bool,
) -> Result<bool> {
    if !whole {
        return Ok(false);
    }
    let held: i64 = conn
        .prepare_cached("SELECT COALESCE(SUM(change_count), 0) FROM feeds")?
        .query_row([], |r| r.get(0))?;
    let wanted = i64::try_from(wanted).unwrap_or(i64::MAX);
    Ok(wanted.saturating_mul(SCAN_WHEN_ONE_IN) >= held)
}

/// The bodies of the live posts of the feed with row id `feed`, by local id.
pub(crate) fn all_bodies(conn: &rusqlite::Connection, feed: i64) -> Result<HashMap<i64, Vec<u8>>> {
    let mut all = HashMap::new();
    let mut stmt = conn.prepare_cached(
        "SELECT local, body FROM posts WHERE feed_id = ?1 AND deleted = 0 AND body IS NOT NULL",
    )?;
    let mut rows = stmt.query([feed])?;
    while let Some(row) = rows.next()? {
        all.insert(row.get(0)?, row.get(1)?);
    }
    Ok(all)
}

/// The signatures of the feed with row id `feed`, with their certificate
/// row ids, by change hash, read in one pass.
pub(crate) fn all_signatures(
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

/// Where a sealer finds each change's certificate row and signature.
enum Signatures<'a> {
    /// All of the feed's, read in one pass.
    Scanned(HashMap<ChangeHash, (i64, Vec<u8>)>),
    /// Looked up by hash, one at a time.
    Lookup(rusqlite::CachedStatement<'a>),
}

/// Puts `account`'s changes in their signed envelopes, with the
/// signatures the store holds.
struct Sealer<'a> {
    account: AccountId,
    certs: &'a HashMap<i64, (Hash, DeviceCertificate)>,
    signatures: Signatures<'a>,
}

impl<'a> Sealer<'a> {
    /// A sealer for the changes of `collected`, reading every signature
    /// of the feed at once if `scan`.
    fn new(
        conn: &'a rusqlite::Connection,
        account: AccountId,
        collected: &'a Collected,
        scan: bool,
    ) -> Result<Self> {
        let signatures = if scan {
            Signatures::Scanned(all_signatures(conn, collected.feed)?)
        } else {
            Signatures::Lookup(
                conn.prepare_cached("SELECT cert_id, signature FROM changes WHERE hash = ?1")?,
            )
        };
        Ok(Self {
            account,
            certs: &collected.certs,
            signatures,
        })
    }

    /// `change` in its signed envelope.
    fn seal(&mut self, change: &Unsealed) -> Result<Envelope> {
        let corrupt = |why: &str| StoreError::CorruptFeed(self.account.to_string(), why.into());
        let (bytes, hash) = match change {
            Unsealed::Applied(change) => (change.raw_bytes().to_vec(), change.hash()),
            Unsealed::Waiting { bytes, hash } => (bytes.clone(), *hash),
        };
        let (cert_id, signature): (i64, Vec<u8>) = match &mut self.signatures {
            Signatures::Scanned(all) => all
                .get(&hash)
                .cloned()
                .ok_or_else(|| corrupt("a change's signature is missing"))?,
            Signatures::Lookup(statement) => {
                statement.query_row([hash.0.as_slice()], |r| Ok((r.get(0)?, r.get(1)?)))?
            }
        };
        let (cert_ref, cert) = self
            .certs
            .get(&cert_id)
            .ok_or_else(|| corrupt("a change's certificate is missing"))?;
        let signature: [u8; 64] = signature
            .try_into()
            .map_err(|_| corrupt("a stored signature is damaged"))?;
        Ok(Envelope {
            account: self.account,
            device: cert.device,
            cert_ref: *cert_ref,
            change: bytes,
            signature,
        })
    }
}

/// A page of changes for a peer, with the bodies of the posts they write.
#[derive(Debug, Clone, Default)]
pub struct ChangesPage {
    /// The certificates and envelopes.
    pub changes: SignedChanges,
    /// Current bodies of the live posts the envelopes write.
    pub bodies: Vec<(PostId, Vec<u8>)>,
    /// Whether more changes remain after this page.
    pub more: bool,
}

/// The posts an envelope's change writes (none if it does not parse).
fn posts_written(env: &Envelope) -> Vec<PostId> {
    automerge::Change::from_bytes(env.change.clone())
        .map(|change| posts_of(env.account, &change))
        .unwrap_or_default()
}

/// The posts of `account` that `change` writes.
pub(crate) fn posts_of(account: AccountId, change: &automerge::Change) -> Vec<PostId> {
    let keys = validate_change(account, change).unwrap_or_default();
    crate::ingest::written_posts(account, &keys).collect()
}

impl ChangesPage {
    fn new(envelopes: Vec<Envelope>, bodies: Vec<(PostId, Vec<u8>)>, more: bool) -> Self {
        Self {
            changes: SignedChanges {
                certificates: Vec::new(),
                envelopes,
            },
            bodies,
            more,
        }
    }
}

/// A feed's signed changes for a peer, with the certificates they reference.
#[derive(Debug, Clone, Default)]
pub struct SignedChanges {
    /// Every certificate of the feed's devices that the store holds.
    pub certificates: Vec<DeviceCertificate>,
    /// Envelopes in causal order (each after the changes it depends on),
    /// then those still waiting for their dependencies.
    pub envelopes: Vec<Envelope>,
}

impl Store {
    /// The heads of `account`'s feed, or `None` if the store holds no
    /// change of it.
    pub fn feed_heads(&mut self, account: AccountId) -> Result<Option<Vec<ChangeHash>>> {
        let Some(feed) = docs::find_feed(&self.conn, account)? else {
            return Ok(None);
        };
        let doc = self.docs.take(&self.conn, feed, account)?;
        let heads = doc.heads();
        self.docs.put(&self.conn, feed, doc);
        Ok((!heads.is_empty()).then_some(heads))
    }

    /// The signed changes of `account`'s feed that a peer whose heads are
    /// `have` lacks (`have` empty: all of them). Heads the store does not
    /// know are ignored, so at worst a peer receives changes twice, which
    /// ingest counts as duplicates. Envelopes are rebuilt from the feed's
    /// snapshot and the stored signatures.
    pub fn signed_changes(
        &mut self,
        account: AccountId,
        have: &[ChangeHash],
    ) -> Result<SignedChanges> {
        self.in_one_transaction(|s| {
            let collected = s.collect(account, have)?;
            let scan = worth_scanning(&s.conn, collected.changes.len(), have.is_empty())?;
            let mut sealer = Sealer::new(&s.conn, account, &collected, scan)?;
            let envelopes = collected
                .changes
                .iter()
                .map(|change| sealer.seal(change))
                .collect::<Result<Vec<_>>>()?;
            Ok(SignedChanges {
                certificates: collected.certificates(),
                envelopes,
            })
        })
    }

    /// One page of the changes a peer whose heads are `have` lacks, with
    /// the bodies of the posts they write: the answer sequence of
    /// [`Self::signed_changes`] without its first `skip` changes, cut so
    /// that changes (+160 bytes each) and bodies (+48 each) stay within
    /// `budget` (always at least one change). The order is stable for a
    /// given `have` and store, so a peer can ask for the next page (with
    /// `skip` grown by what it received) before applying this one. The
    /// whole answer is built once and kept for the following pages:
    /// automerge rebuilds every change of a document each time it is asked.
    pub fn changes_page(
        &mut self,
        account: AccountId,
        have: &[ChangeHash],
        skip: usize,
        budget: usize,
    ) -> Result<ChangesPage> {
        self.in_one_transaction(|s| s.build_changes_page(account, have, skip, budget))
    }

    /// [`Self::changes_page`], inside the caller's transaction.
    fn build_changes_page(
        &mut self,
        account: AccountId,
        have: &[ChangeHash],
        skip: usize,
        budget: usize,
    ) -> Result<ChangesPage> {
        let heads = self.feed_heads(account)?.unwrap_or_default();
        let fresh = self.pages.as_ref().is_some_and(|p| {
            p.account == account
                && p.have == have
                && p.heads == heads
                && p.built.elapsed() < ANSWER_KEPT_FOR
        });
        if !fresh {
            self.pages = None;
            let collected = self.collect(account, have)?;
            let scan = worth_scanning(&self.conn, collected.changes.len(), have.is_empty())?;
            let mut sealing = Sealer::new(&self.conn, account, &collected, scan)?;
            // Reading the posts each change writes takes a second core
            // while this thread seals the changes (and reads the bodies).
            let (posts, (envelopes, bodies)) = crate::parallel::beside(
                collected.changes.len() >= crate::parallel::MIN_ITEMS,
                || {
                    collected
                        .changes
                        .iter()
                        .map(|change| change.posts(account))
                        .collect::<Vec<_>>()
                },
                || {
                    let envelopes = collected
                        .changes
                        .iter()
                        .map(|change| sealing.seal(change))
                        .collect::<Result<Vec<_>>>();
                    let bodies = scan.then(|| all_bodies(&self.conn, collected.feed));
                    (envelopes, bodies.transpose())
                },
            );
            drop(sealing);
            self.pages = Some(PageCache {
                account,
                feed: collected.feed,
                have: have.to_vec(),
                heads,
                certificates: collected.certificates(),
                envelopes: envelopes?.into_iter().zip(posts).collect(),
                bodies: bodies?,
                built: std::time::Instant::now(),
            });
        }
        let Some(cache) = self.pages.take() else {
            return Ok(ChangesPage::default());
        };
        let items = cache
            .envelopes
            .iter()
            .skip(skip)
            .map(|(envelope, posts)| Ok((envelope.clone(), posts.clone())));
        let result = self
            .fill_page(cache.feed, items, budget, cache.bodies.as_ref())
            .map(|mut page| {
                page.changes.certificates.clone_from(&cache.certificates);
                page
            });
        // Kept for the next page, unless this was the last: the answer of a
        // big feed holds it all in memory.
        if result.as_ref().is_ok_and(|page| page.more) {
            self.pages = Some(cache);
        }
        result
    }

    /// Drops the answer kept for a peer's next pages, and the signatures
    /// and bodies read for its requests for seals, if built more than
    /// `age` ago: a peer that stops asking would otherwise leave a whole
    /// feed's answer in memory (~90 MB at 100,000 posts). Returns whether
    /// one was dropped.
    pub fn forget_answers_older_than(&mut self, age: std::time::Duration) -> bool {
        let stale = self.pages.as_ref().is_some_and(|p| p.built.elapsed() > age);
        if stale {
            self.pages = None;
        }
        let stale_seals = self.seal_cache.as_ref().is_some_and(|c| c.older_than(age));
        if stale_seals {
            self.seal_cache = None;
        }
        stale || stale_seals
    }

    /// The newest changes of `account`'s feed, for a peer that holds none
    /// of it and wants something to show at once: the changes after the
    /// one that wrote the [`RECENT_POSTS`]th newest post (the whole feed if
    /// it has fewer posts), of which the newest that fit in `budget` (the
    /// same cost as [`Self::changes_page`]), in causal order, with the
    /// bodies of the posts they write. Their older dependencies are not
    /// included: the peer keeps them waiting until the rest of the feed
    /// arrives, and shows their posts meanwhile.
    pub fn recent_changes(&mut self, account: AccountId, budget: usize) -> Result<ChangesPage> {
        self.in_one_transaction(|s| s.build_recent_changes(account, budget))
    }

    /// [`Self::recent_changes`], inside the caller's transaction.
    fn build_recent_changes(&mut self, account: AccountId, budget: usize) -> Result<ChangesPage> {
        let t = std::time::Instant::now();
        let Some(feed) = docs::find_feed(&self.conn, account)? else {
            return Err(StoreError::NotFound(format!("feed of {account}")));
        };
        let locals: Vec<i64> = self
            .conn
            .prepare_cached(
                "SELECT local FROM posts WHERE feed_id = ?1 ORDER BY created_at DESC, local DESC
                 LIMIT 1 OFFSET ?2",
            )?
            .query_map(params![feed, RECENT_POSTS as i64 - 1], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let have: Vec<ChangeHash> = match locals.first() {
            Some(local) => self
                .read_feed(account, |doc| {
                    doc.writer_of(&kith_core::feed::FeedKey::Post(local.to_be_bytes()))
                })?
                .into_iter()
                .collect(),
            None => Vec::new(),
        };
        let t_have = t.elapsed();
        let collected = self.collect(account, &have)?;
        tracing::debug!(
            have_ms = t_have.as_millis() as u64,
            collect_ms = t.elapsed().saturating_sub(t_have).as_millis() as u64,
            changes = collected.changes.len(),
            "recent changes collected"
        );
        let mut sealer = Sealer::new(&self.conn, account, &collected, false)?;
        let items = collected
            .changes
            .iter()
            .rev()
            .map(|change| Ok((sealer.seal(change)?, change.posts(account))));
        let mut page = self.fill_page(feed, items, budget, None)?;
        page.changes.envelopes.reverse();
        page.changes.certificates = collected.certificates();
        Ok(page)
    }

    /// Takes envelopes (each with the posts it writes) in order while they
    /// and the bodies of those posts (each body once; from `bodies_read`
    /// if given, else looked up) fit in `budget`, costing a change +160
    /// bytes and a body +48; always at least one. Returns them (no
    /// certificates yet), the bodies, and whether any were left.
    fn fill_page(
        &self,
        feed: i64,
        items: impl Iterator<Item = Result<(Envelope, Vec<PostId>)>>,
        budget: usize,
        bodies_read: Option<&HashMap<i64, Vec<u8>>>,
    ) -> Result<ChangesPage> {
        let mut seen = std::collections::HashSet::new();
        let (mut envelopes, mut bodies) = (Vec::new(), Vec::new());
        let mut bytes = 0usize;
        for item in items {
            let (env, posts) = item?;
            let mut cost = env.change.len() + 160;
            let mut these = Vec::new();
            for post in posts {
                if seen.contains(&post) {
                    continue;
                }
                let body = match bodies_read {
                    Some(all) => all.get(&i64::from_be_bytes(post.local)).cloned(),
                    None => self.body_in_feed(feed, &post)?,
                };
                if let Some(body) = body {
                    cost += body.len() + 48;
                    these.push((post, body));
                }
            }
            if !envelopes.is_empty() && bytes + cost > budget {
                return Ok(ChangesPage::new(envelopes, bodies, true));
            }
            bytes += cost;
            seen.extend(these.iter().map(|(p, _)| *p));
            envelopes.push(env);
            bodies.extend(these);
        }
        Ok(ChangesPage::new(envelopes, bodies, false))
    }

    /// The changes of `account`'s feed that a peer whose heads are `have`
    /// lacks (heads the store does not know are ignored), with the feed's
    /// certificates: automerge rebuilds them from the feed's document.
    fn collect(&mut self, account: AccountId, have: &[ChangeHash]) -> Result<Collected> {
        let Some(feed) = docs::find_feed(&self.conn, account)? else {
            return Err(StoreError::NotFound(format!("feed of {account}")));
        };
        let mut certs: HashMap<i64, (Hash, DeviceCertificate)> = HashMap::new();
        {
            let mut stmt = self
                .conn
                .prepare_cached("SELECT id, cert FROM certs WHERE feed_id = ?1 ORDER BY id")?;
            for row in stmt.query_map([feed], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?))
            })? {
                let (id, bytes) = row?;
                let cert = DeviceCertificate::decode(&bytes)?;
                certs.insert(id, (cert.reference(), cert));
            }
        }
        let doc = self.docs.take(&self.conn, feed, account)?;
        let changes = (|| -> Result<Vec<Unsealed>> {
            let known: Vec<ChangeHash> =
                have.iter().filter(|h| doc.has_change(h)).copied().collect();
            let mut changes: Vec<Unsealed> = doc
                .doc()
                .get_changes(&known)
                .into_iter()
                .map(Unsealed::Applied)
                .collect();
            let waiting: Vec<(Vec<u8>, Vec<u8>)> = self
                .conn
                .prepare_cached("SELECT hash, bytes FROM unsnapshotted WHERE feed_id = ?1 AND waiting = 1 ORDER BY id")?
                .query_map([feed], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<_>>()?;
            for (hash, bytes) in waiting {
                if let Ok(hash) = ChangeHash::try_from(hash.as_slice())
                    && !doc.has_change(&hash)
                {
                    changes.push(Unsealed::Waiting { bytes, hash });
                }
            }
            Ok(changes)
        })();
        self.docs.put(&self.conn, feed, doc);
        Ok(Collected {
            feed,
            certs,
            changes: changes?,
        })
    }

    /// The current bodies of the live posts that `envelopes` write, for a
    /// peer that receives those envelopes.
    pub fn bodies_for(&self, envelopes: &[Envelope]) -> Result<Vec<(PostId, Vec<u8>)>> {
        let mut out = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for post in envelopes.iter().flat_map(posts_written) {
            if seen.insert(post)
                && let Some(body) = self.body(&post)?
            {
                out.push((post, body));
            }
        }
        Ok(out)
    }

    /// The stored body of a live post of the feed with row id `feed` (the
    /// post's author's), if the store has it.
    pub(crate) fn body_in_feed(&self, feed: i64, post: &PostId) -> Result<Option<Vec<u8>>> {
        use rusqlite::OptionalExtension;
        Ok(self
            .conn
            .prepare_cached(
                "SELECT body FROM posts WHERE feed_id = ?1 AND local = ?2 AND deleted = 0",
            )?
            .query_row(params![feed, i64::from_be_bytes(post.local)], |r| {
                r.get::<_, Option<Vec<u8>>>(0)
            })
            .optional()?
            .flatten())
    }

    /// The stored body of a live post, if the store has it.
    pub fn body(&self, post: &PostId) -> Result<Option<Vec<u8>>> {
        match docs::find_feed(&self.conn, post.author)? {
            Some(feed) => self.body_in_feed(feed, post),
            None => Ok(None),
        }
    }
}
