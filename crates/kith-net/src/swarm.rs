//! The one task that owns the libp2p `Swarm`. Everything else talks to it
//! through a bounded [`Command`] channel (answers come back on oneshot
//! channels) and hears from it through a bounded [`Event`] channel. It
//! makes no decisions about feeds: that is the replicator's job.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use futures::StreamExt;
use kith_core::AccountId;
use libp2p::core::transport::ListenerId;
use libp2p::gossipsub::{self, IdentTopic, MessageAcceptance, MessageId, TopicScoreParams};
use libp2p::request_response::{self, InboundRequestId, OutboundRequestId, ResponseChannel};
use libp2p::swarm::behaviour::toggle::Toggle;
use libp2p::swarm::dial_opts::{DialOpts, PeerCondition};
use libp2p::swarm::{
    ConnectionId, DialError, FromSwarm, NetworkBehaviour, NewListenAddr, SwarmEvent,
};
use libp2p::{Multiaddr, PeerId, Swarm, identify, kad, mdns, ping};
use serde::Serialize;
use tokio::sync::{mpsc, oneshot};

use crate::answering::Answering;
use crate::behaviour::{Behaviour, BehaviourEvent, lan_discovery};
use crate::lan::{LanPeers, LanTable};
use crate::listen::{self, ListenStatus, Listeners};
use crate::protocol::{
    RELEASE_TOPIC, SyncRequest, SyncResponse, feed_topic, provider_key, topic_feed,
};

/// Strikes (invalid messages) after which a peer is disconnected and banned.
pub const MAX_STRIKES: u32 = 3;
/// How long a banned peer stays banned.
pub const BAN_TIME: Duration = Duration::from_secs(600);
/// Capacity of the command and event channels.
pub const CHANNEL_CAPACITY: usize = 1024;
/// How long [`SwarmHandle::set_listen`] waits for new listeners to report
/// their addresses.
pub const LISTEN_WAIT: Duration = Duration::from_secs(5);
/// Characters kept of a peer's agent string (identify lets a peer send
/// kilobytes of it).
pub const MAX_AGENT_CHARS: usize = 128;
/// Peers whose strikes are counted at once; past this, the strikes of
/// peers no longer connected are forgotten.
pub const MAX_STRUCK_PEERS: usize = 1024;

/// The peer an address reaches (its last `…/p2p/<id>`), if named. In a
/// relayed address, `…/p2p/<relay>/p2p-circuit/p2p/<id>`, that is the
/// peer behind the relay, not the relay.
pub fn peer_of(addr: &Multiaddr) -> Option<PeerId> {
    addr.iter()
        .filter_map(|p| match p {
            libp2p::multiaddr::Protocol::P2p(id) => Some(id),
            _ => None,
        })
        .last()
}

/// Why a dial failed, in a line a person can read: each address's
/// innermost cause, once (the transports nest "Multiple dial errors
/// occurred" around the system's "Connection refused").
fn dial_reason(error: &DialError) -> String {
    let mut reasons: Vec<String> = Vec::new();
    let mut add = |e: &(dyn std::error::Error + 'static)| {
        let reason = innermost(e);
        if !reasons.contains(&reason) {
            reasons.push(reason);
        }
    };
    match error {
        DialError::Transport(errors) => errors.iter().for_each(|(_, e)| add(e)),
        other => add(other),
    }
    if reasons.is_empty() {
        error.to_string()
    } else {
        reasons.join("; ")
    }
}

/// The last error in `error`'s chain of sources, said plainly.
fn innermost(error: &(dyn std::error::Error + 'static)) -> String {
    let mut e = error;
    let mut chain = e.to_string();
    while let Some(source) = e.source() {
        e = source;
        chain.push_str(": ");
        chain.push_str(&e.to_string());
    }
    plainly(&chain, &e.to_string())
}

/// What a dial error's `chain` (every cause, outermost first; `last` the
/// innermost) means for a person: the common cases said plainly, with
/// the system's words after them; others as the system said them.
fn plainly(chain: &str, last: &str) -> String {
    let lower = chain.to_lowercase();
    let said = if lower.contains("connection refused") {
        "nothing listens at that address"
    } else if lower.contains("no records found") || lower.contains("failed to lookup") {
        // The resolver's words are a debug dump of its query.
        return "that name is not known to the DNS".to_owned();
    } else if lower.contains("timeout") || lower.contains("timed out") {
        "no answer in time"
    } else if lower.contains("handshake failed") || lower.contains("invalid data") {
        "something answers there, but it is not a Kith node"
    } else if lower.contains("network is unreachable") || lower.contains("no route to host") {
        "this computer has no route to that address"
    } else if lower.contains("wrong peer") || lower.contains("unexpected peer") {
        "a different node answers there than the one the address names"
    } else {
        return last.to_owned();
    };
    format!("{said} ({})", last.trim_end_matches('.'))
}

/// How a peer came to be known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum Found {
    /// It dialled us.
    Inbound,
    /// We dialled an address we were given (`--bootstrap`, `kith connect`, an invite).
    Dialled,
    /// mDNS on the LAN.
    Mdns,
    /// Remembered from an earlier session.
    Remembered,
    /// The DHT named it as a carrier of a feed.
    Dht,
}

/// A connected peer, for `kith peers`.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct PeerInfo {
    /// Its peer id.
    pub peer_id: String,
    /// The address of the connection.
    pub addr: String,
    /// How it was found.
    pub found: Found,
    /// The last ping round trip, in milliseconds.
    pub latency_ms: Option<f64>,
    /// Its agent string from identify.
    pub agent: Option<String>,
    /// Whose computer it is: the account whose feed, held here, names this
    /// peer's key as one of its devices' network keys.
    pub account: Option<String>,
    /// That account's display name, if known.
    pub name: Option<String>,
}

