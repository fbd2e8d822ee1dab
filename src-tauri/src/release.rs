//! "Share Kith" and updates learnt from peers: the app's side of
//! `kith share-app`, `kith installer` and `kith update`. Nothing here
//! installs anything unless the user asks, and then only through the
//! system's package installer, which asks for their password.
#![allow(clippy::needless_pass_by_value)] // Tauri hands arguments by value

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use kith_net::release::{UpdateStatus, system_package_kind};
use kith_node::release::{HeldRelease, Installer, MANIFEST_FILE, running_version};
use kith_share::{ShareInfo, ShareOptions, Sharing};
use serde::Serialize;
use tauri::{AppHandle, State};
use tauri_plugin_dialog::DialogExt;

use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// The share page, while it is up.
#[derive(Default)]
pub struct ShareState(Mutex<Option<Sharing>>);

impl ShareState {
    fn slot(&self) -> std::sync::MutexGuard<'_, Option<Sharing>> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn invalid(e: impl ToString) -> AppError {
    AppError::new("invalid", e.to_string())
}

/// What the Share Kith screen shows.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ReleaseInfo {
    /// The version running.
    pub running: String,
    /// The trusted release key's fingerprint, to read aloud.
    pub fingerprint: String,
    /// The release kept to hand on, if any.
    pub held: Option<HeldRelease>,
    /// This machine's LAN addresses, to choose where to share.
    pub lan_addresses: Vec<String>,
    /// The share page, while it is up.
    pub sharing: Option<ShareInfo>,
}

/// The release kept, the LAN addresses, and the share page if it is up.
#[tauri::command]
#[specta::specta]
pub async fn release_info(
    state: State<'_, AppState>,
    share: State<'_, ShareState>,
) -> AppResult<ReleaseInfo> {
    let installer = Installer::open(&state.home)?;
    let fingerprint = installer.trusted().fingerprint();
    let held = tokio::task::spawn_blocking(move || installer.held())
        .await
        .map_err(|e| AppError::new("internal", e.to_string()))??;
    let sharing = {
        let mut slot = share.slot();
        if slot.as_ref().is_some_and(Sharing::stopped) {
            *slot = None;
        }
        slot.as_ref().map(|s| s.info().clone())
    };
    Ok(ReleaseInfo {
        running: running_version().to_string(),
        fingerprint,
        held,
        lan_addresses: kith_share::lan_addresses()
            .iter()
            .map(ToString::to_string)
            .collect(),
        sharing,
    })
}

async fn pick_package(app: &AppHandle) -> Option<PathBuf> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    app.dialog()
        .file()
        .set_title("Choose the Kith package to keep (its kith-manifest.txt must be beside it)")
        .add_filter("Kith package", &["deb", "rpm"])
        .pick_file(move |p| {
            let _ = tx.send(p.and_then(|p| p.into_path().ok()));
        });
    rx.await.ok().flatten()
}

/// Asks for a package file (with `kith-manifest.txt` beside it), checks
/// it against the signed manifest and keeps it to hand on. `null` when the
/// dialog was cancelled.
#[tauri::command]
#[specta::specta]
pub async fn keep_package(
    app: AppHandle,
    state: State<'_, AppState>,
) -> AppResult<Option<HeldRelease>> {
    let Some(package) = pick_package(&app).await else {
        return Ok(None);
    };
    let manifest = package
        .parent()
        .unwrap_or(Path::new("."))
        .join(MANIFEST_FILE);
    if !manifest.exists() {
        return Err(invalid(format!(
            "{MANIFEST_FILE} is not beside {}: keep the package with the signed manifest it came with",
            package.display()
        )));
    }
    let installer = Installer::open(&state.home)?;
    let held = tokio::task::spawn_blocking(move || installer.add(&manifest, &[package]))
        .await
        .map_err(|e| AppError::new("internal", e.to_string()))??;
    Ok(Some(held))
}

/// Puts the share page up on `address` (an IP of this machine, optionally
/// with a port) for `minutes`.
#[tauri::command]
#[specta::specta]
pub async fn share_start(
    state: State<'_, AppState>,
    share: State<'_, ShareState>,
    address: String,
    minutes: u32,
) -> AppResult<ShareInfo> {
    let address = address.trim();
    let listen =
        kith_share::choose_address((!address.is_empty()).then_some(address)).map_err(invalid)?;
    let options = ShareOptions::minutes(listen, minutes).map_err(invalid)?;
    if let Some(old) = share.slot().take() {
        old.stop();
    }
    let installer = Installer::open(&state.home)?;
    let sharing = kith_share::start(&installer, options)
        .await
        .map_err(|e| AppError::new("share", e.to_string()))?;
    let info = sharing.info().clone();
    *share.slot() = Some(sharing);
    Ok(info)
}

/// Takes the share page down.
#[tauri::command]
#[specta::specta]
pub fn share_stop(share: State<'_, ShareState>) {
    if let Some(sharing) = share.slot().take() {
        sharing.stop();
    }
}

/// Kith updates peers offer, and one downloaded if any.
#[tauri::command]
#[specta::specta]
pub async fn update_status(state: State<'_, AppState>) -> AppResult<UpdateStatus> {
    let session = state.session()?;
    Ok(session.running.replicator.update_status().await)
}

/// Fetches the newest offered update from the peers that announced it and
/// checks it against its signed manifest (nothing is installed).
#[tauri::command]
#[specta::specta]
pub async fn update_download(state: State<'_, AppState>) -> AppResult<UpdateStatus> {
    let session = state.session()?;
    let replicator = &session.running.replicator;
    replicator
        .download_update()
        .await
        .map_err(|e| AppError::new("update", e))?;
    Ok(replicator.update_status().await)
}

/// Installs the downloaded, verified update with the system's package
/// installer (`pkexec` asks for the user's password). The UI asks first.
#[tauri::command]
#[specta::specta]
pub async fn update_install(state: State<'_, AppState>) -> AppResult<()> {
    let session = state.session()?;
    let status = session.running.replicator.update_status().await;
    let held = status
        .downloaded
        .ok_or_else(|| invalid("no update has been downloaded and verified"))?;
    let kind = system_package_kind().ok_or_else(|| {
        invalid("this system has neither dpkg nor rpm: install the package by hand")
    })?;
    let file = held
        .files
        .iter()
        .find(|f| Path::new(&f.name).extension().is_some_and(|e| e == kind))
        .ok_or_else(|| {
            invalid(format!(
                "the update holds no .{kind} package for this system"
            ))
        })?;
    // Checked again just before it is handed to the installer.
    let path = PathBuf::from(&file.path);
    let manifest = Path::new(&held.dir).join(MANIFEST_FILE);
    let check = tokio::task::spawn_blocking({
        let path = path.clone();
        move || kith_node::release::verify_package(&path, &manifest)
    })
    .await
    .map_err(|e| AppError::new("internal", e.to_string()))??;
    if !check.genuine {
        return Err(invalid(format!("not installed: {}", check.reason)));
    }
    let installer = if kind == "deb" { "apt-get" } else { "dnf" };
    let output = tokio::process::Command::new("pkexec")
        .args([installer, "install", "-y"])
        .arg(&path)
        .output()
        .await
        .map_err(|e| {
            AppError::new(
                "install",
                format!(
                    "cannot run pkexec ({e}); install it from a terminal: sudo {installer} install {}",
                    path.display()
                ),
            )
        })?;
    if output.status.success() {
        Ok(())
    } else {
        Err(AppError::new(
            "install",
            format!(
                "the installer did not finish ({}): {}",
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            ),
        ))
    }
}
