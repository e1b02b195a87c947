//! `connect`: the pasted credentials are proven by issuing a token for the bot scope and
//! reading the bot with it.

use reqwest::Method;
use serde::Deserialize;

use super::credentials::Credentials;
use super::token::{self, TokenError, BOT_SCOPE};
use super::LineWorks;
use crate::ConnectError;

/// `GET /bots/{botId}`.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Bot {
    #[serde(deserialize_with = "id_text")]
    pub bot_id: String,
    pub bot_name: String,
}

/// Bot IDs are numbers in answers and strings in paths; keep them as text.
fn id_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(match serde_json::Value::deserialize(d)? {
        serde_json::Value::String(s) => s,
        other => other.to_string(),
    })
}

impl LineWorks {
    /// Proves the credentials: a token for the bot scope, then the bot itself.
    pub async fn verify(&self, creds: &Credentials) -> Result<Bot, ConnectError> {
        let token = token::request(&self.http, &self.token_url, creds, BOT_SCOPE)
            .await
            .map_err(connect_token_error)?;
        let url = self
            .url(&["bots", &creds.bot_id])
            .map_err(|e| ConnectError::unavailable("line_works_error", e))?;
        let answer = self
            .once(&Method::GET, &url, &token.token, None)
            .await
            .map_err(|r| {
                ConnectError::unavailable(
                    "line_works_unreachable",
                    format!(
                        "could not reach LINE WORKS to check the bot ({}); try again",
                        r.error.unwrap_or_default()
                    ),
                )
            })?;
        let text = answer.error.text();
        match answer.status {
            200 => serde_json::from_str(&answer.body).map_err(|e| {
                ConnectError::unavailable("line_works_error", format!("unexpected answer for the bot: {e}"))
            }),
            404 => Err(ConnectError::invalid(
                "line_works_unknown_bot",
                format!("LINE WORKS has no bot {} in this domain ({text}): copy the Bot ID from the Developer Console (Bot), and make sure the bot belongs to the same domain as the app", creds.bot_id),
            )),
            403 if answer.error.code != "UNAUTHORIZED" => Err(ConnectError::invalid(
                "line_works_bot_access_denied",
                format!("the app may not use bot {} ({text}): give the app the `bot` scope in the Developer Console", creds.bot_id),
            )),
            status => Err(ConnectError::unavailable(
                "line_works_error",
                format!("LINE WORKS answered HTTP {status} while checking the bot ({text}); try again"),
            )),
        }
    }
}

fn connect_token_error(e: TokenError) -> ConnectError {
    match e {
        TokenError::InvalidKey => ConnectError::invalid(
            "line_works_invalid_private_key",
            "the private key cannot sign; paste the key file the Developer Console downloads for the service account",
        ),
        TokenError::Rejected { description, .. } => ConnectError::invalid(
            "line_works_invalid_credentials",
            format!("LINE WORKS refused these credentials ({description}). Check that the Client ID and Client Secret belong to one API 2.0 app, and that the private key was issued for that app's Service Account"),
        ),
        TokenError::Scope { description, .. } => ConnectError::invalid(
            "line_works_scope_missing",
            format!("the app may not use the `bot` scope ({description}): add `bot` under OAuth Scopes in the Developer Console"),
        ),
        TokenError::RateLimited { .. } => ConnectError::unavailable(
            "line_works_rate_limited",
            "LINE WORKS is limiting token requests; try again in a minute",
        ),
        TokenError::Unavailable { message, .. } => ConnectError::unavailable(
            "line_works_unreachable",
            format!("could not get a token from LINE WORKS ({message}); try again"),
        ),
    }
}
