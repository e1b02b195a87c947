//! Clients, groups, members and event types: `PUT` by the product's own IDs.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use renkei_core::ids;
use renkei_core::model::{DeliveryMode, Provider};
use renkei_store::directory::{
    Client, DirectoryError, EventType, Group, Identities, Member, MemberInput, Preferences, Rooms,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{check_external_id, check_external_id_in, check_name, member_row_id, put_status};
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

/// One identity: `{"account_id"}` for chatwork (`123`, `aid=123`, `[To:123] name`),
/// `{"member_id"}` for slack (`U…`), `{"user_id"}` for teams (UPN or Entra object ID),
/// google_chat (`users/…`), line_works and line (`U…`).
#[derive(Debug, Deserialize, ToSchema)]
#[schema(value_type = Object)]
pub struct IdentityBody(pub BTreeMap<String, String>);

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
    /// The tenant's default per provider for this type, e.g. `{"chatwork": false}`.
    #[serde(default)]
    pub defaults: BTreeMap<String, bool>,
    /// Confirmation-link lifetime for this type in days (1, 3, 7 or 30); absent: the
    /// tenant's setting.
    pub confirmation_link_ttl_days: Option<i64>,
}

/// The lifetimes a confirmation link may have, in days (as in the Cells Drive settings).
pub const LINK_TTL_CHOICES: [i64; 4] = [1, 3, 7, 30];

pub(crate) fn check_link_ttl(days: Option<i64>) -> Result<(), ApiError> {
    match days {
        Some(d) if !LINK_TTL_CHOICES.contains(&d) => Err(ApiError::unprocessable(
            "invalid_link_ttl",
            format!("confirmation links last 1, 3, 7 or 30 days (or null for no link); got {d}"),
        )),
        _ => Ok(()),
    }
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
            let room =
                ids::parse_room(p, v).map_err(|e| ApiError::unprocessable("invalid_room", e))?;
            Ok((p, room))
        })
        .collect()
}

fn parse_identities(raw: &BTreeMap<String, IdentityBody>) -> Result<Identities, ApiError> {
    raw.iter()
        .map(|(k, v)| {
            let p = provider(k)?;
            let key = p.identity_key();
            let value = match (v.0.len(), v.0.get(key)) {
                (1, Some(value)) => value,
                _ => {
                    return Err(ApiError::unprocessable(
                        "invalid_identity",
                        format!("identities.{p} takes exactly one field, `{key}`"),
                    ))
                }
            };
            let code = if p == Provider::Chatwork {
                "invalid_account_id"
            } else {
                "invalid_identity"
            };
            let id = ids::parse_identity(p, value).map_err(|e| ApiError::unprocessable(code, e))?;
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
    if let Some(parent) = &body.parent {
        check_external_id_in("parent", parent)?;
    }
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

/// The member's e-mail address and the client and groups it names, before any lookup.
fn check_member_refs(body: &MemberBody) -> Result<(), ApiError> {
    if let Some(email) = body.email.as_deref() {
        renkei_core::text::check_email("email", email)
            .map_err(|m| ApiError::unprocessable("invalid_email", m))?;
    }
    if let Some(client) = &body.client {
        check_external_id_in("client", client)?;
    }
    for (i, g) in body.groups.iter().enumerate() {
        check_external_id_in(&format!("groups[{i}]"), g)?;
    }
    Ok(())
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
    check_member_refs(&body)?;
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
        Some(d) => crate::api::events::parse_delivery(d)?,
    };
    check_link_ttl(body.confirmation_link_ttl_days)?;
    let defaults = body
        .defaults
        .iter()
        .map(|(k, v)| Ok((provider(k)?, *v)))
        .collect::<Result<_, ApiError>>()?;
    let et = EventType {
        key: key.clone(),
        name: body.name.trim().to_string(),
        delivery,
        defaults,
        confirmation_link_ttl_days: body.confirmation_link_ttl_days,
    };
    let created = state.store.upsert_event_type(auth.id(), &et).await?;
    Ok((put_status(created), ApiJson(et)))
}

/// A member with the warnings that concern them.
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberView {
    #[serde(flatten)]
    pub member: Member,
    /// E.g. a tenant connection posts as this member's own account, so their mentions show no badge.
    pub warnings: Vec<String>,
}

async fn member_view(
    state: &AppState,
    tenant: i64,
    member: Member,
) -> Result<MemberView, ApiError> {
    let conns = state.store.connections(tenant).await?;
    let warnings = super::lists::self_mention_warnings(&conns, &member);
    Ok(MemberView { member, warnings })
}

#[utoipa::path(get, path = "/api/v1/members/{external_id}", params(("external_id" = String, Path)),
    responses((status = 200, body = MemberView), (status = 404)))]
