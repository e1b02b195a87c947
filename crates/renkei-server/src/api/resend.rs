//! Sending failed or cancelled deliveries again, one at a time or every failed one of a
//! connection since a time (after an outage).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use renkei_store::resend::{ResendRefused, Resent};
use renkei_store::signals::LaneSignal;
use serde::{Deserialize, Serialize};
use tracing::info;
use utoipa::ToSchema;

use super::event_log::rfc3339_ms;
use super::parse_id;
use crate::auth::Auth;
use crate::error::{ApiError, ApiJson};
use crate::AppState;

/// Queues a `failed` or `cancelled` delivery again on its connection, due now, with a fresh
/// retry budget; its earlier attempts stay in its history.
#[utoipa::path(post, path = "/api/v1/deliveries/{id}/resend", params(("id" = i64, Path)),
    responses((status = 202, body = Resent), (status = 404),
        (status = 409, description = "not_resendable: only failed or cancelled deliveries are sent again"),
        (status = 422, description = "connection_gone, connection_broken, connection_switched_off, no_connection")))]
pub async fn resend_delivery(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<(StatusCode, ApiJson<Resent>), ApiError> {
    let id = parse_id(&id, "delivery")?;
    let resent = state
        .store
        .resend_delivery(auth.id(), id)
        .await?
        .map_err(|r| refusal("delivery", r))?;
    wake(&state, resent.connection_id).await?;
    info!(
        tenant = auth.id(),
        delivery = id,
        connection = resent.connection_id,
        "delivery resent"
    );
    Ok((StatusCode::ACCEPTED, ApiJson(resent)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResendFailedBody {
    /// Failed deliveries created at or after this time are sent again (RFC 3339).
    pub since: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ResentCount {
    /// How many failed deliveries were queued again.
    pub resent: u64,
}

/// Queues again every `failed` delivery of the connection created since `since`, e.g. once
/// an outage is over.
#[utoipa::path(post, path = "/api/v1/connections/{id}/resend-failed", params(("id" = i64, Path)),
    request_body = ResendFailedBody,
    responses((status = 202, body = ResentCount), (status = 404),
        (status = 422, description = "invalid_time, connection_broken, connection_switched_off")))]
pub async fn resend_failed(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ResendFailedBody>,
) -> Result<(StatusCode, ApiJson<ResentCount>), ApiError> {
    let id = parse_id(&id, "connection")?;
    let since = rfc3339_ms("since", body.since.trim())?;
    let resent = state
        .store
        .resend_failed(auth.id(), id, since)
        .await?
        .map_err(|r| refusal("connection", r))?;
    if resent > 0 {
        wake(&state, id).await?;
    }
    info!(
        tenant = auth.id(),
        connection = id,
        resent,
        "failed deliveries resent"
    );
    Ok((StatusCode::ACCEPTED, ApiJson(ResentCount { resent })))
}

/// Resent deliveries are older than what a running lane has seen, so a plain wake-up (which
/// fetches only newer ones) is not enough: the lane re-reads its queue, on whichever node.
async fn wake(state: &AppState, connection: i64) -> Result<(), ApiError> {
    state.dispatcher.resync(&[connection]);
    state
        .store
        .signal_lanes(LaneSignal::Resync, &[connection])
        .await?;
    state.wake_lanes(&[connection]).await?;
    Ok(())
}

fn refusal(what: &str, r: ResendRefused) -> ApiError {
    match r {
        ResendRefused::NotFound => ApiError::not_found(what),
        ResendRefused::NotResendable(status) => ApiError::new(
            StatusCode::CONFLICT,
            "not_resendable",
            format!("this delivery is {status}: only failed or cancelled deliveries are sent again"),
        ),
        ResendRefused::NoConnection => ApiError::unprocessable(
            "no_connection",
            "this delivery was never queued on a connection (routing found nowhere to send it); send a new event once a destination exists",
        ),
        ResendRefused::ConnectionGone(c) => ApiError::unprocessable(
            "connection_gone",
            format!("connection {c} was deleted, so this cannot be sent through it; connect the tool again and send a new event"),
        ),
        ResendRefused::ConnectionBroken(c, why) => ApiError::unprocessable(
            "connection_broken",
            format!(
                "connection {c} is broken ({}): nothing goes through it until it is fixed; fix the connection first (connect the tool again with valid credentials)",
                why.as_deref().unwrap_or("the provider refused its credentials")
            ),
        ),
        ResendRefused::ConnectionSwitchedOff(c) => ApiError::unprocessable(
            "connection_switched_off",
            format!("connection {c} is switched off: fix the connection first (switch it on with PATCH /api/v1/connections/{c}), then send again"),
        ),
    }
}
