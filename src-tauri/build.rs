//! Tauri's build step: reads `tauri.conf.json` and the capabilities, and
//! declares the app's commands so that each needs an explicit permission
//! (`capabilities/main.json` grants exactly those the UI uses).

/// Every command `src/commands.rs`, `src/moderation.rs`, `src/release.rs` and `src/links.rs` define.
const COMMANDS: &[&str] = &[
    "app_status",
    "create_account",
    "restore_account",
    "unlock",
    "recovery_phrase",
    "timeline",
    "activity",
    "activity_unread",
    "mark_activity_seen",
    "people_named",
    "feed",
    "thread",
    "search",
    "profile",
    "following",
    "publish",
    "react",
    "edit_post",
    "delete_post",
    "follow",
    "unfollow",
    "set_profile",
    "peers",
    "lan_peers",
    "listen_status",
    "sync_status",
    "connect",
    "invite",
    "accept_invite",
    "export_bundle",
    "import_bundle",
    "settings",
    "save_settings",
    "block",
    "unblock",
    "mute",
    "unmute",
    "mute_word",
    "unmute_word",
    "moderation",
    "create_list",
    "list_detail",
    "list_add",
    "list_remove",
    "subscribe_list",
    "unsubscribe_list",
    "report",
    "reports",
    "sent_reports",
    "resolve_report",
    "set_policy",
    "release_info",
    "keep_package",
    "share_start",
    "share_stop",
    "update_status",
    "update_download",
    "update_install",
    "open_link",
];

fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("tauri build step");
}
