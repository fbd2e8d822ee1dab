//! Kith's desktop app: a Tauri 2 window over the same node as `kith serve`
//! (network on, LAN discovery on by default).
//!
//! - [`state`]: the home and where its node stands (new, locked, ready);
//! - [`commands`]: the commands the web view calls, thin wrappers over the node;
//! - [`events`]: node activity as window events, and notifications;
//! - [`release`]: Share Kith (the LAN page) and updates learnt from peers;
//! - [`blobs`]: the `kith-blob` scheme that serves images;
//! - [`links`]: links in posts open in the browser, never in the window;
//! - [`settings`]: the settings file.
//!
//! The web view never sees a private key: it sends the passphrase once and
//! the keys stay in the node.

pub mod blobs;
pub mod commands;
pub mod error;
pub mod events;
pub mod instance;
pub mod links;
pub mod moderation;
pub mod opened;
pub mod release;
pub mod settings;
pub mod state;
pub mod windowstate;

use std::path::PathBuf;

use tauri::Manager;

/// Where the generated TypeScript bindings live, from this crate's folder.
pub const BINDINGS: &str = "../ui/src/lib/bindings.ts";

/// Every command the web view may use, listed once and handed to `$with`:
/// `tauri::generate_handler` for the running app, which then only
/// dispatches, and `tauri_specta::collect_commands` for the TypeScript
/// generator, which also describes every argument and result type (work
/// the running app has no use for).
macro_rules! with_commands {
    ($($with:ident)::+) => {
        $($with)::+![
            commands::app_status,
            commands::create_account,
            commands::restore_account,
            commands::unlock,
            commands::set_preference,
            commands::reset_passphrase,
            commands::change_passphrase,
            commands::lock,
            commands::recovery_phrase,
            commands::timeline,
            commands::activity,
            commands::activity_unread,
            commands::image_held,
            commands::mark_activity_seen,
            commands::people_named,
            commands::follows,
            commands::feed,
            commands::thread,
            commands::posts,
            commands::search,
            commands::profile,
            commands::following,
            commands::publish,
            commands::react,
            commands::unreact,
            commands::edit_post,
            commands::delete_post,
            commands::follow,
            commands::unfollow,
            commands::set_profile,
            commands::peers,
            commands::lan_peers,
            commands::listen_status,
            commands::sync_status,
            commands::connect,
            commands::invite,
            commands::accept_invite,
            commands::export_bundle,
            commands::import_bundle,
            commands::settings,
            commands::save_settings,
            commands::set_zoom,
            commands::quit,
            moderation::block,
            moderation::unblock,
            moderation::mute,
            moderation::unmute,
            moderation::mute_word,
            moderation::unmute_word,
            moderation::moderation,
            moderation::create_list,
            moderation::list_detail,
            moderation::list_add,
            moderation::list_remove,
            moderation::subscribe_list,
            moderation::unsubscribe_list,
            moderation::report,
            moderation::reports,
            moderation::sent_reports,
            moderation::resolve_report,
            moderation::set_policy,
            release::release_info,
            release::keep_package,
            release::share_start,
            release::share_stop,
            release::update_status,
            release::update_download,
            release::update_install,
            links::open_link,
            opened::take_opened_invite,
        ]
    };
}

/// Every event the window listens for.
fn window_events() -> tauri_specta::Events {
    tauri_specta::collect_events![
        events::PostsArrived,
        events::CountsChanged,
        events::FeedChanged,
        events::BlobArrived,
        events::PeersChanged,
        events::SyncProgress,
        events::TransferProgress,
        events::UpdateOffered,
        events::OpenPost,
        events::OpenActivity,
        opened::InviteOpened,
    ]
}

/// Every command and event the web view may use, with their types: what
/// the TypeScript bindings are generated from.
pub fn specta_builder() -> tauri_specta::Builder<tauri::Wry> {
    tauri_specta::Builder::<tauri::Wry>::new()
        .commands(with_commands!(tauri_specta::collect_commands))
        .constant("ZOOM", settings::ZOOM)
        .events(window_events())
}

/// The TypeScript bindings as text.
pub fn bindings() -> Result<String, String> {
    let dir = tempfile_dir();
    let path = dir.join(format!("kith-bindings-{}.ts", std::process::id()));
    specta_builder()
        .export(
            specta_typescript::Typescript::default()
                .bigint(specta_typescript::BigIntExportBehavior::Number)
                .header("// @ts-nocheck\n// Generated from the Rust commands by tauri-specta: do not edit.\n// Regenerate: KITH_WRITE_BINDINGS=1 cargo test -p kith-desktop bindings\n"),
            &path,
        )
        .map_err(|e| e.to_string())?;
    let text = std::fs::read_to_string(&path).map_err(|e| e.to_string())?;
    let _ = std::fs::remove_file(&path);
    Ok(text)
}

fn tempfile_dir() -> PathBuf {
    std::env::temp_dir()
}

