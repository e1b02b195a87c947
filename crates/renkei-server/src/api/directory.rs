//! Clients, groups, members and event types: `PUT` by the product's own IDs.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use renkei_core::ids;
use renkei_core::model::{DeliveryMode, Provider};
use renkei_store::directory::{
    Client, DirectoryError, EventType, Group, Identities, Member, MemberInput, Rooms,
};
use serde::Deserialize;
use utoipa::ToSchema;

use super::{check_external_id, check_name, put_status};
use crate::auth::Auth;
use crate::error::{ApiError, ApiJson};
use crate::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClientBody {
    pub name: String,
    /// Rooms per provider, in any form users paste, e.g. `{"chatwork": "#!rid123"}`.
    #[serde(default)]
    pub rooms: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupBody {
    pub name: String,
    /// The parent group's external ID.
    pub parent: Option<String>,
    #[serde(default)]
    pub rooms: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IdentityBody {
    /// Chatwork: `123`, `aid=123` or `[To:123] name`.
    pub account_id: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberBody {
    pub name: String,
    pub email: Option<String>,
    /// The client (external ID) the member belongs to.
    pub client: Option<String>,
    /// Group external IDs, primary first.
    #[serde(default)]
    pub groups: Vec<String>,
    #[serde(default)]
    pub identities: BTreeMap<String, IdentityBody>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventTypeBody {
    pub name: String,
    /// `room`, `direct` or `both`.
    #[serde(default)]
    pub delivery: Option<String>,
}

fn provider(key: &str) -> Result<Provider, ApiError> {
    key.parse()
        .map_err(|e: String| ApiError::unprocessable("unknown_provider", e))
}

/// Normalises pasted rooms per provider.
pub(crate) fn parse_rooms(raw: &BTreeMap<String, String>) -> Result<Rooms, ApiError> {
    raw.iter()
        .map(|(k, v)| {
            let p = provider(k)?;
            let room = match p {
                Provider::Chatwork => ids::parse_chatwork_room(v)
                    .map_err(|e| ApiError::unprocessable("invalid_room", e.to_string()))?
                    .to_string(),
            };
            Ok((p, room))
        })
        .collect()
}

fn parse_identities(raw: &BTreeMap<String, IdentityBody>) -> Result<Identities, ApiError> {
    raw.iter()
        .map(|(k, v)| {
            let p = provider(k)?;
            let id = match p {
                Provider::Chatwork => ids::parse_chatwork_account(&v.account_id)
                    .map_err(|e| ApiError::unprocessable("invalid_account_id", e.to_string()))?
                    .to_string(),
            };
            Ok((p, id))
        })
        .collect()
}

fn directory_error(e: DirectoryError) -> ApiError {
    match e {
        DirectoryError::UnknownClient(c) => ApiError::unprocessable(
            "unknown_client",
            format!("no client `{c}`: create it with PUT /api/v1/clients/{c} first"),
        ),
        DirectoryError::UnknownGroup(g) => ApiError::unprocessable(
            "unknown_group",
            format!("no group `{g}`: create it with PUT /api/v1/groups/{g} first"),
        ),
        DirectoryError::GroupCycle(msg) => ApiError::unprocessable("group_cycle", msg),
    }
}

#[utoipa::path(put, path = "/api/v1/clients/{external_id}", request_body = ClientBody,
    params(("external_id" = String, Path)), responses((status = 200, body = Client), (status = 201, body = Client), (status = 422)))]
pub async fn put_client(
    State(state): State<AppState>,
    auth: Auth,
    Path(ext): Path<String>,
    ApiJson(body): ApiJson<ClientBody>,
) -> Result<(StatusCode, ApiJson<Client>), ApiError> {
    check_external_id(&ext)?;
    check_name(&body.name, "name")?;
    let rooms = parse_rooms(&body.rooms)?;
    let (client, created) = state
        .store
        .upsert_client(auth.id(), &ext, body.name.trim(), &rooms)
        .await?;
    Ok((put_status(created), ApiJson(client)))
}

#[utoipa::path(put, path = "/api/v1/groups/{external_id}", request_body = GroupBody,
    params(("external_id" = String, Path)), responses((status = 200, body = Group), (status = 201, body = Group), (status = 422)))]
pub async fn put_group(
    State(state): State<AppState>,
    auth: Auth,
    Path(ext): Path<String>,
    ApiJson(body): ApiJson<GroupBody>,
) -> Result<(StatusCode, ApiJson<Group>), ApiError> {
    check_external_id(&ext)?;
    check_name(&body.name, "name")?;
    if body.parent.as_deref() == Some(ext.as_str()) {
        return Err(ApiError::unprocessable(
            "group_cycle",
            format!("group `{ext}` cannot be its own parent"),
        ));
    }
    let rooms = parse_rooms(&body.rooms)?;
    let (group, created) = state
        .store
        .upsert_group(
            auth.id(),
            &ext,
            body.name.trim(),
            body.parent.as_deref(),
            &rooms,
        )
        .await?
        .map_err(directory_error)?;
    Ok((put_status(created), ApiJson(group)))
}

#[utoipa::path(put, path = "/api/v1/members/{external_id}", request_body = MemberBody,
    params(("external_id" = String, Path)), responses((status = 200, body = Member), (status = 201, body = Member), (status = 422)))]
pub async fn put_member(
    State(state): State<AppState>,
    auth: Auth,
    Path(ext): Path<String>,
    ApiJson(body): ApiJson<MemberBody>,
) -> Result<(StatusCode, ApiJson<Member>), ApiError> {
    check_external_id(&ext)?;
    check_name(&body.name, "name")?;
    let identities = parse_identities(&body.identities)?;
    let input = MemberInput {
        name: body.name.trim(),
        email: body.email.as_deref(),
        client: body.client.as_deref(),
        groups: &body.groups,
        identities: &identities,
    };
    let (member, created) = state
        .store
        .upsert_member(auth.id(), &ext, input)
        .await?
        .map_err(directory_error)?;
    Ok((put_status(created), ApiJson(member)))
}

#[utoipa::path(put, path = "/api/v1/event-types/{key}", request_body = EventTypeBody,
    params(("key" = String, Path)), responses((status = 200, body = EventType), (status = 201, body = EventType), (status = 422)))]
pub async fn put_event_type(
    State(state): State<AppState>,
    auth: Auth,
    Path(key): Path<String>,
    ApiJson(body): ApiJson<EventTypeBody>,
) -> Result<(StatusCode, ApiJson<EventType>), ApiError> {
    check_external_id(&key)?;
    check_name(&body.name, "name")?;
    let delivery = match body.delivery.as_deref() {
        None => DeliveryMode::Room,
        Some(d) => DeliveryMode::parse(d).ok_or_else(|| {
            ApiError::unprocessable(
                "invalid_delivery",
                format!("`delivery` is `{d}`; use `room`, `direct` or `both`"),
            )
        })?,
    };
    let (et, created) = state
        .store
        .upsert_event_type(auth.id(), &key, body.name.trim(), delivery)
        .await?;
    Ok((put_status(created), ApiJson(et)))
}
