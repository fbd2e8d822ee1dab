//! JPEG without metadata: the segments before and between the scans are
//! copied but for APP1 (EXIF, XMP), APP2 other than an ICC profile (MPF's
//! index of further pictures, FlashPix), APP3 to APP13 and APP15 (IPTC,
//! Photoshop, makers' notes) and comments; the EXIF orientation, if any, is
//! kept in a new EXIF segment that holds nothing else; and nothing after
//! the end of the picture (EOI) is kept.

use super::take;
use crate::error::{Result, malformed};

const APP0: u8 = 0xE0;
const APP1: u8 = 0xE1;
const APP2: u8 = 0xE2;
const APP14: u8 = 0xEE;
const SOS: u8 = 0xDA;
const EOI: u8 = 0xD9;
/// The EXIF orientation tag, and the TIFF type it has (SHORT).
const ORIENTATION: u16 = 0x0112;
const SHORT: u16 = 3;

pub(super) fn without_metadata(b: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(b.len());
    out.extend_from_slice(&[0xFF, 0xD8]);
    let mut at = 2;
    let mut orientation_kept = false;
    loop {
        if take(b, at, 1)? != [0xFF] {
            return Err(malformed(
                "image",
                "a JPEG segment does not start with 0xFF",
            ));
        }
        // Fill bytes (0xFF) may pad before a marker.
        while take(b, at, 1)? == [0xFF] {
            at += 1;
        }
        let marker = take(b, at, 1)?[0];
        at += 1;
        match marker {
            EOI => {
                out.extend_from_slice(&[0xFF, EOI]);
                return Ok(out);
            }
            // Markers without a length (restart, TEM).
            0x01 | 0xD0..=0xD7 => {
                out.extend_from_slice(&[0xFF, marker]);
                continue;
            }
            _ => {}
        }
        let len = usize::from(u16::from_be_bytes([
            take(b, at, 1)?[0],
            take(b, at + 1, 1)?[0],
        ]));
        if len < 2 {
            return Err(malformed(
                "image",
                "a JPEG segment is shorter than its length field",
            ));
        }
        let data = take(b, at + 2, len - 2)?;
        let keep = match marker {
            APP1 => {
                if !orientation_kept && let Some(o) = exif_orientation(data) {
                    out.extend_from_slice(&orientation_segment(o));
                    orientation_kept = true;
                }
                false
            }
            APP2 => data.starts_with(b"ICC_PROFILE\0"),
            APP0 | APP14 => true,
            0xE3..=0xEF | 0xFE => false,
            _ => true,
        };
        if keep {
            out.extend_from_slice(&[0xFF, marker]);
            out.extend_from_slice(take(b, at, len)?);
        }
        at += len;
        if marker == SOS {
            let end = scan_end(b, at)?;
            out.extend_from_slice(&b[at..end]);
            at = end;
        }
    }
}

/// Where the entropy-coded data of a scan starting at `from` ends: at the
/// first marker that is neither a stuffed 0xFF (0xFF00) nor a restart.
fn scan_end(b: &[u8], from: usize) -> Result<usize> {
    let mut at = from;
    loop {
        let ff = b
            .get(at..)
            .and_then(|rest| rest.iter().position(|&x| x == 0xFF))
            .map(|p| at + p)
            .ok_or_else(|| malformed("image", "a JPEG scan has no end (it may be cut short)"))?;
        let mut next = ff + 1;
        while take(b, next, 1)? == [0xFF] {
            next += 1;
        }
        match take(b, next, 1)?[0] {
            0x00 | 0xD0..=0xD7 => at = next + 1,
            _ => return Ok(ff),
        }
    }
}

/// The orientation (2 to 8) an EXIF APP1 segment's first IFD gives, if
/// any (1, the default, and anything else are none).
fn exif_orientation(app1: &[u8]) -> Option<u16> {
    let tiff = app1.strip_prefix(b"Exif\0\0")?;
    let big_endian = match tiff.get(..4)? {
        b"MM\0*" => true,
        b"II*\0" => false,
        _ => return None,
    };
    let u16_at = |at: usize| {
        let b: [u8; 2] = tiff.get(at..at.checked_add(2)?)?.try_into().ok()?;
        Some(if big_endian {
            u16::from_be_bytes(b)
        } else {
            u16::from_le_bytes(b)
        })
    };
    let u32_at = |at: usize| {
        let b: [u8; 4] = tiff.get(at..at.checked_add(4)?)?.try_into().ok()?;
        Some(if big_endian {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        })
    };
    let ifd = usize::try_from(u32_at(4)?).ok()?;
    let entries = usize::from(u16_at(ifd)?);
    (0..entries)
        .map(|n| ifd + 2 + 12 * n)
        .take_while(|&entry| entry + 12 <= tiff.len())
        .find(|&entry| u16_at(entry) == Some(ORIENTATION))
        .filter(|&entry| u16_at(entry + 2) == Some(SHORT))
        .and_then(|entry| u16_at(entry + 8))
        .filter(|o| (2..=8).contains(o))
}

