//! Moderation operations: blocks, mutes, muted words, moderation lists,
//! subscriptions, reports and the replication policy.
//!
//! Public marks are written to the own feed (and replicate); private ones
//! stay in this home's store. Blocking purges the blocked feed at once.

use kith_core::feed::{FeedKey, FeedValue, Write};
use kith_core::moderation::{
    Label, Labels, ListEntry, Target, check_list_name, check_reason, normalize_muted_word,
};
use kith_core::report::Report;
use kith_core::{AccountId, ListId};
use kith_store::{ListEntryView, ListView, Marks, Policy, ReportView, Scope};
use rand::RngCore;
use serde::{Deserialize, Serialize};

use crate::error::{NodeError, Result};
use crate::node::{Node, now_ms};

/// Everything moderation-related of this home, for a settings screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ModerationOverview {
    /// Blocks, mutes and muted words.
    pub marks: Marks,
    /// Lists this home maintains.
    pub own_lists: Vec<ListView>,
    /// Lists this home subscribes to.
    pub subscriptions: Vec<ListView>,
    /// The replication policy.
    pub policy: Policy,
    /// Open reports sent to this home's lists.
    pub open_reports: u64,
}

/// A list with its entries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ListDetail {
    /// The list.
    pub list: ListView,
    /// Its entries, newest first.
    pub entries: Vec<ListEntryView>,
    /// Whether this home maintains it.
    pub own: bool,
}

fn labels_or_err(labels: &[Label], what: &str) -> Result<Labels> {
    let set = Labels::of(labels.iter().copied());
    if set.is_empty() {
        return Err(NodeError::Invalid(format!(
            "{what} needs at least one label (spam, harassment, violence, sexual, misleading, other)"
        )));
    }
    Ok(set)
}

impl Node {
    fn me(&self) -> Result<AccountId> {
        Ok(self.identity()?.account)
    }

    fn not_me(&self, account: AccountId, what: &str) -> Result<()> {
        if account == self.me()? {
            return Err(NodeError::Invalid(format!("you cannot {what} yourself")));
        }
        Ok(())
    }

    fn own_has(&mut self, key: &FeedKey) -> Result<bool> {
        let me = self.me()?;
        Ok(self.store.read_feed(me, |doc| doc.get(key).is_some())?)
    }

    /// Blocks an account: nothing of it is shown, stored or relayed here
    /// from now on, and what was stored is purged (database, log, blobs).
    /// A public block is recorded in the own feed; a follow ends.
    pub fn block(&mut self, account: AccountId, public: bool) -> Result<()> {
        self.not_me(account, "block")?;
        let mut writes = Vec::new();
        if public {
            writes.push(Write::Put(
                FeedKey::Block(account),
                FeedValue::Timestamp(now_ms()),
            ));
        }
        if self.own_has(&FeedKey::Follow(account))? {
            writes.push(Write::Delete(FeedKey::Follow(account)));
        }
        if !writes.is_empty() {
            self.write(&writes, None)?;
        }
        if !public {
            self.store.set_private_block(account, true, now_ms())?;
        }
        self.store.purge_account(account)?;
        self.effects.carried = true;
        Ok(())
    }

    /// Ends a block (public and private).
    pub fn unblock(&mut self, account: AccountId) -> Result<()> {
        let public = self.own_has(&FeedKey::Block(account))?;
        let private = self.store.set_private_block(account, false, now_ms())?;
        if public {
            self.write(&[Write::Delete(FeedKey::Block(account))], None)?;
        }
        if !public && !private {
            return Err(NodeError::Invalid(format!("you do not block {account}")));
        }
        self.effects.carried = true;
        Ok(())
    }

    /// Mutes an account: its posts leave timelines and search here but are
    /// still stored and relayed.
    pub fn mute(&mut self, account: AccountId, public: bool) -> Result<()> {
        self.not_me(account, "mute")?;
        if public {
            self.write(
                &[Write::Put(
                    FeedKey::Mute(account),
                    FeedValue::Timestamp(now_ms()),
                )],
                None,
            )?;
        } else {
            self.store.set_private_mute(account, true, now_ms())?;
        }
        Ok(())
    }

    /// Ends a mute (public and private).
    pub fn unmute(&mut self, account: AccountId) -> Result<()> {
        let public = self.own_has(&FeedKey::Mute(account))?;
        let private = self.store.set_private_mute(account, false, now_ms())?;
        if public {
            self.write(&[Write::Delete(FeedKey::Mute(account))], None)?;
        }
        if !public && !private {
            return Err(NodeError::Invalid(format!("you do not mute {account}")));
        }
        Ok(())
    }

