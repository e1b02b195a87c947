//! `POST /v2/bot/message/push` and `/multicast`: retry keys, body validation, recipients,
//! the monthly quota, then acceptance.

use axum::http::HeaderMap;
use serde_json::{json, Value};

use super::api::Reply;
use super::world::{random_hex, Accepted, PushedMessage, World};
use super::Shared;

pub(super) const MONTHLY_LIMIT: &str = "You have reached your monthly limit.";
pub(super) const RETRY_KEY_ACCEPTED: &str = "The retry key is already accepted";
const MAX_TEXT_UNITS: usize = 5000;
const MESSAGE_TYPES: [&str; 10] = [
    "text", "image", "video", "audio", "location", "sticker", "template", "imagemap", "flex",
    "textV2",
];

fn is_id(to: &str, prefixes: &[u8]) -> bool {
    let b = to.as_bytes();
    b.len() == 33
        && prefixes.contains(&b[0])
        && b[1..]
            .iter()
            .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(c))
}

/// `(message, property)` problems of a `messages` array, LINE's wording.
fn message_problems(messages: Option<&Value>) -> Vec<(String, String)> {
    let Some(list) = messages.and_then(Value::as_array) else {
        return vec![("Must be specified".into(), "messages".into())];
    };
    if list.is_empty() || list.len() > 5 {
        return vec![("Size must be between 1 and 5".into(), "messages".into())];
    }
    let mut problems = Vec::new();
    for (i, m) in list.iter().enumerate() {
        let kind = m.get("type").and_then(Value::as_str).unwrap_or_default();
        if !MESSAGE_TYPES.contains(&kind) {
            problems.push((
                format!(
                    "Must be one of the following values: [{}]",
                    MESSAGE_TYPES.join(", ")
                ),
                format!("messages[{i}].type"),
            ));
            continue;
        }
        if kind != "text" {
            continue;
        }
        let property = format!("messages[{i}].text");
        match m.get("text").and_then(Value::as_str) {
            None | Some("") => problems.push(("May not be empty".into(), property)),
            Some(t) if t.encode_utf16().count() > MAX_TEXT_UNITS => {
                problems.push(("Length must be between 0 and 5000".into(), property));
            }
            Some(_) => {}
        }
    }
    problems
}

fn validation_error(problems: &[(String, String)]) -> Reply {
    let details: Vec<Value> = problems
        .iter()
        .map(|(m, p)| json!({ "message": m, "property": p }))
        .collect();
    Reply::json(
        400,
        &json!({
            "message": format!("The request body has {} error(s)", details.len()),
            "details": details,
        }),
    )
}

fn invalid_to() -> Reply {
    Reply::error(
        400,
        "The property, 'to', in the request body is invalid (line: -, column: -)",
    )
}

/// What both endpoints check first: the content type, JSON, the retry key (format, then a
/// repeat → 409).
/// `Ok` carries the parsed body and the key.
fn common_checks(
    shared: &Shared,
    world: &mut World,
    channel_id: &str,
    headers: &HeaderMap,
    body: &[u8],
    now_ms: u128,
) -> Result<(Value, Option<String>), Reply> {
    let content_type = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let media = content_type.split(';').next().unwrap_or("").trim();
    if !media.eq_ignore_ascii_case("application/json") {
        let message = format!("The content type, '{content_type}', is not supported");
        return Err(Reply::error(415, &message));
    }
    let Ok(parsed) = serde_json::from_slice::<Value>(body) else {
        return Err(Reply::error(
            400,
            "The request body could not be parsed as JSON",
        ));
    };
    let key = headers
        .get("x-line-retry-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    if let Some(k) = &key {
        if uuid::Uuid::parse_str(k).is_err() || k.len() != 36 {
            return Err(Reply::error(
                400,
                "The retry key must be a UUID in hexadecimal format",
            ));
        }
        let ttl_ms = shared.config.retry_key_ttl.as_millis();
        world.expire_retry_keys(now_ms, ttl_ms);
        if let Some(a) = world.retry_keys.get(&(channel_id.to_string(), k.clone())) {
            let mut answer = json!({ "message": RETRY_KEY_ACCEPTED });
            if !a.sent_messages.is_empty() {
                answer["sentMessages"] = Value::Array(a.sent_messages.clone());
            }
            return Err(Reply::json(409, &answer)
                .with_header("x-line-accepted-request-id", a.request_id.clone()));
        }
    }
    Ok((parsed, key))
}

fn over_quota(world: &World, channel_id: &str, recipients: u64) -> bool {
    world
        .channels
        .get(channel_id)
        .and_then(|c| c.monthly_limit.map(|limit| c.usage + recipients > limit))
        .unwrap_or(false)
}

