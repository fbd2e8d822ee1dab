//! The activity of the home's account: what others did with it and its
//! posts (replies, mentions, quotes, reposts and reactions), newest first,
//! and how much of it arrived since the person last looked.

use std::fmt;
use std::str::FromStr;

use kith_core::{AccountId, PostId};
use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};

use crate::Store;
use crate::docs;
use crate::error::{Result, StoreError};
use crate::query::{HiddenPosts, POST_COLUMNS, PostView, RawPost, moderate, read_post, scan_page};

/// Most unread items counted; front ends show more as "99+".
pub const MAX_UNREAD: u32 = 100;
/// The `meta` key of the time of the newest item the person has seen.
const SEEN_KEY: &str = "activity_seen";

/// What another account did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum ActivityKind {
    /// Replied to one of the account's posts.
    Reply,
    /// Mentioned the account (`@kith1…`) in a post that is not a reply to
    /// it or a quote of it.
    Mention,
    /// Quoted one of its posts.
    Quote,
    /// Reposted one of its posts.
    Repost,
    /// Reacted to one of its posts.
    Reaction,
}

impl ActivityKind {
    const ALL: [Self; 5] = [
        Self::Reply,
        Self::Mention,
        Self::Quote,
        Self::Repost,
        Self::Reaction,
    ];

    fn from_code(code: i64) -> Option<Self> {
        usize::try_from(code)
            .ok()
            .and_then(|i| Self::ALL.get(i).copied())
    }
}

/// One thing another account did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ActivityItem {
    /// What it was.
    pub kind: ActivityKind,
    /// When, ms since the Unix epoch (as the other account's device said).
    pub at: i64,
    /// Who did it.
    #[cfg_attr(feature = "specta", specta(type = String))]
    pub actor: AccountId,
    /// Their display name, if known.
    pub actor_name: Option<String>,
    /// Their avatar blob hash (hex), if any.
    pub actor_avatar: Option<String>,
    /// The reaction, for a reaction.
    pub reaction: Option<String>,
    /// Their post: the reply, the mentioning post, the quote or the repost.
    pub post: Option<PostView>,
    /// The account's own post it concerns (none for a mention), when held.
    pub target: Option<PostView>,
}

/// One page of activity and the cursor of the next page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ActivityPage {
    /// The items, newest first.
    pub items: Vec<ActivityItem>,
    /// Pass to `before` for the next page; `None` at the end.
    pub next: Option<String>,
}

/// A position in the activity: time, kind and a key unique within the kind.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ActivityCursor {
    at: i64,
    kind: i64,
    key: String,
}

impl ActivityCursor {
    /// Before every item: the start of the newest page.
    const NEWEST: Self = Self {
        at: i64::MAX,
        kind: -1,
        key: String::new(),
    };
}

impl fmt::Display for ActivityCursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.at, self.kind, self.key)
    }
}

impl FromStr for ActivityCursor {
    type Err = StoreError;
    fn from_str(s: &str) -> Result<Self> {
        let bad = || StoreError::bad_cursor(s);
        let mut parts = s.splitn(3, '.');
        let at = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
        let kind = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
        let key = parts.next().ok_or_else(bad)?;
        if key.len() > 256 || !key.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad());
        }
        Ok(Self {
            at,
            kind,
            key: key.to_owned(),
        })
    }
}

