//! Moderation in the store: what this home blocks, mutes and subscribes
//! to, purging blocked feeds, and judging posts for the views.
//!
//! Public marks live in the own feed (materialized into `blocks`, `mutes`,
//! `muted_words`); private ones in `private_*` tables that never leave this
//! machine. The `my_*` views are their union.

use std::collections::{HashMap, HashSet};

use kith_core::moderation::{Labels, Target, muted_words_in};
use kith_core::{AccountId, Hash, ListId};
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

use crate::docs::{self, DocCache};
use crate::error::Result;
use crate::query::PostView;
use crate::{Store, ingest, materialize};

/// What a view does with a post or account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "lowercase")]
pub enum ModAction {
    /// Left out of timelines and search; a placeholder in threads.
    Hide,
    /// Shown covered, behind a click-through warning.
    Warn,
}

/// Why a post or account is hidden or covered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ModerationNote {
    /// The strongest action that applies.
    pub action: ModAction,
    /// Every reason, as the user reads it ("hidden by list “X”: spam").
    pub reasons: Vec<String>,
}

/// One block, mute or muted word of this home.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Mark {
    /// The account (`kith1…`) or the word.
    pub target: String,
    /// The account's display name, when known.
    pub name: Option<String>,
    /// Whether it is recorded in the own feed (public) or only here.
    pub public: bool,
    /// Since when, ms since the Unix epoch.
    pub since: i64,
}

/// Everything this home blocks and mutes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Marks {
    /// Blocked accounts.
    pub blocks: Vec<Mark>,
    /// Muted accounts.
    pub mutes: Vec<Mark>,
    /// Muted words and hashtags.
    pub words: Vec<Mark>,
}

/// A moderation list as front ends show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ListView {
    /// The list id (`kithlist1…`).
    #[cfg_attr(feature = "specta", specta(type = String))]
    pub id: ListId,
    /// Its name (`None` while the maintainer's feed has not arrived).
    pub name: Option<String>,
    /// The maintainer's display name, when known.
    pub owner_name: Option<String>,
    /// How many entries it holds here.
    pub entries: u64,
    /// Labels this home hides, when subscribed.
    pub hide: Vec<String>,
    /// Labels this home covers with a warning, when subscribed.
    pub warn: Vec<String>,
    /// Whether this home subscribes to it.
    pub subscribed: bool,
}

/// One entry of a moderation list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ListEntryView {
    /// The account (`kith1…`) or post (`kithpost1…`).
    pub target: String,
    /// The account's display name, when the target is a known account.
    pub name: Option<String>,
    /// Label names.
    pub labels: Vec<String>,
    /// The maintainer's reason.
    pub reason: String,
    /// When it was listed.
    pub created_at: i64,
}

/// Above this many posts, a purge rebuilds the search index's segments
/// instead of securely deleting row by row.
const PURGE_ROW_BY_ROW: usize = 256;

/// Whether this home blocks `account` (publicly or privately).
pub(crate) fn is_blocked(conn: &Connection, account: AccountId) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT EXISTS(SELECT 1 FROM my_blocks WHERE target = ?1)")?
        .query_row([account.as_bytes().as_slice()], |r| r.get(0))?)
}

/// Removes everything stored of `account`'s feed: posts (with their words
/// in the search index), reactions, relations, lists, changes,
/// certificates, the feed row, and (queued in `purged`) blobs nothing
/// else uses. Returns whether there was anything.
pub(crate) fn purge_account(
    conn: &Connection,
    docs: &mut DocCache,
    account: AccountId,
    purged: &mut Vec<Hash>,
) -> Result<bool> {
    let Some(feed) = docs::find_feed(conn, account)? else {
        return Ok(false);
    };
    let mut blobs = drop_feed_rows(conn, feed)?;
    conn.execute("DELETE FROM certs WHERE feed_id = ?1", [feed])?;
    conn.execute("DELETE FROM feeds WHERE id = ?1", [feed])?;
    docs.forget(feed);
    bump(conn)?;
    blobs.sort_unstable();
    blobs.dedup();
    for hash in blobs {
        if !materialize::blob_referenced(conn, &hash)? {
            purged.push(hash);
        }
    }
    tracing::info!(%account, "purged a blocked feed");
    Ok(true)
}

