//! The one thread that owns the [`Node`] (and so the SQLite writer).
//! Others send it jobs: local work (the user's own actions and reads)
//! always goes before any other. The rest waits in a [`FairQueue`] by
//! owner, each peer and this node's own background work taking turns, so
//! a peer that sends many jobs delays another's by at most one of its own.
//! Peer work is refused, not queued without limit, when the node is
//! saturated: the newest job of the peer with the most waiting makes room
//! for a peer with fewer, and only the longest queue is refused.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use kith_node::Node;
use libp2p::PeerId;
use tokio::sync::{Notify, Semaphore, mpsc, oneshot};

use crate::fair_queue::FairQueue;

type Job = Box<dyn FnOnce(&mut Node) + Send>;

/// Jobs from the user waiting at most.
const LOCAL_CAPACITY: usize = 64;
/// Jobs from peers waiting at most, all peers together.
const REMOTE_CAPACITY: usize = 256;
/// This node's own background jobs waiting at most (more wait for room).
const BACKGROUND_CAPACITY: usize = 256;

/// Why a job did not run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum JobError {
    /// Too much peer work waits: answer the peer `busy`.
    #[error("the node is busy")]
    Busy,
    /// The node thread has stopped.
    #[error("the node has stopped")]
    Stopped,
}

/// Whose work a queued job is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Owner {
    /// Work this node started (reconciliation, storing what it pulled).
    ThisNode,
    /// Work a peer asked for or sent.
    Peer(PeerId),
}

/// The queue of non-local jobs, shared by the handles and the thread.
#[derive(Default)]
struct Remote {
    queue: Mutex<FairQueue<Owner, Job>>,
    /// Wakes the node thread when a job is queued or the last handle goes.
    ready: Notify,
    /// Set when the node thread has ended (normally or by a panic).
    stopped: AtomicBool,
}

impl Remote {
    fn queue(&self) -> std::sync::MutexGuard<'_, FairQueue<Owner, Job>> {
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn pop(&self) -> Option<Job> {
        self.queue().pop()
    }

    /// Queues `peer`'s job, making room when peer work is at its bound by
    /// dropping the newest job of the peer with the most waiting, if that
    /// is more than this peer would then have. Gives the job back when
    /// there is no room for it.
    fn push_peer(&self, peer: PeerId, job: Job) -> Result<(), Job> {
        let owner = Owner::Peer(peer);
        let refused = {
            let mut queue = self.queue();
            let background = queue.len_of(&Owner::ThisNode);
            let mut refused = None;
            if queue.len() - background >= REMOTE_CAPACITY {
                let mine = queue.len_of(&owner);
                match queue.longest(|o| matches!(o, Owner::Peer(_))) {
                    Some((longest, n)) if n > mine + 1 => refused = queue.pop_newest(&longest),
                    _ => return Err(job),
                }
            }
            queue.push(owner, job);
            refused
        };
        // Dropped outside the lock: its requester is told `busy`.
        drop(refused);
        self.ready.notify_one();
        Ok(())
    }

    fn push_background(&self, job: Job) {
        self.queue().push(Owner::ThisNode, job);
        self.ready.notify_one();
    }
}

/// Marks the queue stopped when the node thread ends, however it ends.
struct StopMark(Arc<Remote>);

impl Drop for StopMark {
    fn drop(&mut self) {
        self.0.stopped.store(true, Ordering::SeqCst);
        // Jobs still queued can no longer run: their requesters learn so.
        while self.0.pop().is_some() {}
    }
}

/// Wakes the node thread when the last handle is dropped, so that it can
/// finish the queued work and stop.
#[derive(Debug)]
struct LastHandle(Arc<Remote>);

impl Drop for LastHandle {
    fn drop(&mut self) {
        self.0.ready.notify_one();
    }
}

impl std::fmt::Debug for Remote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Remote")
            .field("waiting", &self.queue().len())
            .finish_non_exhaustive()
    }
}

/// A cloneable handle to the node thread.
#[derive(Clone, Debug)]
pub struct NodeHandle {
    local: mpsc::Sender<Job>,
    remote: Arc<Remote>,
    /// Room for this node's background jobs.
    background: Arc<Semaphore>,
    _last: Arc<LastHandle>,
}

