//! Chatwork API v2: `X-ChatWorkToken` auth, form-encoded bodies, `{"errors":[..]}` errors,
//! 300 requests / 5 min per token and 10 posts / 10 s per room.

mod classify;

use std::time::Duration;

use futures::future::BoxFuture;
use renkei_core::model::{Mention, Notice};
use renkei_core::render::chatwork as notation;
use serde::Deserialize;
use thiserror::Error;

use crate::{DeliveryProvider, DirectRooms, LaneLimits, SendOutcome, SendResult};
pub use classify::{classify, rate_info};

pub const DEFAULT_API_URL: &str = "https://api.chatwork.com/v2";

/// `GET /me`: who the token speaks for, and their My Chat.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct Me {
    pub account_id: i64,
    pub room_id: i64,
    pub name: String,
}

#[derive(Debug, Error)]
pub enum ChatworkError {
    #[error("Chatwork refused the API token ({0})")]
    InvalidToken(String),
    #[error("Chatwork answered HTTP {status}: {message}")]
    Http { status: u16, message: String },
    #[error("could not reach Chatwork: {0}")]
    Transport(String),
}

#[derive(Debug, Clone, Copy)]
pub struct ChatworkLimits {
    pub token: (u32, Duration),
    pub room: (u32, Duration),
}

impl Default for ChatworkLimits {
    fn default() -> Self {
        ChatworkLimits {
            token: (300, Duration::from_secs(300)),
            room: (10, Duration::from_secs(10)),
        }
    }
}

#[derive(Clone)]
pub struct Chatwork {
    http: reqwest::Client,
    base_url: String,
    limits: Option<ChatworkLimits>,
}

/// One entry of `GET /contacts`.
#[derive(Debug, Clone, Deserialize, serde::Serialize, PartialEq, Eq)]
pub struct Contact {
    pub account_id: i64,
    /// The direct chat between the token's owner and this contact.
    pub room_id: i64,
    pub name: String,
    #[serde(default)]
    pub chatwork_id: String,
    #[serde(default)]
    pub organization_name: String,
    #[serde(default)]
    pub department: String,
}

/// One entry of `GET /rooms`.
#[derive(Debug, Clone, Deserialize, serde::Serialize, PartialEq, Eq)]
pub struct Room {
    pub room_id: i64,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub role: String,
}

/// One entry of `GET /incoming_requests`.
#[derive(Debug, Clone, Deserialize, serde::Serialize, PartialEq, Eq)]
pub struct IncomingRequest {
    pub request_id: i64,
    pub account_id: i64,
    #[serde(default)]
    pub message: String,
    pub name: String,
    #[serde(default)]
    pub organization_name: String,
}

#[derive(Deserialize)]
struct Posted {
    message_id: serde_json::Value,
}

fn token_of(credentials: &serde_json::Value) -> Option<&str> {
    credentials.get("api_token").and_then(|t| t.as_str())
}

impl Chatwork {
    /// `limits: None` turns client-side limiting off (benchmarks against an unlimited fake).
    pub fn new(http: reqwest::Client, base_url: &str, limits: Option<ChatworkLimits>) -> Self {
        Chatwork {
            http,
            base_url: base_url.trim_end_matches('/').to_string(),
            limits,
        }
    }

    /// A room that answered 429 rests for its window (10 s by default).
    fn room_pause(&self) -> Duration {
        self.limits.unwrap_or_default().room.1
    }

    /// Verifies a token: the account it speaks for and its My Chat room.
    pub async fn me(&self, token: &str) -> Result<Me, ChatworkError> {
        let resp = self
            .http
            .get(format!("{}/me", self.base_url))
            .header("X-ChatWorkToken", token)
            .send()
            .await
            .map_err(|e| ChatworkError::Transport(without_url(&e)))?;
        let status = resp.status().as_u16();
        let text = resp
            .text()
            .await
            .map_err(|e| ChatworkError::Transport(without_url(&e)))?;
        match status {
            200 => serde_json::from_str(&text).map_err(|e| ChatworkError::Http {
                status,
                message: format!("unexpected /me body: {e}"),
            }),
            401 => Err(ChatworkError::InvalidToken(classify::error_text(&text))),
            _ => Err(ChatworkError::Http {
                status,
                message: classify::error_text(&text),
            }),
        }
    }

    /// `GET` a JSON list; Chatwork answers 204 with no body for an empty one.
    async fn get_list<T: serde::de::DeserializeOwned>(
        &self,
        token: &str,
        path: &str,
    ) -> Result<Vec<T>, SendResult> {
        self.call_json(self.http.get(format!("{}{path}", self.base_url)), token)
            .await
            .map(|v| v.unwrap_or_default())
    }

    /// Sends a request and reads a JSON answer (`None` for 204), classifying failures as sends.
    async fn call_json<T: serde::de::DeserializeOwned>(
        &self,
        req: reqwest::RequestBuilder,
        token: &str,
    ) -> Result<Option<T>, SendResult> {
        let resp = req
            .header("X-ChatWorkToken", token)
            .send()
            .await
            .map_err(|e| SendResult::local(SendOutcome::Retry { after: None }, without_url(&e)))?;
        let status = resp.status().as_u16();
        let rate = rate_info(resp.headers());
        let text = resp
            .text()
            .await
            .map_err(|e| SendResult::local(SendOutcome::Retry { after: None }, without_url(&e)))?;
        match status {
            204 => Ok(None),
            200 => serde_json::from_str(&text)
                .map(Some)
                .map_err(|e| SendResult {
                    outcome: SendOutcome::Retry { after: None },
                    http_status: Some(status),
                    error: Some(format!("unexpected answer from Chatwork: {e}")),
                    rate,
                    reached_provider: true,
                }),
            _ => {
                let error = classify::error_text(&text);
                Err(SendResult {
                    outcome: classify(status, &error, rate, self.room_pause()),
                    http_status: Some(status),
                    error: Some(error),
                    rate,
                    reached_provider: true,
                })
            }
        }
    }

