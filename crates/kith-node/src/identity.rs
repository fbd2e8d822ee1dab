//! The public identity of a home: account, device and certificate.

use std::path::Path;

use kith_core::{AccountId, DeviceCertificate, DeviceId};
use serde::{Deserialize, Serialize};

use crate::error::{NodeError, Result};

/// File holding the public identity.
pub const IDENTITY_FILE: &str = "identity.json";
/// File holding the encrypted account key.
pub const ACCOUNT_KEY_FILE: &str = "account.key";
/// File holding the encrypted device key.
pub const DEVICE_KEY_FILE: &str = "device.key";

/// Who this home is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The account.
    pub account: AccountId,
    /// This device.
    pub device: DeviceId,
    /// The account's certificate for this device.
    pub certificate: DeviceCertificate,
}

/// The answer of `init` and `restore`.
#[derive(Debug, Clone, Serialize)]
pub struct Created {
    /// The account id.
    pub account: AccountId,
    /// The new device id.
    pub device: DeviceId,
    /// The 24-word recovery phrase.
    pub phrase: String,
}

#[derive(Serialize, Deserialize)]
struct IdentityFile {
    account: AccountId,
    device: DeviceId,
    certificate: String,
}

impl Identity {
    /// Reads the identity of a home, if it has one.
    pub fn read(home: &Path) -> Result<Option<Self>> {
        let path = home.join(IDENTITY_FILE);
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(NodeError::io(&path, e)),
        };
        let bad = |why: String| NodeError::BadKeyFile(path.display().to_string(), why);
        let f: IdentityFile = serde_json::from_slice(&bytes).map_err(|e| bad(e.to_string()))?;
        let cert_bytes = hex::decode(&f.certificate).map_err(|e| bad(e.to_string()))?;
        let certificate =
            DeviceCertificate::decode_verified(&cert_bytes).map_err(|e| bad(e.to_string()))?;
        if certificate.account != f.account || certificate.device != f.device {
            return Err(bad("certificate does not match the identity".into()));
        }
        Ok(Some(Self {
            account: f.account,
            device: f.device,
            certificate,
        }))
    }

    /// The identity file's contents.
    pub fn file_bytes(&self) -> Result<Vec<u8>> {
        let f = IdentityFile {
            account: self.account,
            device: self.device,
            certificate: hex::encode(self.certificate.encode()),
        };
        serde_json::to_vec_pretty(&f).map_err(|e| NodeError::Invalid(e.to_string()))
    }
}
