//! The Kith node: the one API every front end (the `kith` command, the
//! desktop app) uses. It owns the home directory's store and keys.
//!
//! Every action works offline: it is stored locally, signed, and carried to
//! other homes by `kith-net` replication or in a bundle file.

pub mod api;
mod error;
mod identity;
pub mod keystore;
mod node;

pub use api::Request;
pub use error::{NodeError, Result};
pub use identity::{Created, IDENTITY_FILE, Identity};
pub use kith_store::{ExportReport, ImportReport, Page, PostView, ProfileView};
pub use kith_store::{FeedState, KnownPeer, Store};
pub use node::{NewPost, Node, now_ms};
