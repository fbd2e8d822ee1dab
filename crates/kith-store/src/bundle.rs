//! Export and import of bundle files (feeds on a USB stick).

use std::collections::{BTreeSet, HashMap};
use std::io::{Read, Seek, SeekFrom, Write};

use kith_core::bundle::{BundleError, BundleReader, BundleWriter, RecordKind};
use kith_core::limits::MAX_BUNDLE_CHANGE_BYTES;
use kith_core::{AccountId, Body, DeviceCertificate, Envelope, Hash, PostId};
use serde::Serialize;

use crate::error::{Result, StoreError};
use crate::{BlobStore, Store, docs, ingest, materialize};

/// What an export wrote.
#[derive(Debug, Default, Clone, Serialize)]
pub struct ExportReport {
    /// Feeds written.
    pub feeds: usize,
    /// Signed changes written.
    pub changes: usize,
    /// Post bodies written.
    pub bodies: usize,
    /// Blobs written.
    pub blobs: usize,
}

/// What an import stored.
#[derive(Debug, Default, Clone, Serialize)]
pub struct ImportReport {
    /// Feeds in the bundle.
    pub feeds: usize,
    /// New changes stored.
    pub changes: usize,
    /// Changes already held.
    pub duplicates: usize,
    /// Post bodies stored.
    pub bodies: usize,
    /// Blobs stored.
    pub blobs: usize,
}

/// A failure reading or writing a bundle, as the store tells it (the
/// node names the file, and tells a full disk, `kith_node`'s
/// `bundle_named`).
fn bundle_io(source: std::io::Error) -> StoreError {
    StoreError::Io {
        path: "bundle".into(),
        source,
    }
}

/// A bundle's read failure, as the store tells it.
fn unreadable(e: BundleError) -> StoreError {
    match e {
        BundleError::Bad(e) => StoreError::Core(e),
        BundleError::Io(source) => bundle_io(source),
        other => bundle_io(std::io::Error::other(other.to_string())),
    }
}

/// What remembering where one blob lies counts against the bound on what
/// reading a bundle holds (a bundle of tiny blobs would otherwise make an
/// index larger than itself).
const BLOB_ENTRY_BYTES: u64 = 64;

/// Where a blob lies in a bundle: its payload's offset and length.
#[derive(Debug, Clone, Copy)]
struct BlobAt {
    offset: u64,
    len: usize,
}

/// Reads the blob at `at` from `bundle`, checking that it is still the
/// one whose hash is `hash` (the file could change between the two reads).
fn read_blob(bundle: &mut (impl Read + Seek), at: BlobAt, hash: &Hash) -> Result<Vec<u8>> {
    bundle.seek(SeekFrom::Start(at.offset)).map_err(bundle_io)?;
    let mut bytes = vec![0u8; at.len];
    bundle.read_exact(&mut bytes).map_err(bundle_io)?;
    if blake3::hash(&bytes).as_bytes() != hash {
        return Err(kith_core::CoreError::Malformed {
            what: "bundle",
            reason: "the file changed while it was being imported".into(),
        }
        .into());
    }
    Ok(bytes)
}

/// What the first reading of a bundle keeps: everything but the blobs'
/// bytes, checked record by record.
struct ReadBundle {
    certs: HashMap<Hash, DeviceCertificate>,
    envelopes: Vec<Envelope>,
    bodies: Vec<(PostId, Vec<u8>)>,
    blobs: HashMap<Hash, BlobAt>,
    /// The file's size: progress counts it three times (reading, checking,
    /// storing the blobs).
    span: u64,
}

