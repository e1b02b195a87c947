//! The member and client self-service pages (issue 10): settings links, sessions bound to
//! one member or client, the member's tools, notice choices, test notices and latest
//! notices, the client's own Chatwork token, and embedding in the product's frame. Helpers
//! the submodules share live here.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::console::browser::Browser;
use crate::helpers::TestApp;

mod client;
mod embedding;
mod isolation;
mod line;
mod member_notices;
mod member_tools;

/// `POST /api/v1/{members|clients}/{ext}/settings-links` with the tenant's key.
pub async fn settings_link(app: &TestApp, kind: &str, ext: &str) -> String {
    let (status, body) = app
        .post(&format!("/api/v1/{kind}/{ext}/settings-links"), json!({}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["url"].as_str().unwrap().to_string()
}

/// A browser that opened a member's settings link (it lands on `/me`).
pub async fn member_browser(app: &TestApp, ext: &str) -> Browser {
    let url = settings_link(app, "members", ext).await;
    let mut browser = Browser::new(app);
    let entered = browser.open(&url).await;
    assert_eq!(entered.status, StatusCode::SEE_OTHER, "{}", entered.html);
    assert_eq!(entered.location(), Some("/me"));
    browser
}

/// A browser that opened a client's settings link (it lands on `/client`).
pub async fn client_browser(app: &TestApp, ext: &str) -> Browser {
    let url = settings_link(app, "clients", ext).await;
    let mut browser = Browser::new(app);
    let entered = browser.open(&url).await;
    assert_eq!(entered.status, StatusCode::SEE_OTHER, "{}", entered.html);
    assert_eq!(entered.location(), Some("/client"));
    browser
}

pub async fn put_member(app: &TestApp, ext: &str, name: &str) {
    let (s, body) = app
        .put(&format!("/api/v1/members/{ext}"), json!({"name": name}))
        .await;
    assert!(s.is_success(), "{body}");
}

/// The member's connections (as the API lists them) of one provider.
pub async fn own_connections(app: &TestApp, ext: &str, provider: &str) -> Vec<Value> {
    let (_, all) = app.get("/api/v1/connections").await;
    all.as_array()
        .unwrap()
        .iter()
        .filter(|c| c["owner"] == json!({"member": ext}) && c["provider"] == provider)
        .cloned()
        .collect()
}

/// The audit log's entries as (actor, action, target), newest first (what the console's
/// audit page reads).
pub async fn audit(app: &TestApp) -> Vec<(String, String, String)> {
    let store = &app.node().store;
    let tenant = store.tenant_by_api_key(&app.key).await.unwrap().unwrap().id;
    store
        .audit_entries(tenant, None, 200)
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.actor, e.action, e.target.unwrap_or_default()))
        .collect()
}

/// Whether the audit log has an entry by `actor` for `action`.
pub async fn audited(app: &TestApp, actor: &str, action: &str) -> bool {
    audit(app)
        .await
        .iter()
        .any(|(a, act, _)| a == actor && act == action)
}
