//! Drives the fake Slack's router in-process with `oneshot`: no port, no HTTP client.

#![allow(dead_code)] // each test binary uses a different part of this helper

#[path = "../common/mod.rs"]
mod common;
pub use common::Resp;

use axum::Router;
use renkei_fakes::slack::{FakeSlack, FakeSlackConfig, DEMO_BOT_TOKEN};
use serde_json::Value;

pub const TOKEN: &str = DEMO_BOT_TOKEN;
pub const JSON: &str = "application/json; charset=utf-8";
pub const FORM: &str = "application/x-www-form-urlencoded";
pub const GENERAL: &str = "C0DEMO0001";

pub fn demo() -> FakeSlack {
    FakeSlack::with_demo_world(FakeSlackConfig::default())
}

/// One request; `token` goes in `Authorization: Bearer`.
pub async fn call(
    router: &Router,
    method: &str,
    uri: &str,
    token: Option<&str>,
    content_type: Option<&str>,
    body: &str,
) -> Resp {
    common::request(
        router,
        method,
        uri,
        &common::bearer(token),
        content_type,
        body,
    )
    .await
}

/// A Web API call with a JSON body, as renkei makes it.
pub async fn api(router: &Router, method: &str, token: &str, body: &Value) -> Resp {
    let uri = format!("/api/{method}");
    call(
        router,
        "POST",
        &uri,
        Some(token),
        Some(JSON),
        &body.to_string(),
    )
    .await
}

/// A JSON post to an incoming webhook.
pub async fn hook(router: &Router, path: &str, body: &Value) -> Resp {
    call(
        router,
        "POST",
        path,
        None,
        Some("application/json"),
        &body.to_string(),
    )
    .await
}
