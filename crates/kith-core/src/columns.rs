//! Bounding what an automerge chunk stands for, before automerge reads it.
//!
//! automerge stores operations in columns, and its encodings let a few
//! bytes stand for any number of values: a run-length column says "this
//! value, 2^62 times" in nine bytes, a boolean column "2^62 falses" in as
//! many, and a compressed column may inflate a thousandfold. automerge
//! walks every value as it reads a chunk, so a small message from a peer
//! could hold a thread for ever, or its memory. This module reads a chunk's
//! header and column table, then each column's runs, adding up how many
//! values each holds (inflating compressed columns into nothing, counting),
//! and refuses a chunk past its bounds before automerge is given it.
//!
//! Layouts (automerge's binary format): a change chunk is `magic | checksum
//! | 1 | length | deps | actor | seq | start_op | time | message | other
//! actors | columns | data`; a document chunk is `magic | checksum | 0 |
//! length | actors | heads | change columns | op columns | data | head
//! indexes`. A column specification is `id << 4 | deflate << 3 | type`.

use std::io::{BufRead, Read};

use crate::error::{CoreError, Result};

/// automerge's chunk magic bytes.
const MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];
/// The chunk type of a whole document.
const DOCUMENT_CHUNK: u8 = 0;
/// The chunk type of one uncompressed change.
const CHANGE_CHUNK: u8 = 1;
/// The bit of a column specification that marks a compressed column.
const DEFLATE_BIT: u64 = 0b1000;

/// Most values one column of a change may hold: every per-operation
/// column holds one per operation (at most
/// [`crate::limits::MAX_OPS_PER_CHANGE`]), and the predecessor columns one
/// per value a put or delete replaces, so this leaves 64 replaced values
/// per operation.
pub const MAX_CHANGE_COLUMN_VALUES: u64 = 64 * 1024;

/// Most values one column of a document (a peer's snapshot of a feed) may
/// hold: some two million operations, twenty times the 100,000-post feed
/// the sync benchmarks carry. A feed past it is fetched change by change.
pub const MAX_DOCUMENT_COLUMN_VALUES: u64 = 2_000_000;

/// automerge's column types (the low three bits of a specification).
#[derive(Clone, Copy, PartialEq, Eq)]
enum ColumnType {
    /// Run-length encoded counts of the values in the grouped columns
    /// that follow.
    Group,
    /// Run-length encoded unsigned integers (actors, integers, value
    /// metadata).
    Unsigned,
    /// Run-length encoded signed deltas.
    Delta,
    /// Alternating runs of false and true.
    Boolean,
    /// Run-length encoded length-prefixed strings.
    String,
    /// Raw bytes (the values the metadata column describes).
    Raw,
}

impl ColumnType {
    fn of(spec: u64) -> Self {
        match spec & 0b111 {
            0 => Self::Group,
            1 | 2 | 6 => Self::Unsigned,
            3 => Self::Delta,
            4 => Self::Boolean,
            5 => Self::String,
            _ => Self::Raw,
        }
    }
}

fn bad(what: &'static str, why: impl Into<String>) -> CoreError {
    CoreError::Malformed {
        what,
        reason: why.into(),
    }
}

/// A cursor over bytes, for the chunk and for each column's data.
struct Reader<R: BufRead> {
    inner: R,
    /// Bytes taken so far.
    taken: u64,
    what: &'static str,
}

impl<R: BufRead> Reader<R> {
    fn new(inner: R, what: &'static str) -> Self {
        Self {
            inner,
            taken: 0,
            what,
        }
    }

    /// The bytes buffered ahead (empty at the end).
    fn ahead(&mut self) -> Result<&[u8]> {
        let what = self.what;
        self.inner
            .fill_buf()
            .map_err(|e| bad(what, format!("a column does not inflate: {e}")))
    }

