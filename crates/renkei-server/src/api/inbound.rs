//! What providers need to call renkei back: the secret that signs their webhooks (and
//! the URL to register), and the LINE followers those webhooks reported.

use axum::extract::{Path, State};
use renkei_core::model::Provider;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use super::parse_id;
use crate::auth::Auth;
use crate::error::{ApiError, ApiJson};
use crate::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InboundSecretBody {
    /// Chatwork: the webhook's token; Slack: the app's signing secret; LINE WORKS: the bot
    /// secret; LINE: the channel secret.
    pub secret: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InboundView {
    /// Register this URL as the webhook / request URL in the provider's console.
    pub url: String,
    /// Last 4 characters of the secret that signs the provider's requests.
    pub secret: String,
}

/// How the provider's webhooks to this connection fare, shown in the connection's detail:
/// the receiver answers every refusal with the same 401 (strangers must not learn which
/// connections exist), so this is where the owner sees why.
#[derive(Debug, Serialize, ToSchema)]
pub struct InboundStatus {
    /// Register this URL as the webhook / request URL in the provider's console.
    pub url: String,
    /// Last 4 characters of the secret that signs the provider's requests, once set.
    pub secret: Option<String>,
    /// Whether correctly signed webhooks are accepted now.
    pub accepting: bool,
    /// Why not, and what to do.
    pub refused_because: Option<String>,
}

/// `None` for providers that never call renkei back.
pub(crate) async fn inbound_status(
    state: &AppState,
    tenant: i64,
    conn: &renkei_store::connections::Connection,
) -> Result<Option<InboundStatus>, ApiError> {
    let Some(field) = crate::flows::hooks::inbound_secret_field(conn.provider) else {
        return Ok(None);
    };
    let secret = state
        .store
        .connection_credentials(tenant, conn.id)
        .await?
        .and_then(|(_, creds)| {
            creds
                .get(field)
                .and_then(|v| v.as_str())
                .map(renkei_providers::credentials::hint)
        });
    let refused_because = if conn.status != "connected" {
        Some(format!(
            "the connection is {}: webhooks are refused until it is connected again",
            conn.status
        ))
    } else if secret.is_none() {
        Some(format!(
            "no `{field}` is set: set it with PUT /api/v1/connections/{}/inbound-secret",
            conn.id
        ))
    } else {
        None
    };
    Ok(Some(InboundStatus {
        url: format!("{}/hooks/{}/{}", state.public_url, conn.provider, conn.id),
        secret,
        accepting: refused_because.is_none(),
        refused_because,
    }))
}

/// Refuses secrets that could never verify a signature, now rather than at every webhook.
fn check_inbound_secret(provider: Provider, secret: &str) -> Result<(), String> {
    use base64::Engine;
    match provider {
        Provider::Chatwork => base64::engine::general_purpose::STANDARD
            .decode(secret)
            .ok()
            .filter(|k| !k.is_empty())
            .map(|_| ())
            .ok_or_else(|| "a Chatwork webhook token is Base64: copy it whole from the webhook's settings (Webhook → トークン)".into()),
        Provider::Line if !(secret.len() == 32 && secret.bytes().all(|b| b.is_ascii_hexdigit())) => Err(
            "a LINE channel secret is 32 hexadecimal characters (LINE Developers → Basic settings → Channel secret); is this the access token?".into(),
        ),
        _ => Ok(()),
    }
}

/// Stores the secret that signs the provider's webhooks to renkei and returns the URL to
/// register with the provider.
#[utoipa::path(put, path = "/api/v1/connections/{id}/inbound-secret", params(("id" = i64, Path)),
    request_body = InboundSecretBody, responses((status = 200, body = InboundView), (status = 404), (status = 422)))]
pub async fn put_inbound_secret(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<InboundSecretBody>,
) -> Result<ApiJson<InboundView>, ApiError> {
    let id = parse_id(&id, "connection")?;
    let (conn, _) = state
        .store
        .connection_credentials(auth.id(), id)
        .await?
        .ok_or_else(|| ApiError::not_found("connection"))?;
    let field = crate::flows::hooks::inbound_secret_field(conn.provider).ok_or_else(|| {
        ApiError::unprocessable(
            "no_inbound_webhooks",
            format!("{} does not call renkei back", conn.provider.display_name()),
        )
    })?;
    let secret = body.secret.trim();
    // Copied from the provider's console: one line, at most 512 characters.
    super::check_text(
        "invalid_secret",
        "secret",
        secret,
        renkei_core::text::Rule::one_line(512),
    )?;
    if let Err(why) = check_inbound_secret(conn.provider, secret) {
        return Err(ApiError::unprocessable("invalid_secret", why));
    }
    // Only this field: the store merges it, so a token renewed meanwhile is kept.
    state
        .store
        .save_credentials(id, &json!({ field: secret }))
        .await?;
    state.providers.forget(id);
    Ok(ApiJson(InboundView {
        url: format!("{}/hooks/{}/{id}", state.public_url, conn.provider),
        secret: renkei_providers::credentials::hint(secret),
    }))
}

/// LINE users who follow (or unfollowed) the connection's official account, from its
/// signed `follow`/`unfollow` webhooks, with the member each is linked to.
#[utoipa::path(get, path = "/api/v1/connections/{id}/followers", params(("id" = i64, Path)),
    responses((status = 200, body = [renkei_store::connections::Follower]), (status = 404)))]
pub async fn followers(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<ApiJson<Vec<renkei_store::connections::Follower>>, ApiError> {
    let id = parse_id(&id, "connection")?;
    state
        .store
        .connection(auth.id(), id)
        .await?
        .ok_or_else(|| ApiError::not_found("connection"))?;
    Ok(ApiJson(state.store.followers(auth.id(), id).await?))
}
