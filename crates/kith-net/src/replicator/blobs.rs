//! Fetching the blobs a node references but lacks (`docs/protocol.md`
//! §13.4.4): from the peer that sent the changes naming them, at once, and
//! later from connected peers holding their feed, for as long as the store
//! wants them (`kith_store::Store::due_blobs`).

use kith_core::{AccountId, Hash};
use kith_node::now_ms;
use libp2p::PeerId;
use serde_bytes::ByteBuf;

use super::{Replicator, lock};
use crate::activity::Activity;
use crate::protocol::{SyncRequest, SyncResponse};

/// Most blobs fetched after one batch of changes, and in one round of
/// wanted blobs.
pub(super) const MAX_BLOBS_PER_BATCH: usize = 16;
/// Most peers asked for one wanted blob in one round.
const MAX_PEERS_PER_BLOB: usize = 3;

/// How asking one peer for one blob ended.
enum Fetched {
    /// It came, matched its hash, and was stored (or was no longer needed).
    Stored,
    /// The peer lacks it, or the request failed.
    NotThere,
    /// The bytes did not match the hash: the peer was struck.
    Forged,
}

impl Replicator {
    /// Asks `peer` for `missing` blobs one at a time, at most
    /// [`MAX_BLOBS_PER_BATCH`]; stops at a forged one. Those that do not
    /// come stay wanted by the store and are asked for again later.
    pub(super) async fn fetch_blobs(&self, peer: PeerId, missing: Vec<Hash>) {
        for hash in missing.into_iter().take(MAX_BLOBS_PER_BATCH) {
            if let Fetched::Forged = self.fetch_blob(peer, hash).await {
                return;
            }
        }
    }

    async fn fetch_blob(&self, peer: PeerId, hash: Hash) -> Fetched {
        let req = SyncRequest::Blob {
            hash: ByteBuf::from(hash.to_vec()),
        };
        lock(&self.shared).sent_requests.blobs += 1;
        let Ok(SyncResponse::Blob { bytes: Some(bytes) }) = self.swarm.request(peer, req).await
        else {
            return Fetched::NotThere;
        };
        if *blake3::hash(&bytes).as_bytes() != hash {
            self.strike(peer, "blob does not match its hash").await;
            return Fetched::Forged;
        }
        match self
            .node
            .background(move |n| n.store_mut().put_referenced_blob(&bytes))
            .await
        {
            Ok(Ok(stored)) => {
                if stored {
                    self.stored(super::Written::Picture);
                    self.activity.send(Activity::BlobArrived { hash });
                }
                Fetched::Stored
            }
            Ok(Err(e)) => {
                tracing::warn!(%peer, error = %e, "could not store a fetched blob");
                self.not_stored(super::Written::Picture, &e);
                Fetched::NotThere
            }
            Err(_) => Fetched::NotThere,
        }
    }

    /// One round of wanted blobs whose next try is due: each is asked of
    /// up to [`MAX_PEERS_PER_BLOB`] connected peers holding its feed until
    /// one sends it. Runs one round at a time, and only with peers
    /// connected (a round puts off the next try of the blobs it takes).
    pub(super) async fn fetch_wanted_blobs(&self) {
        {
            let mut s = lock(&self.shared);
            if s.fetching_wanted || s.connected.is_empty() {
                return;
            }
            s.fetching_wanted = true;
        }
        let due = self
            .node
            .background(|n| n.store_mut().due_blobs(now_ms(), MAX_BLOBS_PER_BATCH))
            .await;
        let due = match due {
            Ok(Ok(due)) => due,
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "could not list the wanted blobs");
                Vec::new()
            }
            Err(_) => Vec::new(),
        };
        let mut fetched = 0usize;
        for wanted in &due {
            for peer in self.connected_holders(wanted.feed) {
                match self.fetch_blob(peer, wanted.hash).await {
                    Fetched::Stored => {
                        fetched += 1;
                        break;
                    }
                    Fetched::NotThere | Fetched::Forged => {}
                }
            }
        }
        if !due.is_empty() {
            tracing::debug!(due = due.len(), fetched, "wanted blobs asked for again");
        }
        lock(&self.shared).fetching_wanted = false;
    }

    /// Connected peers known to hold `account`'s feed, a few.
    fn connected_holders(&self, account: AccountId) -> Vec<PeerId> {
        let s = lock(&self.shared);
        s.feeds.get(&account).map_or_else(Vec::new, |f| {
            f.holders
                .iter()
                .filter(|p| s.connected.contains(p))
                .take(MAX_PEERS_PER_BLOB)
                .copied()
                .collect()
        })
    }

    /// `peer` was just found to hold these feeds: their wanted blobs are
    /// asked for in the next round instead of at their next try.
    pub(super) async fn hurry_wanted_blobs(&self, accounts: Vec<AccountId>) {
        if accounts.is_empty() {
            return;
        }
        let _ = self
            .node
            .background(move |n| n.store_mut().want_blobs_now(&accounts))
            .await;
    }
}
