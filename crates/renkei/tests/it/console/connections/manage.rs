//! One connection's page: switch off and on, its room (pasted or picked), the inbound
//! webhook secret, and disconnecting after a confirmation that says what stops.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};

use super::{ACCOUNT, TOKEN};
use crate::console::browser::Browser;
use crate::helpers::{eventually, Backend, TestApp};

async fn connection(app: &TestApp, id: i64) -> (StatusCode, Value) {
    app.get(&format!("/api/v1/connections/{id}")).await
}

async fn switched_off_and_on_again(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let conn = app
        .connect(TOKEN, ACCOUNT, json!({"tenant": true}), None)
        .await;
    let id = conn["id"].as_i64().unwrap();
    let page = format!("/console/connections/{id}");
    let mut browser = Browser::signed_in(&app).await;
    let off = browser
        .submit(&page, &format!("{page}/enabled"), &[("enabled", "false")])
        .await;
    assert_eq!(off.status, StatusCode::SEE_OTHER, "{}", off.html);
    assert_eq!(
        off.location(),
        Some(format!("{page}?flash=conn-switched-off").as_str())
    );
    assert_eq!(connection(&app, id).await.1["enabled"], false);
    let shown = browser
        .open(&format!("{page}?flash=conn-switched-off"))
        .await;
    shown.assert_has("接続をオフにしました");
    shown.assert_has("state-off");
    shown.assert_has("オンにする");
    // Routing goes around it: a notice for the office now has nowhere to go.
    let ev = app
        .send(json!({"type": "t", "to": {"tenant": true}, "title": "止まっているはず"}))
        .await;
    let ev = app.settled(ev).await;
    assert!(
        app.fake()
            .messages(crate::helpers::my_chat(&conn))
            .is_empty(),
        "{ev:#}"
    );

    let on = browser
        .submit(&page, &format!("{page}/enabled"), &[("enabled", "true")])
        .await;
    assert_eq!(on.status, StatusCode::SEE_OTHER, "{}", on.html);
    assert_eq!(connection(&app, id).await.1["enabled"], true);
    let audit = browser.open("/console/audit").await;
    audit.assert_has("switched off");
    audit.assert_has("switched on");
}

async fn the_room_is_pasted_picked_or_cleared(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let conn = app
        .connect(TOKEN, ACCOUNT, json!({"tenant": true}), None)
        .await;
    let id = conn["id"].as_i64().unwrap();
    let page = format!("/console/connections/{id}");
    let mut browser = Browser::signed_in(&app).await;

    let saved = browser
        .submit(
            &page,
            &format!("{page}/room"),
            &[("room", "https://www.chatwork.com/#!rid777")],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.html);
    assert_eq!(connection(&app, id).await.1["room"], "777");

    let refused = browser
        .submit(&page, &format!("{page}/room"), &[("room", "総務のルーム")])
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.html
    );
    refused.assert_has("id=\"room-error\"");
    refused.assert_has("この送信先ルームは使えません");
    refused.assert_has("value=\"総務のルーム\"");
    assert_eq!(
        connection(&app, id).await.1["room"],
        "777",
        "a refused room changes nothing"
    );

    // Picked from the account's rooms (Chatwork lists them through the connection).
    app.fake().add_room(8_801, "総務", &[(ACCOUNT, "member")]);
    let rooms = browser.open(&format!("{page}/rooms")).await;
    assert_eq!(rooms.status, StatusCode::OK, "{}", rooms.html);
    rooms.assert_has("総務");
    rooms.assert_has("8801");
    let picked = browser
        .submit(
            &format!("{page}/rooms"),
            &format!("{page}/room"),
            &[("room", "8801")],
        )
        .await;
    assert_eq!(picked.status, StatusCode::SEE_OTHER);
    assert_eq!(connection(&app, id).await.1["room"], "8801");

    // Empty: back to My Chat.
    let cleared = browser
        .submit(&page, &format!("{page}/room"), &[("room", "")])
        .await;
    assert_eq!(cleared.status, StatusCode::SEE_OTHER);
    assert_eq!(connection(&app, id).await.1["room"], Value::Null);
    let shown = browser.open(&page).await;
    shown.assert_has("マイチャット（ルーム");
    let audit = browser.open("/console/audit").await;
    audit.assert_has("room set to 777");
    audit.assert_has("room cleared");
}

