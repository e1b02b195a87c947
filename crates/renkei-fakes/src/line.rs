//! A faithful fake of LINE: the Messaging API host (`api.line.me`) and the LINE Login host
//! (`access.line.me`), served together (`api_url()` and `login_url()` are one address).
//!
//! # What it does like LINE
//! - `POST /v2/bot/message/push` (and `/multicast`): Bearer channel access token; body
//!   `{"to","messages":[1..5]}` validated like LINE (`to` is `U|C|R` + 32 hex, text ≤ 5000
//!   UTF-16 units, known message types) → 400 `{"message":"The request body has N
//!   error(s)","details":[{"message","property"}]}` or `The property, 'to', in the request
//!   body is invalid (line: -, column: -)`; 200 `{"sentMessages":[{"id","quoteToken"}]}`
//!   with 18-digit ids.
//! - `X-Line-Retry-Key`: must be a UUID; a key accepted in the last 24 h (per channel)
//!   answers **409** `{"message":"The retry key is already accepted","sentMessages":[..]}`
//!   with `x-line-accepted-request-id` (the first request's id). Refused requests do not
//!   use up their key.
//! - `x-line-request-id` (a UUID) on every answer.
//! - Tokens: unknown, revoked or expired → 401 `{"message":"Authentication failed. Confirm
//!   that the access token in the authorization header is valid."}`; none → 401
//!   `Authorization header required…`.
//! - Rate limit per channel, a fixed window (2,000 / 1 s, [`FakeLineConfig::scaled`]) on
//!   every `/v2/bot/*` call → 429 `{"message":"The API rate limit has been exceeded. Try
//!   again later."}`.
//! - Monthly quota per channel ([`FakeLine::set_monthly_quota`]): over it → 429
//!   `{"message":"You have reached your monthly limit."}`. `GET /v2/bot/message/quota`
//!   (`{"type":"none"}` | `{"type":"limited","value":N}`) and `/quota/consumption`
//!   (`{"totalUsage":N}`). `GET /v2/bot/info` in the spec's shape.
//! - `POST /oauth2/v2.1/token`, `grant_type=client_credentials` with a JWT assertion:
//!   RS256 verified with the public key registered under the header's `kid` for the
//!   channel named by `iss`; `sub` = `iss`, `aud` = `https://api.line.me/`, `exp` at most
//!   30 min ahead, `token_exp` ≤ 30 days → `{access_token, token_type, expires_in, key_id}`.
//!   At most 30 valid v2.1 tokens per channel. Errors are `{"error","error_description"}`.
//! - LINE Login: `GET /oauth2/v2.1/authorize` checks `response_type=code`, `client_id`, a
//!   registered `redirect_uri`, `state` and `scope`, then the simulated person
//!   ([`FakeLine::set_login_user`] / [`FakeLine::set_login_denied`]) answers: 302 to
//!   `redirect_uri?code&state` (plus `friendship_status_changed` when `bot_prompt` was
//!   given and the channel has a linked account; the person then is its friend) or
//!   `?error=access_denied&error_description=The resource owner denied the
//!   request.&state`. `grant_type=authorization_code` checks client ID + secret, the code
//!   (single use, 10 min) and the same `redirect_uri`, and returns an `id_token` (HS256
//!   with the Login channel secret; `iss` `https://access.line.me`, `sub`, `aud`, `exp`,
//!   `iat`, `nonce`, `amr`, `name`) when `openid` was in the scope.
//! - Webhooks: [`FakeLine::send_follow`] / [`FakeLine::send_unfollow`] POST signed events
//!   (`X-Line-Signature`) in line-webhook.yml's shape.
//!
//! # Choices where LINE is undocumented
//! - A push to a known user who is not a friend (never added the account, or blocked it)
//!   answers **200** like a delivered one, but is recorded with `delivered: false` and is
//!   not counted toward the monthly quota (LINE does not count messages to people who
//!   blocked the account). A well-formed user ID the fake does not know (e.g. one from
//!   another provider) answers 400 `{"message":"Failed to send messages"}`.
//! - A push or multicast whose `Content-Type` is not `application/json` → 415 `{"message":
//!   "The content type, '…', is not supported"}`.
//! - Order: route (404) → token (401) → rate window (429) → injected fault → content type
//!   (415) → JSON → retry
//!   key format (400) → accepted key (409) → body (400) → recipient (400) → quota (429).
//!   Faults and refusals do not use up a retry key or the quota.
//! - Usage does not reset by itself at the month's end: tests set it.
//! - Token endpoint refusals are 400: `invalid_client` for an unknown channel, `kid` or a
//!   bad signature (or Login client ID/secret), `invalid_request` for everything else,
//!   including the 31st valid v2.1 token; `invalid_grant` for a bad, used or expired code
//!   or a different `redirect_uri`.
//! - A Login channel with no registered callback URL accepts any (demos).
//! - [`FakeLine::set_delay`]: the request is handled (and a push accepted) *before* the
//!   delay, like an answer lost on the way back.
//!
//! # Inspection routes (no auth, not recorded, not delayed)
//! `GET /_fake/requests`, `GET /_fake/pushes?to=`, `GET /_fake/stats`,
//! `POST /_fake/fail {"count","status","path_contains"?}` (default: push),
//! `POST /_fake/delay {"ms"}`, `POST /_fake/limits {"enabled"}`,
//! `POST /_fake/login {"user_id"} | {"denied":true}`,
//! `POST /_fake/friends {"channel_id","user_id","friend"?}`,
//! `POST /_fake/quota {"channel_id","limit","usage"?}`,
//! `POST /_fake/follow {"channel_id","user_id","webhook_url"}`.
//!
//! # The demo world ([`FakeLine::with_demo_world`], constants in [`demo`])
//! | what | value |
//! |---|---|
//! | Messaging API channel | ID `2000000001`, secret `5e1d5e1d5e1d5e1d5e1d5e1d5e1d5e1d`, bot `Ud000…0001` "renkei 通知", basic ID `@123renkei`, monthly limit 200 |
//! | long-lived token | `demo-line-token-0001` |
//! | v2.1 signing key | kid `demo-kid-0001` = `keys::TEST_PUBLIC_KEY_PEM` (sign with `TEST_PRIVATE_KEY_PEM`) |
//! | LINE Login channel | ID `2000000002`, secret `10c10c10c10c10c10c10c10c10c10c10`, linked to the bot, any callback URL |
//! | users | `U1111…1111` 山田太郎 (a friend), `U2222…2222` 佐藤花子 (not yet; she is who logs in) |

