//! A peer that keeps its connection alive (it answers pings and heads) but
//! leaves the large answers it asked for unread is disconnected when they
//! time out: the rule of `kith-net`'s answering on its own, apart from the
//! older one that cuts off a peer whose pings stop (the stalled-peer test
//! in `net.rs` may end by either).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io;
use std::time::{Duration, Instant};

use common::{Served, init, post_two_large_images};
use futures::{AsyncRead, AsyncWrite, StreamExt};
use kith_net::protocol::{SYNC_PROTOCOL, SyncRequest, SyncResponse};
use libp2p::request_response::{self, Codec, ProtocolSupport};
use libp2p::swarm::{NetworkBehaviour, SwarmEvent};
use libp2p::{Multiaddr, PeerId, StreamProtocol, noise, ping, tcp, yamux};
use serde_bytes::ByteBuf;

/// Kith's sync codec, except that it never reads an answer.
#[derive(Clone, Default)]
struct NeverReadsAnswers(request_response::cbor::codec::Codec<SyncRequest, SyncResponse>);

impl Codec for NeverReadsAnswers {
    type Protocol = StreamProtocol;
    type Request = SyncRequest;
    type Response = SyncResponse;

    async fn read_request<T>(&mut self, p: &StreamProtocol, io: &mut T) -> io::Result<SyncRequest>
    where
        T: AsyncRead + Unpin + Send,
    {
        self.0.read_request(p, io).await
    }

    async fn read_response<T>(&mut self, _: &StreamProtocol, _: &mut T) -> io::Result<SyncResponse>
    where
        T: AsyncRead + Unpin + Send,
    {
        std::future::pending().await
    }

    async fn write_request<T>(
        &mut self,
        p: &StreamProtocol,
        io: &mut T,
        req: SyncRequest,
    ) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        self.0.write_request(p, io, req).await
    }

    async fn write_response<T>(
        &mut self,
        p: &StreamProtocol,
        io: &mut T,
        res: SyncResponse,
    ) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        self.0.write_response(p, io, res).await
    }
}

/// The peer: pings, and Kith's sync protocol with answers left unread.
#[derive(NetworkBehaviour)]
struct Stalling {
    sync: request_response::Behaviour<NeverReadsAnswers>,
    ping: ping::Behaviour,
}

/// A peer on its own swarm (TCP, Noise, yamux, as Kith's) that pings and
/// asks with Kith's sync protocol, never reading an answer.
fn stalling_swarm() -> libp2p::Swarm<Stalling> {
    libp2p::SwarmBuilder::with_new_identity()
        .with_tokio()
        .with_tcp(
            tcp::Config::default(),
            noise::Config::new,
            yamux::Config::default,
        )
        .unwrap()
        .with_behaviour(|_| Stalling {
            sync: request_response::Behaviour::with_codec(
                NeverReadsAnswers::default(),
                [(StreamProtocol::new(SYNC_PROTOCOL), ProtocolSupport::Full)],
                // Its own requests outlive the node's 30 s to answer.
                request_response::Config::default().with_request_timeout(Duration::from_secs(120)),
            ),
            ping: ping::Behaviour::new(ping::Config::new().with_interval(Duration::from_secs(2))),
        })
        .unwrap()
        .with_swarm_config(|c| c.with_idle_connection_timeout(Duration::from_secs(120)))
        .build()
}

#[test]
fn a_peer_that_answers_pings_but_leaves_its_answers_unread_is_disconnected_when_they_time_out() {
    let dir = tempfile::tempdir().unwrap();
    let (a_home, _) = init(dir.path(), "ada");
    let hashes = post_two_large_images(&a_home, dir.path());
    let a = Served::loopback(&a_home, &[]);
    let a_peer: PeerId = a.peer_id().parse().unwrap();
    let a_addr: Multiaddr = a.addr().parse().unwrap();

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let mut swarm = stalling_swarm();
        let me = *swarm.local_peer_id();
        swarm.dial(a_addr).unwrap();

        let deadline = tokio::time::Instant::now() + Duration::from_secs(90);
        let mut asked: Option<Instant> = None;
        let mut pings_answered = 0;
        let closed_after = loop {
            let event = tokio::time::timeout_at(deadline, swarm.select_next_some())
                .await
                .unwrap_or_else(|_| {
                    panic!(
                        "not disconnected within 90 s ({pings_answered} pings answered)\nA's log:\n{}",
                        a.log()
                    )
                });
            match event {
                SwarmEvent::ConnectionEstablished { peer_id, .. }
                    if peer_id == a_peer && asked.is_none() =>
                {
                    // Two images, eight times each: about 32 MB of answers.
                    for i in 0..16 {
                        let hash = ByteBuf::from(hashes[i % 2].clone());
                        swarm
                            .behaviour_mut()
                            .sync
                            .send_request(&a_peer, SyncRequest::Blob { hash });
                    }
                    asked = Some(Instant::now());
                }
                SwarmEvent::Behaviour(StallingEvent::Ping(ping::Event {
                    peer,
                    result: Ok(_),
                    ..
                })) if peer == a_peer => pings_answered += 1,
                SwarmEvent::Behaviour(StallingEvent::Sync(request_response::Event::Message {
                    message: request_response::Message::Request { channel, .. },
                    ..
                })) => {
                    // Heads asked of it are answered (it carries nothing).
                    let _ = swarm
                        .behaviour_mut()
                        .sync
                        .send_response(channel, SyncResponse::Heads { feeds: Vec::new() });
                }
                SwarmEvent::ConnectionClosed { peer_id, .. } if peer_id == a_peer => {
                    break asked.expect("connected before closed").elapsed();
                }
                _ => {}
            }
        };

        let log = a.log();
        let cut_off = log
            .lines()
            .find(|l| l.contains("a peer left a large answer unread; disconnected") && l.contains(&me.to_string()));
        assert!(
            cut_off.is_some(),
            "A disconnected the peer by the unread-answer rule\nA's log:\n{log}"
        );
        assert!(
            !log.lines()
                .any(|l| l.contains("no answer and no recent ping") && l.contains(&me.to_string())),
            "not by the rule for a peer whose pings stopped\nA's log:\n{log}"
        );
        assert!(
            closed_after >= Duration::from_secs(25),
            "cut off when the answers' requests timed out (30 s), not at once: {closed_after:?}"
        );
        assert!(
            pings_answered >= 5,
            "its pings kept being answered meanwhile: {pings_answered}"
        );
    });
}
