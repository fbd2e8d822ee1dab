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
    let json = serde_json::to_vec_pretty(&file).map_err(|e| NodeError::Invalid(e.to_string()))?;
    write_private(path, &json)
}

/// Encrypts each of `keys` (path, kind, secret) with `passphrase` into a
/// file beside its path, then renames each over its path: no key file is
/// ever left half written, and a failure before the renames changes
/// nothing.
pub fn replace_all(keys: &[(PathBuf, &str, &Zeroizing<[u8; 32]>)], passphrase: &str) -> Result<()> {
    let beside = |path: &Path| path.with_extension("key.new");
    for (path, kind, secret) in keys {
        if let Err(e) = write(&beside(path), kind, secret, passphrase) {
            for (path, _, _) in keys {
                let _ = std::fs::remove_file(beside(path));
            }
            return Err(e);
        }
    }
    for (path, _, _) in keys {
        std::fs::rename(beside(path), path).map_err(|e| NodeError::io(path, e))?;
    }
    Ok(())
}

/// Writes a file readable only by its owner.
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path).map_err(|e| NodeError::io(path, e))?;
    f.write_all(bytes)
        .and_then(|()| f.sync_all())
        .map_err(|e| NodeError::io(path, e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
            .map_err(|e| NodeError::io(path, e))?;
    }
    Ok(())
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
}
