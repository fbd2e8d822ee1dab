//! The Kith node: the one API every front end (the `kith` command, the
//! desktop app) uses. It owns the home directory's store and keys.
//!
//! Every action works offline: it is stored locally, signed, and carried to
//! other homes by `kith-net` replication or in a bundle file.

pub mod api;
mod error;
mod homelock;
mod identity;
pub mod keystore;
mod moderation;
mod node;
pub mod release;

pub use api::Request;
pub use error::{NodeError, Result};
pub use homelock::{HOME_LOCK_FILE, HomeLock};
pub use identity::{Created, IDENTITY_FILE, Identity};
pub use kith_store::{
    ActivityItem, ActivityKind, ActivityPage, ExportReport, FollowDirection, FollowPage,
    FollowView, ImportReport, MentionView, Page, PersonView, PostView, ProfileView,
};
pub use kith_store::{FeedState, KnownPeer, Store};
pub use moderation::{ListDetail, ModerationOverview};
pub use node::{DeviceKey, Effects, NewPost, Node, PostEdit, now_ms};

/// The default home directory, shared by the `kith` command and the desktop
/// app (`~/.local/share/kith` on Linux); `None` when the system names no
/// home directory.
pub fn default_home() -> Option<std::path::PathBuf> {
    directories::ProjectDirs::from("org", "Kith", "kith").map(|d| d.data_dir().to_owned())
}
