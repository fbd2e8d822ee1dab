//! Real keys, real signed changes, real store files: helpers for the tests.
#![allow(dead_code, clippy::unwrap_used)]

use std::fmt::Write as _;
use std::path::Path;

use ed25519_dalek::SigningKey;
use kith_core::feed::{FeedDoc, FeedKey, FeedValue, Write};
use kith_core::{AccountId, Body, DeviceCertificate, Envelope, Hash, PostId, PostRecord, keys};
use kith_store::Store;

/// One device of an account, with its own copy of the feed document.
#[derive(Clone)]
pub struct Device {
    pub account: AccountId,
    pub key: SigningKey,
    pub cert: DeviceCertificate,
    pub doc: FeedDoc,
}

impl Device {
    pub fn new_account() -> (SigningKey, Self) {
        let account_key = keys::generate();
        let dev = Self::for_account(&account_key);
        (account_key, dev)
    }

    pub fn for_account(account_key: &SigningKey) -> Self {
        let key = keys::generate();
        let cert = DeviceCertificate::issue(account_key, keys::device_id(&key), 1);
        let account = keys::account_id(account_key);
        Self {
            account,
            key,
            cert,
            doc: FeedDoc::new(account),
        }
    }

    pub fn write(&mut self, t: i64, writes: &[Write]) -> Envelope {
        let change = self
            .doc
            .write(keys::device_id(&self.key), t, writes)
            .unwrap();
        Envelope::seal(
            self.account,
            &self.key,
            self.cert.reference(),
            change.raw_bytes().to_vec(),
        )
    }

    /// A post with `text`; returns the envelope, the post id and the body bytes.
    pub fn post(
        &mut self,
        t: i64,
        text: &str,
        reply_to: Option<PostId>,
    ) -> (Envelope, PostId, Vec<u8>) {
        self.post_with(t, text, reply_to, Vec::new())
    }

    /// [`Self::post`] with attachments (blob hashes).
    pub fn post_with(
        &mut self,
        t: i64,
        text: &str,
        reply_to: Option<PostId>,
        attachments: Vec<Hash>,
    ) -> (Envelope, PostId, Vec<u8>) {
        self.post_body(t, &Body::new(text, None).unwrap(), reply_to, attachments)
    }

    /// A post with the given body and attachments.
    pub fn post_body(
        &mut self,
        t: i64,
        body: &Body,
        reply_to: Option<PostId>,
        attachments: Vec<Hash>,
    ) -> (Envelope, PostId, Vec<u8>) {
        self.post_bytes(t, Some(body.hash()), body.encode(), reply_to, attachments)
    }

    /// A post whose signed record names, as its body, bytes that are no
    /// body: a batch holding it with those bytes fails after its rows are
    /// written (the body does not decode), and is rolled back.
    pub fn post_with_broken_body(&mut self, t: i64) -> (Envelope, PostId, Vec<u8>) {
        let bytes = b"not a post body".to_vec();
        let hash = *blake3::hash(&bytes).as_bytes();
        self.post_bytes(t, Some(hash), bytes, None, Vec::new())
    }

    fn post_bytes(
        &mut self,
        t: i64,
        body_hash: Option<Hash>,
        body: Vec<u8>,
        reply_to: Option<PostId>,
        attachments: Vec<Hash>,
    ) -> (Envelope, PostId, Vec<u8>) {
        let local = (t as u64).to_be_bytes();
        let record = PostRecord {
            created_at: t,
            body_hash,
            reply_to,
            attachments,
            ..PostRecord::default()
        };
        let env = self.write(
            t,
            &[Write::Put(
                FeedKey::Post(local),
                FeedValue::Bytes(record.encode()),
            )],
        );
        (
            env,
            PostId {
                author: self.account,
                local,
            },
            body,
        )
    }

    pub fn edit(&mut self, t: i64, post: &PostId, text: &str) -> (Envelope, Vec<u8>) {
        self.edit_body(t, post, &Body::new(text, None).unwrap())
    }

