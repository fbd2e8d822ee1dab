//! Kith's own distribution: `verify-package`, `installer`, `share-app`,
//! `update`, and the installer beside an exported bundle.

use std::fmt::Write as _;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::{Context, anyhow};
use kith_net::{ControlError, ControlRequest, control};
use kith_node::release::{self, HeldRelease, Installer, MANIFEST_FILE};

use crate::args::{Command, InstallerAction};
use crate::commands::done;
use crate::output;

/// Runs a release command.
pub fn run(command: Command, home: &Path, json: bool) -> anyhow::Result<()> {
    match command {
        Command::VerifyPackage { file, manifest } => verify(&file, manifest, json),
        Command::Installer { action: None } => show(home, json),
        Command::Installer {
            action: Some(InstallerAction::Add { files, manifest }),
        } => add(home, &files, manifest, json),
        Command::ShareApp { listen, minutes } => share(home, listen.as_deref(), minutes, json),
        Command::Update { download } => update(home, download, json),
        other => anyhow::bail!("{other:?} is not a release command"),
    }
}

/// `kith-manifest.txt` beside `file`.
fn manifest_beside(file: &Path) -> PathBuf {
    file.parent().unwrap_or(Path::new(".")).join(MANIFEST_FILE)
}

fn verify(file: &Path, manifest: Option<PathBuf>, json: bool) -> anyhow::Result<()> {
    let manifest = manifest.unwrap_or_else(|| manifest_beside(file));
    if !manifest.exists() {
        anyhow::bail!(
            "no manifest: {} does not exist; pass the signed manifest that came with the \
             package with --manifest FILE",
            manifest.display()
        );
    }
    let check = release::verify_package(file, &manifest)?;
    let printed = if json {
        output::json(&check)
    } else if check.genuine {
        outln!("GENUINE: {}", check.reason)
    } else {
        Ok(())
    };
    // The verdict is the exit status, even when stdout's reader went away.
    if !check.genuine {
        return Err(anyhow!(ControlError::new(
            "not_genuine",
            format!("NOT GENUINE: {}", check.reason)
        )));
    }
    printed
}

fn describe(held: &HeldRelease) -> String {
    let mut text = format!(
        "Kith {} (released {}), signed by the release key {}\nin {}",
        held.version, held.date, held.fingerprint, held.dir
    );
    for f in &held.files {
        let _ = write!(
            text,
            "\n  {}  {} bytes  sha256 {}",
            f.name, f.size, f.sha256
        );
    }
    text
}

fn show(home: &Path, json: bool) -> anyhow::Result<()> {
    let installer = Installer::open(home)?;
    let held = installer.held()?;
    let human = match &held {
        Some(h) => describe(h),
        None => format!(
            "No Kith package kept in {} (trusted release key {}).\nKeep the one you installed \
             from, to hand it on: kith installer add FILE --manifest {MANIFEST_FILE}",
            installer.dir().display(),
            installer.trusted().fingerprint()
        ),
    };
    done(json, &serde_json::to_value(&held)?, &human)
}

fn add(
    home: &Path,
    files: &[PathBuf],
    manifest: Option<PathBuf>,
    json: bool,
) -> anyhow::Result<()> {
    let manifest = manifest.unwrap_or_else(|| manifest_beside(&files[0]));
    let held = Installer::open(home)?
        .add(&manifest, files)
        .context("nothing was added")?;
    let human = format!("Kept, verified:\n{}", describe(&held));
    done(json, &serde_json::to_value(&held)?, &human)
}

fn share(home: &Path, listen: Option<&str>, minutes: u32, json: bool) -> anyhow::Result<()> {
    let installer = Installer::open(home)?;
    kith_share::ShareOptions::minutes(std::net::SocketAddr::from(([0, 0, 0, 0], 0)), minutes)?;
    let addr = kith_share::choose_address(listen)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let options = kith_share::ShareOptions::minutes(addr, minutes)?;
        let sharing = kith_share::start(&installer, options).await?;
        let info = sharing.info().clone();
        // The page is what this command is for: it is offered until it
        // stops even if stdout's reader goes away.
        output::unless_closed(share_banner(&info, minutes, json))?;
        tokio::select! {
            () = sharing.finished() => {}
            _ = tokio::signal::ctrl_c() => sharing.stop(),
        }
        sharing.finished().await;
        if !json {
            output::unless_closed(outln!("Stopped sharing."))?;
        }
        anyhow::Ok(())
    })
}

