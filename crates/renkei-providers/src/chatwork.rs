//! Chatwork API v2: `X-ChatWorkToken` (API token) or `Authorization: Bearer` (OAuth2)
//! auth, form-encoded bodies, `{"errors":[..]}` errors, 300 requests / 5 min per token and
//! 10 posts / 10 s per room.
//!
//! A connection stores `{"api_token": "…"}` (kind `Token`, made by [`DeliveryProvider::connect`])
//! or `{"oauth": {…}}` (kind `Oauth`, see [`OAuthCredentials`], made by
//! [`Chatwork::connect_oauth`] after the consent flow in [`oauth`]). Sends and lookups take
//! either through [`Auth::Stored`]; OAuth tokens are refreshed and saved as they go.

mod auth;
mod calls;
mod classify;
pub mod oauth;

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use renkei_core::model::{ConnectionKind, Mention, Notice, Provider};
use renkei_core::render::chatwork as notation;
use serde::Deserialize;
use thiserror::Error;

use crate::registry::NoCredentialStore;
use crate::{
    ConnectError, CredentialStore, DeliveryProvider, DirectRooms, DirectStyle, LaneLimits,
    SendContext, SendOutcome, SendResult, Verified,
};
use auth::TokenKeeper;
pub use auth::{Auth, OAuthCredentials};
pub use classify::{bearer_challenge, classify, rate_info, BearerChallenge};
use oauth::{OAuthClient, TokenSet};

pub use crate::config::CHATWORK_API_URL as DEFAULT_API_URL;

/// `GET /me`: who the token speaks for, and their My Chat.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct Me {
    pub account_id: i64,
    pub room_id: i64,
    pub name: String,
}

#[derive(Debug, Error)]
pub enum ChatworkError {
    #[error("Chatwork refused the credentials ({0})")]
    InvalidToken(String),
    #[error("Chatwork answered HTTP {status}: {message}")]
    Http { status: u16, message: String },
    #[error("could not reach Chatwork: {0}")]
    Transport(String),
}

#[derive(Debug, Clone, Copy)]
pub struct ChatworkLimits {
    pub token: (u32, Duration),
    pub room: (u32, Duration),
}

impl ChatworkLimits {
    /// Chatwork's limits with windows scaled; `None` (no client-side limits) for `scale <= 0`.
    pub fn scaled(scale: f64) -> Option<Self> {
        if scale <= 0.0 {
            return None;
        }
        let d = ChatworkLimits::default();
        let s = |(n, w): (u32, Duration)| (n, w.mul_f64(scale));
        Some(ChatworkLimits {
            token: s(d.token),
            room: s(d.room),
        })
    }
}

impl Default for ChatworkLimits {
    fn default() -> Self {
        ChatworkLimits {
            token: (300, Duration::from_secs(300)),
            room: (10, Duration::from_secs(10)),
        }
    }
}

/// One entry of `GET /contacts`.
#[derive(Debug, Clone, Deserialize, serde::Serialize, PartialEq, Eq)]
pub struct Contact {
    pub account_id: i64,
    /// The direct chat between the token's owner and this contact.
    pub room_id: i64,
    pub name: String,
    #[serde(default)]
    pub chatwork_id: String,
    #[serde(default)]
    pub organization_name: String,
    #[serde(default)]
    pub department: String,
}

/// One entry of `GET /rooms`.
#[derive(Debug, Clone, Deserialize, serde::Serialize, PartialEq, Eq)]
pub struct Room {
    pub room_id: i64,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub role: String,
}

/// One entry of `GET /incoming_requests`.
#[derive(Debug, Clone, Deserialize, serde::Serialize, PartialEq, Eq)]
pub struct IncomingRequest {
    pub request_id: i64,
    pub account_id: i64,
    #[serde(default)]
    pub message: String,
    pub name: String,
    #[serde(default)]
    pub organization_name: String,
}