/// What the replicator asks of the swarm.
#[derive(Debug)]
#[non_exhaustive]
pub enum Command {
    /// Dial an address (it should end in `/p2p/<peer id>`).
    Dial {
        /// Where.
        addr: Multiaddr,
        /// How the address was learnt.
        found: Found,
        /// Answer once connected or failed.
        reply: Option<oneshot::Sender<Result<PeerId, String>>>,
    },
    /// Dial a known peer at any of its addresses, unless connected.
    DialPeer {
        /// Who.
        peer: PeerId,
        /// Its addresses.
        addrs: Vec<Multiaddr>,
        /// How it was learnt.
        found: Found,
    },
    /// Listen addresses and peer id.
    Addrs {
        /// The answer.
        reply: oneshot::Sender<(PeerId, Vec<Multiaddr>)>,
    },
    /// Listen on exactly these addresses from now on: new listeners are
    /// opened first, and the old ones closed only if all could be.
    SetListen {
        /// The addresses (at most [`listen::MAX_LISTEN_ADDRS`]).
        addrs: Vec<Multiaddr>,
        /// Where the node listens once each new listener reported an
        /// address; the error when one could not be opened (nothing changed).
        reply: oneshot::Sender<Result<ListenStatus, String>>,
    },
    /// Where the node listens.
    ListenStatus {
        /// The answer.
        reply: oneshot::Sender<ListenStatus>,
    },
    /// Connected peers.
    Peers {
        /// The answer.
        reply: oneshot::Sender<Vec<PeerInfo>>,
    },
    /// Dial the peers found on the LAN that are not connected and whose
    /// wait since the last failed dial is over.
    RedialLan,
    /// Turn LAN discovery (mDNS) on or off while running. Turning it off
    /// forgets the peers it found (connections stay).
    SetLanDiscovery {
        /// On or off.
        on: bool,
        /// `Ok` once done; the error when mDNS cannot start.
        reply: oneshot::Sender<Result<(), String>>,
    },
    /// The peers mDNS found on the LAN, connected or not.
    LanPeers {
        /// The answer.
        reply: oneshot::Sender<LanPeers>,
    },
    /// Join a feed's topic.
    Subscribe(AccountId),
    /// Leave a feed's topic.
    Unsubscribe(AccountId),
    /// Publish on a feed's topic.
    Publish {
        /// The feed.
        account: AccountId,
        /// The encoded update.
        data: Vec<u8>,
    },
    /// Publish an update notice on the release topic.
    PublishNotice(Vec<u8>),
    /// Send a sync request.
    Request {
        /// To whom.
        peer: PeerId,
        /// What.
        request: SyncRequest,
        /// The answer.
        reply: oneshot::Sender<Result<SyncResponse, String>>,
    },
    /// Answer an inbound sync request.
    Respond {
        /// The request (as [`Event::Request`] named it).
        id: InboundRequestId,
        /// The request's channel.
        channel: ResponseChannel<SyncResponse>,
        /// The answer.
        response: SyncResponse,
    },
    /// Report the outcome of validating a gossip message.
    Validated {
        /// The message.
        id: MessageId,
        /// Who sent it to us.
        source: PeerId,
        /// Accept (forward), ignore or reject (penalise).
        acceptance: MessageAcceptance,
    },
    /// Announce in the DHT that this node carries a feed.
    Provide(AccountId),
    /// Ask the DHT who carries a feed.
    FindCarriers(AccountId),
    /// Close every connection to a peer (it is redialled when reachable)
    /// unless a ping succeeded within `silent_for`: a busy peer answers
    /// pings from its network task even when its store is slow to answer.
    DisconnectIfSilent {
        /// Who.
        peer: PeerId,
        /// How recent a successful ping keeps the connection.
        silent_for: Duration,
    },
    /// Count a protocol violation against a peer.
    Strike {
        /// Who.
        peer: PeerId,
        /// Why (for the log).
        reason: String,
    },
}

/// What the swarm tells the replicator.
#[derive(Debug)]
#[non_exhaustive]
pub enum Event {
    /// A first connection to a peer was established.
    Connected(PeerId),
    /// The last connection to a peer closed.
    Disconnected(PeerId),
    /// A peer identified itself with its listen addresses.
    Identified {
        /// Who.
        peer: PeerId,
        /// Where it listens (its own word).
        addrs: Vec<Multiaddr>,
        /// The address this node dialled it at, when this node dialled
        /// the connection it identified on: an address known to work.
        reached: Option<Multiaddr>,
    },
    /// A sync request arrived.
    Request {
        /// From whom.
        peer: PeerId,
        /// Which (given back with the answer).
        id: InboundRequestId,
        /// What.
        request: SyncRequest,
        /// Where the answer goes.
        channel: ResponseChannel<SyncResponse>,
    },
    /// A gossip message arrived and awaits validation.
    Gossip {
        /// Who sent it to us.
        source: PeerId,
        /// Its id.
        id: MessageId,
        /// The feed of its topic, if it is a Kith feed topic.
        account: Option<AccountId>,
        /// The payload.
        data: Vec<u8>,
    },
    /// An update notice arrived on the release topic and awaits validation.
    Notice {
        /// Who sent it to us.
        source: PeerId,
        /// Who published it (signed by gossipsub).
        origin: Option<PeerId>,
        /// Its id.
        id: MessageId,
        /// The payload.
        data: Vec<u8>,
    },
    /// The DHT named carriers of a feed.
    Carriers {
        /// The feed.
        account: AccountId,
        /// Who carries it.
        peers: Vec<PeerId>,
    },
}

/// Scoring for topics few peers publish on (a feed has one author, a few
/// devices; few nodes hold a release to announce): under-delivery (P3, P3b)
/// must not count against mesh peers, or an author would graylist its own
/// followers. Invalid messages (P4) weigh heavily.
fn sparse_topic_params() -> TopicScoreParams {
    TopicScoreParams {
        mesh_message_deliveries_weight: 0.0,
        mesh_failure_penalty_weight: 0.0,
        invalid_message_deliveries_weight: -100.0,
        invalid_message_deliveries_decay: 0.5,
        ..TopicScoreParams::default()
    }
}

