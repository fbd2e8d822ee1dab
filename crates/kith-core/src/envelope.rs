//! The signed envelope every automerge change travels in.
//!
//! Encoding (integers big-endian):
//! `version u8 = 1 | account [32] | device [32] | cert_ref [32] | change_len u32 | change | signature [64]`.
//! The device key signs `BLAKE3-derive-key("kith envelope v1", everything before the signature)`.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use automerge::Change;
use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use ed25519_zebra::VerificationKey;

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
    /// many threads). [`Self::verify`] does this and the rest. The rule is
    /// the one of [`DeviceKeys`].
    pub fn verify_signature(&self) -> Result<()> {
        self.verify_signature_with(&device_key(self.device)?)
    }

    /// [`Self::verify_signature`] with the device's key already decoded.
    fn verify_signature_with(&self, key: &VerificationKey) -> Result<()> {
        self.check_size()?;
        key.verify(
            &ed25519_zebra::Signature::from_bytes(&self.signature),
            &self.digest(),
        )
        .map_err(|_| CoreError::BadSignature("envelope"))
    }

    fn check_size(&self) -> Result<()> {
        if self.change.len() > MAX_CHANGE_BYTES {
            return Err(CoreError::TooLarge {
                what: "change",
                size: self.change.len(),
                limit: MAX_CHANGE_BYTES,
            });
        }
        Ok(())
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
        // Counted before automerge reads it: a few bytes of run-length
        // columns can stand for any number of operations.
        crate::columns::check_change(&self.change)?;
        let change = Change::from_bytes(self.change.clone())
            .map_err(|e| malformed("automerge change", e.to_string()))?;
        self.check_actor(&change)?;
        Ok(change)
    }

    /// [`Self::parse_change`] for a change the caller already holds parsed
    /// (rebuilt from a document): checks that its bytes are the
    /// envelope's, and what `parse_change` checks, without parsing again.
    pub fn check_parsed_change(&self, change: Change) -> Result<Change> {
        if self.change.get(8) != Some(&CHANGE_CHUNK_TYPE) || change.raw_bytes() != self.change {
            return Err(malformed(
                "automerge change",
                "the parsed change is not the envelope's uncompressed change",
            ));
        }
        self.check_actor(&change)?;
        Ok(change)
    }

    fn check_actor(&self, change: &Change) -> Result<()> {
        if change.actor_id().to_bytes() != self.device.0 {
            return Err(CoreError::Certificate(
                "the change's automerge actor is not the signing device".into(),
            ));
        }
        Ok(())
    }
}

/// A device's public key, decoded for checking envelope signatures: it
/// must be a point of the curve and not one of the eight points of small
/// order (with such a key the cofactored check below would accept a
/// signature anyone can make).
fn device_key(device: DeviceId) -> Result<VerificationKey> {
    let not_a_key = || malformed("envelope", "device id is not a valid ed25519 key");
    let weak = VerifyingKey::from_bytes(&device.0)
        .map_err(|_| not_a_key())?
        .is_weak();
    if weak {
        return Err(malformed("envelope", "device id is a key of small order"));
    }
    VerificationKey::try_from(device.0).map_err(|_| not_a_key())
}

/// Checks envelope signatures, each device's key decoded once (decoding
/// costs about a sixth of a verification, and a batch usually holds many
/// envelopes of few devices).
///
/// The rule is ZIP-215's (cofactored Ed25519, as implemented by
/// `ed25519-zebra`), for one reason: under it, checking many signatures
/// at once gives exactly the verdict of checking each alone, so a node
/// may check a page of envelopes as one batch (4.5× faster for one
/// device's envelopes, `kith bench ingest`) and still agree with every
/// other node on each envelope. (`verify_strict`
/// is cofactorless, and a batch check cannot match it on signatures
/// crafted with a small-order component.) On top of ZIP-215 the device
/// key must not be of small order; see `docs/protocol.md`.
#[derive(Default)]
pub struct DeviceKeys(HashMap<DeviceId, VerificationKey>);

impl DeviceKeys {
    fn key(&mut self, device: DeviceId) -> Result<VerificationKey> {
        Ok(match self.0.entry(device) {
            Entry::Occupied(known) => *known.get(),
            Entry::Vacant(new) => *new.insert(device_key(device)?),
        })
    }

    /// [`Envelope::verify_signature`], decoding the device's key on its
    /// first envelope only.
    pub fn verify_signature(&mut self, envelope: &Envelope) -> Result<()> {
        let key = self.key(envelope.device)?;
        envelope.verify_signature_with(&key)
    }

