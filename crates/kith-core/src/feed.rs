//! The feed document: one automerge document per account.
//!
//! Every entry is a key of the document's root map, so every operation in a
//! valid change is a `put` or `delete` on the root map, and a change can be
//! validated without any document state (see [`validate_change`]). Keys:
//!
//! | key | value | delete allowed |
//! |---|---|---|
//! | `name` | string ≤ 64 bytes | no |
//! | `bio` | string ≤ 1024 bytes | no |
//! | `avatar` | 32 bytes, BLAKE3 of a blob | yes |
//! | `p/<16 hex>` | bytes, a [`PostRecord`] | no |
//! | `x/<16 hex>` | timestamp: the post was deleted | no |
//! | `f/<64 hex account>` | timestamp: following since | yes (unfollow) |
//! | `b/<64 hex account>` | timestamp: blocked since | yes (unblock) |
//! | `r/<80 hex post id>/<reaction>` | timestamp | yes (un-react) |
//! | `d/<64 hex device>` | bytes, a [`DeviceCertificate`] of this account | no |
//! | `n/<64 hex device>` | 32 bytes: the ed25519 key of that device's libp2p identity | no |
//! | `m/<64 hex account>` | timestamp: muted since (a public mute) | yes (unmute) |
//! | `w/<word>` | timestamp: a publicly muted word or `#hashtag` (lower case) | yes |
//! | `l/<16 hex>` | string ≤ 64 bytes: a moderation list and its name | yes |
//! | `e/<16 hex list>/<64 or 80 hex target>` | bytes, a [`ListEntry`] for an account or post | yes |

use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet};

use automerge::transaction::{CommitOptions, Transactable};
use automerge::{
    ActorId, Automerge, AutomergeError, Change, ChangeHash, ROOT, ReadDoc, ScalarValue,
};

use crate::cert::DeviceCertificate;
use crate::error::{CoreError, Result, malformed};
use crate::ids::{AccountId, DeviceId, POST_LOCAL_LEN, PostId};
use crate::limits::{MAX_BIO_BYTES, MAX_NAME_BYTES, MAX_OPS_PER_CHANGE, MAX_REACTION_BYTES};
use crate::moderation::{ListEntry, Target, check_list_name, check_muted_word};
use crate::post::PostRecord;

/// The root-map key prefix of posts, before the local id in hex.
const POST_PREFIX: &str = "p/";
/// The root-map key prefix of tombstones, before the local id in hex.
const TOMBSTONE_PREFIX: &str = "x/";

/// The keys that start with `prefix` (ASCII, not empty), as a key range:
/// every such key sorts before the prefix with its last byte raised by one
/// (`"p/"` → `"p0"`).
fn prefix_range(prefix: &str) -> std::ops::Range<String> {
    let mut end = prefix.to_owned();
    if let Some(last) = end.pop() {
        end.push(char::from_u32(u32::from(last) + 1).unwrap_or(char::MAX));
    }
    prefix.to_owned()..end
}

/// Post local ids with their key form (lower-case hex), sorted: what
/// [`FeedDoc::posts`] looks for in one ordered pass over the document.
struct Wanted(Vec<([u8; POST_LOCAL_LEN], [u8; POST_LOCAL_LEN * 2])>);

impl Wanted {
    fn new(locals: &HashSet<[u8; POST_LOCAL_LEN]>) -> Self {
        let mut wanted: Vec<_> = locals
            .iter()
            .map(|l| {
                let mut hex = [0u8; POST_LOCAL_LEN * 2];
                // Cannot fail: the buffer is exactly twice the id's length.
                let _ = hex::encode_to_slice(l, &mut hex);
                (*l, hex)
            })
            .collect();
        // Lower-case hex sorts as the bytes it encodes.
        wanted.sort_unstable_by_key(|w| w.0);
        Self(wanted)
    }
}

/// One key of a feed document.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FeedKey {
    /// Profile display name.
    Name,
    /// Profile biography.
    Bio,
    /// Profile picture (a blob hash).
    Avatar,
    /// A post, by local id.
    Post([u8; POST_LOCAL_LEN]),
    /// The deletion mark of a post, by local id.
    Tombstone([u8; POST_LOCAL_LEN]),
    /// A followed account.
    Follow(AccountId),
    /// A blocked account.
    Block(AccountId),
    /// A reaction to a post.
    Reaction(PostId, String),
    /// A certified device of this account.
    Device(DeviceId),
    /// The libp2p identity key of a device of this account.
    Peer(DeviceId),
    /// A publicly muted account.
    Mute(AccountId),
    /// A publicly muted word or hashtag.
    MutedWord(String),
    /// A moderation list, by local id.
    List([u8; POST_LOCAL_LEN]),
    /// An entry of a moderation list.
    ListEntry([u8; POST_LOCAL_LEN], Target),
}

/// A value stored under a [`FeedKey`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FeedValue {
    /// A string.
    Str(String),
    /// Bytes.
    Bytes(Vec<u8>),
    /// A time, ms since the Unix epoch.
    Timestamp(i64),
}

/// One write to a feed document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Write {
    /// Set a key.
    Put(FeedKey, FeedValue),
    /// Remove a key.
    Delete(FeedKey),
}

fn local_from_hex(s: &str) -> Result<[u8; POST_LOCAL_LEN]> {
    let mut out = [0u8; POST_LOCAL_LEN];
    if s.len() != POST_LOCAL_LEN * 2 || s.bytes().any(|b| b.is_ascii_uppercase()) {
        return Err(malformed(
            "feed key",
            "a post's local id must be 16 lower-case hex digits",
        ));
    }
    hex::decode_to_slice(s, &mut out).map_err(|e| malformed("feed key", e.to_string()))?;
    Ok(out)
}

