//! `/_fake/*`: inspection and control over HTTP, for demos and for benchmarks that run
//! the fake in another process. No auth, not recorded, not delayed, not rate limited.

use std::collections::BTreeMap;
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{FakeSlack, PostedMessage};
use crate::common::Recorded;

pub(super) fn routes() -> Router<FakeSlack> {
    Router::new()
        .route("/_fake/requests", get(requests))
        .route("/_fake/messages", get(messages))
        .route("/_fake/stats", get(stats))
        .route("/_fake/fail", post(fail))
        .route("/_fake/api_error", post(api_error))
        .route("/_fake/clear_faults", post(clear_faults))
        .route("/_fake/limits", post(limits))
        .route("/_fake/delay", post(delay))
}

async fn requests(State(fake): State<FakeSlack>) -> Json<Vec<Recorded>> {
    Json(fake.requests())
}

#[derive(Deserialize)]
struct ChannelQuery {
    channel: Option<String>,
}

async fn messages(
    State(fake): State<FakeSlack>,
    Query(q): Query<ChannelQuery>,
) -> Json<Vec<PostedMessage>> {
    Json(match q.channel {
        Some(c) => fake.messages(&c),
        None => fake.all_messages(),
    })
}

/// `{"requests":N,"messages":M,"by_status":{"200":N,...}}`.
async fn stats(State(fake): State<FakeSlack>) -> Json<Value> {
    let requests = fake.requests();
    let mut by_status: BTreeMap<String, usize> = BTreeMap::new();
    for r in &requests {
        *by_status.entry(r.status.to_string()).or_default() += 1;
    }
    let messages = fake.shared.messages.lock().len();
    Json(json!({ "requests": requests.len(), "messages": messages, "by_status": by_status }))
}

#[derive(Deserialize)]
struct FailBody {
    count: usize,
    status: u16,
    path_contains: Option<String>,
}

async fn fail(State(fake): State<FakeSlack>, Json(b): Json<FailBody>) -> StatusCode {
    match b.path_contains {
        Some(p) => fake.fail_next_on(&p, b.count, b.status),
        None => fake.fail_next(b.count, b.status),
    }
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
struct ApiErrorBody {
    count: usize,
    error: String,
}

async fn api_error(State(fake): State<FakeSlack>, Json(b): Json<ApiErrorBody>) -> StatusCode {
    fake.fail_next_api_error(b.count, &b.error);
    StatusCode::NO_CONTENT
}

async fn clear_faults(State(fake): State<FakeSlack>) -> StatusCode {
    fake.clear_faults();
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
struct LimitsBody {
    enabled: bool,
}

async fn limits(State(fake): State<FakeSlack>, Json(b): Json<LimitsBody>) -> StatusCode {
    fake.set_limits_enabled(b.enabled);
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
struct DelayBody {
    ms: u64,
}

async fn delay(State(fake): State<FakeSlack>, Json(b): Json<DelayBody>) -> StatusCode {
    fake.set_delay(Duration::from_millis(b.ms));
    StatusCode::NO_CONTENT
}
