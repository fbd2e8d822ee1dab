//! The addresses a node listens on, changeable while it runs. For each
//! address asked for, the table keeps the libp2p listener opened for it
//! and the addresses that listener reported: a listener on `0.0.0.0`
//! reports one per interface, one on port 0 the port the system picked.
//!
//! A change is all or nothing: the new listeners are opened first, and
//! only when every one of them could be opened are the ones no longer
//! wanted closed. An address already in use, or one no transport takes,
//! leaves the node listening where it was.

use libp2p::Multiaddr;
use libp2p::core::transport::ListenerId;
use libp2p::multiaddr::Protocol;
use serde::Serialize;

/// Most addresses a node is asked to listen on at once.
pub const MAX_LISTEN_ADDRS: usize = 32;

/// Where a node listens, for the settings screen and `kith listen`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ListenStatus {
    /// The addresses asked for, as given.
    pub wanted: Vec<String>,
    /// The addresses listened on now (ports and interfaces resolved).
    pub listening: Vec<String>,
    /// Why the addresses last asked for could not be used, when the node
    /// fell back to listening on others at start (the same interfaces on
    /// any port, else every interface); `None` once a change of addresses
    /// succeeded.
    pub problem: Option<String>,
}

/// One listener opened for an address asked for.
#[derive(Debug)]
struct Listener {
    wanted: Multiaddr,
    id: ListenerId,
    addrs: Vec<Multiaddr>,
}

/// What a change of listen addresses needs done.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Plan {
    /// Addresses to open listeners on, in the order asked.
    pub open: Vec<Multiaddr>,
    /// Listeners to close once every new one is open.
    pub close: Vec<ListenerId>,
}

/// The listeners opened for the addresses asked for.
#[derive(Debug, Default)]
pub(crate) struct Listeners {
    open: Vec<Listener>,
    problem: Option<String>,
}

/// The same addresses on ports the system picks (each TCP or UDP port 0):
/// where a node asked to listen on ports in use can listen instead without
/// leaving the interfaces it was given (a node kept to loopback stays there).
pub fn any_port(addrs: &[Multiaddr]) -> Vec<Multiaddr> {
    let mut out: Vec<Multiaddr> = Vec::new();
    for addr in addrs {
        let any: Multiaddr = addr
            .iter()
            .map(|p| match p {
                Protocol::Tcp(_) => Protocol::Tcp(0),
                Protocol::Udp(_) => Protocol::Udp(0),
                other => other,
            })
            .collect();
        if !out.contains(&any) {
            out.push(any);
        }
    }
    out
}

/// Why a list of listen addresses is refused before anything is opened.
pub(crate) fn check(wanted: &[Multiaddr]) -> Result<(), String> {
    if wanted.is_empty() {
        return Err("a node needs at least one address to listen on".to_owned());
    }
    if wanted.len() > MAX_LISTEN_ADDRS {
        return Err(format!(
            "at most {MAX_LISTEN_ADDRS} listen addresses, not {}",
            wanted.len()
        ));
    }
    Ok(())
}

impl Listeners {
    /// What listening on exactly `wanted` takes: listeners for the new
    /// addresses (each once), and closing those no longer wanted.
    pub fn plan(&self, wanted: &[Multiaddr]) -> Plan {
        let mut open: Vec<Multiaddr> = Vec::new();
        for addr in wanted {
            if !self.open.iter().any(|l| l.wanted == *addr) && !open.contains(addr) {
                open.push(addr.clone());
            }
        }
        let close = self
            .open
            .iter()
            .filter(|l| !wanted.contains(&l.wanted))
            .map(|l| l.id)
            .collect();
        Plan { open, close }
    }

    /// A listener was opened for `wanted`.
    pub fn opened(&mut self, wanted: Multiaddr, id: ListenerId) {
        self.open.push(Listener {
            wanted,
            id,
            addrs: Vec::new(),
        });
    }

    /// A listener was closed or failed: it is forgotten. Answers the
    /// address it had been opened for, if it was one of these.
    pub fn closed(&mut self, id: ListenerId) -> Option<Multiaddr> {
        let i = self.open.iter().position(|l| l.id == id)?;
        Some(self.open.remove(i).wanted)
    }

    /// A listener reported an address it listens on.
    pub fn address(&mut self, id: ListenerId, addr: &Multiaddr) {
        if let Some(l) = self.open.iter_mut().find(|l| l.id == id)
            && !l.addrs.contains(addr)
        {
            l.addrs.push(addr.clone());
        }
    }

    /// A listener no longer listens on an address (an interface went away).
    pub fn expired(&mut self, id: ListenerId, addr: &Multiaddr) {
        if let Some(l) = self.open.iter_mut().find(|l| l.id == id) {
            l.addrs.retain(|a| a != addr);
        }
    }

