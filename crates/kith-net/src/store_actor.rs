//! The one thread that owns the [`Node`] (and so the SQLite writer).
//! Others send it jobs: local work (the user's own actions and reads)
//! always goes before any other. The rest waits in a `FairQueue` by
//! owner, each peer and this node's own background work taking turns (the
//! node's own at least every other job), so a peer that sends many jobs
//! delays another's by about one of its own. Peer work is refused, not
//! queued without limit, when the node is saturated: the newest job of the
//! peer with the most waiting makes room for a peer with at least two
//! fewer, and a peer with about the most is refused.

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
struct Remote {
    queue: Mutex<FairQueue<Owner, Job>>,
    /// Wakes the node thread when a job is queued.
    ready: Notify,
    /// Set (under the queue's lock) when the node thread ends, normally or
    /// by a panic: nothing is queued after that.
    stopped: AtomicBool,
    /// Room for this node's background jobs (closed when the thread ends).
    background: Arc<Semaphore>,
}

impl Default for Remote {
    fn default() -> Self {
        Self {
            queue: Mutex::default(),
            ready: Notify::new(),
            stopped: AtomicBool::new(false),
            background: Arc::new(Semaphore::new(BACKGROUND_CAPACITY)),
        }
    }
}

impl Remote {
    fn queue(&self) -> std::sync::MutexGuard<'_, FairQueue<Owner, Job>> {
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn stopped(&self) -> bool {
        self.stopped.load(Ordering::SeqCst)
    }

    /// The next job: this node's own when `own_first` and it has one,
    /// else the one whose turn it is.
    fn pop(&self, own_first: bool) -> Option<Job> {
        let mut queue = self.queue();
        if own_first && let Some(job) = queue.pop_of(&Owner::ThisNode) {
            return Some(job);
        }
        queue.pop()
    }

    /// Queues `peer`'s job. When peer work is at its bound, the peer with
    /// the most waiting loses its newest job to make room, if it has at
    /// least two more than this peer (so that two peers never take turns
    /// refusing each other); else this job is refused.
    fn push_peer(&self, peer: PeerId, job: Job) -> Result<(), JobError> {
        let owner = Owner::Peer(peer);
        let refused = {
            let mut queue = self.queue();
            if self.stopped() {
                return Err(JobError::Stopped);
            }
            let background = queue.len_of(&Owner::ThisNode);
            let mut refused = None;
            if queue.len() - background >= REMOTE_CAPACITY {
                let mine = queue.len_of(&owner);
                match queue.longest(|o| matches!(o, Owner::Peer(_))) {
                    Some((longest, n)) if n > mine + 1 => refused = queue.pop_newest(&longest),
                    _ => return Err(JobError::Busy),
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

    fn push_background(&self, job: Job) -> Result<(), JobError> {
        {
            let mut queue = self.queue();
            if self.stopped() {
                return Err(JobError::Stopped);
            }
            queue.push(Owner::ThisNode, job);
        }
        self.ready.notify_one();
        Ok(())
    }

    /// Marks the queue stopped and empties it: the requesters of the jobs
    /// still queued, and of those waiting for room, learn it has stopped.
    fn stop(&self) {
        let left: Vec<Job> = {
            let mut queue = self.queue();
            self.stopped.store(true, Ordering::SeqCst);
            std::iter::from_fn(|| queue.pop()).collect()
        };
        self.background.close();
        drop(left);
    }
}

/// Stops the queue when the node thread ends, however it ends.
struct StopMark(Arc<Remote>);

impl Drop for StopMark {
    fn drop(&mut self) {
        self.0.stop();
    }
}

/// Inside a job: if the job panics, marks the queue stopped before the
/// job's result sender is dropped, so that its requester reads `Stopped`
/// (the thread is going), not `busy`.
struct PanicMark(Arc<Remote>);

impl Drop for PanicMark {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.stopped.store(true, Ordering::SeqCst);
        }
    }
}

impl std::fmt::Debug for Remote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Remote")
            .field("waiting", &self.queue().len())
            .field("stopped", &self.stopped())
            .finish_non_exhaustive()
    }
}