/// What `share-app` says when its page is up.
fn share_banner(info: &kith_share::ShareInfo, minutes: u32, json: bool) -> anyhow::Result<()> {
    if json {
        output::json(info)?;
    } else {
        outln!("Sharing Kith {} for {minutes} minutes at:", info.version)?;
        for url in &info.urls {
            outln!("  {url}")?;
        }
        outln!(
            "Release key fingerprint (read it aloud): {}",
            info.fingerprint
        )?;
        for f in &info.files {
            outln!("  {}  sha256 {}", f.name, f.sha256)?;
        }
        if let Some(url) = info
            .urls
            .first()
            .filter(|_| std::io::stdout().is_terminal())
        {
            print_qr(url)?;
        }
        outln!("Ctrl-C stops it.")?;
    }
    Ok(())
}

fn print_qr(url: &str) -> anyhow::Result<()> {
    if let Ok(code) = qrcode::QrCode::new(url.as_bytes()) {
        let text = code
            .render::<qrcode::render::unicode::Dense1x2>()
            .quiet_zone(true)
            .build();
        outln!("{text}")?;
    }
    Ok(())
}

fn update(home: &Path, download: bool, json: bool) -> anyhow::Result<()> {
    let request = if download {
        ControlRequest::UpdateDownload
    } else {
        ControlRequest::Updates
    };
    let value = control::call(home, &request)?.ok_or_else(|| {
        anyhow!(ControlError::new(
            "not_running",
            format!(
                "no node is running on {}: updates are learnt from peers while `kith serve` \
                 or the app runs",
                home.display()
            ),
        ))
    })?;
    if json {
        return output::json(&value);
    }
    outln!("Running Kith {}", value["running"].as_str().unwrap_or("?"))?;
    match value["available"].as_object() {
        Some(offer) => {
            outln!(
                "Kith {} is available (from {} peer(s))",
                offer["version"].as_str().unwrap_or("?"),
                offer["peers"]
            )?;
        }
        None => outln!("No newer Kith offered by peers.")?,
    }
    if let Some(held) = value["downloaded"].as_object() {
        let files = held["files"].as_array().cloned().unwrap_or_default();
        outln!(
            "Downloaded and verified: Kith {}",
            held["version"].as_str().unwrap_or("?")
        )?;
        for f in files {
            outln!(
                "  install with: {}",
                install_command(f["path"].as_str().unwrap_or("?"))
            )?;
        }
    }
    if let Some(error) = value["error"].as_str() {
        outln!("Last download failed: {error}")?;
    }
    Ok(())
}

/// Copies the kept release (manifest and packages) into `dir`, for
/// `kith export --with-installer`.
pub fn copy_installer(home: &Path, dir: &Path) -> anyhow::Result<HeldRelease> {
    let installer = Installer::open(home)?;
    let held = installer
        .held()?
        .filter(|h| !h.files.is_empty())
        .ok_or_else(|| {
            anyhow!(
                "--with-installer: this home keeps no Kith package; add one with \
             `kith installer add FILE --manifest {MANIFEST_FILE}`"
            )
        })?;
    let manifest = installer
        .manifest()?
        .ok_or_else(|| anyhow!("the kept manifest disappeared"))?;
    for f in &held.files {
        let entry = manifest.file(&f.name).map_err(kith_node::NodeError::from)?;
        let bytes = installer.load(entry)?;
        let dest = dir.join(&f.name);
        std::fs::write(&dest, bytes).with_context(|| format!("writing {}", dest.display()))?;
    }
    let dest = dir.join(MANIFEST_FILE);
    std::fs::write(&dest, manifest.text())
        .with_context(|| format!("writing {}", dest.display()))?;
    Ok(held)
}

