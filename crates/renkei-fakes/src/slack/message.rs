//! The checks Slack makes on a message's `text` and `blocks`, shared by `chat.postMessage`
//! and incoming webhooks. Only the limits renkei can run into are checked in depth
//! (section and header text length, block count, block shape); other block types pass.

use serde_json::{Map, Value};

/// `text` longer than this is refused with `msg_too_long` (Slack: 40,000 characters).
pub const MAX_TEXT_CHARS: usize = 40_000;
/// A section's `text` (Slack: 3,000 characters).
pub const MAX_SECTION_CHARS: usize = 3_000;
/// A header's `plain_text` (Slack: 150 characters).
pub const MAX_HEADER_CHARS: usize = 150;
/// Blocks per message (Slack: 50).
pub const MAX_BLOCKS: usize = 50;
/// All the text in a message's blocks together (Slack: about 12,000 characters, then
/// `msg_blocks_too_long`; Slack counts containers too and documents no exact number).
pub const MAX_BLOCKS_TEXT_CHARS: usize = 12_000;

/// A message that passed the checks.
#[derive(Debug)]
pub(crate) struct Checked {
    pub text: String,
    /// `Null` when the message had no blocks.
    pub blocks: Value,
}

/// Why a message was refused: Slack's error code and, for `invalid_blocks`, the detail
/// the Web API puts in `response_metadata.messages`.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Refused {
    pub error: &'static str,
    pub detail: Option<String>,
}

fn refused(error: &'static str) -> Refused {
    Refused {
        error,
        detail: None,
    }
}

fn invalid_blocks(detail: String) -> Refused {
    Refused {
        error: "invalid_blocks",
        detail: Some(format!("[ERROR] {detail}")),
    }
}

/// Checks `text`/`blocks` of a request whose arguments are `args`. A form post carries
/// `blocks` as a JSON string; that is parsed here like Slack does.
pub(crate) fn check(args: &Map<String, Value>) -> Result<Checked, Refused> {
    let text = match args.get("text") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(_) => return Err(refused("invalid_arguments")),
    };
    let blocks = match args.get("blocks") {
        None | Some(Value::Null) => Value::Null,
        Some(Value::String(s)) if s.trim().is_empty() => Value::Null,
        Some(Value::String(s)) => serde_json::from_str(s)
            .map_err(|_| invalid_blocks("blocks is not valid JSON".into()))?,
        Some(v) => v.clone(),
    };
    let has_blocks = match &blocks {
        Value::Null => false,
        Value::Array(list) => {
            check_blocks(list)?;
            if text_chars(&blocks) > MAX_BLOCKS_TEXT_CHARS {
                return Err(refused("msg_blocks_too_long"));
            }
            !list.is_empty()
        }
        _ => {
            return Err(invalid_blocks(
                "expected an array [json-pointer:/blocks]".into(),
            ))
        }
    };
    if text.trim().is_empty() && !has_blocks {
        return Err(refused("no_text"));
    }
    if text.chars().count() > MAX_TEXT_CHARS {
        return Err(refused("msg_too_long"));
    }
    Ok(Checked { text, blocks })
}

