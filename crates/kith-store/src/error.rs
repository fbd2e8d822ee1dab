//! The error type of kith-store.

use std::path::Path;

use thiserror::Error;

/// Everything that can go wrong in the store.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum StoreError {
    /// Verification or decoding failed (bad signature, schema, encoding…).
    #[error(transparent)]
    Core(#[from] kith_core::CoreError),
    /// SQLite failed.
    #[error("database error: {0}")]
    Sqlite(#[source] rusqlite::Error),
    /// The disk is full: `what` (the database, or a file's path) could not
    /// be written. What was being stored is not; what was stored before is
    /// kept.
    #[error(
        "the disk is full: {what} could not be written; free some space and try again \
         (nothing stored before is lost)"
    )]
    DiskFull {
        /// The database, or the file's path.
        what: String,
    },
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// An envelope refers to a certificate the store does not have.
    #[error("envelope {index}: unknown device certificate {reference}")]
    UnknownCertificate {
        /// Position of the envelope in its batch.
        index: usize,
        /// Hex of the certificate reference.
        reference: String,
    },
    /// A record of a batch was rejected; nothing of the batch was stored.
    #[error("record {index} rejected: {source}")]
    Rejected {
        /// Position of the record in its batch or bundle.
        index: usize,
        /// Why.
        source: Box<StoreError>,
    },
    /// A blob's bytes do not match its hash (disk corruption or tampering).
    #[error("blob {0} is corrupt: its bytes do not match its hash")]
    CorruptBlob(String),
    /// A stored feed document could not be loaded.
    #[error("stored feed {0} is damaged: {1}")]
    CorruptFeed(String, String),
    /// The thing asked for does not exist.
    #[error("{0} not found")]
    NotFound(String),
    /// The database was made by a newer version of Kith.
    #[error(
        "the database has schema version {found}, newer than this program's {supported}; upgrade Kith"
    )]
    TooNew {
        /// Version found in the file.
        found: i64,
        /// Newest version this program knows.
        supported: i64,
    },
    /// A bounded table is full.
    #[error("full: {0}")]
    Full(String),
    /// A cursor string could not be read.
    #[error("invalid cursor `{0}`")]
    BadCursor(String),
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        match &e {
            rusqlite::Error::SqliteFailure(failure, _)
                if failure.code == rusqlite::ErrorCode::DiskFull =>
            {
                Self::DiskFull {
                    what: "the database".into(),
                }
            }
            _ => Self::Sqlite(e),
        }
    }
}

/// Whether `e` says the disk (or the user's quota on it) is full.
pub fn is_disk_full(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded
    )
}

impl StoreError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        if is_disk_full(&source) {
            return Self::DiskFull {
                what: path.display().to_string(),
            };
        }
        Self::Io {
            path: path.display().to_string(),
            source,
        }
    }

    /// A cursor that could not be read, quoted (its first 40 characters).
    pub(crate) fn bad_cursor(cursor: &str) -> Self {
        Self::BadCursor(cursor.chars().take(40).collect())
    }
}

/// Result alias for kith-store.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;
