//! Kith's wire protocol over libp2p: protocol ids, gossipsub topic names
//! and the CBOR messages, with every size a peer controls bounded. This
//! module is pure (no sockets, no clock); `docs/protocol.md` §13 describes
//! the same bytes for other implementations.

use automerge::ChangeHash;
use kith_core::{AccountId, DeviceCertificate, Envelope, Hash, PostId};
use serde::{Deserialize, Serialize};
use serde_bytes::ByteBuf;

/// The request-response protocol for reconciliation and blobs.
pub const SYNC_PROTOCOL: &str = "/kith/sync/1";
/// The Kademlia protocol (a Kith-only DHT, never the public IPFS one).
pub const KAD_PROTOCOL: &str = "/kith/kad/1";
/// The identify protocol version string.
pub const IDENTIFY_VERSION: &str = "/kith/1";
/// Prefix of a feed's gossipsub topic; the account id (`kith1…`) follows.
pub const TOPIC_PREFIX: &str = "kith/feed/1/";
/// The gossipsub topic of update notices: signed release manifests.
pub const RELEASE_TOPIC: &str = "kith/release/1";
/// Largest update notice.
pub const MAX_NOTICE_BYTES: usize = kith_core::release::MAX_MANIFEST_BYTES + 64;
/// Most bytes of a package in one response.
pub const PACKAGE_CHUNK: u64 = 1024 * 1024;
/// Prefix of a feed's Kademlia provider key; the 32 account bytes follow.
pub const PROVIDER_PREFIX: &[u8] = b"kith/feed/1/";

/// Largest request a node reads.
pub const MAX_REQUEST_BYTES: u64 = 1024 * 1024;
/// Largest response a node reads (a page of changes, or one blob).
pub const MAX_RESPONSE_BYTES: u64 = 16 * 1024 * 1024;
/// Largest gossip message: one envelope, its certificates and bodies.
pub const MAX_GOSSIP_BYTES: usize = 256 * 1024;
/// Most feeds in one heads exchange.
pub const MAX_FEEDS_PER_REQUEST: usize = 4096;
/// Most heads (or sampled ancestors) per feed in a request.
pub const MAX_HAVE: usize = 64;
/// Most certificates in one message.
pub const MAX_CERTIFICATES: usize = 256;
/// Most bodies in one gossip message.
pub const MAX_GOSSIP_BODIES: usize = 4;
/// The page size a node asks for and the most it serves.
pub const PAGE_BYTES: u32 = 4 * 1024 * 1024;

/// Most changes (and most posts) in one request for seals.
pub const MAX_SEALS: usize = kith_store::MAX_SEALS;
/// Bytes of one seal on the wire.
pub const SEAL_BYTES: usize = 32 + 2 + 64;

/// The size of the newest changes a node asks for and the most it serves
/// ([`SyncRequest::Recent`]).
pub const RECENT_BYTES: u32 = 256 * 1024;

/// A protocol message that breaks the rules.
#[derive(Debug, thiserror::Error)]
#[error("malformed {what}: {reason}")]
pub struct Malformed {
    /// Which message.
    pub what: &'static str,
    /// What is wrong.
    pub reason: String,
}

#[allow(clippy::needless_pass_by_value)] // callers pass errors by value
fn malformed(what: &'static str, reason: impl ToString) -> Malformed {
    Malformed {
        what,
        reason: reason.to_string(),
    }
}

/// The gossipsub topic of `account`'s feed.
pub fn feed_topic(account: AccountId) -> String {
    format!("{TOPIC_PREFIX}{account}")
}

/// The feed a topic name belongs to, if it is a Kith feed topic.
pub fn topic_feed(topic: &str) -> Option<AccountId> {
    topic.strip_prefix(TOPIC_PREFIX)?.parse().ok()
}

/// The Kademlia provider key under which carriers of `account`'s feed
/// announce themselves.
pub fn provider_key(account: AccountId) -> Vec<u8> {
    [PROVIDER_PREFIX, account.as_bytes().as_slice()].concat()
}

