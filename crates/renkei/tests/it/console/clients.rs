//! Client pages (Cells Drive levels 3 and 4): each client's room per tool and own connection,
//! rooms set and cleared by pasting, new clients, and deleting one with what it cancelled.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};

use super::browser::Browser;
use super::bulk::other_tenant;
use crate::helpers::{delivery_for, Backend, TestApp};

/// The office's Chatwork connection (account 10), in rooms 5001 to 5003.
pub(super) async fn office(app: &TestApp) -> Value {
    app.fake().add_account("office", 10, "事務所");
    for room in [5001, 5002, 5003] {
        app.fake()
            .add_room(room, "room", &[(10, "admin"), (20, "member")]);
    }
    app.connect("office", 10, json!({"tenant": true}), None)
        .await
}

pub(super) async fn put_ok(app: &TestApp, path: &str, body: Value) {
    let (s, v) = app.put(path, body).await;
    assert!(s.is_success(), "PUT {path}: {s} {v}");
}

async fn client(app: &TestApp, ext: &str) -> Value {
    let (s, v) = app.get(&format!("/api/v1/clients/{ext}")).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v
}

async fn clients_show_rooms_and_own_connections(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    office(&app).await;
    put_ok(
        &app,
        "/api/v1/clients/aoba",
        json!({"name": "株式会社あおば食品", "rooms": {"chatwork": "#!rid5001"}}),
    )
    .await;
    put_ok(
        &app,
        "/api/v1/clients/hikari",
        json!({"name": "ひかりクリニック"}),
    )
    .await;
    let own = app
        .connect("hikari-token", 20, json!({"client": "hikari"}), None)
        .await;
    put_ok(
        &app,
        "/api/v1/members/m1",
        json!({"name": "受付 花子", "client": "hikari"}),
    )
    .await;

    let mut browser = Browser::signed_in(&app).await;
    let list = browser.open("/console/clients").await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.html);
    list.assert_has("<th scope=\"col\">Chatwork のルーム</th>");
    list.assert_has("株式会社あおば食品");
    list.assert_has("ルーム 5001");
    list.assert_has(&format!(
        "href=\"/console/connections/{}\">Chatwork（接続中）</a>",
        own["id"]
    ));
    list.assert_has("なし（事務所の連携で送信）");
    list.assert_has("href=\"/console/members?client=hikari\">1人");
    let found = browser
        .open("/console/clients?q=%E3%81%B2%E3%81%8B%E3%82%8A")
        .await;
    found.assert_has("ひかりクリニック");
    assert!(
        !found.html.contains("あおば"),
        "the search kept another client"
    );
    browser.accept_language = "en".into();
    let en = browser.open("/console/clients").await;
    en.assert_has("Room 5001");
    en.assert_has("Own connection");
    en.assert_has("Chatwork (Connected)");
    browser.accept_language = "ja".into();

    // Level 3: the client's room, pasted as the room's URL, then cleared.
    let page = "/console/clients/aoba";
    let form = browser.open(page).await;
    assert_eq!(form.status, StatusCode::OK);
    form.assert_has("value=\"5001\"");
    form.assert_has("事務所の Chatwork 連携から、このルームに投稿します。");
    let saved = browser
        .submit(
            page,
            page,
            &[
                ("name", "株式会社あおば食品"),
                ("room_chatwork", "https://www.chatwork.com/#!rid5002"),
                ("room_slack", ""),
                ("room_line_works", ""),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.html);
    assert_eq!(
        client(&app, "aoba").await["rooms"],
        json!({"chatwork": "5002"})
    );
    browser
        .open(saved.location().unwrap())
        .await
        .assert_has("設定を保存しました。");
    let cleared = browser
        .submit(
            page,
            page,
            &[("name", "あおば食品"), ("room_chatwork", " ")],
        )
        .await;
    assert_eq!(cleared.status, StatusCode::SEE_OTHER, "{}", cleared.html);
    let now = client(&app, "aoba").await;
    assert_eq!(
        (now["name"].as_str(), &now["rooms"]),
        (Some("あおば食品"), &json!({}))
    );

    // A new client, then its page.
    let added = browser
        .submit(
            "/console/clients",
            "/console/clients",
            &[("ext", " c-0042 "), ("name", "合同会社こもれび")],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.html);
    assert_eq!(
        added.location(),
        Some("/console/clients/c-0042?flash=dir-client-created")
    );
    assert_eq!(client(&app, "c-0042").await["name"], "合同会社こもれび");
    let audit = browser.open("/console/audit").await;
    audit.assert_has("client.update");
    audit.assert_has("chatwork room 5001 → 5002");
    audit.assert_has("chatwork room 5002 → none");
    audit.assert_has("client.create");
}