fn check_reaction(r: &str) -> Result<()> {
    if r.is_empty() || r.len() > MAX_REACTION_BYTES || r.chars().any(char::is_control) {
        return Err(CoreError::Schema(format!(
            "a reaction must be 1 to {MAX_REACTION_BYTES} bytes with no control characters"
        )));
    }
    Ok(())
}

impl FeedKey {
    /// Parses a root-map key.
    pub fn parse(key: &str) -> Result<Self> {
        let schema = |why: &str| {
            CoreError::Schema(format!(
                "key `{}`: {why}",
                key.chars().take(100).collect::<String>()
            ))
        };
        Ok(match key {
            "name" => Self::Name,
            "bio" => Self::Bio,
            "avatar" => Self::Avatar,
            _ => {
                let (prefix, rest) = key.split_once('/').ok_or_else(|| schema("unknown key"))?;
                match prefix {
                    "p" => Self::Post(local_from_hex(rest).map_err(|e| schema(&e.to_string()))?),
                    "x" => {
                        Self::Tombstone(local_from_hex(rest).map_err(|e| schema(&e.to_string()))?)
                    }
                    "f" => {
                        Self::Follow(AccountId::from_hex(rest).map_err(|e| schema(&e.to_string()))?)
                    }
                    "b" => {
                        Self::Block(AccountId::from_hex(rest).map_err(|e| schema(&e.to_string()))?)
                    }
                    "d" => {
                        Self::Device(DeviceId::from_hex(rest).map_err(|e| schema(&e.to_string()))?)
                    }
                    "n" => {
                        Self::Peer(DeviceId::from_hex(rest).map_err(|e| schema(&e.to_string()))?)
                    }
                    "m" => {
                        Self::Mute(AccountId::from_hex(rest).map_err(|e| schema(&e.to_string()))?)
                    }
                    "w" => {
                        check_muted_word(rest).map_err(|e| schema(&e.to_string()))?;
                        Self::MutedWord(rest.to_owned())
                    }
                    "l" => Self::List(local_from_hex(rest).map_err(|e| schema(&e.to_string()))?),
                    "e" => {
                        let (list, target) = rest
                            .split_once('/')
                            .ok_or_else(|| schema("a list entry key needs a list and a target"))?;
                        Self::ListEntry(
                            local_from_hex(list).map_err(|e| schema(&e.to_string()))?,
                            Target::from_hex(target).map_err(|e| schema(&e.to_string()))?,
                        )
                    }
                    "r" => {
                        let (post, reaction) = rest
                            .split_once('/')
                            .ok_or_else(|| schema("a reaction key needs a post and a reaction"))?;
                        let post = PostId::from_hex(post).map_err(|e| schema(&e.to_string()))?;
                        check_reaction(reaction)?;
                        Self::Reaction(post, reaction.to_owned())
                    }
                    _ => return Err(schema("unknown key")),
                }
            }
        })
    }

    /// The root-map key text.
    pub fn to_key(&self) -> String {
        match self {
            Self::Name => "name".into(),
            Self::Bio => "bio".into(),
            Self::Avatar => "avatar".into(),
            Self::Post(l) => format!("{POST_PREFIX}{}", hex::encode(l)),
            Self::Tombstone(l) => format!("{TOMBSTONE_PREFIX}{}", hex::encode(l)),
            Self::Follow(a) => format!("f/{}", a.to_hex()),
            Self::Block(a) => format!("b/{}", a.to_hex()),
            Self::Reaction(p, r) => format!("r/{}/{r}", p.to_hex()),
            Self::Device(d) => format!("d/{}", d.to_hex()),
            Self::Peer(d) => format!("n/{}", d.to_hex()),
            Self::Mute(a) => format!("m/{}", a.to_hex()),
            Self::MutedWord(w) => format!("w/{w}"),
            Self::List(l) => format!("l/{}", hex::encode(l)),
            Self::ListEntry(l, t) => format!("e/{}/{}", hex::encode(l), t.to_hex()),
        }
    }

    fn deletable(&self) -> bool {
        matches!(
            self,
            Self::Avatar
                | Self::Follow(_)
                | Self::Block(_)
                | Self::Reaction(..)
                | Self::Mute(_)
                | Self::MutedWord(_)
                | Self::List(_)
                | Self::ListEntry(..)
        )
    }

    /// Checks that `value` may be stored under this key in `account`'s feed.
    #[allow(
        clippy::match_same_arms,
        reason = "one arm per row of the schema table reads best"
    )]
    pub fn check_value(&self, account: AccountId, value: &FeedValue) -> Result<()> {
        let bad = |why: String| Err(CoreError::Schema(format!("key `{}`: {why}", self.to_key())));
        match (self, value) {
            (Self::Name, FeedValue::Str(s)) if s.len() > MAX_NAME_BYTES => {
                bad(format!("name longer than {MAX_NAME_BYTES} bytes"))
            }
            (Self::Bio, FeedValue::Str(s)) if s.len() > MAX_BIO_BYTES => {
                bad(format!("bio longer than {MAX_BIO_BYTES} bytes"))
            }
            (Self::Name | Self::Bio, FeedValue::Str(s))
                if s.chars().any(|c| c.is_control() && c != '\n') =>
            {
                bad("control characters".into())
            }
            (Self::Name | Self::Bio, FeedValue::Str(_)) => Ok(()),
            (Self::Avatar, FeedValue::Bytes(b)) if b.len() == 32 => Ok(()),
            (Self::Post(_), FeedValue::Bytes(b)) => PostRecord::decode(b).map(|_| ()),
            (
                Self::Tombstone(_)
                | Self::Follow(_)
                | Self::Block(_)
                | Self::Reaction(..)
                | Self::Mute(_)
                | Self::MutedWord(_),
                FeedValue::Timestamp(_),
            ) => Ok(()),
            (Self::Peer(_), FeedValue::Bytes(b)) if b.len() == 32 => Ok(()),
            (Self::List(_), FeedValue::Str(name)) => check_list_name(name),
            (Self::ListEntry(..), FeedValue::Bytes(b)) => ListEntry::decode(b).map(|_| ()),
            (Self::Device(d), FeedValue::Bytes(b)) => {
                let cert = DeviceCertificate::decode_verified(b)?;
                if cert.account != account || cert.device != *d {
                    return bad("certificate is for another account or device".into());
                }
                Ok(())
            }
            _ => bad(format!("a value of the wrong type ({})", value.type_name())),
        }
    }
}

