//! `/_fake/*`: inspection and control over HTTP for demos and other processes. No auth,
//! not recorded, not delayed, not rate limited.

use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use super::FakeGoogleChat;
use crate::common::Recorded;

pub(super) fn routes() -> Router<FakeGoogleChat> {
    Router::new()
        .route("/_fake/requests", get(requests))
        .route("/_fake/messages", get(messages))
        .route("/_fake/webhooks", post(add_webhook))
        .route("/_fake/fail", post(fail))
        .route("/_fake/delay", post(delay))
        .route("/_fake/limits", post(limits))
}

async fn requests(State(fake): State<FakeGoogleChat>) -> Json<Vec<Recorded>> {
    Json(fake.requests())
}

#[derive(Deserialize)]
struct SpaceQuery {
    space: String,
}

async fn messages(
    State(fake): State<FakeGoogleChat>,
    Query(q): Query<SpaceQuery>,
) -> Json<Vec<Value>> {
    Json(fake.messages(&q.space))
}

#[derive(Deserialize)]
struct WebhookBody {
    space: String,
    key: String,
    token: String,
}

async fn add_webhook(
    State(fake): State<FakeGoogleChat>,
    Json(b): Json<WebhookBody>,
) -> Json<Value> {
    Json(json!({ "url": fake.add_webhook(&b.space, &b.key, &b.token) }))
}

#[derive(Deserialize)]
struct FailBody {
    count: usize,
    status: u16,
}

async fn fail(State(fake): State<FakeGoogleChat>, Json(b): Json<FailBody>) -> StatusCode {
    fake.fail_next(b.count, b.status);
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
struct DelayBody {
    ms: u64,
}

async fn delay(State(fake): State<FakeGoogleChat>, Json(b): Json<DelayBody>) -> StatusCode {
    fake.set_delay(Duration::from_millis(b.ms));
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
struct LimitsBody {
    enabled: bool,
}

async fn limits(State(fake): State<FakeGoogleChat>, Json(b): Json<LimitsBody>) -> StatusCode {
    fake.set_limits_enabled(b.enabled);
    StatusCode::NO_CONTENT
}
