//! The peers a node keeps dialling while they are not connected: those it
//! was given (`--bootstrap`, `kith connect`, an invite), those remembered
//! from earlier sessions, and those met in this one.
//!
//! Anyone can connect with as many peer ids as they like and announce dead
//! addresses, so the list is bounded ([`MAX_KNOWN_PEERS`], the least
//! recently seen forgotten first, given peers never), and redialling
//! prefers the peers most likely to answer: given ones, then those this
//! node reached by dialling them in this session, then the remembered
//! ones, and last those only ever seen dialling in (or named by the DHT).
//! A peer of the last two kinds that does not answer waits longer before
//! each next dial (2 s, doubling, at most [`MAX_RETRY_REMEMBERED`] or
//! [`MAX_RETRY`]); the first two are dialled at every tick, as long as
//! they are not connected.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use libp2p::{Multiaddr, PeerId};

use crate::swarm::Found;

/// Most peers kept (given ones are never forgotten, so there may be more).
pub(crate) const MAX_KNOWN_PEERS: usize = 256;
/// Addresses kept per peer.
pub(crate) const MAX_ADDRS: usize = 8;
/// Most peers dialled at one tick.
pub(crate) const REDIAL_PER_TICK: usize = 16;
/// The first wait before dialling again a peer that did not answer.
const FIRST_RETRY: Duration = Duration::from_secs(2);
/// The longest wait before dialling again a remembered peer that did not
/// answer.
pub(crate) const MAX_RETRY_REMEMBERED: Duration = Duration::from_secs(60);
/// The longest wait before dialling again a peer never reached by a dial
/// (its addresses are its own word: a few hundred such peers must not
/// keep every outgoing connection slot busy with dials that time out).
pub(crate) const MAX_RETRY: Duration = Duration::from_secs(300);

/// How much a peer is trusted to answer a dial, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Standing {
    /// Given by the user or the command line.
    Given,
    /// Reached by dialling it, in this session.
    Reached,
    /// Remembered from an earlier session.
    Remembered,
    /// Only seen dialling in, or named by the DHT: its addresses are its
    /// own word.
    Unproven,
}

#[derive(Debug)]
struct Known {
    addrs: Vec<Multiaddr>,
    found: Found,
    given: bool,
    remembered: bool,
    reached: bool,
    /// When it was last connected, identified or disconnected.
    seen: Instant,
    /// Dials since it was last connected.
    failures: u32,
    /// When it may be dialled again.
    next_dial: Instant,
    /// When it was last dialled.
    last_dial: Option<Instant>,
}

impl Known {
    fn new(found: Found, now: Instant) -> Self {
        Self {
            addrs: Vec::new(),
            found,
            given: false,
            remembered: false,
            reached: false,
            seen: now,
            failures: 0,
            next_dial: now,
            last_dial: None,
        }
    }

    fn standing(&self) -> Standing {
        if self.given {
            Standing::Given
        } else if self.reached {
            Standing::Reached
        } else if self.remembered {
            Standing::Remembered
        } else {
            Standing::Unproven
        }
    }

    /// Puts `addrs` first, then the addresses it had, at most [`MAX_ADDRS`].
    fn learn(&mut self, addrs: &[Multiaddr]) {
        let mut merged: Vec<Multiaddr> = Vec::with_capacity(MAX_ADDRS);
        for a in addrs.iter().chain(self.addrs.iter()) {
            if merged.len() >= MAX_ADDRS {
                break;
            }
            if !merged.contains(a) {
                merged.push(a.clone());
            }
        }
        self.addrs = merged;
    }
}

/// The wait after `failures` dials that did not connect, at most `most`.
fn backoff(failures: u32, most: Duration) -> Duration {
    let doublings = failures.saturating_sub(1).min(16);
    FIRST_RETRY.saturating_mul(1 << doublings).min(most)
}

/// The peers to keep dialling.
#[derive(Debug, Default)]
pub(crate) struct KnownPeers {
    peers: HashMap<PeerId, Known>,
}