/// The Chatwork client: API calls (see `calls.rs`), the OAuth token endpoint, and the
/// freshest OAuth tokens of each connection. Cheap to clone: clones share that state.
#[derive(Clone)]
pub struct Chatwork {
    http: reqwest::Client,
    base_url: String,
    limits: Option<ChatworkLimits>,
    oauth: OAuthClient,
    store: Arc<dyn CredentialStore>,
    keeper: Arc<TokenKeeper>,
}

impl Chatwork {
    /// API tokens only in practice: OAuth refreshes go to Chatwork's real token endpoint
    /// and renewed tokens are not saved. Use [`Self::with_oauth`] when OAuth connections
    /// exist. `limits: None` turns client-side limiting off (benchmarks).
    pub fn new(http: reqwest::Client, base_url: &str, limits: Option<ChatworkLimits>) -> Self {
        let oauth_url = crate::config::CHATWORK_OAUTH_URL;
        Self::with_oauth(
            http,
            base_url,
            oauth_url,
            limits,
            Arc::new(NoCredentialStore),
        )
    }

    /// `oauth_url` is the token endpoint's base (`{oauth_url}/token`); `store` receives
    /// each connection's renewed OAuth credentials (`{"oauth": {…}}`).
    pub fn with_oauth(
        http: reqwest::Client,
        api_url: &str,
        oauth_url: &str,
        limits: Option<ChatworkLimits>,
        store: Arc<dyn CredentialStore>,
    ) -> Self {
        Chatwork {
            oauth: OAuthClient::new(http.clone(), oauth_url),
            http,
            base_url: crate::config::base(api_url),
            limits,
            store,
            keeper: Arc::default(),
        }
    }

    /// The token endpoint: code exchange on the OAuth callback.
    pub fn oauth(&self) -> &OAuthClient {
        &self.oauth
    }

    /// Drops the OAuth tokens kept in memory for a connection. Call it when a connection
    /// is unlinked or linked again. Chatwork has no documented revocation endpoint, so
    /// unlinking only deletes the tokens on renkei's side; the admin removes the app in
    /// Chatwork's settings to end the grant itself.
    pub fn forget_oauth_tokens(&self, connection: i64) {
        self.keeper.forget(connection);
    }

    /// A room that answered 429 rests for its window (10 s by default).
    fn room_pause(&self) -> Duration {
        self.limits.unwrap_or_default().room.1
    }

    /// Verifies freshly issued OAuth tokens (`GET /me` with the bearer token) and builds
    /// what the OAuth callback stores: kind `Oauth`, credentials `{"oauth": {…}}`, My Chat
    /// as the default room, the client secret's hint.
    pub async fn connect_oauth(
        &self,
        tokens: TokenSet,
        client_id: &str,
        client_secret: &str,
    ) -> Result<Verified, ConnectError> {
        const POSTING: [&str; 3] = [
            "rooms.all:read_write",
            "rooms.all:write",
            "rooms.messages:write",
        ];
        // An empty scope means Chatwork did not say: let the API calls tell.
        if !tokens.scope.is_empty() && !POSTING.iter().any(|s| tokens.has_scope(s)) {
            return Err(ConnectError::invalid(
                "chatwork_missing_scope",
                format!(
                    "Chatwork granted only `{}`; renkei needs rooms.all:read_write to post. Link again and allow every scope renkei asks for",
                    tokens.scope
                ),
            ));
        }
        let me = self
            .me(Auth::Bearer(&tokens.access_token))
            .await
            .map_err(|e| match e {
                ChatworkError::InvalidToken(_) => ConnectError::invalid(
                    "chatwork_oauth_rejected",
                    "Chatwork refused the access token it just issued. Start linking again",
                ),
                ChatworkError::Http {
                    status: 403,
                    message,
                } => ConnectError::invalid("chatwork_missing_scope", message),
                ChatworkError::Http { status, message } => ConnectError::unavailable(
                    "chatwork_error",
                    format!("Chatwork answered HTTP {status} while verifying the link: {message}"),
                ),
                ChatworkError::Transport(msg) => ConnectError::unavailable(
                    "chatwork_unreachable",
                    format!("could not reach Chatwork to verify the link ({msg}); try again"),
                ),
            })?;
        let stored = OAuthCredentials::new(tokens, client_id, client_secret);
        Ok(Verified {
            kind: ConnectionKind::Oauth,
            credentials: stored.to_credentials(),
            secret_hint: crate::credentials::hint(client_secret),
            account_id: Some(me.account_id.to_string()),
            account_name: Some(me.name),
            default_room: Some(me.room_id.to_string()),
        })
    }
}

