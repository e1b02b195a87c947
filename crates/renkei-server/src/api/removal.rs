//! Deleting clients, groups, members and event types. The answer says what became of the
//! deliveries still waiting for the object (see renkei_store::removal and docs/decisions.md).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use renkei_store::removal::{Removal, RemovalRefused};
use renkei_store::signals::LaneSignal;
use serde_json::json;
use tracing::info;

use crate::auth::Auth;
use crate::error::{ApiError, ApiJson};
use crate::AppState;

/// Pending deliveries made for the client are cancelled (`client_deleted`); its own
/// connections are deleted (their pending deliveries cancelled, `connection_deleted`); its
/// members stay, with no client.
#[utoipa::path(delete, path = "/api/v1/clients/{external_id}", params(("external_id" = String, Path)),
    responses((status = 200, body = Removal), (status = 404)))]
pub async fn delete_client(
    State(state): State<AppState>,
    auth: Auth,
    Path(ext): Path<String>,
) -> Result<ApiJson<Removal>, ApiError> {
    let done = state.store.delete_client(auth.id(), &ext).await?;
    finish(&state, auth.id(), "client", &ext, done).await
}

/// Refused (409 `group_has_children`) while the group has sub-groups. Pending deliveries
/// made for the group are cancelled (`group_deleted`); its members stay in their other groups.
#[utoipa::path(delete, path = "/api/v1/groups/{external_id}", params(("external_id" = String, Path)),
    responses((status = 200, body = Removal), (status = 404), (status = 409, description = "group_has_children")))]
pub async fn delete_group(
    State(state): State<AppState>,
    auth: Auth,
    Path(ext): Path<String>,
) -> Result<ApiJson<Removal>, ApiError> {
    let done = state.store.delete_group(auth.id(), &ext).await?;
    finish(&state, auth.id(), "group", &ext, done).await
}

/// Pending deliveries made for the member are cancelled (`member_deleted`); their own
/// connections are deleted (pending deliveries cancelled, `connection_deleted`); memberships
/// and preferences go. Refused (409 `member_has_absences`) while absences of theirs are in a
/// calendar: delete those first, which removes them from the calendar.
#[utoipa::path(delete, path = "/api/v1/members/{external_id}", params(("external_id" = String, Path)),
    responses((status = 200, body = Removal), (status = 404), (status = 409, description = "member_has_absences")))]
pub async fn delete_member(
    State(state): State<AppState>,
    auth: Auth,
    Path(ext): Path<String>,
) -> Result<ApiJson<Removal>, ApiError> {
    let done = state.store.delete_member(auth.id(), &ext).await?;
    finish(&state, auth.id(), "member", &ext, done).await
}

/// Members' preferences for the type go with it. Events already accepted keep their
/// deliveries, pending ones included; new events of this type are routed as an unknown type.
#[utoipa::path(delete, path = "/api/v1/event-types/{key}", params(("key" = String, Path)),
    responses((status = 200, body = Removal), (status = 404)))]
pub async fn delete_event_type(
    State(state): State<AppState>,
    auth: Auth,
    Path(key): Path<String>,
) -> Result<ApiJson<Removal>, ApiError> {
    let done = state.store.delete_event_type(auth.id(), &key).await?;
    finish(&state, auth.id(), "event type", &key, done).await
}

/// Tells the lanes, on this node and others, what the deletion changed under them.
async fn finish(
    state: &AppState,
    tenant: i64,
    what: &str,
    id: &str,
    done: Result<Removal, RemovalRefused>,
) -> Result<ApiJson<Removal>, ApiError> {
    let removal = done.map_err(|refused| refusal(what, id, refused))?;
    let deleted: Vec<i64> = removal.deleted_connections.iter().map(|c| c.id).collect();
    if !deleted.is_empty() {
        after_connections_deleted(state, &deleted).await?;
    }
    if !removal.lanes_to_resync.is_empty() {
        state.dispatcher.resync(&removal.lanes_to_resync);
        state
            .store
            .signal_lanes(LaneSignal::Resync, &removal.lanes_to_resync)
            .await?;
    }
    info!(
        tenant,
        what,
        cancelled = removal.cancelled_deliveries,
        connections = ?deleted,
        "deleted"
    );
    Ok(ApiJson(removal))
}

/// What a deleted connection leaves behind: its lane here and on other nodes, and tokens
/// kept in memory.
pub(crate) async fn after_connections_deleted(
    state: &AppState,
    ids: &[i64],
) -> Result<(), ApiError> {
    for id in ids {
        state.dispatcher.stop_lane(*id);
        state.providers.forget(*id);
    }
    state.store.signal_lanes(LaneSignal::Stop, ids).await?;
    Ok(())
}

fn refusal(what: &str, id: &str, refused: RemovalRefused) -> ApiError {
    match refused {
        RemovalRefused::NotFound => ApiError::not_found(what),
        RemovalRefused::HasChildren(children) => {
            let names: Vec<String> = children
                .iter()
                .map(|(ext, name)| format!("{name} ({ext})"))
                .collect();
            ApiError::new(
                StatusCode::CONFLICT,
                "group_has_children",
                format!(
                    "group {id} has sub-groups: {}. Delete them first, or give them another parent with PUT /api/v1/groups/{{external_id}}",
                    names.join(", ")
                ),
            )
            .with_details(json!({
                "children": children.iter().map(|(ext, name)| json!({"external_id": ext, "name": name})).collect::<Vec<_>>()
            }))
        }
        RemovalRefused::HasAbsences(absences) => ApiError::new(
            StatusCode::CONFLICT,
            "member_has_absences",
            format!(
                "member {id} has absences in a LINE WORKS calendar ({}). Delete them first with DELETE /api/v1/members/{id}/absences/{{absence_id}}, which also removes them from the calendar",
                absences.join(", ")
            ),
        )
        .with_details(json!({ "absences": absences })),
    }
}