impl KnownPeers {
    /// How many peers are kept.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.peers.len()
    }

    /// The addresses kept for `peer`.
    pub(crate) fn addrs(&self, peer: &PeerId) -> Vec<Multiaddr> {
        self.peers
            .get(peer)
            .map(|k| k.addrs.clone())
            .unwrap_or_default()
    }

    /// `peer` was given at `addr` (`--bootstrap`, `kith connect`): it is
    /// dialled whenever it is not connected, and never forgotten.
    pub(crate) fn give(
        &mut self,
        peer: PeerId,
        addr: Multiaddr,
        now: Instant,
        connected: &HashSet<PeerId>,
    ) {
        let known = self
            .peers
            .entry(peer)
            .or_insert_with(|| Known::new(Found::Dialled, now));
        known.given = true;
        known.found = Found::Dialled;
        known.learn(&[addr]);
        known.next_dial = now;
        self.evict(connected);
    }

    /// `peer` was remembered from an earlier session at `addrs`.
    pub(crate) fn remembered(
        &mut self,
        peer: PeerId,
        addrs: &[Multiaddr],
        now: Instant,
        connected: &HashSet<PeerId>,
    ) {
        let known = self
            .peers
            .entry(peer)
            .or_insert_with(|| Known::new(Found::Remembered, now));
        known.remembered = true;
        known.learn(addrs);
        self.evict(connected);
    }

    /// `peer` identified itself with `addrs`; `reached` when this node
    /// dialled it and the dial connected.
    pub(crate) fn identified(
        &mut self,
        peer: PeerId,
        addrs: &[Multiaddr],
        reached: bool,
        now: Instant,
        connected: &HashSet<PeerId>,
    ) {
        let known = self
            .peers
            .entry(peer)
            .or_insert_with(|| Known::new(Found::Remembered, now));
        known.reached |= reached;
        known.seen = now;
        known.failures = 0;
        known.learn(addrs);
        self.evict(connected);
    }

    /// `peer` connected: it answered, so its next disconnection is
    /// followed by a dial at once.
    pub(crate) fn connected(&mut self, peer: &PeerId, now: Instant) {
        if let Some(known) = self.peers.get_mut(peer) {
            known.seen = now;
            known.failures = 0;
        }
    }

    /// `peer`'s last connection closed: dial it again at the next tick.
    pub(crate) fn disconnected(&mut self, peer: &PeerId, now: Instant) {
        if let Some(known) = self.peers.get_mut(peer) {
            known.seen = now;
            known.failures = 0;
            known.next_dial = now;
        }
    }

    /// The peers to dial now (at most `limit`), best first: not connected,
    /// due, by standing, then the one dialled longest ago. Each is counted
    /// as dialled at `now`.
    pub(crate) fn due(
        &mut self,
        now: Instant,
        connected: &HashSet<PeerId>,
        limit: usize,
    ) -> Vec<(PeerId, Vec<Multiaddr>, Found)> {
        let mut due: Vec<(Standing, Option<Instant>, PeerId)> = self
            .peers
            .iter()
            .filter(|(p, k)| !connected.contains(p) && k.next_dial <= now)
            .map(|(p, k)| (k.standing(), k.last_dial, *p))
            .collect();
        due.sort_unstable();
        due.truncate(limit);
        let mut out = Vec::with_capacity(due.len());
        for (standing, _, peer) in due {
            let Some(known) = self.peers.get_mut(&peer) else {
                continue;
            };
            known.last_dial = Some(now);
            known.failures = known.failures.saturating_add(1);
            known.next_dial = match standing {
                Standing::Given | Standing::Reached => now,
                Standing::Remembered => now + backoff(known.failures, MAX_RETRY_REMEMBERED),
                Standing::Unproven => now + backoff(known.failures, MAX_RETRY),
            };
            out.push((peer, known.addrs.clone(), known.found));
        }
        out
    }

    /// Forgets the worst peers past [`MAX_KNOWN_PEERS`]: unproven before
    /// remembered before reached, the least recently seen first; never a
    /// given or connected one.
    fn evict(&mut self, connected: &HashSet<PeerId>) {
        while self.peers.len() > MAX_KNOWN_PEERS {
            let worst = self
                .peers
                .iter()
                .filter(|(p, k)| !k.given && !connected.contains(p))
                .max_by_key(|(_, k)| (k.standing(), std::cmp::Reverse(k.seen)))
                .map(|(p, _)| *p);
            match worst {
                Some(peer) => {
                    self.peers.remove(&peer);
                }
                None => break,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn addr(n: u16) -> Multiaddr {
        format!("/ip4/10.0.0.1/tcp/{n}").parse().unwrap()
    }

    #[test]
    fn hundreds_of_peers_seen_dialling_in_do_not_crowd_out_given_remembered_and_reached_ones() {
        let now = Instant::now();
        let none = HashSet::new();
        let mut known = KnownPeers::default();
        let (given, remembered, reached) = (PeerId::random(), PeerId::random(), PeerId::random());
        known.remembered(remembered, &[addr(1)], now, &none);
        known.identified(reached, &[addr(2)], true, now, &none);
        // Fakes identified later (more recently seen), announcing dead addresses.
        let later = now + Duration::from_secs(1);
        for i in 0..600 {
            known.identified(PeerId::random(), &[addr(1000 + i)], false, later, &none);
        }
        known.give(given, addr(3), later, &none);
        assert_eq!(known.len(), MAX_KNOWN_PEERS, "the list is bounded");

        let first: Vec<PeerId> = known
            .due(later, &none, REDIAL_PER_TICK)
            .into_iter()
            .map(|(p, _, _)| p)
            .collect();
        assert_eq!(first.len(), REDIAL_PER_TICK);
        assert_eq!(
            first[..3],
            [given, reached, remembered],
            "the given, reached and remembered peers are dialled first, in that order"
        );
    }

    #[test]
    fn peers_that_do_not_answer_wait_longer_each_time_but_given_and_reached_ones_do_not() {
        let now = Instant::now();
        let none = HashSet::new();
        let mut known = KnownPeers::default();
        let (given, reached, stranger) = (PeerId::random(), PeerId::random(), PeerId::random());
        known.give(given, addr(1), now, &none);
        known.identified(reached, &[addr(2)], true, now, &none);
        known.identified(stranger, &[addr(3)], false, now, &none);

        let peers = |v: Vec<(PeerId, Vec<Multiaddr>, Found)>| -> HashSet<PeerId> {
            v.into_iter().map(|(p, _, _)| p).collect()
        };
        assert_eq!(
            peers(known.due(now, &none, 16)),
            HashSet::from([given, reached, stranger])
        );
        // One tick later only the given and reached peers are due; the
        // stranger waits 2 s, then 4 s after its next dial.
        let tick = now + Duration::from_millis(500);
        assert_eq!(
            peers(known.due(tick, &none, 16)),
            HashSet::from([given, reached])
        );
        let t2 = now + FIRST_RETRY;
        assert!(peers(known.due(t2, &none, 16)).contains(&stranger));
        assert!(!peers(known.due(t2 + Duration::from_secs(3), &none, 16)).contains(&stranger));
        assert!(peers(known.due(t2 + 2 * FIRST_RETRY, &none, 16)).contains(&stranger));
        assert_eq!(backoff(40, MAX_RETRY), MAX_RETRY, "the wait is bounded");

        // Once it connects and leaves, it is dialled again at once.
        let back = t2 + 3 * FIRST_RETRY;
        known.connected(&stranger, back);
        known.disconnected(&stranger, back);
        assert!(peers(known.due(back, &none, 16)).contains(&stranger));
    }

    #[test]
    fn when_more_are_due_than_a_tick_dials_the_ones_dialled_longest_ago_go_first() {
        let now = Instant::now();
        let none = HashSet::new();
        let mut known = KnownPeers::default();
        let all: Vec<PeerId> = (0..20u16)
            .map(|i| {
                let p = PeerId::random();
                known.identified(p, &[addr(i)], true, now, &none);
                p
            })
            .collect();
        let first: HashSet<PeerId> = known.due(now, &none, 16).into_iter().map(|d| d.0).collect();
        let second: HashSet<PeerId> = known
            .due(now + Duration::from_secs(2), &none, 16)
            .into_iter()
            .map(|d| d.0)
            .collect();
        let left_out: HashSet<PeerId> =
            all.iter().copied().filter(|p| !first.contains(p)).collect();
        assert_eq!(left_out.len(), 4);
        assert!(
            left_out.is_subset(&second),
            "the peers the first tick left out are dialled at the next"
        );
    }

    #[test]
    fn connected_and_given_peers_are_never_forgotten_and_the_least_recently_seen_go_first() {
        let now = Instant::now();
        let mut known = KnownPeers::default();
        let (given, connected_peer, oldest) =
            (PeerId::random(), PeerId::random(), PeerId::random());
        let connected = HashSet::from([connected_peer]);
        known.give(given, addr(1), now, &connected);
        known.identified(connected_peer, &[addr(2)], false, now, &connected);
        known.identified(oldest, &[addr(3)], false, now, &connected);
        for i in 0..(MAX_KNOWN_PEERS as u16 * 2) {
            let at = now + Duration::from_millis(u64::from(i) + 1);
            known.identified(PeerId::random(), &[addr(10 + i)], false, at, &connected);
        }
        assert_eq!(known.len(), MAX_KNOWN_PEERS);
        assert!(!known.addrs(&given).is_empty());
        assert!(!known.addrs(&connected_peer).is_empty());
        assert!(
            known.addrs(&oldest).is_empty(),
            "the least recently seen went first"
        );
    }

    #[test]
    fn a_peer_keeps_at_most_eight_addresses_the_newest_first() {
        let now = Instant::now();
        let none = HashSet::new();
        let mut known = KnownPeers::default();
        let peer = PeerId::random();
        let many: Vec<Multiaddr> = (0..20).map(addr).collect();
        known.identified(peer, &many, true, now, &none);
        assert_eq!(known.addrs(&peer), many[..MAX_ADDRS]);
        known.identified(peer, &[addr(99)], true, now, &none);
        assert_eq!(known.addrs(&peer)[0], addr(99));
        assert_eq!(known.addrs(&peer).len(), MAX_ADDRS);
    }
}
