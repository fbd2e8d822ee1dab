//! One running node per home. `kith serve` and the desktop app each hold
//! an exclusive lock on [`HOME_LOCK_FILE`] for as long as they run (the
//! desktop app from the moment its window opens, before the passphrase),
//! so neither starts a node on a home the other has open: without it,
//! `kith serve` started beside a window still at its unlock screen, and the
//! window's unlock then failed. The system drops the lock when the process
//! ends, however it ends; the file stays and is reused.
//!
//! The holder writes who it is into the file, so the one refused can say
//! what to stop. The other `kith` commands take no lock: they talk to the
//! running node, or use the store for a moment, which SQLite allows.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::Path;

use crate::error::{NodeError, Result};

/// The lock file, in the home.
pub const HOME_LOCK_FILE: &str = "node.lock";
/// Longest holder description read back from the file.
const MAX_HOLDER_BYTES: u64 = 256;

/// The home's lock, held until dropped.
#[derive(Debug)]
pub struct HomeLock {
    _file: File,
}

impl HomeLock {
    /// Takes the lock of `home` (created 0700 if missing) for `holder`, a
    /// short description of this process for people ("the Kith app",
    /// "kith serve"; the process id is added). Fails with
    /// [`NodeError::InUse`], naming the holder, when another process holds it.
    pub fn acquire(home: &Path, holder: &str) -> Result<Self> {
        create_home(home)?;
        let path = home.join(HOME_LOCK_FILE);
        let mut file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(&path)
            .map_err(|e| NodeError::io(&path, e))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                return Err(NodeError::InUse {
                    home: home.display().to_string(),
                    holder: read_holder(&mut file),
                });
            }
            Err(TryLockError::Error(e)) => return Err(NodeError::io(&path, e)),
        }
        let described = format!("{holder} (process {})", std::process::id());
        file.set_len(0)
            .and_then(|()| file.rewind())
            .and_then(|()| file.write_all(described.as_bytes()))
            .map_err(|e| NodeError::io(&path, e))?;
        Ok(Self { _file: file })
    }
}

/// Who holds the lock, as the holder wrote it; a generic description when
/// the file is empty or unreadable (a holder that has not written yet).
fn read_holder(file: &mut File) -> String {
    let mut text = String::new();
    let read = file
        .rewind()
        .and_then(|()| file.take(MAX_HOLDER_BYTES).read_to_string(&mut text));
    match read.map(|_| text.trim()) {
        Ok(t) if !t.is_empty() => t.to_owned(),
        _ => "another Kith process".to_owned(),
    }
}

fn create_home(home: &Path) -> Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(home).map_err(|e| NodeError::io(home, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_refused_with_the_first_ones_name_until_it_lets_go() {
        let dir = tempfile::tempdir().expect("tempdir");
        let home = dir.path().join("home");
        let first = HomeLock::acquire(&home, "the Kith app").expect("first holder");
        let refused = HomeLock::acquire(&home, "kith serve").expect_err("second holder");
        assert_eq!(refused.code(), "already_running", "{refused}");
        let message = refused.to_string();
        assert!(
            message.contains(&format!("the Kith app (process {})", std::process::id()))
                && message.contains(&home.display().to_string()),
            "the refusal names the holder and the home: {message}"
        );
        drop(first);
        HomeLock::acquire(&home, "kith serve").expect("free once the first let go");
    }

    #[test]
    fn a_holder_that_wrote_nothing_is_described_generically() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(HOME_LOCK_FILE);
        let file = File::create(&path).expect("create");
        file.try_lock().expect("lock by hand, writing nothing");
        let refused = HomeLock::acquire(dir.path(), "kith serve").expect_err("held");
        assert!(
            refused.to_string().contains("another Kith process"),
            "{refused}"
        );
    }
}
