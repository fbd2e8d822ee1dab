//! Every size a peer or a user controls is bounded here.

/// Largest encoded automerge change accepted in an envelope.
pub const MAX_CHANGE_BYTES: usize = 64 * 1024;
/// Largest post text, in bytes of UTF-8.
pub const MAX_POST_TEXT_BYTES: usize = 8 * 1024;
/// Largest content warning, in bytes of UTF-8.
pub const MAX_CW_BYTES: usize = 256;
/// Most attachments on one post.
pub const MAX_ATTACHMENTS: usize = 4;
/// Largest description of one image (its alternative text), in bytes of UTF-8.
pub const MAX_IMAGE_DESCRIPTION_BYTES: usize = 1500;
/// Largest blob (image, avatar).
pub const MAX_BLOB_BYTES: usize = 8 * 1024 * 1024;
/// Largest profile name, in bytes of UTF-8.
pub const MAX_NAME_BYTES: usize = 64;
/// Largest profile bio, in bytes of UTF-8.
pub const MAX_BIO_BYTES: usize = 1024;
/// Largest reaction (an emoji or a short word), in bytes of UTF-8.
pub const MAX_REACTION_BYTES: usize = 32;
/// Most operations in one change.
pub const MAX_OPS_PER_CHANGE: usize = 1024;
/// Largest bundle record.
pub const MAX_RECORD_BYTES: usize = MAX_BLOB_BYTES + 64;
/// Most bytes of certificates, changes and bodies one bundle may hold
/// together: they are all held in memory while the bundle is checked
/// (about 1.6 million posts). Blobs are read one at a time and not counted.
pub const MAX_BUNDLE_CHANGE_BYTES: u64 = 1 << 30;
/// Largest moderation list name, in bytes of UTF-8.
pub const MAX_LIST_NAME_BYTES: usize = 64;
/// Largest reason of a list entry or text of a report, in bytes of UTF-8.
pub const MAX_REASON_BYTES: usize = 1000;
/// Largest muted word or hashtag, in bytes of UTF-8.
pub const MAX_MUTED_WORD_BYTES: usize = 64;
/// Largest signed report on the wire.
pub const MAX_REPORT_BYTES: usize = 2048;
