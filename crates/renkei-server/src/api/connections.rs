//! Connections: credentials verified against the provider before they are stored.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use renkei_core::ids;
use renkei_core::model::{ConnectionKind, Owner, Provider};
use renkei_store::connections::{Connection, NewConnection};
use serde::{Deserialize, Serialize};
use serde_json::json;
use tracing::info;
use utoipa::ToSchema;

use super::parse_id;
use crate::auth::Auth;
use crate::error::{ApiError, ApiJson};
use crate::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConnectionBody {
    /// `chatwork`, `slack`, `teams`, `google_chat`, `line_works` or `line`.
    pub provider: String,
    /// `{"tenant": true}`, `{"client": "<external_id>"}` or `{"member": "<external_id>"}`.
    #[schema(value_type = Object)]
    pub owner: serde_json::Value,
    /// chatwork `{"api_token"}`; slack `{"webhook_url"}` or `{"bot_token"}`; teams and
    /// google_chat `{"webhook_url"}`; line_works `{"client_id", "client_secret",
    /// "service_account", "private_key", "bot_id", "bot_secret"?}`; line
    /// `{"channel_access_token", "channel_secret"}` or `{"channel_id", "private_key", "kid",
    /// "channel_secret"}`.
    #[schema(value_type = Object)]
    pub credentials: serde_json::Value,
    /// Where to post instead of the default place (Chatwork: My Chat; Slack bot: a channel
    /// `C…` or its link; LINE WORKS: a channel ID). Webhooks fix their channel: no room.
    pub room: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AccountView {
    pub id: Option<String>,
    pub name: Option<String>,
}

/// A connection as the API shows it. Credentials appear only as their last 4 characters.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConnectionView {
    pub id: i64,
    pub provider: String,
    #[schema(value_type = Object)]
    pub owner: serde_json::Value,
    /// `connected` or `broken` (the provider refused the credentials later).
    pub status: String,
    pub status_reason: Option<String>,
    pub account: AccountView,
    pub room: Option<String>,
    /// Chatwork: the token owner's My Chat, used when no room is set.
    pub default_room: Option<String>,
    #[schema(value_type = Object)]
    pub credentials: serde_json::Value,
    /// Switched off by its owner: routing goes around it.
    pub enabled: bool,
    /// `token`, `oauth`, `webhook` or `bot`: a webhook posts only into its own channel.
    pub kind: String,
    /// Unix ms until which the provider's limit pauses the whole connection (a token's
    /// rate limit, LINE's monthly quota); absent when it is not paused.
    pub paused_until: Option<i64>,
    /// E.g. it posts as an account that is also a member's, so their mentions show no badge.
    pub warnings: Vec<String>,
    pub created_at: i64,
    /// For providers that call renkei back (in the detail only): the webhook URL and
    /// whether their webhooks are accepted, and if not, why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inbound: Option<super::inbound::InboundStatus>,
    /// LINE (in the detail only): the official account's friend link, which members open
    /// (or scan as a QR code) to add it as a friend and so become reachable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub friend_url: Option<String>,
    /// In the detail only: deliveries waiting to go through this connection, which
    /// `DELETE` would cancel.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pending_deliveries: Option<i64>,
}

impl From<Connection> for ConnectionView {
    fn from(c: Connection) -> Self {
        let owner = match c.owner {
            Owner::Tenant => json!({"tenant": true}),
            Owner::Client(_) => json!({"client": c.owner_external_id}),
            Owner::Member(_) => json!({"member": c.owner_external_id}),
        };
        ConnectionView {
            id: c.id,
            provider: c.provider.to_string(),
            owner,
            status: c.status,
            status_reason: c.status_reason,
            account: AccountView {
                id: c.account_id,
                name: c.account_name,
            },
            room: c.room,
            default_room: c.default_room,
            credentials: json!({ secret_field(c.provider, c.kind): c.secret_hint }),
            kind: c.kind.as_str().to_string(),
            paused_until: Some(c.paused_until).filter(|&t| t > renkei_store::now_ms()),
            enabled: c.enabled,
            warnings: Vec::new(),
            created_at: c.created_at,
            inbound: None,
            friend_url: None,
            pending_deliveries: None,
        }
    }
}

/// The credential a connection is known by, shown as its last 4 characters only.
fn secret_field(provider: Provider, kind: ConnectionKind) -> &'static str {
    match (provider, kind) {
        (_, ConnectionKind::Token) => "api_token",
        // What identifies an OAuth link is its client; the access token rotates.
        (_, ConnectionKind::Oauth) => "client_secret",
        (_, ConnectionKind::Webhook) => "webhook_url",
        (Provider::Slack, _) => "bot_token",
        (Provider::LineWorks, _) => "client_secret",
        (Provider::Line, _) => "channel_secret",
        _ => "secret",
    }
}