mod api;
mod inspect;
mod oauth;
mod push;
mod setup;
mod webhook;
mod world;

use std::net::SocketAddr;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;

use crate::common::{local_any_port, serve, Faults, FixedWindows, Journal, Running};
pub use webhook::signature;
use world::World;
pub use world::{AuthorizeRequest, LoginAs, PushedMessage};

/// The demo world's fixed names (see the module docs).
pub mod demo {
    pub const CHANNEL_ID: &str = "2000000001";
    pub const CHANNEL_SECRET: &str = "5e1d5e1d5e1d5e1d5e1d5e1d5e1d5e1d";
    pub const BOT_USER_ID: &str = "Ud0000000000000000000000000000001";
    pub const BASIC_ID: &str = "@123renkei";
    pub const TOKEN: &str = "demo-line-token-0001";
    pub const KID: &str = "demo-kid-0001";
    pub const LOGIN_CHANNEL_ID: &str = "2000000002";
    pub const LOGIN_CHANNEL_SECRET: &str = "10c10c10c10c10c10c10c10c10c10c10";
    pub const YAMADA: &str = "U11111111111111111111111111111111";
    pub const SATO: &str = "U22222222222222222222222222222222";
}

/// Limits of the fake; defaults are LINE's.
#[derive(Clone, Debug)]
pub struct FakeLineConfig {
    /// Requests per window per channel on `/v2/bot/*` (LINE: 2,000 per second for push).
    pub push_limit: u32,
    pub push_window: Duration,
    /// `false` never answers the rate-limit 429 (benchmarks). The monthly quota stays.
    pub limits_enabled: bool,
    /// How long an accepted retry key answers 409 (LINE: 24 hours).
    pub retry_key_ttl: Duration,
    /// Caps `expires_in` of issued v2.1 tokens (LINE: 30 days); tests shorten it to see
    /// renewal.
    pub max_token_lifetime: Duration,
    /// Valid v2.1 tokens a channel may hold (LINE: 30).
    pub max_v21_tokens: usize,
    /// How long a Login authorization code can be exchanged (LINE: 10 minutes).
    pub code_ttl: Duration,
}

