//! The peers mDNS found on the LAN, connected or not, for the peers screen
//! and `kith peers`: a peer found but never connected (its firewall, another
//! Kith version) would otherwise show nowhere.
//!
//! Anyone on the LAN can announce as many peer ids as they like, so the
//! list is bounded: [`MAX_LAN_PEERS`] peers of [`MAX_ADDRS`] addresses each,
//! and a dial error kept to [`MAX_ERROR_CHARS`] characters.

use std::collections::HashMap;

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

    /// A dial of `peer` failed with `error` (kept if the peer is listed).
    pub fn dial_failed(&mut self, peer: &PeerId, error: &str) {
        if let Some(entry) = self.peers.get_mut(peer) {
            entry.error = Some(truncate(error.trim(), MAX_ERROR_CHARS));
        }
    }

    /// A connection to `peer` was established: its last error no longer holds.
    pub fn connected(&mut self, peer: &PeerId) {
        if let Some(entry) = self.peers.get_mut(peer) {
            entry.error = None;
        }
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
                }
            })
            .collect();
        peers.sort_by(|a, b| a.peer_id.cmp(&b.peer_id));
        LanPeers { enabled, peers }
    }
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

        t.dial_failed(&p, "Connection refused (os error 111)");
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

        t.dial_failed(&first, &"é".repeat(10_000));
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
        t.dial_failed(&PeerId::random(), "timeout");
        t.connected(&PeerId::random());
        assert!(listed(&t, &[], &[]).is_empty());
    }
}