/// A feed and its heads, as exchanged by peers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedHeads {
    /// The account (32 bytes).
    pub account: ByteBuf,
    /// The feed's heads (32 bytes each).
    pub heads: Vec<ByteBuf>,
    /// How many changes the sender holds.
    pub changes: u64,
}

impl FeedHeads {
    /// Builds the wire form.
    pub fn new(account: AccountId, heads: &[ChangeHash], changes: u64) -> Self {
        Self {
            account: ByteBuf::from(account.as_bytes().to_vec()),
            heads: heads
                .iter()
                .take(MAX_HAVE)
                .map(|h| ByteBuf::from(h.0.to_vec()))
                .collect(),
            changes,
        }
    }

    /// Reads the account and heads, checking their sizes.
    pub fn decode(&self) -> Result<(AccountId, Vec<ChangeHash>), Malformed> {
        let account =
            AccountId::from_slice(&self.account).map_err(|e| malformed("feed heads", e))?;
        Ok((account, hashes("feed heads", &self.heads)?))
    }
}

/// Reads change hashes, at most [`MAX_HAVE`].
pub fn hashes(what: &'static str, raw: &[ByteBuf]) -> Result<Vec<ChangeHash>, Malformed> {
    if raw.len() > MAX_HAVE {
        return Err(malformed(what, format!("more than {MAX_HAVE} hashes")));
    }
    raw.iter()
        .map(|h| {
            ChangeHash::try_from(h.as_slice())
                .map_err(|_| malformed(what, "a hash is not 32 bytes"))
        })
        .collect()
}

/// Encodes change hashes for the wire.
pub fn hashes_to_wire(hashes: &[ChangeHash]) -> Vec<ByteBuf> {
    hashes.iter().map(|h| ByteBuf::from(h.0.to_vec())).collect()
}

/// A post body: post id (40 bytes) and body record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BodyRecord {
    /// The post id: author (32 bytes) then local id (8 bytes).
    pub post: ByteBuf,
    /// The salted body record (`docs/protocol.md` §10).
    pub body: ByteBuf,
}

/// A request on [`SYNC_PROTOCOL`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SyncRequest {
    /// "Here are the heads of feeds I carry; tell me yours."
    Heads {
        /// The sender's feeds.
        feeds: Vec<FeedHeads>,
    },
    /// "Send me the changes of this feed that are not ancestors of `have`."
    Changes {
        /// The account (32 bytes).
        account: ByteBuf,
        /// The requester's heads, possibly followed by sampled ancestors.
        have: Vec<ByteBuf>,
        /// How many of the missing changes to leave out (those received
        /// in earlier pages for the same `have`).
        skip: u64,
        /// The page size wanted (the responder caps it at [`PAGE_BYTES`]).
        max_bytes: u32,
    },
    /// "Send me the newest changes of this feed": asked by a node that
    /// holds none of the feed, so that its newest posts show at once; the
    /// rest follows with [`SyncRequest::Changes`]. Answered with
    /// [`SyncResponse::Changes`] (in causal order, their older
    /// dependencies left out).
    Recent {
        /// The account (32 bytes).
        account: ByteBuf,
        /// The size wanted (the responder caps it at [`RECENT_BYTES`]).
        max_bytes: u32,
    },
    /// "Send me your stored snapshot of this feed": asked by a node that
    /// holds none of the feed, beside [`SyncRequest::Recent`]. The
    /// requester loads it while the responder builds its first page, and
    /// then checks the pages' changes against it instead of applying them
    /// (`docs/protocol.md` §13.3). Answered with [`SyncResponse::Snapshot`].
    Snapshot {
        /// The account (32 bytes).
        account: ByteBuf,
    },
    /// "Send me the signatures of these changes of this feed, and the
    /// bodies of these of its posts": asked by a node seeded from the
    /// responder's snapshot, which rebuilt the changes from it
    /// (`docs/protocol.md` §13.4.4). Answered with [`SyncResponse::Seals`].
    Seals {
        /// The account (32 bytes).
        account: ByteBuf,
        /// Change hashes, 32 bytes each, at most [`MAX_SEALS`].
        hashes: ByteBuf,
        /// Local post ids (the account is the author), 8 bytes each, at
        /// most [`MAX_SEALS`].
        posts: ByteBuf,
    },
    /// "Send me this blob."
    Blob {
        /// Its BLAKE3 hash.
        hash: ByteBuf,
    },
    /// "Send me part of this Kith package" (a file of a signed release
    /// manifest the responder announced).
    Package {
        /// The file's BLAKE3, as its manifest lists it.
        blake3: ByteBuf,
        /// The first byte wanted.
        offset: u64,
    },
    /// "Here is a signed report for one of your lists."
    Report {
        /// The signed report (`docs/protocol.md`, reports).
        report: ByteBuf,
    },
}

