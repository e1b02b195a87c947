//! Reading Slack's answers: incoming webhooks answer plain-text errors with real HTTP
//! statuses; the Web API answers HTTP 200 `{"ok":false,"error":…}` for nearly everything.

use std::time::Duration;

use serde_json::Value;

use crate::SendOutcome;

/// How long a room rests after a 429 that carried no `Retry-After` (Slack's pace is
/// about one message per second).
pub const DEFAULT_ROOM_PAUSE: Duration = Duration::from_secs(1);

/// A provider error body as short text (the first line, at most 200 characters).
pub fn short(body: &str) -> String {
    body.trim()
        .lines()
        .next()
        .unwrap_or("")
        .chars()
        .take(200)
        .collect()
}

/// An incoming webhook's answer: the outcome and the error text to store.
pub fn webhook(status: u16, body: &str, retry: Option<Duration>) -> (SendOutcome, Option<String>) {
    let code = short(body);
    let outcome = match status {
        200..=299 => return (SendOutcome::Delivered { message_id: None }, None),
        429 => SendOutcome::RoomRateLimited {
            after: retry.unwrap_or(DEFAULT_ROOM_PAUSE),
        },
        408 | 500..=599 => SendOutcome::Retry { after: retry },
        // A webhook is bound to one channel, and renkei never overrides it: a 403, 404 or
        // 410 means the webhook itself (or its channel) no longer takes messages, so every
        // later post would fail the same way. The connection is broken until someone
        // makes a new webhook. Only `user_not_found` (a legacy per-message override) is
        // about one message.
        403 | 404 | 410 if code != "user_not_found" => SendOutcome::CredentialRejected,
        _ => SendOutcome::Permanent,
    };
    (outcome, Some(webhook_error_text(status, &code)))
}

fn webhook_error_text(status: u16, code: &str) -> String {
    let why = match code {
        "no_service" | "no_active_hooks" => {
            "this webhook no longer exists (it was removed, or its app was uninstalled); \
             create a new one (Slack app → Incoming Webhooks → Add New Webhook to Workspace) and reconnect"
        }
        "invalid_token" => {
            "the webhook's app was uninstalled or its token revoked; create a new webhook and reconnect"
        }
        "channel_not_found" => {
            "the webhook's channel was deleted; create a webhook for another channel and reconnect"
        }
        "channel_is_archived" => {
            "the webhook's channel is archived; unarchive it, or create a webhook for another channel"
        }
        "action_prohibited" => {
            "a workspace admin restricted posting in the webhook's channel"
        }
        "rate_limited" => "Slack is rate limiting this webhook",
        "rollup_error" => "Slack had an internal error",
        _ => "",
    };
    let code = if code.is_empty() {
        "no error text"
    } else {
        code
    };
    if why.is_empty() {
        format!("Slack answered HTTP {status}: {code}")
    } else {
        format!("Slack answered HTTP {status} ({code}): {why}")
    }
}

/// Token problems: the connection cannot post anywhere until someone fixes it.
const CREDENTIAL_ERRORS: &[&str] = &[
    "invalid_auth",
    "not_authed",
    "account_inactive",
    "token_revoked",
    "token_expired",
    "missing_scope",
    "no_permission",
    "not_allowed_token_type",
    "team_access_not_granted",
    "ekm_access_denied",
    "org_login_required",
];

/// Slack's side failed; the same request may work later.
const TRANSIENT_ERRORS: &[&str] = &[
    "internal_error",
    "fatal_error",
    "service_unavailable",
    "request_timeout",
    "team_added_to_org",
];

