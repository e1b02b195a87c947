//! A faithful fake of **Google Chat incoming webhooks**, for tests, benchmarks and demos.
//!
//! # What it does like Google Chat
//! - `POST /v1/spaces/{space}/messages?key=KEY&token=TOKEN[&messageReplyOption=…]` with a
//!   JSON message; errors in Google's envelope
//!   `{"error":{"code":N,"message":"…","status":"…","details":[…]}}`:
//!   no `key` → 403 `PERMISSION_DENIED` ("Method doesn't allow unregistered callers…");
//!   an unknown `key` → 400 `INVALID_ARGUMENT` "API key not valid…" with an `ErrorInfo`
//!   detail `API_KEY_INVALID`; an unknown space → 404 `NOT_FOUND`; a missing or wrong
//!   `token` → 401 `UNAUTHENTICATED`; the token of a removed webhook → 403
//!   `PERMISSION_DENIED`.
//! - The message must be a JSON object of known fields (`Invalid JSON payload received.
//!   Unknown name "x"` otherwise) with a non-empty `text` or `cardsV2` ("Message cannot be
//!   empty…"), at most 32,000 bytes; all 400 `INVALID_ARGUMENT`.
//! - Threads: with `messageReplyOption=REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD`, a
//!   `thread.threadKey` (or an existing `thread.name`) puts the message in that thread,
//!   created on first use and stable per key (`spaces/S/threads/T`);
//!   `REPLY_MESSAGE_OR_FAIL` answers 404 when the thread does not exist. Without the option
//!   every message starts a new thread and any thread in the body is ignored.
//! - 200 answers the request's fields plus `name` (`spaces/S/messages/M`) and `thread.name`
//!   only, as Google documents for webhooks; [`FakeGoogleChat::messages`] keeps the full
//!   message (`createTime`, `space`, `sender`).
//! - 60 writes per minute per space and about one a second (shared by every webhook and
//!   key posting into the space), over either 429 `RESOURCE_EXHAUSTED` with no
//!   `Retry-After`.
//!
//! # Choices where Google is undocumented
//! - Order of checks: route (404, Google's HTML page) → method (405) → `key` (403/400) →
//!   injected fault → space (404) → `token` (401/403) → `Content-Type` (400) → space
//!   windows (429: the second's, then the minute's) → body (400) → thread (404) → 200.
//!   Every request that passes the content type check counts toward the windows (a 400
//!   included); refused ones do not, though one refused by the minute's window was counted
//!   by the second's.
//! - "About one a second" is a fixed window of 3 writes per 3 s per space (a small burst,
//!   as for Slack).
//! - A body sent as anything but `application/json` is refused 400 `INVALID_ARGUMENT`
//!   "Invalid JSON payload received. Unexpected token." (Google reads only JSON there).
//! - The deprecated `threadKey` query parameter is ignored. No limit on `text` length is
//!   enforced beyond the 32,000-byte message limit.
//! - [`FakeGoogleChat::set_delay`] waits after the message was stored.
//!
//! # Inspection routes (no auth, not recorded, not delayed)
//! `GET /_fake/requests`, `GET /_fake/messages?space=S`, `POST /_fake/webhooks
//! {"space","key","token"}` → `{"url"}`, `POST /_fake/fail {"count":N,"status":500}`,
//! `POST /_fake/delay {"ms":N}`, `POST /_fake/limits {"enabled":bool}`.
//!
//! # The demo world ([`FakeGoogleChat::with_demo_world`])
//! Space `AAAAdemo0001` with a webhook keyed `demo-key-0001`, token `demo-token-0001`:
//! `http://ADDR/v1/spaces/AAAAdemo0001/messages?key=demo-key-0001&token=demo-token-0001`.

mod api;
mod inspect;

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use serde_json::Value;

use crate::common::{local_any_port, serve, Faults, FixedWindows, Journal, Recorded, Running};

pub const DEMO_SPACE: &str = "AAAAdemo0001";
pub const DEMO_KEY: &str = "demo-key-0001";
pub const DEMO_TOKEN: &str = "demo-token-0001";

/// Google refuses messages above this many bytes.
pub const MAX_MESSAGE_BYTES: usize = 32_000;

#[derive(Clone, Debug)]
pub struct FakeGoogleChatConfig {
    /// Writes per space per window (Google: 60 per minute).
    pub writes_per_space: u32,
    pub window: Duration,
    /// Writes per space per short window (Google: about one a second; 3 per 3 s here).
    pub burst_per_space: u32,
    pub burst_window: Duration,
    /// `false` never answers 429.
    pub limits_enabled: bool,
}

impl Default for FakeGoogleChatConfig {
    fn default() -> Self {
        FakeGoogleChatConfig {
            writes_per_space: 60,
            window: Duration::from_secs(60),
            burst_per_space: 3,
            burst_window: Duration::from_secs(3),
            limits_enabled: true,
        }
    }
}

