//! The peers mDNS found on the LAN, connected or not, for the peers screen
//! and `kith peers`: a peer found but never connected (its firewall, another
//! Kith version) would otherwise show nowhere. A peer not connected is
//! dialled again after 2, 4, 8 … seconds (at most [`MAX_RETRY`] apart):
//! libp2p's mDNS reports a peer only when first heard, so without this a
//! failed dial would not be tried again until the node restarted.
//!
//! Anyone on the LAN can announce as many peer ids as they like, so the
//! list is bounded: [`MAX_LAN_PEERS`] peers of [`MAX_ADDRS`] addresses each,
//! and a dial error kept to [`MAX_ERROR_CHARS`] characters.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use libp2p::multiaddr::Protocol;
use libp2p::{Multiaddr, PeerId};
use serde::Serialize;

/// Peers kept; announcements of further peers are not listed (they are
/// still dialled as before).
pub const MAX_LAN_PEERS: usize = 64;
/// Addresses kept per peer.
pub const MAX_ADDRS: usize = 8;
/// Characters kept of a dial error.
pub const MAX_ERROR_CHARS: usize = 300;
/// The longest wait before dialling a LAN peer that is not connected again.
pub const MAX_RETRY: Duration = Duration::from_secs(60);
/// The first wait.
const FIRST_RETRY: Duration = Duration::from_secs(2);

/// Where a peer found on the LAN stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum LanState {
    /// Connected now.
    Connected,
    /// Not connected, and no dial has failed since it was found (one is
    /// under way, or starts at its next announcement).
    Connecting,
    /// The last dial failed (`error` says why); it is tried again at its
    /// next announcement.
    Unreachable,
    /// Disconnected for breaking the protocol, and not dialled for a while.
    Banned,
}

/// A peer mDNS found on the LAN.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct LanPeer {
    /// Its peer id.
    pub peer_id: String,
    /// The addresses it announced (at most [`MAX_ADDRS`]), without the
    /// trailing `/p2p/<peer id>`: dial `<addr>/p2p/<peer_id>`.
    pub addrs: Vec<String>,
    /// Where it stands.
    pub state: LanState,
    /// Why the last dial failed, while `state` is `unreachable`.
    pub error: Option<String>,
    /// Whose computer it is: the account whose feed, held here, names this
    /// peer's key as one of its devices' network keys.
    pub account: Option<String>,
    /// That account's display name, if known.
    pub name: Option<String>,
}

/// What mDNS found on the LAN.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct LanPeers {
    /// Whether this node looks for peers on the LAN (mDNS) at all.
    pub enabled: bool,
    /// The peers found, sorted by peer id.
    pub peers: Vec<LanPeer>,
}

#[derive(Debug, Default)]
struct Entry {
    addrs: Vec<Multiaddr>,
    error: Option<String>,
    /// Dials failed in a row since the last connection.
    failures: u32,
    /// When to dial again if still not connected (`None`: at the next call
    /// of [`LanTable::due`]).
    retry_at: Option<Instant>,
}

/// The peers mDNS announced and has not yet expired.
#[derive(Debug, Default)]
pub struct LanTable {
    peers: HashMap<PeerId, Entry>,
}

impl LanTable {
    /// mDNS announced `peer` at `addrs`. Returns whether it is listed (false
    /// once the table is full of other peers).
    pub fn found(&mut self, peer: PeerId, addrs: &[Multiaddr]) -> bool {
        if !self.peers.contains_key(&peer) && self.peers.len() >= MAX_LAN_PEERS {
            return false;
        }
        let entry = self.peers.entry(peer).or_default();
        for a in addrs {
            if entry.addrs.len() >= MAX_ADDRS {
                break;
            }
            let a = without_id(a, &peer);
            if !entry.addrs.contains(&a) {
                entry.addrs.push(a);
            }
        }
        true
    }

    /// mDNS's record of `peer` at `addr` expired; a peer with no address
    /// left leaves the list.
    pub fn expired(&mut self, peer: &PeerId, addr: &Multiaddr) {
        if let Some(entry) = self.peers.get_mut(peer) {
            let addr = without_id(addr, peer);
            entry.addrs.retain(|a| *a != addr);
            if entry.addrs.is_empty() {
                self.peers.remove(peer);
            }
        }
    }

    /// The peers listed.
    pub fn peer_ids(&self) -> impl Iterator<Item = &PeerId> {
        self.peers.keys()
    }