async fn the_inbound_webhook_is_shown_and_its_secret_saved(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let conn = app
        .connect(TOKEN, ACCOUNT, json!({"tenant": true}), None)
        .await;
    let id = conn["id"].as_i64().unwrap();
    let page = format!("/console/connections/{id}");
    let mut browser = Browser::signed_in(&app).await;
    let shown = browser.open(&page).await;
    shown.assert_has(&app.url(&format!("/hooks/chatwork/{id}")));
    shown.assert_has("data-copy=\"#inbound-url\"");
    shown.assert_has("受け付けていません");

    let refused = browser
        .submit(
            &page,
            &format!("{page}/inbound-secret"),
            &[("secret", "not base64 at all!")],
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.html
    );
    refused.assert_has("id=\"inbound_secret-error\"");
    refused.assert_has("このシークレットは使えません");
    assert!(!refused.html.contains("not base64 at all!"));

    let secret = "d2ViaG9vay10b2tlbi1zZWNyZXQtOTk5OQ==";
    let saved = browser
        .submit(
            &page,
            &format!("{page}/inbound-secret"),
            &[("secret", secret)],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.html);
    let (_, view) = connection(&app, id).await;
    assert_eq!(view["inbound"]["accepting"], true, "{view}");
    let shown = browser.open(&page).await;
    shown.assert_has("受け付けています");
    shown.assert_has("…OQ==");
    assert!(!shown.html.contains(secret));
    let audit = browser.open("/console/audit").await;
    audit.assert_has("inbound webhook secret set");
    assert!(!audit.html.contains(secret));
}

/// The confirmation says how many waiting notices are cancelled; after it they are, the
/// credentials are gone and the list no longer shows the connection.
async fn disconnect_after_a_confirmation(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let conn = app
        .connect(TOKEN, ACCOUNT, json!({"tenant": true}), None)
        .await;
    let id = conn["id"].as_i64().unwrap();
    // Chatwork is down: the notice waits (retried) instead of going out.
    app.fake().fail_next(1_000_000, 503);
    let ev = app
        .send(json!({"type": "t", "to": {"tenant": true}, "title": "待っている通知"}))
        .await;
    eventually(
        Duration::from_secs(10),
        "one delivery waiting",
        async || connection(&app, id).await.1["pending_deliveries"] == 1,
    )
    .await;

    let mut browser = Browser::signed_in(&app).await;
    let detail = browser.open(&format!("/console/connections/{id}")).await;
    detail.assert_has(&format!("href=\"/console/connections/{id}/delete\""));
    let confirm = browser
        .open(&format!("/console/connections/{id}/delete"))
        .await;
    assert_eq!(confirm.status, StatusCode::OK, "{}", confirm.html);
    confirm.assert_has("送信待ちの通知 1 件は取り消されます");
    confirm.assert_has("すぐに送られなくなります");
    confirm.assert_has(&format!("account {ACCOUNT}"));

    let done = browser
        .submit(
            &format!("/console/connections/{id}/delete"),
            &format!("/console/connections/{id}/delete"),
            &[],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.html);
    assert_eq!(
        done.location(),
        Some("/console/connections?flash=conn-disconnected")
    );
    assert_eq!(connection(&app, id).await.0, StatusCode::NOT_FOUND);
    let ev = app.settled(ev).await;
    assert_eq!(ev["deliveries"][0]["status"], "cancelled", "{ev:#}");

    let list = browser
        .open("/console/connections?flash=conn-disconnected")
        .await;
    list.assert_has("接続を解除しました");
    assert!(!list.html.contains(&format!("/console/connections/{id}\"")));
    let audit = browser.open("/console/audit").await;
    audit.assert_has("connection.delete");
    // The page of a disconnected connection: not found.
    assert_eq!(
        browser
            .open(&format!("/console/connections/{id}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

/// Chatwork refuses the token later (it was reissued): the list and the page say the
/// connection is broken, why, and lead to connecting again.
async fn a_broken_connection_says_why_and_how_to_reconnect(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let conn = app
        .connect(TOKEN, ACCOUNT, json!({"tenant": true}), None)
        .await;
    let id = conn["id"].as_i64().unwrap();
    app.fake().revoke_token(TOKEN);
    let ev = app
        .send(json!({"type": "t", "to": {"tenant": true}, "title": "届かない"}))
        .await;
    app.settled(ev).await;
    eventually(
        Duration::from_secs(10),
        "the connection marked broken",
        async || connection(&app, id).await.1["status"] == "broken",
    )
    .await;
    let reason = connection(&app, id).await.1["status_reason"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        reason,
        "the provider refused the credentials (HTTP 401: Invalid API token); fix what it says, or reconnect"
    );
    // The page says it in Japanese, with Chatwork's own answer as it came.
    let said = "相手先が連携の認証情報を受け付けませんでした（HTTP 401: Invalid API token）。応答の内容を確かめて直すか、連携し直してください";
    let mut browser = Browser::signed_in(&app).await;
    let list = browser.open("/console/connections").await;
    list.assert_has("state-broken");
    list.assert_has("接続エラー");
    list.assert_has(said);
    let page = browser.open(&format!("/console/connections/{id}")).await;
    page.assert_has("接続エラー");
    page.assert_has(said);
    page.assert_has("href=\"/console/connections/new/chatwork\">接続し直す");
}

crate::on_both_backends!(
    a_broken_connection_says_why_and_how_to_reconnect,
    switched_off_and_on_again,
    the_room_is_pasted_picked_or_cleared,
    the_inbound_webhook_is_shown_and_its_secret_saved,
    disconnect_after_a_confirmation,
);
