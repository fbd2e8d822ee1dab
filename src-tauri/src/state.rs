//! The app's one piece of state: the home directory and where its node
//! stands. Before the account is unlocked the node is held closed (it can
//! create, restore or unlock an account); once unlocked it runs on the
//! network and every other command goes to it.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use kith_core::AccountId;
use kith_net::Running;
use kith_node::{HomeLock, Node};
use serde::Serialize;

use crate::error::{AppError, AppResult};

/// Where the app stands, as the UI sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// No account yet: onboarding.
    New,
    /// An account whose keys are locked: ask for the passphrase.
    Locked,
    /// Unlocked and running on the network.
    Ready,
    /// The home cannot be used (see `problem`).
    Failed,
}

/// What `app_status` answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct AppStatus {
    /// Where the app stands.
    pub phase: Phase,
    /// The home (data) directory.
    pub home: String,
    /// The account, once there is one.
    pub account: Option<String>,
    /// Why the home cannot be used, when `phase` is `failed`.
    pub problem: Option<String>,
    /// The account's display name, read from the home before the
    /// passphrase (a profile is public), for the unlock screen's greeting.
    pub name: Option<String>,
}

/// An unlocked account running on the network.
pub struct Session {
    /// The running node.
    pub running: Running,
    /// Its account.
    pub account: AccountId,
    /// Whether replies and mentions raise desktop notifications (read from
    /// the settings at start, updated when they are saved).
    pub notifications: std::sync::atomic::AtomicBool,
}

impl Session {
    /// Whether the window is locked: exactly while the node's control
    /// socket is ([`Running::lock_socket`]). The node keeps running
    /// (carrying and relaying feeds) but answers the window nothing until
    /// the passphrase is given again.
    pub fn is_locked(&self) -> bool {
        self.running.socket_locked()
    }
}

enum Slot {
    /// Not running; `None` while a transition (create, unlock) is under way.
    Closed(Option<Box<Node>>),
    Ready(Arc<Session>),
    Failed(AppError),
}

/// The state managed by Tauri.
pub struct AppState {
    /// The home directory.
    pub home: PathBuf,
    slot: Mutex<Slot>,
    /// The home's lock, held from the moment the window opens, so no
    /// `kith serve` starts on the home while the window asks for the
    /// passphrase; `None` while another process holds it.
    lock: Mutex<Option<HomeLock>>,
}

impl AppState {
    /// Opens the home. A home another process is running (`kith serve`)
    /// or cannot open is reported, not fatal: the window shows why, and
    /// opening is tried again when the window asks where it stands
    /// (its "Try again") or unlocks.
    pub fn open(home: &Path) -> Self {
        let state = Self {
            home: home.to_owned(),
            slot: Mutex::new(Slot::Closed(None)),
            lock: Mutex::new(None),
        };
        *state.slot() = state.opened();
        state
    }

    /// The slot of a freshly opened home: its lock taken (unless held
    /// already) and its node opened closed.
    fn opened(&self) -> Slot {
        let mut lock = self.lock.lock().unwrap_or_else(PoisonError::into_inner);
        if lock.is_none() {
            match HomeLock::acquire(&self.home, "the Kith app") {
                Ok(l) => *lock = Some(l),
                Err(kith_node::NodeError::InUse { holder, .. }) => {
                    // The window shows the directory and how to pick another.
                    return Slot::Failed(AppError::new(
                        "already_running",
                        format!(
                            "{holder} is running on this data directory. Stop it, then try again."
                        ),
                    ));
                }
                Err(e) => return Slot::Failed(e.into()),
            }
        }
        match Node::open(&self.home) {
            Ok(node) => Slot::Closed(Some(Box::new(node))),
            Err(e) => Slot::Failed(e.into()),
        }
    }