/// The handle other tasks use to command the swarm.
#[derive(Clone, Debug)]
pub struct SwarmHandle {
    commands: mpsc::Sender<Command>,
}

impl SwarmHandle {
    /// Sends a command; fails only when the swarm task has stopped.
    pub async fn send(&self, command: Command) -> Result<(), String> {
        self.commands
            .send(command)
            .await
            .map_err(|_| "the network task has stopped".to_owned())
    }

    /// Sends a sync request and waits for the answer.
    pub async fn request(
        &self,
        peer: PeerId,
        request: SyncRequest,
    ) -> Result<SyncResponse, String> {
        self.start_request(peer, request).await?.await
    }

    /// Sends a sync request and returns its answer to await later: requests
    /// started one after the other leave in that order.
    pub async fn start_request(
        &self,
        peer: PeerId,
        request: SyncRequest,
    ) -> Result<impl Future<Output = Result<SyncResponse, String>> + Send + 'static, String> {
        let (reply, rx) = oneshot::channel();
        self.send(Command::Request {
            peer,
            request,
            reply,
        })
        .await?;
        Ok(async move {
            rx.await
                .map_err(|_| "the network task dropped the request".to_owned())?
        })
    }

    /// Listens on exactly `addrs` from now on (see [`Command::SetListen`]),
    /// and answers where the node listens once the new listeners have
    /// addresses (or after [`LISTEN_WAIT`], with what they have by then).
    pub async fn set_listen(&self, addrs: Vec<Multiaddr>) -> Result<ListenStatus, String> {
        let (reply, rx) = oneshot::channel();
        self.send(Command::SetListen { addrs, reply }).await?;
        match tokio::time::timeout(LISTEN_WAIT, rx).await {
            Ok(answer) => answer.map_err(|_| "the network task dropped the request".to_owned())?,
            Err(_) => self.ask(|reply| Command::ListenStatus { reply }).await,
        }
    }

    /// Asks something of the swarm and waits for the answer.
    pub async fn ask<T>(
        &self,
        make: impl FnOnce(oneshot::Sender<T>) -> Command,
    ) -> Result<T, String> {
        let (reply, rx) = oneshot::channel();
        self.send(make(reply)).await?;
        rx.await
            .map_err(|_| "the network task dropped the request".to_owned())
    }
}

/// What the swarm notes of peers for `kith peers`: how each was found and
/// its agent string (at most [`MAX_AGENT_CHARS`]). A peer's notes are
/// forgotten when its last connection closes or a dial of it fails while
/// it is not connected, so that peer ids met once do not pile up.
#[derive(Debug, Default)]
struct PeerNotes {
    found: HashMap<PeerId, Found>,
    agents: HashMap<PeerId, String>,
}

impl PeerNotes {
    /// `peer` is being dialled, having been found so.
    fn found(&mut self, peer: PeerId, found: Found) {
        self.found.insert(peer, found);
    }

    /// `peer` was found so, unless how it was found is already noted.
    fn found_first(&mut self, peer: PeerId, found: Found) {
        self.found.entry(peer).or_insert(found);
    }

    /// How `peer` was found (`Inbound` if not noted).
    fn found_of(&self, peer: &PeerId) -> Found {
        self.found.get(peer).copied().unwrap_or(Found::Inbound)
    }

    /// `peer`'s agent string, shortened to [`MAX_AGENT_CHARS`].
    fn agent(&mut self, peer: PeerId, agent: &str) {
        self.agents
            .insert(peer, agent.chars().take(MAX_AGENT_CHARS).collect());
    }

    /// `peer`'s agent string, if it identified itself.
    fn agent_of(&self, peer: &PeerId) -> Option<String> {
        self.agents.get(peer).cloned()
    }

    /// Forgets `peer`.
    fn forget(&mut self, peer: &PeerId) {
        self.found.remove(peer);
        self.agents.remove(peer);
    }

    /// How many peers have notes.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.found.len().max(self.agents.len())
    }
}

/// The task state around the swarm.
pub struct SwarmTask {
    swarm: Swarm<Behaviour>,
    commands: mpsc::Receiver<Command>,
    events: mpsc::Sender<Event>,
    pending: HashMap<OutboundRequestId, oneshot::Sender<Result<SyncResponse, String>>>,
    /// Requests from peers being answered, and what their answers hold.
    answering: Answering<InboundRequestId>,
    dials: HashMap<ConnectionId, oneshot::Sender<Result<PeerId, String>>>,
    notes: PeerNotes,
    rtt: HashMap<PeerId, Duration>,
    last_pong: HashMap<PeerId, Instant>,
    remote: HashMap<PeerId, Multiaddr>,
    /// The address of each open connection this node dialled.
    dialled: HashMap<ConnectionId, Multiaddr>,
    listeners: Listeners,
    /// Answers to `SetListen` waiting for the new listeners' addresses.
    listen_waiting: Vec<oneshot::Sender<Result<ListenStatus, String>>>,
    strikes: HashMap<PeerId, u32>,
    banned: HashMap<PeerId, Instant>,
    queries: HashMap<kad::QueryId, AccountId>,
    subscribed: HashSet<AccountId>,
    lan: LanTable,
    /// How often LAN discovery queries, for turning it on while running.
    mdns_interval: Duration,
}

