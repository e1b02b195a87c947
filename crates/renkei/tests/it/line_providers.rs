//! WORKPLACE (seed 003) end to end: LINE WORKS (bot messages, token renewal, 429s, absence
//! sync into the calendar, scenarios 17 and 20) and LINE (Login linking with the friend
//! prompt, push with retry keys, the monthly quota, follow webhooks, scenarios 17 and 18).
//! This file holds the worlds and helpers the submodules share; each covers one topic.

use renkei_fakes::common::Recorded;
use renkei_fakes::keys::{TEST_PRIVATE_KEY_PEM, TEST_PUBLIC_KEY_PEM};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::TestApp;

mod absences;
mod line;
mod line_push;
mod line_works;
mod line_works_retries;

// ---------------------------------------------------------------------------------------
// LINE WORKS
// ---------------------------------------------------------------------------------------

const LW_CLIENT: &str = "lw-client-e2e";
const LW_SECRET: &str = "lw-secret-e2e";
const LW_SERVICE_ACCOUNT: &str = "e2e.serviceaccount@workplace-test";
const LW_BOT: i64 = 3_000_042;
pub(crate) const LW_YAMADA: &str = "yamada@workplace-test";
const LW_CHANNEL: &str = "ch-somu-e2e";
const LW_CHANNEL_NO_BOT: &str = "ch-nobot-e2e";

pub(crate) fn lw(app: &TestApp) -> &renkei_fakes::line_works::FakeLineWorks {
    &app.fakes.line_works.fake
}

/// A LINE WORKS domain like the demo one: an API 2.0 app, its bot, a user, two channels.
pub(crate) fn lw_world(app: &TestApp) {
    let f = lw(app);
    f.add_app(
        LW_CLIENT,
        LW_SECRET,
        LW_SERVICE_ACCOUNT,
        TEST_PUBLIC_KEY_PEM,
    );
    f.add_bot(LW_BOT, "renkei 通知");
    f.add_user(LW_YAMADA);
    f.add_channel(LW_CHANNEL, &[LW_BOT]);
    f.add_channel(LW_CHANNEL_NO_BOT, &[]);
}

fn lw_credentials() -> Value {
    json!({
        "client_id": LW_CLIENT,
        "client_secret": LW_SECRET,
        "service_account": LW_SERVICE_ACCOUNT,
        "private_key": TEST_PRIVATE_KEY_PEM,
        "bot_id": LW_BOT.to_string(),
    })
}

/// Connects the tenant's LINE WORKS bot; returns the connection.
pub(crate) async fn lw_connect(app: &TestApp) -> Value {
    let (status, conn) = app
        .post(
            "/api/v1/connections",
            json!({"provider": "line_works", "owner": {"tenant": true}, "credentials": lw_credentials()}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{conn}");
    conn
}

/// A group with the LINE WORKS channel as its room and 山田 in it, with his LINE WORKS ID.
async fn lw_directory(app: &TestApp) {
    let (s, g) = app
        .put(
            "/api/v1/groups/somu",
            json!({"name": "総務", "rooms": {"line_works": LW_CHANNEL}}),
        )
        .await;
    assert!(s.is_success(), "{g}");
    let (s, m) = app
        .put(
            "/api/v1/members/yamada",
            json!({"name": "山田", "groups": ["somu"], "identities": {"line_works": {"user_id": LW_YAMADA}}}),
        )
        .await;
    assert!(s.is_success(), "{m}");
    for (key, delivery) in [("wf.direct", "direct"), ("wf.room", "room")] {
        let (s, t) = app
            .put(
                &format!("/api/v1/event-types/{key}"),
                json!({"name": key, "delivery": delivery}),
            )
            .await;
        assert!(s.is_success(), "{t}");
    }
}

fn token_requests(reqs: &[Recorded]) -> Vec<&Recorded> {
    reqs.iter()
        .filter(|r| r.path == "/oauth2/v2.0/token")
        .collect()
}

fn form_value(r: &Recorded, key: &str) -> Option<String> {
    r.form().into_iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

fn attempt_statuses(d: &Value) -> Vec<Option<i64>> {
    d["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["http_status"].as_i64())
        .collect()
}

// ---------------------------------------------------------------------------------------
// LINE
// ---------------------------------------------------------------------------------------

const LINE_CHANNEL: &str = "1650000042";
const LINE_SECRET: &str = "0f1e2d3c4b5a69780f1e2d3c4b5a6978";
const LINE_BOT: &str = "Ubbbbbbbbbbbbbbbbbbbbbbbbbbbb0042";
pub(crate) const LINE_BASIC_ID: &str = "@042wkpl";
const LINE_TOKEN: &str = "e2e-long-lived-channel-token-0042";
const LOGIN_CHANNEL: &str = "1650000043";
const LOGIN_SECRET: &str = "a1b2c3d4e5f60718a1b2c3d4e5f60718";
pub(crate) const SATO: &str = "U22222222222222222222222222222222";
const YAMADA: &str = "U11111111111111111111111111111111";

pub(crate) fn line(app: &TestApp) -> &renkei_fakes::line::FakeLine {
    &app.fakes.line.fake
}

/// An official account with a long-lived token, a LINE Login channel linked to it that
/// only accepts renkei's callback, and two people (佐藤 logs in).
pub(crate) fn line_world(app: &TestApp) {
    let f = line(app);
    f.add_channel(
        LINE_CHANNEL,
        LINE_SECRET,
        LINE_BOT,
        LINE_BASIC_ID,
        "ワークプレイス通知",
    );
    f.add_long_lived_token(LINE_CHANNEL, LINE_TOKEN);
    let callback = app.url("/link/line/callback");
    f.add_login_channel(
        LOGIN_CHANNEL,
        LOGIN_SECRET,
        Some(LINE_CHANNEL),
        &[&callback],
    );
    f.add_user(SATO, "佐藤花子");
    f.add_user(YAMADA, "山田太郎");
    f.set_login_user(Some(SATO));
}

pub(crate) async fn line_connect(app: &TestApp) -> Value {
    let (s, conn) = app
        .post(
            "/api/v1/connections",
            json!({"provider": "line", "owner": {"tenant": true}, "credentials": {
                "channel_access_token": LINE_TOKEN,
                "channel_secret": LINE_SECRET,
                "login_channel_id": LOGIN_CHANNEL,
                "login_channel_secret": LOGIN_SECRET,
            }}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{conn}");
    conn
}

async fn direct_type(app: &TestApp) {
    let (s, t) = app
        .put(
            "/api/v1/event-types/wf.direct",
            json!({"name": "ワークフロー", "delivery": "direct"}),
        )
        .await;
    assert!(s.is_success(), "{t}");
}
