//! Verifying and storing signed changes.

use std::collections::{BTreeSet, HashMap, HashSet};

use automerge::Change;
use kith_core::envelope::DeviceKeys;
use kith_core::feed::{
    FeedDoc, FeedKey, FeedValue, LeftOut, Skipped, validate_change, validate_change_writes,
};
use kith_core::post::PostRecord;
use kith_core::{AccountId, CoreError, DeviceCertificate, Envelope, Hash, PostId};
use rusqlite::{Connection, OptionalExtension, params};

use crate::docs::{self, ChangeBytes, DocCache};
use crate::error::{Result, StoreError};
use crate::materialize::{self, ArrivedBodies};
use crate::{BlobStore, Store};

/// What a batch did.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub struct IngestReport {
    /// New changes stored.
    pub accepted: usize,
    /// Changes the store already had.
    pub duplicates: usize,
    /// Changes dropped because their account is blocked here.
    pub blocked: usize,
    /// Posts the new changes wrote (created, edited or deleted).
    #[serde(skip)]
    pub posts: Vec<PostId>,
    /// The attachments of the post records the new changes put, by feed:
    /// blobs the store may lack ([`Store::want_blobs`]).
    #[serde(skip)]
    pub attachments: Vec<(AccountId, Hash)>,
    /// Feeds whose profile picture a new change set, or whose profile a
    /// trusted seed wrote: their picture may be missing too.
    #[serde(skip)]
    pub profiles: Vec<AccountId>,
    /// Feeds whose follows (`f/…`) or blocks (`b/…`) the batch may have
    /// changed: a new change writes them, or one that waited for its
    /// dependencies and applies now, or a seed trusted now holds them.
    /// What this home carries may have changed
    /// ([`Store::carried_may_change`]).
    #[serde(skip)]
    pub relations: Vec<AccountId>,
    /// Posts whose reply, repost or reaction counts the batch may have
    /// changed, each once: the targets of reaction keys (given or taken
    /// back) of new changes, applied or waiting for their dependencies, and
    /// of changes that waited and apply now; and the posts that new post
    /// records answer or quote. A window showing them can count them anew.
    /// (A reply's deletion is not named: its record no longer says what it
    /// answered.)
    #[serde(skip)]
    pub counted: Vec<PostId>,
    /// Changes left out because their device had signed a different
    /// change with the same sequence number that the feed holds (an
    /// equivocation), or because they depend on one left out
    /// ([`FeedDoc::apply`]). Nothing of them is stored; the batch is not
    /// at fault for them.
    #[serde(skip)]
    pub left_out: usize,
}

/// A change that passed every check.
pub(crate) struct Checked {
    pub envelope: Envelope,
    pub parsed: Parsed,
}

/// An envelope's change, parsed and checked against the schema.
pub(crate) struct Parsed {
    change: Change,
    keys: Vec<FeedKey>,
    /// The post records the change puts, decoded here (on a verifier
    /// thread) so that the store can write new posts' rows while their
    /// document applies the change (see [`materialize::Predicted`]).
    post_puts: Vec<([u8; 8], PostRecord)>,
}

/// Cores to verify on: all of them, at most 8.
fn all_cores() -> usize {
    std::thread::available_parallelism()
        .map_or(1, std::num::NonZero::get)
        .min(8)
}

/// What can be checked about an envelope without any state: its
/// signature, its change (uncompressed, actor = device) and the schema of
/// every operation. Yields the parsed change and the keys it touches.
pub(crate) type Prechecked = Result<Parsed, CoreError>;

fn precheck(
    envelope: &Envelope,
    signature: kith_core::Result<()>,
    parsed: Option<Change>,
) -> Prechecked {
    signature?;
    let change = match parsed {
        Some(change) => envelope.check_parsed_change(change)?,
        None => envelope.parse_change()?,
    };
    let writes = validate_change_writes(envelope.account, &change)?;
    let mut post_puts = Vec::new();
    let mut keys = Vec::with_capacity(writes.len());
    for (key, value) in writes {
        if let (FeedKey::Post(local), Some(FeedValue::Bytes(bytes))) = (&key, value)
            && let Ok(record) = PostRecord::decode(&bytes)
        {
            post_puts.push((*local, record));
        }
        keys.push(key);
    }
    Ok(Parsed {
        change,
        keys,
        post_puts,
    })
}

/// Runs [`precheck`] over a part of a batch on the current thread, its
/// signatures checked as one batch; `parsed` holds the changes already
/// parsed, if any, one per envelope.
fn precheck_part(part: &[Envelope], parsed: &mut [Option<Change>]) -> Vec<Prechecked> {
    let signatures = DeviceKeys::default().verify_signatures(part);
    part.iter()
        .zip(signatures)
        .enumerate()
        .map(|(i, (e, signature))| precheck(e, signature, parsed.get_mut(i).and_then(Option::take)))
        .collect()
}

/// Runs [`precheck`] over `envelopes` on up to `threads` threads.
fn precheck_all(
    envelopes: &[Envelope],
    parsed: &mut [Option<Change>],
    threads: usize,
) -> Vec<Prechecked> {
    if envelopes.len() < 64 || threads == 1 {
        return precheck_part(envelopes, parsed);
    }
    let chunk = envelopes.len().div_ceil(threads);
    let mut parts: Vec<&mut [Option<Change>]> = parsed.chunks_mut(chunk).collect();
    parts.resize_with(envelopes.len().div_ceil(chunk), Default::default);
    std::thread::scope(|s| {
        let handles: Vec<_> = envelopes
            .chunks(chunk)
            .zip(parts)
            .map(|(part, parsed)| s.spawn(move || precheck_part(part, parsed)))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| {
                h.join().unwrap_or_else(|_| {
                    vec![Err(CoreError::BadSignature(
                        "envelope (verifier thread failed)",
                    ))]
                })
            })
            .collect()
    })
}

fn stored_certificate(conn: &Connection, reference: &Hash) -> Result<Option<DeviceCertificate>> {
    let bytes: Option<Vec<u8>> = conn
        .prepare_cached("SELECT cert FROM certs WHERE ref = ?1")?
        .query_row([reference.as_slice()], |r| r.get(0))
        .optional()?;
    bytes
        .map(|b| DeviceCertificate::decode(&b).map_err(StoreError::from))
        .transpose()
}

/// Envelopes whose signatures, changes and schema were checked by
/// [`verify_envelopes`], ready for [`Store::ingest_verified`].
pub struct VerifiedEnvelopes {
    pub(crate) envelopes: Vec<Envelope>,
    pub(crate) checks: Vec<Prechecked>,
}

