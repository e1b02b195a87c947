//! Drives the fake Slack's router in-process with `oneshot`: no port, no HTTP client.

#![allow(dead_code)] // each test binary uses a different part of this helper

use axum::body::Body;
use axum::http::{HeaderMap, Request};
use axum::Router;
use renkei_fakes::slack::{FakeSlack, FakeSlackConfig, DEMO_BOT_TOKEN};
use serde_json::Value;
use tower::ServiceExt;

pub const TOKEN: &str = DEMO_BOT_TOKEN;
pub const JSON: &str = "application/json; charset=utf-8";
pub const FORM: &str = "application/x-www-form-urlencoded";
pub const GENERAL: &str = "C0DEMO0001";

pub fn demo() -> FakeSlack {
    FakeSlack::with_demo_world(FakeSlackConfig::default())
}

pub struct Resp {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.text()))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name)?.to_str().ok()
    }
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
    let mut req = Request::builder().method(method).uri(uri);
    if let Some(t) = token {
        req = req.header("Authorization", format!("Bearer {t}"));
    }
    if let Some(ct) = content_type {
        req = req.header("Content-Type", ct);
    }
    let req = req.body(Body::from(body.to_owned())).unwrap();
    let res = router.clone().oneshot(req).await.unwrap();
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let body = axum::body::to_bytes(res.into_body(), usize::MAX)
        .await
        .unwrap()
        .to_vec();
    Resp {
        status,
        headers,
        body,
    }
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
