//! The libp2p behaviours a Kith node runs, and how they are configured.
// The `NetworkBehaviour` derive generates an undocumented event enum.
#![allow(missing_docs)]

use std::num::NonZeroUsize;
use std::time::Duration;

use libp2p::identity::Keypair;
use libp2p::swarm::NetworkBehaviour;
use libp2p::swarm::behaviour::toggle::Toggle;
use libp2p::{
    PeerId, StreamProtocol, autonat, connection_limits, dcutr, gossipsub, identify, kad, mdns,
    memory_connection_limits, ping, relay, request_response,
};

use crate::protocol::{
    IDENTIFY_VERSION, KAD_PROTOCOL, MAX_GOSSIP_BYTES, MAX_REQUEST_BYTES, MAX_RESPONSE_BYTES,
    SYNC_PROTOCOL, SyncRequest, SyncResponse,
};

/// Connection limits: total, per peer, and pending.
const MAX_CONNECTIONS: u32 = 256;
const MAX_CONNECTIONS_PER_PEER: u32 = 4;
const MAX_PENDING: u32 = 64;
/// Refuse new connections once the process uses this share of memory.
const MAX_MEMORY_PERCENT: f64 = 0.9;
/// Concurrent sync streams per connection.
const MAX_SYNC_STREAMS: usize = 16;

/// Every behaviour of a Kith node.
#[derive(NetworkBehaviour)]
pub struct Behaviour {
    /// Caps on connection counts.
    pub limits: connection_limits::Behaviour,
    /// Refuses connections under memory pressure.
    pub memory: memory_connection_limits::Behaviour,
    /// Learns peers' addresses and protocols.
    pub identify: identify::Behaviour,
    /// Liveness and round-trip time.
    pub ping: ping::Behaviour,
    /// LAN discovery (absent with `--no-mdns`).
    pub mdns: Toggle<mdns::tokio::Behaviour>,
    /// Which peers carry which feed.
    pub kad: kad::Behaviour<kad::store::MemoryStore>,
    /// Reconciliation and blobs.
    pub sync: request_response::cbor::Behaviour<SyncRequest, SyncResponse>,
    /// New changes, one topic per feed.
    pub gossip: gossipsub::Behaviour,
    /// Reaching peers behind NAT through a relay.
    pub relay_client: relay::client::Behaviour,
    /// Serving as a relay (`--relay`).
    pub relay_server: Toggle<relay::Behaviour>,
    /// Upgrading relayed connections to direct ones.
    pub dcutr: dcutr::Behaviour,
    /// Learning whether this node is reachable.
    pub autonat: autonat::Behaviour,
}

/// Choices that shape the behaviours.
#[derive(Debug, Clone)]
pub struct BehaviourOptions {
    /// Run mDNS discovery.
    pub mdns: bool,
    /// How often mDNS asks the LAN.
    pub mdns_interval: Duration,
    /// Serve as a relay.
    pub relay_server: bool,
}

/// How long one relayed connection may last on a node run with `--relay`.
pub const RELAY_CIRCUIT_TIME: Duration = Duration::from_secs(30 * 60);
/// How many bytes one relayed connection may carry on such a node.
pub const RELAY_CIRCUIT_BYTES: u64 = 64 * 1024 * 1024;

/// The relay server's limits: rust-libp2p's defaults (reservations,
/// circuits and their rates) except the length and size of one circuit,
/// which by default (2 minutes, 128 KiB) are made only for the handshake
/// of a hole punch; a Kith relay also carries feeds between peers that
/// cannot reach each other directly.
fn relay_config() -> relay::Config {
    relay::Config {
        max_circuit_duration: RELAY_CIRCUIT_TIME,
        max_circuit_bytes: RELAY_CIRCUIT_BYTES,
        ..relay::Config::default()
    }
}

/// LAN discovery (mDNS) for `peer_id`, querying every `interval`.
pub fn lan_discovery(
    peer_id: PeerId,
    interval: Duration,
) -> Result<mdns::tokio::Behaviour, String> {
    let config = mdns::Config {
        query_interval: interval,
        ..mdns::Config::default()
    };
    mdns::tokio::Behaviour::new(config, peer_id).map_err(|e| format!("mDNS: {e}"))
}

