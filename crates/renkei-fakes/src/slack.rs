//! A faithful fake of Slack for tests, benchmarks and demos: the Web API under `/api/...`
//! and incoming webhooks under `/services/T…/B…/X…`, on one port.
//!
//! # What it does like Slack
//! - Web API (`auth.test`, `chat.postMessage`, `conversations.list`): the token comes from
//!   `Authorization: Bearer …`; missing → `not_authed`, unknown → `invalid_auth`, revoked →
//!   `token_revoked`, deactivated bot → `account_inactive`. **Errors are HTTP 200
//!   `{"ok":false,"error":"…"}`**, except the rate limit (429). Every authenticated answer
//!   carries `X-OAuth-Scopes`; a method the bot lacks the scope for answers `missing_scope`
//!   with `needed` and `provided`.
//! - Arguments come as JSON (`application/json`; without `charset` the answer carries
//!   `"warning":"missing_charset"`) or as a form (`blocks` then being a JSON string), plus
//!   the query string. Malformed JSON → `invalid_json`, JSON that is not an object →
//!   `json_not_object`, another content type → `invalid_post_type`.
//! - `chat.postMessage`: `channel` is a channel ID (`C…`/`G…`), a DM ID (`D…`) or a member
//!   ID (`U…`/`W…`, posted into the DM `D` + the rest of the ID). Unknown channel or member
//!   → `channel_not_found` (also for a private channel the bot is not in, which Slack hides);
//!   archived → `is_archived`; posting restricted by an admin → `restricted_action`; a
//!   public channel the bot was not invited to → `not_in_channel` unless the bot has
//!   `chat:write.public`. Needs `chat:write`. Success answers `ok`, `channel`, `ts`
//!   (`"<unix s>.<6 digits>"`, unique) and `message`.
//! - Message checks ([`message`]): no `text` and no `blocks` → `no_text`; `text` over 40,000
//!   characters → `msg_too_long`; more than 50 blocks, a block without `type`, a section
//!   text over 3,000 characters or a header over 150 → `invalid_blocks` with the reason in
//!   `response_metadata.messages`.
//! - Blocks whose texts add up to more than 12,000 characters → `msg_blocks_too_long`
//!   (the Web API's `ok:false`, a webhook's 400 plain text).
//! - Incoming webhooks: `POST` JSON (`application/json`) or a form with `payload=<json>`;
//!   200 with the plain-text body `ok`. Errors are plain text: 400 `invalid_payload` (bad
//!   JSON or content type) / `missing_text_or_fallback_or_attachments` (none of `text`,
//!   `blocks`, `attachments`) / `no_text` (blank text, no blocks) / `invalid_blocks` /
//!   `msg_blocks_too_long` / `msg_too_long`, 403 `invalid_token` (the webhook's app was
//!   revoked) / `action_prohibited` (posting restricted), 404 `no_service` (unknown or
//!   removed webhook) / `channel_not_found` (its channel was deleted), 410
//!   `channel_is_archived`. A live webhook posted `{}` answers 400
//!   `missing_text_or_fallback_or_attachments`, which is how renkei checks a pasted URL
//!   without posting.
//! - Rate limits, ~1 message/s with a small burst: at most 3 accepted posts per fixed 3 s
//!   window per webhook and, separately, per channel for `chat.postMessage` (DMs count
//!   per DM channel). Over it: 429 with `Retry-After` (whole seconds until the window
//!   ends, at least 1); the Web API body is `{"ok":false,"error":"ratelimited"}`.
//!
//! # Choices where Slack is undocumented
//! - Order of checks, Web API: method known (else 404 `unknown_method`) → injected fault
//!   → token → arguments → scope → channel → message → channel rate limit. Webhooks:
//!   injected fault → webhook state (404/403) → its channel (404/410/403) → method (405
//!   `invalid_method`) → payload (400) → webhook rate limit. The state comes before the
//!   payload so that the `{}` probe tells a live webhook from a dead one.
//! - Only accepted posts count toward a window, so a client that keeps retrying recovers.
//!   Webhook posts do not count toward their channel's `chat.postMessage` window.
//! - The webhook 429 body is the plain text `rate_limited` (Slack documents only the
//!   status and `Retry-After`).
//! - `channel`, `username` and `icon_*` in a webhook payload are ignored, as Slack does
//!   for app webhooks. Channel names (`#general`) are not resolved: `channel_not_found`.
//! - The token is read from the `Authorization` header only (not from a `token` argument).
//! - Every channel ID, member ID and webhook is global to the fake; teams only change what
//!   `auth.test` says.
//! - The request log masks `Authorization` and the webhook secret (the last path segment)
//!   to their last 4 characters. [`FakeSlack::set_delay`] delays the answer, not the work.
//!
//! # Inspection routes (no auth, not recorded, not delayed)
//! `GET /_fake/requests`, `GET /_fake/messages?channel=`, `GET /_fake/stats`,
//! `POST /_fake/fail {"count":N,"status":500,"path_contains"?:"..."}`,
//! `POST /_fake/api_error {"count":N,"error":"internal_error"}`, `POST /_fake/clear_faults`,
//! `POST /_fake/limits {"enabled":bool}`, `POST /_fake/delay {"ms":N}`.
//!
//! # The demo world ([`FakeSlack::with_demo_world`])
//! | what | id | details |
//! |---|---|---|
//! | workspace | `T0000FAKE1` | "renkei fake workspace" |
//! | bot token `xoxb-demo-0000-renkei` | bot user `U0DEMOBOT1` | "renkei", scopes `chat:write`, `channels:read`, `groups:read`, `im:write` |
//! | people | `U0DEMO0001`, `U0DEMO0002` | "山田太郎", "佐藤花子" (DMs: `D0DEMO0001`, `D0DEMO0002`) |
//! | channel | `C0DEMO0001` | `#general`: the bot and both people |
//! | channel | `C0DEMO0002` | `#dev`: both people, **not** the bot (`not_in_channel`) |
//! | private channel | `G0DEMO0003` | `#hr`: the bot and 山田太郎 |
//! | webhook | `/services/T0000FAKE1/B0DEMO0001/demowebhooksecret0001` | posts into `C0DEMO0001` |

