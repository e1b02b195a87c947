//! `GET /metrics`: Prometheus (OpenMetrics text) for operators. Counts only, never tenant data
//! or secrets; with `RENKEI_METRICS_TOKEN` set it also asks for `Authorization: Bearer <token>`.

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use subtle::ConstantTimeEq;

use crate::error::ApiError;
use crate::AppState;

const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

pub async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(token) = &state.metrics_token {
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|h| h.to_str().ok())
            .and_then(crate::auth::bearer_token)
            .unwrap_or_default();
        if !bool::from(given.as_bytes().ct_eq(token.as_bytes())) {
            return ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "send the metrics token (RENKEI_METRICS_TOKEN) as `Authorization: Bearer <token>`",
            )
            .into_response();
        }
    }
    let gauges = match state.store.queue_gauges().await {
        Ok(g) => g,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let text = state
        .dispatcher
        .metrics()
        .render(&gauges.depth, gauges.paused_connections);
    ([(header::CONTENT_TYPE, CONTENT_TYPE)], text).into_response()
}
