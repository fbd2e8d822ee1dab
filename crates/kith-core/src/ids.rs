//! Account, device and post ids and their checksummed text form (bech32m).
//!
//! An account id prints as `kith1…`, a device id as `kithdev1…`, a post id as
//! `kithpost1…`. A mistyped id fails the checksum and is rejected.

use std::fmt;
use std::str::FromStr;

use bech32::primitives::decode::CheckedHrpstring;
use bech32::{Bech32m, Hrp};

use crate::error::{CoreError, Result};

fn encode(hrp: &'static str, bytes: &[u8]) -> String {
    let hrp = Hrp::parse_unchecked(hrp);
    // Encoding cannot fail: the data is far below bech32m's length limit.
    bech32::encode::<Bech32m>(hrp, bytes).unwrap_or_default()
}

fn shorten(input: &str) -> String {
    if input.chars().count() > 100 {
        let head: String = input.chars().take(97).collect();
        format!("{head}...")
    } else {
        input.to_owned()
    }
}

fn decode<const N: usize>(kind: &'static str, hrp: &'static str, input: &str) -> Result<[u8; N]> {
    let err = |reason: String| CoreError::InvalidId {
        kind,
        input: shorten(input),
        reason,
    };
    let trimmed = input.trim();
    // bech32 allows an all-upper-case form; mixed case is rejected below.
    let lowered;
    let text = if trimmed.bytes().any(|b| b.is_ascii_lowercase()) {
        trimmed
    } else {
        lowered = trimmed.to_ascii_lowercase();
        &lowered
    };
    let checked = CheckedHrpstring::new::<Bech32m>(text).map_err(|e| {
        err(format!(
            "not a valid checksummed id ({e}); check for a typing mistake"
        ))
    })?;
    checked
        .validate_segwit_padding()
        .map_err(|e| err(format!("not a canonical id ({e})")))?;
    let got_hrp = checked.hrp();
    let data: Vec<u8> = checked.byte_iter().collect();
    if got_hrp.as_str() != hrp {
        return Err(err(format!(
            "expected an id starting with `{hrp}1`, found `{}1`",
            got_hrp.as_str()
        )));
    }
    let arr: [u8; N] = data
        .try_into()
        .map_err(|d: Vec<u8>| err(format!("expected {N} bytes, found {}", d.len())))?;
    Ok(arr)
}

/// Serializes a type as its text form (`Display`) and reads it back
/// (`FromStr`), so ids read the same in JSON as on screen.
macro_rules! serde_as_text {
    ($name:ty) => {
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(
                &self,
                s: S,
            ) -> std::result::Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(
                d: D,
            ) -> std::result::Result<Self, D::Error> {
                let s = <String as serde::Deserialize>::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}
pub(crate) use serde_as_text;

macro_rules! key_id {
    ($name:ident, $kind:literal, $hrp:literal, $doc:literal) => {
        #[doc = $doc]
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub [u8; 32]);

        impl $name {
            /// The text prefix of this kind of id.
            pub const HRP: &'static str = $hrp;

            /// The raw 32 bytes (an ed25519 public key).
            pub fn as_bytes(&self) -> &[u8; 32] {
                &self.0
            }

            /// Lower-case hex of the bytes, used inside feed document keys.
            pub fn to_hex(&self) -> String {
                hex::encode(self.0)
            }

            /// Parses lower-case hex as written in feed document keys.
            pub fn from_hex(s: &str) -> Result<Self> {
                let mut out = [0u8; 32];
                if s.len() != 64 || s.bytes().any(|b| b.is_ascii_uppercase()) {
                    return Err(crate::error::malformed(
                        $kind,
                        "expected 64 lower-case hex digits",
                    ));
                }
                hex::decode_to_slice(s, &mut out)
                    .map_err(|e| crate::error::malformed($kind, e.to_string()))?;
                Ok(Self(out))
            }

            /// Reads a slice of exactly 32 bytes.
            pub fn from_slice(b: &[u8]) -> Result<Self> {
                b.try_into()
                    .map(Self)
                    .map_err(|_| crate::error::malformed($kind, "expected 32 bytes"))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&encode($hrp, &self.0))
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self)
            }
        }

        impl FromStr for $name {
            type Err = CoreError;
            fn from_str(s: &str) -> Result<Self> {
                decode::<32>($kind, $hrp, s).map(Self)
            }
        }

        serde_as_text!($name);
    };
}

key_id!(
    AccountId,
    "account",
    "kith",
    "An account: the ed25519 public key of the account key."
);
key_id!(
    DeviceId,
    "device",
    "kithdev",
    "A device: the ed25519 public key of one device of an account."
);

/// Length of a post's local id, in bytes.
pub const POST_LOCAL_LEN: usize = 8;