    /// The next byte, `None` at the end.
    fn byte(&mut self) -> Result<Option<u8>> {
        let Some(&b) = self.ahead()?.first() else {
            return Ok(None);
        };
        self.inner.consume(1);
        self.taken += 1;
        Ok(Some(b))
    }

    /// Whether another byte follows (it stays to be read).
    fn more(&mut self) -> Result<bool> {
        Ok(!self.ahead()?.is_empty())
    }

    fn need(&mut self) -> Result<u8> {
        self.byte()?.ok_or_else(|| bad(self.what, "truncated"))
    }

    fn skip(&mut self, mut n: u64) -> Result<()> {
        while n > 0 {
            let step = self
                .ahead()?
                .len()
                .min(usize::try_from(n).unwrap_or(usize::MAX));
            if step == 0 {
                return Err(bad(self.what, "truncated"));
            }
            self.inner.consume(step);
            self.taken += step as u64;
            n -= step as u64;
        }
        Ok(())
    }

    fn uleb(&mut self) -> Result<u64> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = self.need()?;
            value |= u64::from(byte & 0x7f)
                .checked_shl(shift)
                .filter(|v| v >> shift == u64::from(byte & 0x7f))
                .ok_or_else(|| bad(self.what, "a number overflows"))?;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(bad(self.what, "a number overflows"))
    }

    fn sleb(&mut self) -> Result<i64> {
        let mut value = 0i64;
        for shift in (0..64).step_by(7) {
            let byte = self.need()?;
            value |= i64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                if shift + 7 < 64 && byte & 0x40 != 0 {
                    value |= -1i64 << (shift + 7);
                }
                return Ok(value);
            }
        }
        Err(bad(self.what, "a number overflows"))
    }

    /// One value of a run-length column of type `kind`: for a group
    /// column the count it gives, else 0.
    fn value(&mut self, kind: ColumnType) -> Result<u64> {
        match kind {
            ColumnType::Group => self.uleb(),
            ColumnType::Unsigned => self.uleb().map(|_| 0),
            ColumnType::Delta => self.sleb().map(|_| 0),
            ColumnType::String => {
                let len = self.uleb()?;
                self.skip(len).map(|()| 0)
            }
            ColumnType::Boolean | ColumnType::Raw => Ok(0),
        }
    }

    /// A column table: (specification, length) pairs, at most one per
    /// two of the `left` bytes.
    fn columns(&mut self, left: u64) -> Result<Vec<(u64, u64)>> {
        let n = self.uleb()?;
        if n > left / 2 {
            return Err(bad(self.what, "more columns than bytes"));
        }
        (0..n).map(|_| Ok((self.uleb()?, self.uleb()?))).collect()
    }
}

/// Values counted in one column, each total refused past the limit.
struct Tally {
    what: &'static str,
    limit: u64,
    /// Values the column holds.
    values: u64,
    /// For a group column, the values of the grouped columns it counts.
    grouped: u64,
}

impl Tally {
    fn within(&self, total: Option<u64>) -> Result<u64> {
        total.filter(|t| *t <= self.limit).ok_or_else(|| {
            bad(
                self.what,
                format!("a column stands for more than {} values", self.limit),
            )
        })
    }

    /// `n` more values.
    fn values(&mut self, n: u64) -> Result<()> {
        self.values = self.within(self.values.checked_add(n))?;
        Ok(())
    }

    /// `n` values of a group column, each counting `each` grouped values.
    fn groups(&mut self, n: u64, each: u64) -> Result<()> {
        self.grouped = self.within(
            n.checked_mul(each)
                .and_then(|g| self.grouped.checked_add(g)),
        )?;
        Ok(())
    }
}