impl VerifiedEnvelopes {
    /// The feed of the first envelope, if any.
    pub fn first_account(&self) -> Option<AccountId> {
        self.envelopes.first().map(|e| e.account)
    }

    /// How many envelopes there are.
    pub fn len(&self) -> usize {
        self.envelopes.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.envelopes.is_empty()
    }
}

/// Checks what needs no store (each signature, that each change parses,
/// the schema of its operations) on every core, so that a caller can do
/// it off the store's thread while the store writes an earlier batch.
pub fn verify_envelopes(envelopes: Vec<Envelope>) -> VerifiedEnvelopes {
    verify_on(envelopes, all_cores())
}

/// [`verify_envelopes`] on every core but one, for a caller whose store
/// is writing an earlier batch at the same time: the store's thread is
/// the slower stage of a long sync, and verifier threads on every core
/// would take turns with it on its own core.
pub fn verify_envelopes_beside_store(envelopes: Vec<Envelope>) -> VerifiedEnvelopes {
    verify_on(envelopes, all_cores().saturating_sub(1).max(1))
}

fn verify_on(envelopes: Vec<Envelope>, threads: usize) -> VerifiedEnvelopes {
    let checks = precheck_all(&envelopes, &mut [], threads);
    VerifiedEnvelopes { envelopes, checks }
}

/// Envelopes whose changes the caller rebuilt from a document, each with
/// its change already parsed ([`crate::Rebuilt::envelopes`]).
pub struct SealedEnvelopes {
    pub(crate) envelopes: Vec<Envelope>,
    pub(crate) changes: Vec<Option<Change>>,
}

impl SealedEnvelopes {
    /// How many envelopes there are.
    pub fn len(&self) -> usize {
        self.envelopes.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.envelopes.is_empty()
    }
}

/// [`verify_envelopes`] (or, `beside_store`, [`verify_envelopes_beside_store`])
/// for envelopes whose changes are already parsed: each change's bytes are
/// compared with the envelope's instead of parsed again.
pub fn verify_sealed(sealed: SealedEnvelopes, beside_store: bool) -> VerifiedEnvelopes {
    let threads = if beside_store {
        all_cores().saturating_sub(1).max(1)
    } else {
        all_cores()
    };
    let SealedEnvelopes {
        envelopes,
        mut changes,
    } = sealed;
    let checks = precheck_all(&envelopes, &mut changes, threads);
    VerifiedEnvelopes { envelopes, checks }
}

/// Verifies every envelope (signature, certificate, actor, schema). Fails
/// on the first bad one, naming its position.
pub(crate) fn check(
    conn: &Connection,
    envelopes: Vec<Envelope>,
    extra_certs: &HashMap<Hash, DeviceCertificate>,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Vec<Checked>> {
    let sigs = precheck_all(&envelopes, &mut [], all_cores());
    check_verified(conn, envelopes, sigs, extra_certs, progress)
}

/// [`check`] for envelopes whose signatures were already checked (`sigs`,
/// one result per envelope).
pub(crate) fn check_verified(
    conn: &Connection,
    envelopes: Vec<Envelope>,
    sigs: Vec<Prechecked>,
    extra_certs: &HashMap<Hash, DeviceCertificate>,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Vec<Checked>> {
    let total = envelopes.len() as u64;
    let mut certs: HashMap<Hash, DeviceCertificate> = HashMap::new();
    let mut out = Vec::with_capacity(envelopes.len());
    for (index, (envelope, sig)) in envelopes.into_iter().zip(sigs).enumerate() {
        let reject = |e: StoreError| StoreError::Rejected {
            index,
            source: Box::new(e),
        };
        let parsed = sig.map_err(|e| reject(e.into()))?;
        let cert = if let Some(c) = extra_certs
            .get(&envelope.cert_ref)
            .or_else(|| certs.get(&envelope.cert_ref))
        {
            c
        } else {
            let c = stored_certificate(conn, &envelope.cert_ref)?.ok_or_else(|| {
                reject(StoreError::UnknownCertificate {
                    index,
                    reference: hex::encode(envelope.cert_ref),
                })
            })?;
            certs.entry(envelope.cert_ref).or_insert(c)
        };
        envelope
            .check_certificate(cert)
            .map_err(|e| reject(e.into()))?;
        out.push(Checked { envelope, parsed });
        if index % 1024 == 0 {
            progress(index as u64, total);
        }
    }
    progress(total, total);
    Ok(out)
}

/// Stores verified certificates (inside the caller's transaction).
pub(crate) fn store_certificates<'a>(
    conn: &Connection,
    certs: impl IntoIterator<Item = &'a DeviceCertificate>,
) -> Result<()> {
    for cert in certs {
        if crate::moderation::is_blocked(conn, cert.account)? {
            continue;
        }
        let feed = docs::feed_id(conn, cert.account)?;
        conn.prepare_cached(
            "INSERT OR IGNORE INTO certs(ref, feed_id, device, cert) VALUES(?1, ?2, ?3, ?4)",
        )?
        .execute(params![
            cert.reference().as_slice(),
            feed,
            cert.device.as_bytes().as_slice(),
            cert.encode()
        ])?;
    }
    Ok(())
}

/// Blobs that became unreferenced and must be removed once the transaction commits.
pub(crate) type Purged = Vec<Hash>;

/// The posts among the keys a change writes.
pub(crate) fn written_posts(
    author: AccountId,
    keys: &[FeedKey],
) -> impl Iterator<Item = PostId> + '_ {
    keys.iter().filter_map(move |k| match k {
        FeedKey::Post(local) => Some(PostId {
            author,
            local: *local,
        }),
        _ => None,
    })
}

/// A checked change once the change itself went to the document: its
/// envelope, keys, post records and hash.
type Unapplied = (
    Envelope,
    Vec<FeedKey>,
    Vec<([u8; 8], PostRecord)>,
    automerge::ChangeHash,
);

/// A change of a batch that the store did not hold, once its rows are written.
pub(crate) struct NewChange {
    /// Where its bytes are.
    pub bytes: HeldBytes,
    /// Its hash.
    pub hash: automerge::ChangeHash,
    /// The keys it writes.
    pub keys: Vec<FeedKey>,
    /// The post records it puts.
    pub post_puts: Vec<([u8; 8], PostRecord)>,
}

/// Where a new change's bytes are held.
pub(crate) enum HeldBytes {
    /// In this row of `unsnapshotted`.
    Row(i64),
    /// Here, not written (see [`ChangeBytes::InDocument`]).
    Here(Vec<u8>),
}

