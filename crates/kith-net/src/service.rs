//! Running a node on the network: builds the swarm (TCP + Noise + Yamux,
//! QUIC, relay client), starts the swarm task, the node thread, the
//! replicator and the control socket, and stops them cleanly.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use kith_core::{AccountId, PostId};
use kith_node::{Node, NodeError};
use libp2p::{Multiaddr, SwarmBuilder, identity::Keypair, noise, tcp, yamux};
use serde_json::{Value, json};
use tokio::sync::{broadcast, mpsc, oneshot};

use crate::activity::Activity;
use crate::behaviour::{self, BehaviourOptions};
use crate::control::{self, ControlError, ControlRequest};
use crate::invite::Invite;
use crate::lan::LanPeers;
use crate::replicator::{self, Replicator};
use crate::store_actor::NodeHandle;
use crate::swarm::{Command, Event, PeerInfo, SwarmHandle, SwarmTask};

/// How a node joins the network.
#[derive(Debug, Clone)]
pub struct NetConfig {
    /// Addresses to listen on.
    pub listen: Vec<Multiaddr>,
    /// When `listen` cannot be used at start (a port in use), listen on the
    /// same addresses on ports the system picks ([`crate::listen::any_port`]),
    /// else on [`default_listen`], instead of failing, and say why in
    /// [`crate::listen::ListenStatus::problem`]. The desktop app does: a
    /// port taken by another program must not keep an account from opening.
    pub listen_fallback: bool,
    /// Peers to dial at start.
    pub bootstrap: Vec<Multiaddr>,
    /// LAN discovery by mDNS.
    pub mdns: bool,
    /// How often mDNS asks the LAN.
    pub mdns_interval: Duration,
    /// Serve as a relay for others.
    pub relay: bool,
    /// How often heads are compared with peers and known peers redialled.
    pub tick: Duration,
}

/// Every interface, on a TCP and a QUIC port the system picks.
pub fn default_listen() -> Vec<Multiaddr> {
    vec![
        "/ip4/0.0.0.0/tcp/0".parse().expect("a valid address"),
        "/ip4/0.0.0.0/udp/0/quic-v1"
            .parse()
            .expect("a valid address"),
    ]
}

impl Default for NetConfig {
    fn default() -> Self {
        Self {
            listen: default_listen(),
            listen_fallback: false,
            bootstrap: Vec::new(),
            mdns: true,
            mdns_interval: Duration::from_secs(30),
            relay: false,
            tick: Duration::from_secs(2),
        }
    }
}

