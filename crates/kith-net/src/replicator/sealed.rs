//! A whole feed synced from a seed: the node rebuilt every change from the
//! peer's snapshot, so it asks only for their seals (signatures and
//! certificates) and the posts' bodies (`docs/protocol.md` §13.3, `Seals`), and
//! answers such requests from its own tables.

use kith_core::AccountId;
use kith_store::{MAX_SEALS, Rebuilt, SealRequest};
use libp2p::PeerId;

use super::{Replicator, VerifiedPage, cbor_len, lock};
use crate::protocol::{PAGE_BYTES, SealsAsked, SyncResponse, seals_from_wire, seals_to_wire};

/// Changes asked for in the first request for seals (then [`MAX_SEALS`]).
const FIRST_SEALS: usize = 1024;

impl Replicator {
    /// Answers a request for seals of a feed's changes and bodies of its posts.
    pub(super) async fn answer_seals(
        &self,
        peer: PeerId,
        account: &[u8],
        hashes: &[u8],
        posts: &[u8],
    ) -> SyncResponse {
        let asked = match SealsAsked::decode(account, hashes, posts) {
            Ok(asked) => asked,
            Err(e) => {
                self.strike(peer, &e.to_string()).await;
                return SyncResponse::refused("malformed", e);
            }
        };
        let answer = self
            .node
            .remote(move |n| {
                n.store_mut().seals(
                    asked.account,
                    &asked.hashes,
                    &asked.posts,
                    PAGE_BYTES as usize,
                )
            })
            .await;
        match answer {
            Ok(Ok(seals)) => seals_to_wire(&seals),
            Ok(Err(e)) => SyncResponse::refused("unavailable", e),
            Err(e) => SyncResponse::refused("busy", e),
        }
    }

    /// Asks `peer` for the seals of every change `rebuilt` holds (rebuilt
    /// from its snapshot, planted as the feed's seed) and the bodies of
    /// their posts, one request ahead, and stores each page's envelopes
    /// once verified, in order; the last page tells the store that no
    /// more follow, so that it trusts the seed or gives it up. Returns how
    /// many changes were new. A malformed answer strikes the peer.
    pub(super) async fn pull_sealed(
        &self,
        account: AccountId,
        peer: PeerId,
        mut rebuilt: Rebuilt,
    ) -> Result<u64, String> {
        let spawn_request = |asked: SealRequest| {
            let req = SealsAsked::to_wire(account, &asked.hashes, &asked.posts);
            {
                let mut s = lock(&self.shared);
                s.sent_requests.changes += 1;
                s.sent_requests.request_bytes += cbor_len(&req);
            }
            let swarm = self.swarm.clone();
            tokio::spawn(async move { swarm.request(peer, req).await })
        };
        // A small first page starts the store's work sooner.
        let mut inflight = rebuilt.next_request(FIRST_SEALS).map(spawn_request);
        let mut storing: Option<tokio::task::JoinHandle<Result<u64, String>>> = None;
        let mut received = 0u64;
        while let Some(pending) = inflight.take() {
            let response = pending.await.map_err(|e| e.to_string())??;
            lock(&self.shared).sent_requests.response_bytes += cbor_len(&response);
            inflight = rebuilt.next_request(MAX_SEALS).map(spawn_request);
            let SyncResponse::Seals {
                certificates,
                seals,
                bodies,
            } = response
            else {
                if let SyncResponse::Refused { code, message } = response {
                    return Err(format!("refused ({code}): {message}"));
                }
                self.strike(peer, "wrong answer to a seals request").await;
                return Err("wrong answer".into());
            };
            let sealed = seals_from_wire(&certificates, &seals, &bodies)
                .map_err(|e| e.to_string())
                .and_then(|answer| {
                    let sealed = rebuilt
                        .envelopes(&answer.certificates, answer.seals)
                        .map_err(|e| e.to_string())?;
                    Ok((answer.certificates, sealed, answer.bodies))
                });
            let (certificates, sealed, bodies) = match sealed {
                Ok(parts) => parts,
                Err(e) => {
                    self.strike(peer, &e).await;
                    return Err(e);
                }
            };
            let n = sealed.len();
            let more = inflight.is_some();
            // Checked off the node thread, on every core but one while the
            // previous page is being stored.
            let beside_store = storing.is_some();
            let envelopes = tokio::task::spawn_blocking(move || {
                kith_store::verify_sealed(sealed, beside_store)
            })
            .await
            .map_err(|e| format!("verifying a page: {e}"))?;
            let page = VerifiedPage {
                certificates,
                envelopes,
                bodies,
                more_pages_follow: more,
            };
            if let Some(previous) = storing.take() {
                received += previous.await.map_err(|e| e.to_string())??;
                self.progress(account, received);
            }
            let this = self.clone();
            storing = Some(tokio::spawn(async move {
                let t = std::time::Instant::now();
                let accepted = this.store_page(peer, page).await?;
                tracing::debug!(
                    %account,
                    %peer,
                    envelopes = n,
                    accepted,
                    more,
                    store_ms = t.elapsed().as_millis() as u64,
                    "sealed page stored"
                );
                Ok::<u64, String>(accepted)
            }));
        }
        if let Some(last) = storing.take() {
            received += last.await.map_err(|e| e.to_string())??;
            self.progress(account, received);
        }
        Ok(received)
    }
}