fn check_blocks(list: &[Value]) -> Result<(), Refused> {
    if list.len() > MAX_BLOCKS {
        return Err(invalid_blocks(format!(
            "no more than {MAX_BLOCKS} items allowed [json-pointer:/blocks]"
        )));
    }
    for (i, block) in list.iter().enumerate() {
        let at = |field: &str| format!("/blocks/{i}{field}");
        let Some(kind) = block.get("type").and_then(Value::as_str) else {
            return Err(invalid_blocks(format!(
                "missing required field: type [json-pointer:{}]",
                at("")
            )));
        };
        match kind {
            "section" => {
                let text = block.get("text");
                if text.is_none() && block.get("fields").is_none() {
                    return Err(invalid_blocks(format!(
                        "must provide either text or fields [json-pointer:{}]",
                        at("")
                    )));
                }
                if let Some(t) = text {
                    check_text(
                        t,
                        &["mrkdwn", "plain_text"],
                        MAX_SECTION_CHARS,
                        &at("/text"),
                    )?;
                }
            }
            "header" => {
                let t = block.get("text").unwrap_or(&Value::Null);
                check_text(t, &["plain_text"], MAX_HEADER_CHARS, &at("/text"))?;
            }
            "context" => {
                let n = block
                    .get("elements")
                    .and_then(Value::as_array)
                    .map_or(0, Vec::len);
                if n == 0 || n > 10 {
                    return Err(invalid_blocks(format!(
                        "must have 1 to 10 elements [json-pointer:{}]",
                        at("/elements")
                    )));
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// Characters of every `text` string anywhere in `v` (sections, headers, context
/// elements, rich text alike).
fn text_chars(v: &Value) -> usize {
    match v {
        Value::Array(items) => items.iter().map(text_chars).sum(),
        Value::Object(obj) => obj
            .iter()
            .map(|(k, v)| match v {
                Value::String(s) if k == "text" => s.chars().count(),
                other => text_chars(other),
            })
            .sum(),
        _ => 0,
    }
}

/// A text object: `{"type": one of kinds, "text": 1..=max characters}`.
fn check_text(t: &Value, kinds: &[&str], max: usize, at: &str) -> Result<(), Refused> {
    let kind = t.get("type").and_then(Value::as_str).unwrap_or("");
    if !kinds.contains(&kind) {
        return Err(invalid_blocks(format!(
            "must be one of {kinds:?} [json-pointer:{at}/type]"
        )));
    }
    let chars = t
        .get("text")
        .and_then(Value::as_str)
        .map_or(0, |s| s.chars().count());
    if chars == 0 {
        return Err(invalid_blocks(format!(
            "must be more than 0 characters [json-pointer:{at}/text]"
        )));
    }
    if chars > max {
        return Err(invalid_blocks(format!(
            "must be less than {} characters [json-pointer:{at}/text]",
            max + 1
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn args(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    fn section(text: &str) -> Value {
        json!({"type": "section", "text": {"type": "mrkdwn", "text": text}})
    }

    #[test]
    fn text_or_blocks_is_required() {
        assert_eq!(check(&args(json!({}))).unwrap_err().error, "no_text");
        assert_eq!(
            check(&args(json!({"text": " "}))).unwrap_err().error,
            "no_text"
        );
        assert_eq!(
            check(&args(json!({"blocks": []}))).unwrap_err().error,
            "no_text"
        );
        assert!(check(&args(json!({"blocks": [section("x")]}))).is_ok());
        assert_eq!(check(&args(json!({"text": "hi"}))).unwrap().text, "hi");
    }

    #[test]
    fn limits_are_slacks() {
        let long = "a".repeat(MAX_TEXT_CHARS + 1);
        assert_eq!(
            check(&args(json!({"text": long}))).unwrap_err().error,
            "msg_too_long"
        );
        let section_ok = "あ".repeat(MAX_SECTION_CHARS);
        assert!(check(&args(json!({"blocks": [section(&section_ok)]}))).is_ok());
        let too_long = check(&args(
            json!({"blocks": [section(&format!("{section_ok}x"))]}),
        ));
        let e = too_long.unwrap_err();
        assert_eq!(e.error, "invalid_blocks");
        assert!(e.detail.unwrap().contains("/blocks/0/text/text"));
        let many: Vec<Value> = (0..=MAX_BLOCKS).map(|_| section("x")).collect();
        assert_eq!(
            check(&args(json!({"blocks": many}))).unwrap_err().error,
            "invalid_blocks"
        );
    }

    #[test]
    fn the_text_of_all_blocks_together_is_capped() {
        let full = "あ".repeat(MAX_SECTION_CHARS);
        let at_cap: Vec<Value> = (0..4).map(|_| section(&full)).collect();
        assert!(check(&args(json!({"blocks": at_cap}))).is_ok());
        let mut over: Vec<Value> = (0..4).map(|_| section(&full)).collect();
        over.push(json!({"type": "context", "elements": [{"type": "mrkdwn", "text": "x"}]}));
        assert_eq!(
            check(&args(json!({"blocks": over}))).unwrap_err().error,
            "msg_blocks_too_long"
        );
    }

    #[test]
    fn blocks_may_come_as_a_json_string() {
        let form = args(json!({"blocks": "[{\"type\":\"divider\"}]"}));
        assert_eq!(check(&form).unwrap().blocks, json!([{"type": "divider"}]));
        let bad = args(json!({"blocks": "[{"}));
        assert_eq!(check(&bad).unwrap_err().error, "invalid_blocks");
        let untyped = args(json!({"blocks": [{"text": "x"}]}));
        assert_eq!(check(&untyped).unwrap_err().error, "invalid_blocks");
    }
}
