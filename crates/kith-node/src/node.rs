//! The node: identity, keys and store of one home directory.

use std::path::{Path, PathBuf};

use ed25519_dalek::SigningKey;
use kith_core::feed::{FeedDoc, FeedKey, FeedValue, Write};
use kith_core::limits::MAX_ATTACHMENTS;
use kith_core::{AccountId, Body, DeviceCertificate, Envelope, Hash, PostId, PostRecord, keys};
use kith_store::{
    ActivityPage, ExportReport, FollowDirection, FollowPage, ImportReport, Page, PersonView,
    PostView, ProfileView, Store,
};
use rand::RngCore;
use zeroize::Zeroizing;

use crate::error::{NodeError, Result};
use crate::identity::{ACCOUNT_KEY_FILE, Created, DEVICE_KEY_FILE, IDENTITY_FILE, Identity};
use crate::keystore;

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// What a new post holds.
#[derive(Debug, Default, Clone)]
pub struct NewPost {
    /// The text (may be empty for a plain repost).
    pub text: Option<String>,
    /// A content warning.
    pub cw: Option<String>,
    /// Image files' bytes.
    pub images: Vec<Vec<u8>>,
    /// What each image shows, in order, for people who cannot see it
    /// (empty for one not described; at most one per image).
    pub descriptions: Vec<String>,
    /// The post answered.
    pub reply_to: Option<PostId>,
    /// The post reposted or quoted.
    pub quote_of: Option<PostId>,
}

/// What an edit of an own post changes: the text always; the content
/// warning and the image descriptions when given (`None` keeps them).
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PostEdit {
    /// The new text.
    pub text: String,
    /// The new content warning; empty (or blank) removes it.
    #[serde(default)]
    pub cw: Option<String>,
    /// The images' new descriptions, in order (empty for an image not
    /// described; at most one per image).
    #[serde(default)]
    pub descriptions: Option<Vec<String>>,
}

impl PostEdit {
    /// An edit of the text alone.
    pub fn text(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            ..Self::default()
        }
    }
}

/// A device key decrypted by [`Node::decrypt_device_key`], to be handed to
/// [`Node::unlock_with`]. Its bytes are zeroed when dropped and never
/// printed.
pub struct DeviceKey(SigningKey);

impl std::fmt::Debug for DeviceKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DeviceKey(…)")
    }
}

/// A home directory opened for use.
pub struct Node {
    home: PathBuf,
    pub(crate) store: Store,
    identity: Option<Identity>,
    pub(crate) device_key: Option<SigningKey>,
    outbox: Vec<Envelope>,
    pub(crate) effects: Effects,
}

/// What a node operation changed that the network must act on.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Effects {
    /// The set of carried feeds may have changed (block, subscription, policy).
    pub carried: bool,
    /// Reports were queued for delivery.
    pub reports: bool,
}

