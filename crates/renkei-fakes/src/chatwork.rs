//! A faithful fake of the Chatwork API v2 (`/v2/...`), for tests, benchmarks and demos,
//! with Chatwork's OAuth2 consent page and token endpoint on the same server (see
//! [`oauth`] for that part).
//!
//! # What it does like Chatwork
//! - Auth by the `X-ChatWorkToken` header (or an OAuth `Authorization: Bearer` token, see
//!   [`oauth`]): missing, unknown or revoked API tokens (and a token in the query string)
//!   get 401 `{"errors":["Invalid API token"]}`.
//! - `GET /me`, `GET /rooms` (capped at 100), `GET /contacts` (204 with an empty body when
//!   there are none), `GET /rooms/{id}/members`, `POST /rooms/{id}/messages`, in the RAML
//!   spec's shapes. Message ids are strings above 2^53.
//! - Incoming contact requests: `GET /incoming_requests` (the token owner's pending
//!   requests, capped at 100, 204 with an empty body when none), `PUT
//!   /incoming_requests/{id}` (approve: the two become contacts and the answer is the
//!   requester with their direct room's `room_id`), `DELETE /incoming_requests/{id}`
//!   (reject: 204, the request is gone). Same auth, token limit, faults and log as the
//!   rest.
//! - POST bodies must be `application/x-www-form-urlencoded`; query parameters on POST are
//!   ignored (`POST .../messages?body=x` → 400 `Parameter 'body' is required`).
//! - Rate limits: per token a fixed window (300 requests / 5 min by default) reported in
//!   `X-RateLimit-Limit|Remaining|Reset`; per room a sliding window on message posts
//!   (10 / 10 s) whose 429 says `Rate limit for message posting per room exceeded.` while
//!   the token headers still show `Remaining` above 0.
//!
//! # Choices where Chatwork is undocumented
//! - Order of checks: route (404 `Not Found`) → token (401) → token limit (429) →
//!   injected fault → room exists (404) → membership (403) → role (403 if readonly) →
//!   parameters (400) → room limit (429). For contact requests: … → injected fault →
//!   request pending and addressed to the caller (404).
//! - A request that passes the token check counts toward the token window whatever it
//!   answers afterwards (a fault, 403, 400, or the room limit); one refused by the token
//!   limit is not counted. Only accepted posts count toward the room window, so a client
//!   that keeps retrying still recovers.
//! - With limits disabled there is no bookkeeping and no `X-RateLimit-*` header at all.
//! - [`FakeChatwork::set_delay`]: the request is fully handled (and a message stored)
//!   *before* the delay, like a response lost on the way back: a client that times out
//!   and retries posts twice, as it could with the real service.
//! - Unknown routes (and endpoints the fake does not implement) answer 404
//!   `{"errors":["Not Found"]}` without checking the token.
//! - A contact request that does not exist, was already answered, or is addressed to
//!   someone else answers 404 `{"errors":["Incoming request not found"]}` (after the
//!   token, limit and fault checks). Request ids start at 800,000,001, apart from test
//!   account ids and generated room ids (900,000,001 up). There is one pending request
//!   per (from, to) pair; becoming contacts by any means settles the pair's requests.
//! - Contacts are mutual. [`FakeChatwork::remove_contact`] ends the contact for both;
//!   their direct room stays (its id answers 403, not 404) but **both leave it**: it is
//!   gone from both `GET /rooms`, and posting or listing members there answers 403 like
//!   any non-member's request. Becoming contacts again restores the same direct room.
//!
//! # Inspection routes (no auth, not recorded, not delayed)
//! `GET /_fake/requests`, `GET /_fake/messages?room_id=`, `GET /_fake/stats`,
//! `POST /_fake/fail {"count":N,"status":500,"path_contains"?:"..."}`,
//! `POST /_fake/limits {"enabled":bool}`, `POST /_fake/delay {"ms":N}`, and the OAuth
//! controls `POST /_fake/oauth/{clients,consent,revoke,expire}` (see [`oauth`]).
//!
//! # The demo world ([`FakeChatwork::with_demo_world`])
//! | what | id | details |
//! |---|---|---|
//! | token `demo-token-0001` | account 1001 | "renkei 通知", has a My Chat (id returned by `/me`) |
//! | person | 2001 | "山田太郎", no token |
//! | group room | 5001 | "総務": 1001 admin, 2001 member |
//! | group room | 5002 | "開発部": 1001 admin, 2001 member |
//! | contact | 1001 ↔ 2001 | a direct room, listed by `GET /contacts` |
//! | OAuth client `demo-oauth-client` | secret `demo-oauth-secret` | confidential, redirect URI [`DEMO_OAUTH_REDIRECT_URI`]; consent approves as account 1001 |

