//! Invite codes: an account id and the addresses where its node listens,
//! as one line of text a person can paste: `kith:<account>@<addr>,<addr>`.

use kith_core::AccountId;
use libp2p::Multiaddr;
use libp2p::multiaddr::Protocol;

/// Longest invite code accepted.
pub const MAX_INVITE_BYTES: usize = 4096;
/// Most addresses in an invite.
pub const MAX_INVITE_ADDRS: usize = 16;
/// What every invite starts with.
pub const INVITE_PREFIX: &str = "kith:";

/// A parsed invite.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invite {
    /// Whom to follow.
    pub account: AccountId,
    /// Where their node (or a node carrying their feed) listens; each ends
    /// in `/p2p/<peer id>`.
    pub addrs: Vec<Multiaddr>,
}

/// Why an invite code was refused.
#[derive(Debug, thiserror::Error)]
#[error("not a valid invite code: {0}")]
pub struct BadInvite(String);

impl Invite {
    /// The text form.
    pub fn encode(&self) -> String {
        let addrs: Vec<String> = self
            .addrs
            .iter()
            .take(MAX_INVITE_ADDRS)
            .map(ToString::to_string)
            .collect();
        format!("{INVITE_PREFIX}{}@{}", self.account, addrs.join(","))
    }

    /// Whether `text` looks like an invite (rather than a bare account id).
    pub fn looks_like(text: &str) -> bool {
        without_scheme(text.trim()).is_some()
    }

    /// Parses an invite, strictly.
    pub fn parse(text: &str) -> Result<Self, BadInvite> {
        let text = text.trim();
        if text.len() > MAX_INVITE_BYTES {
            return Err(BadInvite(format!("longer than {MAX_INVITE_BYTES} bytes")));
        }
        let rest = without_scheme(text)
            .ok_or_else(|| BadInvite(format!("it should start with `{INVITE_PREFIX}`")))?;
        let (account, addrs) = rest
            .split_once('@')
            .ok_or_else(|| BadInvite("the `@` between account and addresses is missing".into()))?;
        let account: AccountId = account
            .parse()
            .map_err(|e| BadInvite(format!("account: {e}")))?;
        let mut out = Vec::new();
        for a in addrs.split(',').filter(|a| !a.is_empty()) {
            if out.len() == MAX_INVITE_ADDRS {
                return Err(BadInvite(format!("more than {MAX_INVITE_ADDRS} addresses")));
            }
            let addr: Multiaddr = a
                .parse()
                .map_err(|e| BadInvite(format!("address {a}: {e}")))?;
            if !addr.iter().any(|p| matches!(p, Protocol::P2p(_))) {
                return Err(BadInvite(format!(
                    "address {a} does not end in /p2p/<peer id>"
                )));
            }
            out.push(addr);
        }
        Ok(Self {
            account,
            addrs: out,
        })
    }
}

/// `text` after the `kith:` prefix, read in any case as a URI scheme is
/// (an invite is also a link: `KITH:…` is the same invite).
fn without_scheme(text: &str) -> Option<&str> {
    let scheme = text.get(..INVITE_PREFIX.len())?;
    scheme
        .eq_ignore_ascii_case(INVITE_PREFIX)
        .then(|| &text[INVITE_PREFIX.len()..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account() -> AccountId {
        AccountId::from_slice(&[9; 32]).unwrap()
    }

    #[test]
    fn invite_round_trips() {
        let peer = libp2p::PeerId::random();
        let addr: Multiaddr = format!("/ip4/127.0.0.1/tcp/4001/p2p/{peer}")
            .parse()
            .unwrap();
        let invite = Invite {
            account: account(),
            addrs: vec![addr],
        };
        let code = invite.encode();
        assert!(Invite::looks_like(&code));
        assert_eq!(Invite::parse(&code).unwrap(), invite);
        // A link's scheme in any case, as URIs allow.
        let shouted = code.replacen("kith:", "KiTH:", 1);
        assert!(Invite::looks_like(&shouted));
        assert_eq!(Invite::parse(&shouted).unwrap(), invite);
        assert!(!Invite::looks_like("kit"));
        assert!(!Invite::looks_like("kithé:"));
    }

    #[test]
    fn damaged_invites_are_refused_with_a_reason() {
        let a = account();
        for bad in [
            "kith1xyz@".to_owned(),
            format!("kith:{a}"),
            format!("kith:{a}@/ip4/127.0.0.1/tcp/1"),
            format!("kith:{a}@not-an-address"),
            format!("kith:{}@", &a.to_string()[..20]),
            format!("kith:{a}@{}", "x".repeat(5000)),
        ] {
            let err = Invite::parse(&bad).unwrap_err();
            assert!(!err.to_string().is_empty(), "{bad}");
        }
    }
}
