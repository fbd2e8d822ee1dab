//! One window per home. A second launch of the app on the same home (a
//! second click on the launcher, or a `kith:` invite link opened from a
//! browser or a chat) brings the first one's window forward, hands it the
//! link, and exits, instead of opening a second window that could only
//! say the home is in use.
//!
//! The first instance holds an exclusive lock on [`LOCK_FILE`] in the home
//! for as long as it runs (the system drops it when the process ends,
//! however it ends) and listens on [`SOCKET_FILE`] beside it (mode 0600, in
//! the home's 0700 directory). A later launch that cannot take the lock
//! writes one JSON line there, `{"link":"kith:…"}` or `{"link":null}`, and
//! waits for the line `ok`.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use kith_net::control::with_socket_path;
use serde::{Deserialize, Serialize};

/// The lock file the running window holds, in the home.
pub const LOCK_FILE: &str = "desktop.lock";
/// The socket later launches write to, in the home.
pub const SOCKET_FILE: &str = "desktop.sock";
/// Longest message read from a later launch.
pub const MAX_MESSAGE_BYTES: u64 = 16 * 1024;
/// How long a later launch tries to reach the running window (which may be
/// starting, or ending, meanwhile).
pub const HAND_OVER_LIMIT: Duration = Duration::from_secs(5);
/// How long the running window waits for a connected launch's message.
const READ_LIMIT: Duration = Duration::from_secs(2);
const RETRY_EVERY: Duration = Duration::from_millis(100);

/// What a later launch says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Message {
    /// The `kith:` link it was opened with, if any.
    link: Option<String>,
}

/// Why the app could not tell whether it is the home's first window.
#[derive(Debug, thiserror::Error)]
pub enum InstanceError {
    /// The lock file or the socket could not be used.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What failed.
        source: std::io::Error,
    },
    /// Another launch holds the home but never took the message.
    #[error(
        "Kith is already open on {0}, but its window did not answer within {HAND_OVER_LIMIT:?}"
    )]
    NoAnswer(PathBuf),
}

impl InstanceError {
    fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Self + '_ {
        move |source| Self::Io {
            path: path.to_owned(),
            source,
        }
    }
}

/// What [`claim`] found.
#[derive(Debug)]
pub enum Claim {
    /// This process is the home's window: keep the value while it runs.
    First(FirstInstance),
    /// The home's window is already open; it took the link and came
    /// forward. This process has nothing more to do.
    HandedOver,
}

/// The lock and the socket of the home's running window.
#[derive(Debug)]
pub struct FirstInstance {
    lock: File,
    listener: UnixListener,
}

/// Becomes the home's window, or hands `link` to the one already open.
/// Creates the home (0700) if it does not exist yet.
pub fn claim(home: &Path, link: Option<&str>) -> Result<Claim, InstanceError> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(home)
        .map_err(InstanceError::io(home))?;
    let lock_path = home.join(LOCK_FILE);
    let lock = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(InstanceError::io(&lock_path))?;
    let started = Instant::now();
    loop {
        match lock.try_lock() {
            Ok(()) => return FirstInstance::listen(lock, home).map(Claim::First),
            Err(TryLockError::WouldBlock) => {}
            Err(TryLockError::Error(e)) => return Err(InstanceError::io(&lock_path)(e)),
        }
        // Held: the window is running, starting (its socket not bound yet)
        // or ending (the lock not yet released).
        let left = HAND_OVER_LIMIT
            .saturating_sub(started.elapsed())
            .max(RETRY_EVERY);
        match hand_over(home, link, left) {
            Ok(()) => return Ok(Claim::HandedOver),
            Err(e) => {
                tracing::debug!(error = %e, "the running window did not take the message yet");
            }
        }
        if started.elapsed() >= HAND_OVER_LIMIT {
            return Err(InstanceError::NoAnswer(home.to_owned()));
        }
        std::thread::sleep(RETRY_EVERY);
    }
}

