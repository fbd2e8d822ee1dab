//! What the network did, told to front ends as it happens: posts that
//! arrived from peers, peers coming and going, and sync progress. The
//! desktop app turns these into window events and notifications.

use kith_core::{AccountId, PostId};
use serde::Serialize;
use tokio::sync::broadcast;

/// Activity events kept for a slow listener before the oldest are dropped.
pub const ACTIVITY_CAPACITY: usize = 256;

/// One thing the network did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Activity {
    /// Posts (new, edited or deleted) from peers were verified and stored,
    /// or own posts were written through the control socket (a `kith`
    /// command on this node).
    PostsArrived {
        /// The feed.
        account: AccountId,
        /// The posts written.
        posts: Vec<PostId>,
    },
    /// Posts' reply, repost or reaction counts may have changed: by peers'
    /// changes verified and stored, or by this account through the control
    /// socket (`kith react`, `kith reply`). A window showing these posts
    /// can count them anew.
    CountsChanged {
        /// The posts, each once.
        posts: Vec<PostId>,
    },
    /// New changes of a feed (posts, reactions, anything else) from peers
    /// were verified and stored.
    FeedChanged {
        /// The feed.
        account: AccountId,
    },
    /// The number of connected peers changed.
    Peers {
        /// Peers connected now.
        connected: usize,
    },
    /// A pull of a feed progressed, started or ended.
    Sync {
        /// The feed.
        account: AccountId,
        /// Changes received so far in this pull.
        received: u64,
        /// Changes the peer holds (0 when unknown).
        expected: u64,
        /// Whether the pull is still running.
        in_progress: bool,
    },
    /// A blob (an image a post or profile shows) arrived from a peer after
    /// the changes naming it: a window showing it as missing can load it.
    BlobArrived {
        /// Its BLAKE3 hash.
        hash: kith_core::Hash,
    },
    /// A newer Kith was offered by a peer, or downloaded and verified.
    Update {
        /// Its version.
        version: String,
    },
}

/// The sending side, shared by the replicator's tasks. Sending never
/// blocks and never fails when nobody listens.
#[derive(Debug, Clone)]
pub struct ActivitySender(broadcast::Sender<Activity>);

impl Default for ActivitySender {
    fn default() -> Self {
        Self(broadcast::channel(ACTIVITY_CAPACITY).0)
    }
}

impl ActivitySender {
    /// Tells every listener.
    pub fn send(&self, activity: Activity) {
        let _ = self.0.send(activity);
    }

    /// A new listener, which sees what is sent from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Activity> {
        self.0.subscribe()
    }
}
