//! The node's operations as data: a [`Request`] can be run on a [`Node`]
//! in this process or sent to the node of a running `kith serve` over its
//! control socket, with the same answers either way.

use std::path::{Path, PathBuf};

use kith_core::moderation::{Label, Target};
use kith_core::{AccountId, ListId, PostId};
use kith_store::{FollowDirection, Scope};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::error::{NodeError, Result};
use crate::node::{NewPost, Node, PostEdit};

/// Most posts a page may ask for.
pub const MAX_PAGE: usize = 500;

/// One node operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Request {
    /// Publish a post, reply, repost or quote.
    Post {
        /// The text.
        text: Option<String>,
        /// A content warning.
        cw: Option<String>,
        /// Image files to attach (absolute paths).
        #[serde(default)]
        images: Vec<PathBuf>,
        /// What each image shows, in order (empty for one not described).
        #[serde(default)]
        descriptions: Vec<String>,
        /// The post answered.
        reply_to: Option<PostId>,
        /// The post reposted or quoted.
        quote_of: Option<PostId>,
    },
    /// React to a post.
    React {
        /// The post.
        post: PostId,
        /// The reaction (an emoji).
        reaction: String,
    },
    /// Take back a reaction to a post.
    Unreact {
        /// The post.
        post: PostId,
        /// The reaction taken back.
        reaction: String,
    },
    /// Replace the text of an own post (and its content warning and image
    /// descriptions when given).
    Edit {
        /// The post.
        post: PostId,
        /// What changes.
        #[serde(flatten)]
        edit: PostEdit,
    },
    /// Delete an own post.
    Delete {
        /// The post.
        post: PostId,
    },
    /// Follow an account.
    Follow {
        /// Whom.
        account: AccountId,
    },
    /// Stop following an account.
    Unfollow {
        /// Whom.
        account: AccountId,
    },
    /// Change profile fields.
    SetProfile {
        /// Display name.
        name: Option<String>,
        /// Biography.
        bio: Option<String>,
        /// Avatar image file (absolute path).
        avatar: Option<PathBuf>,
    },
    /// Accounts followed.
    Following,
    /// A page of whom an account follows, or of its followers held here.
    Follows {
        /// Whose (own when absent).
        account: Option<AccountId>,
        /// Which way.
        direction: FollowDirection,
        /// Page size.
        limit: usize,
        /// Cursor of the page (the previous page's `next`).
        before: Option<String>,
    },
    /// The home timeline.
    Timeline {
        /// Page size.
        limit: usize,
        /// Cursor of the page.
        before: Option<String>,
    },
    /// The activity of this home's account, newest first.
    Activity {
        /// Page size.
        limit: usize,
        /// Cursor of the page.
        before: Option<String>,
    },
    /// One account's posts.
    Feed {
        /// Whose.
        account: AccountId,
        /// Page size.
        limit: usize,
        /// Cursor of the page.
        before: Option<String>,
    },
    /// A thread around a post.
    Thread {
        /// The post.
        post: PostId,
    },
    /// Full-text search.
    Search {
        /// The query.
        query: String,
        /// Most results.
        limit: usize,
        /// Cursor of the page.
        before: Option<String>,
    },
    /// A profile (own when `account` is absent).
    Profile {
        /// Whose.
        account: Option<AccountId>,
    },
    /// Identity of this home.
    Id,
    /// Write a bundle file.
    Export {
        /// Where (absolute path).
        out: PathBuf,
        /// Which feeds (empty: own and followed).
        #[serde(default)]
        feeds: Vec<AccountId>,
    },
    /// Import a bundle file.
    Import {
        /// The file (absolute path).
        file: PathBuf,
    },
    /// Block an account (purges what is stored of it).
    Block {
        /// Whom.
        account: AccountId,
        /// Record the block in the own feed.
        #[serde(default)]
        public: bool,
    },
    /// End a block.
    Unblock {
        /// Whom.
        account: AccountId,
    },
    /// Mute an account.
    Mute {
        /// Whom.
        account: AccountId,
        /// Record the mute in the own feed.
        #[serde(default)]
        public: bool,
    },
    /// End a mute.
    Unmute {
        /// Whom.
        account: AccountId,
    },
    /// Mute a word or hashtag (or end that with `remove`).
    MuteWord {
        /// The word or `#hashtag`.
        word: String,
        /// Record it in the own feed.
        #[serde(default)]
        public: bool,
        /// End the mute instead.
        #[serde(default)]
        remove: bool,
    },
    /// Create a moderation list.
    ListCreate {
        /// Its name.
        name: String,
    },
    /// Add an account or post to an own list.
    ListAdd {
        /// The list.
        list: ListId,
        /// The account or post.
        target: Target,
        /// Why (at least one).
        labels: Vec<Label>,
        /// Free text.
        #[serde(default)]
        reason: String,
    },
    /// Remove an entry from an own list.
    ListRemove {
        /// The list.
        list: ListId,
        /// The account or post.
        target: Target,
    },
    /// Subscribe to a list (or change what it hides and covers).
    ListSubscribe {
        /// The list.
        list: ListId,
        /// Labels to hide.
        #[serde(default)]
        hide: Vec<Label>,
        /// Labels to cover with a warning.
        #[serde(default)]
        warn: Vec<Label>,
    },
    /// End a subscription.
    ListUnsubscribe {
        /// The list.
        list: ListId,
    },
    /// One list with its entries.
    ListShow {
        /// The list.
        list: ListId,
    },
    /// Blocks, mutes, lists, subscriptions and policy.
    Moderation,
    /// Report an account or post to list maintainers.
    Report {
        /// The account or post.
        target: Target,
        /// What is wrong (at least one).
        labels: Vec<Label>,
        /// Free text.
        #[serde(default)]
        text: String,
        /// The list whose maintainer receives it (default: every subscribed list).
        to: Option<ListId>,
    },
    /// Reports received for own lists (or sent, with `sent`).
    Reports {
        /// Include handled ones.
        #[serde(default)]
        all: bool,
        /// Show the reports this home sent instead.
        #[serde(default)]
        sent: bool,
    },
    /// Accept (add to the list) or dismiss a received report.
    ResolveReport {
        /// The report id (at least 8 hex digits).
        id: String,
        /// Accept rather than dismiss.
        accept: bool,
    },
    /// Show or change the replication policy.
    Policy {
        /// Which feeds to carry.
        scope: Option<Scope>,
        /// Changes one peer may push per minute.
        peer_rate: Option<u32>,
    },
}