    /// An edit giving `post` the body `body`.
    pub fn edit_body(&mut self, t: i64, post: &PostId, body: &Body) -> (Envelope, Vec<u8>) {
        let (mut record, _) = self.doc.post(post.local).unwrap();
        record.body_hash = Some(body.hash());
        record.edited_at = Some(t);
        let env = self.write(
            t,
            &[Write::Put(
                FeedKey::Post(post.local),
                FeedValue::Bytes(record.encode()),
            )],
        );
        (env, body.encode())
    }

    pub fn delete(&mut self, t: i64, post: &PostId) -> Envelope {
        let (record, _) = self.doc.post(post.local).unwrap();
        let stub = PostRecord {
            created_at: record.created_at,
            reply_to: record.reply_to,
            ..PostRecord::default()
        };
        self.write(
            t,
            &[
                Write::Put(FeedKey::Tombstone(post.local), FeedValue::Timestamp(t)),
                Write::Put(FeedKey::Post(post.local), FeedValue::Bytes(stub.encode())),
            ],
        )
    }

    /// Brings another device's changes into this device's document.
    pub fn merge_from(&mut self, other: &Device) {
        let changes = other.doc.doc().get_changes(&[]);
        self.doc.apply(changes).unwrap();
    }
}

/// Every byte of every file under `dir`, with the file's name.
pub fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        let p = e.path();
        if p.is_dir() {
            out.extend(files(&p));
        } else {
            out.push((p.display().to_string(), std::fs::read(&p).unwrap()));
        }
    }
    out
}

/// The names of the files under `dir` that contain `needle`.
pub fn files_containing(dir: &Path, needle: &[u8]) -> Vec<String> {
    files(dir)
        .into_iter()
        .filter(|(_, bytes)| bytes.windows(needle.len()).any(|w| w == needle))
        .map(|(name, _)| name)
        .collect()
}

/// A fingerprint of everything a store shows: timeline, feeds and follows.
pub fn fingerprint(store: &Store) -> String {
    let tl = store.timeline(500, None).unwrap();
    let feeds = store.feeds().unwrap();
    let mut s = serde_json::to_string(&tl).unwrap();
    let _ = write!(s, "{feeds:?}");
    if let Some(me) = store.own_account() {
        let _ = write!(s, "{:?}", store.following(me).unwrap());
    }
    s
}

/// Name and BLAKE3 of every store file under `dir`, except SQLite's shared-memory
/// index (`-shm`), which readers rewrite and which never holds content.
pub fn file_digests(dir: &Path) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = files(dir)
        .into_iter()
        .filter(|(name, _)| !name.ends_with("-shm"))
        .map(|(name, bytes)| (name, blake3::hash(&bytes).to_hex().to_string()))
        .collect();
    v.sort();
    v
}

/// A fresh home whose store belongs to a new account, with that account's device.
pub fn own_store() -> (tempfile::TempDir, Store, Device) {
    let home = tempfile::tempdir().unwrap();
    let mut store = Store::open(home.path()).unwrap();
    let (_, dev) = Device::new_account();
    store
        .add_certificates(std::slice::from_ref(&dev.cert))
        .unwrap();
    store.set_own_account(dev.account).unwrap();
    (home, store, dev)
}

/// Stores `writes` of `dev`'s feed in `store` (its certificate first).
pub fn store_write(store: &mut Store, dev: &mut Device, t: i64, writes: &[Write]) {
    store
        .add_certificates(std::slice::from_ref(&dev.cert))
        .unwrap();
    let env = dev.write(t, writes);
    store.ingest(vec![env]).unwrap();
}

/// Stores `dev`'s name in `store`.
pub fn store_name(store: &mut Store, dev: &mut Device, t: i64, name: &str) {
    store_write(
        store,
        dev,
        t,
        &[Write::Put(FeedKey::Name, FeedValue::Str(name.to_owned()))],
    );
}

/// Stores `dev`'s post with its body in `store`; returns the post id.
pub fn store_post(store: &mut Store, dev: &mut Device, t: i64, text: &str) -> PostId {
    store_reply(store, dev, t, text, None)
}

