//! Parsers for the webhook bodies the receivers act on. Each one reads only the fields
//! renkei uses and ignores the rest, so a provider adding fields (they do, often) never
//! breaks a receiver. Parse only after the signature was verified on the raw bytes.

use serde::{Deserialize, Deserializer};

/// The body is not the JSON this webhook sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventError {
    /// Where parsing failed (serde's text: positions and field names, never the input).
    pub message: String,
}

impl EventError {
    pub fn code(&self) -> &'static str {
        "malformed_event"
    }
}

impl std::fmt::Display for EventError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "malformed_event: {}", self.message)
    }
}

impl std::error::Error for EventError {}

fn parse<'a, T: Deserialize<'a>>(body: &'a [u8]) -> Result<T, EventError> {
    serde_json::from_slice(body).map_err(|e| EventError {
        message: e.to_string(),
    })
}

/// IDs some providers send as a number in one event and a string in another.
fn id_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Option::<serde_json::Value>::deserialize(d)? {
        Some(serde_json::Value::String(s)) => Some(s),
        Some(serde_json::Value::Number(n)) => Some(n.to_string()),
        _ => None,
    })
}

/// LINE Messaging API webhooks (`/work/shared/specs/line-webhook.yml`).
pub mod line {
    use super::{parse, EventError};
    use serde::Deserialize;

    /// A webhook delivery: `destination` (the bot's user ID) and its events. An empty
    /// `events` array is LINE checking that the endpoint answers (the console's Verify).
    #[derive(Debug, Clone, Deserialize)]
    pub struct FollowEvents {
        #[serde(default)]
        pub destination: String,
        #[serde(default)]
        pub events: Vec<Event>,
    }

    #[derive(Debug, Clone, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Event {
        /// `follow`, `unfollow`, `message`, `join`, … (kept as text: new types appear).
        #[serde(rename = "type")]
        pub kind: String,
        pub source: Option<Source>,
        /// ULID; the same event redelivered keeps it, so it de-duplicates.
        #[serde(default)]
        pub webhook_event_id: String,
        /// Milliseconds since the epoch.
        #[serde(default)]
        pub timestamp: i64,
        /// `active` or `standby`.
        pub mode: Option<String>,
        pub delivery_context: Option<DeliveryContext>,
        /// Only on `follow`: whether the user unblocked rather than newly added the account.
        pub follow: Option<FollowDetail>,
    }

    #[derive(Debug, Clone, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Source {
        /// `user`, `group` or `room`.
        #[serde(rename = "type", default)]
        pub kind: String,
        pub user_id: Option<String>,
        pub group_id: Option<String>,
        pub room_id: Option<String>,
    }

    #[derive(Debug, Clone, Copy, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct DeliveryContext {
        #[serde(default)]
        pub is_redelivery: bool,
    }

    #[derive(Debug, Clone, Copy, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct FollowDetail {
        #[serde(default)]
        pub is_unblocked: bool,
    }

    impl FollowEvents {
        pub fn parse(body: &[u8]) -> Result<Self, EventError> {
            parse(body)
        }

        /// LINE's connectivity check: a delivery without events.
        pub fn is_verification(&self) -> bool {
            self.events.is_empty()
        }

        /// Users who added (or unblocked) the official account: now reachable by push.
        pub fn followed_user_ids(&self) -> impl Iterator<Item = &str> {
            self.events
                .iter()
                .filter(|e| e.is_follow())
                .filter_map(Event::user_id)
        }

        /// Users who blocked the official account: pushes to them fail from now on.
        pub fn unfollowed_user_ids(&self) -> impl Iterator<Item = &str> {
            self.events
                .iter()
                .filter(|e| e.is_unfollow())
                .filter_map(Event::user_id)
        }
    }

    impl Event {
        pub fn is_follow(&self) -> bool {
            self.kind == "follow"
        }
        pub fn is_unfollow(&self) -> bool {
            self.kind == "unfollow"
        }
        pub fn is_redelivery(&self) -> bool {
            self.delivery_context.is_some_and(|d| d.is_redelivery)
        }
        /// The user the event came from, when it names one.
        pub fn user_id(&self) -> Option<&str> {
            self.source
                .as_ref()?
                .user_id
                .as_deref()
                .filter(|id| !id.is_empty())
        }
    }
}

/// Slack Events API requests.
pub mod slack {
    use super::{parse, EventError};
    use serde::Deserialize;

    /// What Slack posted.
    #[derive(Debug, Clone, PartialEq)]
    pub enum Inbound {
        /// Slack checking a new Request URL: answer with `challenge` (it is signed too, so
        /// verify first).
        UrlVerification { challenge: String },
        /// `type: event_callback`.
        Event(Box<EventEnvelope>),
        /// Another envelope type (`app_rate_limited`, …).
        Other { kind: String },
    }

    #[derive(Debug, Clone, PartialEq, Deserialize)]
    pub struct EventEnvelope {
        pub team_id: Option<String>,
        pub api_app_id: Option<String>,
        /// Stable across Slack's retries: de-duplicates.
        pub event_id: Option<String>,
        pub event_time: Option<i64>,
        pub event: InnerEvent,
    }

