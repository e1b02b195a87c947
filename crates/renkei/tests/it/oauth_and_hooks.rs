//! HiManager's Chatwork OAuth2 (scenarios 21, 22 and 24; acceptance 7 and 11) and the
//! inbound webhook receivers (acceptance 8), end to end against the fakes. This file holds
//! the helpers the submodules share; each submodule covers one topic.

use std::collections::HashMap;

use renkei_fakes::chatwork::Consent;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::TestApp;

mod contacts_and_unlink;
mod hooks;
mod oauth;
mod oauth_failures;
mod oauth_refresh;
mod provider_hooks;

// ---------------------------------------------------------------- OAuth

const CLIENT_ID: &str = "himanager-client";
const CLIENT_SECRET: &str = "hm-secret-9f2c";
/// `Basic base64("himanager-client:hm-secret-9f2c")`, computed outside renkei.
const BASIC: &str = "Basic aGltYW5hZ2VyLWNsaWVudDpobS1zZWNyZXQtOWYyYw==";
/// The account the admin consents as, and its name in the fake.
const ADMIN_ACCOUNT: i64 = 4_100;
const ADMIN_NAME: &str = "人事部 通知";

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn query_of(url: &str) -> HashMap<String, String> {
    url::Url::parse(url)
        .unwrap_or_else(|e| panic!("{url}: {e}"))
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn callback_url(app: &TestApp) -> String {
    app.url("/oauth/chatwork/callback")
}

/// The fake knows the OAuth client (with `fake_secret`) and the admin's account (with a
/// My Chat, returned); renkei is given `renkei_secret`.
async fn register_client(app: &TestApp, fake_secret: &str, renkei_secret: &str) -> i64 {
    app.fake()
        .register_oauth_client(CLIENT_ID, fake_secret, &callback_url(app), true);
    let my_chat = app
        .fake()
        .add_account("unused-api-token", ADMIN_ACCOUNT, ADMIN_NAME);
    let (s, view) = app
        .put(
            "/api/v1/oauth-clients/chatwork",
            json!({"client_id": CLIENT_ID, "client_secret": renkei_secret}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{view}");
    my_chat
}

/// Starts the consent in renkei and lets the fake's consent page answer: returns the
/// `authorize_url` and where the consent page sent the browser.
async fn consent(app: &TestApp) -> (String, String) {
    let (s, started) = app
        .post("/api/v1/oauth/chatwork/authorize", json!({}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{started}");
    assert_eq!(started["expires_in"], 900);
    let authorize_url = started["authorize_url"].as_str().unwrap().to_string();
    let resp = no_redirects().get(&authorize_url).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::FOUND, "consent page answered");
    let location = resp.headers()[reqwest::header::LOCATION]
        .to_str()
        .unwrap()
        .to_string();
    (authorize_url, location)
}

/// The browser arrives back at renkei: status and page.
async fn open(url: &str) -> (StatusCode, String) {
    let resp = no_redirects().get(url).send().await.unwrap();
    let status = resp.status();
    let ctype = resp.headers()[reqwest::header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .to_string();
    assert!(ctype.starts_with("text/html"), "{ctype}");
    (status, resp.text().await.unwrap())
}

async fn oauth_connections(app: &TestApp) -> Vec<Value> {
    let (s, list) = app.get("/api/v1/connections").await;
    assert_eq!(s, StatusCode::OK, "{list}");
    list.as_array()
        .unwrap()
        .iter()
        .filter(|c| c["kind"] == "oauth")
        .cloned()
        .collect()
}

/// Registers the client, consents, follows the callback: the linked connection.
async fn link(app: &TestApp) -> Value {
    register_client(app, CLIENT_SECRET, CLIENT_SECRET).await;
    app.fake().set_oauth_consent(Consent::Approve {
        account_id: ADMIN_ACCOUNT,
    });
    let (_, location) = consent(app).await;
    let (s, page) = open(&location).await;
    assert_eq!(s, StatusCode::OK, "{page}");
    let conns = oauth_connections(app).await;
    assert_eq!(conns.len(), 1, "{conns:#?}");
    conns[0].clone()
}

/// The OAuth tokens renkei has stored for the connection, read from its database.
async fn stored_oauth(app: &TestApp, id: i64) -> Value {
    let (_, creds) = app
        .node()
        .store
        .connection_for_worker(id)
        .await
        .unwrap()
        .expect("live connection");
    creds["oauth"].clone()
}

fn last4(s: &str) -> String {
    s[s.len() - 4..].to_string()
}

// ------------------------------------------------------------ inbound webhooks

const SLACK_SIGNING_SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";
const LINE_CHANNEL: &str = "2000000091";
const LINE_SECRET: &str = "0123456789abcdef0123456789abcdef";
const LINE_FRIEND: &str = "U0123456789abcdef0123456789abcdef";

fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// POSTs `body` to renkei's receiver with these headers: status and answer.
async fn hook(
    app: &TestApp,
    path: &str,
    body: &str,
    headers: &[(&str, String)],
) -> (StatusCode, Value) {
    let mut req = app
        .http
        .post(app.url(path))
        .header("content-type", "application/json")
        .body(body.to_string());
    for (k, v) in headers {
        req = req.header(*k, v);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status();
    let text = resp.text().await.unwrap();
    assert!(text.len() <= 2_048, "answers stay small: {text}");
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

fn assert_refused(got: &(StatusCode, Value), status: StatusCode, code: &str) {
    assert_eq!(got.0, status, "{}", got.1);
    assert_eq!(got.1["error"]["code"], code, "{}", got.1);
}

async fn put_secret(app: &TestApp, id: i64, secret: &str) -> Value {
    let (s, view) = app
        .put(
            &format!("/api/v1/connections/{id}/inbound-secret"),
            json!({ "secret": secret }),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{view}");
    view
}

async fn slack_bot(app: &TestApp) -> i64 {
    app.fakes
        .slack
        .fake
        .add_bot("xoxb-hooks-0001", "U0HOOKBOT1", "renkei");
    let (s, c) = app
        .post(
            "/api/v1/connections",
            json!({"provider": "slack", "owner": {"tenant": true},
                   "credentials": {"bot_token": "xoxb-hooks-0001"}, "room": "C0HOOKS001"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    c["id"].as_i64().unwrap()
}

async fn line_channel(app: &TestApp) -> i64 {
    let line = &app.fakes.line.fake;
    line.add_channel(
        LINE_CHANNEL,
        LINE_SECRET,
        "Ud0000000000000000000000000000091",
        "@091renkei",
        "renkei 通知",
    );
    line.add_long_lived_token(LINE_CHANNEL, "hooks-line-token");
    line.add_user(LINE_FRIEND, "山田太郎");
    let (s, c) = app
        .post(
            "/api/v1/connections",
            json!({"provider": "line", "owner": {"tenant": true},
                   "credentials": {"channel_access_token": "hooks-line-token", "channel_secret": LINE_SECRET}}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    c["id"].as_i64().unwrap()
}