/// A response on [`SYNC_PROTOCOL`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SyncResponse {
    /// The responder's heads for the requested feeds it holds.
    Heads {
        /// Its feeds.
        feeds: Vec<FeedHeads>,
    },
    /// A page of changes, in causal order.
    Changes {
        /// Certificates of the feed's devices.
        certificates: Vec<ByteBuf>,
        /// Signed envelopes (`docs/protocol.md` §6).
        envelopes: Vec<ByteBuf>,
        /// Current bodies of the posts these envelopes write.
        bodies: Vec<BodyRecord>,
        /// Whether more changes remain: ask again with the new heads.
        more: bool,
        /// Whether some of `have` was unknown to the responder: the
        /// requester holds changes it lacks (it may then ask with sampled
        /// ancestors to avoid being sent what it has).
        unknown_have: bool,
    },
    /// The responder's stored snapshot of a feed (an automerge document
    /// chunk), or nothing if it offers none.
    Snapshot {
        /// The bytes.
        bytes: Option<ByteBuf>,
    },
    /// Seals of the changes asked for that the responder holds, in the
    /// order asked, and bodies of the live posts asked for, in the order
    /// asked, as many as fit in [`PAGE_BYTES`].
    Seals {
        /// Certificates of the feed's devices.
        certificates: Vec<ByteBuf>,
        /// [`SEAL_BYTES`]-byte records: change hash (32) | index of its
        /// certificate in `certificates` (u16, big-endian) | signature (64).
        seals: ByteBuf,
        /// Current bodies of the posts asked for.
        bodies: Vec<BodyRecord>,
        /// Whether bodies were left out past the budget: ask again for the
        /// posts after the last body sent.
        more_bodies: bool,
    },
    /// A blob, or nothing if the responder lacks it.
    Blob {
        /// The bytes.
        bytes: Option<ByteBuf>,
    },
    /// Part of a package: up to [`PACKAGE_CHUNK`] bytes from the offset
    /// asked, or none if the responder does not hold it.
    PackageChunk {
        /// The bytes.
        bytes: Option<ByteBuf>,
        /// The file's size.
        size: u64,
    },
    /// A report was verified and kept (or was already kept).
    ReportReceived {
        /// Whether it was new.
        new: bool,
    },
    /// The request was refused.
    Refused {
        /// A stable code: `busy`, `malformed`, `unavailable`.
        code: String,
        /// For people.
        message: String,
    },
}

impl SyncResponse {
    /// A refusal.
    #[allow(clippy::needless_pass_by_value)] // callers pass errors by value
    pub fn refused(code: &str, message: impl ToString) -> Self {
        Self::Refused {
            code: code.to_owned(),
            message: message.to_string(),
        }
    }

