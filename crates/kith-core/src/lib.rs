//! Kith's core: identity, signatures, the feed schema and the wire types.
//!
//! Nothing in this crate performs I/O. Every other crate trusts only data that
//! passed through the verification functions here: [`Envelope::verify`],
//! [`DeviceCertificate::verify`], [`feed::validate_change`] and
//! [`Body::hash`] against a signed post record.

pub mod body;
pub mod bundle;
pub mod cert;
pub mod columns;
pub mod envelope;
pub mod error;
pub mod feed;
pub mod hashtag;
pub mod ids;
pub mod image;
pub mod keys;
pub mod limits;
pub mod mention;
pub mod moderation;
pub mod post;
pub mod release;
pub mod report;

pub use body::Body;
pub use cert::DeviceCertificate;
pub use envelope::Envelope;
pub use error::{CoreError, Result};
pub use ids::{AccountId, DeviceId, ListId, PostId};
pub use post::PostRecord;

/// A BLAKE3 digest, used to address bodies, blobs and certificates.
pub type Hash = [u8; 32];
