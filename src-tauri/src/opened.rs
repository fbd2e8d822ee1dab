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
    /// like an invite. A link is a URI: escapes a program added (`%2C` for
    /// the commas between addresses, `%2F` for slashes) are decoded; no
    /// invite holds a `%` of its own.
    pub fn from_link(link: &str) -> Self {
        let link = link.trim();
        if link.len() > MAX_INVITE_BYTES * 3 {
            return Self::too_long(link.len());
        }
        let Ok(link) = percent_encoding::percent_decode_str(link).decode_utf8() else {
            return Self {
                code: String::new(),
                problem: Some(
                    "Kith was opened with a link whose escapes (%…) are not text, so it cannot be an invite.".to_owned(),
                ),
            };
        };
        let link = link.trim();
        if link.len() > MAX_INVITE_BYTES {
            return Self::too_long(link.len());
        }
        Self {
            code: link.to_owned(),
            problem: None,
        }
    }

    fn too_long(bytes: usize) -> Self {
        Self {
            code: String::new(),
            problem: Some(format!(
                "Kith was opened with a link of {bytes} bytes: longer than any invite ({MAX_INVITE_BYTES} at most), so it was not kept."
            )),
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
    fn a_link_a_program_escaped_is_decoded_and_one_whose_escapes_are_not_text_is_not_kept() {
        let code = "kith:kith1abc@/ip4/192.168.1.20/tcp/4001,/ip4/10.0.0.2/udp/4001/quic-v1";
        let escaped =
            "kith:kith1abc%40%2Fip4%2F192.168.1.20%2Ftcp%2F4001%2C/ip4/10.0.0.2/udp/4001/quic-v1";
        assert_eq!(OpenedInvite::from_link(escaped).code, code);
        assert_eq!(OpenedInvite::from_link(escaped).problem, None);
        let broken = OpenedInvite::from_link("kith:kith1abc%FF%FE");
        assert_eq!(broken.code, "");
        assert!(
            broken
                .problem
                .as_deref()
                .is_some_and(|p| p.contains("not text")),
            "{broken:?}"
        );
        // Escapes count once decoded: an escaped link of an invite's size is kept.
        let long = format!("kith:{}", "%41".repeat(MAX_INVITE_BYTES - 10));
        assert_eq!(OpenedInvite::from_link(&long).problem, None);
        let longer = format!("kith:{}", "%41".repeat(MAX_INVITE_BYTES));
        assert!(OpenedInvite::from_link(&longer).problem.is_some());
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