/// Why a node could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NetError {
    /// From the node (keys, store).
    #[error(transparent)]
    Node(#[from] NodeError),
    /// The control socket.
    #[error(transparent)]
    Control(#[from] ControlError),
    /// Building the transport or listening failed.
    #[error("network: {0}")]
    Transport(String),
}

fn transport<E: std::fmt::Display>(e: E) -> NetError {
    NetError::Transport(e.to_string())
}

/// Builds a swarm with Kith's transports (TCP + Noise + Yamux, QUIC, DNS,
/// relay client) and behaviours.
pub fn build_swarm(
    key: Keypair,
    options: &BehaviourOptions,
) -> Result<libp2p::Swarm<behaviour::Behaviour>, NetError> {
    Ok(SwarmBuilder::with_existing_identity(key)
        .with_tokio()
        .with_tcp(
            tcp::Config::default().nodelay(true),
            noise::Config::new,
            yamux::Config::default,
        )
        .map_err(transport)?
        .with_quic()
        .with_dns()
        .map_err(transport)?
        .with_relay_client(noise::Config::new, yamux::Config::default)
        .map_err(transport)?
        .with_behaviour(|key, relay| {
            behaviour::build(key, relay, options)
                .map_err(|e| -> Box<dyn std::error::Error + Send + Sync> { e.into() })
        })
        .map_err(transport)?
        .with_swarm_config(|c| c.with_idle_connection_timeout(Duration::from_secs(120)))
        .build())
}

/// A node running on the network, started by [`start`]: the swarm task,
/// the node thread, the replicator and the control socket.
pub struct Running {
    /// The replicator: the node thread, the swarm task and shared state.
    pub replicator: Replicator,
    socket_locked: Arc<AtomicBool>,
    stop: std::sync::Mutex<Option<oneshot::Sender<()>>>,
    main: tokio::sync::Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl Running {
    /// Answers a request as the control socket would.
    pub async fn control(&self, request: ControlRequest) -> Result<Value, ControlError> {
        handle_control(&self.replicator, request).await
    }

    /// Refuses (`true`) or answers again (`false`) every request on the
    /// control socket: the desktop app locked, the node goes on carrying
    /// and relaying feeds, but a `kith` command in a terminal may no more
    /// post as the account or read it than the window may. A refused
    /// request gets the code `locked`. [`Running::control`] (the app's own
    /// calls) is not affected.
    pub fn lock_socket(&self, locked: bool) {
        self.socket_locked.store(locked, Ordering::SeqCst);
    }

    /// Whether the control socket refuses requests ([`Running::lock_socket`]).
    pub fn socket_locked(&self) -> bool {
        self.socket_locked.load(Ordering::SeqCst)
    }

    /// Activity (posts arrived, peers, sync progress) from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Activity> {
        self.replicator.activity.subscribe()
    }

    /// Stops the node cleanly: closes the control socket, checkpoints the
    /// store and ends the swarm. Stopping twice does nothing more.
    pub async fn stop(&self) {
        let stop = self
            .stop
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        if let Some(stop) = stop {
            let _ = stop.send(());
        }
        if let Some(main) = self.main.lock().await.take() {
            let _ = main.await;
        }
    }
}

/// The swarm task, listening as `config` asks (or falling back, when it
/// may).
fn listening_swarm(
    key: Keypair,
    config: &NetConfig,
) -> Result<(SwarmTask, SwarmHandle, mpsc::Receiver<Event>), NetError> {
    let options = BehaviourOptions {
        mdns: config.mdns,
        mdns_interval: config.mdns_interval,
        relay_server: config.relay,
    };
    let swarm = build_swarm(key, &options)?;
    tracing::info!(peer = %swarm.local_peer_id(), "node starting");
    let (mut task, handle, events) = SwarmTask::new(swarm, config.mdns_interval);
    if config.listen_fallback {
        let fallbacks = [crate::listen::any_port(&config.listen), default_listen()];
        task.listen_or_fall_back(&config.listen, &fallbacks)
    } else {
        task.listen(&config.listen)
    }
    .map_err(NetError::Transport)?;
    Ok((task, handle, events))
}

/// Starts `node` on the network and returns at once. The node must be
/// unlocked (its device key gives the network key).
pub async fn start(node: Node, config: NetConfig) -> Result<Running, NetError> {
    let mut secret = node.peer_secret()?;
    let key = Keypair::ed25519_from_bytes(&mut secret[..]).map_err(transport)?;
    let peer_key = key
        .public()
        .try_into_ed25519()
        .map_err(transport)?
        .to_bytes();
    let home = node.home().to_owned();
    let (task, swarm_handle, mut events) = listening_swarm(key, &config)?;
    let listener = control::bind(&home)?;
    let swarm_task = tokio::spawn(task.run());
    let (node_handle, _thread) = NodeHandle::spawn(node).map_err(transport)?;
    let replicator = Replicator::new(node_handle.clone(), swarm_handle.clone());
    replicator
        .start(&config.bootstrap)
        .await
        .map_err(NetError::Transport)?;
    // Peers that hold this feed learn which network identity reaches this
    // device (used to deliver reports to list maintainers).
    if let Ok(Err(e)) = replicator
        .local_change(move |n| n.publish_peer_key(peer_key))
        .await
    {
        tracing::warn!(error = %e, "could not publish the network key");
    }
    let (ctl_tx, mut ctl_rx) = mpsc::channel::<control::Incoming>(64);
    let control_task = tokio::spawn(control::serve(listener, ctl_tx));
    let (stop_tx, mut stop_rx) = oneshot::channel::<()>();
    let r = replicator.clone();
    let socket_locked = Arc::new(AtomicBool::new(false));
    let locked = Arc::clone(&socket_locked);
    let main = tokio::spawn(async move {
        let mut tick = tokio::time::interval(config.tick);
        loop {
            tokio::select! {
                _ = &mut stop_rx => break,
                Some(event) = events.recv() => r.on_event(event),
                Some((request, reply)) = ctl_rx.recv() => {
                    if locked.load(Ordering::SeqCst) {
                        let _ = reply.send(Err(ControlError::new(
                            "locked",
                            "Kith is locked: enter the passphrase in its window, then try again",
                        )));
                        continue;
                    }
                    let r = r.clone();
                    tokio::spawn(async move {
                        let _ = reply.send(handle_control(&r, request).await);
                    });
                }
                _ = tick.tick() => r.tick().await,
            }
        }
        tracing::info!("node stopping");
        control_task.abort();
        let _ = std::fs::remove_file(control::socket_path(&home));
        let _ = node_handle
            .local(|n| n.store().checkpoint().map_err(|e| e.to_string()))
            .await;
        swarm_task.abort();
    });
    Ok(Running {
        replicator,
        socket_locked,
        stop: std::sync::Mutex::new(Some(stop_tx)),
        main: tokio::sync::Mutex::new(Some(main)),
    })
}

/// Runs `node` on the network until `shutdown` completes. The node must be
/// unlocked (its device key gives the network key).
pub async fn serve(
    node: Node,
    config: NetConfig,
    shutdown: impl Future<Output = ()>,
) -> Result<(), NetError> {
    let running = start(node, config).await?;
    shutdown.await;
    running.stop().await;
    Ok(())
}

/// Whose computer each peer is: every device publishes its network key in
/// its account's feed (`n/<device>`), so a peer whose id is such a key, in
/// a feed held here, is that account's.
#[derive(Debug, Default)]
pub struct PeerOwners(HashMap<String, (String, Option<String>)>);

impl PeerOwners {
    /// Reads the keys the held feeds publish (a store that cannot be read
    /// names nobody).
    pub async fn read(r: &Replicator) -> Self {
        let owners = r
            .node
            .background(|n| n.store().peer_key_owners())
            .await
            .ok()
            .and_then(Result::ok)
            .unwrap_or_default();
        Self(
            owners
                .into_iter()
                .filter_map(|owner| {
                    let key = libp2p::identity::ed25519::PublicKey::try_from_bytes(&owner.peer_key)
                        .ok()?;
                    let peer = libp2p::identity::PublicKey::from(key).to_peer_id();
                    Some((peer.to_string(), (owner.account.to_string(), owner.name)))
                })
                .collect(),
        )
    }

    /// The account and name of `peer_id`'s owner, if known.
    fn owner(&self, peer_id: &str) -> (Option<String>, Option<String>) {
        match self.0.get(peer_id) {
            Some((account, name)) => (Some(account.clone()), name.clone()),
            None => (None, None),
        }
    }

    /// Names connected peers.
    pub fn name_peers(&self, peers: &mut [PeerInfo]) {
        for p in peers {
            (p.account, p.name) = self.owner(&p.peer_id);
        }
    }

    /// Names the peers found on the LAN.
    pub fn name_lan(&self, lan: &mut LanPeers) {
        for p in &mut lan.peers {
            (p.account, p.name) = self.owner(&p.peer_id);
        }
    }
}

/// What a control request writes that a window on this node is told
/// about, as it is told about what peers send.
enum OwnWrite {
    /// Nothing shown (a follow, a read, …).
    None,
    /// A new post, whose id the answer holds (`{"id": …}`), and the posts
    /// it answers or quotes, whose counts grow.
    NewPost(Vec<PostId>),
    /// An edit or deletion of this post.
    Post(PostId),
    /// A reaction to this post, given or taken back.
    Reaction(PostId),
}

impl OwnWrite {
    fn of(request: &kith_node::Request) -> Self {
        match request {
            kith_node::Request::Post {
                reply_to, quote_of, ..
            } => Self::NewPost(reply_to.iter().chain(quote_of).copied().collect()),
            kith_node::Request::Edit { post, .. } | kith_node::Request::Delete { post } => {
                Self::Post(*post)
            }
            kith_node::Request::React { post, .. } | kith_node::Request::Unreact { post, .. } => {
                Self::Reaction(*post)
            }
            _ => Self::None,
        }
    }

    /// What to tell, given the request's answer and the own account.
    fn activity(self, answer: &Value, own: Option<AccountId>) -> Vec<Activity> {
        let post = |post| {
            own.map(|account| Activity::PostsArrived {
                account,
                posts: vec![post],
            })
        };
        let counted =
            |posts: Vec<PostId>| (!posts.is_empty()).then_some(Activity::CountsChanged { posts });
        match self {
            Self::None => Vec::new(),
            Self::NewPost(counts) => {
                let new = answer
                    .get("id")
                    .and_then(Value::as_str)
                    .and_then(|id| id.parse().ok());
                new.and_then(post)
                    .into_iter()
                    .chain(counted(counts))
                    .collect()
            }
            Self::Post(id) => post(id).into_iter().collect(),
            Self::Reaction(id) => counted(vec![id]).into_iter().collect(),
        }
    }
}

/// Answers one control-socket request.
pub async fn handle_control(
    r: &Replicator,
    request: ControlRequest,
) -> Result<Value, ControlError> {
    let stopped = |e: crate::store_actor::JobError| ControlError::new("stopped", e);
    match request {
        ControlRequest::Node { request } => {
            let imports = matches!(request, kith_node::Request::Import { .. });
            let answer = r
                .local_change(move |n| {
                    let writes = OwnWrite::of(&request);
                    let value = n.handle(request)?;
                    let told = writes.activity(&value, n.store().own_account());
                    Ok((value, told))
                })
                .await
                .map_err(stopped)?;
            if imports {
                r.refresh_carried().await;
            }
            let (value, told) = answer.map_err(|e: NodeError| ControlError::new(e.code(), e))?;
            // A window on this node shows what a `kith` command wrote as
            // it shows what peers send.
            for activity in told {
                r.activity.send(activity);
            }
            Ok(value)
        }
        ControlRequest::Addrs => {
            let (peer, addrs) = dialable_addrs(r).await?;
            let addrs: Vec<String> = addrs.iter().map(ToString::to_string).collect();
            Ok(json!({ "peer_id": peer.to_string(), "addrs": addrs }))
        }
        ControlRequest::Connect { addr } => {
            let addr = parse_addr(&addr)?;
            let peer = replicator::connect(&r.swarm, addr.clone(), Duration::from_secs(15))
                .await
                .map_err(|e| ControlError::new("unreachable", e))?;
            r.remember(peer, addr);
            Ok(json!({ "peer_id": peer.to_string() }))
        }
        ControlRequest::Peers => {
            let mut peers = ask_swarm(r, |reply| Command::Peers { reply }).await?;
            let mut lan = ask_swarm(r, |reply| Command::LanPeers { reply }).await?;
            let owners = PeerOwners::read(r).await;
            owners.name_peers(&mut peers);
            owners.name_lan(&mut lan);
            Ok(json!({ "peers": peers, "lan": lan }))
        }
        ControlRequest::SyncStatus => {
            let status = r.sync_status().await.map_err(stopped)?;
            serde_json::to_value(status).map_err(|e| ControlError::new("internal", e))
        }
        ControlRequest::Lan { on } => {
            ask_swarm(r, |reply| Command::SetLanDiscovery { on, reply })
                .await?
                .map_err(|e| ControlError::new("mdns", e))?;
            Ok(json!({ "enabled": on }))
        }
        ControlRequest::Listen { addrs } => {
            let addrs = addrs
                .iter()
                .map(|a| parse_addr(a))
                .collect::<Result<Vec<_>, _>>()?;
            let status = r
                .swarm
                .set_listen(addrs)
                .await
                .map_err(|e| ControlError::new("listen", e))?;
            serde_json::to_value(status).map_err(|e| ControlError::new("internal", e))
        }
        ControlRequest::Invite => {
            let (_, addrs) = dialable_addrs(r).await?;
            let account = r
                .node
                .local(|n| n.identity().map(|i| i.account))
                .await
                .map_err(stopped)?
                .map_err(|e| ControlError::new(e.code(), e))?;
            let invite = Invite { account, addrs };
            Ok(json!({
                "code": invite.encode(),
                "account": account,
                "addrs": invite.addrs.iter().map(ToString::to_string).collect::<Vec<_>>(),
            }))
        }
        ControlRequest::Updates => serde_json::to_value(r.update_status().await)
            .map_err(|e| ControlError::new("internal", e)),
        ControlRequest::UpdateDownload => {
            r.download_update()
                .await
                .map_err(|e| ControlError::new("update", e))?;
            serde_json::to_value(r.update_status().await)
                .map_err(|e| ControlError::new("internal", e))
        }
    }
}

/// Asks the swarm task something; `stopped` when it has stopped.
async fn ask_swarm<T>(
    r: &Replicator,
    make: impl FnOnce(oneshot::Sender<T>) -> Command,
) -> Result<T, ControlError> {
    r.swarm
        .ask(make)
        .await
        .map_err(|e| ControlError::new("stopped", e))
}

/// A multiaddr a client sent; `invalid` when it is not one.
fn parse_addr(addr: &str) -> Result<Multiaddr, ControlError> {
    addr.parse()
        .map_err(|e| ControlError::new("invalid", format!("{addr} is not a multiaddr: {e}")))
}

/// The node's peer id and its listen addresses, each ending in `/p2p/<peer id>`.
async fn dialable_addrs(r: &Replicator) -> Result<(libp2p::PeerId, Vec<Multiaddr>), ControlError> {
    let (peer, addrs) = ask_swarm(r, |reply| Command::Addrs { reply }).await?;
    let addrs = addrs
        .into_iter()
        .map(|a| a.with(libp2p::multiaddr::Protocol::P2p(peer)))
        .collect();
    Ok((peer, addrs))
}
