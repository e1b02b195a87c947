//! Microsoft Teams through a Workflows (Power Automate) webhook: the pasted URL is the
//! credential (its `sig` query value signs it), the payload is one Adaptive Card, and Teams
//! answers 202 before it even tries to post, so cards are validated here first.
//!
//! Office 365 connector URLs are refused at connect time: Microsoft retired them.

mod card;
mod classify;
mod validate;
mod webhook;

use std::time::Duration;

use futures::future::BoxFuture;
use renkei_core::model::{ConnectionKind, Mention, Notice, Provider};

use crate::config::ProviderConfig;
use crate::{
    ConnectError, DeliveryProvider, LaneLimits, SendContext, SendOutcome, SendResult, Verified,
};

pub use crate::http::{retry_after, scrub};
pub use card::{escape, render as render_card, CARD_VERSION, MAX_PAYLOAD_BYTES};
pub use classify::{classify, error_text, is_flow_off, FLOW_OFF_HELP, LEGACY_THROTTLE_TEXT};
pub use validate::validate_card;
pub use webhook::{check as check_webhook_url, is_retired_connector, WorkflowUrl, HOSTS};

/// Workflows publishes no rate limit. The retired connectors allowed 4 requests per second,
/// and the Teams connector a flow posts through is throttled per connection at about 100
/// calls a minute; renkei stays under both.
pub const PER_SECOND: (u32, Duration) = (4, Duration::from_secs(1));
pub const PER_MINUTE: (u32, Duration) = (60, Duration::from_secs(60));

/// What the one room of a webhook connection is called.
pub const WEBHOOK_ROOM: &str = "webhook";

const HELP: &str = "teams connections need `credentials.webhook_url`, a Workflows webhook URL";

#[derive(Clone)]
pub struct Teams {
    http: reqwest::Client,
    allow_private: bool,
    limits: LaneLimits,
}

impl Teams {
    pub fn new(http: reqwest::Client, config: &ProviderConfig) -> Self {
        let limits = LaneLimits {
            per_credential: Some(PER_MINUTE),
            // A webhook has exactly one room, so this second window also applies to the
            // whole credential.
            per_room: Some(PER_SECOND),
        };
        Teams {
            http,
            allow_private: config.allow_private_targets,
            limits: limits.scaled(config.rate_window_scale),
        }
    }

    /// POSTs a payload (already validated) to a checked webhook URL and classifies the answer.
    pub async fn post(&self, webhook: &WorkflowUrl, payload: &str) -> SendResult {
        // A timeout may have triggered the flow; a refused connection did not.
        let req = self
            .http
            .post(webhook.url.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(payload.to_string());
        let answer = match crate::exchange(req).await {
            Ok(a) => a,
            Err(failed) => return failed,
        };
        let (status, body) = (answer.status, answer.body);
        let after = retry_after(&answer.headers);
        let outcome = classify(status, &body, after);
        let error = match &outcome {
            SendOutcome::Delivered { .. } => None,
            SendOutcome::Retry { .. } if (200..300).contains(&status) => Some(format!(
                "Teams throttled the webhook ({LEGACY_THROTTLE_TEXT}): {}",
                scrub(&body)
            )),
            _ => Some(error_text(&body)),
        };
        SendResult {
            outcome,
            http_status: Some(status),
            error,
            rate: None,
            reached_provider: true,
        }
    }
}

impl DeliveryProvider for Teams {
    fn provider(&self) -> Provider {
        Provider::Teams
    }

    fn connect<'a>(
        &'a self,
        credentials: &'a serde_json::Value,
    ) -> BoxFuture<'a, Result<Verified, ConnectError>> {
        Box::pin(async move {
            let fields =
                crate::credentials::only_string_fields(credentials, &["webhook_url"], HELP)?;
            let webhook = check_webhook_url(&fields["webhook_url"], self.allow_private)?;
            // Verified by shape only: any request to the webhook triggers the flow, which
            // posts a visible message into the channel.
            Ok(Verified {
                kind: ConnectionKind::Webhook,
                secret_hint: crate::credentials::hint(&webhook.sig),
                credentials: serde_json::json!({ "webhook_url": webhook.url.as_str() }),
                account_id: None,
                account_name: None,
                default_room: Some(WEBHOOK_ROOM.into()),
            })
        })
    }

    fn render(&self, notice: &Notice, mentions: &[Mention]) -> String {
        render_card(notice, mentions).to_string()
    }

    /// `room` is ignored: the webhook fixes the channel.
    fn send<'a>(
        &'a self,
        ctx: SendContext<'a>,
        _room: &'a str,
        rendered: &'a str,
    ) -> BoxFuture<'a, SendResult> {
        Box::pin(async move {
            let stored = ctx.credentials.get("webhook_url").and_then(|u| u.as_str());
            let Some(webhook) = stored.and_then(|u| check_webhook_url(u, self.allow_private).ok())
            else {
                return SendResult::local(
                    SendOutcome::CredentialRejected,
                    "the stored credentials have no usable Teams webhook_url".into(),
                );
            };
            let card = serde_json::from_str::<serde_json::Value>(rendered)
                .map_err(|e| format!("the rendered message is not JSON: {e}"))
                .and_then(|card| validate_card(&card));
            if let Err(why) = card {
                return SendResult::local(
                    SendOutcome::Refused {
                        code: "teams_invalid_card",
                    },
                    format!("Teams could not post this card: {why}"),
                );
            }
            self.post(&webhook, rendered).await
        })
    }

    fn limits(&self) -> LaneLimits {
        self.limits
    }
}
