//! Channel access tokens v2.1: issued from an assertion, kept in memory per signing key,
//! persisted with the connection (so another node, or this one after a restart, reuses
//! it instead of issuing a new one: LINE allows 30 valid v2.1 tokens per channel), and
//! renewed before they expire.

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::Value;

use super::creds::Auth;
use super::key::{assertion, signing_key};
use super::Line;
use crate::{SendOutcome, SendResult};

/// An issued token and when it stops working (Unix seconds).
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct IssuedToken {
    pub access_token: String,
    pub key_id: String,
    pub issued_at: i64,
    pub expires_at: i64,
}

impl std::fmt::Debug for IssuedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedToken")
            .field("key_id", &self.key_id)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

impl IssuedToken {
    /// Renewed when less than half its life, at most an hour, remains.
    pub(crate) fn usable(&self, now: i64) -> bool {
        let margin = ((self.expires_at - self.issued_at) / 2).clamp(0, 3600);
        now < self.expires_at - margin
    }

    pub(crate) fn from_stored(credentials: &Value) -> Option<Self> {
        Some(IssuedToken {
            access_token: credentials.get("access_token")?.as_str()?.to_string(),
            key_id: credentials
                .get("access_token_key_id")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            issued_at: credentials.get("access_token_issued_at")?.as_i64()?,
            expires_at: credentials.get("access_token_expires_at")?.as_i64()?,
        })
    }

    pub(crate) fn write_into(&self, obj: &mut serde_json::Map<String, Value>) {
        obj.insert("access_token".into(), self.access_token.clone().into());
        obj.insert("access_token_key_id".into(), self.key_id.clone().into());
        obj.insert("access_token_issued_at".into(), self.issued_at.into());
        obj.insert("access_token_expires_at".into(), self.expires_at.into());
    }
}

#[derive(Default)]
pub(crate) struct TokenCache {
    tokens: parking_lot::Mutex<HashMap<(String, String), IssuedToken>>,
    /// One issuance at a time, so parallel sends after expiry share one new token.
    issuing: tokio::sync::Mutex<()>,
}

/// Why no token could be issued.
#[derive(Debug)]
pub(crate) enum TokenError {
    /// The private key cannot sign: fixed only by pasting a correct key.
    Key(String),
    /// LINE refused the assertion (wrong channel ID, kid, key, or an unregistered key).
    Refused { status: u16, text: String },
    /// LINE could not be asked (transport, 5xx, 429).
    Unavailable { status: Option<u16>, text: String },
}

impl TokenError {
    pub(crate) fn into_send_result(self) -> SendResult {
        let (outcome, status, text, reached) = match self {
            TokenError::Key(text) => (SendOutcome::CredentialRejected, None, text, false),
            TokenError::Refused { status, text } => (
                SendOutcome::CredentialRejected,
                Some(status),
                format!("LINE refused to issue a channel access token v2.1: {text}. Check the channel ID, the kid and that the public key is still registered on the channel"),
                true,
            ),
            TokenError::Unavailable { status, text } => (
                SendOutcome::Retry { after: None },
                status,
                format!("could not get a channel access token from LINE: {text}"),
                status.is_some(),
            ),
        };
        SendResult {
            outcome,
            http_status: status,
            error: Some(text),
            rate: None,
            reached_provider: reached,
        }
    }
}

#[derive(Deserialize)]
struct Issued {
    access_token: String,
    expires_in: i64,
    #[serde(default)]
    key_id: String,
}

#[derive(Deserialize)]
struct OauthError {
    error: String,
    #[serde(default)]
    error_description: String,
}

pub(crate) fn now_unix() -> i64 {
    chrono::Utc::now().timestamp()
}