/// Sends `link` to the window running on `home` and waits up to `limit`
/// for its `ok`.
fn hand_over(home: &Path, link: Option<&str>, limit: Duration) -> std::io::Result<()> {
    let mut stream = with_socket_path(&home.join(SOCKET_FILE), |p| UnixStream::connect(p))?;
    stream.set_read_timeout(Some(limit))?;
    stream.set_write_timeout(Some(limit))?;
    let mut message = serde_json::to_vec(&Message {
        link: link.map(str::to_owned),
    })?;
    message.push(b'\n');
    stream.write_all(&message)?;
    let mut answer = String::new();
    BufReader::new(stream.take(64)).read_line(&mut answer)?;
    if answer.trim() == "ok" {
        Ok(())
    } else {
        Err(std::io::Error::other(format!(
            "the running window answered {answer:?}"
        )))
    }
}

impl FirstInstance {
    /// Binds the socket; one left by a window that ended is replaced (the
    /// lock says no window runs).
    fn listen(lock: File, home: &Path) -> Result<Self, InstanceError> {
        let path = home.join(SOCKET_FILE);
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(InstanceError::io(&path)(e)),
        }
        let listener =
            with_socket_path(&path, |p| UnixListener::bind(p)).map_err(InstanceError::io(&path))?;
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
                .map_err(InstanceError::io(&path))?;
        }
        Ok(Self { lock, listener })
    }

    /// Answers later launches on a thread of its own for as long as the
    /// process runs, calling `opened` with each one's link (or `None` for
    /// a plain launch) before answering it.
    pub fn serve(self, opened: impl Fn(Option<String>) + Send + 'static) {
        let spawned = std::thread::Builder::new()
            .name("kith-instance".into())
            .spawn(move || {
                // The lock lives as long as this thread: the process.
                let _lock = self.lock;
                for stream in self.listener.incoming() {
                    match stream.map_err(Into::into).and_then(read_message) {
                        Ok((message, mut stream)) => {
                            tracing::info!(link = message.link.is_some(), "Kith launched again");
                            opened(message.link);
                            let _ = stream.write_all(b"ok\n");
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "a message from a later launch unread");
                        }
                    }
                }
            });
        if let Err(e) = spawned {
            tracing::warn!(error = %e, "later launches will not find this window");
        }
    }
}

/// Removes the window's socket as the process ends, so no socket outlives
/// the app in the home. A launch meanwhile finds no socket, tries again
/// until the lock is free, and becomes the window.
pub fn remove_socket(home: &Path) {
    match std::fs::remove_file(home.join(SOCKET_FILE)) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => tracing::warn!(error = %e, "the window's socket was left in the home"),
    }
}

/// Reads one message, bounded in size and time.
fn read_message(stream: UnixStream) -> Result<(Message, UnixStream), Box<dyn std::error::Error>> {
    stream.set_read_timeout(Some(READ_LIMIT))?;
    stream.set_write_timeout(Some(READ_LIMIT))?;
    let mut line = String::new();
    BufReader::new((&stream).take(MAX_MESSAGE_BYTES)).read_line(&mut line)?;
    if !line.ends_with('\n') {
        return Err(format!("no whole line within {MAX_MESSAGE_BYTES} bytes").into());
    }
    Ok((serde_json::from_str(&line)?, stream))
}

