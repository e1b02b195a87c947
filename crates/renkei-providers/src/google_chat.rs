//! Google Chat through an incoming webhook: the pasted URL (its `key` and `token`) is the
//! credential and fixes the space. Related notices share a thread through `threadKey`.

mod classify;
mod message;
mod pacing;
mod webhook;

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use renkei_core::model::{ConnectionKind, Mention, Notice, Provider};
use serde::Deserialize;

use crate::config::ProviderConfig;
use crate::http::retry_after;
use crate::{
    ConnectError, DeliveryProvider, LaneLimits, SendContext, SendOutcome, SendResult, Verified,
};

pub use classify::{classify, error_text, GoogleError};
pub use message::{escape, render as render_message, user_id, MAX_MESSAGE_BYTES, MAX_TEXT_CHARS};
pub use pacing::SpacePacer;
pub use webhook::{check as check_webhook_url, SpaceWebhook, HOSTS};

/// 60 writes per minute per space, shared by every app; one webhook posts into one space.
pub const PER_SPACE: (u32, Duration) = (60, Duration::from_secs(60));
/// About one write a second per space: the pace every connection into a space shares.
pub const SPACE_INTERVAL: Duration = Duration::from_secs(1);

/// Related notices reply in the thread named by the key, or start it.
pub const REPLY_OPTION: &str = "REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD";

/// What the one room of a webhook connection is called.
pub const WEBHOOK_ROOM: &str = "webhook";

const HELP: &str =
    "google_chat connections need `credentials.webhook_url`, the space's webhook URL";

#[derive(Deserialize)]
struct Created {
    name: Option<String>,
}

#[derive(Clone)]
pub struct GoogleChat {
    http: reqwest::Client,
    allow_private: bool,
    limits: LaneLimits,
    /// Shared by every clone, so by every lane of this node.
    pacer: Arc<SpacePacer>,
}

impl GoogleChat {
    pub fn new(http: reqwest::Client, config: &ProviderConfig) -> Self {
        let limits = LaneLimits {
            per_credential: Some(PER_SPACE),
            per_room: None,
        };
        // Scaled like the lane's windows; a scale of 0 switches pacing off too.
        let scale = config.rate_window_scale.max(0.0);
        GoogleChat {
            http,
            allow_private: config.allow_private_targets,
            limits: limits.scaled(config.rate_window_scale),
            pacer: Arc::new(SpacePacer::new(SPACE_INTERVAL.mul_f64(scale))),
        }
    }

    /// POSTs a rendered message (adding the thread when `thread_key` is given) when the
    /// space's turn comes, and classifies the answer; a created message's `name` is the
    /// message ID.
    pub async fn post(
        &self,
        webhook: &SpaceWebhook,
        rendered: &str,
        thread_key: Option<&str>,
    ) -> SendResult {
        let mut url = webhook.url.clone();
        let body = match thread_key {
            None => rendered.to_string(),
            Some(key) => {
                let Ok(mut message) = serde_json::from_str::<serde_json::Value>(rendered) else {
                    return SendResult::local(
                        SendOutcome::Permanent,
                        "the rendered Google Chat message is not JSON".into(),
                    );
                };
                message["thread"] = serde_json::json!({ "threadKey": key });
                url.query_pairs_mut()
                    .append_pair("messageReplyOption", REPLY_OPTION);
                message.to_string()
            }
        };
        self.pacer.wait_turn(&webhook.space).await;
        let req = self
            .http
            .post(url)
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/json; charset=UTF-8",
            )
            .body(body);
        let answer = match crate::exchange(req).await {
            Ok(a) => a,
            Err(failed) => return failed,
        };
        let (status, text) = (answer.status, answer.body);
        let after = retry_after(&answer.headers);
        let (outcome, error) = if (200..300).contains(&status) {
            let message_id = serde_json::from_str::<Created>(&text)
                .ok()
                .and_then(|c| c.name);
            (SendOutcome::Delivered { message_id }, None)
        } else {
            (classify(status, &text, after), Some(error_text(&text)))
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

impl DeliveryProvider for GoogleChat {
    fn provider(&self) -> Provider {
        Provider::GoogleChat
    }

    fn connect<'a>(
        &'a self,
        credentials: &'a serde_json::Value,
    ) -> BoxFuture<'a, Result<Verified, ConnectError>> {
        Box::pin(async move {
            let fields =
                crate::credentials::only_string_fields(credentials, &["webhook_url"], HELP)?;
            let webhook = check_webhook_url(&fields["webhook_url"], self.allow_private)?;
            // Verified by shape only: the webhook has no read-only call, and any post would
            // show up in the space.
            Ok(Verified {
                kind: ConnectionKind::Webhook,
                secret_hint: crate::credentials::hint(&webhook.token),
                credentials: serde_json::json!({ "webhook_url": webhook.url.as_str() }),
                account_id: None,
                account_name: Some(webhook.space),
                default_room: Some(WEBHOOK_ROOM.into()),
            })
        })
    }

    fn render(&self, notice: &Notice, mentions: &[Mention]) -> String {
        render_message(notice, mentions).to_string()
    }

    /// `room` is ignored: the webhook fixes the space.
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
                    "the stored credentials have no usable Google Chat webhook_url".into(),
                );
            };
            let key = ctx.thread_key.map(str::trim).filter(|k| !k.is_empty());
            self.post(&webhook, rendered, key).await
        })
    }

    fn limits(&self) -> LaneLimits {
        self.limits
    }
}
