//! A whole feed synced from a seed: the node rebuilt every change from the
//! peer's snapshot, so it asks only for their seals (signatures and
//! certificates) and the posts' bodies (`docs/protocol.md` §13.3, `Seals`), and
//! answers such requests from its own tables.

use kith_core::AccountId;
use kith_store::{MAX_SEALS, Rebuilt, SealRequest, posts_not_reached};
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
            .serve(peer, move |n| {
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

    /// Reads an answer to a request for seals; a wrong or malformed one
    /// strikes `peer`.
    async fn read_seals(
        &self,
        peer: PeerId,
        response: SyncResponse,
    ) -> Result<kith_store::Seals, String> {
        lock(&self.shared).sent_requests.response_bytes += cbor_len(&response);
        let SyncResponse::Seals {
            certificates,
            seals,
            bodies,
            more_bodies,
        } = response
        else {
            return Err(self.unexpected(peer, response, "a seals request").await);
        };
        match seals_from_wire(&certificates, &seals, &bodies, more_bodies) {
            Ok(answer) => Ok(answer),
            Err(e) => {
                self.strike(peer, &e.to_string()).await;
                Err(e.to_string())
            }
        }
    }

    /// Asks `peer` again for the bodies an answer left out past its
    /// budget (posts of long texts), until none is, so that the page's
    /// posts are stored with their words. Only bodies of posts still
    /// wanted are kept, each once, so what a page holds stays bounded by
    /// the posts it asked for; stops, keeping what came, at an answer that
    /// brings none of them.
    async fn complete_bodies(
        &self,
        account: AccountId,
        peer: PeerId,
        asked: Vec<[u8; 8]>,
        mut answer: kith_store::Seals,
    ) -> Result<kith_store::Seals, String> {
        let mut left = posts_not_reached(&asked, &answer.bodies);
        let mut more = answer.more_bodies;
        while more && !left.is_empty() {
            tracing::debug!(%account, %peer, posts = left.len(), "bodies past an answer's budget asked for again");
            let req = SealsAsked::to_wire(account, &[], &left);
            self.count_page_request(&req);
            let response = self.swarm.request(peer, req).await?;
            let next = self.read_seals(peer, response).await?;
            let mut wanted: std::collections::HashSet<[u8; 8]> = left.iter().copied().collect();
            let before = left.len();
            left = posts_not_reached(&left, &next.bodies);
            more = next.more_bodies;
            let new: Vec<_> = next
                .bodies
                .into_iter()
                .filter(|(post, _)| post.author == account && wanted.remove(&post.local))
                .collect();
            let progress = !new.is_empty() && left.len() < before;
            answer.bodies.extend(new);
            if !progress {
                break;
            }
        }
        Ok(answer)
    }

    /// Asks `peer` for the seals of every change `rebuilt` holds (rebuilt
    /// from its snapshot, planted as the feed's seed) and the bodies of
    /// their posts, one request ahead, and stores each page's envelopes
    /// once verified, in order; the last page tells the store that no
    /// more follow, so that it trusts the seed or gives it up. The pull
    /// had already stored `received` changes (its newest ones): progress
    /// counts on from there. Returns how many changes the pull has stored
    /// in all. A malformed answer strikes the peer. A pull that `began`
    /// more than its turn ago stops after a page when another peer waits
    /// to be pulled the feed from, the seed still waiting for its changes.
    pub(super) async fn pull_sealed(
        &self,
        account: AccountId,
        peer: PeerId,
        mut rebuilt: Rebuilt,
        received: u64,
        began: std::time::Instant,
    ) -> Result<u64, String> {
        let spawn_request = |asked: SealRequest| {
            let req = SealsAsked::to_wire(account, &asked.hashes, &asked.posts);
            self.count_page_request(&req);
            let swarm = self.swarm.clone();
            let posts = asked.posts;
            tokio::spawn(async move { (posts, swarm.request(peer, req).await) })
        };
        // A small first page starts the store's work sooner.
        let mut inflight = rebuilt.next_request(FIRST_SEALS).map(spawn_request);
        let mut pages =
            super::in_order::InOrder::new(account, peer, "sealed page stored", received);
        while let Some(pending) = inflight.take() {
            let (asked_posts, response) = pending.await.map_err(|e| e.to_string())?;
            let response = response?;
            inflight = rebuilt.next_request(MAX_SEALS).map(spawn_request);
            let answer = self.read_seals(peer, response).await?;
            let answer = self
                .complete_bodies(account, peer, asked_posts, answer)
                .await?;
            let sealed = match rebuilt.envelopes(&answer.certificates, answer.seals) {
                Ok(sealed) => sealed,
                Err(e) => {
                    self.strike(peer, &e.to_string()).await;
                    return Err(e.to_string());
                }
            };
            let (certificates, bodies) = (answer.certificates, answer.bodies);
            let at_certificate_cap = certificates.len() >= crate::protocol::MAX_CERTIFICATES;
            let n = sealed.len();
            let more = inflight.is_some();
            // Checked off the node thread, on every core but one while the
            // previous page is being stored.
            let beside_store = pages.busy();
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
                at_certificate_cap,
            };
            pages.push(self, page, n as u64, more).await?;
            if more && self.turn_over(began, account, peer) {
                if let Some(next) = inflight.take() {
                    next.abort();
                }
                break;
            }
        }
        pages.finish(self).await
    }
}
