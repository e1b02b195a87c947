//! LINE Login v2.1 for member linking: the member logs in with LINE (and is asked to add
//! the tenant's official account as a friend, `bot_prompt=aggressive`); the ID token's
//! `sub` is their user ID for the Messaging API channel, because the Login channel is
//! under the same provider (user IDs differ between providers).

use jsonwebtoken::{errors::ErrorKind, Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use thiserror::Error;

use super::Line;

/// `iss` of ID tokens from LINE Login.
pub const ID_TOKEN_ISSUER: &str = "https://access.line.me";

/// Why linking did not work; each text says what to do, in Japanese and English.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum LoginError {
    #[error("LINE での連携がキャンセルされました。もう一度「LINE で連携」を押して許可してください / The LINE login was cancelled: press \"Link with LINE\" again and allow it")]
    Denied { description: Option<String> },
    #[error("LINE がログインを中止しました ({error}{}) / LINE stopped the login ({error}); try again, and if it repeats check the LINE Login channel's settings", .description.as_ref().map(|d| format!(": {d}")).unwrap_or_default())]
    Callback {
        error: String,
        description: Option<String>,
    },
    #[error("ログインの有効期限が切れたか、すでに使われています。もう一度やり直してください / The login expired or was already used (LINE: invalid_grant): start again")]
    InvalidGrant { description: Option<String> },
    #[error("LINE Login チャネルの Channel ID またはチャネルシークレットが違います。管理者が LINE 接続の login_channel_id / login_channel_secret を確認してください / LINE refused the LINE Login channel's ID or secret (invalid_client): the administrator must check login_channel_id and login_channel_secret on the LINE connection")]
    InvalidClient { description: Option<String> },
    #[error("LINE がログインを拒否しました ({error}) / LINE refused the login (HTTP {status}, {error}): check that the callback URL is registered on the LINE Login channel")]
    Rejected {
        status: u16,
        error: String,
        description: Option<String>,
    },
    #[error("LINE から ID トークンが返されませんでした (scope に openid が必要です) / LINE returned no ID token: the login must ask for the openid scope")]
    NoIdToken,
    #[error("ID トークンの検証に失敗しました ({0})。もう一度やり直してください / The ID token from LINE did not verify ({0}): start again")]
    InvalidIdToken(&'static str),
    #[error("LINE に接続できませんでした。しばらくしてからやり直してください / Could not reach LINE ({0}): try again in a moment")]
    Unavailable(String),
}

impl LoginError {
    /// Machine-readable code for the API and the result page.
    pub fn code(&self) -> &'static str {
        match self {
            LoginError::Denied { .. } => "line_login_denied",
            LoginError::Callback { .. } => "line_login_failed",
            LoginError::InvalidGrant { .. } => "line_login_expired",
            LoginError::InvalidClient { .. } => "line_login_channel_invalid",
            LoginError::Rejected { .. } => "line_login_rejected",
            LoginError::NoIdToken | LoginError::InvalidIdToken(_) => "line_login_invalid_id_token",
            LoginError::Unavailable(_) => "line_unreachable",
        }
    }

    /// The callback came back with `error=…` instead of a code (`access_denied`: the
    /// person pressed cancel on LINE's consent screen).
    pub fn from_callback(error: &str, description: Option<&str>) -> LoginError {
        let description = description.map(str::to_string);
        match error {
            "access_denied" => LoginError::Denied { description },
            "server_error" | "temporarily_unavailable" => {
                LoginError::Unavailable(format!("callback error {error}"))
            }
            _ => LoginError::Callback {
                error: error.to_string(),
                description,
            },
        }
    }
}

/// Percent-encodes everything but RFC 3986 unreserved characters (a space is `%20`).
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Where to send the member: LINE's login and consent screen, which also offers to add the
/// Login channel's linked official account as a friend (`bot_prompt=aggressive`). After
/// it, LINE redirects to `redirect_uri` with `code` and `state` (and
/// `friendship_status_changed`), or with `error` (see [`LoginError::from_callback`]).
pub fn authorize_url(
    login_base: &str,
    channel_id: &str,
    redirect_uri: &str,
    state: &str,
    nonce: &str,
) -> String {
    format!(
        "{}/oauth2/v2.1/authorize?response_type=code&client_id={}&redirect_uri={}&state={}&scope=profile%20openid&nonce={}&bot_prompt=aggressive",
        crate::config::base(login_base),
        encode(channel_id),
        encode(redirect_uri),
        encode(state),
        encode(nonce),
    )
}

#[derive(Deserialize)]
struct TokenAnswer {
    id_token: Option<String>,
}

