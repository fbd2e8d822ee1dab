//! Reading the materialized views: timelines, threads, search, profiles.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use kith_core::{AccountId, Body, PostId};
use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::{Deserialize, Serialize};

use crate::Store;
use crate::docs;
use crate::error::{Result, StoreError};
use crate::moderation::{Judge, ModAction, ModerationNote, Verdict};

/// Most posts a thread view returns.
const MAX_THREAD_POSTS: usize = 1000;
/// A page scans at most this many times its size of rows, skipping
/// hidden posts, before it returns what it has (and a cursor to go on).
const MAX_SCAN_FACTOR: usize = 20;

/// A post as front ends show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct PostView {
    /// The post id.
    #[cfg_attr(feature = "specta", specta(type = String))]
    pub id: PostId,
    /// The author.
    #[cfg_attr(feature = "specta", specta(type = String))]
    pub author: AccountId,
    /// The author's display name, if known.
    pub author_name: Option<String>,
    /// The author's avatar blob hash (hex), if any.
    pub author_avatar: Option<String>,
    /// The text: `None` when deleted or not received yet.
    pub text: Option<String>,
    /// Creation time, ms since the Unix epoch.
    pub created_at: i64,
    /// The post this one answers.
    #[cfg_attr(feature = "specta", specta(type = Option<String>))]
    pub reply_to: Option<PostId>,
    /// The author of the post this one answers.
    #[cfg_attr(feature = "specta", specta(type = Option<String>))]
    pub reply_to_author: Option<AccountId>,
    /// That author's display name, if known here.
    pub reply_to_name: Option<String>,
    /// The post this one reposts or quotes.
    #[cfg_attr(feature = "specta", specta(type = Option<String>))]
    pub quote_of: Option<PostId>,
    /// The content warning, if any.
    pub cw: Option<String>,
    /// Whether the post was edited.
    pub edited: bool,
    /// When it was last edited.
    pub edited_at: Option<i64>,
    /// Whether the post was deleted (only shown in threads).
    pub deleted: bool,
    /// Attachment blob hashes (hex).
    pub attachments: Vec<String>,
    /// What each attached image shows, for people who cannot see it (its
    /// alternative text), in the attachments' order; empty where an image
    /// is not described, and shorter than `attachments` when the last
    /// ones are not.
    pub descriptions: Vec<String>,
    /// Replies held here (not deleted; those moderation hides counted, as
    /// a thread shows them as placeholders).
    pub replies: u64,
    /// Reposts and quotes of it held here (not deleted).
    pub reposts: u64,
    /// Reaction counts.
    pub reactions: BTreeMap<String, u64>,
    /// Those of the reactions this home's own account made (each counted
    /// in `reactions`), so a window can show them chosen and take them
    /// back.
    pub my_reactions: Vec<String>,
    /// Why the post is hidden or covered here, if it is.
    pub moderation: Option<ModerationNote>,
    /// The accounts its text mentions (`@kith1…`), with their names when
    /// known, in order of first mention.
    pub mentions: Vec<MentionView>,
}

impl PostView {
    /// The text with each mention written as `@` and the account's name
    /// (the id where no name is known), for places that show plain text.
    pub fn text_with_names(&self) -> Option<String> {
        let text = self.text.as_deref()?;
        Some(kith_core::mention::with_names(text, |a| {
            self.mentions
                .iter()
                .find(|m| m.account == a)
                .and_then(|m| m.name.clone())
        }))
    }
}

/// An account a post mentions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct MentionView {
    /// The account.
    #[cfg_attr(feature = "specta", specta(type = String))]
    pub account: AccountId,
    /// Its display name, if known.
    pub name: Option<String>,
}

/// An account found by name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct PersonView {
    /// The account.
    #[cfg_attr(feature = "specta", specta(type = String))]
    pub account: AccountId,
    /// Its display name.
    pub name: String,
    /// Its avatar blob hash (hex), if any.
    pub avatar: Option<String>,
    /// Whether this home follows it.
    pub followed: bool,
}

