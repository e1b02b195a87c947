//! The API the admin console is built on (issue 9, "API parity"): lists with keyset paging
//! and filters, deletes and what they do to pending deliveries, the delivery log, resending,
//! and the tenant's settings. Helpers the submodules share live here.

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::helpers::TestApp;

mod deletes;
mod event_log;
mod lists;
mod resend;
mod settings;

/// A second tenant on the same node, for isolation checks: its API key.
async fn other_tenant(app: &TestApp) -> String {
    app.node()
        .store
        .create_tenant("Other office")
        .await
        .unwrap()
        .1
}

async fn put_ok(app: &TestApp, path: &str, body: Value) -> Value {
    let (s, v) = app.put(path, body).await;
    assert!(s.is_success(), "PUT {path}: {s} {v}");
    v
}

/// GET with another tenant's key.
async fn get_as(app: &TestApp, key: &str, path: &str) -> (StatusCode, Value) {
    app.call(Method::GET, path, None, key).await
}

/// Every page of a list, following `next_after` (or `next_before` for events): the
/// external IDs (or event IDs) in order, and how many pages it took.
async fn all_pages(app: &TestApp, path: &str, limit: usize) -> (Vec<Value>, usize) {
    let sep = if path.contains('?') { '&' } else { '?' };
    let mut ids = Vec::new();
    let mut cursor: Option<(String, String)> = None;
    for pages in 1..100 {
        let url = match &cursor {
            None => format!("{path}{sep}limit={limit}"),
            Some((k, v)) => format!("{path}{sep}limit={limit}&{k}={v}"),
        };
        let (s, page) = app.get(&url).await;
        assert_eq!(s, StatusCode::OK, "{url}: {page}");
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= limit, "{url}: {page}");
        for it in items {
            ids.push(
                it.get("external_id")
                    .or(it.get("key"))
                    .or(it.get("id"))
                    .unwrap()
                    .clone(),
            );
        }
        cursor = match (&page["next_after"], &page["next_before"]) {
            (Value::String(a), _) => Some(("after".into(), a.clone())),
            (_, Value::Number(b)) => Some(("before".into(), b.to_string())),
            _ => return (ids, pages),
        };
        assert_eq!(
            items.len(),
            limit,
            "only a full page has a next one: {page}"
        );
    }
    panic!("{path}: more than 100 pages");
}

fn error_code(v: &Value) -> &str {
    v["error"]["code"].as_str().unwrap_or("-")
}

/// A call expected to be refused: its status and error code.
async fn refused(
    app: &TestApp,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, String) {
    let (s, v) = app.call(method, path, body, &app.key).await;
    (s, error_code(&v).to_string())
}

/// IDs as text, whether external IDs (strings) or event IDs (numbers).
fn ids(v: &[Value]) -> Vec<String> {
    v.iter()
        .map(|x| {
            x.as_str()
                .map(String::from)
                .unwrap_or_else(|| x.to_string())
        })
        .collect()
}