/// A Web API answer (`chat.postMessage`): the outcome and the error text to store.
pub fn web_api(status: u16, body: &str, retry: Option<Duration>) -> (SendOutcome, Option<String>) {
    let parsed: Option<Value> = serde_json::from_str(body).ok();
    let error = parsed
        .as_ref()
        .and_then(|v| v.get("error"))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    if status == 429 || error == "ratelimited" || error == "rate_limited" {
        let after = retry.unwrap_or(DEFAULT_ROOM_PAUSE);
        let text = format!(
            "Slack rate limited posting to this channel (ratelimited); retry after {}s",
            after.as_secs()
        );
        return (SendOutcome::RoomRateLimited { after }, Some(text));
    }
    if status == 408 || status >= 500 {
        let code = if error.is_empty() { short(body) } else { error };
        return (
            SendOutcome::Retry { after: retry },
            Some(format!("Slack answered HTTP {status}: {code}")),
        );
    }
    let Some(v) = parsed else {
        // Slack always answers JSON; anything else came from something in between (a
        // proxy's page: worth another try when it claimed success, not otherwise).
        let text = format!(
            "unexpected answer from Slack (HTTP {status}): {}",
            short(body)
        );
        let outcome = if (200..300).contains(&status) {
            SendOutcome::Retry { after: None }
        } else {
            SendOutcome::Permanent
        };
        return (outcome, Some(text));
    };
    if status == 200 && v.get("ok").and_then(Value::as_bool) == Some(true) {
        let ts = v.get("ts").and_then(Value::as_str).map(str::to_string);
        return (SendOutcome::Delivered { message_id: ts }, None);
    }
    let outcome = match error.as_str() {
        e if CREDENTIAL_ERRORS.contains(&e) => SendOutcome::CredentialRejected,
        e if TRANSIENT_ERRORS.contains(&e) => SendOutcome::Retry { after: retry },
        "not_in_channel" => SendOutcome::Refused {
            code: "slack_not_in_channel",
        },
        // channel_not_found, is_archived, msg_too_long, no_text, invalid_blocks,
        // restricted_action and anything unknown: this message will not go there.
        _ => SendOutcome::Permanent,
    };
    (outcome, Some(api_error_text(&error, &v)))
}