impl FakeGoogleChatConfig {
    /// Multiplies the windows by `factor` (0.01 → 600 ms); the limits are unchanged.
    pub fn scaled(mut self, factor: f64) -> Self {
        self.window = self.window.mul_f64(factor);
        self.burst_window = self.burst_window.mul_f64(factor);
        self
    }
}

#[derive(Default)]
struct Space {
    tokens: HashSet<String>,
    removed_tokens: HashSet<String>,
    /// threadKey → thread id.
    threads_by_key: HashMap<String, String>,
    threads: HashSet<String>,
    messages: Vec<Value>,
}

struct Shared {
    limits_enabled: AtomicBool,
    next_id: AtomicU64,
    keys: Mutex<HashSet<String>>,
    spaces: Mutex<HashMap<String, Space>>,
    windows: FixedWindows,
    burst_windows: FixedWindows,
    journal: Journal,
    faults: Faults,
    base_url: Mutex<String>,
}

/// The fake Google Chat webhook service. Cheap to clone: all clones share one state.
#[derive(Clone)]
pub struct FakeGoogleChat {
    shared: Arc<Shared>,
}

impl FakeGoogleChat {
    pub fn new(config: FakeGoogleChatConfig) -> Self {
        let shared = Shared {
            limits_enabled: AtomicBool::new(config.limits_enabled),
            next_id: AtomicU64::new(1),
            keys: Mutex::new(HashSet::new()),
            spaces: Mutex::new(HashMap::new()),
            windows: FixedWindows::new(config.writes_per_space, config.window),
            burst_windows: FixedWindows::new(config.burst_per_space, config.burst_window),
            journal: Journal::default(),
            faults: Faults::default(),
            base_url: Mutex::new(String::new()),
        };
        FakeGoogleChat {
            shared: Arc::new(shared),
        }
    }

    /// Space `AAAAdemo0001` with one webhook (see the module docs).
    pub fn with_demo_world(config: FakeGoogleChatConfig) -> Self {
        let fake = Self::new(config);
        fake.add_webhook(DEMO_SPACE, DEMO_KEY, DEMO_TOKEN);
        fake
    }

    /// The messages route plus `/_fake/*`.
    pub fn router(&self) -> axum::Router {
        inspect::routes()
            .fallback(api::handle)
            .with_state(self.clone())
    }

    pub async fn start(&self) -> std::io::Result<Running> {
        self.start_on(local_any_port()).await
    }

    pub async fn start_on(&self, addr: SocketAddr) -> std::io::Result<Running> {
        let running = serve(self.router(), addr).await?;
        *self.shared.base_url.lock() = running.url();
        Ok(running)
    }

    // ---- world building ----

    /// A webhook in `space` (created if new; `key` becomes a valid API key). Returns its
    /// URL (only the path and query before [`Self::start`]).
    pub fn add_webhook(&self, space: &str, key: &str, token: &str) -> String {
        self.shared.keys.lock().insert(key.to_owned());
        let mut spaces = self.shared.spaces.lock();
        let s = spaces.entry(space.to_owned()).or_default();
        s.removed_tokens.remove(token);
        s.tokens.insert(token.to_owned());
        drop(spaces);
        self.webhook_url(space, key, token)
    }

    pub fn webhook_url(&self, space: &str, key: &str, token: &str) -> String {
        let base = self.shared.base_url.lock().clone();
        let query = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("key", key)
            .append_pair("token", token)
            .finish();
        format!("{base}/v1/spaces/{space}/messages?{query}")
    }

    /// Someone removed the webhook: its token now answers 403.
    pub fn remove_webhook(&self, space: &str, token: &str) {
        if let Some(s) = self.shared.spaces.lock().get_mut(space) {
            if s.tokens.remove(token) {
                s.removed_tokens.insert(token.to_owned());
            }
        }
    }

    /// The space was deleted: it answers 404.
    pub fn remove_space(&self, space: &str) {
        self.shared.spaces.lock().remove(space);
    }

    // ---- faults and switches ----

    /// The next `count` requests with a valid key answer `status` in Google's envelope.
    pub fn fail_next(&self, count: usize, status: u16) {
        self.shared.faults.fail_next(None, count, status);
    }

    pub fn clear_faults(&self) {
        self.shared.faults.clear();
    }

    pub fn set_delay(&self, delay: Duration) {
        self.shared.faults.set_delay(delay);
    }

    pub fn set_limits_enabled(&self, on: bool) {
        self.shared.limits_enabled.store(on, Ordering::Relaxed);
    }

    // ---- inspection ----

    /// Every request so far, in the order answered (`key` and `token` masked).
    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.journal.all()
    }

    /// Messages created in `space`, oldest first, as Google stores them.
    pub fn messages(&self, space: &str) -> Vec<Value> {
        let spaces = self.shared.spaces.lock();
        spaces
            .get(space)
            .map(|s| s.messages.clone())
            .unwrap_or_default()
    }

    pub fn count_status(&self, status: u16) -> usize {
        self.shared.journal.count_status(status)
    }
}