/// An APP1 segment holding an EXIF block with the orientation alone
/// (big-endian TIFF, one IFD, one entry).
fn orientation_segment(orientation: u16) -> [u8; 36] {
    let [hi, lo] = orientation.to_be_bytes();
    [
        0xFF, APP1, 0x00, 0x22, // marker, length 34
        b'E', b'x', b'i', b'f', 0, 0, // EXIF
        b'M', b'M', 0x00, 0x2A, 0, 0, 0, 8, // TIFF header, IFD at 8
        0x00, 0x01, // one entry
        0x01, 0x12, 0x00, 0x03, 0, 0, 0, 1, hi, lo, 0, 0, // orientation, SHORT, 1
        0, 0, 0, 0, // no further IFD
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A segment: marker and contents, with the length field.
    fn seg(marker: u8, contents: &[u8]) -> Vec<u8> {
        let len = u16::try_from(contents.len() + 2).expect("short");
        let mut s = vec![0xFF, marker];
        s.extend_from_slice(&len.to_be_bytes());
        s.extend_from_slice(contents);
        s
    }

    #[test]
    fn the_orientation_is_read_in_either_byte_order_and_written_alone() {
        let segment = orientation_segment(6);
        assert_eq!(exif_orientation(&segment[4..]), Some(6));
        let little = [
            &b"Exif\0\0II*\0"[..],
            &[8, 0, 0, 0, 2, 0],
            &[0x0F, 0x01, 2, 0, 4, 0, 0, 0, b'A', b'B', b'C', 0],
            &[0x12, 0x01, 3, 0, 1, 0, 0, 0, 8, 0, 0, 0],
        ]
        .concat();
        assert_eq!(exif_orientation(&little), Some(8));
        assert_eq!(
            exif_orientation(&orientation_segment(1)[4..]),
            None,
            "1 is the default"
        );
        assert_eq!(
            exif_orientation(b"http://ns.adobe.com/xap/1.0/\0<x/>"),
            None
        );
        assert_eq!(
            exif_orientation(b"Exif\0\0MM\0*\xFF\xFF\xFF\xFF"),
            None,
            "an IFD past the end"
        );
    }

    #[test]
    fn metadata_segments_and_what_follows_the_picture_are_dropped_and_the_scan_kept() {
        let scan = [
            0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56, 0xFF, 0xFF, 0xD1, 0x78,
        ];
        let jpeg = [
            &[0xFF, 0xD8][..],
            &seg(APP0, b"JFIF\0\x01\x01"),
            &seg(
                APP1,
                &[&b"Exif\0\0"[..], &orientation_segment(3)[10..]].concat(),
            ),
            &seg(APP1, b"http://ns.adobe.com/xap/1.0/\0SecretCity"),
            &seg(APP2, b"ICC_PROFILE\0\x01\x01colours"),
            &seg(APP2, b"MPF\0further pictures"),
            &seg(0xED, b"Photoshop 3.0\0IPTC SecretCity"),
            &seg(0xFE, b"secret comment"),
            &seg(0xDB, b"quantisation"),
            &seg(0xC0, b"frame"),
            &seg(SOS, b"scan header"),
            &scan,
            &[0xFF, EOI],
            b"MOTIONPHOTO video",
        ]
        .concat();
        let expected = [
            &[0xFF, 0xD8][..],
            &seg(APP0, b"JFIF\0\x01\x01"),
            &orientation_segment(3),
            &seg(APP2, b"ICC_PROFILE\0\x01\x01colours"),
            &seg(0xDB, b"quantisation"),
            &seg(0xC0, b"frame"),
            &seg(SOS, b"scan header"),
            &scan,
            &[0xFF, EOI],
        ]
        .concat();
        assert_eq!(without_metadata(&jpeg).expect("stripped"), expected);
    }

    #[test]
    fn a_cut_short_or_garbled_jpeg_is_refused() {
        let whole = [
            &[0xFF, 0xD8][..],
            &seg(0xDB, b"quantisation"),
            &seg(SOS, b"scan header"),
            &[1, 2, 3, 0xFF, EOI],
        ]
        .concat();
        assert!(without_metadata(&whole).is_ok());
        for cut in 3..whole.len() - 1 {
            assert!(without_metadata(&whole[..cut]).is_err(), "cut at {cut}");
        }
        assert!(
            without_metadata(&[0xFF, 0xD8, 0xFF, 0xDB, 0x00, 0x01]).is_err(),
            "length 1"
        );
        assert!(
            without_metadata(&[0xFF, 0xD8, 0x12, 0x34]).is_err(),
            "no marker"
        );
    }
}
