//! The Web API under `/api/<method>`: errors are HTTP 200 `{"ok":false,"error":…}`,
//! except the rate limit (429 with `Retry-After`).

use axum::http::{header, HeaderMap, Method, StatusCode};
use serde_json::{json, Map, Value};

use super::http::{status, take_slot, Reply};
use super::message::{self, Refused};
use super::world::{Bot, TokenState, World};
use super::{PostedMessage, Shared};
use crate::common::unix_ms;

const METHODS: &[&str] = &["auth.test", "chat.postMessage", "conversations.list"];

/// An API answer before headers: the JSON body and, for a 429, the seconds to wait.
struct Answer {
    status: StatusCode,
    body: Value,
    retry_after: Option<u64>,
}

impl Answer {
    fn ok(body: Value) -> Answer {
        Answer {
            status: StatusCode::OK,
            body,
            retry_after: None,
        }
    }

    fn error(error: &str) -> Answer {
        Answer::ok(json!({ "ok": false, "error": error }))
    }

    fn refused(r: &Refused) -> Answer {
        let mut a = Answer::error(r.error);
        if let Some(detail) = &r.detail {
            a.body["response_metadata"] = json!({ "messages": [detail] });
        }
        a
    }

    fn rate_limited(retry_after: u64) -> Answer {
        Answer {
            status: StatusCode::TOO_MANY_REQUESTS,
            body: json!({ "ok": false, "error": "ratelimited" }),
            retry_after: Some(retry_after),
        }
    }

    fn into_reply(self, scopes: Option<String>, warning: Option<&str>) -> Reply {
        let mut body = self.body;
        if let (Some(w), Some(obj)) = (warning, body.as_object_mut()) {
            obj.insert("warning".into(), json!(w));
            let meta = obj.entry("response_metadata").or_insert_with(|| json!({}));
            meta["warnings"] = json!([w]);
        }
        let mut reply = Reply::json(self.status, &body);
        if let Some(secs) = self.retry_after {
            reply = reply.with_header("retry-after", secs.to_string());
        }
        if let Some(s) = scopes {
            reply = reply.with_header("x-oauth-scopes", s);
        }
        reply
    }
}

pub(super) fn process(
    shared: &Shared,
    method: &Method,
    path: &str,
    query: Option<&str>,
    headers: &HeaderMap,
    body: &[u8],
) -> Reply {
    let name = path.strip_prefix("/api/").unwrap_or_default();
    if !METHODS.contains(&name) {
        let body = json!({ "ok": false, "error": "unknown_method", "req_method": name });
        return Reply::json(StatusCode::NOT_FOUND, &body);
    }
    if let Some(code) = shared.faults.take(path) {
        return fault(code).into_reply(None, None);
    }
    if let Some(error) = shared.take_api_error() {
        return Answer::error(&error).into_reply(None, None);
    }
    let world = shared.world.read();
    let bot = match authenticate(&world, headers) {
        Ok(bot) => bot,
        Err(error) => return Answer::error(error).into_reply(None, None),
    };
    let scopes = Some(bot.scopes.join(","));
    let (args, warning) = match arguments(method, query, headers, body) {
        Ok(parsed) => parsed,
        Err(error) => return Answer::error(error).into_reply(scopes, None),
    };
    let answer = match name {
        "auth.test" => Answer::ok(world.auth_test_json(bot)),
        "conversations.list" => conversations_list(&world, bot, &args),
        _ => post_message(shared, &world, bot, &args),
    };
    answer.into_reply(scopes, warning)
}

/// An injected fault in the Web API's shape.
fn fault(code: u16) -> Answer {
    if code == 429 {
        return Answer::rate_limited(1);
    }
    let error = match code {
        500 => "fatal_error",
        502..=504 => "service_unavailable",
        400 => "invalid_arguments",
        _ => "internal_error",
    };
    Answer {
        status: status(code),
        body: json!({ "ok": false, "error": error }),
        retry_after: None,
    }
}