/// Longest name query, in characters.
const MAX_NAME_QUERY_CHARS: usize = 64;

/// One page of posts and the cursor of the next page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Page {
    /// The posts, newest first.
    pub posts: Vec<PostView>,
    /// Pass to `before` for the next page; `None` at the end.
    pub next: Option<String>,
}

/// A position in a newest-first list: `created_at` and row id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    created_at: i64,
    row: i64,
}

impl fmt::Display for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.created_at, self.row)
    }
}

impl FromStr for Cursor {
    type Err = StoreError;
    fn from_str(s: &str) -> Result<Self> {
        let bad = || StoreError::bad_cursor(s);
        let (a, b) = s.split_once('.').ok_or_else(bad)?;
        Ok(Self {
            created_at: a.parse().map_err(|_| bad())?,
            row: b.parse().map_err(|_| bad())?,
        })
    }
}

/// A profile as front ends show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
// Independent facts the profile screen shows (follow, held, follows you,
// block, mute: buttons and notes); no state machine hides among them.
#[allow(clippy::struct_excessive_bools)]
pub struct ProfileView {
    /// The account.
    #[cfg_attr(feature = "specta", specta(type = String))]
    pub account: AccountId,
    /// Display name.
    pub name: Option<String>,
    /// Biography.
    pub bio: Option<String>,
    /// Avatar blob hash (hex).
    pub avatar: Option<String>,
    /// Posts held (not deleted).
    pub posts: u64,
    /// Accounts this one follows.
    pub following: u64,
    /// Feeds held here that follow this account (no one knows every
    /// follower in a network without a server).
    pub followers: u64,
    /// Whether this account's feed is on this computer.
    pub held: bool,
    /// Whether this account's feed follows this home's account.
    pub follows_you: bool,
    /// Whether this home follows (or is) the account.
    pub in_home: bool,
    /// Whether this home blocks the account.
    pub blocked: bool,
    /// Whether this home mutes the account.
    pub muted: bool,
    /// Why the account's posts are hidden or covered here, if they are.
    pub moderation: Option<ModerationNote>,
}

pub(crate) const POST_COLUMNS: &str = "p.id, f.account, f.name, p.local, p.created_at, p.edited_at, p.reply_to, p.quote_of, p.body, p.attachments, p.deleted, f.avatar";

pub(crate) struct RawPost {
    pub(crate) row: i64,
    pub(crate) view: PostView,
}

pub(crate) fn read_post(r: &Row<'_>) -> rusqlite::Result<RawPost> {
    let conv = |i: usize, e: kith_core::CoreError| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Blob, Box::new(e))
    };
    let account = AccountId::from_slice(&r.get::<_, Vec<u8>>(1)?).map_err(|e| conv(1, e))?;
    let local: i64 = r.get(3)?;
    let post_id = |i: usize| -> rusqlite::Result<Option<PostId>> {
        r.get::<_, Option<Vec<u8>>>(i)?
            .map(|b| PostId::from_bytes(&b).map_err(|e| conv(i, e)))
            .transpose()
    };
    let body: Option<Vec<u8>> = r.get(8)?;
    let body = body.and_then(|b| Body::decode(&b).ok());
    let deleted: bool = r.get(10)?;
    let edited_at: Option<i64> = r.get(5)?;
    let attachments: Vec<String> = r
        .get::<_, Option<Vec<u8>>>(9)?
        .unwrap_or_default()
        .chunks_exact(32)
        .map(hex::encode)
        .collect();
    let (text, cw, mut descriptions) = match body {
        Some(b) => (
            Some(b.text),
            (!b.cw.is_empty()).then_some(b.cw),
            b.descriptions,
        ),
        None => (None, None, Vec::new()),
    };
    descriptions.truncate(attachments.len());
    let reply_to = post_id(6)?;
    Ok(RawPost {
        row: r.get(0)?,
        view: PostView {
            id: PostId {
                author: account,
                local: local.to_be_bytes(),
            },
            author: account,
            author_name: r.get(2)?,
            author_avatar: r.get::<_, Option<Vec<u8>>>(11)?.map(hex::encode),
            text,
            created_at: r.get(4)?,
            reply_to,
            reply_to_author: reply_to.map(|p| p.author),
            reply_to_name: None,
            quote_of: post_id(7)?,
            cw,
            edited: edited_at.is_some(),
            edited_at,
            deleted,
            attachments,
            descriptions,
            replies: 0,
            reposts: 0,
            reactions: BTreeMap::new(),
            my_reactions: Vec::new(),
            moderation: None,
            mentions: Vec::new(),
        },
    })
}

