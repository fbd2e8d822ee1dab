//! The error type of kith-core.

use thiserror::Error;

/// Everything that can be wrong with data that reaches kith-core.
#[derive(Debug, Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum CoreError {
    /// A text id (account, device or post) could not be read.
    #[error("invalid {kind} id `{input}`: {reason}")]
    InvalidId {
        /// What kind of id was expected.
        kind: &'static str,
        /// The text that was given (shortened when long).
        input: String,
        /// Why it was rejected.
        reason: String,
    },
    /// A byte encoding is malformed (truncated, wrong version, trailing bytes…).
    #[error("malformed {what}: {reason}")]
    Malformed {
        /// What was being decoded.
        what: &'static str,
        /// Why it was rejected.
        reason: String,
    },
    /// A signature does not verify.
    #[error("bad signature on {0}")]
    BadSignature(&'static str),
    /// A size bound was exceeded.
    #[error("{what} is too large: {size} > {limit}")]
    TooLarge {
        /// What was too large.
        what: &'static str,
        /// Its size.
        size: usize,
        /// The bound.
        limit: usize,
    },
    /// A change does not fit the feed schema.
    #[error("change rejected by the feed schema: {0}")]
    Schema(String),
    /// A certificate does not certify the device that signed.
    #[error("certificate problem: {0}")]
    Certificate(String),
    /// The recovery phrase is not a valid 24-word BIP-39 phrase.
    #[error("invalid recovery phrase: {0}")]
    Phrase(String),
    /// A device signed two different changes with the same sequence
    /// number, and one of them is already held: automerge cannot hold
    /// both. The fault is the device's (or its account's), never that of
    /// a peer that relays either change, which may hold the other one.
    #[error("device {device} signed two different changes with sequence number {seq}")]
    Equivocation {
        /// The device (the change's automerge actor), in hex.
        device: String,
        /// The sequence number both changes claim.
        seq: u64,
    },
}

/// Result alias for kith-core.
pub type Result<T, E = CoreError> = std::result::Result<T, E>;

pub(crate) fn malformed(what: &'static str, reason: impl Into<String>) -> CoreError {
    CoreError::Malformed {
        what,
        reason: reason.into(),
    }
}
