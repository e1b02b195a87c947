//! What the fake LINE knows: Messaging API channels with their tokens and signing keys,
//! users and who is whose friend, LINE Login channels and their pending codes, accepted
//! retry keys, and every push.

use std::collections::{BTreeMap, HashMap, HashSet};

use jsonwebtoken::DecodingKey;
use rand::Rng;
use serde::Serialize;
use serde_json::Value;

/// A Messaging API channel (one LINE Official Account).
pub(super) struct Channel {
    pub secret: String,
    pub bot_user_id: String,
    pub basic_id: String,
    pub display_name: String,
    /// Public keys registered for v2.1 assertions, by `kid`.
    pub assertion_keys: HashMap<String, DecodingKey>,
    /// `None`: no target limit (`{"type":"none"}`).
    pub monthly_limit: Option<u64>,
    /// Messages counted this month.
    pub usage: u64,
}

/// A channel access token the fake accepts.
pub(super) struct Token {
    pub channel_id: String,
    /// `None` for long-lived tokens.
    pub expires_at_ms: Option<u128>,
    /// Set for v2.1 tokens.
    pub key_id: Option<String>,
}

pub(super) struct LoginChannel {
    pub secret: String,
    /// The Messaging API channel whose account `bot_prompt` offers as a friend.
    pub linked_channel: Option<String>,
    /// Registered callback URLs; empty accepts any (a fake convenience for demos).
    pub callback_urls: Vec<String>,
}

/// An authorization code waiting to be exchanged (single use).
pub(super) struct Code {
    pub client_id: String,
    pub redirect_uri: String,
    pub user_id: String,
    pub nonce: Option<String>,
    pub scope: String,
    pub created_ms: u128,
}

/// A push LINE accepted under a retry key: repeats answer 409 with this.
pub(super) struct Accepted {
    pub request_id: String,
    pub sent_messages: Vec<Value>,
    pub at_ms: u128,
}

/// Who "logs in" when the authorize endpoint is opened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LoginAs {
    /// Nobody: the endpoint answers a page saying so.
    Nobody,
    User(String),
    /// The person presses cancel: the callback gets `error=access_denied`.
    Denied,
}

/// One accepted push (or one recipient of a multicast).
#[derive(Clone, Debug, Serialize)]
pub struct PushedMessage {
    pub channel_id: String,
    pub to: String,
    /// The message objects as sent.
    pub messages: Vec<Value>,
    pub message_ids: Vec<String>,
    /// `X-Line-Retry-Key` as sent (the request log masks it: its name contains "key").
    pub retry_key: Option<String>,
    /// The `x-line-request-id` LINE answered with.
    pub request_id: String,
    /// `false` when the user is not a friend of the account (never added it, or blocked
    /// it): LINE still answers 200, but nobody sees the message.
    pub delivered: bool,
    pub endpoint: &'static str,
    pub received_at_ms: u128,
}

impl PushedMessage {
    /// The `text` of each text message.
    pub fn texts(&self) -> Vec<String> {
        self.messages
            .iter()
            .filter_map(|m| m.get("text").and_then(Value::as_str).map(str::to_string))
            .collect()
    }
}

/// One opening of the authorize endpoint that passed its checks.
#[derive(Clone, Debug, Serialize)]
pub struct AuthorizeRequest {
    pub client_id: String,
    pub redirect_uri: String,
    pub state: String,
    pub scope: String,
    pub nonce: Option<String>,
    pub bot_prompt: Option<String>,
}

pub(super) struct World {
    pub channels: BTreeMap<String, Channel>,
    pub tokens: HashMap<String, Token>,
    /// User ID → display name.
    pub users: BTreeMap<String, String>,
    /// (channel ID, user ID) of friends.
    pub friends: HashSet<(String, String)>,
    /// Pairs where the user blocked the account: a later follow is an unblock.
    pub blocked: HashSet<(String, String)>,
    pub login_channels: HashMap<String, LoginChannel>,
    pub codes: HashMap<String, Code>,
    pub login_as: LoginAs,
    pub authorizations: Vec<AuthorizeRequest>,
    /// (channel ID, retry key) → the accepted request.
    pub retry_keys: HashMap<(String, String), Accepted>,
    pub pushes: Vec<PushedMessage>,
    next_message_id: u64,
}

impl Default for World {
    fn default() -> Self {
        World {
            channels: BTreeMap::new(),
            tokens: HashMap::new(),
            users: BTreeMap::new(),
            friends: HashSet::new(),
            blocked: HashSet::new(),
            login_channels: HashMap::new(),
            codes: HashMap::new(),
            login_as: LoginAs::Nobody,
            authorizations: Vec::new(),
            retry_keys: HashMap::new(),
            pushes: Vec::new(),
            // 18-digit ids, like LINE's.
            next_message_id: 500_000_000_000_000_001,
        }
    }
}

/// Random lower-case hex of `len` characters.
pub(super) fn random_hex(len: usize) -> String {
    let mut rng = rand::thread_rng();
    (0..len)
        .map(|_| char::from(b"0123456789abcdef"[rng.gen_range(0..16)]))
        .collect()
}

/// Random characters from `alphabet`.
pub(super) fn random_from(alphabet: &[u8], len: usize) -> String {
    let mut rng = rand::thread_rng();
    (0..len)
        .map(|_| char::from(alphabet[rng.gen_range(0..alphabet.len())]))
        .collect()
}

impl World {
    /// The channel a token speaks for, if it is known and not expired.
    pub fn channel_of(&self, token: &str, now_ms: u128) -> Option<String> {
        let t = self.tokens.get(token)?;
        match t.expires_at_ms {
            Some(at) if at <= now_ms => None,
            _ => Some(t.channel_id.clone()),
        }
    }

    /// v2.1 tokens of `channel_id` still valid at `now_ms`.
    pub fn valid_v21_tokens(&self, channel_id: &str, now_ms: u128) -> usize {
        self.tokens
            .values()
            .filter(|t| t.channel_id == channel_id && t.key_id.is_some())
            .filter(|t| t.expires_at_ms.is_none_or(|at| at > now_ms))
            .count()
    }

    pub fn next_message_id(&mut self) -> String {
        let id = self.next_message_id;
        self.next_message_id += 1;
        id.to_string()
    }

    pub fn is_friend(&self, channel_id: &str, user_id: &str) -> bool {
        self.friends
            .contains(&(channel_id.to_string(), user_id.to_string()))
    }

    /// Makes them friends; returns whether anything changed.
    pub fn befriend(&mut self, channel_id: &str, user_id: &str) -> bool {
        let pair = (channel_id.to_string(), user_id.to_string());
        self.blocked.remove(&pair);
        self.friends.insert(pair)
    }

    /// The user blocks the account (LINE has no "unfriend": unfollow is a block).
    pub fn block(&mut self, channel_id: &str, user_id: &str) {
        let pair = (channel_id.to_string(), user_id.to_string());
        self.friends.remove(&pair);
        self.blocked.insert(pair);
    }

    /// The channel whose secret this is.
    pub fn channel_by_secret(&self, secret: &str) -> Option<(&String, &Channel)> {
        self.channels.iter().find(|(_, c)| c.secret == secret)
    }

    /// Forgets retry keys older than `ttl_ms`.
    pub fn expire_retry_keys(&mut self, now_ms: u128, ttl_ms: u128) {
        self.retry_keys
            .retain(|_, a| now_ms.saturating_sub(a.at_ms) < ttl_ms);
    }
}
