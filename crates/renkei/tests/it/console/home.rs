//! The home page: connection health, the last 24 hours, and what needs attention.

use reqwest::StatusCode;
use serde_json::json;

use super::browser::Browser;
use crate::helpers::{Backend, TestApp};

async fn home_shows_health_totals_and_what_needs_attention(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    // The office token belongs to account 42; 佐藤 is that account (no badge for her).
    app.connect("office-token", 42, json!({"tenant": true}), Some("5001"))
        .await;
    app.fake().add_room(5001, "総務", &[(42, "admin")]);
    let broken = app
        .connect("client-token", 77, json!({"tenant": true}), None)
        .await;
    for (path, body) in [
        (
            "/api/v1/groups/honsha",
            json!({"name": "本社", "rooms": {"chatwork": "5001"}}),
        ),
        ("/api/v1/groups/osaka", json!({"name": "大阪支社"})),
        (
            "/api/v1/members/sato",
            json!({"name": "佐藤 恵子", "identities": {"chatwork": {"account_id": "42"}}}),
        ),
        ("/api/v1/members/tanaka", json!({"name": "田中 一郎"})),
    ] {
        let (status, body) = app.put(path, body).await;
        assert!(status.is_success(), "{path}: {body}");
    }
    app.node()
        .store
        .mark_connection_broken(
            broken["id"].as_i64().unwrap(),
            "invalid_token",
            "the token was revoked",
        )
        .await
        .unwrap();
    let id = app
        .send(json!({"type": "notice", "to": {"groups": ["honsha", "osaka"]}, "title": "お知らせ"}))
        .await;
    let event = app.settled(id).await;
    let count = |status: &str| {
        event["deliveries"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["status"] == status)
            .count()
            .to_string()
    };
    let (delivered, failed) = (count("delivered"), count("failed"));
    assert_ne!(delivered, "0", "{event:#}");

    let mut browser = Browser::signed_in(&app).await;
    let home = browser.open("/console").await;
    assert_eq!(home.status, StatusCode::OK);
    // Health: one connected, one broken with its reason.
    home.assert_has("接続中");
    home.assert_has("接続エラー");
    home.assert_has("the token was revoked");
    // Attention: the broken connection, the self-mention, 田中 without Chatwork, and 大阪支社
    // falling back to the default room.
    home.assert_has("との接続が切れています");
    home.assert_has("佐藤 恵子 さんの Chatwork アカウントが送信用アカウントと同じです");
    home.assert_has("Chatwork のアカウントが未登録のメンバーが 1 人います");
    home.assert_has("グループ「大阪支社」の Chatwork の送信先ルームが未設定");
    assert!(
        !home.html.contains("グループ「本社」"),
        "本社 has its own room"
    );
    // The last 24 hours: what the event's deliveries say.
    let totals: Vec<&str> = home
        .html
        .split("<span class=\"n\">")
        .skip(1)
        .filter_map(|rest| rest.split('<').next())
        .collect();
    assert_eq!(
        totals,
        [delivered.as_str(), failed.as_str(), "0"],
        "{}",
        home.html
    );

    browser.accept_language = "en".into();
    let en = browser.open("/console").await;
    en.assert_has("One member has no Chatwork account yet.");
}

async fn a_group_whose_notices_go_nowhere_needs_attention(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    // The office connection has no room of its own: a group without a room in its chain
    // gets no room notices at all.
    app.connect("office-token", 42, json!({"tenant": true}), None)
        .await;
    let (status, body) = app
        .put("/api/v1/groups/osaka", json!({"name": "大阪支社"}))
        .await;
    assert!(status.is_success(), "{body}");
    let mut browser = Browser::signed_in(&app).await;
    let home = browser.open("/console").await;
    home.assert_has("グループ「大阪支社」の Chatwork の通知は送信されません");
    home.assert_has("href=\"/console/groups/osaka\"");

    // LINE sends to people, never into a room: no group is said to miss a LINE room.
    crate::line_providers::line_world(&app);
    crate::line_providers::line_connect(&app).await;
    let home = browser.open("/console").await;
    home.assert_has("グループ「大阪支社」の Chatwork の通知は送信されません");
    assert!(!home.html.contains("の LINE の"), "{}", home.html);
}

crate::on_both_backends!(
    home_shows_health_totals_and_what_needs_attention,
    a_group_whose_notices_go_nowhere_needs_attention,
);