/// Deletes the rows of `feed`'s posts (with their words in the search
/// index), reactions, relations, lists and changes, keeping the feed row
/// and its certificates; returns the blobs its posts and avatar named.
pub(crate) fn drop_feed_rows(conn: &Connection, feed: i64) -> Result<Vec<Hash>> {
    let bodies: Vec<(i64, Vec<u8>)> = conn
        .prepare("SELECT id, body FROM posts WHERE feed_id = ?1 AND body IS NOT NULL")?
        .query_map([feed], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    if bodies.len() > PURGE_ROW_BY_ROW {
        // Deleting many rows one by one with FTS5 secure-delete rewrites
        // the index for each (about 1 ms a row); instead mark them deleted
        // and merge the index into one segment, which leaves the deleted
        // entries out and frees the old pages (zeroed by secure_delete).
        conn.execute(
            "INSERT INTO posts_fts(posts_fts, rank) VALUES('secure-delete', 0)",
            [],
        )?;
        for (row, body) in &bodies {
            materialize::purge_body(conn, *row, body)?;
        }
        conn.execute("INSERT INTO posts_fts(posts_fts) VALUES('optimize')", [])?;
        conn.execute(
            "INSERT INTO posts_fts(posts_fts, rank) VALUES('secure-delete', 1)",
            [],
        )?;
    } else {
        for (row, body) in &bodies {
            materialize::purge_body(conn, *row, body)?;
        }
    }
    let mut blobs: Vec<Hash> = Vec::new();
    let mut stmt = conn
        .prepare("SELECT attachments FROM posts WHERE feed_id = ?1 AND attachments IS NOT NULL")?;
    for bytes in stmt.query_map([feed], |r| r.get::<_, Vec<u8>>(0))? {
        blobs.extend(
            bytes?
                .chunks_exact(32)
                .filter_map(|c| Hash::try_from(c).ok()),
        );
    }
    let avatar: Option<Vec<u8>> =
        conn.query_row("SELECT avatar FROM feeds WHERE id = ?1", [feed], |r| {
            r.get(0)
        })?;
    blobs.extend(avatar.and_then(|a| Hash::try_from(a.as_slice()).ok()));
    for table in [
        "posts",
        "reactions",
        "follows",
        "blocks",
        "mutes",
        "muted_words",
        "peer_keys",
        "lists",
        "list_entries",
        "unsnapshotted",
        "changes",
        "left_out",
    ] {
        conn.execute(&format!("DELETE FROM {table} WHERE feed_id = ?1"), [feed])?;
    }
    Ok(blobs)
}

fn accounts(conn: &Connection, sql: &str) -> Result<HashSet<AccountId>> {
    let mut out = HashSet::new();
    let mut stmt = conn.prepare_cached(sql)?;
    for row in stmt.query_map([], |r| r.get::<_, Vec<u8>>(0))? {
        if let Ok(a) = AccountId::from_slice(&row?) {
            out.insert(a);
        }
    }
    Ok(out)
}

/// One entry of a subscribed list, as the judge keeps it.
struct Listing {
    list_name: String,
    labels: Labels,
    reason: String,
    hide: Labels,
    warn: Labels,
}

/// Judges posts for the views. Built from the moderation tables and kept
/// (see [`Store::judge`]) until they change: the entries of every
/// subscribed list are held in memory, so judging a post costs a few hash
/// lookups.
pub(crate) struct Judge {
    own: Option<AccountId>,
    blocked: HashSet<AccountId>,
    muted: HashSet<AccountId>,
    words: Vec<String>,
    listed: HashMap<Vec<u8>, Vec<Listing>>,
}

/// Records that moderation data changed, so the kept [`Judge`] is rebuilt
/// (inside the caller's transaction: a rollback undoes it too).
pub(crate) fn bump(conn: &Connection) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO meta(key, value) VALUES('moderation_gen', 1)
         ON CONFLICT(key) DO UPDATE SET value = value + 1",
    )?
    .execute([])?;
    Ok(())
}