impl SwarmTask {
    /// Wraps a built swarm; returns the task, its handle and its events.
    /// `mdns_interval`: how often LAN discovery queries if turned on later.
    pub fn new(
        swarm: Swarm<Behaviour>,
        mdns_interval: Duration,
    ) -> (Self, SwarmHandle, mpsc::Receiver<Event>) {
        let (cmd_tx, cmd_rx) = mpsc::channel(CHANNEL_CAPACITY);
        let (ev_tx, ev_rx) = mpsc::channel(CHANNEL_CAPACITY);
        (
            Self {
                swarm,
                commands: cmd_rx,
                events: ev_tx,
                pending: HashMap::new(),
                answering: Answering::default(),
                dials: HashMap::new(),
                notes: PeerNotes::default(),
                rtt: HashMap::new(),
                last_pong: HashMap::new(),
                remote: HashMap::new(),
                dialled: HashMap::new(),
                listeners: Listeners::default(),
                listen_waiting: Vec::new(),
                strikes: HashMap::new(),
                banned: HashMap::new(),
                queries: HashMap::new(),
                subscribed: HashSet::new(),
                lan: LanTable::default(),
                mdns_interval,
            },
            SwarmHandle { commands: cmd_tx },
            ev_rx,
        )
    }

    /// Listens on exactly `wanted` from now on. All or nothing: when an
    /// address cannot be listened on (in use, no transport for it), the
    /// listeners opened for this change are closed again and the node
    /// listens where it did.
    pub fn listen(&mut self, wanted: &[Multiaddr]) -> Result<(), String> {
        listen::check(wanted)?;
        let plan = self.listeners.plan(wanted);
        let mut opened = Vec::with_capacity(plan.open.len());
        for addr in plan.open {
            match self.swarm.listen_on(addr.clone()) {
                Ok(id) => opened.push((addr, id)),
                Err(e) => {
                    for (_, id) in opened {
                        self.swarm.remove_listener(id);
                    }
                    return Err(format!("cannot listen on {addr}: {}", innermost(&e)));
                }
            }
        }
        for id in plan.close {
            self.listeners.closed(id);
            self.swarm.remove_listener(id);
        }
        for (addr, id) in opened {
            self.listeners.opened(addr, id);
        }
        self.listeners.set_problem(None);
        Ok(())
    }

    /// Listens on `wanted`, or when that fails on the first of `fallbacks`
    /// that can be used, keeping why for [`ListenStatus::problem`]. Fails
    /// only when none can be used.
    pub fn listen_or_fall_back(
        &mut self,
        wanted: &[Multiaddr],
        fallbacks: &[Vec<Multiaddr>],
    ) -> Result<(), String> {
        let Err(problem) = self.listen(wanted) else {
            return Ok(());
        };
        let mut errors = problem.clone();
        for fallback in fallbacks {
            match self.listen(fallback) {
                Ok(()) => {
                    tracing::warn!(%problem, ?fallback, "listening elsewhere instead");
                    self.listeners.set_problem(Some(problem));
                    return Ok(());
                }
                Err(e) => {
                    errors.push_str("; and ");
                    errors.push_str(&e);
                }
            }
        }
        Err(errors)
    }

    /// Answers the `SetListen` waiting for addresses once every listener
    /// has one (ports picked, interfaces listed).
    fn answer_listen_waiting(&mut self) {
        if self.listen_waiting.is_empty() || !self.listeners.ready() {
            return;
        }
        let status = self.listeners.status();
        for reply in self.listen_waiting.drain(..) {
            let _ = reply.send(Ok(status.clone()));
        }
    }

    /// Runs until every handle is dropped.
    pub async fn run(mut self) {
        self.subscribe_release_topic();
        loop {
            tokio::select! {
                biased;
                command = self.commands.recv() => match command {
                    Some(c) => self.command(c),
                    None => break,
                },
                event = self.swarm.select_next_some() => self.swarm_event(event),
            }
        }
        tracing::debug!("network task stopped");
    }

    /// Every node listens for update notices.
    fn subscribe_release_topic(&mut self) {
        let topic = IdentTopic::new(RELEASE_TOPIC);
        let gossip = &mut self.swarm.behaviour_mut().gossip;
        let _ = gossip.set_topic_params(topic.clone(), sparse_topic_params());
        if let Err(e) = gossip.subscribe(&topic) {
            tracing::warn!(error = %e, "cannot subscribe to update notices");
        }
    }

    fn emit(&self, event: Event) {
        match event {
            // What a peer can flood is dropped when the replicator is
            // saturated: a dropped request fails on the peer's side, a
            // dropped gossip message is neither stored nor forwarded.
            Event::Request { .. } | Event::Gossip { .. } | Event::Notice { .. } => {
                if self.events.try_send(event).is_err() {
                    tracing::debug!("replicator busy; dropping a peer's message");
                }
            }
            // Connection news is rare and must not be lost.
            other => {
                let events = self.events.clone();
                tokio::spawn(async move {
                    let _ = events.send(other).await;
                });
            }
        }
    }

