//! GIF without metadata: the header, palettes, frames and every extension
//! are copied but for comments and XMP; nothing after the trailer is kept.

use super::take;
use crate::error::{Result, malformed};

const EXTENSION: u8 = 0x21;
const IMAGE: u8 = 0x2C;
const TRAILER: u8 = 0x3B;
const COMMENT: u8 = 0xFE;
const APPLICATION: u8 = 0xFF;
/// An application extension's identifier and code when it holds XMP.
const XMP_APPLICATION: &[u8] = b"XMP DataXMP";

pub(super) fn without_metadata(b: &[u8]) -> Result<Vec<u8>> {
    // Header (6) and logical screen descriptor (7), then the global palette.
    let mut at = 13 + palette_len(take(b, 10, 1)?[0]);
    let mut out = take(b, 0, at)?.to_vec();
    loop {
        match take(b, at, 1)?[0] {
            TRAILER => {
                out.push(TRAILER);
                return Ok(out);
            }
            EXTENSION => {
                let label = take(b, at + 1, 1)?[0];
                let end = sub_blocks_end(b, at + 2)?;
                let xmp = label == APPLICATION
                    && take(b, at + 2, 1)?[0] == 11
                    && take(b, at + 3, 11)? == XMP_APPLICATION;
                if label != COMMENT && !xmp {
                    out.extend_from_slice(&b[at..end]);
                }
                at = end;
            }
            IMAGE => {
                // Descriptor (10), local palette, LZW code size (1), data.
                let data = at + 10 + palette_len(take(b, at + 9, 1)?[0]) + 1;
                let end = sub_blocks_end(b, data)?;
                out.extend_from_slice(&b[at..end]);
                at = end;
            }
            other => {
                return Err(malformed(
                    "image",
                    format!("a GIF block of unknown kind 0x{other:02X}"),
                ));
            }
        }
    }
}

/// The bytes of the palette a GIF descriptor's packed field announces.
fn palette_len(packed: u8) -> usize {
    if packed & 0x80 == 0 {
        0
    } else {
        3 << ((packed & 0x07) + 1)
    }
}

/// Where the data sub-blocks starting at `at` end (after their
/// terminating empty block).
fn sub_blocks_end(b: &[u8], mut at: usize) -> Result<usize> {
    loop {
        let len = usize::from(take(b, at, 1)?[0]);
        at += 1;
        if len == 0 {
            return Ok(at);
        }
        take(b, at, len)?;
        at += len;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_and_xmp_go_and_the_frames_palette_and_looping_stay() {
        let head = [&b"GIF89a"[..], &[2, 0, 2, 0, 0x80, 0, 0], &[0; 6]].concat();
        let looping = [
            &[EXTENSION, APPLICATION, 11][..],
            b"NETSCAPE2.0",
            &[3, 1, 0, 0, 0],
        ]
        .concat();
        let frame = [
            &[IMAGE, 0, 0, 0, 0, 2, 0, 2, 0, 0][..],
            &[2, 2, 0x4C, 0x01, 0],
        ]
        .concat();
        let comment = [&[EXTENSION, COMMENT][..], &[14], b"GPS SecretCity", &[0]].concat();
        let xmp = [
            &[EXTENSION, APPLICATION, 11][..],
            XMP_APPLICATION,
            &[4],
            b"<x/>",
            &[0],
        ]
        .concat();
        let gif = [
            &head[..],
            &comment,
            &looping,
            &xmp,
            &frame,
            &[TRAILER],
            b"appended",
        ]
        .concat();
        let expected = [&head[..], &looping, &frame, &[TRAILER]].concat();
        assert_eq!(without_metadata(&gif).expect("stripped"), expected);
    }

    #[test]
    fn a_gif_cut_short_or_garbled_is_refused() {
        let head = [&b"GIF89a"[..], &[1, 0, 1, 0, 0, 0, 0]].concat();
        let frame = [&[IMAGE, 0, 0, 0, 0, 1, 0, 1, 0, 0][..], &[2, 1, 0x44, 0]].concat();
        let gif = [&head[..], &frame, &[TRAILER]].concat();
        assert!(without_metadata(&gif).is_ok());
        for cut in 6..gif.len() {
            assert!(without_metadata(&gif[..cut]).is_err(), "cut at {cut}");
        }
        assert!(without_metadata(&[&head[..], &[0x99]].concat()).is_err());
    }
}