mod api;
mod build;
mod http;
mod inspect;
pub mod message;
mod webhook;
mod world;

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::{Mutex, RwLock};
use serde::Serialize;
use serde_json::Value;

use crate::common::{self, FixedWindows, Journal, Recorded, Running};
use world::World;

pub use world::DEFAULT_TEAM_ID;

/// The demo world's bot token (see the module docs).
pub const DEMO_BOT_TOKEN: &str = "xoxb-demo-0000-renkei";
/// The demo world's webhook path.
pub const DEMO_WEBHOOK_PATH: &str = "/services/T0000FAKE1/B0DEMO0001/demowebhooksecret0001";
/// Oldest stored messages are dropped past this.
const MESSAGE_CAP: usize = 200_000;

/// Limits of the fake; defaults approximate Slack's "1 message per second, bursts allowed".
#[derive(Clone, Debug)]
pub struct FakeSlackConfig {
    /// Accepted posts per window per incoming webhook.
    pub webhook_limit: u32,
    pub webhook_window: Duration,
    /// Accepted `chat.postMessage` posts per window per channel.
    pub channel_limit: u32,
    pub channel_window: Duration,
    /// `false` never answers 429 (benchmarks).
    pub limits_enabled: bool,
}

impl Default for FakeSlackConfig {
    fn default() -> Self {
        FakeSlackConfig {
            webhook_limit: 3,
            webhook_window: Duration::from_secs(3),
            channel_limit: 3,
            channel_window: Duration::from_secs(3),
            limits_enabled: true,
        }
    }
}

impl FakeSlackConfig {
    /// Multiplies both windows by `factor` (0.01 → 30 ms), limits unchanged.
    pub fn scaled(mut self, factor: f64) -> Self {
        self.webhook_window = self.webhook_window.mul_f64(factor);
        self.channel_window = self.channel_window.mul_f64(factor);
        self
    }
}

