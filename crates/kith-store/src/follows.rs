//! Who follows whom, as far as this home knows: the accounts a feed held
//! here follows, and the feeds held here that follow an account. A
//! network with no directory is found through these lists: the people a
//! friend follows are one click from being followed too.

use kith_core::AccountId;
use rusqlite::params;
use serde::{Deserialize, Serialize};

use crate::Store;
use crate::docs;
use crate::error::{Result, StoreError};

/// Which way a list of follows goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum FollowDirection {
    /// The accounts an account follows (from its feed, when held here).
    Following,
    /// The feeds held here that follow an account. Feeds this computer
    /// does not hold are not counted: no one knows every follower.
    Followers,
}

/// One account in a list of follows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct FollowView {
    /// The account.
    #[cfg_attr(feature = "specta", specta(type = String))]
    pub account: AccountId,
    /// Its display name, when its feed is held here.
    pub name: Option<String>,
    /// Its avatar blob hash (hex), if any.
    pub avatar: Option<String>,
    /// Whether its feed is on this computer.
    pub held: bool,
    /// Whether this home follows it.
    pub followed: bool,
    /// When the follow began (ms since the epoch), as the follower's feed
    /// says.
    #[cfg_attr(feature = "specta", specta(type = f64))]
    pub since: i64,
}

/// A page of a list of follows, most recent follows first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct FollowPage {
    /// The accounts of this page (those moderation hides left out).
    pub accounts: Vec<FollowView>,
    /// Pass to `before` for the next page, if there is more. A follow
    /// made or ended between pages neither repeats nor hides another.
    pub next: Option<String>,
}

/// The accounts feed `?1` follows, most recent first, after the follow
/// (`?3` since, `?4` account).
const FOLLOWING: &str = "
    SELECT w.target, t.name, t.avatar, coalesce(t.change_count > 0, 0),
           w.target IN (SELECT target FROM follows WHERE feed_id IN own_feed), w.since
    FROM follows w LEFT JOIN feeds t ON t.account = w.target
    WHERE w.feed_id = ?1 AND (w.since < ?3 OR (w.since = ?3 AND w.target > ?4))
    ORDER BY w.since DESC, w.target
    LIMIT ?2";

/// The feeds held here that follow account `?1`, most recent first, after
/// the follow (`?3` since, `?4` account).
const FOLLOWERS: &str = "
    SELECT f.account, f.name, f.avatar, f.change_count > 0,
           f.account IN (SELECT target FROM follows WHERE feed_id IN own_feed), w.since
    FROM follows w JOIN feeds f ON f.id = w.feed_id
    WHERE w.target = ?1 AND (w.since < ?3 OR (w.since = ?3 AND f.account > ?4))
    ORDER BY w.since DESC, f.account
    LIMIT ?2";

/// A place in a list of follows: the follow's time and the account listed
/// (`<since>.<account hex>`).
fn cursor(since: i64, account: &[u8]) -> String {
    format!("{since}.{}", hex::encode(account))
}

/// The follow a cursor names; before the first when there is none.
fn parse_cursor(before: Option<&str>) -> Result<(i64, Vec<u8>)> {
    let Some(c) = before else {
        return Ok((i64::MAX, Vec::new()));
    };
    let bad = || StoreError::bad_cursor(c);
    let (since, account) = c.split_once('.').ok_or_else(bad)?;
    let account = hex::decode(account).map_err(|_| bad())?;
    if account.len() != 32 {
        return Err(bad());
    }
    Ok((since.parse().map_err(|_| bad())?, account))
}

impl Store {
    /// One page of the accounts `account` follows, or of the feeds held
    /// here that follow it: `limit` follows after the cursor `before` (a
    /// page's `next`). Accounts this home blocks or hides are left out of
    /// the page (so a page may be shorter than `limit` and still have a
    /// next one).
    pub fn follows(
        &self,
        account: AccountId,
        direction: FollowDirection,
        limit: u32,
        before: Option<&str>,
    ) -> Result<FollowPage> {
        let (after_since, after_account) = parse_cursor(before)?;
        let (sql, key) = match direction {
            FollowDirection::Following => match docs::find_feed(&self.conn, account)? {
                Some(feed) => (FOLLOWING, rusqlite::types::Value::Integer(feed)),
                None => {
                    return Ok(FollowPage {
                        accounts: Vec::new(),
                        next: None,
                    });
                }
            },
            FollowDirection::Followers => (
                FOLLOWERS,
                rusqlite::types::Value::Blob(account.as_bytes().to_vec()),
            ),
        };
        let mut stmt = self.conn.prepare_cached(sql)?;
        let rows = stmt.query_map(params![key, limit, after_since, after_account], |r| {
            Ok((
                r.get::<_, Vec<u8>>(0)?,
                r.get::<_, Option<String>>(1)?,
                r.get::<_, Option<Vec<u8>>>(2)?,
                r.get::<_, bool>(3)?,
                r.get::<_, bool>(4)?,
                r.get::<_, i64>(5)?,
            ))
        })?;
        let judge = self.judge()?;
        let mut accounts = Vec::new();
        let mut read = 0u32;
        let mut last = None;
        for row in rows {
            let (target, name, avatar, held, followed, since) = row?;
            read += 1;
            last = Some(cursor(since, &target));
            let target = AccountId::from_slice(&target)?;
            if !judge.account_shown(target) {
                continue;
            }
            accounts.push(FollowView {
                account: target,
                name,
                avatar: avatar.map(hex::encode),
                held,
                followed,
                since,
            });
        }
        let next = if read == limit { last } else { None };
        Ok(FollowPage { accounts, next })
    }
}