/// After an import: a genuine Kith release beside the bundle is kept (to
/// hand on) and offered; anything else there is said plainly. Returns a
/// line for people, or `None` when there is no manifest beside the bundle.
pub fn offer_installer_beside(home: &Path, bundle: &Path) -> Option<serde_json::Value> {
    let manifest = manifest_beside(bundle);
    if !manifest.exists() {
        return None;
    }
    let dir = manifest.parent().unwrap_or(Path::new("."));
    let checked = (|| -> anyhow::Result<Vec<PathBuf>> {
        let signed = release::read_manifest(&manifest, &release::trusted_key()?)?;
        let files: Vec<PathBuf> = signed
            .manifest
            .files
            .iter()
            .map(|f| dir.join(&f.name))
            .filter(|p| p.exists())
            .collect();
        if files.is_empty() {
            anyhow::bail!("none of the packages its manifest lists is there");
        }
        for file in &files {
            let check = release::verify_package(file, &manifest)?;
            if !check.genuine {
                anyhow::bail!("{}", check.reason);
            }
        }
        Ok(files)
    })();
    Some(match checked {
        Err(e) => serde_json::json!({ "genuine": false, "reason": format!("{e:#}") }),
        Ok(files) => match Installer::open(home).and_then(|i| i.add(&manifest, &files)) {
            Ok(held) => serde_json::json!({ "genuine": true, "kept": true, "release": held }),
            Err(e) => {
                serde_json::json!({ "genuine": true, "kept": false, "reason": e.to_string() })
            }
        },
    })
}

/// One line for people about [`offer_installer_beside`]'s answer.
pub fn installer_summary(value: &serde_json::Value) -> String {
    if value["genuine"] == true && value["kept"] == false {
        format!(
            "The bundle carries a genuine Kith package; not kept: {}",
            value["reason"].as_str().unwrap_or("?")
        )
    } else if value["genuine"] == true {
        let held = &value["release"];
        let mut text = format!(
            "The bundle carries genuine Kith {} (signed by {}); kept to hand on.",
            held["version"].as_str().unwrap_or("?"),
            held["fingerprint"].as_str().unwrap_or("?")
        );
        for f in held["files"].as_array().cloned().unwrap_or_default() {
            let path = f["path"].as_str().unwrap_or("?");
            let _ = write!(text, "\n  to install it: {}", install_command(path));
        }
        text
    } else {
        format!(
            "The Kith package beside the bundle is NOT genuine and was not kept: {}",
            value["reason"].as_str().unwrap_or("?")
        )
    }
}

/// The command that installs a package file with the system's installer.
fn install_command(path: &str) -> String {
    let rpm = Path::new(path)
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("rpm"));
    if rpm {
        format!("sudo dnf install {path}")
    } else {
        format!("sudo apt install {path}")
    }
}

/// Runs an export or import (`run`), adding the installer beside an
/// exported bundle (`--with-installer`, refused before anything is written
/// when there is none) and offering a genuine one found beside an imported
/// bundle.
pub fn around_transfer(
    command: Command,
    home: &Path,
    json: bool,
    run: impl FnOnce(Command) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let with_installer = match &command {
        Command::Export {
            out,
            with_installer: true,
            ..
        } => Some(out.clone()),
        _ => None,
    };
    let bundle = match &command {
        Command::Import { file } => Some(file.clone()),
        _ => None,
    };
    if with_installer.is_some() {
        Installer::open(home)?
            .held()?
            .filter(|h| !h.files.is_empty())
            .ok_or_else(|| {
                anyhow!(
                    "--with-installer: this home keeps no Kith package; add one with \
                     `kith installer add FILE --manifest {MANIFEST_FILE}`"
                )
            })?;
    }
    let ran = run(command);
    // The export is written even when stdout's reader went away: its
    // installer is still put beside it.
    if let Err(e) = &ran
        && !output::exit_quietly(e)
    {
        return ran;
    }
    if let Some(out) = with_installer {
        let dir = out
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let held = copy_installer(home, dir)?;
        if !json {
            let names: Vec<&str> = held.files.iter().map(|f| f.name.as_str()).collect();
            outln!(
                "Beside it: Kith {} ({}) and its signed manifest, for someone who has no Kith yet",
                held.version,
                names.join(", ")
            )?;
        }
    }
    if let Some(offer) = bundle.and_then(|b| offer_installer_beside(home, &b)) {
        // stdout holds the import's one JSON document; this goes to stderr.
        if json {
            eprintln!("{}", serde_json::json!({ "installer": offer }));
        } else {
            outln!("{}", installer_summary(&offer))?;
        }
    }
    ran
}