impl Request {
    /// Whether the request signs a change (and so needs the device key).
    pub fn signs(&self) -> bool {
        matches!(
            self,
            Self::Post { .. }
                | Self::React { .. }
                | Self::Unreact { .. }
                | Self::Edit { .. }
                | Self::Delete { .. }
                | Self::Follow { .. }
                | Self::Unfollow { .. }
                | Self::SetProfile { .. }
                | Self::Block { .. }
                | Self::Unblock { .. }
                | Self::Mute { .. }
                | Self::Unmute { .. }
                | Self::MuteWord { .. }
                | Self::ListCreate { .. }
                | Self::ListAdd { .. }
                | Self::ListRemove { .. }
                | Self::Report { .. }
                | Self::ResolveReport { .. }
        )
    }
}

/// Reads a file a request names, refusing anything over the blob limit.
pub fn read_limited(path: &Path, what: &str) -> Result<Vec<u8>> {
    let limit = kith_core::limits::MAX_BLOB_BYTES as u64;
    let meta = std::fs::metadata(path).map_err(|e| NodeError::io(path, e))?;
    if meta.len() > limit {
        return Err(NodeError::Invalid(format!(
            "{what} {} is {} bytes; the limit is {limit} bytes",
            path.display(),
            meta.len()
        )));
    }
    std::fs::read(path).map_err(|e| NodeError::io(path, e))
}

fn page_size(limit: usize) -> Result<usize> {
    if limit == 0 || limit > MAX_PAGE {
        return Err(NodeError::Invalid(format!(
            "a page holds 1 to {MAX_PAGE} posts, not {limit}"
        )));
    }
    Ok(limit)
}

fn to_value<T: Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