mod access;
mod api;
mod inspect;
mod journal;
mod limits;
pub mod oauth;
mod reply;
mod world;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use parking_lot::{Mutex, RwLock};
use std::collections::HashMap;
use tokio::task::JoinHandle;

pub use journal::{PostedMessage, RecordedRequest};
pub use oauth::{Consent, IssuedTokens, TokenRequest};

use journal::{FaultTarget, Faults, Journal, MessageStore};
use limits::{RoomWindows, TokenWindow};
use oauth::grants::OAuthState;
use world::{Role, RoomKind, World};

/// Where the demo OAuth client sends the admin back (register another client with
/// [`FakeChatwork::register_oauth_client`] or `POST /_fake/oauth/clients` for other URLs).
pub const DEMO_OAUTH_REDIRECT_URI: &str = "http://127.0.0.1:8080/oauth/chatwork/callback";

/// Limits of the fake; defaults are Chatwork's.
#[derive(Clone, Debug)]
pub struct FakeChatworkConfig {
    /// Requests per token window (Chatwork: 300).
    pub token_limit: u32,
    /// Length of the per-token fixed window (Chatwork: 5 minutes).
    pub token_window: Duration,
    /// Message posts per room window (Chatwork: 10).
    pub room_limit: u32,
    /// Length of the per-room sliding window (Chatwork: 10 s).
    pub room_window: Duration,
    /// `false` never answers 429 and sends no rate-limit headers (benchmarks).
    pub limits_enabled: bool,
    /// How long an OAuth authorization code can be exchanged (Chatwork: 1 minute).
    pub oauth_code_lifetime: Duration,
    /// How long a refresh token lasts without `offline_access` (Chatwork: 14 days).
    pub oauth_refresh_lifetime: Duration,
}

impl Default for FakeChatworkConfig {
    fn default() -> Self {
        FakeChatworkConfig {
            token_limit: 300,
            token_window: Duration::from_secs(300),
            room_limit: 10,
            room_window: Duration::from_secs(10),
            limits_enabled: true,
            oauth_code_lifetime: Duration::from_secs(60),
            oauth_refresh_lifetime: Duration::from_secs(14 * 24 * 3600),
        }
    }
}

impl FakeChatworkConfig {
    /// Multiplies both windows and the OAuth code and refresh-token lifetimes by `factor`
    /// (e.g. 0.01 → 3 s and 100 ms windows, 0.6 s codes), so tests can see them end
    /// without waiting minutes. Limits are unchanged.
    pub fn scaled(mut self, factor: f64) -> Self {
        self.token_window = self.token_window.mul_f64(factor);
        self.room_window = self.room_window.mul_f64(factor);
        self.oauth_code_lifetime = self.oauth_code_lifetime.mul_f64(factor);
        self.oauth_refresh_lifetime = self.oauth_refresh_lifetime.mul_f64(factor);
        self
    }
}

/// A token's owner and its rate window, kept together so auth and the token limit take
/// one lock.
struct TokenState {
    account_id: i64,
    window: Option<TokenWindow>,
}

struct Shared {
    config: FakeChatworkConfig,
    limits_enabled: AtomicBool,
    delay_us: AtomicU64,
    tokens: Mutex<HashMap<String, TokenState>>,
    world: RwLock<World>,
    room_windows: Mutex<RoomWindows>,
    messages: Mutex<MessageStore>,
    journal: Journal,
    faults: Faults,
    oauth: Mutex<OAuthState>,
}

/// The fake Chatwork service. Cheap to clone: all clones share one state.
#[derive(Clone)]
pub struct FakeChatwork {
    shared: Arc<Shared>,
}

/// A fake served on a local port by [`FakeChatwork::spawn`].
pub struct RunningFakeChatwork {
    pub fake: FakeChatwork,
    pub addr: SocketAddr,
    handle: JoinHandle<()>,
}

