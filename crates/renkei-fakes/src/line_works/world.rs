//! What the fake LINE WORKS domain holds: apps and their tokens, bots, users, channels,
//! posted messages and calendar events.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Instant;

use serde::Serialize;
use serde_json::Value;

/// Every scope the fake knows; an app may use all of them unless restricted.
pub(crate) const ALL_SCOPES: [&str; 6] = [
    "bot",
    "bot.message",
    "bot.read",
    "calendar",
    "calendar.read",
    "user.read",
];

pub(crate) struct App {
    pub secret: String,
    pub service_account: String,
    pub key: jsonwebtoken::DecodingKey,
    pub scopes: Vec<String>,
}

pub(crate) struct Token {
    /// The app it was issued to.
    pub client_id: String,
    pub scopes: Vec<String>,
    pub expires_at: Instant,
}

pub(crate) struct Refresh {
    pub client_id: String,
    pub scopes: Vec<String>,
}

/// Where a message went.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "id")]
pub enum Destination {
    User(String),
    Channel(String),
}

/// A message a bot posted (201).
#[derive(Clone, Debug, Serialize)]
pub struct PostedMessage {
    /// The fake's own sequence number (LINE WORKS answers 201 without an ID).
    pub seq: u64,
    pub bot_id: i64,
    pub to: Destination,
    /// The request's `content` object.
    pub content: Value,
    pub received_at_ms: u128,
}

impl PostedMessage {
    /// `content.text` of a text message.
    pub fn text(&self) -> Option<&str> {
        self.content.get("text").and_then(Value::as_str)
    }
}

/// A bearer token as the API sees it.
pub(crate) enum TokenState {
    /// Never issued (or malformed): 401 with `WWW-Authenticate`.
    Unknown,
    /// Issued, but its life is over: 403 `UNAUTHORIZED`.
    Expired,
    /// Usable, with these scopes.
    Live(Vec<String>),
}

#[derive(Default)]
pub(crate) struct World {
    pub apps: HashMap<String, App>,
    pub tokens: HashMap<String, Token>,
    pub refresh_tokens: HashMap<String, Refresh>,
    pub tokens_issued: usize,
    pub bots: BTreeMap<i64, String>,
    pub users: BTreeSet<String>,
    /// Channel → bots in it.
    pub channels: HashMap<String, BTreeSet<i64>>,
    pub messages: Vec<PostedMessage>,
    /// User → event ID → the stored event component.
    pub events: HashMap<String, BTreeMap<String, Value>>,
    pub next_seq: u64,
}

impl World {
    /// What a bearer token is now.
    pub fn token_state(&self, token: &str, now: Instant) -> TokenState {
        match self.tokens.get(token) {
            None => TokenState::Unknown,
            Some(t) if now >= t.expires_at => TokenState::Expired,
            Some(t) => TokenState::Live(t.scopes.clone()),
        }
    }

    pub fn post(&mut self, bot_id: i64, to: Destination, content: Value, at: u128) {
        self.next_seq += 1;
        self.messages.push(PostedMessage {
            seq: self.next_seq,
            bot_id,
            to,
            content,
            received_at_ms: at,
        });
    }
}
