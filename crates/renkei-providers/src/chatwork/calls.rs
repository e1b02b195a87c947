//! The Chatwork API calls renkei makes, each with any [`Auth`]: an API token, a bare
//! OAuth access token, or a stored connection (refreshed as needed).

use serde::Deserialize;

use super::auth::{Answer, Auth};
use super::{classify, Chatwork, ChatworkError, Contact, IncomingRequest, Me, Room};
use crate::{SendOutcome, SendResult};

#[derive(Deserialize)]
struct Posted {
    message_id: serde_json::Value,
}

impl Chatwork {
    /// A non-2xx answer as a send result. A 403 `insufficient_scope` (OAuth) is about the
    /// connection's consent, not the room, so it says which scope to grant.
    fn refusal(&self, a: &Answer) -> SendResult {
        let error = classify::error_text(&a.text);
        if a.status == 403 && a.challenge.error.as_deref() == Some("insufficient_scope") {
            return SendResult {
                outcome: SendOutcome::Refused {
                    code: "chatwork_insufficient_scope",
                },
                http_status: Some(a.status),
                error: Some(scope_message(a)),
                rate: a.rate,
                reached_provider: true,
            };
        }
        SendResult {
            outcome: classify(a.status, &error, a.rate, self.room_pause()),
            http_status: Some(a.status),
            error: Some(error),
            rate: a.rate,
            reached_provider: true,
        }
    }

    /// Who the credential speaks for, and their My Chat room.
    pub async fn me<'a>(&self, auth: impl Into<Auth<'a>>) -> Result<Me, ChatworkError> {
        let url = format!("{}/me", self.base_url);
        let a = self
            .execute(&auth.into(), || self.http.get(&url))
            .await
            .map_err(|r| {
                let message = r.error.unwrap_or_default();
                match (r.outcome, r.http_status) {
                    (SendOutcome::CredentialRejected, _) => ChatworkError::InvalidToken(message),
                    (_, Some(status)) => ChatworkError::Http { status, message },
                    (_, None) => ChatworkError::Transport(message),
                }
            })?;
        match a.status {
            200 => serde_json::from_str(&a.text).map_err(|e| ChatworkError::Http {
                status: a.status,
                message: format!("unexpected /me body: {e}"),
            }),
            401 => Err(ChatworkError::InvalidToken(classify::error_text(&a.text))),
            403 if a.challenge.error.as_deref() == Some("insufficient_scope") => {
                Err(ChatworkError::Http {
                    status: 403,
                    message: scope_message(&a),
                })
            }
            status => Err(ChatworkError::Http {
                status,
                message: classify::error_text(&a.text),
            }),
        }
    }

    /// Sends a request and reads a JSON answer (`None` for 204), classifying failures as sends.
    async fn call_json<T: serde::de::DeserializeOwned>(
        &self,
        auth: &Auth<'_>,
        build: impl Fn() -> reqwest::RequestBuilder,
    ) -> Result<Option<T>, SendResult> {
        let a = self.execute(auth, build).await?;
        match a.status {
            204 => Ok(None),
            200 => serde_json::from_str(&a.text)
                .map(Some)
                .map_err(|e| SendResult {
                    outcome: SendOutcome::Retry { after: None },
                    http_status: Some(a.status),
                    error: Some(format!("unexpected answer from Chatwork: {e}")),
                    rate: a.rate,
                    reached_provider: true,
                }),
            _ => Err(self.refusal(&a)),
        }
    }

    /// `GET` a JSON list; Chatwork answers 204 with no body for an empty one.
    async fn get_list<T: serde::de::DeserializeOwned>(
        &self,
        auth: Auth<'_>,
        path: &str,
    ) -> Result<Vec<T>, SendResult> {
        let url = format!("{}{path}", self.base_url);
        self.call_json(&auth, || self.http.get(&url))
            .await
            .map(Option::unwrap_or_default)
    }

    /// The credential owner's contacts, with the direct chat of each.
    pub async fn contacts<'a>(
        &self,
        auth: impl Into<Auth<'a>>,
    ) -> Result<Vec<Contact>, SendResult> {
        self.get_list(auth.into(), "/contacts").await
    }

    /// Rooms the credential owner is in (Chatwork lists at most 100).
    pub async fn rooms<'a>(&self, auth: impl Into<Auth<'a>>) -> Result<Vec<Room>, SendResult> {
        self.get_list(auth.into(), "/rooms").await
    }

    /// Contact requests waiting for the credential owner's approval.
    pub async fn incoming_requests<'a>(
        &self,
        auth: impl Into<Auth<'a>>,
    ) -> Result<Vec<IncomingRequest>, SendResult> {
        self.get_list(auth.into(), "/incoming_requests").await
    }

    /// Approves a contact request; the requester becomes a contact (and gets a direct chat).
    pub async fn approve_request<'a>(
        &self,
        auth: impl Into<Auth<'a>>,
        request_id: i64,
    ) -> Result<Contact, SendResult> {
        let url = format!("{}/incoming_requests/{request_id}", self.base_url);
        self.call_json(&auth.into(), || self.http.put(&url))
            .await?
            .ok_or_else(|| {
                SendResult::local(
                    SendOutcome::Retry { after: None },
                    "Chatwork answered the approval with no body".into(),
                )
            })
    }

    /// Posts `body` into `room` (not marked unread for the poster).
    pub async fn post_message<'a>(
        &self,
        auth: impl Into<Auth<'a>>,
        room: &str,
        body: &str,
    ) -> SendResult {
        let url = format!("{}/rooms/{room}/messages", self.base_url);
        let form = [("body", body), ("self_unread", "0")];
        let a = match self
            .execute(&auth.into(), || self.http.post(&url).form(&form))
            .await
        {
            Ok(a) => a,
            Err(result) => return result,
        };
        if a.status != 200 {
            return self.refusal(&a);
        }
        let message_id = serde_json::from_str::<Posted>(&a.text)
            .ok()
            .map(|p| match p.message_id {
                // message_id is a string that can exceed 2^53; keep it as text either way.
                serde_json::Value::String(s) => s,
                other => other.to_string(),
            });
        SendResult {
            outcome: SendOutcome::Delivered { message_id },
            http_status: Some(a.status),
            error: None,
            rate: a.rate,
            reached_provider: true,
        }
    }
}

fn scope_message(a: &Answer) -> String {
    let needed = a
        .challenge
        .scope
        .as_deref()
        .filter(|s| !s.is_empty())
        .map_or_else(String::new, |s| format!(" (one of: {s})"));
    format!(
        "this Chatwork connection was authorised without the permission this needs{needed}: \
         link the Chatwork account again and allow every scope renkei asks for"
    )
}
