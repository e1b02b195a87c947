//! Reading LINE WORKS API answers: `{"code","description"}` errors, the `rateLimit-*`
//! headers, and what the delivery engine should do about each status.

use std::time::Duration;

use reqwest::header::HeaderMap;

use crate::{RateInfo, SendOutcome};

/// A rate-limit answer without usable headers waits one window (LINE WORKS counts per minute).
pub const DEFAULT_RATE_WAIT_SECS: i64 = 60;
/// `rateLimit-reset` values above this are Unix seconds, below it seconds from now.
const UNIX_TIME_FLOOR: i64 = 1_000_000_000;

/// `{"code":"ACCESS_DENIED","description":"..."}`; both empty when the body is not that.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApiError {
    pub code: String,
    pub description: String,
}

impl ApiError {
    pub fn parse(body: &str) -> ApiError {
        let v: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
        let text = |k: &str| {
            v.get(k)
                .and_then(|x| x.as_str())
                .unwrap_or_default()
                .to_string()
        };
        let (code, description) = (text("code"), text("description"));
        if code.is_empty() && description.is_empty() {
            return ApiError {
                code,
                description: body.chars().take(200).collect(),
            };
        }
        ApiError { code, description }
    }

    /// `CODE: description`, for the delivery's error text.
    pub fn text(&self) -> String {
        match (self.code.is_empty(), self.description.is_empty()) {
            (true, _) => self.description.clone(),
            (false, true) => self.code.clone(),
            (false, false) => format!("{}: {}", self.code, self.description),
        }
    }
}

/// `rateLimit-reset` as Unix seconds. LINE WORKS documents it as the time left until the
/// window resets; should it ever carry a Unix time (or Unix milliseconds) instead, the size
/// of the number tells them apart: a minute window never needs a billion seconds.
pub fn reset_unix(value: i64, now_unix: i64) -> i64 {
    if value >= UNIX_TIME_FLOOR * 1000 {
        value / 1000
    } else if value >= UNIX_TIME_FLOOR {
        value
    } else {
        now_unix + value.max(1)
    }
}

/// `rateLimit-limit|remaining|reset` (any case).
pub fn rate_info(headers: &HeaderMap, now_unix: i64) -> Option<RateInfo> {
    let num = |name: &str| headers.get(name)?.to_str().ok()?.trim().parse::<i64>().ok();
    Some(RateInfo {
        limit: u32::try_from(num("ratelimit-limit")?).ok()?,
        remaining: u32::try_from(num("ratelimit-remaining")?).ok()?,
        reset_unix: reset_unix(num("ratelimit-reset")?, now_unix),
    })
}

/// The access token was refused: invalid (401 with `WWW-Authenticate`) or expired (403
/// `UNAUTHORIZED`).
pub fn token_refused(status: u16, error: &ApiError) -> bool {
    status == 401 || (status == 403 && error.code == "UNAUTHORIZED")
}

/// The token lacks the endpoint's scope (403 `FORBIDDEN`): the app's scopes in the
/// Developer Console no longer include it.
pub fn scope_missing(status: u16, error: &ApiError) -> bool {
    status == 403 && error.code == "FORBIDDEN"
}

/// How to give the app the `calendar` scope, in the words of the setup help (ja / en).
pub const CALENDAR_SCOPE_HELP: &str = "Developer Console で API 2.0 のアプリの OAuth Scopes に \
calendar を追加してください（scope: bot calendar）。 / Add the `calendar` scope to the API 2.0 app \
in the Developer Console (scopes: bot calendar).";

/// How to give the app the `bot` scope (ja / en).
pub const BOT_SCOPE_HELP: &str = "Developer Console で API 2.0 のアプリの OAuth Scopes に bot を\
追加してください（scope: bot calendar）。 / Add the `bot` scope to the API 2.0 app in the Developer \
Console (scopes: bot calendar).";

/// The help for a missing `scope`.
pub fn scope_help(scope: &str) -> &'static str {
    if scope.starts_with("calendar") {
        CALENDAR_SCOPE_HELP
    } else {
        BOT_SCOPE_HELP
    }
}