/// A message Slack accepted.
#[derive(Clone, Debug, Serialize)]
pub struct PostedMessage {
    /// The channel it landed in (`D…` for a DM).
    pub channel: String,
    pub ts: String,
    pub text: String,
    /// The `blocks` array as posted (`Null` when none).
    pub blocks: Value,
    /// The bot user that posted through `chat.postMessage`.
    pub bot_user_id: Option<String>,
    /// The webhook's `B…` ID when posted through an incoming webhook.
    pub webhook_id: Option<String>,
    pub received_at_ms: u128,
}

pub(crate) struct Shared {
    limits_enabled: AtomicBool,
    world: RwLock<World>,
    messages: Mutex<VecDeque<PostedMessage>>,
    ts_seq: AtomicU64,
    webhook_windows: FixedWindows,
    channel_windows: FixedWindows,
    journal: Journal,
    faults: common::Faults,
    /// Web API errors to answer (HTTP 200, `ok:false`) before any check, oldest first.
    api_errors: Mutex<VecDeque<String>>,
}

impl Shared {
    fn limits_on(&self) -> bool {
        self.limits_enabled.load(Ordering::Relaxed)
    }

    /// A unique, increasing `ts` like Slack's: Unix seconds, a dot, 6 digits.
    fn next_ts(&self) -> String {
        let seq = self.ts_seq.fetch_add(1, Ordering::Relaxed) + 1;
        let secs = common::unix_ms() / 1000;
        format!("{secs}.{:06}", seq % 1_000_000)
    }

    fn store(&self, message: PostedMessage) {
        let mut messages = self.messages.lock();
        if messages.len() >= MESSAGE_CAP {
            messages.pop_front();
        }
        messages.push_back(message);
    }

    fn take_api_error(&self) -> Option<String> {
        self.api_errors.lock().pop_front()
    }
}

/// The fake Slack. Cheap to clone: all clones share one state.
#[derive(Clone)]
pub struct FakeSlack {
    shared: Arc<Shared>,
}

/// A fake served on a local port.
pub struct RunningFakeSlack {
    pub fake: FakeSlack,
    pub addr: SocketAddr,
    running: Running,
}

impl RunningFakeSlack {
    /// `http://127.0.0.1:PORT/api`: the value for `RENKEI_SLACK_API_URL`.
    pub fn base_url(&self) -> String {
        format!("{}/api", self.running.url())
    }

    /// The full URL of an incoming webhook (`path` as given to [`FakeSlack::add_webhook`]).
    pub fn webhook_url(&self, path: &str) -> String {
        format!("{}{}", self.running.url(), webhook_path(path))
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        self.running.url()
    }

    pub fn stop(&self) {
        self.running.stop();
    }
}

/// `T/B/X` or `/services/T/B/X` → `/services/T/B/X`.
fn webhook_path(path: &str) -> String {
    let rest = path.trim_start_matches('/');
    let rest = rest.strip_prefix("services/").unwrap_or(rest);
    format!("/services/{rest}")
}

impl FakeSlack {
    pub fn new(config: FakeSlackConfig) -> Self {
        let shared = Shared {
            limits_enabled: AtomicBool::new(config.limits_enabled),
            webhook_windows: FixedWindows::new(config.webhook_limit, config.webhook_window),
            channel_windows: FixedWindows::new(config.channel_limit, config.channel_window),
            world: RwLock::new(World::new()),
            messages: Mutex::new(VecDeque::new()),
            ts_seq: AtomicU64::new(0),
            journal: Journal::default(),
            faults: common::Faults::default(),
            api_errors: Mutex::new(VecDeque::new()),
        };
        FakeSlack {
            shared: Arc::new(shared),
        }
    }