/// Fills in what a post's row does not hold: its reply, repost and
/// reaction counts and the names of the accounts it mentions and of the
/// author it answers.
pub(crate) fn with_counts_and_names(
    conn: &Connection,
    posts: Vec<RawPost>,
) -> Result<Vec<RawPost>> {
    let mut posts = with_counts(conn, posts)?;
    let mut name = conn.prepare_cached("SELECT name FROM feeds WHERE account = ?1")?;
    let mut name_of = |account: AccountId| -> Result<Option<String>> {
        let known: Option<Option<String>> = name
            .query_row([account.as_bytes().as_slice()], |r| r.get(0))
            .optional()?;
        Ok(known.flatten())
    };
    for p in &mut posts {
        if let Some(author) = p.view.reply_to_author {
            p.view.reply_to_name = name_of(author)?;
        }
        let Some(text) = p.view.text.as_deref() else {
            continue;
        };
        for account in kith_core::mention::mentioned(text) {
            let name = name_of(account)?;
            p.view.mentions.push(MentionView { account, name });
        }
    }
    Ok(posts)
}

/// Fills in each post's replies, reposts (and quotes) and reactions.
fn with_counts(conn: &Connection, mut posts: Vec<RawPost>) -> Result<Vec<RawPost>> {
    let mut answers = conn.prepare_cached(
        "SELECT (SELECT count(*) FROM posts WHERE reply_to = ?1 AND deleted = 0),
                (SELECT count(*) FROM posts WHERE quote_of = ?1 AND deleted = 0)",
    )?;
    let mut stmt = conn.prepare_cached(
        "SELECT reaction, count(*), coalesce(max(feed_id = (SELECT f.id FROM feeds f
                 JOIN meta m ON m.key = 'own_account' AND m.value = f.account)), 0)
         FROM reactions WHERE target = ?1 GROUP BY reaction",
    )?;
    for p in &mut posts {
        let id = p.view.id.to_bytes();
        (p.view.replies, p.view.reposts) = answers.query_row([id.as_slice()], |r| {
            Ok((r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)? as u64))
        })?;
        let rows = stmt.query_map([id.as_slice()], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, bool>(2)?,
            ))
        })?;
        for row in rows {
            let (reaction, n, mine) = row?;
            if mine {
                p.view.my_reactions.push(reaction.clone());
            }
            p.view.reactions.insert(reaction, n as u64);
        }
    }
    Ok(posts)
}

/// How a view treats posts its moderation hides.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum HiddenPosts {
    /// Left out (timelines, search).
    Omit,
    /// Shown covered instead (a profile the user chose to open).
    Cover,
    /// Replaced by a placeholder that keeps the reasons (threads).
    Placeholder,
}

/// Applies `judge` to one post; `None` when the view leaves it out.
pub(crate) fn moderate(judge: &Judge, mut post: RawPost, hidden: HiddenPosts) -> Option<RawPost> {
    match judge.post(&post.view) {
        Verdict::Drop => None,
        Verdict::Clear => Some(post),
        Verdict::Note(note) if note.action == ModAction::Warn => {
            post.view.moderation = Some(note);
            Some(post)
        }
        Verdict::Note(mut note) => match hidden {
            HiddenPosts::Omit => None,
            HiddenPosts::Cover => {
                note.action = ModAction::Warn;
                post.view.moderation = Some(note);
                Some(post)
            }
            HiddenPosts::Placeholder => {
                let v = &mut post.view;
                v.text = None;
                v.cw = None;
                v.attachments.clear();
                v.moderation = Some(note);
                Some(post)
            }
        },
    }
}

