//! Checkpointing the write-ahead log on a thread of its own while the
//! pages of a long sync are stored.
//!
//! SQLite normally checkpoints on the writer's thread, inside the commit
//! that takes the log past 1,000 pages. During a sync the writer is the
//! slowest stage, and those checkpoints were ~9 % of its time; a second
//! connection can copy the log into the database while the writer goes on
//! (a passive checkpoint never blocks the writer), so the writer turns its
//! own checkpoints off for the sync and nudges this thread after each page.

use std::path::Path;
use std::sync::mpsc::{Receiver, SyncSender, TryRecvError, TrySendError, sync_channel};
use std::thread::JoinHandle;

use rusqlite::Connection;

use crate::error::Result;

/// A thread with its own connection that checkpoints when nudged.
pub(crate) struct Checkpointer {
    nudge: Option<SyncSender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Checkpointer {
    /// Opens a second connection to the database at `db` and starts the
    /// thread.
    pub(crate) fn start(db: &Path) -> Result<Self> {
        let conn = Connection::open(db)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        let (nudge, nudged) = sync_channel(1);
        let thread = std::thread::Builder::new()
            .name("kith-checkpoint".into())
            .spawn(move || run(&conn, &nudged))
            .map_err(|e| crate::StoreError::io(db, e))?;
        Ok(Self {
            nudge: Some(nudge),
            thread: Some(thread),
        })
    }

    /// Asks for a checkpoint soon; does nothing if one is already asked for.
    pub(crate) fn nudge(&self) {
        if let Some(nudge) = &self.nudge {
            match nudge.try_send(()) {
                Ok(()) | Err(TrySendError::Full(())) => {}
                Err(TrySendError::Disconnected(())) => {
                    tracing::warn!("the checkpoint thread has stopped");
                }
            }
        }
    }
}

fn run(conn: &Connection, nudged: &Receiver<()>) {
    while nudged.recv().is_ok() {
        // Nudges that came while checkpointing are answered by this one.
        loop {
            match nudged.try_recv() {
                Ok(()) => {}
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => return,
            }
        }
        let started = std::time::Instant::now();
        match conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
            Ok((r.get::<_, i64>(1)?, r.get::<_, i64>(2)?))
        }) {
            Ok((log, copied)) => tracing::trace!(
                log,
                copied,
                ms = started.elapsed().as_millis() as u64,
                "checkpoint"
            ),
            Err(e) => tracing::debug!(error = %e, "checkpoint failed"),
        }
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.nudge = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
