//! PNG without metadata: the chunks that draw the picture are copied (the
//! header, palette and image data; transparency, colour space and profile,
//! bit depths, background, pixel size, HDR data, each at its size;
//! animation) and no other (text, EXIF, times, Content Credentials,
//! editors' private chunks, anything unknown); IEND is written anew and
//! nothing after it is kept. A file cut short, or turning to garbage,
//! between or inside chunks keeps its whole chunks and gets its IEND back,
//! as a browser shows what it has.

use super::{four, take};
use crate::error::{Result, malformed};

/// A PNG file's first eight bytes.
pub(super) const SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

/// The chunks kept, each with the most data it may hold (`usize::MAX`:
/// any): critical chunks, then those that take part in drawing.
const DRAWING: [(&[u8; 4], usize); 19] = [
    (b"IHDR", 13),
    (b"PLTE", 768),
    (b"IDAT", usize::MAX),
    (b"tRNS", 256),
    (b"gAMA", 4),
    (b"cHRM", 32),
    (b"sRGB", 1),
    (b"iCCP", usize::MAX),
    (b"sBIT", 4),
    (b"bKGD", 6),
    (b"pHYs", 9),
    (b"cICP", 4),
    (b"mDCV", 24),
    (b"mDCv", 24),
    (b"cLLI", 8),
    (b"cLLi", 8),
    (b"acTL", 8),
    (b"fcTL", 26),
    (b"fdAT", usize::MAX),
];

/// The IEND chunk, with its CRC.
pub(super) const IEND: [u8; 12] = [0, 0, 0, 0, b'I', b'E', b'N', b'D', 0xAE, 0x42, 0x60, 0x82];

pub(super) fn without_metadata(b: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(b.len());
    out.extend_from_slice(SIGNATURE);
    let mut at = SIGNATURE.len();
    let mut pixels = false;
    // Whole chunks until IEND, or until the file ends or turns to garbage.
    while let (Ok(len), Ok(kind)) = (four(b, at), four(b, at + 4)) {
        let Some(len) = i32::try_from(u32::from_be_bytes(len))
            .ok()
            .and_then(|l| usize::try_from(l).ok())
        else {
            break;
        };
        // Length, type, data and CRC.
        let Ok(chunk) = take(b, at, 12 + len) else {
            break;
        };
        if &kind == b"IEND" {
            break;
        }
        if DRAWING.iter().any(|(k, most)| **k == kind && len <= *most) {
            out.extend_from_slice(chunk);
            pixels |= &kind == b"IDAT";
        }
        at += chunk.len();
    }
    if !pixels {
        return Err(malformed(
            "image",
            "it ends before its picture (it may be cut short)",
        ));
    }
    out.extend_from_slice(&IEND);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(kind: &[u8], data: &[u8]) -> Vec<u8> {
        let len = u32::try_from(data.len()).expect("short");
        [&len.to_be_bytes()[..], kind, data, b"crc!"].concat()
    }

    #[test]
    fn only_the_chunks_that_draw_the_picture_are_kept() {
        let picture = [
            chunk(b"IHDR", b"13 bytes head"),
            chunk(b"iCCP", b"colours"),
            chunk(b"acTL", b"frames"),
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
            &chunk(b"caBX", b"Content Credentials: SecretCity"),
            &chunk(b"mkBT", b"an editor's private SecretCity"),
            &chunk(b"Xmpd", b"critical-looking SecretCity"),
            &chunk(b"gAMA", b"far more than four bytes: SecretCity"),
            &chunk(b"IEND", b"SecretCity"),
            b"appended",
        ]
        .concat();
        let expected = [SIGNATURE, &picture[..], &IEND].concat();
        assert_eq!(without_metadata(&png).expect("stripped"), expected);
    }

    #[test]
    fn a_png_cut_short_keeps_its_whole_chunks_and_one_with_no_picture_yet_is_refused() {
        let head = chunk(b"IHDR", b"head");
        let pixels = chunk(b"IDAT", b"pixels");
        let png = [SIGNATURE, &head, &pixels, &chunk(b"IDAT", b"more"), &IEND].concat();
        assert_eq!(without_metadata(&png).ok(), Some(png.clone()));
        let first = SIGNATURE.len() + head.len() + pixels.len();
        for cut in SIGNATURE.len()..png.len() {
            let published = without_metadata(&png[..cut]);
            if cut < first {
                assert!(published.is_err(), "cut at {cut}, before any pixels");
            } else if cut < png.len() - IEND.len() {
                let kept = [SIGNATURE, &head, &pixels, &IEND].concat();
                assert_eq!(
                    published.ok(),
                    Some(kept),
                    "cut at {cut}, in the second IDAT"
                );
            }
        }
        let huge = [SIGNATURE, &[0xFF, 0xFF, 0xFF, 0xFF][..], b"IDAT"].concat();
        assert!(without_metadata(&huge).is_err());
        let garbage = [SIGNATURE, &head, &pixels, &[0xFF; 9][..]].concat();
        let kept = [SIGNATURE, &head, &pixels, &IEND].concat();
        assert_eq!(
            without_metadata(&garbage).ok(),
            Some(kept),
            "garbage after the pixels"
        );
    }
}
