//! Bounding how far a peer's snapshot inflates before automerge reads it.
//!
//! A snapshot is one automerge document chunk (`magic | checksum | type 0 |
//! length | actors | heads | change columns | op columns | data | head
//! indexes`) whose columns may each be DEFLATE-compressed: a few megabytes
//! could inflate to gigabytes inside automerge's load. This reads the
//! chunk's column table and inflates each compressed column into nothing,
//! counting, before automerge is given the bytes.

use std::io::Read;

use crate::error::{Result, StoreError};

/// automerge's chunk magic bytes.
const MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];
/// The chunk type of a whole document.
const DOCUMENT_CHUNK: u8 = 0;
/// The bit of a column specification that marks a compressed column.
const DEFLATE_BIT: u64 = 0b1000;

fn bad(why: impl Into<String>) -> StoreError {
    StoreError::Core(kith_core::CoreError::Malformed {
        what: "feed snapshot",
        reason: why.into(),
    })
}

/// A cursor over the chunk's bytes.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: u64) -> Result<&'a [u8]> {
        let n = usize::try_from(n).map_err(|_| bad("a length overflows"))?;
        let end = self
            .at
            .checked_add(n)
            .filter(|end| *end <= self.bytes.len())
            .ok_or_else(|| bad("truncated"))?;
        let out = &self.bytes[self.at..end];
        self.at = end;
        Ok(out)
    }

    fn uleb(&mut self) -> Result<u64> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = self.take(1)?[0];
            value |= u64::from(byte & 0x7f)
                .checked_shl(shift)
                .filter(|v| v >> shift == u64::from(byte & 0x7f))
                .ok_or_else(|| bad("a number overflows"))?;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(bad("a number overflows"))
    }

    /// A column table: (specification, length) pairs.
    fn columns(&mut self) -> Result<Vec<(u64, u64)>> {
        let n = self.uleb()?;
        // Each entry takes at least two bytes.
        if n > (self.bytes.len() - self.at) as u64 / 2 {
            return Err(bad("more columns than bytes"));
        }
        (0..n).map(|_| Ok((self.uleb()?, self.uleb()?))).collect()
    }
}

/// Fails unless `bytes` is exactly one automerge document chunk whose
/// compressed columns inflate to at most `limit` bytes in all.
pub(crate) fn check_inflated(bytes: &[u8], limit: u64) -> Result<()> {
    let mut r = Reader { bytes, at: 0 };
    if r.take(4)? != MAGIC {
        return Err(bad("not an automerge chunk"));
    }
    r.take(4)?; // checksum: automerge checks it
    if r.take(1)?[0] != DOCUMENT_CHUNK {
        return Err(bad("not a document chunk"));
    }
    let length = r.uleb()?;
    if length != (bytes.len() - r.at) as u64 {
        return Err(bad("the chunk's length is not the snapshot's"));
    }
    let actors = r.uleb()?;
    for _ in 0..actors {
        let len = r.uleb()?;
        r.take(len)?;
    }
    let heads = r.uleb()?;
    r.take(heads.checked_mul(32).ok_or_else(|| bad("too many heads"))?)?;
    let change_columns = r.columns()?;
    let op_columns = r.columns()?;
    let mut inflated = 0u64;
    for (spec, len) in change_columns.into_iter().chain(op_columns) {
        let data = r.take(len)?;
        let size = if spec & DEFLATE_BIT == 0 {
            len
        } else {
            let left = limit.saturating_sub(inflated);
            let mut decoder = flate2::read::DeflateDecoder::new(data).take(left + 1);
            std::io::copy(&mut decoder, &mut std::io::sink())
                .map_err(|e| bad(format!("a column does not inflate: {e}")))?
        };
        inflated = inflated.saturating_add(size);
        if inflated > limit {
            return Err(bad(format!(
                "its columns inflate to more than {limit} bytes"
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use kith_core::feed::{FeedDoc, FeedKey, FeedValue, Write};
    use kith_core::keys::{account_id, device_id, generate};

    fn snapshot(posts: u64) -> Vec<u8> {
        let account = generate();
        let device = generate();
        let mut feed = FeedDoc::new(account_id(&account));
        for i in 0..posts {
            feed.write(
                device_id(&device),
                i as i64,
                &[Write::Put(
                    FeedKey::Bio,
                    FeedValue::Str(format!("bio {i} ").repeat(20)),
                )],
            )
            .unwrap();
        }
        feed.save()
    }

    #[test]
    fn a_saved_feed_passes_and_a_tighter_limit_refuses_it() {
        let bytes = snapshot(300);
        check_inflated(&bytes, 64 * 1024 * 1024).unwrap();
        // The compressed columns inflate to more than the bytes they take.
        let err = check_inflated(&bytes, bytes.len() as u64).unwrap_err();
        assert!(err.to_string().contains("inflate to more than"), "{err}");
    }

    #[test]
    fn truncated_or_altered_snapshots_are_refused_without_panicking() {
        let bytes = snapshot(50);
        for cut in 0..bytes.len() {
            assert!(
                check_inflated(&bytes[..cut], 1 << 30).is_err(),
                "cut at {cut}"
            );
        }
        for i in 0..bytes.len().min(200) {
            let mut altered = bytes.clone();
            altered[i] ^= 0xff;
            let _ = check_inflated(&altered, 1 << 30);
        }
    }

    #[test]
    fn a_column_inflating_past_the_limit_is_refused_before_automerge_sees_it() {
        use std::io::Write as _;
        // 16 MiB of zeros deflate to ~16 KiB.
        let mut encoder =
            flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..16 {
            encoder.write_all(&zeros).unwrap();
        }
        let bomb = encoder.finish().unwrap();
        let uleb = |mut v: u64, out: &mut Vec<u8>| loop {
            let byte = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                out.push(byte);
                break;
            }
            out.push(byte | 0x80);
        };
        let mut body = vec![0, 0, 1]; // no actors, no heads, one change column
        uleb((1 << 4) | DEFLATE_BIT, &mut body);
        uleb(bomb.len() as u64, &mut body);
        body.push(0); // no op columns
        body.extend(&bomb);
        let mut chunk = MAGIC.to_vec();
        chunk.extend([0; 4]);
        chunk.push(DOCUMENT_CHUNK);
        uleb(body.len() as u64, &mut chunk);
        chunk.extend(body);
        let err = check_inflated(&chunk, 4 * 1024 * 1024).unwrap_err();
        assert!(err.to_string().contains("inflate to more than"), "{err}");
        check_inflated(&chunk, 17 * 1024 * 1024).unwrap();
    }

    #[test]
    fn a_change_chunk_is_not_a_snapshot() {
        let account = generate();
        let device = generate();
        let mut feed = FeedDoc::new(account_id(&account));
        let change = feed
            .write(
                device_id(&device),
                1,
                &[Write::Put(FeedKey::Name, FeedValue::Str("Ada".into()))],
            )
            .unwrap();
        let err = check_inflated(change.raw_bytes(), 1 << 30).unwrap_err();
        assert!(err.to_string().contains("not a document chunk"), "{err}");
    }
}
