//! GIF without metadata: the header, palettes and frames are copied, and of
//! the extensions those that draw or play the picture (graphic control and
//! looping, written anew at their size; an ICC profile) and no other
//! (comments, plain text, XMP, IPTC, anything unknown); nothing after the
//! trailer is kept. A file that breaks
//! off or turns to garbage after a whole frame ends there, as a browser
//! shows what it has.

use super::take;
use crate::error::{Result, malformed};

const EXTENSION: u8 = 0x21;
const IMAGE: u8 = 0x2C;
const TRAILER: u8 = 0x3B;
const GRAPHIC_CONTROL: u8 = 0xF9;
const APPLICATION: u8 = 0xFF;
/// The application extensions that loop an animation (two spellings).
const LOOPING: [&[u8; 11]; 2] = [b"NETSCAPE2.0", b"ANIMEXTS1.0"];
/// The application extension holding an ICC colour profile.
const ICC: &[u8; 11] = b"ICCRGBG1012";

pub(super) fn without_metadata(b: &[u8]) -> Result<Vec<u8>> {
    // Header (6) and logical screen descriptor (7), then the global palette.
    let mut at = 13 + palette_len(take(b, 10, 1)?[0]);
    let mut out = take(b, 0, at)?.to_vec();
    let mut frames = 0;
    while let Some(end) = block_end(b, at) {
        match &b[at..end] {
            block @ [IMAGE, ..] => {
                frames += 1;
                out.extend_from_slice(block);
            }
            // Disposal, delay and transparent colour: four bytes.
            [EXTENSION, GRAPHIC_CONTROL, 4, control @ ..] if control.len() >= 5 => {
                out.extend_from_slice(&[EXTENSION, GRAPHIC_CONTROL, 4]);
                out.extend_from_slice(&control[..4]);
                out.push(0);
            }
            // How many times to play: two bytes.
            [EXTENSION, APPLICATION, 11, rest @ ..]
                if LOOPING.iter().any(|id| rest.starts_with(&id[..]))
                    && rest.get(11..13) == Some(&[3, 1][..])
                    && rest.len() >= 16 =>
            {
                out.extend_from_slice(&[EXTENSION, APPLICATION, 11]);
                out.extend_from_slice(LOOPING[0]);
                out.extend_from_slice(&[3, 1, rest[13], rest[14], 0]);
            }
            block @ [EXTENSION, APPLICATION, 11, rest @ ..] if rest.starts_with(ICC) => {
                out.extend_from_slice(block);
            }
            _ => {}
        }
        at = end;
    }
    if frames == 0 {
        return Err(malformed(
            "image",
            "a GIF without a whole frame (it may be cut short)",
        ));
    }
    out.push(TRAILER);
    Ok(out)
}

/// Where the block at `at` ends, if it is a whole extension or frame
/// (`None` at the trailer, at the end of the file, and at anything else).
fn block_end(b: &[u8], at: usize) -> Option<usize> {
    match *b.get(at)? {
        EXTENSION => {
            take(b, at + 1, 1).ok()?;
            sub_blocks_end(b, at + 2).ok()
        }
        IMAGE => {
            // Descriptor (10), local palette, LZW code size (1), data.
            let data = at + 10 + palette_len(take(b, at + 9, 1).ok()?[0]) + 1;
            take(b, data - 1, 1).ok()?;
            sub_blocks_end(b, data).ok()
        }
        _ => None,
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
    fn only_frames_their_control_and_looping_stay_written_at_their_size() {
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
        let comment = [&[EXTENSION, 0xFE][..], &[14], b"GPS SecretCity", &[0]].concat();
        let xmp = [
            &[EXTENSION, APPLICATION, 11][..],
            b"XMP DataXMP",
            &[4],
            b"<x/>",
            &[0],
        ]
        .concat();
        let iptc = [
            &[EXTENSION, APPLICATION, 11][..],
            b"MGKIPTC0000",
            &[4],
            b"IPTC",
            &[0],
        ]
        .concat();
        let control = [EXTENSION, GRAPHIC_CONTROL, 4, 1, 2, 3, 4];
        let padded_control = [&control[..], &[6], b"Secret", &[0]].concat();
        let plain_text = [&[EXTENSION, 0x01, 12][..], &[0; 12], &[6], b"Secret", &[0]].concat();
        let padded_looping = [
            &[EXTENSION, APPLICATION, 11][..],
            b"ANIMEXTS1.0",
            &[3, 1, 0, 0],
            &[6],
            b"Secret",
            &[0],
        ]
        .concat();
        let gif = [
            &head[..],
            &comment,
            &padded_looping,
            &xmp,
            &iptc,
            &plain_text,
            &padded_control,
            &frame,
            &[TRAILER],
            b"appended",
        ]
        .concat();
        let expected = [&head[..], &looping, &control, &[0], &frame, &[TRAILER]].concat();
        assert_eq!(without_metadata(&gif).expect("stripped"), expected);
    }

    #[test]
    fn a_gif_ends_after_its_last_whole_frame_and_one_without_any_is_refused() {
        let head = [&b"GIF89a"[..], &[1, 0, 1, 0, 0, 0, 0]].concat();
        let frame = [&[IMAGE, 0, 0, 0, 0, 1, 0, 1, 0, 0][..], &[2, 1, 0x44, 0]].concat();
        let gif = [&head[..], &frame, &frame, &[TRAILER]].concat();
        assert_eq!(without_metadata(&gif).ok(), Some(gif.clone()));
        let one = [&head[..], &frame, &[TRAILER]].concat();
        for cut in 6..gif.len() {
            let published = without_metadata(&gif[..cut]);
            if cut < head.len() + frame.len() {
                assert!(published.is_err(), "cut at {cut}, in the first frame");
            } else if cut < head.len() + 2 * frame.len() {
                assert_eq!(
                    published.ok(),
                    Some(one.clone()),
                    "cut at {cut}, in the second"
                );
            }
        }
        let garbled = [&head[..], &frame, &[0x99], b"anything at all"].concat();
        assert_eq!(without_metadata(&garbled).ok(), Some(one));
        assert!(without_metadata(&[&head[..], &[0x99]].concat()).is_err());
    }
}