pub async fn get_member(
    State(state): State<AppState>,
    auth: Auth,
    Path(ext): Path<String>,
) -> Result<ApiJson<MemberView>, ApiError> {
    let member = state
        .store
        .member(auth.id(), &ext)
        .await?
        .ok_or_else(|| ApiError::not_found("member"))?;
    Ok(ApiJson(member_view(&state, auth.id(), member).await?))
}

/// A member's choices: event type → provider → on/off.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(value_type = Object)]
pub struct PreferencesBody(pub BTreeMap<String, BTreeMap<String, bool>>);

#[utoipa::path(get, path = "/api/v1/members/{external_id}/preferences", params(("external_id" = String, Path)),
    responses((status = 200, body = PreferencesBody), (status = 404)))]
pub async fn get_preferences(
    State(state): State<AppState>,
    auth: Auth,
    Path(ext): Path<String>,
) -> Result<ApiJson<PreferencesBody>, ApiError> {
    let id = member_row_id(&state, auth.id(), &ext).await?;
    let prefs = state.store.preferences(auth.id(), id).await?;
    let out = prefs
        .into_iter()
        .map(|(t, m)| {
            (
                t,
                m.into_iter().map(|(p, on)| (p.to_string(), on)).collect(),
            )
        })
        .collect();
    Ok(ApiJson(PreferencesBody(out)))
}

/// Replaces the member's choices, e.g. `{"survey.reminder": {"chatwork": false}}`.
#[utoipa::path(put, path = "/api/v1/members/{external_id}/preferences", params(("external_id" = String, Path)),
    request_body = PreferencesBody, responses((status = 200, body = PreferencesBody), (status = 404),
        (status = 422, description = "unknown_event_type, unknown_provider")))]
pub async fn put_preferences(
    State(state): State<AppState>,
    auth: Auth,
    Path(ext): Path<String>,
    ApiJson(body): ApiJson<PreferencesBody>,
) -> Result<ApiJson<PreferencesBody>, ApiError> {
    let id = member_row_id(&state, auth.id(), &ext).await?;
    let known = state.store.event_type_keys(auth.id()).await?;
    let mut prefs = Preferences::new();
    for (event_type, per_provider) in &body.0 {
        check_external_id_in("event type", event_type)?;
        check_known_event_type(&known, event_type)?;
        for (p, on) in per_provider {
            prefs
                .entry(event_type.clone())
                .or_default()
                .insert(provider(p)?, *on);
        }
    }
    state.store.set_preferences(auth.id(), id, &prefs).await?;
    Ok(ApiJson(body))
}

/// Preferences for a type that does not exist would never apply: most likely a typo.
fn check_known_event_type(known: &[String], event_type: &str) -> Result<(), ApiError> {
    if known.iter().any(|k| k == event_type) {
        return Ok(());
    }
    Err(ApiError::unprocessable(
        "unknown_event_type",
        format!("no event type `{event_type}`: create it with PUT /api/v1/event-types/{event_type} first, or fix the key"),
    ))
}