    /// A dial of `peer` failed at `now` with `error` (kept if the peer is
    /// listed); the next waits longer.
    pub fn dial_failed(&mut self, peer: &PeerId, error: &str, now: Instant) {
        if let Some(entry) = self.peers.get_mut(peer) {
            entry.error = Some(truncate(error.trim(), MAX_ERROR_CHARS));
            entry.failures = entry.failures.saturating_add(1);
            entry.retry_at = Some(now + backoff(entry.failures));
        }
    }

    /// A connection to `peer` was established: its last error no longer
    /// holds, and a later loss of it is retried from the shortest wait.
    pub fn connected(&mut self, peer: &PeerId) {
        if let Some(entry) = self.peers.get_mut(peer) {
            entry.error = None;
            entry.failures = 0;
            entry.retry_at = None;
        }
    }

    /// The peers to dial again at `now`, with their addresses: those not
    /// `connected` whose wait is over. Each is given a new wait at once, so
    /// a dial that neither fails nor connects is still tried again later.
    pub fn due(
        &mut self,
        now: Instant,
        mut connected: impl FnMut(&PeerId) -> bool,
    ) -> Vec<(PeerId, Vec<Multiaddr>)> {
        let mut out = Vec::new();
        for (peer, entry) in &mut self.peers {
            if connected(peer) || entry.retry_at.is_some_and(|at| at > now) {
                continue;
            }
            entry.retry_at = Some(now + backoff(entry.failures.max(1)));
            out.push((*peer, entry.addrs.clone()));
        }
        out
    }

    /// The list, with each peer's state from `connected` and `banned`.
    pub fn list(
        &self,
        enabled: bool,
        mut connected: impl FnMut(&PeerId) -> bool,
        mut banned: impl FnMut(&PeerId) -> bool,
    ) -> LanPeers {
        let mut peers: Vec<LanPeer> = self
            .peers
            .iter()
            .map(|(peer, entry)| {
                let state = if connected(peer) {
                    LanState::Connected
                } else if banned(peer) {
                    LanState::Banned
                } else if entry.error.is_some() {
                    LanState::Unreachable
                } else {
                    LanState::Connecting
                };
                LanPeer {
                    peer_id: peer.to_string(),
                    addrs: entry.addrs.iter().map(ToString::to_string).collect(),
                    state,
                    error: if state == LanState::Unreachable {
                        entry.error.clone()
                    } else {
                        None
                    },
                    account: None,
                    name: None,
                }
            })
            .collect();
        peers.sort_by(|a, b| a.peer_id.cmp(&b.peer_id));
        LanPeers { enabled, peers }
    }
}

/// The wait after `failures` failed dials: 2 s, doubling, at most [`MAX_RETRY`].
fn backoff(failures: u32) -> Duration {
    let doublings = failures.saturating_sub(1).min(16);
    (FIRST_RETRY * 2u32.pow(doublings)).min(MAX_RETRY)
}

/// `addr` without a last `/p2p/<peer>` naming `peer` itself.
fn without_id(addr: &Multiaddr, peer: &PeerId) -> Multiaddr {
    let mut addr = addr.clone();
    if matches!(addr.iter().last(), Some(Protocol::P2p(id)) if id == *peer) {
        addr.pop();
    }
    addr
}

