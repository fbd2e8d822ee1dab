//! Mentions: an account named in a post's text as `@` followed by the
//! account id's text form (`@kith1…`).
//!
//! A mention lives in the text itself, so it needs no field of its own in
//! the post record and a reader that knows nothing of mentions still shows
//! whom the post names. Front ends show a mention as the account's name.

use std::str::FromStr;

use crate::ids::AccountId;

/// The text that starts a mention.
pub const MENTION_PREFIX: &str = "@kith1";
/// Length of an account id's text form (`kith1` and 58 bech32m characters).
pub const ACCOUNT_ID_CHARS: usize = 63;
/// Most distinct accounts read from one text; later ones stay plain text.
pub const MAX_MENTIONS: usize = 20;

/// One mention found in a text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Found {
    /// Byte offset of the `@`.
    pub start: usize,
    /// Byte offset just past the id.
    pub end: usize,
    /// The account named.
    pub account: AccountId,
}

/// Every well-formed mention in `text`, in order (repeats included). An
/// `@kith1…` whose id fails its checksum, or that runs on into more
/// letters or digits, is not a mention.
pub fn find(text: &str) -> Vec<Found> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = text[from..].find(MENTION_PREFIX) {
        let start = from + i;
        let id_start = start + 1;
        let id_end = id_start + ACCOUNT_ID_CHARS;
        from = start + 1;
        let Some(id) = text.get(id_start..id_end) else {
            continue;
        };
        let runs_on = text[id_end..]
            .chars()
            .next()
            .is_some_and(|c| c.is_alphanumeric() || c == '_');
        if runs_on {
            continue;
        }
        if let Ok(account) = AccountId::from_str(id) {
            out.push(Found {
                start,
                end: id_end,
                account,
            });
            from = id_end;
        }
    }
    out
}

/// The distinct accounts `text` mentions, in order of first mention, at
/// most [`MAX_MENTIONS`].
pub fn mentioned(text: &str) -> Vec<AccountId> {
    let mut out: Vec<AccountId> = Vec::new();
    for f in find(text) {
        if out.len() == MAX_MENTIONS {
            break;
        }
        if !out.contains(&f.account) {
            out.push(f.account);
        }
    }
    out
}

/// Whether `text` mentions `account`.
pub fn mentions(text: &str, account: AccountId) -> bool {
    find(text).iter().any(|f| f.account == account)
}

/// `text` with each mention written as `@` and the name `name_of` gives
/// (the id itself when it gives none): for places that show plain text,
/// such as a desktop notification.
pub fn with_names(text: &str, name_of: impl Fn(AccountId) -> Option<String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for f in find(text) {
        out.push_str(&text[at..f.start]);
        match name_of(f.account) {
            Some(name) => {
                out.push('@');
                out.push_str(&name);
            }
            None => out.push_str(&text[f.start..f.end]),
        }
        at = f.end;
    }
    out.push_str(&text[at..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(seed: u8) -> AccountId {
        AccountId::from_slice(&[seed; 32]).unwrap()
    }

    #[test]
    fn a_mention_is_found_with_its_place_in_the_text() {
        let a = account(1);
        let text = format!("hello @{a}, and welcome");
        let found = find(&text);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].account, a);
        assert_eq!(&text[found[0].start..found[0].end], format!("@{a}"));
    }

    #[test]
    fn a_bad_checksum_a_longer_word_or_a_cut_id_is_not_a_mention() {
        let a = account(2).to_string();
        let mut bad = a.clone();
        let last = bad.pop().unwrap();
        bad.push(if last == 'q' { 'p' } else { 'q' });
        assert!(find(&format!("@{bad}")).is_empty(), "bad checksum");
        assert!(find(&format!("@{a}x")).is_empty(), "runs on");
        assert!(find(&format!("@{}", &a[..20])).is_empty(), "cut");
        assert!(find(&a).is_empty(), "no @");
        assert!(find("@kith1").is_empty());
        assert!(find("@kith1é@kith1").is_empty(), "multi-byte text");
    }

    #[test]
    fn mentioned_keeps_the_first_of_each_account_and_stops_at_the_bound() {
        let (a, b) = (account(3), account(4));
        assert_eq!(mentioned(&format!("@{a} @{b} @{a}")), vec![a, b]);
        let many = (0..=MAX_MENTIONS as u8 + 5)
            .map(|i| format!("@{}", account(i + 10)))
            .collect::<Vec<_>>()
            .join(" ");
        assert_eq!(mentioned(&many).len(), MAX_MENTIONS);
        assert!(mentions(&format!("hi @{b}."), b));
        assert!(!mentions(&format!("hi @{b}."), a));
    }

    #[test]
    fn with_names_writes_known_names_and_keeps_unknown_ids() {
        let (a, b) = (account(5), account(6));
        let text = format!("@{a} meet @{b}!");
        let named = with_names(&text, |x| (x == a).then(|| "Ada".to_owned()));
        assert_eq!(named, format!("@Ada meet @{b}!"));
    }
}
