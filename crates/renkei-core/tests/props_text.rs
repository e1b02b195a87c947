//! Properties of the text limits (`renkei_core::text`): what passes really is within the
//! rule, what is refused is refused for a reason that points at the right character, and
//! text well within the rule always passes.

mod support;

use proptest::prelude::*;
use renkei_core::text::{check, check_email, Lines, Rule};

use support::config;

/// Text with control characters, line breaks, blanks, combining marks and astral
/// characters mixed in, sometimes long.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[a-zA-Z0-9 \t\r\n\u{0}\u{7}\u{7f}\u{85}\u{200B}\u{3000}\u{301}あ山😀@.]{0,40}",
        1 => any::<String>(),
        1 => ("[あa😀]", 0..300usize).prop_map(|(c, n)| c.repeat(n)),
    ]
}

fn rule() -> impl Strategy<Value = Rule> {
    (0..120usize, any::<bool>(), any::<bool>()).prop_map(|(max, many, required)| {
        let rule = if many {
            Rule::many_lines(max)
        } else {
            Rule::one_line(max)
        };
        if required {
            rule
        } else {
            rule.optional()
        }
    })
}

fn allowed(c: char, rule: Rule) -> bool {
    !c.is_control() || (rule.lines == Lines::Many && matches!(c, '\n' | '\r' | '\t'))
}

proptest! {
    #![proptest_config(config(512))]

    /// Text that passes has at most `max_chars` characters, only the control characters
    /// the rule allows, and is not blank when required.
    #[test]
    fn passing_text_is_within_the_rule(value in text(), rule in rule()) {
        if check("field", &value, rule).is_ok() {
            prop_assert!(value.chars().count() <= rule.max_chars);
            prop_assert!(value.chars().all(|c| allowed(c, rule)), "{:?}", value);
            prop_assert!(!rule.required || !value.trim().is_empty());
        }
    }

    /// A refusal names the field; one about a character points at a character that is
    /// really not allowed there (1-based, counted in characters).
    #[test]
    fn refusals_point_at_the_offending_character(value in text(), rule in rule()) {
        let Err(e) = check("the_field", &value, rule) else { return Ok(()) };
        prop_assert!(e.contains("`the_field`"), "{}", e);
        if let Some(at) = e.split("at character ").nth(1) {
            let n: usize = at.split(|c: char| !c.is_ascii_digit()).next().unwrap_or("").parse()
                .map_err(|_| TestCaseError::fail(e.clone()))?;
            let c = value.chars().nth(n - 1);
            prop_assert!(c.is_some_and(|c| !allowed(c, rule)), "{} in {:?}", e, value);
        }
    }

    /// Text of allowed characters, not blank, within the limit always passes.
    #[test]
    fn text_within_the_rule_passes(value in "[a-zA-Z0-9あ山😀@.\u{301}][a-zA-Z0-9 あ山😀\u{3000}@.\u{301}]{0,60}", rule in rule()) {
        prop_assume!(value.chars().count() <= rule.max_chars);
        prop_assert_eq!(check("field", &value, rule), Ok(()));
    }

    /// An accepted e-mail has one `@` with text on both sides and no whitespace.
    #[test]
    fn accepted_emails_are_shaped_like_emails(value in text()) {
        if check_email("email", &value).is_ok() {
            let v = value.trim();
            let (local, domain) = v.split_once('@').expect("an @");
            prop_assert!(!local.is_empty() && !domain.is_empty() && !domain.contains('@'));
            prop_assert!(!v.contains(char::is_whitespace) && v.chars().count() <= 254);
        }
    }
}
