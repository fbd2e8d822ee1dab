//! Private keys encrypted at rest: argon2id derives a key from the
//! passphrase, XChaCha20-Poly1305 seals the 32-byte secret. Files are JSON,
//! written with mode 0600.

use std::path::{Path, PathBuf};

use argon2::{Algorithm, Argon2, Params, Version};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::error::{NodeError, Result};

/// argon2id memory cost in KiB (OWASP's recommended minimum setting).
const M_COST: u32 = 19 * 1024;
/// argon2id iterations.
const T_COST: u32 = 2;
/// argon2id lanes.
const P_COST: u32 = 1;
/// Upper bounds accepted when reading a file, so a crafted file cannot make
/// opening it take minutes or gigabytes.
const MAX_M_COST: u32 = 1024 * 1024;
const MAX_T_COST: u32 = 16;

/// The on-disk form of an encrypted key.
#[derive(Serialize, Deserialize)]
struct KeyFile {
    kith_key: u32,
    kind: String,
    kdf: String,
    m_cost: u32,
    t_cost: u32,
    p_cost: u32,
    salt: String,
    cipher: String,
    nonce: String,
    ciphertext: String,
}

fn derive(passphrase: &str, salt: &[u8], m: u32, t: u32, p: u32) -> Result<Zeroizing<[u8; 32]>> {
    let params = Params::new(m, t, p, Some(32))
        .map_err(|e| NodeError::Invalid(format!("key derivation parameters: {e}")))?;
    let mut out = Zeroizing::new([0u8; 32]);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(passphrase.as_bytes(), salt, out.as_mut())
        .map_err(|e| NodeError::Invalid(format!("key derivation: {e}")))?;
    Ok(out)
}

fn aad(kind: &str) -> Vec<u8> {
    format!("kith key v1 {kind}").into_bytes()
}

/// Encrypts `secret` with `passphrase` and writes it to `path` (mode 0600).
/// `kind` names the key ("account", "device") and is bound to the ciphertext.
pub fn write(path: &Path, kind: &str, secret: &[u8; 32], passphrase: &str) -> Result<()> {
    write_private(path, &seal(kind, secret, passphrase)?)
}

/// A key file's contents: `secret` encrypted with `passphrase`, `kind`
/// bound to the ciphertext.
pub fn seal(kind: &str, secret: &[u8; 32], passphrase: &str) -> Result<Vec<u8>> {
    let mut salt = [0u8; 16];
    let mut nonce = [0u8; 24];
    rand::rngs::OsRng.fill_bytes(&mut salt);
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    let key = derive(passphrase, &salt, M_COST, T_COST, P_COST)?;
    let cipher = XChaCha20Poly1305::new(key.as_ref().into());
    let ciphertext = cipher
        .encrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: secret,
                aad: &aad(kind),
            },
        )
        .map_err(|_| NodeError::Invalid("encryption failed".into()))?;
    let file = KeyFile {
        kith_key: 1,
        kind: kind.into(),
        kdf: "argon2id".into(),
        m_cost: M_COST,
        t_cost: T_COST,
        p_cost: P_COST,
        salt: hex::encode(salt),
        cipher: "xchacha20poly1305".into(),
        nonce: hex::encode(nonce),
        ciphertext: hex::encode(ciphertext),
    };
    serde_json::to_vec_pretty(&file).map_err(|e| NodeError::Invalid(e.to_string()))
}

/// While this file is in a home, a [`replace_together`] had written every
/// new file and was putting them in place: it names them, one per line,
/// and [`finish_replacing`] completes the change.
pub const REPLACING_FILE: &str = "keys.replacing";

/// The file named `prefix`, `path`'s file name and `suffix`, in `path`'s folder.
fn sibling(path: &Path, prefix: &str, suffix: &str) -> PathBuf {
    let mut name = std::ffi::OsString::from(prefix);
    name.push(path.file_name().unwrap_or_default());
    name.push(suffix);
    path.with_file_name(name)
}

/// The file a file's replacement is written to before it takes its place.
fn beside(path: &Path) -> PathBuf {
    sibling(path, "", ".new")
}

/// Puts `files` (name in `home`, contents) in place together, each private
/// to its owner: a crash at any point leaves either every old file or, once
/// [`finish_replacing`] has run, every new one, never some of each. For the
/// key files and the identity, which must change as one.
///
/// The new files are written beside the old ones; then [`REPLACING_FILE`]
/// records that all of them are complete; then each is renamed over its
/// old file and the record removed. A failure before the record changes
/// nothing.
pub fn replace_together(home: &Path, files: &[(&str, &[u8])]) -> Result<()> {
    let news: Vec<PathBuf> = files
        .iter()
        .map(|(name, _)| beside(&home.join(name)))
        .collect();
    for ((_, bytes), new) in files.iter().zip(&news) {
        if let Err(e) = write_private(new, bytes) {
            for new in &news {
                let _ = std::fs::remove_file(new);
            }
            return Err(e);
        }
    }
    let names: Vec<&str> = files.iter().map(|(name, _)| *name).collect();
    write_private(&home.join(REPLACING_FILE), names.join("\n").as_bytes())?;
    finish_replacing(home)
}

