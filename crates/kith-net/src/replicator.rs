//! The replicator: decides what to exchange with whom. It listens to the
//! swarm's events, answers peers' sync requests from the store, validates
//! gossip before it is stored or forwarded, publishes local changes,
//! reconciles feeds with every connected peer (on connect, and whenever
//! either side's heads change), and fetches missing blobs.

mod blobs;
mod in_order;
mod known;
mod sealed;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use automerge::ChangeHash;
use kith_core::{AccountId, CoreError, DeviceCertificate, Envelope, Hash};
use kith_node::{Node, now_ms};
use kith_store::StoreError;
use libp2p::gossipsub::{MessageAcceptance, MessageId};
use libp2p::{Multiaddr, PeerId};
use serde::Serialize;
use serde_bytes::ByteBuf;
use tokio::sync::{Semaphore, oneshot};

use crate::activity::{Activity, ActivitySender};
use crate::protocol::{
    FeedHeads, MAX_CERTIFICATES, MAX_FEEDS_PER_REQUEST, MAX_HAVE, PAGE_BYTES, RECENT_BYTES,
    SyncRequest, SyncResponse, Update, bodies_to_wire, decode_parts, hash32, hashes,
    hashes_to_wire,
};
use crate::store_actor::{JobError, NodeHandle};
use crate::swarm::{Command, Event, Found, SwarmHandle, peer_of};

/// Gossip messages validated at once; more are ignored (not stored, not forwarded).
const MAX_GOSSIP_IN_FLIGHT: usize = 64;
/// Heads are re-sent to a peer at least this often even if unchanged.
const HEADS_REFRESH: Duration = Duration::from_secs(30);
/// How long a heads exchange may take before the connection is presumed dead.
const HEADS_TIMEOUT: Duration = Duration::from_secs(5);
/// How long the first page of a sync waits for the peer's snapshot to
/// arrive and load (~0.5 s for a 100,000-change feed, usually while the
/// peer still builds that page).
const SEED_WAIT: Duration = Duration::from_secs(3);
/// How long a node that holds nothing of a feed waits for the peer's
/// snapshot before asking for the feed's newest changes.
const SNAPSHOT_FIRST: Duration = Duration::from_millis(250);
/// Most pages fetched in one pull.
const MAX_PAGES: usize = 10_000;
/// How long a pull of a feed from one peer runs before it gives its turn
/// to another peer waiting to be pulled the same feed from (a peer that
/// trickles a feed slowly cannot hold it back from the others).
const PULL_TURN: Duration = Duration::from_secs(60);

/// Replication state of one feed, for `kith sync-status`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FeedSync {
    /// Connected peers known to hold this feed.
    #[serde(skip)]
    pub holders: HashSet<PeerId>,
    /// When this node last held everything a peer had of this feed: a
    /// pull finished, or a peer's heads were all held here (ms since the
    /// epoch).
    pub last_sync: Option<i64>,
    /// Whether a pull is running.
    pub in_progress: bool,
    /// Changes received in the running (or last) pull.
    pub received: u64,
    /// Changes the peer being pulled from holds.
    pub expected: u64,
    /// Pulls asked for while one ran (newer heads, a gossip change whose
    /// dependencies are missing), one per peer, in the order asked: each
    /// runs in turn once the running pull ends.
    #[serde(skip)]
    waiting: std::collections::VecDeque<(PeerId, u64)>,
}

/// Peers whose pull of one feed may wait at once; further requests are
/// dropped (the peer's next heads exchange asks again).
const MAX_WAITING_PULLS: usize = 8;

impl FeedSync {
    /// A pull from `peer` asked for while one runs waits its turn, after
    /// those of the peers that asked before; asked again, it keeps its
    /// place. No peer, however often it sends heads, takes another's turn.
    fn wait_turn(&mut self, peer: PeerId, expected: u64) {
        if let Some(waiting) = self.waiting.iter_mut().find(|(p, _)| *p == peer) {
            waiting.1 = expected;
        } else if self.waiting.len() < MAX_WAITING_PULLS {
            self.waiting.push_back((peer, expected));
        }
    }
}

/// State shared by the replicator's tasks.
#[derive(Debug, Default)]
pub struct Shared {
    /// Feeds this node carries.
    pub carried: HashSet<AccountId>,
    /// Per feed replication state.
    pub feeds: HashMap<AccountId, FeedSync>,
    pub(crate) connected: HashSet<PeerId>,
    exchanging: HashSet<PeerId>,
    /// Peers to exchange heads with again once the running exchange ends.
    again: HashSet<PeerId>,
    /// Digest of the heads last sent to each peer, and when.
    sent: HashMap<PeerId, ([u8; 32], Instant)>,
    /// Peers to keep dialling when not connected (bounded).
    pub(crate) known: known::KnownPeers,
    /// Sync requests this node sent, by kind (for `sync-status` and benchmarks).
    pub sent_requests: RequestCounts,
    /// Per peer: what it pushed and asked of this node this minute.
    pub(crate) limits: crate::peer_limits::PeerLimits,
    /// Update notices, offers and downloads.
    pub(crate) updates: crate::release::Updates,
    /// Why writes of what peers sent fail for a reason of this
    /// computer's (the disk is full), while they do.
    store_failures: StoreFailures,
    /// Whether a round of wanted blobs is running.
    fetching_wanted: bool,
}

/// What peers sent that could not be written here, by kind: each is
/// cleared by the next write of its own kind that succeeds (on a full disk
/// a small database write may still fit where a picture does not).
#[derive(Debug, Default)]
struct StoreFailures {
    /// Changes and bodies (pages, gossip).
    database: Option<String>,
    /// Pictures.
    pictures: Option<String>,
}

/// What [`Replicator::stored`] and [`Replicator::not_stored`] are about.
#[derive(Debug, Clone, Copy)]
pub(super) enum Written {
    /// Changes and bodies, in the database.
    Database,
    /// A picture, in the blob folder.
    Picture,
}

impl StoreFailures {
    fn of(&mut self, kind: Written) -> &mut Option<String> {
        match kind {
            Written::Database => &mut self.database,
            Written::Picture => &mut self.pictures,
        }
    }
}

/// Replication state of one carried feed, as `kith sync-status` and the
/// desktop app show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct FeedStatus {
    /// The feed.
    #[cfg_attr(feature = "specta", specta(type = String))]
    pub account: AccountId,
    /// Its author's display name, if known.
    pub name: Option<String>,
    /// Changes held.
    pub changes: u64,
    /// Connected peers known to hold it.
    pub peers: u32,
    /// When this node last held everything a peer had of it: a pull
    /// finished, or a peer's heads were all held here (ms since the epoch).
    pub last_sync: Option<i64>,
    /// Whether a pull is running.
    pub in_progress: bool,
    /// Changes received in the running (or last) pull.
    pub received: u64,
    /// Changes the peer being pulled from holds.
    pub expected: u64,
}

/// Replication state of every carried feed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct SyncStatus {
    /// One entry per carried feed.
    pub feeds: Vec<FeedStatus>,
    /// Sync requests this node sent.
    pub requests_sent: RequestCounts,
    /// Why what peers send cannot be stored here (the disk is full), while
    /// that lasts: nothing new arrives until it is fixed.
    pub store_failure: Option<String>,
}

/// Sync requests sent, by kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct RequestCounts {
    /// Heads exchanges.
    pub heads: u64,
    /// Pages of changes.
    pub changes: u64,
    /// Blobs.
    pub blobs: u64,
    /// CBOR bytes of those requests (before transport framing).
    pub request_bytes: u64,
    /// CBOR bytes of their answers (before transport framing).
    pub response_bytes: u64,
}

fn cbor_len<T: Serialize>(message: &T) -> u64 {
    cbor4ii::serde::to_vec(Vec::new(), message).map_or(0, |v| v.len() as u64)
}

/// The replicator: cheap to clone, every clone shares state.
#[derive(Clone)]
pub struct Replicator {
    /// The node thread.
    pub node: NodeHandle,
    /// The swarm task.
    pub swarm: SwarmHandle,
    /// Shared state.
    pub shared: Arc<Mutex<Shared>>,
    /// Where activity is told to front ends.
    pub activity: ActivitySender,
    gossip_permits: Arc<Semaphore>,
    /// Held while the carried feeds are re-read, so that two re-readings
    /// never apply out of order.
    refreshing: Arc<tokio::sync::Mutex<()>>,
    /// Whether a re-reading asked for by changes from peers waits to run.
    refresh_wanted: Arc<std::sync::atomic::AtomicBool>,
}

