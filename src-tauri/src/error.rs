//! The error every command returns: a stable code the UI can match on and
//! a message for people.

use serde::Serialize;

/// An error crossing to the web view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type, thiserror::Error)]
#[error("{message}")]
pub struct AppError {
    /// Stable, machine-readable code (`wrong_passphrase`, `invalid`, …).
    pub code: String,
    /// For people.
    pub message: String,
}

impl AppError {
    /// An error with a code and a message.
    pub fn new(code: &str, message: impl std::fmt::Display) -> Self {
        Self {
            code: code.to_owned(),
            message: message.to_string(),
        }
    }

    /// The node is not ready (no account yet, or locked).
    pub fn not_ready() -> Self {
        Self::new(
            "not_ready",
            "the account is locked or not set up yet; unlock it first",
        )
    }
}

impl From<kith_node::NodeError> for AppError {
    fn from(e: kith_node::NodeError) -> Self {
        Self::new(e.code(), &e)
    }
}

impl From<kith_net::ControlError> for AppError {
    fn from(e: kith_net::ControlError) -> Self {
        Self {
            code: e.code,
            message: e.message,
        }
    }
}

impl From<kith_net::store_actor::JobError> for AppError {
    fn from(e: kith_net::store_actor::JobError) -> Self {
        Self::new("stopped", e)
    }
}

impl From<kith_net::NetError> for AppError {
    fn from(e: kith_net::NetError) -> Self {
        match e {
            kith_net::NetError::Node(e) => e.into(),
            kith_net::NetError::Control(e) => e.into(),
            other => Self::new("network", other),
        }
    }
}

/// The result of every command.
pub type AppResult<T> = Result<T, AppError>;