/// [`store_post`] answering `reply_to`.
pub fn store_reply(
    store: &mut Store,
    dev: &mut Device,
    t: i64,
    text: &str,
    reply_to: Option<PostId>,
) -> PostId {
    store
        .add_certificates(std::slice::from_ref(&dev.cert))
        .unwrap();
    let (env, id, body) = dev.post(t, text, reply_to);
    store.ingest(vec![env]).unwrap();
    store.put_bodies(&[(id, body)]).unwrap();
    id
}

/// Post bodies by post.
pub type Bodies = Vec<(PostId, Vec<u8>)>;

/// Stores `envs` (of `dev`'s feed) as one page of a sync.
pub fn sync_page(
    store: &mut Store,
    dev: &Device,
    envs: &[Envelope],
    bodies: &[(PostId, Vec<u8>)],
    more: bool,
) -> kith_store::Result<kith_store::IngestReport> {
    store.ingest_verified_page(
        std::slice::from_ref(&dev.cert),
        kith_store::verify_envelopes(envs.to_vec()),
        bodies,
        more,
    )
}

/// What a store shows of `dev`'s feed: every post, and the search hits
/// for "hello".
pub fn shown(store: &Store, dev: &Device) -> (String, usize) {
    let posts =
        serde_json::to_string(&store.feed_posts(dev.account, 10_000, None).unwrap()).unwrap();
    (
        posts,
        store.search("hello", 10_000, None).unwrap().posts.len(),
    )
}

/// What a store shows of the feed once `envs` are stored in one batch:
/// the reference a sync is compared with.
pub fn reference(dev: &Device, envs: &[Envelope], bodies: &[(PostId, Vec<u8>)]) -> (String, usize) {
    let home = tempfile::tempdir().unwrap();
    let mut store = Store::open(home.path()).unwrap();
    store
        .ingest_signed(std::slice::from_ref(&dev.cert), envs.to_vec(), bodies)
        .unwrap();
    shown(&store, dev)
}

/// A feed of `n` posts saying "post<t> hello", oldest first: its device,
/// envelopes and bodies. With `edits`, every tenth post is edited and
/// every 25th (from the 7th) deleted, and the bodies are those of the
/// final versions.
pub fn hello_feed(n: i64, edits: bool) -> (Device, Vec<Envelope>, Bodies) {
    let (_, mut dev) = Device::new_account();
    let (mut envs, mut bodies) = (Vec::new(), Vec::new());
    for t in 1..=n {
        let (env, id, body) = dev.post(t * 1_000, &format!("post{t} hello"), None);
        envs.push(env);
        if edits && t % 10 == 0 {
            let (edit, body) = dev.edit(t * 1_000 + 1, &id, &format!("post{t} edited hello"));
            envs.push(edit);
            bodies.push((id, body));
        } else if edits && t % 25 == 7 {
            envs.push(dev.delete(t * 1_000 + 2, &id));
        } else {
            bodies.push((id, body));
        }
    }
    (dev, envs, bodies)
}

/// Stands in for the process being killed: the store is never dropped,
/// so nothing it holds in memory reaches the disk.
pub fn kill(store: Store) {
    std::mem::forget(store);
}

/// A store holding `envs` of `dev`'s feed, reopened so that it answers
/// from what it saved, with the snapshot it offers as a seed.
pub fn seed_sender(
    dev: &Device,
    envs: &[Envelope],
    bodies: &[(PostId, Vec<u8>)],
) -> (tempfile::TempDir, Store, Vec<u8>) {
    let home = tempfile::tempdir().unwrap();
    {
        let mut store = Store::open(home.path()).unwrap();
        store
            .ingest_signed(std::slice::from_ref(&dev.cert), envs.to_vec(), bodies)
            .unwrap();
    }
    let mut store = Store::open(home.path()).unwrap();
    let offered = store
        .seed_snapshot(dev.account)
        .unwrap()
        .expect("a snapshot to offer");
    (home, store, offered)
}

/// A store that knows `dev`'s feed (its certificate) and holds none of it.
pub fn receiver(dev: &Device) -> (tempfile::TempDir, Store) {
    let home = tempfile::tempdir().unwrap();
    let mut store = Store::open(home.path()).unwrap();
    store
        .add_certificates(std::slice::from_ref(&dev.cert))
        .unwrap();
    (home, store)
}
