//! Kith's own packages: checking one against a signed manifest, and the
//! installer directory (`<home>/installer`) that holds the newest genuine
//! release this machine can hand on (by the share page, a USB bundle, or
//! to peers as an update).
//!
//! Every file that enters the installer directory has been checked against
//! a manifest signed by the trusted release key; it is written under a
//! temporary name and renamed, so a reader never sees half a package.

use std::io::Read;
use std::path::{Path, PathBuf};

use kith_core::release::{
    PackageDigest, PackageFile, ReleaseError, ReleaseKey, SignedManifest, check_file_name,
};
use serde::Serialize;

use crate::error::{NodeError, Result};

/// Environment variable naming another trusted release key
/// (`ed25519:<hex>`), for those who build and sign their own Kith, and for
/// tests. It replaces the built-in key; Kith shows its fingerprint wherever
/// it shows the built-in one.
pub const RELEASE_KEY_ENV: &str = "KITH_RELEASE_PUBLIC_KEY";
/// The manifest's file name beside its packages.
pub const MANIFEST_FILE: &str = "kith-manifest.txt";
/// The installer directory's name in a home.
pub const INSTALLER_DIR: &str = "installer";

/// The release key this Kith trusts: the built-in one, or the one
/// [`RELEASE_KEY_ENV`] names.
pub fn trusted_key() -> Result<ReleaseKey> {
    match std::env::var(RELEASE_KEY_ENV) {
        Ok(text) if !text.trim().is_empty() => ReleaseKey::parse(&text)
            .map_err(|e| NodeError::Invalid(format!("{RELEASE_KEY_ENV}: {e}"))),
        _ => Ok(ReleaseKey::builtin()),
    }
}

/// The version of Kith running.
pub fn running_version() -> semver::Version {
    semver::Version::parse(env!("CARGO_PKG_VERSION"))
        .unwrap_or_else(|_| semver::Version::new(0, 0, 0))
}

impl From<ReleaseError> for NodeError {
    fn from(e: ReleaseError) -> Self {
        NodeError::Invalid(e.to_string())
    }
}

/// Reads and verifies a manifest file.
pub fn read_manifest(path: &Path, trusted: &ReleaseKey) -> Result<SignedManifest> {
    let bytes = read_capped(path, kith_core::release::MAX_MANIFEST_BYTES as u64)?;
    Ok(SignedManifest::verify(&bytes, trusted)?)
}

fn read_capped(path: &Path, cap: u64) -> Result<Vec<u8>> {
    let file = std::fs::File::open(path).map_err(|e| NodeError::io(path, e))?;
    let mut bytes = Vec::new();
    file.take(cap + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| NodeError::io(path, e))?;
    if bytes.len() as u64 > cap {
        return Err(NodeError::Invalid(format!(
            "{} is larger than {cap} bytes: not a Kith release manifest",
            path.display()
        )));
    }
    Ok(bytes)
}

/// Hashes a file in one pass.
pub fn digest_file(path: &Path) -> Result<PackageDigest> {
    let mut file = std::fs::File::open(path).map_err(|e| NodeError::io(path, e))?;
    let mut digest = PackageDigest::new();
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = file.read(&mut buf).map_err(|e| NodeError::io(path, e))?;
        if n == 0 {
            return Ok(digest);
        }
        digest.update(&buf[..n]);
    }
}

/// The outcome of checking a package: genuine, or why not.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct PackageCheck {
    /// The package file checked.
    pub file: String,
    /// The manifest used.
    pub manifest: String,
    /// Whether the file is a genuine Kith package.
    pub genuine: bool,
    /// The version it is, when genuine.
    pub version: Option<String>,
    /// The fingerprint of the key the manifest had to be signed by.
    pub trusted_fingerprint: String,
    /// What was checked, or why it is not genuine, in plain words.
    pub reason: String,
}

