//! The signed envelope every automerge change travels in.
//!
//! Encoding (integers big-endian):
//! `version u8 = 1 | account [32] | device [32] | cert_ref [32] | change_len u32 | change | signature [64]`.
//! The device key signs `BLAKE3-derive-key("kith envelope v1", everything before the signature)`.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use automerge::Change;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};

use crate::Hash;
use crate::cert::DeviceCertificate;
use crate::error::{CoreError, Result, malformed};
use crate::ids::{AccountId, DeviceId};
use crate::keys::domain_hasher;
use crate::limits::MAX_CHANGE_BYTES;

/// The signing context of envelopes.
pub const ENVELOPE_CONTEXT: &str = "kith envelope v1";
/// The encoding version.
pub const ENVELOPE_VERSION: u8 = 1;
/// The automerge chunk type of an uncompressed change.
pub const CHANGE_CHUNK_TYPE: u8 = 1;
/// Bytes of an envelope besides the change itself.
pub const ENVELOPE_OVERHEAD: usize = 1 + 32 + 32 + 32 + 4 + 64;

/// A signed automerge change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Envelope {
    /// The feed (account) the change belongs to.
    pub account: AccountId,
    /// The device that made and signed it.
    pub device: DeviceId,
    /// BLAKE3 of the certificate that certifies `device` for `account`.
    pub cert_ref: Hash,
    /// The automerge change, in automerge's binary change format.
    pub change: Vec<u8>,
    /// The device key's signature over [`Envelope::digest`].
    pub signature: [u8; 64],
}

/// An envelope whose signature, certificate and actor were checked, with its
/// change parsed.
#[derive(Debug, Clone)]
pub struct VerifiedEnvelope {
    /// The envelope as received.
    pub envelope: Envelope,
    /// The parsed automerge change.
    pub change: Change,
}

impl Envelope {
    /// Signs `change` with the device key.
    pub fn seal(
        account: AccountId,
        device_key: &SigningKey,
        cert_ref: Hash,
        change: Vec<u8>,
    ) -> Self {
        let device = DeviceId(device_key.verifying_key().to_bytes());
        let digest = Self::digest_of(account, device, &cert_ref, &change);
        let signature = device_key.sign(&digest).to_bytes();
        Self {
            account,
            device,
            cert_ref,
            change,
            signature,
        }
    }

    fn header(
        account: AccountId,
        device: DeviceId,
        cert_ref: &Hash,
        change_len: usize,
    ) -> [u8; 101] {
        let mut b = [0u8; 101];
        b[0] = ENVELOPE_VERSION;
        b[1..33].copy_from_slice(&account.0);
        b[33..65].copy_from_slice(&device.0);
        b[65..97].copy_from_slice(cert_ref);
        b[97..101].copy_from_slice(&(change_len as u32).to_be_bytes());
        b
    }

    fn digest_of(account: AccountId, device: DeviceId, cert_ref: &Hash, change: &[u8]) -> [u8; 32] {
        let mut h = domain_hasher(ENVELOPE_CONTEXT);
        h.update(&Self::header(account, device, cert_ref, change.len()));
        h.update(change);
        *h.finalize().as_bytes()
    }

    /// The 32-byte digest the device key signs.
    pub fn digest(&self) -> [u8; 32] {
        Self::digest_of(self.account, self.device, &self.cert_ref, &self.change)
    }

    /// The byte encoding.
    pub fn encode(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(ENVELOPE_OVERHEAD + self.change.len());
        b.extend_from_slice(&Self::header(
            self.account,
            self.device,
            &self.cert_ref,
            self.change.len(),
        ));
        b.extend_from_slice(&self.change);
        b.extend_from_slice(&self.signature);
        b
    }

    /// Decodes an envelope; call [`Self::verify`] before trusting it.
    pub fn decode(bytes: &[u8]) -> Result<Self> {
        if bytes.len() < ENVELOPE_OVERHEAD {
            return Err(malformed(
                "envelope",
                format!(
                    "{} bytes is shorter than the {ENVELOPE_OVERHEAD}-byte minimum",
                    bytes.len()
                ),
            ));
        }
        if bytes[0] != ENVELOPE_VERSION {
            return Err(malformed(
                "envelope",
                format!("unknown version {}", bytes[0]),
            ));
        }
        let len = u32::from_be_bytes([bytes[97], bytes[98], bytes[99], bytes[100]]) as usize;
        if len > MAX_CHANGE_BYTES {
            return Err(CoreError::TooLarge {
                what: "change",
                size: len,
                limit: MAX_CHANGE_BYTES,
            });
        }
        if bytes.len() != ENVELOPE_OVERHEAD + len {
            return Err(malformed(
                "envelope",
                format!(
                    "length field says {len} change bytes but {} are present",
                    bytes.len().saturating_sub(ENVELOPE_OVERHEAD)
                ),
            ));
        }
        let account = AccountId::from_slice(&bytes[1..33])?;
        let device = DeviceId::from_slice(&bytes[33..65])?;
        let mut cert_ref = [0u8; 32];
        cert_ref.copy_from_slice(&bytes[65..97]);
        let change = bytes[101..101 + len].to_vec();
        let mut signature = [0u8; 64];
        signature.copy_from_slice(&bytes[101 + len..]);
        Ok(Self {
            account,
            device,
            cert_ref,
            change,
            signature,
        })
    }

