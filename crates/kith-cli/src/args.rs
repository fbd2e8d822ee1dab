//! The command line, as clap sees it.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

const EXAMPLES: &str = "\
Examples:
  kith init --name Ada                      create an identity (asks for a passphrase)
  kith post 'Hello, Kith!'                  publish a post
  kith post 'Spoilers ahead' --cw 'film'    a post behind a content warning
  kith follow kith1...                      follow an account
  kith timeline --limit 20                  read the home timeline
  kith post 'Hi @kith1...'                  mention an account (shown by its name)
  kith activity                             replies, mentions, reactions to you
  kith export --out /media/usb/kith.bundle  carry feeds on a USB stick
  kith import /media/usb/kith.bundle        and bring them in on another machine
  kith block kith1...                       never show, store or relay an account again
  kith list subscribe kithlist1... --hide spam --warn sexual
                                            apply a moderation list you trust
  kith verify-package Kith_0.2.0_amd64.deb  is this package genuine? (kith-manifest.txt beside it)
  kith share-app --minutes 10               give Kith to someone nearby: a page on your LAN
  KITH_PASSPHRASE=... kith --json post hi   for scripts: JSON out, passphrase from the environment";

/// Kith: an offline-first, peer-to-peer social network with no server.
#[derive(Debug, Parser)]
#[command(name = "kith", version, after_help = EXAMPLES)]
pub struct Cli {
    /// Home directory holding keys and data [default: the platform data directory].
    #[arg(long, global = true, env = "KITH_HOME", value_name = "DIR")]
    pub home: Option<PathBuf>,
    /// Print exactly one JSON document on stdout (errors go to stderr).
    #[arg(long, global = true)]
    pub json: bool,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a new account and this device; prints the recovery phrase.
    Init {
        /// Display name.
        #[arg(long)]
        name: Option<String>,
    },
    /// Restore an account from its 24-word recovery phrase (read from stdin) as a new device.
    Restore,
    /// Change the passphrase that encrypts this home's keys, or set a new
    /// one with the recovery phrase when it is forgotten.
    Passphrase {
        /// change or reset.
        #[command(subcommand)]
        action: PassphraseAction,
    },
    /// Show this home's account and device.
    Id,
    /// Show or change a profile.
    Profile {
        /// show or set.
        #[command(subcommand)]
        action: ProfileAction,
    },
    /// Publish a post.
    #[command(
        after_help = "Example: kith post 'Le café est prêt' --cw 'caféine' --image photo.jpg"
    )]
    Post {
        /// The text.
        text: String,
        /// A content warning shown before the text.
        #[arg(long, value_name = "WARNING")]
        cw: Option<String>,
        /// Attach an image (up to 4).
        #[arg(long = "image", value_name = "FILE")]
        images: Vec<PathBuf>,
        /// Describe the images, in order, for people who cannot see them (one --alt per --image; "" for none).
        #[arg(long = "alt", value_name = "DESCRIPTION")]
        descriptions: Vec<String>,
    },
    /// Reply to a post.
    Reply {
        /// The post answered.
        post_id: String,
        /// The text.
        text: String,
        /// A content warning.
        #[arg(long, value_name = "WARNING")]
        cw: Option<String>,
    },
    /// Repost a post, optionally quoting it with your own text.
    Repost {
        /// The post reposted.
        post_id: String,
        /// Your text above the quoted post.
        #[arg(long, value_name = "TEXT")]
        quote: Option<String>,
    },
    /// React to a post with an emoji.
    React {
        /// The post.
        post_id: String,
        /// The reaction, e.g. 👍.
        emoji: String,
    },
    /// Take back your reaction to a post.
    Unreact {
        /// The post.
        post_id: String,
        /// The reaction to take back, e.g. 👍.
        emoji: String,
    },
    /// Replace the text of one of your posts (its id stays), and its content warning or image descriptions.
    #[command(
        after_help = "Example: kith edit kithpost1… 'Le café est prêt !' --cw 'caféine' --alt 'Une tasse fumante'"
    )]
    Edit {
        /// The post.
        post_id: String,
        /// The new text.
        text: String,
        /// A new content warning (without --cw or --no-cw the warning stays).
        #[arg(long, conflicts_with = "no_cw")]
        cw: Option<String>,
        /// Remove the content warning.
        #[arg(long)]
        no_cw: bool,
        /// New descriptions of the post's images, in order (one --alt per image; "" for none). Without --alt they stay.
        #[arg(long = "alt", value_name = "DESCRIPTION")]
        alt: Vec<String>,
    },
    /// Delete one of your posts: its words and images are erased from disk here and on every peer that gets the deletion.
    Delete {
        /// The post.
        post_id: String,
    },
    /// Follow an account, by its id or by an invite code (which also says where to reach it).
    Follow {
        /// The account id (kith1…) or an invite code (kith:…).
        account: String,
    },
    /// Stop following an account.
    Unfollow {
        /// The account id (kith1…).
        account: String,
    },
    /// List the accounts you follow, or that another account follows (most recent first).
    Following {
        /// Whose follows [default: yours].
        account: Option<String>,
        #[command(flatten)]
        page: FollowsPage,
    },
    /// List the feeds on this computer that follow you, or another account (most recent first).
    Followers {
        /// Whose followers [default: yours].
        account: Option<String>,
        #[command(flatten)]
        page: FollowsPage,
    },
    /// Your home timeline: your posts and those of people you follow, newest first.
    Timeline {
        /// Posts per page.
        #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u16).range(1..=500))]
        limit: u16,
        /// Continue after this cursor (the `next` of the previous page).
        #[arg(long, value_name = "CURSOR")]
        before: Option<String>,
    },
    /// What others did with you and your posts: replies, mentions, quotes,
    /// reposts and reactions, newest first.
    Activity {
        /// Items per page.
        #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u16).range(1..=500))]
        limit: u16,
        /// Continue after this cursor (the `next` of the previous page).
        #[arg(long, value_name = "CURSOR")]
        before: Option<String>,
    },
    /// One account's posts, newest first.
    Feed {
        /// The account id (kith1…).
        account: String,
        /// Posts per page.
        #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u16).range(1..=500))]
        limit: u16,
        /// Continue after this cursor.
        #[arg(long, value_name = "CURSOR")]
        before: Option<String>,
    },
    /// A post with the posts it answers and every reply to it.
    Thread {
        /// The post.
        post_id: String,
    },
    /// Search every post this home holds, newest first: whole words, case
    /// and accents ignored; a last word of four letters or more that no
    /// post has finds the words it begins.
    Search {
        /// Words to find.
        query: String,
        /// Most results.
        #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u16).range(1..=500))]
        limit: u16,
        /// Continue after this cursor (the `next` of the previous page).
        #[arg(long, value_name = "CURSOR")]
        before: Option<String>,
    },
    /// Write feeds to a bundle file (for a USB stick).
    Export {
        /// The file to write.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// A feed to include (repeatable) [default: yours and every followed feed].
        #[arg(long = "feed", value_name = "ACCOUNT")]
        feeds: Vec<String>,
        /// Also put the Kith package(s) this home keeps and their signed
        /// manifest beside the bundle, for someone who has no Kith yet.
        #[arg(long)]
        with_installer: bool,
    },
    /// Read a bundle file; it is verified whole before anything is stored.
    Import {
        /// The bundle.
        file: PathBuf,
    },
    /// Run this node on the network in the foreground (Ctrl-C stops it).
    #[command(
        after_help = "Example: kith serve --listen /ip4/0.0.0.0/tcp/4001 --bootstrap /ip4/192.168.1.20/tcp/4001/p2p/12D3KooW..."
    )]
    Serve {
        /// An address to listen on (repeatable) [default: every interface, a free TCP and QUIC port].
        #[arg(long, value_name = "MULTIADDR")]
        listen: Vec<String>,
        /// A peer to dial at start (repeatable); it should end in /p2p/PEER_ID.
        #[arg(long, value_name = "MULTIADDR")]
        bootstrap: Vec<String>,
        /// Do not look for peers on the LAN with mDNS.
        #[arg(long)]
        no_mdns: bool,
        /// Also serve as a relay for peers that cannot reach each other directly.
        #[arg(long)]
        relay: bool,
        /// Seconds between mDNS queries on the LAN.
        #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600), hide = true)]
        mdns_interval: u64,
    },
    /// The running node's addresses (with its peer id).
    Addrs,
    /// Connect the running node to a peer.
    Connect {
        /// The peer's address, ending in /p2p/PEER_ID.
        addr: String,
    },
    /// Peers the running node is connected to, and the peers it found on the LAN.
    Peers,
    /// Turn the running node's LAN discovery (mDNS) on or off, until it stops.
    Lan {
        /// `on` or `off`.
        state: Switch,
    },
    /// Make the running node listen on exactly these addresses, until it
    /// stops (if one cannot be used, it keeps listening where it did).
    #[command(
        after_help = "Example: kith listen /ip4/0.0.0.0/tcp/4001 /ip4/0.0.0.0/udp/4001/quic-v1"
    )]
    Listen {
        /// The addresses (multiaddrs).
        #[arg(required = true, value_name = "MULTIADDR")]
        addrs: Vec<String>,
    },
    /// Per feed: changes held, peers holding it, when it was last in sync with a peer, a sync in progress.
    SyncStatus,
    /// Print an invite code (your account and the running node's addresses) to share.
    Invite,
    /// Measure this machine (ingest, queries, size, sync, memory, moderation), or write a fixture bundle.
    Bench {
        /// Which benchmark.
        which: BenchKind,
        /// Size of the data set: changes for ingest, sync-store and catchup-net; posts for query, size,
        /// moderation, sync and fixture; the feed's changes for catchup; followers for propagation;
        /// feeds for memory. Each has a smallest size, which it names.
        #[arg(long)]
        n: Option<u64>,
        /// Where `fixture` writes its bundle.
        #[arg(long, value_name = "FILE")]
        out: Option<std::path::PathBuf>,
        /// Words in each of `fixture`'s posts (8 to 40 at random if not
        /// given; a post's text holds at most 8,192 bytes).
        #[arg(long, value_parser = clap::value_parser!(u16).range(1..=1000))]
        words: Option<u16>,
        /// For `sync`: how many of the feed's newest changes the sender made
        /// after its last snapshot (a feed is folded into its snapshot
        /// every 256 changes or so; 0 if not given).
        #[arg(long, value_name = "CHANGES", value_parser = clap::value_parser!(u16).range(0..=256))]
        after_snapshot: Option<u16>,
    },
    /// Block an account: nothing of it is shown, stored or relayed here, and
    /// what was stored is purged (a follow ends).
    Block {
        /// The account (`kith1…`).
        account: String,
        /// Record the block in your feed, where others can see it.
        #[arg(long)]
        public: bool,
    },
    /// End a block.
    Unblock {
        /// The account (`kith1…`).
        account: String,
    },
    /// Mute an account: its posts leave your timeline and search (they are
    /// still stored and relayed).
    Mute {
        /// The account (`kith1…`).
        account: String,
        /// Record the mute in your feed, where others can see it.
        #[arg(long)]
        public: bool,
    },
    /// End a mute.
    Unmute {
        /// The account (`kith1…`).
        account: String,
    },
    /// Hide posts containing a word or #hashtag (a word also hides its hashtag).
    MuteWord {
        /// One word or `#hashtag`.
        word: String,
        /// Record it in your feed, where others can see it.
        #[arg(long)]
        public: bool,
        /// Stop muting the word.
        #[arg(long, conflicts_with = "public")]
        remove: bool,
    },
    /// Moderation lists: create and maintain your own, subscribe to others'.
    List {
        #[command(subcommand)]
        action: ListAction,
    },
    /// Report an account or post to the maintainers of a list (queued
    /// while they are offline, delivered when their node is reachable).
    #[command(
        after_help = "Example: kith report kithpost1... --label harassment --text 'threats in replies'"
    )]
    Report {
        /// The account (`kith1…`) or post (`kithpost1…`).
        target: String,
        /// What is wrong: spam, harassment, violence, sexual, misleading or other.
        #[arg(long = "label", value_name = "LABEL", required = true, value_parser = parse_label)]
        labels: Vec<kith_core::moderation::Label>,
        /// The list whose maintainer receives it (default: every list you subscribe to).
        #[arg(long, value_name = "LIST")]
        to: Option<String>,
        /// What you want the maintainer to know.
        #[arg(long, default_value = "")]
        text: String,
    },
    /// Reports sent to the lists you maintain (accept one to list its target).
    Reports {
        #[command(subcommand)]
        action: Option<ReportsAction>,
        /// Include accepted and dismissed reports.
        #[arg(long)]
        all: bool,
        /// Show the reports you sent, and whether they were delivered.
        #[arg(long, conflicts_with = "all")]
        sent: bool,
    },
    /// Your blocks, mutes, muted words, lists, subscriptions and policy.
    Moderation,
    /// Show or change which feeds this node carries and how fast a peer may push.
    Policy {
        /// `follows` or `follows-of-follows`.
        #[arg(long, value_name = "SCOPE")]
        replicate: Option<String>,
        /// Changes one peer may push per minute; more are dropped.
        #[arg(long, value_name = "N")]
        peer_rate: Option<u32>,
    },
    /// Check that a Kith package file is genuine: listed in a manifest signed
    /// by Kith's release key, with the same size, SHA-256 and BLAKE3.
    #[command(
        after_help = "Example: kith verify-package Kith_0.2.0_amd64.deb --manifest kith-manifest.txt\nExit status 0 when genuine, 1 when not (the reason is printed)."
    )]
    VerifyPackage {
        /// The package (.deb or .rpm).
        file: PathBuf,
        /// The signed manifest [default: kith-manifest.txt beside the package].
        #[arg(long, value_name = "FILE")]
        manifest: Option<PathBuf>,
    },
    /// Show the Kith release this home keeps to hand on (share page, USB
    /// bundle, updates to peers), or add one.
    Installer {
        /// add (or nothing, to show).
        #[command(subcommand)]
        action: Option<InstallerAction>,
    },
    /// Offer Kith on a small read-only web page on the LAN, for someone who
    /// has no Kith yet (stops by itself).
    #[command(after_help = "Example: kith share-app --listen 192.168.1.20 --minutes 10")]
    ShareApp {
        /// Where to listen: IP or IP:PORT [default: this machine's one LAN
        /// address, port 4180].
        #[arg(long, value_name = "ADDR")]
        listen: Option<String>,
        /// Minutes before the page stops by itself (1 to 240).
        #[arg(long, default_value_t = 15)]
        minutes: u32,
    },
    /// Kith updates learnt from peers: show them, download one (verified).
    Update {
        /// Download the newest update offered, from the peers that announced it.
        #[arg(long)]
        download: bool,
    },
    /// Print shell completions (bash, zsh, fish, elvish, powershell).
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