pub(crate) fn lock(shared: &Mutex<Shared>) -> std::sync::MutexGuard<'_, Shared> {
    shared
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Whether a store error is the sender's fault (bad signature, schema,
/// certificate) rather than ours (disk, database) or an author's. A
/// change whose device signed another with the same sequence number (an
/// equivocation) is its author's doing: a peer that relays it may hold
/// that other history. An unknown certificate is the sender's fault only
/// if `unknown_certificate_is_fault`: not for a page that brought as many
/// certificates as a page may ([`MAX_CERTIFICATES`]: a feed of more
/// devices, from a peer that cut the certificates rather than the page).
fn peer_fault(e: &StoreError, unknown_certificate_is_fault: bool) -> bool {
    match e {
        StoreError::Core(CoreError::Equivocation { .. }) => false,
        StoreError::Core(_) => true,
        StoreError::UnknownCertificate { .. } => unknown_certificate_is_fault,
        StoreError::Rejected { source, .. } => peer_fault(source, unknown_certificate_is_fault),
        _ => false,
    }
}

impl Replicator {
    /// A replicator over a node thread and a swarm task.
    pub fn new(node: NodeHandle, swarm: SwarmHandle) -> Self {
        Self {
            node,
            swarm,
            shared: Arc::new(Mutex::new(Shared::default())),
            activity: ActivitySender::default(),
            gossip_permits: Arc::new(Semaphore::new(MAX_GOSSIP_IN_FLIGHT)),
            refreshing: Arc::new(tokio::sync::Mutex::new(())),
            refresh_wanted: Arc::new(std::sync::atomic::AtomicBool::new(false)),
        }
    }

    /// Loads the carried feeds, joins their topics, announces them, and
    /// dials the given and remembered peers.
    pub async fn start(&self, bootstrap: &[Multiaddr]) -> Result<(), String> {
        let (carried, known, policy, home) = self
            .node
            .local(|n| {
                let carried = n.store().carried_feeds().unwrap_or_default();
                let known = n.store().known_peers(64).unwrap_or_default();
                let policy = n.store().policy().unwrap_or_default();
                (carried, known, policy, n.home().to_owned())
            })
            .await
            .map_err(|e| e.to_string())?;
        self.set_release_home(home);
        lock(&self.shared).limits.peer_rate = policy.peer_rate;
        for (i, account) in carried.iter().enumerate() {
            self.swarm.send(Command::Subscribe(*account)).await?;
            self.swarm.send(Command::Provide(*account)).await?;
            // The first is this home's own feed; look for carriers of the others.
            if i > 0 {
                self.swarm.send(Command::FindCarriers(*account)).await?;
            }
        }
        {
            let mut guard = lock(&self.shared);
            let s = &mut *guard;
            s.carried = carried.into_iter().collect();
            let now = Instant::now();
            for p in known {
                if let Ok(peer) = p.peer_id.parse::<PeerId>() {
                    let addrs: Vec<Multiaddr> =
                        p.addrs.iter().filter_map(|a| a.parse().ok()).collect();
                    s.known.remembered(peer, &addrs, now, &s.connected);
                }
            }
        }
        self.bootstrap(bootstrap).await?;
        self.redial().await;
        Ok(())
    }

    /// Dials bootstrap addresses, and keeps redialling the peers they name
    /// while they are not connected. A peer already connected is not
    /// dialled again.
    pub async fn bootstrap(&self, addrs: &[Multiaddr]) -> Result<(), String> {
        for addr in addrs {
            let Some(peer) = peer_of(addr) else {
                self.swarm
                    .send(Command::Dial {
                        addr: addr.clone(),
                        found: Found::Dialled,
                        reply: None,
                    })
                    .await?;
                continue;
            };
            {
                let mut guard = lock(&self.shared);
                let s = &mut *guard;
                s.known
                    .give(peer, addr.clone(), Instant::now(), &s.connected);
            }
            self.swarm
                .send(Command::DialPeer {
                    peer,
                    addrs: vec![addr.clone()],
                    found: Found::Dialled,
                })
                .await?;
        }
        Ok(())
    }

    /// Handles one swarm event (spawning work that may wait).
    #[allow(clippy::too_many_lines)] // one arm per event, each short
    pub fn on_event(&self, event: Event) {
        match event {
            Event::Connected(peer) => {
                let connected = {
                    let mut s = lock(&self.shared);
                    s.connected.insert(peer);
                    s.known.connected(&peer, Instant::now());
                    s.connected.len()
                };
                self.activity.send(Activity::Peers { connected });
                let me = self.clone();
                tokio::spawn(async move { me.exchange_heads(peer, true).await });
                let me = self.clone();
                tokio::spawn(async move { me.deliver_reports().await });
                self.announce_after_connect();
            }
            Event::Disconnected(peer) => {
                let connected = {
                    let mut s = lock(&self.shared);
                    s.connected.remove(&peer);
                    s.known.disconnected(&peer, Instant::now());
                    s.sent.remove(&peer);
                    // Learnt again from its heads when it comes back.
                    for feed in s.feeds.values_mut() {
                        feed.holders.remove(&peer);
                    }
                    s.connected.len()
                };
                self.activity.send(Activity::Peers { connected });
            }
            Event::Identified {
                peer,
                addrs,
                reached,
            } => {
                // The address this node reached it at first: it works.
                let addrs: Vec<Multiaddr> = reached.iter().chain(addrs.iter()).cloned().collect();
                {
                    let mut guard = lock(&self.shared);
                    let s = &mut *guard;
                    s.known.identified(
                        peer,
                        &addrs,
                        reached.is_some(),
                        Instant::now(),
                        &s.connected,
                    );
                }
                // Only a peer this node reached by dialling it is
                // remembered for later sessions: anyone can dial in under
                // any number of peer ids announcing dead addresses.
                if reached.is_some() {
                    let me = self.clone();
                    tokio::spawn(async move {
                        let text: Vec<String> = addrs
                            .iter()
                            .take(known::MAX_ADDRS)
                            .map(ToString::to_string)
                            .collect();
                        let id = peer.to_string();
                        let _ = me
                            .node
                            .background(move |n| n.store().remember_peer(&id, &text, now_ms()))
                            .await;
                    });
                }
            }
            Event::Request {
                peer,
                id,
                request,
                channel,
            } => {
                let me = self.clone();
                tokio::spawn(async move {
                    let response = me.answer(peer, request).await;
                    let _ = me
                        .swarm
                        .send(Command::Respond {
                            id,
                            channel,
                            response,
                        })
                        .await;
                });
            }
            Event::Gossip {
                source,
                id,
                account,
                data,
            } => {
                let Ok(permit) = Arc::clone(&self.gossip_permits).try_acquire_owned() else {
                    let swarm = self.swarm.clone();
                    tokio::spawn(async move {
                        let _ = swarm
                            .send(Command::Validated {
                                id,
                                source,
                                acceptance: MessageAcceptance::Ignore,
                            })
                            .await;
                    });
                    return;
                };
                let me = self.clone();
                tokio::spawn(async move {
                    me.validate_gossip(source, id, account, data).await;
                    drop(permit);
                });
            }
            Event::Notice {
                source,
                origin,
                id,
                data,
            } => {
                let acceptance = self.validate_notice(source, origin, &id, &data);
                let swarm = self.swarm.clone();
                tokio::spawn(async move {
                    let _ = swarm
                        .send(Command::Validated {
                            id,
                            source,
                            acceptance,
                        })
                        .await;
                });
            }
            Event::Carriers { account, peers } => {
                let swarm = self.swarm.clone();
                tokio::spawn(async move {
                    for peer in peers.into_iter().take(8) {
                        let _ = swarm
                            .send(Command::DialPeer {
                                peer,
                                addrs: Vec::new(),
                                found: Found::Dht,
                            })
                            .await;
                    }
                    tracing::debug!(%account, "dialling carriers found in the DHT");
                });
            }
        }
    }

    /// Periodic work: heads to peers whose view of ours is stale, and
    /// dialling known peers and peers found on the LAN that are not
    /// connected.
    pub async fn tick(&self) {
        let peers: Vec<PeerId> = lock(&self.shared).connected.iter().copied().collect();
        for peer in peers {
            let me = self.clone();
            tokio::spawn(async move { me.exchange_heads(peer, false).await });
        }
        self.redial().await;
        if lock(&self.shared).limits.report_retry_due() {
            let me = self.clone();
            tokio::spawn(async move { me.deliver_reports().await });
        }
        if self.announce_due() {
            let me = self.clone();
            tokio::spawn(async move { me.announce_release(false).await });
        }
        let me = self.clone();
        tokio::spawn(async move { me.fetch_wanted_blobs().await });
        // An answer a peer stopped paging through is not kept past its time.
        let node = self.node.clone();
        tokio::spawn(async move {
            let _ = node
                .background(|n| {
                    n.store_mut()
                        .forget_answers_older_than(kith_store::ANSWER_KEPT_FOR)
                })
                .await;
        });
    }

