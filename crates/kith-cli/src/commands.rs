//! Running each subcommand.

use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};

use anyhow::{Context, anyhow, bail};
use indicatif::{ProgressBar, ProgressStyle};
use kith_core::{AccountId, PostId};
use kith_node::{NewPost, Node};
use serde_json::json;

use crate::args::{Cli, Command, ProfileAction};
use crate::{bench, output, passphrase};

fn default_home() -> anyhow::Result<PathBuf> {
    directories::ProjectDirs::from("org", "Kith", "kith")
        .map(|d| d.data_dir().to_owned())
        .ok_or_else(|| anyhow!("no home directory found: pass --home DIR or set KITH_HOME"))
}

fn post_id(s: &str) -> anyhow::Result<PostId> {
    Ok(s.parse()?)
}

fn account_id(s: &str) -> anyhow::Result<AccountId> {
    Ok(s.parse()?)
}

fn read_file(path: &Path, what: &str) -> anyhow::Result<Vec<u8>> {
    let meta = std::fs::metadata(path).with_context(|| format!("{what} {}", path.display()))?;
    if meta.len() > kith_core::limits::MAX_BLOB_BYTES as u64 {
        bail!(
            "{what} {} is {} bytes; the limit is {} bytes",
            path.display(),
            meta.len(),
            kith_core::limits::MAX_BLOB_BYTES
        );
    }
    std::fs::read(path).with_context(|| format!("reading {what} {}", path.display()))
}

/// Refuses a home that already holds an identity, before asking for
/// anything or creating any file.
fn refuse_existing_identity(home: &Path) -> anyhow::Result<()> {
    if let Some(id) = kith_node::Identity::read(home)? {
        return Err(kith_node::NodeError::AlreadyInitialized(
            home.display().to_string(),
            id.account.to_string(),
        )
        .into());
    }
    Ok(())
}

/// Opens a home that must already hold an identity (never creates one).
fn existing(home: &Path) -> anyhow::Result<Node> {
    if !home.join(kith_node::IDENTITY_FILE).exists() {
        return Err(kith_node::NodeError::NoIdentity(home.display().to_string()).into());
    }
    let node = Node::open(home)?;
    node.identity()?;
    Ok(node)
}

fn unlocked(home: &Path) -> anyhow::Result<Node> {
    let mut node = existing(home)?;
    node.unlock(&passphrase::existing()?)?;
    Ok(node)
}

