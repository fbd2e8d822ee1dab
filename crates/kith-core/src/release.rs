//! Signed release manifests: how a person checks that the Kith package they
//! were handed is genuine, with no store and no server in between.
//!
//! A manifest is UTF-8 text, one `field: value` per line (`docs/releasing.md`
//! and `docs/protocol.md` §13.10 give the grammar):
//!
//! ```text
//! Kith release manifest v1
//! version: 0.2.0
//! date: 2026-11-23
//! key: ed25519:<64 hex digits: the release public key>
//! file: Kith_0.2.0_amd64.deb
//! size: 9412345
//! sha256: <64 hex digits>
//! blake3: <64 hex digits>
//! signature: ed25519:<128 hex digits>
//! ```
//!
//! The release key signs, with plain Ed25519, every byte before the
//! `signature:` line (header line included, which separates this use of the
//! key from any other). The text is kept verbatim, so a manifest is checked
//! over exactly the bytes that were signed.

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

/// The first line of every manifest.
pub const MANIFEST_HEADER: &str = "Kith release manifest v1";
/// Largest manifest accepted, in bytes.
pub const MAX_MANIFEST_BYTES: usize = 16 * 1024;
/// Most package files one manifest may list.
pub const MAX_FILES: usize = 16;
/// Largest package file a manifest may list (and a peer may send).
pub const MAX_PACKAGE_BYTES: u64 = 256 * 1024 * 1024;
/// Longest package file name.
pub const MAX_FILE_NAME: usize = 128;

/// The public half of the key that signs Kith's releases, built into every
/// Kith. Its secret half is kept offline by the release maintainers and
/// never enters the repository (`docs/releasing.md`).
pub const BUILTIN_RELEASE_KEY: &str =
    "ed25519:c376f79536c7eac4565f78ede7eabc4bd92e8366e370e80c3f3edec5bd838134";

/// Why a manifest or a package is not genuine.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ReleaseError {
    /// The text is not a well-formed manifest.
    #[error("not a Kith release manifest: {0}")]
    Malformed(String),
    /// Signed by a key other than the trusted release key.
    #[error(
        "signed by an unknown key ({found}), not by Kith's release key ({trusted}): \
         it was not made by Kith's release maintainers"
    )]
    UnknownKey {
        /// Fingerprint of the key the manifest names.
        found: String,
        /// Fingerprint of the trusted key.
        trusted: String,
    },
    /// The signature does not match the text.
    #[error("the manifest's signature does not check: it was altered after it was signed")]
    BadSignature,
    /// The package is not listed.
    #[error("{0} is not listed in the manifest (for Kith {1})")]
    NotListed(String, String),
    /// The package's size differs from the manifest's.
    #[error("{name} has {actual} bytes, the manifest says {expected}: it is damaged or altered")]
    WrongSize {
        /// The file name.
        name: String,
        /// Bytes in the manifest.
        expected: u64,
        /// Bytes in the file.
        actual: u64,
    },
    /// A digest differs.
    #[error("{name}'s {algorithm} differs from the manifest's: it is damaged or altered")]
    WrongDigest {
        /// The file name.
        name: String,
        /// "SHA-256" or "BLAKE3".
        algorithm: &'static str,
    },
}

type Result<T> = std::result::Result<T, ReleaseError>;

fn malformed(why: impl Into<String>) -> ReleaseError {
    ReleaseError::Malformed(why.into())
}

/// A release public key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReleaseKey(VerifyingKey);

impl ReleaseKey {
    /// The key built into this Kith.
    pub fn builtin() -> Self {
        // A constant checked by a unit test.
        #[allow(clippy::expect_used)]
        Self::parse(BUILTIN_RELEASE_KEY).expect("the built-in release key parses")
    }

