//! Device certificates: the account key vouches for a device key.
//!
//! Encoding (all integers big-endian):
//! `version u8 = 1 | account [32] | device [32] | issued_at_ms i64 | signature [64]`.
//! The signature is by the account key over
//! `BLAKE3-derive-key("kith device certificate v1", first 73 bytes)`.

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};

use crate::Hash;
use crate::error::{CoreError, Result, malformed};
use crate::ids::{AccountId, DeviceId};
use crate::keys::domain_hasher;

/// The signing context of device certificates.
pub const CERT_CONTEXT: &str = "kith device certificate v1";
/// The encoding version.
pub const CERT_VERSION: u8 = 1;
/// Encoded length in bytes.
pub const CERT_LEN: usize = 1 + 32 + 32 + 8 + 64;

/// A certificate: "device D belongs to account A", signed by A.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceCertificate {
    /// The certifying account.
    pub account: AccountId,
    /// The certified device.
    pub device: DeviceId,
    /// When it was issued, in milliseconds since the Unix epoch.
    pub issued_at: i64,
    /// The account key's signature.
    pub signature: [u8; 64],
}

impl DeviceCertificate {
    /// Issues a certificate for `device` signed by the account key.
    pub fn issue(account_key: &SigningKey, device: DeviceId, issued_at: i64) -> Self {
        let account = AccountId(account_key.verifying_key().to_bytes());
        let digest = Self::digest(account, device, issued_at);
        let signature = account_key.sign(&digest).to_bytes();
        Self {
            account,
            device,
            issued_at,
            signature,
        }
    }

    fn signed_part(account: AccountId, device: DeviceId, issued_at: i64) -> [u8; 73] {
        let mut b = [0u8; 73];
        b[0] = CERT_VERSION;
        b[1..33].copy_from_slice(&account.0);
        b[33..65].copy_from_slice(&device.0);
        b[65..73].copy_from_slice(&issued_at.to_be_bytes());
        b
    }

    /// The 32-byte digest the account key signs.
    pub fn digest(account: AccountId, device: DeviceId, issued_at: i64) -> [u8; 32] {
        let mut h = domain_hasher(CERT_CONTEXT);
        h.update(&Self::signed_part(account, device, issued_at));
        *h.finalize().as_bytes()
    }

    /// The byte encoding.
    pub fn encode(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(CERT_LEN);
        b.extend_from_slice(&Self::signed_part(
            self.account,
            self.device,
            self.issued_at,
        ));
        b.extend_from_slice(&self.signature);
        b
    }

    /// Decodes and verifies a certificate.
    pub fn decode_verified(bytes: &[u8]) -> Result<Self> {
        let cert = Self::decode(bytes)?;
        cert.verify()?;
        Ok(cert)
    }

    /// Decodes without verifying; call [`Self::verify`] before trusting it.
    pub fn decode(bytes: &[u8]) -> Result<Self> {
        if bytes.len() != CERT_LEN {
            return Err(malformed(
                "certificate",
                format!("expected {CERT_LEN} bytes, found {}", bytes.len()),
            ));
        }
        if bytes[0] != CERT_VERSION {
            return Err(malformed(
                "certificate",
                format!("unknown version {}", bytes[0]),
            ));
        }
        let account = AccountId::from_slice(&bytes[1..33])?;
        let device = DeviceId::from_slice(&bytes[33..65])?;
        let issued_at = i64::from_be_bytes(
            bytes[65..73]
                .try_into()
                .map_err(|_| malformed("certificate", "time"))?,
        );
        let signature: [u8; 64] = bytes[73..]
            .try_into()
            .map_err(|_| malformed("certificate", "signature"))?;
        Ok(Self {
            account,
            device,
            issued_at,
            signature,
        })
    }

    /// Checks the account key's signature.
    pub fn verify(&self) -> Result<()> {
        let key = VerifyingKey::from_bytes(&self.account.0)
            .map_err(|_| CoreError::Certificate("account id is not a valid ed25519 key".into()))?;
        VerifyingKey::from_bytes(&self.device.0)
            .map_err(|_| CoreError::Certificate("device id is not a valid ed25519 key".into()))?;
        let digest = Self::digest(self.account, self.device, self.issued_at);
        key.verify_strict(&digest, &Signature::from_bytes(&self.signature))
            .map_err(|_| CoreError::BadSignature("device certificate"))
    }

    /// The certificate reference carried by envelopes: BLAKE3 of the encoding.
    pub fn reference(&self) -> Hash {
        *blake3::hash(&self.encode()).as_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::{device_id, generate};

    #[test]
    fn certificate_round_trips_and_verifies() {
        let acct = generate();
        let dev = generate();
        let cert = DeviceCertificate::issue(&acct, device_id(&dev), 1_700_000_000_000);
        let back = DeviceCertificate::decode_verified(&cert.encode()).unwrap();
        assert_eq!(back, cert);
    }

    #[test]
    fn certificate_with_any_flipped_byte_is_rejected() {
        let cert = DeviceCertificate::issue(&generate(), device_id(&generate()), 5);
        let bytes = cert.encode();
        for i in 0..bytes.len() {
            let mut b = bytes.clone();
            b[i] ^= 0x01;
            assert!(
                DeviceCertificate::decode_verified(&b).is_err(),
                "flip at {i} accepted"
            );
        }
    }
}
