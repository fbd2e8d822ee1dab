//! The one thread that owns the [`Node`] (and so the SQLite writer).
//! Others send it jobs on two bounded queues: local work (the user's own
//! actions and reads) always goes before remote work (answering and
//! ingesting what peers send), and remote work is refused, not queued
//! without limit, when the node is saturated.

use kith_node::Node;
use tokio::sync::{mpsc, oneshot};

type Job = Box<dyn FnOnce(&mut Node) + Send>;

/// Jobs from the user waiting at most.
const LOCAL_CAPACITY: usize = 64;
/// Jobs from peers waiting at most.
const REMOTE_CAPACITY: usize = 256;

/// Why a job did not run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum JobError {
    /// The remote queue is full: answer the peer `busy`.
    #[error("the node is busy")]
    Busy,
    /// The node thread has stopped.
    #[error("the node has stopped")]
    Stopped,
}

/// A cloneable handle to the node thread.
#[derive(Clone, Debug)]
pub struct NodeHandle {
    local: mpsc::Sender<Job>,
    remote: mpsc::Sender<Job>,
}

impl NodeHandle {
    /// Starts the node thread; it stops when every handle is dropped, and
    /// the returned join handle yields the node back.
    pub fn spawn(node: Node) -> std::io::Result<(Self, std::thread::JoinHandle<Node>)> {
        let (local_tx, mut local_rx) = mpsc::channel::<Job>(LOCAL_CAPACITY);
        let (remote_tx, mut remote_rx) = mpsc::channel::<Job>(REMOTE_CAPACITY);
        let thread = std::thread::Builder::new()
            .name("kith-node".into())
            .spawn(move || {
                let mut node = node;
                let rt = match tokio::runtime::Builder::new_current_thread().build() {
                    Ok(rt) => rt,
                    Err(e) => {
                        tracing::error!(error = %e, "node thread could not start");
                        return node;
                    }
                };
                rt.block_on(async {
                    loop {
                        let job = tokio::select! {
                            biased;
                            job = local_rx.recv() => job,
                            job = remote_rx.recv() => job,
                        };
                        match job {
                            Some(job) => job(&mut node),
                            None if local_rx.is_closed() && remote_rx.is_closed() => break,
                            None => {}
                        }
                    }
                });
                node
            })?;
        Ok((
            Self {
                local: local_tx,
                remote: remote_tx,
            },
            thread,
        ))
    }

    async fn run<T: Send + 'static>(
        queue: &mpsc::Sender<Job>,
        wait: bool,
        f: impl FnOnce(&mut Node) -> T + Send + 'static,
    ) -> Result<T, JobError> {
        let (tx, rx) = oneshot::channel();
        let job: Job = Box::new(move |node| {
            let _ = tx.send(f(node));
        });
        if wait {
            queue.send(job).await.map_err(|_| JobError::Stopped)?;
        } else {
            queue.try_send(job).map_err(|e| match e {
                mpsc::error::TrySendError::Full(_) => JobError::Busy,
                mpsc::error::TrySendError::Closed(_) => JobError::Stopped,
            })?;
        }
        rx.await.map_err(|_| JobError::Stopped)
    }

    /// Runs the user's work, before any waiting peer work.
    pub async fn local<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Node) -> T + Send + 'static,
    ) -> Result<T, JobError> {
        Self::run(&self.local, true, f).await
    }

    /// Runs work a peer asked for, or fails with [`JobError::Busy`] at once
    /// if too much peer work is waiting.
    pub async fn remote<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Node) -> T + Send + 'static,
    ) -> Result<T, JobError> {
        Self::run(&self.remote, false, f).await
    }

    /// Runs background work this node started (reconciliation), waiting for
    /// room on the peer queue.
    pub async fn background<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Node) -> T + Send + 'static,
    ) -> Result<T, JobError> {
        Self::run(&self.remote, true, f).await
    }
}
