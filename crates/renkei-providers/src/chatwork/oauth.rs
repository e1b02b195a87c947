//! Chatwork OAuth2: the consent URL (authorization code + PKCE S256), the token endpoint
//! (code exchange and refresh, client authenticated by HTTP Basic), and errors that say
//! what the admin must fix.
//!
//! Chatwork has no documented token revocation endpoint: unlinking a connection deletes
//! its tokens on our side; the admin removes the app under Chatwork's
//! サービス連携 → OAuth settings to revoke the grant itself.

use std::fmt;

use base64::Engine;
use rand::RngCore;
use serde::{Deserialize, Deserializer, Serialize};
use sha2::{Digest, Sha256};

/// What renkei asks for: `offline_access` keeps the refresh token alive past 14 days;
/// `users.profile.me:read` finds the account and its My Chat; rooms to post; contacts to
/// find each member's direct chat.
pub const SCOPES_RECOMMENDED: &str =
    "offline_access users.profile.me:read rooms.all:read_write contacts.all:read_write";

/// Every scope Chatwork documents.
pub const ALL_SCOPES: &[&str] = &[
    "offline_access",
    "users.all:read",
    "users.profile.me:read",
    "users.status.me:read",
    "users.tasks.me:read",
    "rooms.all:read_write",
    "rooms.all:read",
    "rooms.all:write",
    "rooms:write",
    "rooms.info:read",
    "rooms.info:write",
    "rooms.members:read",
    "rooms.members:write",
    "rooms.messages:read",
    "rooms.messages:write",
    "rooms.tasks:read",
    "rooms.tasks:write",
    "rooms.files:read",
    "rooms.files:write",
    "contacts.all:read_write",
    "contacts.all:read",
    "contacts.all:write",
];

/// Assumed access-token lifetime when Chatwork omits `expires_in` (the short end of the
/// 15–30 minutes seen), so renkei refreshes early rather than late.
const DEFAULT_EXPIRES_IN: u64 = 15 * 60;

/// A PKCE pair (RFC 7636): keep `verifier` with the pending login (never in the URL),
/// send `challenge` to the consent page.
#[derive(Clone, PartialEq, Eq)]
pub struct Pkce {
    pub verifier: String,
    pub challenge: String,
}

impl Pkce {
    /// 32 random bytes as base64url: a 43-character verifier from the unreserved set.
    pub fn generate() -> Pkce {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        let verifier = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
        let challenge = Pkce::challenge_for(&verifier);
        Pkce {
            verifier,
            challenge,
        }
    }

    /// S256: base64url(SHA-256(verifier)) without padding.
    pub fn challenge_for(verifier: &str) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
    }
}

impl fmt::Debug for Pkce {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pkce")
            .field("verifier", &"<redacted>")
            .field("challenge", &self.challenge)
            .finish()
    }
}

/// Percent-encoding for a query value: spaces as `%20` (not `+`), so the space-separated
/// scope list reads the same to every parser.
fn encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

/// The consent page URL the admin is sent to.
pub fn authorize_url(
    login_url: &str,
    client_id: &str,
    redirect_uri: &str,
    scopes: &str,
    state: &str,
    code_challenge: &str,
) -> String {
    let params = [
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", redirect_uri),
        ("scope", scopes),
        ("state", state),
        ("code_challenge", code_challenge),
        ("code_challenge_method", "S256"),
    ];
    let query: Vec<String> = params
        .iter()
        .map(|(k, v)| format!("{k}={}", encode(v)))
        .collect();
    let sep = if login_url.contains('?') { '&' } else { '?' };
    format!("{login_url}{sep}{}", query.join("&"))
}

/// What the token endpoint issued.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenSet {
    pub access_token: String,
    pub refresh_token: String,
    /// Unix seconds when the access token expires.
    pub expires_at_unix: i64,
    /// Space-separated scopes granted.
    pub scope: String,
}

impl TokenSet {
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scope.split(' ').any(|s| s == scope)
    }
}

impl fmt::Debug for TokenSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenSet")
            .field("access_token", &"<redacted>")
            .field("refresh_token", &"<redacted>")
            .field("expires_at_unix", &self.expires_at_unix)
            .field("scope", &self.scope)
            .finish()
    }
}

/// `expires_in` arrives as `1800` or as `"1800"`: accept both (and a float).
fn number_or_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Seconds {
        Int(u64),
        Float(f64),
        Text(String),
    }
    match Option::<Seconds>::deserialize(d)? {
        None => Ok(None),
        Some(Seconds::Int(n)) => Ok(Some(n)),
        // Lifetimes are small positive numbers; anything else is clamped.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        Some(Seconds::Float(f)) => Ok(Some(f.max(0.0) as u64)),
        Some(Seconds::Text(s)) => s
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| serde::de::Error::custom("expires_in is not a number")),
    }
}

/// The token endpoint's success body. No `Debug`: it holds tokens.
#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    #[serde(default)]
    refresh_token: Option<String>,
    #[serde(default, deserialize_with = "number_or_string")]
    expires_in: Option<u64>,
    #[serde(default)]
    scope: Option<String>,
}

#[derive(Deserialize)]
struct ErrorResponse {
    error: String,
    #[serde(default)]
    error_description: Option<String>,
}

mod error;
pub use error::OAuthError;

/// Talks to Chatwork's token endpoint (`{oauth_url}/token`).
#[derive(Clone)]
pub struct OAuthClient {
    http: reqwest::Client,
    token_url: String,
}