/// Reads `bundle` to its end and checks its framing, checksum, certificates
/// and bodies, holding at most `limit` bytes of certificates, envelopes and
/// bodies (each blob's place counting [`BLOB_ENTRY_BYTES`]) and only where
/// each blob lies; reports the reading as the first third of `progress`.
fn read_records<R: Read + Seek>(
    bundle: &mut R,
    progress: crate::Progress<'_>,
    limit: u64,
) -> Result<ReadBundle> {
    let mut certs: HashMap<Hash, DeviceCertificate> = HashMap::new();
    let mut envelopes = Vec::new();
    let mut bodies: Vec<(PostId, Vec<u8>)> = Vec::new();
    let mut blobs: HashMap<Hash, BlobAt> = HashMap::new();
    let mut held: u64 = 0;
    // Reading is the first third of the span, checking the second, storing
    // the blobs the last.
    let size = bundle.seek(SeekFrom::End(0)).map_err(bundle_io)?;
    bundle.seek(SeekFrom::Start(0)).map_err(bundle_io)?;
    let span = size.max(1);
    let mut reported = 0;
    let mut reader = BundleReader::new(&mut *bundle).map_err(unreadable)?;
    let mut index = 0;
    while let Some(record) = reader.next_record().map_err(unreadable)? {
        let payload = record.payload.as_slice();
        held += if record.kind == RecordKind::Blob {
            BLOB_ENTRY_BYTES
        } else {
            payload.len() as u64
        };
        if held > limit {
            return Err(kith_core::CoreError::TooLarge {
                    what: "a bundle's certificates, changes and bodies (and its blobs' places) together",
                    size: usize::try_from(held).unwrap_or(usize::MAX),
                    limit: usize::try_from(limit).unwrap_or(usize::MAX),
                }
                .into());
        }
        match record.kind {
            RecordKind::Certificate => {
                let cert =
                    DeviceCertificate::decode_verified(payload).map_err(|e| rejected(index, e))?;
                certs.insert(cert.reference(), cert);
            }
            RecordKind::Envelope => {
                envelopes.push(Envelope::decode(payload).map_err(|e| rejected(index, e))?);
            }
            RecordKind::Body => {
                if payload.len() < PostId::LEN {
                    return Err(rejected(
                        index,
                        kith_core::CoreError::Malformed {
                            what: "body record",
                            reason: "too short".into(),
                        },
                    ));
                }
                let post =
                    PostId::from_bytes(&payload[..PostId::LEN]).map_err(|e| rejected(index, e))?;
                Body::decode(&payload[PostId::LEN..]).map_err(|e| rejected(index, e))?;
                bodies.push((post, payload[PostId::LEN..].to_vec()));
            }
            RecordKind::Blob => {
                BlobStore::check_size(payload.len()).map_err(|e| rejected(index, e))?;
                blobs.insert(
                    *blake3::hash(payload).as_bytes(),
                    BlobAt {
                        offset: record.offset,
                        len: payload.len(),
                    },
                );
            }
        }
        index += 1;
        let read = reader.position();
        if read >= reported + span / 100 {
            reported = read;
            progress(read, 3 * span);
        }
    }
    Ok(ReadBundle {
        certs,
        envelopes,
        bodies,
        blobs,
        span,
    })
}

fn rejected(index: usize, e: impl Into<StoreError>) -> StoreError {
    StoreError::Rejected {
        index,
        source: Box::new(e.into()),
    }
}

