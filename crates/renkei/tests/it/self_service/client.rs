//! The client's own page (Cells Drive level ④): it connects its own Chatwork token and
//! optional room, sees where its notices go, and the next notice for it lands in its own
//! My Chat; the office's room for it (level ③) wins, as the seed says.

use reqwest::StatusCode;
use serde_json::json;

use super::{audited, client_browser};
use crate::helpers::{delivery_for, my_chat, Backend, TestApp};

async fn a_client_connects_its_own_token(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.put("/api/v1/clients/acme", json!({"name": "アクメ商事"}))
        .await;
    app.put("/api/v1/clients/other", json!({"name": "他社"}))
        .await;
    // The office's own token (level ①) posts into its My Chat; the client has none yet.
    app.connect("office-token", 1001, json!({"tenant": true}), None)
        .await;
    app.fake().add_account("acme-token", 4001, "アクメ通知");

    let mut browser = client_browser(&app, "acme").await;
    let page = browser.open("/client").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    page.assert_has("アクメ商事");
    page.assert_has("通知の届き先");
    page.assert_has("御社の接続もルームもないため、届きません");
    page.assert_has("サービス連携");

    let refused = browser
        .submit(
            "/client",
            "/client/chatwork",
            &[("secret", "not-a-token"), ("room", "")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    refused.assert_has("Chatwork がこの API トークンを受け付けませんでした");
    refused.assert_has("href=\"#client-secret\"");
    let bad_room = browser
        .submit(
            "/client",
            "/client/chatwork",
            &[("secret", "acme-token"), ("room", "five")],
        )
        .await;
    assert_eq!(bad_room.status, StatusCode::UNPROCESSABLE_ENTITY);
    bad_room.assert_has("value=\"five\"");
    let forged = browser
        .post_raw("/client/chatwork", &[("secret", "acme-token")])
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);

    let saved = browser
        .submit(
            "/client",
            "/client/chatwork",
            &[("secret", "acme-token"), ("room", "")],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.html);
    assert_eq!(
        saved.location(),
        Some("/client?flash=saved&saved=client#chatwork")
    );
    let (_, conns) = app.get("/api/v1/connections").await;
    let own: Vec<_> = conns
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["owner"] == json!({"client": "acme"}))
        .cloned()
        .collect();
    assert_eq!(own.len(), 1, "{conns}");
    assert_eq!(own[0]["account"]["id"], "4001");
    let page = browser.open("/client").await;
    page.assert_has("御社のトークン（アクメ通知）で、マイチャットに届きます");
    assert!(!page.html.contains("acme-token"), "the token was shown");
    assert!(audited(&app, "client: acme", "connection.create").await);

    // The next notice for the client lands in its own My Chat.
    let id = app
        .send(json!({"type": "contact", "to": {"clients": ["acme"]}, "title": "顧問先からの連絡"}))
        .await;
    let ev = app.settled(id).await;
    let d = delivery_for(&ev, "client:acme");
    assert_eq!(d["status"], "delivered", "{ev:#}");
    let mine = app.fake().messages(my_chat(&own[0]));
    assert_eq!(mine.len(), 1);
    assert!(mine[0].body.contains("顧問先からの連絡"));

    // A room of its own, without pasting the token again.
    let moved = browser
        .submit(
            "/client",
            "/client/chatwork",
            &[("secret", ""), ("room", "#!rid6001")],
        )
        .await;
    assert_eq!(moved.status, StatusCode::SEE_OTHER, "{}", moved.html);
    browser
        .open("/client")
        .await
        .assert_has("御社のトークン（アクメ通知）で、ルーム 6001 に届きます");
    // The office named a room for the client (level ③): that room wins.
    app.put(
        "/api/v1/clients/acme",
        json!({"name": "アクメ商事", "rooms": {"chatwork": "7001"}}),
    )
    .await;
    let page = browser.open("/client").await;
    page.assert_has("事務所がルーム 7001 を指定しているため");
    page.assert_has("ルーム 7001 に届きます");

    // Disconnecting stops its own path; the office's token then posts into its room.
    let out = browser
        .submit("/client", "/client/chatwork/disconnect", &[])
        .await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    let page = browser.open(out.location().unwrap()).await;
    page.assert_has("接続を解除しました");
    page.assert_has("事務所のトークン（account 1001）で、御社のルーム 7001 に届きます");
    assert!(audited(&app, "client: acme", "connection.delete").await);
    let (_, conns) = app.get("/api/v1/connections").await;
    assert!(
        !conns.to_string().contains("\"client\":\"acme\""),
        "{conns}"
    );

    // The other client is untouched.
    let mut other = client_browser(&app, "other").await;
    let page = other.open("/client").await;
    page.assert_has("他社");
    assert!(!page.html.contains("アクメ"));
}

crate::on_both_backends!(a_client_connects_its_own_token);
