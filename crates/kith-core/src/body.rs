//! Post bodies: the text and content warning of a post, kept outside the
//! replicated history so that deleting a post really removes its words.
//!
//! Encoding: `version u8 = 1 | salt [16] | cw_len u16 | cw (UTF-8) | text (UTF-8, the rest)`.
//! The post record in the feed holds `BLAKE3(encoding)`; the random salt keeps
//! that hash from confirming a guessed text.

use rand::RngCore;

use crate::Hash;
use crate::error::{CoreError, Result, malformed};
use crate::limits::{MAX_CW_BYTES, MAX_POST_TEXT_BYTES};

/// The encoding version.
pub const BODY_VERSION: u8 = 1;
/// Bytes of a body besides the text and content warning.
pub const BODY_OVERHEAD: usize = 1 + 16 + 2;
/// Largest encoded body.
pub const MAX_BODY_BYTES: usize = BODY_OVERHEAD + MAX_CW_BYTES + MAX_POST_TEXT_BYTES;

/// The words of a post.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Body {
    /// Random salt.
    pub salt: [u8; 16],
    /// The content warning, empty when none.
    pub cw: String,
    /// The text.
    pub text: String,
}

impl Body {
    /// A new body with a fresh random salt; checks the size bounds.
    pub fn new(text: &str, cw: Option<&str>) -> Result<Self> {
        let mut salt = [0u8; 16];
        rand::rngs::OsRng.fill_bytes(&mut salt);
        let body = Self {
            salt,
            cw: cw.unwrap_or_default().to_owned(),
            text: text.to_owned(),
        };
        body.check_bounds()?;
        Ok(body)
    }

    fn check_bounds(&self) -> Result<()> {
        if self.text.len() > MAX_POST_TEXT_BYTES {
            return Err(CoreError::TooLarge {
                what: "post text",
                size: self.text.len(),
                limit: MAX_POST_TEXT_BYTES,
            });
        }
        if self.cw.len() > MAX_CW_BYTES {
            return Err(CoreError::TooLarge {
                what: "content warning",
                size: self.cw.len(),
                limit: MAX_CW_BYTES,
            });
        }
        Ok(())
    }

    /// The byte encoding.
    pub fn encode(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(BODY_OVERHEAD + self.cw.len() + self.text.len());
        b.push(BODY_VERSION);
        b.extend_from_slice(&self.salt);
        b.extend_from_slice(&(self.cw.len() as u16).to_be_bytes());
        b.extend_from_slice(self.cw.as_bytes());
        b.extend_from_slice(self.text.as_bytes());
        b
    }

    /// Decodes a body and checks its bounds.
    pub fn decode(bytes: &[u8]) -> Result<Self> {
        if bytes.len() > MAX_BODY_BYTES {
            return Err(CoreError::TooLarge {
                what: "post body",
                size: bytes.len(),
                limit: MAX_BODY_BYTES,
            });
        }
        if bytes.len() < BODY_OVERHEAD {
            return Err(malformed("post body", "too short"));
        }
        if bytes[0] != BODY_VERSION {
            return Err(malformed(
                "post body",
                format!("unknown version {}", bytes[0]),
            ));
        }
        let mut salt = [0u8; 16];
        salt.copy_from_slice(&bytes[1..17]);
        let cw_len = u16::from_be_bytes([bytes[17], bytes[18]]) as usize;
        let rest = &bytes[BODY_OVERHEAD..];
        if cw_len > rest.len() {
            return Err(malformed(
                "post body",
                "content warning length runs past the end",
            ));
        }
        let cw = std::str::from_utf8(&rest[..cw_len])
            .map_err(|_| malformed("post body", "content warning is not UTF-8"))?;
        let text = std::str::from_utf8(&rest[cw_len..])
            .map_err(|_| malformed("post body", "text is not UTF-8"))?;
        let body = Self {
            salt,
            cw: cw.to_owned(),
            text: text.to_owned(),
        };
        body.check_bounds()?;
        Ok(body)
    }

    /// BLAKE3 of the encoding: what the post record refers to.
    pub fn hash(&self) -> Hash {
        *blake3::hash(&self.encode()).as_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_round_trips() {
        let b = Body::new("Bonjour à tous", Some("spoilers")).unwrap();
        assert_eq!(Body::decode(&b.encode()).unwrap(), b);
    }

    #[test]
    fn same_text_gets_different_hashes() {
        let a = Body::new("yes", None).unwrap();
        let b = Body::new("yes", None).unwrap();
        assert_ne!(a.hash(), b.hash());
    }

    #[test]
    fn oversized_text_is_rejected_with_its_size() {
        let err = Body::new(&"x".repeat(MAX_POST_TEXT_BYTES + 1), None).unwrap_err();
        assert!(err.to_string().contains("post text is too large"), "{err}");
    }
}
