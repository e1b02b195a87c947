//! Incoming webhooks under `/services/T…/B…/X…`: plain-text answers, `ok` on success.

use axum::http::{header, HeaderMap, Method, StatusCode};
use serde_json::{Map, Value};

use super::http::{status, take_slot, Reply};
use super::{message, PostedMessage, Shared};
use crate::common::unix_ms;

pub(super) fn process(
    shared: &Shared,
    method: &Method,
    path: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Reply {
    if let Some(code) = shared.faults.take(path) {
        return fault(code);
    }
    let channel = match shared.world.read().webhook_channel(path) {
        Ok(c) => c,
        Err(r) => return Reply::text(status(r.status), r.error),
    };
    if method != Method::POST {
        return Reply::text(StatusCode::METHOD_NOT_ALLOWED, "invalid_method");
    }
    let Some(args) = payload(headers, body) else {
        return Reply::text(StatusCode::BAD_REQUEST, "invalid_payload");
    };
    // A payload with nothing to show at all is refused before its fields are read.
    if !["text", "blocks", "attachments"]
        .iter()
        .any(|k| args.get(*k).is_some_and(|v| !v.is_null()))
    {
        return Reply::text(
            StatusCode::BAD_REQUEST,
            "missing_text_or_fallback_or_attachments",
        );
    }
    let message = match message::check(&args) {
        Ok(m) => m,
        // A wrongly typed `text` is a bad payload to a webhook.
        Err(r) if r.error == "invalid_arguments" => {
            return Reply::text(StatusCode::BAD_REQUEST, "invalid_payload")
        }
        Err(r) => return Reply::text(StatusCode::BAD_REQUEST, r.error),
    };
    if shared.limits_on() {
        if let Err(secs) = take_slot(&shared.webhook_windows, path) {
            return Reply::text(StatusCode::TOO_MANY_REQUESTS, "rate_limited")
                .with_header("retry-after", secs.to_string());
        }
    }
    // `/services/T…/B…/X…`: the B… segment names the webhook without its secret.
    let webhook_id = path.split('/').nth(3).map(str::to_string);
    shared.store(PostedMessage {
        channel,
        ts: shared.next_ts(),
        text: message.text,
        blocks: message.blocks,
        bot_user_id: None,
        webhook_id,
        received_at_ms: unix_ms(),
    });
    Reply::text(StatusCode::OK, "ok")
}

/// The JSON object posted: the body for `application/json`, the `payload` field of a form.
fn payload(headers: &HeaderMap, body: &[u8]) -> Option<Map<String, Value>> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let value: Value = if content_type.starts_with("application/json") {
        serde_json::from_slice(body).ok()?
    } else if content_type.starts_with("application/x-www-form-urlencoded") {
        let form: Vec<(String, String)> = serde_urlencoded::from_bytes(body).ok()?;
        let (_, json) = form.into_iter().find(|(k, _)| k == "payload")?;
        serde_json::from_str(&json).ok()?
    } else {
        return None;
    };
    match value {
        Value::Object(obj) => Some(obj),
        _ => None,
    }
}

/// An injected fault in the webhook's plain-text shape.
fn fault(code: u16) -> Reply {
    let text = match code {
        400 => "invalid_payload",
        403 => "action_prohibited",
        404 => "no_service",
        410 => "channel_is_archived",
        429 => {
            return Reply::text(StatusCode::TOO_MANY_REQUESTS, "rate_limited")
                .with_header("retry-after", "1".into())
        }
        500 => "rollup_error",
        502..=504 => "service_unavailable",
        _ => "error",
    };
    Reply::text(status(code), text)
}
