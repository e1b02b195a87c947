//! Checking pasted credentials before asking the provider about them.

use std::collections::BTreeMap;

use renkei_core::text::{self, Rule};

use crate::ConnectError;

/// Fields that hold a PEM key, the only credentials that span lines.
const MULTI_LINE_FIELDS: [&str; 1] = ["private_key"];

/// Every credential field is checked before any provider is asked: a line break or a huge
/// value would otherwise fail inside the HTTP client (an invalid header value) and look
/// like the provider's fault (502).
fn field_rule(field: &str) -> Rule {
    if MULTI_LINE_FIELDS.contains(&field) {
        Rule::many_lines(text::MAX_PRIVATE_KEY_CHARS)
    } else {
        Rule::one_line(text::MAX_CREDENTIAL_CHARS)
    }
}

/// The last 4 characters of a secret, to tell connections apart without showing it.
pub fn hint(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().collect();
    let tail: String = chars[chars.len().saturating_sub(4)..].iter().collect();
    format!("…{tail}")
}

/// Reads `credentials` as an object holding exactly `required` (non-empty strings, trimmed)
/// plus any of `optional`. Anything else is refused with `help`, so a typo never silently
/// drops a field.
pub fn string_fields(
    credentials: &serde_json::Value,
    required: &[&str],
    optional: &[&str],
    help: &str,
) -> Result<BTreeMap<String, String>, ConnectError> {
    let obj = credentials
        .as_object()
        .ok_or_else(|| ConnectError::invalid("invalid_credentials", help))?;
    let mut out = BTreeMap::new();
    for (k, v) in obj {
        if !required.contains(&k.as_str()) && !optional.contains(&k.as_str()) {
            return Err(ConnectError::invalid(
                "invalid_credentials",
                format!("unknown credentials field `{k}`: {help}"),
            ));
        }
        let Some(text) = v.as_str().map(str::trim).filter(|t| !t.is_empty()) else {
            return Err(ConnectError::invalid(
                "invalid_credentials",
                format!("credentials field `{k}` must be a non-empty string: {help}"),
            ));
        };
        text::check(&format!("credentials.{k}"), text, field_rule(k))
            .map_err(|m| ConnectError::invalid("invalid_credentials", format!("{m}: {help}")))?;
        out.insert(k.clone(), text.to_string());
    }
    if let Some(missing) = required.iter().find(|r| !out.contains_key(**r)) {
        return Err(ConnectError::invalid(
            "invalid_credentials",
            format!("missing credentials field `{missing}`: {help}"),
        ));
    }
    Ok(out)
}

/// [`string_fields`] with no optional fields.
pub fn only_string_fields(
    credentials: &serde_json::Value,
    required: &[&str],
    help: &str,
) -> Result<BTreeMap<String, String>, ConnectError> {
    string_fields(credentials, required, &[], help)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn hint_shows_only_the_tail() {
        assert_eq!(hint("abcdef123"), "…f123");
        assert_eq!(hint("ab"), "…ab");
    }

    #[test]
    fn fields_are_checked_by_name_and_type() {
        let ok = string_fields(&json!({"a": " x ", "b": "y"}), &["a"], &["b"], "h").unwrap();
        assert_eq!(ok["a"], "x");
        let unknown = string_fields(&json!({"a": "x", "c": "y"}), &["a"], &[], "h").unwrap_err();
        assert!(unknown.message.contains("`c`"), "{unknown:?}");
        let missing = string_fields(&json!({}), &["a"], &[], "h").unwrap_err();
        assert!(missing.message.contains("missing"), "{missing:?}");
        let empty = string_fields(&json!({"a": " "}), &["a"], &[], "h").unwrap_err();
        assert_eq!(empty.code, "invalid_credentials");
        assert!(string_fields(&json!("x"), &["a"], &[], "h").is_err());
    }

    #[test]
    fn fields_are_one_bounded_line_except_private_keys() {
        let broken = string_fields(&json!({"a": "to\nken"}), &["a"], &[], "h").unwrap_err();
        assert_eq!(broken.status, 422);
        assert!(broken.message.contains("one line"), "{broken:?}");
        let huge = json!({"a": "x".repeat(crate::credentials::text::MAX_CREDENTIAL_CHARS + 1)});
        assert!(string_fields(&huge, &["a"], &[], "h")
            .unwrap_err()
            .message
            .contains("at most"));
        let pem = "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----";
        assert!(string_fields(&json!({"private_key": pem}), &["private_key"], &[], "h").is_ok());
        let nul = json!({"private_key": "a\u{0}b"});
        assert!(string_fields(&nul, &["private_key"], &[], "h").is_err());
    }
}