impl FeedValue {
    fn type_name(&self) -> &'static str {
        match self {
            Self::Str(_) => "string",
            Self::Bytes(_) => "bytes",
            Self::Timestamp(_) => "timestamp",
        }
    }

    fn from_scalar(v: &ScalarValue) -> Result<Self> {
        Ok(match v {
            ScalarValue::Str(s) => Self::Str(s.to_string()),
            ScalarValue::Bytes(b) => Self::Bytes(b.clone()),
            ScalarValue::Timestamp(t) => Self::Timestamp(*t),
            other => {
                return Err(CoreError::Schema(format!(
                    "values of type {other:?} are not part of the feed schema"
                )));
            }
        })
    }

    fn from_ref(v: &automerge::ScalarValueRef<'_>) -> Option<Self> {
        use automerge::ScalarValueRef as R;
        Some(match v {
            R::Str(s) => Self::Str(s.to_string()),
            R::Bytes(b) => Self::Bytes(b.to_vec()),
            R::Timestamp(t) => Self::Timestamp(*t),
            _ => return None,
        })
    }

    fn to_scalar(&self) -> ScalarValue {
        match self {
            Self::Str(s) => ScalarValue::Str(s.as_str().into()),
            Self::Bytes(b) => ScalarValue::Bytes(b.clone()),
            Self::Timestamp(t) => ScalarValue::Timestamp(*t),
        }
    }
}

/// Checks that every operation of `change` fits the feed schema of
/// `account`, and returns the keys it touches.
pub fn validate_change(account: AccountId, change: &Change) -> Result<Vec<FeedKey>> {
    validate_change_writes(account, change)
        .map(|writes| writes.into_iter().map(|(k, _)| k).collect())
}

/// [`validate_change`], returning with each key the value the change
/// puts there (`None`: it deletes the key).
pub fn validate_change_writes(
    account: AccountId,
    change: &Change,
) -> Result<Vec<(FeedKey, Option<FeedValue>)>> {
    if change.len() > MAX_OPS_PER_CHANGE {
        return Err(CoreError::TooLarge {
            what: "change (operations)",
            size: change.len(),
            limit: MAX_OPS_PER_CHANGE,
        });
    }
    let expanded = change.decode();
    let mut writes = Vec::with_capacity(expanded.operations.len());
    for op in &expanded.operations {
        if op.obj != automerge::legacy::ObjectId::Root || op.insert {
            return Err(CoreError::Schema(
                "operations must be on the root map".into(),
            ));
        }
        let automerge::legacy::Key::Map(key) = &op.key else {
            return Err(CoreError::Schema("operations must use map keys".into()));
        };
        let key = FeedKey::parse(key)?;
        let value = match &op.action {
            automerge::legacy::OpType::Put(v) => {
                let value = FeedValue::from_scalar(v)?;
                key.check_value(account, &value)?;
                Some(value)
            }
            automerge::legacy::OpType::Delete if key.deletable() => None,
            automerge::legacy::OpType::Delete => {
                return Err(CoreError::Schema(format!(
                    "key `{}` may not be deleted",
                    key.to_key()
                )));
            }
            other => {
                return Err(CoreError::Schema(format!(
                    "operation {other:?} is not part of the feed schema"
                )));
            }
        };
        writes.push((key, value));
    }
    Ok(writes)
}

/// The keys one change writes, in order, with the value each is set to
/// (`None`: deleted), read from the change alone. Call it on a change that
/// passed [`validate_change`]; operations outside the schema are skipped.
pub fn change_writes(change: &Change) -> Vec<(FeedKey, Option<FeedValue>)> {
    change
        .decode()
        .operations
        .iter()
        .filter_map(|op| {
            let automerge::legacy::Key::Map(key) = &op.key else {
                return None;
            };
            let key = FeedKey::parse(key).ok()?;
            match &op.action {
                automerge::legacy::OpType::Put(v) => {
                    FeedValue::from_scalar(v).ok().map(|v| (key, Some(v)))
                }
                automerge::legacy::OpType::Delete => Some((key, None)),
                _ => None,
            }
        })
        .collect()
}

/// The profile part of a feed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Profile {
    /// Display name.
    pub name: Option<String>,
    /// Biography.
    pub bio: Option<String>,
    /// Avatar blob hash.
    pub avatar: Option<crate::Hash>,
}

/// Most changes a feed document remembers having left out
/// ([`FeedDoc::apply`]); further ones are left out all the same, but not
/// remembered.
pub const MAX_LEFT_OUT: usize = 4096;

/// Why [`FeedDoc::apply`] left a change out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeftOut {
    /// Its device signed a different change with the same sequence number,
    /// which the document holds (applied, or waiting for its
    /// dependencies) or which came before it in the same batch: an
    /// equivocation. Automerge cannot hold both; the first one held stays.
    Equivocation,
    /// It depends, directly or not, on a change left out, so it could
    /// never be applied.
    Descendant,
}

/// A change [`FeedDoc::apply`] left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// Its hash.
    pub hash: ChangeHash,
    /// Its automerge actor: in a verified change, the device that signed it.
    pub actor: ActorId,
    /// Its sequence number.
    pub seq: u64,
    /// Why it was left out.
    pub why: LeftOut,
    /// Whether this document had already left it out before (and said so).
    pub again: bool,
}

impl Skipped {
    fn of(change: &Change, why: LeftOut, again: bool) -> Self {
        Self {
            hash: change.hash(),
            actor: change.actor_id().clone(),
            seq: change.seq(),
            why,
            again,
        }
    }
}