impl Store {
    /// Writes the given feeds (certificates, signed changes, current post
    /// bodies and referenced blobs) as a bundle.
    pub fn export<W: Write>(
        &mut self,
        accounts: &[AccountId],
        out: W,
        progress: crate::Progress<'_>,
    ) -> Result<ExportReport> {
        let mut w = BundleWriter::new(out).map_err(bundle_io)?;
        let mut report = ExportReport::default();
        let total = accounts.len() as u64;
        for (i, account) in accounts.iter().enumerate() {
            let Some(feed) = docs::find_feed(&self.conn, *account)? else {
                return Err(StoreError::NotFound(format!("feed of {account}")));
            };
            report.feeds += 1;
            let signed = self.signed_changes(*account, &[])?;
            for cert in &signed.certificates {
                w.record(RecordKind::Certificate, &cert.encode())
                    .map_err(bundle_io)?;
            }
            for env in &signed.envelopes {
                w.record(RecordKind::Envelope, &env.encode())
                    .map_err(bundle_io)?;
            }
            report.changes += signed.envelopes.len();
            let mut blobs: BTreeSet<Hash> = BTreeSet::new();
            {
                let mut stmt = self.conn.prepare_cached(
                    "SELECT local, body, attachments FROM posts WHERE feed_id = ?1 AND deleted = 0 ORDER BY created_at",
                )?;
                let rows = stmt.query_map([feed], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, Option<Vec<u8>>>(1)?,
                        r.get::<_, Option<Vec<u8>>>(2)?,
                    ))
                })?;
                for row in rows {
                    let (local, body, attachments) = row?;
                    if let Some(body) = body {
                        let mut rec = PostId {
                            author: *account,
                            local: local.to_be_bytes(),
                        }
                        .to_bytes()
                        .to_vec();
                        rec.extend_from_slice(&body);
                        w.record(RecordKind::Body, &rec).map_err(bundle_io)?;
                        report.bodies += 1;
                    }
                    blobs.extend(
                        attachments
                            .unwrap_or_default()
                            .chunks_exact(32)
                            .filter_map(|c| Hash::try_from(c).ok()),
                    );
                }
            }
            let avatar: Option<Vec<u8>> =
                self.conn
                    .query_row("SELECT avatar FROM feeds WHERE id = ?1", [feed], |r| {
                        r.get(0)
                    })?;
            blobs.extend(avatar.and_then(|a| Hash::try_from(a.as_slice()).ok()));
            for hash in blobs {
                if let Some(bytes) = self.blobs.get(&hash)? {
                    w.record(RecordKind::Blob, &bytes).map_err(bundle_io)?;
                    report.blobs += 1;
                }
            }
            progress(i as u64 + 1, total);
        }
        w.finish().map_err(bundle_io)?;
        Ok(report)
    }

    /// Imports a bundle held in memory (see [`Store::import_from`]).
    pub fn import(&mut self, bytes: &[u8], progress: crate::Progress<'_>) -> Result<ImportReport> {
        self.import_from(std::io::Cursor::new(bytes), progress)
    }

    /// Imports a bundle. Every record is verified, and the whole file's
    /// checksum, before anything is written; any bad record rejects the
    /// whole file and leaves the store exactly as it was. The file is read
    /// twice: once to check it, holding its certificates, changes and
    /// bodies (at most [`MAX_BUNDLE_CHANGE_BYTES`], each blob's place
    /// counting 64 bytes) but not its blobs, then for the blobs to store,
    /// one at a time. `progress` counts the reading, the checking of the
    /// changes and the storing of the blobs as one span.
    pub fn import_from<R: Read + Seek>(
        &mut self,
        bundle: R,
        progress: crate::Progress<'_>,
    ) -> Result<ImportReport> {
        self.import_within(bundle, progress, MAX_BUNDLE_CHANGE_BYTES)
    }

    /// [`Store::import_from`], holding at most `limit` bytes of
    /// certificates, changes and bodies.
    fn import_within<R: Read + Seek>(
        &mut self,
        mut bundle: R,
        progress: crate::Progress<'_>,
        limit: u64,
    ) -> Result<ImportReport> {
        let ReadBundle {
            certs,
            envelopes,
            bodies,
            blobs,
            span,
        } = read_records(&mut bundle, progress, limit)?;
        let feeds: BTreeSet<AccountId> = envelopes.iter().map(|e| e.account).collect();
        let checked = ingest::check(&self.conn, envelopes, &certs, &mut |done, total| {
            progress(span + done * span / total.max(1), 3 * span);
        })?;
        progress(2 * span, 3 * span);
        let mut report = ImportReport {
            feeds: feeds.len(),
            ..ImportReport::default()
        };
        let mut written_blobs: Vec<Hash> = Vec::new();
        let mut purged = Vec::new();
        let result = (|| -> Result<ingest::IngestReport> {
            let tx = self.conn.transaction()?;
            ingest::store_certificates(&tx, certs.values())?;
            let (r, stored) = ingest::apply_with_bodies(
                &tx,
                &mut self.docs,
                self.own,
                checked,
                &mut purged,
                &bodies,
            )?;
            report.changes = r.accepted;
            report.duplicates = r.duplicates;
            report.bodies = stored;
            let mut to_store = Vec::new();
            for (hash, at) in &blobs {
                if materialize::blob_referenced(&tx, hash)? && !self.blobs.has(hash) {
                    to_store.push((*hash, *at));
                }
            }
            let total: u64 = to_store.iter().map(|(_, at)| at.len as u64).sum();
            let mut stored = 0u64;
            for (hash, at) in to_store {
                let bytes = read_blob(&mut bundle, at, &hash)?;
                self.blobs.put(&bytes)?;
                written_blobs.push(hash);
                report.blobs += 1;
                stored += at.len as u64;
                progress(2 * span + stored * span / total.max(1), 3 * span);
            }
            tx.commit()?;
            progress(3 * span, 3 * span);
            Ok(r)
        })();
        match result {
            Ok(r) => {
                ingest::remove_purged(&self.blobs, &purged);
                // Blobs the bundle left out are asked of peers at once.
                if let Err(e) = self.in_one_transaction(|s| s.record_wanted(&r, 0)) {
                    tracing::warn!(error = %e, "could not list the blobs a bundle left out");
                }
                self.checkpoint()?;
                Ok(report)
            }
            Err(e) => {
                self.docs.clear(&self.conn);
                for h in &written_blobs {
                    let _ = self.blobs.remove(h);
                }
                Err(e)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A bundle of `n` records of `kind`, each `len` bytes of junk.
    fn junk_bundle(kind: RecordKind, n: usize, len: usize) -> Vec<u8> {
        let mut w = BundleWriter::new(Vec::new()).unwrap();
        for i in 0..n {
            w.record(kind, &vec![i as u8; len]).unwrap();
        }
        w.finish().unwrap()
    }

    #[test]
    fn a_bundle_holding_more_changes_than_the_bound_is_refused_while_read_and_blobs_count_their_place()
     {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        let bundle = junk_bundle(RecordKind::Body, 1, 300);
        let err = store
            .import_within(std::io::Cursor::new(&bundle), &mut |_, _| {}, 250)
            .unwrap_err();
        assert!(
            matches!(
                err,
                StoreError::Core(kith_core::CoreError::TooLarge {
                    size: 300,
                    limit: 250,
                    ..
                })
            ),
            "refused for its size, before its records are decoded: {err}"
        );
        // Blobs are read one at a time: a bundle of blobs past the bound is
        // read to its end (and imports nothing, since no post uses them).
        let blobs = junk_bundle(RecordKind::Blob, 3, 100);
        let report = store
            .import_within(std::io::Cursor::new(&blobs), &mut |_, _| {}, 250)
            .unwrap();
        assert_eq!((report.changes, report.blobs), (0, 0));
        // Each blob's place counts: tiny blobs cannot grow an index past it.
        let tiny = junk_bundle(RecordKind::Blob, 4, 1);
        let err = store
            .import_within(std::io::Cursor::new(&tiny), &mut |_, _| {}, 250)
            .unwrap_err();
        assert!(
            matches!(
                err,
                StoreError::Core(kith_core::CoreError::TooLarge { size: 256, .. })
            ),
            "four places of 64 bytes: {err}"
        );
    }

    #[test]
    fn progress_counts_the_reading_then_the_checking_and_ends_at_its_total() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        let bundle = junk_bundle(RecordKind::Blob, 200, 1000);
        let mut seen = Vec::new();
        store
            .import(&bundle, &mut |done, total| seen.push((done, total)))
            .unwrap();
        assert!(seen.len() >= 2, "{seen:?}");
        let total = seen[0].1;
        assert!(seen.iter().all(|(_, t)| *t == total), "one span: {seen:?}");
        assert!(
            seen.windows(2).all(|w| w[0].0 <= w[1].0),
            "never back: {seen:?}"
        );
        assert!(
            seen.iter().any(|(d, _)| *d > 0 && *d <= total / 2),
            "reading is reported: {seen:?}"
        );
        assert_eq!(
            seen.last().map(|(d, _)| *d),
            Some(total),
            "ends at its total: {seen:?}"
        );
    }
}
