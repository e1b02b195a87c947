//! Slack, Microsoft Teams and Google Chat end to end (scenarios 14, 17, 18; acceptance 2, 3,
//! 4, 9): a real node over HTTP against the fakes, asserting what each fake received. This
//! file holds the helpers the submodules share; each submodule covers one topic.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::TestApp;

mod google_chat;
mod member_webhooks;
mod slack;
mod ssrf;
mod teams;

const YAMADA_SLACK: &str = "U0YAMADA01";
const GENERAL: &str = "C0GENERAL1";

fn http_statuses(d: &Value) -> Vec<Option<i64>> {
    d["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["http_status"].as_i64())
        .collect()
}

fn attempt_times(d: &Value) -> Vec<i64> {
    d["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["at"].as_i64().unwrap())
        .collect()
}

/// The event's one delivery through `provider`.
fn by_provider(ev: &Value, provider: &str) -> Value {
    let found: Vec<&Value> = ev["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["provider"] == provider)
        .collect();
    assert_eq!(found.len(), 1, "one {provider} delivery expected: {ev:#}");
    found[0].clone()
}

fn section(text: &str) -> Value {
    json!({"type": "section", "text": {"type": "mrkdwn", "text": text, "verbatim": true}})
}

async fn connect_ok(app: &TestApp, body: Value) -> Value {
    let (s, c) = app.post("/api/v1/connections", body).await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    assert_eq!(c["status"], "connected", "{c}");
    c
}

async fn refused(app: &TestApp, body: Value, code: &str) -> Value {
    let (s, e) = app.post("/api/v1/connections", body).await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some(code)),
        "{e}"
    );
    e
}

async fn put_ok(app: &TestApp, path: &str, body: Value) {
    let (s, v) = app.put(path, body).await;
    assert!(
        s == StatusCode::OK || s == StatusCode::CREATED,
        "{path}: {s} {v}"
    );
}
