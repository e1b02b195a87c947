//! LINE WORKS API 2.0: a bot posts into channels and to users, and absences are written
//! into members' default calendars.
//!
//! - Auth: a service account's RS256 JWT is exchanged for an access token (`scope` `bot`
//!   for messages, `calendar` for the calendar, each its own token). Tokens are cached in
//!   memory per connection and renewed shortly before they expire; a token LINE WORKS
//!   refuses anyway (403 `UNAUTHORIZED`, 401) is renewed and the request repeated once.
//! - Rooms `send` understands: `user:<userId>` (a direct message), `calendar:<userId>` (a
//!   [`CalendarOp`] rendered by [`render_calendar_op`]), anything else is a channel ID.
//! - Limits: 240 requests per minute per API operation, counted for the whole domain; the
//!   lane keeps one window of 240/min for the connection (the safe reading).

mod calendar;
mod classify;
mod client;
mod connect;
mod credentials;
mod render;
mod token;

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use renkei_core::model::{ConnectionKind, Mention, Notice, Provider};

use crate::config::ProviderConfig;
use crate::{
    ConnectError, CredentialStore, DeliveryProvider, DirectStyle, LaneLimits, SendContext,
    SendOutcome, SendResult, Verified,
};

pub use calendar::{
    all_day_end, event_body, event_id_for, parse_calendar_op, render_calendar_op, Absence,
    AbsenceTime, CalendarOp, DEFAULT_TIME_ZONE,
};
pub use classify::{reset_unix, ApiError};
pub use connect::Bot;
pub use credentials::{normalize_private_key, Credentials, API1_FIELDS, API1_MIGRATION_HELP};
pub use render::{mention, text as render_text, MAX_MENTIONS, MAX_TEXT_CHARS};
pub use token::{assertion, BOT_SCOPE, CALENDAR_SCOPE, JWT_BEARER_GRANT};

use classify::Target;

/// Room prefix of a direct message.
pub const USER_ROOM_PREFIX: &str = "user:";
/// Room prefix of a calendar operation.
pub const CALENDAR_ROOM_PREFIX: &str = "calendar:";
/// Requests per window per API operation (Standard and Advanced plans).
pub const REQUESTS_PER_WINDOW: u32 = 240;
pub const RATE_WINDOW: Duration = Duration::from_secs(60);

/// The room that writes `user_id`'s default calendar.
pub fn calendar_room(user_id: &str) -> String {
    format!("{CALENDAR_ROOM_PREFIX}{user_id}")
}

fn target(room: &str) -> Option<Target<'_>> {
    let non_empty = |s: &'_ str| !s.trim().is_empty();
    if let Some(u) = room.strip_prefix(USER_ROOM_PREFIX) {
        return non_empty(u).then_some(Target::User(u));
    }
    if let Some(u) = room.strip_prefix(CALENDAR_ROOM_PREFIX) {
        return non_empty(u).then_some(Target::Calendar(u));
    }
    non_empty(room).then_some(Target::Channel(room))
}

/// The LINE WORKS provider. Cheap to clone; clones share the token cache.
#[derive(Clone)]
pub struct LineWorks {
    http: reqwest::Client,
    token_url: String,
    api_url: Result<reqwest::Url, String>,
    limits: LaneLimits,
    tokens: Arc<token::TokenCache>,
}

impl LineWorks {
    /// `credentials` is accepted like every token-renewing provider's, but LINE WORKS
    /// renews from the stored private key, so nothing needs saving.
    pub fn new(
        http: reqwest::Client,
        config: &ProviderConfig,
        credentials: Arc<dyn CredentialStore>,
    ) -> Self {
        let _ = credentials;
        let api = crate::config::base(&config.lineworks_api_url);
        let api_url = reqwest::Url::parse(&api)
            .map_err(|e| format!("the LINE WORKS API URL is not a URL ({e})"));
        let limits = LaneLimits {
            per_credential: Some((REQUESTS_PER_WINDOW, RATE_WINDOW)),
            per_room: None,
        };
        LineWorks {
            http,
            token_url: format!("{}/token", crate::config::base(&config.lineworks_auth_url)),
            api_url,
            limits: limits.scaled(config.rate_window_scale),
            tokens: Arc::default(),
        }
    }
}

impl DeliveryProvider for LineWorks {
    fn provider(&self) -> Provider {
        Provider::LineWorks
    }

    fn connect<'a>(
        &'a self,
        credentials: &'a serde_json::Value,
    ) -> BoxFuture<'a, Result<Verified, ConnectError>> {
        Box::pin(async move {
            let creds = Credentials::from_pasted(credentials)?;
            let bot = self.verify(&creds).await?;
            Ok(Verified {
                kind: ConnectionKind::Bot,
                credentials: creds.to_stored(),
                secret_hint: crate::credentials::hint(&creds.client_secret),
                account_id: Some(creds.bot_id.clone()),
                account_name: Some(bot.bot_name),
                default_room: None,
            })
        })
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
            let creds = match Credentials::from_stored(ctx.credentials) {
                Ok(c) => c,
                Err(e) => return SendResult::local(SendOutcome::CredentialRejected, e),
            };
            match target(room) {
                Some(Target::Calendar(user)) => {
                    self.calendar(ctx.connection, &creds, user, rendered).await
                }
                Some(t) => self.post_message(ctx.connection, &creds, t, rendered).await,
                None => SendResult::local(
                    SendOutcome::Permanent,
                    format!("`{room}` is not a LINE WORKS destination (a channel ID, user:<userId> or calendar:<userId>)"),
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

    fn direct_destination(&self, account: &str) -> String {
        format!("{USER_ROOM_PREFIX}{account}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rooms_name_users_calendars_and_channels() {
        assert_eq!(target("user:u1"), Some(Target::User("u1")));
        assert_eq!(target("calendar:u1"), Some(Target::Calendar("u1")));
        assert_eq!(target("ch-1"), Some(Target::Channel("ch-1")));
        assert_eq!(target("user:"), None);
        assert_eq!(target(" "), None);
        assert_eq!(calendar_room("u1"), "calendar:u1");
    }

    #[test]
    fn limits_are_one_window_per_connection_and_scale() {
        let config = ProviderConfig {
            rate_window_scale: 0.01,
            ..ProviderConfig::default()
        };
        let lw = LineWorks::new(
            http(),
            &config,
            Arc::new(crate::registry::NoCredentialStore),
        );
        assert_eq!(
            lw.limits().per_credential,
            Some((240, Duration::from_millis(600)))
        );
        assert_eq!(lw.limits().per_room, None);
        assert_eq!(lw.direct_destination("u9"), "user:u9");
        assert_eq!(lw.direct_style(), DirectStyle::ByAccount);
    }

    fn http() -> reqwest::Client {
        crate::http_client(Duration::from_secs(5))
    }
}