    /// The bytes this answer holds in memory (its byte strings and texts;
    /// the encoding adds a few bytes to each), for bounding what answers
    /// waiting to be written hold.
    pub fn held_bytes(&self) -> u64 {
        fn bufs(v: &[ByteBuf]) -> usize {
            v.iter().map(|b| b.len() + 8).sum()
        }
        fn bodies(v: &[BodyRecord]) -> usize {
            v.iter().map(|b| b.post.len() + b.body.len() + 16).sum()
        }
        let bytes = match self {
            Self::Heads { feeds } => feeds
                .iter()
                .map(|f| f.account.len() + bufs(&f.heads) + 16)
                .sum(),
            Self::Changes {
                certificates,
                envelopes,
                bodies: b,
                ..
            } => bufs(certificates) + bufs(envelopes) + bodies(b),
            Self::Seals {
                certificates,
                seals,
                bodies: b,
                ..
            } => bufs(certificates) + seals.len() + bodies(b),
            Self::Snapshot { bytes } | Self::Blob { bytes } | Self::PackageChunk { bytes, .. } => {
                bytes.as_ref().map_or(0, |b| b.len())
            }
            Self::ReportReceived { .. } => 0,
            Self::Refused { code, message } => code.len() + message.len(),
        };
        bytes as u64 + 16
    }
}

/// What a node that holds a Kith release publishes on [`RELEASE_TOPIC`]:
/// the release's signed manifest, verbatim, and when it was announced (so
/// that each announcement is a new gossip message).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateNotice {
    /// The signed manifest's text (`docs/releasing.md`).
    pub manifest: ByteBuf,
    /// When it was announced, ms since the Unix epoch.
    pub at: u64,
}

impl UpdateNotice {
    /// Encodes the notice (CBOR).
    pub fn encode(&self) -> Vec<u8> {
        cbor4ii::serde::to_vec(Vec::new(), self).unwrap_or_default()
    }

    /// Decodes a notice, refusing one over [`MAX_NOTICE_BYTES`].
    pub fn decode(bytes: &[u8]) -> Result<Self, Malformed> {
        if bytes.len() > MAX_NOTICE_BYTES {
            return Err(malformed("update notice", "too large"));
        }
        cbor4ii::serde::from_slice(bytes).map_err(|e| malformed("update notice", e))
    }
}

/// Changes, certificates and bodies decoded from the wire, not yet verified.
#[derive(Debug, Default)]
pub struct Decoded {
    /// Certificates (their own signatures are checked by the store).
    pub certificates: Vec<DeviceCertificate>,
    /// Envelopes (signatures checked by the store).
    pub envelopes: Vec<Envelope>,
    /// Post bodies (matched against signed hashes by the store).
    pub bodies: Vec<(PostId, Vec<u8>)>,
}

/// Decodes the parts of a changes page or gossip update.
pub fn decode_parts(
    what: &'static str,
    certificates: &[ByteBuf],
    envelopes: &[ByteBuf],
    bodies: &[BodyRecord],
) -> Result<Decoded, Malformed> {
    if certificates.len() > MAX_CERTIFICATES {
        return Err(malformed(what, "too many certificates"));
    }
    let certificates = certificates
        .iter()
        .map(|c| DeviceCertificate::decode(c).map_err(|e| malformed(what, e)))
        .collect::<Result<_, _>>()?;
    let envelopes = envelopes
        .iter()
        .map(|e| Envelope::decode(e).map_err(|err| malformed(what, err)))
        .collect::<Result<_, _>>()?;
    let bodies = bodies
        .iter()
        .map(|b| {
            let post = PostId::from_bytes(&b.post).map_err(|e| malformed(what, e))?;
            kith_core::Body::decode(&b.body).map_err(|e| malformed(what, e))?;
            Ok((post, b.body.to_vec()))
        })
        .collect::<Result<_, Malformed>>()?;
    Ok(Decoded {
        certificates,
        envelopes,
        bodies,
    })
}

/// Encodes bodies for the wire.
pub fn bodies_to_wire(bodies: &[(PostId, Vec<u8>)]) -> Vec<BodyRecord> {
    bodies
        .iter()
        .map(|(post, body)| BodyRecord {
            post: ByteBuf::from(post.to_bytes().to_vec()),
            body: ByteBuf::from(body.clone()),
        })
        .collect()
}

/// What a node publishes on a feed's topic: one new signed change, the
/// certificates needed to check it, and the bodies of posts it writes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Update {
    /// Certificates of the signing device (and any it needs).
    pub certificates: Vec<ByteBuf>,
    /// The signed envelope.
    pub envelope: ByteBuf,
    /// Bodies of the posts the change writes.
    pub bodies: Vec<BodyRecord>,
}

