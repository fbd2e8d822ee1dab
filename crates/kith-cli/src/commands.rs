//! Running each subcommand.

use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};

use anyhow::{Context, anyhow};
use indicatif::{ProgressBar, ProgressStyle};
use kith_core::{AccountId, PostId};
use kith_node::Node;

use crate::args::{Cli, Command, PassphraseAction};
use crate::{bench, moderate, net, ops, output, passphrase, release};

fn default_home() -> anyhow::Result<PathBuf> {
    kith_node::default_home()
        .ok_or_else(|| anyhow!("no home directory found: pass --home DIR or set KITH_HOME"))
}

pub(crate) fn post_id(s: &str) -> anyhow::Result<PostId> {
    Ok(s.parse()?)
}

pub(crate) fn account_id(s: &str) -> anyhow::Result<AccountId> {
    Ok(s.parse()?)
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
pub(crate) fn existing(home: &Path) -> anyhow::Result<Node> {
    if !home.join(kith_node::IDENTITY_FILE).exists() {
        return Err(kith_node::NodeError::NoIdentity(home.display().to_string()).into());
    }
    let node = Node::open(home)?;
    node.identity()?;
    Ok(node)
}

pub(crate) fn unlocked(home: &Path) -> anyhow::Result<Node> {
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

pub(crate) fn done(json: bool, value: &serde_json::Value, human: &str) -> anyhow::Result<()> {
    if json {
        output::json(value)
    } else {
        outln!("{human}")
    }
}

/// Runs the command line.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    let json = cli.json;
    if let Command::Completions { shell } = cli.command {
        let mut cmd = <Cli as clap::CommandFactory>::command();
        // Written whole here, then to stdout: clap_complete panics on a
        // failed write (`kith completions bash | head -1`).
        let mut script = Vec::new();
        clap_complete::generate(shell, &mut cmd, "kith", &mut script);
        return output::write_stdout_bytes(&script);
    }
    if let Command::Bench {
        which,
        n,
        out,
        words,
        after_snapshot,
    } = cli.command
    {
        return bench::run(
            which,
            n,
            out.as_deref(),
            (
                words.map(usize::from),
                after_snapshot.map_or(0, usize::from),
            ),
            json,
        );
    }
    let home = match cli.home {
        Some(h) => h,
        None => default_home()?,
    };
    match cli.command {
        c @ (Command::Init { .. } | Command::Restore | Command::Passphrase { .. }) => {
            identity(c, &home, json)
        }
        c @ (Command::Id
        | Command::Profile { .. }
        | Command::Post { .. }
        | Command::Reply { .. }
        | Command::Repost { .. }
        | Command::React { .. }
        | Command::Unreact { .. }
        | Command::Edit { .. }
        | Command::Delete { .. }
        | Command::Follow { .. }
        | Command::Unfollow { .. }
        | Command::Following { .. }
        | Command::Followers { .. }
        | Command::Timeline { .. }
        | Command::Activity { .. }
        | Command::Feed { .. }
        | Command::Thread { .. }
        | Command::Search { .. }) => ops::run(&c, &home, json),
        c @ (Command::Block { .. }
        | Command::Unblock { .. }
        | Command::Mute { .. }
        | Command::Unmute { .. }
        | Command::MuteWord { .. }
        | Command::List { .. }
        | Command::Report { .. }
        | Command::Reports { .. }
        | Command::Moderation
        | Command::Policy { .. }) => moderate::run(&c, &home, json),
        c @ (Command::Export { .. } | Command::Import { .. }) => {
            release::around_transfer(c, &home, json, |c| {
                if ops::node_running(&home) {
                    ops::run(&c, &home, json)
                } else {
                    transfer(c, &home, json)
                }
            })
        }
        c @ (Command::VerifyPackage { .. }
        | Command::Installer { .. }
        | Command::ShareApp { .. }
        | Command::Update { .. }) => release::run(c, &home, json),
        c @ (Command::Serve { .. }
        | Command::Addrs
        | Command::Connect { .. }
        | Command::Peers
        | Command::Lan { .. }
        | Command::Listen { .. }
        | Command::SyncStatus
        | Command::Invite) => net::run(c, &home, json),
        Command::Completions { .. } | Command::Bench { .. } => unreachable!("handled above"),
    }
}
/// Creating or restoring an identity.
fn identity(command: Command, home: &Path, json: bool) -> anyhow::Result<()> {
    match command {
        Command::Init { name } => {
            refuse_existing_identity(home)?;
            if let Some(name) = &name {
                check_name(name)?;
            }
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
            let phrase = read_phrase(json)?;
            let passphrase = passphrase::new()?;
            let mut node = Node::open(home)?;
            let created = node.restore(&phrase, &passphrase)?;
            let human = format!(
                "Restored account {}\nNew device:     {}\nImport a bundle from your other device to get your posts: kith import FILE",
                created.account, created.device
            );
            done(json, &serde_json::to_value(&created)?, &human)?;
        }
        Command::Passphrase {
            action: PassphraseAction::Change,
        } => {
            if !home.join(kith_node::IDENTITY_FILE).exists() {
                return Err(kith_node::NodeError::NoIdentity(home.display().to_string()).into());
            }
            let current = passphrase::existing()?;
            let next = passphrase::changed()?;
            Node::change_passphrase(home, &current, &next)?;
            done(
                json,
                &serde_json::json!({ "changed": true }),
                "Passphrase changed.",
            )?;
        }
        Command::Passphrase {
            action: PassphraseAction::Reset,
        } => {
            let _lock = kith_node::HomeLock::acquire(home, "kith passphrase reset")?;
            let phrase = read_phrase(json)?;
            let passphrase = passphrase::new()?;
            let mut node = existing(home)?;
            let reset = node.reset_passphrase(&phrase, &passphrase)?;
            let human = format!(
                "New passphrase set for account {}\nThis computer is now its device {}",
                reset.account, reset.device
            );
            done(
                json,
                &serde_json::json!({ "account": reset.account, "device": reset.device }),
                &human,
            )?;
        }
        _ => unreachable!("routed by run"),
    }
    Ok(())
}

/// Refuses a display name the feed schema refuses (too long, control
/// characters) before a passphrase is asked; `Node::init` checks it too,
/// before writing anything.
fn check_name(name: &str) -> anyhow::Result<()> {
    use kith_core::feed::{FeedKey, FeedValue};
    // The name's bounds are the same in every account's feed.
    let any_account = AccountId([0; 32]);
    FeedKey::Name.check_value(any_account, &FeedValue::Str(name.trim().to_owned()))?;
    Ok(())
}

/// The 24-word recovery phrase, from stdin (a prompt says so on a terminal).
fn read_phrase(json: bool) -> anyhow::Result<String> {
    if std::io::stdin().is_terminal() && !json {
        eprintln!("Type or paste your 24-word recovery phrase, then press Ctrl-D:");
    }
    let mut phrase = String::new();
    std::io::stdin()
        .take(4096)
        .read_to_string(&mut phrase)
        .context("reading the phrase from stdin")?;
    Ok(phrase)
}

/// Bundle export and import.
fn transfer(command: Command, home: &Path, json: bool) -> anyhow::Result<()> {
    match command {
        Command::Export { out, feeds, .. } => {
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
            done(json, &v, &ops::export_summary(&out, &v))?;
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
            done(json, &v, &ops::import_summary(&v))?;
        }
        _ => unreachable!("routed by run"),
    }
    Ok(())
}
