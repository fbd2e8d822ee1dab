//! Export and import of bundle files (feeds on a USB stick).

use std::collections::{BTreeSet, HashMap};
use std::io::Write;

use kith_core::bundle::{BundleWriter, RecordKind, parse};
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
        let io = |e: std::io::Error| StoreError::Io {
            path: "bundle".into(),
            source: e,
        };
        let mut w = BundleWriter::new(out).map_err(io)?;
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
                    .map_err(io)?;
            }
            for env in &signed.envelopes {
                w.record(RecordKind::Envelope, &env.encode()).map_err(io)?;
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
                        w.record(RecordKind::Body, &rec).map_err(io)?;
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
                    w.record(RecordKind::Blob, &bytes).map_err(io)?;
                    report.blobs += 1;
                }
            }
            progress(i as u64 + 1, total);
        }
        w.finish().map_err(io)?;
        Ok(report)
    }

    /// Imports a bundle. Every record is verified before anything is
    /// written; any bad record rejects the whole file and leaves the store
    /// exactly as it was.
    pub fn import(&mut self, bytes: &[u8], progress: crate::Progress<'_>) -> Result<ImportReport> {
        let records = parse(bytes)?;
        let mut certs: HashMap<Hash, DeviceCertificate> = HashMap::new();
        let mut envelopes = Vec::new();
        let mut bodies: Vec<(PostId, Vec<u8>)> = Vec::new();
        let mut blobs: HashMap<Hash, &[u8]> = HashMap::new();
        for (index, (kind, payload)) in records.iter().enumerate() {
            match kind {
                RecordKind::Certificate => {
                    let cert = DeviceCertificate::decode_verified(payload)
                        .map_err(|e| rejected(index, e))?;
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
                    let post = PostId::from_bytes(&payload[..PostId::LEN])
                        .map_err(|e| rejected(index, e))?;
                    Body::decode(&payload[PostId::LEN..]).map_err(|e| rejected(index, e))?;
                    bodies.push((post, payload[PostId::LEN..].to_vec()));
                }
                RecordKind::Blob => {
                    BlobStore::check_size(payload.len()).map_err(|e| rejected(index, e))?;
                    blobs.insert(*blake3::hash(payload).as_bytes(), payload);
                }
            }
        }
        let feeds: BTreeSet<AccountId> = envelopes.iter().map(|e| e.account).collect();
        let checked = ingest::check(&self.conn, envelopes, &certs, progress)?;
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
            for (hash, bytes) in &blobs {
                if materialize::blob_referenced(&tx, hash)? && !self.blobs.has(hash) {
                    self.blobs.put(bytes)?;
                    written_blobs.push(*hash);
                    report.blobs += 1;
                }
            }
            tx.commit()?;
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
