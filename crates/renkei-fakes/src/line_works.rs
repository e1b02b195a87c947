//! A faithful fake of LINE WORKS API 2.0: the auth server (`/oauth2/v2.0/token`) and the
//! API (`/v1.0/...`) on one port, for tests, benchmarks and demos.
//!
//! # What it does like LINE WORKS
//! - Service-account tokens: `POST /oauth2/v2.0/token` (form) with `grant_type=
//!   urn:ietf:params:oauth:grant-type:jwt-bearer`, `assertion`, `client_id`,
//!   `client_secret`, `scope`. The assertion must be an RS256 JWT (`typ` JWT) signed with
//!   the app's key, `iss` = Client ID, `sub` = the app's Service Account, with `iat`, and an
//!   `exp` in the future at most 60 minutes after `iat`. The answer has `access_token`,
//!   `refresh_token`, `token_type` `Bearer`, `expires_in` and `scope`. `grant_type=
//!   refresh_token` works too. Tokens live [`FakeLineWorksConfig::token_lifetime`] (24 h).
//! - API errors are `{"code","description"}`. A missing or unknown bearer token gets **401
//!   `UNAUTHORIZED`** with `WWW-Authenticate: Bearer …`; an expired one 403 `UNAUTHORIZED`
//!   (LINE WORKS' answer for an expired token); a token without the endpoint's scope gets
//!   403 `FORBIDDEN`. A `POST`/`PUT` body must be `application/json` (a charset is fine).
//! - `GET /bots/{botId}`, `POST /bots/{botId}/users/{userId}/messages`, `POST /bots/{botId}/
//!   channels/{channelId}/messages` (201, empty body; text ≤ 2000 characters). A bot that is
//!   not in the channel gets 403 `ACCESS_DENIED`; unknown bots, users, channels 404.
//! - Default calendar: `POST /users/{userId}/calendar/events` (the client may choose
//!   `eventId`), `GET|PUT|DELETE /users/{userId}/calendar/events/{eventId}`, scope
//!   `calendar`. Bodies are checked: `summary` (≤ 200), `description` (≤ 5000), `start`/
//!   `end` each `{"date"}` or `{"dateTime","timeZone"}`, `transparency`, `visibility`,
//!   one `eventId` for all components. Errors are 400 `INVALID_PARAMETER`.
//! - Rate limit: 240 requests per minute per API operation (method + route template, e.g.
//!   `POST /bots/{botId}/channels/{channelId}/messages`), for the whole domain, as a fixed
//!   window. Answers carry `rateLimit-limit`, `rateLimit-remaining` and `rateLimit-reset`
//!   (seconds until the window resets, as LINE WORKS documents it); over the limit: 429
//!   `{"code":"TOO_MANY_REQUESTS","description":"API rate limit exceeded"}`.
//!
//! # Choices where LINE WORKS is undocumented
//! - Token errors use OAuth 2.0's shape and statuses: unknown client or wrong secret → 401
//!   `invalid_client`; a bad assertion (signature, `iss`, `sub`, times) or unknown refresh
//!   token → 400 `invalid_grant`; a scope the app lacks ([`FakeLineWorks::set_app_scopes`])
//!   → 400 `invalid_scope`; other grant types → 400 `unsupported_grant_type`; a body that
//!   is not a form, or missing fields → 400 `invalid_request`.
//! - `expires_in` is answered as a string (`"86400"`), as LINE WORKS has been seen to do;
//!   [`FakeLineWorksConfig::expires_in_as_string`] switches to a number.
//! - Another `Content-Type` on a `POST`/`PUT` gets 415 `UNSUPPORTED_MEDIA_TYPE` (LINE WORKS
//!   documents only that the body is JSON).
//! - Order of checks: route (404 `NOT_FOUND`) → token (401/403) → rate window (429) →
//!   injected fault → scope (403) → content type (415) → bot/user/channel (404) →
//!   membership (403) → body (400).
//!   Every request that passes the token check counts toward its operation's window
//!   (whatever it answers); refused ones do not. The token endpoint is not rate limited.
//! - Calendar: creating an `eventId` that exists → 409 `CONFLICT`; `PUT` or `DELETE` of an
//!   unknown event → 404 `NOT_FOUND`; `PUT` needs `eventId` in the body equal to the path;
//!   a calendar call for an unknown user → 404. All-day `end.date` is read as exclusive
//!   (iCalendar), so it must be after `start.date`; timed events in one time zone must end
//!   after they start. `end` may be left out, as the reference allows.
//! - The request log masks `Authorization` and, in token requests, `client_secret`,
//!   `assertion` and `refresh_token` (last 4 characters kept). [`FakeLineWorks::assertions`]
//!   keeps the assertions whole for tests that decode them (in process only).
//! - [`FakeLineWorks::set_delay`]: the request is fully handled before the delay, like a
//!   response lost on the way back.
//!
//! # Inspection routes (no auth, not recorded, not delayed)
//! `GET /_fake/requests`, `GET /_fake/messages?user_id=|channel_id=`,
//! `GET /_fake/events?user_id=`, `POST /_fake/fail {"count":N,"status":500,
//! "path_contains"?:"..."}`, `POST /_fake/delay {"ms":N}`, `POST /_fake/limits
//! {"enabled":bool}`, `POST /_fake/expire_tokens`.
//!
//! # The demo world ([`FakeLineWorks::with_demo_world`])
//! | what | value |
//! |---|---|
//! | Client ID / Client Secret | `demo-lw-client` / `demo-lw-secret` |
//! | Service Account | `demo.serviceaccount@renkei-demo` |
//! | private key | [`crate::keys::TEST_PRIVATE_KEY_PEM`] (public: `TEST_PUBLIC_KEY_PEM`) |
//! | bot | `2000001` "renkei 通知" |
//! | users | `yamada@renkei-demo`, `sato@renkei-demo` |
//! | channels | `demo-channel-somu` (bot in it), `demo-channel-nobot` (bot not in it) |

