//! Key generation, the recovery phrase, and the domain-separated digests
//! that every Kith signature covers.

use ed25519_dalek::SigningKey;
use rand::rngs::OsRng;
use zeroize::Zeroizing;

use crate::error::{CoreError, Result};
use crate::ids::{AccountId, DeviceId};

/// Number of words in a recovery phrase.
pub const PHRASE_WORDS: usize = 24;

/// Generates a fresh random signing key (account or device).
pub fn generate() -> SigningKey {
    SigningKey::generate(&mut OsRng)
}

/// The account id of an account signing key.
pub fn account_id(key: &SigningKey) -> AccountId {
    AccountId(key.verifying_key().to_bytes())
}

/// The device id of a device signing key.
pub fn device_id(key: &SigningKey) -> DeviceId {
    DeviceId(key.verifying_key().to_bytes())
}

/// The 24-word BIP-39 (English) phrase whose entropy is the account key's seed.
pub fn phrase_for(account: &SigningKey) -> Zeroizing<String> {
    let seed = Zeroizing::new(account.to_bytes());
    // 32 bytes of entropy is always a valid 24-word mnemonic.
    let m = bip39::Mnemonic::from_entropy(seed.as_slice()).unwrap_or_else(|_| unreachable!());
    Zeroizing::new(m.to_string())
}

/// Restores the account key from its 24-word recovery phrase.
///
/// Extra whitespace and letter case are ignored; a wrong word or checksum is an
/// error that says so.
pub fn account_from_phrase(phrase: &str) -> Result<SigningKey> {
    let normal = Zeroizing::new(
        phrase
            .split_whitespace()
            .map(str::to_lowercase)
            .collect::<Vec<_>>()
            .join(" "),
    );
    let count = normal.split(' ').filter(|w| !w.is_empty()).count();
    if count != PHRASE_WORDS {
        return Err(CoreError::Phrase(format!(
            "expected {PHRASE_WORDS} words, found {count}"
        )));
    }
    let m = bip39::Mnemonic::parse_in_normalized(bip39::Language::English, &normal).map_err(
        |e| match e {
            // The library counts words from 0.
            bip39::Error::UnknownWord(i) => CoreError::Phrase(format!(
                "word {} of {PHRASE_WORDS} is not a recovery-phrase word; check its spelling",
                i.saturating_add(1)
            )),
            bip39::Error::InvalidChecksum => CoreError::Phrase(
                "the words are all recovery-phrase words, but not a phrase Kith gave \
                 (its checksum fails): check their order and spelling"
                    .into(),
            ),
            other => CoreError::Phrase(other.to_string()),
        },
    )?;
    let entropy = Zeroizing::new(m.to_entropy());
    let seed: [u8; 32] = entropy
        .as_slice()
        .try_into()
        .map_err(|_| CoreError::Phrase("phrase does not hold 32 bytes of entropy".into()))?;
    Ok(SigningKey::from_bytes(&seed))
}

/// A BLAKE3 `derive_key` hasher for one signing context. Every signature in
/// Kith is an ed25519 signature over the 32-byte output of such a hasher, so a
/// signature made for one purpose can never be replayed for another.
pub fn domain_hasher(context: &str) -> blake3::Hasher {
    blake3::Hasher::new_derive_key(context)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phrase_restores_the_same_account_key() {
        let k = generate();
        let phrase = phrase_for(&k);
        assert_eq!(phrase.split(' ').count(), 24);
        let back = account_from_phrase(&format!("  {}  ", phrase.to_uppercase())).unwrap();
        assert_eq!(account_id(&back), account_id(&k));
    }

    #[test]
    fn phrase_with_a_wrong_word_is_rejected() {
        // A word outside the list is always caught.
        let phrase = phrase_for(&generate());
        let mut words: Vec<&str> = phrase.split(' ').collect();
        words[3] = "kithx";
        assert!(account_from_phrase(&words.join(" ")).is_err());
        // Another valid word is caught by the 8-bit checksum (255 times in
        // 256); a fixed key keeps the test deterministic.
        let phrase = phrase_for(&SigningKey::from_bytes(&[7; 32]));
        let mut words: Vec<&str> = phrase.split(' ').collect();
        words[3] = if words[3] == "abandon" {
            "ability"
        } else {
            "abandon"
        };
        assert!(account_from_phrase(&words.join(" ")).is_err());
        assert!(account_from_phrase("one two three").is_err());
    }
}