async fn bad_values_stay_on_the_form_and_other_tenants_get_404(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    put_ok(
        &app,
        "/api/v1/clients/aoba",
        json!({"name": "あおば食品", "rooms": {"chatwork": "5001"}}),
    )
    .await;
    let mut browser = Browser::signed_in(&app).await;
    let page = "/console/clients/aoba";
    let bad = browser
        .submit(
            page,
            page,
            &[
                ("name", "あおば食品"),
                ("room_chatwork", "general"),
                ("room_slack", "C0ABCDEF1"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    bad.assert_has("id=\"room-chatwork-error\"");
    bad.assert_has("「general」は Chatwork のルームとして読み取れません");
    bad.assert_has("href=\"#room-chatwork\"");
    bad.assert_has("value=\"general\"");
    bad.assert_has("value=\"C0ABCDEF1\"");
    let no_name = browser
        .submit(page, page, &[("name", " "), ("room_chatwork", "5001")])
        .await;
    assert_eq!(no_name.status, StatusCode::UNPROCESSABLE_ENTITY);
    no_name.assert_has("id=\"name-error\"");
    no_name.assert_has("名前を入力してください");
    let taken = browser
        .submit(
            "/console/clients",
            "/console/clients",
            &[("ext", "aoba"), ("name", "別の会社")],
        )
        .await;
    assert_eq!(taken.status, StatusCode::UNPROCESSABLE_ENTITY);
    taken.assert_has("ID「aoba」の顧問先はすでに登録されています");
    taken.assert_has("value=\"別の会社\"");
    let refused = browser
        .post_raw(page, &[("name", "乗っ取り"), ("room_chatwork", "5009")])
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let unchanged = client(&app, "aoba").await;
    assert_eq!(
        (unchanged["name"].as_str(), &unchanged["rooms"]),
        (Some("あおば食品"), &json!({"chatwork": "5001"}))
    );
    assert_eq!(
        browser.open("/console/clients/nobody").await.status,
        StatusCode::NOT_FOUND
    );

    let (mut other, other_key) = other_tenant(&app).await;
    assert_eq!(other.open(page).await.status, StatusCode::NOT_FOUND);
    let theirs = other
        .submit(
            "/console/clients",
            page,
            &[("name", "乗っ取り"), ("room_chatwork", "5009")],
        )
        .await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
    let (s, _) = app
        .call(
            reqwest::Method::GET,
            "/api/v1/clients/aoba",
            None,
            &other_key,
        )
        .await;
    assert_eq!(
        s,
        StatusCode::NOT_FOUND,
        "the POST made a client in the other tenant"
    );
    assert_eq!(
        other.open(&format!("{page}/delete")).await.status,
        StatusCode::NOT_FOUND
    );
    let delete = other
        .submit("/console/clients", &format!("{page}/delete"), &[])
        .await;
    assert_eq!(delete.status, StatusCode::NOT_FOUND);
    assert_eq!(client(&app, "aoba").await["name"], "あおば食品");
    assert!(!other.open("/console/clients").await.html.contains("あおば"));
}

async fn deleting_a_client_says_what_it_cancelled(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    office(&app).await;
    put_ok(
        &app,
        "/api/v1/clients/aoba",
        json!({"name": "あおば食品", "rooms": {"chatwork": "5001"}}),
    )
    .await;
    let own = app
        .connect("aoba-token", 20, json!({"client": "aoba"}), None)
        .await;
    put_ok(
        &app,
        "/api/v1/members/m1",
        json!({"name": "山田", "client": "aoba"}),
    )
    .await;
    // Its own connection posts into room 5001, which fails for now: the notice waits.
    app.fake().fail_next_on("/rooms/5001/", 1_000_000, 500);
    let waiting = app
        .send(json!({"type": "t", "to": {"clients": ["aoba"]}, "title": "waiting"}))
        .await;
    app.wait_event(waiting, Duration::from_secs(10), |ev| {
        ev["deliveries"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["status"] == "pending" && !d["attempts"].as_array().unwrap().is_empty())
    })
    .await;

    let mut browser = Browser::signed_in(&app).await;
    let confirm = browser.open("/console/clients/aoba/delete").await;
    assert_eq!(confirm.status, StatusCode::OK);
    confirm.assert_has("「あおば食品」を削除しますか？");
    confirm.assert_has("送信待ちの通知は、すべて取り消されます");
    confirm.assert_has("顧問先専用の連携（Chatwork（接続中））も削除され");
    confirm.assert_has("メンバー 1人は削除されず");
    let done = browser
        .submit(
            "/console/clients/aoba/delete",
            "/console/clients/aoba/delete",
            &[],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.html);
    let list = browser.open(done.location().unwrap()).await;
    list.assert_has(
        "顧問先「あおば食品」を削除しました。送信待ちの通知 1 件を取り消し、顧問先専用の連携 1 件を削除しました。メンバー 1人の顧問先の設定を外しました。",
    );
    assert_eq!(
        app.get("/api/v1/clients/aoba").await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&format!("/api/v1/connections/{}", own["id"]))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    let ev = app.get(&format!("/api/v1/events/{waiting}")).await.1;
    assert_eq!(
        delivery_for(&ev, "client:aoba")["status"],
        "cancelled",
        "{ev:#}"
    );
    let audit = browser.open("/console/audit").await;
    audit.assert_has("client.delete");
    audit.assert_has(&format!(
        "cancelled 1 pending deliveries; deleted connections chatwork #{}",
        own["id"]
    ));
    let again = browser
        .submit("/console/clients", "/console/clients/aoba/delete", &[])
        .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
}

crate::on_both_backends!(
    clients_show_rooms_and_own_connections,
    bad_values_stay_on_the_form_and_other_tenants_get_404,
    deleting_a_client_says_what_it_cancelled,
);
