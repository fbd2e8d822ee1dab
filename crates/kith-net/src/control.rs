//! The local control socket: while `kith serve` runs, other `kith`
//! commands on the same home talk to it through a Unix socket in the home
//! directory (mode 0600, in a 0700 directory). One JSON request per line,
//! one JSON answer per line: `{"ok": …}` or `{"error": {"code", "message"}}`.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use kith_node::Request;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt};

/// The socket's file name inside the home directory.
pub const SOCKET_FILE: &str = "kith.sock";
/// Longest request line accepted.
pub const MAX_LINE_BYTES: u64 = 1024 * 1024;

/// What a client asks of a running node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "cmd", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ControlRequest {
    /// A node operation (post, timeline, …).
    Node {
        /// The operation.
        request: Request,
    },
    /// Listen addresses and peer id.
    Addrs,
    /// Dial an address.
    Connect {
        /// The multiaddr.
        addr: String,
    },
    /// Connected peers (`peers`) and the peers mDNS found on the LAN (`lan`).
    Peers,
    /// Per-feed replication state.
    SyncStatus,
    /// Turn LAN discovery (mDNS) on or off until the node stops.
    Lan {
        /// On or off.
        on: bool,
    },
    /// Listen on exactly these addresses until the node stops (all or
    /// nothing: when one cannot be used, nothing changes).
    Listen {
        /// The multiaddrs.
        addrs: Vec<String>,
    },
    /// An invite code for this account.
    Invite,
    /// Kith updates learnt from peers.
    Updates,
    /// Download the newest update offered (verified), and answer as `Updates`.
    UpdateDownload,
}

/// An error answer: a stable code and a message for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{message}")]
pub struct ControlError {
    /// Stable machine-readable code.
    pub code: String,
    /// For people.
    pub message: String,
}

impl ControlError {
    /// Builds an error.
    #[allow(clippy::needless_pass_by_value)] // callers pass errors by value
    pub fn new(code: &str, message: impl ToString) -> Self {
        Self {
            code: code.to_owned(),
            message: message.to_string(),
        }
    }
}

/// The socket path of a home.
pub fn socket_path(home: &Path) -> PathBuf {
    home.join(SOCKET_FILE)
}

/// Longest path a Unix socket address holds (with its closing NUL, 108
/// bytes on Linux, 104 on macOS and the BSDs).
#[cfg(target_os = "linux")]
const MAX_SOCKET_PATH: usize = 107;
#[cfg(not(target_os = "linux"))]
const MAX_SOCKET_PATH: usize = 103;

/// Runs `f` with a path to `path` short enough for a Unix socket address:
/// `path` itself when it fits, else (on Linux) `/proc/self/fd/<n>/<name>`
/// through a descriptor of its folder, held while `f` runs. A home deep in
/// the file system keeps its sockets where they are, in the home.
pub fn with_socket_path<T>(
    path: &Path,
    f: impl FnOnce(&Path) -> std::io::Result<T>,
) -> std::io::Result<T> {
    if path.as_os_str().len() <= MAX_SOCKET_PATH {
        return f(path);
    }
    #[cfg(target_os = "linux")]
    if let (Some(folder), Some(name)) = (path.parent(), path.file_name()) {
        use std::os::fd::AsRawFd;
        let folder = std::fs::File::open(folder)?;
        let short = PathBuf::from(format!("/proc/self/fd/{}", folder.as_raw_fd())).join(name);
        let result = f(&short);
        drop(folder);
        return result;
    }
    f(path)
}

/// Sends one request to the node running on `home`. `Ok(None)` means no
/// node is running there (no socket, or a stale one).
pub fn call(home: &Path, request: &ControlRequest) -> Result<Option<Value>, ControlError> {
    let path = socket_path(home);
    let mut stream = match with_socket_path(&path, |p| std::os::unix::net::UnixStream::connect(p)) {
        Ok(s) => s,
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::NotFound | std::io::ErrorKind::ConnectionRefused
            ) =>
        {
            return Ok(None);
        }
        Err(e) => return Err(ControlError::new("io", format!("{}: {e}", path.display()))),
    };
    let io =
        |e: std::io::Error| ControlError::new("io", format!("talking to the running node: {e}"));
    stream
        .set_read_timeout(Some(Duration::from_secs(600)))
        .map_err(io)?;
    let mut line = serde_json::to_vec(request).map_err(|e| ControlError::new("invalid", e))?;
    line.push(b'\n');
    stream.write_all(&line).map_err(io)?;
    let mut answer = String::new();
    BufReader::new(stream.take(64 * 1024 * 1024))
        .read_line(&mut answer)
        .map_err(io)?;
    let value: Value = serde_json::from_str(&answer)
        .map_err(|e| ControlError::new("io", format!("the running node answered nonsense: {e}")))?;
    if let Some(err) = value.get("error") {
        let err: ControlError = serde_json::from_value(err.clone())
            .unwrap_or_else(|_| ControlError::new("unknown", err.to_string()));
        return Err(err);
    }
    Ok(Some(value.get("ok").cloned().unwrap_or(Value::Null)))
}

/// A request received on the socket, with where its answer goes.
pub type Incoming = (
    ControlRequest,
    tokio::sync::oneshot::Sender<Result<Value, ControlError>>,
);

/// Binds the socket, refusing if another node already serves this home.
pub fn bind(home: &Path) -> Result<tokio::net::UnixListener, ControlError> {
    let path = socket_path(home);
    if with_socket_path(&path, |p| std::os::unix::net::UnixStream::connect(p)).is_ok() {
        return Err(ControlError::new(
            "already_running",
            format!("a node is already running on {}", home.display()),
        ));
    }
    let _ = std::fs::remove_file(&path);
    let listener = with_socket_path(&path, |p| tokio::net::UnixListener::bind(p))
        .map_err(|e| ControlError::new("io", format!("{}: {e}", path.display())))?;
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
            .map_err(|e| ControlError::new("io", format!("{}: {e}", path.display())))?;
    }
    Ok(listener)
}

/// Accepts connections and forwards each request line to `tx`.
pub async fn serve(listener: tokio::net::UnixListener, tx: tokio::sync::mpsc::Sender<Incoming>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let tx = tx.clone();
        tokio::spawn(async move {
            let (read, mut write) = stream.into_split();
            let mut reader =
                tokio::io::BufReader::new(tokio::io::AsyncReadExt::take(read, MAX_LINE_BYTES));
            let mut line = String::new();
            let answer = match reader.read_line(&mut line).await {
                Err(e) => Err(ControlError::new("invalid", e)),
                Ok(_) => match serde_json::from_str::<ControlRequest>(&line) {
                    Err(e) => Err(ControlError::new("invalid", format!("bad request: {e}"))),
                    Ok(request) => {
                        let (reply, rx) = tokio::sync::oneshot::channel();
                        if tx.send((request, reply)).await.is_err() {
                            Err(ControlError::new("stopped", "the node is stopping"))
                        } else {
                            rx.await.unwrap_or_else(|_| {
                                Err(ControlError::new("stopped", "the node is stopping"))
                            })
                        }
                    }
                },
            };
            let doc = match answer {
                Ok(v) => json!({ "ok": v }),
                Err(e) => json!({ "error": e }),
            };
            let mut bytes = serde_json::to_vec(&doc).unwrap_or_default();
            bytes.push(b'\n');
            let _ = write.write_all(&bytes).await;
        });
    }
}
