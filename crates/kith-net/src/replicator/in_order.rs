//! A pull's pages stored in order, each while the next one is fetched and
//! verified: the node thread writes one page at a time, and the count of
//! new changes is reported as each page ends.

use kith_core::AccountId;
use libp2p::PeerId;
use tokio::task::JoinHandle;

use super::{Replicator, VerifiedPage};

/// The pages of one pull of `account`'s feed from `peer`, being stored.
pub(super) struct InOrder {
    account: AccountId,
    peer: PeerId,
    /// What the log calls a stored page.
    what: &'static str,
    storing: Option<JoinHandle<Result<u64, String>>>,
    received: u64,
}

impl InOrder {
    /// Starts counting at `received` (changes this pull already stored).
    pub(super) fn new(account: AccountId, peer: PeerId, what: &'static str, received: u64) -> Self {
        Self {
            account,
            peer,
            what,
            storing: None,
            received,
        }
    }

    /// Whether a page is being stored (so verifying the next one should
    /// leave a core to it).
    pub(super) fn busy(&self) -> bool {
        self.storing.is_some()
    }

    /// Waits for the page being stored, then starts storing `page`
    /// (`envelopes` of them; `more` pages follow it).
    pub(super) async fn push(
        &mut self,
        replicator: &Replicator,
        page: VerifiedPage,
        envelopes: u64,
        more: bool,
    ) -> Result<(), String> {
        self.wait(replicator).await?;
        let (this, account, peer, what) = (replicator.clone(), self.account, self.peer, self.what);
        self.storing = Some(tokio::spawn(async move {
            let t = std::time::Instant::now();
            let accepted = this.store_page(peer, page).await?;
            tracing::debug!(
                %account,
                %peer,
                envelopes,
                accepted,
                more,
                store_ms = t.elapsed().as_millis() as u64,
                "{what}"
            );
            Ok::<u64, String>(accepted)
        }));
        Ok(())
    }

    /// Waits for the last page; returns how many changes the pull stored.
    pub(super) async fn finish(mut self, replicator: &Replicator) -> Result<u64, String> {
        self.wait(replicator).await?;
        Ok(self.received)
    }

    async fn wait(&mut self, replicator: &Replicator) -> Result<(), String> {
        if let Some(previous) = self.storing.take() {
            self.received += previous.await.map_err(|e| e.to_string())??;
            replicator.progress(self.account, self.received);
        }
        Ok(())
    }
}
