//! Service-account access tokens: the RS256 JWT assertion, the token request, and a cache
//! per connection and scope that renews a token shortly before it expires.
//!
//! Renewal issues a new JWT grant rather than using the refresh token: the private key is
//! always at hand, a JWT grant cannot fail because a refresh token expired or was already
//! rotated by another node, and nothing renewed needs to be persisted.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::credentials::Credentials;

/// Scope for bot messages and `GET /bots/{botId}`.
pub const BOT_SCOPE: &str = "bot";
/// Scope for the default calendar (absence sync). Asked for separately, so an app without
/// the calendar scope still sends messages.
pub const CALENDAR_SCOPE: &str = "calendar";
pub const JWT_BEARER_GRANT: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
/// Lifetime of the assertion itself (LINE WORKS accepts at most 60 minutes).
pub const ASSERTION_LIFETIME_SECS: i64 = 30 * 60;
/// Used when the token answer has no `expires_in` (LINE WORKS' shortest token life).
const DEFAULT_TOKEN_LIFE: Duration = Duration::from_secs(3600);
const MAX_RENEW_MARGIN: Duration = Duration::from_secs(300);

#[derive(Serialize)]
struct Claims<'a> {
    iss: &'a str,
    sub: &'a str,
    iat: i64,
    exp: i64,
}

/// The signed assertion for `POST /token`: `iss` = Client ID, `sub` = Service Account.
pub fn assertion(creds: &Credentials, now_unix: i64) -> Result<String, TokenError> {
    let claims = Claims {
        iss: &creds.client_id,
        sub: &creds.service_account,
        iat: now_unix,
        exp: now_unix + ASSERTION_LIFETIME_SECS,
    };
    let header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    let key = jsonwebtoken::EncodingKey::from_rsa_pem(creds.private_key.as_bytes())
        .map_err(|_| TokenError::InvalidKey)?;
    jsonwebtoken::encode(&header, &claims, &key).map_err(|_| TokenError::InvalidKey)
}

/// An access token; `Debug` hides it.
#[derive(Clone)]
pub struct AccessToken {
    pub token: String,
    pub life: Duration,
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "AccessToken({}, {:?})",
            crate::credentials::hint(&self.token),
            self.life
        )
    }
}

/// Why no token was issued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenError {
    /// The private key cannot sign (checked when pasted, so only a damaged stored key).
    InvalidKey,
    /// `invalid_client`, `invalid_grant`, …: the credentials are wrong.
    Rejected {
        status: u16,
        description: String,
    },
    /// `invalid_scope`: the app in the Developer Console lacks the scope.
    Scope {
        status: u16,
        description: String,
    },
    RateLimited {
        after: Option<Duration>,
    },
    /// 5xx, transport failure, or an answer that is not a token.
    Unavailable {
        status: Option<u16>,
        message: String,
        reached: bool,
    },
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    #[serde(default, deserialize_with = "number_or_string")]
    expires_in: Option<u64>,
}

/// `expires_in` has been seen both as `86400` and `"86400"`.
fn number_or_string<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    Ok(match serde_json::Value::deserialize(d)? {
        serde_json::Value::Number(n) => n.as_u64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    })
}

/// `{"error","error_description"}` (OAuth) or `{"code","description"}` (API style).
fn token_error(body: &str) -> (String, String) {
    let v: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
    let text = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_string);
    let code = text("error").or_else(|| text("code")).unwrap_or_default();
    let description = text("error_description")
        .or_else(|| text("description"))
        .unwrap_or_else(|| body.chars().take(200).collect());
    (code, description)
}

/// `POST {auth_url}/token` with a fresh assertion.
pub async fn request(
    http: &reqwest::Client,
    token_url: &str,
    creds: &Credentials,
    scope: &str,
) -> Result<AccessToken, TokenError> {
    let assertion = assertion(creds, chrono::Utc::now().timestamp())?;
    let form = [
        ("assertion", assertion.as_str()),
        ("grant_type", JWT_BEARER_GRANT),
        ("client_id", creds.client_id.as_str()),
        ("client_secret", creds.client_secret.as_str()),
        ("scope", scope),
    ];
    let unavailable = |status, e: &reqwest::Error, reached| TokenError::Unavailable {
        status,
        message: crate::transport_error(e),
        reached,
    };
    let resp = http
        .post(token_url)
        .form(&form)
        .send()
        .await
        .map_err(|e| unavailable(None, &e, !e.is_connect()))?;
    let status = resp.status().as_u16();
    let rate = super::classify::rate_info(resp.headers(), chrono::Utc::now().timestamp());
    let body = resp
        .text()
        .await
        .map_err(|e| unavailable(Some(status), &e, true))?;
    if status == 200 {
        let answer: TokenAnswer =
            serde_json::from_str(&body).map_err(|e| TokenError::Unavailable {
                status: Some(status),
                message: format!(
                    "LINE WORKS answered the token request with an unexpected body: {e}"
                ),
                reached: true,
            })?;
        let life = answer
            .expires_in
            .map_or(DEFAULT_TOKEN_LIFE, Duration::from_secs);
        return Ok(AccessToken {
            token: answer.access_token,
            life,
        });
    }
    let (code, description) = token_error(&body);
    let description = format!("{code}: {description}");
    Err(match status {
        429 => TokenError::RateLimited {
            after: rate.map(|r| {
                let wait = r.reset_unix - chrono::Utc::now().timestamp();
                Duration::from_secs(u64::try_from(wait.max(1)).unwrap_or(1))
            }),
        },
        _ if code == "invalid_scope" => TokenError::Scope {
            status,
            description,
        },
        400..=499 => TokenError::Rejected {
            status,
            description,
        },
        _ => TokenError::Unavailable {
            status: Some(status),
            message: description,
            reached: true,
        },
    })
}

