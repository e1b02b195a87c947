//! Reading LINE's answers to a push: what counts as delivered (a 409 for a retry key LINE
//! already accepted), which 429 is the monthly quota, and the retry key itself.

use std::time::Duration;

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, TimeZone};
use reqwest::header::HeaderMap;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::{SendOutcome, SendResult};

/// The body of the 429 that means the month's message quota is used up.
pub const MONTHLY_LIMIT_TEXT: &str = "You have reached your monthly limit.";

/// A 409 without `x-line-accepted-request-id` (the first try may still be in progress):
/// ask again shortly; the same key then answers 409 with the header, or is accepted.
const CONFLICT_RETRY: Duration = Duration::from_secs(5);

/// The `X-Line-Retry-Key` for one delivery through one connection: a UUID (v4 layout)
/// made from SHA-256 of the pair, so every retry, on any node, after any restart, sends
/// the same key and LINE delivers the message at most once.
pub fn retry_key(connection: i64, delivery: i64) -> String {
    let mut h = Sha256::new();
    h.update(b"renkei/line/retry-key/v1\0");
    h.update(connection.to_be_bytes());
    h.update(delivery.to_be_bytes());
    let digest = h.finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .hyphenated()
        .to_string()
}

fn jst() -> FixedOffset {
    FixedOffset::east_opt(9 * 3600).expect("+09:00 is a valid offset")
}

/// 00:00 JST on the 1st of the month after `now_unix`: when LINE's monthly message count
/// (kept in Japan time) starts again.
pub fn next_month_start_jst(now_unix: i64) -> i64 {
    let tz = jst();
    let now = DateTime::from_timestamp(now_unix, 0)
        .unwrap_or_default()
        .with_timezone(&tz);
    let (year, month) = match now.month() {
        12 => (now.year() + 1, 1),
        m => (now.year(), m + 1),
    };
    NaiveDate::from_ymd_opt(year, month, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .and_then(|t| tz.from_local_datetime(&t).single())
        .map_or(now_unix + 31 * 86_400, |t| t.timestamp())
}

/// `2025-02-01 00:00 JST`, for error texts.
pub fn jst_text(unix: i64) -> String {
    let t = DateTime::from_timestamp(unix, 0)
        .unwrap_or_default()
        .with_timezone(&jst());
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02} JST",
        t.year(),
        t.month(),
        t.day(),
        chrono::Timelike::hour(&t),
        chrono::Timelike::minute(&t)
    )
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct ErrorBody {
    #[serde(default)]
    message: String,
    #[serde(default)]
    details: Vec<Detail>,
    #[serde(default)]
    sent_messages: Vec<SentMessage>,
}

#[derive(Deserialize)]
struct Detail {
    #[serde(default)]
    message: String,
    #[serde(default)]
    property: String,
}