    #[derive(Debug, Clone, PartialEq, Deserialize)]
    pub struct InnerEvent {
        #[serde(rename = "type", default)]
        pub kind: String,
        /// A member ID in most events, a user object in some (`team_join`, `user_change`).
        pub user: Option<serde_json::Value>,
        pub channel: Option<serde_json::Value>,
        /// The event's other fields.
        #[serde(flatten)]
        pub rest: serde_json::Map<String, serde_json::Value>,
    }

    impl InnerEvent {
        /// The acting or affected member's ID, whether `user` is an ID or an object.
        pub fn user_id(&self) -> Option<&str> {
            match self.user.as_ref()? {
                serde_json::Value::String(s) => Some(s),
                serde_json::Value::Object(o) => o.get("id")?.as_str(),
                _ => None,
            }
        }
    }

    #[derive(Deserialize)]
    struct Raw {
        #[serde(rename = "type", default)]
        kind: String,
        challenge: Option<String>,
    }

    /// Reads the envelope; an `event_callback` without an `event` object is an error.
    pub fn parse_inbound(body: &[u8]) -> Result<Inbound, EventError> {
        let raw: Raw = parse(body)?;
        match raw.kind.as_str() {
            "url_verification" => match raw.challenge {
                Some(challenge) => Ok(Inbound::UrlVerification { challenge }),
                None => Err(EventError {
                    message: "url_verification without a challenge".into(),
                }),
            },
            "event_callback" => Ok(Inbound::Event(Box::new(parse(body)?))),
            _ => Ok(Inbound::Other { kind: raw.kind }),
        }
    }
}

/// Chatwork webhooks.
pub mod chatwork {
    use super::{id_string, parse, EventError};
    use serde::Deserialize;

    /// `{webhook_setting_id, webhook_event_type, webhook_event_time, webhook_event}`.
    #[derive(Debug, Clone, Deserialize)]
    pub struct WebhookEvent {
        /// Documented as a string; a number is accepted too.
        #[serde(default, deserialize_with = "id_string")]
        pub webhook_setting_id: Option<String>,
        /// `message_created`, `message_updated` or `mention_to_me`.
        pub webhook_event_type: String,
        #[serde(default)]
        pub webhook_event_time: i64,
        pub webhook_event: EventBody,
    }

    /// The fields of the three event types: a message event names its sender in
    /// `account_id`, `mention_to_me` in `from_account_id` (and the mentioned person in
    /// `to_account_id`).
    #[derive(Debug, Clone, Default, Deserialize)]
    pub struct EventBody {
        #[serde(default, deserialize_with = "id_string")]
        pub message_id: Option<String>,
        #[serde(default, deserialize_with = "id_string")]
        pub room_id: Option<String>,
        #[serde(default, deserialize_with = "id_string")]
        pub account_id: Option<String>,
        #[serde(default, deserialize_with = "id_string")]
        pub from_account_id: Option<String>,
        #[serde(default, deserialize_with = "id_string")]
        pub to_account_id: Option<String>,
        pub body: Option<String>,
        pub send_time: Option<i64>,
        pub update_time: Option<i64>,
    }

    impl WebhookEvent {
        pub fn parse(body: &[u8]) -> Result<Self, EventError> {
            parse(body)
        }

        /// Who posted: `account_id` or, for a mention, `from_account_id`.
        pub fn sender_account_id(&self) -> Option<&str> {
            let e = &self.webhook_event;
            e.account_id.as_deref().or(e.from_account_id.as_deref())
        }
    }
}

/// LINE WORKS bot callbacks.
pub mod line_works {
    use super::{id_string, parse, EventError};
    use serde::Deserialize;

    /// `{type, source{userId, channelId?, domainId}, issuedTime, content?}`.
    #[derive(Debug, Clone, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Callback {
        /// `message`, `postback`, `join`, `leave`, `joined`, `left`, …
        #[serde(rename = "type")]
        pub kind: String,
        pub source: Option<Source>,
        /// ISO 8601 (`2022-02-03T02:44:53.212Z`).
        pub issued_time: Option<String>,
        pub content: Option<serde_json::Value>,
    }

    #[derive(Debug, Clone, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Source {
        pub user_id: Option<String>,
        /// Present when the event happened in a group channel rather than 1:1.
        pub channel_id: Option<String>,
        #[serde(default, deserialize_with = "id_string")]
        pub domain_id: Option<String>,
    }

    impl Callback {
        pub fn parse(body: &[u8]) -> Result<Self, EventError> {
            parse(body)
        }

        pub fn user_id(&self) -> Option<&str> {
            self.source.as_ref()?.user_id.as_deref()
        }

        /// `issuedTime` as Unix milliseconds, when it is a valid timestamp.
        pub fn issued_unix_ms(&self) -> Option<i64> {
            let t = chrono::DateTime::parse_from_rfc3339(self.issued_time.as_deref()?).ok()?;
            Some(t.timestamp_millis())
        }
    }
}
