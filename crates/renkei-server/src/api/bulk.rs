//! Bulk send (Cells Drive L1B): one message to rooms picked by hand, queued through the same
//! lanes and limits as any notice, with per-room progress and cancel.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use renkei_core::ids;
use renkei_core::routing::{Outcome, Planned};
use renkei_core::text::{self, Rule};
use renkei_store::events::{DeliveryPage, NewEvent};
use renkei_store::signals::LaneSignal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{check_text, parse_id};
use crate::auth::Auth;
use crate::error::{ApiError, ApiJson};
use crate::AppState;

const MAX_ROOMS: usize = 1000;
// A bulk send's progress is read as one page of deliveries.
const _: () = assert!(MAX_ROOMS as i64 <= DeliveryPage::MAX);

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkSendBody {
    /// The connection whose account posts the message.
    pub connection_id: i64,
    /// Rooms in any pasted form (`123`, `#!rid123`, a room URL).
    pub rooms: Vec<String>,
    /// Optional heading; without one the message is posted as plain text.
    #[serde(default)]
    pub title: String,
    pub body: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RoomProgress {
    pub room: String,
    /// `pending`, `delivered`, `failed` or `cancelled`.
    pub status: String,
    pub message_id: Option<String>,
    /// Why it failed, or (while pending) why the last attempt is to be retried, e.g.
    /// `room_rate_limited`, `credential_rate_limited`, `provider_unavailable`.
    pub reason_code: Option<String>,
    pub reason: Option<String>,
    pub attempts: usize,
    /// While pending after an attempt: when it is tried again (Unix ms).
    pub next_attempt_at: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BulkSendProgress {
    pub id: i64,
    pub total: usize,
    pub pending: usize,
    pub delivered: usize,
    pub failed: usize,
    pub cancelled: usize,
    /// True once nothing is pending.
    pub done: bool,
    /// The connection that posts the message.
    pub connection_id: Option<i64>,
    /// While the connection waits for its token's rate limit to reset: until when (Unix ms).
    /// Nothing is posted to any room before then.
    pub paused_until: Option<i64>,
    pub rooms: Vec<RoomProgress>,
}

#[utoipa::path(post, path = "/api/v1/bulk-sends", request_body = BulkSendBody,
    responses((status = 202, body = BulkSendProgress), (status = 404), (status = 422)))]
pub async fn create(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(body): ApiJson<BulkSendBody>,
) -> Result<(StatusCode, ApiJson<BulkSendProgress>), ApiError> {
    let conn = state
        .store
        .connection(auth.id(), body.connection_id)
        .await?
        .ok_or_else(|| ApiError::not_found("connection"))?;
    check_text(
        "invalid_title",
        "title",
        &body.title,
        Rule::many_lines(text::MAX_TITLE_CHARS).optional(),
    )?;
    check_text(
        "invalid_body",
        "body",
        &body.body,
        Rule::many_lines(text::MAX_BODY_CHARS),
    )?;
    if body.rooms.is_empty() || body.rooms.len() > MAX_ROOMS {
        return Err(ApiError::unprocessable(
            "invalid_rooms",
            format!("pick 1 to {MAX_ROOMS} rooms"),
        ));
    }
    let mut rooms: Vec<String> = Vec::with_capacity(body.rooms.len());
    for (i, r) in body.rooms.iter().enumerate() {
        let rule = Rule::one_line(text::MAX_PASTED_ID_CHARS);
        check_text("invalid_room", &format!("rooms[{i}]"), r.trim(), rule)?;
        let room = ids::parse_chatwork_room(r)
            .map_err(|e| ApiError::unprocessable("invalid_room", e.to_string()))?
            .to_string();
        if !rooms.contains(&room) {
            rooms.push(room);
        }
    }
    let planned = rooms
        .into_iter()
        .map(|room| Planned {
            target: format!("room:{room}"),
            provider: Some(conn.provider),
            outcome: Outcome::Send {
                connection_id: conn.id,
                room,
                mentions: Vec::new(),
            },
            reasons: vec![renkei_core::routing::why::text(
                "bulk-send",
                &[("conn", &conn.id)],
            )],
            warnings: Vec::new(),
        })
        .collect();
    let event = NewEvent {
        kind: "bulk_send",
        event_type: "bulk_send".into(),
        idempotency_key: None,
        targets_json: serde_json::json!({"rooms": body.rooms}).to_string(),
        title: body.title,
        body: body.body,
        url: None,
        link_expires_at: None,
        thread_key: None,
        planned,
    };
    let accepted = state.intake.submit(auth.id(), vec![event]).await?;
    state.wake_lanes(&[conn.id]).await?;
    let progress = progress_of(&state, auth.id(), accepted[0].id).await?;
    Ok((StatusCode::ACCEPTED, ApiJson(progress)))
}

