//! Kith's peer-to-peer replication over libp2p.
//!
//! - [`swarm`]: the one task that owns the libp2p `Swarm`;
//! - [`store_actor`]: the one thread that owns the node and its store;
//! - [`replicator`]: what to exchange with whom (reconciliation, gossip
//!   validation, publishing, blobs);
//! - [`protocol`]: the wire messages, topics and limits (`docs/protocol.md` §13);
//! - [`control`]: the local socket other `kith` commands use;
//! - [`invite`]: invite codes;
//! - [`lan`]: the peers mDNS found on the LAN;
//! - [`listen`]: the addresses a node listens on, changeable while it runs;
//! - [`activity`]: what happened, for front ends.
//!
//! [`start`] wires them together for the desktop app, [`serve`] for `kith serve`.

pub mod activity;
mod answering;
pub mod behaviour;
pub mod control;
mod fair_queue;
pub mod invite;
pub mod lan;
pub mod listen;
mod moderation;
mod peer_limits;
pub mod protocol;
pub mod release;
pub mod replicator;
pub mod service;
pub mod store_actor;
pub mod swarm;

pub use activity::Activity;
pub use control::{ControlError, ControlRequest};
pub use invite::Invite;
pub use listen::ListenStatus;
pub use service::{NetConfig, NetError, Running, build_swarm, default_listen, serve, start};
