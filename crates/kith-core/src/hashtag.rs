//! Hashtags: `#` and a word in a post's text (protocol §10.2). Like
//! mentions they live in the text, need no field and change nothing on the
//! wire; readers find them to draw them and to search by them.
//!
//! A hashtag is `#` followed by letters, combining marks, digits or `_`,
//! with at least one letter and at most [`MAX_TAG_CHARS`] characters. The
//! `#` may not follow a letter, digit, `_`, `&`, `/` or `#` (so `a#b`,
//! `&#39;` and `/#/x` are not tags), and a `#` inside a web address
//! (`https://…/#part`) is part of the address.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Longest hashtag, in characters after the `#` (a longer one is text).
pub const MAX_TAG_CHARS: usize = 64;

/// Whether `c` may be part of a tag's word.
fn word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || is_combining_mark(c)
}

/// The hashtags of `text`, folded (see [`fold`]), in order of first use,
/// each once.
pub fn hashtags(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut prev: Option<char> = None;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let starts_word = !prev.is_some_and(|p| p.is_alphanumeric() || p == '_');
        if starts_word && starts_address(&text[i..]) {
            // Skip the address: up to white space or a character that ends it.
            let mut last = c;
            while let Some(&(_, n)) = chars.peek() {
                if n.is_whitespace() || matches!(n, '<' | '>' | '"') {
                    break;
                }
                last = n;
                chars.next();
            }
            prev = Some(last);
            continue;
        }
        let after_ok = !prev.is_some_and(|p| word_char(p) || matches!(p, '&' | '/' | '#'));
        if c == '#' && after_ok {
            let rest = &text[i + 1..];
            let word: String = rest.chars().take_while(|&n| word_char(n)).collect();
            let n = word.chars().count();
            if n > 0 && n <= MAX_TAG_CHARS && word.chars().any(char::is_alphabetic) {
                let tag = fold(&word);
                if !out.contains(&tag) {
                    out.push(tag);
                }
            }
            // The word is not searched again for tags.
            let mut last = c;
            while let Some(&(_, n)) = chars.peek() {
                if !word_char(n) {
                    break;
                }
                last = n;
                chars.next();
            }
            prev = Some(last);
            continue;
        }
        prev = Some(c);
    }
    out
}

/// Whether `s` starts with a web address (`http://` or `https://`, any case).
fn starts_address(s: &str) -> bool {
    let lower = |n: usize| s.get(..n).map(str::to_ascii_lowercase);
    lower(7).as_deref() == Some("http://") || lower(8).as_deref() == Some("https://")
}

/// A tag (or a search word) folded for comparison: its `#` dropped, lower
/// case, accents removed (compatibility decomposition without combining
/// marks), as the search index folds words: `#Thé` and `the` fold alike.
pub fn fold(tag: &str) -> String {
    tag.strip_prefix('#')
        .unwrap_or(tag)
        .nfkd()
        .filter(|c| !is_combining_mark(*c))
        .collect::<String>()
        .to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_words_after_a_hash_folded_and_listed_once() {
        assert_eq!(
            hashtags("#Thé au #marché, puis #thé et #日本 #kith_dev."),
            ["the", "marche", "日本", "kith_dev"]
        );
    }

    #[test]
    fn a_hash_inside_a_word_an_entity_a_path_or_an_address_is_no_tag() {
        for text in [
            "a#b",
            "&#39;",
            "/#/x",
            "##double",
            "https://example.org/page#section",
            "voir HTTPS://Example.org/#top",
            "#1 #2024",
            "#",
        ] {
            assert!(
                hashtags(text).is_empty(),
                "{text:?} gave {:?}",
                hashtags(text)
            );
        }
        assert_eq!(hashtags("https://example.org/#top #vu"), ["vu"]);
        assert_eq!(hashtags("(#paren)"), ["paren"]);
    }

    #[test]
    fn a_tag_over_64_characters_is_text() {
        let long = format!("#{}", "a".repeat(MAX_TAG_CHARS + 1));
        assert!(hashtags(&long).is_empty());
        let fits = format!("#{}", "a".repeat(MAX_TAG_CHARS));
        assert_eq!(hashtags(&fits).len(), 1);
    }

    #[test]
    fn folding_drops_the_hash_case_and_accents() {
        assert_eq!(fold("#Thé"), "the");
        assert_eq!(fold("ÉCOLE"), "ecole");
        assert_eq!(fold("straße"), "straße");
    }
}
