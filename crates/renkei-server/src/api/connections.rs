//! Connections: credentials verified against the provider before they are stored.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use renkei_core::ids;
use renkei_core::model::{Owner, Provider};
use renkei_providers::chatwork::{ChatworkError, Contact, IncomingRequest, Room};
use renkei_store::connections::{Connection, NewConnection};
use renkei_store::secrets::hint;
use renkei_store::signals::LaneSignal;
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
    /// `chatwork`.
    pub provider: String,
    /// `{"tenant": true}`, `{"client": "<external_id>"}` or `{"member": "<external_id>"}`.
    #[schema(value_type = Object)]
    pub owner: serde_json::Value,
    /// Chatwork: `{"api_token": "..."}`.
    #[schema(value_type = Object)]
    pub credentials: serde_json::Value,
    /// Where to post instead of the default place (Chatwork: My Chat), in any pasted form.
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
    /// E.g. it posts as an account that is also a member's, so their mentions show no badge.
    pub warnings: Vec<String>,
    pub created_at: i64,
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
            credentials: json!({ "api_token": c.secret_hint }),
            enabled: c.enabled,
            warnings: Vec::new(),
            created_at: c.created_at,
        }
    }
}

async fn resolve_owner(
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
    responses((status = 201, body = ConnectionView), (status = 422, description = "e.g. chatwork_invalid_token"), (status = 502)))]
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
    let room = body
        .room
        .as_deref()
        .map(|r| match provider {
            Provider::Chatwork => ids::parse_chatwork_room(r).map(|id| id.to_string()),
        })
        .transpose()
        .map_err(|e| ApiError::unprocessable("invalid_room", e.to_string()))?;
    let token = body
        .credentials
        .get("api_token")
        .and_then(|t| t.as_str())
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            ApiError::unprocessable(
                "invalid_credentials",
                "chatwork connections need `credentials.api_token` (Chatwork → サービス連携 → APIトークン)",
            )
        })?;
    if body.credentials.as_object().is_some_and(|o| o.len() != 1) {
        return Err(ApiError::unprocessable(
            "invalid_credentials",
            "chatwork credentials take only `api_token`",
        ));
    }
    let me = state.chatwork.me(token).await.map_err(|e| match e {
        ChatworkError::InvalidToken(_) => ApiError::unprocessable(
            "chatwork_invalid_token",
            "Chatwork refused this API token. Copy it again from Chatwork (サービス連携 → APIトークン); it must be the whole token",
        ),
        ChatworkError::Http { status, message } => ApiError::new(
            StatusCode::BAD_GATEWAY,
            "chatwork_error",
            format!("Chatwork answered HTTP {status} while verifying the token: {message}"),
        ),
        ChatworkError::Transport(msg) => ApiError::new(
            StatusCode::BAD_GATEWAY,
            "chatwork_unreachable",
            format!("could not reach Chatwork to verify the token ({msg}); try again"),
        ),
    })?;
    let account_id = me.account_id.to_string();
    let my_chat = me.room_id.to_string();
    let creds = json!({ "api_token": token });
    let conn = state
        .store
        .insert_connection(
            auth.id(),
            NewConnection {
                provider,
                owner,
                room: room.as_deref(),
                account_id: Some(&account_id),
                account_name: Some(&me.name),
                default_room: Some(&my_chat),
                credentials: &creds,
                secret_hint: &hint(token),
            },
        )
        .await?;
    info!(tenant = auth.id(), connection = conn.id, provider = %provider, "connection verified and stored");
    Ok((StatusCode::CREATED, ApiJson(conn.into())))
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
    let account = c.account_id.clone();
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
    Ok(ApiJson(with_warnings(&state, auth.id(), conn).await?))
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
    state.dispatcher.stop_lane(id);
    // Lanes on other nodes hold the credentials in memory too.
    state.store.signal_lanes(LaneSignal::Stop, &[id]).await?;
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
    pub enabled: bool,
}

#[utoipa::path(patch, path = "/api/v1/connections/{id}", params(("id" = i64, Path)), request_body = ConnectionPatch,
    responses((status = 200, body = ConnectionView), (status = 404)))]