    /// Reads `ed25519:<64 hex>`.
    pub fn parse(text: &str) -> Result<Self> {
        let hex_part = text
            .trim()
            .strip_prefix("ed25519:")
            .ok_or_else(|| malformed("a release key starts with `ed25519:`"))?;
        let bytes: [u8; 32] = decode_hex(hex_part, "release key")?;
        VerifyingKey::from_bytes(&bytes)
            .map(Self)
            .map_err(|_| malformed("the release key is not an Ed25519 public key"))
    }

    /// The public half of a signing key.
    pub fn of(signing: &SigningKey) -> Self {
        Self(signing.verifying_key())
    }

    /// `ed25519:<64 hex>`.
    pub fn to_text(&self) -> String {
        format!("ed25519:{}", hex::encode(self.0.as_bytes()))
    }

    /// Six words from the BIP-39 English list (66 bits of
    /// `BLAKE3(key)`), short enough to read aloud and compare.
    pub fn fingerprint(&self) -> String {
        let digest = blake3::hash(self.0.as_bytes());
        let bits = u128::from_be_bytes(digest.as_bytes()[..16].try_into().unwrap_or([0; 16]));
        let words = bip39::Language::English.word_list();
        (0..6)
            .map(|i| words[((bits >> (128 - 11 * (i + 1))) & 0x7ff) as usize])
            .collect::<Vec<_>>()
            .join("-")
    }
}

/// One package file of a release.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PackageFile {
    /// Its file name (letters, digits, `.`, `_`, `+`, `-`; not starting with `.`).
    pub name: String,
    /// Its size in bytes.
    pub size: u64,
    /// Its SHA-256 (what `sha256sum` prints).
    pub sha256: [u8; 32],
    /// Its BLAKE3 (how peers address it).
    pub blake3: [u8; 32],
}

impl PackageFile {
    /// The package kind, from the file name's extension: `deb`, `rpm` or `None`.
    pub fn kind(&self) -> Option<&'static str> {
        match std::path::Path::new(&self.name)
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("deb") => Some("deb"),
            Some("rpm") => Some("rpm"),
            _ => None,
        }
    }
}

/// What a release manifest says, before it is signed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Manifest {
    /// The version released.
    pub version: semver::Version,
    /// The release date, `YYYY-MM-DD`.
    pub date: String,
    /// The package files.
    pub files: Vec<PackageFile>,
}

impl Manifest {
    /// Checks the fields a signer controls.
    fn check(&self) -> Result<()> {
        check_date(&self.date)?;
        if self.files.is_empty() || self.files.len() > MAX_FILES {
            return Err(malformed(format!(
                "a manifest lists 1 to {MAX_FILES} files"
            )));
        }
        for (i, f) in self.files.iter().enumerate() {
            check_file_name(&f.name)?;
            if f.size == 0 || f.size > MAX_PACKAGE_BYTES {
                return Err(malformed(format!(
                    "{}: a package has 1 to {MAX_PACKAGE_BYTES} bytes",
                    f.name
                )));
            }
            if self.files[..i].iter().any(|g| g.name == f.name) {
                return Err(malformed(format!("{} is listed twice", f.name)));
            }
        }
        Ok(())
    }

    /// The text before the signature line.
    fn body(&self, key: &ReleaseKey) -> String {
        use std::fmt::Write as _;
        let mut t = format!(
            "{MANIFEST_HEADER}\nversion: {}\ndate: {}\nkey: {}\n",
            self.version,
            self.date,
            key.to_text()
        );
        for f in &self.files {
            let _ = write!(
                t,
                "file: {}\nsize: {}\nsha256: {}\nblake3: {}\n",
                f.name,
                f.size,
                hex::encode(f.sha256),
                hex::encode(f.blake3)
            );
        }
        t
    }