/// Writes the rows of a batch of one feed's changes (signature, and
/// bytes unless `bytes` says otherwise), skipping those the store already
/// holds (counted in `report`); returns the new ones, which the caller
/// counts once it knows which its document took ([`count_new`]).
fn store_change_rows(
    conn: &Connection,
    feed: i64,
    items: Vec<Unapplied>,
    bytes: ChangeBytes,
    cert_ids: &mut HashMap<Hash, i64>,
    report: &mut IngestReport,
) -> Result<Vec<NewChange>> {
    let mut new = Vec::with_capacity(items.len());
    let mut insert = conn.prepare_cached(
        "INSERT OR IGNORE INTO changes(hash, feed_id, cert_id, signature) VALUES(?1, ?2, ?3, ?4)",
    )?;
    let mut unsnap =
        conn.prepare_cached("INSERT INTO unsnapshotted(hash, feed_id, bytes) VALUES(?1, ?2, ?3)")?;
    for (envelope, keys, post_puts, hash) in items {
        let cert = if let Some(id) = cert_ids.get(&envelope.cert_ref) {
            *id
        } else {
            let id: i64 = conn
                .prepare_cached("SELECT id FROM certs WHERE ref = ?1")?
                .query_row([envelope.cert_ref.as_slice()], |r| r.get(0))?;
            cert_ids.insert(envelope.cert_ref, id);
            id
        };
        if insert.execute(params![
            hash.0.as_slice(),
            feed,
            cert,
            envelope.signature.as_slice()
        ])? == 0
        {
            report.duplicates += 1;
            continue;
        }
        let held = match bytes {
            ChangeBytes::Stored => {
                unsnap.execute(params![hash.0.as_slice(), feed, envelope.change])?;
                HeldBytes::Row(conn.last_insert_rowid())
            }
            ChangeBytes::InDocument => HeldBytes::Here(envelope.change),
        };
        new.push(NewChange {
            bytes: held,
            hash,
            keys,
            post_puts,
        });
    }
    Ok(new)
}

/// Counts a batch's new changes of `account`'s feed in `report`: the
/// posts they write, their attachments, the posts they answer or quote, a
/// new profile picture.
fn count_new(report: &mut IngestReport, account: AccountId, new: &[NewChange]) {
    for change in new {
        let keys = &change.keys;
        report.posts.extend(written_posts(account, keys));
        report.attachments.extend(
            change
                .post_puts
                .iter()
                .flat_map(|(_, record)| record.attachments.iter().map(|h| (account, *h))),
        );
        // The posts a new reply, repost or quote counts for.
        report.counted.extend(
            change
                .post_puts
                .iter()
                .flat_map(|(_, record)| record.reply_to.into_iter().chain(record.quote_of)),
        );
        if keys.contains(&FeedKey::Avatar) && !report.profiles.contains(&account) {
            report.profiles.push(account);
        }
        report.accepted += 1;
    }
}

/// Notes in `report` that `account`'s follows or blocks may have changed
/// if `keys` (the keys a batch materialized) holds any.
fn note_relations<'a>(
    report: &mut IngestReport,
    account: AccountId,
    mut keys: impl Iterator<Item = &'a FeedKey>,
) {
    if !report.relations.contains(&account)
        && keys.any(|k| matches!(k, FeedKey::Follow(_) | FeedKey::Block(_)))
    {
        report.relations.push(account);
    }
}

/// Notes in `report` the posts whose reactions `keys` (the keys a batch
/// materialized) add or take back; the batch's end makes each one once.
fn note_reactions<'a>(report: &mut IngestReport, keys: impl Iterator<Item = &'a FeedKey>) {
    report.counted.extend(keys.filter_map(|k| match k {
        FeedKey::Reaction(target, _) => Some(*target),
        _ => None,
    }));
}

/// Says, once per change, which changes of `account`'s feed its document
/// left out ([`FeedDoc::apply`]), and counts them in `report`.
fn tell_left_out(report: &mut IngestReport, account: AccountId, skipped: &[Skipped]) {
    report.left_out += skipped.len();
    for s in skipped.iter().filter(|s| !s.again) {
        match s.why {
            LeftOut::Equivocation => tracing::warn!(
                %account,
                device = %s.actor,
                seq = s.seq,
                change = %hex::encode(s.hash.0),
                "a device signed two different changes with the same sequence number: \
                 the one held here stays, this one is left out (not the fault of the peer that sent it)"
            ),
            LeftOut::Descendant => tracing::debug!(
                %account,
                change = %hex::encode(s.hash.0),
                "a change that depends on a change left out is left out too"
            ),
        }
    }
}

