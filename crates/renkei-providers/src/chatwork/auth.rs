//! How requests to Chatwork are authenticated: an API token (`X-ChatWorkToken`) or an
//! OAuth access token (`Authorization: Bearer`). For a stored OAuth connection the access
//! token is refreshed shortly before it expires and after a 401 `invalid_token`, one
//! refresh at a time per connection, and the renewed set is saved.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::oauth::{OAuthClient, OAuthError, TokenSet};
use super::{classify, Chatwork};
use crate::{CredentialStore, RateInfo, SendOutcome, SendResult};

const TOKEN_HEADER: &str = "X-ChatWorkToken";

/// Refresh when the access token has less than this left (seconds): a request started
/// just before expiry must not arrive just after it.
const REFRESH_MARGIN_SECS: i64 = 60;

/// The credential one request (or one stored connection) uses.
#[derive(Clone, Copy)]
pub enum Auth<'a> {
    /// An API token (`X-ChatWorkToken`).
    Token(&'a str),
    /// An OAuth access token used as is, never refreshed (right after the code exchange).
    Bearer(&'a str),
    /// A stored connection's credentials, `{"api_token"}` or `{"oauth": {…}}`
    /// ([`OAuthCredentials`]): OAuth tokens are refreshed as needed and saved through the
    /// `CredentialStore` under `connection`.
    Stored {
        connection: i64,
        credentials: &'a serde_json::Value,
    },
}

impl<'a> From<&'a str> for Auth<'a> {
    fn from(token: &'a str) -> Self {
        Auth::Token(token)
    }
}

impl<'a> From<&'a String> for Auth<'a> {
    fn from(token: &'a String) -> Self {
        Auth::Token(token)
    }
}

impl<'a> From<crate::SendContext<'a>> for Auth<'a> {
    fn from(ctx: crate::SendContext<'a>) -> Self {
        Auth::Stored {
            connection: ctx.connection,
            credentials: ctx.credentials,
        }
    }
}

impl fmt::Debug for Auth<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Auth::Token(_) => f.write_str("Auth::Token(<redacted>)"),
            Auth::Bearer(_) => f.write_str("Auth::Bearer(<redacted>)"),
            Auth::Stored { connection, .. } => write!(f, "Auth::Stored({connection})"),
        }
    }
}

/// What an OAuth connection stores, under the `oauth` key of its credentials:
/// `{"oauth": {"client_id", "client_secret", "access_token", "refresh_token",
/// "expires_at": <unix seconds>, "scope": "<space-separated>"}}`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OAuthCredentials {
    pub client_id: String,
    pub client_secret: String,
    pub access_token: String,
    pub refresh_token: String,
    /// Unix seconds when the access token expires.
    pub expires_at: i64,
    #[serde(default)]
    pub scope: String,
}

impl OAuthCredentials {
    pub fn new(tokens: TokenSet, client_id: &str, client_secret: &str) -> Self {
        OAuthCredentials {
            client_id: client_id.to_owned(),
            client_secret: client_secret.to_owned(),
            access_token: tokens.access_token,
            refresh_token: tokens.refresh_token,
            expires_at: tokens.expires_at_unix,
            scope: tokens.scope,
        }
    }

    /// The stored form: `{"oauth": {…}}`.
    pub fn to_credentials(&self) -> serde_json::Value {
        serde_json::json!({ "oauth": self })
    }

    /// Reads `{"oauth": {…}}`; `None` for anything else (an API-token connection).
    pub fn from_credentials(credentials: &serde_json::Value) -> Option<Self> {
        serde_json::from_value(credentials.get("oauth")?.clone()).ok()
    }

    /// Keeps the client; takes the new tokens (and the old scope if none was answered).
    fn renewed(&self, tokens: TokenSet) -> Self {
        let scope = if tokens.scope.is_empty() {
            self.scope.clone()
        } else {
            tokens.scope
        };
        OAuthCredentials {
            access_token: tokens.access_token,
            refresh_token: tokens.refresh_token,
            expires_at: tokens.expires_at_unix,
            scope,
            ..self.clone()
        }
    }
}

