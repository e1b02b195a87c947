//! Reading a Workflows webhook's answers. Logic Apps and Power Platform report errors as
//! `{"error":{"code":"…","message":"…"}}`; a retired connector signalled throttling inside
//! a 200 body instead.

use std::time::Duration;

use serde::Deserialize;

use crate::http::scrub;
use crate::SendOutcome;

/// What a legacy connector answered (with 200) when Teams throttled it.
pub const LEGACY_THROTTLE_TEXT: &str = "Microsoft Teams endpoint returned HTTP error 429";

#[derive(Deserialize)]
struct Envelope {
    error: Detail,
}

#[derive(Deserialize)]
struct Detail {
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    message: Option<String>,
}

/// The error code Logic Apps answers (400 or 404) when the flow behind the webhook is
/// switched off.
pub const FLOW_OFF_CODE: &str = "WorkflowTriggerIsNotEnabled";

/// What the admin must do when the flow is off, in both languages renkei speaks.
pub const FLOW_OFF_HELP: &str = "このWebhookのフロー（ワークフロー）がオフになっています。\
Power Automate（または Teams の「ワークフロー」）でフローをオンにしてください。 / The flow behind \
this webhook is switched off: turn it on in Power Automate (or Teams → Workflows).";

/// The `error.code` of an error envelope.
fn error_code(body: &str) -> Option<String> {
    serde_json::from_str::<Envelope>(body).ok()?.error.code
}

/// Whether the answer says the flow is switched off.
pub fn is_flow_off(body: &str) -> bool {
    error_code(body).as_deref() == Some(FLOW_OFF_CODE)
}

/// `code: message` from the error envelope, else the start of the body; secrets removed.
/// A switched-off flow also says how to switch it on.
pub fn error_text(body: &str) -> String {
    if is_flow_off(body) {
        return format!("{FLOW_OFF_CODE}: {FLOW_OFF_HELP}");
    }
    let text = match serde_json::from_str::<Envelope>(body) {
        Ok(Envelope { error }) => match (error.code, error.message) {
            (Some(c), Some(m)) => format!("{c}: {m}"),
            (Some(one), None) | (None, Some(one)) => one,
            (None, None) => body.to_string(),
        },
        Err(_) => body.to_string(),
    };
    scrub(&text)
}

/// What the delivery engine should do with an answer.
pub fn classify(status: u16, body: &str, after: Option<Duration>) -> SendOutcome {
    match status {
        200..=299 if body.contains(LEGACY_THROTTLE_TEXT) => SendOutcome::Retry { after },
        200..=299 => SendOutcome::Delivered { message_id: None },
        // A switched-off flow refuses every message until someone switches it on: the
        // connection is broken, not this message.
        400 | 404 if is_flow_off(body) => SendOutcome::CredentialRejected,
        // The signature is wrong (401/403) or the flow was deleted (404): only a person
        // making a new webhook fixes that.
        401 | 403 | 404 => SendOutcome::CredentialRejected,
        // Undocumented limits: back off (exponentially unless Teams said how long).
        408 | 429 | 500..=599 => SendOutcome::Retry { after },
        _ => SendOutcome::Permanent,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_to_actions() {
        let delivered = SendOutcome::Delivered { message_id: None };
        assert_eq!(classify(202, "", None), delivered);
        assert_eq!(classify(200, "1", None), delivered);
        assert_eq!(classify(400, "", None), SendOutcome::Permanent);
        for s in [401, 403, 404] {
            assert_eq!(
                classify(s, "", None),
                SendOutcome::CredentialRejected,
                "{s}"
            );
        }
        let later = Some(Duration::from_secs(7));
        assert_eq!(
            classify(429, "", later),
            SendOutcome::Retry { after: later }
        );
        assert_eq!(classify(429, "", None), SendOutcome::Retry { after: None });
        assert_eq!(classify(502, "", None), SendOutcome::Retry { after: None });
        assert_eq!(classify(413, "", None), SendOutcome::Permanent);
    }

    #[test]
    fn a_switched_off_flow_breaks_the_connection_and_says_how_to_fix_it() {
        let body = r#"{"error":{"code":"WorkflowTriggerIsNotEnabled","message":"Could not execute workflow 'abc' trigger 'manual' with state 'Disabled': trigger is not enabled."}}"#;
        for status in [400, 404] {
            assert_eq!(
                classify(status, body, None),
                SendOutcome::CredentialRejected,
                "{status}"
            );
        }
        let text = error_text(body);
        assert!(
            text.starts_with("WorkflowTriggerIsNotEnabled") && text.contains("turn it on"),
            "{text}"
        );
        let other = r#"{"error":{"code":"InvalidRequestContent","message":"bad"}}"#;
        assert_eq!(classify(400, other, None), SendOutcome::Permanent);
    }

    #[test]
    fn legacy_throttling_inside_a_200_is_retried() {
        let body = "Webhook message delivery failed with error: Microsoft Teams endpoint returned HTTP error 429 with ContextId tcid=0";
        assert_eq!(
            classify(200, body, None),
            SendOutcome::Retry { after: None }
        );
    }

    #[test]
    fn error_envelopes_are_read_and_scrubbed() {
        let body = r#"{"error":{"code":"WorkflowNotFound","message":"The workflow 'abc' could not be found."}}"#;
        assert_eq!(
            error_text(body),
            "WorkflowNotFound: The workflow 'abc' could not be found."
        );
        let leaky =
            "failed for https://prod-1.x.logic.azure.com/workflows/a?sig=SECRET and sig=SECRET2";
        let text = error_text(leaky);
        assert!(!text.contains("SECRET"), "{text}");
        assert_eq!(text, "failed for <url> and <secret>");
    }
}
