//! Reports: a signed complaint about an account or post, addressed to the
//! maintainer of a moderation list.
//!
//! Report encoding (integers big-endian):
//! `version u8 = 1 | reporter [32] | list owner [32] | list local [8] | target_len u8 (32 or 40) | target | labels u8 | created_at i64 | text (UTF-8, the rest)`.
//!
//! Signed report: `report_len u16 | report | certificate [137] | signature [64]`;
//! the certified device key signs `BLAKE3-derive-key("kith report v1", report)`.

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};

use crate::Hash;
use crate::cert::{CERT_LEN, DeviceCertificate};
use crate::error::{CoreError, Result, malformed};
use crate::ids::{AccountId, ListId};
use crate::keys::domain_hasher;
use crate::limits::MAX_REPORT_BYTES;
use crate::moderation::{Labels, Target, check_reason};

/// The signing context of reports.
pub const REPORT_CONTEXT: &str = "kith report v1";
/// The encoding version.
pub const REPORT_VERSION: u8 = 1;

/// What a report says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    /// Who reports.
    pub reporter: AccountId,
    /// The list whose maintainer it is sent to.
    pub list: ListId,
    /// The account or post reported.
    pub target: Target,
    /// What is wrong (at least one label).
    pub labels: Labels,
    /// When it was written, ms since the Unix epoch.
    pub created_at: i64,
    /// The reporter's words (may be empty).
    pub text: String,
}

impl Report {
    /// Encodes the report.
    pub fn encode(&self) -> Vec<u8> {
        let target = self.target.to_bytes();
        let mut b = Vec::with_capacity(1 + 32 + 40 + 1 + target.len() + 9 + self.text.len());
        b.push(REPORT_VERSION);
        b.extend_from_slice(self.reporter.as_bytes());
        b.extend_from_slice(&self.list.to_bytes());
        b.push(target.len() as u8);
        b.extend_from_slice(&target);
        b.push(self.labels.0);
        b.extend_from_slice(&self.created_at.to_be_bytes());
        b.extend_from_slice(self.text.as_bytes());
        b
    }

    /// Decodes and checks a report (not its signature).
    pub fn decode(b: &[u8]) -> Result<Self> {
        let bad = |why: &str| malformed("report", why);
        if b.len() < 1 + 32 + 40 + 1 {
            return Err(bad("truncated"));
        }
        if b[0] != REPORT_VERSION {
            return Err(bad("unknown version"));
        }
        let reporter = AccountId::from_slice(&b[1..33])?;
        let list = ListId::from_bytes(&b[33..73])?;
        let tlen = usize::from(b[73]);
        let rest = &b[74..];
        if rest.len() < tlen + 9 {
            return Err(bad("truncated"));
        }
        let target = Target::from_bytes(&rest[..tlen])?;
        let labels = Labels::from_bits(rest[tlen])?;
        if labels.is_empty() {
            return Err(bad("no label"));
        }
        let mut t = [0u8; 8];
        t.copy_from_slice(&rest[tlen + 1..tlen + 9]);
        let text = std::str::from_utf8(&rest[tlen + 9..])
            .map_err(|e| malformed("report", e.to_string()))?
            .to_owned();
        check_reason(&text)?;
        Ok(Self {
            reporter,
            list,
            target,
            labels,
            created_at: i64::from_be_bytes(t),
            text,
        })
    }

    fn digest(encoded: &[u8]) -> [u8; 32] {
        let mut h = domain_hasher(REPORT_CONTEXT);
        h.update(encoded);
        *h.finalize().as_bytes()
    }

    /// Signs the report with a device key certified by `cert`.
    pub fn sign(&self, device_key: &SigningKey, cert: &DeviceCertificate) -> Result<Vec<u8>> {
        if cert.account != self.reporter {
            return Err(CoreError::Certificate(
                "the certificate is not the reporter's".into(),
            ));
        }
        let report = self.encode();
        let signature = device_key.sign(&Self::digest(&report));
        let mut out = Vec::with_capacity(2 + report.len() + CERT_LEN + 64);
        out.extend_from_slice(
            &u16::try_from(report.len())
                .unwrap_or(u16::MAX)
                .to_be_bytes(),
        );
        out.extend_from_slice(&report);
        out.extend_from_slice(&cert.encode());
        out.extend_from_slice(&signature.to_bytes());
        if out.len() > MAX_REPORT_BYTES {
            return Err(CoreError::TooLarge {
                what: "report",
                size: out.len(),
                limit: MAX_REPORT_BYTES,
            });
        }
        Ok(out)
    }