/// The current moderation generation.
pub(crate) fn generation(conn: &Connection) -> Result<i64> {
    Ok(conn
        .prepare_cached("SELECT value FROM meta WHERE key = 'moderation_gen'")?
        .query_row([], |r| r.get(0))
        .optional()?
        .unwrap_or(0))
}

/// What the views do with one post.
pub(crate) enum Verdict {
    /// Never shown (blocked).
    Drop,
    /// Shown as is.
    Clear,
    /// Hidden or covered, with the reasons.
    Note(ModerationNote),
}

fn quoted(name: Option<&str>) -> String {
    name.map_or_else(|| "(unnamed)".to_owned(), |n| format!("“{n}”"))
}

impl Judge {
    /// Reads this home's marks, subscriptions and the entries of the
    /// subscribed lists.
    pub(crate) fn load(conn: &Connection, own: Option<AccountId>) -> Result<Self> {
        let mut words = Vec::new();
        let mut stmt = conn.prepare_cached("SELECT word FROM my_muted_words")?;
        for w in stmt.query_map([], |r| r.get::<_, String>(0))? {
            words.push(w?);
        }
        let mut listed: HashMap<Vec<u8>, Vec<Listing>> = HashMap::new();
        let mut subs: Vec<(ListId, Labels, Labels)> = Vec::new();
        let mut stmt = conn.prepare_cached("SELECT list, hide, warn FROM list_subscriptions")?;
        for row in stmt.query_map([], |r| {
            Ok((
                r.get::<_, Vec<u8>>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, i64>(2)?,
            ))
        })? {
            let (list, hide, warn) = row?;
            if let Ok(list) = ListId::from_bytes(&list) {
                subs.push((
                    list,
                    Labels((hide & 0xff) as u8),
                    Labels((warn & 0xff) as u8),
                ));
            }
        }
        let mut entries = conn.prepare_cached(
            "SELECT e.target, l.name, e.labels, e.reason FROM list_entries e
             JOIN feeds f ON f.id = e.feed_id
             JOIN lists l ON l.feed_id = e.feed_id AND l.local = e.list
             WHERE f.account = ?1 AND e.list = ?2",
        )?;
        for (list, hide, warn) in subs {
            let rows = entries.query_map(
                params![
                    list.owner.as_bytes().as_slice(),
                    i64::from_be_bytes(list.local)
                ],
                |r| {
                    Ok((
                        r.get::<_, Vec<u8>>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, i64>(2)?,
                        r.get::<_, String>(3)?,
                    ))
                },
            )?;
            for row in rows {
                let (target, list_name, labels, reason) = row?;
                listed.entry(target).or_default().push(Listing {
                    list_name,
                    labels: Labels((labels & 0xff) as u8),
                    reason,
                    hide,
                    warn,
                });
            }
        }
        Ok(Self {
            own,
            blocked: accounts(conn, "SELECT target FROM my_blocks")?,
            muted: accounts(conn, "SELECT target FROM my_mutes")?,
            words,
            listed,
        })
    }

    /// Whether the account is blocked.
    pub(crate) fn blocks(&self, account: AccountId) -> bool {
        self.blocked.contains(&account)
    }

    /// Whether the account is muted.
    pub(crate) fn mutes(&self, account: AccountId) -> bool {
        self.muted.contains(&account)
    }