/// Reads a column's runs to its end, refusing it when it, or the columns
/// it groups, stand for more than `limit` values.
fn count_column(
    what: &'static str,
    kind: ColumnType,
    data: impl BufRead,
    limit: u64,
) -> Result<()> {
    let mut r = Reader::new(data, what);
    let mut tally = Tally {
        what,
        limit,
        values: 0,
        grouped: 0,
    };
    match kind {
        ColumnType::Raw => {}
        ColumnType::Boolean => {
            while r.more()? {
                let run = r.uleb()?;
                tally.values(run)?;
            }
        }
        _ => {
            while r.more()? {
                match r.sleb()? {
                    0 => {
                        let nulls = r.uleb()?;
                        tally.values(nulls)?;
                    }
                    n if n > 0 => {
                        tally.values(n.unsigned_abs())?;
                        let each = r.value(kind)?;
                        tally.groups(n.unsigned_abs(), each)?;
                    }
                    n => {
                        // Counted first: the loop is as long as the bound.
                        tally.values(n.unsigned_abs())?;
                        for _ in 0..n.unsigned_abs() {
                            let each = r.value(kind)?;
                            tally.groups(1, each)?;
                        }
                    }
                }
            }
        }
    }
    Ok(())
}

/// Reads a chunk's header up to its body: the magic, the checksum
/// (automerge checks it), the type, which must be `kind`, and the length,
/// which must be the rest of `bytes`.
fn body<'a>(bytes: &'a [u8], kind: u8, what: &'static str) -> Result<Reader<&'a [u8]>> {
    let mut r = Reader::new(bytes, what);
    for m in MAGIC {
        if r.need()? != m {
            return Err(bad(what, "not an automerge chunk"));
        }
    }
    r.skip(4)?;
    if r.need()? != kind {
        return Err(bad(
            what,
            match kind {
                CHANGE_CHUNK => "not an uncompressed change chunk",
                _ => "not a document chunk",
            },
        ));
    }
    let length = r.uleb()?;
    if length != bytes.len() as u64 - r.taken {
        return Err(bad(what, "the chunk's length is not its size"));
    }
    Ok(r)
}

/// Length-prefixed byte strings, `n` of them.
fn skip_prefixed<R: BufRead>(r: &mut Reader<R>, n: u64) -> Result<()> {
    for _ in 0..n {
        let len = r.uleb()?;
        r.skip(len)?;
    }
    Ok(())
}

/// Fails unless `bytes` is one uncompressed automerge change chunk none of
/// whose columns stands for more than [`MAX_CHANGE_COLUMN_VALUES`] values
/// (nor is compressed).
pub fn check_change(bytes: &[u8]) -> Result<()> {
    const WHAT: &str = "automerge change";
    let mut r = body(bytes, CHANGE_CHUNK, WHAT)?;
    let deps = r.uleb()?;
    r.skip(
        deps.checked_mul(32)
            .ok_or_else(|| bad(WHAT, "too many deps"))?,
    )?;
    skip_prefixed(&mut r, 1)?; // actor
    r.uleb()?; // seq
    r.uleb()?; // start op
    r.sleb()?; // time
    skip_prefixed(&mut r, 1)?; // message
    let others = r.uleb()?;
    skip_prefixed(&mut r, others)?;
    let columns = r.columns(bytes.len() as u64 - r.taken)?;
    let data = &bytes[usize::try_from(r.taken).map_err(|_| bad(WHAT, "too long"))?..];
    let mut at = 0usize;
    for (spec, len) in columns {
        if spec & DEFLATE_BIT != 0 {
            return Err(bad(WHAT, "a change's columns are not compressed"));
        }
        let column = usize::try_from(len)
            .ok()
            .and_then(|len| data.get(at..at.checked_add(len)?))
            .ok_or_else(|| bad(WHAT, "truncated"))?;
        count_column(WHAT, ColumnType::of(spec), column, MAX_CHANGE_COLUMN_VALUES)?;
        at += column.len();
    }
    Ok(())
}