fn api_error_text(error: &str, v: &Value) -> String {
    let hint = match error {
        "not_in_channel" => "the app is not in this channel: invite the app to the channel: /invite @app".to_string(),
        "channel_not_found" => {
            "no such channel or member, or a private channel the app was not added to".to_string()
        }
        "is_archived" => "the channel is archived".to_string(),
        "missing_scope" => {
            let needed = v.get("needed").and_then(Value::as_str).unwrap_or("chat:write");
            format!("the bot token lacks the `{needed}` scope: add it under OAuth & Permissions and reinstall the app")
        }
        "invalid_auth" | "not_authed" | "token_revoked" | "account_inactive" | "token_expired" => {
            "Slack no longer accepts this bot token (the app was uninstalled or the token revoked); reconnect with a new token".to_string()
        }
        "invalid_blocks" => v
            .pointer("/response_metadata/messages")
            .and_then(Value::as_array)
            .map(|m| m.iter().filter_map(Value::as_str).collect::<Vec<_>>().join("; "))
            .unwrap_or_default(),
        _ => String::new(),
    };
    let error = if error.is_empty() {
        "no error code"
    } else {
        error
    };
    if hint.is_empty() {
        format!("Slack refused the message: {error}")
    } else {
        format!("Slack refused the message: {error}: {hint}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NO_WAIT: Option<Duration> = None;

    #[test]
    fn webhook_statuses_map_to_actions() {
        assert_eq!(
            webhook(200, "ok", NO_WAIT),
            (SendOutcome::Delivered { message_id: None }, None)
        );
        for body in [
            "invalid_payload",
            "no_text",
            "user_not_found",
            "invalid_blocks",
        ] {
            assert_eq!(
                webhook(400, body, NO_WAIT).0,
                SendOutcome::Permanent,
                "{body}"
            );
        }
        for (status, body) in [
            (403, "action_prohibited"),
            (403, "invalid_token"),
            (404, "no_service"),
            (404, "channel_not_found"),
            (410, "channel_is_archived"),
        ] {
            assert_eq!(
                webhook(status, body, NO_WAIT).0,
                SendOutcome::CredentialRejected,
                "{body}"
            );
        }
        assert_eq!(
            webhook(404, "user_not_found", NO_WAIT).0,
            SendOutcome::Permanent
        );
        assert_eq!(
            webhook(429, "rate_limited", Some(Duration::from_secs(7))).0,
            SendOutcome::RoomRateLimited {
                after: Duration::from_secs(7)
            }
        );
        assert_eq!(
            webhook(429, "", NO_WAIT).0,
            SendOutcome::RoomRateLimited {
                after: DEFAULT_ROOM_PAUSE
            }
        );
        assert_eq!(
            webhook(500, "rollup_error", NO_WAIT).0,
            SendOutcome::Retry { after: None }
        );
    }

    #[test]
    fn webhook_errors_say_what_to_do() {
        let (_, text) = webhook(404, "no_service\n", NO_WAIT);
        let text = text.unwrap();
        assert!(
            text.starts_with("Slack answered HTTP 404 (no_service)"),
            "{text}"
        );
        assert!(text.contains("Add New Webhook to Workspace"), "{text}");
    }

    #[test]
    fn api_errors_at_http_200_are_errors() {
        let ok = r#"{"ok":true,"channel":"C1","ts":"1700000000.000100"}"#;
        assert_eq!(
            web_api(200, ok, NO_WAIT).0,
            SendOutcome::Delivered {
                message_id: Some("1700000000.000100".into())
            }
        );
        let err = |e: &str| web_api(200, &format!(r#"{{"ok":false,"error":"{e}"}}"#), NO_WAIT).0;
        for e in [
            "invalid_auth",
            "not_authed",
            "account_inactive",
            "token_revoked",
            "missing_scope",
        ] {
            assert_eq!(err(e), SendOutcome::CredentialRejected, "{e}");
        }
        for e in [
            "channel_not_found",
            "is_archived",
            "msg_too_long",
            "no_text",
            "invalid_blocks",
            "something_new",
        ] {
            assert_eq!(err(e), SendOutcome::Permanent, "{e}");
        }
        assert_eq!(
            err("not_in_channel"),
            SendOutcome::Refused {
                code: "slack_not_in_channel"
            }
        );
        for e in ["internal_error", "fatal_error", "service_unavailable"] {
            assert_eq!(err(e), SendOutcome::Retry { after: None }, "{e}");
        }
    }

    #[test]
    fn api_rate_limits_and_outages() {
        let limited = r#"{"ok":false,"error":"ratelimited"}"#;
        assert_eq!(
            web_api(429, limited, Some(Duration::from_secs(30))).0,
            SendOutcome::RoomRateLimited {
                after: Duration::from_secs(30)
            }
        );
        assert_eq!(
            web_api(429, "", NO_WAIT).0,
            SendOutcome::RoomRateLimited {
                after: DEFAULT_ROOM_PAUSE
            }
        );
        assert_eq!(
            web_api(503, "<html>", NO_WAIT).0,
            SendOutcome::Retry { after: None }
        );
        assert_eq!(
            web_api(200, "<html>proxy</html>", NO_WAIT).0,
            SendOutcome::Retry { after: None }
        );
    }

    #[test]
    fn api_error_texts_help() {
        let (_, t) = web_api(200, r#"{"ok":false,"error":"not_in_channel"}"#, NO_WAIT);
        assert!(t.unwrap().contains("/invite @app"));
        let (_, t) = web_api(
            200,
            r#"{"ok":false,"error":"missing_scope","needed":"chat:write"}"#,
            NO_WAIT,
        );
        assert!(t.unwrap().contains("`chat:write`"));
        let body = r#"{"ok":false,"error":"invalid_blocks","response_metadata":{"messages":["[ERROR] too long"]}}"#;
        assert_eq!(
            web_api(200, body, NO_WAIT).1.unwrap(),
            "Slack refused the message: invalid_blocks: [ERROR] too long"
        );
    }
}
