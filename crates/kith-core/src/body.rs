//! Post bodies: the text, content warning and image descriptions of a
//! post, kept outside the replicated history so that deleting a post really
//! removes its words.
//!
//! Encoding, version 1 (no image described):
//! `1 u8 | salt [16] | cw_len u16 | cw (UTF-8) | text (UTF-8, the rest)`.
//! Version 2 (at least one image described) puts the descriptions between
//! the content warning and the text: `2 u8 | salt | cw_len | cw | count u8 |
//! count × (len u16 | description (UTF-8)) | text`. The post record in the
//! feed holds `BLAKE3(encoding)`; the random salt keeps that hash from
//! confirming a guessed text.

use rand::RngCore;

use crate::Hash;
use crate::error::{CoreError, Result, malformed};
use crate::limits::{
    MAX_ATTACHMENTS, MAX_CW_BYTES, MAX_IMAGE_DESCRIPTION_BYTES, MAX_POST_TEXT_BYTES,
};

/// The encoding version of a body that describes no image.
pub const BODY_VERSION: u8 = 1;
/// The encoding version of a body with image descriptions.
pub const BODY_VERSION_DESCRIBED: u8 = 2;
/// Bytes of a body besides the text and content warning.
pub const BODY_OVERHEAD: usize = 1 + 16 + 2;
/// Largest encoded body.
pub const MAX_BODY_BYTES: usize = BODY_OVERHEAD
    + MAX_CW_BYTES
    + 1
    + MAX_ATTACHMENTS * (2 + MAX_IMAGE_DESCRIPTION_BYTES)
    + MAX_POST_TEXT_BYTES;

/// The words of a post.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Body {
    /// Random salt.
    pub salt: [u8; 16],
    /// The content warning, empty when none.
    pub cw: String,
    /// The text.
    pub text: String,
    /// What each attached image shows, in the attachments' order, for
    /// people who cannot see it; empty for an image not described. Never
    /// ends with an empty one (see [`Body::with_descriptions`]).
    pub descriptions: Vec<String>,
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
            descriptions: Vec::new(),
        };
        body.check_bounds()?;
        Ok(body)
    }

    /// This body with descriptions of its post's images, in order (an
    /// empty one for an image not described; trailing empty ones are
    /// dropped, so that a body has one encoding). Checks their bounds.
    pub fn with_descriptions(mut self, descriptions: Vec<String>) -> Result<Self> {
        self.descriptions = descriptions;
        while self.descriptions.last().is_some_and(String::is_empty) {
            self.descriptions.pop();
        }
        self.check_bounds()?;
        Ok(self)
    }

    /// The description of the `i`-th image, if it has one.
    pub fn description(&self, i: usize) -> Option<&str> {
        self.descriptions
            .get(i)
            .map(String::as_str)
            .filter(|d| !d.is_empty())
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
        if self.descriptions.len() > MAX_ATTACHMENTS {
            return Err(malformed(
                "post body",
                format!(
                    "{} image descriptions; a post has at most {MAX_ATTACHMENTS} images",
                    self.descriptions.len()
                ),
            ));
        }
        for d in &self.descriptions {
            if d.len() > MAX_IMAGE_DESCRIPTION_BYTES {
                return Err(CoreError::TooLarge {
                    what: "image description",
                    size: d.len(),
                    limit: MAX_IMAGE_DESCRIPTION_BYTES,
                });
            }
        }
        Ok(())
    }

    /// The byte encoding.
    pub fn encode(&self) -> Vec<u8> {
        let described: usize = self.descriptions.iter().map(|d| 2 + d.len()).sum();
        let mut b =
            Vec::with_capacity(BODY_OVERHEAD + self.cw.len() + 1 + described + self.text.len());
        let version = if self.descriptions.is_empty() {
            BODY_VERSION
        } else {
            BODY_VERSION_DESCRIBED
        };
        b.push(version);
        b.extend_from_slice(&self.salt);
        b.extend_from_slice(&(self.cw.len() as u16).to_be_bytes());
        b.extend_from_slice(self.cw.as_bytes());
        if version == BODY_VERSION_DESCRIBED {
            b.push(self.descriptions.len() as u8);
            for d in &self.descriptions {
                b.extend_from_slice(&(d.len() as u16).to_be_bytes());
                b.extend_from_slice(d.as_bytes());
            }
        }
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
        let version = bytes[0];
        if version != BODY_VERSION && version != BODY_VERSION_DESCRIBED {
            return Err(malformed("post body", format!("unknown version {version}")));
        }
        let mut salt = [0u8; 16];
        salt.copy_from_slice(&bytes[1..17]);
        let cw_len = u16::from_be_bytes([bytes[17], bytes[18]]) as usize;
        let mut rest = &bytes[BODY_OVERHEAD..];
        let cw = take_str(&mut rest, cw_len, "content warning")?;
        let mut descriptions = Vec::new();
        if version == BODY_VERSION_DESCRIBED {
            let (&count, after) = rest
                .split_first()
                .ok_or_else(|| malformed("post body", "image descriptions run past the end"))?;
            rest = after;
            if count == 0 || usize::from(count) > MAX_ATTACHMENTS {
                return Err(malformed(
                    "post body",
                    format!(
                        "{count} image descriptions: a version 2 body has 1 to {MAX_ATTACHMENTS}"
                    ),
                ));
            }
            for _ in 0..count {
                let [hi, lo, ..] = *rest else {
                    return Err(malformed(
                        "post body",
                        "image descriptions run past the end",
                    ));
                };
                rest = &rest[2..];
                let len = u16::from_be_bytes([hi, lo]) as usize;
                descriptions.push(take_str(&mut rest, len, "image description")?);
            }
            if descriptions.last().is_some_and(String::is_empty) {
                return Err(malformed(
                    "post body",
                    "the last image description is empty (a body has one encoding)",
                ));
            }
        }
        let text =
            std::str::from_utf8(rest).map_err(|_| malformed("post body", "text is not UTF-8"))?;
        let body = Self {
            salt,
            cw,
            text: text.to_owned(),
            descriptions,
        };
        body.check_bounds()?;
        Ok(body)
    }

    /// BLAKE3 of the encoding: what the post record refers to.
    pub fn hash(&self) -> Hash {
        *blake3::hash(&self.encode()).as_bytes()
    }
}

