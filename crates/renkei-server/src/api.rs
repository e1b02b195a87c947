//! Handlers of the v1 API, one module per resource.

pub mod absences;
pub mod bulk;
pub mod chatwork;
pub mod connections;
pub mod directory;
pub mod event_log;
pub mod event_warnings;
pub mod events;
pub mod imports;
pub mod inbound;
pub mod links;
pub mod lists;
pub mod member_tools;
pub mod metrics;
pub mod paging;
pub mod preview;
pub mod providers;
pub mod removal;
pub mod resend;
pub mod settings;
pub mod web_links;

use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use renkei_core::text;
use serde_json::json;

use crate::error::ApiError;
use crate::AppState;

/// Liveness and a database round trip.
#[utoipa::path(get, path = "/healthz", responses((status = 200, description = "up")))]
pub async fn healthz(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> impl IntoResponse {
    match state.store.ping().await {
        Ok(()) => (
            StatusCode::OK,
            Json(json!({"status": "ok", "node": state.dispatcher.node_id()})),
        ),
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"status": "database unavailable"})),
        ),
    }
}

pub async fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "no_such_endpoint",
        "no such endpoint; see /api/openapi.json",
    )
}

/// 201 when the PUT created the object, 200 when it replaced one.
pub(crate) fn put_status(created: bool) -> StatusCode {
    if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    }
}

/// External IDs are the product's own: 1 to 255 characters on one line, no control
/// characters (they appear in paths, logs and provider messages).
pub(crate) fn check_external_id(id: &str) -> Result<(), ApiError> {
    check_text("invalid_external_id", "external ID", id, text::EXTERNAL_ID)
}

/// An external ID named in a body field, e.g. `to.members[2]` or `parent`.
pub(crate) fn check_external_id_in(field: &str, id: &str) -> Result<(), ApiError> {
    check_text("invalid_external_id", field, id, text::EXTERNAL_ID)
}

pub(crate) fn check_name(name: &str, field: &str) -> Result<(), ApiError> {
    check_text("invalid_name", field, name, text::NAME)
}

/// One text field against its documented limit; 422 with `code` and what to fix.
pub(crate) fn check_text(
    code: &'static str,
    field: &str,
    value: &str,
    rule: text::Rule,
) -> Result<(), ApiError> {
    text::check(field, value, rule).map_err(|m| ApiError::unprocessable(code, m))
}

/// A numeric ID from the path. Anything else cannot name an object: 404, like an unknown ID.
pub(crate) fn parse_id(raw: &str, what: &str) -> Result<i64, ApiError> {
    raw.parse::<i64>().map_err(|_| ApiError::not_found(what))
}

/// The row ID of this tenant's member `ext`, or 404.
pub(crate) async fn member_row_id(
    state: &AppState,
    tenant: i64,
    ext: &str,
) -> Result<i64, ApiError> {
    state
        .store
        .member_id(tenant, ext)
        .await?
        .ok_or_else(|| ApiError::not_found("member"))
}