    #[allow(clippy::too_many_lines)]
    fn command(&mut self, command: Command) {
        match command {
            Command::Dial { addr, found, reply } => {
                let peer = peer_of(&addr);
                let opts = match peer {
                    Some(peer) => DialOpts::peer_id(peer)
                        .addresses(vec![addr.clone()])
                        .condition(PeerCondition::Always)
                        .build(),
                    None => DialOpts::unknown_peer_id().address(addr.clone()).build(),
                };
                let id = opts.connection_id();
                if let Some(peer) = peer {
                    self.notes.found_first(peer, found);
                    self.swarm
                        .behaviour_mut()
                        .kad
                        .add_address(&peer, addr.clone());
                }
                match self.swarm.dial(opts) {
                    Ok(()) => {
                        if let Some(r) = reply {
                            self.dials.insert(id, r);
                        }
                    }
                    Err(e) => {
                        if let Some(r) = reply {
                            let _ = r.send(Err(dial_reason(&e)));
                        }
                    }
                }
            }
            Command::DialPeer { peer, addrs, found } => {
                if self.swarm.is_connected(&peer) || self.is_banned(&peer) {
                    return;
                }
                self.notes.found(peer, found);
                let opts = DialOpts::peer_id(peer)
                    .addresses(addrs)
                    .condition(PeerCondition::DisconnectedAndNotDialing);
                // Two nodes on a LAN hear each other's announcements at the
                // same moment and dial at once. Dialling from the listening
                // port (libp2p's default, which hole punching needs) makes
                // both dials the same TCP connection (a simultaneous open):
                // both sides then start the Noise handshake as its initiator
                // and it fails ("input error"), every time, and mDNS does
                // not report the peer again for minutes. A LAN needs no
                // port reuse: each dial gets a port of its own.
                let opts = if found == Found::Mdns {
                    opts.allocate_new_port().build()
                } else {
                    opts.build()
                };
                if let Err(e) = self.swarm.dial(opts) {
                    tracing::trace!(%peer, error = %e, "dial not started");
                }
            }
            Command::Addrs { reply } => {
                let addrs = self.listeners.addrs().cloned().collect();
                let _ = reply.send((*self.swarm.local_peer_id(), addrs));
            }
            Command::SetListen { addrs, reply } => match self.listen(&addrs) {
                Ok(()) => {
                    self.listen_waiting.retain(|r| !r.is_closed());
                    self.listen_waiting.push(reply);
                    self.answer_listen_waiting();
                }
                Err(e) => {
                    let _ = reply.send(Err(e));
                }
            },
            Command::ListenStatus { reply } => {
                let _ = reply.send(self.listeners.status());
            }
            Command::Peers { reply } => {
                let _ = reply.send(self.peers());
            }
            Command::RedialLan => {
                let swarm = &self.swarm;
                let due = self.lan.due(Instant::now(), |p| swarm.is_connected(p));
                for (peer, addrs) in due {
                    // Banned peers are skipped by DialPeer itself.
                    self.command(Command::DialPeer {
                        peer,
                        addrs,
                        found: Found::Mdns,
                    });
                }
            }
            Command::LanPeers { reply } => {
                let _ = reply.send(self.lan_peers());
            }
            Command::SetLanDiscovery { on, reply } => {
                let _ = reply.send(self.set_lan_discovery(on));
            }
            Command::Subscribe(account) => {
                let topic = IdentTopic::new(feed_topic(account));
                let gossip = &mut self.swarm.behaviour_mut().gossip;
                let _ = gossip.set_topic_params(topic.clone(), sparse_topic_params());
                if let Err(e) = gossip.subscribe(&topic) {
                    tracing::warn!(%account, error = %e, "cannot subscribe");
                }
                self.subscribed.insert(account);
            }
            Command::Unsubscribe(account) => {
                let topic = IdentTopic::new(feed_topic(account));
                self.swarm.behaviour_mut().gossip.unsubscribe(&topic);
                // No longer carried: stop announcing it as well.
                self.swarm
                    .behaviour_mut()
                    .kad
                    .stop_providing(&kad::RecordKey::new(&provider_key(account)));
                self.subscribed.remove(&account);
            }
            Command::PublishNotice(data) => {
                let topic = IdentTopic::new(RELEASE_TOPIC);
                if let Err(e) = self.swarm.behaviour_mut().gossip.publish(topic, data) {
                    tracing::debug!(error = %e, "update notice not published now");
                }
            }
            Command::Publish { account, data } => {
                let topic = IdentTopic::new(feed_topic(account));
                if let Err(e) = self.swarm.behaviour_mut().gossip.publish(topic, data) {
                    // No peer on the topic yet is normal offline; reconciliation
                    // delivers the change later.
                    tracing::debug!(%account, error = %e, "not published now");
                }
            }
            Command::Request {
                peer,
                request,
                reply,
            } => {
                let id = self.swarm.behaviour_mut().sync.send_request(&peer, request);
                self.pending.insert(id, reply);
            }
            Command::Respond {
                id,
                channel,
                response,
            } => {
                let response = if self.answering.hold(&id, response.held_bytes()) {
                    response
                } else {
                    tracing::debug!(
                        held = self.answering.held(),
                        "answers waiting to be written hold too much; busy"
                    );
                    SyncResponse::refused("busy", "too many answers waiting; try later")
                };
                if self
                    .swarm
                    .behaviour_mut()
                    .sync
                    .send_response(channel, response)
                    .is_err()
                {
                    tracing::debug!("a peer left before its answer was ready");
                    let _ = self.answering.finish(&id);
                }
            }
            Command::Validated {
                id,
                source,
                acceptance,
            } => {
                let reject = matches!(acceptance, MessageAcceptance::Reject);
                self.swarm
                    .behaviour_mut()
                    .gossip
                    .report_message_validation_result(&id, &source, acceptance);
                if reject {
                    self.strike(source, "invalid gossip message");
                }
            }
            Command::Provide(account) => {
                let key = kad::RecordKey::new(&provider_key(account));
                if let Err(e) = self.swarm.behaviour_mut().kad.start_providing(key) {
                    tracing::debug!(%account, error = %e, "cannot announce");
                }
            }
            Command::FindCarriers(account) => {
                let key = kad::RecordKey::new(&provider_key(account));
                let id = self.swarm.behaviour_mut().kad.get_providers(key);
                self.queries.insert(id, account);
            }
            Command::Strike { peer, reason } => self.strike(peer, &reason),
            Command::DisconnectIfSilent { peer, silent_for } => {
                let alive = self
                    .last_pong
                    .get(&peer)
                    .is_some_and(|t| t.elapsed() < silent_for);
                if !alive {
                    tracing::debug!(%peer, "no answer and no recent ping; disconnecting");
                    let _ = self.swarm.disconnect_peer_id(peer);
                }
            }
        }
    }

