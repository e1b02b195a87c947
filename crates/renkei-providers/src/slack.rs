//! Slack, two ways in:
//! - an **incoming webhook** (`{"webhook_url"}`, kind `Webhook`): a pasted
//!   `https://hooks.slack.com/services/T…/B…/X…` URL that posts into the one channel it
//!   was made for; the URL is the secret. Plain-text errors with real HTTP statuses.
//! - a **bot token** (`{"bot_token": "xoxb-…"}`, kind `Bot`): `chat.postMessage` into any
//!   channel the app was invited to (`C…`/`G…`), or a DM by member ID (`U…`/`W…`). Errors
//!   come as HTTP 200 `{"ok":false,"error":…}`.
//!
//! Both post the same payload ([`render`]): mrkdwn `text` plus `blocks`. Slack asks for
//! about one message per second per webhook or channel; a 429's `Retry-After` pauses that
//! room only.

mod classify;
mod connect;
mod render;

use std::time::Duration;

use futures::future::BoxFuture;
use renkei_core::model::{Mention, Notice, Provider};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::config::{base, ProviderConfig};
use crate::target::{webhook_http_client, HostRule};
use crate::{
    ConnectError, DeliveryProvider, DirectStyle, LaneLimits, SendContext, SendOutcome, SendResult,
    Verified,
};

pub use crate::http::retry_after;
pub use classify::{web_api as classify_web_api, webhook as classify_webhook, DEFAULT_ROOM_PAUSE};
pub use connect::BotIdentity;
pub use render::{escape, render, MAX_BLOCKS, MAX_SECTION_CHARS, MAX_TEXT_CHARS, TRUNCATED};

/// The `room` of a webhook connection (its channel is fixed by the webhook).
pub const WEBHOOK_ROOM: &str = "webhook";
/// Where pasted webhook URLs must point.
pub const WEBHOOK_HOSTS: &[HostRule] = &[HostRule::Exact("hooks.slack.com")];
/// Slack's pace: about one message per second per webhook and per channel.
pub const ROOM_LIMIT: (u32, Duration) = (1, Duration::from_secs(1));

const JSON_UTF8: &str = "application/json; charset=utf-8";
/// `conversations.list` pages are followed at most this far (200 channels each).
const MAX_CHANNEL_PAGES: usize = 50;

#[derive(Clone)]
pub struct Slack {
    /// For the Web API (a fixed, configured host).
    http: reqwest::Client,
    /// For pasted webhook URLs: its resolver refuses private addresses (SSRF).
    webhook_http: reqwest::Client,
    api_url: String,
    allow_private_targets: bool,
    limits: LaneLimits,
}

/// One channel the bot can see (`conversations.list`), for choosing a connection's room.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
pub struct Channel {
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub is_private: bool,
    #[serde(default)]
    pub is_archived: bool,
    /// Whether the bot is in it (it can post only where it is, without `chat:write.public`).
    #[serde(default)]
    pub is_member: bool,
}

/// The stored credentials of either kind.
enum Credential<'a> {
    Webhook(&'a str),
    Bot(&'a str),
}

fn credential_of(credentials: &Value) -> Option<Credential<'_>> {
    let field = |name| credentials.get(name).and_then(Value::as_str);
    match (field("webhook_url"), field("bot_token")) {
        (Some(url), None) => Some(Credential::Webhook(url)),
        (None, Some(token)) => Some(Credential::Bot(token)),
        _ => None,
    }
}