/// A page read from rows newest first: at most `limit` items, leaving out
/// the rows `keep` turns down (what moderation hides), and scanning at most
/// `limit` × [`MAX_SCAN_FACTOR`] rows. `fetch` reads up to `limit` rows after
/// a position, each with its own position. Returns the items and the
/// position to go on from, `None` at the end.
pub(crate) fn scan_page<P: Clone, R, T>(
    limit: usize,
    mut at: P,
    mut fetch: impl FnMut(&P, usize) -> Result<Vec<(P, R)>>,
    mut keep: impl FnMut(R) -> Result<Option<T>>,
) -> Result<(Vec<T>, Option<P>)> {
    let mut out = Vec::new();
    let mut scanned = 0;
    while out.len() < limit && scanned < limit.saturating_mul(MAX_SCAN_FACTOR) {
        let batch = fetch(&at, limit)?;
        let n = batch.len();
        let mut used = 0;
        for (position, row) in batch {
            used += 1;
            scanned += 1;
            at = position;
            if let Some(item) = keep(row)? {
                out.push(item);
                if out.len() == limit {
                    break;
                }
            }
        }
        if n < limit && used == n {
            return Ok((out, None));
        }
    }
    Ok((out, (limit > 0).then_some(at)))
}

/// Fills a page of `limit` posts from `fetch` (rows newest first after a
/// cursor), leaving out what moderation hides (see [`scan_page`]).
fn moderated_page(
    conn: &Connection,
    judge: &Judge,
    limit: usize,
    before: Option<&str>,
    hidden: HiddenPosts,
    fetch: &mut dyn FnMut(i64, i64, usize) -> Result<Vec<RawPost>>,
) -> Result<Page> {
    let (out, next) = scan_page(
        limit,
        cursor_bounds(before)?,
        |&(t, row), n| {
            Ok(fetch(t, row, n)?
                .into_iter()
                .map(|p| ((p.view.created_at, p.row), p))
                .collect())
        },
        |post| Ok(moderate(judge, post, hidden)),
    )?;
    let next = next.map(|(created_at, row)| Cursor { created_at, row }.to_string());
    let posts = with_counts_and_names(conn, out)?
        .into_iter()
        .map(|p| p.view)
        .collect();
    Ok(Page { posts, next })
}

fn cursor_bounds(before: Option<&str>) -> Result<(i64, i64)> {
    Ok(match before {
        Some(c) => {
            let c: Cursor = c.parse()?;
            (c.created_at, c.row)
        }
        None => (i64::MAX, i64::MAX),
    })
}

impl Store {
    /// The home timeline: own posts and those of followed accounts, newest first.
    /// Posts hidden by this home's moderation are left out.
    pub fn timeline(&self, limit: usize, before: Option<&str>) -> Result<Page> {
        let sql = format!(
            "SELECT {POST_COLUMNS} FROM posts p JOIN feeds f ON f.id = p.feed_id
             WHERE p.home = 1 AND p.deleted = 0 AND (p.created_at < ?1 OR (p.created_at = ?1 AND p.id < ?2))
             ORDER BY p.created_at DESC, p.id DESC LIMIT ?3"
        );
        let judge = self.judge()?;
        let mut stmt = self.conn.prepare_cached(&sql)?;
        moderated_page(
            &self.conn,
            &judge,
            limit,
            before,
            HiddenPosts::Omit,
            &mut |t, row, n| {
                Ok(stmt
                    .query_map(params![t, row, n as i64], read_post)?
                    .collect::<rusqlite::Result<Vec<_>>>()?)
            },
        )
    }

