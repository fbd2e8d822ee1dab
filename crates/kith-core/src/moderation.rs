//! Moderation data: labels, what a list entry or report points at, and the
//! entries of moderation lists as stored in their maintainer's feed.
//!
//! List entry encoding (integers big-endian):
//! `version u8 = 1 | labels u8 (bit set) | created_at i64 | reason (UTF-8, the rest)`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{CoreError, Result, malformed};
use crate::ids::{AccountId, PostId};
use crate::limits::{MAX_LIST_NAME_BYTES, MAX_MUTED_WORD_BYTES, MAX_REASON_BYTES};

/// The encoding version of list entries.
pub const LIST_ENTRY_VERSION: u8 = 1;

/// Why an account or post is on a moderation list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Label {
    /// Unwanted bulk or commercial content.
    Spam,
    /// Targeted abuse of a person.
    Harassment,
    /// Violence, threats, incitement.
    Violence,
    /// Sexual content.
    Sexual,
    /// False or misleading claims.
    Misleading,
    /// Anything else (the reason says what).
    Other,
}

impl Label {
    /// Every label, in bit order.
    pub const ALL: [Self; 6] = [
        Self::Spam,
        Self::Harassment,
        Self::Violence,
        Self::Sexual,
        Self::Misleading,
        Self::Other,
    ];

    /// The label's bit in a [`Labels`] set.
    pub fn bit(self) -> u8 {
        1 << (self as u8)
    }

    /// The label's name, as written on the command line and in JSON.
    pub fn name(self) -> &'static str {
        match self {
            Self::Spam => "spam",
            Self::Harassment => "harassment",
            Self::Violence => "violence",
            Self::Sexual => "sexual",
            Self::Misleading => "misleading",
            Self::Other => "other",
        }
    }
}

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Label {
    type Err = CoreError;
    fn from_str(s: &str) -> Result<Self> {
        let lower = s.trim().to_ascii_lowercase();
        Self::ALL
            .into_iter()
            .find(|l| l.name() == lower)
            .ok_or_else(|| CoreError::InvalidId {
                kind: "label",
                input: s.chars().take(40).collect(),
                reason: "expected one of spam, harassment, violence, sexual, misleading, other"
                    .into(),
            })
    }
}

/// A set of labels (one bit each).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Labels(pub u8);

impl Labels {
    /// The bits no label uses.
    const UNUSED: u8 = !0b0011_1111;

    /// The set holding `labels`.
    pub fn of(labels: impl IntoIterator<Item = Label>) -> Self {
        Self(labels.into_iter().fold(0, |acc, l| acc | l.bit()))
    }

    /// Reads a bit set, refusing unknown bits.
    pub fn from_bits(bits: u8) -> Result<Self> {
        if bits & Self::UNUSED != 0 {
            return Err(malformed(
                "labels",
                format!("unknown label bits {bits:#010b}"),
            ));
        }
        Ok(Self(bits))
    }

    /// Whether the set holds `label`.
    pub fn contains(self, label: Label) -> bool {
        self.0 & label.bit() != 0
    }

    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The labels in the set, in bit order.
    pub fn iter(self) -> impl Iterator<Item = Label> {
        Label::ALL.into_iter().filter(move |l| self.contains(*l))
    }

    /// The label names, comma separated.
    pub fn names(self) -> Vec<&'static str> {
        self.iter().map(Label::name).collect()
    }
}

/// What a list entry or a report is about: an account or one post.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Target {
    /// Everything an account writes.
    Account(AccountId),
    /// One post.
    Post(PostId),
}

impl Target {
    /// The binary form: 32 bytes for an account, 40 for a post.
    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            Self::Account(a) => a.as_bytes().to_vec(),
            Self::Post(p) => p.to_bytes().to_vec(),
        }
    }

    /// Reads the binary form.
    pub fn from_bytes(b: &[u8]) -> Result<Self> {
        match b.len() {
            32 => Ok(Self::Account(AccountId::from_slice(b)?)),
            PostId::LEN => Ok(Self::Post(PostId::from_bytes(b)?)),
            n => Err(malformed(
                "moderation target",
                format!("expected 32 or 40 bytes, found {n}"),
            )),
        }
    }

    /// The hex form used in feed keys (64 or 80 digits).
    pub fn to_hex(&self) -> String {
        match self {
            Self::Account(a) => a.to_hex(),
            Self::Post(p) => p.to_hex(),
        }
    }

    /// Parses the hex form.
    pub fn from_hex(s: &str) -> Result<Self> {
        if s.len() == 64 {
            Ok(Self::Account(AccountId::from_hex(s)?))
        } else {
            Ok(Self::Post(PostId::from_hex(s)?))
        }
    }

    /// The account whose content this is.
    pub fn account(&self) -> AccountId {
        match self {
            Self::Account(a) => *a,
            Self::Post(p) => p.author,
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Account(a) => a.fmt(f),
            Self::Post(p) => p.fmt(f),
        }
    }
}

