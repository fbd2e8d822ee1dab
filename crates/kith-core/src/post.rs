//! The post record: the value of a post key (`p/<local id>`) in a feed.
//!
//! Encoding (integers big-endian):
//! ```text
//! version u8 = 1
//! flags   u8   bit0 body, bit1 reply_to, bit2 quote_of, bit3 edited (other bits must be 0)
//! created_at i64 (ms since the Unix epoch)
//! edited_at  i64            if edited
//! body_hash  [32]           if body
//! reply_to   [40]           if reply_to (a post id: account 32 | local 8)
//! quote_of   [40]           if quote_of
//! n_attachments u8, then n × [32] (BLAKE3 of each blob), n ≤ 4
//! ```
//! No trailing bytes are allowed, so each record has exactly one encoding.

use crate::Hash;
use crate::error::{CoreError, Result, malformed};
use crate::ids::PostId;
use crate::limits::MAX_ATTACHMENTS;

/// The encoding version.
pub const POST_VERSION: u8 = 1;
const F_BODY: u8 = 1;
const F_REPLY: u8 = 2;
const F_QUOTE: u8 = 4;
const F_EDITED: u8 = 8;

/// What a feed records about one post.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct PostRecord {
    /// Creation time, ms since the Unix epoch.
    pub created_at: i64,
    /// Time of the last edit, if edited.
    pub edited_at: Option<i64>,
    /// BLAKE3 of the current [`crate::Body`]; `None` for a plain repost or a deleted post.
    pub body_hash: Option<Hash>,
    /// The post this one answers.
    pub reply_to: Option<PostId>,
    /// The post this one reposts or quotes.
    pub quote_of: Option<PostId>,
    /// BLAKE3 hashes of attached blobs.
    pub attachments: Vec<Hash>,
}

impl PostRecord {
    /// The byte encoding.
    pub fn encode(&self) -> Vec<u8> {
        let mut flags = 0;
        if self.body_hash.is_some() {
            flags |= F_BODY;
        }
        if self.reply_to.is_some() {
            flags |= F_REPLY;
        }
        if self.quote_of.is_some() {
            flags |= F_QUOTE;
        }
        if self.edited_at.is_some() {
            flags |= F_EDITED;
        }
        let mut b = Vec::with_capacity(64);
        b.push(POST_VERSION);
        b.push(flags);
        b.extend_from_slice(&self.created_at.to_be_bytes());
        if let Some(t) = self.edited_at {
            b.extend_from_slice(&t.to_be_bytes());
        }
        if let Some(h) = &self.body_hash {
            b.extend_from_slice(h);
        }
        if let Some(p) = &self.reply_to {
            b.extend_from_slice(&p.to_bytes());
        }
        if let Some(p) = &self.quote_of {
            b.extend_from_slice(&p.to_bytes());
        }
        b.push(self.attachments.len() as u8);
        for a in &self.attachments {
            b.extend_from_slice(a);
        }
        b
    }

    /// Decodes and checks a post record.
    pub fn decode(bytes: &[u8]) -> Result<Self> {
        let mut r = Reader { b: bytes };
        let version = r.u8()?;
        if version != POST_VERSION {
            return Err(malformed(
                "post record",
                format!("unknown version {version}"),
            ));
        }
        let flags = r.u8()?;
        if flags & !(F_BODY | F_REPLY | F_QUOTE | F_EDITED) != 0 {
            return Err(malformed(
                "post record",
                format!("unknown flags {flags:#04x}"),
            ));
        }
        let created_at = r.i64()?;
        let edited_at = if flags & F_EDITED != 0 {
            Some(r.i64()?)
        } else {
            None
        };
        let body_hash = if flags & F_BODY != 0 {
            Some(r.hash()?)
        } else {
            None
        };
        let reply_to = if flags & F_REPLY != 0 {
            Some(PostId::from_bytes(r.take(PostId::LEN)?)?)
        } else {
            None
        };
        let quote_of = if flags & F_QUOTE != 0 {
            Some(PostId::from_bytes(r.take(PostId::LEN)?)?)
        } else {
            None
        };
        let n = r.u8()? as usize;
        if n > MAX_ATTACHMENTS {
            return Err(CoreError::TooLarge {
                what: "attachment list",
                size: n,
                limit: MAX_ATTACHMENTS,
            });
        }
        let mut attachments = Vec::with_capacity(n);
        for _ in 0..n {
            attachments.push(r.hash()?);
        }
        if !r.b.is_empty() {
            return Err(malformed(
                "post record",
                format!("{} trailing bytes", r.b.len()),
            ));
        }
        if body_hash.is_none() && quote_of.is_none() && !attachments.is_empty() {
            return Err(malformed("post record", "attachments without a body"));
        }
        Ok(Self {
            created_at,
            edited_at,
            body_hash,
            reply_to,
            quote_of,
            attachments,
        })
    }
}

struct Reader<'a> {
    b: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if self.b.len() < n {
            return Err(malformed("post record", "truncated"));
        }
        let (head, tail) = self.b.split_at(n);
        self.b = tail;
        Ok(head)
    }
    fn u8(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }
    fn i64(&mut self) -> Result<i64> {
        let s = self.take(8)?;
        Ok(i64::from_be_bytes(
            s.try_into()
                .map_err(|_| malformed("post record", "truncated"))?,
        ))
    }
    fn hash(&mut self) -> Result<Hash> {
        let s = self.take(32)?;
        s.try_into()
            .map_err(|_| malformed("post record", "truncated"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::AccountId;

    #[test]
    fn full_record_round_trips() {
        let p = PostId {
            author: AccountId([1; 32]),
            local: [2; 8],
        };
        let r = PostRecord {
            created_at: 42,
            edited_at: Some(43),
            body_hash: Some([5; 32]),
            reply_to: Some(p),
            quote_of: Some(p),
            attachments: vec![[6; 32], [7; 32]],
        };
        assert_eq!(PostRecord::decode(&r.encode()).unwrap(), r);
    }

    #[test]
    fn trailing_bytes_and_unknown_flags_are_rejected() {
        let mut b = PostRecord {
            created_at: 1,
            body_hash: Some([0; 32]),
            ..Default::default()
        }
        .encode();
        b.push(0);
        assert!(PostRecord::decode(&b).is_err());
        let mut b = PostRecord {
            created_at: 1,
            ..Default::default()
        }
        .encode();
        b[1] = 0x80;
        assert!(PostRecord::decode(&b).is_err());
    }
}