    fn is_banned(&mut self, peer: &PeerId) -> bool {
        match self.banned.get(peer) {
            Some(since) if since.elapsed() < BAN_TIME => true,
            Some(_) => {
                self.banned.remove(peer);
                self.swarm
                    .behaviour_mut()
                    .gossip
                    .remove_blacklisted_peer(peer);
                false
            }
            None => false,
        }
    }

    fn strike(&mut self, peer: PeerId, reason: &str) {
        if self.strikes.len() >= MAX_STRUCK_PEERS && !self.strikes.contains_key(&peer) {
            let swarm = &self.swarm;
            self.strikes.retain(|p, _| swarm.is_connected(p));
        }
        let n = self.strikes.entry(peer).or_insert(0);
        *n += 1;
        tracing::warn!(%peer, strikes = *n, reason, "peer misbehaved");
        if *n >= MAX_STRIKES {
            tracing::warn!(%peer, "disconnecting and banning a misbehaving peer");
            self.forget_old_bans();
            self.banned.insert(peer, Instant::now());
            self.strikes.remove(&peer);
            self.swarm.behaviour_mut().gossip.blacklist_peer(&peer);
            let _ = self.swarm.disconnect_peer_id(peer);
        }
    }

    /// Lifts the bans that ended (they are otherwise lifted only when
    /// their peer comes back), so that banned peer ids do not pile up.
    fn forget_old_bans(&mut self) {
        let ended: Vec<PeerId> = self
            .banned
            .iter()
            .filter(|(_, since)| since.elapsed() >= BAN_TIME)
            .map(|(p, _)| *p)
            .collect();
        for peer in ended {
            self.banned.remove(&peer);
            self.swarm
                .behaviour_mut()
                .gossip
                .remove_blacklisted_peer(&peer);
        }
    }

    fn peers(&self) -> Vec<PeerInfo> {
        let mut out: Vec<PeerInfo> = Vec::new();
        for peer in self.swarm.connected_peers() {
            let addr = self
                .remote
                .get(peer)
                .map(ToString::to_string)
                .unwrap_or_default();
            out.push(PeerInfo {
                peer_id: peer.to_string(),
                addr,
                found: self.notes.found_of(peer),
                latency_ms: self.rtt.get(peer).map(|d| d.as_secs_f64() * 1000.0),
                agent: self.notes.agent_of(peer),
                account: None,
                name: None,
            });
        }
        out.sort_by(|a, b| a.peer_id.cmp(&b.peer_id));
        out
    }

    fn set_lan_discovery(&mut self, on: bool) -> Result<(), String> {
        if on == self.swarm.behaviour().mdns.is_enabled() {
            return Ok(());
        }
        if on {
            let mut mdns = lan_discovery(*self.swarm.local_peer_id(), self.mdns_interval)?;
            // mDNS announces the addresses the swarm told it of; these
            // were listened on before it existed.
            let listening: Vec<Multiaddr> = self.swarm.listeners().cloned().collect();
            for addr in &listening {
                mdns.on_swarm_event(FromSwarm::NewListenAddr(NewListenAddr {
                    listener_id: ListenerId::next(),
                    addr,
                }));
            }
            self.swarm.behaviour_mut().mdns = Toggle::from(Some(mdns));
            tracing::info!("LAN discovery turned on");
        } else {
            self.swarm.behaviour_mut().mdns = Toggle::from(None);
            self.lan = LanTable::default();
            tracing::info!("LAN discovery turned off");
        }
        Ok(())
    }

    /// An address is no longer listened on: a relay no longer offers it as
    /// this node's external address.
    fn forget_listen_addr(&mut self, address: &Multiaddr) {
        if self.swarm.behaviour().relay_server.is_enabled() {
            self.swarm.remove_external_address(address);
        }
    }

    fn lan_peers(&mut self) -> LanPeers {
        let enabled = self.swarm.behaviour().mdns.is_enabled();
        let listed: Vec<PeerId> = self.lan.peer_ids().copied().collect();
        let banned: HashSet<PeerId> = listed.into_iter().filter(|p| self.is_banned(p)).collect();
        let swarm = &self.swarm;
        self.lan
            .list(enabled, |p| swarm.is_connected(p), |p| banned.contains(p))
    }