impl NodeHandle {
    /// Starts the node thread; it stops when every handle is dropped (after
    /// running the work already queued), and the returned join handle
    /// yields the node back.
    pub fn spawn(node: Node) -> std::io::Result<(Self, std::thread::JoinHandle<Node>)> {
        let (local_tx, mut local_rx) = mpsc::channel::<Job>(LOCAL_CAPACITY);
        let remote = Arc::new(Remote::default());
        let mark = StopMark(remote.clone());
        let thread = std::thread::Builder::new()
            .name("kith-node".into())
            .spawn(move || {
                let mark = mark;
                let remote = &mark.0;
                let mut node = node;
                let rt = match tokio::runtime::Builder::new_current_thread().build() {
                    Ok(rt) => rt,
                    Err(e) => {
                        tracing::error!(error = %e, "node thread could not start");
                        return node;
                    }
                };
                rt.block_on(async {
                    let mut local_open = true;
                    loop {
                        if let Ok(job) = local_rx.try_recv() {
                            job(&mut node);
                            continue;
                        }
                        if let Some(job) = remote.pop() {
                            job(&mut node);
                            continue;
                        }
                        if !local_open {
                            // Every handle is gone and nothing is queued.
                            break;
                        }
                        tokio::select! {
                            biased;
                            job = local_rx.recv() => match job {
                                Some(job) => job(&mut node),
                                None => local_open = false,
                            },
                            () = remote.ready.notified() => {}
                        }
                    }
                });
                node
            })?;
        Ok((
            Self {
                local: local_tx,
                remote: remote.clone(),
                background: Arc::new(Semaphore::new(BACKGROUND_CAPACITY)),
                _last: Arc::new(LastHandle(remote)),
            },
            thread,
        ))
    }