/// The home directory: `--home DIR`, else `KITH_HOME`, else the default
/// shared with the `kith` command.
pub fn home_from_args() -> Option<PathBuf> {
    let mut args = std::env::args_os().skip(1);
    while let Some(a) = args.next() {
        if a == "--home" {
            return args.next().map(PathBuf::from);
        }
    }
    std::env::var_os("KITH_HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
        .or_else(kith_node::default_home)
}

/// One page that never navigates needs no page cache and only small
/// memory caches: WebKit's document-viewer cache model.
fn lean_webview(window: &tauri::WebviewWindow) {
    #[cfg(target_os = "linux")]
    let _ = window.with_webview(|webview| {
        use webkit2gtk::{CacheModel, SettingsExt, WebContextExt, WebViewExt};
        let view = webview.inner();
        if let Some(context) = view.context() {
            context.set_cache_model(CacheModel::DocumentViewer);
        }
        if let Some(settings) = WebViewExt::settings(&view) {
            settings.set_enable_page_cache(false);
        }
    });
    #[cfg(not(target_os = "linux"))]
    let _ = window;
}

/// Quits as Ctrl + Q does when the system asks the process to end
/// (SIGTERM at logout or shutdown, SIGINT from a terminal, SIGHUP when the
/// terminal goes): the node stops cleanly, its store checkpointed and its
/// sockets removed, rather than the process ending mid-write.
fn quit_on_signals(app: &tauri::AppHandle) {
    use tokio::signal::unix::{SignalKind, signal};
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let (Ok(mut term), Ok(mut int), Ok(mut hup)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
            signal(SignalKind::hangup()),
        ) else {
            tracing::warn!("not listening for SIGTERM, SIGINT and SIGHUP: they end Kith abruptly");
            return;
        };
        let name = tokio::select! {
            _ = term.recv() => "SIGTERM",
            _ = int.recv() => "SIGINT",
            _ = hup.recv() => "SIGHUP",
        };
        tracing::info!(signal = name, "asked to end: quitting");
        app.exit(0);
    });
}

/// Runs the app until its window is closed.
pub fn run() -> Result<(), tauri::Error> {
    let home = home_from_args().unwrap_or_else(|| PathBuf::from(".kith"));
    let link = instance::link_from_args(std::env::args_os().skip(1));
    // One window per home: a second launch brings the first forward.
    let first = match instance::claim(&home, link.as_deref()) {
        Ok(instance::Claim::First(first)) => Some(first),
        Ok(instance::Claim::HandedOver) => {
            tracing::info!(home = %home.display(), "Kith is already open on this home: its window came forward");
            return Ok(());
        }
        Err(e @ instance::InstanceError::NoAnswer(_)) => {
            return Err(tauri::Error::Io(std::io::Error::other(e.to_string())));
        }
        // The home cannot be used: the window says why (AppState::open).
        Err(e) => {
            tracing::warn!(error = %e, "no single-window lock on this home");
            None
        }
    };
    tracing::info!("starting");
    let owns_socket = first.is_some().then(|| home.clone());
    // Events only: a window emitting an event needs it registered.
    let events = tauri_specta::Builder::<tauri::Wry>::new().events(window_events());
    let blob_home = home.clone();
    let app = tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_notification::init())
        .plugin(links::navigation_guard())
        .manage(release::ShareState::default())
        .manage(opened::OpenedLinks::default())
        .invoke_handler(with_commands!(tauri::generate_handler))
        .register_asynchronous_uri_scheme_protocol(
            blobs::SCHEME,
            move |_ctx, request, responder| {
                let dir = blob_home.join(kith_store::BLOB_DIR);
                let path = request.uri().path().to_owned();
                tauri::async_runtime::spawn_blocking(move || {
                    let response = match kith_store::BlobStore::open(&dir) {
                        Ok(blobs) => blobs::respond(&blobs, &path),
                        Err(e) => {
                            tracing::warn!(error = %e, "blob folder unusable");
                            tauri::http::Response::builder()
                                .status(500)
                                .body(Vec::new())
                                .unwrap_or_default()
                        }
                    };
                    responder.respond(response);
                });
            },
        )
        .setup(move |app| {
            events.mount_events(app);
            quit_on_signals(app.handle());
            events::open_clicked_notices(app.handle());
            if let Some(link) = link {
                app.state::<opened::OpenedLinks>()
                    .put(opened::OpenedInvite::from_link(&link));
            }
            if let Some(first) = first {
                let handle = app.handle().clone();
                first.serve(move |link| opened::launched_again(&handle, link));
            }
            if let Some(window) = app.get_webview_window("main") {
                let saved = windowstate::restore(&window, &home);
                windowstate::keep(&window, &home, saved);
                lean_webview(&window);
                let zoom = settings::Settings::load(&home).zoom_factor();
                if let Err(e) = window.set_zoom(zoom) {
                    tracing::warn!(error = %e, "the saved zoom could not be applied");
                }
            }
            tracing::info!(home = %home.display(), "opening home");
            app.manage(state::AppState::open(&home));
            tracing::info!("home opened");
            Ok(())
        })
        .build(tauri::generate_context!())?;
    app.run(move |app, event| {
        if let tauri::RunEvent::Exit = event {
            if let Some(state) = app.try_state::<state::AppState>()
                && let Some(session) = state.running_session()
            {
                tauri::async_runtime::block_on(session.running.stop());
            }
            if let Some(home) = &owns_socket {
                instance::remove_socket(home);
            }
        }
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// CI fails when `ui/src/lib/bindings.ts` no longer matches the Rust
    /// commands; `KITH_WRITE_BINDINGS=1` rewrites it.
    #[test]
    fn bindings_ts_matches_the_rust_commands() {
        let fresh = bindings().expect("bindings generated");
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(BINDINGS);
        if std::env::var_os("KITH_WRITE_BINDINGS").is_some() {
            std::fs::write(&path, &fresh).expect("bindings written");
            return;
        }
        let current = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            current == fresh,
            "{} is stale: run `KITH_WRITE_BINDINGS=1 cargo test -p kith-desktop bindings` and commit it",
            path.display()
        );
    }
}