    /// Mutes a word or `#hashtag`; returns it normalised.
    pub fn mute_word(&mut self, word: &str, public: bool) -> Result<String> {
        let word = normalize_muted_word(word)?;
        if public {
            self.write(
                &[Write::Put(
                    FeedKey::MutedWord(word.clone()),
                    FeedValue::Timestamp(now_ms()),
                )],
                None,
            )?;
        } else {
            self.store.set_private_muted_word(&word, true, now_ms())?;
        }
        Ok(word)
    }

    /// Ends a muted word (public and private).
    pub fn unmute_word(&mut self, word: &str) -> Result<String> {
        let word = normalize_muted_word(word)?;
        let key = FeedKey::MutedWord(word.clone());
        let public = self.own_has(&key)?;
        let private = self.store.set_private_muted_word(&word, false, now_ms())?;
        if public {
            self.write(&[Write::Delete(key)], None)?;
        }
        if !public && !private {
            return Err(NodeError::Invalid(format!("you do not mute “{word}”")));
        }
        Ok(word)
    }

    /// Creates a moderation list in the own feed.
    pub fn create_list(&mut self, name: &str) -> Result<ListId> {
        let name = name.trim();
        check_list_name(name)?;
        let owner = self.me()?;
        let local = self.store.read_feed(owner, |doc| {
            let mut local = [0u8; 8];
            loop {
                rand::rngs::OsRng.fill_bytes(&mut local);
                if doc.get(&FeedKey::List(local)).is_none() {
                    return local;
                }
            }
        })?;
        self.write(
            &[Write::Put(
                FeedKey::List(local),
                FeedValue::Str(name.to_owned()),
            )],
            None,
        )?;
        Ok(ListId { owner, local })
    }

    fn own_list(&mut self, list: ListId) -> Result<()> {
        if list.owner != self.me()? {
            return Err(NodeError::Invalid(format!(
                "list {list} is maintained by another account; only its maintainer can change it"
            )));
        }
        if !self.own_has(&FeedKey::List(list.local))? {
            return Err(NodeError::NotFound(format!("list {list}")));
        }
        Ok(())
    }

    /// Adds (or replaces) an entry of an own list.
    pub fn list_add(
        &mut self,
        list: ListId,
        target: Target,
        labels: &[Label],
        reason: &str,
    ) -> Result<()> {
        self.own_list(list)?;
        let labels = labels_or_err(labels, "a list entry")?;
        check_reason(reason)?;
        let entry = ListEntry {
            labels,
            created_at: now_ms(),
            reason: reason.trim().to_owned(),
        };
        self.write(
            &[Write::Put(
                FeedKey::ListEntry(list.local, target),
                FeedValue::Bytes(entry.encode()),
            )],
            None,
        )?;
        Ok(())
    }

    /// Removes an entry of an own list.
    pub fn list_remove(&mut self, list: ListId, target: Target) -> Result<()> {
        self.own_list(list)?;
        let key = FeedKey::ListEntry(list.local, target);
        if !self.own_has(&key)? {
            return Err(NodeError::NotFound(format!("{target} on list {list}")));
        }
        self.write(&[Write::Delete(key)], None)?;
        Ok(())
    }

    /// Subscribes to a list (or changes its settings): labels in `hide`
    /// are hidden, those in `warn` covered, the others ignored. The
    /// maintainer's feed is carried from now on so the list replicates.
    pub fn subscribe(&mut self, list: ListId, hide: &[Label], warn: &[Label]) -> Result<()> {
        if self.store.is_blocked(list.owner)? {
            return Err(NodeError::Invalid(format!(
                "you block {}, the maintainer of this list; unblock them first",
                list.owner
            )));
        }
        let (hide, warn) = (
            Labels::of(hide.iter().copied()),
            Labels::of(warn.iter().copied()),
        );
        if hide.0 & warn.0 != 0 {
            return Err(NodeError::Invalid(
                "a label is either hidden or covered, not both".into(),
            ));
        }
        self.store.subscribe_list(list, hide, warn, now_ms())?;
        self.effects.carried = true;
        Ok(())
    }

    /// Ends a subscription.
    pub fn unsubscribe(&mut self, list: ListId) -> Result<()> {
        if !self.store.unsubscribe_list(list)? {
            return Err(NodeError::Invalid(format!(
                "you do not subscribe to {list}"
            )));
        }
        self.effects.carried = true;
        Ok(())
    }

    /// Blocks, mutes, lists, subscriptions and policy in one answer.
    pub fn moderation(&self) -> Result<ModerationOverview> {
        let me = self.me()?;
        Ok(ModerationOverview {
            marks: self.store.marks()?,
            own_lists: self.store.lists_of(me)?,
            subscriptions: self.store.subscriptions()?,
            policy: self.store.policy()?,
            open_reports: self.store.inbox(false)?.len() as u64,
        })
    }

