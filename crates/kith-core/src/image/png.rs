//! PNG without metadata: every chunk up to IEND is copied but for text
//! (`tEXt`, `zTXt`, `iTXt`: comments, XMP, software), EXIF (`eXIf`) and the
//! time of the last change (`tIME`); nothing after IEND is kept.

use super::{four, take};
use crate::error::{Result, malformed};

/// A PNG file's first eight bytes.
pub(super) const SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

/// Chunks that say something about the picture rather than draw it.
const METADATA: [&[u8; 4]; 5] = [b"tEXt", b"zTXt", b"iTXt", b"eXIf", b"tIME"];

pub(super) fn without_metadata(b: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(b.len());
    out.extend_from_slice(SIGNATURE);
    let mut at = SIGNATURE.len();
    loop {
        let len = u32::from_be_bytes(four(b, at)?);
        let len = i32::try_from(len)
            .ok()
            .and_then(|l| usize::try_from(l).ok())
            .ok_or_else(|| malformed("image", "a PNG chunk is longer than PNG allows"))?;
        let kind = four(b, at + 4)?;
        // Length, type, data and CRC.
        let chunk = take(b, at, 12 + len)?;
        if !METADATA.contains(&&kind) {
            out.extend_from_slice(chunk);
        }
        at += chunk.len();
        if &kind == b"IEND" {
            return Ok(out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(kind: &[u8], data: &[u8]) -> Vec<u8> {
        let len = u32::try_from(data.len()).expect("short");
        [&len.to_be_bytes()[..], kind, data, b"crc!"].concat()
    }

    #[test]
    fn text_exif_and_time_chunks_and_trailing_bytes_go_and_the_picture_stays() {
        let picture = [
            chunk(b"IHDR", b"13 bytes head"),
            chunk(b"iCCP", b"colours"),
            chunk(b"IDAT", b"pixels"),
        ]
        .concat();
        let png = [
            SIGNATURE,
            &picture[..],
            &chunk(b"tEXt", b"Comment\0GPS SecretCity"),
            &chunk(b"iTXt", b"XML:com.adobe.xmp\0\0\0\0\0<x/>"),
            &chunk(b"eXIf", b"MM\0*"),
            &chunk(b"tIME", b"1234567"),
            &chunk(b"IEND", b""),
            b"appended",
        ]
        .concat();
        let expected = [SIGNATURE, &picture[..], &chunk(b"IEND", b"")].concat();
        assert_eq!(without_metadata(&png).expect("stripped"), expected);
    }

    #[test]
    fn a_png_cut_short_or_with_an_impossible_length_is_refused() {
        let png = [SIGNATURE, &chunk(b"IHDR", b"head"), &chunk(b"IEND", b"")].concat();
        assert!(without_metadata(&png).is_ok());
        for cut in SIGNATURE.len()..png.len() {
            assert!(without_metadata(&png[..cut]).is_err(), "cut at {cut}");
        }
        let huge = [SIGNATURE, &[0xFF, 0xFF, 0xFF, 0xFF][..], b"IDAT"].concat();
        assert!(without_metadata(&huge).is_err());
    }
}
