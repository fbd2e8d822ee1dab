//! Real files as Pillow writes them (`tests/fixtures/images/make.py`): each
//! carries where it was taken, the camera, comments and XMP; published,
//! none of it is left, and the picture is the same.

use kith_core::image::{image_type, without_metadata};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/images");

/// Every fixture, each holding metadata.
const FIXTURES_WITH_METADATA: [&str; 5] = [
    "photo-gps.jpg",
    "progressive-gps.jpg",
    "photo-meta.png",
    "photo-meta.webp",
    "photo-comment.gif",
];

/// Text each fixture hides beside its picture.
const SECRETS: [&str; 5] = [
    "SecretCity",
    "KithTestCam",
    "secret comment",
    "MOTIONPHOTO",
    "GPS",
];

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{FIXTURES}/{name}")).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn no_fixture_keeps_its_place_camera_comment_or_xmp_and_each_stays_its_format() {
    for name in FIXTURES_WITH_METADATA {
        let original = fixture(name);
        assert!(
            SECRETS.iter().any(|s| contains(&original, s.as_bytes())),
            "{name} carries metadata to begin with"
        );
        let published = without_metadata(&original).unwrap_or_else(|e| panic!("{name}: {e}"));
        for secret in SECRETS {
            assert!(
                !contains(&published, secret.as_bytes()),
                "{name} still holds {secret:?}"
            );
        }
        assert_eq!(image_type(&published), image_type(&original), "{name}");
        assert!(published.len() < original.len(), "{name} lost nothing");
        assert_eq!(
            without_metadata(&published).ok().as_ref(),
            Some(&published),
            "{name}: publishing twice changes nothing more"
        );
    }
}

#[test]
fn a_jpeg_keeps_its_orientation_alone_and_its_pixels_byte_for_byte() {
    let original = fixture("photo-gps.jpg");
    let published = without_metadata(&original).expect("published");
    let orientation_six = b"Exif\0\0MM\0*\0\0\0\x08\0\x01\x01\x12\0\x03\0\0\0\x01\0\x06";
    assert!(
        contains(&published, orientation_six),
        "turned a quarter, as taken"
    );
    // From the quantisation tables on, the picture is copied unchanged.
    let tables = |b: &[u8]| b.windows(2).position(|w| w == [0xFF, 0xDB]).expect("DQT");
    let eoi = |b: &[u8]| b.windows(2).rposition(|w| w == [0xFF, 0xD9]).expect("EOI");
    let (o, p) = (
        &original[tables(&original)..],
        &published[tables(&published)..],
    );
    assert_eq!(
        &o[..eoi(o) + 2],
        p,
        "the picture's segments and scan are the same bytes"
    );
}

#[test]
fn every_cut_and_every_changed_byte_of_the_fixtures_is_answered_without_a_panic() {
    for name in FIXTURES_WITH_METADATA {
        let original = fixture(name);
        for cut in 0..original.len() {
            if let Ok(published) = without_metadata(&original[..cut]) {
                // At most an end marker is added (PNG's IEND is 12 bytes).
                assert!(published.len() <= cut + 12, "{name} cut at {cut} grew");
                for secret in SECRETS {
                    assert!(
                        !contains(&published, secret.as_bytes()),
                        "{name} cut at {cut} still holds {secret:?}"
                    );
                }
            }
        }
        for at in 0..original.len() {
            for byte in [0x00, 0xFF, original[at] ^ 0x80] {
                let mut changed = original.clone();
                changed[at] = byte;
                if let Ok(published) = without_metadata(&changed) {
                    assert_eq!(
                        without_metadata(&published).ok().as_ref(),
                        Some(&published),
                        "{name} with byte {at} set to {byte:#04x}: publishing twice differs"
                    );
                }
            }
        }
    }
}

proptest::proptest! {
    /// Any bytes behind any of the four signatures: an answer, never a
    /// panic, and a published image publishes again unchanged.
    #[test]
    fn any_bytes_behind_a_signature_are_answered_and_publishing_is_idempotent(
        kind in 0usize..4,
        rest in proptest::collection::vec(proptest::num::u8::ANY, 0..600),
    ) {
        let signature: &[u8] = [
            &b"\x89PNG\r\n\x1a\n"[..],
            &[0xFF, 0xD8, 0xFF],
            b"GIF89a",
            b"RIFF\0\0\0\0WEBP",
        ][kind];
        let bytes = [signature, &rest].concat();
        if let Ok(published) = without_metadata(&bytes) {
            proptest::prop_assert_eq!(without_metadata(&published).ok(), Some(published));
        }
    }
}