impl DeliveryProvider for Chatwork {
    fn provider(&self) -> Provider {
        Provider::Chatwork
    }

    fn connect<'a>(
        &'a self,
        credentials: &'a serde_json::Value,
    ) -> BoxFuture<'a, Result<Verified, ConnectError>> {
        Box::pin(async move {
            if credentials.get("oauth").is_some() {
                return Err(ConnectError::invalid(
                    "invalid_credentials",
                    "Chatwork OAuth connections are made by linking through Chatwork's consent page, not by pasting tokens",
                ));
            }
            let token = crate::credentials::only_string_fields(
                credentials,
                &["api_token"],
                "chatwork connections need `credentials.api_token` (Chatwork → サービス連携 → APIトークン)",
            )?
            .remove("api_token")
            .unwrap_or_default();
            let me = self.me(token.as_str()).await.map_err(|e| match e {
                ChatworkError::InvalidToken(_) => ConnectError::invalid(
                    "chatwork_invalid_token",
                    "Chatwork refused this API token. Copy it again from Chatwork (サービス連携 → APIトークン); it must be the whole token",
                ),
                ChatworkError::Http { status, message } => ConnectError::unavailable(
                    "chatwork_error",
                    format!("Chatwork answered HTTP {status} while verifying the token: {message}"),
                ),
                ChatworkError::Transport(msg) => ConnectError::unavailable(
                    "chatwork_unreachable",
                    format!("could not reach Chatwork to verify the token ({msg}); try again"),
                ),
            })?;
            Ok(Verified {
                kind: ConnectionKind::Token,
                secret_hint: crate::credentials::hint(&token),
                credentials: serde_json::json!({ "api_token": token }),
                account_id: Some(me.account_id.to_string()),
                account_name: Some(me.name),
                default_room: Some(me.room_id.to_string()),
            })
        })
    }

    fn render(&self, notice: &Notice, mentions: &[Mention]) -> String {
        notation::render(notice, mentions)
    }

    fn send<'a>(
        &'a self,
        ctx: SendContext<'a>,
        room: &'a str,
        rendered: &'a str,
    ) -> BoxFuture<'a, SendResult> {
        Box::pin(async move { self.post_message(ctx, room, rendered).await })
    }

    fn limits(&self) -> LaneLimits {
        match self.limits {
            Some(l) => LaneLimits {
                per_credential: Some(l.token),
                per_room: Some(l.room),
            },
            None => LaneLimits {
                per_credential: None,
                per_room: None,
            },
        }
    }

    fn direct_style(&self) -> DirectStyle {
        DirectStyle::LookedUp
    }

    fn direct_rooms<'a>(
        &'a self,
        ctx: SendContext<'a>,
    ) -> BoxFuture<'a, Result<DirectRooms, SendResult>> {
        Box::pin(async move {
            let contacts = self.contacts(ctx).await?;
            Ok(contacts
                .into_iter()
                .map(|c| (c.account_id.to_string(), c.room_id.to_string()))
                .collect())
        })
    }

    fn not_reachable_directly(&self, account: &str) -> SendResult {
        SendResult::local(
            SendOutcome::Refused { code: "chatwork_not_a_contact" },
            format!(
                "Chatwork account {account} is not a contact of the notifying account, so there is no direct chat: \
                 the member must accept the notifying account's contact request in Chatwork \
                 (or an admin approves the member's request under the connection's contact requests)"
            ),
        )
    }
}
