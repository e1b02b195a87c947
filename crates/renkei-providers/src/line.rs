//! LINE Messaging API: push messages to one person (a LINE user ID), with a retry key per
//! delivery so LINE delivers at most once; long-lived or v2.1 (JWT-issued) channel access
//! tokens; the monthly message quota. Plus LINE Login v2.1 for member linking ([`login`]).
//!
//! A person is reachable only after adding the official account as a friend (the `follow`
//! webhook, or `bot_prompt` during LINE Login). A push to someone who blocked the account
//! is not reported as an error (the fake answers 200, as LINE is understood to), so the
//! `unfollow` webhook is the only sign that a member stopped receiving.

mod classify;
mod creds;
mod key;
pub mod login;
mod render;
mod token;

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use renkei_core::model::{ConnectionKind, Mention, Notice, Provider};
use serde::Deserialize;
use serde_json::Value;

use crate::config::{base, ProviderConfig};
use crate::{
    ConnectError, CredentialStore, DeliveryProvider, DirectStyle, LaneLimits, SendContext,
    SendOutcome, SendResult, Verified,
};
pub use classify::{
    error_text, jst_text, next_month_start_jst, push_result, retry_key, MONTHLY_LIMIT_TEXT,
};
pub use key::{ASSERTION_AUDIENCE, ASSERTION_LIFETIME_SECS, TOKEN_LIFETIME_SECS};
pub use login::{authorize_url, id_token_claims, verify_id_token, IdTokenClaims, LoginError};
pub use render::{render as render_text, MAX_TEXT_UNITS};

use creds::Auth;
use token::{now_unix, TokenCache, TokenError};

/// LINE's documented limit for push: 2,000 requests per second per channel.
pub const PUSH_LIMIT: (u32, Duration) = (2_000, Duration::from_secs(1));

/// `GET /v2/bot/info`.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct BotInfo {
    pub user_id: String,
    pub basic_id: String,
    #[serde(default)]
    pub premium_id: Option<String>,
    pub display_name: String,
    #[serde(default)]
    pub picture_url: Option<String>,
    pub chat_mode: String,
    pub mark_as_read_mode: String,
}

/// This month's message allowance (`GET /v2/bot/message/quota` + `/quota/consumption`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Quota {
    /// `None`: no target limit is set (`type: none`).
    pub limit: Option<i64>,
    /// Messages sent this month (counted in Japan time).
    pub used: i64,
}

/// The link that opens the official account's profile with an "Add friend" button.
pub fn friend_url(basic_id: &str) -> String {
    format!("https://line.me/R/ti/p/{}", basic_id.replace('@', "%40"))
}

/// A LINE user (`U`), group (`C`) or multi-person chat (`R`) ID: a letter and 32 hex digits.
pub fn is_line_id(id: &str) -> bool {
    let b = id.as_bytes();
    b.len() == 33
        && matches!(b[0], b'U' | b'C' | b'R')
        && b[1..]
            .iter()
            .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(c))
}

#[derive(Clone)]
pub struct Line {
    http: reqwest::Client,
    api_url: String,
    login_url: String,
    limits: LaneLimits,
    store: Arc<dyn CredentialStore>,
    tokens: Arc<TokenCache>,
}

impl Line {
    /// `credentials` persists v2.1 tokens renkei issued, so other nodes reuse them.
    pub fn new(
        http: reqwest::Client,
        config: &ProviderConfig,
        credentials: Arc<dyn CredentialStore>,
    ) -> Self {
        Line {
            http,
            api_url: base(&config.line_api_url),
            login_url: base(&config.line_login_url),
            limits: LaneLimits {
                per_credential: Some(PUSH_LIMIT),
                per_room: None,
            }
            .scaled(config.rate_window_scale),
            store: credentials,
            tokens: Arc::new(TokenCache::default()),
        }
    }

    /// The LINE Login base URL, for [`authorize_url`].
    pub fn login_url(&self) -> &str {
        &self.login_url
    }

