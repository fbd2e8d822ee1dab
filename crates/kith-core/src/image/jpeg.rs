//! JPEG without metadata: of the segments before and between the scans,
//! those that draw the picture are copied (frames, tables, restart
//! interval, scans, an ICC profile, Adobe's APP14), JFIF without its
//! thumbnail, and the EXIF orientation, if any, in a new EXIF segment that
//! holds nothing else; no other (EXIF, XMP, MPF's index of further
//! pictures, IPTC, Photoshop, makers' notes, JFXX thumbnails, comments,
//! anything unknown); nothing after the end of the picture (EOI) is kept. As decoders do, stray bytes
//! between segments are skipped, and a picture whose scan breaks off is
//! kept as far as it goes (with an EOI).

use super::take;
use crate::error::{Result, malformed};

const APP0: u8 = 0xE0;
const APP1: u8 = 0xE1;
const APP2: u8 = 0xE2;
const APP14: u8 = 0xEE;
const SOS: u8 = 0xDA;
const SOI: u8 = 0xD8;
const DQT: u8 = 0xDB;
const DNL: u8 = 0xDC;
const DRI: u8 = 0xDD;
const EOI: u8 = 0xD9;
/// The EXIF orientation tag, and the TIFF type it has (SHORT).
const ORIENTATION: u16 = 0x0112;
const SHORT: u16 = 3;

pub(super) fn without_metadata(b: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(b.len());
    out.extend_from_slice(&[0xFF, 0xD8]);
    let mut at = 2;
    let mut orientation_kept = false;
    let mut scanned = false;
    loop {
        let Some((marker, after)) = next_marker(b, at) else {
            return ended(out, scanned);
        };
        at = after;
        match marker {
            EOI => {
                out.extend_from_slice(&[0xFF, EOI]);
                return Ok(out);
            }
            // Markers without a length: restart and TEM, kept; a second
            // SOI, not.
            0x01 | 0xD0..=0xD7 => {
                out.extend_from_slice(&[0xFF, marker]);
                continue;
            }
            SOI => continue,
            _ => {}
        }
        let Some(segment) = segment_at(b, at) else {
            return ended(out, scanned);
        };
        let data = &segment[2..];
        let keep = match marker {
            APP0 => {
                if let Some(jfif) = jfif_without_thumbnail(data) {
                    out.extend_from_slice(&jfif);
                }
                false
            }
            APP1 => {
                if !orientation_kept && let Some(o) = exif_orientation(data) {
                    out.extend_from_slice(&orientation_segment(o));
                    orientation_kept = true;
                }
                false
            }
            APP2 => data.starts_with(b"ICC_PROFILE\0"),
            // Adobe's colour transform; frames (SOFn), Huffman and
            // arithmetic tables, quantisation tables, restart interval,
            // scans; the number of lines (DNL), at its size.
            APP14 | 0xC0..=0xC7 | 0xC9..=0xCF | DQT | DRI | SOS => true,
            DNL => data.len() == 2,
            // Every other APPn, comments, hierarchical and reserved markers.
            _ => false,
        };
        if keep {
            out.extend_from_slice(&[0xFF, marker]);
            out.extend_from_slice(segment);
        }
        at += segment.len();
        if marker == SOS {
            let end = scan_end(b, at);
            out.extend_from_slice(&b[at..end]);
            at = end;
            scanned = true;
        }
    }
}

/// What is kept of a JPEG that ends, or breaks off, before its EOI: the
/// picture as far as its scans go, or nothing when no scan began.
fn ended(mut out: Vec<u8>, scanned: bool) -> Result<Vec<u8>> {
    if !scanned {
        return Err(malformed(
            "image",
            "it ends before its picture (it may be cut short)",
        ));
    }
    out.extend_from_slice(&[0xFF, EOI]);
    Ok(out)
}

/// The marker at or after `at` (stray bytes before it, fill bytes and
/// 0xFF00 skipped, as libjpeg does) and where what follows it starts.
fn next_marker(b: &[u8], mut at: usize) -> Option<(u8, usize)> {
    loop {
        let ff = at + b.get(at..)?.iter().position(|&x| x == 0xFF)?;
        let marker = ff + b.get(ff..)?.iter().position(|&x| x != 0xFF)?;
        if b[marker] != 0x00 {
            return Some((b[marker], marker + 1));
        }
        at = marker + 1;
    }
}

/// The segment at `at`, its length field and data, if whole.
fn segment_at(b: &[u8], at: usize) -> Option<&[u8]> {
    let len = usize::from(u16::from_be_bytes([*b.get(at)?, *b.get(at + 1)?]));
    if len < 2 {
        return None;
    }
    take(b, at, len).ok()
}

