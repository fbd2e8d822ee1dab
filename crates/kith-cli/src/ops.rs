//! Node operations: run by the node of a running `kith serve` (over its
//! control socket) when there is one, so that changes are published at
//! once and reads see live data; otherwise run here on the home directory.

use std::path::{Path, PathBuf};

use anyhow::Context;
use kith_net::{ControlRequest, Invite, control};
use kith_node::{ActivityPage, FollowDirection, FollowPage, Page, PostEdit, ProfileView, Request};
use serde_json::{Value, json};

use crate::args::{Command, FollowsPage, ProfileAction};
use crate::commands::{account_id, done, existing, post_id, unlocked};
use crate::output;

/// Whether a node is serving this home right now.
pub fn node_running(home: &Path) -> bool {
    let socket = control::socket_path(home);
    socket.exists()
        && control::with_socket_path(&socket, |p| std::os::unix::net::UnixStream::connect(p))
            .is_ok()
}

/// A path as the running node (whose working directory differs) must see it.
fn absolute(path: &Path) -> anyhow::Result<PathBuf> {
    std::path::absolute(path).with_context(|| format!("{}", path.display()))
}

/// Runs a request on the running node, or here if none runs.
pub fn dispatch(home: &Path, request: Request) -> anyhow::Result<Value> {
    if !home.join(kith_node::IDENTITY_FILE).exists() {
        return Err(kith_node::NodeError::NoIdentity(home.display().to_string()).into());
    }
    if let Some(value) = control::call(
        home,
        &ControlRequest::Node {
            request: request.clone(),
        },
    )? {
        return Ok(value);
    }
    let mut node = if request.signs() {
        unlocked(home)?
    } else {
        existing(home)?
    };
    Ok(node.handle(request)?)
}

/// The request of `kith post`, `kith reply` or `kith repost`.
fn post_request(command: &Command) -> anyhow::Result<Request> {
    let (text, cw, images, descriptions, reply_to, quote_of) = match command {
        Command::Post {
            text,
            cw,
            images,
            descriptions,
        } => {
            if descriptions.len() > images.len() {
                anyhow::bail!(
                    "{} --alt for {} --image: give one description per image, in order",
                    descriptions.len(),
                    images.len()
                );
            }
            let images = images
                .iter()
                .map(|p| absolute(p))
                .collect::<anyhow::Result<_>>()?;
            (
                Some(text.clone()),
                cw.clone(),
                images,
                descriptions.clone(),
                None,
                None,
            )
        }
        Command::Reply {
            post_id: p,
            text,
            cw,
        } => (
            Some(text.clone()),
            cw.clone(),
            Vec::new(),
            Vec::new(),
            Some(post_id(p)?),
            None,
        ),
        Command::Repost { post_id: p, quote } => (
            quote.clone(),
            None,
            Vec::new(),
            Vec::new(),
            None,
            Some(post_id(p)?),
        ),
        _ => anyhow::bail!("not a post command"),
    };
    Ok(Request::Post {
        text,
        cw,
        images,
        descriptions,
        reply_to,
        quote_of,
    })
}

/// The request for a page of follows (`kith following` or `kith followers`).
fn follows(command: &Command, account: Option<&str>, page: FollowsPage) -> anyhow::Result<Request> {
    Ok(Request::Follows {
        account: account.map(account_id).transpose()?,
        direction: if matches!(command, Command::Followers { .. }) {
            FollowDirection::Followers
        } else {
            FollowDirection::Following
        },
        limit: usize::from(page.limit),
        before: page.before,
    })
}