    /// What subscribed lists say about `targets`: hide and warn reasons.
    fn listed(&self, targets: &[Target]) -> (Vec<String>, Vec<String>) {
        let (mut hide, mut warn) = (Vec::new(), Vec::new());
        if self.listed.is_empty() {
            return (hide, warn);
        }
        for target in targets {
            let Some(listings) = self.listed.get(&target.to_bytes()) else {
                continue;
            };
            let about = match target {
                Target::Account(_) => "",
                Target::Post(_) => " (this post)",
            };
            for l in listings {
                let because = if l.reason.is_empty() {
                    String::new()
                } else {
                    format!(" — {}", l.reason)
                };
                for label in l.labels.iter() {
                    let line = |verb: &str| {
                        format!(
                            "{verb} by list {}: {label}{about}{because}",
                            quoted(Some(&l.list_name))
                        )
                    };
                    if l.hide.contains(label) {
                        hide.push(line("hidden"));
                    } else if l.warn.contains(label) {
                        warn.push(line("covered"));
                    }
                }
            }
        }
        (hide, warn)
    }

    /// The verdict on an account as a whole (for its profile).
    pub(crate) fn account(&self, account: AccountId) -> Verdict {
        if self.own == Some(account) {
            return Verdict::Clear;
        }
        if self.blocks(account) {
            return Verdict::Drop;
        }
        let (mut hide, warn) = self.listed(&[Target::Account(account)]);
        if self.mutes(account) {
            hide.insert(0, "you muted this account".into());
        }
        note(hide, warn)
    }

    /// Whether lists of accounts and their doings (activity, people to
    /// mention) show `account`: not blocked, not hidden; a warning alone
    /// still shows.
    pub(crate) fn account_shown(&self, account: AccountId) -> bool {
        match self.account(account) {
            Verdict::Clear => true,
            Verdict::Note(n) => n.action == ModAction::Warn,
            Verdict::Drop => false,
        }
    }

    /// The verdict on one post.
    pub(crate) fn post(&self, post: &PostView) -> Verdict {
        if self.own == Some(post.author) {
            return Verdict::Clear;
        }
        if self.blocks(post.author) {
            return Verdict::Drop;
        }
        let (mut hide, warn) = self.listed(&[Target::Account(post.author), Target::Post(post.id)]);
        if self.mutes(post.author) {
            hide.insert(0, "you muted this account".into());
        }
        if !self.words.is_empty() {
            let mut hits: Vec<&str> = Vec::new();
            for text in [post.text.as_deref(), post.cw.as_deref()]
                .into_iter()
                .flatten()
            {
                for w in muted_words_in(text, &self.words) {
                    if !hits.contains(&w) {
                        hits.push(w);
                    }
                }
            }
            hide.extend(
                hits.into_iter()
                    .map(|w| format!("you muted the word “{w}”")),
            );
        }
        note(hide, warn)
    }
}

fn note(hide: Vec<String>, warn: Vec<String>) -> Verdict {
    if !hide.is_empty() {
        let mut reasons = hide;
        reasons.extend(warn);
        Verdict::Note(ModerationNote {
            action: ModAction::Hide,
            reasons,
        })
    } else if !warn.is_empty() {
        Verdict::Note(ModerationNote {
            action: ModAction::Warn,
            reasons: warn,
        })
    } else {
        Verdict::Clear
    }
}

fn labels_of(bits: i64) -> Vec<String> {
    Labels((bits & 0xff) as u8)
        .iter()
        .map(|l| l.name().to_owned())
        .collect()
}

fn name_of(conn: &Connection, account: &[u8]) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT name FROM feeds WHERE account = ?1")?
        .query_row([account], |r| r.get(0))
        .optional()?
        .flatten())
}

impl Store {
    /// The judge of this home's views, rebuilt only when moderation data
    /// changed since it was last built.
    pub(crate) fn judge(&self) -> Result<std::sync::Arc<Judge>> {
        let generation = generation(&self.conn)?;
        let mut kept = self
            .judge
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((g, judge)) = kept.as_ref()
            && *g == generation
        {
            return Ok(std::sync::Arc::clone(judge));
        }
        let judge = std::sync::Arc::new(Judge::load(&self.conn, self.own)?);
        *kept = Some((generation, std::sync::Arc::clone(&judge)));
        Ok(judge)
    }

