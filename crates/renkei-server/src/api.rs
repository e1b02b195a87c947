//! Handlers of the v1 API, one module per resource.

pub mod absences;
pub mod bulk;
pub mod chatwork;
pub mod connections;
pub mod directory;
pub mod events;
pub mod imports;
pub mod inbound;
pub mod links;
pub mod preview;
pub mod providers;

use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
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

/// External IDs are the product's own: any non-empty text up to 255 characters.
pub(crate) fn check_external_id(id: &str) -> Result<(), ApiError> {
    if id.trim().is_empty() || id.chars().count() > 255 {
        return Err(ApiError::unprocessable(
            "invalid_external_id",
            "external IDs must be 1 to 255 characters",
        ));
    }
    Ok(())
}

pub(crate) fn check_name(name: &str, field: &str) -> Result<(), ApiError> {
    if name.trim().is_empty() || name.chars().count() > 255 {
        return Err(ApiError::unprocessable(
            "invalid_name",
            format!("`{field}` must be 1 to 255 characters"),
        ));
    }
    Ok(())
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