    /// The verdict of [`Self::verify_signature`] on each envelope, found
    /// by checking them as one batch; only if the batch fails is each
    /// checked alone, to tell which.
    pub fn verify_signatures(&mut self, envelopes: &[Envelope]) -> Vec<Result<()>> {
        let mut verdicts: Vec<Result<()>> = Vec::with_capacity(envelopes.len());
        let mut batch = ed25519_zebra::batch::Verifier::new();
        let mut queued = 0usize;
        for e in envelopes {
            let verdict = e.check_size().and_then(|()| self.key(e.device).map(|_| ()));
            if verdict.is_ok() {
                let digest = e.digest();
                batch.queue((
                    ed25519_zebra::VerificationKeyBytes::from(e.device.0),
                    ed25519_zebra::Signature::from_bytes(&e.signature),
                    &digest[..],
                ));
                queued += 1;
            }
            verdicts.push(verdict);
        }
        if queued == 0 || batch.verify(rand::thread_rng()).is_ok() {
            return verdicts;
        }
        envelopes
            .iter()
            .zip(verdicts)
            .map(|(e, verdict)| verdict.and_then(|()| self.verify_signature(e)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use curve25519_dalek::Scalar;
    use curve25519_dalek::constants::{ED25519_BASEPOINT_POINT, EIGHT_TORSION};

    use super::*;
    use crate::keys::{account_id, generate};

    /// `n` envelopes signed by one device, each over different bytes.
    fn signed(n: usize) -> Vec<Envelope> {
        let account = account_id(&generate());
        let device = generate();
        (0..n)
            .map(|i| {
                Envelope::seal(
                    account,
                    &device,
                    [7; 32],
                    format!("change {i}").into_bytes(),
                )
            })
            .collect()
    }

    fn verdicts_alone(envelopes: &[Envelope]) -> Vec<bool> {
        envelopes
            .iter()
            .map(|e| e.verify_signature().is_ok())
            .collect()
    }

    fn verdicts_in_batch(envelopes: &[Envelope]) -> Vec<bool> {
        DeviceKeys::default()
            .verify_signatures(envelopes)
            .iter()
            .map(Result::is_ok)
            .collect()
    }

    #[test]
    fn a_batch_of_good_signatures_passes_and_each_bad_one_in_a_batch_is_named() {
        let mut envelopes = signed(40);
        assert!(verdicts_in_batch(&envelopes).iter().all(|ok| *ok));
        envelopes[3].signature[10] ^= 1;
        envelopes[17].change.push(0);
        envelopes[29].signature = envelopes[28].signature;
        let expected: Vec<bool> = (0..40).map(|i| ![3, 17, 29].contains(&i)).collect();
        assert_eq!(verdicts_in_batch(&envelopes), expected, "batch verdicts");
        assert_eq!(verdicts_alone(&envelopes), expected, "one-by-one verdicts");
    }

    #[test]
    fn a_signature_with_a_small_order_component_gets_the_same_verdict_alone_and_in_a_batch() {
        use sha2::{Digest, Sha512};
        // A signer can add a point of order 8 to R and sign over it: the
        // cofactorless rule refuses such a signature, and a cofactorless
        // batch accepts it one time in eight. Under the cofactored rule it
        // is accepted alone and in every batch.
        let account = account_id(&generate());
        let device = generate();
        let mut envelopes: Vec<Envelope> = (0..20)
            .map(|i| Envelope::seal(account, &device, [7; 32], vec![i]))
            .collect();
        let digest = envelopes[5].digest();
        let r = Scalar::from_bytes_mod_order([9; 32]);
        let big_r = (ED25519_BASEPOINT_POINT * r + EIGHT_TORSION[1]).compress();
        let k = Scalar::from_hash(
            Sha512::new()
                .chain_update(big_r.as_bytes())
                .chain_update(device.verifying_key().as_bytes())
                .chain_update(digest),
        );
        let s = r + k * device.to_scalar();
        envelopes[5].signature[..32].copy_from_slice(big_r.as_bytes());
        envelopes[5].signature[32..].copy_from_slice(s.as_bytes());
        assert!(
            device
                .verifying_key()
                .verify_strict(
                    &digest,
                    &ed25519_dalek::Signature::from_bytes(&envelopes[5].signature)
                )
                .is_err(),
            "the cofactorless rule refuses it"
        );
        for _ in 0..16 {
            assert_eq!(verdicts_in_batch(&envelopes), vec![true; 20]);
        }
        assert_eq!(verdicts_alone(&envelopes), vec![true; 20]);
    }

    #[test]
    fn a_device_key_of_small_order_is_refused_alone_and_in_a_batch() {
        // With the identity as the key, s = 1 and R = B satisfy the
        // cofactored equation for any message: anyone could sign.
        let mut envelopes = signed(3);
        let forged = &mut envelopes[1];
        let mut identity = [0u8; 32];
        identity[0] = 1;
        forged.device = DeviceId(identity);
        let mut signature = [0u8; 64];
        signature[..32].copy_from_slice(&ED25519_BASEPOINT_POINT.compress().to_bytes());
        signature[32] = 1;
        forged.signature = signature;
        assert_eq!(verdicts_alone(&envelopes), [true, false, true]);
        assert_eq!(verdicts_in_batch(&envelopes), [true, false, true]);
    }
}
