//! The answers this node owes peers: requests being answered, and answers
//! built but not yet written to the peer (a peer that does not read keeps
//! them in memory until its request times out). One peer may have only so
//! many open at once and hold only so many bytes; all peers together only
//! so many bytes. Past a bound the request is answered `busy` at once, or
//! a built answer is replaced by `busy`, so what answers hold stays under
//! [`MAX_HELD_BYTES`] plus one answer. The byte bounds count and hold back
//! only large answers (pages, snapshots, blobs): peers that hold the bytes
//! cannot keep heads and other small answers from anyone.

use std::collections::HashMap;
use std::hash::Hash;

use libp2p::PeerId;

/// Requests one peer may have open at once, over all its connections (one
/// connection allows as many streams).
pub const MAX_OPEN_PER_PEER: u32 = 16;
/// Bytes of built answers one peer may hold at once (eight full pages).
pub const MAX_HELD_PER_PEER: u64 = 32 * 1024 * 1024;
/// Bytes of built answers all peers may hold at once.
pub const MAX_HELD_BYTES: u64 = 128 * 1024 * 1024;
/// An answer this size or larger is a large one: counted against the byte
/// bounds, and one a peer leaves unread gets it disconnected.
pub const LARGE_ANSWER: u64 = 64 * 1024;

/// What one peer has open.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Owed {
    open: u32,
    bytes: u64,
}

/// Open requests by id (`K`: the request id), per peer, and the bytes held.
#[derive(Debug)]
pub(crate) struct Answering<K> {
    open: HashMap<K, (PeerId, u64)>,
    peers: HashMap<PeerId, Owed>,
    held: u64,
}

impl<K> Default for Answering<K> {
    fn default() -> Self {
        Self {
            open: HashMap::new(),
            peers: HashMap::new(),
            held: 0,
        }
    }
}

impl<K: Hash + Eq> Answering<K> {
    /// Admits request `id` from `peer` (counted open until [`Self::finish`]),
    /// or false when the peer has too many open or holds its share of
    /// bytes: answer it `busy`.
    pub(crate) fn admit(&mut self, peer: PeerId, id: K) -> bool {
        let owed = self.peers.get(&peer).copied().unwrap_or_default();
        if owed.open >= MAX_OPEN_PER_PEER || owed.bytes >= MAX_HELD_PER_PEER {
            return false;
        }
        self.open.insert(id, (peer, 0));
        self.peers.entry(peer).or_default().open += 1;
        true
    }

    /// Holds `bytes` of the built answer to `id` until it is written, or
    /// false when that would take its peer or all peers over the bounds:
    /// send `busy` instead. A small answer, or one to a request not
    /// admitted (one of the small refusals), is not held back.
    pub(crate) fn hold(&mut self, id: &K, bytes: u64) -> bool {
        let Some((peer, held)) = self.open.get_mut(id) else {
            return true;
        };
        if bytes < LARGE_ANSWER {
            return true;
        }
        let owed = self.peers.entry(*peer).or_default();
        if owed.bytes + bytes > MAX_HELD_PER_PEER || self.held + bytes > MAX_HELD_BYTES {
            return false;
        }
        *held += bytes;
        owed.bytes += bytes;
        self.held += bytes;
        true
    }

    /// Request `id` ended: its answer was written, or it failed, timed
    /// out or its connection closed; returns its peer and the bytes its
    /// answer held. Unknown ids are ignored.
    pub(crate) fn finish(&mut self, id: &K) -> Option<(PeerId, u64)> {
        let (peer, bytes) = self.open.remove(id)?;
        self.held -= bytes;
        if let Some(owed) = self.peers.get_mut(&peer) {
            owed.open -= 1;
            owed.bytes -= bytes;
            if owed.open == 0 {
                self.peers.remove(&peer);
            }
        }
        Some((peer, bytes))
    }

    /// Bytes held for all peers.
    pub(crate) fn held(&self) -> u64 {
        self.held
    }

    /// Requests open for all peers.
    pub(crate) fn open(&self) -> usize {
        self.open.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: u64 = 4 * 1024 * 1024;

    #[test]
    fn a_peer_with_as_many_requests_open_as_allowed_is_answered_busy_until_one_ends() {
        let mut a = Answering::default();
        let (peer, other) = (PeerId::random(), PeerId::random());
        for id in 0..MAX_OPEN_PER_PEER {
            assert!(a.admit(peer, id), "request {id} is admitted");
        }
        assert!(!a.admit(peer, 100), "one more is refused");
        assert!(a.admit(other, 101), "another peer is not held back");
        a.finish(&3);
        assert!(a.admit(peer, 102), "after one ends, one more is admitted");
        a.finish(&3);
        assert_eq!(a.open(), MAX_OPEN_PER_PEER as usize + 1, "an id ends once");
    }

    #[test]
    fn built_answers_are_bounded_per_peer_and_in_all_and_freed_when_written() {
        let mut a = Answering::default();
        let per_peer = MAX_HELD_PER_PEER / PAGE;
        let peer = PeerId::random();
        for id in 0..per_peer {
            assert!(a.admit(peer, id));
            assert!(a.hold(&id, PAGE), "page {id} is held");
        }
        assert!(
            !a.admit(peer, 1000),
            "a peer holding its share is not admitted more"
        );
        // Admitted while it held less, two answers cannot both be built.
        a.finish(&0);
        assert!(a.admit(peer, 1001));
        assert!(a.admit(peer, 1002));
        assert!(a.hold(&1001, PAGE));
        assert!(
            !a.hold(&1002, PAGE),
            "no answer is built past the peer's share: busy instead"
        );
        // All peers together: room left for one page.
        let mut id = 2000;
        while a.held() + 2 * PAGE <= MAX_HELD_BYTES {
            assert!(a.admit(PeerId::random(), id));
            assert!(a.hold(&id, PAGE));
            id += 1;
        }
        let late = PeerId::random();
        assert!(a.admit(late, id), "under the bound, a new peer is admitted");
        assert!(
            !a.hold(&id, 2 * PAGE),
            "no answer is built past the bound for all peers"
        );
        assert!(a.hold(&id, PAGE));
        assert_eq!(a.held(), MAX_HELD_BYTES);
        // At the bound, small answers still go to anyone.
        let small = PeerId::random();
        assert!(
            a.admit(small, id + 1),
            "at the bound, a request is admitted"
        );
        assert!(
            a.hold(&(id + 1), LARGE_ANSWER - 1),
            "and a small answer sent"
        );
        assert!(!a.hold(&(id + 1), LARGE_ANSWER), "but not a large one");
        assert_eq!(a.finish(&(id + 1)), Some((small, 0)));
        // Written answers free their bytes.
        for k in 2000..=id {
            a.finish(&k);
        }
        assert_eq!(a.held(), per_peer * PAGE, "the first peer's pages remain");
        a.finish(&1002);
        assert_eq!(
            a.open(),
            per_peer as usize,
            "and only its requests are open"
        );
    }

    #[test]
    fn an_answer_to_a_request_never_admitted_is_not_counted() {
        let mut a: Answering<u32> = Answering::default();
        assert!(a.hold(&7, PAGE));
        a.finish(&7);
        assert_eq!((a.held(), a.open()), (0, 0));
    }
}
