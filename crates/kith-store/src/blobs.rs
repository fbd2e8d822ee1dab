//! Content-addressed blobs (images, avatars) on disk, named by BLAKE3.

use std::io::Write;
use std::path::{Path, PathBuf};

use kith_core::Hash;
use kith_core::limits::MAX_BLOB_BYTES;

use crate::error::{Result, StoreError};

/// A folder of blobs: `<dir>/<first 2 hex>/<64 hex>`.
#[derive(Debug, Clone)]
pub struct BlobStore {
    dir: PathBuf,
}

impl BlobStore {
    /// Opens (creating) the folder.
    pub fn open(dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(dir).map_err(|e| StoreError::io(dir, e))?;
        Ok(Self {
            dir: dir.to_owned(),
        })
    }

    fn path(&self, hash: &Hash) -> PathBuf {
        let h = hex::encode(hash);
        self.dir.join(&h[..2]).join(h)
    }

    /// Checks a blob's size against the cap.
    pub fn check_size(len: usize) -> Result<()> {
        if len > MAX_BLOB_BYTES {
            return Err(kith_core::CoreError::TooLarge {
                what: "blob",
                size: len,
                limit: MAX_BLOB_BYTES,
            }
            .into());
        }
        Ok(())
    }

    /// Stores bytes (size-capped) and returns their hash.
    pub fn put(&self, bytes: &[u8]) -> Result<Hash> {
        Self::check_size(bytes.len())?;
        let hash = *blake3::hash(bytes).as_bytes();
        let path = self.path(&hash);
        if path.exists() {
            return Ok(hash);
        }
        let parent = path.parent().unwrap_or(&self.dir);
        std::fs::create_dir_all(parent).map_err(|e| StoreError::io(parent, e))?;
        let tmp = parent.join(format!(".{}.tmp", hex::encode(&hash[..8])));
        let written = std::fs::File::create(&tmp)
            .and_then(|mut f| f.write_all(bytes).and_then(|()| f.sync_all()))
            // A full disk is told as the picture folder's, not a hidden
            // temporary file's.
            .map_err(|e| {
                let named = if crate::error::is_disk_full(&e) {
                    &self.dir
                } else {
                    &tmp
                };
                StoreError::io(named, e)
            })
            .and_then(|()| std::fs::rename(&tmp, &path).map_err(|e| StoreError::io(&path, e)));
        if written.is_err() {
            // A disk that filled up leaves no partial file behind.
            let _ = std::fs::remove_file(&tmp);
        }
        written.map(|()| hash)
    }

    /// Reads a blob and verifies it against its hash.
    pub fn get(&self, hash: &Hash) -> Result<Option<Vec<u8>>> {
        let path = self.path(hash);
        match std::fs::read(&path) {
            Ok(bytes) => {
                if blake3::hash(&bytes).as_bytes() != hash {
                    return Err(StoreError::CorruptBlob(hex::encode(hash)));
                }
                Ok(Some(bytes))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(StoreError::io(&path, e)),
        }
    }

    /// Whether the blob is present.
    pub fn has(&self, hash: &Hash) -> bool {
        self.path(hash).exists()
    }

    /// Removes a blob (no error if absent).
    pub fn remove(&self, hash: &Hash) -> Result<()> {
        let path = self.path(hash);
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(StoreError::io(&path, e)),
        }
    }
}
