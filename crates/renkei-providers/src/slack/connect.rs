//! Verifying pasted Slack credentials: a webhook URL is probed with an empty payload (a
//! live webhook refuses it with 400 `missing_text_or_fallback_or_attachments`, older
//! reports say `no_text`: any 400 will do, so nothing is posted); a bot token is checked
//! with `auth.test`.

use renkei_core::model::ConnectionKind;
use serde::Deserialize;
use url::Url;

use super::{Slack, WEBHOOK_HOSTS, WEBHOOK_ROOM};
use crate::credentials::{hint, string_fields};
use crate::target::check_webhook_url;
use crate::{ConnectError, Verified};

const HELP: &str = "slack connections need `credentials.webhook_url` (an incoming webhook URL) \
                    or `credentials.bot_token` (a bot token `xoxb-…`), not both";
pub(crate) const WEBHOOK_HELP: &str =
    "Create one in your Slack app: Incoming Webhooks → Add New Webhook to Workspace, \
     then paste the https://hooks.slack.com/services/… URL it shows";
const TOKEN_HELP: &str =
    "Copy the Bot User OAuth Token (xoxb-…) from your Slack app's OAuth & Permissions page";

/// What `auth.test` says about a token.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct BotIdentity {
    /// The bot's member ID (`U…`): what people `/invite`.
    pub user_id: String,
    pub user: String,
    #[serde(default)]
    pub team: String,
    #[serde(default)]
    pub team_id: String,
    /// Absent for user tokens.
    #[serde(default)]
    pub bot_id: Option<String>,
}

pub(super) async fn connect(
    slack: &Slack,
    credentials: &serde_json::Value,
) -> Result<Verified, ConnectError> {
    let fields = string_fields(credentials, &[], &["webhook_url", "bot_token"], HELP)?;
    match (fields.get("webhook_url"), fields.get("bot_token")) {
        (Some(url), None) => connect_webhook(slack, url).await,
        (None, Some(token)) => connect_bot(slack, token).await,
        _ => Err(ConnectError::invalid("invalid_credentials", HELP)),
    }
}

/// A pasted URL on Slack's webhook host, shaped `/services/T…/B…/X…`.
pub(super) fn webhook_url(raw: &str, allow_private: bool) -> Result<Url, ConnectError> {
    let url = check_webhook_url(raw, WEBHOOK_HOSTS, allow_private, WEBHOOK_HELP)?;
    let segments: Vec<&str> = url.path().split('/').skip(1).collect();
    if segments.len() != 4 || segments[0] != "services" || segments.iter().any(|s| s.is_empty()) {
        return Err(ConnectError::invalid(
            "invalid_webhook_url",
            format!("this is not a Slack incoming webhook URL (its path must be /services/T…/B…/…). {WEBHOOK_HELP}"),
        ));
    }
    Ok(url)
}

fn invalid_webhook(status: u16, code: &str) -> ConnectError {
    ConnectError::invalid(
        "slack_webhook_invalid",
        format!(
            "Slack says this webhook does not work (HTTP {status}, {code}): it was removed, its app was \
             uninstalled, or its channel was archived or deleted. {WEBHOOK_HELP}"
        ),
    )
}

async fn connect_webhook(slack: &Slack, raw: &str) -> Result<Verified, ConnectError> {
    let url = webhook_url(raw, slack.allow_private_targets)?;
    let resp = slack
        .webhook_http
        .post(url.clone())
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body("{}")
        .send()
        .await
        .map_err(|e| unreachable_error(&e))?;
    let status = resp.status().as_u16();
    let body = resp.text().await.map_err(|e| unreachable_error(&e))?;
    let code = super::classify::short(&body);
    match status {
        // 400 means Slack found the webhook and read the payload (today
        // `missing_text_or_fallback_or_attachments` for `{}`, whatever the text);
        // a 200 would mean something accepted an empty message: alive either way.
        200..=299 | 400 => {}
        403 | 404 | 410 => return Err(invalid_webhook(status, &code)),
        429 => {
            return Err(ConnectError::unavailable(
                "slack_rate_limited",
                "Slack is rate limiting this webhook right now; try again in a few seconds",
            ))
        }
        500..=599 => {
            return Err(ConnectError::unavailable(
                "slack_unavailable",
                format!(
                    "Slack answered HTTP {status} ({code}) while checking the webhook; try again"
                ),
            ))
        }
        _ => {
            return Err(ConnectError::unavailable(
                "slack_error",
                format!("Slack answered HTTP {status} ({code}) while checking the webhook"),
            ))
        }
    }
    let secret = url
        .path_segments()
        .and_then(|mut s| s.next_back())
        .unwrap_or("");
    Ok(Verified {
        kind: ConnectionKind::Webhook,
        secret_hint: hint(secret),
        credentials: serde_json::json!({ "webhook_url": url.as_str() }),
        account_id: None,
        account_name: None,
        default_room: Some(WEBHOOK_ROOM.into()),
    })
}

