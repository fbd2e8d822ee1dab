//! Updates learnt from peers (`docs/protocol.md` §13.10).
//!
//! A node that keeps a genuine Kith release in its installer directory
//! announces it on [`RELEASE_TOPIC`](crate::protocol::RELEASE_TOPIC): an [`UpdateNotice`] holding the signed
//! manifest. Every node checks a notice's manifest against the trusted
//! release key before passing it on (gossipsub validation); one that does
//! not check is rejected and its sender penalised. A notice for a version
//! newer than the one running becomes an offer ("Kith X is available from
//! N peers"); an older or equal one is never offered. On the user's word
//! the package is fetched from the peers that announced it, in chunks,
//! checked against the manifest's size, SHA-256 and BLAKE3, and kept in the
//! installer directory. Installing is the user's own act (the system's
//! package installer); nothing here installs anything.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::io::{Read, Seek, SeekFrom, Write as _};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use kith_core::release::{PackageFile, SignedManifest};
use kith_node::release::{HeldRelease, Installer, running_version};
use libp2p::PeerId;
use libp2p::gossipsub::{MessageAcceptance, MessageId};
use serde::Serialize;
use serde_bytes::ByteBuf;

use crate::activity::Activity;
use crate::protocol::{PACKAGE_CHUNK, SyncRequest, SyncResponse, UpdateNotice};
use crate::replicator::{Replicator, lock};
use crate::swarm::Command;

/// How often a node holding a release announces it.
pub const ANNOUNCE_EVERY: Duration = Duration::from_secs(600);
/// How soon after a new connection a node announces (gossipsub needs a
/// moment to learn the peer's topics), and again in case it was too soon.
const ANNOUNCE_AFTER_CONNECT: [Duration; 2] = [Duration::from_secs(2), Duration::from_secs(12)];
/// Announcements after connections closer together than this are skipped.
const ANNOUNCE_MIN_GAP: Duration = Duration::from_secs(10);
/// Notices accepted from one publisher at most this often; more are ignored.
const NOTICE_MIN_GAP: Duration = Duration::from_secs(5);
/// Publishers remembered for that rate.
const MAX_PUBLISHERS: usize = 1024;
/// Versions offered at once (the newest are kept).
const MAX_OFFERS: usize = 4;
/// Peers remembered per offer.
const MAX_OFFER_PEERS: usize = 256;
/// Refused notices remembered, newest last.
const MAX_REFUSED: usize = 16;
/// Longest a whole download may take from one peer.
const DOWNLOAD_TIMEOUT: Duration = Duration::from_secs(600);

/// Update state shared by the replicator's tasks.
#[derive(Debug, Default)]
pub struct Updates {
    home: Option<PathBuf>,
    offers: BTreeMap<semver::Version, Offer>,
    refused: VecDeque<Refused>,
    publishers: HashMap<PeerId, Instant>,
    /// When the release was last announced after a connection.
    last_announce: Option<Instant>,
    /// When the release was last announced periodically.
    last_periodic: Option<Instant>,
    download: Option<Progress>,
    error: Option<String>,
}

#[derive(Debug)]
struct Offer {
    manifest: SignedManifest,
    peers: HashSet<PeerId>,
}

/// A notice that was not offered, and why.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Refused {
    /// The version it named, when it could be read.
    pub version: Option<String>,
    /// Who published it.
    pub from: String,
    /// Why it was refused.
    pub reason: String,
}

/// A download under way.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Progress {
    /// The version.
    pub version: String,
    /// The file.
    pub file: String,
    /// Bytes received.
    #[cfg_attr(feature = "specta", specta(type = f64))]
    pub received: u64,
    /// Bytes in all.
    #[cfg_attr(feature = "specta", specta(type = f64))]
    pub size: u64,
}

/// A version peers offer.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Available {
    /// The version.
    pub version: String,
    /// Its release date.
    pub date: String,
    /// How many peers announced it.
    pub peers: u32,
    /// The file that would be fetched for this system.
    pub file: String,
    /// Its size.
    #[cfg_attr(feature = "specta", specta(type = f64))]
    pub size: u64,
}

/// What `kith update` and the app show.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct UpdateStatus {
    /// The version running.
    pub running: String,
    /// The trusted release key's fingerprint.
    pub fingerprint: String,
    /// The newest version peers offer, newer than the one running.
    pub available: Option<Available>,
    /// A newer release downloaded, verified and ready to install.
    pub downloaded: Option<HeldRelease>,
    /// A download under way.
    pub downloading: Option<Progress>,
    /// Why the last download failed.
    pub error: Option<String>,
    /// Notices refused (not offered), newest last.
    pub refused: Vec<Refused>,
}