    /// The token owner's contacts, with the direct chat of each.
    pub async fn contacts(&self, token: &str) -> Result<Vec<Contact>, SendResult> {
        self.get_list(token, "/contacts").await
    }

    /// Rooms the token owner is in (Chatwork lists at most 100).
    pub async fn rooms(&self, token: &str) -> Result<Vec<Room>, SendResult> {
        self.get_list(token, "/rooms").await
    }

    /// Contact requests waiting for the token owner's approval.
    pub async fn incoming_requests(&self, token: &str) -> Result<Vec<IncomingRequest>, SendResult> {
        self.get_list(token, "/incoming_requests").await
    }

    /// Approves a contact request; the requester becomes a contact (and gets a direct chat).
    pub async fn approve_request(
        &self,
        token: &str,
        request_id: i64,
    ) -> Result<Contact, SendResult> {
        let req = self
            .http
            .put(format!("{}/incoming_requests/{request_id}", self.base_url));
        self.call_json(req, token).await?.ok_or_else(|| {
            SendResult::local(
                SendOutcome::Retry { after: None },
                "Chatwork answered the approval with no body".into(),
            )
        })
    }

    pub async fn post_message(&self, token: &str, room: &str, body: &str) -> SendResult {
        let resp = self
            .http
            .post(format!("{}/rooms/{}/messages", self.base_url, room))
            .header("X-ChatWorkToken", token)
            .form(&[("body", body), ("self_unread", "0")])
            .send()
            .await;
        let resp = match resp {
            Ok(r) => r,
            Err(e) => {
                return SendResult {
                    outcome: SendOutcome::Retry { after: None },
                    http_status: None,
                    error: Some(without_url(&e)),
                    rate: None,
                    // A timeout may have reached Chatwork; a refused connection did not.
                    reached_provider: !e.is_connect(),
                };
            }
        };
        let status = resp.status().as_u16();
        let rate = rate_info(resp.headers());
        let text = match resp.text().await {
            Ok(t) => t,
            Err(e) => {
                return SendResult {
                    outcome: SendOutcome::Retry { after: None },
                    http_status: Some(status),
                    error: Some(without_url(&e)),
                    rate,
                    reached_provider: true,
                }
            }
        };
        if status == 200 {
            let message_id =
                serde_json::from_str::<Posted>(&text)
                    .ok()
                    .map(|p| match p.message_id {
                        // message_id is a string that can exceed 2^53; keep it as text either way.
                        serde_json::Value::String(s) => s,
                        other => other.to_string(),
                    });
            return SendResult {
                outcome: SendOutcome::Delivered { message_id },
                http_status: Some(status),
                error: None,
                rate,
                reached_provider: true,
            };
        }
        let error = classify::error_text(&text);
        SendResult {
            outcome: classify(status, &error, rate, self.room_pause()),
            http_status: Some(status),
            error: Some(error),
            rate,
            reached_provider: true,
        }
    }
}

/// reqwest errors print the URL; ours never hold secrets, but keep messages short anyway.
fn without_url(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connection failed"
    } else {
        "request failed"
    };
    let mut msg = kind.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        msg = format!("{msg}: {s}");
        src = s.source();
    }
    msg
}

impl DeliveryProvider for Chatwork {
    fn render(&self, notice: &Notice, mentions: &[Mention]) -> String {
        notation::render(notice, mentions)
    }

    fn send<'a>(
        &'a self,
        credentials: &'a serde_json::Value,
        room: &'a str,
        rendered: &'a str,
    ) -> BoxFuture<'a, SendResult> {
        Box::pin(async move {
            let Some(token) = token_of(credentials) else {
                return SendResult {
                    outcome: SendOutcome::CredentialRejected,
                    http_status: None,
                    error: Some("the stored credentials have no api_token".into()),
                    rate: None,
                    reached_provider: false,
                };
            };
            self.post_message(token, room, rendered).await
        })
    }

    fn limits(&self) -> LaneLimits {
        match self.limits {
            Some(l) => LaneLimits {
                per_credential: Some(l.token),
                per_room: Some(l.room),
            },
            None => LaneLimits {
                per_credential: None,
                per_room: None,
            },
        }
    }

    fn direct_rooms<'a>(
        &'a self,
        credentials: &'a serde_json::Value,
    ) -> BoxFuture<'a, Result<DirectRooms, SendResult>> {
        Box::pin(async move {
            let token = token_of(credentials).ok_or_else(|| {
                SendResult::local(
                    SendOutcome::CredentialRejected,
                    "the stored credentials have no api_token".into(),
                )
            })?;
            let contacts = self.contacts(token).await?;
            Ok(contacts
                .into_iter()
                .map(|c| (c.account_id.to_string(), c.room_id.to_string()))
                .collect())
        })
    }

    fn not_reachable_directly(&self, account: &str) -> SendResult {
        SendResult::local(
            SendOutcome::Refused { code: "chatwork_not_a_contact" },
            format!(
                "Chatwork account {account} is not a contact of the notifying account, so there is no direct chat: \
                 the member must accept the notifying account's contact request in Chatwork \
                 (or an admin approves the member's request under the connection's contact requests)"
            ),
        )
    }
}