/// Completes a [`replace_together`] that stopped after recording its new files
/// (the process ended, the disk filled): each named file still waiting
/// beside its old one takes its place. Without a record there is nothing
/// to do: a new file left beside an old one by an earlier stop is not a
/// key yet, and the next change writes over it. Run when a home is opened.
pub fn finish_replacing(home: &Path) -> Result<()> {
    use std::io::ErrorKind::NotFound;
    let record = home.join(REPLACING_FILE);
    let names = match std::fs::read_to_string(&record) {
        Ok(text) => text,
        Err(e) if e.kind() == NotFound => return Ok(()),
        Err(e) => return Err(NodeError::io(&record, e)),
    };
    for name in names.lines().filter(|n| !n.is_empty()) {
        if Path::new(name).file_name() != Some(std::ffi::OsStr::new(name)) {
            return Err(NodeError::BadKeyFile(
                record.display().to_string(),
                format!("names {name:?}, not a file of this home"),
            ));
        }
        let path = home.join(name);
        // Already in place when another process finished first.
        match std::fs::rename(beside(&path), &path) {
            Err(e) if e.kind() != NotFound => return Err(NodeError::io(&path, e)),
            _ => {}
        }
    }
    sync_dir(home)?;
    match std::fs::remove_file(&record) {
        Err(e) if e.kind() != NotFound => return Err(NodeError::io(&record, e)),
        _ => {}
    }
    sync_dir(home)
}

/// Makes the renames and removals in `dir` durable.
fn sync_dir(dir: &Path) -> Result<()> {
    #[cfg(unix)]
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| NodeError::io(dir, e))?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Writes a file readable only by its owner, whole or not at all: the
/// bytes go to a file beside it, are flushed to disk, and that file is
/// renamed over `path`.
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let partial = sibling(path, ".", ".partial");
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let written = (|| {
        let mut f = opts.open(&partial)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        }
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&partial, path)
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&partial);
        return Err(NodeError::io(path, e));
    }
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => sync_dir(dir),
        _ => Ok(()),
    }
}