impl Update {
    /// Builds an update.
    pub fn new(
        certificates: &[DeviceCertificate],
        envelope: &Envelope,
        bodies: &[(PostId, Vec<u8>)],
    ) -> Self {
        Self {
            certificates: certificates
                .iter()
                .map(|c| ByteBuf::from(c.encode()))
                .collect(),
            envelope: ByteBuf::from(envelope.encode()),
            bodies: bodies_to_wire(bodies),
        }
    }

    /// CBOR bytes.
    pub fn encode(&self) -> Vec<u8> {
        cbor4ii::serde::to_vec(Vec::new(), self).unwrap_or_default()
    }

    /// Parses and size-checks an update (signatures are checked by the store).
    pub fn decode(bytes: &[u8]) -> Result<Decoded, Malformed> {
        if bytes.len() > MAX_GOSSIP_BYTES {
            return Err(malformed("update", "too large"));
        }
        let update: Self = cbor4ii::serde::from_slice(bytes).map_err(|e| malformed("update", e))?;
        if update.bodies.len() > MAX_GOSSIP_BODIES {
            return Err(malformed("update", "too many bodies"));
        }
        decode_parts(
            "update",
            &update.certificates,
            std::slice::from_ref(&update.envelope),
            &update.bodies,
        )
    }
}

/// A request for seals, read from the wire.
#[derive(Debug)]
pub struct SealsAsked {
    /// The feed.
    pub account: AccountId,
    /// The changes.
    pub hashes: Vec<ChangeHash>,
    /// The posts' local ids.
    pub posts: Vec<[u8; 8]>,
}

impl SealsAsked {
    /// The wire form.
    pub fn to_wire(account: AccountId, hashes: &[ChangeHash], posts: &[[u8; 8]]) -> SyncRequest {
        SyncRequest::Seals {
            account: ByteBuf::from(account.as_bytes().to_vec()),
            hashes: ByteBuf::from(hashes.iter().flat_map(|h| h.0).collect::<Vec<u8>>()),
            posts: ByteBuf::from(posts.concat()),
        }
    }

    /// Reads a request's fields, checking their sizes.
    pub fn decode(account: &[u8], hashes: &[u8], posts: &[u8]) -> Result<Self, Malformed> {
        const WHAT: &str = "seals request";
        let account = AccountId::from_slice(account).map_err(|e| malformed(WHAT, e))?;
        if !hashes.len().is_multiple_of(32) || hashes.len() / 32 > MAX_SEALS {
            return Err(malformed(
                WHAT,
                format!("hashes are not at most {MAX_SEALS} × 32 bytes"),
            ));
        }
        if !posts.len().is_multiple_of(8) || posts.len() / 8 > MAX_SEALS {
            return Err(malformed(
                WHAT,
                format!("posts are not at most {MAX_SEALS} × 8 bytes"),
            ));
        }
        let hashes = hashes
            .chunks_exact(32)
            .map(|h| ChangeHash::try_from(h).map_err(|e| malformed(WHAT, e)))
            .collect::<Result<_, _>>()?;
        let posts = posts
            .chunks_exact(8)
            .map(|p| {
                p.try_into()
                    .map_err(|_| malformed(WHAT, "a post id is not 8 bytes"))
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            account,
            hashes,
            posts,
        })
    }
}