/// The changes one [`FeedDoc::apply`] offers automerge, and what it learnt
/// while automerge read them.
struct Offering<'a> {
    changes: &'a [Change],
    /// The position of the change automerge read last.
    last: Cell<Option<usize>>,
    /// Hashes of the changes left out so far.
    dropped: RefCell<HashSet<ChangeHash>>,
    /// The changes left out so far.
    skipped: RefCell<Vec<Skipped>>,
}

/// The changes of `state` from `next` to `to`, as automerge reads them:
/// a copy of each (the originals stay, to offer again), skipping those
/// left out and those that depend on one.
#[derive(Clone)]
struct Offer<'s, 'a> {
    state: &'s Offering<'a>,
    next: usize,
    to: usize,
}

impl Iterator for Offer<'_, '_> {
    type Item = Change;

    fn next(&mut self) -> Option<Change> {
        while self.next < self.to {
            let i = self.next;
            self.next += 1;
            let change = self.state.changes.get(i)?;
            let mut dropped = self.state.dropped.borrow_mut();
            if !dropped.is_empty() {
                let hash = change.hash();
                if dropped.contains(&hash) {
                    continue;
                }
                if change.deps().iter().any(|d| dropped.contains(d)) {
                    dropped.insert(hash);
                    self.state.skipped.borrow_mut().push(Skipped::of(
                        change,
                        LeftOut::Descendant,
                        false,
                    ));
                    continue;
                }
            }
            self.state.last.set(Some(i));
            return Some(change.clone());
        }
        None
    }
}

/// A feed's automerge document with typed access.
#[derive(Debug, Clone)]
pub struct FeedDoc {
    account: AccountId,
    doc: Automerge,
    /// Changes [`Self::apply`] left out, and why (at most [`MAX_LEFT_OUT`]).
    left_out: HashMap<ChangeHash, LeftOut>,
}

impl FeedDoc {
    /// An empty feed.
    pub fn new(account: AccountId) -> Self {
        Self {
            account,
            doc: Automerge::new(),
            left_out: HashMap::new(),
        }
    }

    /// Loads a saved document.
    pub fn load(account: AccountId, bytes: &[u8]) -> Result<Self> {
        let doc = Automerge::load(bytes).map_err(|e| malformed("feed snapshot", e.to_string()))?;
        Ok(Self {
            account,
            doc,
            left_out: HashMap::new(),
        })
    }

    /// The account this feed belongs to.
    pub fn account(&self) -> AccountId {
        self.account
    }

    /// The underlying automerge document.
    pub fn doc(&self) -> &Automerge {
        &self.doc
    }

    /// Saves the whole document (compressed).
    pub fn save(&self) -> Vec<u8> {
        self.doc.save()
    }

    /// The current heads.
    pub fn heads(&self) -> Vec<ChangeHash> {
        self.doc.get_heads()
    }

    /// Whether the document holds (has applied) the change with this hash.
    pub fn has_change(&self, hash: &ChangeHash) -> bool {
        self.doc.get_change_meta_by_hash(hash).is_some()
    }

    /// Whether [`Self::apply`] left this change out (and remembers it).
    pub fn left_out(&self, hash: &ChangeHash) -> Option<LeftOut> {
        self.left_out.get(hash).copied()
    }

    /// Remembers a change a document of this feed left out before (one
    /// loaded again from its store), as [`Self::apply`] remembers those it
    /// leaves out (at most [`MAX_LEFT_OUT`]).
    pub fn remember_left_out(&mut self, hash: ChangeHash, why: LeftOut) {
        if self.left_out.len() < MAX_LEFT_OUT || self.left_out.contains_key(&hash) {
            self.left_out.insert(hash, why);
        }
    }

    /// Applies verified, validated changes in one batch. Changes whose
    /// dependencies are missing wait inside the document until they arrive.
    ///
    /// A change whose device already has a different change with the same
    /// sequence number here (an equivocation: the device signed two
    /// histories, or was restored from a backup and wrote again) cannot be
    /// held beside that one. It is left out, with every change that
    /// depends on it, and the rest of the batch applies. Returns the
    /// changes left out; they are remembered (at most [`MAX_LEFT_OUT`]), so
    /// that they are left out at once when they come again. Fails with
    /// [`CoreError::Equivocation`] only if automerge refuses a change for
    /// its sequence number and the change cannot be told (nothing is
    /// applied then).
    pub fn apply(&mut self, changes: Vec<Change>) -> Result<Vec<Skipped>> {
        let mut skipped = Vec::new();
        let changes = self.drop_left_out(changes, &mut skipped);
        let offering = Offering {
            changes: &changes,
            last: Cell::new(None),
            dropped: RefCell::new(HashSet::new()),
            skipped: RefCell::new(Vec::new()),
        };
        if self.offer(&offering)? {
            // When it refuses a change that conflicts with an applied one,
            // automerge also drops the changes waiting in the document at
            // a later sequence number of that device, and what depends on
            // them: offered again, those of this batch wait again (the
            // others are ignored as already held).
            let dropped = offering.dropped.borrow().clone();
            let again: Vec<Change> = changes
                .iter()
                .filter(|c| {
                    let hash = c.hash();
                    !dropped.contains(&hash) && !self.has_change(&hash)
                })
                .cloned()
                .collect();
            let again = Offering {
                changes: &again,
                last: Cell::new(None),
                dropped: RefCell::new(dropped),
                skipped: RefCell::new(Vec::new()),
            };
            self.offer(&again)?;
            offering
                .skipped
                .borrow_mut()
                .extend(again.skipped.into_inner());
        }
        skipped.extend(offering.skipped.into_inner());
        for s in skipped.iter().filter(|s| !s.again) {
            if self.left_out.len() < MAX_LEFT_OUT {
                self.left_out.insert(s.hash, s.why);
            }
        }
        Ok(skipped)
    }