    /// One account's posts, newest first. Posts moderation hides are
    /// shown covered (the user chose to open this profile); a blocked
    /// account has none.
    pub fn feed_posts(
        &self,
        account: AccountId,
        limit: usize,
        before: Option<&str>,
    ) -> Result<Page> {
        let Some(feed) = docs::find_feed(&self.conn, account)? else {
            return Ok(Page {
                posts: Vec::new(),
                next: None,
            });
        };
        let sql = format!(
            "SELECT {POST_COLUMNS} FROM posts p JOIN feeds f ON f.id = p.feed_id
             WHERE p.feed_id = ?4 AND p.deleted = 0 AND (p.created_at < ?1 OR (p.created_at = ?1 AND p.id < ?2))
             ORDER BY p.created_at DESC, p.id DESC LIMIT ?3"
        );
        let judge = self.judge()?;
        let mut stmt = self.conn.prepare_cached(&sql)?;
        moderated_page(
            &self.conn,
            &judge,
            limit,
            before,
            HiddenPosts::Cover,
            &mut |t, row, n| {
                Ok(stmt
                    .query_map(params![t, row, n as i64, feed], read_post)?
                    .collect::<rusqlite::Result<Vec<_>>>()?)
            },
        )
    }

    /// A post with its reaction counts and mentions filled in.
    pub(crate) fn finished(&self, raw: RawPost) -> Result<PostView> {
        let row = raw.row;
        with_counts_and_names(&self.conn, vec![raw])?
            .pop()
            .map(|p| p.view)
            .ok_or_else(|| StoreError::NotFound(format!("post row {row}")))
    }

    pub(crate) fn post_by_id(&self, id: &PostId) -> Result<Option<RawPost>> {
        let sql = format!(
            "SELECT {POST_COLUMNS} FROM posts p JOIN feeds f ON f.id = p.feed_id WHERE f.account = ?1 AND p.local = ?2"
        );
        Ok(self
            .conn
            .prepare_cached(&sql)?
            .query_row(
                params![
                    id.author.as_bytes().as_slice(),
                    i64::from_be_bytes(id.local)
                ],
                read_post,
            )
            .optional()?)
    }

    /// One post, as a thread shows it (a hidden post is a placeholder
    /// with its reasons).
    pub fn post(&self, id: &PostId) -> Result<Option<PostView>> {
        let Some(raw) = self.post_by_id(id)? else {
            return Ok(None);
        };
        let judge = self.judge()?;
        moderate(&judge, raw, HiddenPosts::Placeholder)
            .map(|p| self.finished(p))
            .transpose()
    }