/// The `kith:` link among the program's arguments (the desktop entry
/// passes an opened link as `%u`), if any.
pub fn link_from_args(args: impl IntoIterator<Item = std::ffi::OsString>) -> Option<String> {
    args.into_iter()
        .filter_map(|a| a.into_string().ok())
        .find(|a| kith_net::Invite::looks_like(a))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    fn first(home: &Path) -> FirstInstance {
        match claim(home, None).expect("claim") {
            Claim::First(f) => f,
            Claim::HandedOver => panic!("no window was running, yet the claim handed over"),
        }
    }

    /// `window` answering later launches, each one's link sent to the
    /// channel returned.
    fn serving(window: FirstInstance) -> mpsc::Receiver<Option<String>> {
        let (tx, rx) = mpsc::channel();
        window.serve(move |link| {
            let _ = tx.send(link);
        });
        rx
    }

    /// Launches again with `link`: it must hand over, and the window
    /// receive that link.
    fn launch_again(home: &Path, link: Option<&str>, window: &mpsc::Receiver<Option<String>>) {
        assert!(matches!(claim(home, link), Ok(Claim::HandedOver)));
        assert_eq!(
            window
                .recv_timeout(Duration::from_secs(5))
                .expect("the window heard the launch"),
            link.map(str::to_owned)
        );
    }

    #[test]
    fn a_second_launch_hands_its_link_to_the_first_and_a_plain_one_just_raises_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let home = dir.path().join("home");
        let window = serving(first(&home));
        launch_again(
            &home,
            Some("kith:kith1abc@/ip4/127.0.0.1/tcp/4001"),
            &window,
        );
        launch_again(&home, None, &window);
    }

    #[test]
    fn a_socket_left_by_a_window_that_ended_does_not_stop_the_next_one() {
        let dir = tempfile::tempdir().expect("tempdir");
        let home = dir.path().join("home");
        // A window that ended: its socket file stays, its lock is gone.
        drop(first(&home));
        assert!(home.join(SOCKET_FILE).exists());
        let window = serving(first(&home));
        launch_again(&home, None, &window);
    }

    #[test]
    fn garbage_on_the_socket_is_refused_and_the_window_goes_on_answering() {
        let dir = tempfile::tempdir().expect("tempdir");
        let home = dir.path().join("home");
        let window = serving(first(&home));
        let socket = home.join(SOCKET_FILE);
        for bad in [
            b"not json\n".to_vec(),
            vec![b'x'; MAX_MESSAGE_BYTES as usize + 10],
            b"{\"link\":".to_vec(),
        ] {
            let mut s = UnixStream::connect(&socket).expect("connect");
            s.set_read_timeout(Some(Duration::from_secs(5)))
                .expect("timeout");
            let _ = s.write_all(&bad);
            // Half-closed: the window sees the end of what was sent.
            let _ = s.shutdown(std::net::Shutdown::Write);
            let mut answer = String::new();
            let _ = s.read_to_string(&mut answer);
            assert_eq!(
                answer,
                "",
                "no `ok` for {:?}",
                String::from_utf8_lossy(&bad[..bad.len().min(20)])
            );
        }
        assert!(
            window.try_recv().is_err(),
            "nothing reached the window from the garbage"
        );
        launch_again(&home, Some("kith:x"), &window);
    }

    #[test]
    fn a_window_that_holds_the_home_but_never_answers_is_reported_after_the_limit() {
        let dir = tempfile::tempdir().expect("tempdir");
        let home = dir.path().join("home");
        // Holds the lock and the socket, but never serves.
        let _silent = first(&home);
        let started = Instant::now();
        let err = claim(&home, None).expect_err("no answer");
        assert!(matches!(err, InstanceError::NoAnswer(_)), "{err}");
        assert!(started.elapsed() >= HAND_OVER_LIMIT);
        assert!(err.to_string().contains("already open"), "{err}");
    }

    #[test]
    fn the_link_is_the_argument_that_starts_with_the_kith_scheme_in_any_case() {
        let args = |a: &[&str]| a.iter().map(std::ffi::OsString::from).collect::<Vec<_>>();
        assert_eq!(
            link_from_args(args(&["--home", "/tmp/h", "KITH:kith1abc@/ip4/1.2.3.4"])),
            Some("KITH:kith1abc@/ip4/1.2.3.4".to_owned())
        );
        assert_eq!(link_from_args(args(&["--home", "/tmp/kith:"])), None);
        assert_eq!(link_from_args(args(&["kit"])), None);
    }
}