mod api;
mod auth;
mod calendar;
mod inspect;
mod world;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use serde_json::Value;

use crate::common::{self, Faults, FixedWindows, Journal, Recorded, Running};
use world::{App, World, ALL_SCOPES};
pub use world::{Destination, PostedMessage};

pub const DEMO_CLIENT_ID: &str = "demo-lw-client";
pub const DEMO_CLIENT_SECRET: &str = "demo-lw-secret";
pub const DEMO_SERVICE_ACCOUNT: &str = "demo.serviceaccount@renkei-demo";
pub const DEMO_BOT_ID: i64 = 2_000_001;
pub const DEMO_USERS: [&str; 2] = ["yamada@renkei-demo", "sato@renkei-demo"];
pub const DEMO_CHANNEL: &str = "demo-channel-somu";
pub const DEMO_CHANNEL_WITHOUT_BOT: &str = "demo-channel-nobot";

/// Limits of the fake; defaults are LINE WORKS'.
#[derive(Clone, Debug)]
pub struct FakeLineWorksConfig {
    /// Requests per window per API operation (Standard/Advanced plans: 240).
    pub operation_limit: u32,
    /// Length of the fixed window (1 minute).
    pub window: Duration,
    /// Life of an issued access token (service accounts: 24 h).
    pub token_lifetime: Duration,
    /// Longest `exp - iat` an assertion may have (60 minutes).
    pub max_assertion_lifetime: Duration,
    pub expires_in_as_string: bool,
    /// `false` never answers 429 and sends no `rateLimit-*` headers.
    pub limits_enabled: bool,
}

impl Default for FakeLineWorksConfig {
    fn default() -> Self {
        FakeLineWorksConfig {
            operation_limit: 240,
            window: Duration::from_secs(60),
            token_lifetime: Duration::from_secs(86_400),
            max_assertion_lifetime: Duration::from_secs(3600),
            expires_in_as_string: true,
            limits_enabled: true,
        }
    }
}

impl FakeLineWorksConfig {
    /// Multiplies the rate window by `factor` (0.01 → 600 ms). Token lifetimes are set
    /// with [`FakeLineWorks::set_token_lifetime`] instead, in whole seconds.
    pub fn scaled(mut self, factor: f64) -> Self {
        self.window = self.window.mul_f64(factor);
        self
    }
}

pub(crate) struct Shared {
    config: FakeLineWorksConfig,
    limits_enabled: AtomicBool,
    token_lifetime: Mutex<Duration>,
    world: Mutex<World>,
    windows: FixedWindows,
    journal: Journal,
    faults: Faults,
    assertions: Mutex<Vec<String>>,
}

