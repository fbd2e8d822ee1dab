//! What one peer may ask of this node per minute: changes pushed by
//! gossip (the policy's `peer_rate`), reports, and time on the node thread
//! spent on its requests (heads, pages, snapshots, seals, blobs, and
//! checking the heads it sends). Past a limit the peer is answered `busy`
//! (or its gossip ignored) until the minute is over; it is not struck,
//! since an honest peer syncing much may reach one.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use libp2p::PeerId;

use crate::replicator::{Replicator, lock};
use crate::store_actor::JobError;

/// The window limits count in.
pub(crate) const WINDOW: Duration = Duration::from_secs(60);
/// Reports one peer may send per window; more are refused.
pub(crate) const REPORTS_PER_PEER: u32 = 30;
/// Milliseconds of node-thread time answering one peer may take per
/// window: a third of the thread, so that two peers asking without
/// pause still leave room for the rest (an honest peer syncing a
/// 100,000-change feed from this node takes about one second of it).
pub(crate) const SERVE_MS_PER_PEER: u32 = 20_000;
/// Most peers whose counters are kept per kind. When full, the counters of
/// peers whose window is over go first, then those of peers no longer
/// connected: connected peers (at most the connection limit, far fewer)
/// always have room, however many identities came and went.
pub(crate) const MAX_TRACKED_PEERS: usize = 4096;

/// Per-peer counters for one kind of limit.
#[derive(Debug, Default)]
pub(crate) struct Counters(HashMap<PeerId, (Instant, u32)>);

impl Counters {
    /// Counts `n` against `peer`; false when that takes it over `limit`
    /// this window. `connected`: the peers connected now.
    pub(crate) fn count(
        &mut self,
        peer: PeerId,
        n: u32,
        limit: u32,
        connected: &HashSet<PeerId>,
    ) -> bool {
        let now = Instant::now();
        self.make_room(peer, now, connected);
        let entry = self.0.entry(peer).or_insert((now, 0));
        if now.duration_since(entry.0) >= WINDOW {
            *entry = (now, 0);
        }
        entry.1 = entry.1.saturating_add(n);
        entry.1 <= limit
    }

    /// What `peer` used this window.
    pub(crate) fn used(&self, peer: &PeerId) -> u32 {
        self.0
            .get(peer)
            .filter(|(start, _)| start.elapsed() < WINDOW)
            .map_or(0, |(_, n)| *n)
    }

    /// Makes room for `peer`'s counter when the table is full.
    fn make_room(&mut self, peer: PeerId, now: Instant, connected: &HashSet<PeerId>) {
        if self.0.len() < MAX_TRACKED_PEERS || self.0.contains_key(&peer) {
            return;
        }
        self.0
            .retain(|_, (start, _)| now.duration_since(*start) < WINDOW);
        if self.0.len() >= MAX_TRACKED_PEERS {
            self.0.retain(|p, _| connected.contains(p));
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.0.len()
    }
}

/// Per-peer counters, and the policy's rate.
#[derive(Debug)]
pub(crate) struct PeerLimits {
    /// Changes a peer may push per window (the policy's `peer_rate`).
    pub peer_rate: u32,
    /// Changes pushed.
    pub changes: Counters,
    /// Reports sent.
    pub reports: Counters,
    /// Node-thread milliseconds spent answering.
    pub serving: Counters,
    last_delivery: Option<Instant>,
}

impl Default for PeerLimits {
    fn default() -> Self {
        Self {
            peer_rate: kith_store::DEFAULT_PEER_RATE,
            changes: Counters::default(),
            reports: Counters::default(),
            serving: Counters::default(),
            last_delivery: None,
        }
    }
}

/// How often undelivered reports are tried again while peers are connected.
const REPORT_RETRY: Duration = Duration::from_secs(30);

impl PeerLimits {
    /// Whether undelivered reports should be tried again now.
    pub(crate) fn report_retry_due(&mut self) -> bool {
        let due = self
            .last_delivery
            .is_none_or(|t| t.elapsed() >= REPORT_RETRY);
        if due {
            self.last_delivery = Some(Instant::now());
        }
        due
    }
}

impl Replicator {
    /// Counts `n` pushed changes against `peer`: false (drop them, store
    /// nothing) when the peer went over the policy's rate this minute.
    pub(crate) fn within_rate(&self, peer: PeerId, n: usize) -> bool {
        let mut guard = lock(&self.shared);
        let s = &mut *guard;
        let limit = s.limits.peer_rate;
        let n = u32::try_from(n).unwrap_or(u32::MAX);
        let ok = s.limits.changes.count(peer, n, limit, &s.connected);
        if !ok {
            tracing::warn!(%peer, limit, "peer pushes more changes than the rate allows; dropped");
        }
        ok
    }

