//! `/_fake/*`: inspection and control over HTTP, for demos and tests that run the fake in
//! another process. No auth, not recorded, not delayed, not rate limited.

use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{FakeLine, PushedMessage};
use crate::common::Recorded;

pub(super) fn routes() -> Router<FakeLine> {
    Router::new()
        .route("/_fake/requests", get(requests))
        .route("/_fake/pushes", get(pushes))
        .route("/_fake/stats", get(stats))
        .route("/_fake/fail", post(fail))
        .route("/_fake/delay", post(delay))
        .route("/_fake/limits", post(limits))
        .route("/_fake/login", post(login))
        .route("/_fake/friends", post(friends))
        .route("/_fake/quota", post(quota))
        .route("/_fake/follow", post(follow))
}

async fn requests(State(fake): State<FakeLine>) -> Json<Vec<Recorded>> {
    Json(fake.requests())
}

#[derive(Deserialize)]
struct ToQuery {
    to: Option<String>,
}

async fn pushes(
    State(fake): State<FakeLine>,
    Query(q): Query<ToQuery>,
) -> Json<Vec<PushedMessage>> {
    let all = fake.pushes();
    Json(match q.to {
        Some(to) => all.into_iter().filter(|p| p.to == to).collect(),
        None => all,
    })
}

/// `{"requests":N,"pushes":M,"by_status":{"200":N}}`.
async fn stats(State(fake): State<FakeLine>) -> Json<Value> {
    let requests = fake.requests();
    let mut by_status = serde_json::Map::new();
    for r in &requests {
        let n = by_status
            .get(&r.status.to_string())
            .and_then(Value::as_u64)
            .unwrap_or(0);
        by_status.insert(r.status.to_string(), json!(n + 1));
    }
    let pushes = fake.shared.world.lock().pushes.len();
    Json(json!({ "requests": requests.len(), "pushes": pushes, "by_status": by_status }))
}

#[derive(Deserialize)]
struct FailBody {
    count: usize,
    status: u16,
    path_contains: Option<String>,
}

async fn fail(State(fake): State<FakeLine>, Json(b): Json<FailBody>) -> StatusCode {
    match b.path_contains {
        Some(p) => fake.fail_next_on(&p, b.count, b.status),
        None => fake.fail_next(b.count, b.status),
    }
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
struct DelayBody {
    ms: u64,
}

async fn delay(State(fake): State<FakeLine>, Json(b): Json<DelayBody>) -> StatusCode {
    fake.set_delay(Duration::from_millis(b.ms));
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
struct LimitsBody {
    enabled: bool,
}

async fn limits(State(fake): State<FakeLine>, Json(b): Json<LimitsBody>) -> StatusCode {
    fake.set_limits_enabled(b.enabled);
    StatusCode::NO_CONTENT
}

/// `{"user_id":"U…"}` logs that user in next; `{"denied":true}` presses cancel;
/// `{"user_id":null}` nobody.
#[derive(Deserialize)]
struct LoginBody {
    user_id: Option<String>,
    #[serde(default)]
    denied: bool,
}

async fn login(State(fake): State<FakeLine>, Json(b): Json<LoginBody>) -> StatusCode {
    if b.denied {
        fake.set_login_denied();
    } else {
        fake.set_login_user(b.user_id.as_deref());
    }
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
struct FriendBody {
    channel_id: String,
    user_id: String,
    #[serde(default = "yes")]
    friend: bool,
}

fn yes() -> bool {
    true
}

async fn friends(State(fake): State<FakeLine>, Json(b): Json<FriendBody>) -> StatusCode {
    if b.friend {
        fake.add_friend(&b.channel_id, &b.user_id);
    } else {
        fake.remove_friend(&b.channel_id, &b.user_id);
    }
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
struct QuotaBody {
    channel_id: String,
    limit: Option<u64>,
    usage: Option<u64>,
}

async fn quota(State(fake): State<FakeLine>, Json(b): Json<QuotaBody>) -> StatusCode {
    fake.set_monthly_quota(&b.channel_id, b.limit);
    if let Some(used) = b.usage {
        fake.set_monthly_usage(&b.channel_id, used);
    }
    StatusCode::NO_CONTENT
}

/// Sends a `follow` for `user_id` to `webhook_url`, signed with the channel's secret.
#[derive(Deserialize)]
struct FollowBody {
    channel_id: String,
    user_id: String,
    webhook_url: String,
}

async fn follow(
    State(fake): State<FakeLine>,
    Json(b): Json<FollowBody>,
) -> (StatusCode, Json<Value>) {
    let Some(secret) = fake.channel_secret(&b.channel_id) else {
        return (
            StatusCode::NOT_FOUND,
            Json(json!({ "error": "no such channel" })),
        );
    };
    match fake.send_follow(&b.user_id, &b.webhook_url, &secret).await {
        Ok(status) => (StatusCode::OK, Json(json!({ "webhook_status": status }))),
        Err(e) => (StatusCode::BAD_GATEWAY, Json(json!({ "error": e }))),
    }
}
