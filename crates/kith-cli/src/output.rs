//! Printing results for people and for scripts.

use std::io::Write;

use kith_node::{ActivityKind, ActivityPage, FollowPage, NodeError, Page, PostView};

use crate::args::Command;
use serde::Serialize;

/// Prints one JSON document on stdout.
pub fn json<T: Serialize>(value: &T) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    let text = serde_json::to_string_pretty(value)?;
    match writeln!(out, "{text}") {
        // The reader went away (`| head`): nothing more to say.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

/// Prints an error on stderr (as JSON with `--json`).
pub fn error(json: bool, e: &anyhow::Error) {
    let code = e
        .downcast_ref::<NodeError>()
        .map(NodeError::code)
        .or_else(|| {
            e.downcast_ref::<kith_net::ControlError>()
                .map(|c| c.code.as_str())
        })
        .unwrap_or("error");
    if json {
        let doc = serde_json::json!({ "error": { "code": code, "message": format!("{e:#}") } });
        eprintln!("{doc}");
    } else {
        eprintln!("error: {e:#}");
    }
}

fn when(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60
    )
}

/// Prints a post for a person.
pub fn post(p: &PostView, indent: usize) {
    let pad = " ".repeat(indent);
    let name = p.author_name.clone().unwrap_or_else(|| "(unknown)".into());
    let mut head = format!("{pad}{name} · {}", when(p.created_at));
    if p.edited {
        head.push_str(" · edited");
    }
    println!("{head}");
    if let Some(m) = &p.moderation {
        let verb = match m.action {
            kith_store::ModAction::Hide => "hidden",
            kith_store::ModAction::Warn => "covered",
        };
        println!("{pad}  [{verb}: {}]", m.reasons.join("; "));
    }
    if p.deleted {
        println!("{pad}  [deleted]");
    } else {
        if let Some(cw) = &p.cw {
            println!("{pad}  [CW: {cw}]");
        }
        match p.text_with_names() {
            Some(named) => {
                for line in named.lines() {
                    println!("{pad}  {line}");
                }
            }
            None if p.quote_of.is_some() => {}
            None => println!("{pad}  (text not received yet)"),
        }
        if let Some(q) = &p.quote_of {
            println!("{pad}  ↻ {q}");
        }
        if !p.attachments.is_empty() {
            println!("{pad}  [{} image(s)]", p.attachments.len());
        }
        for (i, d) in p.descriptions.iter().enumerate() {
            if !d.is_empty() {
                println!("{pad}  [image {}: {d}]", i + 1);
            }
        }
        if !p.reactions.is_empty() {
            let r: Vec<String> = p
                .reactions
                .iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect();
            println!("{pad}  {}", r.join("  "));
        }
    }
    println!("{pad}  {}", p.id);
    println!();
}

/// Prints a page of activity for a person.
pub fn activity(page: &ActivityPage) {
    if page.items.is_empty() {
        println!(
            "Nothing yet. Replies, mentions, quotes, reposts and reactions to your posts show here."
        );
    }
    for item in &page.items {
        let who = item
            .actor_name
            .clone()
            .unwrap_or_else(|| item.actor.to_string());
        let what = match item.kind {
            ActivityKind::Reply => "replied to you".to_owned(),
            ActivityKind::Mention => "mentioned you".to_owned(),
            ActivityKind::Quote => "quoted your post".to_owned(),
            ActivityKind::Repost => "reposted your post".to_owned(),
            ActivityKind::Reaction => format!(
                "reacted {} to your post",
                item.reaction.as_deref().unwrap_or_default()
            ),
        };
        println!("{who} {what} · {}", when(item.at));
        match (&item.post, &item.target) {
            (Some(p), _) if p.text.is_some() => post(p, 2),
            (_, Some(t)) => post(t, 2),
            _ => println!(),
        }
    }
    if let Some(next) = &page.next {
        println!("more: --before {next}");
    }
}

/// Prints a page for a person.
pub fn page(page: &Page, empty: &str) {
    if page.posts.is_empty() {
        println!("{empty}");
    }
    for p in &page.posts {
        post(p, 0);
    }
    if let Some(next) = &page.next {
        println!("more: --before {next}");
    }
}

/// Prints a page of follows for a person: one account per line, its
/// name (or "(not on this computer)"), its id, and whether you follow it.
pub fn follows(command: &Command, own: bool, page: &FollowPage) {
    if page.accounts.is_empty() && page.next.is_none() {
        println!(
            "{}",
            match (command, own) {
                (Command::Followers { .. }, true) =>
                    "No feed on this computer follows you yet. Share your invite: kith invite",
                (Command::Followers { .. }, false) => "No feed on this computer follows them.",
                (_, true) => "You follow no one yet: kith follow ACCOUNT",
                (_, false) => "They follow no one, as far as this computer knows.",
            }
        );
    }
    for f in &page.accounts {
        let name = f.name.as_deref().unwrap_or("(not on this computer)");
        let mark = if f.followed { "  · you follow" } else { "" };
        println!("{name}  {}{mark}", f.account);
    }
    if let Some(next) = &page.next {
        println!("more: --before {next}");
    }
}