/// `C…`/`G…`/`D…` conversation IDs and `U…`/`W…` member IDs.
fn is_conversation_id(room: &str) -> bool {
    room.len() >= 2
        && room.starts_with(['C', 'G', 'D', 'U', 'W'])
        && room
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

/// A webhook posts only into the channel it was made for. Any other `room` would land
/// there anyway, so it is refused rather than posted where it was not meant to go (a
/// direct message above all).
fn webhook_room_refusal(room: &str) -> Option<SendResult> {
    if room == WEBHOOK_ROOM {
        return None;
    }
    let (code, why) = if room.starts_with(['U', 'W']) && is_conversation_id(room) {
        (
            "direct_not_supported",
            "a Slack incoming webhook cannot message a person directly; connect a bot token (xoxb-…) for direct messages",
        )
    } else {
        (
            "slack_webhook_fixed_channel",
            "a Slack incoming webhook posts only into the channel it was created for; \
             use a bot token (xoxb-…) to post into other channels",
        )
    };
    Some(SendResult::local(SendOutcome::Refused { code }, why.into()))
}

type Classifier = fn(u16, &str, Option<Duration>) -> (SendOutcome, Option<String>);

impl Slack {
    /// `http` serves the Web API; webhooks get their own SSRF-safe client.
    pub fn new(http: reqwest::Client, config: &ProviderConfig) -> Slack {
        Slack {
            http,
            webhook_http: webhook_http_client(config.timeout, config.allow_private_targets),
            api_url: base(&config.slack_api_url),
            allow_private_targets: config.allow_private_targets,
            limits: LaneLimits {
                per_credential: None,
                per_room: Some(ROOM_LIMIT),
            }
            .scaled(config.rate_window_scale),
        }
    }

    /// Sends a prepared request and reads the answer with `classify`.
    async fn send_and_classify(
        &self,
        req: reqwest::RequestBuilder,
        classify: Classifier,
    ) -> SendResult {
        let answer = match crate::exchange(req).await {
            Ok(a) => a,
            Err(failed) => return failed,
        };
        let retry = retry_after(&answer.headers);
        let (outcome, error) = classify(answer.status, &answer.body, retry);
        SendResult {
            outcome,
            http_status: Some(answer.status),
            error,
            rate: None,
            reached_provider: true,
        }
    }

    /// Posts a rendered payload to an incoming webhook (checked again: stored credentials
    /// may predate a configuration change).
    pub async fn post_webhook(&self, webhook_url: &str, payload: &str) -> SendResult {
        let url = match connect::webhook_url(webhook_url, self.allow_private_targets) {
            Ok(u) => u,
            Err(e) => return SendResult::local(SendOutcome::CredentialRejected, e.message),
        };
        let req = self
            .webhook_http
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, JSON_UTF8)
            .body(payload.to_string());
        self.send_and_classify(req, classify::webhook).await
    }

    /// `chat.postMessage` of a rendered payload into `channel` (a conversation or member ID).
    pub async fn post_message(&self, token: &str, channel: &str, payload: &str) -> SendResult {
        if !is_conversation_id(channel) {
            return SendResult::local(
                SendOutcome::Permanent,
                format!(
                    "`{channel}` is not a Slack channel ID (C…) or member ID (U…): choose a channel for this connection"
                ),
            );
        }
        // The rendered payload is a JSON object; plain text (a hand-written message) is
        // sent as `text`.
        let mut body = match serde_json::from_str::<Value>(payload) {
            Ok(Value::Object(obj)) => obj,
            _ => {
                let mut obj = serde_json::Map::new();
                obj.insert("text".into(), Value::String(payload.to_string()));
                obj
            }
        };
        body.insert("channel".into(), Value::String(channel.to_string()));
        let req = self
            .http
            .post(format!("{}/chat.postMessage", self.api_url))
            .bearer_auth(token)
            .header(reqwest::header::CONTENT_TYPE, JSON_UTF8)
            .body(Value::Object(body).to_string());
        self.send_and_classify(req, classify::web_api).await
    }

    /// Channels the bot can see, public and private, archived ones left out.
    pub async fn channels(&self, token: &str) -> Result<Vec<Channel>, SendResult> {
        #[derive(Deserialize)]
        struct Page {
            #[serde(default)]
            channels: Vec<Channel>,
            response_metadata: Option<Cursor>,
        }
        #[derive(Deserialize)]
        struct Cursor {
            #[serde(default)]
            next_cursor: String,
        }
        let mut out = Vec::new();
        let mut cursor = String::new();
        for _ in 0..MAX_CHANNEL_PAGES {
            let mut form = vec![
                ("types", "public_channel,private_channel"),
                ("exclude_archived", "true"),
                ("limit", "200"),
            ];
            if !cursor.is_empty() {
                form.push(("cursor", cursor.as_str()));
            }
            let req = self
                .http
                .post(format!("{}/conversations.list", self.api_url))
                .bearer_auth(token)
                .form(&form);
            let crate::http::Answer {
                status,
                headers,
                body,
            } = crate::exchange(req).await?;
            let retry = retry_after(&headers);
            let page = match serde_json::from_str::<Value>(&body) {
                Ok(v) if status == 200 && v.get("ok").and_then(Value::as_bool) == Some(true) => {
                    serde_json::from_value::<Page>(v).ok()
                }
                _ => None,
            };
            let Some(page) = page else {
                let (outcome, error) = classify::web_api(status, &body, retry);
                return Err(SendResult {
                    outcome,
                    http_status: Some(status),
                    error,
                    rate: None,
                    reached_provider: true,
                });
            };
            out.extend(page.channels);
            cursor = page
                .response_metadata
                .map(|m| m.next_cursor)
                .unwrap_or_default();
            if cursor.is_empty() {
                break;
            }
        }
        Ok(out)
    }
}

impl DeliveryProvider for Slack {
    fn provider(&self) -> Provider {
        Provider::Slack
    }

    fn connect<'a>(
        &'a self,
        credentials: &'a Value,
    ) -> BoxFuture<'a, Result<Verified, ConnectError>> {
        Box::pin(connect::connect(self, credentials))
    }

    fn render(&self, notice: &Notice, mentions: &[Mention]) -> String {
        render::render(notice, mentions)
    }

    fn send<'a>(
        &'a self,
        ctx: SendContext<'a>,
        room: &'a str,
        rendered: &'a str,
    ) -> BoxFuture<'a, SendResult> {
        Box::pin(async move {
            match credential_of(ctx.credentials) {
                Some(Credential::Webhook(url)) => match webhook_room_refusal(room) {
                    None => self.post_webhook(url, rendered).await,
                    Some(refused) => refused,
                },
                Some(Credential::Bot(token)) => self.post_message(token, room, rendered).await,
                None => SendResult::local(
                    SendOutcome::CredentialRejected,
                    "the stored Slack credentials have neither webhook_url nor bot_token".into(),
                ),
            }
        })
    }

    fn limits(&self) -> LaneLimits {
        self.limits
    }

    fn direct_style(&self) -> DirectStyle {
        DirectStyle::ByAccount
    }

    /// `chat.postMessage` with a member ID as `channel` posts into the DM with them.
    fn direct_destination(&self, member_id: &str) -> String {
        member_id.to_string()
    }
}