/// Installer subcommands.
#[derive(Debug, Subcommand)]
pub enum InstallerAction {
    /// Verify packages against their signed manifest and keep them to hand on.
    Add {
        /// The package files (.deb, .rpm).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// The signed manifest [default: kith-manifest.txt beside the first package].
        #[arg(long, value_name = "FILE")]
        manifest: Option<PathBuf>,
    },
}

/// Which page of a list of follows.
#[derive(Debug, Clone, clap::Args)]
pub struct FollowsPage {
    /// Accounts per page.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u16).range(1..=500))]
    pub limit: u16,
    /// Continue after this cursor (the `next` of the previous page).
    #[arg(long, value_name = "CURSOR")]
    pub before: Option<String>,
}

/// Profile subcommands.
#[derive(Debug, Subcommand)]
pub enum ProfileAction {
    /// Change your profile.
    Set {
        /// Display name.
        #[arg(long)]
        name: Option<String>,
        /// Biography.
        #[arg(long)]
        bio: Option<String>,
        /// Profile picture.
        #[arg(long, value_name = "FILE")]
        avatar: Option<PathBuf>,
    },
    /// Show a profile (yours by default).
    Show {
        /// The account id (kith1…).
        account: Option<String>,
    },
}

/// Reads a moderation label.
fn parse_label(s: &str) -> Result<kith_core::moderation::Label, String> {
    s.parse().map_err(|e: kith_core::CoreError| e.to_string())
}

