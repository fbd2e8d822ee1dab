//! Moderation on the wire: reports delivered to list maintainers (queued
//! while they are away, sent when one of their devices is connected), and
//! received from the lists' readers.

use kith_core::limits::MAX_REPORT_BYTES;
use libp2p::PeerId;
use serde_bytes::ByteBuf;

use crate::protocol::{SyncRequest, SyncResponse};
use crate::replicator::{Replicator, lock};
use crate::swarm::Command;

/// The libp2p peer id of an ed25519 identity key published in a feed.
fn peer_of_key(key: &[u8; 32]) -> Option<PeerId> {
    let public = libp2p::identity::ed25519::PublicKey::try_from_bytes(key).ok()?;
    Some(PeerId::from_public_key(&libp2p::identity::PublicKey::from(
        public,
    )))
}

impl Replicator {
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
        if !self.within_report_rate(peer) {
            return SyncResponse::refused("busy", "too many reports; try later");
        }
        match self.serve(peer, move |n| n.receive_report(&report)).await {
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
    fn published_identity_key_gives_the_same_peer_id_as_the_keypair() {
        let key = libp2p::identity::Keypair::generate_ed25519();
        let bytes = key.public().try_into_ed25519().unwrap().to_bytes();
        assert_eq!(peer_of_key(&bytes), Some(key.public().to_peer_id()));
    }
}