impl Updates {
    fn refuse(&mut self, version: Option<String>, from: Option<PeerId>, reason: String) {
        tracing::info!(?version, ?from, %reason, "update notice refused");
        if self.refused.len() >= MAX_REFUSED {
            self.refused.pop_front();
        }
        self.refused.push_back(Refused {
            version,
            from: from.map_or_else(|| "unknown".into(), |p| p.to_string()),
            reason,
        });
    }

    /// Whether this publisher may have a notice accepted now.
    fn publisher_allowed(&mut self, publisher: PeerId) -> bool {
        let now = Instant::now();
        if self.publishers.len() >= MAX_PUBLISHERS {
            self.publishers
                .retain(|_, t| now.duration_since(*t) < NOTICE_MIN_GAP);
        }
        match self.publishers.get(&publisher) {
            Some(t) if now.duration_since(*t) < NOTICE_MIN_GAP => false,
            _ => {
                self.publishers.insert(publisher, now);
                true
            }
        }
    }

    fn offer(&mut self, manifest: SignedManifest, publisher: PeerId) -> bool {
        let version = manifest.version().clone();
        let offer = self.offers.entry(version).or_insert_with(|| Offer {
            manifest,
            peers: HashSet::new(),
        });
        let new = offer.peers.len() < MAX_OFFER_PEERS && offer.peers.insert(publisher);
        while self.offers.len() > MAX_OFFERS {
            self.offers.pop_first();
        }
        new
    }
}

/// The package kind this system installs: `deb` where dpkg is, `rpm` where rpm is.
pub fn system_package_kind() -> Option<&'static str> {
    if std::path::Path::new("/usr/bin/dpkg").exists() {
        Some("deb")
    } else if std::path::Path::new("/usr/bin/rpm").exists() {
        Some("rpm")
    } else {
        None
    }
}

/// The file of a release to fetch for this system.
fn pick_file(manifest: &SignedManifest) -> Option<&PackageFile> {
    let files = &manifest.manifest.files;
    let kind = system_package_kind();
    files
        .iter()
        .find(|f| kind.is_some() && f.kind() == kind)
        .or_else(|| files.first())
}

impl Replicator {
    fn installer(&self) -> Option<Installer> {
        let home = lock(&self.shared).updates.home.clone()?;
        Installer::open(&home).ok()
    }

    /// Remembers the home (for the installer directory); called at start.
    pub(crate) fn set_release_home(&self, home: PathBuf) {
        lock(&self.shared).updates.home = Some(home);
    }

    /// Validates an update notice: rejected (sender penalised) unless its
    /// manifest is signed by the trusted key; offered when newer than the
    /// version running.
    pub(crate) fn validate_notice(
        &self,
        source: PeerId,
        origin: Option<PeerId>,
        id: &MessageId,
        data: &[u8],
    ) -> MessageAcceptance {
        let trusted = match kith_node::release::trusted_key() {
            Ok(k) => k,
            Err(e) => {
                tracing::warn!(error = %e, "no trusted release key; notices ignored");
                return MessageAcceptance::Ignore;
            }
        };
        let mut s = lock(&self.shared);
        let updates = &mut s.updates;
        let Some(publisher) = origin else {
            updates.refuse(None, None, "the notice names no publisher".into());
            return MessageAcceptance::Reject;
        };
        let notice = match UpdateNotice::decode(data) {
            Ok(n) => n,
            Err(e) => {
                updates.refuse(None, origin, e.to_string());
                return MessageAcceptance::Reject;
            }
        };
        let manifest = match SignedManifest::verify(&notice.manifest, &trusted) {
            Ok(m) => m,
            Err(e) => {
                updates.refuse(None, origin, e.to_string());
                return MessageAcceptance::Reject;
            }
        };
        if !updates.publisher_allowed(publisher) {
            tracing::debug!(%publisher, %source, ?id, "notice too soon after the last one");
            return MessageAcceptance::Ignore;
        }
        let running = running_version();
        let version = manifest.version().clone();
        if version <= running {
            // Genuine, so passed on (it may be news to an older node), but
            // never offered here: Kith does not downgrade.
            updates.refuse(
                Some(version.to_string()),
                origin,
                format!("Kith {version} is not newer than the running {running}"),
            );
            return MessageAcceptance::Accept;
        }
        let new = updates.offer(manifest, publisher);
        drop(s);
        if new {
            tracing::info!(%version, %publisher, "Kith update offered");
            self.activity.send(Activity::Update {
                version: version.to_string(),
            });
        }
        MessageAcceptance::Accept
    }

