//! Cells Drive scenarios 1, 3, 4, 5 and 7 (PRODUCT.md), and rendering, through the API.

use serde_json::{json, Value};

use crate::helpers::{delivery_for, my_chat, statuses, Backend, TestApp};

fn room_of(d: &Value) -> i64 {
    d["destination"]["room"].as_str().unwrap().parse().unwrap()
}

/// L1A: the office's token alone → notices land in the token owner's My Chat.
async fn scenario_1_office_token_goes_to_my_chat(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let conn = app
        .connect("office", 10, json!({"tenant": true}), None)
        .await;
    let my_chat: i64 = my_chat(&conn);
    let id = app.send(json!({"type": "file.uploaded", "to": {"tenant": true}, "title": "顧問先からファイル", "body": "給与.csv", "url": "https://drive.example/f/9"})).await;
    let ev = app.settled(id).await;
    assert_eq!(statuses(&ev), vec!["delivered"]);
    assert_eq!(room_of(&ev["deliveries"][0]), my_chat);
    let msgs = app.fake().messages(my_chat);
    assert_eq!(msgs.len(), 1);
    assert_eq!(
        msgs[0].body,
        "[info][title]顧問先からファイル[/title]給与.csv\nhttps://drive.example/f/9[/info]"
    );
    assert_eq!(
        ev["deliveries"][0]["message_id"].as_str().unwrap(),
        msgs[0].message_id
    );
    let attempt = &ev["deliveries"][0]["attempts"][0];
    assert_eq!(attempt["http_status"], 200);
    assert!(attempt["latency_ms"].as_i64().unwrap() >= 0);
}

/// L2: a room on the office's connection → notices go there instead of My Chat.
async fn scenario_3_office_room_replaces_my_chat(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    app.fake().add_account("office", 10, "事務所");
    app.fake().add_room(700, "事務所通知", &[(10, "admin")]);
    let conn = app
        .connect(
            "office",
            10,
            json!({"tenant": true}),
            Some("https://www.chatwork.com/#!rid700"),
        )
        .await;
    let my_chat: i64 = my_chat(&conn);
    let id = app
        .send(json!({"type": "t", "to": {"tenant": true}, "title": "to the room"}))
        .await;
    let ev = app.settled(id).await;
    assert_eq!(statuses(&ev), vec!["delivered"]);
    assert_eq!(room_of(&ev["deliveries"][0]), 700);
    assert_eq!(app.fake().messages(700).len(), 1);
    assert!(app.fake().messages(my_chat).is_empty());
}

/// L3 and L4: a client's room through the office token; a client's own token to its My Chat
/// or its L3 room; nothing at all → skipped with the reason.
async fn scenarios_4_and_5_client_rooms_and_client_tokens(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    app.fake().add_account("office", 10, "事務所");
    app.fake().add_room(801, "A社 連絡", &[(10, "admin")]);
    app.connect("office", 10, json!({"tenant": true}), None)
        .await;

    // L3: client A has a room, no token of its own.
    app.put(
        "/api/v1/clients/a",
        json!({"name": "A社", "rooms": {"chatwork": "#!rid801"}}),
    )
    .await;
    // L4: client B has its own token and no room; client C its own token and a room.
    app.put("/api/v1/clients/b", json!({"name": "B社"})).await;
    let b_conn = app
        .connect("b-token", 20, json!({"client": "b"}), None)
        .await;
    let b_my_chat: i64 = my_chat(&b_conn);
    app.fake().add_account("c-token", 30, "C社");
    app.fake().add_room(803, "C社 room", &[(30, "admin")]);
    app.put(
        "/api/v1/clients/c",
        json!({"name": "C社", "rooms": {"chatwork": "803"}}),
    )
    .await;
    app.connect("c-token", 30, json!({"client": "c"}), None)
        .await;
    // D: nothing.
    app.put("/api/v1/clients/d", json!({"name": "D社"})).await;

    let id = app
        .send(json!({"type": "t", "to": {"clients": ["a", "b", "c", "d"]}, "title": "月次"}))
        .await;
    let ev = app.settled(id).await;
    let by_target = |t: &str| delivery_for(&ev, t);
    let a = by_target("client:a");
    assert_eq!(
        (a["status"].as_str(), room_of(&a)),
        (Some("delivered"), 801)
    );
    let bd = by_target("client:b");
    assert_eq!(
        (bd["status"].as_str(), room_of(&bd)),
        (Some("delivered"), b_my_chat)
    );
    let c = by_target("client:c");
    assert_eq!(
        (c["status"].as_str(), room_of(&c)),
        (Some("delivered"), 803)
    );
    let d = by_target("client:d");
    assert_eq!(d["status"], "skipped");
    assert_eq!(d["reason_code"], "no_destination");
    assert!(
        d["reason"].as_str().unwrap().contains("no chatwork room"),
        "{d}"
    );
    // Who posted: A's room by the office account, C's room by C's own account.
    assert_eq!(app.fake().messages(801)[0].account_id, 10);
    assert_eq!(app.fake().messages(803)[0].account_id, 30);
    assert_eq!(app.fake().messages(b_my_chat)[0].account_id, 20);
}

/// Deleting a token stops its notices at once; other paths keep working.
async fn scenario_7_deleted_token_stops_notices(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    app.put("/api/v1/clients/b", json!({"name": "B社"})).await;
    let b_conn = app
        .connect("b-token", 20, json!({"client": "b"}), None)
        .await;
    let office = app
        .connect("office", 10, json!({"tenant": true}), None)
        .await;
    let office_my_chat: i64 = my_chat(&office);
    let (s, _) = app
        .delete(&format!("/api/v1/connections/{}", b_conn["id"]))
        .await;
    assert_eq!(s, reqwest::StatusCode::NO_CONTENT);
    let id = app
        .send(
            json!({"type": "t", "to": {"tenant": true, "clients": ["b"]}, "title": "after delete"}),
        )
        .await;
    let ev = app.settled(id).await;
    let mut got: Vec<(String, String)> = ev["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["target"].as_str().unwrap().to_string(),
                d["status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    got.sort();
    assert_eq!(
        got,
        vec![
            ("client:b".into(), "skipped".into()),
            ("tenant".into(), "delivered".into())
        ]
    );
    assert_eq!(app.fake().messages(office_my_chat).len(), 1);
    assert!(app.fake().all_messages().iter().all(|m| m.account_id != 20));
}

/// User text cannot become notation; the link is included.
async fn rendering_escapes_user_text(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let conn = app
        .connect("office", 10, json!({"tenant": true}), None)
        .await;
    let my_chat: i64 = my_chat(&conn);
    let id = app
        .send(json!({"type": "t", "to": {"tenant": true}, "title": "[toall] 至急", "body": "ファイル名: [To:1] x[/info].pdf", "url": "https://drive.example/[toall]"}))
        .await;
    app.settled(id).await;
    let body = &app.fake().messages(my_chat)[0].body;
    for tag in ["[toall]", "[To:1]", "x[/info]"] {
        assert!(!body.contains(tag), "{tag} would be notation in {body}");
    }
    assert!(body.starts_with("[info][title]") && body.ends_with("[/info]"));
    assert_eq!(body.replace('\u{200B}', ""), "[info][title][toall] 至急[/title]ファイル名: [To:1] x[/info].pdf\nhttps://drive.example/[toall][/info]");
}

crate::on_both_backends!(
    scenario_1_office_token_goes_to_my_chat,
    scenario_3_office_room_replaces_my_chat,
    scenarios_4_and_5_client_rooms_and_client_tokens,
    scenario_7_deleted_token_stops_notices,
    rendering_escapes_user_text,
);
