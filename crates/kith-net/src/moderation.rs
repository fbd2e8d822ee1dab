//! Moderation on the wire: per-peer limits on what a peer may push, and
//! reports delivered to list maintainers (queued while they are away,
//! sent when one of their devices is connected).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use kith_core::limits::MAX_REPORT_BYTES;
use libp2p::PeerId;
use serde_bytes::ByteBuf;

use crate::protocol::{SyncRequest, SyncResponse};
use crate::replicator::{Replicator, lock};
use crate::swarm::Command;

/// The window rate limits count in.
const WINDOW: Duration = Duration::from_secs(60);
/// Reports one peer may send per window; more are refused.
const REPORTS_PER_PEER: u32 = 30;
/// How often undelivered reports are tried again while peers are connected.
const REPORT_RETRY: Duration = Duration::from_secs(30);
/// Most peers whose counters are kept (the oldest are forgotten).
const MAX_TRACKED_PEERS: usize = 4096;

/// Per-peer counters.
#[derive(Debug)]
pub(crate) struct PeerLimits {
    /// Changes a peer may push per window (the policy's `peer_rate`).
    pub peer_rate: u32,
    changes: HashMap<PeerId, (Instant, u32)>,
    reports: HashMap<PeerId, (Instant, u32)>,
    last_delivery: Option<Instant>,
}

impl Default for PeerLimits {
    fn default() -> Self {
        Self {
            peer_rate: kith_store::DEFAULT_PEER_RATE,
            changes: HashMap::new(),
            reports: HashMap::new(),
            last_delivery: None,
        }
    }
}

/// Counts `n` against `peer` in `counters`; false when over `limit`.
fn count(counters: &mut HashMap<PeerId, (Instant, u32)>, peer: PeerId, n: u32, limit: u32) -> bool {
    let now = Instant::now();
    if counters.len() >= MAX_TRACKED_PEERS && !counters.contains_key(&peer) {
        counters.retain(|_, (start, _)| now.duration_since(*start) < WINDOW);
        if counters.len() >= MAX_TRACKED_PEERS {
            return false;
        }
    }
    let entry = counters.entry(peer).or_insert((now, 0));
    if now.duration_since(entry.0) >= WINDOW {
        *entry = (now, 0);
    }
    entry.1 = entry.1.saturating_add(n);
    entry.1 <= limit
}

impl PeerLimits {
    /// Whether undelivered reports should be tried again now.
    pub(crate) fn report_retry_due(&mut self) -> bool {
        let due = self
            .last_delivery
            .is_none_or(|t| t.elapsed() >= REPORT_RETRY);
        if due {
            self.last_delivery = Some(Instant::now());
        }
        due
    }
}

/// The libp2p peer id of an ed25519 identity key published in a feed.
fn peer_of_key(key: &[u8; 32]) -> Option<PeerId> {
    let public = libp2p::identity::ed25519::PublicKey::try_from_bytes(key).ok()?;
    Some(PeerId::from_public_key(&libp2p::identity::PublicKey::from(
        public,
    )))
}

impl Replicator {
    /// Counts `n` pushed changes against `peer`: false (drop them, store
    /// nothing) when the peer went over the policy's rate this minute.
    pub(crate) fn within_rate(&self, peer: PeerId, n: usize) -> bool {
        let mut s = lock(&self.shared);
        let limit = s.limits.peer_rate;
        let ok = count(
            &mut s.limits.changes,
            peer,
            u32::try_from(n).unwrap_or(u32::MAX),
            limit,
        );
        if !ok {
            tracing::warn!(%peer, limit, "peer pushes more changes than the rate allows; dropped");
        }
        ok
    }