/// Where the entropy-coded data of a scan starting at `from` ends: at the
/// first marker that is neither a stuffed 0xFF (0xFF00) nor a restart, or
/// at the end of the file when the scan breaks off (fill bytes there left
/// out).
fn scan_end(b: &[u8], from: usize) -> usize {
    let mut at = from;
    loop {
        let Some(ff) = b
            .get(at..)
            .and_then(|rest| rest.iter().position(|&x| x == 0xFF))
            .map(|p| at + p)
        else {
            return b.len();
        };
        let mut next = ff + 1;
        while b.get(next) == Some(&0xFF) {
            next += 1;
        }
        match b.get(next) {
            Some(0x00 | 0xD0..=0xD7) => at = next + 1,
            // A marker; or fill bytes at the very end, which lead nowhere.
            Some(_) | None => return ff,
        }
    }
}

/// A JFIF APP0 segment as written again without its thumbnail (version,
/// units and density kept); `None` for any other APP0 (JFXX, AVI1, …).
fn jfif_without_thumbnail(app0: &[u8]) -> Option<[u8; 18]> {
    let head = app0.strip_prefix(b"JFIF\0")?.get(..7)?;
    let mut segment = [0; 18];
    segment[..4].copy_from_slice(&[0xFF, APP0, 0x00, 0x10]);
    segment[4..9].copy_from_slice(b"JFIF\0");
    segment[9..16].copy_from_slice(head);
    // Thumbnail width and height: none.
    Some(segment)
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
            &seg(APP0, b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0"),
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
            &seg(APP0, b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0"),
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
    fn a_jpeg_cut_before_its_scan_is_refused_and_one_cut_inside_is_kept_as_far_as_it_goes() {
        let head = [
            &[0xFF, 0xD8][..],
            &seg(0xDB, b"quantisation"),
            &seg(SOS, b"scan header"),
        ]
        .concat();
        let whole = [&head[..], &[1, 2, 3, 0xFF, 0x00, 4, 0xFF, EOI]].concat();
        assert_eq!(without_metadata(&whole).ok(), Some(whole.clone()));
        for cut in 3..head.len() {
            assert!(without_metadata(&whole[..cut]).is_err(), "cut at {cut}");
        }
        for cut in head.len()..whole.len() - 1 {
            // A 0xFF the cut left last leads nowhere and is left out.
            let upto = if whole[cut - 1] == 0xFF { cut - 1 } else { cut };
            let kept = [&whole[..upto], &[0xFF, EOI]].concat();
            assert_eq!(
                without_metadata(&whole[..cut]).ok(),
                Some(kept),
                "cut at {cut}"
            );
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

    #[test]
    fn stray_bytes_between_segments_are_skipped_as_decoders_do() {
        let tables = seg(0xDB, b"quantisation");
        let scan = [&seg(SOS, b"scan header")[..], &[1, 2, 0xFF, EOI]].concat();
        let jpeg = [&[0xFF, 0xD8][..], &tables, b"\0\0stray\xFF\0\0", &scan].concat();
        let expected = [&[0xFF, 0xD8][..], &tables, &scan].concat();
        assert_eq!(without_metadata(&jpeg).ok(), Some(expected));
    }

    #[test]
    fn only_the_segments_that_draw_are_kept_whatever_hides_in_the_others() {
        let tables = seg(DQT, b"quantisation");
        let lines = seg(DNL, &[0, 48]);
        let scan = [&seg(SOS, b"scan header")[..], &[1, 2, 0xFF, EOI]].concat();
        let jpeg = [
            &[0xFF, 0xD8, 0xFF, SOI][..],
            &tables,
            &seg(DNL, b"GPS SecretCity"),
            &seg(0xF0, b"reserved SecretCity"),
            &seg(0xDE, b"hierarchical SecretCity"),
            &lines,
            &scan,
        ]
        .concat();
        let expected = [&[0xFF, 0xD8][..], &tables, &lines, &scan].concat();
        assert_eq!(without_metadata(&jpeg).ok(), Some(expected));
    }

    #[test]
    fn jfif_loses_its_thumbnail_and_jfxx_goes() {
        let thumbnail = [0x11; 6]; // 2 by 1 pixels, RGB
        let jfif = [&b"JFIF\0\x01\x02\x01\0\x48\0\x48\x02\x01"[..], &thumbnail].concat();
        let jfxx = [&b"JFXX\0\x10"[..], &[0x22; 40]].concat();
        let scan = [&seg(SOS, b"scan header")[..], &[1, 0xFF, EOI]].concat();
        let jpeg = [
            &[0xFF, 0xD8][..],
            &seg(APP0, &jfif),
            &seg(APP0, &jfxx),
            &scan,
        ]
        .concat();
        let bare = b"JFIF\0\x01\x02\x01\0\x48\0\x48\0\0";
        let expected = [&[0xFF, 0xD8][..], &seg(APP0, bare), &scan].concat();
        assert_eq!(without_metadata(&jpeg).ok(), Some(expected));
    }
}