impl Default for FakeLineConfig {
    fn default() -> Self {
        FakeLineConfig {
            push_limit: 2_000,
            push_window: Duration::from_secs(1),
            limits_enabled: true,
            retry_key_ttl: Duration::from_secs(24 * 3600),
            max_token_lifetime: Duration::from_secs(30 * 24 * 3600),
            max_v21_tokens: 30,
            code_ttl: Duration::from_secs(600),
        }
    }
}

impl FakeLineConfig {
    /// Multiplies the rate window by `factor`, as renkei's `rate_window_scale` does.
    pub fn scaled(mut self, factor: f64) -> Self {
        self.push_window = self.push_window.mul_f64(factor);
        self
    }
}

struct Shared {
    config: FakeLineConfig,
    limits_enabled: AtomicBool,
    world: Mutex<World>,
    windows: FixedWindows,
    journal: Journal,
    faults: Faults,
}

/// The fake LINE. Cheap to clone: all clones share one state.
#[derive(Clone)]
pub struct FakeLine {
    shared: Arc<Shared>,
}

/// A fake served on a local port.
pub struct RunningFakeLine {
    pub fake: FakeLine,
    running: Running,
}

impl RunningFakeLine {
    pub fn addr(&self) -> SocketAddr {
        self.running.addr
    }
    /// `http://127.0.0.1:PORT`: renkei's `RENKEI_LINE_API_URL`.
    pub fn api_url(&self) -> String {
        self.running.url()
    }
    /// The same address: renkei's `RENKEI_LINE_LOGIN_URL`.
    pub fn login_url(&self) -> String {
        self.running.url()
    }
    pub fn stop(&self) {
        self.running.stop();
    }
}

impl FakeLine {
    pub fn new(config: FakeLineConfig) -> Self {
        let shared = Shared {
            limits_enabled: AtomicBool::new(config.limits_enabled),
            windows: FixedWindows::new(config.push_limit, config.push_window),
            config,
            world: Mutex::new(World::default()),
            journal: Journal::default(),
            faults: Faults::default(),
        };
        FakeLine {
            shared: Arc::new(shared),
        }
    }

    /// The world of the module docs, used by `renkei fake line`.
    pub fn with_demo_world(config: FakeLineConfig) -> Self {
        use demo::*;
        let fake = Self::new(config);
        fake.add_channel(
            CHANNEL_ID,
            CHANNEL_SECRET,
            BOT_USER_ID,
            BASIC_ID,
            "renkei 通知",
        );
        fake.add_long_lived_token(CHANNEL_ID, TOKEN);
        fake.register_assertion_key(CHANNEL_ID, KID, crate::keys::TEST_PUBLIC_KEY_PEM);
        fake.set_monthly_quota(CHANNEL_ID, Some(200));
        fake.add_login_channel(
            LOGIN_CHANNEL_ID,
            LOGIN_CHANNEL_SECRET,
            Some(CHANNEL_ID),
            &[],
        );
        fake.add_user(YAMADA, "山田太郎");
        fake.add_user(SATO, "佐藤花子");
        fake.add_friend(CHANNEL_ID, YAMADA);
        fake.set_login_user(Some(SATO));
        fake
    }

    /// The API and Login routes plus `/_fake/*`.
    pub fn router(&self) -> axum::Router {
        inspect::routes()
            .fallback(api::handle)
            .with_state(self.clone())
    }

    /// Serves this fake on `127.0.0.1:0`.
    pub async fn start(&self) -> std::io::Result<RunningFakeLine> {
        self.start_on(local_any_port()).await
    }

    /// Serves this fake on a chosen address (demos that need a fixed port).
    pub async fn start_on(&self, addr: SocketAddr) -> std::io::Result<RunningFakeLine> {
        let running = serve(self.router(), addr).await?;
        Ok(RunningFakeLine {
            fake: self.clone(),
            running,
        })
    }
}
