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

/// Why a bundle could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BundleError {
    /// The bytes are not a well-formed bundle.
    #[error(transparent)]
    Bad(#[from] CoreError),
    /// Reading it failed.
    #[error("the bundle could not be read: {0}")]
    Io(#[from] std::io::Error),
}

/// One record of a bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Its kind.
    pub kind: RecordKind,
    /// Where its payload starts, in bytes from the start of the bundle.
    pub offset: u64,
    /// Its payload.
    pub payload: Vec<u8>,
}

/// Reads a bundle record by record from any reader, holding one record at
/// a time: framing is checked as it goes, the trailer's checksum at the
/// end. Until [`BundleReader::next_record`] has returned `None`, nothing
/// read can be trusted to be the whole bundle, nor unaltered.
pub struct BundleReader<R> {
    input: R,
    hasher: blake3::Hasher,
    /// Bytes read so far.
    pos: u64,
    ended: bool,
}

/// Reads into `buf` until it is full or the input ends; returns how many
/// bytes were read.
fn read_full(input: &mut impl std::io::Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match input.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

impl<R: std::io::Read> BundleReader<R> {
    /// Reads the bundle's header.
    pub fn new(mut input: R) -> Result<Self, BundleError> {
        let mut head = [0u8; MAGIC.len() + 1];
        let n = read_full(&mut input, &mut head)?;
        if n < head.len() || &head[..MAGIC.len()] != MAGIC {
            return Err(
                malformed("bundle", "this is not a Kith bundle (wrong magic bytes)").into(),
            );
        }
        if head[MAGIC.len()] != VERSION {
            return Err(malformed(
                "bundle",
                format!("unsupported bundle version {}", head[MAGIC.len()]),
            )
            .into());
        }
        let mut hasher = blake3::Hasher::new();
        hasher.update(&head);
        Ok(Self {
            input,
            hasher,
            pos: head.len() as u64,
            ended: false,
        })
    }

    /// Bytes read so far.
    pub fn position(&self) -> u64 {
        self.pos
    }

    /// The next record, or `None` once the trailer was read and the
    /// checksum of everything before it matched.
    pub fn next_record(&mut self) -> Result<Option<Record>, BundleError> {
        if self.ended {
            return Ok(None);
        }
        let pos = self.pos;
        let mut head = [0u8; 5];
        match read_full(&mut self.input, &mut head)? {
            0 => {
                return Err(malformed(
                    "bundle",
                    "truncated: the file ends before its checksum trailer",
                )
                .into());
            }
            5 => {}
            _ => {
                return Err(
                    malformed("bundle", format!("truncated record header at byte {pos}")).into(),
                );
            }
        }
        let tag = head[0];
        let len = u32::from_be_bytes([head[1], head[2], head[3], head[4]]) as usize;
        if tag == TRAILER {
            let damaged = || {
                malformed(
                    "bundle",
                    "the checksum trailer is damaged or followed by extra bytes",
                )
            };
            let mut digest = [0u8; 32];
            let mut extra = [0u8; 1];
            if len != 32
                || read_full(&mut self.input, &mut digest)? != 32
                || read_full(&mut self.input, &mut extra)? != 0
            {
                return Err(damaged().into());
            }
            if self.hasher.finalize().as_bytes() != &digest {
                return Err(malformed(
                    "bundle",
                    "checksum mismatch: the file was damaged or altered",
                )
                .into());
            }
            self.ended = true;
            return Ok(None);
        }
        let kind = RecordKind::from_tag(tag).ok_or_else(|| {
            malformed("bundle", format!("unknown record type {tag} at byte {pos}"))
        })?;
        if len > MAX_RECORD_BYTES {
            return Err(CoreError::TooLarge {
                what: "bundle record",
                size: len,
                limit: MAX_RECORD_BYTES,
            }
            .into());
        }
        let mut payload = vec![0u8; len];
        if read_full(&mut self.input, &mut payload)? < len {
            return Err(malformed(
                "bundle",
                format!("truncated: a record at byte {pos} runs past the end"),
            )
            .into());
        }
        self.hasher.update(&head);
        self.hasher.update(&payload);
        self.pos = pos + 5 + len as u64;
        Ok(Some(Record {
            kind,
            offset: pos + 5,
            payload,
        }))
    }
}

/// Parses a whole bundle held in memory, checking framing and the trailer
/// checksum. Records still need their own verification.
pub fn parse(bytes: &[u8]) -> Result<Vec<(RecordKind, &[u8])>> {
    let bad = |e: BundleError| match e {
        BundleError::Bad(e) => e,
        // Reading a slice does not fail.
        BundleError::Io(e) => malformed("bundle", e.to_string()),
    };
    let mut reader = BundleReader::new(bytes).map_err(bad)?;
    let mut records = Vec::new();
    while let Some(record) = reader.next_record().map_err(bad)? {
        let start = usize::try_from(record.offset).unwrap_or(usize::MAX);
        let payload = bytes
            .get(start..start.saturating_add(record.payload.len()))
            .ok_or_else(|| malformed("bundle", "a record lies outside the bundle"))?;
        records.push((record.kind, payload));
    }
    Ok(records)
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
    fn the_reader_gives_each_record_with_its_offset_and_refuses_extra_bytes_after_the_trailer() {
        let b = sample();
        let mut reader = BundleReader::new(&b[..]).unwrap();
        let first = reader.next_record().unwrap().unwrap();
        assert_eq!(first.kind, RecordKind::Blob);
        assert_eq!(&b[first.offset as usize..][..5], b"hello");
        let second = reader.next_record().unwrap().unwrap();
        assert_eq!(
            (second.kind, second.payload),
            (RecordKind::Certificate, vec![1, 2, 3])
        );
        assert!(
            reader.next_record().unwrap().is_none(),
            "the trailer ends it"
        );
        assert!(
            reader.next_record().unwrap().is_none(),
            "and it stays ended"
        );
        let mut longer = b.clone();
        longer.push(0);
        let mut reader = BundleReader::new(&longer[..]).unwrap();
        reader.next_record().unwrap();
        reader.next_record().unwrap();
        let err = reader.next_record().unwrap_err().to_string();
        assert!(err.contains("followed by extra bytes"), "{err}");
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