fn progress_bar(json: bool, what: &str) -> ProgressBar {
    if json || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} ({eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_message(what.to_owned());
    bar
}

fn done(json: bool, value: &serde_json::Value, human: &str) -> anyhow::Result<()> {
    if json {
        output::json(value)
    } else {
        println!("{human}");
        Ok(())
    }
}

/// Runs the command line.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    let json = cli.json;
    if let Command::Completions { shell } = cli.command {
        let mut cmd = <Cli as clap::CommandFactory>::command();
        clap_complete::generate(shell, &mut cmd, "kith", &mut std::io::stdout());
        return Ok(());
    }
    if let Command::Bench { which, n } = cli.command {
        return bench::run(which, n, json);
    }
    let home = match cli.home {
        Some(h) => h,
        None => default_home()?,
    };
    match cli.command {
        c @ (Command::Init { .. } | Command::Restore | Command::Id | Command::Profile { .. }) => {
            identity(c, &home, json)
        }
        c @ (Command::Post { .. }
        | Command::Reply { .. }
        | Command::Repost { .. }
        | Command::React { .. }
        | Command::Edit { .. }
        | Command::Delete { .. }
        | Command::Follow { .. }
        | Command::Unfollow { .. }) => write(c, &home, json),
        c @ (Command::Following
        | Command::Timeline { .. }
        | Command::Feed { .. }
        | Command::Thread { .. }
        | Command::Search { .. }) => read(c, &home, json),
        c @ (Command::Export { .. } | Command::Import { .. }) => transfer(c, &home, json),
        Command::Completions { .. } | Command::Bench { .. } => unreachable!("handled above"),
    }
}
/// Identity and profile commands.
fn identity(command: Command, home: &Path, json: bool) -> anyhow::Result<()> {
    match command {
        Command::Init { name } => {
            refuse_existing_identity(home)?;
            let passphrase = passphrase::new()?;
            let mut node = Node::open(home)?;
            let created = node.init(name.as_deref(), &passphrase)?;
            let human = format!(
                "Account: {}\nDevice:  {}\n\nYour recovery phrase (write it down; it is the only way to restore your account):\n\n  {}\n",
                created.account, created.device, created.phrase
            );
            done(json, &serde_json::to_value(&created)?, &human)?;
        }
        Command::Restore => {
            refuse_existing_identity(home)?;
            if std::io::stdin().is_terminal() && !json {
                eprintln!("Type or paste your 24-word recovery phrase, then press Ctrl-D:");
            }
            let mut phrase = String::new();
            std::io::stdin()
                .take(4096)
                .read_to_string(&mut phrase)
                .context("reading the phrase from stdin")?;
            let passphrase = passphrase::new()?;
            let mut node = Node::open(home)?;
            let created = node.restore(&phrase, &passphrase)?;
            let human = format!(
                "Restored account {}\nNew device:     {}\nImport a bundle from your other device to get your posts: kith import FILE",
                created.account, created.device
            );
            done(json, &serde_json::to_value(&created)?, &human)?;
        }
        Command::Id => {
            let node = existing(home)?;
            let id = node.identity()?;
            let name = node.store().profile(id.account)?.and_then(|p| p.name);
            let v = json!({ "account": id.account, "device": id.device, "name": name });
            done(
                json,
                &v,
                &format!(
                    "Account: {}\nDevice:  {}\nName:    {}",
                    id.account,
                    id.device,
                    name.as_deref().unwrap_or("(none)")
                ),
            )?;
        }
        Command::Profile {
            action: ProfileAction::Set { name, bio, avatar },
        } => {
            let avatar = avatar.map(|p| read_file(&p, "avatar")).transpose()?;
            let mut node = unlocked(home)?;
            node.set_profile(name.as_deref(), bio.as_deref(), avatar.as_deref())?;
            let p = node.profile(None)?;
            if json {
                output::json(&p)?;
            } else {
                println!(
                    "Profile updated: {}",
                    p.name.as_deref().unwrap_or("(no name)")
                );
            }
        }
        Command::Profile {
            action: ProfileAction::Show { account },
        } => {
            let node = existing(home)?;
            let account = account.as_deref().map(account_id).transpose()?;
            let p = node.profile(account)?;
            if json {
                output::json(&p)?;
            } else {
                println!(
                    "{}\n{}",
                    p.name.as_deref().unwrap_or("(no name)"),
                    p.account
                );
                if let Some(b) = &p.bio {
                    println!("\n{b}\n");
                }
                println!("{} posts · following {}", p.posts, p.following);
            }
        }
        _ => unreachable!("routed by run"),
    }
    Ok(())
}

/// Commands that sign and store a change.
fn write(command: Command, home: &Path, json: bool) -> anyhow::Result<()> {
    match command {
        Command::Post { text, cw, images } => {
            let images = images
                .iter()
                .map(|p| read_file(p, "image"))
                .collect::<anyhow::Result<Vec<_>>>()?;
            let mut node = unlocked(home)?;
            let id = node.post(NewPost {
                text: Some(text),
                cw,
                images,
                ..NewPost::default()
            })?;
            done(json, &json!({ "id": id }), &format!("Posted {id}"))?;
        }
        Command::Reply {
            post_id: p,
            text,
            cw,
        } => {
            let target = post_id(&p)?;
            let mut node = unlocked(home)?;
            let id = node.post(NewPost {
                text: Some(text),
                cw,
                reply_to: Some(target),
                ..NewPost::default()
            })?;
            done(json, &json!({ "id": id }), &format!("Replied {id}"))?;
        }
        Command::Repost { post_id: p, quote } => {
            let target = post_id(&p)?;
            let mut node = unlocked(home)?;
            let id = node.post(NewPost {
                text: quote,
                quote_of: Some(target),
                ..NewPost::default()
            })?;
            done(json, &json!({ "id": id }), &format!("Reposted as {id}"))?;
        }
        Command::React { post_id: p, emoji } => {
            let target = post_id(&p)?;
            let mut node = unlocked(home)?;
            node.react(&target, &emoji)?;
            done(
                json,
                &json!({ "post": target, "reaction": emoji }),
                &format!("Reacted {emoji}"),
            )?;
        }
        Command::Edit { post_id: p, text } => {
            let target = post_id(&p)?;
            let mut node = unlocked(home)?;
            node.edit(&target, &text)?;
            done(json, &json!({ "id": target, "edited": true }), "Edited")?;
        }
        Command::Delete { post_id: p } => {
            let target = post_id(&p)?;
            let mut node = unlocked(home)?;
            node.delete(&target)?;
            done(json, &json!({ "id": target, "deleted": true }), "Deleted")?;
        }
        Command::Follow { account } => {
            let a = account_id(&account)?;
            let mut node = unlocked(home)?;
            node.follow(a)?;
            done(json, &json!({ "following": a }), &format!("Following {a}"))?;
        }
        Command::Unfollow { account } => {
            let a = account_id(&account)?;
            let mut node = unlocked(home)?;
            node.unfollow(a)?;
            done(
                json,
                &json!({ "unfollowed": a }),
                &format!("No longer following {a}"),
            )?;
        }
        _ => unreachable!("routed by run"),
    }
    Ok(())
}