/// Takes `len` bytes of UTF-8 text (a `what`) from the front of `rest`.
fn take_str(rest: &mut &[u8], len: usize, what: &str) -> Result<String> {
    if len > rest.len() {
        return Err(malformed(
            "post body",
            format!("{what} length runs past the end"),
        ));
    }
    let (text, after) = rest.split_at(len);
    *rest = after;
    std::str::from_utf8(text)
        .map(str::to_owned)
        .map_err(|_| malformed("post body", format!("{what} is not UTF-8")))
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

    #[test]
    fn a_body_without_descriptions_keeps_version_1_and_one_with_them_is_version_2() {
        let plain = Body::new("Le marché", None).unwrap();
        assert_eq!(plain.encode()[0], BODY_VERSION);
        let undescribed = plain
            .clone()
            .with_descriptions(vec![String::new(); 3])
            .unwrap();
        assert_eq!(undescribed, plain, "empty descriptions are no descriptions");

        let described = Body::new("Le marché", Some("food"))
            .unwrap()
            .with_descriptions(vec![
                String::new(),
                "Des fraises sur un étal".into(),
                String::new(),
            ])
            .unwrap();
        assert_eq!(
            described.descriptions.len(),
            2,
            "trailing empty one dropped"
        );
        assert_eq!(described.description(0), None);
        assert_eq!(described.description(1), Some("Des fraises sur un étal"));
        let bytes = described.encode();
        assert_eq!(bytes[0], BODY_VERSION_DESCRIBED);
        assert_eq!(Body::decode(&bytes).unwrap(), described);
        assert_ne!(described.hash(), plain.hash());
    }

    #[test]
    fn malformed_descriptions_are_refused_with_the_reason() {
        let described = Body::new("x", None)
            .unwrap()
            .with_descriptions(vec!["a cat".into()])
            .unwrap();
        let good = described.encode();
        let count_at = BODY_OVERHEAD;
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (
                {
                    let mut b = good.clone();
                    b[count_at] = 0;
                    b
                },
                "1 to 4",
            ),
            (
                {
                    let mut b = good.clone();
                    b[count_at] = 5;
                    b
                },
                "1 to 4",
            ),
            (good[..count_at + 2].to_vec(), "run past the end"),
            (
                {
                    let mut b = good.clone();
                    b[count_at + 2] = 0xff;
                    b
                },
                "runs past the end",
            ),
            (
                {
                    let mut b = good.clone();
                    b[count_at + 3] = 0xff;
                    b
                },
                "image description is not UTF-8",
            ),
            (
                {
                    let mut b = good[..count_at].to_vec();
                    b.extend_from_slice(&[1, 0, 0]);
                    b.extend_from_slice(b"x");
                    b
                },
                "last image description is empty",
            ),
            (
                {
                    let mut b = good.clone();
                    b[0] = 3;
                    b
                },
                "unknown version 3",
            ),
        ];
        for (bytes, reason) in cases {
            let err = Body::decode(&bytes).unwrap_err().to_string();
            assert!(err.contains(reason), "expected {reason:?}, got {err:?}");
        }
        let long = Body::new("x", None)
            .unwrap()
            .with_descriptions(vec!["d".repeat(MAX_IMAGE_DESCRIPTION_BYTES + 1)])
            .unwrap_err();
        assert!(
            long.to_string().contains("image description is too large"),
            "{long}"
        );
        let five = Body::new("x", None)
            .unwrap()
            .with_descriptions(vec!["d".into(); 5])
            .unwrap_err();
        assert!(five.to_string().contains("at most 4 images"), "{five}");
    }
}
