//! Checks a Workflows payload the way Teams will read it. Teams answers 202 as soon as the
//! flow is triggered and fails the run later, where nobody sees it: a card it cannot post
//! must be caught here, before the request.

use serde_json::Value;

use super::card::{ADAPTIVE_CARD, MAX_PAYLOAD_BYTES};

/// The newest Adaptive Card version Teams renders on every client.
const MAX_VERSION: (u32, u32) = (1, 5);

const ELEMENT_TYPES: &[&str] = &[
    "TextBlock",
    "RichTextBlock",
    "Image",
    "ImageSet",
    "Media",
    "Container",
    "ColumnSet",
    "FactSet",
    "ActionSet",
    "Table",
    "Input.Text",
    "Input.Number",
    "Input.Date",
    "Input.Time",
    "Input.Toggle",
    "Input.ChoiceSet",
];

const ACTION_TYPES: &[&str] = &[
    "Action.OpenUrl",
    "Action.Submit",
    "Action.ShowCard",
    "Action.ToggleVisibility",
    "Action.Execute",
];

/// `Ok` when Teams can post every card in `payload`; else what is wrong, with its path.
pub fn validate_card(payload: &Value) -> Result<(), String> {
    let size = payload.to_string().len();
    if size > MAX_PAYLOAD_BYTES {
        return Err(format!(
            "the payload is {size} bytes; Teams accepts at most {MAX_PAYLOAD_BYTES}"
        ));
    }
    if payload.get("type").and_then(Value::as_str) != Some("message") {
        return Err("`type` must be \"message\"".into());
    }
    let attachments = payload
        .get("attachments")
        .and_then(Value::as_array)
        .filter(|a| !a.is_empty())
        .ok_or("`attachments` must be a non-empty array")?;
    for (i, attachment) in attachments.iter().enumerate() {
        let at = format!("attachments[{i}]");
        if attachment.get("contentType").and_then(Value::as_str) != Some(ADAPTIVE_CARD) {
            return Err(format!("{at}.contentType must be \"{ADAPTIVE_CARD}\""));
        }
        let content = attachment
            .get("content")
            .filter(|c| c.is_object())
            .ok_or_else(|| format!("{at}.content must be an object"))?;
        check_card(content, &format!("{at}.content"))?;
    }
    Ok(())
}

fn check_card(card: &Value, at: &str) -> Result<(), String> {
    if card.get("type").and_then(Value::as_str) != Some("AdaptiveCard") {
        return Err(format!("{at}.type must be \"AdaptiveCard\""));
    }
    let version = card.get("version").and_then(Value::as_str).unwrap_or("");
    match parse_version(version) {
        Some(v) if v <= MAX_VERSION => {}
        _ => {
            return Err(format!(
                "{at}.version {version:?} is not one Teams renders (1.0 to 1.5)"
            ))
        }
    }
    let body = card
        .get("body")
        .and_then(Value::as_array)
        .filter(|b| !b.is_empty())
        .ok_or_else(|| format!("{at}.body must be a non-empty array"))?;
    let mut texts = Vec::new();
    check_elements(body, &format!("{at}.body"), &mut texts)?;
    if let Some(actions) = card.get("actions") {
        let actions = actions
            .as_array()
            .ok_or_else(|| format!("{at}.actions must be an array"))?;
        check_actions(actions, &format!("{at}.actions"))?;
    }
    check_mentions(card, at, &texts)
}

fn parse_version(v: &str) -> Option<(u32, u32)> {
    let (major, minor) = v.split_once('.')?;
    Some((major.parse().ok()?, minor.parse().ok()?))
}

/// Checks elements (recursing into containers) and collects every TextBlock's text.
fn check_elements<'a>(
    elements: &'a [Value],
    at: &str,
    texts: &mut Vec<&'a str>,
) -> Result<(), String> {
    for (i, element) in elements.iter().enumerate() {
        let at = format!("{at}[{i}]");
        let kind = element.get("type").and_then(Value::as_str).unwrap_or("");
        if !ELEMENT_TYPES.contains(&kind) {
            return Err(format!(
                "{at}.type {kind:?} is not an Adaptive Card element"
            ));
        }
        match kind {
            "TextBlock" => {
                let text = element
                    .get("text")
                    .and_then(Value::as_str)
                    .filter(|t| !t.trim().is_empty())
                    .ok_or_else(|| format!("{at}: a TextBlock needs a non-empty `text`"))?;
                texts.push(text);
            }
            "Container" => {
                let items = items(element, &at, "items")?;
                check_elements(items, &format!("{at}.items"), texts)?;
            }
            "ColumnSet" => {
                let columns = element.get("columns").and_then(Value::as_array);
                for (c, column) in columns.into_iter().flatten().enumerate() {
                    let col_at = format!("{at}.columns[{c}]");
                    check_elements(
                        items(column, &col_at, "items")?,
                        &format!("{col_at}.items"),
                        texts,
                    )?;
                }
            }
            "ActionSet" => {
                check_actions(items(element, &at, "actions")?, &format!("{at}.actions"))?
            }
            _ => {}
        }
    }
    Ok(())
}