/// Turns a command into a request.
fn request(command: &Command) -> anyhow::Result<Request> {
    Ok(match command {
        Command::Id => Request::Id,
        Command::Profile {
            action: ProfileAction::Set { name, bio, avatar },
        } => Request::SetProfile {
            name: name.clone(),
            bio: bio.clone(),
            avatar: avatar.as_deref().map(absolute).transpose()?,
        },
        Command::Profile {
            action: ProfileAction::Show { account },
        } => Request::Profile {
            account: account.as_deref().map(account_id).transpose()?,
        },
        Command::Post { .. } | Command::Reply { .. } | Command::Repost { .. } => {
            post_request(command)?
        }
        Command::React { post_id: p, emoji } => Request::React {
            post: post_id(p)?,
            reaction: emoji.clone(),
        },
        Command::Unreact { post_id: p, emoji } => Request::Unreact {
            post: post_id(p)?,
            reaction: emoji.clone(),
        },
        Command::Edit {
            post_id: p,
            text,
            cw,
            no_cw,
            alt,
        } => Request::Edit {
            post: post_id(p)?,
            edit: PostEdit {
                text: text.clone(),
                cw: if *no_cw {
                    Some(String::new())
                } else {
                    cw.clone()
                },
                descriptions: (!alt.is_empty()).then(|| alt.clone()),
            },
        },
        Command::Delete { post_id: p } => Request::Delete { post: post_id(p)? },
        Command::Follow { account } => Request::Follow {
            account: if Invite::looks_like(account) {
                Invite::parse(account)?.account
            } else {
                account_id(account)?
            },
        },
        Command::Unfollow { account } => Request::Unfollow {
            account: account_id(account)?,
        },
        Command::Following { account, page } | Command::Followers { account, page } => {
            follows(command, account.as_deref(), page.clone())?
        }
        Command::Timeline { limit, before } => Request::Timeline {
            limit: usize::from(*limit),
            before: before.clone(),
        },
        Command::Activity { limit, before } => Request::Activity {
            limit: usize::from(*limit),
            before: before.clone(),
        },
        Command::Feed {
            account,
            limit,
            before,
        } => Request::Feed {
            account: account_id(account)?,
            limit: usize::from(*limit),
            before: before.clone(),
        },
        Command::Thread { post_id: p } => Request::Thread { post: post_id(p)? },
        Command::Search {
            query,
            limit,
            before,
        } => Request::Search {
            query: query.clone(),
            limit: usize::from(*limit),
            before: before.clone(),
        },
        Command::Export { out, feeds, .. } => Request::Export {
            out: absolute(out)?,
            feeds: feeds
                .iter()
                .map(|f| account_id(f))
                .collect::<anyhow::Result<_>>()?,
        },
        Command::Import { file } => Request::Import {
            file: absolute(file)?,
        },
        other => anyhow::bail!("{other:?} is not a node operation"),
    })
}

/// Runs a node-operation command and prints its answer.
pub fn run(command: &Command, home: &Path, json: bool) -> anyhow::Result<()> {
    let req = request(command)?;
    let value = dispatch(home, req)?;
    if let Command::Follow { account } = &command
        && Invite::looks_like(account)
    {
        let invite = Invite::parse(account)?;
        let reached = reach(home, &invite)?;
        let mut v = value;
        v["addresses"] = json!(reached);
        return done(
            json,
            &v,
            &format!(
                "Following {} ({} address(es) from the invite {})",
                invite.account,
                invite.addrs.len(),
                if node_running(home) {
                    "dialled"
                } else {
                    "remembered for `kith serve`"
                }
            ),
        );
    }
    if json {
        return output::json(&value);
    }
    human(command, &value)
}

/// Makes an invite's addresses useful: dials them if a node runs, else
/// remembers them so the next `kith serve` dials them.
fn reach(home: &Path, invite: &Invite) -> anyhow::Result<Vec<String>> {
    let addrs: Vec<String> = invite.addrs.iter().map(ToString::to_string).collect();
    if node_running(home) {
        for a in &addrs {
            if let Err(e) = control::call(home, &ControlRequest::Connect { addr: a.clone() }) {
                tracing::warn!(addr = %a, error = %e, "could not reach an invite address");
            }
        }
    } else {
        let node = existing(home)?;
        for addr in &invite.addrs {
            if let Some(peer) = kith_net::swarm::peer_of(addr) {
                node.store().remember_peer(
                    &peer.to_string(),
                    std::slice::from_ref(&addr.to_string()),
                    kith_node::now_ms(),
                )?;
            }
        }
    }
    Ok(addrs)
}