    /// The changes of `changes` this document did not leave out before,
    /// nor depend on one it did; the others go to `skipped`.
    fn drop_left_out(&self, changes: Vec<Change>, skipped: &mut Vec<Skipped>) -> Vec<Change> {
        if self.left_out.is_empty() {
            return changes;
        }
        let mut descendants = HashSet::new();
        let mut out = Vec::with_capacity(changes.len());
        for change in changes {
            let hash = change.hash();
            if let Some(why) = self.left_out.get(&hash) {
                skipped.push(Skipped::of(&change, *why, true));
            } else if change
                .deps()
                .iter()
                .any(|d| self.left_out.contains_key(d) || descendants.contains(d))
            {
                descendants.insert(hash);
                skipped.push(Skipped::of(&change, LeftOut::Descendant, false));
            } else {
                out.push(change);
            }
        }
        out
    }

    /// Offers automerge the changes of `state`. When it refuses one for
    /// its sequence number (automerge reads a batch's changes in order and
    /// stops at the first it refuses, before applying any), that change is
    /// left out, and the changes before it and after it are offered again
    /// apart: each change is read at most twice and left out at most once.
    /// Returns whether automerge refused any.
    fn offer(&mut self, state: &Offering<'_>) -> Result<bool> {
        let mut refused = false;
        let mut ranges = vec![(0, state.changes.len())];
        while let Some((from, to)) = ranges.pop() {
            if from >= to {
                continue;
            }
            state.last.set(None);
            let offer = Offer {
                state,
                next: from,
                to,
            };
            let error = match self.doc.apply_changes(offer) {
                Ok(()) => continue,
                Err(e) => e,
            };
            let AutomergeError::DuplicateSeqNumber(seq, actor) = &error else {
                return Err(malformed("automerge change", error.to_string()));
            };
            let last = state.last.get().filter(|&i| {
                state
                    .changes
                    .get(i)
                    .is_some_and(|c| c.seq() == *seq && c.actor_id() == actor)
            });
            let (Some(i), Some(change)) = (last, last.and_then(|i| state.changes.get(i))) else {
                return Err(CoreError::Equivocation {
                    device: actor.to_hex_string(),
                    seq: *seq,
                });
            };
            refused = true;
            state.dropped.borrow_mut().insert(change.hash());
            state
                .skipped
                .borrow_mut()
                .push(Skipped::of(change, LeftOut::Equivocation, false));
            ranges.push((i + 1, to));
            ranges.push((from, i));
        }
        Ok(refused)
    }

    /// Makes a local change as `device` at `time_ms`, returning it. The
    /// change is validated like any incoming one.
    pub fn write(&mut self, device: DeviceId, time_ms: i64, writes: &[Write]) -> Result<Change> {
        self.doc.set_actor(ActorId::from(device.0.as_slice()));
        for w in writes {
            if let Write::Put(k, v) = w {
                k.check_value(self.account, v)?;
            }
        }
        let mut tx = self.doc.transaction();
        for w in writes {
            let r = match w {
                Write::Put(k, v) => tx.put(ROOT, k.to_key(), v.to_scalar()),
                Write::Delete(k) => tx.delete(ROOT, k.to_key()),
            };
            if let Err(e) = r {
                tx.rollback();
                return Err(CoreError::Schema(e.to_string()));
            }
        }
        let (hash, _) = tx.commit_with(CommitOptions::default().with_time(time_ms / 1000));
        let hash = hash.ok_or_else(|| CoreError::Schema("the change is empty".into()))?;
        let change = self
            .doc
            .get_change_by_hash(&hash)
            .ok_or_else(|| CoreError::Schema("the change just made is missing".into()))?;
        validate_change(self.account, &change)?;
        Ok(change)
    }

    /// The current value of a key, if any.
    pub fn get(&self, key: &FeedKey) -> Option<FeedValue> {
        match self.doc.get(ROOT, key.to_key()) {
            Ok(Some((automerge::Value::Scalar(v), _))) => FeedValue::from_scalar(&v).ok(),
            _ => None,
        }
    }

    /// The hash of the change that wrote the current value of `key`, if
    /// the key is set.
    pub fn writer_of(&self, key: &FeedKey) -> Option<ChangeHash> {
        match self.doc.get(ROOT, key.to_key()) {
            Ok(Some((_, id))) => self.doc.hash_for_opid(&id),
            _ => None,
        }
    }

    /// A post's current record and whether it was deleted.
    pub fn post(&self, local: [u8; POST_LOCAL_LEN]) -> Option<(PostRecord, bool)> {
        let deleted = self.get(&FeedKey::Tombstone(local)).is_some();
        match self.get(&FeedKey::Post(local))? {
            FeedValue::Bytes(b) => PostRecord::decode(&b).ok().map(|r| (r, deleted)),
            _ => None,
        }
    }

    /// The current records of the posts `locals`, with whether each was
    /// deleted, as [`Self::post`] gives them one at a time; a post with no
    /// record is left out. For many posts of a feed (the pages of a sync)
    /// the document's posts are read in one ordered pass, which costs per
    /// post about a fortieth of a lookup.
    pub fn posts(
        &self,
        locals: &HashSet<[u8; POST_LOCAL_LEN]>,
    ) -> HashMap<[u8; POST_LOCAL_LEN], (PostRecord, bool)> {
        /// A lookup costs about as much as passing this many entries
        /// (measured on a 100,000-post feed: 5 µs against 0.12 µs).
        const LOOKUP_COST_IN_ENTRIES: usize = 40;
        /// Below this many posts, lookups always win.
        const FEW: usize = 64;
        if locals.len() < FEW || locals.len() * LOOKUP_COST_IN_ENTRIES < self.doc.length(ROOT) {
            return locals
                .iter()
                .filter_map(|l| self.post(*l).map(|p| (*l, p)))
                .collect();
        }
        let wanted = Wanted::new(locals);
        let deleted: HashSet<[u8; POST_LOCAL_LEN]> = self
            .scan(TOMBSTONE_PREFIX, &wanted)
            .filter(|(_, v)| matches!(v, automerge::ValueRef::Scalar(s) if FeedValue::from_ref(s).is_some()))
            .map(|(l, _)| l)
            .collect();
        self.scan(POST_PREFIX, &wanted)
            .filter_map(|(l, v)| match v {
                automerge::ValueRef::Scalar(automerge::ScalarValueRef::Bytes(b)) => {
                    PostRecord::decode(&b)
                        .ok()
                        .map(|r| (l, (r, deleted.contains(&l))))
                }
                _ => None,
            })
            .collect()
    }

