//! `/_fake/*`: inspection and control over HTTP, for demos and for benchmarks that run
//! the fake in another process. No auth, not recorded, not delayed, not rate limited.

use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{FakeChatwork, PostedMessage, RecordedRequest};

pub(super) fn routes() -> Router<FakeChatwork> {
    Router::new()
        .route("/_fake/requests", get(requests))
        .route("/_fake/messages", get(messages))
        .route("/_fake/stats", get(stats))
        .route("/_fake/fail", post(fail))
        .route("/_fake/limits", post(limits))
        .route("/_fake/delay", post(delay))
}

async fn requests(State(fake): State<FakeChatwork>) -> Json<Vec<RecordedRequest>> {
    Json(fake.requests())
}

#[derive(Deserialize)]
struct RoomQuery {
    room_id: Option<i64>,
}

async fn messages(
    State(fake): State<FakeChatwork>,
    Query(q): Query<RoomQuery>,
) -> Json<Vec<PostedMessage>> {
    Json(match q.room_id {
        Some(room) => fake.messages(room),
        None => fake.all_messages(),
    })
}

/// Counts without shipping the whole log: `{"requests":N,"messages":M,"by_status":{"200":N}}`.
async fn stats(State(fake): State<FakeChatwork>) -> Json<Value> {
    let counts = fake.shared.journal.status_counts();
    let total: usize = counts.iter().map(|c| c.1).sum();
    let by_status: serde_json::Map<String, Value> = counts
        .into_iter()
        .map(|(s, n)| (s.to_string(), json!(n)))
        .collect();
    let messages = fake.shared.messages.lock().len();
    Json(json!({ "requests": total, "messages": messages, "by_status": by_status }))
}

#[derive(Deserialize)]
struct FailBody {
    count: usize,
    status: u16,
    path_contains: Option<String>,
}

async fn fail(State(fake): State<FakeChatwork>, Json(b): Json<FailBody>) -> StatusCode {
    match b.path_contains {
        Some(p) => fake.fail_next_on(&p, b.count, b.status),
        None => fake.fail_next(b.count, b.status),
    }
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
struct LimitsBody {
    enabled: bool,
}

async fn limits(State(fake): State<FakeChatwork>, Json(b): Json<LimitsBody>) -> StatusCode {
    fake.set_limits_enabled(b.enabled);
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
struct DelayBody {
    ms: u64,
}

async fn delay(State(fake): State<FakeChatwork>, Json(b): Json<DelayBody>) -> StatusCode {
    fake.set_delay(Duration::from_millis(b.ms));
    StatusCode::NO_CONTENT
}