    /// Signs the manifest with the release key.
    pub fn sign(&self, key: &SigningKey) -> Result<SignedManifest> {
        self.check()?;
        let public = ReleaseKey::of(key);
        let body = self.body(&public);
        let signature = key.sign(body.as_bytes());
        let text = format!(
            "{body}signature: ed25519:{}\n",
            hex::encode(signature.to_bytes())
        );
        Ok(SignedManifest {
            manifest: self.clone(),
            key: public,
            text,
        })
    }
}

/// A manifest with its signature, as read or written: the verbatim text and
/// what it says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedManifest {
    /// What it says.
    pub manifest: Manifest,
    /// The key it names as its signer.
    pub key: ReleaseKey,
    text: String,
}

impl SignedManifest {
    /// Reads a manifest and checks its signature against `trusted`: the one
    /// way to obtain a manifest to act on.
    pub fn verify(bytes: &[u8], trusted: &ReleaseKey) -> Result<Self> {
        let (signed, body_len, signature) = Self::parse(bytes)?;
        if signed.key != *trusted {
            return Err(ReleaseError::UnknownKey {
                found: signed.key.fingerprint(),
                trusted: trusted.fingerprint(),
            });
        }
        trusted
            .0
            .verify_strict(&signed.text.as_bytes()[..body_len], &signature)
            .map_err(|_| ReleaseError::BadSignature)?;
        Ok(signed)
    }

    /// Parses the text; returns the manifest, the length of the signed
    /// part, and the signature.
    fn parse(bytes: &[u8]) -> Result<(Self, usize, Signature)> {
        if bytes.len() > MAX_MANIFEST_BYTES {
            return Err(malformed(format!("larger than {MAX_MANIFEST_BYTES} bytes")));
        }
        let text = std::str::from_utf8(bytes).map_err(|_| malformed("not UTF-8 text"))?;
        let mut lines = Lines::new(text);
        if lines.next_line()? != MANIFEST_HEADER {
            return Err(malformed(format!(
                "the first line must be `{MANIFEST_HEADER}`"
            )));
        }
        let version_text = lines.field("version")?;
        let version = semver::Version::parse(version_text)
            .map_err(|e| malformed(format!("version `{version_text}`: {e}")))?;
        let date = lines.field("date")?.to_owned();
        let key = ReleaseKey::parse(lines.field("key")?)?;
        let mut files = Vec::new();
        while lines.peek_name() == Some("file") {
            let name = lines.field("file")?.to_owned();
            let size_text = lines.field("size")?;
            let size = size_text
                .parse::<u64>()
                .ok()
                .filter(|s| s.to_string() == size_text)
                .ok_or_else(|| malformed(format!("{name}: size `{size_text}` is not a number")))?;
            let sha256 = decode_hex(lines.field("sha256")?, "sha256")?;
            let blake3 = decode_hex(lines.field("blake3")?, "blake3")?;
            files.push(PackageFile {
                name,
                size,
                sha256,
                blake3,
            });
        }
        let body_len = lines.offset;
        let signature_text = lines
            .field("signature")?
            .strip_prefix("ed25519:")
            .ok_or_else(|| malformed("the signature starts with `ed25519:`"))?;
        let signature = Signature::from_bytes(&decode_hex::<64>(signature_text, "signature")?);
        if lines.offset != text.len() {
            return Err(malformed("text after the signature line"));
        }
        let manifest = Manifest {
            version,
            date,
            files,
        };
        manifest.check()?;
        Ok((
            Self {
                manifest,
                key,
                text: text.to_owned(),
            },
            body_len,
            signature,
        ))
    }

    /// The verbatim text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The version released.
    pub fn version(&self) -> &semver::Version {
        &self.manifest.version
    }

    /// The listed file of that name.
    pub fn file(&self, name: &str) -> Result<&PackageFile> {
        self.manifest
            .files
            .iter()
            .find(|f| f.name == name)
            .ok_or_else(|| ReleaseError::NotListed(name.to_owned(), self.version().to_string()))
    }
}

