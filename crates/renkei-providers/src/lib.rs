//! renkei's provider clients. Each provider is one module that knows its HTTP API, its
//! credentials, how to render a notice, how to read its errors, and its rate limits. The
//! delivery engine only sees the [`DeliveryProvider`] trait.

pub mod chatwork;
pub mod outcome;

use std::time::Duration;

use futures::future::BoxFuture;
use renkei_core::model::{Mention, Notice};

pub use outcome::{RateInfo, SendOutcome, SendResult};

/// The limits a lane (one credential) must stay within.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LaneLimits {
    /// Requests per window for the whole credential.
    pub per_credential: Option<(u32, Duration)>,
    /// Posts per window into one room.
    pub per_room: Option<(u32, Duration)>,
}

/// What the delivery engine needs from a provider.
pub trait DeliveryProvider: Send + Sync {
    /// The message text (or payload) for this notice.
    fn render(&self, notice: &Notice, mentions: &[Mention]) -> String;

    /// Sends one rendered message into `room` with `credentials` (decrypted JSON).
    fn send<'a>(
        &'a self,
        credentials: &'a serde_json::Value,
        room: &'a str,
        rendered: &'a str,
    ) -> BoxFuture<'a, SendResult>;

    fn limits(&self) -> LaneLimits;

    /// For direct messages: the room of the direct chat with each account the credential can
    /// reach (Chatwork: its contacts). An error is a failed request, classified like a send.
    fn direct_rooms<'a>(
        &'a self,
        credentials: &'a serde_json::Value,
    ) -> BoxFuture<'a, Result<DirectRooms, SendResult>>;

    /// The message for an account that has no direct chat with the credential's account.
    fn not_reachable_directly(&self, account: &str) -> SendResult;
}

/// Account → room of the direct chat with it.
pub type DirectRooms = std::collections::HashMap<String, String>;

/// One HTTP client for all providers: rustls, bounded time per request, no redirects to
/// elsewhere (provider APIs never redirect a POST).
pub fn http_client(timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(64)
        .user_agent(concat!("renkei/", env!("CARGO_PKG_VERSION")))
        .build()
        .expect("reqwest client")
}