    async fn redial(&self) {
        let targets: Vec<(PeerId, Vec<Multiaddr>, Found)> = {
            let mut guard = lock(&self.shared);
            let s = &mut *guard;
            s.known
                .due(Instant::now(), &s.connected, known::REDIAL_PER_TICK)
        };
        for (peer, addrs, found) in targets {
            let _ = self
                .swarm
                .send(Command::DialPeer { peer, addrs, found })
                .await;
        }
        let _ = self.swarm.send(Command::RedialLan).await;
    }

    /// Our carried feeds' heads, as sent to peers.
    async fn our_heads(&self) -> Result<Vec<FeedHeads>, JobError> {
        let carried: Vec<AccountId> = lock(&self.shared).carried.iter().copied().collect();
        self.node
            .background(move |n| {
                n.store_mut()
                    .feed_states(&carried)
                    .unwrap_or_default()
                    .into_iter()
                    .take(MAX_FEEDS_PER_REQUEST)
                    .map(|s| FeedHeads::new(s.account, &s.heads, s.changes))
                    .collect()
            })
            .await
    }

    /// Sends our heads to `peer` (if they changed since last time, or
    /// `force`) and pulls the feeds where its answer shows changes we lack.
    pub async fn exchange_heads(&self, peer: PeerId, force: bool) {
        let mut force = force;
        // At most a few rounds: one more if our heads changed meanwhile.
        for _ in 0..3 {
            if !self.exchange_once(peer, force).await {
                return;
            }
            force = true;
        }
    }

    /// One heads exchange; returns whether another was asked for while it ran.
    async fn exchange_once(&self, peer: PeerId, force: bool) -> bool {
        let Ok(ours) = self.our_heads().await else {
            return false;
        };
        let digest = {
            let mut h = blake3::Hasher::new();
            for f in &ours {
                h.update(&f.account);
                for head in &f.heads {
                    h.update(head);
                }
            }
            *h.finalize().as_bytes()
        };
        {
            let mut s = lock(&self.shared);
            if s.exchanging.contains(&peer) {
                if force {
                    s.again.insert(peer);
                }
                return false;
            }
            let fresh = s
                .sent
                .get(&peer)
                .is_some_and(|(d, at)| *d == digest && at.elapsed() < HEADS_REFRESH);
            if fresh && !force {
                return false;
            }
            s.exchanging.insert(peer);
            s.sent.insert(peer, (digest, Instant::now()));
        }
        let request = SyncRequest::Heads { feeds: ours };
        {
            let mut s = lock(&self.shared);
            s.sent_requests.heads += 1;
            s.sent_requests.request_bytes += cbor_len(&request);
        }
        let result = tokio::time::timeout(HEADS_TIMEOUT, self.swarm.request(peer, request))
            .await
            .unwrap_or_else(|_| {
                // No answer to a tiny request: if pings have stopped too, the
                // connection is dead (a partition, a sleeping laptop); drop it
                // so the peer is redialled as soon as it is reachable. A peer
                // that is merely busy still answers pings and stays connected.
                let swarm = self.swarm.clone();
                tokio::spawn(async move {
                    swarm
                        .send(Command::DisconnectIfSilent {
                            peer,
                            silent_for: HEADS_TIMEOUT,
                        })
                        .await
                });
                Err("no answer to heads in time; disconnected".into())
            });
        let again = {
            let mut s = lock(&self.shared);
            s.exchanging.remove(&peer);
            s.again.remove(&peer)
        };
        if let Ok(response) = &result {
            lock(&self.shared).sent_requests.response_bytes += cbor_len(response);
        }
        match result {
            Ok(SyncResponse::Heads { feeds }) => {
                self.compare_heads(peer, &feeds, Asker::ThisNode).await;
            }
            Ok(SyncResponse::Refused { code, .. }) => {
                tracing::debug!(%peer, code, "heads refused");
                lock(&self.shared).sent.remove(&peer);
            }
            Ok(_) => self.strike(peer, "wrong answer to a heads request").await,
            Err(e) => {
                tracing::debug!(%peer, error = %e, "heads exchange failed");
                lock(&self.shared).sent.remove(&peer);
            }
        }
        again
    }

    /// Records which carried feeds `peer` holds and pulls those where it
    /// has changes we lack. Heads the peer sent unasked are checked on its
    /// share of the node thread (a peer could send made-up heads of every
    /// carried feed again and again): past its share they are not checked.
    async fn compare_heads(&self, peer: PeerId, feeds: &[FeedHeads], asker: Asker) {
        let mut wanted: Vec<(AccountId, Vec<ChangeHash>, u64)> = Vec::new();
        let mut newly_held = Vec::new();
        for f in feeds.iter().take(MAX_FEEDS_PER_REQUEST) {
            let Ok((account, heads)) = f.decode() else {
                self.strike(peer, "malformed feed heads").await;
                return;
            };
            let mut s = lock(&self.shared);
            if !s.carried.contains(&account) {
                continue;
            }
            if s.feeds.entry(account).or_default().holders.insert(peer) {
                newly_held.push(account);
            }
            if !heads.is_empty() {
                wanted.push((account, heads, f.changes));
            }
        }
        self.hurry_wanted_blobs(newly_held).await;
        if wanted.is_empty() {
            return;
        }
        // Feeds whose every head the peer sent is held here, and those it
        // has changes of that this node lacks (a feed the store cannot
        // check is in neither).
        let check = move |n: &mut Node| {
            let (mut held, mut missing) = (Vec::new(), Vec::new());
            for (account, heads, changes) in wanted {
                match n.store_mut().has_changes(account, &heads) {
                    Ok(true) => held.push(account),
                    Ok(false) => missing.push((account, changes)),
                    Err(e) => tracing::warn!(%account, error = %e, "heads not checked"),
                }
            }
            (held, missing)
        };
        let checked = match asker {
            Asker::ThisNode => self.node.background(check).await,
            Asker::Peer => self.serve(peer, check).await,
        };
        let (held, missing) = checked.unwrap_or_default();
        // Everything the peer has of these feeds is here: as good as a
        // pull that found nothing new.
        if !held.is_empty() {
            let now = now_ms();
            let mut s = lock(&self.shared);
            for account in held {
                s.feeds.entry(account).or_default().last_sync = Some(now);
            }
        }
        for (account, expected) in missing {
            let me = self.clone();
            tokio::spawn(async move { me.pull(account, peer, expected).await });
        }
    }

    pub(crate) async fn strike(&self, peer: PeerId, reason: &str) {
        let _ = self
            .swarm
            .send(Command::Strike {
                peer,
                reason: reason.to_owned(),
            })
            .await;
    }

    /// Fetches the changes of `account` that `peer` has and we lack, page
    /// by page (the next page is requested while this one is stored). A
    /// pull asked for while one of the same feed runs is not dropped: it
    /// runs when that one ends (the running one may predate what the new
    /// request is about).
    pub async fn pull(&self, account: AccountId, peer: PeerId, expected: u64) {
        let mut next = Some((peer, expected));
        while let Some((peer, expected)) = next.take() {
            {
                let mut s = lock(&self.shared);
                let f = s.feeds.entry(account).or_default();
                if f.in_progress {
                    f.wait_turn(peer, expected);
                    return;
                }
                f.in_progress = true;
                f.received = 0;
                f.expected = expected;
            }
            self.activity.send(Activity::Sync {
                account,
                received: 0,
                expected,
                in_progress: true,
            });
            let started = Instant::now();
            let result = self.pull_pages(account, peer).await;
            let received = {
                let mut s = lock(&self.shared);
                let f = s.feeds.entry(account).or_default();
                f.in_progress = false;
                if result.is_ok() {
                    f.last_sync = Some(now_ms());
                }
                next = f.waiting.pop_front();
                f.received
            };
            self.activity.send(Activity::Sync {
                account,
                received,
                expected,
                in_progress: false,
            });
            match result {
                Ok(n) => {
                    tracing::info!(%account, %peer, changes = n, ms = started.elapsed().as_millis() as u64, "feed synced");
                }
                Err(e) => tracing::debug!(%account, %peer, error = %e, "pull stopped"),
            }
        }
    }

    /// The heads of `account`'s feed this node holds (at most [`MAX_HAVE`]).
    async fn stored_heads(&self, account: AccountId) -> Result<Vec<ChangeHash>, String> {
        let mut heads = self
            .node
            .background(move |n| {
                n.store_mut()
                    .feed_states(&[account])
                    .ok()
                    .and_then(|mut v| v.pop())
                    .map(|s| s.heads)
                    .unwrap_or_default()
            })
            .await
            .map_err(|e| e.to_string())?;
        heads.truncate(MAX_HAVE);
        Ok(heads)
    }