    /// One list and its entries.
    pub fn list(&self, list: ListId) -> Result<ListDetail> {
        let view = self.store.list(list)?;
        if view.name.is_none() && !view.subscribed {
            return Err(NodeError::NotFound(format!(
                "list {list} (subscribe to it, or wait until its maintainer's feed arrives)"
            )));
        }
        Ok(ListDetail {
            entries: self.store.list_entries(list)?,
            own: list.owner == self.me()?,
            list: view,
        })
    }

    /// Writes a signed report about `target` and queues it for the
    /// maintainer of `to`, or of every subscribed list when `to` is
    /// `None`. Returns the queued reports.
    pub fn report(
        &mut self,
        target: Target,
        labels: &[Label],
        text: &str,
        to: Option<ListId>,
    ) -> Result<Vec<ReportView>> {
        let labels = labels_or_err(labels, "a report")?;
        check_reason(text)?;
        let lists = if let Some(l) = to {
            vec![l]
        } else {
            let me = self.me()?;
            let subs: Vec<ListId> = self
                .store
                .subscriptions()?
                .into_iter()
                .map(|l| l.id)
                .filter(|l| l.owner != me)
                .collect();
            if subs.is_empty() {
                return Err(NodeError::Invalid(
                    "you subscribe to no list of someone else; say which list receives the report (kith report … --to LIST)".into(),
                ));
            }
            subs
        };
        let id = self.identity()?.clone();
        let key = self.device_key.clone().ok_or_else(|| {
            NodeError::Invalid(
                "the device key is locked; unlock it with the passphrase first".into(),
            )
        })?;
        let mut ids = Vec::new();
        for list in lists {
            if to.is_some()
                && !self.store.list(list)?.subscribed
                && self.store.peer_keys(list.owner)?.is_empty()
            {
                return Err(NodeError::Invalid(format!(
                    "this node does not know how to reach the maintainer of {list}; subscribe to the list (or follow its maintainer) first"
                )));
            }
            if list.owner == id.account {
                return Err(NodeError::Invalid(format!(
                    "list {list} is your own; add the entry to it directly instead of reporting"
                )));
            }
            let report = Report {
                reporter: id.account,
                list,
                target,
                labels,
                created_at: now_ms(),
                text: text.trim().to_owned(),
            };
            let signed = report.sign(&key, &id.certificate)?;
            ids.push(hex::encode(self.store.queue_report(
                &report,
                &signed,
                now_ms(),
            )?));
        }
        self.effects.reports = true;
        Ok(self
            .store
            .outbox()?
            .into_iter()
            .filter(|r| ids.contains(&r.id))
            .collect())
    }

    /// Accepts a report received over the network: verified, addressed to
    /// an own list, not from a blocked account. Returns whether it was new.
    pub fn receive_report(&mut self, signed: &[u8]) -> Result<bool> {
        let report = Report::open_signed(signed)?;
        if self.store.is_blocked(report.reporter)? {
            return Ok(false);
        }
        Ok(self.store.receive_report(&report, signed, now_ms())?)
    }

    /// Accepts a received report, adding its target to the list with its
    /// labels and text in one step, or dismisses it.
    pub fn resolve_report(&mut self, id: &str, accept: bool) -> Result<ReportView> {
        let (report, _) = self.store.inbox_report(id)?;
        if accept {
            let labels: Vec<Label> = report.labels.iter().collect();
            self.list_add(report.list, report.target, &labels, &report.text)?;
        }
        self.store
            .set_report_status(id, if accept { "accepted" } else { "dismissed" })?;
        Ok(self.store.inbox_report(id)?.1)
    }

    /// Changes the replication policy; `None` leaves a field as it is.
    pub fn set_policy(&mut self, scope: Option<Scope>, peer_rate: Option<u32>) -> Result<Policy> {
        let mut policy = self.store.policy()?;
        if let Some(s) = scope {
            policy.scope = s;
        }
        if let Some(r) = peer_rate {
            if r == 0 {
                return Err(NodeError::Invalid(
                    "a peer rate of 0 would refuse every pushed change; give at least 1".into(),
                ));
            }
            policy.peer_rate = r;
        }
        self.store.set_policy(policy)?;
        self.effects.carried = true;
        Ok(policy)
    }

    /// Records this device's libp2p identity key in the own feed (once),
    /// so that peers holding the feed can reach this device, for example
    /// to deliver reports.
    pub fn publish_peer_key(&mut self, peer_key: [u8; 32]) -> Result<bool> {
        let device = self.identity()?.device;
        let key = FeedKey::Peer(device);
        let me = self.me()?;
        let current = self.store.read_feed(me, |doc| doc.get(&key))?;
        if current == Some(FeedValue::Bytes(peer_key.to_vec())) {
            return Ok(false);
        }
        self.write(
            &[Write::Put(key, FeedValue::Bytes(peer_key.to_vec()))],
            None,
        )?;
        Ok(true)
    }
}
