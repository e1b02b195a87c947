//! Connections: credentials verified against the provider before they are stored.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use renkei_core::ids;
use renkei_core::model::{Owner, Provider};
use renkei_providers::chatwork::ChatworkError;
use renkei_store::connections::{Connection, NewConnection};
use renkei_store::secrets::hint;
use serde::{Deserialize, Serialize};
use serde_json::json;
use tracing::info;
use utoipa::ToSchema;

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
    Ok(ApiJson(all.into_iter().map(Into::into).collect()))
}

#[utoipa::path(get, path = "/api/v1/connections/{id}", params(("id" = i64, Path)),
    responses((status = 200, body = ConnectionView), (status = 404)))]
pub async fn show(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<ApiJson<ConnectionView>, ApiError> {
    let id = id
        .parse::<i64>()
        .map_err(|_| ApiError::not_found("connection"))?;
    let conn = state
        .store
        .connection(auth.id(), id)
        .await?
        .ok_or_else(|| ApiError::not_found("connection"))?;
    Ok(ApiJson(conn.into()))
}

/// Deletes the credentials at once; deliveries still waiting for them end `cancelled`.
#[utoipa::path(delete, path = "/api/v1/connections/{id}", params(("id" = i64, Path)),
    responses((status = 204), (status = 404)))]
pub async fn delete(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = id
        .parse::<i64>()
        .map_err(|_| ApiError::not_found("connection"))?;
    let cancelled = state
        .store
        .delete_connection(auth.id(), id)
        .await?
        .ok_or_else(|| ApiError::not_found("connection"))?;
    state.dispatcher.stop_lane(id);
    info!(
        tenant = auth.id(),
        connection = id,
        cancelled,
        "connection deleted"
    );
    Ok(StatusCode::NO_CONTENT)
}
