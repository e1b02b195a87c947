//! What the Workflows template "Post to a channel when a webhook request is received" does
//! with a payload after it has already answered 202: for each entry of `attachments` it
//! posts `content` as an Adaptive Card, which Teams checks. A run fails with the reason
//! Power Automate's run history would show.
//!
//! Like the template, the flow reads only `attachments[].content`: the envelope's `type`
//! and each `contentType` are not looked at. An empty `attachments` array is a run that
//! succeeds and posts nothing.

use serde_json::Value;

/// About 28 KB: Teams refuses larger messages.
pub const MAX_MESSAGE_BYTES: usize = 28 * 1024;

const ELEMENTS: &[&str] = &[
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
const ACTIONS: &[&str] = &[
    "Action.OpenUrl",
    "Action.Submit",
    "Action.ShowCard",
    "Action.ToggleVisibility",
    "Action.Execute",
];

fn bad_request(why: String) -> String {
    format!("BadRequest: Post card in a chat or channel failed: {why}")
}

/// The cards the flow posts, or why the run fails.
pub fn run(payload: &Value) -> Result<Vec<Value>, String> {
    let Some(attachments) = payload.get("attachments").and_then(Value::as_array) else {
        let kind = match payload.get("attachments") {
            None | Some(Value::Null) => "Null",
            Some(Value::Object(_)) => "Object",
            Some(Value::String(_)) => "String",
            Some(_) => "a value that is not an array",
        };
        return Err(format!(
            "ExpressionEvaluationFailed: The execution of template action 'Send_each_adaptive_card' failed: \
             the result of the evaluation of 'foreach' expression '@triggerOutputs()?['body']?['attachments']' \
             is of type '{kind}'. The result must be a valid array."
        ));
    };
    let mut cards = Vec::new();
    for attachment in attachments {
        let card = attachment.get("content").cloned().unwrap_or(Value::Null);
        check_card(&card).map_err(bad_request)?;
        let size = card.to_string().len();
        if size > MAX_MESSAGE_BYTES {
            return Err(format!(
                "RequestEntityTooLarge: the message is {size} bytes, above the limit of {MAX_MESSAGE_BYTES}"
            ));
        }
        cards.push(card);
    }
    Ok(cards)
}

fn check_card(card: &Value) -> Result<(), String> {
    if card.get("type").and_then(Value::as_str) != Some("AdaptiveCard") {
        return Err("the attachment content is not an AdaptiveCard".into());
    }
    let version = card.get("version").and_then(Value::as_str).unwrap_or("");
    let supported = version
        .split_once('.')
        .and_then(|(a, b)| Some((a.parse::<u32>().ok()?, b.parse::<u32>().ok()?)))
        .is_some_and(|v| v <= (1, 5));
    if !supported {
        return Err(format!("AdaptiveCard version '{version}' is not supported"));
    }
    let body = card.get("body").and_then(Value::as_array);
    let Some(body) = body.filter(|b| !b.is_empty()) else {
        return Err("the AdaptiveCard has an empty body".into());
    };
    let mut texts = Vec::new();
    elements(body, &mut texts)?;
    if let Some(actions) = card.get("actions") {
        self::actions(actions)?;
    }
    mentions(card, &texts)
}

fn elements(list: &[Value], texts: &mut Vec<String>) -> Result<(), String> {
    for element in list {
        let kind = element.get("type").and_then(Value::as_str).unwrap_or("");
        if !ELEMENTS.contains(&kind) {
            return Err(format!("unknown element type '{kind}'"));
        }
        match kind {
            "TextBlock" => match element.get("text").and_then(Value::as_str) {
                Some(t) if !t.trim().is_empty() => texts.push(t.to_string()),
                _ => return Err("a TextBlock has no text".into()),
            },
            "Container" => {
                let items = element.get("items").and_then(Value::as_array);
                elements(items.map_or(&[], Vec::as_slice), texts)?;
            }
            "ColumnSet" => {
                for column in element
                    .get("columns")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    let items = column.get("items").and_then(Value::as_array);
                    elements(items.map_or(&[], Vec::as_slice), texts)?;
                }
            }
            "ActionSet" => actions(element.get("actions").unwrap_or(&Value::Null))?,
            _ => {}
        }
    }
    Ok(())
}

fn actions(actions: &Value) -> Result<(), String> {
    let Some(list) = actions.as_array() else {
        return Err("actions is not an array".into());
    };
    for action in list {
        let kind = action.get("type").and_then(Value::as_str).unwrap_or("");
        if !ACTIONS.contains(&kind) {
            return Err(format!("unknown action type '{kind}'"));
        }
        if kind == "Action.OpenUrl" {
            let url = action.get("url").and_then(Value::as_str).unwrap_or("");
            let ok = url::Url::parse(url)
                .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.has_host());
            if !ok {
                return Err(format!("Action.OpenUrl has an invalid url '{url}'"));
            }
        }
    }
    Ok(())
}

fn mentions(card: &Value, texts: &[String]) -> Result<(), String> {
    let entities = card.pointer("/msteams/entities").and_then(Value::as_array);
    for entity in entities.into_iter().flatten() {
        if entity.get("type").and_then(Value::as_str) != Some("mention") {
            continue;
        }
        let text = entity.get("text").and_then(Value::as_str).unwrap_or("");
        if text.is_empty() || !texts.iter().any(|t| t.contains(text)) {
            return Err(format!(
                "mention entity '{text}' was not found in the card's text"
            ));
        }
        let id = entity
            .pointer("/mentioned/id")
            .and_then(Value::as_str)
            .unwrap_or("");
        let name = entity
            .pointer("/mentioned/name")
            .and_then(Value::as_str)
            .unwrap_or("");
        if id.trim().is_empty() || name.trim().is_empty() {
            return Err(format!(
                "mention entity '{text}' has no mentioned id or name"
            ));
        }
    }
    Ok(())
}