/// Computes a package's size, SHA-256 and BLAKE3 in one pass.
#[derive(Default)]
pub struct PackageDigest {
    size: u64,
    sha256: Sha256,
    blake3: blake3::Hasher,
}

impl PackageDigest {
    /// A new digest.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds bytes.
    pub fn update(&mut self, bytes: &[u8]) {
        self.size += bytes.len() as u64;
        self.sha256.update(bytes);
        self.blake3.update(bytes);
    }

    /// The file entry for these bytes under `name`.
    pub fn finish(self, name: &str) -> PackageFile {
        PackageFile {
            name: name.to_owned(),
            size: self.size,
            sha256: self.sha256.finalize().into(),
            blake3: *self.blake3.finalize().as_bytes(),
        }
    }

    /// Checks the bytes against the manifest's entry for them.
    pub fn check(self, expected: &PackageFile) -> Result<()> {
        let actual = self.finish(&expected.name);
        if actual.size != expected.size {
            return Err(ReleaseError::WrongSize {
                name: expected.name.clone(),
                expected: expected.size,
                actual: actual.size,
            });
        }
        if actual.sha256 != expected.sha256 {
            return Err(ReleaseError::WrongDigest {
                name: expected.name.clone(),
                algorithm: "SHA-256",
            });
        }
        if actual.blake3 != expected.blake3 {
            return Err(ReleaseError::WrongDigest {
                name: expected.name.clone(),
                algorithm: "BLAKE3",
            });
        }
        Ok(())
    }
}

/// Checks that `name` is a plain file name a manifest may list.
pub fn check_file_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= MAX_FILE_NAME
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'+' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(malformed(format!(
            "file name `{}` must be 1 to {MAX_FILE_NAME} letters, digits, `.`, `_`, `+` or `-`, \
             not starting with `.`",
            name.escape_debug()
        )))
    }
}

fn check_date(date: &str) -> Result<()> {
    let b = date.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    if b.len() == 10
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
    {
        Ok(())
    } else {
        Err(malformed(format!(
            "date `{}` is not YYYY-MM-DD",
            date.escape_debug()
        )))
    }
}

fn decode_hex<const N: usize>(text: &str, what: &str) -> Result<[u8; N]> {
    let mut out = [0u8; N];
    if text.len() != 2 * N || text.bytes().any(|b| b.is_ascii_uppercase()) {
        return Err(malformed(format!(
            "{what} must be {} lower-case hex digits",
            2 * N
        )));
    }
    hex::decode_to_slice(text, &mut out)
        .map_err(|_| malformed(format!("{what} must be {} lower-case hex digits", 2 * N)))?;
    Ok(out)
}

/// Reads `name: value` lines, tracking the byte offset.
struct Lines<'a> {
    text: &'a str,
    offset: usize,
}

impl<'a> Lines<'a> {
    fn new(text: &'a str) -> Self {
        Self { text, offset: 0 }
    }