/// The wire form of an answer to a request for seals: with the
/// certificates its seals name, in the order first named, at most
/// [`MAX_CERTIFICATES`]; a seal that would name one more (a feed of more
/// devices than that) is left out, and its change comes later whole.
pub fn seals_to_wire(answer: &kith_store::Seals) -> SyncResponse {
    let mut sent: Vec<&DeviceCertificate> = Vec::new();
    // The answer's index of a certificate → its index on the wire.
    let mut index: std::collections::HashMap<u16, u16> = std::collections::HashMap::new();
    let mut seals = Vec::with_capacity(answer.seals.len() * SEAL_BYTES);
    for seal in &answer.seals {
        let cert = if let Some(i) = index.get(&seal.cert) {
            *i
        } else {
            let Some(c) = answer.certificates.get(usize::from(seal.cert)) else {
                continue;
            };
            let Ok(i) = u16::try_from(sent.len()) else {
                continue;
            };
            if sent.len() >= MAX_CERTIFICATES {
                continue;
            }
            sent.push(c);
            index.insert(seal.cert, i);
            i
        };
        seals.extend_from_slice(&seal.hash.0);
        seals.extend_from_slice(&cert.to_be_bytes());
        seals.extend_from_slice(&seal.signature);
    }
    SyncResponse::Seals {
        certificates: sent.iter().map(|c| ByteBuf::from(c.encode())).collect(),
        seals: ByteBuf::from(seals),
        bodies: bodies_to_wire(&answer.bodies),
        more_bodies: answer.more_bodies,
    }
}

/// Reads an answer to a request for seals, checking its sizes (the
/// signatures are checked by the store once the changes are in their
/// envelopes).
pub fn seals_from_wire(
    certificates: &[ByteBuf],
    seals: &[u8],
    bodies: &[BodyRecord],
    more_bodies: bool,
) -> Result<kith_store::Seals, Malformed> {
    const WHAT: &str = "seals";
    if !seals.len().is_multiple_of(SEAL_BYTES) || seals.len() / SEAL_BYTES > MAX_SEALS {
        return Err(malformed(
            WHAT,
            format!("not at most {MAX_SEALS} seals of {SEAL_BYTES} bytes"),
        ));
    }
    if bodies.len() > MAX_SEALS {
        return Err(malformed(WHAT, "too many bodies"));
    }
    let decoded = decode_parts(WHAT, certificates, &[], bodies)?;
    let seals = seals
        .chunks_exact(SEAL_BYTES)
        .map(|record| {
            let (hash, rest) = record.split_at(32);
            let (cert, signature) = rest.split_at(2);
            Ok(kith_store::Seal {
                hash: ChangeHash::try_from(hash).map_err(|e| malformed(WHAT, e))?,
                cert: u16::from_be_bytes([cert[0], cert[1]]),
                signature: signature
                    .try_into()
                    .map_err(|_| malformed(WHAT, "a signature is not 64 bytes"))?,
            })
        })
        .collect::<Result<_, Malformed>>()?;
    Ok(kith_store::Seals {
        certificates: decoded.certificates,
        seals,
        bodies: decoded.bodies,
        more_bodies,
    })
}