impl fmt::Debug for OAuthCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthCredentials")
            .field("client_id", &self.client_id)
            .field("expires_at", &self.expires_at)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

/// A stored connection's credential, read from its JSON.
pub(super) enum Stored {
    ApiToken(String),
    OAuth(OAuthCredentials),
}

impl Stored {
    pub(super) fn parse(credentials: &serde_json::Value) -> Result<Stored, SendResult> {
        if let Some(t) = credentials.get("api_token").and_then(|t| t.as_str()) {
            return Ok(Stored::ApiToken(t.to_owned()));
        }
        OAuthCredentials::from_credentials(credentials)
            .map(Stored::OAuth)
            .ok_or_else(|| {
                SendResult::local(
                    SendOutcome::CredentialRejected,
                    "the stored Chatwork credentials have neither an api_token nor OAuth tokens"
                        .into(),
                )
            })
    }
}

/// Each OAuth connection's freshest token set, behind a lock that also serialises its
/// refreshes: concurrent sends wait for one refresh instead of spending the same
/// refresh token twice.
#[derive(Default)]
pub(super) struct TokenKeeper {
    slots: parking_lot::Mutex<HashMap<i64, Arc<tokio::sync::Mutex<Option<OAuthCredentials>>>>>,
}

impl TokenKeeper {
    pub(super) fn forget(&self, connection: i64) {
        self.slots.lock().remove(&connection);
    }

    /// An access token for `connection` that is not about to expire and is not
    /// `rejected` (the one Chatwork just answered 401 `invalid_token` to).
    pub(super) async fn access_token(
        &self,
        oauth: &OAuthClient,
        store: &dyn CredentialStore,
        connection: i64,
        stored: OAuthCredentials,
        rejected: Option<&str>,
    ) -> Result<String, SendResult> {
        let slot = self.slots.lock().entry(connection).or_default().clone();
        let mut held = slot.lock().await;
        // A copy passed in by the caller may be older than one refreshed here.
        let current = match held.take() {
            Some(cached) if cached.expires_at >= stored.expires_at => cached,
            _ => stored,
        };
        let now = chrono::Utc::now().timestamp();
        let stale = match rejected {
            Some(bad) => current.access_token == bad,
            None => current.expires_at.saturating_sub(now) < REFRESH_MARGIN_SECS,
        };
        if !stale {
            let token = current.access_token.clone();
            *held = Some(current);
            return Ok(token);
        }
        let refreshed = oauth
            .refresh(
                &current.client_id,
                &current.client_secret,
                &current.refresh_token,
            )
            .await;
        let tokens = match refreshed {
            Ok(t) => t,
            Err(e) if e.is_temporary() => {
                *held = Some(current);
                return Err(refresh_failure(&e));
            }
            Err(e) => {
                // Another node may have rotated the refresh token and saved the new set:
                // take it from the store before calling the connection broken.
                let newer = store
                    .load(connection)
                    .await
                    .and_then(|c| OAuthCredentials::from_credentials(&c))
                    .filter(|c| c.refresh_token != current.refresh_token);
                let Some(newer) = newer else {
                    *held = Some(current);
                    return Err(refresh_failure(&e));
                };
                let usable = newer.expires_at.saturating_sub(now) >= REFRESH_MARGIN_SECS
                    && rejected != Some(newer.access_token.as_str());
                if usable {
                    let token = newer.access_token.clone();
                    *held = Some(newer);
                    return Ok(token);
                }
                match oauth
                    .refresh(&newer.client_id, &newer.client_secret, &newer.refresh_token)
                    .await
                {
                    Ok(t) => {
                        let renewed = newer.renewed(t);
                        return Ok(self.keep(store, connection, &mut held, renewed).await);
                    }
                    Err(e) => {
                        *held = Some(newer);
                        return Err(refresh_failure(&e));
                    }
                }
            }
        };
        let renewed = current.renewed(tokens);
        Ok(self.keep(store, connection, &mut held, renewed).await)
    }

