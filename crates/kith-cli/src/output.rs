//! Printing results for people and for scripts.
//!
//! Everything written on stdout goes through [`write_stdout`] (or the
//! [`outln!`] macro over it), never `println!`: a reader that goes away
//! early (`kith timeline | head -1`) makes the write fail with a broken
//! pipe, which `println!` turns into a panic. Here it becomes
//! [`StdoutClosed`], which ends the command quietly with status 0 (see
//! [`exit_quietly`]). SIGPIPE stays ignored, as Rust sets it, so a peer
//! closing a socket on `kith serve` never kills the process.

use std::io::Write;

use kith_node::{ActivityKind, ActivityPage, FollowPage, NodeError, Page, PostView};

use crate::args::Command;
use serde::Serialize;

/// Writes one line on stdout, like `println!`, but returns an error (an
/// `anyhow::Result`) instead of panicking: [`StdoutClosed`] when the reader
/// went away.
macro_rules! outln {
    () => {
        $crate::output::write_stdout(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::output::write_stdout(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// Stdout was closed by its reader (`kith timeline | head -1`): the command
/// stops there, quietly and successfully.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StdoutClosed;

impl std::fmt::Display for StdoutClosed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("stdout was closed by its reader")
    }
}

impl std::error::Error for StdoutClosed {}

/// An error writing on stdout: [`StdoutClosed`] for a broken pipe, else the
/// error, naming stdout (a full disk behind `> file`, say).
fn stdout_error(e: std::io::Error) -> anyhow::Error {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        anyhow::Error::new(StdoutClosed)
    } else {
        anyhow::Error::new(e).context("writing to stdout")
    }
}

/// Writes `args` on stdout (see [`outln!`]).
pub fn write_stdout(args: std::fmt::Arguments<'_>) -> anyhow::Result<()> {
    std::io::stdout()
        .lock()
        .write_fmt(args)
        .map_err(stdout_error)
}

/// Writes `bytes` on stdout as they are.
pub fn write_stdout_bytes(bytes: &[u8]) -> anyhow::Result<()> {
    std::io::stdout()
        .lock()
        .write_all(bytes)
        .map_err(stdout_error)
}

/// Flushes stdout, for the end of a command.
pub fn flush_stdout() -> anyhow::Result<()> {
    std::io::stdout().lock().flush().map_err(stdout_error)
}

/// `result`, except that stdout's reader going away is no failure: for
/// what a command says beside its real work (a server's banner).
pub fn unless_closed(result: anyhow::Result<()>) -> anyhow::Result<()> {
    match result {
        Err(e) if exit_quietly(&e) => Ok(()),
        other => other,
    }
}

/// Whether `e` is only that stdout's reader went away: not worth a word,
/// and not a failure (the reader took what it wanted, as `head` does).
pub fn exit_quietly(e: &anyhow::Error) -> bool {
    e.chain().any(<dyn std::error::Error>::is::<StdoutClosed>)
}

/// Prints one JSON document on stdout.
pub fn json<T: Serialize>(value: &T) -> anyhow::Result<()> {
    let text = serde_json::to_string_pretty(value)?;
    outln!("{text}")
}

/// `e` and its causes for people, each cause once: most of Kith's errors
/// already end with their cause's text (`"{path}: {source}"`, which the
/// desktop app shows alone), so a cause the message so far ends with is
/// not repeated, nor one that only restates the previous cause behind a
/// prefix (SQLite's "Error code 26: file is not a database" under
/// "file is not a database").
pub fn message(e: &anyhow::Error) -> String {
    let mut chain = e.chain();
    let mut text = chain.next().map(ToString::to_string).unwrap_or_default();
    let mut previous = text.clone();
    for cause in chain {
        let said = cause.to_string();
        if !text.ends_with(&said) && !said.ends_with(&previous) {
            text.push_str(": ");
            text.push_str(&said);
        }
        previous = said;
    }
    text
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
    let message = message(e);
    if json {
        let doc = serde_json::json!({ "error": { "code": code, "message": message } });
        eprintln!("{doc}");
    } else {
        eprintln!("error: {message}");
    }
}

/// A time (ms since the Unix epoch) for people, in UTC.
pub(crate) fn when(ms: i64) -> String {
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
pub fn post(p: &PostView, indent: usize) -> anyhow::Result<()> {
    let pad = " ".repeat(indent);
    let name = p.author_name.clone().unwrap_or_else(|| "(unknown)".into());
    let mut head = format!("{pad}{name} · {}", when(p.created_at));
    if p.edited {
        head.push_str(" · edited");
    }
    outln!("{head}")?;
    if let Some(m) = &p.moderation {
        let verb = match m.action {
            kith_store::ModAction::Hide => "hidden",
            kith_store::ModAction::Warn => "covered",
        };
        outln!("{pad}  [{verb}: {}]", m.reasons.join("; "))?;
    }
    if p.deleted {
        outln!("{pad}  [deleted]")?;
    } else {
        if let Some(cw) = &p.cw {
            outln!("{pad}  [CW: {cw}]")?;
        }
        match p.text_with_names() {
            Some(named) => {
                for line in named.lines() {
                    outln!("{pad}  {line}")?;
                }
            }
            None if p.quote_of.is_some() => {}
            None => outln!("{pad}  (text not received yet)")?,
        }
        if let Some(q) = &p.quote_of {
            outln!("{pad}  ↻ {q}")?;
        }
        if !p.attachments.is_empty() {
            outln!("{pad}  [{} image(s)]", p.attachments.len())?;
        }
        for (i, d) in p.descriptions.iter().enumerate() {
            if !d.is_empty() {
                outln!("{pad}  [image {}: {d}]", i + 1)?;
            }
        }
        let counts: Vec<String> = [
            (p.replies, "reply", "replies"),
            (p.reposts, "repost", "reposts"),
        ]
        .into_iter()
        .filter(|(n, _, _)| *n > 0)
        .map(|(n, one, many)| format!("{n} {}", if n == 1 { one } else { many }))
        .collect();
        if !counts.is_empty() {
            outln!("{pad}  {}", counts.join(", "))?;
        }
        if !p.reactions.is_empty() {
            let r: Vec<String> = p
                .reactions
                .iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect();
            outln!("{pad}  {}", r.join("  "))?;
        }
    }
    outln!("{pad}  {}", p.id)?;
    outln!()
}

/// Prints a page of activity for a person.
pub fn activity(page: &ActivityPage) -> anyhow::Result<()> {
    if page.items.is_empty() {
        outln!(
            "Nothing yet. Replies, mentions, quotes, reposts and reactions to your posts show here."
        )?;
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
        outln!("{who} {what} · {}", when(item.at))?;
        match (&item.post, &item.target) {
            (Some(p), _) if p.text.is_some() => post(p, 2)?,
            (_, Some(t)) => post(t, 2)?,
            _ => outln!()?,
        }
    }
    if let Some(next) = &page.next {
        outln!("more: --before {next}")?;
    }
    Ok(())
}

/// Prints a page for a person.
pub fn page(page: &Page, empty: &str) -> anyhow::Result<()> {
    if page.posts.is_empty() {
        outln!("{empty}")?;
    }
    for p in &page.posts {
        post(p, 0)?;
    }
    if let Some(next) = &page.next {
        outln!("more: --before {next}")?;
    }
    Ok(())
}

/// Prints a page of follows for a person: one account per line, its
/// name (or "(not on this computer)"), its id, and whether you follow it.
pub fn follows(command: &Command, own: bool, page: &FollowPage) -> anyhow::Result<()> {
    if page.accounts.is_empty() && page.next.is_none() {
        outln!(
            "{}",
            match (command, own) {
                (Command::Followers { .. }, true) =>
                    "No feed on this computer follows you yet. Share your invite: kith invite",
                (Command::Followers { .. }, false) => "No feed on this computer follows them.",
                (_, true) => "You follow no one yet: kith follow ACCOUNT",
                (_, false) => "They follow no one, as far as this computer knows.",
            }
        )?;
    }
    for f in &page.accounts {
        let name = f.name.as_deref().unwrap_or("(not on this computer)");
        let mark = if f.followed { "  · you follow" } else { "" };
        outln!("{name}  {}{mark}", f.account)?;
    }
    if let Some(next) = &page.next {
        outln!("more: --before {next}")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::message;

    /// An error with a message and maybe a cause, like thiserror makes.
    #[derive(Debug)]
    struct Layer(String, Option<Box<Layer>>);

    impl std::fmt::Display for Layer {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(&self.0)
        }
    }

    impl std::error::Error for Layer {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            self.1.as_deref().map(|l| l as _)
        }
    }

    fn chain(texts: &[&str]) -> anyhow::Error {
        let mut error = None;
        for text in texts.iter().rev() {
            error = Some(Layer((*text).to_owned(), error.map(Box::new)));
        }
        anyhow::Error::new(error.unwrap_or_else(|| Layer(String::new(), None)))
    }

    #[test]
    fn a_cause_already_at_the_end_of_the_message_or_restated_is_said_once() {
        // NodeError::Io over an io::Error, under a context.
        let e = chain(&["x failed", "/a.bundle: No such file", "No such file"])
            .context("x was rejected");
        assert_eq!(
            message(&e),
            "x was rejected: x failed: /a.bundle: No such file"
        );
        // StoreError::Sqlite over rusqlite::Error over its ffi::Error.
        let e = chain(&[
            "database error: file is not a database",
            "file is not a database",
            "Error code 26: file is not a database",
        ]);
        assert_eq!(message(&e), "database error: file is not a database");
        // Causes a message does not tell are all said, in order.
        let e = chain(&["reading the phrase", "stdin closed", "EOF"]);
        assert_eq!(message(&e), "reading the phrase: stdin closed: EOF");
    }
}