/// `kith list` subcommands.
#[derive(Debug, Subcommand)]
pub enum ListAction {
    /// Create a list in your feed.
    Create {
        /// Its name.
        name: String,
    },
    /// Add an account or post to one of your lists.
    #[command(
        after_help = "Example: kith list add kithlist1... kith1... --label spam --reason 'bulk adverts'"
    )]
    Add {
        /// The list (`kithlist1…`).
        list: String,
        /// The account (`kith1…`) or post (`kithpost1…`).
        target: String,
        /// Why: spam, harassment, violence, sexual, misleading or other.
        #[arg(long = "label", value_name = "LABEL", required = true, value_parser = parse_label)]
        labels: Vec<kith_core::moderation::Label>,
        /// The reason subscribers read.
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Remove an entry from one of your lists.
    Remove {
        /// The list (`kithlist1…`).
        list: String,
        /// The account or post.
        target: String,
    },
    /// Subscribe to a list (again to change its settings): labels given with
    /// --hide are hidden, with --warn covered; the others are ignored.
    Subscribe {
        /// The list (`kithlist1…`).
        list: String,
        /// Labels to hide.
        #[arg(long, value_name = "LABEL", value_parser = parse_label)]
        hide: Vec<kith_core::moderation::Label>,
        /// Labels to cover with a warning.
        #[arg(long, value_name = "LABEL", value_parser = parse_label)]
        warn: Vec<kith_core::moderation::Label>,
    },
    /// End a subscription.
    Unsubscribe {
        /// The list (`kithlist1…`).
        list: String,
    },
    /// A list and its entries.
    Show {
        /// The list (`kithlist1…`).
        list: String,
    },
}

