//! Parsers for the identifiers users copy out of chat tools.
//!
//! Chatwork users paste a room as `123`, `#!rid123`, a room URL or a message permalink
//! (`#!rid123-456`), and an account as `123`, `aid=123` (from a quote) or `[To:123] name`
//! (from the "To" picker). We accept all of them and refuse anything else with a message
//! listing the accepted forms.

mod providers;

use std::sync::OnceLock;

use regex::Regex;
use thiserror::Error;

pub use providers::{parse_identity, parse_room};

#[derive(Debug, Error, PartialEq, Eq)]
pub enum IdParseError {
    #[error("`{0}` is not a Chatwork room. Accepted forms: `123`, `#!rid123`, `https://www.chatwork.com/#!rid123`, a message link `#!rid123-456`")]
    ChatworkRoom(String),
    #[error(
        "`{0}` is not a Chatwork account ID. Accepted forms: `123`, `aid=123`, `[To:123] name`"
    )]
    ChatworkAccount(String),
}

fn room_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"^(?:https?://(?:www\.)?(?:chatwork\.com|kcw\.kddi\.ne\.jp)/?)?#!rid(\d{1,19})(?:-\d{1,20})?$")
            .expect("valid regex")
    })
}

fn account_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"^(?:aid=(\d{1,19})|\[To:(\d{1,19})\].*)$").expect("valid regex"))
}

fn positive(digits: &str) -> Option<i64> {
    digits.parse::<i64>().ok().filter(|n| *n > 0)
}

/// A Chatwork room ID from any pasted form.
pub fn parse_chatwork_room(input: &str) -> Result<i64, IdParseError> {
    let s = input.trim();
    let err = || IdParseError::ChatworkRoom(input.to_string());
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return positive(s).ok_or_else(err);
    }
    let caps = room_re().captures(s).ok_or_else(err)?;
    positive(&caps[1]).ok_or_else(err)
}

/// A Chatwork account ID from any pasted form.
pub fn parse_chatwork_account(input: &str) -> Result<i64, IdParseError> {
    let s = input.trim();
    let err = || IdParseError::ChatworkAccount(input.to_string());
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return positive(s).ok_or_else(err);
    }
    let caps = account_re().captures(s).ok_or_else(err)?;
    let digits = caps.get(1).or_else(|| caps.get(2)).ok_or_else(err)?;
    positive(digits.as_str()).ok_or_else(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rooms_in_every_pasted_form() {
        for form in [
            "123",
            " 123 ",
            "#!rid123",
            "https://www.chatwork.com/#!rid123",
            "https://chatwork.com/#!rid123",
            "#!rid123-456",
            "https://www.chatwork.com/#!rid123-98765432109876543",
        ] {
            assert_eq!(parse_chatwork_room(form), Ok(123), "{form}");
        }
    }

    #[test]
    fn rooms_refused_with_the_accepted_forms() {
        for bad in [
            "",
            "abc",
            "rid123",
            "#!rid",
            "0",
            "https://evil.example/#!rid123",
            "12a",
            "-5",
        ] {
            let err = parse_chatwork_room(bad).unwrap_err();
            assert!(err.to_string().contains("#!rid123"), "{bad}: {err}");
        }
    }

    #[test]
    fn accounts_in_every_pasted_form() {
        for form in [
            "123",
            "aid=123",
            "[To:123] 山田さん",
            "[To:123]",
            " aid=123 ",
        ] {
            assert_eq!(parse_chatwork_account(form), Ok(123), "{form}");
        }
    }

    #[test]
    fn accounts_refused() {
        for bad in ["", "aid=", "To:123", "[To:abc] x", "yamada", "0"] {
            let err = parse_chatwork_account(bad).unwrap_err();
            assert!(err.to_string().contains("aid=123"), "{bad}: {err}");
        }
    }
}