macro_rules! feed_item_id {
    ($name:ident, $owner:ident, $kind:literal, $hrp:literal, $doc:literal, $owner_doc:literal) => {
        #[doc = $doc]
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name {
            #[doc = $owner_doc]
            pub $owner: AccountId,
            /// The id within that feed.
            pub local: [u8; POST_LOCAL_LEN],
        }

        impl $name {
            /// Encoded length in bytes: account (32) then local id (8).
            pub const LEN: usize = 32 + POST_LOCAL_LEN;
            /// The text prefix of these ids.
            pub const HRP: &'static str = $hrp;

            /// The 40-byte binary form.
            pub fn to_bytes(&self) -> [u8; Self::LEN] {
                let mut out = [0u8; Self::LEN];
                out[..32].copy_from_slice(&self.$owner.0);
                out[32..].copy_from_slice(&self.local);
                out
            }

            /// Reads the 40-byte binary form.
            pub fn from_bytes(b: &[u8]) -> Result<Self> {
                if b.len() != Self::LEN {
                    return Err(crate::error::malformed(
                        concat!($kind, " id"),
                        format!("expected {} bytes, found {}", Self::LEN, b.len()),
                    ));
                }
                let mut owner = [0u8; 32];
                owner.copy_from_slice(&b[..32]);
                let mut local = [0u8; POST_LOCAL_LEN];
                local.copy_from_slice(&b[32..]);
                Ok(Self {
                    $owner: AccountId(owner),
                    local,
                })
            }

            /// Lower-case hex of the local id, as used in the owner's feed keys.
            pub fn local_hex(&self) -> String {
                hex::encode(self.local)
            }

            /// Lower-case hex of the whole 40-byte id, as used in feed keys.
            pub fn to_hex(&self) -> String {
                hex::encode(self.to_bytes())
            }

            /// Parses the 80 hex digit form.
            pub fn from_hex(s: &str) -> Result<Self> {
                if s.len() != Self::LEN * 2 || s.bytes().any(|b| b.is_ascii_uppercase()) {
                    return Err(crate::error::malformed(
                        concat!($kind, " id"),
                        "expected 80 lower-case hex digits",
                    ));
                }
                let bytes = hex::decode(s)
                    .map_err(|e| crate::error::malformed(concat!($kind, " id"), e.to_string()))?;
                Self::from_bytes(&bytes)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&encode(Self::HRP, &self.to_bytes()))
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), self)
            }
        }

        impl FromStr for $name {
            type Err = CoreError;
            fn from_str(s: &str) -> Result<Self> {
                let b = decode::<{ $name::LEN }>($kind, Self::HRP, s)?;
                Self::from_bytes(&b)
            }
        }

        serde_as_text!($name);
    };
}

feed_item_id!(
    PostId,
    author,
    "post",
    "kithpost",
    "A post: its author's account and an 8-byte id unique within that feed.",
    "The author."
);

feed_item_id!(
    ListId,
    owner,
    "list",
    "kithlist",
    "A moderation list: its maintainer's account and an 8-byte id unique within that feed.",
    "The account that maintains the list."
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_id_round_trips_through_text() {
        let id = AccountId([7u8; 32]);
        let text = id.to_string();
        assert!(text.starts_with("kith1"), "{text}");
        assert_eq!(text.parse::<AccountId>(), Ok(id));
    }

    #[test]
    fn mistyped_account_id_is_rejected_with_a_clear_message() {
        let text = AccountId([7u8; 32]).to_string();
        let mut chars: Vec<char> = text.chars().collect();
        let i = chars.len() - 10;
        chars[i] = if chars[i] == 'q' { 'p' } else { 'q' };
        let typo: String = chars.into_iter().collect();
        let err = typo.parse::<AccountId>().unwrap_err().to_string();
        assert!(err.contains("typing mistake"), "{err}");
    }

    #[test]
    fn upper_case_id_is_accepted_and_bech32_checksum_is_not() {
        let id = AccountId([7u8; 32]);
        assert_eq!(id.to_string().to_uppercase().parse::<AccountId>(), Ok(id));
        let legacy = bech32::encode::<bech32::Bech32>(Hrp::parse_unchecked("kith"), &id.0).unwrap();
        assert!(legacy.parse::<AccountId>().is_err());
    }

    #[test]
    fn device_id_is_not_accepted_as_account_id() {
        let text = DeviceId([1u8; 32]).to_string();
        let err = text.parse::<AccountId>().unwrap_err().to_string();
        assert!(err.contains("kith1"), "{err}");
    }

    #[test]
    fn post_id_round_trips_through_text_and_hex() {
        let id = PostId {
            author: AccountId([3u8; 32]),
            local: [9u8; 8],
        };
        assert_eq!(id.to_string().parse::<PostId>(), Ok(id));
        assert_eq!(PostId::from_hex(&id.to_hex()), Ok(id));
    }

    #[test]
    fn list_id_is_not_accepted_as_post_id() {
        let list = ListId {
            owner: AccountId([3u8; 32]),
            local: [9u8; 8],
        };
        assert!(list.to_string().starts_with("kithlist1"));
        assert_eq!(list.to_string().parse::<ListId>(), Ok(list));
        let err = list.to_string().parse::<PostId>().unwrap_err().to_string();
        assert!(err.contains("kithpost1"), "{err}");
    }
}
