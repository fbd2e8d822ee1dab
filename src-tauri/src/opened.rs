//! Invite links the app was opened with (`kith:…` from a browser, a chat,
//! a file manager), kept until the window can show them: an unlocked
//! window takes one at once, a locked one after its passphrase.
//!
//! Nothing is followed from a link alone: the window shows the invite
//! screen with the code filled in, and the person accepts it or not.

use std::sync::{Mutex, PoisonError};

use kith_net::invite::MAX_INVITE_BYTES;
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Manager, State};
use tauri_specta::Event;

use crate::events::bring_window_forward;

/// An invite link to show on the invite screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct OpenedInvite {
    /// The code, for the "Accept an invite" box (empty when `problem` says
    /// why it was not kept).
    pub code: String,
    /// Why the link cannot be an invite, if it cannot.
    pub problem: Option<String>,
}

impl OpenedInvite {
    /// The invite a `kith:` link holds (the invite code itself), bounded
    /// like an invite.
    pub fn from_link(link: &str) -> Self {
        let link = link.trim();
        if link.len() > MAX_INVITE_BYTES {
            return Self {
                code: String::new(),
                problem: Some(format!(
                    "Kith was opened with a link of {} bytes: longer than any invite ({MAX_INVITE_BYTES} at most), so it was not kept.",
                    link.len()
                )),
            };
        }
        Self {
            code: link.to_owned(),
            problem: None,
        }
    }
}

/// The link waiting for the window (the latest one wins).
#[derive(Debug, Default)]
pub struct OpenedLinks(Mutex<Option<OpenedInvite>>);

impl OpenedLinks {
    /// Keeps `invite` for the window.
    pub fn put(&self, invite: OpenedInvite) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = Some(invite);
    }

    /// The waiting invite, once.
    pub fn take(&self) -> Option<OpenedInvite> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).take()
    }
}

/// An invite link is waiting: the window takes it with
/// [`take_opened_invite`] when it can show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type, Event)]
#[serde(rename_all = "camelCase")]
pub struct InviteOpened {
    /// Always true (an event carries a value); the invite itself is taken.
    pub waiting: bool,
}

/// The app was launched again on this home, with `link` or without: the
/// window comes forward, and a link waits for it.
pub fn launched_again(app: &AppHandle, link: Option<String>) {
    bring_window_forward(app);
    if let Some(link) = link {
        app.state::<OpenedLinks>()
            .put(OpenedInvite::from_link(&link));
        let _ = InviteOpened { waiting: true }.emit(app);
    }
}

/// The invite link the app was opened with, if one waits (each is given
/// once).
#[tauri::command]
#[specta::specta]
#[allow(clippy::needless_pass_by_value)] // Tauri hands arguments by value
pub fn take_opened_invite(links: State<'_, OpenedLinks>) -> Option<OpenedInvite> {
    links.take()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_is_kept_as_its_code_and_an_oversized_link_is_not_kept() {
        let code = "kith:kith1abc@/ip4/192.168.1.20/tcp/4001/p2p/12D3KooW";
        assert_eq!(OpenedInvite::from_link(&format!(" {code}\n")).code, code);
        let long = format!("kith:{}", "a".repeat(MAX_INVITE_BYTES));
        let kept = OpenedInvite::from_link(&long);
        assert_eq!(kept.code, "");
        assert!(
            kept.problem
                .as_deref()
                .is_some_and(|p| p.contains("longer than any invite")),
            "{kept:?}"
        );
    }

    #[test]
    fn a_waiting_invite_is_given_once_and_the_latest_wins() {
        let links = OpenedLinks::default();
        assert_eq!(links.take(), None);
        links.put(OpenedInvite::from_link("kith:first"));
        links.put(OpenedInvite::from_link("kith:second"));
        assert_eq!(links.take().map(|i| i.code), Some("kith:second".into()));
        assert_eq!(links.take(), None);
    }
}