    /// A GET on the API with a Bearer token; failures classified like a push.
    async fn get_json<T: serde::de::DeserializeOwned>(
        &self,
        token: &str,
        path: &str,
    ) -> Result<T, SendResult> {
        let req = self
            .http
            .get(format!("{}{path}", self.api_url))
            .bearer_auth(token);
        let crate::http::Answer {
            status,
            headers,
            body,
        } = crate::exchange(req).await?;
        if status != 200 {
            return Err(push_result(status, &headers, &body, now_unix()));
        }
        serde_json::from_str(&body).map_err(|e| SendResult {
            outcome: SendOutcome::Retry { after: None },
            http_status: Some(status),
            error: Some(format!("unexpected answer from LINE {path}: {e}")),
            rate: None,
            reached_provider: true,
        })
    }

    /// The official account behind a token.
    pub async fn bot_info(&self, token: &str) -> Result<BotInfo, SendResult> {
        self.get_json(token, "/v2/bot/info").await
    }

    /// This month's limit and usage, for the connection page.
    pub async fn quota(&self, credentials: &Value) -> Result<Quota, SendResult> {
        let auth = creds::parse_stored(credentials)
            .map_err(|e| SendResult::local(SendOutcome::CredentialRejected, e))?;
        let token = self.access_token(None, &auth, credentials, None).await?;
        #[derive(Deserialize)]
        struct Limit {
            #[serde(rename = "type")]
            kind: String,
            value: Option<i64>,
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Used {
            total_usage: i64,
        }
        let limit: Limit = self.get_json(&token, "/v2/bot/message/quota").await?;
        let used: Used = self
            .get_json(&token, "/v2/bot/message/quota/consumption")
            .await?;
        Ok(Quota {
            limit: if limit.kind == "limited" {
                limit.value
            } else {
                None
            },
            used: used.total_usage,
        })
    }

    /// `POST /v2/bot/message/push` with one text message.
    pub async fn push(&self, token: &str, to: &str, text: &str, retry_key: &str) -> SendResult {
        let body = serde_json::json!({
            "to": to,
            "messages": [{ "type": "text", "text": render::truncate_text(text) }],
        });
        // A timeout may have been accepted: the retry key makes the retry safe.
        let req = self
            .http
            .post(format!("{}/v2/bot/message/push", self.api_url))
            .bearer_auth(token)
            .header("X-Line-Retry-Key", retry_key)
            .json(&body);
        match crate::exchange(req).await {
            Ok(a) => push_result(a.status, &a.headers, &a.body, now_unix()),
            Err(failed) => failed,
        }
    }

    async fn verify(&self, credentials: &Value) -> Result<Verified, ConnectError> {
        let pasted = creds::parse_pasted(credentials)?;
        let (token, issued) = match &pasted.auth {
            Auth::LongLived { token } => (token.clone(), None),
            Auth::V21 {
                channel_id,
                private_key,
                kid,
            } => {
                let issued = self
                    .issue_token(channel_id, private_key, kid)
                    .await
                    .map_err(connect_token_error)?;
                self.remember(&pasted.auth, &issued);
                (issued.access_token.clone(), Some(issued))
            }
        };
        let bot = self.bot_info(&token).await.map_err(|r| match r.http_status {
            Some(401) => ConnectError::invalid(
                "line_invalid_token",
                "LINE refused this channel access token. Issue (or reissue) the long-lived channel access token on the Messaging API tab of your Messaging API channel in LINE Developers Console and paste all of it",
            ),
            Some(status) => ConnectError::unavailable(
                "line_error",
                format!("LINE answered HTTP {status} while verifying the channel: {}", r.error.unwrap_or_default()),
            ),
            None => ConnectError::unavailable(
                "line_unreachable",
                format!("could not reach LINE to verify the channel ({}); try again", r.error.unwrap_or_default()),
            ),
        })?;
        let mut stored = creds::stored(&pasted.fields, &bot.basic_id);
        if let Some(issued) = &issued {
            issued.write_into(&mut stored);
        }
        let hint = match &pasted.auth {
            Auth::LongLived { token } => crate::credentials::hint(token),
            Auth::V21 { kid, .. } => crate::credentials::hint(kid),
        };
        Ok(Verified {
            kind: ConnectionKind::Bot,
            credentials: Value::Object(stored),
            secret_hint: hint,
            account_id: Some(bot.user_id),
            account_name: Some(bot.display_name),
            default_room: None,
        })
    }

    async fn send_text(&self, ctx: SendContext<'_>, room: &str, text: &str) -> SendResult {
        let auth = match creds::parse_stored(ctx.credentials) {
            Ok(a) => a,
            Err(e) => return SendResult::local(SendOutcome::CredentialRejected, e),
        };
        if !is_line_id(room) {
            return SendResult::local(
                SendOutcome::Refused { code: "line_invalid_user_id" },
                format!("`{room}` is not a LINE user ID (U followed by 32 hex digits). It comes from the member linking with LINE or adding the official account as a friend, not from the LINE ID shown in the app"),
            );
        }
        let key = retry_key(ctx.connection, ctx.delivery);
        let connection = Some(ctx.connection);
        let token = match self
            .access_token(connection, &auth, ctx.credentials, None)
            .await
        {
            Ok(t) => t,
            Err(r) => return r,
        };
        let first = self.push(&token, room, text, &key).await;
        if first.outcome != SendOutcome::CredentialRejected
            || matches!(auth, Auth::LongLived { .. })
        {
            return first;
        }
        // A v2.1 token can be revoked or expire early: renew once, same retry key.
        match self
            .access_token(connection, &auth, ctx.credentials, Some(&token))
            .await
        {
            Ok(renewed) => self.push(&renewed, room, text, &key).await,
            Err(r) => r,
        }
    }
}

fn connect_token_error(e: TokenError) -> ConnectError {
    match e {
        TokenError::Key(text) => ConnectError::invalid("line_invalid_private_key", text),
        TokenError::Refused { text, .. } => ConnectError::invalid(
            "line_invalid_assertion",
            format!("LINE refused to issue a channel access token v2.1 ({text}). Check channel_id (the Messaging API channel's Channel ID), that the public key of this private key is registered on its Basic settings tab, and that kid is the one LINE showed for it"),
        ),
        TokenError::Unavailable { text, .. } => ConnectError::unavailable(
            "line_unreachable",
            format!("could not get a channel access token from LINE ({text}); try again"),
        ),
    }
}

impl DeliveryProvider for Line {
    fn provider(&self) -> Provider {
        Provider::Line
    }