fn items<'a>(element: &'a Value, at: &str, key: &str) -> Result<&'a [Value], String> {
    match element.get(key) {
        None => Ok(&[]),
        Some(v) => v
            .as_array()
            .map(Vec::as_slice)
            .ok_or_else(|| format!("{at}.{key} must be an array")),
    }
}

fn check_actions(actions: &[Value], at: &str) -> Result<(), String> {
    for (i, action) in actions.iter().enumerate() {
        let at = format!("{at}[{i}]");
        let kind = action.get("type").and_then(Value::as_str).unwrap_or("");
        if !ACTION_TYPES.contains(&kind) {
            return Err(format!("{at}.type {kind:?} is not an Adaptive Card action"));
        }
        if kind == "Action.OpenUrl" {
            let url = action.get("url").and_then(Value::as_str).unwrap_or("");
            let web = url::Url::parse(url)
                .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.has_host());
            if !web {
                return Err(format!("{at}.url must be an absolute http(s) URL"));
            }
        }
    }
    Ok(())
}

/// Every mention entity must name someone and be written in some TextBlock, or Teams
/// refuses the whole message.
fn check_mentions(card: &Value, at: &str, texts: &[&str]) -> Result<(), String> {
    let Some(entities) = card.get("msteams").and_then(|m| m.get("entities")) else {
        return Ok(());
    };
    let entities = entities
        .as_array()
        .ok_or_else(|| format!("{at}.msteams.entities must be an array"))?;
    for (i, entity) in entities.iter().enumerate() {
        let at = format!("{at}.msteams.entities[{i}]");
        if entity.get("type").and_then(Value::as_str) != Some("mention") {
            continue;
        }
        let text = entity
            .get("text")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| format!("{at}.text must be a non-empty string"))?;
        if !texts.iter().any(|t| t.contains(text)) {
            return Err(format!("{at}.text {text:?} appears in no TextBlock"));
        }
        let mentioned = entity.get("mentioned");
        for field in ["id", "name"] {
            let ok = mentioned
                .and_then(|m| m.get(field))
                .and_then(Value::as_str)
                .is_some_and(|v| !v.trim().is_empty());
            if !ok {
                return Err(format!("{at}.mentioned.{field} must be a non-empty string"));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn payload(content: Value) -> Value {
        json!({"type": "message", "attachments": [{"contentType": ADAPTIVE_CARD, "contentUrl": null, "content": content}]})
    }

    fn card(body: Value) -> Value {
        json!({"type": "AdaptiveCard", "version": "1.4", "body": body})
    }

    fn refused(p: &Value) -> String {
        validate_card(p).expect_err("should be refused")
    }

    #[test]
    fn a_minimal_card_passes() {
        validate_card(&payload(card(json!([{"type": "TextBlock", "text": "hi"}])))).unwrap();
    }

    #[test]
    fn envelope_mistakes_are_named() {
        assert!(refused(&json!({"type": "message"})).contains("attachments"));
        assert!(refused(&json!({"attachments": []})).contains("type"));
        let wrong_type = json!({"type": "message", "attachments": [{"contentType": "text/html", "content": {}}]});
        assert!(refused(&wrong_type).contains("contentType"));
    }

    #[test]
    fn card_mistakes_are_named_with_their_path() {
        let mut c = card(json!([{"type": "TextBlock", "text": "x"}]));
        c["version"] = json!("1.6");
        assert!(refused(&payload(c)).contains("version"));
        assert!(refused(&payload(card(json!([])))).contains("body"));
        let e = refused(&payload(card(json!([{"type": "Paragraph", "text": "x"}]))));
        assert!(e.contains("body[0]") && e.contains("Paragraph"), "{e}");
        let nested =
            card(json!([{"type": "Container", "items": [{"type": "TextBlock", "text": " "}]}]));
        assert!(refused(&payload(nested)).contains("body[0].items[0]"));
        let mut bad_link = card(json!([{"type": "TextBlock", "text": "x"}]));
        bad_link["actions"] = json!([{"type": "Action.OpenUrl", "url": "/relative"}]);
        assert!(refused(&payload(bad_link)).contains("actions[0].url"));
    }

    #[test]
    fn mentions_must_be_written_and_identified() {
        let mut c = card(json!([{"type": "TextBlock", "text": "<at>A</at> hi"}]));
        c["msteams"] = json!({"entities": [{"type": "mention", "text": "<at>A</at>", "mentioned": {"id": "a@x.jp", "name": "A"}}]});
        validate_card(&payload(c.clone())).unwrap();
        c["msteams"]["entities"][0]["text"] = json!("<at>B</at>");
        assert!(refused(&payload(c.clone())).contains("appears in no TextBlock"));
        c["msteams"]["entities"][0]["text"] = json!("<at>A</at>");
        c["msteams"]["entities"][0]["mentioned"] = json!({"name": "A"});
        assert!(refused(&payload(c)).contains("mentioned.id"));
    }

    #[test]
    fn oversized_payloads_are_refused() {
        let big = "x".repeat(MAX_PAYLOAD_BYTES);
        assert!(
            refused(&payload(card(json!([{"type": "TextBlock", "text": big}])))).contains("bytes")
        );
    }
}
