//! Reading Google's answers: errors come as `{"error":{"code","message","status","details"}}`.

use std::time::Duration;

use serde::Deserialize;

use crate::http::scrub;
use crate::SendOutcome;

#[derive(Deserialize)]
struct Envelope {
    error: GoogleError,
}

/// Google's error envelope (`google.rpc.Status` as JSON).
#[derive(Debug, Deserialize, Default)]
pub struct GoogleError {
    #[serde(default)]
    pub code: u16,
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub details: Vec<serde_json::Value>,
}

impl GoogleError {
    pub fn parse(body: &str) -> Option<GoogleError> {
        serde_json::from_str::<Envelope>(body).ok().map(|e| e.error)
    }

    /// `ErrorInfo.reason` values from `details` (e.g. `API_KEY_INVALID`).
    fn reasons(&self) -> impl Iterator<Item = &str> {
        self.details
            .iter()
            .filter_map(|d| d.get("reason").and_then(|r| r.as_str()))
    }

    /// Google answers a bad API key with 400 `INVALID_ARGUMENT`: it is still the
    /// credential that is wrong, not the message.
    pub fn is_bad_key(&self) -> bool {
        self.reasons().any(|r| r == "API_KEY_INVALID")
            || self
                .message
                .to_ascii_lowercase()
                .contains("api key not valid")
    }
}

/// `STATUS: message` (scrubbed of secrets), or the start of a body that is not an envelope.
pub fn error_text(body: &str) -> String {
    match GoogleError::parse(body) {
        Some(e) if !e.status.is_empty() => scrub(&format!("{}: {}", e.status, e.message)),
        Some(e) => scrub(&e.message),
        None => scrub(body),
    }
}

/// What the delivery engine should do with a failed answer (`status` ≠ 200).
pub fn classify(status: u16, body: &str, after: Option<Duration>) -> SendOutcome {
    let error = GoogleError::parse(body).unwrap_or_default();
    match status {
        200..=299 => SendOutcome::Delivered { message_id: None },
        400 if error.is_bad_key() => SendOutcome::CredentialRejected,
        // Bad token, removed webhook, or the space is gone: a person must fix the connection.
        401 | 403 | 404 => SendOutcome::CredentialRejected,
        // RESOURCE_EXHAUSTED has no documented Retry-After: back off unless one came.
        408 | 429 | 500..=599 => SendOutcome::Retry { after },
        _ => SendOutcome::Permanent,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn envelope(code: u16, status: &str, message: &str) -> String {
        serde_json::json!({"error": {"code": code, "message": message, "status": status}})
            .to_string()
    }

    #[test]
    fn statuses_map_to_actions() {
        let invalid = envelope(400, "INVALID_ARGUMENT", "Message cannot be empty.");
        assert_eq!(classify(400, &invalid, None), SendOutcome::Permanent);
        for (code, status) in [
            (401, "UNAUTHENTICATED"),
            (403, "PERMISSION_DENIED"),
            (404, "NOT_FOUND"),
        ] {
            let body = envelope(code, status, "x");
            assert_eq!(
                classify(code, &body, None),
                SendOutcome::CredentialRejected,
                "{code}"
            );
        }
        let exhausted = envelope(429, "RESOURCE_EXHAUSTED", "Quota exceeded");
        assert_eq!(
            classify(429, &exhausted, None),
            SendOutcome::Retry { after: None }
        );
        let later = Some(Duration::from_secs(3));
        assert_eq!(
            classify(429, &exhausted, later),
            SendOutcome::Retry { after: later }
        );
        assert_eq!(classify(503, "", None), SendOutcome::Retry { after: None });
    }

    #[test]
    fn a_bad_api_key_is_a_credential_problem() {
        let body = r#"{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID","domain":"googleapis.com"}]}}"#;
        assert_eq!(classify(400, body, None), SendOutcome::CredentialRejected);
        assert_eq!(
            error_text(body),
            "INVALID_ARGUMENT: API key not valid. Please pass a valid API key."
        );
    }

    #[test]
    fn error_text_never_repeats_the_url() {
        let body = envelope(
            404,
            "NOT_FOUND",
            "no https://chat.googleapis.com/v1/spaces/A/messages?key=K&token=T",
        );
        assert_eq!(error_text(&body), "NOT_FOUND: no <url>");
        assert_eq!(error_text("<html>502</html>"), "<html>502</html>");
    }
}
