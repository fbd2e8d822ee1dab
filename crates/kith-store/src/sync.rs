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
const PAGE_CACHE_TIME: std::time::Duration = std::time::Duration::from_secs(120);

/// The last answer built for a peer, kept for its following pages.
pub(crate) struct PageCache {
    account: AccountId,
    have: Vec<ChangeHash>,
    heads: Vec<ChangeHash>,
    all: SignedChanges,
    /// The posts each envelope of `all` writes.
    posts: Vec<Vec<PostId>>,
    built: std::time::Instant,
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
fn posts_of(account: AccountId, change: &automerge::Change) -> Vec<PostId> {
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
        self.in_one_transaction(|s| s.collect_signed_changes(account, have))
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
                && p.built.elapsed() < PAGE_CACHE_TIME
        });
        if !fresh {
            self.pages = None;
            let (all, posts) = self.collect_signed(account, have)?;
            self.pages = Some(PageCache {
                account,
                have: have.to_vec(),
                heads,
                all,
                posts,
                built: std::time::Instant::now(),
            });
        }
        let Some(cache) = self.pages.take() else {
            return Ok(ChangesPage::default());
        };
        let items = cache
            .all
            .envelopes
            .iter()
            .zip(&cache.posts)
            .skip(skip)
            .map(|(env, posts)| (env.clone(), posts.clone()));
        let result = docs::find_feed(&self.conn, account)
            .and_then(|feed| self.fill_page(feed.unwrap_or_default(), items, budget))
            .map(|mut page| {
                page.changes
                    .certificates
                    .clone_from(&cache.all.certificates);
                page
            });
        self.pages = Some(cache);
        result
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
        let (all, posts) = self.collect_signed(account, &have)?;
        tracing::debug!(
            have_ms = t_have.as_millis() as u64,
            collect_ms = t.elapsed().saturating_sub(t_have).as_millis() as u64,
            changes = all.envelopes.len(),
            "recent changes collected"
        );
        let items = all.envelopes.into_iter().zip(posts).rev();
        let mut page = self.fill_page(feed, items, budget)?;
        page.changes.envelopes.reverse();
        page.changes.certificates = all.certificates;
        Ok(page)
    }

    /// Takes envelopes (each with the posts it writes) in order while they
    /// and the bodies of those posts (each body once) fit in `budget`,
    /// costing a change +160 bytes and a body +48; always at least one.
    /// Returns them (no certificates yet), the bodies, and whether any
    /// were left.
    fn fill_page(
        &self,
        feed: i64,
        items: impl Iterator<Item = (Envelope, Vec<PostId>)>,
        budget: usize,
    ) -> Result<ChangesPage> {
        let mut seen = std::collections::HashSet::new();
        let (mut envelopes, mut bodies) = (Vec::new(), Vec::new());
        let mut bytes = 0usize;
        for (env, posts) in items {
            let mut cost = env.change.len() + 160;
            let mut these = Vec::new();
            for post in posts {
                if seen.contains(&post) {
                    continue;
                }
                if let Some(body) = self.body_in_feed(feed, &post)? {
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

    fn collect_signed_changes(
        &mut self,
        account: AccountId,
        have: &[ChangeHash],
    ) -> Result<SignedChanges> {
        self.collect_signed(account, have).map(|(all, _)| all)
    }

    /// [`Self::collect_signed_changes`], with the posts each envelope writes.
    fn collect_signed(
        &mut self,
        account: AccountId,
        have: &[ChangeHash],
    ) -> Result<(SignedChanges, Vec<Vec<PostId>>)> {
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
        let result = (|| -> Result<(Vec<Envelope>, Vec<Vec<PostId>>)> {
            let corrupt = |why: &str| StoreError::CorruptFeed(account.to_string(), why.into());
            let mut sig = self
                .conn
                .prepare_cached("SELECT cert_id, signature FROM changes WHERE hash = ?1")?;
            let mut seal = |bytes: Vec<u8>, hash: &[u8]| -> Result<Envelope> {
                let (cert_id, signature): (i64, Vec<u8>) =
                    sig.query_row([hash], |r| Ok((r.get(0)?, r.get(1)?)))?;
                let (cert_ref, cert) = certs
                    .get(&cert_id)
                    .ok_or_else(|| corrupt("a change's certificate is missing"))?;
                let signature: [u8; 64] = signature
                    .try_into()
                    .map_err(|_| corrupt("a stored signature is damaged"))?;
                Ok(Envelope {
                    account,
                    device: cert.device,
                    cert_ref: *cert_ref,
                    change: bytes,
                    signature,
                })
            };
            let known: Vec<ChangeHash> =
                have.iter().filter(|h| doc.has_change(h)).copied().collect();
            let changes = doc.doc().get_changes(&known);
            // Reading the posts each change writes takes a second core
            // while this thread looks up the signatures.
            let (mut posts, sealed) = crate::parallel::beside(
                changes.len() >= crate::parallel::MIN_ITEMS,
                || {
                    changes
                        .iter()
                        .map(|change| posts_of(account, change))
                        .collect::<Vec<_>>()
                },
                || {
                    changes
                        .iter()
                        .map(|change| seal(change.raw_bytes().to_vec(), change.hash().0.as_slice()))
                        .collect::<Result<Vec<_>>>()
                },
            );
            let mut out = sealed?;
            let waiting: Vec<(Vec<u8>, Vec<u8>)> = self
                .conn
                .prepare_cached("SELECT hash, bytes FROM unsnapshotted WHERE feed_id = ?1 AND waiting = 1 ORDER BY id")?
                .query_map([feed], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<_>>()?;
            for (hash, bytes) in waiting {
                if ChangeHash::try_from(hash.as_slice()).is_ok_and(|h| !doc.has_change(&h)) {
                    let envelope = seal(bytes, &hash)?;
                    posts.push(posts_written(&envelope));
                    out.push(envelope);
                }
            }
            Ok((out, posts))
        })();
        self.docs.put(&self.conn, feed, doc);
        let mut certificates: Vec<(i64, DeviceCertificate)> =
            certs.into_iter().map(|(id, (_, c))| (id, c)).collect();
        certificates.sort_by_key(|(id, _)| *id);
        let (envelopes, posts) = result?;
        Ok((
            SignedChanges {
                certificates: certificates.into_iter().map(|(_, c)| c).collect(),
                envelopes,
            },
            posts,
        ))
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
    fn body_in_feed(&self, feed: i64, post: &PostId) -> Result<Option<Vec<u8>>> {
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
