//! The Kith node: the one API every front end (the `kith` command, the
//! desktop app) uses. It owns the home directory's store and keys.
//!
//! This version works offline: every action is stored locally, signed, and
//! can be carried to other homes in a bundle file.

mod error;
mod identity;
pub mod keystore;
mod node;

pub use error::{NodeError, Result};
pub use identity::{Created, IDENTITY_FILE, Identity};
pub use kith_store::{ExportReport, ImportReport, Page, PostView, ProfileView};
pub use node::{NewPost, Node, now_ms};