/// Fails unless `bytes` is exactly one automerge document chunk whose
/// compressed columns inflate to at most `max_inflated` bytes in all and
/// none of whose columns stands for more than
/// [`MAX_DOCUMENT_COLUMN_VALUES`] values.
pub fn check_document(bytes: &[u8], max_inflated: u64) -> Result<()> {
    const WHAT: &str = "feed snapshot";
    let mut r = body(bytes, DOCUMENT_CHUNK, WHAT)?;
    let actors = r.uleb()?;
    skip_prefixed(&mut r, actors)?;
    let heads = r.uleb()?;
    r.skip(
        heads
            .checked_mul(32)
            .ok_or_else(|| bad(WHAT, "too many heads"))?,
    )?;
    let mut columns = r.columns(bytes.len() as u64 - r.taken)?;
    columns.extend(r.columns(bytes.len() as u64 - r.taken)?);
    let data = &bytes[usize::try_from(r.taken).map_err(|_| bad(WHAT, "too long"))?..];
    let mut at = 0usize;
    let mut inflated = 0u64;
    for (spec, len) in columns {
        let column = usize::try_from(len)
            .ok()
            .and_then(|len| data.get(at..at.checked_add(len)?))
            .ok_or_else(|| bad(WHAT, "truncated"))?;
        at += column.len();
        let kind = ColumnType::of(spec);
        if spec & DEFLATE_BIT == 0 {
            inflated = inflated.saturating_add(len);
            count_column(WHAT, kind, column, MAX_DOCUMENT_COLUMN_VALUES)?;
        } else {
            let left = max_inflated.saturating_sub(inflated);
            let mut counted = CountingReader {
                inner: flate2::read::DeflateDecoder::new(column).take(left + 1),
                read: 0,
            };
            let runs = count_column(
                WHAT,
                kind,
                std::io::BufReader::new(&mut counted),
                MAX_DOCUMENT_COLUMN_VALUES,
            );
            // Whatever the runs left unread counts too; a column cut off at
            // the inflation bound is refused for its size, not its runs.
            std::io::copy(&mut counted, &mut std::io::sink())
                .map_err(|e| bad(WHAT, format!("a column does not inflate: {e}")))?;
            inflated = inflated.saturating_add(counted.read);
            if inflated <= max_inflated {
                runs?;
            }
        }
        if inflated > max_inflated {
            return Err(bad(
                WHAT,
                format!("its columns inflate to more than {max_inflated} bytes"),
            ));
        }
    }
    Ok(())
}

/// A reader that counts the bytes read through it.
struct CountingReader<R> {
    inner: R,
    read: u64,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use sha2::Digest;

