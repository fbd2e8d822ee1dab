//! WebP without metadata: of the RIFF container's chunks, those that draw
//! the picture are copied (`VP8X` with its EXIF and XMP flags cleared,
//! `VP8 `, `VP8L`, `ALPH`, `ICCP`, `ANIM`, and `ANMF` frames holding only
//! their `ALPH`, `VP8 ` and `VP8L`) and no other (`EXIF`, `XMP `, Content
//! Credentials, anything unknown); nothing after the RIFF container is kept.

use super::{four, take};
use crate::error::{Result, malformed};

/// `VP8X` flags telling that `EXIF` and `XMP ` chunks follow.
const EXIF_FLAG: u8 = 0x08;
const XMP_FLAG: u8 = 0x04;

/// The chunks that draw the picture.
const DRAWING: [&[u8; 4]; 7] = [
    b"VP8X", b"VP8 ", b"VP8L", b"ALPH", b"ICCP", b"ANIM", b"ANMF",
];
/// The chunks an animation frame (`ANMF`) draws with, after its 16-byte
/// header.
const FRAME: [&[u8; 4]; 3] = [b"ALPH", b"VP8 ", b"VP8L"];
const FRAME_HEADER: usize = 16;

pub(super) fn without_metadata(b: &[u8]) -> Result<Vec<u8>> {
    let riff_len = usize::try_from(u32::from_le_bytes(four(b, 4)?))
        .map_err(|_| malformed("image", "a WebP file too large"))?;
    let end = riff_len
        .checked_add(8)
        .filter(|&end| end <= b.len())
        .ok_or_else(|| malformed("image", "it ends early (it may be cut short)"))?;
    let (chunks, pictures) = kept_chunks(take(b, 12, end.saturating_sub(12))?, &DRAWING)?;
    if pictures == 0 {
        return Err(malformed("image", "a WebP file without a picture"));
    }
    Ok([&b"RIFF"[..], &size_of(&chunks, 4)?, b"WEBP", &chunks].concat())
}

/// The chunks of `b` (a sequence of chunks, nothing else) whose kind is
/// in `keep`, each with its pad byte (added where some writers leave out
/// the last one), and how many of them are pictures or frames.
fn kept_chunks(b: &[u8], keep: &[&[u8; 4]]) -> Result<(Vec<u8>, usize)> {
    let mut chunks = Vec::with_capacity(b.len());
    let mut pictures = 0;
    let mut at = 0;
    while at < b.len() {
        let kind = four(b, at)?;
        let len = usize::try_from(u32::from_le_bytes(four(b, at + 4)?))
            .map_err(|_| malformed("image", "a WebP chunk too large"))?;
        let data = take(b, at + 8, len)?;
        let pad = len % 2;
        if keep.contains(&&kind) {
            let data = match &kind {
                b"VP8X" => {
                    let mut vp8x = data.to_vec();
                    let flags = vp8x
                        .first_mut()
                        .ok_or_else(|| malformed("image", "a WebP VP8X chunk without flags"))?;
                    *flags &= !(EXIF_FLAG | XMP_FLAG);
                    vp8x
                }
                b"ANMF" => {
                    let header = take(data, 0, FRAME_HEADER)?;
                    let (frame, _) = kept_chunks(&data[FRAME_HEADER..], &FRAME)?;
                    [header, &frame].concat()
                }
                _ => data.to_vec(),
            };
            let pad = data.len() % 2;
            pictures += usize::from(matches!(&kind, b"VP8 " | b"VP8L" | b"ANMF"));
            chunks.extend_from_slice(&kind);
            chunks.extend_from_slice(&size_of(&data, 0)?);
            chunks.extend_from_slice(&data);
            chunks.extend_from_slice(&[0][..pad]);
        }
        at += 8 + len + pad;
    }
    Ok((chunks, pictures))
}

/// `bytes.len() + extra` as a chunk size (little-endian).
fn size_of(bytes: &[u8], extra: usize) -> Result<[u8; 4]> {
    u32::try_from(bytes.len() + extra)
        .map(u32::to_le_bytes)
        .map_err(|_| malformed("image", "a WebP file too large"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(kind: &[u8], data: &[u8]) -> Vec<u8> {
        let len = u32::try_from(data.len()).expect("short");
        let pad: &[u8] = if data.len() % 2 == 1 { &[0] } else { &[] };
        [kind, &len.to_le_bytes()[..], data, pad].concat()
    }

    fn riff(chunks: &[u8]) -> Vec<u8> {
        let size = u32::try_from(chunks.len() + 4).expect("short");
        [&b"RIFF"[..], &size.to_le_bytes(), b"WEBP", chunks].concat()
    }

    #[test]
    fn exif_and_xmp_chunks_and_their_flags_go_and_the_picture_stays() {
        let flags = 0x20 | EXIF_FLAG | XMP_FLAG; // ICC, EXIF, XMP
        let vp8x = |flags: u8| chunk(b"VP8X", &[flags, 0, 0, 0, 31, 0, 0, 23, 0, 0]);
        let webp = [
            riff(
                &[
                    vp8x(flags),
                    chunk(b"ICCP", b"colours"),
                    chunk(b"VP8 ", b"frame"),
                    chunk(b"EXIF", b"MM\0*GPS"),
                    chunk(b"XMP ", b"<x>SecretCity</x>"),
                    chunk(b"C2PA", b"Content Credentials: SecretCity"),
                ]
                .concat(),
            ),
            b"appended".to_vec(),
        ]
        .concat();
        let expected = riff(
            &[
                vp8x(0x20),
                chunk(b"ICCP", b"colours"),
                chunk(b"VP8 ", b"frame"),
            ]
            .concat(),
        );
        assert_eq!(without_metadata(&webp).expect("stripped"), expected);
    }

    #[test]
    fn an_animation_frame_keeps_only_what_draws_it() {
        let header = [7u8; 16];
        let frame = |inner: &[u8]| chunk(b"ANMF", &[&header[..], inner].concat());
        let drawn = [chunk(b"ALPH", b"alpha"), chunk(b"VP8 ", b"frame")].concat();
        let webp = riff(
            &[
                chunk(b"ANIM", b"loop"),
                frame(&[&drawn[..], &chunk(b"XMP ", b"SecretCity")].concat()),
            ]
            .concat(),
        );
        let expected = riff(&[chunk(b"ANIM", b"loop"), frame(&drawn)].concat());
        assert_eq!(without_metadata(&webp).ok(), Some(expected));
    }

    #[test]
    fn a_last_chunk_without_its_pad_byte_is_taken_and_given_it() {
        let whole = riff(&chunk(b"VP8L", b"odd"));
        let unpadded = riff(&whole[12..whole.len() - 1]);
        assert_eq!(without_metadata(&unpadded).ok(), Some(whole));
    }

    #[test]
    fn a_webp_cut_short_is_refused() {
        let webp = riff(&chunk(b"VP8L", b"lossless"));
        assert!(without_metadata(&webp).is_ok());
        for cut in 12..webp.len() {
            assert!(without_metadata(&webp[..cut]).is_err(), "cut at {cut}");
        }
        assert!(
            without_metadata(&riff(&chunk(b"EXIF", b"MM\0*"))).is_err(),
            "no picture"
        );
        let lying = riff(&[&b"VP8L"[..], &u32::MAX.to_le_bytes()].concat());
        assert!(without_metadata(&lying).is_err());
    }
}