impl Node {
    /// Runs a request and returns its answer as JSON (the same document the
    /// `kith` command prints with `--json`).
    pub fn handle(&mut self, request: Request) -> Result<Value> {
        Ok(match request {
            Request::Post {
                text,
                cw,
                images,
                descriptions,
                reply_to,
                quote_of,
            } => {
                let images = images
                    .iter()
                    .map(|p| read_limited(p, "image"))
                    .collect::<Result<Vec<_>>>()?;
                let id = self.post(NewPost {
                    text,
                    cw,
                    images,
                    descriptions,
                    reply_to,
                    quote_of,
                })?;
                json!({ "id": id })
            }
            Request::React { post, reaction } => {
                self.react(&post, &reaction)?;
                json!({ "post": post, "reaction": reaction })
            }
            Request::Unreact { post, reaction } => {
                self.unreact(&post, &reaction)?;
                json!({ "post": post, "reaction": reaction, "taken_back": true })
            }
            Request::Edit { post, edit } => {
                self.edit(&post, edit)?;
                json!({ "id": post, "edited": true })
            }
            Request::Delete { post } => {
                self.delete(&post)?;
                json!({ "id": post, "deleted": true })
            }
            Request::Follow { account } => {
                self.follow(account)?;
                json!({ "following": account })
            }
            Request::Unfollow { account } => {
                self.unfollow(account)?;
                json!({ "unfollowed": account })
            }
            Request::SetProfile { name, bio, avatar } => {
                let avatar = avatar.map(|p| read_limited(&p, "avatar")).transpose()?;
                self.set_profile(name.as_deref(), bio.as_deref(), avatar.as_deref())?;
                to_value(&self.profile(None)?)
            }
            Request::Following => {
                let list: Vec<Value> = self
                    .following()?
                    .into_iter()
                    .map(|(a, n)| json!({ "account": a, "name": n }))
                    .collect();
                json!({ "following": list })
            }
            Request::Timeline { limit, before } => {
                to_value(&self.timeline(page_size(limit)?, before.as_deref())?)
            }
            Request::Activity { limit, before } => {
                to_value(&self.activity(page_size(limit)?, before.as_deref())?)
            }
            Request::Feed {
                account,
                limit,
                before,
            } => to_value(&self.feed(account, page_size(limit)?, before.as_deref())?),
            Request::Thread { post } => to_value(&self.thread(&post)?),
            Request::Search {
                query,
                limit,
                before,
            } => to_value(&self.search(&query, page_size(limit)?, before.as_deref())?),
            Request::Profile { account } => to_value(&self.profile(account)?),
            Request::Follows {
                account,
                direction,
                limit,
                before,
            } => {
                to_value(&self.follows(account, direction, page_size(limit)?, before.as_deref())?)
            }
            Request::Id => {
                let id = self.identity()?.clone();
                let name = self.store().profile(id.account)?.name;
                json!({ "account": id.account, "device": id.device, "name": name })
            }
            Request::Export { out, feeds } => {
                to_value(&self.export(&feeds, &out, &mut |_, _| {})?)
            }
            Request::Import { file } => to_value(&self.import(&file, &mut |_, _| {})?),
            other => self.handle_moderation(other)?,
        })
    }

    /// The moderation part of [`Node::handle`].
    fn handle_moderation(&mut self, request: Request) -> Result<Value> {
        Ok(match request {
            Request::Block { account, public } => {
                self.block(account, public)?;
                json!({ "blocked": account, "public": public })
            }
            Request::Unblock { account } => {
                self.unblock(account)?;
                json!({ "unblocked": account })
            }
            Request::Mute { account, public } => {
                self.mute(account, public)?;
                json!({ "muted": account, "public": public })
            }
            Request::Unmute { account } => {
                self.unmute(account)?;
                json!({ "unmuted": account })
            }
            Request::MuteWord {
                word,
                public,
                remove,
            } => {
                if remove {
                    json!({ "unmuted_word": self.unmute_word(&word)? })
                } else {
                    json!({ "muted_word": self.mute_word(&word, public)?, "public": public })
                }
            }
            Request::ListCreate { name } => {
                let id = self.create_list(&name)?;
                to_value(&self.list(id)?)
            }
            Request::ListAdd {
                list,
                target,
                labels,
                reason,
            } => {
                self.list_add(list, target, &labels, &reason)?;
                to_value(&self.list(list)?)
            }
            Request::ListRemove { list, target } => {
                self.list_remove(list, target)?;
                to_value(&self.list(list)?)
            }
            Request::ListSubscribe { list, hide, warn } => {
                self.subscribe(list, &hide, &warn)?;
                to_value(&self.store().list(list)?)
            }
            Request::ListUnsubscribe { list } => {
                self.unsubscribe(list)?;
                json!({ "unsubscribed": list })
            }
            Request::ListShow { list } => to_value(&self.list(list)?),
            Request::Moderation => to_value(&self.moderation()?),
            Request::Report {
                target,
                labels,
                text,
                to,
            } => json!({ "queued": self.report(target, &labels, &text, to)? }),
            Request::Reports { all, sent } => {
                let reports = if sent {
                    self.store().outbox()?
                } else {
                    self.store().inbox(all)?
                };
                json!({ "reports": reports })
            }
            Request::ResolveReport { id, accept } => to_value(&self.resolve_report(&id, accept)?),
            Request::Policy { scope, peer_rate } => {
                if scope.is_none() && peer_rate.is_none() {
                    to_value(&self.store().policy()?)
                } else {
                    to_value(&self.set_policy(scope, peer_rate)?)
                }
            }
            other => {
                return Err(NodeError::Invalid(format!(
                    "{other:?} is not a moderation request"
                )));
            }
        })
    }
}