/// Every item of the account `?1..?2` (its post ids' range), not by its
/// own feed `?3`; `?4` is the full-text query of its id. Kinds are
/// numbered as [`ActivityKind::ALL`]. A reply that also quotes or
/// mentions, or a quote that mentions, is listed once, as the first.
const ITEMS: &str = "
    WITH items(at, kind, key, post_row, target, actor, reaction) AS (
        SELECT p.created_at, 0, printf('%016x', p.id), p.id, p.reply_to, p.feed_id, NULL
            FROM posts p
            WHERE p.reply_to BETWEEN ?1 AND ?2 AND p.feed_id != ?3 AND p.deleted = 0
        UNION ALL
        SELECT p.created_at, CASE WHEN p.body_hash IS NULL THEN 3 ELSE 2 END,
               printf('%016x', p.id), p.id, p.quote_of, p.feed_id, NULL
            FROM posts p
            WHERE p.quote_of BETWEEN ?1 AND ?2 AND p.feed_id != ?3 AND p.deleted = 0
              AND NOT coalesce(p.reply_to BETWEEN ?1 AND ?2, 0)
        UNION ALL
        SELECT p.created_at, 1, printf('%016x', p.id), p.id, NULL, p.feed_id, NULL
            FROM posts_fts s JOIN posts p ON p.id = s.rowid
            WHERE posts_fts MATCH ?4 AND p.feed_id != ?3 AND p.deleted = 0
              AND NOT coalesce(p.reply_to BETWEEN ?1 AND ?2, 0)
              AND NOT coalesce(p.quote_of BETWEEN ?1 AND ?2, 0)
        UNION ALL
        SELECT r.created_at, 4, hex(r.target) || hex(r.reaction) || printf('%016x', r.feed_id),
               NULL, r.target, r.feed_id, r.reaction
            FROM reactions r
            WHERE r.target BETWEEN ?1 AND ?2 AND r.feed_id != ?3
    )";

/// One row of [`ITEMS`], before its posts are read and judged.
struct ItemRow {
    cursor: ActivityCursor,
    kind: ActivityKind,
    post_row: Option<i64>,
    target: Option<PostId>,
    actor: AccountId,
    actor_name: Option<String>,
    actor_avatar: Option<String>,
    reaction: Option<String>,
}

impl Store {
    /// The activity of the home's account, newest first: `limit` items
    /// after the cursor `before`. Items by accounts or posts this home's
    /// moderation hides are left out; a mention is listed only when the
    /// post's text really holds `@` and the account's id.
    pub fn activity(&self, limit: usize, before: Option<&str>) -> Result<ActivityPage> {
        let cursor = before.map(str::parse).transpose()?;
        self.activity_after(limit, cursor.unwrap_or(ActivityCursor::NEWEST), None)
    }

    /// Items newer than the newest the person has seen, counted up to
    /// [`MAX_UNREAD`].
    pub fn activity_unread(&self) -> Result<u32> {
        let seen = self.activity_seen()?;
        let page = self.activity_after(MAX_UNREAD as usize, ActivityCursor::NEWEST, Some(seen))?;
        Ok(page.items.len() as u32)
    }