    /// Answers a report sent to one of this home's lists.
    pub(crate) async fn receive_report(&self, peer: PeerId, report: Vec<u8>) -> SyncResponse {
        if report.len() > MAX_REPORT_BYTES {
            let _ = self
                .swarm
                .send(Command::Strike {
                    peer,
                    reason: "oversized report".into(),
                })
                .await;
            return SyncResponse::refused("malformed", "report too large");
        }
        if !count(
            &mut lock(&self.shared).limits.reports,
            peer,
            1,
            REPORTS_PER_PEER,
        ) {
            return SyncResponse::refused("busy", "too many reports; try later");
        }
        match self.node.remote(move |n| n.receive_report(&report)).await {
            Ok(Ok(new)) => {
                if new {
                    tracing::info!(%peer, "report received");
                }
                SyncResponse::ReportReceived { new }
            }
            Ok(Err(e)) if e.code() == "invalid_data" => {
                let _ = self
                    .swarm
                    .send(Command::Strike {
                        peer,
                        reason: format!("invalid report: {e}"),
                    })
                    .await;
                SyncResponse::refused("malformed", e)
            }
            Ok(Err(e)) => SyncResponse::refused("unavailable", e),
            Err(e) => SyncResponse::refused("busy", e),
        }
    }

    /// Sends each queued report to a connected device of its list's
    /// maintainer (found through the identity keys published in the
    /// maintainer's feed); dials known addresses of those devices that are
    /// not connected. A report stays queued until a maintainer's node
    /// acknowledges it.
    pub async fn deliver_reports(&self) {
        let pending = self
            .node
            .background(|n| {
                let reports = n.store().pending_reports().unwrap_or_default();
                reports
                    .into_iter()
                    .map(|r| {
                        let peers: Vec<PeerId> = n
                            .store()
                            .peer_keys(r.list.owner)
                            .unwrap_or_default()
                            .iter()
                            .filter_map(peer_of_key)
                            .collect();
                        (r, peers)
                    })
                    .collect::<Vec<_>>()
            })
            .await
            .unwrap_or_default();
        for (report, peers) in pending {
            let (connected, dial): (Vec<PeerId>, Vec<PeerId>) = {
                let s = lock(&self.shared);
                peers.into_iter().partition(|p| s.connected.contains(p))
            };
            if connected.is_empty() {
                tracing::debug!(list = %report.list, "no device of the list's maintainer is connected; report stays queued");
            }
            let mut delivered = false;
            for peer in connected {
                let request = SyncRequest::Report {
                    report: ByteBuf::from(report.signed.clone()),
                };
                match self.swarm.request(peer, request).await {
                    Ok(SyncResponse::ReportReceived { .. }) => {
                        let id = report.id;
                        let _ = self
                            .node
                            .background(move |n| {
                                n.store_mut().report_delivered(&id, kith_node::now_ms())
                            })
                            .await;
                        tracing::info!(%peer, list = %report.list, "report delivered");
                        delivered = true;
                        break;
                    }
                    Ok(other) => tracing::warn!(%peer, answer = ?other, "report not accepted"),
                    Err(e) => tracing::debug!(%peer, error = %e, "report not delivered"),
                }
            }
            if !delivered {
                for peer in dial {
                    let addrs = lock(&self.shared).known.addrs(&peer);
                    let _ = self
                        .swarm
                        .send(Command::DialPeer {
                            peer,
                            addrs,
                            found: crate::swarm::Found::Remembered,
                        })
                        .await;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_peer_over_its_rate_is_refused_until_the_window_passes_and_others_are_not() {
        let mut counters = HashMap::new();
        let (a, b) = (PeerId::random(), PeerId::random());
        assert!(count(&mut counters, a, 5, 10));
        assert!(count(&mut counters, a, 5, 10));
        assert!(!count(&mut counters, a, 1, 10));
        assert!(count(&mut counters, b, 10, 10));
        counters.insert(a, (Instant::now().checked_sub(WINDOW).unwrap(), 11));
        assert!(count(&mut counters, a, 1, 10));
    }

    #[test]
    fn published_identity_key_gives_the_same_peer_id_as_the_keypair() {
        let key = libp2p::identity::Keypair::generate_ed25519();
        let bytes = key.public().try_into_ed25519().unwrap().to_bytes();
        assert_eq!(peer_of_key(&bytes), Some(key.public().to_peer_id()));
    }
}