impl Node {
    /// Opens a home directory (creating it if needed).
    pub fn open(home: &Path) -> Result<Self> {
        std::fs::create_dir_all(home).map_err(|e| NodeError::io(home, e))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(home, std::fs::Permissions::from_mode(0o700));
        }
        keystore::finish_replacing(home)?;
        let identity = Identity::read(home)?;
        let store = Store::open(home)?;
        Ok(Self {
            home: home.to_owned(),
            store,
            outbox: Vec::new(),
            identity,
            device_key: None,
            effects: Effects::default(),
        })
    }

    /// The home directory.
    pub fn home(&self) -> &Path {
        &self.home
    }

    /// The store (read access for front ends).
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// This home's identity.
    pub fn identity(&self) -> Result<&Identity> {
        self.identity
            .as_ref()
            .ok_or_else(|| NodeError::NoIdentity(self.home.display().to_string()))
    }

    fn ensure_empty(&self) -> Result<()> {
        if let Some(id) = &self.identity {
            return Err(NodeError::AlreadyInitialized(
                self.home.display().to_string(),
                id.account.to_string(),
            ));
        }
        Ok(())
    }

    /// Creates a new account and this device, named `name`. A name the
    /// feed schema refuses is refused before anything is written, so a
    /// failed init leaves the home empty.
    pub fn init(&mut self, name: Option<&str>, passphrase: &str) -> Result<Created> {
        self.ensure_empty()?;
        let account = keys::generate();
        if let Some(name) = name {
            FeedKey::Name.check_value(keys::account_id(&account), &name_value(name))?;
        }
        let created = self.set_up(&account, passphrase)?;
        if let Some(name) = name {
            self.set_profile(Some(name), None, None)?;
        }
        Ok(created)
    }

    /// Restores an account from its recovery phrase, with a new device.
    pub fn restore(&mut self, phrase: &str, passphrase: &str) -> Result<Created> {
        self.ensure_empty()?;
        let account = keys::account_from_phrase(phrase)?;
        self.set_up(&account, passphrase)
    }

    fn set_up(&mut self, account_key: &SigningKey, passphrase: &str) -> Result<Created> {
        check_new_passphrase(passphrase)?;
        let device_key = keys::generate();
        let account = keys::account_id(account_key);
        let device = keys::device_id(&device_key);
        let certificate = DeviceCertificate::issue(account_key, device, now_ms());
        self.store
            .add_certificates(std::slice::from_ref(&certificate))?;
        self.store.set_own_account(account)?;
        let identity = Identity {
            account,
            device,
            certificate: certificate.clone(),
        };
        // The keys and the identity naming their device change as one: a
        // stop part way never leaves a device key the identity disowns.
        let account_file = keystore::seal(
            "account",
            &Zeroizing::new(account_key.to_bytes()),
            passphrase,
        )?;
        let device_file =
            keystore::seal("device", &Zeroizing::new(device_key.to_bytes()), passphrase)?;
        let identity_file = identity.file_bytes()?;
        keystore::replace_together(
            &self.home,
            &[
                (ACCOUNT_KEY_FILE, &account_file),
                (DEVICE_KEY_FILE, &device_file),
                (IDENTITY_FILE, &identity_file),
            ],
        )?;
        self.identity = Some(identity);
        self.device_key = Some(device_key);
        self.write(
            &[Write::Put(
                FeedKey::Device(device),
                FeedValue::Bytes(certificate.encode()),
            )],
            None,
        )?;
        Ok(Created {
            account,
            device,
            phrase: keys::phrase_for(account_key).to_string(),
        })
    }

    /// Decrypts the device key so that this node can sign.
    pub fn unlock(&mut self, passphrase: &str) -> Result<()> {
        self.identity()?;
        let key = Self::decrypt_device_key(&self.home, passphrase)?;
        self.unlock_with(key)
    }

    /// Decrypts the device key of the home at `home` with `passphrase`
    /// without opening the home: the key derivation takes a moment, so a
    /// lock screen in front of a running node does it off the node's
    /// thread, then hands the key over with [`Node::unlock_with`].
    pub fn decrypt_device_key(home: &Path, passphrase: &str) -> Result<DeviceKey> {
        let secret: Zeroizing<[u8; 32]> =
            keystore::read(&home.join(DEVICE_KEY_FILE), "device", passphrase)?;
        Ok(DeviceKey(SigningKey::from_bytes(&secret)))
    }

    /// Signs again with `key`, decrypted by [`Node::decrypt_device_key`];
    /// refused unless it is this home's device key.
    pub fn unlock_with(&mut self, key: DeviceKey) -> Result<()> {
        if keys::device_id(&key.0) != self.identity()?.device {
            return Err(NodeError::Invalid(
                "that key is not this home's device key".into(),
            ));
        }
        self.device_key = Some(key.0);
        Ok(())
    }

    /// Forgets the decrypted device key (its bytes are zeroed): nothing is
    /// signed until [`Node::unlock`] or [`Node::unlock_with`]. The node
    /// goes on storing and serving what peers send.
    pub fn lock(&mut self) {
        self.device_key = None;
    }

    /// The account's 24-word recovery phrase, decrypted with the passphrase,
    /// so a front end can show it again.
    pub fn recovery_phrase(&self, passphrase: &str) -> Result<Zeroizing<String>> {
        self.identity()?;
        let secret: Zeroizing<[u8; 32]> =
            keystore::read(&self.home.join(ACCOUNT_KEY_FILE), "account", passphrase)?;
        Ok(keys::phrase_for(&SigningKey::from_bytes(&secret)))
    }

    /// Encrypts the keys of the home at `home` with `new` instead of `old`
    /// (refused, nothing changed, if `old` is not the passphrase). Touches
    /// only the key files, so a window can run it off the node's thread:
    /// the key derivations take a moment each. Both files change together
    /// or neither does ([`keystore::replace_together`]).
    pub fn change_passphrase(home: &Path, old: &str, new: &str) -> Result<()> {
        check_new_passphrase(new)?;
        keystore::finish_replacing(home)?;
        let account = keystore::read(&home.join(ACCOUNT_KEY_FILE), "account", old)?;
        let device = keystore::read(&home.join(DEVICE_KEY_FILE), "device", old)?;
        keystore::replace_together(
            home,
            &[
                (ACCOUNT_KEY_FILE, &keystore::seal("account", &account, new)?),
                (DEVICE_KEY_FILE, &keystore::seal("device", &device, new)?),
            ],
        )
    }

    /// For a forgotten passphrase: `phrase`, the recovery phrase of this
    /// home's account, gives it a new passphrase. The device key, which
    /// only the old passphrase decrypts, is replaced: this computer becomes
    /// a new device of the account (a new certificate in its feed, a new
    /// network identity from the next start). Refused, nothing changed,
    /// for another account's phrase. Leaves the node unlocked.
    pub fn reset_passphrase(&mut self, phrase: &str, new: &str) -> Result<Created> {
        let account = self.identity()?.account;
        check_new_passphrase(new)?;
        let account_key = keys::account_from_phrase(phrase)?;
        let phrase_of = keys::account_id(&account_key);
        if phrase_of != account {
            return Err(NodeError::OtherAccount {
                phrase_of,
                home: account,
            });
        }
        self.set_up(&account_key, new)
    }

    /// The secret of this device's network (libp2p) key, derived from the
    /// device key so it is as well protected and stable across restarts.
    pub fn peer_secret(&self) -> Result<Zeroizing<[u8; 32]>> {
        let key = self.device_key.as_ref().ok_or_else(|| {
            NodeError::Invalid(
                "the device key is locked; unlock it with the passphrase first".into(),
            )
        })?;
        let mut hasher = keys::domain_hasher("kith peer key v1");
        hasher.update(key.as_bytes());
        Ok(Zeroizing::new(*hasher.finalize().as_bytes()))
    }

    /// Takes the envelopes of the local changes made since the last call,
    /// oldest first, so the network can publish them.
    pub fn take_outbox(&mut self) -> Vec<Envelope> {
        std::mem::take(&mut self.outbox)
    }

    /// Takes what the operations since the last call changed that the
    /// network must act on.
    pub fn take_effects(&mut self) -> Effects {
        std::mem::take(&mut self.effects)
    }

    /// The store, for replication (which verifies everything it stores).
    pub fn store_mut(&mut self) -> &mut Store {
        &mut self.store
    }

    /// Whether the device key is decrypted.
    pub fn is_unlocked(&self) -> bool {
        self.device_key.is_some()
    }

    pub(crate) fn write(
        &mut self,
        writes: &[Write],
        body: Option<(PostId, Body)>,
    ) -> Result<Envelope> {
        let id = self.identity()?.clone();
        let key = self.device_key.clone().ok_or_else(|| {
            NodeError::Invalid(
                "the device key is locked; unlock it with the passphrase first".into(),
            )
        })?;
        let cert_ref = id.certificate.reference();
        let make = |doc: &mut FeedDoc| -> kith_core::Result<Envelope> {
            let change = doc.write(id.device, now_ms(), writes)?;
            Ok(Envelope::seal(
                id.account,
                &key,
                cert_ref,
                change.raw_bytes().to_vec(),
            ))
        };
        let body = body.map(|(p, b)| (p, b.encode()));
        let envelope = self.store.write_local(id.account, make, body)?;
        self.outbox.push(envelope.clone());
        Ok(envelope)
    }

    fn own_post(&mut self, post: &PostId) -> Result<(PostRecord, bool)> {
        let account = self.identity()?.account;
        if post.author != account {
            return Err(NodeError::Invalid(format!(
                "post {post} was written by another account; you can only change your own posts"
            )));
        }
        self.store
            .read_feed(account, |doc| doc.post(post.local))?
            .ok_or_else(|| NodeError::NotFound(format!("post {post}")))
    }

    /// Sets profile fields; `None` leaves a field as it is. An avatar must
    /// be a PNG, JPEG, GIF or WebP image.
    pub fn set_profile(
        &mut self,
        name: Option<&str>,
        bio: Option<&str>,
        avatar: Option<&[u8]>,
    ) -> Result<()> {
        let mut writes = Vec::new();
        if let Some(n) = name {
            writes.push(Write::Put(FeedKey::Name, name_value(n)));
        }
        if let Some(b) = bio {
            writes.push(Write::Put(FeedKey::Bio, FeedValue::Str(b.to_owned())));
        }
        let mut new_blob = None;
        if let Some(bytes) = avatar {
            let bytes = publishable_image(bytes, "the avatar")?;
            let hash = self.store.blobs().put(&bytes)?;
            new_blob = Some(hash);
            writes.push(Write::Put(FeedKey::Avatar, FeedValue::Bytes(hash.to_vec())));
        }
        if writes.is_empty() {
            return Err(NodeError::Invalid(
                "nothing to change: give --name, --bio or --avatar".into(),
            ));
        }
        let r = self.write(&writes, None);
        if r.is_err()
            && let Some(h) = new_blob
        {
            let _ = self.store.blobs().remove(&h);
        }
        r.map(|_| ())
    }

    /// Publishes a post (also replies, reposts and quotes). Its images
    /// must be PNG, JPEG, GIF or WebP.
    pub fn post(&mut self, new: NewPost) -> Result<PostId> {
        let account = self.identity()?.account;
        if new.images.len() > MAX_ATTACHMENTS {
            return Err(NodeError::Invalid(format!(
                "at most {MAX_ATTACHMENTS} images per post"
            )));
        }
        let images = new
            .images
            .iter()
            .enumerate()
            .map(|(i, image)| {
                let what = if new.images.len() == 1 {
                    "the image".to_owned()
                } else {
                    format!("image {} of {}", i + 1, new.images.len())
                };
                publishable_image(image, &what)
            })
            .collect::<Result<Vec<_>>>()?;
        if new.descriptions.len() > new.images.len() {
            return Err(NodeError::Invalid(format!(
                "{} image descriptions for {} images: describe each image at most once",
                new.descriptions.len(),
                new.images.len()
            )));
        }
        // Blank text is no text: an image alone, or a repost.
        let text = new
            .text
            .filter(|t| !t.trim().is_empty())
            .unwrap_or_default();
        if text.is_empty() && new.quote_of.is_none() && new.images.is_empty() {
            return Err(NodeError::Invalid(
                "a post needs some text or an image".into(),
            ));
        }
        let body = if text.is_empty() && new.cw.is_none() && new.images.is_empty() {
            None
        } else {
            let descriptions = new
                .descriptions
                .iter()
                .map(|d| d.trim().to_owned())
                .collect();
            Some(Body::new(&text, new.cw.as_deref())?.with_descriptions(descriptions)?)
        };
        let local = self.store.read_feed(account, |doc| {
            let mut local = [0u8; 8];
            loop {
                rand::rngs::OsRng.fill_bytes(&mut local);
                if doc.post(local).is_none() {
                    return local;
                }
            }
        })?;
        let mut attachments: Vec<Hash> = Vec::new();
        for img in &images {
            attachments.push(self.store.blobs().put(img)?);
        }
        let record = PostRecord {
            created_at: now_ms(),
            edited_at: None,
            body_hash: body.as_ref().map(Body::hash),
            reply_to: new.reply_to,
            quote_of: new.quote_of,
            attachments: attachments.clone(),
        };
        let id = PostId {
            author: account,
            local,
        };
        let r = self.write(
            &[Write::Put(
                FeedKey::Post(local),
                FeedValue::Bytes(record.encode()),
            )],
            body.map(|b| (id, b)),
        );
        if let Err(e) = r {
            for h in attachments {
                let _ = self.store.blobs().remove(&h);
            }
            return Err(e);
        }
        Ok(id)
    }

    /// Replaces the text of one of this account's posts, and its content
    /// warning and image descriptions when the edit gives them; the id and
    /// the images stay.
    pub fn edit(&mut self, post: &PostId, edit: PostEdit) -> Result<()> {
        let (mut record, deleted) = self.own_post(post)?;
        if deleted {
            return Err(NodeError::Invalid(format!("post {post} was deleted")));
        }
        if edit.text.trim().is_empty() && record.attachments.is_empty() {
            return Err(NodeError::Invalid(
                "a post without images needs some text".into(),
            ));
        }
        if let Some(d) = &edit.descriptions
            && d.len() > record.attachments.len()
        {
            return Err(NodeError::Invalid(format!(
                "{} image descriptions for a post with {} images: describe each image at most once",
                d.len(),
                record.attachments.len()
            )));
        }
        let (old_cw, old_descriptions) = self
            .store
            .post(post)?
            .map(|v| (v.cw, v.descriptions))
            .unwrap_or_default();
        let cw = match edit.cw {
            Some(cw) => Some(cw.trim().to_owned()).filter(|c| !c.is_empty()),
            None => old_cw,
        };
        let descriptions = match edit.descriptions {
            Some(d) => d.iter().map(|d| d.trim().to_owned()).collect(),
            None => old_descriptions,
        };
        let text = if edit.text.trim().is_empty() {
            ""
        } else {
            edit.text.as_str()
        };
        let body = Body::new(text, cw.as_deref())?.with_descriptions(descriptions)?;
        record.body_hash = Some(body.hash());
        record.edited_at = Some(now_ms().max(record.created_at));
        self.write(
            &[Write::Put(
                FeedKey::Post(post.local),
                FeedValue::Bytes(record.encode()),
            )],
            Some((*post, body)),
        )?;
        self.store.checkpoint()?;
        Ok(())
    }

    /// Deletes one of this account's posts: its words and images are purged
    /// here, and from every peer that receives the deletion.
    pub fn delete(&mut self, post: &PostId) -> Result<()> {
        let (record, deleted) = self.own_post(post)?;
        if deleted {
            return Ok(());
        }
        let stub = PostRecord {
            created_at: record.created_at,
            edited_at: None,
            body_hash: None,
            reply_to: record.reply_to,
            quote_of: record.quote_of,
            attachments: Vec::new(),
        };
        self.write(
            &[
                Write::Put(
                    FeedKey::Tombstone(post.local),
                    FeedValue::Timestamp(now_ms()),
                ),
                Write::Put(FeedKey::Post(post.local), FeedValue::Bytes(stub.encode())),
            ],
            None,
        )?;
        self.store.checkpoint()?;
        Ok(())
    }

    /// Reacts to a post.
    pub fn react(&mut self, post: &PostId, reaction: &str) -> Result<()> {
        self.write(
            &[Write::Put(
                FeedKey::Reaction(*post, reaction.to_owned()),
                FeedValue::Timestamp(now_ms()),
            )],
            None,
        )
        .map(|_| ())
    }

    /// Takes back this account's `reaction` to a post; refused when it
    /// has not reacted so.
    pub fn unreact(&mut self, post: &PostId, reaction: &str) -> Result<()> {
        let me = self.identity()?.account;
        let key = FeedKey::Reaction(*post, reaction.to_owned());
        if self.store.read_feed(me, |doc| doc.get(&key))?.is_none() {
            return Err(NodeError::Invalid(format!(
                "you have not reacted {reaction} to post {post}"
            )));
        }
        self.write(&[Write::Delete(key)], None).map(|_| ())
    }

    /// Follows an account; refused for this account and for one it
    /// blocks (nothing of a blocked account is stored, so the follow would
    /// show nowhere).
    pub fn follow(&mut self, account: AccountId) -> Result<()> {
        if account == self.identity()?.account {
            return Err(NodeError::Invalid("you cannot follow yourself".into()));
        }
        if self.store.is_blocked(account)? {
            return Err(NodeError::Invalid(format!(
                "you block {account}; unblock it first to follow it"
            )));
        }
        self.write(
            &[Write::Put(
                FeedKey::Follow(account),
                FeedValue::Timestamp(now_ms()),
            )],
            None,
        )
        .map(|_| ())
    }

    /// Stops following an account.
    pub fn unfollow(&mut self, account: AccountId) -> Result<()> {
        let me = self.identity()?.account;
        if !self
            .store
            .read_feed(me, |doc| doc.follows().contains(&account))?
        {
            return Err(NodeError::Invalid(format!("you do not follow {account}")));
        }
        self.write(&[Write::Delete(FeedKey::Follow(account))], None)
            .map(|_| ())
    }

    /// Accounts this home follows, with names when known.
    pub fn following(&self) -> Result<Vec<(AccountId, Option<String>)>> {
        Ok(self.store.following(self.identity()?.account)?)
    }

    /// A page of whom `account` (own when `None`) follows, or of the
    /// feeds held here that follow it, after the cursor `before`.
    pub fn follows(
        &self,
        account: Option<AccountId>,
        direction: FollowDirection,
        limit: usize,
        before: Option<&str>,
    ) -> Result<FollowPage> {
        let account = match account {
            Some(a) => a,
            None => self.identity()?.account,
        };
        let limit = u32::try_from(limit).unwrap_or(u32::MAX);
        Ok(self.store.follows(account, direction, limit, before)?)
    }

    /// The home timeline.
    pub fn timeline(&self, limit: usize, before: Option<&str>) -> Result<Page> {
        Ok(self.store.timeline(limit, before)?)
    }

    /// The activity of this home's account (replies, mentions, quotes,
    /// reposts and reactions by others), newest first.
    pub fn activity(&self, limit: usize, before: Option<&str>) -> Result<ActivityPage> {
        Ok(self.store.activity(limit, before)?)
    }

    /// Activity items newer than the newest one seen, counted up to
    /// [`kith_store::MAX_UNREAD`].
    pub fn activity_unread(&self) -> Result<u32> {
        Ok(self.store.activity_unread()?)
    }

    /// Records that the activity was seen up to the item at `at`.
    pub fn mark_activity_seen(&mut self, at: i64) -> Result<()> {
        Ok(self.store.set_activity_seen(at)?)
    }

    /// Accounts known here by a name containing `query`, for mentions.
    pub fn people_named(&self, query: &str, limit: usize) -> Result<Vec<PersonView>> {
        Ok(self.store.people_named(query, limit)?)
    }

    /// One account's posts.
    pub fn feed(&self, account: AccountId, limit: usize, before: Option<&str>) -> Result<Page> {
        Ok(self.store.feed_posts(account, limit, before)?)
    }

    /// A thread around a post.
    pub fn thread(&self, post: &PostId) -> Result<Page> {
        Ok(self.store.thread(post)?)
    }

    /// The posts held among `ids`, each as a timeline shows it (moderation
    /// judged, a deleted one as its placeholder, counts as they are now), in
    /// the order asked; ids not held are left out.
    pub fn posts(&self, ids: &[PostId]) -> Result<Vec<PostView>> {
        let mut found = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(post) = self.store.post(id)? {
                found.push(post);
            }
        }
        Ok(found)
    }

    /// Full-text search, a page after the cursor `before` (see
    /// [`Store::search`](kith_store::Store::search)).
    pub fn search(&self, query: &str, limit: usize, before: Option<&str>) -> Result<Page> {
        Ok(self.store.search(query, limit, before)?)
    }

    /// A profile (own when `account` is `None`).
    pub fn profile(&self, account: Option<AccountId>) -> Result<ProfileView> {
        let account = match account {
            Some(a) => a,
            None => self.identity()?.account,
        };
        Ok(self.store.profile(account)?)
    }

    /// Writes a bundle of the given feeds (default: own and followed; a
    /// feed given twice is written once) to `out`. The bundle is written
    /// beside it under a hidden name of its own and renamed to `out` once
    /// complete and on disk, so `out` is either the whole bundle or as it
    /// was, and no other file is touched; errors name `out`.
    pub fn export(
        &mut self,
        feeds: &[AccountId],
        out: &Path,
        progress: kith_store::Progress<'_>,
    ) -> Result<ExportReport> {
        let mut feeds = if feeds.is_empty() {
            let mut all = vec![self.identity()?.account];
            all.extend(self.following()?.into_iter().map(|(a, _)| a));
            all
        } else {
            feeds.to_vec()
        };
        let mut seen = std::collections::HashSet::new();
        feeds.retain(|a| seen.insert(*a));
        if out.is_dir() {
            return Err(NodeError::io(
                out,
                std::io::Error::new(
                    std::io::ErrorKind::IsADirectory,
                    "is a folder; give the bundle's file name",
                ),
            ));
        }
        let (tmp, mut file) = partial_file(out)?;
        let written = self
            .store
            .export(&feeds, std::io::BufWriter::new(&mut file), progress)
            .map_err(|e| bundle_named(e, out))
            .and_then(|report| {
                file.sync_all().map_err(|e| NodeError::io(out, e))?;
                drop(file);
                std::fs::rename(&tmp, out).map_err(|e| NodeError::io(out, e))?;
                Ok(report)
            });
        if written.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        written
    }

    /// Imports a bundle file: all of it after verification, or nothing.
    pub fn import(
        &mut self,
        file: &Path,
        progress: kith_store::Progress<'_>,
    ) -> Result<ImportReport> {
        let bundle = std::fs::File::open(file).map_err(|e| NodeError::io(file, e))?;
        self.store
            .import_from(std::io::BufReader::new(bundle), progress)
            .map_err(|e| bundle_named(e, file))
    }

    /// Reads a blob (verified against its hash).
    pub fn blob(&self, hash: &Hash) -> Result<Option<Vec<u8>>> {
        Ok(self.store.blobs().get(hash)?)
    }

    /// Whether this home holds the blob `hash` (without reading it).
    pub fn has_blob(&self, hash: &Hash) -> bool {
        self.store.blobs().has(hash)
    }
}