impl RunningFakeChatwork {
    /// `http://127.0.0.1:PORT/v2`, the value for renkei's Chatwork base URL.
    pub fn base_url(&self) -> String {
        format!("http://{}/v2", self.addr)
    }

    /// `http://127.0.0.1:PORT/oauth`, the value for renkei's Chatwork OAuth URL (the
    /// token endpoint is `{oauth_url}/token`).
    pub fn oauth_url(&self) -> String {
        format!("http://{}/oauth", self.addr)
    }

    /// `http://127.0.0.1:PORT/packages/oauth2/login.php`, the consent page.
    pub fn login_url(&self) -> String {
        format!("http://{}/packages/oauth2/login.php", self.addr)
    }

    /// Stops serving. Dropping this value does not stop the server (it lives as long as
    /// the runtime), so moving `fake` out of it is safe.
    pub fn stop(&self) {
        self.handle.abort();
    }
}

impl FakeChatwork {
    pub fn new(config: FakeChatworkConfig) -> Self {
        let shared = Shared {
            limits_enabled: AtomicBool::new(config.limits_enabled),
            config,
            delay_us: AtomicU64::new(0),
            tokens: Mutex::new(HashMap::new()),
            world: RwLock::new(World::default()),
            room_windows: Mutex::new(RoomWindows::default()),
            messages: Mutex::new(MessageStore::default()),
            journal: Journal::default(),
            faults: Faults::default(),
            oauth: Mutex::new(OAuthState::default()),
        };
        FakeChatwork {
            shared: Arc::new(shared),
        }
    }

    /// A small ready-made world (see the module docs): token `demo-token-0001`.
    pub fn with_demo_world(config: FakeChatworkConfig) -> Self {
        let fake = Self::new(config);
        fake.add_account("demo-token-0001", 1001, "renkei 通知");
        fake.add_person(2001, "山田太郎");
        let members = [(1001, "admin"), (2001, "member")];
        fake.add_room(5001, "総務", &members);
        fake.add_room(5002, "開発部", &members);
        fake.add_contact(1001, 2001);
        fake.register_oauth_client(
            "demo-oauth-client",
            "demo-oauth-secret",
            DEMO_OAUTH_REDIRECT_URI,
            true,
        );
        fake.set_oauth_consent(Consent::Approve { account_id: 1001 });
        fake
    }

    /// All API routes under `/v2`, the OAuth consent page and token endpoint, plus the
    /// `/_fake/*` inspection routes.
    pub fn router(&self) -> axum::Router {
        inspect::routes()
            .merge(oauth::routes())
            .fallback(api::handle)
            .with_state(self.clone())
    }

    /// Serves a new fake on `127.0.0.1:0` in a tokio task.
    pub async fn spawn(config: FakeChatworkConfig) -> std::io::Result<RunningFakeChatwork> {
        Self::new(config).start().await
    }