/// The fake LINE WORKS service. Cheap to clone: all clones share one state.
#[derive(Clone)]
pub struct FakeLineWorks {
    shared: Arc<Shared>,
}

/// A fake served on a local port.
pub struct RunningFakeLineWorks {
    pub fake: FakeLineWorks,
    pub server: Running,
}

impl RunningFakeLineWorks {
    /// `http://127.0.0.1:PORT/oauth2/v2.0` (renkei's `lineworks_auth_url`).
    pub fn auth_url(&self) -> String {
        format!("{}/oauth2/v2.0", self.server.url())
    }

    /// `http://127.0.0.1:PORT/v1.0` (renkei's `lineworks_api_url`).
    pub fn api_url(&self) -> String {
        format!("{}/v1.0", self.server.url())
    }

    pub fn stop(&self) {
        self.server.stop();
    }
}

impl FakeLineWorks {
    pub fn new(config: FakeLineWorksConfig) -> Self {
        let shared = Shared {
            limits_enabled: AtomicBool::new(config.limits_enabled),
            token_lifetime: Mutex::new(config.token_lifetime),
            windows: FixedWindows::new(config.operation_limit, config.window),
            config,
            world: Mutex::new(World::default()),
            journal: Journal::default(),
            faults: Faults::default(),
            assertions: Mutex::new(Vec::new()),
        };
        FakeLineWorks {
            shared: Arc::new(shared),
        }
    }

    /// A small ready-made world (see the module docs).
    pub fn with_demo_world(config: FakeLineWorksConfig) -> Self {
        let fake = Self::new(config);
        fake.add_app(
            DEMO_CLIENT_ID,
            DEMO_CLIENT_SECRET,
            DEMO_SERVICE_ACCOUNT,
            crate::keys::TEST_PUBLIC_KEY_PEM,
        );
        fake.add_bot(DEMO_BOT_ID, "renkei 通知");
        for u in DEMO_USERS {
            fake.add_user(u);
        }
        fake.add_channel(DEMO_CHANNEL, &[DEMO_BOT_ID]);
        fake.add_channel(DEMO_CHANNEL_WITHOUT_BOT, &[]);
        fake
    }

    /// The token endpoint, the API, and the `/_fake/*` routes.
    pub fn router(&self) -> axum::Router {
        inspect::routes()
            .fallback(api::handle)
            .with_state(self.clone())
    }

    /// Serves this fake on `127.0.0.1:0`.
    pub async fn start(&self) -> std::io::Result<RunningFakeLineWorks> {
        self.start_on(common::local_any_port()).await
    }

    /// Serves this fake on a chosen address (demos that need a fixed port).
    pub async fn start_on(&self, addr: SocketAddr) -> std::io::Result<RunningFakeLineWorks> {
        let server = common::serve(self.router(), addr).await?;
        Ok(RunningFakeLineWorks {
            fake: self.clone(),
            server,
        })
    }

    // ---- world building ----

    /// Registers an API 2.0 app whose service account signs with the key whose public half
    /// is `public_key_pem`. It may use every scope until [`Self::set_app_scopes`].
    ///
    /// # Panics
    /// If `public_key_pem` is not an RSA public key: a broken test setup should fail loudly.
    pub fn add_app(
        &self,
        client_id: &str,
        client_secret: &str,
        service_account: &str,
        public_key_pem: &str,
    ) {
        let key = jsonwebtoken::DecodingKey::from_rsa_pem(public_key_pem.as_bytes())
            .unwrap_or_else(|e| panic!("not an RSA public key: {e}"));
        let app = App {
            secret: client_secret.to_string(),
            service_account: service_account.to_string(),
            key,
            scopes: ALL_SCOPES.iter().map(|s| s.to_string()).collect(),
        };
        self.shared
            .world
            .lock()
            .apps
            .insert(client_id.to_string(), app);
    }

    /// Limits the scopes the app may ask for (as configured in the Developer Console).
    /// Tokens already issued to it lose the scopes taken away, so their next call to an
    /// endpoint that needs one answers 403 `FORBIDDEN`.
    pub fn set_app_scopes(&self, client_id: &str, scopes: &[&str]) {
        let allowed: Vec<String> = scopes.iter().map(|s| s.to_string()).collect();
        let mut world = self.shared.world.lock();
        if let Some(app) = world.apps.get_mut(client_id) {
            app.scopes.clone_from(&allowed);
        }
        for t in world.tokens.values_mut() {
            if t.client_id == client_id {
                t.scopes.retain(|s| allowed.contains(s));
            }
        }
    }

