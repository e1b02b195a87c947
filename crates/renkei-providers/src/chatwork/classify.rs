//! Reading Chatwork's answers: which failures to retry, which to stop on, and which rate
//! limit a 429 is about.

use std::time::Duration;

use reqwest::header::HeaderMap;
use serde::Deserialize;

use crate::{RateInfo, SendOutcome};

/// The per-room limit's error text (the token limit's 429 has a different one).
const ROOM_LIMIT_TEXT: &str = "per room";

#[derive(Deserialize)]
struct Errors {
    errors: Vec<String>,
}

/// `{"errors":["a","b"]}` → `a; b`; anything else → the first 200 characters.
pub fn error_text(body: &str) -> String {
    match serde_json::from_str::<Errors>(body) {
        Ok(e) if !e.errors.is_empty() => e.errors.join("; "),
        _ => body.chars().take(200).collect(),
    }
}

/// What a `WWW-Authenticate: Bearer error="…", scope="…"` header says (RFC 6750 §3).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BearerChallenge {
    pub error: Option<String>,
    pub scope: Option<String>,
}

/// Reads the parameters of a `Bearer` challenge; quoted values may hold commas.
pub fn bearer_challenge(header: &str) -> BearerChallenge {
    let mut out = BearerChallenge::default();
    let Some(params) = header
        .trim()
        .get(..6)
        .filter(|s| s.eq_ignore_ascii_case("bearer"))
        .map(|_| &header.trim()[6..])
    else {
        return out;
    };
    let mut rest = params.trim_start();
    while let Some(eq) = rest.find('=') {
        let key = rest[..eq]
            .trim()
            .trim_start_matches(',')
            .trim()
            .to_ascii_lowercase();
        let after = &rest[eq + 1..];
        let (value, next) = if let Some(quoted) = after.strip_prefix('"') {
            let end = quoted.find('"').unwrap_or(quoted.len());
            (&quoted[..end], quoted.get(end + 1..).unwrap_or(""))
        } else {
            let end = after.find(',').unwrap_or(after.len());
            (after[..end].trim(), &after[end..])
        };
        match key.as_str() {
            "error" => out.error = Some(value.to_owned()),
            "scope" => out.scope = Some(value.to_owned()),
            _ => {}
        }
        rest = next.trim_start_matches([',', ' ']);
    }
    out
}

/// `X-RateLimit-*` headers (any case: HTTP/2 lowercases them).
pub fn rate_info(headers: &HeaderMap) -> Option<RateInfo> {
    let num = |name: &str| headers.get(name)?.to_str().ok()?.trim().parse::<i64>().ok();
    Some(RateInfo {
        limit: u32::try_from(num("x-ratelimit-limit")?).ok()?,
        remaining: u32::try_from(num("x-ratelimit-remaining")?).ok()?,
        reset_unix: num("x-ratelimit-reset")?,
    })
}

/// `room_pause`: how long a room rests after its 429 (its window, 10 s on real Chatwork).
pub fn classify(
    status: u16,
    error: &str,
    rate: Option<RateInfo>,
    room_pause: Duration,
) -> SendOutcome {
    match status {
        200..=299 => SendOutcome::Delivered { message_id: None },
        401 => SendOutcome::CredentialRejected,
        429 => {
            // The headers describe the token. Remaining > 0 (or the per-room text) means the
            // room limit hit: pausing the whole token until its reset would stall every room.
            let room_text = error.to_ascii_lowercase().contains(ROOM_LIMIT_TEXT);
            match rate {
                Some(r) if r.remaining == 0 && !room_text => SendOutcome::CredentialRateLimited {
                    until_unix: r.reset_unix,
                },
                None if !room_text => SendOutcome::Retry {
                    after: Some(Duration::from_secs(60)),
                },
                _ => SendOutcome::RoomRateLimited { after: room_pause },
            }
        }
        // Not a member, readonly, or no such room: this destination will not work by retrying.
        403 | 404 => SendOutcome::Permanent,
        408 | 500..=599 => SendOutcome::Retry { after: None },
        _ => SendOutcome::Permanent,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROOM_PAUSE: Duration = Duration::from_secs(10);

    fn rate(remaining: u32) -> Option<RateInfo> {
        Some(RateInfo {
            limit: 300,
            remaining,
            reset_unix: 1_800_000_000,
        })
    }

    #[test]
    fn room_and_token_429s_are_told_apart() {
        let room = "Rate limit for message posting per room exceeded.";
        assert_eq!(
            classify(429, room, rate(120), ROOM_PAUSE),
            SendOutcome::RoomRateLimited { after: ROOM_PAUSE }
        );
        assert_eq!(
            classify(429, room, rate(0), ROOM_PAUSE),
            SendOutcome::RoomRateLimited { after: ROOM_PAUSE }
        );
        assert_eq!(
            classify(429, "Rate limit exceeded", rate(5), ROOM_PAUSE),
            SendOutcome::RoomRateLimited { after: ROOM_PAUSE }
        );
        assert_eq!(
            classify(429, "Rate limit exceeded", rate(0), ROOM_PAUSE),
            SendOutcome::CredentialRateLimited {
                until_unix: 1_800_000_000
            }
        );
    }

    #[test]
    fn statuses_map_to_actions() {
        assert_eq!(
            classify(401, "Invalid API token", None, ROOM_PAUSE),
            SendOutcome::CredentialRejected
        );
        assert_eq!(classify(403, "", None, ROOM_PAUSE), SendOutcome::Permanent);
        assert_eq!(classify(404, "", None, ROOM_PAUSE), SendOutcome::Permanent);
        assert_eq!(
            classify(400, "Parameter 'body' is required", None, ROOM_PAUSE),
            SendOutcome::Permanent
        );
        assert_eq!(
            classify(500, "", None, ROOM_PAUSE),
            SendOutcome::Retry { after: None }
        );
        assert_eq!(
            classify(503, "", None, ROOM_PAUSE),
            SendOutcome::Retry { after: None }
        );
    }

    #[test]
    fn error_bodies_are_read() {
        assert_eq!(
            error_text(r#"{"errors":["Invalid API token"]}"#),
            "Invalid API token"
        );
        assert_eq!(
            error_text("<html>bad gateway</html>"),
            "<html>bad gateway</html>"
        );
    }

    #[test]
    fn bearer_challenges_are_read() {
        let expired = bearer_challenge(
            r#"Bearer error="invalid_token", error_description="The access token expired""#,
        );
        assert_eq!(expired.error.as_deref(), Some("invalid_token"));
        let scope = bearer_challenge(
            r#"Bearer realm="x", error="insufficient_scope", error_description="a, b", scope="rooms.all:read_write rooms.all:write""#,
        );
        assert_eq!(scope.error.as_deref(), Some("insufficient_scope"));
        assert_eq!(
            scope.scope.as_deref(),
            Some("rooms.all:read_write rooms.all:write")
        );
        assert_eq!(
            bearer_challenge("Basic realm=\"x\""),
            BearerChallenge::default()
        );
        assert_eq!(bearer_challenge("Bearer"), BearerChallenge::default());
    }

    #[test]
    fn headers_in_any_case() {
        let mut h = HeaderMap::new();
        h.insert("X-RateLimit-Limit", "300".parse().unwrap());
        h.insert("x-ratelimit-remaining", "12".parse().unwrap());
        h.insert("X-RATELIMIT-RESET", "1700000000".parse().unwrap());
        assert_eq!(
            rate_info(&h),
            Some(RateInfo {
                limit: 300,
                remaining: 12,
                reset_unix: 1_700_000_000
            })
        );
    }
}