/// `text` cut to at most `max` characters, with an ellipsis when cut.
fn truncate(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => text.to_owned(),
        Some((end, _)) => format!("{}…", &text[..end]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(port: u16) -> Multiaddr {
        format!("/ip4/10.0.0.2/tcp/{port}")
            .parse()
            .expect("a valid multiaddr")
    }

    fn listed(table: &LanTable, connected: &[PeerId], banned: &[PeerId]) -> Vec<LanPeer> {
        table
            .list(true, |p| connected.contains(p), |p| banned.contains(p))
            .peers
    }

    #[test]
    fn a_found_peer_is_connecting_until_it_connects_or_a_dial_fails() {
        let mut t = LanTable::default();
        let p = PeerId::random();
        assert!(t.found(p, &[addr(4001)]));
        assert_eq!(listed(&t, &[], &[])[0].state, LanState::Connecting);
        assert_eq!(listed(&t, &[p], &[])[0].state, LanState::Connected);

        t.dial_failed(&p, "Connection refused (os error 111)", Instant::now());
        let row = &listed(&t, &[], &[])[0];
        assert_eq!(row.state, LanState::Unreachable);
        assert_eq!(
            row.error.as_deref(),
            Some("Connection refused (os error 111)")
        );

        t.connected(&p);
        let row = &listed(&t, &[], &[])[0];
        assert_eq!(
            (row.state, row.error.as_deref()),
            (LanState::Connecting, None),
            "a connection clears the last dial error"
        );
        assert_eq!(listed(&t, &[], &[p])[0].state, LanState::Banned);
    }

    #[test]
    fn a_peer_leaves_the_list_when_its_last_address_expires() {
        let mut t = LanTable::default();
        let p = PeerId::random();
        t.found(p, &[addr(1), addr(2)]);
        t.found(p, &[addr(2)]);
        assert_eq!(listed(&t, &[], &[])[0].addrs.len(), 2, "no duplicates");
        t.expired(&p, &addr(1));
        assert_eq!(
            listed(&t, &[], &[])[0].addrs,
            vec!["/ip4/10.0.0.2/tcp/2".to_owned()]
        );
        t.expired(&p, &addr(2));
        assert!(listed(&t, &[], &[]).is_empty());
    }

    #[test]
    fn a_peer_not_connected_is_dialled_again_after_waits_that_double_up_to_a_minute() {
        let mut t = LanTable::default();
        let p = PeerId::random();
        let t0 = Instant::now();
        t.found(p, &[addr(4001)]);
        let due = |t: &mut LanTable, at: Duration, connected: bool| {
            t.due(t0 + at, |_| connected)
                .into_iter()
                .map(|(peer, _)| peer)
                .collect::<Vec<_>>()
        };
        assert!(
            due(&mut t, Duration::ZERO, true).is_empty(),
            "a connected peer is not dialled"
        );
        // The first dial (at discovery) failed: 2 s, then 4, 8, … 60.
        let mut at = Duration::ZERO;
        for wait in [2, 4, 8, 16, 32, 60, 60] {
            t.dial_failed(&p, "refused", t0 + at);
            let before = at + Duration::from_millis(wait * 1000 - 1);
            assert!(
                due(&mut t, before, false).is_empty(),
                "not dialled before its {wait} s wait is over"
            );
            at += Duration::from_secs(wait);
            assert_eq!(
                due(&mut t, at, false),
                vec![p],
                "dialled once its {wait} s wait is over"
            );
            assert!(
                due(&mut t, at, false).is_empty(),
                "not dialled twice at once"
            );
        }
        // Connected, then lost: the waits start again from 2 s.
        t.connected(&p);
        assert_eq!(due(&mut t, at, false), vec![p]);
        t.dial_failed(&p, "refused", t0 + at);
        assert_eq!(due(&mut t, at + Duration::from_secs(2), false), vec![p]);
    }

    #[test]
    fn addresses_are_listed_without_the_peers_own_id() {
        let mut t = LanTable::default();
        let p = PeerId::random();
        let with_id = addr(4001).with(Protocol::P2p(p));
        t.found(p, &[with_id.clone(), addr(4001)]);
        assert_eq!(
            listed(&t, &[], &[])[0].addrs,
            vec!["/ip4/10.0.0.2/tcp/4001".to_owned()]
        );
        t.expired(&p, &with_id);
        assert!(listed(&t, &[], &[]).is_empty());
    }

    #[test]
    fn the_list_is_bounded_in_peers_addresses_and_error_length() {
        let mut t = LanTable::default();
        let first = PeerId::random();
        let many: Vec<Multiaddr> = (0..50).map(addr).collect();
        assert!(t.found(first, &many));
        for _ in 1..MAX_LAN_PEERS {
            assert!(t.found(PeerId::random(), &[addr(1)]));
        }
        assert!(
            !t.found(PeerId::random(), &[addr(1)]),
            "a peer beyond {MAX_LAN_PEERS} is not listed"
        );
        assert!(t.found(first, &[addr(9999)]), "a listed peer still updates");

        t.dial_failed(&first, &"é".repeat(10_000), Instant::now());
        let rows = listed(&t, &[], &[]);
        assert_eq!(rows.len(), MAX_LAN_PEERS);
        let row = rows
            .iter()
            .find(|r| r.peer_id == first.to_string())
            .expect("the first peer is listed");
        assert_eq!(row.addrs.len(), MAX_ADDRS);
        let error = row.error.as_deref().unwrap_or_default();
        assert_eq!(error.chars().count(), MAX_ERROR_CHARS + 1, "cut, plus '…'");
        assert!(error.ends_with('…'));
    }

    #[test]
    fn errors_for_peers_not_found_on_the_lan_are_not_kept() {
        let mut t = LanTable::default();
        t.dial_failed(&PeerId::random(), "timeout", Instant::now());
        t.connected(&PeerId::random());
        assert!(listed(&t, &[], &[]).is_empty());
    }
}
