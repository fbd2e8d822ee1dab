//! `kith serve` and the commands that ask the running node about the
//! network (`addrs`, `connect`, `peers`, `lan`, `listen`, `sync-status`,
//! `invite`).

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, anyhow};
use kith_net::{ControlRequest, NetConfig, control};
use serde_json::Value;

use crate::args::{Command, Switch};
use crate::commands::existing;
use crate::{output, passphrase};

/// Runs a network command.
pub fn run(command: Command, home: &Path, json: bool) -> anyhow::Result<()> {
    let request = match command {
        Command::Serve {
            listen,
            bootstrap,
            no_mdns,
            relay,
            mdns_interval,
        } => {
            return serve(
                home,
                &listen,
                &bootstrap,
                !no_mdns,
                relay,
                Duration::from_secs(mdns_interval),
            );
        }
        Command::Addrs => ControlRequest::Addrs,
        Command::Connect { addr } => ControlRequest::Connect { addr },
        Command::Peers => ControlRequest::Peers,
        Command::SyncStatus => ControlRequest::SyncStatus,
        Command::Invite => ControlRequest::Invite,
        Command::Lan { state } => ControlRequest::Lan {
            on: state == Switch::On,
        },
        Command::Listen { addrs } => ControlRequest::Listen { addrs },
        other => anyhow::bail!("{other:?} is not a network command"),
    };
    existing(home)?;
    let value = control::call(home, &request)?.ok_or_else(|| {
        anyhow!(kith_net::ControlError::new(
            "not_running",
            format!(
                "no node is running on {}: start one with `kith serve`",
                home.display()
            ),
        ))
    })?;
    if json {
        return output::json(&value);
    }
    human(&request, &value)
}

fn human(request: &ControlRequest, value: &Value) -> anyhow::Result<()> {
    let list = |key: &str| {
        value
            .get(key)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    let s = |v: &Value, key: &str| v.get(key).and_then(Value::as_str).unwrap_or("").to_owned();
    match request {
        ControlRequest::Addrs => {
            outln!("Peer id: {}", s(value, "peer_id"))?;
            for a in list("addrs") {
                outln!("  {}", a.as_str().unwrap_or_default())?;
            }
        }
        ControlRequest::Connect { .. } => outln!("Connected to {}", s(value, "peer_id"))?,
        ControlRequest::Peers => {
            let peers = list("peers");
            if peers.is_empty() {
                outln!("No peers connected.")?;
            }
            for p in peers {
                let latency = p
                    .get("latency_ms")
                    .and_then(Value::as_f64)
                    .map_or_else(|| "?".to_owned(), |ms| format!("{ms:.1} ms"));
                outln!(
                    "{}  {}  via {}  {latency}{}",
                    s(&p, "peer_id"),
                    s(&p, "addr"),
                    s(&p, "found"),
                    whose(&p)
                )?;
            }
            print_lan(value.get("lan").unwrap_or(&Value::Null))?;
        }
        ControlRequest::SyncStatus => {
            if let Some(failure) = value.get("store_failure").and_then(Value::as_str) {
                outln!("What peers send cannot be stored until this is fixed: {failure}")?;
            }
            let feeds = list("feeds");
            if feeds.is_empty() {
                outln!("No feeds carried yet.")?;
            }
            for f in feeds {
                let name = f.get("name").and_then(Value::as_str).unwrap_or("(unknown)");
                let state = if f
                    .get("in_progress")
                    .and_then(Value::as_bool)
                    .unwrap_or(false)
                {
                    format!("syncing {}/{}", f["received"], f["expected"])
                } else {
                    "idle".to_owned()
                };
                outln!(
                    "{name}  {}  {} changes  {} peer(s)  {}  {state}",
                    s(&f, "account"),
                    f["changes"],
                    f["peers"],
                    last_sync(&f)
                )?;
            }
        }
        ControlRequest::Invite => outln!("{}", s(value, "code"))?,
        ControlRequest::Listen { .. } => {
            outln!("Listening on (until the node stops):")?;
            for a in list("listening") {
                outln!("  {}", a.as_str().unwrap_or_default())?;
            }
        }
        ControlRequest::Lan { .. } => {
            if value.get("enabled").and_then(Value::as_bool) == Some(true) {
                outln!("Looking for peers on the LAN (mDNS) until the node stops.")?;
            } else {
                outln!("Not looking for peers on the LAN (mDNS) until the node stops.")?;
            }
        }
        _ => outln!("{value}")?,
    }
    Ok(())
}

/// When a feed (an entry of `sync-status`' answer) was last in sync with
/// a peer, for people.
fn last_sync(feed: &Value) -> String {
    feed.get("last_sync").and_then(Value::as_i64).map_or_else(
        || "never synced".to_owned(),
        |ms| format!("synced {}", output::when(ms)),
    )
}

/// The peers mDNS found on the LAN (the `lan` part of `peers`' answer).
fn print_lan(lan: &Value) -> anyhow::Result<()> {
    if lan.get("enabled").and_then(Value::as_bool) != Some(true) {
        return outln!("Looking for peers on the LAN (mDNS) is off.");
    }
    let peers = lan
        .get("peers")
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice);
    if peers.is_empty() {
        return outln!("No peers found on the LAN.");
    }
    outln!("Found on the LAN:")?;
    let s = |v: &Value, key: &str| v.get(key).and_then(Value::as_str).unwrap_or("").to_owned();
    for p in peers {
        let state = match s(p, "state").as_str() {
            "connected" => "connected".to_owned(),
            "connecting" => "connecting".to_owned(),
            "banned" => "disconnected for breaking the protocol".to_owned(),
            _ => format!("unreachable: {}", s(p, "error")),
        };
        let addrs: Vec<&str> = p
            .get("addrs")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        outln!(
            "  {}  {}  {state}{}",
            s(p, "peer_id"),
            addrs.join(" "),
            whose(p)
        )?;
    }
    Ok(())
}