/// Renew when less than this remains: 10 % of the token's life, at most 5 minutes (so a
/// 1 h or 24 h token is renewed 5 minutes early; a short test token near its end).
pub fn renew_margin(life: Duration) -> Duration {
    (life / 10).min(MAX_RENEW_MARGIN)
}

struct Cached {
    token: String,
    obtained: Instant,
    life: Duration,
}

impl Cached {
    fn fresh(&self, now: Instant) -> bool {
        let age = now.saturating_duration_since(self.obtained);
        self.life.saturating_sub(age) > renew_margin(self.life)
    }
}

#[derive(Clone, PartialEq, Eq, Hash)]
struct SlotKey {
    connection: i64,
    fingerprint: String,
    scope: &'static str,
}

type Slot = Arc<tokio::sync::Mutex<Option<Cached>>>;

/// Tokens in memory, one slot per (connection, credentials, scope). A slot's async mutex is
/// held while a token is fetched, so concurrent sends of a connection share one renewal.
#[derive(Default)]
pub struct TokenCache {
    slots: parking_lot::Mutex<HashMap<SlotKey, Slot>>,
}

impl TokenCache {
    fn slot(&self, connection: i64, creds: &Credentials, scope: &'static str) -> Slot {
        let key = SlotKey {
            connection,
            fingerprint: creds.fingerprint(),
            scope,
        };
        let mut slots = self.slots.lock();
        // Tokens of the connection's previous credentials are of no further use.
        slots.retain(|k, _| k.connection != connection || k.fingerprint == key.fingerprint);
        slots.entry(key).or_default().clone()
    }

    /// The cached token if it is not near its end, else a new one from `fetch`.
    pub async fn get<F, Fut>(
        &self,
        connection: i64,
        creds: &Credentials,
        scope: &'static str,
        fetch: F,
    ) -> Result<String, TokenError>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<AccessToken, TokenError>>,
    {
        let slot = self.slot(connection, creds, scope);
        let mut cached = slot.lock().await;
        if let Some(c) = cached.as_ref().filter(|c| c.fresh(Instant::now())) {
            return Ok(c.token.clone());
        }
        let issued = fetch().await?;
        *cached = Some(Cached {
            token: issued.token.clone(),
            obtained: Instant::now(),
            life: issued.life,
        });
        Ok(issued.token)
    }

    /// Forgets `used` after LINE WORKS refused it. A token another send already replaced
    /// stays, so a burst of refusals leads to one renewal.
    pub async fn invalidate(
        &self,
        connection: i64,
        creds: &Credentials,
        scope: &'static str,
        used: &str,
    ) {
        let slot = self.slot(connection, creds, scope);
        let mut cached = slot.lock().await;
        if cached.as_ref().is_some_and(|c| c.token == used) {
            *cached = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn margin_is_ten_percent_capped_at_five_minutes() {
        assert_eq!(renew_margin(Duration::from_secs(86_400)), MAX_RENEW_MARGIN);
        assert_eq!(renew_margin(Duration::from_secs(3_600)), MAX_RENEW_MARGIN);
        assert_eq!(
            renew_margin(Duration::from_secs(10)),
            Duration::from_secs(1)
        );
    }

    #[test]
    fn tokens_go_stale_inside_the_margin() {
        let now = Instant::now();
        let c = Cached {
            token: "t".into(),
            obtained: now,
            life: Duration::from_secs(3600),
        };
        assert!(c.fresh(now + Duration::from_secs(3200)));
        assert!(!c.fresh(now + Duration::from_secs(3301)));
    }

    #[test]
    fn expires_in_is_read_as_number_or_string() {
        for body in [
            r#"{"access_token":"a","expires_in":86400}"#,
            r#"{"access_token":"a","expires_in":"86400"}"#,
        ] {
            let t: TokenAnswer = serde_json::from_str(body).unwrap();
            assert_eq!(t.expires_in, Some(86_400));
        }
        let none: TokenAnswer = serde_json::from_str(r#"{"access_token":"a"}"#).unwrap();
        assert_eq!(none.expires_in, None);
    }

    #[test]
    fn both_error_shapes_are_read() {
        let oauth = r#"{"error":"invalid_client","error_description":"bad secret"}"#;
        assert_eq!(
            token_error(oauth),
            ("invalid_client".into(), "bad secret".into())
        );
        let api = r#"{"code":"INVALID_PARAMETER","description":"scope"}"#;
        assert_eq!(
            token_error(api),
            ("INVALID_PARAMETER".into(), "scope".into())
        );
    }
}