    fn next_line(&mut self) -> Result<&'a str> {
        let rest = &self.text[self.offset..];
        let end = rest
            .find('\n')
            .ok_or_else(|| malformed("every line ends with a line feed"))?;
        self.offset += end + 1;
        Ok(&rest[..end])
    }

    fn peek_name(&self) -> Option<&'a str> {
        let rest = &self.text[self.offset..];
        rest.split_once(": ").map(|(name, _)| name)
    }

    fn field(&mut self, name: &str) -> Result<&'a str> {
        if self.offset == self.text.len() {
            return Err(malformed(if name == "signature" {
                "it has no `signature:` line: it is not signed".to_owned()
            } else {
                format!("it ends before its `{name}:` line")
            }));
        }
        let line = self.next_line()?;
        line.strip_prefix(name)
            .and_then(|l| l.strip_prefix(": "))
            .filter(|v| !v.is_empty())
            .ok_or_else(|| {
                malformed(format!(
                    "expected `{name}: …`, found `{}`",
                    line.escape_debug()
                ))
            })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn key(seed: u8) -> SigningKey {
        SigningKey::from_bytes(&[seed; 32])
    }

    fn manifest(version: &str) -> Manifest {
        let mut d = PackageDigest::new();
        d.update(b"package bytes");
        Manifest {
            version: semver::Version::parse(version).unwrap(),
            date: "2026-11-23".into(),
            files: vec![d.finish("Kith_0.2.0_amd64.deb")],
        }
    }

    #[test]
    fn the_builtin_key_parses_and_has_a_six_word_fingerprint() {
        // The fingerprint `docs/releasing.md` and the README print.
        assert_eq!(
            ReleaseKey::builtin().fingerprint(),
            "culture-stove-bracket-worry-adult-blouse"
        );
    }

    #[test]
    fn a_signed_manifest_round_trips_through_its_text() {
        let signed = manifest("0.2.0").sign(&key(1)).unwrap();
        let again =
            SignedManifest::verify(signed.text().as_bytes(), &ReleaseKey::of(&key(1))).unwrap();
        assert_eq!(again, signed);
        assert!(signed.text().starts_with(MANIFEST_HEADER));
    }

    #[test]
    fn an_altered_manifest_fails_its_signature() {
        let signed = manifest("0.2.0").sign(&key(1)).unwrap();
        let altered = signed.text().replace("size: 13", "size: 14");
        assert_eq!(
            SignedManifest::verify(altered.as_bytes(), &ReleaseKey::of(&key(1))),
            Err(ReleaseError::BadSignature)
        );
    }

    #[test]
    fn a_manifest_signed_by_another_key_is_refused_and_both_fingerprints_are_named() {
        let signed = manifest("0.2.0").sign(&key(2)).unwrap();
        let err =
            SignedManifest::verify(signed.text().as_bytes(), &ReleaseKey::of(&key(1))).unwrap_err();
        let ReleaseError::UnknownKey { found, trusted } = &err else {
            panic!("{err}")
        };
        assert_eq!(found, &ReleaseKey::of(&key(2)).fingerprint());
        assert_eq!(trusted, &ReleaseKey::of(&key(1)).fingerprint());
    }

    #[test]
    fn a_manifest_with_a_signature_line_removed_or_text_appended_is_malformed() {
        let signed = manifest("0.2.0").sign(&key(1)).unwrap();
        let trusted = ReleaseKey::of(&key(1));
        let cut = signed.text().lines().take(8).collect::<Vec<_>>().join("\n") + "\n";
        assert!(matches!(
            SignedManifest::verify(cut.as_bytes(), &trusted),
            Err(ReleaseError::Malformed(_))
        ));
        let appended = format!("{}extra\n", signed.text());
        assert!(matches!(
            SignedManifest::verify(appended.as_bytes(), &trusted),
            Err(ReleaseError::Malformed(_))
        ));
    }

    #[test]
    fn file_names_with_paths_or_odd_characters_cannot_be_signed() {
        for bad in [
            "../etc/passwd",
            ".hidden",
            "a/b.deb",
            "",
            "name with space.deb",
        ] {
            let mut m = manifest("0.2.0");
            m.files[0].name = bad.into();
            assert!(m.sign(&key(1)).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_package_is_checked_by_size_then_each_digest() {
        let m = manifest("0.2.0");
        let entry = &m.files[0];
        let mut same = PackageDigest::new();
        same.update(b"package bytes");
        assert_eq!(same.check(entry), Ok(()));
        let mut flipped = PackageDigest::new();
        flipped.update(b"package bytez");
        assert!(matches!(
            flipped.check(entry),
            Err(ReleaseError::WrongDigest {
                algorithm: "SHA-256",
                ..
            })
        ));
        let mut short = PackageDigest::new();
        short.update(b"package");
        assert!(matches!(
            short.check(entry),
            Err(ReleaseError::WrongSize { .. })
        ));
    }
}
