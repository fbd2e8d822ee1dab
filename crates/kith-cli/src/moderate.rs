//! Moderation commands: blocks, mutes, muted words, lists, reports and the
//! replication policy. Like other node operations they run on the running
//! node when there is one, else on the home directory.

use std::fmt::Write as _;
use std::path::Path;

use kith_core::ListId;
use kith_core::moderation::Target;
use kith_node::{ListDetail, ModerationOverview, Request};
use kith_store::{ListView, Policy, ReportView};
use serde_json::Value;

use crate::args::{Command, ListAction, ReportsAction};
use crate::commands::{account_id, done};
use crate::ops::dispatch;
use crate::output;

fn list_id(s: &str) -> anyhow::Result<ListId> {
    Ok(s.parse()?)
}

fn target(s: &str) -> anyhow::Result<Target> {
    Ok(s.parse()?)
}

/// Turns a moderation command into a node request.
fn request(command: &Command) -> anyhow::Result<Request> {
    Ok(match command {
        Command::Block { account, public } => Request::Block {
            account: account_id(account)?,
            public: *public,
        },
        Command::Unblock { account } => Request::Unblock {
            account: account_id(account)?,
        },
        Command::Mute { account, public } => Request::Mute {
            account: account_id(account)?,
            public: *public,
        },
        Command::Unmute { account } => Request::Unmute {
            account: account_id(account)?,
        },
        Command::MuteWord {
            word,
            public,
            remove,
        } => Request::MuteWord {
            word: word.clone(),
            public: *public,
            remove: *remove,
        },
        Command::List { action } => match action {
            ListAction::Create { name } => Request::ListCreate { name: name.clone() },
            ListAction::Add {
                list,
                target: t,
                labels,
                reason,
            } => Request::ListAdd {
                list: list_id(list)?,
                target: target(t)?,
                labels: labels.clone(),
                reason: reason.clone(),
            },
            ListAction::Remove { list, target: t } => Request::ListRemove {
                list: list_id(list)?,
                target: target(t)?,
            },
            ListAction::Subscribe { list, hide, warn } => Request::ListSubscribe {
                list: list_id(list)?,
                hide: hide.clone(),
                warn: warn.clone(),
            },
            ListAction::Unsubscribe { list } => Request::ListUnsubscribe {
                list: list_id(list)?,
            },
            ListAction::Show { list } => Request::ListShow {
                list: list_id(list)?,
            },
        },
        Command::Report {
            target: t,
            labels,
            to,
            text,
        } => Request::Report {
            target: target(t)?,
            labels: labels.clone(),
            text: text.clone(),
            to: to.as_deref().map(list_id).transpose()?,
        },
        Command::Reports {
            action: None,
            all,
            sent,
        } => Request::Reports {
            all: *all,
            sent: *sent,
        },
        Command::Reports {
            action: Some(a), ..
        } => match a {
            ReportsAction::Accept { id } => Request::ResolveReport {
                id: id.clone(),
                accept: true,
            },
            ReportsAction::Dismiss { id } => Request::ResolveReport {
                id: id.clone(),
                accept: false,
            },
        },
        Command::Moderation => Request::Moderation,
        Command::Policy {
            replicate,
            peer_rate,
        } => Request::Policy {
            scope: replicate.as_deref().map(str::parse).transpose()?,
            peer_rate: *peer_rate,
        },
        other => anyhow::bail!("{other:?} is not a moderation command"),
    })
}