/// The 32 bytes of a hash field.
pub fn hash32(what: &'static str, raw: &[u8]) -> Result<Hash, Malformed> {
    raw.try_into().map_err(|_| malformed(what, "not 32 bytes"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_names_round_trip_and_reject_other_topics() {
        let account = AccountId::from_slice(&[7; 32]).unwrap();
        let topic = feed_topic(account);
        assert!(topic.starts_with("kith/feed/1/kith1"));
        assert_eq!(topic_feed(&topic), Some(account));
        assert_eq!(topic_feed("kith/feed/1/nonsense"), None);
        assert_eq!(topic_feed("other"), None);
    }

    #[test]
    fn garbage_and_oversized_updates_are_malformed_not_panics() {
        assert!(Update::decode(b"\xff\x00garbage").is_err());
        assert!(Update::decode(&vec![0u8; MAX_GOSSIP_BYTES + 1]).is_err());
        let many = Update {
            certificates: vec![],
            envelope: ByteBuf::from(vec![1, 2, 3]),
            bodies: vec![],
        };
        assert!(
            Update::decode(&many.encode()).is_err(),
            "a 3-byte envelope is malformed"
        );
    }

    #[test]
    fn seals_round_trip_and_malformed_seal_messages_are_refused() {
        let account = AccountId::from_slice(&[7; 32]).unwrap();
        let hashes = vec![ChangeHash([1; 32]), ChangeHash([2; 32])];
        let posts = vec![[3; 8]];
        let SyncRequest::Seals {
            account: a,
            hashes: h,
            posts: p,
        } = SealsAsked::to_wire(account, &hashes, &posts)
        else {
            panic!("not a seals request");
        };
        let asked = SealsAsked::decode(&a, &h, &p).unwrap();
        assert_eq!(
            (asked.account, asked.hashes, asked.posts),
            (account, hashes.clone(), posts)
        );
        assert!(SealsAsked::decode(&a, &h[..33], &p).is_err(), "a cut hash");
        assert!(
            SealsAsked::decode(&a, &h, &p[..7]).is_err(),
            "a cut post id"
        );
        let too_many = vec![0u8; 32 * (MAX_SEALS + 1)];
        assert!(
            SealsAsked::decode(&a, &too_many, &p).is_err(),
            "past MAX_SEALS"
        );

        let answer = kith_store::Seals {
            certificates: Vec::new(),
            seals: vec![kith_store::Seal {
                hash: hashes[0],
                cert: 0,
                signature: [5; 64],
            }],
            bodies: Vec::new(),
            more_bodies: true,
        };
        let SyncResponse::Seals {
            certificates,
            seals,
            bodies,
            more_bodies,
        } = seals_to_wire(&answer)
        else {
            panic!("not a seals answer");
        };
        assert!(
            seals.is_empty(),
            "a seal naming a certificate left out is left out"
        );
        let mut record = hashes[1].0.to_vec();
        record.extend_from_slice(&1u16.to_be_bytes());
        record.extend_from_slice(&[6; 64]);
        assert!(more_bodies);
        let read = seals_from_wire(&certificates, &record, &bodies, more_bodies).unwrap();
        assert!(read.more_bodies);
        assert_eq!(
            read.seals,
            vec![kith_store::Seal {
                hash: hashes[1],
                cert: 1,
                signature: [6; 64]
            }]
        );
        assert!(
            seals_from_wire(&certificates, &record[..97], &bodies, false).is_err(),
            "a cut seal"
        );
    }

    #[test]
    fn a_seals_answer_of_a_feed_of_more_devices_than_a_page_may_name_sends_the_certificates_its_seals_use()
     {
        let account_key = kith_core::keys::generate();
        let certificates: Vec<DeviceCertificate> = (0..300)
            .map(|_| {
                let device = kith_core::keys::device_id(&kith_core::keys::generate());
                DeviceCertificate::issue(&account_key, device, 1)
            })
            .collect();
        // One seal per device, the last device's first, each naming its
        // certificate by its index in the feed's list.
        let seals: Vec<kith_store::Seal> = (0..300u16)
            .rev()
            .map(|i| kith_store::Seal {
                hash: ChangeHash([(i % 251) as u8; 32]),
                cert: i,
                signature: [i as u8; 64],
            })
            .collect();
        let answer = kith_store::Seals {
            certificates: certificates.clone(),
            seals: seals.clone(),
            bodies: Vec::new(),
            more_bodies: false,
        };
        let SyncResponse::Seals {
            certificates: sent,
            seals: wire,
            bodies,
            more_bodies,
        } = seals_to_wire(&answer)
        else {
            panic!("not a seals answer");
        };
        let read = seals_from_wire(&sent, &wire, &bodies, more_bodies).unwrap();
        assert_eq!(read.certificates.len(), MAX_CERTIFICATES);
        assert_eq!(
            read.seals.len(),
            MAX_CERTIFICATES,
            "the seals past the cap are left out"
        );
        for (got, asked) in read.seals.iter().zip(&seals) {
            assert_eq!((got.hash, got.signature), (asked.hash, asked.signature));
            assert_eq!(
                read.certificates[usize::from(got.cert)],
                certificates[usize::from(asked.cert)],
                "each seal names its own device's certificate on the wire"
            );
        }
    }

    #[test]
    fn too_many_hashes_are_refused() {
        let raw = vec![ByteBuf::from(vec![0u8; 32]); MAX_HAVE + 1];
        assert!(hashes("have", &raw).is_err());
        let short = vec![ByteBuf::from(vec![0u8; 31])];
        assert!(hashes("have", &short).is_err());
    }
}