    #[allow(clippy::too_many_lines)]
    fn swarm_event(&mut self, event: SwarmEvent<BehaviourEvent>) {
        match event {
            SwarmEvent::NewListenAddr {
                listener_id,
                address,
            } => {
                tracing::info!(%address, "listening");
                self.listeners.address(listener_id, &address);
                // A node run with `--relay` is its operator's statement that
                // its listen addresses are reachable; without a confirmed
                // external address the relay would neither offer itself nor
                // give its clients an address to be reached at (AutoNAT may
                // never confirm one on a LAN).
                if self.swarm.behaviour().relay_server.is_enabled()
                    && !address
                        .iter()
                        .any(|p| matches!(p, libp2p::multiaddr::Protocol::P2pCircuit))
                {
                    self.swarm.add_external_address(address.clone());
                }
                self.answer_listen_waiting();
            }
            SwarmEvent::ExpiredListenAddr {
                listener_id,
                address,
            } => {
                self.listeners.expired(listener_id, &address);
                self.forget_listen_addr(&address);
            }
            SwarmEvent::ConnectionEstablished {
                peer_id,
                connection_id,
                endpoint,
                num_established,
                ..
            } => {
                if self.is_banned(&peer_id) {
                    let _ = self.swarm.close_connection(connection_id);
                    return;
                }
                if let Some(reply) = self.dials.remove(&connection_id) {
                    let _ = reply.send(Ok(peer_id));
                }
                self.remote
                    .insert(peer_id, endpoint.get_remote_address().clone());
                if endpoint.is_listener() {
                    self.notes.found_first(peer_id, Found::Inbound);
                } else {
                    self.dialled
                        .insert(connection_id, endpoint.get_remote_address().clone());
                    self.swarm
                        .behaviour_mut()
                        .kad
                        .add_address(&peer_id, endpoint.get_remote_address().clone());
                }
                self.lan.connected(&peer_id);
                if num_established.get() == 1 {
                    tracing::info!(peer = %peer_id, addr = %endpoint.get_remote_address(), "connected");
                    self.emit(Event::Connected(peer_id));
                }
            }
            SwarmEvent::ConnectionClosed {
                peer_id,
                connection_id,
                num_established,
                ..
            } => {
                self.dialled.remove(&connection_id);
                if num_established > 0 {
                    return;
                }
                tracing::info!(peer = %peer_id, "disconnected");
                self.rtt.remove(&peer_id);
                self.last_pong.remove(&peer_id);
                self.remote.remove(&peer_id);
                self.notes.forget(&peer_id);
                self.emit(Event::Disconnected(peer_id));
            }
            SwarmEvent::OutgoingConnectionError {
                connection_id,
                error,
                peer_id,
            } => {
                tracing::debug!(peer = ?peer_id, %error, "dial failed");
                if let Some(peer) = peer_id {
                    self.lan
                        .dial_failed(&peer, &dial_reason(&error), Instant::now());
                    if !self.swarm.is_connected(&peer) {
                        self.notes.forget(&peer);
                    }
                }
                if let Some(reply) = self.dials.remove(&connection_id) {
                    let _ = reply.send(Err(dial_reason(&error)));
                }
            }
            SwarmEvent::ListenerError { error, .. } => {
                tracing::warn!(%error, "a listener failed");
            }
            SwarmEvent::ListenerClosed {
                listener_id,
                addresses,
                reason,
            } => {
                // libp2p reports no `ExpiredListenAddr` for the addresses
                // of a listener that closed.
                for address in &addresses {
                    self.forget_listen_addr(address);
                }
                let wanted = self.listeners.closed(listener_id);
                match (reason, wanted) {
                    (Err(error), Some(wanted)) => {
                        tracing::warn!(%wanted, %error, "a listener failed");
                        self.listeners
                            .set_problem(Some(format!("stopped listening on {wanted}: {error}")));
                    }
                    (Err(error), None) => tracing::warn!(?addresses, %error, "a listener closed"),
                    (Ok(()), _) => tracing::info!(?addresses, "stopped listening"),
                }
                self.answer_listen_waiting();
            }
            SwarmEvent::NewExternalAddrCandidate { address } => {
                tracing::debug!(%address, "external address candidate");
            }
            SwarmEvent::ExternalAddrConfirmed { address } => {
                tracing::info!(%address, "external address confirmed");
            }
            SwarmEvent::Behaviour(event) => self.behaviour_event(event),
            _ => {}
        }
    }