#[derive(Deserialize)]
struct OauthError {
    #[serde(default)]
    error: String,
    error_description: Option<String>,
}

impl Line {
    /// Exchanges the callback's `code` for the ID token (the member's access token is not
    /// kept: renkei only needs to know who they are).
    pub async fn exchange_code(
        &self,
        login_channel_id: &str,
        login_channel_secret: &str,
        code: &str,
        redirect_uri: &str,
    ) -> Result<String, LoginError> {
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect_uri),
            ("client_id", login_channel_id),
            ("client_secret", login_channel_secret),
        ];
        let resp = self
            .http
            .post(format!("{}/oauth2/v2.1/token", self.api_url))
            .form(&form)
            .send()
            .await
            .map_err(|e| LoginError::Unavailable(crate::transport_error(&e)))?;
        let status = resp.status().as_u16();
        let body = resp
            .text()
            .await
            .map_err(|e| LoginError::Unavailable(crate::transport_error(&e)))?;
        if status == 200 {
            let answer: TokenAnswer = serde_json::from_str(&body)
                .map_err(|e| LoginError::Unavailable(format!("unexpected token answer: {e}")))?;
            return answer.id_token.ok_or(LoginError::NoIdToken);
        }
        if status >= 500 || status == 429 {
            return Err(LoginError::Unavailable(format!("HTTP {status}")));
        }
        let e: OauthError = serde_json::from_str(&body).unwrap_or(OauthError {
            error: String::new(),
            error_description: None,
        });
        let description = e.error_description;
        Err(match e.error.as_str() {
            "invalid_grant" => LoginError::InvalidGrant { description },
            "invalid_client" | "unauthorized_client" => LoginError::InvalidClient { description },
            _ => LoginError::Rejected {
                status,
                error: if e.error.is_empty() {
                    "unknown_error".into()
                } else {
                    e.error
                },
                description,
            },
        })
    }
}

/// What an ID token says about the member.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct IdTokenClaims {
    /// The LINE user ID (`U…`): the member's `identities.line.user_id`.
    pub sub: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub picture: Option<String>,
    #[serde(default)]
    nonce: Option<String>,
}

/// Verifies an ID token from LINE web login (HS256, keyed with the Login channel secret):
/// signature, `iss`, `aud` = the Login channel ID, `exp`, and the `nonce` renkei put in
/// the authorize URL. Returns the claims.
pub fn id_token_claims(
    id_token: &str,
    channel_id: &str,
    channel_secret: &str,
    nonce: &str,
) -> Result<IdTokenClaims, LoginError> {
    let mut v = Validation::new(Algorithm::HS256);
    v.set_issuer(&[ID_TOKEN_ISSUER]);
    v.set_audience(&[channel_id]);
    v.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    v.leeway = 60;
    let key = DecodingKey::from_secret(channel_secret.as_bytes());
    let claims = jsonwebtoken::decode::<IdTokenClaims>(id_token, &key, &v)
        .map_err(|e| {
            LoginError::InvalidIdToken(match e.kind() {
                ErrorKind::InvalidSignature => "bad signature",
                ErrorKind::ExpiredSignature => "expired",
                ErrorKind::InvalidAudience => "issued for another channel",
                ErrorKind::InvalidIssuer => "not issued by LINE",
                ErrorKind::InvalidAlgorithm => "unexpected algorithm",
                _ => "malformed",
            })
        })?
        .claims;
    if claims.nonce.as_deref() != Some(nonce) {
        return Err(LoginError::InvalidIdToken(
            "nonce does not match this login",
        ));
    }
    Ok(claims)
}

/// [`id_token_claims`], returning the member's LINE user ID.
pub fn verify_id_token(
    id_token: &str,
    channel_id: &str,
    channel_secret: &str,
    nonce: &str,
) -> Result<String, LoginError> {
    id_token_claims(id_token, channel_id, channel_secret, nonce).map(|c| c.sub)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callback_errors_are_named() {
        let denied = LoginError::from_callback(
            "access_denied",
            Some("The resource owner denied the request."),
        );
        assert_eq!(denied.code(), "line_login_denied");
        assert!(denied.to_string().contains("cancelled"));
        assert_eq!(
            LoginError::from_callback("invalid_scope", None).code(),
            "line_login_failed"
        );
    }

    #[test]
    fn components_are_percent_encoded() {
        assert_eq!(
            encode("https://a.example/cb?x=1 2"),
            "https%3A%2F%2Fa.example%2Fcb%3Fx%3D1%202"
        );
        assert_eq!(encode("aZ09-._~"), "aZ09-._~");
    }
}