    /// The time of the newest item the person has seen (0 before any).
    pub fn activity_seen(&self) -> Result<i64> {
        let value: Option<i64> = self
            .conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [SEEN_KEY], |r| {
                r.get(0)
            })
            .optional()?;
        Ok(value.unwrap_or(0))
    }

    /// Records that the person has seen the items up to `at`; never moves
    /// the mark back.
    pub fn set_activity_seen(&mut self, at: i64) -> Result<()> {
        self.conn.execute(
            "INSERT INTO meta(key, value) VALUES(?1, ?2)
             ON CONFLICT(key) DO UPDATE SET value = max(value, excluded.value)",
            params![SEEN_KEY, at],
        )?;
        Ok(())
    }

    /// Items after `cursor`. With `newer_than` (counting unread items) only
    /// those newer than it, read no further than judging them needs;
    /// without, read in full for a page.
    fn activity_after(
        &self,
        limit: usize,
        cursor: ActivityCursor,
        newer_than: Option<i64>,
    ) -> Result<ActivityPage> {
        let Some(me) = self.own_account() else {
            return Ok(ActivityPage {
                items: Vec::new(),
                next: None,
            });
        };
        let own_feed = docs::find_feed(&self.conn, me)?.unwrap_or(-1);
        let judge = self.judge()?;
        let (items, next) = scan_page(
            limit,
            cursor,
            |at, n| {
                Ok(self
                    .activity_rows(me, own_feed, at, newer_than, n)?
                    .into_iter()
                    .map(|row| (row.cursor.clone(), row))
                    .collect())
            },
            |row| self.activity_item(row, me, &judge, newer_than.is_none()),
        )?;
        Ok(ActivityPage {
            items,
            next: next.map(|c| c.to_string()),
        })
    }

    fn activity_rows(
        &self,
        me: AccountId,
        own_feed: i64,
        cursor: &ActivityCursor,
        newer_than: Option<i64>,
        limit: usize,
    ) -> Result<Vec<ItemRow>> {
        let sql = format!(
            "{ITEMS}
            SELECT i.at, i.kind, i.key, i.post_row, i.target, f.account, f.name, f.avatar, i.reaction
                FROM items i JOIN feeds f ON f.id = i.actor
                WHERE (i.at < ?5 OR (i.at = ?5 AND (i.kind > ?6 OR (i.kind = ?6 AND i.key < ?7))))
                  AND i.at > ?8
                ORDER BY i.at DESC, i.kind ASC, i.key DESC LIMIT ?9"
        );
        let mut low = me.as_bytes().to_vec();
        let mut high = low.clone();
        low.extend_from_slice(&[0; 8]);
        high.extend_from_slice(&[0xff; 8]);
        let fts = format!("text : \"{me}\"");
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(
            params![
                low,
                high,
                own_feed,
                fts,
                cursor.at,
                cursor.kind,
                cursor.key,
                newer_than.unwrap_or(i64::MIN),
                limit as i64
            ],
            |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, Option<i64>>(3)?,
                    r.get::<_, Option<Vec<u8>>>(4)?,
                    r.get::<_, Vec<u8>>(5)?,
                    r.get::<_, Option<String>>(6)?,
                    r.get::<_, Option<Vec<u8>>>(7)?,
                    r.get::<_, Option<String>>(8)?,
                ))
            },
        )?;
        let mut out = Vec::new();
        for row in rows {
            let (at, code, key, post_row, target, actor, name, avatar, reaction) = row?;
            let kind = ActivityKind::from_code(code)
                .ok_or_else(|| StoreError::BadCursor(format!("activity kind {code}")))?;
            out.push(ItemRow {
                cursor: ActivityCursor {
                    at,
                    kind: code,
                    key,
                },
                kind,
                post_row,
                target: target.map(|t| PostId::from_bytes(&t)).transpose()?,
                actor: AccountId::from_slice(&actor)?,
                actor_name: name,
                actor_avatar: avatar.map(hex::encode),
                reaction,
            });
        }
        Ok(out)
    }

    /// Reads and judges one row's posts; `None` when moderation hides it
    /// or a mention turns out not to be one. Unless `full` (only counting),
    /// the posts' reaction counts and mentions are not read, nor the own
    /// post of anything but a reaction.
    fn activity_item(
        &self,
        row: ItemRow,
        me: AccountId,
        judge: &crate::moderation::Judge,
        full: bool,
    ) -> Result<Option<ActivityItem>> {
        let post = match row.post_row {
            Some(id) => {
                let Some(raw) = self.post_by_row(id)? else {
                    return Ok(None);
                };
                let Some(raw) = moderate(judge, raw, HiddenPosts::Omit) else {
                    return Ok(None);
                };
                if row.kind == ActivityKind::Mention
                    && !raw
                        .view
                        .text
                        .as_deref()
                        .is_some_and(|t| kith_core::mention::mentions(t, me))
                {
                    return Ok(None);
                }
                Some(if full { self.finished(raw)? } else { raw.view })
            }
            None if judge.account_shown(row.actor) => None,
            None => return Ok(None),
        };
        // Counting needs the own post only to leave out reactions to a
        // deleted one.
        let wanted = full || row.kind == ActivityKind::Reaction;
        let target = match &row.target {
            Some(id) if wanted => match self.post_by_id(id)? {
                Some(raw) if full => Some(self.finished(raw)?),
                Some(raw) => Some(raw.view),
                None => None,
            },
            _ => None,
        };
        if row.kind == ActivityKind::Reaction && target.as_ref().is_none_or(|t| t.deleted) {
            return Ok(None);
        }
        Ok(Some(ActivityItem {
            kind: row.kind,
            at: row.cursor.at,
            actor: row.actor,
            actor_name: row.actor_name,
            actor_avatar: row.actor_avatar,
            reaction: row.reaction,
            post,
            target,
        }))
    }

    fn post_by_row(&self, row: i64) -> Result<Option<RawPost>> {
        let sql = format!(
            "SELECT {POST_COLUMNS} FROM posts p JOIN feeds f ON f.id = p.feed_id WHERE p.id = ?1"
        );
        Ok(self
            .conn
            .prepare_cached(&sql)?
            .query_row([row], read_post)
            .optional()?)
    }
}