    #[allow(clippy::too_many_lines)]
    fn behaviour_event(&mut self, event: BehaviourEvent) {
        match event {
            BehaviourEvent::Sync(request_response::Event::Message { peer, message, .. }) => {
                match message {
                    request_response::Message::Request {
                        request_id,
                        request,
                        channel,
                    } => {
                        if self.answering.admit(peer, request_id) {
                            self.emit(Event::Request {
                                peer,
                                id: request_id,
                                request,
                                channel,
                            });
                        } else {
                            tracing::debug!(
                                %peer,
                                open = self.answering.open(),
                                held = self.answering.held(),
                                "too many answers owed; busy"
                            );
                            let busy = SyncResponse::refused(
                                "busy",
                                "too many requests at once; try later",
                            );
                            let _ = self.swarm.behaviour_mut().sync.send_response(channel, busy);
                        }
                    }
                    request_response::Message::Response {
                        request_id,
                        response,
                    } => {
                        if let Some(reply) = self.pending.remove(&request_id) {
                            let _ = reply.send(Ok(response));
                        }
                    }
                }
            }
            BehaviourEvent::Sync(request_response::Event::OutboundFailure {
                request_id,
                error,
                peer,
                ..
            }) => {
                tracing::debug!(%peer, %error, "sync request failed");
                if let Some(reply) = self.pending.remove(&request_id) {
                    let _ = reply.send(Err(error.to_string()));
                }
            }
            BehaviourEvent::Sync(request_response::Event::ResponseSent { request_id, .. }) => {
                let _ = self.answering.finish(&request_id);
            }
            BehaviourEvent::Sync(request_response::Event::InboundFailure {
                peer,
                request_id,
                error,
                ..
            }) => {
                let held = self.answering.finish(&request_id);
                tracing::debug!(%peer, %error, "inbound sync request failed");
                // A large answer left unread for the whole request time:
                // its peer stops reading. Closing its connections frees
                // every answer it holds at once (it may dial again).
                if matches!(error, request_response::InboundFailure::Timeout)
                    && held.is_some_and(|(_, bytes)| bytes >= crate::answering::LARGE_ANSWER)
                {
                    tracing::info!(%peer, "a peer left a large answer unread; disconnected");
                    let _ = self.swarm.disconnect_peer_id(peer);
                }
                if let request_response::InboundFailure::Io(e) = &error
                    && e.kind() == std::io::ErrorKind::InvalidData
                {
                    self.strike(peer, "malformed sync request");
                }
            }
            BehaviourEvent::Gossip(gossipsub::Event::Message {
                propagation_source,
                message_id,
                message,
            }) => {
                if message.topic.as_str() == RELEASE_TOPIC {
                    self.emit(Event::Notice {
                        source: propagation_source,
                        origin: message.source,
                        id: message_id,
                        data: message.data,
                    });
                    return;
                }
                let account = topic_feed(message.topic.as_str());
                self.emit(Event::Gossip {
                    source: propagation_source,
                    id: message_id,
                    account,
                    data: message.data,
                });
            }
            BehaviourEvent::Gossip(gossipsub::Event::GossipsubNotSupported { peer_id }) => {
                tracing::debug!(peer = %peer_id, "peer does not speak gossipsub");
            }
            BehaviourEvent::Mdns(mdns::Event::Discovered(list)) => {
                let mut by_peer: HashMap<PeerId, Vec<Multiaddr>> = HashMap::new();
                for (peer, addr) in list {
                    by_peer.entry(peer).or_default().push(addr);
                }
                for (peer, addrs) in by_peer {
                    tracing::info!(%peer, "found on the LAN");
                    if !self.lan.found(peer, &addrs) {
                        tracing::debug!(%peer, "the list of LAN peers is full; not listed");
                    }
                    for a in &addrs {
                        self.swarm.behaviour_mut().kad.add_address(&peer, a.clone());
                    }
                    self.command(Command::DialPeer {
                        peer,
                        addrs,
                        found: Found::Mdns,
                    });
                }
            }
            BehaviourEvent::Mdns(mdns::Event::Expired(list)) => {
                for (peer, addr) in list {
                    self.lan.expired(&peer, &addr);
                }
            }
            BehaviourEvent::Identify(identify::Event::Received {
                peer_id,
                info,
                connection_id,
            }) => {
                if self.swarm.is_connected(&peer_id) {
                    self.notes.agent(peer_id, &info.agent_version);
                }
                let addrs: Vec<Multiaddr> = info.listen_addrs.into_iter().take(16).collect();
                for a in &addrs {
                    self.swarm
                        .behaviour_mut()
                        .kad
                        .add_address(&peer_id, a.clone());
                }
                let reached = self.dialled.get(&connection_id).cloned();
                self.emit(Event::Identified {
                    peer: peer_id,
                    addrs,
                    reached,
                });
            }
            BehaviourEvent::Ping(ping::Event {
                peer,
                result,
                connection,
            }) => match result {
                Ok(rtt) => {
                    self.rtt.insert(peer, rtt);
                    self.last_pong.insert(peer, Instant::now());
                }
                Err(e) => {
                    // A silent connection (a partition, a sleeping laptop):
                    // close it so the peer is redialled when reachable again.
                    tracing::debug!(%peer, error = %e, "ping failed; closing the connection");
                    let _ = self.swarm.close_connection(connection);
                }
            },
            BehaviourEvent::Kad(kad::Event::OutboundQueryProgressed {
                id, result, step, ..
            }) => {
                let Some(account) = self.queries.get(&id).copied() else {
                    return;
                };
                if step.last {
                    self.queries.remove(&id);
                }
                if let kad::QueryResult::GetProviders(Ok(kad::GetProvidersOk::FoundProviders {
                    providers,
                    ..
                })) = result
                {
                    let me = *self.swarm.local_peer_id();
                    let peers: Vec<PeerId> = providers.into_iter().filter(|p| *p != me).collect();
                    if !peers.is_empty() {
                        self.emit(Event::Carriers { account, peers });
                    }
                }
            }
            BehaviourEvent::RelayClient(event) => {
                tracing::info!(?event, "relay client");
            }
            BehaviourEvent::RelayServer(event) => {
                tracing::debug!(?event, "relay server");
            }
            BehaviourEvent::Dcutr(event) => {
                tracing::info!(?event, "direct connection upgrade");
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn dial_failures_are_said_plainly_with_the_systems_words_after() {
        let cases = [
            (
                "Multiple dial errors occurred: Connection refused (os error 111)",
                "Connection refused (os error 111)",
                "nothing listens at that address (Connection refused (os error 111))",
            ),
            (
                "Handshake failed: invalid data",
                "invalid data",
                "something answers there, but it is not a Kith node (invalid data)",
            ),
            (
                "Handshake with the remote timed out.",
                "Handshake with the remote timed out.",
                "no answer in time (Handshake with the remote timed out)",
            ),
            (
                "no records found for Query { name: Name(\"x.invalid.\") }",
                "no records found for Query { name: Name(\"x.invalid.\") }",
                "that name is not known to the DNS",
            ),
            ("odd: something new", "something new", "something new"),
        ];
        for (chain, last, want) in cases {
            assert_eq!(super::plainly(chain, last), want, "for {chain:?}");
        }
    }

    #[test]
    fn notes_of_peers_met_once_are_forgotten_and_agent_strings_are_bounded() {
        let mut notes = PeerNotes::default();
        let long = "x".repeat(4096);
        for _ in 0..1000 {
            let peer = PeerId::random();
            notes.found_first(peer, Found::Inbound);
            notes.agent(peer, &long);
            assert_eq!(
                notes.agent_of(&peer).map(|a| a.chars().count()),
                Some(MAX_AGENT_CHARS)
            );
            notes.forget(&peer);
        }
        assert_eq!(notes.len(), 0, "nothing is kept of peers that left");
        let peer = PeerId::random();
        notes.found(peer, Found::Dht);
        notes.found_first(peer, Found::Inbound);
        assert_eq!(
            notes.found_of(&peer),
            Found::Dht,
            "the first way found stays"
        );
    }

    #[test]
    fn the_peer_of_a_relayed_address_is_the_one_behind_the_relay() {
        let relay = PeerId::random();
        let target = PeerId::random();
        let direct: Multiaddr = format!("/ip4/10.0.0.1/tcp/4001/p2p/{target}")
            .parse()
            .unwrap();
        let relayed: Multiaddr =
            format!("/ip4/10.0.0.2/tcp/4001/p2p/{relay}/p2p-circuit/p2p/{target}")
                .parse()
                .unwrap();
        let bare: Multiaddr = "/ip4/10.0.0.1/tcp/4001".parse().unwrap();
        assert_eq!(peer_of(&direct), Some(target));
        assert_eq!(peer_of(&relayed), Some(target));
        assert_eq!(peer_of(&bare), None);
    }
}