    fn connect<'a>(
        &'a self,
        credentials: &'a Value,
    ) -> BoxFuture<'a, Result<Verified, ConnectError>> {
        Box::pin(self.verify(credentials))
    }

    fn render(&self, notice: &Notice, _mentions: &[Mention]) -> String {
        render::render(notice)
    }

    fn send<'a>(
        &'a self,
        ctx: SendContext<'a>,
        room: &'a str,
        rendered: &'a str,
    ) -> BoxFuture<'a, SendResult> {
        Box::pin(self.send_text(ctx, room, rendered))
    }

    fn limits(&self) -> LaneLimits {
        self.limits
    }

    fn direct_style(&self) -> DirectStyle {
        DirectStyle::ByAccount
    }

    fn not_reachable_directly(&self, account: &str) -> SendResult {
        SendResult::local(
            SendOutcome::Refused { code: "line_not_linked" },
            format!("LINE user {account} cannot be messaged: the member must link LINE and add the official account as a friend"),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn friend_links_and_ids() {
        assert_eq!(
            friend_url("@123abcde"),
            "https://line.me/R/ti/p/%40123abcde"
        );
        assert!(is_line_id(&format!("U{}", "0123456789abcdef".repeat(2))));
        assert!(is_line_id(&format!("C{}", "a".repeat(32))));
        assert!(
            !is_line_id(&format!("U{}", "A".repeat(32))),
            "LINE IDs are lower-case hex"
        );
        assert!(!is_line_id("@123abcde"));
        assert!(!is_line_id(&format!("X{}", "a".repeat(32))));
    }

    #[test]
    fn push_limit_scales_and_switches_off() {
        let mut config = ProviderConfig::default();
        let store: Arc<dyn CredentialStore> = Arc::new(crate::registry::NoCredentialStore);
        let line = Line::new(reqwest::Client::new(), &config, store.clone());
        assert_eq!(line.limits().per_credential, Some(PUSH_LIMIT));
        config.rate_window_scale = 0.0;
        let off = Line::new(reqwest::Client::new(), &config, store);
        assert_eq!(off.limits(), LaneLimits::default());
    }
}