    fn uleb(mut v: u64, out: &mut Vec<u8>) {
        loop {
            let byte = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                out.push(byte);
                break;
            }
            out.push(byte | 0x80);
        }
    }

    fn sleb(mut v: i64, out: &mut Vec<u8>) {
        loop {
            let byte = (v & 0x7f) as u8;
            v >>= 7;
            if (v == 0 && byte & 0x40 == 0) || (v == -1 && byte & 0x40 != 0) {
                out.push(byte);
                break;
            }
            out.push(byte | 0x80);
        }
    }

    /// A change chunk by `actor` with these columns, its checksum right
    /// (what a peer with no key at all can send in a gossip message).
    fn change_chunk(actor: [u8; 32], columns: &[(u8, Vec<u8>)]) -> Vec<u8> {
        let mut body = vec![0, 32]; // no deps; a 32-byte actor
        body.extend(actor);
        body.extend([1, 1, 0x80, 0xe2, 0xcf, 0xaa, 0x06, 0, 0]); // seq, start op, time, no message, no other actors
        uleb(columns.len() as u64, &mut body);
        for (spec, data) in columns {
            uleb(u64::from(*spec), &mut body);
            uleb(data.len() as u64, &mut body);
        }
        for (_, data) in columns {
            body.extend(data);
        }
        let mut hashed = vec![CHANGE_CHUNK];
        uleb(body.len() as u64, &mut hashed);
        hashed.extend(body);
        let mut chunk = MAGIC.to_vec();
        chunk.extend(&sha2::Sha256::digest(&hashed)[..4]);
        chunk.extend(hashed);
        chunk
    }

    /// `n` puts of `name` = null on the root map, every column one run.
    fn repeated_puts(actor: [u8; 32], n: i64) -> Vec<u8> {
        let run = |value: &[u8]| {
            let mut data = Vec::new();
            sleb(n, &mut data);
            data.extend(value);
            data
        };
        let mut inserts = Vec::new();
        uleb(n.unsigned_abs(), &mut inserts); // n × false
        change_chunk(
            actor,
            &[
                (0x15, run(b"\x04name")), // key strings
                (0x34, inserts),
                (0x42, run(&[1])), // action: set
                (0x56, run(&[0])), // value metadata: null
                (0x70, run(&[0])), // predecessors: none
            ],
        )
    }

    #[test]
    fn a_few_bytes_standing_for_2_pow_62_operations_are_refused_before_automerge_reads_them() {
        let bomb = repeated_puts([7; 32], 1 << 62);
        assert!(
            bomb.len() < 128,
            "{} bytes, far under the 64 KiB bound",
            bomb.len()
        );
        let err = check_change(&bomb).unwrap_err();
        assert!(err.to_string().contains("more than 65536 values"), "{err}");

        // Through the envelope, as gossip, a sync page or a bundle reads it:
        // refused with the same error, automerge never given the bytes.
        let device = crate::keys::generate();
        let account = crate::keys::account_id(&crate::keys::generate());
        let actor = device.verifying_key().to_bytes();
        let envelope = crate::envelope::Envelope::seal(
            account,
            &device,
            [0; 32],
            repeated_puts(actor, 1 << 62),
        );
        let err = envelope.parse_change().unwrap_err();
        assert!(err.to_string().contains("more than 65536 values"), "{err}");

        // The same shape with three operations is an ordinary change.
        let small = repeated_puts(actor, 3);
        check_change(&small).unwrap();
        let envelope = crate::envelope::Envelope::seal(account, &device, [0; 32], small);
        assert_eq!(envelope.parse_change().unwrap().len(), 3);
    }

    #[test]
    fn literal_runs_boolean_runs_and_group_counts_are_bounded_too() {
        let actor = [9; 32];
        // One literal run claiming 2^62 values, with three present.
        let mut literal = Vec::new();
        sleb(-(1 << 62), &mut literal);
        literal.extend([1, 1, 1]);
        let err = check_change(&change_chunk(actor, &[(0x42, literal)])).unwrap_err();
        assert!(err.to_string().contains("more than 65536 values"), "{err}");
        // A boolean run of 2^62.
        let mut falses = Vec::new();
        uleb(1 << 62, &mut falses);
        let err = check_change(&change_chunk(actor, &[(0x34, falses)])).unwrap_err();
        assert!(err.to_string().contains("more than 65536 values"), "{err}");
        // One operation whose group says 2^40 predecessors follow.
        let mut group = Vec::new();
        sleb(1, &mut group);
        uleb(1 << 40, &mut group);
        let err = check_change(&change_chunk(actor, &[(0x70, group)])).unwrap_err();
        assert!(err.to_string().contains("more than 65536 values"), "{err}");
        // A run of nulls.
        let mut nulls = vec![0];
        uleb(1 << 62, &mut nulls);
        let err = check_change(&change_chunk(actor, &[(0x15, nulls)])).unwrap_err();
        assert!(err.to_string().contains("more than 65536 values"), "{err}");
        // A compressed column in a change.
        let err = check_change(&change_chunk(actor, &[(0x42 | 0x08, vec![1])])).unwrap_err();
        assert!(err.to_string().contains("not compressed"), "{err}");
    }

    #[test]
    fn real_changes_and_the_protocol_vector_pass_and_truncations_are_refused() {
        let vector = hex::decode(
            "856f4a83d04b8f54014800208139770ea87d175f56a35466c34c7ecccb8d8a91b4ee37a25df60f5b8fc9b394010180e2cfaa060000061506340142025602570370027f046e616d65017f017f364164617f00",
        )
        .unwrap();
        check_change(&vector).unwrap();
        for cut in 0..vector.len() {
            assert!(check_change(&vector[..cut]).is_err(), "cut at {cut}");
        }
        let account = generate();
        let device = generate();
        let mut feed = FeedDoc::new(account_id(&account));
        let writes: Vec<Write> = (0..crate::limits::MAX_OPS_PER_CHANGE as u64)
            .map(|i| {
                Write::Put(
                    FeedKey::Follow(account_id(&generate())),
                    FeedValue::Timestamp(i as i64),
                )
            })
            .collect();
        let change = feed.write(device_id(&device), 1, &writes).unwrap();
        check_change(change.raw_bytes()).unwrap();
        let edit = feed
            .write(
                device_id(&device),
                2,
                &[Write::Put(FeedKey::Bio, FeedValue::Str("bio".into()))],
            )
            .unwrap();
        check_change(edit.raw_bytes()).unwrap();
        let err = check_change(&feed.save()).unwrap_err();
        assert!(
            err.to_string().contains("not an uncompressed change chunk"),
            "{err}"
        );
    }

    #[test]
    fn a_snapshot_column_standing_for_more_values_than_the_bound_is_refused() {
        for (spec, data) in [
            // Uncompressed: a run of 2^62 actions.
            ((4u64 << 4) | 2, {
                let mut d = Vec::new();
                sleb(1 << 62, &mut d);
                d.push(1);
                d
            }),
            // Compressed: the same run, deflated.
            ((4u64 << 4) | DEFLATE_BIT | 2, {
                use std::io::Write as _;
                let mut d = Vec::new();
                sleb(1 << 62, &mut d);
                d.push(1);
                let mut e =
                    flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
                e.write_all(&d).unwrap();
                e.finish().unwrap()
            }),
        ] {
            let mut body = vec![0, 0, 0]; // no actors, no heads, no change columns
            body.push(1); // one op column
            uleb(spec, &mut body);
            uleb(data.len() as u64, &mut body);
            body.extend(&data);
            let mut chunk = MAGIC.to_vec();
            chunk.extend([0; 4]);
            chunk.push(DOCUMENT_CHUNK);
            uleb(body.len() as u64, &mut chunk);
            chunk.extend(body);
            let err = check_document(&chunk, 1 << 30).unwrap_err();
            assert!(
                err.to_string().contains("more than 2000000 values"),
                "{err}"
            );
        }
    }
    use crate::feed::{FeedDoc, FeedKey, FeedValue, Write};
    use crate::keys::{account_id, device_id, generate};

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
        check_document(&bytes, 64 * 1024 * 1024).unwrap();
        // The compressed columns inflate to more than the bytes they take.
        let err = check_document(&bytes, bytes.len() as u64).unwrap_err();
        assert!(err.to_string().contains("inflate to more than"), "{err}");
    }

    #[test]
    fn truncated_or_altered_snapshots_are_refused_without_panicking() {
        let bytes = snapshot(50);
        for cut in 0..bytes.len() {
            assert!(
                check_document(&bytes[..cut], 1 << 30).is_err(),
                "cut at {cut}"
            );
        }
        for i in 0..bytes.len().min(200) {
            let mut altered = bytes.clone();
            altered[i] ^= 0xff;
            let _ = check_document(&altered, 1 << 30);
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
        let err = check_document(&chunk, 4 * 1024 * 1024).unwrap_err();
        assert!(err.to_string().contains("inflate to more than"), "{err}");
        check_document(&chunk, 17 * 1024 * 1024).unwrap();
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
        let err = check_document(change.raw_bytes(), 1 << 30).unwrap_err();
        assert!(err.to_string().contains("not a document chunk"), "{err}");
    }
}