    /// Counts a report from `peer`: false when it sent too many this minute.
    pub(crate) fn within_report_rate(&self, peer: PeerId) -> bool {
        let mut guard = lock(&self.shared);
        let s = &mut *guard;
        s.limits
            .reports
            .count(peer, 1, REPORTS_PER_PEER, &s.connected)
    }

    /// Runs `f` on the node thread to answer `peer`, counting the time it
    /// takes against the peer's share; [`JobError::Busy`] at once when the
    /// peer used its share this minute or the peer queue is full.
    pub(crate) async fn serve<T: Send + 'static>(
        &self,
        peer: PeerId,
        f: impl FnOnce(&mut kith_node::Node) -> T + Send + 'static,
    ) -> Result<T, JobError> {
        let used = lock(&self.shared).limits.serving.used(&peer);
        if used >= SERVE_MS_PER_PEER {
            tracing::debug!(%peer, used_ms = used, "peer used its share of the node this minute; busy");
            return Err(JobError::Busy);
        }
        let (value, took) = self
            .node
            .remote(peer, move |n| {
                let started = Instant::now();
                let value = f(n);
                (value, started.elapsed())
            })
            .await?;
        let ms = u32::try_from(took.as_millis()).unwrap_or(u32::MAX).max(1);
        let mut guard = lock(&self.shared);
        let s = &mut *guard;
        s.limits.serving.count(peer, ms, u32::MAX, &s.connected);
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_peer_over_its_rate_is_refused_until_the_window_passes_and_others_are_not() {
        let mut counters = Counters::default();
        let none = HashSet::new();
        let (a, b) = (PeerId::random(), PeerId::random());
        assert!(counters.count(a, 5, 10, &none));
        assert!(counters.count(a, 5, 10, &none));
        assert!(!counters.count(a, 1, 10, &none));
        assert_eq!(counters.used(&a), 11);
        assert!(counters.count(b, 10, 10, &none));
        counters
            .0
            .insert(a, (Instant::now().checked_sub(WINDOW).unwrap(), 11));
        assert_eq!(counters.used(&a), 0, "a window that is over counts nothing");
        assert!(counters.count(a, 1, 10, &none));
    }

    #[test]
    fn identities_that_came_and_went_cannot_crowd_out_a_connected_peer() {
        let mut counters = Counters::default();
        let honest = PeerId::random();
        let connected: HashSet<PeerId> = [honest].into();
        // Thousands of identities, each pushing once this minute, fill the table.
        for _ in 0..MAX_TRACKED_PEERS {
            assert!(counters.count(PeerId::random(), 1, 10, &connected));
        }
        assert_eq!(counters.len(), MAX_TRACKED_PEERS);
        assert!(
            counters.count(honest, 1, 10, &connected),
            "a connected peer is counted, not refused, when the table is full"
        );
        assert!(counters.len() <= MAX_TRACKED_PEERS);
        assert_eq!(counters.used(&honest), 1);
        // Its own counter is kept while others come and go.
        for _ in 0..10 {
            assert!(counters.count(PeerId::random(), 1, 10, &connected));
        }
        assert_eq!(
            counters.used(&honest),
            1,
            "the connected peer's count is kept"
        );
        for _ in 0..9 {
            assert!(counters.count(honest, 1, 10, &connected));
        }
        assert!(
            !counters.count(honest, 1, 10, &connected),
            "and its limit still holds"
        );
    }
}