async fn progress_of(state: &AppState, tenant: i64, id: i64) -> Result<BulkSendProgress, ApiError> {
    let ev = state
        .store
        .event_detail(tenant, id, DeliveryPage::default()) // MAX_ROOMS fit one page
        .await?
        .filter(|e| e.kind == "bulk_send")
        .ok_or_else(|| ApiError::not_found("bulk send"))?;
    let count = |s: &str| ev.delivery_counts.get(s).copied().unwrap_or(0) as usize;
    let rooms = ev
        .deliveries
        .iter()
        .map(|d| RoomProgress {
            room: d
                .destination
                .as_ref()
                .and_then(|x| x.room.clone())
                .unwrap_or_default(),
            status: d.status.clone(),
            message_id: d.message_id.clone(),
            reason_code: d.reason_code.clone(),
            reason: d.reason.clone(),
            attempts: d.attempts.len(),
            // Before the first attempt the time only says "queued", which `attempts: 0` says.
            next_attempt_at: d.next_attempt_at.filter(|_| !d.attempts.is_empty()),
        })
        .collect();
    let connection_id = ev.deliveries.iter().find_map(|d| d.connection_id);
    let paused_until = match connection_id {
        Some(c) if count("pending") > 0 => state
            .store
            .connection(tenant, c)
            .await?
            .map(|c| c.paused_until)
            .filter(|until| *until > renkei_store::now_ms()),
        _ => None,
    };
    Ok(BulkSendProgress {
        id,
        total: ev.deliveries_total as usize,
        pending: count("pending"),
        delivered: count("delivered"),
        failed: count("failed"),
        cancelled: count("cancelled"),
        done: count("pending") == 0,
        connection_id,
        paused_until,
        rooms,
    })
}

#[utoipa::path(get, path = "/api/v1/bulk-sends/{id}", params(("id" = i64, Path)),
    responses((status = 200, body = BulkSendProgress), (status = 404)))]
pub async fn show(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<ApiJson<BulkSendProgress>, ApiError> {
    let id = parse_id(&id, "bulk send")?;
    Ok(ApiJson(progress_of(&state, auth.id(), id).await?))
}

/// Stops what has not been sent yet; rooms already posted to stay posted.
#[utoipa::path(post, path = "/api/v1/bulk-sends/{id}/cancel", params(("id" = i64, Path)),
    responses((status = 200, body = BulkSendProgress), (status = 404)))]
pub async fn cancel(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<ApiJson<BulkSendProgress>, ApiError> {
    let id = parse_id(&id, "bulk send")?;
    progress_of(&state, auth.id(), id).await?;
    state
        .store
        .cancel_pending(
            auth.id(),
            id,
            "bulk_send_cancelled",
            &renkei_core::routing::why::text("bulk-cancelled", &[]),
        )
        .await?;
    let connections: Vec<i64> = state
        .store
        .event_detail(auth.id(), id, DeliveryPage::default())
        .await?
        .map(|e| {
            e.deliveries
                .iter()
                .filter_map(|d| d.connection_id)
                .collect()
        })
        .unwrap_or_default();
    // The lane may hold these in memory: make it re-read before it sends more.
    state.dispatcher.resync(&connections);
    state
        .store
        .signal_lanes(LaneSignal::Resync, &connections)
        .await?;
    Ok(ApiJson(progress_of(&state, auth.id(), id).await?))
}