    #[allow(clippy::too_many_lines)] // the pull loop, told in order
    async fn pull_pages(&self, account: AccountId, peer: PeerId) -> Result<u64, String> {
        let began = Instant::now();
        let mut have = self.stored_heads(account).await?;
        let mut received = 0u64;
        if have.is_empty() {
            // Nothing of this feed here yet: the peer's snapshot, to seed
            // the feed from, then its newest posts, so that they show while
            // the seed loads; then the seals of the seed's changes. What
            // the seed lacks (or all of it, if no seed was taken or its
            // seals did not all come) follows in whole changes.
            // No snapshot is asked for when none could be planted (a seed
            // of an earlier pull still waits for its changes, or was given
            // up): it may be 15 MiB.
            let may_seed = self
                .node
                .background(move |n| n.store_mut().may_plant_seed(account).unwrap_or(false))
                .await
                .unwrap_or(false);
            let seeding = if may_seed {
                self.ask_for_seed(account, peer).await
            } else {
                None
            };
            match self.pull_recent(account, peer).await {
                Ok(n) => received = n,
                Err(e) => tracing::debug!(%account, %peer, error = %e, "no newest changes"),
            }
            if let Some(seed) = seeding
                && let Some(rebuilt) = self.plant_when_loaded(account, peer, seed).await
            {
                match self
                    .pull_sealed(account, peer, rebuilt, received, began)
                    .await
                {
                    Ok(n) => received = n,
                    Err(e) => {
                        tracing::debug!(%account, %peer, error = %e, "seals stopped: the rest comes in whole changes");
                        // The pages stored before it stopped still count.
                        received = lock(&self.shared)
                            .feeds
                            .get(&account)
                            .map_or(received, |f| f.received);
                    }
                }
                have = self.stored_heads(account).await?;
            }
            if self.turn_over(began, account, peer) {
                // A seed planted here stays: the next peer's pages of whole
                // changes complete it, or show it cannot be completed.
                return Err(format!(
                    "gave its turn to another peer after {received} changes"
                ));
            }
        }
        let request = |have: &[ChangeHash], skip: u64| SyncRequest::Changes {
            account: ByteBuf::from(account.as_bytes().to_vec()),
            have: hashes_to_wire(have),
            skip,
            max_bytes: PAGE_BYTES,
        };
        let spawn_request = |req: SyncRequest| {
            self.count_page_request(&req);
            let swarm = self.swarm.clone();
            tokio::spawn(async move { swarm.request(peer, req).await })
        };
        let mut attempts = 0;
        let mut skip = 0u64;
        let mut pages = in_order::InOrder::new(account, peer, "page stored", received);
        let mut inflight = Some(spawn_request(request(&have, 0)));
        for _ in 0..MAX_PAGES {
            let Some(pending) = inflight.take() else {
                break;
            };
            let response = pending.await.map_err(|e| e.to_string())??;
            lock(&self.shared).sent_requests.response_bytes += cbor_len(&response);
            let SyncResponse::Changes {
                certificates,
                envelopes,
                bodies,
                more,
                unknown_have,
            } = response
            else {
                return Err(self.unexpected(peer, response, "a changes request").await);
            };
            if unknown_have && envelopes.is_empty() && attempts < 2 {
                // The peer cannot place our heads (we diverged): show it
                // older points of our history, then, failing that, nothing.
                attempts += 1;
                have = if attempts == 1 {
                    self.node
                        .background(move |n| {
                            n.store_mut()
                                .ancestry_sample(account, MAX_HAVE)
                                .unwrap_or_default()
                        })
                        .await
                        .map_err(|e| e.to_string())?
                } else {
                    Vec::new()
                };
                skip = 0;
                inflight = Some(spawn_request(request(&have, 0)));
                continue;
            }
            let n = envelopes.len() as u64;
            if more && n > 0 {
                skip += n;
                inflight = Some(spawn_request(request(&have, skip)));
            }
            let decoded = self
                .decode_feed_page(
                    peer,
                    account,
                    "changes page",
                    &certificates,
                    &envelopes,
                    &bodies,
                )
                .await?;
            // Signatures are checked off the node thread while it still
            // writes the previous page; pages are stored in order.
            let page = verify_page(decoded, more && n > 0, pages.busy()).await?;
            pages.push(self, page, n, more).await?;
            if !more || n == 0 {
                break;
            }
            if self.turn_over(began, account, peer) {
                let received = pages.finish(self).await?;
                return Err(format!(
                    "gave its turn to another peer after {received} changes"
                ));
            }
        }
        pages.finish(self).await
    }

    /// Something peers sent was written: a failure to write its kind is over.
    pub(super) fn stored(&self, kind: Written) {
        *lock(&self.shared).store_failures.of(kind) = None;
    }

    /// Something peers sent could not be written: remembered for
    /// `sync-status` and the window when the cause is this computer's
    /// (the disk is full), not the sender's.
    pub(super) fn not_stored(&self, kind: Written, e: &StoreError) {
        if matches!(e, StoreError::DiskFull { .. }) {
            tracing::warn!(error = %e, "what peers send cannot be stored");
            *lock(&self.shared).store_failures.of(kind) = Some(e.to_string());
        }
    }

    /// Whether a pull of `account`'s feed from `peer` that `began` then has
    /// had its turn ([`PULL_TURN`]) and another peer waits to be pulled
    /// the feed from.
    pub(super) fn turn_over(&self, began: Instant, account: AccountId, peer: PeerId) -> bool {
        began.elapsed() >= PULL_TURN
            && lock(&self.shared)
                .feeds
                .get(&account)
                .is_some_and(|f| f.waiting.iter().any(|(waiting, _)| *waiting != peer))
    }

    /// Counts a request for a page of a feed (changes, newest changes or
    /// seals) and its bytes, for `sync-status`.
    fn count_page_request(&self, req: &SyncRequest) {
        let mut s = lock(&self.shared);
        s.sent_requests.changes += 1;
        s.sent_requests.request_bytes += cbor_len(req);
    }

    /// The error for an answer that is not the one `asked` expects: a
    /// refusal is passed on; anything else strikes `peer`.
    async fn unexpected(&self, peer: PeerId, response: SyncResponse, asked: &str) -> String {
        if let SyncResponse::Refused { code, message } = response {
            return format!("refused ({code}): {message}");
        }
        self.strike(peer, &format!("wrong answer to {asked}")).await;
        "wrong answer".into()
    }

    /// Records and announces how many changes of `account`'s feed arrived
    /// in the sync under way.
    fn progress(&self, account: AccountId, received: u64) {
        let expected = {
            let mut s = lock(&self.shared);
            let f = s.feeds.entry(account).or_default();
            f.received = received;
            f.expected
        };
        self.activity.send(Activity::Sync {
            account,
            received,
            expected,
            in_progress: true,
        });
    }

    /// Answers a request for the newest changes of a feed.
    async fn answer_recent(&self, peer: PeerId, account: &[u8], max_bytes: u32) -> SyncResponse {
        let account = match AccountId::from_slice(account) {
            Ok(a) => a,
            Err(e) => {
                self.strike(peer, &e.to_string()).await;
                return SyncResponse::refused("malformed", e);
            }
        };
        let budget = max_bytes.clamp(1, RECENT_BYTES) as usize;
        let answer = match self
            .serve(peer, move |n| recent_page(n, account, budget))
            .await
        {
            Ok(Ok(r)) => r,
            Ok(Err(e)) => return SyncResponse::refused("unavailable", e),
            Err(e) => return SyncResponse::refused("busy", e),
        };
        // A peer that holds nothing of the feed asks next for the seals
        // of the snapshot it was offered: read them while it rebuilds the
        // changes (queued behind this answer on the node thread).
        let me = self.clone();
        tokio::spawn(async move {
            let t = Instant::now();
            if let Ok(Ok(true)) = me
                .serve(peer, move |n| n.store_mut().prepare_seals(account))
                .await
            {
                tracing::debug!(%account, ms = t.elapsed().as_millis() as u64, "seals read ahead");
            }
        });
        answer
    }