/// What a destination is, to say what to fix when LINE WORKS denies access.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target<'a> {
    User(&'a str),
    Channel(&'a str),
    Calendar(&'a str),
}

/// The engine's action for a failed answer, and the error text to store with it. A refused
/// token (401, 403 `UNAUTHORIZED`) only gets here after one renewal and retry.
pub fn classify(
    status: u16,
    error: &ApiError,
    rate: Option<RateInfo>,
    now_unix: i64,
    target: Target<'_>,
) -> (SendOutcome, String) {
    let text = error.text();
    match status {
        401 => (
            SendOutcome::CredentialRejected,
            format!("LINE WORKS refused a freshly issued access token (HTTP 401 {text}); check the app's Client ID, Client Secret and Service Account"),
        ),
        403 if error.code == "UNAUTHORIZED" => (
            // A token issued a moment ago called expired: likely a clock or replication
            // hiccup at LINE WORKS, so try later rather than break the connection.
            SendOutcome::Retry {
                after: Some(Duration::from_secs(60)),
            },
            format!("LINE WORKS refused a freshly issued access token as expired ({text})"),
        ),
        // Calendar and messages use separate tokens: a calendar without its scope fails
        // only calendar deliveries, while a bot without its scope can send nothing.
        403 if error.code == "FORBIDDEN" => match target {
            Target::Calendar(_) => (
                SendOutcome::Refused {
                    code: "line_works_scope_missing",
                },
                format!("LINE WORKS refused the calendar call: the app lacks the `calendar` scope ({text}). {CALENDAR_SCOPE_HELP}"),
            ),
            Target::User(_) | Target::Channel(_) => (
                SendOutcome::CredentialRejected,
                format!("LINE WORKS refused the message: the app lacks the `bot` scope ({text}). {BOT_SCOPE_HELP}"),
            ),
        },
        403 if error.code == "ACCESS_DENIED" => (
            SendOutcome::Refused {
                code: "line_works_access_denied",
            },
            access_denied_help(target, &text),
        ),
        404 => (
            SendOutcome::Permanent,
            format!("LINE WORKS has no such {} ({text})", what(target)),
        ),
        429 => {
            let until = rate.map_or(now_unix + DEFAULT_RATE_WAIT_SECS, |r| r.reset_unix);
            (
                SendOutcome::CredentialRateLimited { until_unix: until },
                format!("LINE WORKS rate limit reached ({text}): 240 requests per minute per API operation, counted for the whole LINE WORKS domain, so this connection pauses until the window resets"),
            )
        }
        408 | 500..=599 => (
            SendOutcome::Retry { after: None },
            format!("LINE WORKS answered HTTP {status} ({text})"),
        ),
        _ => (
            SendOutcome::Permanent,
            format!("LINE WORKS refused the request with HTTP {status} ({text})"),
        ),
    }
}

fn what(target: Target<'_>) -> String {
    match target {
        Target::User(u) => format!("user {u}"),
        Target::Channel(c) => format!("channel {c}"),
        Target::Calendar(u) => format!("user or calendar event for {u}"),
    }
}

fn access_denied_help(target: Target<'_>, text: &str) -> String {
    match target {
        Target::Channel(c) => format!(
            "LINE WORKS denied the bot access to channel {c} ({text}): invite the bot to that talk room (トークルームにBotを招待), or choose a channel the bot is in"
        ),
        Target::User(u) => format!(
            "LINE WORKS denied the bot messaging user {u} ({text}): make the bot available to that member in the Admin console (Bot → 公開設定), and check the user ID"
        ),
        Target::Calendar(u) => format!(
            "LINE WORKS denied writing the calendar of user {u} ({text}): the user must belong to the app's domain"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000;

    fn err(code: &str) -> ApiError {
        ApiError {
            code: code.into(),
            description: "d".into(),
        }
    }

    #[test]
    fn reset_is_read_as_delay_or_unix_time() {
        assert_eq!(reset_unix(42, NOW), NOW + 42);
        assert_eq!(reset_unix(0, NOW), NOW + 1, "a reset of 0 still waits");
        assert_eq!(reset_unix(NOW + 30, NOW), NOW + 30);
        assert_eq!(reset_unix((NOW + 30) * 1000, NOW), NOW + 30);
    }

    #[test]
    fn headers_are_read_in_any_case() {
        let mut h = HeaderMap::new();
        h.insert("rateLimit-limit", "240".parse().unwrap());
        h.insert("RATELIMIT-REMAINING", "0".parse().unwrap());
        h.insert("ratelimit-reset", "17".parse().unwrap());
        let r = rate_info(&h, NOW).unwrap();
        assert_eq!((r.limit, r.remaining, r.reset_unix), (240, 0, NOW + 17));
        h.remove("ratelimit-reset");
        assert_eq!(rate_info(&h, NOW), None);
    }

    #[test]
    fn statuses_map_to_actions() {
        let t = Target::Channel("c1");
        let rate = Some(RateInfo {
            limit: 240,
            remaining: 0,
            reset_unix: NOW + 20,
        });
        let cases = [
            (401, err("UNAUTHORIZED"), SendOutcome::CredentialRejected),
            (
                403,
                err("ACCESS_DENIED"),
                SendOutcome::Refused {
                    code: "line_works_access_denied",
                },
            ),
            (403, err("FORBIDDEN"), SendOutcome::CredentialRejected),
            (403, err("SOMETHING_ELSE"), SendOutcome::Permanent),
            (404, err("NOT_FOUND"), SendOutcome::Permanent),
            (400, err("INVALID_PARAMETER"), SendOutcome::Permanent),
            (500, err("INTERNAL"), SendOutcome::Retry { after: None }),
            (503, ApiError::default(), SendOutcome::Retry { after: None }),
        ];
        for (status, e, want) in cases {
            assert_eq!(classify(status, &e, None, NOW, t).0, want, "{status} {e:?}");
        }
        let (limited, text) = classify(429, &err("TOO_MANY_REQUESTS"), rate, NOW, t);
        assert_eq!(
            limited,
            SendOutcome::CredentialRateLimited {
                until_unix: NOW + 20
            }
        );
        assert!(text.contains("pauses"), "{text}");
        let (no_headers, _) = classify(429, &err("TOO_MANY_REQUESTS"), None, NOW, t);
        assert_eq!(
            no_headers,
            SendOutcome::CredentialRateLimited {
                until_unix: NOW + DEFAULT_RATE_WAIT_SECS
            }
        );
    }

    #[test]
    fn access_denied_says_what_to_fix() {
        let (_, text) = classify(403, &err("ACCESS_DENIED"), None, NOW, Target::Channel("c9"));
        assert!(
            text.contains("invite the bot") && text.contains("c9"),
            "{text}"
        );
        let (_, cal) = classify(403, &err("ACCESS_DENIED"), None, NOW, Target::Calendar("u"));
        assert!(cal.contains("domain"), "{cal}");
    }

    #[test]
    fn a_missing_scope_says_to_add_it_in_the_developer_console() {
        let (outcome, cal) = classify(403, &err("FORBIDDEN"), None, NOW, Target::Calendar("u"));
        assert_eq!(
            outcome,
            SendOutcome::Refused {
                code: "line_works_scope_missing"
            }
        );
        assert!(
            cal.contains("Developer Console")
                && cal.contains("scope: bot calendar")
                && cal.contains("calendar を追加"),
            "{cal}"
        );
        let (outcome, bot) = classify(403, &err("FORBIDDEN"), None, NOW, Target::User("u"));
        assert_eq!(outcome, SendOutcome::CredentialRejected);
        assert!(bot.contains("`bot` scope"), "{bot}");
        assert!(scope_missing(403, &err("FORBIDDEN")));
        assert!(!token_refused(403, &err("FORBIDDEN")));
    }

    #[test]
    fn error_bodies_are_read() {
        let e = ApiError::parse(r#"{"code":"ACCESS_DENIED","description":"Not a member"}"#);
        assert_eq!(e.text(), "ACCESS_DENIED: Not a member");
        assert_eq!(
            ApiError::parse("<html>502</html>").text(),
            "<html>502</html>"
        );
        assert!(token_refused(403, &err("UNAUTHORIZED")));
        assert!(token_refused(401, &ApiError::default()));
        assert!(!token_refused(403, &err("ACCESS_DENIED")));
    }
}