/// Checks `package` against the signed manifest at `manifest` (signature by
/// the trusted key, then the file's name, size, SHA-256 and BLAKE3).
pub fn verify_package(package: &Path, manifest: &Path) -> Result<PackageCheck> {
    let trusted = trusted_key()?;
    let name = package
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| NodeError::Invalid(format!("{} is not a file name", package.display())))?;
    let mut check = PackageCheck {
        file: package.display().to_string(),
        manifest: manifest.display().to_string(),
        genuine: false,
        version: None,
        trusted_fingerprint: trusted.fingerprint(),
        reason: String::new(),
    };
    let outcome = read_manifest(manifest, &trusted).and_then(|signed| {
        let entry = signed.file(name)?.clone();
        digest_file(package)?.check(&entry)?;
        Ok(signed)
    });
    match outcome {
        Ok(signed) => {
            check.genuine = true;
            check.version = Some(signed.version().to_string());
            check.reason = format!(
                "{name} is genuine Kith {}: its size, SHA-256 and BLAKE3 match a manifest signed \
                 by Kith's release key ({})",
                signed.version(),
                trusted.fingerprint()
            );
        }
        Err(NodeError::Io { path, source }) => return Err(NodeError::Io { path, source }),
        Err(e) => check.reason = e.to_string(),
    }
    Ok(check)
}

/// The release held in the installer directory.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct HeldRelease {
    /// Its version.
    pub version: String,
    /// Its release date.
    pub date: String,
    /// Fingerprint of the key that signed it.
    pub fingerprint: String,
    /// The directory holding it.
    pub dir: String,
    /// The package files present (a manifest may list more).
    pub files: Vec<HeldFile>,
}

/// One package file held.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct HeldFile {
    /// Its file name.
    pub name: String,
    /// Its size in bytes.
    #[cfg_attr(feature = "specta", specta(type = f64))]
    pub size: u64,
    /// Its SHA-256, lower-case hex (what `sha256sum` prints).
    pub sha256: String,
    /// Its full path.
    pub path: String,
}

/// The installer directory of a home.
#[derive(Debug, Clone)]
pub struct Installer {
    dir: PathBuf,
    trusted: ReleaseKey,
}

impl Installer {
    /// The installer directory of `home` (created when something is added).
    pub fn open(home: &Path) -> Result<Self> {
        Ok(Self {
            dir: home.join(INSTALLER_DIR),
            trusted: trusted_key()?,
        })
    }