    /// Asks `peer` for its stored snapshot of `account`'s feed (answered
    /// without loading the feed) and waits up to [`SNAPSHOT_FIRST`] for the
    /// answer before the caller asks for anything else: asked for together,
    /// the newest changes could reach the peer's node thread first, and
    /// their answer loads the feed (~0.3 s at 100,000 changes). The
    /// snapshot is then loaded in the background (see `fetch_seed`).
    async fn ask_for_seed(
        &self,
        account: AccountId,
        peer: PeerId,
    ) -> Option<tokio::task::JoinHandle<Option<(kith_store::Seed, kith_store::Rebuilt)>>> {
        let req = SyncRequest::Snapshot {
            account: ByteBuf::from(account.as_bytes().to_vec()),
        };
        lock(&self.shared).sent_requests.request_bytes += cbor_len(&req);
        let mut answer = Box::pin(self.swarm.start_request(peer, req).await.ok()?);
        let early = tokio::time::timeout(SNAPSHOT_FIRST, &mut answer).await;
        let answer = async move {
            match early {
                Ok(response) => response,
                Err(_) => answer.await,
            }
        };
        let me = self.clone();
        Some(tokio::spawn(async move {
            me.fetch_seed(account, peer, answer).await
        }))
    }

    /// Waits (at most [`SEED_WAIT`], so a peer that never answers costs
    /// little) for the snapshot `seed` loads and makes it the seed of
    /// `account`'s feed if the store takes it. Returns its changes,
    /// rebuilt, if it was taken.
    async fn plant_when_loaded(
        &self,
        account: AccountId,
        peer: PeerId,
        seed: tokio::task::JoinHandle<Option<(kith_store::Seed, kith_store::Rebuilt)>>,
    ) -> Option<kith_store::Rebuilt> {
        let abort = seed.abort_handle();
        let (seed, rebuilt) = match tokio::time::timeout(SEED_WAIT, seed).await {
            Ok(Ok(Some(loaded))) => loaded,
            Ok(_) => return None,
            Err(_) => {
                abort.abort();
                tracing::debug!(%account, %peer, "the peer's snapshot came too late to seed from");
                return None;
            }
        };
        let changes = seed.changes();
        match self
            .node
            .background(move |n| n.store_mut().plant_seed(seed))
            .await
        {
            Ok(Ok(true)) => {
                tracing::info!(%account, %peer, changes, "seeded from the peer's snapshot");
                Some(rebuilt)
            }
            other => {
                tracing::debug!(%account, %peer, result = ?other, "the peer's snapshot was not taken as a seed");
                None
            }
        }
    }

    /// Takes `peer`'s answer to a request for its stored snapshot of
    /// `account`'s feed and loads it (off the node thread) as a seed for
    /// the pages that follow (`kith_store::Seed`), with its changes rebuilt
    /// to ask for their seals. A snapshot that does not load strikes the
    /// peer; none offered, or a peer that does not know the request, is no
    /// seed.
    async fn fetch_seed(
        &self,
        account: AccountId,
        peer: PeerId,
        answer: impl Future<Output = Result<SyncResponse, String>>,
    ) -> Option<(kith_store::Seed, kith_store::Rebuilt)> {
        let response = answer.await.ok()?;
        lock(&self.shared).sent_requests.response_bytes += cbor_len(&response);
        let SyncResponse::Snapshot { bytes: Some(bytes) } = response else {
            return None;
        };
        tracing::debug!(%account, %peer, bytes = bytes.len(), "peer's snapshot received");
        let t = Instant::now();
        let loaded = tokio::task::spawn_blocking(move || {
            kith_store::Seed::load(account, bytes.into_vec()).map(|mut seed| {
                let load_ms = t.elapsed().as_millis() as u64;
                let rebuilt = seed.rebuild();
                (seed, rebuilt, load_ms)
            })
        })
        .await
        .ok()?;
        match loaded {
            Ok((seed, rebuilt, load_ms)) => {
                tracing::debug!(%account, %peer, changes = seed.changes(), load_ms, rebuild_ms = (t.elapsed().as_millis() as u64).saturating_sub(load_ms), "peer's snapshot loaded and its changes rebuilt");
                Some((seed, rebuilt))
            }
            Err(e) => {
                self.strike(peer, &format!("a snapshot that does not load: {e}"))
                    .await;
                None
            }
        }
    }

    /// Asks `peer` for the newest changes of `account`'s feed and stores
    /// them; returns how many were new.
    async fn pull_recent(&self, account: AccountId, peer: PeerId) -> Result<u64, String> {
        let req = SyncRequest::Recent {
            account: ByteBuf::from(account.as_bytes().to_vec()),
            max_bytes: RECENT_BYTES,
        };
        self.count_page_request(&req);
        let response = self.swarm.request(peer, req).await?;
        lock(&self.shared).sent_requests.response_bytes += cbor_len(&response);
        let SyncResponse::Changes {
            certificates,
            envelopes,
            bodies,
            ..
        } = response
        else {
            return Err(self
                .unexpected(peer, response, "a recent-changes request")
                .await);
        };
        let decoded = self
            .decode_feed_page(
                peer,
                account,
                "recent changes",
                &certificates,
                &envelopes,
                &bodies,
            )
            .await?;
        let n = decoded.envelopes.len();
        let accepted = self.ingest(peer, decoded).await?;
        tracing::debug!(%account, %peer, envelopes = n, accepted, "newest changes stored");
        self.progress(account, accepted);
        Ok(accepted)
    }

    /// Decodes a page of `account`'s changes a peer answered with; a
    /// malformed page, or one holding another feed's changes, strikes it.
    async fn decode_feed_page(
        &self,
        peer: PeerId,
        account: AccountId,
        what: &'static str,
        certificates: &[ByteBuf],
        envelopes: &[ByteBuf],
        bodies: &[crate::protocol::BodyRecord],
    ) -> Result<crate::protocol::Decoded, String> {
        let decoded = match decode_parts(what, certificates, envelopes, bodies) {
            Ok(d) => d,
            Err(e) => {
                self.strike(peer, &e.to_string()).await;
                return Err(e.to_string());
            }
        };
        if decoded.envelopes.iter().any(|e| e.account != account) {
            self.strike(peer, "changes of another feed").await;
            return Err("changes of another feed".into());
        }
        Ok(decoded)
    }

    /// Verifies and stores changes from `peer`, then fetches their missing
    /// blobs from it. A verification failure strikes the peer.
    async fn ingest(&self, peer: PeerId, decoded: crate::protocol::Decoded) -> Result<u64, String> {
        let page = verify_page(decoded, false, false).await?;
        self.store_page(peer, page).await
    }

    /// Stores a page whose signatures were checked, then fetches its
    /// missing blobs from `peer`. A verification failure strikes the peer.
    async fn store_page(&self, peer: PeerId, page: VerifiedPage) -> Result<u64, String> {
        let feed = page.envelopes.first_account();
        let at_certificate_cap = page.at_certificate_cap;
        let result = self
            .node
            .background(move |n| {
                let r = n.store_mut().ingest_verified_page(
                    &page.certificates,
                    page.envelopes,
                    &page.bodies,
                    page.more_pages_follow,
                );
                r.map(|r| {
                    let missing = n.store_mut().want_blobs(&r, now_ms()).unwrap_or_default();
                    let carried = n.store().carried_may_change(&r).unwrap_or(false);
                    (r.accepted as u64, r.posts, r.counted, missing, carried)
                })
            })
            .await
            .map_err(|e| e.to_string())?;
        match result {
            Ok((accepted, posts, counted, missing, carried)) => {
                if accepted > 0 {
                    self.stored(Written::Database);
                }
                if carried {
                    self.refresh_carried_soon();
                }
                if let Some(account) = posts.first().map(|p| p.author) {
                    self.activity
                        .send(Activity::PostsArrived { account, posts });
                }
                if !counted.is_empty() {
                    self.activity
                        .send(Activity::CountsChanged { posts: counted });
                }
                if let Some(account) = feed.filter(|_| accepted > 0) {
                    self.activity.send(Activity::FeedChanged { account });
                }
                self.fetch_blobs(peer, missing).await;
                Ok(accepted)
            }
            Err(e) => {
                if peer_fault(&e, !at_certificate_cap) {
                    self.strike(peer, &format!("sent changes that fail verification: {e}"))
                        .await;
                }
                self.not_stored(Written::Database, &e);
                Err(e.to_string())
            }
        }
    }

    /// Validates a gossip message: decoded, from the topic's feed, a feed
    /// this node carries, and verified and stored before it is forwarded.
    async fn validate_gossip(
        &self,
        source: PeerId,
        id: MessageId,
        topic_account: Option<AccountId>,
        data: Vec<u8>,
    ) {
        let carried = topic_account.is_some_and(|a| lock(&self.shared).carried.contains(&a));
        let acceptance = match (topic_account, Update::decode(&data)) {
            (None, _) => MessageAcceptance::Ignore,
            (Some(_), Err(e)) => {
                tracing::debug!(peer = %source, error = %e, "malformed gossip");
                MessageAcceptance::Reject
            }
            (Some(account), Ok(d)) if d.envelopes.iter().any(|e| e.account != account) => {
                MessageAcceptance::Reject
            }
            (Some(_), Ok(_)) if !carried => MessageAcceptance::Ignore,
            (Some(_), Ok(d)) if !self.within_rate(source, d.envelopes.len()) => {
                MessageAcceptance::Ignore
            }
            (Some(account), Ok(d)) => self.store_gossip(source, account, d).await,
        };
        let _ = self
            .swarm
            .send(Command::Validated {
                id,
                source,
                acceptance,
            })
            .await;
    }

