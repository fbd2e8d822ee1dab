//! The `kith-blob` URI scheme: the web view loads images
//! (`kith-blob://localhost/<blake3 hex>`) straight from the home's blob
//! folder, verified against their hash, without copying them through IPC.
//! Only raster images are served, so a blob can never run script.

use kith_store::BlobStore;
use tauri::http::{Response, StatusCode, header};

/// The scheme's name.
pub const SCHEME: &str = "kith-blob";

use kith_core::Hash;
use kith_core::image::image_type;

fn status(code: StatusCode, why: &str) -> Response<Vec<u8>> {
    Response::builder()
        .status(code)
        .header(header::CONTENT_TYPE, "text/plain")
        .body(why.as_bytes().to_vec())
        .unwrap_or_default()
}

/// Reads a blob hash written as 64 hex digits.
pub fn parse_hash(hex_hash: &str) -> Option<Hash> {
    let mut hash = [0u8; 32];
    (hex_hash.len() == 64 && hex::decode_to_slice(hex_hash, &mut hash).is_ok()).then_some(hash)
}

/// Answers a request for `path` (`/<64 hex>`).
pub fn respond(blobs: &BlobStore, path: &str) -> Response<Vec<u8>> {
    let hex_hash = path.trim_start_matches('/');
    let Some(hash) = parse_hash(hex_hash) else {
        return status(StatusCode::BAD_REQUEST, "not a blob hash");
    };
    match blobs.get(&hash) {
        Ok(Some(bytes)) => match image_type(&bytes) {
            Some(kind) => Response::builder()
                .header(header::CONTENT_TYPE, kind)
                .header(header::CACHE_CONTROL, "max-age=31536000, immutable")
                .header("X-Content-Type-Options", "nosniff")
                .body(bytes)
                .unwrap_or_default(),
            None => status(StatusCode::UNSUPPORTED_MEDIA_TYPE, "not an image"),
        },
        Ok(None) => status(StatusCode::NOT_FOUND, "not here yet"),
        Err(e) => {
            tracing::warn!(hash = hex_hash, error = %e, "blob unreadable");
            status(StatusCode::INTERNAL_SERVER_ERROR, "unreadable")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_png_is_served_with_its_type_and_a_script_is_refused() {
        let dir = tempfile::tempdir().expect("temp dir");
        let blobs = BlobStore::open(dir.path()).expect("blob store");
        let png = b"\x89PNG\r\n\x1a\nrest".to_vec();
        let h = blobs.put(&png).expect("stored");
        let r = respond(&blobs, &format!("/{}", hex::encode(h)));
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.headers()[header::CONTENT_TYPE], "image/png");
        assert_eq!(r.body(), &png);

        let svg = b"<svg onload=alert(1)>".to_vec();
        let h = blobs.put(&svg).expect("stored");
        let r = respond(&blobs, &format!("/{}", hex::encode(h)));
        assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    }

    #[test]
    fn a_malformed_or_unknown_hash_is_answered_not_crashed_on() {
        let dir = tempfile::tempdir().expect("temp dir");
        let blobs = BlobStore::open(dir.path()).expect("blob store");
        assert_eq!(
            respond(&blobs, "/../../etc/passwd").status(),
            StatusCode::BAD_REQUEST
        );
        assert_eq!(
            respond(&blobs, &format!("/{}", "0".repeat(64))).status(),
            StatusCode::NOT_FOUND
        );
    }
}