    /// Checks the device signature only (the expensive part; safe to run on
    /// many threads). [`Self::verify`] does this and the rest.
    pub fn verify_signature(&self) -> Result<()> {
        self.verify_signature_with(&self.device_key()?)
    }

    /// The signing device's public key, decoded (a point decompression).
    fn device_key(&self) -> Result<VerifyingKey> {
        VerifyingKey::from_bytes(&self.device.0)
            .map_err(|_| malformed("envelope", "device id is not a valid ed25519 key"))
    }

    /// [`Self::verify_signature`] with the device's key already decoded.
    fn verify_signature_with(&self, key: &VerifyingKey) -> Result<()> {
        if self.change.len() > MAX_CHANGE_BYTES {
            return Err(CoreError::TooLarge {
                what: "change",
                size: self.change.len(),
                limit: MAX_CHANGE_BYTES,
            });
        }
        key.verify_strict(&self.digest(), &Signature::from_bytes(&self.signature))
            .map_err(|_| CoreError::BadSignature("envelope"))
    }

    /// Checks everything that makes an envelope trustworthy: the signature,
    /// that `cert` is the referenced certificate and certifies this device
    /// for this account, and that the change parses and its automerge actor
    /// is this device. `cert` must already be verified.
    pub fn verify(&self, cert: &DeviceCertificate) -> Result<VerifiedEnvelope> {
        self.verify_signature()?;
        self.check_certificate(cert)?;
        let change = self.parse_change()?;
        Ok(VerifiedEnvelope {
            envelope: self.clone(),
            change,
        })
    }

    /// Checks that `cert` (already verified) is the referenced certificate
    /// and certifies this envelope's device for its account.
    pub fn check_certificate(&self, cert: &DeviceCertificate) -> Result<()> {
        if cert.reference() != self.cert_ref {
            return Err(CoreError::Certificate(
                "the envelope references another certificate".into(),
            ));
        }
        if cert.account != self.account || cert.device != self.device {
            return Err(CoreError::Certificate(
                "the certificate is for another account or device".into(),
            ));
        }
        Ok(())
    }

    /// Parses the change: it must be an uncompressed automerge change chunk
    /// whose actor is this envelope's device. Needs no state, so it can run
    /// on any thread.
    pub fn parse_change(&self) -> Result<Change> {
        // Automerge chunk header: magic [4] | checksum [4] | type u8. Only
        // uncompressed change chunks (type 1) are accepted, so a small message
        // can never inflate into a large one, and every implementation agrees
        // on what the size bound covers.
        if self.change.get(8) != Some(&CHANGE_CHUNK_TYPE) {
            return Err(malformed(
                "automerge change",
                "only uncompressed change chunks (type 1) are accepted",
            ));
        }
        let change = Change::from_bytes(self.change.clone())
            .map_err(|e| malformed("automerge change", e.to_string()))?;
        if change.actor_id().to_bytes() != self.device.0 {
            return Err(CoreError::Certificate(
                "the change's automerge actor is not the signing device".into(),
            ));
        }
        Ok(change)
    }
}

/// Device keys decoded once each, for a verifier of many envelopes:
/// decoding a key costs about a sixth of a verification, and a batch
/// usually holds many envelopes of few devices.
#[derive(Default)]
pub struct DeviceKeys(HashMap<DeviceId, VerifyingKey>);

impl DeviceKeys {
    /// [`Envelope::verify_signature`], decoding the device's key on its
    /// first envelope only.
    pub fn verify_signature(&mut self, envelope: &Envelope) -> Result<()> {
        let key = match self.0.entry(envelope.device) {
            Entry::Occupied(known) => *known.get(),
            Entry::Vacant(new) => *new.insert(envelope.device_key()?),
        };
        envelope.verify_signature_with(&key)
    }
}