    async fn store_gossip(
        &self,
        source: PeerId,
        account: AccountId,
        d: crate::protocol::Decoded,
    ) -> MessageAcceptance {
        let hashes: Vec<ChangeHash> = d
            .envelopes
            .iter()
            .filter_map(|e| e.parse_change().ok().map(|c| c.hash()))
            .collect();
        let result = self
            .node
            .remote(source, move |n| {
                let r = n
                    .store_mut()
                    .ingest_signed(&d.certificates, d.envelopes, &d.bodies);
                let applied = n.store_mut().has_changes(account, &hashes).unwrap_or(false);
                r.map(|r| {
                    let missing = n.store_mut().want_blobs(&r, now_ms()).unwrap_or_default();
                    let carried = n.store().carried_may_change(&r).unwrap_or(false);
                    (r.accepted, r.posts, r.counted, applied, missing, carried)
                })
            })
            .await;
        match result {
            Err(_) => MessageAcceptance::Ignore,
            Ok(Err(e)) if peer_fault(&e, true) => {
                tracing::warn!(peer = %source, error = %e, "gossip failed verification");
                MessageAcceptance::Reject
            }
            Ok(Err(e @ StoreError::Core(CoreError::Equivocation { .. }))) => {
                tracing::debug!(peer = %source, error = %e, "gossip update conflicting with a change held here; ignored");
                MessageAcceptance::Ignore
            }
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "could not store a gossip message");
                self.not_stored(Written::Database, &e);
                MessageAcceptance::Ignore
            }
            Ok(Ok((accepted, posts, counted, applied, missing, carried))) => {
                if accepted > 0 {
                    self.stored(Written::Database);
                }
                if carried {
                    self.refresh_carried_soon();
                }
                lock(&self.shared)
                    .feeds
                    .entry(account)
                    .or_default()
                    .holders
                    .insert(source);
                if !applied {
                    // It depends on changes we lack: fetch them from the sender.
                    let me = self.clone();
                    tokio::spawn(async move { me.pull(account, source, 0).await });
                }
                if !missing.is_empty() {
                    let me = self.clone();
                    tokio::spawn(async move { me.fetch_blobs(source, missing).await });
                }
                if accepted > 0 {
                    if !posts.is_empty() {
                        self.activity.send(Activity::PostsArrived {
                            account,
                            posts: posts.clone(),
                        });
                    }
                    if !counted.is_empty() {
                        self.activity
                            .send(Activity::CountsChanged { posts: counted });
                    }
                    self.activity.send(Activity::FeedChanged { account });
                    tracing::info!(
                        %account,
                        peer = %source,
                        stored_at_ms = now_ms(),
                        posts = posts
                            .iter()
                            .map(ToString::to_string)
                            .collect::<Vec<_>>()
                            .join(","),
                        "gossip stored"
                    );
                    MessageAcceptance::Accept
                } else {
                    MessageAcceptance::Ignore
                }
            }
        }
    }

    /// Answers a sync request from the store (or refuses it).
    #[allow(clippy::too_many_lines)] // one arm per request kind, each short
    pub async fn answer(&self, peer: PeerId, request: SyncRequest) -> SyncResponse {
        match request {
            SyncRequest::Heads { feeds } => {
                if feeds.len() > MAX_FEEDS_PER_REQUEST {
                    self.strike(peer, "too many feeds in a heads request").await;
                    return SyncResponse::refused("malformed", "too many feeds");
                }
                let mut accounts = Vec::with_capacity(feeds.len());
                for f in &feeds {
                    match f.decode() {
                        Ok((a, _)) => accounts.push(a),
                        Err(e) => {
                            self.strike(peer, &e.to_string()).await;
                            return SyncResponse::refused("malformed", e);
                        }
                    }
                }
                // The peer's heads also tell us what it has: pull what we lack.
                let me = self.clone();
                let theirs = feeds.clone();
                tokio::spawn(async move { me.compare_heads(peer, &theirs, Asker::Peer).await });
                let states = self
                    .serve(peer, move |n| n.store_mut().feed_states(&accounts))
                    .await;
                match states {
                    Ok(Ok(states)) => SyncResponse::Heads {
                        feeds: states
                            .into_iter()
                            .filter(|s| s.changes > 0)
                            .map(|s| FeedHeads::new(s.account, &s.heads, s.changes))
                            .collect(),
                    },
                    Ok(Err(e)) => SyncResponse::refused("unavailable", e),
                    Err(e) => SyncResponse::refused("busy", e),
                }
            }
            SyncRequest::Changes {
                account,
                have,
                skip,
                max_bytes,
            } => {
                let parsed = AccountId::from_slice(&account)
                    .map_err(|e| e.to_string())
                    .and_then(|a| {
                        hashes("have", &have)
                            .map(|h| (a, h))
                            .map_err(|e| e.to_string())
                    });
                let (account, have) = match parsed {
                    Ok(v) => v,
                    Err(e) => {
                        self.strike(peer, &e).await;
                        return SyncResponse::refused("malformed", e);
                    }
                };
                let budget = max_bytes.clamp(1, PAGE_BYTES) as usize;
                let skip = usize::try_from(skip).unwrap_or(usize::MAX);
                let answer = self
                    .serve(peer, move |n| {
                        let t = Instant::now();
                        let page = changes_page(n, account, &have, skip, budget);
                        tracing::debug!(
                            %account,
                            skip,
                            build_ms = t.elapsed().as_millis() as u64,
                            "page built"
                        );
                        page
                    })
                    .await;
                match answer {
                    Ok(Ok(r)) => r,
                    Ok(Err(e)) => SyncResponse::refused("unavailable", e),
                    Err(e) => SyncResponse::refused("busy", e),
                }
            }
            SyncRequest::Recent { account, max_bytes } => {
                self.answer_recent(peer, &account, max_bytes).await
            }
            SyncRequest::Snapshot { account } => {
                let account = match AccountId::from_slice(&account) {
                    Ok(a) => a,
                    Err(e) => {
                        self.strike(peer, &e.to_string()).await;
                        return SyncResponse::refused("malformed", e);
                    }
                };
                match self
                    .serve(peer, move |n| n.store_mut().seed_snapshot(account))
                    .await
                {
                    Ok(Ok(bytes)) => SyncResponse::Snapshot {
                        bytes: bytes.map(ByteBuf::from),
                    },
                    Ok(Err(e)) => SyncResponse::refused("unavailable", e),
                    Err(e) => SyncResponse::refused("busy", e),
                }
            }
            SyncRequest::Blob { hash } => {
                let hash = match hash32("blob hash", &hash) {
                    Ok(h) => h,
                    Err(e) => {
                        self.strike(peer, &e.to_string()).await;
                        return SyncResponse::refused("malformed", e);
                    }
                };
                match self.serve(peer, move |n| n.blob(&hash)).await {
                    Ok(Ok(bytes)) => SyncResponse::Blob {
                        bytes: bytes.map(ByteBuf::from),
                    },
                    Ok(Err(e)) => SyncResponse::refused("unavailable", e),
                    Err(e) => SyncResponse::refused("busy", e),
                }
            }
            SyncRequest::Seals {
                account,
                hashes,
                posts,
            } => self.answer_seals(peer, &account, &hashes, &posts).await,
            SyncRequest::Report { report } => self.receive_report(peer, report.into_vec()).await,
            SyncRequest::Package { blake3, offset } => self.answer_package(&blake3, offset).await,
        }
    }

    /// Keeps dialling `peer` at `addr` whenever it is not connected.
    pub fn remember(&self, peer: PeerId, addr: Multiaddr) {
        let mut guard = lock(&self.shared);
        let s = &mut *guard;
        s.known.give(peer, addr, Instant::now(), &s.connected);
    }

    /// Per carried feed: changes held, peers known to hold it, last sync,
    /// and whether a pull is running.
    pub async fn sync_status(&self) -> Result<SyncStatus, JobError> {
        let carried: Vec<AccountId> = lock(&self.shared).carried.iter().copied().collect();
        // One indexed row per feed: this is polled while syncs run.
        let rows = self
            .node
            .local(move |n| n.store_mut().feed_states(&carried).unwrap_or_default())
            .await?;
        let s = lock(&self.shared);
        let feeds = rows
            .into_iter()
            .map(|state| {
                let sync = s.feeds.get(&state.account).cloned().unwrap_or_default();
                FeedStatus {
                    account: state.account,
                    name: state.name,
                    changes: state.changes,
                    peers: sync
                        .holders
                        .iter()
                        .filter(|p| s.connected.contains(p))
                        .count() as u32,
                    last_sync: sync.last_sync,
                    in_progress: sync.in_progress,
                    received: sync.received,
                    expected: sync.expected,
                }
            })
            .collect();
        Ok(SyncStatus {
            feeds,
            requests_sent: s.sent_requests,
            store_failure: s
                .store_failures
                .database
                .clone()
                .or_else(|| s.store_failures.pictures.clone()),
        })
    }

    /// Runs the user's work on the node thread (before any peer's), then
    /// publishes the changes it signed; if it signed any or changed what
    /// is carried (a follow, block, subscription or policy), re-reads the
    /// carried feeds; if it queued reports, delivers them.
    pub async fn local_change<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Node) -> T + Send + 'static,
    ) -> Result<T, JobError> {
        let (value, updates, effects) = self
            .node
            .local(move |n| {
                let value = f(n);
                let outbox = n.take_outbox();
                let updates = updates_for(n, &outbox);
                (value, updates, n.take_effects())
            })
            .await?;
        let signed = !updates.is_empty();
        if signed {
            self.publish(updates).await;
        }
        if signed || effects.carried {
            self.refresh_carried().await;
        }
        if effects.reports {
            let me = self.clone();
            tokio::spawn(async move { me.deliver_reports().await });
        }
        Ok(value)
    }

    /// Publishes local changes on the author's topic.
    pub async fn publish(&self, updates: Vec<(AccountId, Vec<u8>)>) {
        for (account, data) in updates {
            let _ = self.swarm.send(Command::Publish { account, data }).await;
        }
    }

    /// Re-reads the carried feeds after a follow or unfollow: joins new
    /// topics, leaves old ones, announces and looks for carriers, and asks
    /// connected peers for the new feeds.
    pub async fn refresh_carried(&self) {
        let _one_at_a_time = self.refreshing.lock().await;
        self.reread_carried().await;
    }

    /// Reads the carried feeds and the policy, and carries them; returns
    /// how many feeds are carried (`None` when the node is gone). Callers
    /// hold `refreshing`.
    async fn reread_carried(&self) -> Option<usize> {
        let (now, policy) = self
            .node
            .local(|n| {
                (
                    n.store().carried_feeds().unwrap_or_default(),
                    n.store().policy().unwrap_or_default(),
                )
            })
            .await
            .ok()?;
        let feeds = now.len();
        self.carry(now, policy).await;
        Some(feeds)
    }

    /// Re-reads the carried feeds soon after changes from peers that may
    /// change them: a follow or block made on another of this account's
    /// devices, or with follows-of-follows a follow made by a followed
    /// account. Asked for again while one waits to run, it runs once, so
    /// peers cannot queue more than one re-reading (which goes ahead of
    /// peer work, like the user's own, so that neither waits behind a
    /// long sync).
    pub(crate) fn refresh_carried_soon(&self) {
        use std::sync::atomic::Ordering;
        if self.refresh_wanted.swap(true, Ordering::SeqCst) {
            return;
        }
        let me = self.clone();
        tokio::spawn(async move {
            let _one_at_a_time = me.refreshing.lock().await;
            me.refresh_wanted.store(false, Ordering::SeqCst);
            if let Some(feeds) = me.reread_carried().await {
                tracing::debug!(feeds, "carried feeds re-read after changes from peers");
            }
        });
    }

    /// Carries exactly `now`: joins new topics, leaves old ones, announces
    /// and looks for carriers, and asks connected peers for the new feeds.
    async fn carry(&self, now: Vec<AccountId>, policy: kith_store::Policy) {
        lock(&self.shared).limits.peer_rate = policy.peer_rate;
        let now: HashSet<AccountId> = now.into_iter().collect();
        let (added, removed, peers) = {
            let mut s = lock(&self.shared);
            let added: Vec<AccountId> = now.difference(&s.carried).copied().collect();
            let removed: Vec<AccountId> = s.carried.difference(&now).copied().collect();
            s.carried = now;
            (
                added,
                removed,
                s.connected.iter().copied().collect::<Vec<_>>(),
            )
        };
        for a in &removed {
            let _ = self.swarm.send(Command::Unsubscribe(*a)).await;
        }
        for a in &added {
            let _ = self.swarm.send(Command::Subscribe(*a)).await;
            let _ = self.swarm.send(Command::Provide(*a)).await;
            let _ = self.swarm.send(Command::FindCarriers(*a)).await;
        }
        if !added.is_empty() {
            for peer in peers {
                let me = self.clone();
                tokio::spawn(async move { me.exchange_heads(peer, true).await });
            }
        }
    }
}

