//! The images Kith publishes and shows: told by their first bytes, and
//! published without what cameras and editors write beside the picture
//! ([`without_metadata`]).

mod gif;
mod jpeg;
mod png;
mod webp;

use crate::error::{Result, malformed};

/// The content type of an image by its first bytes: PNG, JPEG, GIF or
/// WebP, the raster formats every front end shows (and a web view cannot
/// run as script); `None` for anything else, which is neither published
/// nor shown.
pub fn image_type(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(png::SIGNATURE) {
        Some("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some("image/gif")
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

/// The image `bytes` as Kith publishes it: the same picture, byte for byte,
/// without the metadata a camera, phone or editor writes beside it (where
/// it was taken, the camera and its serial number, dates, comments, XMP,
/// IPTC, Content Credentials, thumbnails, and whatever follows the
/// picture, such as a motion photo's video), which would otherwise reach
/// every peer, forever.
///
/// Only what draws the picture is kept, each format's known parts (a
/// JPEG's JFIF without its thumbnail, ICC colour profile, Adobe segment and
/// its EXIF orientation alone, rewritten; a PNG's colour, transparency and
/// animation chunks; a WebP's colour profile, alpha and animation; a GIF's
/// palettes, frames, looping and colour profile); anything unknown goes.
/// Nothing is decoded or re-encoded, so data hidden inside the picture's own
/// coded data (its pixels, a scan, a frame) is the picture and stays. A
/// file cut short keeps the picture as far as it goes, as browsers show it
/// (see each format's module).
///
/// # Errors
/// `Malformed` when `bytes` is not a PNG, JPEG, GIF or WebP whose container
/// can be followed, or holds no whole picture to keep.
pub fn without_metadata(bytes: &[u8]) -> Result<Vec<u8>> {
    match image_type(bytes) {
        Some("image/png") => png::without_metadata(bytes),
        Some("image/jpeg") => jpeg::without_metadata(bytes),
        Some("image/gif") => gif::without_metadata(bytes),
        Some(_) => webp::without_metadata(bytes),
        None => Err(malformed("image", "not a PNG, JPEG, GIF or WebP image")),
    }
}

/// A PNG whose one data chunk holds `payload`: shaped as a PNG, so it is
/// published byte for byte, but no picture a window can draw (for tests
/// that need distinct images of a given size).
#[cfg(any(test, feature = "test-support"))]
pub fn png_holding(payload: &[u8]) -> Vec<u8> {
    let chunk = |kind: &[u8; 4], data: &[u8]| {
        let len = u32::try_from(data.len()).unwrap_or(u32::MAX);
        [&len.to_be_bytes()[..], kind, data, &[0; 4]].concat()
    };
    let head = [0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0];
    [
        png::SIGNATURE,
        &chunk(b"IHDR", &head),
        &chunk(b"IDAT", payload),
        &png::IEND,
    ]
    .concat()
}

/// `len` bytes of `bytes` from `at`, or why not ("cut short").
fn take(bytes: &[u8], at: usize, len: usize) -> Result<&[u8]> {
    at.checked_add(len)
        .and_then(|end| bytes.get(at..end))
        .ok_or_else(|| malformed("image", "it ends early (it may be cut short)"))
}

/// The four bytes of `bytes` at `at`.
fn four(bytes: &[u8], at: usize) -> Result<[u8; 4]> {
    let mut a = [0; 4];
    a.copy_from_slice(take(bytes, at, 4)?);
    Ok(a)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anything_but_the_four_formats_is_refused() {
        assert!(without_metadata(b"<svg onload=alert(1)>").is_err());
        assert!(without_metadata(b"").is_err());
    }

    #[test]
    fn a_png_holding_a_payload_is_published_unchanged() {
        let png = png_holding(b"any bytes at all");
        assert_eq!(image_type(&png), Some("image/png"));
        assert_eq!(without_metadata(&png).ok(), Some(png));
    }

    #[test]
    fn take_refuses_a_range_past_the_end_or_overflowing() {
        assert_eq!(take(b"abcd", 1, 2).ok(), Some(&b"bc"[..]));
        assert!(take(b"abcd", 3, 2).is_err());
        assert!(take(b"abcd", usize::MAX, 2).is_err());
    }
}