fn text(value: &Value, key: &str) -> String {
    value
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// Prints an answer for people.
fn human(command: &Command, value: &Value) -> anyhow::Result<()> {
    match command {
        Command::Id => outln!(
            "Account: {}\nDevice:  {}\nName:    {}",
            text(value, "account"),
            text(value, "device"),
            value
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or("(none)")
        )?,
        Command::Profile {
            action: ProfileAction::Set { .. },
        } => {
            let p: ProfileView = serde_json::from_value(value.clone())?;
            outln!(
                "Profile updated: {}",
                p.name.as_deref().unwrap_or("(no name)")
            )?;
        }
        Command::Profile {
            action: ProfileAction::Show { .. },
        } => {
            let p: ProfileView = serde_json::from_value(value.clone())?;
            outln!(
                "{}\n{}",
                p.name.as_deref().unwrap_or("(no name)"),
                p.account
            )?;
            if let Some(b) = &p.bio {
                outln!("\n{b}\n")?;
            }
            outln!(
                "{} posts · following {} · {} followers on this computer",
                p.posts,
                p.following,
                p.followers
            )?;
            if p.follows_you {
                outln!("Follows you.")?;
            }
            if p.blocked {
                outln!("You block this account: nothing of it is stored here.")?;
            } else if p.muted {
                outln!("You mute this account.")?;
            } else if !p.held && p.in_home {
                outln!(
                    "You follow this account: its feed arrives from the first peer that carries it."
                )?;
            } else if !p.held {
                outln!(
                    "Nothing of this account is on this computer yet: kith follow {} to fetch it from peers.",
                    p.account
                )?;
            }
            if let Some(m) = &p.moderation {
                for reason in &m.reasons {
                    outln!("  {reason}")?;
                }
            }
        }
        Command::Post { .. } => outln!("Posted {}", text(value, "id"))?,
        Command::Reply { .. } => outln!("Replied {}", text(value, "id"))?,
        Command::Repost { .. } => outln!("Reposted as {}", text(value, "id"))?,
        Command::React { emoji, .. } => outln!("Reacted {emoji}")?,
        Command::Unreact { emoji, .. } => outln!("Took back {emoji}")?,
        Command::Edit { .. } => outln!("Edited")?,
        Command::Delete { .. } => outln!("Deleted")?,
        Command::Follow { .. } => outln!("Following {}", text(value, "following"))?,
        Command::Unfollow { .. } => outln!("No longer following {}", text(value, "unfollowed"))?,
        Command::Following { account, .. } | Command::Followers { account, .. } => {
            let page: FollowPage = serde_json::from_value(value.clone())?;
            output::follows(command, account.is_none(), &page)?;
        }
        Command::Timeline { .. } => output::page(
            &serde_json::from_value::<Page>(value.clone())?,
            "Nothing yet. Post something, or follow someone.",
        )?,
        Command::Activity { .. } => {
            output::activity(&serde_json::from_value::<ActivityPage>(value.clone())?)?;
        }
        Command::Feed { .. } => output::page(
            &serde_json::from_value::<Page>(value.clone())?,
            "No posts from this account here.",
        )?,
        Command::Search { .. } => {
            output::page(&serde_json::from_value::<Page>(value.clone())?, "No match.")?;
        }
        Command::Thread { post_id: p } => {
            let target = post_id(p)?;
            let page: Page = serde_json::from_value(value.clone())?;
            for post in &page.posts {
                output::post(post, if post.id == target { 0 } else { 2 })?;
            }
        }
        Command::Export { out, .. } => outln!("{}", export_summary(out, value))?,
        Command::Import { .. } => outln!("{}", import_summary(value))?,
        _ => output::json(value)?,
    }
    Ok(())
}

/// One line for people about a written bundle (an `ExportReport` as JSON).
pub fn export_summary(out: &Path, report: &Value) -> String {
    format!(
        "Wrote {}: {} feed(s), {} changes, {} posts' text, {} blobs",
        out.display(),
        report["feeds"],
        report["changes"],
        report["bodies"],
        report["blobs"]
    )
}

/// One line for people about an imported bundle (an `ImportReport` as JSON).
pub fn import_summary(report: &Value) -> String {
    format!(
        "Imported {} feed(s): {} new changes ({} already here), {} posts' text, {} blobs",
        report["feeds"], report["changes"], report["duplicates"], report["bodies"], report["blobs"]
    )
}
