//! `/_fake/*`: inspection and control over HTTP for demos and other processes. No auth,
//! not recorded, not delayed, not rate limited.

use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{FakeTeams, FlowRun};
use crate::common::Recorded;

pub(super) fn routes() -> Router<FakeTeams> {
    Router::new()
        .route("/_fake/requests", get(requests))
        .route("/_fake/runs", get(runs))
        .route("/_fake/workflows", post(add_workflow))
        .route("/_fake/fail", post(fail))
        .route("/_fake/delay", post(delay))
        .route("/_fake/limits", post(limits))
        .route("/_fake/legacy_throttle", post(legacy_throttle))
}

async fn requests(State(fake): State<FakeTeams>) -> Json<Vec<Recorded>> {
    Json(fake.requests())
}

async fn runs(State(fake): State<FakeTeams>) -> Json<Vec<FlowRun>> {
    Json(fake.runs())
}

#[derive(Deserialize)]
struct WorkflowBody {
    id: String,
    sig: String,
}

async fn add_workflow(State(fake): State<FakeTeams>, Json(b): Json<WorkflowBody>) -> Json<Value> {
    Json(json!({ "url": fake.add_workflow(&b.id, &b.sig) }))
}

#[derive(Deserialize)]
struct FailBody {
    count: usize,
    status: u16,
}

async fn fail(State(fake): State<FakeTeams>, Json(b): Json<FailBody>) -> StatusCode {
    fake.fail_next(b.count, b.status);
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
struct DelayBody {
    ms: u64,
}

async fn delay(State(fake): State<FakeTeams>, Json(b): Json<DelayBody>) -> StatusCode {
    fake.set_delay(Duration::from_millis(b.ms));
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
struct LimitsBody {
    enabled: bool,
    retry_after: Option<bool>,
}

async fn limits(State(fake): State<FakeTeams>, Json(b): Json<LimitsBody>) -> StatusCode {
    fake.set_limits_enabled(b.enabled);
    if let Some(on) = b.retry_after {
        fake.set_retry_after(on);
    }
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
struct CountBody {
    count: usize,
}

async fn legacy_throttle(State(fake): State<FakeTeams>, Json(b): Json<CountBody>) -> StatusCode {
    fake.legacy_throttle_next(b.count);
    StatusCode::NO_CONTENT
}