impl FromStr for Target {
    type Err = CoreError;
    /// Reads `kith1…` (an account) or `kithpost1…` (a post).
    fn from_str(s: &str) -> Result<Self> {
        if s.trim().to_ascii_lowercase().starts_with(PostId::HRP) {
            s.parse().map(Self::Post)
        } else {
            s.parse().map(Self::Account)
        }
    }
}

crate::ids::serde_as_text!(Target);

/// One entry of a moderation list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListEntry {
    /// Why the target is listed.
    pub labels: Labels,
    /// When it was listed, ms since the Unix epoch.
    pub created_at: i64,
    /// The maintainer's explanation (may be empty).
    pub reason: String,
}

impl ListEntry {
    /// Encodes the entry.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(10 + self.reason.len());
        out.push(LIST_ENTRY_VERSION);
        out.push(self.labels.0);
        out.extend_from_slice(&self.created_at.to_be_bytes());
        out.extend_from_slice(self.reason.as_bytes());
        out
    }

    /// Decodes and checks an entry: known version and labels, at least one
    /// label, a bounded reason with no control characters but newlines.
    pub fn decode(bytes: &[u8]) -> Result<Self> {
        if bytes.len() < 10 {
            return Err(malformed("list entry", "shorter than 10 bytes"));
        }
        if bytes[0] != LIST_ENTRY_VERSION {
            return Err(malformed(
                "list entry",
                format!("unknown version {}", bytes[0]),
            ));
        }
        let labels = Labels::from_bits(bytes[1])?;
        if labels.is_empty() {
            return Err(malformed("list entry", "no label"));
        }
        let mut t = [0u8; 8];
        t.copy_from_slice(&bytes[2..10]);
        let reason = std::str::from_utf8(&bytes[10..])
            .map_err(|e| malformed("list entry", e.to_string()))?
            .to_owned();
        check_reason(&reason)?;
        Ok(Self {
            labels,
            created_at: i64::from_be_bytes(t),
            reason,
        })
    }
}

/// Checks a free-text reason: bounded, no control characters but newlines.
pub fn check_reason(reason: &str) -> Result<()> {
    if reason.len() > MAX_REASON_BYTES {
        return Err(CoreError::TooLarge {
            what: "reason",
            size: reason.len(),
            limit: MAX_REASON_BYTES,
        });
    }
    if reason.chars().any(|c| c.is_control() && c != '\n') {
        return Err(CoreError::Schema(
            "a reason may not hold control characters".into(),
        ));
    }
    Ok(())
}

/// Checks a list name: 1 to 64 bytes, no control characters.
pub fn check_list_name(name: &str) -> Result<()> {
    if name.trim().is_empty() || name.len() > MAX_LIST_NAME_BYTES {
        return Err(CoreError::Schema(format!(
            "a list name must be 1 to {MAX_LIST_NAME_BYTES} bytes"
        )));
    }
    if name.chars().any(char::is_control) {
        return Err(CoreError::Schema(
            "a list name may not hold control characters".into(),
        ));
    }
    Ok(())
}

/// Normalises a word or hashtag to mute (trimmed, lower case) and checks
/// it: 1 to 64 bytes, no spaces or control characters.
pub fn normalize_muted_word(word: &str) -> Result<String> {
    let w = word.trim().to_lowercase();
    check_muted_word(&w)?;
    Ok(w)
}

/// Checks a stored muted word (already normalised).
pub fn check_muted_word(word: &str) -> Result<()> {
    if word.is_empty() || word.len() > MAX_MUTED_WORD_BYTES {
        return Err(CoreError::Schema(format!(
            "a muted word must be 1 to {MAX_MUTED_WORD_BYTES} bytes"
        )));
    }
    if word.chars().any(|c| c.is_whitespace() || c.is_control()) || word != word.to_lowercase() {
        return Err(CoreError::Schema(
            "a muted word is one lower-case word or #hashtag, without spaces".into(),
        ));
    }
    Ok(())
}