/// `kith reports` subcommands.
#[derive(Debug, Subcommand)]
pub enum ReportsAction {
    /// Add the report's target to the list, with its labels and text.
    Accept {
        /// The report id (at least 8 hex digits).
        id: String,
    },
    /// Close the report without listing anything.
    Dismiss {
        /// The report id (at least 8 hex digits).
        id: String,
    },
}

/// On or off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Switch {
    /// On.
    On,
    /// Off.
    Off,
}

/// What `kith passphrase` does.
#[derive(Debug, Subcommand)]
pub enum PassphraseAction {
    /// Change it: the current passphrase (`KITH_PASSPHRASE` or asked), then
    /// the new one (`KITH_NEW_PASSPHRASE` or asked twice).
    Change,
    /// Forgotten: the 24-word recovery phrase (read from stdin) sets a new
    /// one (`KITH_PASSPHRASE` or asked twice); this computer becomes a new
    /// device of the account. Refused while a node runs on the home.
    Reset,
}

/// The benchmarks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BenchKind {
    /// Verify + apply + persist signed changes.
    Ingest,
    /// Timeline pages and full-text queries.
    Query,
    /// Bytes on disk per post.
    Size,
    /// Answering a peer that is 10 changes behind on a large feed.
    Catchup,
    /// Initial sync of an n-post feed between two `kith serve` processes on loopback.
    Sync,
    /// Initial sync of an n-change feed between two stores in one process (no network).
    SyncStore,
    /// Catch-up of 10 missing changes of an n-change feed between two processes.
    CatchupNet,
    /// Propagation of posts from an author to n follower processes.
    Propagation,
    /// Resident memory of a node carrying n feeds of 1,000 posts.
    Memory,
    /// What moderation costs timeline pages (muted words, a 10k-entry list) and how long a purge takes.
    Moderation,
    /// Not a measurement: writes a bundle of n signed posts by n/500 authors
    /// (`--out FILE`), to import into a home before measuring the desktop app.
    Fixture,
}