    /// Serves this fake (e.g. one built by [`Self::with_demo_world`]) on `127.0.0.1:0`.
    pub async fn start(&self) -> std::io::Result<RunningFakeChatwork> {
        self.start_on(SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    /// Serves this fake on a chosen address (demos that need a fixed port).
    pub async fn start_on(&self, addr: SocketAddr) -> std::io::Result<RunningFakeChatwork> {
        use axum::serve::ListenerExt;
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        // Small request/response pairs: without NODELAY, Nagle adds latency per request.
        let listener = listener.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
        let router = self.router();
        let handle = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, router).await {
                tracing::warn!(error = %e, "fake chatwork server stopped");
            }
        });
        Ok(RunningFakeChatwork {
            fake: self.clone(),
            addr,
            handle,
        })
    }

    // ---- world building ----

    /// Creates (or renames) an account with a My Chat, and makes `token` its API token.
    /// Returns the My Chat's room id.
    pub fn add_account(&self, token: &str, account_id: i64, name: &str) -> i64 {
        let room = self.shared.world.write().add_account(account_id, name);
        let state = TokenState {
            account_id,
            window: None,
        };
        self.shared.tokens.lock().insert(token.to_owned(), state);
        room
    }

    /// A person without a token (someone to DM or to put in rooms).
    pub fn add_person(&self, account_id: i64, name: &str) {
        self.shared.world.write().add_person(account_id, name);
    }

    /// Creates or replaces a group room. Roles are "admin", "member" or "readonly".
    ///
    /// # Panics
    /// On any other role text: a typo in a test's setup should fail loudly.
    pub fn add_room(&self, room_id: i64, name: &str, members: &[(i64, &str)]) {
        let members = members
            .iter()
            .map(|&(id, role)| {
                let role = Role::parse(role).unwrap_or_else(|| panic!("unknown role {role:?}"));
                (id, role)
            })
            .collect();
        self.shared
            .world
            .write()
            .put_room(room_id, name, RoomKind::Group, members);
    }

    /// Makes the two contacts of each other; returns their direct room (created once).
    pub fn add_contact(&self, account_id: i64, contact_account_id: i64) -> i64 {
        self.shared
            .world
            .write()
            .add_contact(account_id, contact_account_id)
    }

    /// Ends the contact between the two (the person removed the bot, or the other way
    /// round; contacts are mutual). `GET /contacts` no longer lists either to the other;
    /// their direct room still exists but both have left it, so a post there answers 403
    /// (see the module docs). [`Self::add_contact`] later restores the same room.
    /// No-op if they are not contacts.
    pub fn remove_contact(&self, a: i64, b: i64) {
        self.shared.world.write().remove_contact(a, b);
    }

    /// `from_account_id` asks `to_account_id` to become contacts, with `message`; returns
    /// the request id (what `PUT|DELETE /incoming_requests/{id}` take). `from` becomes a
    /// placeholder person ("User {id}") if unknown. Asking again while a request from
    /// `from` to `to` is pending replaces its message and returns the same id.
    pub fn add_incoming_request(
        &self,
        to_account_id: i64,
        from_account_id: i64,
        message: &str,
    ) -> i64 {
        self.shared
            .world
            .write()
            .add_incoming_request(to_account_id, from_account_id, message)
    }

    /// Contact account ids of `account_id`, in the order the contacts were made.
    pub fn contacts_of(&self, account_id: i64) -> Vec<i64> {
        self.shared.world.read().contacts_of(account_id)
    }

    /// Ids of the contact requests pending for `account_id`, oldest first.
    pub fn incoming_requests_of(&self, account_id: i64) -> Vec<i64> {
        self.shared.world.read().incoming_requests_of(account_id)
    }

    /// Later requests with this token answer 401 (Chatwork tokens never expire, but can
    /// be reissued, which invalidates the old one).
    pub fn revoke_token(&self, token: &str) {
        self.shared.tokens.lock().remove(token);
    }

    // ---- fault injection ----

    /// The next `count` message posts answer `status` with `{"errors":["<reason>"]}`.
    pub fn fail_next(&self, count: usize, status: u16) {
        self.shared
            .faults
            .add(FaultTarget::PostMessages, count, status);
    }

    /// The next `count` authenticated requests whose path contains `path_contains` (any
    /// method) answer `status`.
    pub fn fail_next_on(&self, path_contains: &str, count: usize, status: u16) {
        let target = FaultTarget::PathContains(path_contains.to_owned());
        self.shared.faults.add(target, count, status);
    }

    /// Forgets every fault still queued: the provider is healthy again.
    pub fn clear_faults(&self) {
        self.shared.faults.clear();
    }

    /// Every API request waits this long before its answer is sent.
    pub fn set_delay(&self, delay: Duration) {
        let us = u64::try_from(delay.as_micros()).unwrap_or(u64::MAX);
        self.shared.delay_us.store(us, Ordering::Relaxed);
    }

    pub fn set_limits_enabled(&self, on: bool) {
        self.shared.limits_enabled.store(on, Ordering::Relaxed);
    }

    // ---- inspection ----

    /// Every API request so far (up to the last 1,000,000), in the order answered.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.journal.requests()
    }

    /// Messages posted to `room_id`, in arrival order.
    pub fn messages(&self, room_id: i64) -> Vec<PostedMessage> {
        self.shared.messages.lock().list(Some(room_id))
    }

    pub fn all_messages(&self) -> Vec<PostedMessage> {
        self.shared.messages.lock().list(None)
    }

    /// How many API requests were answered with `status` (not capped like the log).
    pub fn count_status(&self, status: u16) -> usize {
        self.shared.journal.count_status(status)
    }
}

pub(crate) fn unix_ms() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis())
}

pub(crate) fn unix_secs() -> i64 {
    i64::try_from(unix_ms() / 1000).unwrap_or(i64::MAX)
}