/// The store's error about a bundle it read or wrote, naming `file` (the
/// store only knows its reader or writer as "bundle"; a full disk is told
/// as such by [`NodeError::io`]).
fn bundle_named(e: kith_store::StoreError, file: &Path) -> NodeError {
    match e {
        kith_store::StoreError::Io { path, source } if path == "bundle" => {
            NodeError::io(file, source)
        }
        other => other.into(),
    }
}

/// A display name as stored: trimmed.
fn name_value(name: &str) -> FeedValue {
    FeedValue::Str(name.trim().to_owned())
}

/// `bytes` (`what`: "the avatar", "image 2 of 3"…) as published: an image
/// Kith shows, without the metadata written beside its picture (where it
/// was taken, the camera, comments: `kith_core::image::without_metadata`).
fn publishable_image(bytes: &[u8], what: &str) -> Result<Vec<u8>> {
    if kith_core::image::image_type(bytes).is_none() {
        return Err(NodeError::Invalid(format!(
            "{what} is not a PNG, JPEG, GIF or WebP image (by its first bytes); \
             only those are published"
        )));
    }
    kith_core::image::without_metadata(bytes).map_err(|e| {
        let why = match e {
            kith_core::CoreError::Malformed { reason, .. } => reason,
            other => other.to_string(),
        };
        NodeError::Invalid(format!("{what} looks damaged and is not published: {why}"))
    })
}

/// Creates the file `out` is written to before it is complete: a hidden
/// `.<name>.partial-<random>` beside it, created new so that it can never
/// be someone's file. Errors name `out`.
fn partial_file(out: &Path) -> Result<(PathBuf, std::fs::File)> {
    let name = out
        .file_name()
        .ok_or_else(|| NodeError::Invalid(format!("{} does not name a file", out.display())))?;
    let dir = out
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    loop {
        let mut partial = std::ffi::OsString::from(".");
        partial.push(name);
        partial.push(format!(".partial-{:016x}", rand::rngs::OsRng.next_u64()));
        let path = dir.join(partial);
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(file) => return Ok((path, file)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(NodeError::io(out, e)),
        }
    }
}

/// Refuses a passphrase no key may be encrypted with.
fn check_new_passphrase(passphrase: &str) -> Result<()> {
    if passphrase.is_empty() {
        return Err(NodeError::Invalid(
            "the passphrase must not be empty".into(),
        ));
    }
    Ok(())
}