#[cfg(test)]
mod tests {
    use clap::{CommandFactory, ValueEnum};

    use super::{BenchKind, Cli};

    /// The first line of a subcommand's help.
    fn about(name: &str) -> String {
        Cli::command()
            .find_subcommand(name)
            .and_then(|c| c.get_about().map(ToString::to_string))
            .unwrap_or_default()
    }

    #[test]
    fn each_subcommand_help_begins_with_its_own_summary() {
        assert!(
            about("block").starts_with("Block an account"),
            "{}",
            about("block")
        );
        assert!(
            about("completions").starts_with("Print shell completions"),
            "{}",
            about("completions")
        );
        let top = Cli::command().render_help().to_string();
        assert!(top.starts_with("Kith: an offline-first"), "{top}");
    }

    #[test]
    fn bench_help_and_the_readme_name_every_benchmark() {
        let help = Cli::command()
            .find_subcommand_mut("bench")
            .map(|c| c.render_long_help().to_string())
            .unwrap_or_default();
        let readme = include_str!("../../../README.md");
        let line = readme
            .lines()
            .find(|l| l.starts_with("`kith bench "))
            .unwrap_or_default();
        let listed: Vec<&str> = line
            .trim_start_matches("`kith bench ")
            .split([' ', '`'])
            .next()
            .unwrap_or_default()
            .split('|')
            .collect();
        let mut names = Vec::new();
        for kind in BenchKind::value_variants() {
            let name = kind.to_possible_value().map(|v| v.get_name().to_owned());
            let name = name.unwrap_or_default();
            assert!(
                help.contains(&format!("- {name}:")),
                "{name} missing from\n{help}"
            );
            assert!(
                listed.contains(&name.as_str()),
                "{name} missing from README: {line}"
            );
            names.push(name);
        }
        assert_eq!(
            listed, names,
            "README lists benchmarks the code lacks: {line}"
        );
    }
}
