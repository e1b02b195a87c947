//! The HTTP side: every API call runs with the connection's cached token and, when LINE
//! WORKS refuses the token, renews it and tries once more within the same send.

use reqwest::header::CONTENT_TYPE;
use reqwest::{Method, Url};

use super::calendar::{event_body, parse_calendar_op, Absence, CalendarOp};
use super::classify::{
    classify, rate_info, scope_help, scope_missing, token_refused, ApiError, Target,
};
use super::credentials::Credentials;
use super::token::{self, TokenError, BOT_SCOPE, CALENDAR_SCOPE};
use super::LineWorks;
use crate::{RateInfo, SendOutcome, SendResult};

/// An answer from the API, read to the end.
pub(super) struct Answer {
    pub status: u16,
    pub rate: Option<RateInfo>,
    pub error: ApiError,
    pub body: String,
}

impl Answer {
    fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }

    fn delivered(&self, message_id: Option<String>) -> SendResult {
        SendResult {
            outcome: SendOutcome::Delivered { message_id },
            http_status: Some(self.status),
            error: None,
            rate: self.rate,
            reached_provider: true,
        }
    }

    fn failed(&self, target: Target<'_>) -> SendResult {
        let now = chrono::Utc::now().timestamp();
        let (outcome, error) = classify(self.status, &self.error, self.rate, now, target);
        SendResult {
            outcome,
            http_status: Some(self.status),
            error: Some(error),
            rate: self.rate,
            reached_provider: true,
        }
    }
}

/// A token that could not be had, as the outcome of the send that needed it.
fn token_failure(e: TokenError, scope: &str) -> SendResult {
    let (outcome, status, error, reached) = match e {
        TokenError::InvalidKey => (
            SendOutcome::CredentialRejected,
            None,
            "the stored LINE WORKS private key cannot sign; paste the service account key again".to_string(),
            false,
        ),
        TokenError::Rejected { status, description } => (
            SendOutcome::CredentialRejected,
            Some(status),
            format!("LINE WORKS refused the app's credentials ({description}); check the Client ID, Client Secret, Service Account and private key"),
            true,
        ),
        TokenError::Scope { status, description } => (
            SendOutcome::Refused { code: "line_works_scope_missing" },
            Some(status),
            format!("the LINE WORKS app may not use the `{scope}` scope ({description}). {}", scope_help(scope)),
            true,
        ),
        TokenError::RateLimited { after } => (
            SendOutcome::Retry { after },
            Some(429),
            "LINE WORKS is limiting token requests".to_string(),
            true,
        ),
        TokenError::Unavailable { status, message, reached } => (
            SendOutcome::Retry { after: None },
            status,
            format!("could not get a LINE WORKS access token: {message}"),
            reached,
        ),
    };
    SendResult {
        outcome,
        http_status: status,
        error: Some(error),
        rate: None,
        reached_provider: reached,
    }
}

impl LineWorks {
    /// `{api}/a/b/c`, each segment percent-encoded.
    pub(super) fn url(&self, segments: &[&str]) -> Result<Url, String> {
        let mut url = self.api_url.clone().map_err(|e| e.to_string())?;
        url.path_segments_mut()
            .map_err(|_| "the LINE WORKS API URL cannot take a path".to_string())?
            .pop_if_empty()
            .extend(segments);
        Ok(url)
    }

    pub(super) async fn once(
        &self,
        method: &Method,
        url: &Url,
        token: &str,
        body: Option<&str>,
    ) -> Result<Answer, SendResult> {
        let mut req = self
            .http
            .request(method.clone(), url.clone())
            .bearer_auth(token);
        if let Some(b) = body {
            req = req
                .header(CONTENT_TYPE, "application/json")
                .body(b.to_string());
        }
        let crate::http::Answer {
            status,
            headers,
            body,
        } = crate::exchange(req).await?;
        let rate = rate_info(&headers, chrono::Utc::now().timestamp());
        let error = if (200..300).contains(&status) {
            ApiError::default()
        } else {
            ApiError::parse(&body)
        };
        Ok(Answer {
            status,
            rate,
            error,
            body,
        })
    }

    /// One API call with the token for `scope`. A refused token (403 `UNAUTHORIZED` =
    /// expired, or 401) is renewed and the call repeated once; the second answer stands.
    pub(super) async fn call(
        &self,
        connection: i64,
        creds: &Credentials,
        scope: &'static str,
        method: Method,
        url: &Url,
        body: Option<&str>,
    ) -> Result<Answer, SendResult> {
        let fetch = || token::request(&self.http, &self.token_url, creds, scope);
        let token = self.tokens.get(connection, creds, scope, fetch).await;
        let token = token.map_err(|e| token_failure(e, scope))?;
        let first = self.once(&method, url, &token, body).await?;
        if scope_missing(first.status, &first.error) {
            // The token was issued before the scope was taken away: once the admin adds it
            // back, the next attempt must ask for a new one.
            self.tokens
                .invalidate(connection, creds, scope, &token)
                .await;
        }
        if !token_refused(first.status, &first.error) {
            return Ok(first);
        }
        self.tokens
            .invalidate(connection, creds, scope, &token)
            .await;
        let fetch = || token::request(&self.http, &self.token_url, creds, scope);
        let renewed = self.tokens.get(connection, creds, scope, fetch).await;
        let renewed = renewed.map_err(|e| token_failure(e, scope))?;
        self.once(&method, url, &renewed, body).await
    }