/// The muted words among `words` that `text` contains (see
/// [`contains_muted_word`]); the text is lower-cased and split once.
pub fn muted_words_in<'a>(text: &str, words: &'a [String]) -> Vec<&'a str> {
    if words.is_empty() {
        return Vec::new();
    }
    let lower = text.to_lowercase();
    let mut tags = std::collections::HashSet::new();
    let mut bare = std::collections::HashSet::new();
    for token in lower.split(|c: char| !(c.is_alphanumeric() || c == '#' || c == '_' || c == '\''))
    {
        match token.strip_prefix('#') {
            Some(t) => {
                tags.insert(t);
            }
            None => {
                bare.insert(token);
            }
        }
    }
    words
        .iter()
        .filter(|w| match w.strip_prefix('#') {
            Some(t) => !t.is_empty() && tags.contains(t),
            None => !w.is_empty() && (bare.contains(w.as_str()) || tags.contains(w.as_str())),
        })
        .map(String::as_str)
        .collect()
}

/// Whether `text` contains the muted `word` as a whole word, ignoring
/// case. A plain word also matches its hashtag (`rust` hides `#Rust`); a
/// hashtag matches only the hashtag.
pub fn contains_muted_word(text: &str, word: &str) -> bool {
    !muted_words_in(text, &[word.to_owned()]).is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_entry_round_trips_and_rejects_unknown_labels_and_empty_sets() {
        let e = ListEntry {
            labels: Labels::of([Label::Spam, Label::Other]),
            created_at: 1_700_000_000_000,
            reason: "buys followers\nand sells them".into(),
        };
        assert_eq!(ListEntry::decode(&e.encode()), Ok(e.clone()));
        let mut bad = e.encode();
        bad[1] = 0b1000_0000;
        assert!(ListEntry::decode(&bad).is_err());
        bad[1] = 0;
        assert!(
            ListEntry::decode(&bad)
                .unwrap_err()
                .to_string()
                .contains("no label")
        );
        assert!(ListEntry::decode(&[1, 1]).is_err());
    }

    #[test]
    fn labels_parse_by_name_in_any_case_and_unknown_names_say_which_exist() {
        assert_eq!("Spam".parse::<Label>(), Ok(Label::Spam));
        let err = "rude".parse::<Label>().unwrap_err().to_string();
        assert!(err.contains("harassment"), "{err}");
    }

    #[test]
    fn muted_word_matches_whole_words_and_hashtags_only() {
        assert!(contains_muted_word("I love Rust!", "rust"));
        assert!(contains_muted_word("so #Rust today", "rust"));
        assert!(contains_muted_word("so #rust today", "#rust"));
        assert!(!contains_muted_word("rust without the tag", "#rust"));
        assert!(!contains_muted_word("trust me", "rust"));
        assert!(!contains_muted_word("anything", "#"));
        let words = vec!["rust".to_owned(), "#go".to_owned(), "trust".to_owned()];
        assert_eq!(
            muted_words_in("Rust and #Go, not go", &words),
            vec!["rust", "#go"]
        );
        assert!(muted_words_in("go", &words[1..2]).is_empty());
    }

    #[test]
    fn muted_words_are_normalised_and_phrases_refused() {
        assert_eq!(normalize_muted_word("  #Crypto "), Ok("#crypto".into()));
        assert!(normalize_muted_word("two words").is_err());
        assert!(normalize_muted_word("").is_err());
    }

    #[test]
    fn target_reads_accounts_and_posts_in_text_and_hex() {
        let post = PostId {
            author: AccountId([4u8; 32]),
            local: [1u8; 8],
        };
        let t = Target::Post(post);
        assert_eq!(t.to_string().parse::<Target>(), Ok(t));
        assert_eq!(Target::from_hex(&t.to_hex()), Ok(t));
        let a = Target::Account(AccountId([4u8; 32]));
        assert_eq!(a.to_string().parse::<Target>(), Ok(a));
        assert_eq!(Target::from_bytes(&a.to_bytes()), Ok(a));
        assert_eq!(t.account(), a.account());
    }
}