/// Reads and decrypts a key file.
pub fn read(path: &Path, kind: &str, passphrase: &str) -> Result<Zeroizing<[u8; 32]>> {
    let name = path.display().to_string();
    let bad = |why: &str| NodeError::BadKeyFile(name.clone(), why.into());
    let bytes = std::fs::read(path).map_err(|e| NodeError::io(path, e))?;
    let file: KeyFile = serde_json::from_slice(&bytes).map_err(|e| bad(&e.to_string()))?;
    if file.kith_key != 1 || file.kdf != "argon2id" || file.cipher != "xchacha20poly1305" {
        return Err(bad("unsupported format"));
    }
    if file.kind != kind {
        return Err(bad(&format!(
            "holds a {} key, expected a {kind} key",
            file.kind
        )));
    }
    if file.m_cost > MAX_M_COST || file.t_cost > MAX_T_COST || file.p_cost == 0 || file.p_cost > 16
    {
        return Err(bad("key derivation parameters out of range"));
    }
    let salt = hex::decode(&file.salt).map_err(|_| bad("salt"))?;
    let nonce = hex::decode(&file.nonce).map_err(|_| bad("nonce"))?;
    if nonce.len() != 24 {
        return Err(bad("nonce"));
    }
    let ciphertext = hex::decode(&file.ciphertext).map_err(|_| bad("ciphertext"))?;
    let key = derive(passphrase, &salt, file.m_cost, file.t_cost, file.p_cost)?;
    let cipher = XChaCha20Poly1305::new(key.as_ref().into());
    let plain = Zeroizing::new(
        cipher
            .decrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: &ciphertext,
                    aad: &aad(kind),
                },
            )
            .map_err(|_| NodeError::WrongPassphrase(name.clone()))?,
    );
    let mut out = Zeroizing::new([0u8; 32]);
    if plain.len() != 32 {
        return Err(bad("wrong secret length"));
    }
    out.copy_from_slice(&plain);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_file_opens_with_the_right_passphrase_only_and_is_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("device.key");
        write(&path, "device", &[9u8; 32], "correct horse").unwrap();
        assert_eq!(*read(&path, "device", "correct horse").unwrap(), [9u8; 32]);
        let err = read(&path, "device", "wrong").unwrap_err();
        assert!(matches!(err, NodeError::WrongPassphrase(_)), "{err}");
        assert!(matches!(
            read(&path, "account", "correct horse"),
            Err(NodeError::BadKeyFile(..))
        ));
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains(&hex::encode([9u8; 32])));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
    }

    fn write_pair(home: &Path, passphrase: &str) {
        write(&home.join("account.key"), "account", &[1u8; 32], passphrase).unwrap();
        write(&home.join("device.key"), "device", &[2u8; 32], passphrase).unwrap();
    }

    fn opens_with(home: &Path, passphrase: &str) -> (bool, bool) {
        (
            read(&home.join("account.key"), "account", passphrase).is_ok(),
            read(&home.join("device.key"), "device", passphrase).is_ok(),
        )
    }

    /// Both keys encrypted anew with `passphrase`, put in place together.
    fn change_both(home: &Path, passphrase: &str) -> Result<()> {
        let account = seal("account", &[1u8; 32], passphrase)?;
        let device = seal("device", &[2u8; 32], passphrase)?;
        replace_together(home, &[("account.key", &account), ("device.key", &device)])
    }

    #[test]
    fn replace_together_leaves_every_old_file_when_a_new_one_cannot_be_written() {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path();
        write_pair(home, "old");
        // The device's new file cannot take its name: a folder is there.
        std::fs::create_dir(home.join("device.key.new")).unwrap();
        change_both(home, "new").expect_err("the device's new file is blocked");
        assert_eq!(
            opens_with(home, "old"),
            (true, true),
            "both keys still open with the old passphrase"
        );
        assert!(
            !home.join(REPLACING_FILE).exists(),
            "nothing recorded as complete"
        );
        assert!(
            !home.join("account.key.new").exists(),
            "the account's new file removed"
        );
        finish_replacing(home).unwrap();
        assert_eq!(
            opens_with(home, "old"),
            (true, true),
            "opening the home changes nothing"
        );
    }

    #[test]
    fn a_replacement_stopped_between_its_renames_is_finished_when_the_home_opens() {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path();
        write_pair(home, "old");
        // Stop the change after the account's rename: the device's old
        // file is, for the moment, a folder that cannot be replaced.
        std::fs::remove_file(home.join("device.key")).unwrap();
        std::fs::create_dir_all(home.join("device.key/inside")).unwrap();
        change_both(home, "new").expect_err("the device's rename is blocked");
        // The state a crash between the two renames leaves: the account's
        // key new, the device's old, the device's new one waiting beside it.
        std::fs::remove_dir_all(home.join("device.key")).unwrap();
        write(&home.join("device.key"), "device", &[2u8; 32], "old").unwrap();
        assert_eq!(
            opens_with(home, "new"),
            (true, false),
            "half changed before the home opens"
        );
        assert!(home.join(REPLACING_FILE).exists());

        finish_replacing(home).unwrap();
        assert_eq!(
            opens_with(home, "new"),
            (true, true),
            "both keys open with the new passphrase"
        );
        assert!(
            !home.join(REPLACING_FILE).exists(),
            "the record removed once finished"
        );
        assert!(!home.join("device.key.new").exists());
        finish_replacing(home).unwrap();
        assert_eq!(
            opens_with(home, "new"),
            (true, true),
            "finishing twice changes nothing"
        );
    }

    #[test]
    fn a_record_naming_a_file_outside_the_home_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("home");
        std::fs::create_dir(&home).unwrap();
        std::fs::write(dir.path().join("elsewhere.new"), b"x").unwrap();
        std::fs::write(home.join(REPLACING_FILE), b"../elsewhere").unwrap();
        let err = finish_replacing(&home).expect_err("a path, not a file name");
        assert!(err.to_string().contains("not a file of this home"), "{err}");
        assert!(
            dir.path().join("elsewhere.new").exists(),
            "nothing outside the home moved"
        );
    }

    #[test]
    fn write_private_replaces_a_file_whole_and_leaves_nothing_beside_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("identity.json");
        write_private(&path, b"first, a longer text").unwrap();
        write_private(&path, b"second").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"second");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["identity.json"], "no partial file left");
        // A target that cannot be replaced: an error, and no partial file.
        let blocked = dir.path().join("blocked");
        std::fs::create_dir_all(blocked.join("inside")).unwrap();
        write_private(&blocked, b"x").expect_err("a folder is in the way");
        assert!(!dir.path().join(".blocked.partial").exists());
    }
}