/// Who asked for a heads exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Asker {
    /// This node: the heads are the peer's answer.
    ThisNode,
    /// The peer: its heads came with its request.
    Peer,
}

/// A page from a peer whose signatures, changes and schema were checked.
struct VerifiedPage {
    certificates: Vec<kith_core::DeviceCertificate>,
    envelopes: kith_store::VerifiedEnvelopes,
    bodies: Vec<(kith_core::PostId, Vec<u8>)>,
    /// Whether further pages of the same feed follow this one.
    more_pages_follow: bool,
    /// Whether the page brought as many certificates as a page may
    /// ([`MAX_CERTIFICATES`]): one of its envelopes may then lack its
    /// certificate through no fault of the sender.
    at_certificate_cap: bool,
}

/// Checks a decoded page's envelopes on the blocking pool, off the node
/// thread: on every core, or on every core but one while
/// `store_is_writing` an earlier page.
async fn verify_page(
    decoded: crate::protocol::Decoded,
    more_pages_follow: bool,
    store_is_writing: bool,
) -> Result<VerifiedPage, String> {
    let crate::protocol::Decoded {
        certificates,
        envelopes,
        bodies,
    } = decoded;
    let at_certificate_cap = certificates.len() >= MAX_CERTIFICATES;
    let envelopes = tokio::task::spawn_blocking(move || {
        if store_is_writing {
            kith_store::verify_envelopes_beside_store(envelopes)
        } else {
            kith_store::verify_envelopes(envelopes)
        }
    })
    .await
    .map_err(|e| format!("verifying a page: {e}"))?;
    Ok(VerifiedPage {
        certificates,
        envelopes,
        bodies,
        more_pages_follow,
        at_certificate_cap,
    })
}

/// The page of `account`'s changes a peer with heads `have` lacks.
fn changes_page(
    n: &mut Node,
    account: AccountId,
    have: &[ChangeHash],
    skip: usize,
    budget: usize,
) -> Result<SyncResponse, StoreError> {
    let store = n.store_mut();
    let held = store
        .feed_states(&[account])?
        .first()
        .is_some_and(|s| s.changes > 0);
    let empty = |unknown_have| SyncResponse::Changes {
        certificates: Vec::new(),
        envelopes: Vec::new(),
        bodies: Vec::new(),
        more: false,
        unknown_have,
    };
    if !held {
        return Ok(empty(!have.is_empty()));
    }
    let (known, unknown) = store.read_feed(account, |doc| {
        let known = have.iter().filter(|h| doc.has_change(h)).count();
        (known, have.len() - known)
    })?;
    if known == 0 && unknown > 0 {
        return Ok(empty(true));
    }
    let page = store.changes_page(account, have, skip, budget)?;
    Ok(changes_response(page, unknown > 0, Keep::Oldest))
}

/// The newest changes of `account`'s feed, for a peer that holds none.
fn recent_page(
    n: &mut Node,
    account: AccountId,
    budget: usize,
) -> Result<SyncResponse, StoreError> {
    let store = n.store_mut();
    let held = store
        .feed_states(&[account])?
        .first()
        .is_some_and(|s| s.changes > 0);
    if !held {
        return Ok(changes_response(
            kith_store::ChangesPage::default(),
            false,
            Keep::Newest,
        ));
    }
    Ok(changes_response(
        store.recent_changes(account, budget)?,
        false,
        Keep::Newest,
    ))
}

/// Which envelopes a page whose envelopes need more than
/// [`MAX_CERTIFICATES`] certificates keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Keep {
    /// The first ones (a page of a pull: the next page starts where it stops).
    Oldest,
    /// The last ones (the newest changes of a feed).
    Newest,
}

