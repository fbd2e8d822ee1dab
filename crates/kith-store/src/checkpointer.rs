//! Copies the write-ahead log back into the database on a thread of its
//! own, so that the thread writing (a sync's pages) does not stop to do it.
//!
//! SQLite checkpoints the log itself at the commit that grows it past 1,000
//! frames, on the committing thread: during a 100,000-post sync that is
//! about a tenth of the writer's time. Here the store's connection tells
//! this thread instead, which checkpoints over its own connection in
//! PASSIVE mode (never blocking the writer; SQLite restarts the log from
//! its start at a later write once all of it was copied). Should the log
//! still grow past [`HARD_FRAMES`], because the writer never paused long
//! enough, the writer checkpoints it itself, as SQLite would have.

use std::path::Path;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

use rusqlite::Connection;

use crate::error::Result;

/// Frames in the log from which the checkpointing thread is woken:
/// SQLite's own default threshold.
pub const SOFT_FRAMES: i32 = 1000;

/// Frames in the log from which the writer checkpoints it itself.
pub const HARD_FRAMES: i32 = 8 * SOFT_FRAMES;

/// What the checkpointing thread is told.
enum Signal {
    /// The log grew past [`SOFT_FRAMES`].
    Grown,
    /// The store is closing.
    Stop,
}

/// The thread that checkpoints a store's log, and how to wake it.
pub(crate) struct Checkpointer {
    wake: SyncSender<Signal>,
    thread: Option<JoinHandle<()>>,
    /// Checkpoints the thread completed.
    #[cfg(test)]
    done: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl Checkpointer {
    /// Starts checkpointing the log of the database at `path` (already in
    /// WAL mode) for `writer`, its store's connection.
    pub(crate) fn start(writer: &mut Connection, path: &Path) -> Result<Self> {
        let reader = Connection::open(path)?;
        reader.busy_timeout(std::time::Duration::from_secs(5))?;
        let (wake, woken) = sync_channel(1);
        let done = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        let counted = std::sync::Arc::clone(&done);
        let thread = std::thread::Builder::new()
            .name("kith-checkpoint".into())
            .spawn(move || checkpoint_when_woken(&reader, &woken, &counted))
            .map_err(|e| crate::error::StoreError::io(path, e))?;
        let hook_wake = wake.clone();
        writer.wal_hook(Some(move |wal: &mut rusqlite::hooks::Wal, frames| {
            if frames >= HARD_FRAMES {
                // An error here would make the commit, done already, report
                // one: a checkpoint that cannot run now runs at a later one.
                if let Err(e) = wal.checkpoint() {
                    tracing::debug!(error = %e, frames, "checkpoint past the hard limit failed");
                }
            } else if frames >= SOFT_FRAMES {
                // Already woken if full: one pending wake is enough.
                let _ = hook_wake.try_send(Signal::Grown);
            }
            Ok(())
        }))?;
        #[cfg(not(test))]
        drop(done);
        Ok(Self {
            wake,
            thread: Some(thread),
            #[cfg(test)]
            done,
        })
    }
}

/// The thread's loop: one PASSIVE checkpoint each time it is woken, until
/// the store closes.
fn checkpoint_when_woken(
    conn: &Connection,
    woken: &Receiver<Signal>,
    done: &std::sync::atomic::AtomicU64,
) {
    while let Ok(Signal::Grown) = woken.recv() {
        match conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
            Ok(()) => {
                done.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            Err(e) => {
                tracing::debug!(error = %e, "background checkpoint failed; the next commit retries");
            }
        }
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        // Waits at most for a checkpoint under way; fails only if the
        // thread is gone already.
        let _ = self.wake.send(Signal::Stop);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bytes of one frame of the log: a 4 KiB page and its 24-byte header.
    const FRAME: u64 = 4096 + 24;

    #[test]
    fn a_long_burst_of_commits_is_checkpointed_by_the_thread_and_the_log_stays_small() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let path = dir.path().join("test.db");
        let mut writer = Connection::open(&path).expect("database");
        writer
            .execute_batch(
                "PRAGMA page_size = 4096; PRAGMA journal_mode = WAL;
                 CREATE TABLE t(id INTEGER PRIMARY KEY, b BLOB);",
            )
            .expect("schema");
        let checkpointer = Checkpointer::start(&mut writer, &path).expect("checkpointer");
        // 30 commits of ~200 frames each: ~6,000 frames in all, below
        // HARD_FRAMES, so only the thread can have kept the log short.
        let blob = vec![7u8; 4000];
        for _ in 0..30 {
            let tx = writer.transaction().expect("transaction");
            for _ in 0..200 {
                tx.execute("INSERT INTO t(b) VALUES (?1)", [&blob])
                    .expect("insert");
            }
            tx.commit().expect("commit");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let done = checkpointer.done.load(std::sync::atomic::Ordering::Relaxed);
        let wal = std::fs::metadata(dir.path().join("test.db-wal"))
            .expect("log")
            .len();
        assert!(done >= 1, "the thread never checkpointed the log");
        assert!(
            wal < 3000 * FRAME,
            "the log grew to {} frames: it was not restarted after the thread's checkpoints (6,000 frames were written)",
            wal / FRAME
        );
        let rows: i64 = writer
            .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            .expect("count");
        assert_eq!(rows, 6000, "every committed row is there");
        drop(writer);
        drop(checkpointer);
    }

    #[test]
    fn commits_past_the_hard_limit_succeed_while_a_reader_keeps_every_checkpoint_from_finishing() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let path = dir.path().join("test.db");
        let mut writer = Connection::open(&path).expect("database");
        writer
            .execute_batch(
                "PRAGMA page_size = 4096; PRAGMA journal_mode = WAL;
                 CREATE TABLE t(id INTEGER PRIMARY KEY, b BLOB);",
            )
            .expect("schema");
        let checkpointer = Checkpointer::start(&mut writer, &path).expect("checkpointer");
        // A reader holding its snapshot open keeps every checkpoint from
        // finishing, as a thread that never catches up would.
        let reader = Connection::open(&path).expect("reader");
        reader.execute_batch("BEGIN").expect("begin");
        let _: i64 = reader
            .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            .expect("read");
        let blob = vec![7u8; 4000];
        for _ in 0..(HARD_FRAMES / 500 + 2) {
            let tx = writer.transaction().expect("transaction");
            for _ in 0..500 {
                tx.execute("INSERT INTO t(b) VALUES (?1)", [&blob])
                    .expect("insert");
            }
            tx.commit()
                .expect("a commit past the hard limit still succeeds");
        }
        reader.execute_batch("COMMIT").expect("end read");
        drop(reader);
        let rows: i64 = writer
            .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            .expect("count");
        assert_eq!(rows, i64::from(HARD_FRAMES / 500 + 2) * 500);
        drop(writer);
        drop(checkpointer);
    }
}