/// Who is calling, and when.
pub(super) struct Call<'a> {
    pub channel_id: &'a str,
    pub request_id: &'a str,
    pub now_ms: u128,
}

/// Stores the push to one recipient; returns its `sentMessages`.
fn accept(
    world: &mut World,
    call: &Call<'_>,
    to: &str,
    messages: &[Value],
    retry_key: Option<&String>,
    endpoint: &'static str,
) -> Vec<Value> {
    let Call {
        channel_id,
        request_id,
        now_ms,
    } = *call;
    let ids: Vec<String> = messages.iter().map(|_| world.next_message_id()).collect();
    let delivered = world.is_friend(channel_id, to);
    if delivered {
        // LINE counts a push to one person as one message, whatever it holds; messages
        // to people who blocked the account are not counted.
        if let Some(c) = world.channels.get_mut(channel_id) {
            c.usage += 1;
        }
    }
    world.pushes.push(PushedMessage {
        channel_id: channel_id.to_string(),
        to: to.to_string(),
        messages: messages.to_vec(),
        message_ids: ids.clone(),
        retry_key: retry_key.cloned(),
        request_id: request_id.to_string(),
        delivered,
        endpoint,
        received_at_ms: now_ms,
    });
    ids.into_iter()
        .map(|id| json!({ "id": id, "quoteToken": format!("q{}", random_hex(40)) }))
        .collect()
}

fn remember_key(world: &mut World, call: &Call<'_>, key: Option<String>, sent: Vec<Value>) {
    if let Some(k) = key {
        let accepted = Accepted {
            request_id: call.request_id.to_string(),
            sent_messages: sent,
            at_ms: call.now_ms,
        };
        world
            .retry_keys
            .insert((call.channel_id.to_string(), k), accepted);
    }
}

pub(super) fn push(shared: &Shared, call: &Call<'_>, headers: &HeaderMap, body: &[u8]) -> Reply {
    let (channel_id, now_ms) = (call.channel_id, call.now_ms);
    let mut world = shared.world.lock();
    let (parsed, key) = match common_checks(shared, &mut world, channel_id, headers, body, now_ms) {
        Ok(ok) => ok,
        Err(reply) => return reply,
    };
    let Some(to) = parsed
        .get("to")
        .and_then(Value::as_str)
        .filter(|t| is_id(t, b"UCR"))
    else {
        return invalid_to();
    };
    let problems = message_problems(parsed.get("messages"));
    if !problems.is_empty() {
        return validation_error(&problems);
    }
    // Groups and rooms are not modelled; a user ID of another provider is unknown here.
    if !world.users.contains_key(to) {
        return Reply::error(400, "Failed to send messages");
    }
    if over_quota(&world, channel_id, 1) {
        return Reply::error(429, MONTHLY_LIMIT);
    }
    let messages = parsed["messages"].as_array().cloned().unwrap_or_default();
    let sent = accept(&mut world, call, to, &messages, key.as_ref(), "push");
    remember_key(&mut world, call, key, sent.clone());
    Reply::json(200, &json!({ "sentMessages": sent }))
}

/// Up to 500 user IDs; unknown or non-friend users are skipped silently (no error), as
/// LINE does not say which recipients got it.
pub(super) fn multicast(
    shared: &Shared,
    call: &Call<'_>,
    headers: &HeaderMap,
    body: &[u8],
) -> Reply {
    let (channel_id, now_ms) = (call.channel_id, call.now_ms);
    let mut world = shared.world.lock();
    let (parsed, key) = match common_checks(shared, &mut world, channel_id, headers, body, now_ms) {
        Ok(ok) => ok,
        Err(reply) => return reply,
    };
    let to: Vec<String> = match parsed.get("to").and_then(Value::as_array) {
        Some(list) if (1..=500).contains(&list.len()) => list
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        _ => return validation_error(&[("Size must be between 1 and 500".into(), "to".into())]),
    };
    if to.iter().any(|t| !is_id(t, b"U")) {
        return invalid_to();
    }
    let problems = message_problems(parsed.get("messages"));
    if !problems.is_empty() {
        return validation_error(&problems);
    }
    let friends = to.iter().filter(|u| world.is_friend(channel_id, u)).count() as u64;
    if over_quota(&world, channel_id, friends) {
        return Reply::error(429, MONTHLY_LIMIT);
    }
    let messages = parsed["messages"].as_array().cloned().unwrap_or_default();
    let known: Vec<String> = to
        .into_iter()
        .filter(|u| world.users.contains_key(u))
        .collect();
    for user in &known {
        let _ = accept(&mut world, call, user, &messages, key.as_ref(), "multicast");
    }
    remember_key(&mut world, call, key, Vec::new());
    Reply::json(200, &json!({}))
}