/// Builds the behaviours for `key`.
pub fn build(
    key: &Keypair,
    relay_client: relay::client::Behaviour,
    options: &BehaviourOptions,
) -> Result<Behaviour, String> {
    let peer_id = key.public().to_peer_id();
    // LAN discovery is a convenience: a system where it cannot start (no
    // netlink, say) still runs the node, which says mDNS is off.
    let mdns = if options.mdns {
        lan_discovery(peer_id, options.mdns_interval)
            .inspect_err(|e| tracing::warn!(error = %e, "LAN discovery could not start"))
            .ok()
    } else {
        None
    };
    let mut kad_config = kad::Config::new(StreamProtocol::new(KAD_PROTOCOL));
    kad_config.set_query_timeout(Duration::from_secs(20));
    if let Some(n) = NonZeroUsize::new(8) {
        kad_config.set_replication_factor(n);
    }
    let mut kad =
        kad::Behaviour::with_config(peer_id, kad::store::MemoryStore::new(peer_id), kad_config);
    kad.set_mode(Some(kad::Mode::Server));

    let sync = request_response::cbor::Behaviour::with_codec(
        request_response::cbor::codec::Codec::default()
            .set_request_size_maximum(MAX_REQUEST_BYTES)
            .set_response_size_maximum(MAX_RESPONSE_BYTES),
        [(
            StreamProtocol::new(SYNC_PROTOCOL),
            request_response::ProtocolSupport::Full,
        )],
        request_response::Config::default()
            .with_request_timeout(Duration::from_secs(30))
            .with_max_concurrent_streams(MAX_SYNC_STREAMS),
    );

    let gossip = gossip(key)?;
    Ok(Behaviour {
        limits: connection_limits::Behaviour::new(
            connection_limits::ConnectionLimits::default()
                .with_max_established(Some(MAX_CONNECTIONS))
                .with_max_established_per_peer(Some(MAX_CONNECTIONS_PER_PEER))
                .with_max_pending_incoming(Some(MAX_PENDING))
                .with_max_pending_outgoing(Some(MAX_PENDING)),
        ),
        memory: memory_connection_limits::Behaviour::with_max_percentage(MAX_MEMORY_PERCENT),
        identify: identify::Behaviour::new(
            identify::Config::new(IDENTIFY_VERSION.to_owned(), key.public())
                .with_agent_version(format!("kith/{}", env!("CARGO_PKG_VERSION")))
                // Listen addresses change while running (`kith listen`, the
                // app's settings): connected peers learn the new ones at
                // once and redial those, not the old, after a disconnect.
                .with_push_listen_addr_updates(true),
        ),
        ping: ping::Behaviour::new(
            ping::Config::new()
                .with_interval(Duration::from_secs(2))
                .with_timeout(Duration::from_secs(5)),
        ),
        mdns: Toggle::from(mdns),
        kad,
        sync,
        gossip,
        relay_client,
        // The relay offers itself only once it has external addresses: the
        // swarm task confirms its listen addresses as external ones when it
        // serves as a relay (see `swarm`).
        relay_server: Toggle::from(
            options
                .relay_server
                .then(|| relay::Behaviour::new(peer_id, relay_config())),
        ),
        dcutr: dcutr::Behaviour::new(peer_id),
        autonat: autonat::Behaviour::new(
            peer_id,
            autonat::Config {
                boot_delay: Duration::from_secs(10),
                ..autonat::Config::default()
            },
        ),
    })
}

/// Gossipsub: signed messages, application validation before forwarding,
/// content-addressed message ids, bounded sizes, and peer scoring that
/// disconnects peers who send invalid messages.
fn gossip(key: &Keypair) -> Result<gossipsub::Behaviour, String> {
    let config = gossipsub::ConfigBuilder::default()
        .heartbeat_interval(Duration::from_millis(700))
        .validation_mode(gossipsub::ValidationMode::Strict)
        .validate_messages()
        .max_transmit_size(MAX_GOSSIP_BYTES)
        .message_id_fn(|m: &gossipsub::Message| {
            gossipsub::MessageId::from(blake3::hash(&m.data).as_bytes().to_vec())
        })
        .duplicate_cache_time(Duration::from_secs(120))
        .mesh_n_low(2)
        .mesh_n(4)
        .mesh_n_high(8)
        .mesh_outbound_min(1)
        .flood_publish(true)
        .build()
        .map_err(|e| format!("gossipsub config: {e}"))?;
    let mut gossip =
        gossipsub::Behaviour::new(gossipsub::MessageAuthenticity::Signed(key.clone()), config)
            .map_err(|e| format!("gossipsub: {e}"))?;
    let thresholds = gossipsub::PeerScoreThresholds {
        gossip_threshold: -10.0,
        publish_threshold: -50.0,
        graylist_threshold: -80.0,
        accept_px_threshold: 10.0,
        opportunistic_graft_threshold: 3.0,
    };
    let params = gossipsub::PeerScoreParams {
        behaviour_penalty_weight: -10.0,
        behaviour_penalty_decay: 0.9,
        // Many honest peers share an address: a LAN behind one NAT, a
        // community peer's relay clients, every node on a test machine.
        // Messages are signed and checked before anyone forwards them, so
        // co-location says nothing about honesty here.
        ip_colocation_factor_weight: 0.0,
        ..gossipsub::PeerScoreParams::default()
    };
    gossip
        .with_peer_score(params, thresholds)
        .map_err(|e| format!("gossipsub scoring: {e}"))?;
    Ok(gossip)
}
