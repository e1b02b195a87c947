//! Drives a fake's router in-process with `oneshot`: no port, no HTTP client needed.
//! Shared by every fake's tests (the Chatwork helpers use `X-ChatWorkToken`; others put
//! their own headers through [`request`]).

#![allow(dead_code)] // each test binary uses a different part of this helper

use axum::body::Body;
use axum::http::{HeaderMap, Request};
use axum::Router;
use serde_json::Value;
use tower::ServiceExt;

pub const TOKEN: &str = "demo-token-0001";
pub const FORM: &str = "application/x-www-form-urlencoded";

pub struct Resp {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", String::from_utf8_lossy(&self.body)))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name)?.to_str().ok()
    }

    /// A header parsed as a number, e.g. `X-RateLimit-Remaining`.
    pub fn num(&self, name: &str) -> Option<u64> {
        self.headers.get(name)?.to_str().ok()?.parse().ok()
    }
}

/// Sends a built request and reads the whole answer.
pub async fn send(router: &Router, req: Request<Body>) -> Resp {
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

/// One request with these headers; `body` is sent with `content_type`.
pub async fn request(
    router: &Router,
    method: &str,
    uri: &str,
    headers: &[(&str, String)],
    content_type: Option<&str>,
    body: &str,
) -> Resp {
    let mut req = Request::builder().method(method).uri(uri);
    for (k, v) in headers {
        req = req.header(*k, v);
    }
    if let Some(ct) = content_type {
        req = req.header("Content-Type", ct);
    }
    send(router, req.body(Body::from(body.to_owned())).unwrap()).await
}

/// `Authorization: Bearer <token>` when there is a token.
pub fn bearer(token: Option<&str>) -> Vec<(&'static str, String)> {
    token
        .map(|t| ("Authorization", format!("Bearer {t}")))
        .into_iter()
        .collect()
}

/// One request: `token` goes in `X-ChatWorkToken`, `body` is sent with `content_type`.
pub async fn call(
    router: &Router,
    method: &str,
    uri: &str,
    token: Option<&str>,
    content_type: Option<&str>,
    body: &str,
) -> Resp {
    let headers: Vec<(&str, String)> = token
        .map(|t| ("X-ChatWorkToken", t.to_string()))
        .into_iter()
        .collect();
    request(router, method, uri, &headers, content_type, body).await
}

pub async fn get(router: &Router, uri: &str, token: &str) -> Resp {
    call(router, "GET", uri, Some(token), None, "").await
}

/// Posts a message as Chatwork clients do: urlencoded `body=...`.
pub async fn post_message(router: &Router, room_id: i64, token: &str, text: &str) -> Resp {
    let form = serde_urlencoded::to_string([("body", text)]).unwrap();
    let uri = format!("/v2/rooms/{room_id}/messages");
    call(router, "POST", &uri, Some(token), Some(FORM), &form).await
}