fn text(value: &Value, key: &str) -> String {
    value
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

fn print_list(l: &ListView) -> anyhow::Result<()> {
    let name = l.name.as_deref().unwrap_or("(not received yet)");
    let by = l.owner_name.as_deref().unwrap_or("(unknown)");
    let mut line = format!("{name} · by {by} · {} entries", l.entries);
    if l.subscribed {
        let labels = |l: &[String]| {
            if l.is_empty() {
                "-".to_owned()
            } else {
                l.join(",")
            }
        };
        let _ = write!(
            line,
            " · hide: {} · warn: {}",
            labels(&l.hide),
            labels(&l.warn)
        );
    }
    outln!("{line}\n  {}", l.id)
}

fn print_report(r: &ReportView) -> anyhow::Result<()> {
    outln!(
        "{}  [{}]  {} · to {}",
        &r.id[..12],
        r.status,
        r.labels.join(","),
        r.list_name.as_deref().unwrap_or("(unknown list)")
    )?;
    outln!(
        "  about {}\n  from {} {}",
        r.target,
        r.reporter_name.as_deref().unwrap_or("(unknown)"),
        r.reporter
    )?;
    if !r.text.is_empty() {
        outln!("  “{}”", r.text)?;
    }
    Ok(())
}

/// Prints an answer for people.
fn human(command: &Command, value: &Value) -> anyhow::Result<()> {
    let visibility = |public: bool| if public { "publicly" } else { "privately" };
    match command {
        Command::Block { public, .. } => outln!(
            "Blocked {} {}: nothing of theirs is shown, stored or relayed here, and what was stored is gone.",
            text(value, "blocked"),
            visibility(*public)
        )?,
        Command::Unblock { .. } => outln!("Unblocked {}", text(value, "unblocked"))?,
        Command::Mute { public, .. } => outln!(
            "Muted {} {}: their posts leave your timeline and search.",
            text(value, "muted"),
            visibility(*public)
        )?,
        Command::Unmute { .. } => outln!("Unmuted {}", text(value, "unmuted"))?,
        Command::MuteWord { remove: true, .. } => {
            outln!("No longer muting “{}”", text(value, "unmuted_word"))?;
        }
        Command::MuteWord { public, .. } => outln!(
            "Muting “{}” {}",
            text(value, "muted_word"),
            visibility(*public)
        )?,
        Command::List {
            action: ListAction::Subscribe { .. },
        } => print_list(&serde_json::from_value::<ListView>(value.clone())?)?,
        Command::List {
            action: ListAction::Unsubscribe { .. },
        } => outln!("Unsubscribed from {}", text(value, "unsubscribed"))?,
        Command::List { .. } => {
            let d: ListDetail = serde_json::from_value(value.clone())?;
            print_list(&d.list)?;
            for e in &d.entries {
                let reason = if e.reason.is_empty() {
                    String::new()
                } else {
                    format!(" — {}", e.reason)
                };
                outln!(
                    "  {} {} [{}]{reason}",
                    e.target,
                    e.name.as_deref().unwrap_or(""),
                    e.labels.join(",")
                )?;
            }
        }
        Command::Report { .. } => {
            let queued: Vec<ReportView> =
                serde_json::from_value(value.get("queued").cloned().unwrap_or_default())?;
            for r in &queued {
                outln!(
                    "Report {} for {} queued; it is delivered when the maintainer's node is reachable (kith reports --sent).",
                    &r.id[..12],
                    r.list_name.as_deref().unwrap_or("the list")
                )?;
            }
        }
        Command::Reports { action: None, .. } => {
            let reports: Vec<ReportView> =
                serde_json::from_value(value.get("reports").cloned().unwrap_or_default())?;
            if reports.is_empty() {
                outln!("No reports.")?;
            }
            for r in &reports {
                print_report(r)?;
            }
        }
        Command::Reports {
            action: Some(_), ..
        } => {
            print_report(&serde_json::from_value::<ReportView>(value.clone())?)?;
        }
        Command::Moderation => print_overview(&serde_json::from_value(value.clone())?)?,
        Command::Policy { .. } => print_policy(serde_json::from_value::<Policy>(value.clone())?)?,
        _ => output::json(value)?,
    }
    Ok(())
}

fn print_overview(m: &ModerationOverview) -> anyhow::Result<()> {
    let marks = |title: &str, marks: &[kith_store::Mark]| -> anyhow::Result<()> {
        if marks.is_empty() {
            outln!("{title}: none")?;
        } else {
            outln!("{title}:")?;
        }
        for mark in marks {
            outln!(
                "  {} {}{}",
                mark.target,
                mark.name.as_deref().unwrap_or(""),
                if mark.public { " (public)" } else { "" }
            )?;
        }
        Ok(())
    };
    marks("Blocked", &m.marks.blocks)?;
    marks("Muted", &m.marks.mutes)?;
    marks("Muted words", &m.marks.words)?;
    outln!("Your lists:")?;
    for l in &m.own_lists {
        print_list(l)?;
    }
    outln!("Subscribed lists:")?;
    for l in &m.subscriptions {
        print_list(l)?;
    }
    outln!("Open reports: {}", m.open_reports)?;
    print_policy(m.policy)
}

fn print_policy(p: Policy) -> anyhow::Result<()> {
    let scope = match p.scope {
        kith_store::Scope::Follows => "follows",
        kith_store::Scope::FollowsOfFollows => "follows-of-follows",
    };
    outln!(
        "Replicating: {scope} · a peer may push {} changes a minute",
        p.peer_rate
    )
}

/// Runs a moderation command and prints its answer.
pub fn run(command: &Command, home: &Path, json: bool) -> anyhow::Result<()> {
    let value = dispatch(home, request(command)?)?;
    if json {
        return done(json, &value, "");
    }
    human(command, &value)
}
