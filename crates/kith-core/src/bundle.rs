//! The bundle file that carries feeds by USB stick.
//!
//! ```text
//! magic "KITHBNDL" | version u8 = 1
//! record*  : tag u8 | len u32 (big-endian) | payload[len]
//! trailer  : tag 0xFF | len u32 = 32 | BLAKE3(every byte before the trailer)
//! ```
//! Tags: 1 certificate, 2 envelope, 3 body (`post id [40] | body`), 4 blob.
//! Nothing may follow the trailer. Unknown tags are rejected.

use crate::error::{CoreError, Result, malformed};
use crate::limits::MAX_RECORD_BYTES;

/// The first bytes of every bundle.
pub const MAGIC: &[u8; 8] = b"KITHBNDL";
/// The bundle format version.
pub const VERSION: u8 = 1;
const TRAILER: u8 = 0xFF;

/// The kind of a bundle record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordKind {
    /// A [`crate::DeviceCertificate`].
    Certificate = 1,
    /// An [`crate::Envelope`].
    Envelope = 2,
    /// A post body: post id (40 bytes) then the [`crate::Body`] encoding.
    Body = 3,
    /// A blob's bytes.
    Blob = 4,
}

impl RecordKind {
    fn from_tag(tag: u8) -> Option<Self> {
        Some(match tag {
            1 => Self::Certificate,
            2 => Self::Envelope,
            3 => Self::Body,
            4 => Self::Blob,
            _ => return None,
        })
    }
}

/// Writes a bundle into any `std::io::Write` while hashing it.
pub struct BundleWriter<W: std::io::Write> {
    out: W,
    hasher: blake3::Hasher,
}

impl<W: std::io::Write> BundleWriter<W> {
    /// Starts a bundle.
    pub fn new(mut out: W) -> std::io::Result<Self> {
        let mut hasher = blake3::Hasher::new();
        let mut head = MAGIC.to_vec();
        head.push(VERSION);
        out.write_all(&head)?;
        hasher.update(&head);
        Ok(Self { out, hasher })
    }

    /// Appends one record.
    pub fn record(&mut self, kind: RecordKind, payload: &[u8]) -> std::io::Result<()> {
        let mut head = [0u8; 5];
        head[0] = kind as u8;
        head[1..].copy_from_slice(&(payload.len() as u32).to_be_bytes());
        self.out.write_all(&head)?;
        self.out.write_all(payload)?;
        self.hasher.update(&head);
        self.hasher.update(payload);
        Ok(())
    }

    /// Writes the trailer and returns the writer.
    pub fn finish(mut self) -> std::io::Result<W> {
        let digest = self.hasher.finalize();
        let mut t = vec![TRAILER];
        t.extend_from_slice(&32u32.to_be_bytes());
        t.extend_from_slice(digest.as_bytes());
        self.out.write_all(&t)?;
        self.out.flush()?;
        Ok(self.out)
    }
}

/// Parses a whole bundle held in memory, checking framing and the trailer
/// checksum. Records still need their own verification.
pub fn parse(bytes: &[u8]) -> Result<Vec<(RecordKind, &[u8])>> {
    if bytes.len() < MAGIC.len() + 1 || &bytes[..MAGIC.len()] != MAGIC {
        return Err(malformed(
            "bundle",
            "this is not a Kith bundle (wrong magic bytes)",
        ));
    }
    if bytes[MAGIC.len()] != VERSION {
        return Err(malformed(
            "bundle",
            format!("unsupported bundle version {}", bytes[MAGIC.len()]),
        ));
    }
    let mut pos = MAGIC.len() + 1;
    let mut records = Vec::new();
    loop {
        if pos == bytes.len() {
            return Err(malformed(
                "bundle",
                "truncated: the file ends before its checksum trailer",
            ));
        }
        if bytes.len() - pos < 5 {
            return Err(malformed(
                "bundle",
                format!("truncated record header at byte {pos}"),
            ));
        }
        let tag = bytes[pos];
        let len = u32::from_be_bytes([
            bytes[pos + 1],
            bytes[pos + 2],
            bytes[pos + 3],
            bytes[pos + 4],
        ]) as usize;
        if tag == TRAILER {
            if len != 32 || bytes.len() - pos - 5 != 32 {
                return Err(malformed(
                    "bundle",
                    "the checksum trailer is damaged or followed by extra bytes",
                ));
            }
            let digest = blake3::hash(&bytes[..pos]);
            if digest.as_bytes() != &bytes[pos + 5..] {
                return Err(malformed(
                    "bundle",
                    "checksum mismatch: the file was damaged or altered",
                ));
            }
            return Ok(records);
        }
        let kind = RecordKind::from_tag(tag).ok_or_else(|| {
            malformed("bundle", format!("unknown record type {tag} at byte {pos}"))
        })?;
        if len > MAX_RECORD_BYTES {
            return Err(CoreError::TooLarge {
                what: "bundle record",
                size: len,
                limit: MAX_RECORD_BYTES,
            });
        }
        let start = pos + 5;
        if bytes.len() - start < len {
            return Err(malformed(
                "bundle",
                format!("truncated: a record at byte {pos} runs past the end"),
            ));
        }
        records.push((kind, &bytes[start..start + len]));
        pos = start + len;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<u8> {
        let mut w = BundleWriter::new(Vec::new()).unwrap();
        w.record(RecordKind::Blob, b"hello").unwrap();
        w.record(RecordKind::Certificate, &[1, 2, 3]).unwrap();
        w.finish().unwrap()
    }

    #[test]
    fn bundle_round_trips() {
        let b = sample();
        let r = parse(&b).unwrap();
        assert_eq!(
            r,
            vec![
                (RecordKind::Blob, &b"hello"[..]),
                (RecordKind::Certificate, &[1u8, 2, 3][..])
            ]
        );
    }

    #[test]
    fn any_flipped_byte_or_truncation_is_rejected() {
        let b = sample();
        for i in 0..b.len() {
            let mut t = b.clone();
            t[i] ^= 0x20;
            assert!(parse(&t).is_err(), "flip at {i} accepted");
            assert!(parse(&b[..i]).is_err(), "truncation at {i} accepted");
        }
    }
}