impl Line {
    /// `POST /oauth2/v2.1/token` with a fresh assertion.
    pub(crate) async fn issue_token(
        &self,
        channel_id: &str,
        private_key: &str,
        kid: &str,
    ) -> Result<IssuedToken, TokenError> {
        let key = signing_key(private_key).map_err(TokenError::Key)?;
        let now = now_unix();
        let jwt = assertion(channel_id, kid, &key, now).map_err(TokenError::Key)?;
        let form = [
            ("grant_type", "client_credentials"),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ),
            ("client_assertion", jwt.as_str()),
        ];
        let resp = self
            .http
            .post(format!("{}/oauth2/v2.1/token", self.api_url))
            .form(&form)
            .send()
            .await
            .map_err(|e| TokenError::Unavailable {
                status: None,
                text: crate::transport_error(&e),
            })?;
        let status = resp.status().as_u16();
        let body = resp.text().await.unwrap_or_default();
        match status {
            200 => {
                let issued: Issued =
                    serde_json::from_str(&body).map_err(|e| TokenError::Unavailable {
                        status: Some(status),
                        text: format!("unexpected token answer: {e}"),
                    })?;
                Ok(IssuedToken {
                    access_token: issued.access_token,
                    key_id: issued.key_id,
                    issued_at: now,
                    expires_at: now + issued.expires_in,
                })
            }
            400..=499 if status != 429 => {
                let text = match serde_json::from_str::<OauthError>(&body) {
                    Ok(e) if e.error_description.is_empty() => e.error,
                    Ok(e) => format!("{} ({})", e.error, e.error_description),
                    Err(_) => body.chars().take(200).collect(),
                };
                Err(TokenError::Refused { status, text })
            }
            _ => Err(TokenError::Unavailable {
                status: Some(status),
                text: format!("HTTP {status}"),
            }),
        }
    }

    /// The token to send with. For v2.1: the cached or stored one while usable and not
    /// `stale` (the one LINE just refused), else a new one, persisted for `connection`.
    pub(crate) async fn access_token(
        &self,
        connection: Option<i64>,
        auth: &Auth,
        credentials: &Value,
        stale: Option<&str>,
    ) -> Result<String, SendResult> {
        let (channel_id, private_key, kid) = match auth {
            Auth::LongLived { token } => return Ok(token.clone()),
            Auth::V21 {
                channel_id,
                private_key,
                kid,
            } => (channel_id, private_key, kid),
        };
        let cache_key = (channel_id.clone(), kid.clone());
        let fits = |t: &IssuedToken| t.usable(now_unix()) && Some(t.access_token.as_str()) != stale;
        if let Some(t) = self
            .tokens
            .tokens
            .lock()
            .get(&cache_key)
            .filter(|t| fits(t))
        {
            return Ok(t.access_token.clone());
        }
        let _one_at_a_time = self.tokens.issuing.lock().await;
        // Another send may have issued one while this one waited.
        if let Some(t) = self
            .tokens
            .tokens
            .lock()
            .get(&cache_key)
            .filter(|t| fits(t))
        {
            return Ok(t.access_token.clone());
        }
        if let Some(t) = IssuedToken::from_stored(credentials).filter(|t| fits(t)) {
            self.tokens.tokens.lock().insert(cache_key, t.clone());
            return Ok(t.access_token);
        }
        let issued = self
            .issue_token(channel_id, private_key, kid)
            .await
            .map_err(TokenError::into_send_result)?;
        self.tokens.tokens.lock().insert(cache_key, issued.clone());
        if let Some(connection) = connection {
            // Only the token fields: the store merges them into what it holds, so a
            // channel secret changed meanwhile is not overwritten by this lane's old copy.
            let mut updated = serde_json::Map::new();
            issued.write_into(&mut updated);
            if let Err(e) = self.store.save(connection, &Value::Object(updated)).await {
                // The token still works; another node will just issue its own.
                tracing::warn!(connection, error = %e, "could not persist the renewed LINE token");
            }
        }
        Ok(issued.access_token)
    }

    /// Puts a token issued while connecting into the cache.
    pub(crate) fn remember(&self, auth: &Auth, token: &IssuedToken) {
        if let Some(key) = auth.cache_key() {
            self.tokens.tokens.lock().insert(key, token.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_renewed_before_they_expire() {
        let day = IssuedToken {
            access_token: "t".into(),
            key_id: "k".into(),
            issued_at: 0,
            expires_at: 86_400,
        };
        assert!(day.usable(82_799));
        assert!(!day.usable(82_800), "an hour before expiry it is renewed");
        let short = IssuedToken {
            expires_at: 10,
            ..day.clone()
        };
        assert!(short.usable(4) && !short.usable(5), "half of a short life");
    }

    #[test]
    fn stored_tokens_round_trip_and_debug_hides_them() {
        let t = IssuedToken {
            access_token: "SECRET-TOKEN".into(),
            key_id: "kid1".into(),
            issued_at: 5,
            expires_at: 50,
        };
        let mut obj = serde_json::Map::new();
        t.write_into(&mut obj);
        assert_eq!(
            IssuedToken::from_stored(&Value::Object(obj)),
            Some(t.clone())
        );
        assert!(!format!("{t:?}").contains("SECRET"));
    }
}