    /// A thread: the chain of posts above `id` (oldest first), the post,
    /// then every reply below it in time order. Deleted and hidden posts
    /// appear as placeholders so the shape of the conversation stays
    /// readable; blocked accounts' posts are not held at all.
    pub fn thread(&self, id: &PostId) -> Result<Page> {
        let Some(post) = self.post_by_id(id)? else {
            return Err(StoreError::NotFound(format!("post {id}")));
        };
        let mut above = Vec::new();
        let mut parent = post.view.reply_to;
        while let Some(p) = parent {
            if above.len() >= MAX_THREAD_POSTS {
                break;
            }
            match self.post_by_id(&p)? {
                Some(raw) => {
                    parent = raw.view.reply_to;
                    above.push(raw);
                }
                None => break,
            }
        }
        above.reverse();
        let sql = format!(
            "SELECT {POST_COLUMNS} FROM posts p JOIN feeds f ON f.id = p.feed_id WHERE p.reply_to = ?1"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let mut below = Vec::new();
        let mut queue = vec![post.view.id];
        while let Some(next) = queue.pop() {
            for child in stmt.query_map([next.to_bytes().as_slice()], read_post)? {
                let child = child?;
                if below.len() + above.len() >= MAX_THREAD_POSTS {
                    break;
                }
                queue.push(child.view.id);
                below.push(child);
            }
        }
        below.sort_by_key(|p| (p.view.created_at, p.row));
        let mut all = above;
        all.push(post);
        all.extend(below);
        let judge = self.judge()?;
        let mut kept = Vec::with_capacity(all.len());
        for p in all {
            kept.extend(moderate(&judge, p, HiddenPosts::Placeholder));
        }
        let posts = with_counts_and_names(&self.conn, kept)?
            .into_iter()
            .map(|p| p.view)
            .collect();
        Ok(Page { posts, next: None })
    }

    /// Full-text search over every post held (except what moderation
    /// hides), most recently stored first, a page of `limit` after the
    /// cursor `before` (the page's `next`). Every word must appear,
    /// ignoring case and accents, matched whole. A last word of four
    /// letters or more that no post held has (with the others) is taken
    /// as one still being typed: it finds the words it begins instead
    /// (`bonj` finds "bonjour"). FTS5 walks a whole word's posts backwards
    /// and stops at the page, so a common word costs no more than a rare
    /// one; a word begun first merges the posts of every word it begins
    /// (there is no prefix index: it would grow the database past three
    /// times its text, docs/benchmarks.md). A word written as a hashtag
    /// (`#thé`) is always whole and matches only posts that use it as a
    /// hashtag (`#Thé`, `#the`), not the bare word: the index finds the
    /// posts with the word and their texts are checked, at most
    /// 20 × `limit` of them a page.
    pub fn search(&self, query: &str, limit: usize, before: Option<&str>) -> Result<Page> {
        let typed: Vec<&str> = query.split_whitespace().collect();
        if typed.is_empty() {
            return Ok(Page {
                posts: Vec::new(),
                next: None,
            });
        }
        let whole = self.search_expression(&typed, false)?;
        // Decided from the words alone, not the page, so that every page
        // of a search reads the same way.
        let matched = if typed.last().is_some_and(|w| begins_words(w)) && !self.indexed(&whole)? {
            self.search_expression(&typed, true)?
        } else {
            whole
        };
        let tags: Vec<String> = query
            .split_whitespace()
            .filter(|w| w.starts_with('#'))
            .flat_map(kith_core::hashtag::hashtags)
            .collect();
        let start = match before {
            Some(c) => c.parse::<i64>().map_err(|_| StoreError::bad_cursor(c))?,
            None => i64::MAX,
        };
        let sql = format!(
            "SELECT {POST_COLUMNS} FROM posts_fts s JOIN posts p ON p.id = s.rowid JOIN feeds f ON f.id = p.feed_id
             WHERE posts_fts MATCH ?1 AND s.rowid < ?2 AND p.deleted = 0 ORDER BY s.rowid DESC LIMIT ?3"
        );
        let judge = self.judge()?;
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let (posts, next) = scan_page(
            limit,
            start,
            |&below, n| {
                Ok(stmt
                    .query_map(params![matched, below, n as i64], read_post)?
                    .map(|p| p.map(|p| (p.row, p)))
                    .collect::<rusqlite::Result<Vec<_>>>()?)
            },
            |post| {
                let tagged = tags.is_empty() || {
                    let used =
                        kith_core::hashtag::hashtags(post.view.text.as_deref().unwrap_or(""));
                    tags.iter().all(|t| used.contains(t))
                };
                Ok(if tagged {
                    moderate(&judge, post, HiddenPosts::Omit)
                } else {
                    None
                })
            },
        )?;
        let posts = with_counts_and_names(&self.conn, posts)?
            .into_iter()
            .map(|p| p.view)
            .collect();
        Ok(Page {
            posts,
            next: next.map(|row| row.to_string()),
        })
    }

    /// The FTS5 query for the words of a search, every one required; with
    /// `begun`, the last also finds the words it begins.
    fn search_expression(&self, typed: &[&str], begun: bool) -> Result<String> {
        let last = typed.len().saturating_sub(1);
        let terms: Vec<String> = typed
            .iter()
            .enumerate()
            .map(|(i, w)| self.search_term(w, begun && i == last))
            .collect::<Result<_>>()?;
        Ok(terms.join(" AND "))
    }

    /// Whether any post in the search index matches `expression` (one
    /// step into the index, whatever the number of matches).
    fn indexed(&self, expression: &str) -> Result<bool> {
        Ok(self
            .conn
            .prepare_cached("SELECT 1 FROM posts_fts WHERE posts_fts MATCH ?1 LIMIT 1")?
            .exists([expression])?)
    }

    /// The FTS5 term for one word of a search: the word itself (or, with
    /// `prefix`, any word it begins), or any mention of an account whose
    /// name here has that word (a mention's text is `@` and the account
    /// id; windows show the name). A hashtag is only itself.
    fn search_term(&self, word: &str, prefix: bool) -> Result<String> {
        let quoted = quote_term(word);
        if word.starts_with('#') {
            return Ok(quoted);
        }
        let quoted = if prefix { format!("{quoted}*") } else { quoted };
        let mut stmt = self.conn.prepare_cached(
            "SELECT f.account FROM feeds_fts n JOIN feeds f ON f.id = n.rowid
             WHERE feeds_fts MATCH ?1 LIMIT ?2",
        )?;
        let mut terms = vec![quoted.clone()];
        for account in stmt.query_map(params![quoted, MAX_NAMED_ACCOUNTS as i64], |r| {
            r.get::<_, Vec<u8>>(0)
        })? {
            terms.push(quote_term(&AccountId::from_slice(&account?)?.to_string()));
        }
        Ok(if terms.len() == 1 {
            quoted
        } else {
            format!("({})", terms.join(" OR "))
        })
    }

    /// A profile. An account whose feed is not held here (one a friend
    /// follows, say) has a profile too: no name or posts yet, `held`
    /// false, and the followers this home knows of.
    pub fn profile(&self, account: AccountId) -> Result<ProfileView> {
        let judge = self.judge()?;
        let moderation = match judge.account(account) {
            Verdict::Note(n) => Some(n),
            Verdict::Clear | Verdict::Drop => None,
        };
        let (blocked, muted) = (judge.blocks(account), judge.mutes(account));
        let key = account.as_bytes();
        let followers: i64 = self
            .conn
            .prepare_cached("SELECT count(*) FROM follows WHERE target = ?1")?
            .query_row([key.as_slice()], |r| r.get(0))?;
        let found = self
            .conn
            .prepare_cached(
                "SELECT f.name, f.bio, f.avatar, f.home, f.change_count > 0,
                    (SELECT count(*) FROM posts p WHERE p.feed_id = f.id AND p.deleted = 0),
                    (SELECT count(*) FROM follows w WHERE w.feed_id = f.id),
                    EXISTS(SELECT 1 FROM follows w JOIN meta m ON m.key = 'own_account'
                           WHERE w.feed_id = f.id AND w.target = m.value)
                 FROM feeds f WHERE f.account = ?1",
            )?
            .query_row([key.as_slice()], |r| {
                Ok(ProfileView {
                    account,
                    name: r.get(0)?,
                    bio: r.get(1)?,
                    avatar: r.get::<_, Option<Vec<u8>>>(2)?.map(hex::encode),
                    in_home: r.get(3)?,
                    held: r.get(4)?,
                    posts: r.get::<_, i64>(5)? as u64,
                    following: r.get::<_, i64>(6)? as u64,
                    followers: followers as u64,
                    follows_you: r.get(7)?,
                    blocked,
                    muted,
                    moderation: moderation.clone(),
                })
            })
            .optional()?;
        // A blocked account's feed is purged, but its profile still says so.
        Ok(found.unwrap_or(ProfileView {
            account,
            name: None,
            bio: None,
            avatar: None,
            posts: 0,
            following: 0,
            followers: followers as u64,
            follows_you: false,
            held: false,
            in_home: false,
            blocked,
            muted,
            moderation,
        }))
    }

    /// The accounts `account` follows, with their names when known.
    pub fn following(&self, account: AccountId) -> Result<Vec<(AccountId, Option<String>)>> {
        let Some(feed) = docs::find_feed(&self.conn, account)? else {
            return Ok(Vec::new());
        };
        let mut stmt = self.conn.prepare_cached(
            "SELECT w.target, f.name FROM follows w LEFT JOIN feeds f ON f.account = w.target WHERE w.feed_id = ?1 ORDER BY w.since",
        )?;
        let rows = stmt.query_map([feed], |r| {
            Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, Option<String>>(1)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (target, name) = row?;
            out.push((AccountId::from_slice(&target)?, name));
        }
        Ok(out)
    }

    /// Accounts held here whose display name contains `query` (case
    /// ignored for ASCII letters) or has a word that `query` begins (case
    /// and accents ignored: `bea` finds "Béa"), for choosing whom to
    /// mention or finding someone: followed accounts first, then names
    /// that start with `query`, then the rest by name; at most `limit`. An
    /// empty query lists followed accounts first. This home's own account
    /// and accounts its moderation hides are left out.
    pub fn people_named(&self, query: &str, limit: usize) -> Result<Vec<PersonView>> {
        let query: String = query.trim().chars().take(MAX_NAME_QUERY_CHARS).collect();
        let escaped = query
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        let mut stmt = self.conn.prepare_cached(
            "SELECT f.account, f.name, f.avatar,
                    f.account IN (SELECT target FROM follows WHERE feed_id IN own_feed) AS followed
             FROM feeds f
             WHERE f.name IS NOT NULL
               AND (f.name LIKE '%' || ?1 || '%' ESCAPE '\\'
                    OR f.id IN (SELECT rowid FROM feeds_fts WHERE feeds_fts MATCH ?3))
             ORDER BY followed DESC, f.name LIKE ?1 || '%' ESCAPE '\\' DESC, f.name COLLATE NOCASE, f.id
             LIMIT ?2",
        )?;
        let scan = limit.saturating_mul(MAX_SCAN_FACTOR) as i64;
        // Words of the name that the query begins (`jean l` finds "Jean-Luc").
        let begins = format!("{} *", quote_term(&query));
        let rows = stmt.query_map(params![escaped, scan, begins], |r| {
            Ok((
                r.get::<_, Vec<u8>>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<Vec<u8>>>(2)?,
                r.get::<_, bool>(3)?,
            ))
        })?;
        let judge = self.judge()?;
        let own = self.own_account();
        let mut out = Vec::new();
        for row in rows {
            let (account, name, avatar, followed) = row?;
            let account = AccountId::from_slice(&account)?;
            if Some(account) == own || !judge.account_shown(account) {
                continue;
            }
            out.push(PersonView {
                account,
                name,
                avatar: avatar.map(hex::encode),
                followed,
            });
            if out.len() == limit {
                break;
            }
        }
        Ok(out)
    }

    /// Accounts whose feeds the store holds, with their number of changes.
    pub fn feeds(&self) -> Result<Vec<(AccountId, u64)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT f.account, (SELECT count(*) FROM changes c WHERE c.feed_id = f.id) FROM feeds f ORDER BY f.id",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, i64>(1)?)))?;
        let mut out = Vec::new();
        for row in rows {
            let (a, n) = row?;
            out.push((AccountId::from_slice(&a)?, n as u64));
        }
        Ok(out)
    }
}

/// Accounts whose mentions one search word also finds, at most.
const MAX_NAMED_ACCOUNTS: usize = 20;

/// The fewest letters a search's last word needs to find the words it
/// begins: three-letter beginnings begin so many words that merging their
/// posts took 150 ms at a million posts (docs/benchmarks.md).
const MIN_PREFIX_CHARS: usize = 4;

/// Whether a search's last word may be one still being typed, to find the
/// words it begins: not a hashtag, and its last run of letters and digits
/// (the word the index would end it with: `l'été` ends with `été`) has
/// [`MIN_PREFIX_CHARS`] or more.
fn begins_words(word: &str) -> bool {
    !word.starts_with('#')
        && word
            .split(|c: char| !c.is_alphanumeric())
            .rfind(|part| !part.is_empty())
            .is_some_and(|part| part.chars().count() >= MIN_PREFIX_CHARS)
}

/// One word as an FTS5 string (its words must appear in order). A NUL,
/// which no text holds and FTS5 reads as the end of the query, is left out.
fn quote_term(word: &str) -> String {
    format!("\"{}\"", word.replace('\0', "").replace('"', "\"\""))
}