    pub fn add_bot(&self, bot_id: i64, name: &str) {
        self.shared
            .world
            .lock()
            .bots
            .insert(bot_id, name.to_string());
    }

    /// A member of the domain (by user ID or login email, as the caller addresses them).
    pub fn add_user(&self, user_id: &str) {
        self.shared.world.lock().users.insert(user_id.to_string());
    }

    /// Creates or replaces a channel (talk room) with these bots in it.
    pub fn add_channel(&self, channel_id: &str, bots: &[i64]) {
        let members = bots.iter().copied().collect();
        self.shared
            .world
            .lock()
            .channels
            .insert(channel_id.to_string(), members);
    }

    pub fn add_bot_to_channel(&self, channel_id: &str, bot_id: i64) {
        if let Some(c) = self.shared.world.lock().channels.get_mut(channel_id) {
            c.insert(bot_id);
        }
    }

    pub fn remove_bot_from_channel(&self, channel_id: &str, bot_id: i64) {
        if let Some(c) = self.shared.world.lock().channels.get_mut(channel_id) {
            c.remove(&bot_id);
        }
    }

    // ---- tokens ----

    /// Life of tokens issued from now on.
    pub fn set_token_lifetime(&self, life: Duration) {
        *self.shared.token_lifetime.lock() = life;
    }

    /// Every token issued so far is forgotten, as if revoked (their holders get 401 with
    /// `WWW-Authenticate`).
    pub fn revoke_tokens(&self) {
        self.shared.world.lock().tokens.clear();
    }

    /// Every token issued so far expires now (their holders get 403 `UNAUTHORIZED`).
    pub fn expire_tokens(&self) {
        let now = Instant::now();
        for t in self.shared.world.lock().tokens.values_mut() {
            t.expires_at = now;
        }
    }

    /// Access tokens issued so far.
    pub fn tokens_issued(&self) -> usize {
        self.shared.world.lock().tokens_issued
    }

    /// Every JWT assertion received, whole, oldest first (in process only).
    pub fn assertions(&self) -> Vec<String> {
        self.shared.assertions.lock().clone()
    }

    // ---- faults ----

    /// The next `count` requests (token or API) whose path contains `path_contains` (any,
    /// if `None`) answer `status` in the API's error shape.
    pub fn fail_next(&self, path_contains: Option<&str>, count: usize, status: u16) {
        self.shared.faults.fail_next(path_contains, count, status);
    }

    pub fn clear_faults(&self) {
        self.shared.faults.clear();
    }

    /// Every answer waits this long (after the request was handled).
    pub fn set_delay(&self, delay: Duration) {
        self.shared.faults.set_delay(delay);
    }

    pub fn set_limits_enabled(&self, on: bool) {
        self.shared.limits_enabled.store(on, Ordering::Relaxed);
    }

    fn limits_enabled(&self) -> bool {
        self.shared.limits_enabled.load(Ordering::Relaxed)
    }

    // ---- inspection ----

    /// Every request so far, in the order answered (secrets masked).
    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.journal.all()
    }

    pub fn count_status(&self, status: u16) -> usize {
        self.shared.journal.count_status(status)
    }

    /// Every message posted, oldest first.
    pub fn messages(&self) -> Vec<PostedMessage> {
        self.shared.world.lock().messages.clone()
    }

    pub fn messages_to_user(&self, user_id: &str) -> Vec<PostedMessage> {
        let to = Destination::User(user_id.to_string());
        self.messages().into_iter().filter(|m| m.to == to).collect()
    }

    pub fn messages_in_channel(&self, channel_id: &str) -> Vec<PostedMessage> {
        let to = Destination::Channel(channel_id.to_string());
        self.messages().into_iter().filter(|m| m.to == to).collect()
    }

    /// The events in `user_id`'s default calendar (event components as stored), by event ID.
    pub fn events_of(&self, user_id: &str) -> Vec<Value> {
        let world = self.shared.world.lock();
        world
            .events
            .get(user_id)
            .map(|e| e.values().cloned().collect())
            .unwrap_or_default()
    }
}
