//! The node's operations as data: a [`Request`] can be run on a [`Node`]
//! in this process or sent to the node of a running `kith serve` over its
//! control socket, with the same answers either way.

use std::path::{Path, PathBuf};

use kith_core::{AccountId, PostId};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::error::{NodeError, Result};
use crate::node::{NewPost, Node};

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
    /// Replace the text of an own post.
    Edit {
        /// The post.
        post: PostId,
        /// The new text.
        text: String,
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
    /// The home timeline.
    Timeline {
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
}

impl Request {
    /// Whether the request signs a change (and so needs the device key).
    pub fn signs(&self) -> bool {
        matches!(
            self,
            Self::Post { .. }
                | Self::React { .. }
                | Self::Edit { .. }
                | Self::Delete { .. }
                | Self::Follow { .. }
                | Self::Unfollow { .. }
                | Self::SetProfile { .. }
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
                    reply_to,
                    quote_of,
                })?;
                json!({ "id": id })
            }
            Request::React { post, reaction } => {
                self.react(&post, &reaction)?;
                json!({ "post": post, "reaction": reaction })
            }
            Request::Edit { post, text } => {
                self.edit(&post, &text)?;
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
            Request::Feed {
                account,
                limit,
                before,
            } => to_value(&self.feed(account, page_size(limit)?, before.as_deref())?),
            Request::Thread { post } => to_value(&self.thread(&post)?),
            Request::Search { query, limit } => to_value(&self.search(&query, page_size(limit)?)?),
            Request::Profile { account } => to_value(&self.profile(account)?),
            Request::Id => {
                let id = self.identity()?.clone();
                let name = self.store().profile(id.account)?.and_then(|p| p.name);
                json!({ "account": id.account, "device": id.device, "name": name })
            }
            Request::Export { out, feeds } => {
                to_value(&self.export(&feeds, &out, &mut |_, _| {})?)
            }
            Request::Import { file } => to_value(&self.import(&file, &mut |_, _| {})?),
        })
    }
}