    /// Announces the kept release on the release topic (after a
    /// connection: unless it was announced so moments ago).
    pub(crate) async fn announce_release(&self, after_connect: bool) {
        let Some(installer) = self.installer() else {
            return;
        };
        {
            let mut s = lock(&self.shared);
            let u = &mut s.updates;
            if after_connect {
                if u.last_announce
                    .is_some_and(|t| t.elapsed() < ANNOUNCE_MIN_GAP)
                {
                    return;
                }
                u.last_announce = Some(Instant::now());
            } else {
                u.last_periodic = Some(Instant::now());
            }
        }
        let held = match tokio::task::spawn_blocking(move || installer.manifest()).await {
            Ok(Ok(Some(m))) => m,
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "the kept release does not check; not announced");
                return;
            }
            Ok(Ok(None)) | Err(_) => return,
        };
        let notice = UpdateNotice {
            manifest: ByteBuf::from(held.text().as_bytes().to_vec()),
            at: kith_node::now_ms().max(0) as u64,
        };
        tracing::debug!(version = %held.version(), "announcing the kept release");
        let _ = self
            .swarm
            .send(Command::PublishNotice(notice.encode()))
            .await;
    }

    /// Announces soon after a peer connects.
    pub(crate) fn announce_after_connect(&self) {
        for delay in ANNOUNCE_AFTER_CONNECT {
            let me = self.clone();
            tokio::spawn(async move {
                tokio::time::sleep(delay).await;
                me.announce_release(true).await;
            });
        }
    }

    /// Whether the periodic announcement is due.
    pub(crate) fn announce_due(&self) -> bool {
        lock(&self.shared)
            .updates
            .last_periodic
            .is_none_or(|t| t.elapsed() >= ANNOUNCE_EVERY)
    }

    /// Answers a package chunk request from the installer directory.
    pub(crate) async fn answer_package(&self, blake3: &[u8], offset: u64) -> SyncResponse {
        let Ok(hash) = <[u8; 32]>::try_from(blake3) else {
            return SyncResponse::refused("malformed", "a BLAKE3 hash has 32 bytes");
        };
        let Some(installer) = self.installer() else {
            return SyncResponse::PackageChunk {
                bytes: None,
                size: 0,
            };
        };
        let read =
            tokio::task::spawn_blocking(move || -> Result<Option<(Vec<u8>, u64)>, String> {
                let Some((entry, path)) = installer.by_blake3(&hash).map_err(|e| e.to_string())?
                else {
                    return Ok(None);
                };
                if offset >= entry.size {
                    return Ok(Some((Vec::new(), entry.size)));
                }
                let mut file = std::fs::File::open(&path).map_err(|e| e.to_string())?;
                file.seek(SeekFrom::Start(offset))
                    .map_err(|e| e.to_string())?;
                let mut bytes = Vec::new();
                file.take(PACKAGE_CHUNK)
                    .read_to_end(&mut bytes)
                    .map_err(|e| e.to_string())?;
                Ok(Some((bytes, entry.size)))
            })
            .await;
        match read {
            Ok(Ok(Some((bytes, size)))) => SyncResponse::PackageChunk {
                bytes: Some(ByteBuf::from(bytes)),
                size,
            },
            Ok(Ok(None)) => SyncResponse::PackageChunk {
                bytes: None,
                size: 0,
            },
            Ok(Err(e)) => SyncResponse::refused("unavailable", e),
            Err(e) => SyncResponse::refused("busy", e),
        }
    }

    /// The update state, for `kith update` and the app.
    pub async fn update_status(&self) -> UpdateStatus {
        let installer = self.installer();
        let running = running_version();
        let downloaded = match installer {
            Some(i) => tokio::task::spawn_blocking(move || i.held().ok().flatten())
                .await
                .ok()
                .flatten(),
            None => None,
        }
        .filter(|h| {
            semver::Version::parse(&h.version).is_ok_and(|v| v > running) && !h.files.is_empty()
        });
        let s = lock(&self.shared);
        let u = &s.updates;
        let available = u.offers.iter().next_back().and_then(|(version, offer)| {
            let file = pick_file(&offer.manifest)?;
            Some(Available {
                version: version.to_string(),
                date: offer.manifest.manifest.date.clone(),
                peers: offer.peers.len() as u32,
                file: file.name.clone(),
                size: file.size,
            })
        });
        UpdateStatus {
            running: running.to_string(),
            fingerprint: kith_node::release::trusted_key()
                .map(|k| k.fingerprint())
                .unwrap_or_default(),
            available,
            downloaded,
            downloading: u.download.clone(),
            error: u.error.clone(),
            refused: u.refused.iter().cloned().collect(),
        }
    }

    /// Fetches the newest offered release's package for this system from
    /// the peers that announced it (connected ones first), checks it, and
    /// keeps it in the installer directory. Returns the kept release.
    pub async fn download_update(&self) -> Result<HeldRelease, String> {
        let (manifest, peers) = {
            let s = lock(&self.shared);
            if s.updates.download.is_some() {
                return Err("a download is already under way".into());
            }
            let Some((_, offer)) = s.updates.offers.iter().next_back() else {
                return Err("no newer Kith is offered by peers".into());
            };
            let mut peers: Vec<PeerId> = offer.peers.iter().copied().collect();
            peers.sort_by_key(|p| !s.connected.contains(p));
            (offer.manifest.clone(), peers)
        };
        let installer = self.installer().ok_or("the node has no home")?;
        let entry = pick_file(&manifest)
            .ok_or("the release lists no file")?
            .clone();
        lock(&self.shared).updates.download = Some(Progress {
            version: manifest.version().to_string(),
            file: entry.name.clone(),
            received: 0,
            size: entry.size,
        });
        let mut last_error = String::from("no peer that announced it is reachable");
        for peer in peers {
            let attempt = tokio::time::timeout(
                DOWNLOAD_TIMEOUT,
                self.fetch_package(peer, &installer, &manifest, &entry),
            )
            .await
            .unwrap_or_else(|_| Err(format!("{peer} took too long")));
            match attempt {
                Ok(held) => {
                    let mut s = lock(&self.shared);
                    s.updates.download = None;
                    s.updates.error = None;
                    drop(s);
                    self.activity.send(Activity::Update {
                        version: held.version.clone(),
                    });
                    return Ok(held);
                }
                Err(e) => {
                    tracing::warn!(%peer, error = %e, "update download failed");
                    last_error = e;
                }
            }
        }
        let mut s = lock(&self.shared);
        s.updates.download = None;
        s.updates.error = Some(last_error.clone());
        Err(last_error)
    }

    async fn fetch_package(
        &self,
        peer: PeerId,
        installer: &Installer,
        manifest: &SignedManifest,
        entry: &PackageFile,
    ) -> Result<HeldRelease, String> {
        let part = installer.partial_path(entry).map_err(|e| e.to_string())?;
        let mut file = std::fs::File::create(&part).map_err(|e| e.to_string())?;
        let mut offset = 0u64;
        while offset < entry.size {
            let request = SyncRequest::Package {
                blake3: ByteBuf::from(entry.blake3.to_vec()),
                offset,
            };
            let chunk = match self.swarm.request(peer, request).await {
                Ok(SyncResponse::PackageChunk {
                    bytes: Some(bytes),
                    size,
                }) if size == entry.size
                    && !bytes.is_empty()
                    && bytes.len() as u64 <= PACKAGE_CHUNK
                    && offset + bytes.len() as u64 <= entry.size =>
                {
                    bytes
                }
                Ok(SyncResponse::PackageChunk { bytes: None, .. }) => {
                    let _ = std::fs::remove_file(&part);
                    return Err(format!("{peer} does not hold {}", entry.name));
                }
                Ok(other) => {
                    let _ = std::fs::remove_file(&part);
                    self.strike(peer, "a package chunk that breaks the rules")
                        .await;
                    return Err(format!("{peer} answered out of turn: {other:?}"));
                }
                Err(e) => {
                    let _ = std::fs::remove_file(&part);
                    return Err(e);
                }
            };
            file.write_all(&chunk).map_err(|e| e.to_string())?;
            offset += chunk.len() as u64;
            if let Some(p) = lock(&self.shared).updates.download.as_mut() {
                p.received = offset;
            }
        }
        file.sync_all().map_err(|e| e.to_string())?;
        drop(file);
        let (installer, manifest, entry) = (installer.clone(), manifest.clone(), entry.clone());
        let admitted = tokio::task::spawn_blocking(move || {
            let r = installer.admit_download(&manifest, &entry, &part);
            if r.is_err() {
                let _ = std::fs::remove_file(&part);
            }
            r
        })
        .await
        .map_err(|e| e.to_string())?;
        match admitted {
            Ok(held) => Ok(held),
            Err(e) => {
                self.strike(peer, "sent a package that does not match its manifest")
                    .await;
                Err(format!("the package from {peer} is not genuine: {e}"))
            }
        }
    }
}