/// A cloneable handle to the node thread.
#[derive(Clone, Debug)]
pub struct NodeHandle {
    local: mpsc::Sender<Job>,
    remote: Arc<Remote>,
}

impl NodeHandle {
    /// Starts the node thread; it stops when every handle is dropped (after
    /// running the work already queued), and the returned join handle
    /// yields the node back. Peer work and this node's own take turns, the
    /// node's own at least every other job while it has some waiting.
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
                    let mut own_first = false;
                    loop {
                        if let Ok(job) = local_rx.try_recv() {
                            job(&mut node);
                            continue;
                        }
                        if let Some(job) = remote.pop(own_first) {
                            own_first = !own_first;
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
                remote,
            },
            thread,
        ))
    }

    /// `f` as a job, and the receiver of its result.
    fn job<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Node) -> T + Send + 'static,
    ) -> (Job, oneshot::Receiver<T>) {
        let (tx, rx) = oneshot::channel();
        let remote = self.remote.clone();
        let job: Job = Box::new(move |node| {
            // Dropped before `tx` (a capture) when `f` panics.
            let _mark = PanicMark(remote);
            let _ = tx.send(f(node));
        });
        (job, rx)
    }

    /// Waits for a queued job's result: a job dropped unrun was refused to
    /// make room (`busy`) unless the node thread has stopped.
    async fn result<T>(&self, rx: oneshot::Receiver<T>) -> Result<T, JobError> {
        rx.await.map_err(|_| {
            if self.remote.stopped() {
                JobError::Stopped
            } else {
                JobError::Busy
            }
        })
    }

    /// Runs the user's work, before any waiting peer work.
    pub async fn local<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Node) -> T + Send + 'static,
    ) -> Result<T, JobError> {
        let (job, rx) = self.job(f);
        self.local.send(job).await.map_err(|_| JobError::Stopped)?;
        rx.await.map_err(|_| JobError::Stopped)
    }

    /// Runs work `peer` asked for, in turn with other peers' work, or fails
    /// with [`JobError::Busy`] at once if too much peer work is waiting and
    /// `peer` has about the most of it.
    pub async fn remote<T: Send + 'static>(
        &self,
        peer: PeerId,
        f: impl FnOnce(&mut Node) -> T + Send + 'static,
    ) -> Result<T, JobError> {
        let (job, rx) = self.job(f);
        self.remote.push_peer(peer, job)?;
        self.result(rx).await
    }

    /// Runs background work this node started (reconciliation, storing
    /// what it pulled), in turn with peers' work, waiting for room if much
    /// of it is queued.
    pub async fn background<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Node) -> T + Send + 'static,
    ) -> Result<T, JobError> {
        let permit = self
            .remote
            .background
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| JobError::Stopped)?;
        let (job, rx) = self.job(move |node| {
            // Room is given back once the job has run (or, dropped unrun,
            // with it).
            drop(permit);
            f(node)
        });
        self.remote.push_background(job)?;
        self.result(rx).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// A node thread held busy by a local job until the returned sender
    /// is used (then the job runs `then`), so that jobs queue up behind it.
    fn held_node(
        home: &std::path::Path,
        then: impl FnOnce() + Send + 'static,
    ) -> (NodeHandle, std::sync::mpsc::Sender<()>) {
        let node = Node::open(home).expect("a node opens in a fresh home");
        let (handle, _thread) = NodeHandle::spawn(node).expect("the node thread starts");
        let (release, held) = std::sync::mpsc::channel::<()>();
        let h = handle.clone();
        tokio::spawn(async move {
            h.local(move |_| {
                let _ = held.recv_timeout(Duration::from_secs(20));
                then();
            })
            .await
        });
        (handle, release)
    }

    #[tokio::test]
    async fn a_peer_flooding_the_node_delays_another_peers_job_by_one_of_its_own_not_by_all() {
        let dir = tempfile::tempdir().expect("a temporary home");
        let (handle, release) = held_node(dir.path(), || {});
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
    async fn this_nodes_own_work_runs_at_least_every_other_job_and_is_never_refused() {
        let dir = tempfile::tempdir().expect("a temporary home");
        let (handle, release) = held_node(dir.path(), || {});
        tokio::time::sleep(Duration::from_millis(50)).await;
        let order = Arc::new(Mutex::new(Vec::new()));
        let mut jobs = Vec::new();
        for (name, peer) in [
            ("a", PeerId::random()),
            ("b", PeerId::random()),
            ("c", PeerId::random()),
        ] {
            for n in 0..20 {
                let (h, order) = (handle.clone(), order.clone());
                jobs.push(tokio::spawn(async move {
                    h.remote(peer, move |_| {
                        order.lock().unwrap().push(format!("{name}{n}"));
                    })
                    .await
                }));
                tokio::task::yield_now().await;
            }
        }
        let mut own = Vec::new();
        for n in 0..3 {
            let (h, order) = (handle.clone(), order.clone());
            own.push(tokio::spawn(async move {
                h.background(move |_| order.lock().unwrap().push(format!("own{n}")))
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
            &order[..7],
            ["a0", "own0", "b0", "own1", "c0", "own2", "a1"],
            "this node's work every other job, the peers' in turn"
        );
    }

    #[tokio::test]
    async fn when_the_node_thread_dies_queued_work_and_work_waiting_for_room_are_told_it_stopped() {
        let dir = tempfile::tempdir().expect("a temporary home");
        let (handle, release) = held_node(dir.path(), || panic!("a job fails (on purpose)"));
        tokio::time::sleep(Duration::from_millis(50)).await;
        let peer = PeerId::random();
        let mut waiting = Vec::new();
        for _ in 0..5 {
            let h = handle.clone();
            waiting.push(tokio::spawn(async move { h.remote(peer, |_| ()).await }));
            tokio::task::yield_now().await;
        }
        // More background jobs than there is room for: three wait for it.
        for _ in 0..BACKGROUND_CAPACITY + 3 {
            let h = handle.clone();
            waiting.push(tokio::spawn(async move { h.background(|_| ()).await }));
            tokio::task::yield_now().await;
        }
        release.send(()).expect("the held job is waiting");
        for w in waiting {
            let result = tokio::time::timeout(Duration::from_secs(10), w)
                .await
                .expect("told within 10 s, not left waiting")
                .expect("its task did not panic");
            assert_eq!(result, Err(JobError::Stopped));
        }
        assert_eq!(handle.remote(peer, |_| ()).await, Err(JobError::Stopped));
        assert_eq!(handle.background(|_| ()).await, Err(JobError::Stopped));
        assert_eq!(handle.local(|_| ()).await, Err(JobError::Stopped));
    }

    #[tokio::test]
    async fn queued_work_runs_and_the_thread_stops_once_every_handle_is_gone() {
        let dir = tempfile::tempdir().expect("a temporary home");
        let node = Node::open(dir.path()).expect("a node opens");
        let (handle, thread) = NodeHandle::spawn(node).expect("the thread starts");
        let (release, held) = std::sync::mpsc::channel::<()>();
        let h = handle.clone();
        let holding = tokio::spawn(async move {
            h.local(move |_| {
                let _ = held.recv_timeout(Duration::from_secs(20));
            })
            .await
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        let ran = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let mut queued = Vec::new();
        for _ in 0..3 {
            let (h, ran) = (handle.clone(), ran.clone());
            queued.push(tokio::spawn(async move {
                h.remote(PeerId::random(), move |_| {
                    ran.fetch_add(1, Ordering::SeqCst);
                })
                .await
            }));
            tokio::task::yield_now().await;
        }
        let remote = handle.remote.clone();
        drop(handle);
        release.send(()).expect("the held job is waiting");
        assert_eq!(holding.await.expect("no panic"), Ok(()));
        for q in queued {
            assert_eq!(q.await.expect("no panic"), Ok(()), "queued work still runs");
        }
        tokio::task::spawn_blocking(move || thread.join())
            .await
            .expect("joined")
            .expect("the node thread ended without a panic");
        assert_eq!(ran.load(Ordering::SeqCst), 3);
        assert!(remote.stopped(), "the thread marks the queue stopped");
    }
}
