//! Release tasks, run as `cargo xtask …` (`docs/releasing.md`):
//!
//! - `release-key --out FILE`: makes a release signing key, encrypted with a
//!   passphrase, and prints its public half and fingerprint;
//! - `release --key FILE`: builds the .deb and .rpm, copies them to a release
//!   directory and writes their signed manifest beside them.
//!
//! The secret key is only ever read from the file named on the command line;
//! it never enters the repository.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use ed25519_dalek::SigningKey;
use kith_core::release::{Manifest, PackageDigest, ReleaseKey, SignedManifest, check_file_name};
use zeroize::Zeroizing;

/// What a release key file holds, for the key store's kind check.
const KEY_KIND: &str = "release";
/// The manifest's file name in a release directory.
const MANIFEST_FILE: &str = "kith-manifest.txt";

/// Kith's release tasks.
#[derive(Parser)]
#[command(name = "cargo xtask")]
struct Cli {
    #[command(subcommand)]
    task: Task,
}

#[derive(Subcommand)]
enum Task {
    /// Make a new release signing key, encrypted with a passphrase
    /// (asked twice, or KITH_RELEASE_PASSPHRASE).
    ReleaseKey {
        /// Where to write it (keep it offline; never in the repository).
        #[arg(long)]
        out: PathBuf,
    },
    /// Build the packages and write their signed manifest.
    Release {
        /// The release key file (passphrase asked, or KITH_RELEASE_PASSPHRASE).
        #[arg(long)]
        key: PathBuf,
        /// Use the packages already built instead of running scripts/package.sh.
        #[arg(long)]
        skip_build: bool,
        /// Where the packages were built [default: $CARGO_TARGET_DIR/release/bundle].
        #[arg(long)]
        bundle_dir: Option<PathBuf>,
        /// The release directory to write [default: target/kith-release-VERSION].
        #[arg(long)]
        out: Option<PathBuf>,
        /// The release date, YYYY-MM-DD [default: today, UTC].
        #[arg(long)]
        date: Option<String>,
        /// Sign even though the key is not the one built into Kith (for a
        /// fork that builds in its own key; Kith itself refuses such a manifest).
        #[arg(long)]
        foreign_key: bool,
    },
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().task {
        Task::ReleaseKey { out } => release_key(&out),
        Task::Release {
            key,
            skip_build,
            bundle_dir,
            out,
            date,
            foreign_key,
        } => release(&ReleaseArgs {
            key,
            skip_build,
            bundle_dir,
            out,
            date,
            foreign_key,
        }),
    }
}

fn passphrase(confirm: bool) -> anyhow::Result<Zeroizing<String>> {
    if let Ok(p) = std::env::var("KITH_RELEASE_PASSPHRASE") {
        return Ok(Zeroizing::new(p));
    }
    let first = Zeroizing::new(rpassword::prompt_password("Release key passphrase: ")?);
    if confirm {
        let again = Zeroizing::new(rpassword::prompt_password("Again: ")?);
        if first != again {
            bail!("the passphrases differ");
        }
    }
    if first.chars().count() < 12 {
        bail!("use a passphrase of at least 12 characters for a release key");
    }
    Ok(first)
}

fn release_key(out: &Path) -> anyhow::Result<()> {
    if out.exists() {
        bail!("{} exists; not overwriting a key", out.display());
    }
    let passphrase = passphrase(true)?;
    let key = SigningKey::generate(&mut rand::rngs::OsRng);
    kith_node::keystore::write(out, KEY_KIND, &key.to_bytes(), &passphrase)?;
    let public = ReleaseKey::of(&key);
    println!("wrote {}", out.display());
    println!("public key:  {}", public.to_text());
    println!("fingerprint: {}", public.fingerprint());
    println!(
        "To make it Kith's release key, set BUILTIN_RELEASE_KEY in crates/kith-core/src/release.rs to the public key."
    );
    Ok(())
}

struct ReleaseArgs {
    key: PathBuf,
    skip_build: bool,
    bundle_dir: Option<PathBuf>,
    out: Option<PathBuf>,
    date: Option<String>,
    foreign_key: bool,
}

fn release(args: &ReleaseArgs) -> anyhow::Result<()> {
    let version = semver::Version::parse(env!("CARGO_PKG_VERSION"))?;
    let passphrase = passphrase(false)?;
    let secret = kith_node::keystore::read(&args.key, KEY_KIND, &passphrase)
        .with_context(|| format!("reading the release key {}", args.key.display()))?;
    let key = SigningKey::from_bytes(&secret);
    let public = ReleaseKey::of(&key);
    if public != ReleaseKey::builtin() && !args.foreign_key {
        bail!(
            "this key ({}) is not the release key built into Kith ({}); Kith would refuse the \
             manifest. Pass --foreign-key if you build Kith with your own key.",
            public.fingerprint(),
            ReleaseKey::builtin().fingerprint()
        );
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .context("the workspace root")?;
    if !args.skip_build {
        let status = Command::new(root.join("scripts/package.sh"))
            .status()
            .context("running scripts/package.sh")?;
        if !status.success() {
            bail!("scripts/package.sh failed ({status})");
        }
    }
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
    let bundle = args
        .bundle_dir
        .clone()
        .unwrap_or_else(|| target.join("release/bundle"));
    let packages = find_packages(&bundle, &version)?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| target.join(format!("kith-release-{version}")));
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    let mut files = Vec::new();
    for package in &packages {
        let name = package
            .file_name()
            .and_then(|n| n.to_str())
            .context("a package file name")?;
        check_file_name(name)?;
        let bytes =
            std::fs::read(package).with_context(|| format!("reading {}", package.display()))?;
        let mut digest = PackageDigest::new();
        digest.update(&bytes);
        files.push(digest.finish(name));
        std::fs::write(out.join(name), &bytes)
            .with_context(|| format!("copying {name} to {}", out.display()))?;
    }
    let manifest = Manifest {
        version,
        date: args.date.clone().unwrap_or_else(today),
        files,
    };
    let signed = manifest.sign(&key)?;
    // Check what was written the way every receiver will.
    SignedManifest::verify(signed.text().as_bytes(), &public)?;
    let path = out.join(MANIFEST_FILE);
    std::fs::write(&path, signed.text()).with_context(|| format!("writing {}", path.display()))?;
    println!("{}", signed.text());
    println!("Release in {}", out.display());
    println!("Signed by {} ({})", public.to_text(), public.fingerprint());
    Ok(())
}

/// The .deb and .rpm of `version` under `bundle/{deb,rpm}`.
fn find_packages(bundle: &Path, version: &semver::Version) -> anyhow::Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    for kind in ["deb", "rpm"] {
        let dir = bundle.join(kind);
        let entries =
            std::fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))?;
        for entry in entries {
            let path = entry?.path();
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            let this_version =
                name.contains(&format!("_{version}_")) || name.contains(&format!("-{version}-"));
            if path.is_file() && name.ends_with(&format!(".{kind}")) && this_version {
                found.push(path);
            }
        }
    }
    if found.is_empty() {
        bail!(
            "no .deb or .rpm of version {version} under {}",
            bundle.display()
        );
    }
    found.sort();
    Ok(found)
}

/// Today's date in UTC, YYYY-MM-DD.
fn today() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (y, m, d) = civil_from_days((secs / 86_400) as i64);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Days since 1970-01-01 to a proleptic Gregorian date (H. Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::civil_from_days;

    #[test]
    fn days_since_the_epoch_become_calendar_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_415), (2025, 11, 23));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
    }
}