pub(crate) async fn resolve_owner(
    state: &AppState,
    tenant: i64,
    owner: &serde_json::Value,
) -> Result<Owner, ApiError> {
    let bad = || {
        ApiError::unprocessable(
            "invalid_owner",
            "`owner` must be {\"tenant\": true}, {\"client\": \"<external_id>\"} or {\"member\": \"<external_id>\"}",
        )
    };
    let obj = owner.as_object().filter(|o| o.len() == 1).ok_or_else(bad)?;
    let (kind, val) = obj.iter().next().ok_or_else(bad)?;
    if let serde_json::Value::String(ext) = val {
        super::check_external_id_in(&format!("owner.{kind}"), ext)?;
    }
    match (kind.as_str(), val) {
        ("tenant", serde_json::Value::Bool(true)) => Ok(Owner::Tenant),
        ("client", serde_json::Value::String(ext)) => state
            .store
            .client_id(tenant, ext)
            .await?
            .map(Owner::Client)
            .ok_or_else(|| {
                ApiError::unprocessable(
                    "unknown_client",
                    format!("no client `{ext}`: create it with PUT /api/v1/clients/{ext} first"),
                )
            }),
        ("member", serde_json::Value::String(ext)) => state
            .store
            .member_id(tenant, ext)
            .await?
            .map(Owner::Member)
            .ok_or_else(|| {
                ApiError::unprocessable(
                    "unknown_member",
                    format!("no member `{ext}`: create it with PUT /api/v1/members/{ext} first"),
                )
            }),
        _ => Err(bad()),
    }
}

#[utoipa::path(post, path = "/api/v1/connections", request_body = ConnectionBody,
    responses((status = 201, body = ConnectionView), (status = 422, description = "e.g. chatwork_invalid_token, invalid_webhook_url, teams_connector_retired"), (status = 502)))]
pub async fn create(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(body): ApiJson<ConnectionBody>,
) -> Result<(StatusCode, ApiJson<ConnectionView>), ApiError> {
    let provider: Provider = body
        .provider
        .parse()
        .map_err(|e: String| ApiError::unprocessable("unknown_provider", e))?;
    let owner = resolve_owner(&state, auth.id(), &body.owner).await?;
    let client = state.providers.get(provider).ok_or_else(|| {
        ApiError::unprocessable(
            "provider_unavailable",
            format!("{provider} is not enabled on this renkei node"),
        )
    })?;
    let verified = client
        .connect(&body.credentials)
        .await
        .map_err(connect_error)?;
    let room = connection_room(provider, verified.kind, body.room.as_deref())?;
    let conn = state
        .store
        .insert_connection(
            auth.id(),
            NewConnection {
                provider,
                kind: verified.kind,
                owner,
                room: room.as_deref(),
                account_id: verified.account_id.as_deref(),
                account_name: verified.account_name.as_deref(),
                default_room: verified.default_room.as_deref(),
                credentials: &verified.credentials,
                secret_hint: &verified.secret_hint,
            },
        )
        .await?;
    info!(tenant = auth.id(), connection = conn.id, provider = %provider, kind = verified.kind.as_str(), "connection verified and stored");
    Ok((StatusCode::CREATED, ApiJson(conn.into())))
}

/// A connection's own room as pasted (`None` or blank: its default place), normalised.
fn connection_room(
    provider: Provider,
    kind: ConnectionKind,
    pasted: Option<&str>,
) -> Result<Option<String>, ApiError> {
    match pasted.map(str::trim).filter(|r| !r.is_empty()) {
        None => Ok(None),
        Some(_) if !kind.chooses_room() => Err(ApiError::unprocessable(
            "room_not_allowed",
            format!(
                "a {} webhook always posts into the channel it was made for; leave `room` out (make one webhook per channel)",
                provider.display_name()
            ),
        )),
        Some(r) => ids::parse_room(provider, r)
            .map(Some)
            .map_err(|e| ApiError::unprocessable("invalid_room", e)),
    }
}

/// The provider's refusal as an API error: 422 when the credentials are wrong, 502 when
/// the provider could not be asked.
pub(crate) fn connect_error(e: renkei_providers::ConnectError) -> ApiError {
    let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_GATEWAY);
    ApiError::new(status, e.code, e.message)
}

#[utoipa::path(get, path = "/api/v1/connections", responses((status = 200, body = [ConnectionView])))]
pub async fn list(
    State(state): State<AppState>,
    auth: Auth,
) -> Result<ApiJson<Vec<ConnectionView>>, ApiError> {
    let all = state.store.connections(auth.id()).await?;
    let mut out = Vec::with_capacity(all.len());
    for c in all {
        out.push(with_warnings(&state, auth.id(), c).await?);
    }
    Ok(ApiJson(out))
}

