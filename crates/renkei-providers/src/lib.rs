//! renkei's provider clients. Each provider is one module that knows its HTTP API, its
//! credentials, how to render a notice, how to read its errors, and its rate limits. The
//! delivery engine only sees the [`DeliveryProvider`] trait.

pub mod chatwork;
pub mod config;
pub mod credentials;
pub mod google_chat;
pub mod http;
pub mod line;
pub mod line_works;
pub mod outcome;
pub mod registry;
pub mod signatures;
pub mod slack;
pub mod target;
pub mod teams;

use std::time::Duration;

use futures::future::BoxFuture;
use renkei_core::model::{ConnectionKind, Mention, Notice, Provider};

pub use config::ProviderConfig;
pub use http::http_client;
pub(crate) use http::{exchange, transport_error};
pub use outcome::{RateInfo, SendOutcome, SendResult};
pub use registry::Registry;

/// The limits a lane (one credential) must stay within.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LaneLimits {
    /// Requests per window for the whole credential.
    pub per_credential: Option<(u32, Duration)>,
    /// Posts per window into one room.
    pub per_room: Option<(u32, Duration)>,
}

impl LaneLimits {
    /// Windows stretched by `scale` (tests shorten them); `scale <= 0` switches limits off.
    pub fn scaled(self, scale: f64) -> Self {
        if scale <= 0.0 {
            return LaneLimits::default();
        }
        let s = |l: Option<(u32, Duration)>| l.map(|(n, w)| (n, w.mul_f64(scale)));
        LaneLimits {
            per_credential: s(self.per_credential),
            per_room: s(self.per_room),
        }
    }
}

/// What a send needs to know beyond the message.
#[derive(Debug, Clone, Copy)]
pub struct SendContext<'a> {
    pub connection: i64,
    /// The delivery's ID: stable across retries (LINE derives its `X-Line-Retry-Key` from it).
    pub delivery: i64,
    /// Decrypted credentials as stored.
    pub credentials: &'a serde_json::Value,
    /// Related notices share a thread where the tool has threads (Google Chat).
    pub thread_key: Option<&'a str>,
}

/// Credentials that passed the provider's own check, ready to be stored.
#[derive(Clone)]
pub struct Verified {
    pub kind: ConnectionKind,
    /// What to store (encrypted): the pasted fields, cleaned, plus anything issued.
    pub credentials: serde_json::Value,
    /// The last characters of the main secret, to tell connections apart.
    pub secret_hint: String,
    /// The account the credentials post as (a bot or the token owner), when known.
    pub account_id: Option<String>,
    pub account_name: Option<String>,
    /// Where the connection posts when no room is chosen (Chatwork: My Chat; a webhook: its
    /// channel, shown as `webhook`).
    pub default_room: Option<String>,
}

/// Never prints the credentials (they hold tokens and keys).
impl std::fmt::Debug for Verified {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verified")
            .field("kind", &self.kind)
            .field("credentials", &"<redacted>")
            .field("secret_hint", &self.secret_hint)
            .field("account_id", &self.account_id)
            .field("account_name", &self.account_name)
            .field("default_room", &self.default_room)
            .finish()
    }
}

/// Why credentials were not accepted: `status` is 422 when they are wrong, 502 when the
/// provider could not be asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectError {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
}

impl ConnectError {
    pub fn invalid(code: &'static str, message: impl Into<String>) -> Self {
        ConnectError {
            status: 422,
            code,
            message: message.into(),
        }
    }
    pub fn unavailable(code: &'static str, message: impl Into<String>) -> Self {
        ConnectError {
            status: 502,
            code,
            message: message.into(),
        }
    }
}

/// Where a direct message to a person goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DirectStyle {
    /// Not possible with this provider (webhooks).
    Unsupported,
    /// The direct chat must be looked up ([`DeliveryProvider::direct_rooms`], Chatwork).
    LookedUp,
    /// The person's ID is the destination ([`DeliveryProvider::direct_destination`]).
    ByAccount,
}

/// Persists credentials a provider renewed while sending (a rotated refresh token), so the
/// next node that takes the lane starts from them.
pub trait CredentialStore: Send + Sync {
    /// Merges the top-level fields of `fields` into the connection's stored credentials
    /// (fields not named are kept: a webhook secret set meanwhile survives a token refresh).
    fn save<'a>(
        &'a self,
        connection: i64,
        fields: &'a serde_json::Value,
    ) -> BoxFuture<'a, Result<(), String>>;

    /// The connection's credentials as stored now (another node may have renewed them
    /// since this one read them). `None` when gone or unknown.
    fn load(&self, _connection: i64) -> BoxFuture<'_, Option<serde_json::Value>> {
        Box::pin(async { None })
    }
}

/// What the delivery engine needs from a provider.
pub trait DeliveryProvider: Send + Sync {
    fn provider(&self) -> Provider;

    /// Checks the pasted credentials' shape, then verifies them against the provider.
    fn connect<'a>(
        &'a self,
        credentials: &'a serde_json::Value,
    ) -> BoxFuture<'a, Result<Verified, ConnectError>>;

    /// The message text or JSON payload for this notice.
    fn render(&self, notice: &Notice, mentions: &[Mention]) -> String;

    /// Sends one rendered message into `room` (for a webhook: its `default_room`).
    fn send<'a>(
        &'a self,
        ctx: SendContext<'a>,
        room: &'a str,
        rendered: &'a str,
    ) -> BoxFuture<'a, SendResult>;

    fn limits(&self) -> LaneLimits;

    /// How this provider messages one person.
    fn direct_style(&self) -> DirectStyle {
        DirectStyle::Unsupported
    }

    /// For [`DirectStyle::ByAccount`]: the destination that reaches `account` directly.
    fn direct_destination(&self, account: &str) -> String {
        account.to_string()
    }

    /// For [`DirectStyle::LookedUp`]: the room of the direct chat with each account the
    /// credential can reach (Chatwork: its contacts). An error is classified like a send.
    fn direct_rooms<'a>(
        &'a self,
        _ctx: SendContext<'a>,
    ) -> BoxFuture<'a, Result<DirectRooms, SendResult>> {
        Box::pin(async { Ok(DirectRooms::new()) })
    }

    /// The message for an account that has no direct chat with the credential's account.
    fn not_reachable_directly(&self, account: &str) -> SendResult {
        SendResult::local(
            SendOutcome::Refused {
                code: "direct_not_supported",
            },
            format!(
                "{} cannot message {account} directly through this connection",
                self.provider().display_name()
            ),
        )
    }
}

/// Account → room of the direct chat with it.
pub type DirectRooms = std::collections::HashMap<String, String>;