    /// The slot, opened again first if it had failed (the other process
    /// may have stopped, the problem may have been fixed).
    fn slot_retried(&self) -> std::sync::MutexGuard<'_, Slot> {
        let mut slot = self.slot();
        if matches!(*slot, Slot::Failed(_)) {
            *slot = self.opened();
        }
        slot
    }

    fn slot(&self) -> std::sync::MutexGuard<'_, Slot> {
        self.slot.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Where the app stands (a home that had failed is opened again first).
    pub fn status(&self) -> AppStatus {
        let home = self.home.display().to_string();
        let mut name = None;
        let (phase, account, problem) = match &*self.slot_retried() {
            Slot::Closed(Some(node)) => match node.identity() {
                Ok(id) => {
                    name = node.profile(None).ok().and_then(|p| p.name);
                    (Phase::Locked, Some(id.account.to_string()), None)
                }
                Err(_) => (Phase::New, None, None),
            },
            // A transition is under way: the account is being opened.
            Slot::Closed(None) => (Phase::Locked, None, None),
            Slot::Ready(s) if s.is_locked() => (Phase::Locked, Some(s.account.to_string()), None),
            Slot::Ready(s) => (Phase::Ready, Some(s.account.to_string()), None),
            Slot::Failed(e) => (Phase::Failed, None, Some(e.message.clone())),
        };
        AppStatus {
            phase,
            home,
            account,
            problem,
            name,
        }
    }

    /// The running session, or `not_ready` (also while locked).
    pub fn session(&self) -> AppResult<Arc<Session>> {
        match &*self.slot() {
            Slot::Ready(s) if !s.is_locked() => Ok(Arc::clone(s)),
            _ => Err(AppError::not_ready()),
        }
    }

    /// The running session, locked or not.
    pub fn running_session(&self) -> Option<Arc<Session>> {
        match &*self.slot() {
            Slot::Ready(s) => Some(Arc::clone(s)),
            _ => None,
        }
    }

    /// Takes the closed node for a transition, or fails if there is none
    /// (already unlocked, another transition running, or the home still
    /// cannot be opened).
    pub fn take_node(&self) -> AppResult<Node> {
        match &mut *self.slot_retried() {
            Slot::Closed(node) => node
                .take()
                .map(|n| *n)
                .ok_or_else(|| AppError::new("busy", "the account is being opened; wait a moment")),
            Slot::Ready(_) => Err(AppError::new("already_unlocked", "the account is open")),
            Slot::Failed(e) => Err(e.clone()),
        }
    }

    /// Gives the node back after a failed transition.
    pub fn put_back(&self, node: Node) {
        *self.slot() = Slot::Closed(Some(Box::new(node)));
    }

    /// Records the running session.
    pub fn set_ready(&self, session: Arc<Session>) {
        *self.slot() = Slot::Ready(session);
    }

    /// Records why the home cannot be used.
    pub fn set_failed(&self, e: AppError) {
        *self.slot() = Slot::Failed(e);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_locked_home_names_its_account_before_the_passphrase_and_a_new_one_names_nobody() {
        let dir = tempfile::tempdir().expect("tempdir");
        let home = dir.path().join("home");
        let fresh = AppState::open(&home).status();
        assert_eq!(fresh.phase, Phase::New);
        assert_eq!(fresh.name, None);

        let mut node = Node::open(&home).expect("open");
        node.init(Some("Noémie"), "un mot de passe assez long")
            .expect("init");
        drop(node);
        let locked = AppState::open(&home).status();
        assert_eq!(locked.phase, Phase::Locked);
        assert_eq!(locked.name.as_deref(), Some("Noémie"));
        assert!(locked.account.is_some());
    }

    #[test]
    fn a_home_held_by_kith_serve_is_refused_naming_it_and_opens_once_it_stops() {
        let dir = tempfile::tempdir().expect("tempdir");
        let home = dir.path().join("home");
        let serve = HomeLock::acquire(&home, "kith serve").expect("serve's lock");
        let state = AppState::open(&home);
        let refused = state.status();
        assert_eq!(refused.phase, Phase::Failed);
        let problem = refused.problem.unwrap_or_default();
        assert!(
            problem.contains("kith serve (process") && problem.contains("Stop it, then try again"),
            "the window names what holds the home and what to do: {problem}"
        );
        assert_eq!(
            state.take_node().err().map(|e| e.code),
            Some("already_running".to_owned())
        );

        drop(serve);
        assert_eq!(state.status().phase, Phase::New, "Try again opens the home");
        let again = HomeLock::acquire(&home, "kith serve").expect_err("the window holds it now");
        assert!(again.to_string().contains("the Kith app"), "{again}");
    }
}