    /// `f` as a job, and the receiver of its result.
    fn job<T: Send + 'static>(
        f: impl FnOnce(&mut Node) -> T + Send + 'static,
    ) -> (Job, oneshot::Receiver<T>) {
        let (tx, rx) = oneshot::channel();
        let job: Job = Box::new(move |node| {
            let _ = tx.send(f(node));
        });
        (job, rx)
    }

    /// Waits for a queued job's result: a job dropped unrun was refused to
    /// make room (`busy`) unless the node thread has stopped.
    async fn result<T>(&self, rx: oneshot::Receiver<T>) -> Result<T, JobError> {
        rx.await.map_err(|_| {
            if self.remote.stopped.load(Ordering::SeqCst) {
                JobError::Stopped
            } else {
                JobError::Busy
            }
        })
    }

    fn ensure_running(&self) -> Result<(), JobError> {
        if self.remote.stopped.load(Ordering::SeqCst) {
            return Err(JobError::Stopped);
        }
        Ok(())
    }

    /// Runs the user's work, before any waiting peer work.
    pub async fn local<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Node) -> T + Send + 'static,
    ) -> Result<T, JobError> {
        let (job, rx) = Self::job(f);
        self.local.send(job).await.map_err(|_| JobError::Stopped)?;
        rx.await.map_err(|_| JobError::Stopped)
    }

    /// Runs work `peer` asked for, in turn with other peers' work, or fails
    /// with [`JobError::Busy`] at once if too much peer work is waiting and
    /// `peer` is the one with the most of it.
    pub async fn remote<T: Send + 'static>(
        &self,
        peer: PeerId,
        f: impl FnOnce(&mut Node) -> T + Send + 'static,
    ) -> Result<T, JobError> {
        self.ensure_running()?;
        let (job, rx) = Self::job(f);
        self.remote
            .push_peer(peer, job)
            .map_err(|_| JobError::Busy)?;
        self.result(rx).await
    }

    /// Runs background work this node started (reconciliation), in turn
    /// with peers' work, waiting for room if much of it is queued.
    pub async fn background<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Node) -> T + Send + 'static,
    ) -> Result<T, JobError> {
        self.ensure_running()?;
        let permit = self
            .background
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| JobError::Stopped)?;
        let (job, rx) = Self::job(move |node| {
            drop(permit);
            f(node)
        });
        self.remote.push_background(job);
        self.result(rx).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// A node thread held busy by a local job until the returned sender
    /// is used, so that jobs queue up behind it.
    fn held_node(home: &std::path::Path) -> (NodeHandle, std::sync::mpsc::Sender<()>) {
        let node = Node::open(home).expect("a node opens in a fresh home");
        let (handle, _thread) = NodeHandle::spawn(node).expect("the node thread starts");
        let (release, held) = std::sync::mpsc::channel::<()>();
        let h = handle.clone();
        tokio::spawn(async move {
            h.local(move |_| {
                let _ = held.recv_timeout(Duration::from_secs(20));
            })
            .await
        });
        (handle, release)
    }

    #[tokio::test]
    async fn a_peer_flooding_the_node_delays_another_peers_job_by_one_of_its_own_not_by_all() {
        let dir = tempfile::tempdir().expect("a temporary home");
        let (handle, release) = held_node(dir.path());
        tokio::time::sleep(Duration::from_millis(50)).await;
        let (flooder, honest) = (PeerId::random(), PeerId::random());
        let order = Arc::new(Mutex::new(Vec::new()));
        let mut flood = Vec::new();
        for n in 0..REMOTE_CAPACITY + 40 {
            let (h, order) = (handle.clone(), order.clone());
            flood.push(tokio::spawn(async move {
                h.remote(flooder, move |_| {
                    order.lock().unwrap().push(format!("flood {n}"));
                })
                .await
            }));
            tokio::task::yield_now().await;
        }
        let (h, o) = (handle.clone(), order.clone());
        let honest_job = tokio::spawn(async move {
            h.remote(honest, move |_| o.lock().unwrap().push("honest".to_owned()))
                .await
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        release.send(()).expect("the held job is waiting");
        assert_eq!(
            tokio::time::timeout(Duration::from_secs(20), honest_job)
                .await
                .expect("the honest peer's job ran in time")
                .expect("its task did not panic"),
            Ok(()),
            "the honest peer is served although the flooder filled the queue"
        );
        let mut busy = 0;
        for f in flood {
            if f.await.expect("a flood task did not panic") == Err(JobError::Busy) {
                busy += 1;
            }
        }
        let order = order.lock().unwrap().clone();
        let honest_at = order.iter().position(|o| o == "honest");
        assert_eq!(
            honest_at,
            Some(1),
            "the honest job runs after one flooder job, not after the {} before it: {:?}",
            order.len() - 1,
            &order[..order.len().min(4)]
        );
        assert_eq!(
            busy,
            40 + 1,
            "the flooder's jobs past the bound are busy, and one more made room for the honest peer"
        );
        assert_eq!(order.len(), REMOTE_CAPACITY, "every job kept ran");
    }

    #[tokio::test]
    async fn background_work_takes_its_turn_among_peers_and_is_never_refused() {
        let dir = tempfile::tempdir().expect("a temporary home");
        let (handle, release) = held_node(dir.path());
        tokio::time::sleep(Duration::from_millis(50)).await;
        let peer = PeerId::random();
        let order = Arc::new(Mutex::new(Vec::new()));
        let mut jobs = Vec::new();
        for n in 0..REMOTE_CAPACITY {
            let (h, order) = (handle.clone(), order.clone());
            jobs.push(tokio::spawn(async move {
                h.remote(peer, move |_| {
                    order.lock().unwrap().push(format!("peer {n}"));
                })
                .await
            }));
            tokio::task::yield_now().await;
        }
        let mut own = Vec::new();
        for n in 0..3 {
            let (h, order) = (handle.clone(), order.clone());
            own.push(tokio::spawn(async move {
                h.background(move |_| order.lock().unwrap().push(format!("own {n}")))
                    .await
            }));
            tokio::task::yield_now().await;
        }
        release.send(()).expect("the held job is waiting");
        for o in own {
            assert_eq!(
                o.await.expect("no panic"),
                Ok(()),
                "background work is not refused"
            );
        }
        for j in jobs {
            assert_eq!(
                j.await.expect("no panic"),
                Ok(()),
                "nothing was over the bound"
            );
        }
        let order = order.lock().unwrap().clone();
        assert_eq!(
            &order[..6],
            ["peer 0", "own 0", "peer 1", "own 1", "peer 2", "own 2"],
            "this node's work alternates with the peer's"
        );
    }

    #[tokio::test]
    async fn queued_work_runs_before_the_thread_stops_and_after_that_jobs_are_refused_as_stopped() {
        let dir = tempfile::tempdir().expect("a temporary home");
        let node = Node::open(dir.path()).expect("a node opens");
        let (handle, thread) = NodeHandle::spawn(node).expect("the thread starts");
        let ran = Arc::new(AtomicBool::new(false));
        let r = ran.clone();
        let h = handle.clone();
        let job = tokio::spawn(async move {
            h.remote(PeerId::random(), move |_| r.store(true, Ordering::SeqCst))
                .await
        });
        assert_eq!(job.await.expect("no panic"), Ok(()));
        let remote = handle.remote.clone();
        drop(handle);
        tokio::task::spawn_blocking(move || thread.join())
            .await
            .expect("joined")
            .expect("the node thread ended without a panic");
        assert!(ran.load(Ordering::SeqCst));
        assert!(
            remote.stopped.load(Ordering::SeqCst),
            "the thread marks the queue stopped"
        );
    }
}