    /// The installer directory of `home`, trusting `trusted` rather than
    /// the key [`trusted_key`] names (for tests and tools).
    pub fn with_key(home: &Path, trusted: ReleaseKey) -> Self {
        Self {
            dir: home.join(INSTALLER_DIR),
            trusted,
        }
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The key manifests must be signed by.
    pub fn trusted(&self) -> &ReleaseKey {
        &self.trusted
    }

    /// The held manifest, verified again, or `None` when nothing is held.
    pub fn manifest(&self) -> Result<Option<SignedManifest>> {
        let path = self.dir.join(MANIFEST_FILE);
        if !path.exists() {
            return Ok(None);
        }
        read_manifest(&path, &self.trusted).map(Some)
    }

    /// The held release with the package files present (their sizes
    /// checked; [`Installer::load`] checks the digests).
    pub fn held(&self) -> Result<Option<HeldRelease>> {
        let Some(signed) = self.manifest()? else {
            return Ok(None);
        };
        Ok(Some(self.describe(&signed)))
    }

    fn describe(&self, signed: &SignedManifest) -> HeldRelease {
        let files = signed
            .manifest
            .files
            .iter()
            .filter(|f| std::fs::metadata(self.dir.join(&f.name)).is_ok_and(|m| m.len() == f.size))
            .map(|f| HeldFile {
                name: f.name.clone(),
                size: f.size,
                sha256: hex::encode(f.sha256),
                path: self.dir.join(&f.name).display().to_string(),
            })
            .collect();
        HeldRelease {
            version: signed.version().to_string(),
            date: signed.manifest.date.clone(),
            fingerprint: signed.key.fingerprint(),
            dir: self.dir.display().to_string(),
            files,
        }
    }

    /// Reads a held package whole and checks it against the manifest.
    pub fn load(&self, entry: &PackageFile) -> Result<Vec<u8>> {
        let path = self.dir.join(&entry.name);
        let bytes = read_capped(&path, entry.size)?;
        let mut digest = PackageDigest::new();
        digest.update(&bytes);
        digest.check(entry)?;
        Ok(bytes)
    }

    /// The held package file with this BLAKE3, if present.
    pub fn by_blake3(&self, hash: &[u8; 32]) -> Result<Option<(PackageFile, PathBuf)>> {
        let Some(signed) = self.manifest()? else {
            return Ok(None);
        };
        Ok(signed
            .manifest
            .files
            .iter()
            .find(|f| &f.blake3 == hash)
            .map(|f| (f.clone(), self.dir.join(&f.name)))
            .filter(|(f, p)| std::fs::metadata(p).is_ok_and(|m| m.len() == f.size)))
    }

    /// Adds a release: verifies the manifest and every package against it,
    /// then copies them in. A newer release replaces the one held; the same
    /// release adds the packages not yet held; an older one is refused.
    pub fn add(&self, manifest: &Path, packages: &[PathBuf]) -> Result<HeldRelease> {
        let bytes = read_capped(manifest, kith_core::release::MAX_MANIFEST_BYTES as u64)?;
        let signed = SignedManifest::verify(&bytes, &self.trusted)?;
        let mut entries = Vec::new();
        for package in packages {
            let name = package
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            check_file_name(name)?;
            let entry = signed.file(name)?.clone();
            digest_file(package)?.check(&entry)?;
            entries.push((entry, package.clone()));
        }
        self.admit(&signed, |dir| {
            for (entry, source) in &entries {
                let tmp = dir.join(format!(".{}.part", entry.name));
                std::fs::copy(source, &tmp).map_err(|e| NodeError::io(&tmp, e))?;
                // Check the copy, not only the source, before it is admitted.
                digest_file(&tmp)?.check(entry)?;
                let dest = dir.join(&entry.name);
                std::fs::rename(&tmp, &dest).map_err(|e| NodeError::io(&dest, e))?;
            }
            Ok(())
        })
    }

    /// Admits a package already written to `part` (a file in this
    /// directory, e.g. a download) after checking it against `signed`.
    pub fn admit_download(
        &self,
        signed: &SignedManifest,
        entry: &PackageFile,
        part: &Path,
    ) -> Result<HeldRelease> {
        digest_file(part)?.check(entry)?;
        self.admit(signed, |dir| {
            let dest = dir.join(&entry.name);
            std::fs::rename(part, &dest).map_err(|e| NodeError::io(&dest, e))
        })
    }

    /// A path in the installer directory for a download in progress.
    pub fn partial_path(&self, entry: &PackageFile) -> Result<PathBuf> {
        std::fs::create_dir_all(&self.dir).map_err(|e| NodeError::io(&self.dir, e))?;
        Ok(self.dir.join(format!(".{}.download", entry.name)))
    }

    fn admit(
        &self,
        signed: &SignedManifest,
        write: impl FnOnce(&Path) -> Result<()>,
    ) -> Result<HeldRelease> {
        let held = self.manifest().ok().flatten();
        if let Some(held) = &held {
            if held.version() > signed.version() {
                return Err(NodeError::Invalid(format!(
                    "this home already holds Kith {}, newer than {}",
                    held.version(),
                    signed.version()
                )));
            }
            if held.version() == signed.version() && held.text() != signed.text() {
                return Err(NodeError::Invalid(format!(
                    "this home holds another manifest for Kith {}",
                    held.version()
                )));
            }
        }
        std::fs::create_dir_all(&self.dir).map_err(|e| NodeError::io(&self.dir, e))?;
        write(&self.dir)?;
        let manifest = self.dir.join(MANIFEST_FILE);
        let tmp = self.dir.join(format!(".{MANIFEST_FILE}.part"));
        std::fs::write(&tmp, signed.text()).map_err(|e| NodeError::io(&tmp, e))?;
        std::fs::rename(&tmp, &manifest).map_err(|e| NodeError::io(&manifest, e))?;
        // Remove what the new manifest does not list (an older release).
        if let Ok(entries) = std::fs::read_dir(&self.dir) {
            for entry in entries.flatten() {
                let name = entry.file_name();
                let name = name.to_string_lossy();
                let listed = signed.manifest.files.iter().any(|f| f.name == name);
                if !listed && name != MANIFEST_FILE && !name.starts_with('.') {
                    let _ = std::fs::remove_file(entry.path());
                }
            }
        }
        tracing::info!(version = %signed.version(), dir = %self.dir.display(), "release held");
        Ok(self.describe(signed))
    }
}