pub async fn patch(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ConnectionPatch>,
) -> Result<ApiJson<ConnectionView>, ApiError> {
    let id = parse_id(&id, "connection")?;
    if !state
        .store
        .set_connection_enabled(auth.id(), id, body.enabled)
        .await?
    {
        return Err(ApiError::not_found("connection"));
    }
    show(State(state), auth, Path(id.to_string())).await
}

/// The decrypted token of one of this tenant's live Chatwork connections.
async fn chatwork_token(state: &AppState, tenant: i64, id: &str) -> Result<String, ApiError> {
    let id = parse_id(id, "connection")?;
    let (conn, creds) = state
        .store
        .connection_for_worker(id)
        .await?
        .filter(|(c, _)| c.tenant_id == tenant)
        .ok_or_else(|| ApiError::not_found("connection"))?;
    if conn.provider != Provider::Chatwork {
        return Err(ApiError::unprocessable(
            "wrong_provider",
            "this is not a Chatwork connection",
        ));
    }
    creds["api_token"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| ApiError::unprocessable("invalid_credentials", "no api_token"))
}

fn provider_error(r: renkei_providers::SendResult) -> ApiError {
    let text = r.error.unwrap_or_default();
    match r.outcome {
        renkei_providers::SendOutcome::CredentialRejected => ApiError::unprocessable(
            "chatwork_invalid_token",
            format!("Chatwork refused the connection's token: {text}; reconnect it"),
        ),
        _ => ApiError::new(
            StatusCode::BAD_GATEWAY,
            "chatwork_error",
            format!(
                "Chatwork answered {}: {text}",
                r.http_status
                    .map_or("nothing".into(), |s| format!("HTTP {s}"))
            ),
        ),
    }
}

/// Rooms the connection's account is in (for picking bulk-send targets); at most 100, as
/// Chatwork lists them.
#[utoipa::path(get, path = "/api/v1/connections/{id}/rooms", params(("id" = i64, Path)),
    responses((status = 200, body = [Object]), (status = 404), (status = 502)))]
pub async fn rooms(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<ApiJson<Vec<Room>>, ApiError> {
    let token = chatwork_token(&state, auth.id(), &id).await?;
    Ok(ApiJson(
        state.chatwork.rooms(&token).await.map_err(provider_error)?,
    ))
}

/// The connection account's contacts: people it can message directly (to link members).
#[utoipa::path(get, path = "/api/v1/connections/{id}/contacts", params(("id" = i64, Path)),
    responses((status = 200, body = [Object]), (status = 404), (status = 502)))]
pub async fn contacts(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<ApiJson<Vec<Contact>>, ApiError> {
    let token = chatwork_token(&state, auth.id(), &id).await?;
    Ok(ApiJson(
        state
            .chatwork
            .contacts(&token)
            .await
            .map_err(provider_error)?,
    ))
}

/// Contact requests waiting for the connection account's approval.
#[utoipa::path(get, path = "/api/v1/connections/{id}/contact-requests", params(("id" = i64, Path)),
    responses((status = 200, body = [Object]), (status = 404), (status = 502)))]
pub async fn contact_requests(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<ApiJson<Vec<IncomingRequest>>, ApiError> {
    let token = chatwork_token(&state, auth.id(), &id).await?;
    Ok(ApiJson(
        state
            .chatwork
            .incoming_requests(&token)
            .await
            .map_err(provider_error)?,
    ))
}

/// Approves a contact request: the person becomes a contact and can receive direct messages.
#[utoipa::path(post, path = "/api/v1/connections/{id}/contact-requests/{request_id}/approve",
    params(("id" = i64, Path), ("request_id" = i64, Path)),
    responses((status = 200, body = Object), (status = 404), (status = 502)))]
pub async fn approve_contact_request(
    State(state): State<AppState>,
    auth: Auth,
    Path((id, request_id)): Path<(String, i64)>,
) -> Result<ApiJson<Contact>, ApiError> {
    let token = chatwork_token(&state, auth.id(), &id).await?;
    let contact = state
        .chatwork
        .approve_request(&token, request_id)
        .await
        .map_err(|r| {
            if r.http_status == Some(404) {
                ApiError::not_found("contact request")
            } else {
                provider_error(r)
            }
        })?;
    Ok(ApiJson(contact))
}
