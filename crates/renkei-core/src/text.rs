//! Limits on the text products and people send: length and characters. Checked before
//! anything is stored or sent to a provider, so bad input is refused as the sender's
//! mistake (422) instead of failing later in a database or an HTTP header.

/// External IDs (clients, groups, members, event-type keys, absences) and idempotency keys.
pub const MAX_EXTERNAL_ID_CHARS: usize = 255;
/// Names of clients, groups, members and event types.
pub const MAX_NAME_CHARS: usize = 255;
/// RFC 5321's longest forward path.
pub const MAX_EMAIL_CHARS: usize = 254;
/// Event and bulk-send titles.
pub const MAX_TITLE_CHARS: usize = 1_000;
/// Event and bulk-send bodies (Chatwork takes 65,535; room is left for the layout).
pub const MAX_BODY_CHARS: usize = 60_000;
/// Links in events.
pub const MAX_URL_CHARS: usize = 2_048;
/// Pasted IDs and room links.
pub const MAX_PASTED_ID_CHARS: usize = 1_024;
/// Absence summaries (calendar titles; LINE WORKS takes 200).
pub const MAX_SUMMARY_CHARS: usize = 200;
/// Absence descriptions (LINE WORKS calendars take 5,000).
pub const MAX_DESCRIPTION_CHARS: usize = 5_000;
/// One credential field on one line: tokens, secrets, IDs, webhook URLs.
pub const MAX_CREDENTIAL_CHARS: usize = 2_048;
/// A private key (PEM, several lines).
pub const MAX_PRIVATE_KEY_CHARS: usize = 16_384;

/// Whether line breaks and tabs are allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lines {
    One,
    Many,
}

/// How one text field is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// Blank text (only whitespace) is refused.
    pub required: bool,
    pub max_chars: usize,
    pub lines: Lines,
}

impl Rule {
    pub const fn one_line(max_chars: usize) -> Self {
        Rule {
            required: true,
            max_chars,
            lines: Lines::One,
        }
    }
    pub const fn many_lines(max_chars: usize) -> Self {
        Rule {
            required: true,
            max_chars,
            lines: Lines::Many,
        }
    }
    /// The same rule, but blank text is fine.
    pub const fn optional(self) -> Self {
        Rule {
            required: false,
            ..self
        }
    }
}

pub const EXTERNAL_ID: Rule = Rule::one_line(MAX_EXTERNAL_ID_CHARS);
pub const NAME: Rule = Rule::one_line(MAX_NAME_CHARS);

/// Checks `value` of `field` against `rule`; the error says what to fix.
pub fn check(field: &str, value: &str, rule: Rule) -> Result<(), String> {
    if rule.required && value.trim().is_empty() {
        return Err(format!("`{field}` must not be empty"));
    }
    let mut count = 0usize;
    for (i, c) in value.chars().enumerate() {
        count += 1;
        let allowed_break = rule.lines == Lines::Many && matches!(c, '\n' | '\r' | '\t');
        if c.is_control() && !allowed_break {
            return Err(match c {
                '\n' | '\r' => format!(
                    "`{field}` must be one line: remove the line break at character {}",
                    i + 1
                ),
                _ => format!(
                    "`{field}` contains the control character U+{:04X} at character {}: remove it",
                    c as u32,
                    i + 1
                ),
            });
        }
    }
    if count > rule.max_chars {
        return Err(format!(
            "`{field}` must be at most {} characters; it has {count}",
            rule.max_chars
        ));
    }
    Ok(())
}

/// An e-mail address: one line, one `@` with text on both sides, no spaces.
pub fn check_email(field: &str, value: &str) -> Result<(), String> {
    check(field, value, Rule::one_line(MAX_EMAIL_CHARS))?;
    let shaped = match value.trim().split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.is_empty()
                && !domain.contains('@')
                && !value.trim().contains(char::is_whitespace)
        }
        None => false,
    };
    if !shaped {
        return Err(format!(
            "`{field}` must be an e-mail address like `name@example.com`; got `{value}`"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn external_ids_are_one_line_of_1_to_255_characters() {
        assert!(check("id", "acme-株式会社", EXTERNAL_ID).is_ok());
        assert!(check("id", &"x".repeat(255), EXTERNAL_ID).is_ok());
        let long = check("id", &"x".repeat(256), EXTERNAL_ID).unwrap_err();
        assert!(
            long.contains("at most 255") && long.contains("256"),
            "{long}"
        );
        assert!(check("id", " ", EXTERNAL_ID).unwrap_err().contains("empty"));
        let nl = check("id", "a\nb", EXTERNAL_ID).unwrap_err();
        assert!(
            nl.contains("one line") && nl.contains("character 2"),
            "{nl}"
        );
        let nul = check("id", "a\u{0}", EXTERNAL_ID).unwrap_err();
        assert!(nul.contains("U+0000"), "{nul}");
    }

    #[test]
    fn many_lines_allow_breaks_and_tabs_but_no_other_controls() {
        let body = Rule::many_lines(10).optional();
        assert!(check("body", "a\r\nb\tc", body).is_ok());
        assert!(check("body", "", body).is_ok());
        assert!(check("body", "a\u{7}", body)
            .unwrap_err()
            .contains("U+0007"));
        assert!(check("body", "a\u{0}", body).is_err());
        assert!(check("body", &"あ".repeat(11), body).is_err());
        assert!(check("body", &"あ".repeat(10), body).is_ok());
    }

    #[test]
    fn emails_need_one_at_sign_and_no_spaces() {
        assert!(check_email("email", "yamada@example.co.jp").is_ok());
        for bad in [
            "yamada",
            "@example.com",
            "a@",
            "a b@example.com",
            "a@b@c",
            "a\n@b",
        ] {
            assert!(check_email("email", bad).is_err(), "{bad:?}");
        }
        let long = format!("{}@example.com", "a".repeat(250));
        assert!(check_email("email", &long).unwrap_err().contains("254"));
    }
}