    /// The entries under `prefix` ([`POST_PREFIX`] or [`TOMBSTONE_PREFIX`],
    /// each followed by a local id in lower-case hex, the only form the
    /// schema accepts) whose local id is one of `wanted`, in one ordered
    /// pass: the document's keys and `wanted` are both sorted, so each key
    /// is compared with the next wanted one instead of being decoded and
    /// looked up.
    fn scan<'a>(
        &'a self,
        prefix: &str,
        wanted: &'a Wanted,
    ) -> impl Iterator<Item = ([u8; POST_LOCAL_LEN], automerge::ValueRef<'a>)> + 'a {
        let skip = prefix.len();
        // The first wanted id not passed yet.
        let mut next = 0;
        self.doc
            .map_range(ROOT, prefix_range(prefix))
            .map_while(move |item| {
                let hex = item.key.as_bytes().get(skip..).unwrap_or_default();
                while wanted.0.get(next).is_some_and(|(_, w)| w.as_slice() < hex) {
                    next += 1;
                }
                // Every wanted id passed: the rest of the range is not read.
                let (local, w) = wanted.0.get(next)?;
                Some((w.as_slice() == hex).then_some((*local, item.value)))
            })
            .flatten()
    }

    /// The profile.
    pub fn profile(&self) -> Profile {
        let s = |k| match self.get(&k) {
            Some(FeedValue::Str(s)) => Some(s),
            _ => None,
        };
        let avatar = match self.get(&FeedKey::Avatar) {
            Some(FeedValue::Bytes(b)) => b.try_into().ok(),
            _ => None,
        };
        Profile {
            name: s(FeedKey::Name),
            bio: s(FeedKey::Bio),
            avatar,
        }
    }

    /// Every key under a prefix such as `"f/"`, parsed, with its value.
    pub fn entries(&self, prefix: &str) -> Vec<(FeedKey, FeedValue)> {
        self.doc
            .map_range(ROOT, prefix_range(prefix))
            .filter_map(|item| {
                let key = FeedKey::parse(&Cow::into_owned(item.key)).ok()?;
                let automerge::ValueRef::Scalar(v) = &item.value else {
                    return None;
                };
                Some((key, FeedValue::from_ref(v)?))
            })
            .collect()
    }

    /// The accounts this feed follows.
    pub fn follows(&self) -> Vec<AccountId> {
        self.entries("f/")
            .into_iter()
            .filter_map(|(k, _)| match k {
                FeedKey::Follow(a) => Some(a),
                _ => None,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::{account_id, device_id, generate};

    /// Changes of one account: `base` by device D, then three histories D
    /// signed from it, each with sequence number 2 (`x2`, `y2` then `y3`
    /// after it, and `w2`), and `e1` by device E, independent of all of
    /// them. `x3` is D's next change after `x2` once it saw `e1`.
    struct Forked {
        account: AccountId,
        base: Change,
        x2: Change,
        x3: Change,
        y2: Change,
        y3: Change,
        w2: Change,
        e1: Change,
    }

    fn post_write(local: u8) -> Write {
        let record = PostRecord {
            created_at: i64::from(local),
            ..Default::default()
        };
        Write::Put(FeedKey::Post([local; 8]), FeedValue::Bytes(record.encode()))
    }

    fn forked() -> Forked {
        let account = account_id(&generate());
        let (dev_d, dev_e) = (device_id(&generate()), device_id(&generate()));
        let mut hist_x = FeedDoc::new(account);
        let base = hist_x
            .write(
                dev_d,
                1_000,
                &[Write::Put(FeedKey::Name, FeedValue::Str("D".into()))],
            )
            .unwrap();
        let mut hist_y = hist_x.clone();
        let mut hist_w = hist_x.clone();
        let w2 = hist_w.write(dev_d, 2_000, &[post_write(6)]).unwrap();
        let x2 = hist_x.write(dev_d, 2_000, &[post_write(1)]).unwrap();
        let y2 = hist_y.write(dev_d, 2_000, &[post_write(2)]).unwrap();
        let y3 = hist_y.write(dev_d, 3_000, &[post_write(3)]).unwrap();
        let mut other = FeedDoc::new(account);
        let e1 = other.write(dev_e, 1_500, &[post_write(4)]).unwrap();
        hist_x.apply(vec![e1.clone()]).unwrap();
        let x3 = hist_x.write(dev_d, 4_000, &[post_write(5)]).unwrap();
        assert_eq!(
            (x2.seq(), y2.seq()),
            (2, 2),
            "the two histories share a sequence number"
        );
        Forked {
            account,
            base,
            x2,
            x3,
            y2,
            y3,
            w2,
            e1,
        }
    }

    fn left(skipped: &[Skipped]) -> Vec<(ChangeHash, LeftOut, bool)> {
        skipped.iter().map(|s| (s.hash, s.why, s.again)).collect()
    }

    #[test]
    fn a_change_conflicting_with_an_applied_one_is_left_out_with_its_descendants_and_the_rest_applies()
     {
        let f = forked();
        let mut doc = FeedDoc::new(f.account);
        assert!(
            doc.apply(vec![f.base.clone(), f.x2.clone()])
                .unwrap()
                .is_empty()
        );
        let skipped = doc
            .apply(vec![f.y2.clone(), f.e1.clone(), f.y3.clone()])
            .unwrap();
        assert_eq!(
            left(&skipped),
            [
                (f.y2.hash(), LeftOut::Equivocation, false),
                (f.y3.hash(), LeftOut::Descendant, false)
            ]
        );
        assert_eq!(skipped[0].seq, 2);
        assert!(
            doc.has_change(&f.e1.hash()),
            "the independent change applied"
        );
        assert!(!doc.has_change(&f.y2.hash()) && !doc.has_change(&f.y3.hash()));
        assert!(doc.post([1; 8]).is_some() && doc.post([4; 8]).is_some());
        assert!(doc.post([2; 8]).is_none() && doc.post([3; 8]).is_none());
        assert_eq!(doc.left_out(&f.y2.hash()), Some(LeftOut::Equivocation));
        assert_eq!(doc.left_out(&f.y3.hash()), Some(LeftOut::Descendant));
        assert_eq!(doc.left_out(&f.e1.hash()), None);
    }

    #[test]
    fn of_two_conflicting_changes_in_one_batch_the_first_stays() {
        let f = forked();
        let mut doc = FeedDoc::new(f.account);
        let skipped = doc
            .apply(vec![
                f.base.clone(),
                f.x2.clone(),
                f.y2.clone(),
                f.e1.clone(),
            ])
            .unwrap();
        assert_eq!(
            left(&skipped),
            [(f.y2.hash(), LeftOut::Equivocation, false)]
        );
        assert!(doc.has_change(&f.x2.hash()) && doc.has_change(&f.e1.hash()));
    }

    #[test]
    fn a_change_conflicting_with_one_waiting_for_its_dependencies_is_left_out() {
        let f = forked();
        let mut doc = FeedDoc::new(f.account);
        // y2 waits: its dependency (base) is not here yet.
        assert!(doc.apply(vec![f.y2.clone()]).unwrap().is_empty());
        let skipped = doc.apply(vec![f.x2.clone(), f.e1.clone()]).unwrap();
        assert_eq!(
            left(&skipped),
            [(f.x2.hash(), LeftOut::Equivocation, false)]
        );
        assert!(doc.has_change(&f.e1.hash()));
        assert!(doc.apply(vec![f.base.clone()]).unwrap().is_empty());
        assert!(
            doc.has_change(&f.y2.hash()),
            "the waiting one applies once it can"
        );
    }

    #[test]
    fn a_change_left_out_is_left_out_at_once_when_it_comes_again_and_so_are_its_later_descendants()
    {
        let f = forked();
        let mut doc = FeedDoc::new(f.account);
        doc.apply(vec![f.base.clone(), f.x2.clone()]).unwrap();
        doc.apply(vec![f.y2.clone()]).unwrap();
        let heads = doc.heads();
        let skipped = doc.apply(vec![f.y2.clone(), f.y3.clone()]).unwrap();
        assert_eq!(
            left(&skipped),
            [
                (f.y2.hash(), LeftOut::Equivocation, true),
                (f.y3.hash(), LeftOut::Descendant, false)
            ],
            "said again only for the one already left out"
        );
        assert_eq!(doc.heads(), heads, "nothing changed");
    }

    #[test]
    fn a_waiting_change_automerge_drops_when_it_refuses_a_conflicting_one_still_applies_later() {
        let f = forked();
        let mut doc = FeedDoc::new(f.account);
        doc.apply(vec![f.base.clone(), f.x2.clone()]).unwrap();
        // x3 (D's third change) waits for e1; y2 and w2 conflict with x2.
        // Refusing y2, automerge keeps x3 to offer again; refusing w2 once
        // x3 waits in the document, it drops D's waiting changes past 2.
        let skipped = doc
            .apply(vec![f.x3.clone(), f.y2.clone(), f.w2.clone()])
            .unwrap();
        assert_eq!(
            left(&skipped),
            [
                (f.y2.hash(), LeftOut::Equivocation, false),
                (f.w2.hash(), LeftOut::Equivocation, false)
            ]
        );
        assert!(doc.apply(vec![f.e1.clone()]).unwrap().is_empty());
        assert!(
            doc.has_change(&f.x3.hash()),
            "x3 was offered again, waited, and applied once e1 came"
        );
    }

    #[test]
    fn local_post_write_is_valid_and_readable() {
        let acct = generate();
        let dev = generate();
        let mut feed = FeedDoc::new(account_id(&acct));
        let rec = PostRecord {
            created_at: 5,
            body_hash: Some([1; 32]),
            ..Default::default()
        };
        let change = feed
            .write(
                device_id(&dev),
                5,
                &[Write::Put(
                    FeedKey::Post([1; 8]),
                    FeedValue::Bytes(rec.encode()),
                )],
            )
            .unwrap();
        assert_eq!(
            validate_change(account_id(&acct), &change).unwrap(),
            vec![FeedKey::Post([1; 8])]
        );
        assert_eq!(feed.post([1; 8]), Some((rec, false)));
    }

    #[test]
    fn nested_objects_and_unknown_keys_are_rejected() {
        let acct = account_id(&generate());
        let mut doc = Automerge::new();
        let mut tx = doc.transaction();
        tx.put_object(ROOT, "p/0000000000000000", automerge::ObjType::Map)
            .unwrap();
        tx.commit();
        let change = doc.get_last_local_change().unwrap();
        assert!(validate_change(acct, &change).is_err());

        let mut doc = Automerge::new();
        let mut tx = doc.transaction();
        tx.put(ROOT, "admin", true).unwrap();
        tx.commit();
        let err = validate_change(acct, &doc.get_last_local_change().unwrap()).unwrap_err();
        assert!(err.to_string().contains("unknown key"), "{err}");
    }

    #[test]
    fn wrong_value_types_are_rejected() {
        let acct = account_id(&generate());
        let mut doc = Automerge::new();
        let mut tx = doc.transaction();
        tx.put(ROOT, "name", 7_i64).unwrap();
        tx.commit();
        assert!(validate_change(acct, &doc.get_last_local_change().unwrap()).is_err());
    }

    #[test]
    fn deleting_a_post_key_is_rejected() {
        let acct = account_id(&generate());
        let mut doc = Automerge::new();
        let mut tx = doc.transaction();
        tx.put(ROOT, "p/0000000000000000", vec![1u8]).unwrap();
        tx.commit();
        let mut tx = doc.transaction();
        tx.delete(ROOT, "p/0000000000000000").unwrap();
        tx.commit();
        assert!(validate_change(acct, &doc.get_last_local_change().unwrap()).is_err());
    }

    #[test]
    fn many_posts_read_in_one_pass_are_what_reading_each_gives() {
        let acct = generate();
        let dev = generate();
        let mut feed = FeedDoc::new(account_id(&acct));
        let local = |i: u64| i.wrapping_mul(0x9e37_79b9_7f4a_7c15).to_be_bytes();
        for i in 0..400u64 {
            let rec = PostRecord {
                created_at: i as i64,
                body_hash: Some([i as u8; 32]),
                ..Default::default()
            };
            let mut writes = vec![Write::Put(
                FeedKey::Post(local(i)),
                FeedValue::Bytes(rec.encode()),
            )];
            if i % 7 == 0 {
                writes.push(Write::Put(
                    FeedKey::Tombstone(local(i)),
                    FeedValue::Timestamp(i as i64),
                ));
            }
            feed.write(device_id(&dev), i as i64, &writes).unwrap();
        }
        feed.write(
            device_id(&dev),
            500,
            &[Write::Put(FeedKey::Name, FeedValue::Str("Ada".into()))],
        )
        .unwrap();
        let one_by_one = |locals: &HashSet<[u8; 8]>| -> HashMap<[u8; 8], (PostRecord, bool)> {
            locals
                .iter()
                .filter_map(|l| feed.post(*l).map(|p| (*l, p)))
                .collect()
        };
        // Every post (58 of them deleted) and one that does not exist: read
        // in one pass, as they are many of the feed's posts.
        let mut many: HashSet<[u8; 8]> = (0..400).map(local).collect();
        many.insert(local(1_000));
        let read = feed.posts(&many);
        assert_eq!(read.len(), 400);
        assert_eq!(read.values().filter(|(_, deleted)| *deleted).count(), 58);
        assert_eq!(read, one_by_one(&many));
        // A few: read by lookups.
        let few: HashSet<[u8; 8]> = (0..10).map(local).collect();
        assert_eq!(feed.posts(&few), one_by_one(&few));
        // Every other post, with ids before the first key, between keys and
        // after the last one (which end the pass early): still one pass.
        let mut sorted: Vec<[u8; 8]> = (0..400).map(local).collect();
        sorted.sort_unstable();
        let mut sparse: HashSet<[u8; 8]> = sorted.iter().step_by(2).copied().collect();
        sparse.extend([
            [0; 8],
            [0xff; 8],
            next_id(sorted[100]),
            next_id(sorted[399]),
        ]);
        assert!(
            sparse.len() * 40 >= feed.doc.length(ROOT),
            "the one-pass read, not lookups, is the one tested"
        );
        let read = feed.posts(&sparse);
        assert_eq!(read.len(), 200);
        assert_eq!(read, one_by_one(&sparse));
        // Only the last post, and the first: the pass finds both ends.
        let mut ends: HashSet<[u8; 8]> = [sorted[0], sorted[399]].into();
        ends.extend((1..=70u64).map(|i| (u64::MAX - i).to_be_bytes()));
        assert_eq!(feed.posts(&ends), one_by_one(&ends));
        assert_eq!(feed.posts(&ends).len(), 2);
    }

    /// The id just after `local` in byte order.
    fn next_id(local: [u8; 8]) -> [u8; 8] {
        u64::from_be_bytes(local).wrapping_add(1).to_be_bytes()
    }

    #[test]
    fn keys_round_trip() {
        let p = PostId {
            author: AccountId([2; 32]),
            local: [3; 8],
        };
        for k in [
            FeedKey::Name,
            FeedKey::Post([1; 8]),
            FeedKey::Tombstone([1; 8]),
            FeedKey::Follow(AccountId([9; 32])),
            FeedKey::Reaction(p, "👍".into()),
            FeedKey::Device(DeviceId([4; 32])),
        ] {
            assert_eq!(FeedKey::parse(&k.to_key()).unwrap(), k);
        }
    }

    #[test]
    fn moderation_keys_round_trip_and_bad_values_are_rejected() {
        let account = account_id(&generate());
        let post = PostId {
            author: account,
            local: [2; 8],
        };
        let keys = [
            FeedKey::Mute(account),
            FeedKey::MutedWord("#spam".into()),
            FeedKey::List([3; 8]),
            FeedKey::ListEntry([3; 8], Target::Account(account)),
            FeedKey::ListEntry([3; 8], Target::Post(post)),
            FeedKey::Peer(DeviceId([5; 32])),
        ];
        for k in keys {
            assert_eq!(FeedKey::parse(&k.to_key()), Ok(k.clone()), "{}", k.to_key());
        }
        assert!(FeedKey::parse("w/Two Words").is_err());
        assert!(FeedKey::parse("e/0303030303030303/00").is_err());
        let entry = FeedKey::ListEntry([3; 8], Target::Account(account));
        assert!(
            entry
                .check_value(account, &FeedValue::Bytes(vec![1, 0]))
                .is_err()
        );
        assert!(
            FeedKey::List([3; 8])
                .check_value(account, &FeedValue::Str(String::new()))
                .is_err()
        );
        assert!(
            FeedKey::Peer(DeviceId([5; 32]))
                .check_value(account, &FeedValue::Bytes(vec![1; 31]))
                .is_err()
        );
    }
}