/// Undoes what a batch of `account`'s feed (row `feed`) wrote, beside its
/// document, for the changes the document left out (`skipped`): their
/// rows in `changes` and `unsnapshotted`, and the post rows predicted from
/// them. When automerge refused a change, it also dropped the changes
/// waiting in the document at a later sequence number of that device:
/// those that waited before this batch (`waiting`) are offered again.
/// Returns what that offer left out, and whether it was made (some of
/// them may have applied).
#[allow(clippy::too_many_arguments)] // the batch's state, passed down
fn undo_left_out(
    conn: &Connection,
    (feed, account): (i64, AccountId),
    doc: &mut FeedDoc,
    skipped: &[Skipped],
    new: &mut Vec<NewChange>,
    predicted: &materialize::Predicted,
    bodies: &mut ArrivedBodies<'_>,
    waiting: &[(i64, Vec<u8>)],
) -> Result<(Vec<Skipped>, bool)> {
    let gone: HashSet<automerge::ChangeHash> = skipped.iter().map(|s| s.hash).collect();
    let mut kept = Vec::with_capacity(new.len());
    for change in std::mem::take(new) {
        if !gone.contains(&change.hash) {
            kept.push(change);
            continue;
        }
        conn.prepare_cached("DELETE FROM changes WHERE hash = ?1")?
            .execute([change.hash.0.as_slice()])?;
        if let HeldBytes::Row(row) = change.bytes {
            conn.prepare_cached("DELETE FROM unsnapshotted WHERE id = ?1")?
                .execute([row])?;
        }
        // A post only this change put got a predicted row: it goes too.
        for (local, _) in change.post_puts.iter().filter(|(l, _)| predicted.has(*l)) {
            let post = PostId {
                author: account,
                local: *local,
            };
            let row: Option<(i64, Option<Vec<u8>>)> = conn
                .prepare_cached("SELECT id, body FROM posts WHERE feed_id = ?1 AND local = ?2")?
                .query_row(params![feed, i64::from_be_bytes(*local)], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
                .optional()?;
            if let Some((id, body)) = row {
                if let Some(body) = body {
                    materialize::purge_body(conn, id, &body)?;
                }
                conn.prepare_cached("DELETE FROM posts WHERE id = ?1")?
                    .execute([id])?;
                bodies.stored.remove(&post);
            }
        }
    }
    *new = kept;
    let refused = skipped
        .iter()
        .any(|s| s.why == LeftOut::Equivocation && !s.again);
    if !refused || waiting.is_empty() {
        return Ok((Vec::new(), false));
    }
    let earlier: Vec<Change> = waiting
        .iter()
        .filter_map(|(_, bytes)| Change::from_bytes(bytes.clone()).ok())
        .collect();
    // One of these left out now was stored before the conflict was
    // known: it stays stored, waiting, like a change whose dependencies
    // never come.
    Ok((doc.apply(earlier)?, true))
}

/// Stores checked changes, applies them to their feeds and updates the
/// materialized views (inside the caller's transaction). On error the
/// caller must roll back and clear `docs`.
#[allow(clippy::too_many_lines)] // one transaction step by step; splitting it would scatter the invariants
pub(crate) fn apply_checked(
    conn: &Connection,
    docs: &mut DocCache,
    own: Option<AccountId>,
    checked: Vec<Checked>,
    purged: &mut Purged,
    bodies: &mut ArrivedBodies<'_>,
) -> Result<IngestReport> {
    let mut report = IngestReport::default();
    let mut cert_ids: HashMap<Hash, i64> = HashMap::new();
    let mut by_feed: Vec<(AccountId, Vec<Checked>)> = Vec::new();
    for c in checked {
        match by_feed.iter_mut().find(|(a, _)| *a == c.envelope.account) {
            Some((_, v)) => v.push(c),
            None => by_feed.push((c.envelope.account, vec![c])),
        }
    }
    let mut newly_blocked = Vec::new();
    for (account, items) in by_feed {
        if crate::moderation::is_blocked(conn, account)? {
            report.blocked += items.len();
            continue;
        }
        let feed = docs::feed_id(conn, account)?;
        if let Some(mut seeded) = docs.take_seed(feed) {
            let last_sync_page = docs.last_sync_page;
            let step = store_seeded(
                conn,
                SeededBatch {
                    feed,
                    account,
                    own,
                    last_sync_page,
                },
                &mut seeded,
                items,
                &mut cert_ids,
                &mut report,
                purged,
                bodies,
            );
            match step {
                Ok(SeedStep::Waiting) => docs.put_seed(feed, seeded),
                Ok(SeedStep::Trusted(blocked)) => {
                    // Its profile row was written only now.
                    if !report.profiles.contains(&account) {
                        report.profiles.push(account);
                    }
                    // And its follows and blocks.
                    note_relations(&mut report, account, seeded.keys.iter());
                    note_reactions(&mut report, seeded.keys.iter());
                    newly_blocked.extend(blocked);
                    docs.put(conn, feed, seeded.doc);
                }
                Ok(SeedStep::GivenUp) => docs.refuse_seed(feed),
                Err(e) => {
                    // Rolled back; what earlier pages committed is dropped
                    // when the feed is next loaded (`feeds.unsaved`).
                    docs.refuse_seed(feed);
                    return Err(e);
                }
            }
            continue;
        }
        let mut doc = docs.take(conn, feed, account)?;
        let more_pages_follow = docs.more_pages_follow;
        let store_batch = |doc: &mut FeedDoc| -> Result<()> {
            let waiting = waiting_rows(conn, feed)?;
            let (changes, items): (Vec<Change>, Vec<Unapplied>) = items
                .into_iter()
                .map(|Checked { envelope, parsed }| {
                    let hash = parsed.change.hash();
                    (
                        parsed.change,
                        (envelope, parsed.keys, parsed.post_puts, hash),
                    )
                })
                .unzip();
            let bytes = ChangeBytes::for_batch(conn, feed, own == Some(account), items.len())?;
            let t_both = std::time::Instant::now();
            // The document applies the batch on another thread while this one
            // writes the changes' rows and the rows of the new posts it can
            // predict: none of it needs the document. A change the store
            // already holds is already in the document (applied, or waiting
            // for its dependencies), which ignores it.
            let (applied, written) = crate::parallel::beside(
                items.len() >= crate::parallel::MIN_ITEMS,
                || {
                    let t = std::time::Instant::now();
                    (doc.apply(changes), micros(t))
                },
                || -> Result<_> {
                    let t_rows = std::time::Instant::now();
                    let new =
                        store_change_rows(conn, feed, items, bytes, &mut cert_ids, &mut report)?;
                    let predicted =
                        materialize::Predicted::write(conn, feed, account, &new, bodies)?;
                    Ok((new, predicted, micros(t_rows)))
                },
            );
            let (mut new, predicted, rows_us) = written?;
            let (applied, apply_us) = applied;
            let skipped = applied?;
            let mut offered_again = false;
            if !skipped.is_empty() {
                let (more, again) = undo_left_out(
                    conn,
                    (feed, account),
                    doc,
                    &skipped,
                    &mut new,
                    &predicted,
                    bodies,
                    &waiting,
                )?;
                tell_left_out(&mut report, account, &skipped);
                tell_left_out(&mut report, account, &more);
                docs::remember_left_out(conn, feed, &skipped)?;
                docs::remember_left_out(conn, feed, &more)?;
                offered_again = again;
            }
            count_new(&mut report, account, &new);
            let both_us = micros(t_both);
            // (Changes that waited and were offered again may apply now.)
            if new.is_empty() && !offered_again {
                // After a sync's last page, a feed whose document alone holds
                // changes is saved even when the page brought nothing new.
                docs::maybe_compact(conn, feed, doc, more_pages_follow)?;
                return Ok(());
            }
            let mut keys: BTreeSet<FeedKey> = BTreeSet::new();
            let Held {
                unsaved,
                now_waiting,
            } = hold_changes(
                conn,
                (feed, account),
                &new,
                &predicted,
                waiting,
                |h| doc.has_change(h),
                &mut keys,
            )?;
            conn.prepare_cached(
                "UPDATE feeds SET heads = ?2, change_count = change_count + ?3, unsaved = unsaved + ?4 WHERE id = ?1",
            )?
            .execute(params![
                feed,
                docs::encode_heads(&doc.heads()),
                new.len() as i64,
                unsaved
            ])?;
            // Written by a new change, or by one that waited and applies now.
            note_relations(&mut report, account, keys.iter());
            note_reactions(&mut report, keys.iter());
            let t_mat = std::time::Instant::now();
            predicted.confirm(conn, feed, doc, purged, bodies)?;
            newly_blocked.extend(materialize::apply(
                conn, feed, own, doc, &keys, purged, bodies,
            )?);
            if !now_waiting.is_empty() {
                let waiting = waiting_changes(conn, &now_waiting)?;
                materialize::provisional(conn, feed, doc, &waiting, purged, bodies)?;
            }
            let mat_us = micros(t_mat);
            docs::maybe_compact(conn, feed, doc, more_pages_follow)?;
            tracing::trace!(
                feed,
                both_us,
                apply_us,
                rows_us,
                mat_us,
                compact_us = micros(t_mat).saturating_sub(mat_us),
                "feed batch"
            );
            Ok(())
        };
        if let Err(e) = store_batch(&mut doc) {
            // The caller rolls back and clears the cache; held there, the
            // document lets it keep what earlier pages of a sync committed
            // (see `DocCache::clear`).
            docs.hold(feed, doc);
            return Err(e);
        }
        docs.put(conn, feed, doc);
    }
    for account in newly_blocked {
        crate::moderation::purge_account(conn, docs, account, purged)?;
    }
    report.counted.sort_unstable();
    report.counted.dedup();
    Ok(report)
}

/// Changes stored earlier for `feed` but still waiting for their
/// dependencies: their rows of `unsnapshotted` and bytes.
fn waiting_rows(conn: &Connection, feed: i64) -> Result<Vec<(i64, Vec<u8>)>> {
    Ok(conn
        .prepare_cached("SELECT id, bytes FROM unsnapshotted WHERE feed_id = ?1 AND waiting = 1")?
        .query_map([feed], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?)
}

/// What [`hold_changes`] found.
struct Held {
    /// New changes whose bytes only the document holds.
    unsaved: i64,
    /// Rows of `unsnapshotted` of new changes that wait for their dependencies.
    now_waiting: Vec<i64>,
}

/// After the document took a batch (`holds` says which changes it
/// holds): marks the batch's new changes it does not hold as waiting
/// (writing the bytes of those that had none: the document cannot save
/// them yet), marks the earlier waiting changes it now holds as applied,
/// and adds to `keys` every key these wrote but the batch's predicted
/// post rows.
fn hold_changes(
    conn: &Connection,
    (feed, account): (i64, AccountId),
    new: &[NewChange],
    predicted: &materialize::Predicted,
    waiting: Vec<(i64, Vec<u8>)>,
    holds: impl Fn(&automerge::ChangeHash) -> bool,
    keys: &mut BTreeSet<FeedKey>,
) -> Result<Held> {
    let mut mark = conn.prepare_cached("UPDATE unsnapshotted SET waiting = ?2 WHERE id = ?1")?;
    let mut store_waiting = conn.prepare_cached(
        "INSERT INTO unsnapshotted(hash, feed_id, waiting, bytes) VALUES(?1, ?2, 1, ?3)",
    )?;
    let mut held = Held {
        unsaved: 0,
        now_waiting: Vec::new(),
    };
    for change in new {
        keys.extend(
            change
                .keys
                .iter()
                .filter(|k| !matches!(k, FeedKey::Post(l) if predicted.has(*l)))
                .cloned(),
        );
        let applied = holds(&change.hash);
        match &change.bytes {
            HeldBytes::Row(row) if !applied => {
                mark.execute(params![row, 1])?;
                held.now_waiting.push(*row);
            }
            // A change that waits for its dependencies keeps its bytes
            // in any case: the document cannot save it yet.
            HeldBytes::Here(bytes) if !applied => {
                store_waiting.execute(params![change.hash.0.as_slice(), feed, bytes])?;
                held.now_waiting.push(conn.last_insert_rowid());
            }
            HeldBytes::Here(_) => held.unsaved += 1,
            HeldBytes::Row(_) => {}
        }
    }
    for (row, bytes) in waiting {
        let Ok(change) = Change::from_bytes(bytes) else {
            continue;
        };
        if holds(&change.hash()) {
            mark.execute(params![row, 0])?;
            if let Ok(k) = validate_change(account, &change) {
                keys.extend(k);
            }
        }
    }
    Ok(held)
}

/// Which feed a seeded batch is for, and where in a sync it stands.
#[derive(Clone, Copy)]
struct SeededBatch {
    feed: i64,
    account: AccountId,
    own: Option<AccountId>,
    last_sync_page: bool,
}

/// What a batch of a seeded feed led to.
enum SeedStep {
    /// The seed still holds changes no page has brought.
    Waiting,
    /// Every change of the seed arrived verified: it is the feed's
    /// document now (with the accounts its blocks newly block).
    Trusted(Vec<AccountId>),
    /// The sync ended before that: the feed's rows were dropped.
    GivenUp,
}

/// [`apply_checked`] for a feed whose document is a seed not trusted yet
/// (see [`crate::seed`]): the changes the seed holds are checked to be in
/// it, not applied; their rows are written, and the posts' rows
/// predicted; nothing is read from the seed until the batch that
/// completes it, which then confirms and materializes everything the
/// pages touched and stores the snapshot as received.
#[allow(clippy::too_many_arguments)] // apply_checked's state, passed down
fn store_seeded(
    conn: &Connection,
    batch: SeededBatch,
    seeded: &mut crate::seed::Seeded,
    items: Vec<Checked>,
    cert_ids: &mut HashMap<Hash, i64>,
    report: &mut IngestReport,
    purged: &mut Purged,
    bodies: &mut ArrivedBodies<'_>,
) -> Result<SeedStep> {
    let SeededBatch {
        feed,
        account,
        own,
        last_sync_page,
    } = batch;
    let waiting = waiting_rows(conn, feed)?;
    let mut outside = Vec::new();
    let mut items: Vec<Unapplied> = items
        .into_iter()
        .map(|Checked { envelope, parsed }| {
            let hash = parsed.change.hash();
            if !seeded.hashes.contains(&hash) {
                outside.push(parsed.change);
            }
            (envelope, parsed.keys, parsed.post_puts, hash)
        })
        .collect();
    if !outside.is_empty() {
        // Verified changes the seed lacks (made after the sender saved it):
        // applied to it like any change.
        seeded.pristine = false;
        let skipped = seeded.doc.apply(outside)?;
        if !skipped.is_empty() {
            let gone: HashSet<automerge::ChangeHash> = skipped.iter().map(|s| s.hash).collect();
            items.retain(|(_, _, _, hash)| !gone.contains(hash));
            tell_left_out(report, account, &skipped);
        }
    }
    let bytes = ChangeBytes::for_batch(conn, feed, own == Some(account), items.len())?;
    let new = store_change_rows(conn, feed, items, bytes, cert_ids, report)?;
    count_new(report, account, &new);
    let predicted = materialize::Predicted::write(conn, feed, account, &new, bodies)?;
    seeded.confirmed += new
        .iter()
        .filter(|c| seeded.hashes.contains(&c.hash))
        .count();
    let mut keys = BTreeSet::new();
    let Held { unsaved, .. } = hold_changes(
        conn,
        (feed, account),
        &new,
        &predicted,
        waiting,
        |h| seeded.hashes.contains(h) || seeded.doc.has_change(h),
        &mut keys,
    )?;
    seeded.keys.extend(keys);
    conn.prepare_cached(
        "UPDATE feeds SET change_count = change_count + ?2, unsaved = unsaved + ?3 WHERE id = ?1",
    )?
    .execute(params![feed, new.len() as i64, unsaved])?;
    seeded.predicted.absorb(predicted);
    if seeded.complete() {
        return Ok(SeedStep::Trusted(trust_seed(
            conn, feed, own, seeded, purged, bodies,
        )?));
    }
    if last_sync_page {
        tracing::info!(
            feed,
            held = seeded.confirmed,
            seed = seeded.hashes.len(),
            "the sync ended before every change of the peer's snapshot arrived: the feed is fetched again without it"
        );
        docs::reset_lost(conn, feed)?;
        return Ok(SeedStep::GivenUp);
    }
    Ok(SeedStep::Waiting)
}

/// Once every change of a seed arrived verified: confirms the rows the
/// pages predicted, materializes every other key they touched, stores the
/// heads and the snapshot (as received if nothing was applied on top of
/// it). Returns the accounts its blocks newly block.
fn trust_seed(
    conn: &Connection,
    feed: i64,
    own: Option<AccountId>,
    seeded: &mut crate::seed::Seeded,
    purged: &mut Purged,
    bodies: &mut ArrivedBodies<'_>,
) -> Result<Vec<AccountId>> {
    let doc = &seeded.doc;
    std::mem::take(&mut seeded.predicted).confirm(conn, feed, doc, purged, bodies)?;
    let blocked = materialize::apply(conn, feed, own, doc, &seeded.keys, purged, bodies)?;
    for (post, body) in std::mem::take(&mut seeded.bodies) {
        put_body(conn, &post, &body)?;
    }
    conn.prepare_cached("UPDATE feeds SET heads = ?2 WHERE id = ?1")?
        .execute(params![feed, docs::encode_heads(&doc.heads())])?;
    if seeded.pristine {
        let bytes = std::mem::take(&mut seeded.bytes);
        docs::store_snapshot(conn, feed, move || bytes)?;
    } else {
        docs::compact(conn, feed, doc)?;
    }
    tracing::debug!(feed, changes = seeded.hashes.len(), "seed trusted");
    Ok(blocked)
}

/// Microseconds since `start`, for the trace of a batch.
fn micros(start: std::time::Instant) -> u64 {
    u64::try_from(start.elapsed().as_micros()).unwrap_or(u64::MAX)
}

/// The stored changes of `rows` (of `unsnapshotted`), in row order.
fn waiting_changes(conn: &Connection, rows: &[i64]) -> Result<Vec<Change>> {
    let mut stmt = conn.prepare_cached("SELECT bytes FROM unsnapshotted WHERE id = ?1")?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let bytes: Vec<u8> = stmt.query_row([row], |r| r.get(0))?;
        if let Ok(change) = Change::from_bytes(bytes) {
            out.push(change);
        }
    }
    Ok(out)
}

/// Stores a post body if it matches the post's current signed body hash.
/// Returns whether it was stored.
pub(crate) fn put_body(conn: &Connection, post: &PostId, body: &[u8]) -> Result<bool> {
    let Some(feed) = docs::find_feed(conn, post.author)? else {
        return Ok(false);
    };
    let local = i64::from_be_bytes(post.local);
    let row: Option<(i64, Option<Vec<u8>>, bool)> = conn
        .prepare_cached("SELECT id, body_hash, body IS NOT NULL FROM posts WHERE feed_id = ?1 AND local = ?2 AND deleted = 0")?
        .query_row(params![feed, local], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    let Some((rowid, Some(expected), false)) = row else {
        return Ok(false);
    };
    if blake3::hash(body).as_bytes().as_slice() != expected.as_slice() {
        return Ok(false);
    }
    let decoded = kith_core::Body::decode(body)?;
    conn.prepare_cached("UPDATE posts SET body = ?2 WHERE id = ?1")?
        .execute(params![rowid, body])?;
    crate::fts::index(conn, rowid, &decoded)?;
    Ok(true)
}

/// Applies checked changes and stores the bodies that came with them:
/// those of posts the changes create go in with the post rows, the rest
/// after. Returns the report and how many bodies were stored.
pub(crate) fn apply_with_bodies(
    conn: &Connection,
    docs: &mut DocCache,
    own: Option<AccountId>,
    checked: Vec<Checked>,
    purged: &mut Purged,
    bodies: &[(PostId, Vec<u8>)],
) -> Result<(IngestReport, usize)> {
    let mut arrived = ArrivedBodies::new(bodies);
    let report = apply_checked(conn, docs, own, checked, purged, &mut arrived)?;
    let stored = put_remaining_bodies(conn, docs, bodies, &arrived)?;
    Ok((report, stored))
}

/// Stores the bodies of `bodies` that [`apply_checked`] did not already
/// write with their posts; returns how many were stored in all. A body
/// that matches no post yet, of a feed whose seed is not trusted yet, is
/// kept with the seed until it is (see [`crate::seed::Seeded::hold_body`]):
/// a post several changes of one page write gets its row only then.
fn put_remaining_bodies(
    conn: &Connection,
    docs: &mut DocCache,
    bodies: &[(PostId, Vec<u8>)],
    arrived: &ArrivedBodies<'_>,
) -> Result<usize> {
    let mut stored = arrived.stored.len();
    let mut seeded_feed: Option<(AccountId, Option<i64>)> = None;
    for (post, body) in bodies {
        if arrived.stored.contains(post) {
            continue;
        }
        if put_body(conn, post, body)? {
            stored += 1;
            continue;
        }
        let feed = match seeded_feed {
            Some((author, feed)) if author == post.author => feed,
            _ => {
                let feed = docs::find_feed(conn, post.author)?;
                seeded_feed = Some((post.author, feed));
                feed
            }
        };
        if let Some(seeded) = feed.and_then(|f| docs.seed_mut(f)) {
            seeded.hold_body(*post, body);
        }
    }
    Ok(stored)
}

/// Removes blobs that lost their last reference, after a commit.
pub(crate) fn remove_purged(blobs: &BlobStore, purged: &Purged) {
    for h in purged {
        if let Err(e) = blobs.remove(h) {
            tracing::warn!(blob = %hex::encode(h), error = %e, "could not remove a purged blob");
        }
    }
}

impl Store {
    /// Verifies and stores device certificates.
    pub fn add_certificates(&mut self, certs: &[DeviceCertificate]) -> Result<()> {
        for c in certs {
            c.verify()?;
        }
        let tx = self.conn.transaction()?;
        store_certificates(&tx, certs)?;
        tx.commit()?;
        Ok(())
    }

    /// Verifies a batch of envelopes and stores it: all of it, or, if any
    /// envelope fails a check, none of it.
    pub fn ingest(&mut self, envelopes: Vec<Envelope>) -> Result<IngestReport> {
        let start = std::time::Instant::now();
        let n = envelopes.len();
        let checked = check(&self.conn, envelopes, &HashMap::new(), &mut |_, _| {})?;
        let verified = start.elapsed();
        let report = self.commit_checked(checked, &[])?;
        tracing::debug!(
            n,
            verify_ms = verified.as_millis() as u64,
            commit_ms = start.elapsed().saturating_sub(verified).as_millis() as u64,
            "ingested"
        );
        Ok(report)
    }

    /// Ingests a stream of batches, verifying the signatures of the next
    /// batch on other threads while the current one is written. Each batch
    /// is stored whole or not at all; the first rejected batch stops the
    /// stream and its error is returned (earlier batches stay stored).
    pub fn ingest_stream<I>(&mut self, batches: I) -> Result<IngestReport>
    where
        I: IntoIterator<Item = Vec<Envelope>>,
        I::IntoIter: Send,
    {
        type Verified = (Vec<Envelope>, Vec<Prechecked>);
        let batches = batches.into_iter();
        let (tx, rx) = std::sync::mpsc::sync_channel::<Verified>(1);
        std::thread::scope(|scope| {
            // The writer keeps one core busy; verification gets the others.
            let threads = all_cores().saturating_sub(1).max(1);
            scope.spawn(move || {
                for batch in batches {
                    let sigs = precheck_all(&batch, &mut [], threads);
                    if tx.send((batch, sigs)).is_err() {
                        break;
                    }
                }
            });
            let mut total = IngestReport::default();
            for (batch, sigs) in rx {
                let checked =
                    check_verified(&self.conn, batch, sigs, &HashMap::new(), &mut |_, _| {})?;
                let r = self.commit_checked(checked, &[])?;
                total.accepted += r.accepted;
                total.duplicates += r.duplicates;
            }
            Ok(total)
        })
    }

    pub(crate) fn commit_checked(
        &mut self,
        checked: Vec<Checked>,
        bodies: &[(PostId, Vec<u8>)],
    ) -> Result<IngestReport> {
        let mut purged = Vec::new();
        let result = (|| {
            let tx = self.conn.transaction()?;
            let (report, _) =
                apply_with_bodies(&tx, &mut self.docs, self.own, checked, &mut purged, bodies)?;
            tx.commit()?;
            Ok(report)
        })();
        if result.is_err() {
            self.docs.clear(&self.conn);
        } else {
            remove_purged(&self.blobs, &purged);
        }
        result
    }

    /// Makes a local change to `account`'s feed: `make` writes to the feed
    /// document and returns the signed envelope of the change; the envelope
    /// is then checked and stored like any other, with `body` if given.
    pub fn write_local(
        &mut self,
        account: AccountId,
        make: impl FnOnce(&mut kith_core::feed::FeedDoc) -> kith_core::Result<Envelope>,
        body: Option<(PostId, Vec<u8>)>,
    ) -> Result<Envelope> {
        let feed = docs::feed_id(&self.conn, account)?;
        let mut doc = self.docs.take(&self.conn, feed, account)?;
        let envelope = make(&mut doc)?;
        self.docs.put(&self.conn, feed, doc);
        let checked = match check(
            &self.conn,
            vec![envelope.clone()],
            &HashMap::new(),
            &mut |_, _| {},
        ) {
            Ok(c) => c,
            Err(e) => {
                self.docs.clear(&self.conn);
                return Err(e);
            }
        };
        self.commit_checked(checked, &body.into_iter().collect::<Vec<_>>())?;
        Ok(envelope)
    }

    /// Stores post bodies that match their posts' signed hashes; returns how many were stored.
    pub fn put_bodies(&mut self, bodies: &[(PostId, Vec<u8>)]) -> Result<usize> {
        let tx = self.conn.transaction()?;
        let mut n = 0;
        for (post, body) in bodies {
            n += usize::from(put_body(&tx, post, body)?);
        }
        tx.commit()?;
        Ok(n)
    }

    /// Runs `read` on `account`'s feed document (loaded or cached) without
    /// copying it.
    pub fn read_feed<T>(
        &mut self,
        account: AccountId,
        read: impl FnOnce(&kith_core::feed::FeedDoc) -> T,
    ) -> Result<T> {
        let feed = docs::feed_id(&self.conn, account)?;
        let doc = self.docs.take(&self.conn, feed, account)?;
        let out = read(&doc);
        self.docs.put(&self.conn, feed, doc);
        Ok(out)
    }
}

/// Devices that sign real changes, for the tests of this crate.
#[cfg(test)]
pub(crate) mod testing {
    #![allow(clippy::unwrap_used)]
    use ed25519_dalek::SigningKey;
    use kith_core::feed::{FeedDoc, FeedKey, FeedValue, Write};
    use kith_core::{AccountId, Body, DeviceCertificate, Envelope, PostId, PostRecord, keys};

    /// One device of an account, with its own copy of the feed.
    #[derive(Clone)]
    pub(crate) struct Device {
        pub(crate) account: AccountId,
        pub(crate) key: SigningKey,
        pub(crate) cert: DeviceCertificate,
        pub(crate) doc: FeedDoc,
    }

    impl Device {
        /// A new device of the account whose key is `account_key`.
        pub(crate) fn of(account_key: &SigningKey) -> Self {
            let key = keys::generate();
            let account = keys::account_id(account_key);
            Self {
                account,
                cert: DeviceCertificate::issue(account_key, keys::device_id(&key), 1),
                key,
                doc: FeedDoc::new(account),
            }
        }

        /// Signs a change of `writes` at `t` ms.
        pub(crate) fn write(&mut self, t: i64, writes: &[Write]) -> Envelope {
            let change = self
                .doc
                .write(keys::device_id(&self.key), t, writes)
                .unwrap();
            Envelope::seal(
                self.account,
                &self.key,
                self.cert.reference(),
                change.raw_bytes().to_vec(),
            )
        }

        /// A post `[local; 8]` saying `text`: its envelope, id and body.
        pub(crate) fn post(
            &mut self,
            t: i64,
            local: u8,
            text: &str,
        ) -> (Envelope, PostId, Vec<u8>) {
            let body = Body::new(text, None).unwrap();
            let record = PostRecord {
                created_at: t,
                body_hash: Some(body.hash()),
                ..PostRecord::default()
            };
            let env = self.write(
                t,
                &[Write::Put(
                    FeedKey::Post([local; 8]),
                    FeedValue::Bytes(record.encode()),
                )],
            );
            let id = PostId {
                author: self.account,
                local: [local; 8],
            };
            (env, id, body.encode())
        }

        /// Brings the changes of `envelopes` into this device's copy.
        pub(crate) fn see(&mut self, envelopes: &[&Envelope]) {
            let changes = envelopes
                .iter()
                .map(|e| e.parse_change().unwrap())
                .collect();
            self.doc.apply(changes).unwrap();
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use kith_core::feed::{FeedKey, FeedValue, Write};
    use kith_core::keys;

    use super::testing::Device;
    use super::*;

    fn hash_of(env: &Envelope) -> automerge::ChangeHash {
        env.parse_change().unwrap().hash()
    }

    fn count(store: &Store, sql: &str) -> i64 {
        store.conn().query_row(sql, [], |r| r.get(0)).unwrap()
    }

    /// The locals of the posts of `account` that have a row.
    fn post_rows(store: &Store, account: AccountId) -> Vec<u8> {
        let feed = docs::find_feed(store.conn(), account).unwrap().unwrap();
        let mut stmt = store
            .conn()
            .prepare("SELECT local FROM posts WHERE feed_id = ?1 ORDER BY local")
            .unwrap();
        stmt.query_map([feed], |r| r.get::<_, i64>(0))
            .unwrap()
            .map(|l| l.unwrap().to_be_bytes()[0])
            .collect()
    }

    #[test]
    fn a_page_with_a_change_whose_device_signed_another_with_its_sequence_number_stores_the_rest_and_nothing_of_that_one()
     {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        let account_key = keys::generate();
        let (mut d, mut e) = (Device::of(&account_key), Device::of(&account_key));
        let base = d.write(
            1_000,
            &[Write::Put(FeedKey::Name, FeedValue::Str("D".into()))],
        );
        // D's device was restored from a backup and wrote again: two
        // histories signed by D, both with sequence number 2.
        let mut restored = d.clone();
        let (x2, p1, b1) = d.post(2_000, 1, "the history held here");
        let (y2, p2, b2) = restored.post(2_000, 2, "zebra from the other history");
        let (y3, p3, b3) = restored.post(3_000, 3, "after the other history");
        let (e1, p4, b4) = e.post(1_500, 4, "from the second device");
        let certs = [d.cert.clone(), e.cert.clone()];
        store
            .ingest_signed(&certs, vec![base, x2], &[(p1, b1)])
            .unwrap();

        let r = store
            .ingest_signed(
                &certs,
                vec![y2.clone(), e1, y3.clone()],
                &[(p2, b2), (p3, b3), (p4, b4)],
            )
            .unwrap();
        assert_eq!(
            (r.accepted, r.left_out),
            (1, 2),
            "the second device's change is stored; the other history's two are left out"
        );
        assert_eq!(r.posts.len(), 1);
        assert_eq!(post_rows(&store, d.account), [1, 4]);
        assert!(
            store.search("zebra", 10, None).unwrap().posts.is_empty(),
            "the left-out post's words are not in the search index"
        );
        assert_eq!(count(&store, "SELECT count(*) FROM changes"), 3);
        assert_eq!(count(&store, "SELECT count(*) FROM unsnapshotted"), 3);
        assert!(
            store.has_changes(d.account, &[hash_of(&y3)]).unwrap(),
            "nothing of the other history is worth asking for again"
        );

        // It comes again (a peer holding that history pulls or relays it):
        // left out at once, no error.
        let again = store.ingest_signed(&certs, vec![y2], &[]).unwrap();
        assert_eq!((again.accepted, again.left_out), (0, 1));

        // Reopened, the store loads the feed as it was, and still knows
        // what it left out: heads naming it start no pull.
        drop(store);
        let mut store = Store::open(dir.path()).unwrap();
        assert_eq!(post_rows(&store, d.account), [1, 4]);
        assert!(
            store.has_changes(d.account, &[hash_of(&y3)]).unwrap(),
            "what was left out is remembered across a restart"
        );
        assert_eq!(count(&store, "SELECT count(*) FROM left_out"), 2);
        // Blocked, the feed's records go with it.
        store.purge_account(d.account).unwrap();
        assert_eq!(count(&store, "SELECT count(*) FROM left_out"), 0);
    }

    #[test]
    fn a_change_that_waited_before_a_conflicting_one_was_refused_still_applies_when_its_dependency_comes()
     {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        let account_key = keys::generate();
        let (mut d, mut e) = (Device::of(&account_key), Device::of(&account_key));
        let base = d.write(
            1_000,
            &[Write::Put(FeedKey::Name, FeedValue::Str("D".into()))],
        );
        let mut restored = d.clone();
        let (x2, _, _) = d.post(2_000, 1, "held");
        let (w2, _, _) = restored.post(2_000, 2, "the other history");
        let (e1, _, _) = e.post(1_500, 4, "second device");
        d.see(&[&e1]);
        // D's third change depends on e1, which has not come yet.
        let (x3, _, _) = d.post(4_000, 5, "after seeing the second device");
        let certs = [d.cert.clone(), e.cert.clone()];
        store.ingest_signed(&certs, vec![base, x2], &[]).unwrap();
        store.ingest_signed(&certs, vec![x3.clone()], &[]).unwrap();
        assert!(!store.has_changes(d.account, &[hash_of(&x3)]).unwrap());

        // Refusing w2 (it conflicts with x2), automerge drops the waiting x3.
        let r = store.ingest_signed(&certs, vec![w2], &[]).unwrap();
        assert_eq!((r.accepted, r.left_out), (0, 1));
        store.ingest_signed(&certs, vec![e1], &[]).unwrap();
        assert!(
            store.has_changes(d.account, &[hash_of(&x3)]).unwrap(),
            "x3 was offered to the document again and applied with e1"
        );
        assert_eq!(post_rows(&store, d.account), [1, 4, 5]);
    }
}