    /// Whether this home blocks `account`.
    pub fn is_blocked(&self, account: AccountId) -> Result<bool> {
        is_blocked(&self.conn, account)
    }

    /// Whether this home mutes `account`.
    pub fn is_muted(&self, account: AccountId) -> Result<bool> {
        Ok(self
            .conn
            .prepare_cached("SELECT EXISTS(SELECT 1 FROM my_mutes WHERE target = ?1)")?
            .query_row([account.as_bytes().as_slice()], |r| r.get(0))?)
    }

    /// Adds or removes a private (local only) block, mute or muted word.
    /// `table` is one of the `private_*` tables; `key` its primary key.
    fn set_private(
        &mut self,
        table: &str,
        column: &str,
        key: &dyn rusqlite::ToSql,
        on: bool,
        now: i64,
    ) -> Result<bool> {
        bump(&self.conn)?;
        let n = if on {
            self.conn.execute(
                &format!("INSERT OR IGNORE INTO {table}({column}, since) VALUES(?1, ?2)"),
                params![key, now],
            )?
        } else {
            self.conn
                .execute(&format!("DELETE FROM {table} WHERE {column} = ?1"), [key])?
        };
        Ok(n > 0)
    }

    /// Blocks or unblocks `account` privately. Blocking purges its feed.
    pub fn set_private_block(&mut self, account: AccountId, on: bool, now: i64) -> Result<bool> {
        let changed = self.set_private(
            "private_blocks",
            "target",
            &account.as_bytes().as_slice(),
            on,
            now,
        )?;
        if on {
            self.purge_account(account)?;
        }
        Ok(changed)
    }

    /// Mutes or unmutes `account` privately.
    pub fn set_private_mute(&mut self, account: AccountId, on: bool, now: i64) -> Result<bool> {
        self.set_private(
            "private_mutes",
            "target",
            &account.as_bytes().as_slice(),
            on,
            now,
        )
    }

    /// Mutes or unmutes a (normalised) word privately.
    pub fn set_private_muted_word(&mut self, word: &str, on: bool, now: i64) -> Result<bool> {
        self.set_private("private_muted_words", "word", &word, on, now)
    }

    /// Removes everything stored of a blocked account's feed, scrubs it
    /// from the database file and write-ahead log, and deletes its blobs.
    pub fn purge_account(&mut self, account: AccountId) -> Result<bool> {
        let mut purged = Vec::new();
        let tx = self.conn.transaction()?;
        let any = purge_account(&tx, &mut self.docs, account, &mut purged)?;
        tx.commit()?;
        self.pages = None;
        ingest::remove_purged(&self.blobs, &purged);
        self.checkpoint()?;
        Ok(any)
    }