    /// Saves a renewed token set, keeps it in memory, and returns its access token.
    async fn keep(
        &self,
        store: &dyn CredentialStore,
        connection: i64,
        held: &mut Option<OAuthCredentials>,
        renewed: OAuthCredentials,
    ) -> String {
        if let Err(e) = store.save(connection, &renewed.to_credentials()).await {
            // Keep going with the tokens in memory; the next save (or a relink) fixes it.
            tracing::warn!(connection, error = %e, "could not save renewed Chatwork OAuth tokens");
        }
        let token = renewed.access_token.clone();
        *held = Some(renewed);
        token
    }
}

/// A failed refresh as a send result: retry when Chatwork was unreachable, otherwise the
/// connection needs the admin (link again, or fix the client).
fn refresh_failure(e: &OAuthError) -> SendResult {
    let outcome = if e.is_temporary() {
        SendOutcome::Retry { after: None }
    } else {
        SendOutcome::CredentialRejected
    };
    let mut result = SendResult::local(
        outcome,
        format!(
            "renewing the Chatwork access token failed: {}",
            e.message_en()
        ),
    );
    if let OAuthError::Unavailable { status } = e {
        result.http_status = Some(*status);
    }
    result
}

/// One answer from the API, read whole.
pub(super) struct Answer {
    pub(super) status: u16,
    pub(super) text: String,
    pub(super) rate: Option<RateInfo>,
    pub(super) challenge: classify::BearerChallenge,
}

impl Answer {
    fn token_expired(&self) -> bool {
        self.status == 401 && self.challenge.error.as_deref() == Some("invalid_token")
    }
}

impl Chatwork {
    /// Sends the request built by `build` with `auth`; a stored OAuth connection whose
    /// token Chatwork rejects as `invalid_token` is refreshed and the request sent once more.
    pub(super) async fn execute(
        &self,
        auth: &Auth<'_>,
        build: impl Fn() -> reqwest::RequestBuilder,
    ) -> Result<Answer, SendResult> {
        match auth {
            Auth::Token(t) => self.once(build().header(TOKEN_HEADER, *t)).await,
            Auth::Bearer(t) => self.once(build().bearer_auth(t)).await,
            Auth::Stored {
                connection,
                credentials,
            } => match Stored::parse(credentials)? {
                Stored::ApiToken(t) => self.once(build().header(TOKEN_HEADER, t)).await,
                Stored::OAuth(creds) => {
                    let keeper = &self.keeper;
                    let store = &*self.store;
                    let token = keeper
                        .access_token(&self.oauth, store, *connection, creds.clone(), None)
                        .await?;
                    let answer = self.once(build().bearer_auth(&token)).await?;
                    if !answer.token_expired() {
                        return Ok(answer);
                    }
                    let token = keeper
                        .access_token(&self.oauth, store, *connection, creds, Some(&token))
                        .await?;
                    self.once(build().bearer_auth(&token)).await
                }
            },
        }
    }

    async fn once(&self, req: reqwest::RequestBuilder) -> Result<Answer, SendResult> {
        let resp = req.send().await.map_err(|e| SendResult {
            outcome: SendOutcome::Retry { after: None },
            http_status: None,
            error: Some(crate::transport_error(&e)),
            rate: None,
            // A timeout may have reached Chatwork; a refused connection did not.
            reached_provider: !e.is_connect(),
        })?;
        let status = resp.status().as_u16();
        let rate = classify::rate_info(resp.headers());
        let challenge = resp
            .headers()
            .get(reqwest::header::WWW_AUTHENTICATE)
            .and_then(|v| v.to_str().ok())
            .map(classify::bearer_challenge)
            .unwrap_or_default();
        let text = resp.text().await.map_err(|e| SendResult {
            outcome: SendOutcome::Retry { after: None },
            http_status: Some(status),
            error: Some(crate::transport_error(&e)),
            rate,
            reached_provider: true,
        })?;
        Ok(Answer {
            status,
            text,
            rate,
            challenge,
        })
    }
}
