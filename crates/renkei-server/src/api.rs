//! Handlers of the v1 API, one module per resource.

pub mod bulk;
pub mod connections;
pub mod directory;
pub mod events;
pub mod imports;
pub mod links;

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
