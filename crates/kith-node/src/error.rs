//! The error type of kith-node.

use thiserror::Error;

/// Everything a node operation can fail with.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum NodeError {
    /// From the store (verification, database, blobs).
    #[error(transparent)]
    Store(#[from] kith_store::StoreError),
    /// From kith-core (ids, sizes, schema).
    #[error(transparent)]
    Core(#[from] kith_core::CoreError),
    /// The passphrase does not open the key file.
    #[error("wrong passphrase for {0}")]
    WrongPassphrase(String),
    /// A key file is damaged or not a Kith key file.
    #[error("key file {0} is damaged: {1}")]
    BadKeyFile(String, String),
    /// The home has no identity yet.
    #[error("no identity in {0}: run `kith init` or `kith restore` first")]
    NoIdentity(String),
    /// The home already has an identity.
    #[error("{0} already holds an identity ({1}); use another --home")]
    AlreadyInitialized(String, String),
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The request makes no sense (for example editing someone else's post).
    #[error("{0}")]
    Invalid(String),
    /// The thing asked for does not exist.
    #[error("{0} not found")]
    NotFound(String),
    /// A recovery phrase of another account than the home's.
    #[error("that recovery phrase is of another account ({phrase_of}), not of this one ({home})")]
    OtherAccount {
        /// The account the phrase restores.
        phrase_of: kith_core::AccountId,
        /// The home's account.
        home: kith_core::AccountId,
    },
    /// Another process runs a node on the home (see [`crate::HomeLock`]).
    #[error("{holder} is already running on {home}")]
    InUse {
        /// The home.
        home: String,
        /// Who holds it, as it described itself.
        holder: String,
    },
}

impl NodeError {
    pub(crate) fn io(path: &std::path::Path, source: std::io::Error) -> Self {
        if kith_store::is_disk_full(&source) {
            return Self::Store(kith_store::StoreError::DiskFull {
                what: path.display().to_string(),
            });
        }
        Self::Io {
            path: path.display().to_string(),
            source,
        }
    }

    /// A stable, machine-readable code for front ends.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Store(kith_store::StoreError::Core(_)) | Self::Core(_) => "invalid_data",
            Self::Store(kith_store::StoreError::NotFound(_)) | Self::NotFound(_) => "not_found",
            Self::Store(kith_store::StoreError::Rejected { .. }) => "rejected",
            Self::Store(kith_store::StoreError::Full(_)) => "full",
            Self::Store(kith_store::StoreError::DiskFull { .. }) => "disk_full",
            Self::Store(_) => "store",
            Self::WrongPassphrase(_) => "wrong_passphrase",
            Self::BadKeyFile(..) => "bad_key_file",
            Self::NoIdentity(_) => "no_identity",
            Self::AlreadyInitialized(..) => "already_initialized",
            Self::Io { .. } => "io",
            Self::Invalid(_) => "invalid",
            Self::InUse { .. } => "already_running",
            Self::OtherAccount { .. } => "other_account",
        }
    }
}

/// Result alias for kith-node.
pub type Result<T, E = NodeError> = std::result::Result<T, E>;
