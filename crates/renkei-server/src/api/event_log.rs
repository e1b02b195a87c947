//! `GET /events`: the delivery log, newest first, with filters.

use axum::extract::{Query, State};
use renkei_core::model::DeliveryStatus;
use renkei_store::event_log::{EventFilter, EventPage};
use serde::Deserialize;
use utoipa::IntoParams;

use super::paging::{parse_limit, parse_provider};
use crate::auth::Auth;
use crate::error::{ApiError, ApiJson};
use crate::AppState;

#[derive(Debug, Deserialize, IntoParams)]
pub struct EventLogParams {
    /// The previous page's `next_before`: events older than this ID.
    pub before: Option<String>,
    /// Events per page, 1 to 200 (default 50).
    pub limit: Option<String>,
    /// Events with a delivery in this status: `pending`, `delivered`, `failed`,
    /// `cancelled` or `skipped`.
    pub status: Option<String>,
    /// Events with a delivery through this provider (with `status`: the same delivery).
    pub provider: Option<String>,
    /// Events of this type.
    #[serde(rename = "type")]
    pub event_type: Option<String>,
    /// Events with a delivery made for this member (external ID): a direct message, or a
    /// post in their group's room mentioning them. A post shared with others in one room is
    /// listed under the target it was made for first.
    pub member: Option<String>,
    /// Events with a delivery made for this client (external ID).
    pub client: Option<String>,
    /// Created at or after this time (RFC 3339, e.g. `2025-04-01T09:00:00+09:00`).
    pub since: Option<String>,
    /// Created before this time (RFC 3339).
    pub until: Option<String>,
}

/// Events newest first: each with its type, title, time and its deliveries counted by status.
#[utoipa::path(get, path = "/api/v1/events", params(EventLogParams),
    responses((status = 200, body = EventPage),
        (status = 422, description = "invalid_limit, invalid_cursor, invalid_status, unknown_provider, invalid_time")))]
pub async fn list(
    State(state): State<AppState>,
    auth: Auth,
    Query(p): Query<EventLogParams>,
) -> Result<ApiJson<EventPage>, ApiError> {
    let filter = filter_from(&p)?;
    Ok(ApiJson(state.store.event_page(auth.id(), &filter).await?))
}

pub(crate) fn nonempty(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

pub fn filter_from(p: &EventLogParams) -> Result<EventFilter, ApiError> {
    let before = nonempty(&p.before)
        .map(|b| {
            b.parse::<i64>().map_err(|_| {
                ApiError::unprocessable(
                    "invalid_cursor",
                    format!(
                        "`before` is an event ID (the previous page's `next_before`); got `{b}`"
                    ),
                )
            })
        })
        .transpose()?;
    let status = nonempty(&p.status).map(parse_status).transpose()?;
    Ok(EventFilter {
        before,
        limit: parse_limit(
            p.limit.as_deref(),
            EventFilter::DEFAULT_LIMIT,
            EventFilter::MAX_LIMIT,
        )?,
        status,
        provider: parse_provider("provider", nonempty(&p.provider))?,
        event_type: nonempty(&p.event_type).map(Into::into),
        member: nonempty(&p.member).map(Into::into),
        client: nonempty(&p.client).map(Into::into),
        since: nonempty(&p.since)
            .map(|t| rfc3339_ms("since", t))
            .transpose()?,
        until: nonempty(&p.until)
            .map(|t| rfc3339_ms("until", t))
            .transpose()?,
        ..EventFilter::default()
    })
}

/// An RFC 3339 time as Unix ms; 422 `invalid_time` naming the field otherwise.
pub(crate) fn rfc3339_ms(field: &str, raw: &str) -> Result<i64, ApiError> {
    chrono::DateTime::parse_from_rfc3339(raw)
        .map(|t| t.timestamp_millis())
        .map_err(|e| {
            ApiError::unprocessable(
                "invalid_time",
                format!("`{field}` must be an RFC 3339 time with an offset, e.g. `2025-04-01T09:00:00+09:00` ({e}); got `{raw}`"),
            )
        })
}

/// A delivery status named in a query (`?status=`), or 422 `invalid_status` naming the choices.
pub(crate) fn parse_status(s: &str) -> Result<DeliveryStatus, ApiError> {
    DeliveryStatus::parse(s).ok_or_else(|| {
        ApiError::unprocessable(
            "invalid_status",
            format!("`status` is one of pending, delivered, failed, cancelled, skipped; got `{s}`"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_need_an_offset() {
        assert_eq!(
            rfc3339_ms("since", "1970-01-01T09:00:01+09:00").unwrap(),
            1000
        );
        let e = rfc3339_ms("since", "2025-04-01 09:00").unwrap_err();
        assert_eq!(e.code, "invalid_time");
        assert!(e.message.contains("`since`"), "{}", e.message);
    }
}