/// Commands that only read the store.
fn read(command: Command, home: &Path, json: bool) -> anyhow::Result<()> {
    match command {
        Command::Following => {
            let node = existing(home)?;
            let list = node.following()?;
            if json {
                let v: Vec<_> = list
                    .iter()
                    .map(|(a, n)| json!({ "account": a, "name": n }))
                    .collect();
                output::json(&json!({ "following": v }))?;
            } else if list.is_empty() {
                println!("You follow no one yet: kith follow ACCOUNT");
            } else {
                for (a, n) in list {
                    println!("{}  {a}", n.as_deref().unwrap_or("(unknown)"));
                }
            }
        }
        Command::Timeline { limit, before } => {
            let node = existing(home)?;
            let page = node.timeline(usize::from(limit), before.as_deref())?;
            if json {
                output::json(&page)?;
            } else {
                output::page(&page, "Nothing yet. Post something, or follow someone.");
            }
        }
        Command::Feed {
            account,
            limit,
            before,
        } => {
            let a = account_id(&account)?;
            let node = existing(home)?;
            let page = node.feed(a, usize::from(limit), before.as_deref())?;
            if json {
                output::json(&page)?;
            } else {
                output::page(&page, "No posts from this account here.");
            }
        }
        Command::Thread { post_id: p } => {
            let target = post_id(&p)?;
            let node = existing(home)?;
            let page = node.thread(&target)?;
            if json {
                output::json(&page)?;
            } else {
                for post in &page.posts {
                    let indent = if post.id == target { 0 } else { 2 };
                    output::post(post, indent);
                }
            }
        }
        Command::Search { query, limit } => {
            let node = existing(home)?;
            let page = node.search(&query, usize::from(limit))?;
            if json {
                output::json(&page)?;
            } else {
                output::page(&page, "No match.");
            }
        }
        _ => unreachable!("routed by run"),
    }
    Ok(())
}

/// Bundle export and import.
fn transfer(command: Command, home: &Path, json: bool) -> anyhow::Result<()> {
    match command {
        Command::Export { out, feeds } => {
            let feeds = feeds
                .iter()
                .map(|f| account_id(f))
                .collect::<anyhow::Result<Vec<_>>>()?;
            let mut node = existing(home)?;
            node.identity()?;
            let bar = progress_bar(json, "exporting feeds");
            let report = node.export(&feeds, &out, &mut |d, t| {
                bar.set_length(t);
                bar.set_position(d);
            })?;
            bar.finish_and_clear();
            let v = serde_json::to_value(&report)?;
            done(
                json,
                &v,
                &format!(
                    "Wrote {}: {} feed(s), {} changes, {} posts' text, {} blobs",
                    out.display(),
                    report.feeds,
                    report.changes,
                    report.bodies,
                    report.blobs
                ),
            )?;
        }
        Command::Import { file } => {
            let mut node = Node::open(home)?;
            let bar = progress_bar(json, "verifying");
            let report = node
                .import(&file, &mut |d, t| {
                    bar.set_length(t);
                    bar.set_position(d);
                })
                .with_context(|| {
                    format!("{} was rejected; nothing was imported", file.display())
                })?;
            bar.finish_and_clear();
            let v = serde_json::to_value(&report)?;
            done(
                json,
                &v,
                &format!(
                    "Imported {} feed(s): {} new changes ({} already here), {} posts' text, {} blobs",
                    report.feeds, report.changes, report.duplicates, report.bodies, report.blobs
                ),
            )?;
        }
        _ => unreachable!("routed by run"),
    }
    Ok(())
}