fn authenticate<'w>(world: &'w World, headers: &HeaderMap) -> Result<&'w Bot, &'static str> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or("not_authed")?;
    let bot = world.bots.get(token).ok_or("invalid_auth")?;
    match bot.state {
        TokenState::Active => Ok(bot),
        TokenState::Revoked => Err("token_revoked"),
        TokenState::Inactive => Err("account_inactive"),
    }
}

/// The call's arguments from the query string and the body, and a warning to echo.
fn arguments(
    method: &Method,
    query: Option<&str>,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(Map<String, Value>, Option<&'static str>), &'static str> {
    let mut args = Map::new();
    let form = |text: &[u8], args: &mut Map<String, Value>| {
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_bytes(text).map_err(|_| "invalid_form_data")?;
        args.extend(pairs.into_iter().map(|(k, v)| (k, Value::String(v))));
        Ok::<(), &'static str>(())
    };
    if let Some(q) = query {
        form(q.as_bytes(), &mut args)?;
    }
    if method != Method::POST || body.is_empty() {
        return Ok((args, None));
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let mut warning = None;
    if content_type.starts_with("application/json") {
        let value: Value = serde_json::from_slice(body).map_err(|_| "invalid_json")?;
        let Value::Object(obj) = value else {
            return Err("json_not_object");
        };
        args.extend(obj);
        if !content_type.contains("charset") {
            warning = Some("missing_charset");
        }
    } else if content_type.starts_with("application/x-www-form-urlencoded") {
        form(body, &mut args)?;
    } else {
        return Err("invalid_post_type");
    }
    Ok((args, warning))
}

fn missing_scope(bot: &Bot, needed: &str) -> Answer {
    Answer::ok(json!({
        "ok": false,
        "error": "missing_scope",
        "needed": needed,
        "provided": bot.scopes.join(","),
    }))
}

fn flag(args: &Map<String, Value>, name: &str) -> bool {
    match args.get(name) {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s == "true" || s == "1",
        _ => false,
    }
}

fn conversations_list(world: &World, bot: &Bot, args: &Map<String, Value>) -> Answer {
    let types: Vec<&str> = args
        .get("types")
        .and_then(Value::as_str)
        .unwrap_or("public_channel")
        .split(',')
        .map(str::trim)
        .collect();
    if types.contains(&"public_channel") && !bot.has_scope("channels:read") {
        return missing_scope(bot, "channels:read");
    }
    if types.contains(&"private_channel") && !bot.has_scope("groups:read") {
        return missing_scope(bot, "groups:read");
    }
    let channels = world.conversations_json(bot, &types, flag(args, "exclude_archived"));
    Answer::ok(json!({
        "ok": true,
        "channels": channels,
        "response_metadata": { "next_cursor": "" },
    }))
}

fn post_message(shared: &Shared, world: &World, bot: &Bot, args: &Map<String, Value>) -> Answer {
    if !bot.has_scope("chat:write") {
        return missing_scope(bot, "chat:write");
    }
    let requested = args.get("channel").and_then(Value::as_str).unwrap_or("");
    let channel = match world.resolve_post(bot, requested) {
        Ok(c) => c,
        Err(refusal) => return Answer::error(refusal.api_error()),
    };
    let message = match message::check(args) {
        Ok(m) => m,
        Err(r) => return Answer::refused(&r),
    };
    if shared.limits_on() {
        if let Err(retry_after) = take_slot(&shared.channel_windows, &channel) {
            return Answer::rate_limited(retry_after);
        }
    }
    let ts = shared.next_ts();
    let mut posted = json!({
        "type": "message",
        "text": message.text,
        "user": bot.user_id,
        "bot_id": bot.bot_id,
        "team": bot.team_id,
        "ts": ts,
    });
    if !message.blocks.is_null() {
        posted["blocks"] = message.blocks.clone();
    }
    shared.store(PostedMessage {
        channel: channel.clone(),
        ts: ts.clone(),
        text: message.text,
        blocks: message.blocks,
        bot_user_id: Some(bot.user_id.clone()),
        webhook_id: None,
        received_at_ms: unix_ms(),
    });
    Answer::ok(json!({ "ok": true, "channel": channel, "ts": ts, "message": posted }))
}