    /// `POST /bots/{botId}/users/{userId}/messages` or `.../channels/{channelId}/messages`.
    pub(super) async fn post_message(
        &self,
        connection: i64,
        creds: &Credentials,
        target: Target<'_>,
        rendered: &str,
    ) -> SendResult {
        let url = match target {
            Target::User(u) => self.url(&["bots", &creds.bot_id, "users", u, "messages"]),
            Target::Channel(c) => self.url(&["bots", &creds.bot_id, "channels", c, "messages"]),
            Target::Calendar(_) => Err("a calendar is not a message destination".into()),
        };
        let url = match url {
            Ok(u) => u,
            Err(e) => return SendResult::local(SendOutcome::Retry { after: None }, e),
        };
        let body = super::render::message_body(rendered);
        match self
            .call(
                connection,
                creds,
                BOT_SCOPE,
                Method::POST,
                &url,
                Some(&body),
            )
            .await
        {
            Ok(a) if a.ok() => a.delivered(None),
            Ok(a) => a.failed(target),
            Err(r) => r,
        }
    }

    /// Runs a rendered [`CalendarOp`] against `user`'s default calendar.
    pub(super) async fn calendar(
        &self,
        connection: i64,
        creds: &Credentials,
        user: &str,
        rendered: &str,
    ) -> SendResult {
        let op = match parse_calendar_op(rendered) {
            Ok(op) => op,
            Err(e) => return SendResult::local(SendOutcome::Permanent, e),
        };
        let result = match &op {
            CalendarOp::Upsert { event_id, absence } => {
                self.upsert_event(connection, creds, user, event_id, absence)
                    .await
            }
            CalendarOp::Delete { event_id } => {
                self.delete_event(connection, creds, user, event_id).await
            }
        };
        result.unwrap_or_else(|r| r)
    }

    /// `PUT` the event; if it does not exist yet, `POST` it with its ID; if that answers
    /// 409 (another attempt created it meanwhile), `PUT` again. Every path leaves exactly
    /// one event with this ID holding this absence.
    async fn upsert_event(
        &self,
        connection: i64,
        creds: &Credentials,
        user: &str,
        event_id: &str,
        absence: &Absence,
    ) -> Result<SendResult, SendResult> {
        let local = |e: String| SendResult::local(SendOutcome::Retry { after: None }, e);
        let item = self
            .url(&["users", user, "calendar", "events", event_id])
            .map_err(local)?;
        let list = self
            .url(&["users", user, "calendar", "events"])
            .map_err(local)?;
        let body = event_body(event_id, absence).to_string();
        let target = Target::Calendar(user);
        let id = Some(event_id.to_string());
        let put = || {
            self.call(
                connection,
                creds,
                CALENDAR_SCOPE,
                Method::PUT,
                &item,
                Some(&body),
            )
        };
        let first = put().await?;
        if first.ok() {
            return Ok(first.delivered(id));
        }
        if first.status != 404 {
            return Ok(first.failed(target));
        }
        let created = self
            .call(
                connection,
                creds,
                CALENDAR_SCOPE,
                Method::POST,
                &list,
                Some(&body),
            )
            .await?;
        if created.ok() {
            return Ok(created.delivered(id));
        }
        if created.status != 409 {
            return Ok(created.failed(target));
        }
        let again = put().await?;
        Ok(if again.ok() {
            again.delivered(id)
        } else {
            again.failed(target)
        })
    }

    /// `DELETE` the event; one already gone (404) is what was wanted.
    async fn delete_event(
        &self,
        connection: i64,
        creds: &Credentials,
        user: &str,
        event_id: &str,
    ) -> Result<SendResult, SendResult> {
        let local = |e: String| SendResult::local(SendOutcome::Retry { after: None }, e);
        let item = self
            .url(&["users", user, "calendar", "events", event_id])
            .map_err(local)?;
        let answer = self
            .call(
                connection,
                creds,
                CALENDAR_SCOPE,
                Method::DELETE,
                &item,
                None,
            )
            .await?;
        Ok(if answer.ok() || answer.status == 404 {
            answer.delivered(Some(event_id.to_string()))
        } else {
            answer.failed(Target::Calendar(user))
        })
    }
}