/// Whose computer a peer is, when a feed held here says so: its account's
/// name (or id) after two spaces, else nothing.
fn whose(peer: &Value) -> String {
    let field = |key: &str| peer.get(key).and_then(Value::as_str);
    match (field("name"), field("account")) {
        (Some(name), _) => format!("  {name}"),
        (None, Some(account)) => format!("  {account}"),
        (None, None) => String::new(),
    }
}

fn multiaddrs(list: &[String], what: &str) -> anyhow::Result<Vec<libp2p::Multiaddr>> {
    list.iter()
        .map(|a| {
            a.parse().with_context(|| {
                format!("{what} {a} is not a multiaddr (like /ip4/192.168.1.20/tcp/4001)")
            })
        })
        .collect()
}

/// Runs the node in the foreground until Ctrl-C or SIGTERM.
fn serve(
    home: &Path,
    listen: &[String],
    bootstrap: &[String],
    mdns: bool,
    relay: bool,
    mdns_interval: Duration,
) -> anyhow::Result<()> {
    let mut config = NetConfig {
        bootstrap: multiaddrs(bootstrap, "--bootstrap")?,
        mdns,
        mdns_interval,
        relay,
        ..NetConfig::default()
    };
    if !listen.is_empty() {
        config.listen = multiaddrs(listen, "--listen")?;
    }
    let mut node = existing(home)?;
    // Held until the node stops: no other node (another `kith serve`, the
    // desktop app's window, even at its unlock screen) starts on this home.
    let _lock = kith_node::HomeLock::acquire(home, "kith serve")?;
    node.unlock(&passphrase::existing()?)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async {
        let shutdown = async {
            let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                () = async { match term.as_mut() { Some(t) => { t.recv().await; } None => std::future::pending().await } } => {}
            }
        };
        kith_net::serve(node, config, shutdown).await
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::last_sync;

    #[test]
    fn sync_status_text_tells_when_each_feed_was_last_in_sync() {
        assert_eq!(
            last_sync(&json!({ "last_sync": 86_400_000 + 3_600_000 })),
            "synced 1970-01-02 01:00 UTC"
        );
        assert_eq!(last_sync(&json!({ "last_sync": null })), "never synced");
    }
}
