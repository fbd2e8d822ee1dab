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
    /// The thread; it returns how many checkpoints it completed.
    thread: Option<JoinHandle<u64>>,
}

impl Checkpointer {
    /// Starts checkpointing the log of the database at `path` (already in
    /// WAL mode) for `writer`, its store's connection.
    pub(crate) fn start(writer: &mut Connection, path: &Path) -> Result<Self> {
        let reader = Connection::open(path)?;
        reader.busy_timeout(std::time::Duration::from_secs(5))?;
        let (wake, woken) = sync_channel(1);
        let thread = std::thread::Builder::new()
            .name("kith-checkpoint".into())
            .spawn(move || checkpoint_when_woken(&reader, &woken))
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
        Ok(Self {
            wake,
            thread: Some(thread),
        })
    }

    /// Stops the thread (waiting at most for a checkpoint under way) and
    /// returns how many checkpoints it completed.
    fn stop(&mut self) -> u64 {
        // Fails only if the thread is gone already.
        let _ = self.wake.send(Signal::Stop);
        self.thread
            .take()
            .and_then(|thread| thread.join().ok())
            .unwrap_or(0)
    }
}

/// The thread's loop: one PASSIVE checkpoint each time it is woken, until
/// the store closes; returns how many completed.
fn checkpoint_when_woken(conn: &Connection, woken: &Receiver<Signal>) -> u64 {
    let mut done = 0;
    while let Ok(Signal::Grown) = woken.recv() {
        match conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
            Ok(()) => done += 1,
            Err(e) => {
                tracing::debug!(error = %e, "background checkpoint failed; the next commit retries");
            }
        }
    }
    done
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bytes of one frame of the log: a 4 KiB page and its 24-byte header.
    const FRAME: u64 = 4096 + 24;

    /// A database in WAL mode with 4 KiB pages and one table, in `dir`,
    /// checkpointed by a [`Checkpointer`].
    fn logged_database(dir: &Path) -> (Connection, Checkpointer) {
        let path = dir.join("test.db");
        let mut writer = Connection::open(&path).expect("database");
        writer
            .execute_batch(
                "PRAGMA page_size = 4096; PRAGMA journal_mode = WAL;
                 CREATE TABLE t(id INTEGER PRIMARY KEY, b BLOB);",
            )
            .expect("schema");
        let checkpointer = Checkpointer::start(&mut writer, &path).expect("checkpointer");
        (writer, checkpointer)
    }

    /// Commits `rows` rows of ~4 KB (about one frame each) `commits` times,
    /// pausing `pause` after each commit.
    fn commit_rows(writer: &mut Connection, commits: i32, rows: i32, pause: std::time::Duration) {
        let blob = vec![7u8; 4000];
        for _ in 0..commits {
            let tx = writer.transaction().expect("transaction");
            for _ in 0..rows {
                tx.execute("INSERT INTO t(b) VALUES (?1)", [&blob])
                    .expect("insert");
            }
            tx.commit().expect("a commit succeeds");
            std::thread::sleep(pause);
        }
    }

    fn row_count(conn: &Connection) -> i64 {
        conn.query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            .expect("count")
    }

    #[test]
    fn a_long_burst_of_commits_is_checkpointed_by_the_thread_and_the_log_stays_small() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let (mut writer, mut checkpointer) = logged_database(dir.path());
        // 30 commits of ~200 frames each: ~6,000 frames in all, below
        // HARD_FRAMES, so only the thread can have kept the log short.
        commit_rows(&mut writer, 30, 200, std::time::Duration::from_millis(20));
        let wal = std::fs::metadata(dir.path().join("test.db-wal"))
            .expect("log")
            .len();
        assert!(
            wal < 3000 * FRAME,
            "the log grew to {} frames: it was not restarted after the thread's checkpoints (6,000 frames were written)",
            wal / FRAME
        );
        assert_eq!(row_count(&writer), 6000, "every committed row is there");
        assert!(
            checkpointer.stop() >= 1,
            "the thread never checkpointed the log"
        );
    }

    #[test]
    fn commits_past_the_hard_limit_succeed_while_a_reader_keeps_every_checkpoint_from_finishing() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let (mut writer, _checkpointer) = logged_database(dir.path());
        // A reader holding its snapshot open keeps every checkpoint from
        // finishing, as a thread that never catches up would.
        let reader = Connection::open(dir.path().join("test.db")).expect("reader");
        reader.execute_batch("BEGIN").expect("begin");
        assert_eq!(row_count(&reader), 0);
        let commits = HARD_FRAMES / 500 + 2;
        commit_rows(&mut writer, commits, 500, std::time::Duration::ZERO);
        reader.execute_batch("COMMIT").expect("end read");
        drop(reader);
        assert_eq!(row_count(&writer), i64::from(commits) * 500);
    }
}