    /// Everything this home blocks and mutes, public and private.
    pub fn marks(&self) -> Result<Marks> {
        let own = self
            .own
            .and_then(|a| docs::find_feed(&self.conn, a).ok().flatten())
            .unwrap_or(-1);
        let accounts = |public: &str, private: &str| -> Result<Vec<Mark>> {
            let sql = format!(
                "SELECT target, since, 1 FROM {public} WHERE feed_id = ?1
                 UNION ALL SELECT target, since, 0 FROM {private} ORDER BY 2"
            );
            let mut out: Vec<Mark> = Vec::new();
            let mut stmt = self.conn.prepare(&sql)?;
            let rows = stmt.query_map([own], |r| {
                Ok((
                    r.get::<_, Vec<u8>>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, bool>(2)?,
                ))
            })?;
            for row in rows {
                let (target, since, public) = row?;
                let Ok(account) = AccountId::from_slice(&target) else {
                    continue;
                };
                let target = account.to_string();
                if let Some(m) = out.iter_mut().find(|m| m.target == target) {
                    m.public |= public;
                    continue;
                }
                out.push(Mark {
                    name: name_of(&self.conn, account.as_bytes())?,
                    target,
                    public,
                    since,
                });
            }
            Ok(out)
        };
        let mut words: Vec<Mark> = Vec::new();
        let mut stmt = self.conn.prepare(
            "SELECT word, since, 1 FROM muted_words WHERE feed_id = ?1
             UNION ALL SELECT word, since, 0 FROM private_muted_words ORDER BY 2",
        )?;
        for row in stmt.query_map([own], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, bool>(2)?,
            ))
        })? {
            let (word, since, public) = row?;
            if let Some(m) = words.iter_mut().find(|m| m.target == word) {
                m.public |= public;
                continue;
            }
            words.push(Mark {
                target: word,
                name: None,
                public,
                since,
            });
        }
        Ok(Marks {
            blocks: accounts("blocks", "private_blocks")?,
            mutes: accounts("mutes", "private_mutes")?,
            words,
        })
    }

    /// Subscribes to a list (or changes what it hides and covers).
    pub fn subscribe_list(
        &mut self,
        list: ListId,
        hide: Labels,
        warn: Labels,
        now: i64,
    ) -> Result<()> {
        bump(&self.conn)?;
        self.conn.execute(
            "INSERT INTO list_subscriptions(list, hide, warn, since) VALUES(?1, ?2, ?3, ?4)
             ON CONFLICT DO UPDATE SET hide = excluded.hide, warn = excluded.warn",
            params![
                list.to_bytes().as_slice(),
                i64::from(hide.0),
                i64::from(warn.0),
                now
            ],
        )?;
        Ok(())
    }

    /// Ends a subscription; returns whether there was one.
    pub fn unsubscribe_list(&mut self, list: ListId) -> Result<bool> {
        bump(&self.conn)?;
        Ok(self.conn.execute(
            "DELETE FROM list_subscriptions WHERE list = ?1",
            [list.to_bytes().as_slice()],
        )? > 0)
    }

    /// The maintainers of the lists this home subscribes to (their feeds
    /// are carried so the lists replicate).
    pub fn subscribed_list_owners(&self) -> Result<Vec<AccountId>> {
        let mut out: Vec<AccountId> = Vec::new();
        let mut stmt = self
            .conn
            .prepare_cached("SELECT list FROM list_subscriptions ORDER BY since")?;
        for row in stmt.query_map([], |r| r.get::<_, Vec<u8>>(0))? {
            if let Ok(list) = ListId::from_bytes(&row?)
                && !out.contains(&list.owner)
            {
                out.push(list.owner);
            }
        }
        Ok(out)
    }

    /// One list as this home knows it.
    pub fn list(&self, list: ListId) -> Result<ListView> {
        let feed = docs::find_feed(&self.conn, list.owner)?.unwrap_or(-1);
        let local = i64::from_be_bytes(list.local);
        let name: Option<String> = self
            .conn
            .prepare_cached("SELECT name FROM lists WHERE feed_id = ?1 AND local = ?2")?
            .query_row(params![feed, local], |r| r.get(0))
            .optional()?;
        let entries: i64 = self
            .conn
            .prepare_cached("SELECT count(*) FROM list_entries WHERE feed_id = ?1 AND list = ?2")?
            .query_row(params![feed, local], |r| r.get(0))?;
        let sub: Option<(i64, i64)> = self
            .conn
            .prepare_cached("SELECT hide, warn FROM list_subscriptions WHERE list = ?1")?
            .query_row([list.to_bytes().as_slice()], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        Ok(ListView {
            id: list,
            name,
            owner_name: name_of(&self.conn, list.owner.as_bytes())?,
            entries: entries as u64,
            hide: sub.map(|s| labels_of(s.0)).unwrap_or_default(),
            warn: sub.map(|s| labels_of(s.1)).unwrap_or_default(),
            subscribed: sub.is_some(),
        })
    }

    /// The lists `owner` maintains, oldest first.
    pub fn lists_of(&self, owner: AccountId) -> Result<Vec<ListView>> {
        let Some(feed) = docs::find_feed(&self.conn, owner)? else {
            return Ok(Vec::new());
        };
        let locals: Vec<i64> = self
            .conn
            .prepare_cached("SELECT local FROM lists WHERE feed_id = ?1 ORDER BY name")?
            .query_map([feed], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        locals
            .into_iter()
            .map(|l| {
                self.list(ListId {
                    owner,
                    local: l.to_be_bytes(),
                })
            })
            .collect()
    }

    /// The lists this home subscribes to.
    pub fn subscriptions(&self) -> Result<Vec<ListView>> {
        let ids: Vec<Vec<u8>> = self
            .conn
            .prepare_cached("SELECT list FROM list_subscriptions ORDER BY since")?
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        ids.iter()
            .filter_map(|b| ListId::from_bytes(b).ok())
            .map(|l| self.list(l))
            .collect()
    }

    /// The entries of a list, newest first.
    pub fn list_entries(&self, list: ListId) -> Result<Vec<ListEntryView>> {
        let feed = docs::find_feed(&self.conn, list.owner)?.unwrap_or(-1);
        let mut stmt = self.conn.prepare_cached(
            "SELECT target, labels, reason, created_at FROM list_entries
             WHERE feed_id = ?1 AND list = ?2 ORDER BY created_at DESC",
        )?;
        let rows = stmt.query_map(params![feed, i64::from_be_bytes(list.local)], |r| {
            Ok((
                r.get::<_, Vec<u8>>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, i64>(3)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (target, labels, reason, created_at) = row?;
            let Ok(target) = Target::from_bytes(&target) else {
                continue;
            };
            let name = match target {
                Target::Account(a) => name_of(&self.conn, a.as_bytes())?,
                Target::Post(_) => None,
            };
            out.push(ListEntryView {
                target: target.to_string(),
                name,
                labels: labels_of(labels),
                reason,
                created_at,
            });
        }
        Ok(out)
    }

    /// The libp2p identity keys (ed25519 public keys) `account`'s devices
    /// published in its feed.
    pub fn peer_keys(&self, account: AccountId) -> Result<Vec<[u8; 32]>> {
        let Some(feed) = docs::find_feed(&self.conn, account)? else {
            return Ok(Vec::new());
        };
        let keys: Vec<Vec<u8>> = self
            .conn
            .prepare_cached("SELECT peer_key FROM peer_keys WHERE feed_id = ?1")?
            .query_map([feed], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(keys.into_iter().filter_map(|k| k.try_into().ok()).collect())
    }

    /// Every libp2p identity key (ed25519 public key) a device published in
    /// a feed held here, with that feed's account and display name, so a
    /// connected peer can be named by whose computer it is (at most
    /// [`MAX_PEER_KEY_OWNERS`]).
    pub fn peer_key_owners(&self) -> Result<Vec<PeerKeyOwner>> {
        let rows: Vec<(Vec<u8>, Vec<u8>, Option<String>)> = self
            .conn
            .prepare_cached(
                "SELECT k.peer_key, f.account, f.name FROM peer_keys k JOIN feeds f ON f.id = k.feed_id LIMIT ?1",
            )?
            .query_map([MAX_PEER_KEY_OWNERS as i64], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows
            .into_iter()
            .filter_map(|(key, account, name)| {
                Some(PeerKeyOwner {
                    peer_key: key.try_into().ok()?,
                    account: AccountId::from_slice(&account).ok()?,
                    name,
                })
            })
            .collect())
    }
}

/// A device's network key and the account whose feed published it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerKeyOwner {
    /// The libp2p identity key (ed25519 public key).
    pub peer_key: [u8; 32],
    /// The account whose feed names it.
    pub account: AccountId,
    /// That account's display name, if known.
    pub name: Option<String>,
}

/// Most peer keys [`Store::peer_key_owners`] reads.
pub const MAX_PEER_KEY_OWNERS: usize = 100_000;
