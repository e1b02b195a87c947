//! `/_fake/*`: inspection and control over HTTP, for demos and for tests that run the fake
//! in another process. No auth, not recorded, not delayed, not rate limited.

use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::Value;

use super::{FakeLineWorks, PostedMessage};
use crate::common::Recorded;

pub(super) fn routes() -> Router<FakeLineWorks> {
    Router::new()
        .route("/_fake/requests", get(requests))
        .route("/_fake/messages", get(messages))
        .route("/_fake/events", get(events))
        .route("/_fake/fail", post(fail))
        .route("/_fake/delay", post(delay))
        .route("/_fake/limits", post(limits))
        .route("/_fake/expire_tokens", post(expire_tokens))
}

async fn requests(State(fake): State<FakeLineWorks>) -> Json<Vec<Recorded>> {
    Json(fake.requests())
}

#[derive(Deserialize)]
struct MessageQuery {
    user_id: Option<String>,
    channel_id: Option<String>,
}

async fn messages(
    State(fake): State<FakeLineWorks>,
    Query(q): Query<MessageQuery>,
) -> Json<Vec<PostedMessage>> {
    Json(match (q.user_id, q.channel_id) {
        (Some(u), _) => fake.messages_to_user(&u),
        (None, Some(c)) => fake.messages_in_channel(&c),
        (None, None) => fake.messages(),
    })
}

#[derive(Deserialize)]
struct UserQuery {
    user_id: String,
}

async fn events(State(fake): State<FakeLineWorks>, Query(q): Query<UserQuery>) -> Json<Vec<Value>> {
    Json(fake.events_of(&q.user_id))
}

#[derive(Deserialize)]
struct FailBody {
    count: usize,
    status: u16,
    path_contains: Option<String>,
}

async fn fail(State(fake): State<FakeLineWorks>, Json(b): Json<FailBody>) -> StatusCode {
    fake.fail_next(b.path_contains.as_deref(), b.count, b.status);
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
struct DelayBody {
    ms: u64,
}

async fn delay(State(fake): State<FakeLineWorks>, Json(b): Json<DelayBody>) -> StatusCode {
    fake.set_delay(Duration::from_millis(b.ms));
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
struct LimitsBody {
    enabled: bool,
}

async fn limits(State(fake): State<FakeLineWorks>, Json(b): Json<LimitsBody>) -> StatusCode {
    fake.set_limits_enabled(b.enabled);
    StatusCode::NO_CONTENT
}

async fn expire_tokens(State(fake): State<FakeLineWorks>) -> StatusCode {
    fake.expire_tokens();
    StatusCode::NO_CONTENT
}