/// The certificates of `certificates` (a feed's, in the store's order)
/// that `envelopes` use, at most [`MAX_CERTIFICATES`]. Envelopes that would
/// need more (a feed of more devices than that) are cut, keeping the
/// longest run from the start or the end as `keep` says and always one;
/// returns whether any were cut.
fn fit_certificates(
    certificates: &mut Vec<DeviceCertificate>,
    envelopes: &mut Vec<Envelope>,
    keep: Keep,
) -> bool {
    let mut used: HashSet<Hash> = HashSet::new();
    let mut kept = 0;
    let mut count = |env: &Envelope| {
        if used.contains(&env.cert_ref) || used.len() < MAX_CERTIFICATES {
            used.insert(env.cert_ref);
            kept += 1;
            true
        } else {
            false
        }
    };
    match keep {
        Keep::Oldest => {
            for env in envelopes.iter() {
                if !count(env) {
                    break;
                }
            }
        }
        Keep::Newest => {
            for env in envelopes.iter().rev() {
                if !count(env) {
                    break;
                }
            }
        }
    }
    let cut = kept < envelopes.len();
    match keep {
        Keep::Oldest => envelopes.truncate(kept),
        Keep::Newest => {
            envelopes.drain(..envelopes.len() - kept);
        }
    }
    certificates.retain(|c| used.contains(&c.reference()));
    cut
}

/// The wire form of a page of changes: with the certificates its
/// envelopes use (cut, when a feed has more devices than a page may carry
/// certificates of, as [`fit_certificates`] says).
fn changes_response(page: kith_store::ChangesPage, unknown_have: bool, keep: Keep) -> SyncResponse {
    let (mut changes, bodies, mut more) = (page.changes, page.bodies, page.more);
    if fit_certificates(&mut changes.certificates, &mut changes.envelopes, keep) {
        more = true;
    }
    SyncResponse::Changes {
        certificates: changes
            .certificates
            .iter()
            .map(|c| ByteBuf::from(c.encode()))
            .collect(),
        envelopes: changes
            .envelopes
            .iter()
            .map(|e| ByteBuf::from(e.encode()))
            .collect(),
        bodies: bodies_to_wire(&bodies),
        more,
        unknown_have,
    }
}

/// The gossip updates for local changes: the device certificate, the
/// envelope and the bodies of the posts it writes.
pub fn updates_for(n: &mut Node, envelopes: &[Envelope]) -> Vec<(AccountId, Vec<u8>)> {
    let Ok(identity) = n.identity().cloned() else {
        return Vec::new();
    };
    envelopes
        .iter()
        .map(|env| {
            let bodies = n
                .store()
                .bodies_for(std::slice::from_ref(env))
                .unwrap_or_default();
            let update = Update::new(std::slice::from_ref(&identity.certificate), env, &bodies);
            (env.account, update.encode())
        })
        .collect()
}

/// Dials an address and waits until connected (or failed, or timed out).
pub async fn connect(
    swarm: &SwarmHandle,
    addr: Multiaddr,
    timeout: Duration,
) -> Result<PeerId, String> {
    let (tx, rx) = oneshot::channel();
    swarm
        .send(Command::Dial {
            addr: addr.clone(),
            found: Found::Dialled,
            reply: Some(tx),
        })
        .await?;
    tokio::time::timeout(timeout, rx)
        .await
        .map_err(|_| format!("no answer from {addr} within {} s", timeout.as_secs()))?
        .map_err(|_| "the network task dropped the dial".to_owned())?
        .map_err(|reason| format!("could not reach {addr}: {reason}"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use kith_core::keys;

    use super::*;

    /// `devices` devices of one account, each with one envelope (in that
    /// order), and the feed's certificates (one more than they use).
    fn page_of(devices: usize) -> (Vec<DeviceCertificate>, Vec<Envelope>) {
        let account_key = keys::generate();
        let account = keys::account_id(&account_key);
        let mut certificates = Vec::new();
        let mut envelopes = Vec::new();
        for i in 0..=devices {
            let key = keys::generate();
            let cert = DeviceCertificate::issue(&account_key, keys::device_id(&key), 1);
            if i < devices {
                envelopes.push(Envelope::seal(
                    account,
                    &key,
                    cert.reference(),
                    vec![i as u8],
                ));
            }
            certificates.push(cert);
        }
        (certificates, envelopes)
    }

    fn wire_page(
        certificates: Vec<DeviceCertificate>,
        envelopes: Vec<Envelope>,
        keep: Keep,
    ) -> (Vec<DeviceCertificate>, Vec<Envelope>, bool) {
        let page = kith_store::ChangesPage {
            changes: kith_store::SignedChanges {
                certificates,
                envelopes,
            },
            bodies: Vec::new(),
            more: false,
        };
        let SyncResponse::Changes {
            certificates,
            envelopes,
            bodies,
            more,
            ..
        } = changes_response(page, false, keep)
        else {
            panic!("not a page");
        };
        let decoded = decode_parts("page", &certificates, &envelopes, &bodies).unwrap();
        (decoded.certificates, decoded.envelopes, more)
    }

    #[test]
    fn a_page_of_a_feed_of_more_devices_than_a_page_may_carry_certificates_of_is_cut_and_never_lacks_one()
     {
        let (certificates, envelopes) = page_of(300);
        let (sent, kept, more) = wire_page(certificates.clone(), envelopes.clone(), Keep::Oldest);
        assert_eq!(sent.len(), MAX_CERTIFICATES);
        assert_eq!(
            kept,
            envelopes[..MAX_CERTIFICATES],
            "the first envelopes, in order"
        );
        assert!(more, "the rest comes in the next page");
        let refs: HashSet<Hash> = sent.iter().map(DeviceCertificate::reference).collect();
        assert!(
            kept.iter().all(|e| refs.contains(&e.cert_ref)),
            "every envelope's certificate is sent"
        );

        let (sent, kept, more) = wire_page(certificates, envelopes.clone(), Keep::Newest);
        assert_eq!(sent.len(), MAX_CERTIFICATES);
        assert_eq!(
            kept,
            envelopes[300 - MAX_CERTIFICATES..],
            "the newest envelopes, in order"
        );
        assert!(more);
    }

    #[test]
    fn no_peer_takes_the_turn_of_a_peer_waiting_to_be_pulled_a_feed_from() {
        let (pulled, honest, other) = (PeerId::random(), PeerId::random(), PeerId::random());
        let mut f = FeedSync {
            in_progress: true,
            ..FeedSync::default()
        };
        f.wait_turn(pulled, 5);
        f.wait_turn(honest, 7);
        for _ in 0..100 {
            f.wait_turn(pulled, 9);
            f.wait_turn(other, 9);
        }
        let order: Vec<_> = f.waiting.iter().copied().collect();
        assert_eq!(
            order,
            [(pulled, 9), (honest, 7), (other, 9)],
            "each peer waits once, in the order it first asked"
        );
        for _ in 0..20 {
            f.wait_turn(PeerId::random(), 1);
        }
        assert_eq!(f.waiting.len(), MAX_WAITING_PULLS, "a bounded queue");
        assert_eq!(
            f.waiting[1],
            (honest, 7),
            "newcomers do not push anyone out"
        );
    }

    #[test]
    fn a_page_carries_only_the_certificates_its_envelopes_use() {
        let (certificates, envelopes) = page_of(3);
        let (sent, kept, more) = wire_page(certificates.clone(), envelopes.clone(), Keep::Oldest);
        assert_eq!(sent, certificates[..3], "not the feed's fourth, unused one");
        assert_eq!(kept, envelopes);
        assert!(!more);
        let (sent, kept, more) = wire_page(certificates, Vec::new(), Keep::Oldest);
        assert!(sent.is_empty() && kept.is_empty() && !more);
    }

    #[test]
    fn an_equivocation_or_a_certificate_missing_from_a_page_at_the_cap_is_not_the_senders_fault() {
        let equivocation = StoreError::Core(CoreError::Equivocation {
            device: "00".into(),
            seq: 2,
        });
        assert!(!peer_fault(&equivocation, true));
        let unknown = || StoreError::Rejected {
            index: 0,
            source: Box::new(StoreError::UnknownCertificate {
                index: 0,
                reference: "00".into(),
            }),
        };
        assert!(
            peer_fault(&unknown(), true),
            "a page below the cap lacking one"
        );
        assert!(!peer_fault(&unknown(), false), "a page at the cap");
        let bad = StoreError::Rejected {
            index: 0,
            source: Box::new(StoreError::Core(CoreError::BadSignature("envelope"))),
        };
        assert!(peer_fault(&bad, false), "a bad signature always is");
        assert!(!peer_fault(&StoreError::NotFound("x".into()), true));
    }
}