/// Flags members whose own account this connection posts as (their mentions show no badge).
async fn with_warnings(
    state: &AppState,
    tenant: i64,
    c: Connection,
) -> Result<ConnectionView, ApiError> {
    // Only Chatwork hides the badge of a mention of yourself.
    let account = c
        .account_id
        .clone()
        .filter(|_| c.provider == Provider::Chatwork);
    let id = c.id;
    let mut view = ConnectionView::from(c);
    if let Some(account) = account {
        for (ext, name) in state
            .store
            .members_with_identity(tenant, Provider::Chatwork, &account)
            .await?
        {
            view.warnings.push(format!(
                "member {ext}: {}",
                renkei_core::routing::self_mention_warning(id, &name, &account)
            ));
        }
    }
    Ok(view)
}

#[utoipa::path(get, path = "/api/v1/connections/{id}", params(("id" = i64, Path)),
    responses((status = 200, body = ConnectionView), (status = 404)))]
pub async fn show(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<ApiJson<ConnectionView>, ApiError> {
    let id = parse_id(&id, "connection")?;
    let conn = state
        .store
        .connection(auth.id(), id)
        .await?
        .ok_or_else(|| ApiError::not_found("connection"))?;
    let inbound = super::inbound::inbound_status(&state, auth.id(), &conn).await?;
    let friend_url = if conn.provider == Provider::Line {
        state
            .store
            .connection_credentials(auth.id(), id)
            .await?
            .and_then(|(_, creds)| {
                creds["basic_id"]
                    .as_str()
                    .map(renkei_providers::line::friend_url)
            })
    } else {
        None
    };
    let pending = state.store.pending_delivery_count(auth.id(), id).await?;
    let mut view = with_warnings(&state, auth.id(), conn).await?;
    view.inbound = inbound;
    view.friend_url = friend_url;
    view.pending_deliveries = Some(pending);
    Ok(ApiJson(view))
}

/// Deletes the credentials at once; deliveries still waiting for them end `cancelled`.
#[utoipa::path(delete, path = "/api/v1/connections/{id}", params(("id" = i64, Path)),
    responses((status = 204), (status = 404)))]
pub async fn delete(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = parse_id(&id, "connection")?;
    let cancelled = state
        .store
        .delete_connection(auth.id(), id)
        .await?
        .ok_or_else(|| ApiError::not_found("connection"))?;
    // Its lane here and elsewhere, and tokens kept in memory, go with the credentials.
    super::removal::after_connections_deleted(&state, &[id]).await?;
    info!(
        tenant = auth.id(),
        connection = id,
        cancelled,
        "connection deleted"
    );
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConnectionPatch {
    /// Switch the connection off (kept, but not used) or on again.
    pub enabled: Option<bool>,
    /// Where it posts when no group or client room applies (Chatwork: instead of My Chat;
    /// Slack bot: a channel; LINE WORKS: a channel ID), in any pasted form; `""` goes back to
    /// the default place. Webhooks fix their channel: no room. Queued deliveries keep theirs.
    pub room: Option<String>,
}

#[utoipa::path(patch, path = "/api/v1/connections/{id}", params(("id" = i64, Path)), request_body = ConnectionPatch,
    responses((status = 200, body = ConnectionView), (status = 404), (status = 422, description = "empty_patch, invalid_room, room_not_allowed")))]
pub async fn patch(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ConnectionPatch>,
) -> Result<ApiJson<ConnectionView>, ApiError> {
    let id = parse_id(&id, "connection")?;
    if body.enabled.is_none() && body.room.is_none() {
        return Err(ApiError::unprocessable(
            "empty_patch",
            "give `enabled` (true or false) and/or `room` (\"\" for the default place)",
        ));
    }
    let conn = state
        .store
        .connection(auth.id(), id)
        .await?
        .ok_or_else(|| ApiError::not_found("connection"))?;
    // Checked before anything changes, so a refused room leaves `enabled` as it was.
    let room = match &body.room {
        Some(pasted) => Some(connection_room(conn.provider, conn.kind, Some(pasted))?),
        None => None,
    };
    let mut found = true;
    if let Some(room) = &room {
        found &= state
            .store
            .set_connection_room(auth.id(), id, room.as_deref())
            .await?;
    }
    if let Some(enabled) = body.enabled {
        found &= state
            .store
            .set_connection_enabled(auth.id(), id, enabled)
            .await?;
    }
    if !found {
        return Err(ApiError::not_found("connection"));
    }
    show(State(state), auth, Path(id.to_string())).await
}