    /// Whether every listener has reported an address yet.
    pub fn ready(&self) -> bool {
        self.open.iter().all(|l| !l.addrs.is_empty())
    }

    /// Records why the addresses asked for could not be used (`None` once
    /// a change succeeded).
    pub fn set_problem(&mut self, problem: Option<String>) {
        self.problem = problem;
    }

    /// The addresses listened on now, in the order asked for.
    pub fn addrs(&self) -> impl Iterator<Item = &Multiaddr> {
        self.open.iter().flat_map(|l| l.addrs.iter())
    }

    /// Where the node listens.
    pub fn status(&self) -> ListenStatus {
        ListenStatus {
            wanted: self.open.iter().map(|l| l.wanted.to_string()).collect(),
            listening: self.addrs().map(ToString::to_string).collect(),
            problem: self.problem.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(s: &str) -> Multiaddr {
        s.parse().expect("a valid address")
    }

    #[test]
    fn a_change_opens_only_new_addresses_once_and_closes_only_those_no_longer_wanted() {
        let mut table = Listeners::default();
        let (tcp, quic) = (ListenerId::next(), ListenerId::next());
        table.opened(addr("/ip4/0.0.0.0/tcp/0"), tcp);
        table.opened(addr("/ip4/0.0.0.0/udp/0/quic-v1"), quic);
        let plan = table.plan(&[
            addr("/ip4/0.0.0.0/udp/0/quic-v1"),
            addr("/ip4/127.0.0.1/tcp/4001"),
            addr("/ip4/127.0.0.1/tcp/4001"),
        ]);
        assert_eq!(
            plan,
            Plan {
                open: vec![addr("/ip4/127.0.0.1/tcp/4001")],
                close: vec![tcp],
            }
        );
        assert_eq!(
            table.plan(&[
                addr("/ip4/0.0.0.0/tcp/0"),
                addr("/ip4/0.0.0.0/udp/0/quic-v1")
            ]),
            Plan::default()
        );
    }

    #[test]
    fn status_lists_each_listeners_reported_addresses_and_is_ready_once_each_reported_one() {
        let mut table = Listeners::default();
        let (a, b) = (ListenerId::next(), ListenerId::next());
        table.opened(addr("/ip4/0.0.0.0/tcp/0"), a);
        table.opened(addr("/ip4/127.0.0.1/udp/0/quic-v1"), b);
        assert!(!table.ready(), "no listener has reported an address yet");
        table.address(a, &addr("/ip4/127.0.0.1/tcp/4100"));
        table.address(a, &addr("/ip4/10.0.0.2/tcp/4100"));
        table.address(a, &addr("/ip4/10.0.0.2/tcp/4100"));
        assert!(!table.ready(), "the QUIC listener has reported nothing");
        table.address(b, &addr("/ip4/127.0.0.1/udp/4200/quic-v1"));
        assert!(table.ready());
        table.expired(a, &addr("/ip4/10.0.0.2/tcp/4100"));
        assert_eq!(
            table.status(),
            ListenStatus {
                wanted: vec![
                    "/ip4/0.0.0.0/tcp/0".to_owned(),
                    "/ip4/127.0.0.1/udp/0/quic-v1".to_owned()
                ],
                listening: vec![
                    "/ip4/127.0.0.1/tcp/4100".to_owned(),
                    "/ip4/127.0.0.1/udp/4200/quic-v1".to_owned()
                ],
                problem: None,
            }
        );
        assert_eq!(table.closed(b), Some(addr("/ip4/127.0.0.1/udp/0/quic-v1")));
        assert_eq!(table.closed(b), None, "closed twice");
        assert_eq!(table.status().wanted, vec!["/ip4/0.0.0.0/tcp/0".to_owned()]);
    }

    #[test]
    fn any_port_keeps_each_interface_and_transport_and_lets_the_system_pick_the_port() {
        assert_eq!(
            any_port(&[
                addr("/ip4/127.0.0.1/tcp/4001"),
                addr("/ip6/::1/udp/4001/quic-v1"),
                addr("/ip4/127.0.0.1/tcp/4002"),
                addr("/ip4/0.0.0.0/tcp/0"),
            ]),
            vec![
                addr("/ip4/127.0.0.1/tcp/0"),
                addr("/ip6/::1/udp/0/quic-v1"),
                addr("/ip4/0.0.0.0/tcp/0"),
            ]
        );
    }

    #[test]
    fn an_empty_or_overlong_list_of_listen_addresses_is_refused() {
        assert!(check(&[]).is_err());
        let many = vec![addr("/ip4/127.0.0.1/tcp/0"); MAX_LISTEN_ADDRS + 1];
        assert!(check(&many).is_err());
        assert!(check(&many[..MAX_LISTEN_ADDRS]).is_ok());
    }
}