#[derive(Deserialize)]
pub(crate) struct SentMessage {
    pub id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PushOk {
    pub sent_messages: Vec<SentMessage>,
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// `message` (`property`: `message`; …) (x-line-request-id: …), from LINE's error shape
/// `{"message", "details":[{"message","property"}]}`; other bodies are cut to 200 chars.
pub fn error_text(body: &str, request_id: Option<&str>) -> String {
    let mut text = match serde_json::from_str::<ErrorBody>(body) {
        Ok(e) if !e.message.is_empty() => {
            let details: Vec<String> = e
                .details
                .iter()
                .map(|d| match d.property.as_str() {
                    "" => d.message.clone(),
                    p => format!("{p}: {}", d.message),
                })
                .collect();
            if details.is_empty() {
                e.message
            } else {
                format!("{} ({})", e.message, details.join("; "))
            }
        }
        _ => body.chars().take(200).collect(),
    };
    if let Some(id) = request_id {
        text.push_str(&format!(" (x-line-request-id: {id})"));
    }
    text
}

/// Turns a push answer into a result. `now_unix` dates the monthly reset.
pub fn push_result(status: u16, headers: &HeaderMap, body: &str, now_unix: i64) -> SendResult {
    let request_id = header(headers, "x-line-request-id");
    let done = |outcome, error| SendResult {
        outcome,
        http_status: Some(status),
        error,
        rate: None,
        reached_provider: true,
    };
    if status == 200 {
        let message_id = serde_json::from_str::<PushOk>(body)
            .ok()
            .and_then(|ok| ok.sent_messages.into_iter().next())
            .map(|m| m.id);
        return done(SendOutcome::Delivered { message_id }, None);
    }
    let parsed: ErrorBody = serde_json::from_str(body).unwrap_or_default();
    let error = error_text(body, request_id);
    let outcome = match status {
        // An earlier try with this retry key was accepted: that one delivered it. Newer
        // LINE answers carry its sentMessages; older ones only the accepted request id.
        409 => match header(headers, "x-line-accepted-request-id") {
            Some(accepted) => {
                let message_id = parsed
                    .sent_messages
                    .into_iter()
                    .next()
                    .map_or_else(|| accepted.to_string(), |m| m.id);
                return done(
                    SendOutcome::Delivered {
                        message_id: Some(message_id),
                    },
                    None,
                );
            }
            None => SendOutcome::Retry {
                after: Some(CONFLICT_RETRY),
            },
        },
        429 if parsed.message == MONTHLY_LIMIT_TEXT => {
            let until_unix = next_month_start_jst(now_unix);
            let error = format!(
                "LINE's monthly message quota for this channel is used up ({error}); sending \
                 resumes when it resets at {} (raise the LINE Official Account plan or its \
                 message limit to send more this month)",
                jst_text(until_unix)
            );
            return done(
                SendOutcome::CredentialRateLimited { until_unix },
                Some(error),
            );
        }
        429 | 408 | 500..=599 => SendOutcome::Retry { after: None },
        401 => SendOutcome::CredentialRejected,
        _ => SendOutcome::Permanent,
    };
    done(outcome, Some(error))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    fn ts(rfc3339: &str) -> i64 {
        DateTime::parse_from_rfc3339(rfc3339).unwrap().timestamp()
    }

    #[test]
    fn next_month_is_counted_in_japan_time() {
        // 23:59:59 JST on 31 Dec is still December in Japan.
        assert_eq!(
            next_month_start_jst(ts("2024-12-31T14:59:59Z")),
            ts("2025-01-01T00:00:00+09:00")
        );
        // 00:00 JST on 1 Jan is already January (while UTC still says December).
        assert_eq!(
            next_month_start_jst(ts("2024-12-31T15:00:00Z")),
            ts("2025-02-01T00:00:00+09:00")
        );
        assert_eq!(
            next_month_start_jst(ts("2024-02-29T12:00:00+09:00")),
            ts("2024-03-01T00:00:00+09:00")
        );
        assert_eq!(
            jst_text(ts("2025-02-01T00:00:00+09:00")),
            "2025-02-01 00:00 JST"
        );
    }

    #[test]
    fn retry_key_is_a_stable_uuid_per_delivery() {
        let a = retry_key(7, 1001);
        assert_eq!(a, retry_key(7, 1001));
        assert_ne!(a, retry_key(7, 1002));
        assert_ne!(a, retry_key(8, 1001));
        let parsed = uuid::Uuid::parse_str(&a).unwrap();
        assert_eq!(parsed.get_version_num(), 4);
        assert_eq!(a.len(), 36);
    }

    #[test]
    fn errors_keep_details_and_the_request_id() {
        let body = r#"{"message":"The request body has 1 error(s)","details":[{"message":"Length must be between 0 and 5000","property":"messages[0].text"}]}"#;
        assert_eq!(
            error_text(body, Some("abc-123")),
            "The request body has 1 error(s) (messages[0].text: Length must be between 0 and 5000) (x-line-request-id: abc-123)"
        );
        assert_eq!(error_text("<html>oops</html>", None), "<html>oops</html>");
    }

    #[test]
    fn statuses_map_to_actions() {
        let h = headers(&[("x-line-request-id", "r1")]);
        let now = ts("2025-05-10T00:00:00Z");
        let outcome = |status, body: &str| push_result(status, &h, body, now).outcome;
        assert_eq!(
            outcome(200, r#"{"sentMessages":[{"id":"461230966842064897"}]}"#),
            SendOutcome::Delivered {
                message_id: Some("461230966842064897".into())
            }
        );
        let monthly = format!(r#"{{"message":"{MONTHLY_LIMIT_TEXT}"}}"#);
        assert_eq!(
            outcome(429, &monthly),
            SendOutcome::CredentialRateLimited {
                until_unix: ts("2025-06-01T00:00:00+09:00")
            }
        );
        let rate = r#"{"message":"The API rate limit has been exceeded. Try again later."}"#;
        assert_eq!(outcome(429, rate), SendOutcome::Retry { after: None });
        assert_eq!(outcome(500, "{}"), SendOutcome::Retry { after: None });
        assert_eq!(outcome(401, "{}"), SendOutcome::CredentialRejected);
        for status in [400, 403, 404] {
            assert_eq!(outcome(status, "{}"), SendOutcome::Permanent);
        }
        // 409 without the accepted header: the first try may still be running.
        assert!(matches!(
            outcome(409, "{}"),
            SendOutcome::Retry { after: Some(_) }
        ));
    }

    #[test]
    fn conflict_with_accepted_id_is_delivered() {
        let h = headers(&[("x-line-accepted-request-id", "acc-1")]);
        let bare = push_result(
            409,
            &h,
            r#"{"message":"The retry key is already accepted"}"#,
            0,
        );
        assert_eq!(
            bare.outcome,
            SendOutcome::Delivered {
                message_id: Some("acc-1".into())
            }
        );
        assert_eq!(bare.error, None);
        let with_sent =
            r#"{"message":"The retry key is already accepted","sentMessages":[{"id":"99"}]}"#;
        assert_eq!(
            push_result(409, &h, with_sent, 0).outcome,
            SendOutcome::Delivered {
                message_id: Some("99".into())
            }
        );
    }
}