impl OAuthClient {
    pub fn new(http: reqwest::Client, oauth_url: &str) -> Self {
        OAuthClient {
            http,
            token_url: format!("{}/token", crate::config::base(oauth_url)),
        }
    }

    /// Exchanges the code from the callback (valid 1 minute, once) for tokens.
    pub async fn exchange_code(
        &self,
        client_id: &str,
        client_secret: &str,
        code: &str,
        redirect_uri: &str,
        verifier: &str,
    ) -> Result<TokenSet, OAuthError> {
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect_uri),
            ("code_verifier", verifier),
        ];
        self.token_request(client_id, client_secret, &form, None)
            .await
    }

    /// A new access token (and usually a new refresh token: keep whichever comes back).
    pub async fn refresh(
        &self,
        client_id: &str,
        client_secret: &str,
        refresh_token: &str,
    ) -> Result<TokenSet, OAuthError> {
        let form = [
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ];
        self.token_request(client_id, client_secret, &form, Some(refresh_token))
            .await
            .map_err(|e| match e {
                OAuthError::InvalidGrant { description } => {
                    OAuthError::RefreshRejected { description }
                }
                other => other,
            })
    }

    /// `previous_refresh`: kept when a refresh answer carries no new refresh token.
    async fn token_request(
        &self,
        client_id: &str,
        client_secret: &str,
        form: &[(&str, &str)],
        previous_refresh: Option<&str>,
    ) -> Result<TokenSet, OAuthError> {
        let resp = self
            .http
            .post(&self.token_url)
            .header(
                reqwest::header::AUTHORIZATION,
                basic(client_id, client_secret),
            )
            .form(form)
            .send()
            .await
            .map_err(|e| OAuthError::Transport(crate::transport_error(&e)))?;
        let status = resp.status().as_u16();
        let text = resp
            .text()
            .await
            .map_err(|e| OAuthError::Transport(crate::transport_error(&e)))?;
        if status == 200 {
            let body: TokenResponse = serde_json::from_str(&text)
                .map_err(|e| OAuthError::InvalidResponse(e.to_string()))?;
            let refresh_token = match (body.refresh_token, previous_refresh) {
                (Some(t), _) => t,
                (None, Some(old)) => old.to_owned(),
                (None, None) => {
                    return Err(OAuthError::InvalidResponse(
                        "Chatwork issued no refresh token".into(),
                    ))
                }
            };
            let lifetime = body.expires_in.unwrap_or(DEFAULT_EXPIRES_IN);
            let lifetime = i64::try_from(lifetime).unwrap_or(i64::MAX / 2);
            return Ok(TokenSet {
                access_token: body.access_token,
                refresh_token,
                expires_at_unix: chrono::Utc::now().timestamp().saturating_add(lifetime),
                scope: body.scope.unwrap_or_default(),
            });
        }
        match serde_json::from_str::<ErrorResponse>(&text) {
            Ok(e) if status < 500 => Err(OAuthError::from_code(
                &e.error,
                e.error_description.as_deref().unwrap_or_default(),
            )),
            _ => Err(OAuthError::Unavailable { status }),
        }
    }
}

/// `Basic base64(urlencode(id):urlencode(secret))`, as RFC 6749 §2.3.1 and Chatwork's own
/// client encode it.
fn basic(client_id: &str, client_secret: &str) -> String {
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let pair = format!("{}:{}", enc(client_id), enc(client_secret));
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(pair)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expires_in_is_read_as_number_or_string() {
        for body in [
            r#"{"access_token":"a","expires_in":1800}"#,
            r#"{"access_token":"a","expires_in":"1800"}"#,
            r#"{"access_token":"a","expires_in":1800.0}"#,
        ] {
            let t: TokenResponse = serde_json::from_str(body).unwrap();
            assert_eq!(t.expires_in, Some(1800), "{body}");
        }
        let missing: TokenResponse = serde_json::from_str(r#"{"access_token":"a"}"#).unwrap();
        assert_eq!(missing.expires_in, None);
        assert!(serde_json::from_str::<TokenResponse>(
            r#"{"access_token":"a","expires_in":"soon"}"#
        )
        .is_err());
    }

    #[test]
    fn pkce_matches_rfc7636() {
        let v = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        assert_eq!(
            Pkce::challenge_for(v),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        let p = Pkce::generate();
        assert!((43..=128).contains(&p.verifier.len()));
        assert!(p
            .verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b)));
        assert_eq!(p.challenge, Pkce::challenge_for(&p.verifier));
        assert_ne!(p, Pkce::generate(), "random each time");
        assert!(!format!("{p:?}").contains(&p.verifier));
    }

    #[test]
    fn basic_header_url_encodes_both_parts() {
        // base64("a%2Bb:c%3Ad")
        assert_eq!(basic("a+b", "c:d"), "Basic YSUyQmI6YyUzQWQ=");
        assert_eq!(basic("id", "secret"), "Basic aWQ6c2VjcmV0");
    }

    #[test]
    fn token_set_debug_hides_tokens() {
        let t = TokenSet {
            access_token: "ACCESS-SECRET".into(),
            refresh_token: "REFRESH-SECRET".into(),
            expires_at_unix: 1,
            scope: "rooms.all:read_write".into(),
        };
        let shown = format!("{t:?}");
        assert!(!shown.contains("SECRET"), "{shown}");
        assert!(t.has_scope("rooms.all:read_write") && !t.has_scope("rooms"));
    }
}