    /// The world in the module docs: bot token [`DEMO_BOT_TOKEN`], webhook
    /// [`DEMO_WEBHOOK_PATH`].
    pub fn with_demo_world(config: FakeSlackConfig) -> Self {
        let fake = Self::new(config);
        fake.add_bot(DEMO_BOT_TOKEN, "U0DEMOBOT1", "renkei");
        fake.add_user("U0DEMO0001", "山田太郎");
        fake.add_user("U0DEMO0002", "佐藤花子");
        fake.add_channel(
            "C0DEMO0001",
            "general",
            &["U0DEMOBOT1", "U0DEMO0001", "U0DEMO0002"],
        );
        fake.add_channel("C0DEMO0002", "dev", &["U0DEMO0001", "U0DEMO0002"]);
        fake.add_private_channel("G0DEMO0003", "hr", &["U0DEMOBOT1", "U0DEMO0001"]);
        fake.add_webhook(DEMO_WEBHOOK_PATH, "C0DEMO0001");
        fake
    }

    /// The API, the webhooks and the `/_fake/*` routes.
    pub fn router(&self) -> axum::Router {
        inspect::routes()
            .fallback(http::handle)
            .with_state(self.clone())
    }

    /// Serves this fake on `127.0.0.1:0`.
    pub async fn start(&self) -> std::io::Result<RunningFakeSlack> {
        self.start_on(common::local_any_port()).await
    }

    /// Serves this fake on a chosen address (demos that need a fixed port).
    pub async fn start_on(&self, addr: SocketAddr) -> std::io::Result<RunningFakeSlack> {
        let running = common::serve(self.router(), addr).await?;
        Ok(RunningFakeSlack {
            fake: self.clone(),
            addr: running.addr,
            running,
        })
    }

    // ---- fault injection ----

    /// The next `count` requests (API or webhook) answer `status` in Slack's shape for
    /// that endpoint: a webhook's 500 is `rollup_error`, a 429 carries `Retry-After: 1`.
    pub fn fail_next(&self, count: usize, status: u16) {
        self.shared.faults.fail_next(None, count, status);
    }

    /// Like [`Self::fail_next`], only for requests whose path contains `path_contains`
    /// (`"/api/chat.postMessage"`, `"/services/"`).
    pub fn fail_next_on(&self, path_contains: &str, count: usize, status: u16) {
        self.shared
            .faults
            .fail_next(Some(path_contains), count, status);
    }

    /// The next `count` Web API calls answer HTTP 200 `{"ok":false,"error":error}`
    /// (`internal_error`, `fatal_error`, `service_unavailable`, …).
    pub fn fail_next_api_error(&self, count: usize, error: &str) {
        let mut queue = self.shared.api_errors.lock();
        queue.extend(std::iter::repeat_n(error.to_string(), count));
    }

    /// Forgets every queued fault.
    pub fn clear_faults(&self) {
        self.shared.faults.clear();
        self.shared.api_errors.lock().clear();
    }

    /// Every API and webhook answer waits this long (after the work is done).
    pub fn set_delay(&self, delay: Duration) {
        self.shared.faults.set_delay(delay);
    }

    pub fn set_limits_enabled(&self, on: bool) {
        self.shared.limits_enabled.store(on, Ordering::Relaxed);
    }

    // ---- inspection ----

    /// Every API and webhook request so far, in the order answered (secrets masked).
    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.journal.all()
    }

    /// How many requests were answered with `status`.
    pub fn count_status(&self, status: u16) -> usize {
        self.shared.journal.count_status(status)
    }

    /// Messages that landed in `channel` (`D…` for a DM), oldest first.
    pub fn messages(&self, channel: &str) -> Vec<PostedMessage> {
        let messages = self.shared.messages.lock();
        messages
            .iter()
            .filter(|m| m.channel == channel)
            .cloned()
            .collect()
    }

    pub fn all_messages(&self) -> Vec<PostedMessage> {
        self.shared.messages.lock().iter().cloned().collect()
    }

    /// The DM channel the fake uses for member `user_id` (`U0ABC` → `D0ABC`).
    pub fn dm_channel_of(user_id: &str) -> String {
        world::dm_channel_of(user_id)
    }
}