async fn connect_bot(slack: &Slack, token: &str) -> Result<Verified, ConnectError> {
    if !token.starts_with("xoxb-") {
        let what = if token.starts_with("xoxp-") {
            "this is a user token (xoxp-…), which posts as a person"
        } else if token.starts_with("https://") {
            "this looks like a webhook URL: send it as `webhook_url`"
        } else {
            "a bot token starts with xoxb-"
        };
        return Err(ConnectError::invalid(
            "slack_invalid_token",
            format!("{what}. {TOKEN_HELP}"),
        ));
    }
    let (me, scopes) = slack.auth_test(token).await?;
    if me.bot_id.is_none() {
        return Err(ConnectError::invalid(
            "slack_invalid_token",
            format!("Slack says this token does not belong to a bot. {TOKEN_HELP}"),
        ));
    }
    // Slack lists the token's scopes in `X-OAuth-Scopes`; without `chat:write` every
    // post would fail, so say it now.
    if let Some(scopes) = scopes {
        if !scopes.split(',').any(|s| s.trim() == "chat:write") {
            return Err(ConnectError::invalid(
                "slack_missing_scope",
                "this bot token lacks the `chat:write` scope: add it under OAuth & Permissions → Bot Token Scopes, \
                 reinstall the app to the workspace, and paste the new token",
            ));
        }
    }
    Ok(Verified {
        kind: ConnectionKind::Bot,
        secret_hint: hint(token),
        credentials: serde_json::json!({ "bot_token": token }),
        account_id: Some(me.user_id),
        account_name: Some(me.user),
        // A bot posts where it is told: the connection's room must be chosen.
        default_room: None,
    })
}

fn unreachable_error(e: &reqwest::Error) -> ConnectError {
    ConnectError::unavailable(
        "slack_unreachable",
        format!(
            "could not reach Slack to verify the credentials ({}); try again",
            crate::transport_error(e)
        ),
    )
}

impl Slack {
    /// `auth.test`: who the token speaks for, and its scopes (`X-OAuth-Scopes`) if told.
    pub async fn auth_test(
        &self,
        token: &str,
    ) -> Result<(BotIdentity, Option<String>), ConnectError> {
        let resp = self
            .http
            .post(format!("{}/auth.test", self.api_url))
            .bearer_auth(token)
            .send()
            .await
            .map_err(|e| unreachable_error(&e))?;
        let status = resp.status().as_u16();
        let scopes = resp
            .headers()
            .get("x-oauth-scopes")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let body = resp.text().await.map_err(|e| unreachable_error(&e))?;
        if status == 429 || status >= 500 {
            return Err(ConnectError::unavailable(
                "slack_unavailable",
                format!(
                    "Slack answered HTTP {status} while verifying the token; try again in a moment"
                ),
            ));
        }
        let value: serde_json::Value = serde_json::from_str(&body).map_err(|_| {
            ConnectError::unavailable(
                "slack_error",
                format!("Slack answered HTTP {status} with something other than JSON while verifying the token; try again"),
            )
        })?;
        if value.get("ok").and_then(serde_json::Value::as_bool) == Some(true) {
            let me = serde_json::from_value(value).map_err(|e| {
                ConnectError::unavailable(
                    "slack_error",
                    format!("unexpected auth.test answer from Slack: {e}"),
                )
            })?;
            return Ok((me, scopes));
        }
        let error = value
            .get("error")
            .and_then(serde_json::Value::as_str)
            .unwrap_or("unknown");
        match error {
            "invalid_auth" | "not_authed" | "token_revoked" | "account_inactive" | "token_expired" => Err(
                ConnectError::invalid(
                    "slack_invalid_token",
                    format!("Slack refused this bot token ({error}). {TOKEN_HELP}; it must be the whole token"),
                ),
            ),
            _ => Err(ConnectError::unavailable(
                "slack_error",
                format!("Slack answered {error} (HTTP {status}) while verifying the token; try again"),
            )),
        }
    }
}