    /// Splits a signed report into its report bytes, certificate bytes
    /// and signature, checking the size and that the lengths add up.
    fn split_signed(signed: &[u8]) -> Result<(&[u8], &[u8], [u8; 64])> {
        if signed.len() > MAX_REPORT_BYTES {
            return Err(CoreError::TooLarge {
                what: "report",
                size: signed.len(),
                limit: MAX_REPORT_BYTES,
            });
        }
        if signed.len() < 2 {
            return Err(malformed("signed report", "truncated"));
        }
        let len = usize::from(u16::from_be_bytes([signed[0], signed[1]]));
        if signed.len() != 2 + len + CERT_LEN + 64 {
            return Err(malformed("signed report", "lengths do not add up"));
        }
        let sig: [u8; 64] = signed[2 + len + CERT_LEN..]
            .try_into()
            .map_err(|_| malformed("signed report", "signature"))?;
        Ok((
            &signed[2..2 + len],
            &signed[2 + len..2 + len + CERT_LEN],
            sig,
        ))
    }

    /// Reads the report inside signed bytes this node already verified
    /// (when it stored them); checks the encoding, not the signature.
    pub fn read_stored(signed: &[u8]) -> Result<Self> {
        Self::decode(Self::split_signed(signed)?.0)
    }

    /// Reads a signed report and checks everything: size, encoding, the
    /// certificate (signed by the reporter's account) and the device's
    /// signature.
    pub fn open_signed(signed: &[u8]) -> Result<Self> {
        let (report_bytes, cert, sig) = Self::split_signed(signed)?;
        let report = Self::decode(report_bytes)?;
        let cert = DeviceCertificate::decode_verified(cert)?;
        if cert.account != report.reporter {
            return Err(CoreError::Certificate(
                "the report's certificate is for another account".into(),
            ));
        }
        let key = VerifyingKey::from_bytes(&cert.device.0)
            .map_err(|_| CoreError::Certificate("device id is not a valid ed25519 key".into()))?;
        key.verify_strict(&Self::digest(report_bytes), &Signature::from_bytes(&sig))
            .map_err(|_| CoreError::BadSignature("report"))?;
        Ok(report)
    }

    /// A report's id: BLAKE3 of its signed bytes.
    pub fn id_of(signed: &[u8]) -> Hash {
        *blake3::hash(signed).as_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::{account_id, device_id, generate};
    use crate::moderation::Label;

    fn sample() -> (Report, SigningKey, DeviceCertificate) {
        let account = generate();
        let device = generate();
        let cert = DeviceCertificate::issue(&account, device_id(&device), 1);
        let report = Report {
            reporter: account_id(&account),
            list: ListId {
                owner: AccountId([9; 32]),
                local: [1; 8],
            },
            target: Target::Account(AccountId([8; 32])),
            labels: Labels::of([Label::Harassment]),
            created_at: 42,
            text: "threatens people in replies".into(),
        };
        (report, device, cert)
    }

    #[test]
    fn signed_report_opens_to_the_same_report() {
        let (report, device, cert) = sample();
        let signed = report.sign(&device, &cert).unwrap();
        assert_eq!(Report::open_signed(&signed), Ok(report));
    }

    #[test]
    fn tampered_or_misattributed_reports_are_refused() {
        let (report, device, cert) = sample();
        let mut signed = report.sign(&device, &cert).unwrap();
        let n = signed.len();
        signed[n - 70] ^= 1; // inside the certificate
        assert!(Report::open_signed(&signed).is_err());
        let mut signed = report.sign(&device, &cert).unwrap();
        signed[40] ^= 1; // the list owner
        assert_eq!(
            Report::open_signed(&signed),
            Err(CoreError::BadSignature("report"))
        );
        let other = DeviceCertificate::issue(&generate(), device_id(&device), 1);
        assert!(report.sign(&device, &other).is_err());
        assert!(Report::open_signed(&[0, 5, 1]).is_err());
        assert!(Report::open_signed(&vec![0; MAX_REPORT_BYTES + 1]).is_err());
    }
}
