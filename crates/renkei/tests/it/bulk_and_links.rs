//! Cells Drive scenarios 2 (bulk send) and 6 (confirmation links) through the API.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{eventually, my_chat, node_idle, Backend, TestApp};

async fn office_in_rooms(app: &TestApp, n: i64) -> (i64, Vec<i64>) {
    app.fake().add_account("office", 10, "事務所");
    let rooms: Vec<i64> = (0..n).map(|i| 4000 + i).collect();
    for r in &rooms {
        app.fake()
            .add_room(*r, &format!("顧問先 {r}"), &[(10, "admin")]);
    }
    let conn = app
        .connect("office", 10, json!({"tenant": true}), None)
        .await;
    (conn["id"].as_i64().unwrap(), rooms)
}

/// L1B: list the token's rooms, pick several, one message; it goes room by room within the
/// limits, with progress per room.
async fn scenario_2_bulk_send_with_progress(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let (conn, rooms) = office_in_rooms(&app, 25).await;
    let (s, listed) = app.get(&format!("/api/v1/connections/{conn}/rooms")).await;
    assert_eq!(s, StatusCode::OK, "{listed}");
    let group_rooms: Vec<i64> = listed
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["type"] == "group")
        .map(|r| r["room_id"].as_i64().unwrap())
        .collect();
    assert_eq!(group_rooms.len(), 25);
    let picked: Vec<String> = group_rooms.iter().map(|r| format!("#!rid{r}")).collect();
    let (s, started) = app.post("/api/v1/bulk-sends", json!({"connection_id": conn, "rooms": picked, "body": "年末調整の書類をお送りください [toall]"})).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{started}");
    assert_eq!(started["total"], 25);
    let id = started["id"].as_i64().unwrap();
    let mut done = Value::Null;
    eventually(Duration::from_secs(20), "bulk send done", async || {
        done = app.get(&format!("/api/v1/bulk-sends/{id}")).await.1;
        done["done"] == true
    })
    .await;
    assert_eq!(done["delivered"], 25, "{done:#}");
    for r in done["rooms"].as_array().unwrap() {
        assert_eq!(r["status"], "delivered");
        assert!(r["message_id"].as_str().unwrap().len() > 15);
    }
    for r in &rooms {
        let msgs = app.fake().messages(*r);
        assert_eq!(msgs.len(), 1);
        assert_eq!(
            msgs[0].body, "年末調整の書類をお送りください [\u{200B}toall]",
            "plain text, notation defused"
        );
    }
    assert_eq!(app.fake().count_status(429), 0);
    // Bad input says what to fix.
    let (s, err) = app
        .post(
            "/api/v1/bulk-sends",
            json!({"connection_id": conn, "rooms": ["lobby"], "body": "x"}),
        )
        .await;
    assert_eq!(
        (s, err["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_room"))
    );
    let (s, _) = app
        .post(
            "/api/v1/bulk-sends",
            json!({"connection_id": 999, "rooms": ["1"], "body": "x"}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

/// Cancel stops what has not been sent; what was sent stays sent.
async fn bulk_send_cancel_stops_the_rest(b: Backend) {
    // Retries 0.75–1.5 s later (the helper's 200 ms cap would otherwise shorten them), so
    // none is on its way when the test cancels.
    let Some(app) = TestApp::spawn_with(b, |s| {
        s.retry_initial_ms = 1500;
        s.retry_max_delay_ms = 1500;
    })
    .await
    else {
        return;
    };
    let (conn, rooms) = office_in_rooms(&app, 30).await;
    // Chatwork fails 20 of the first posts: those rooms wait to retry.
    app.fake().fail_next(20, 500);
    let picked: Vec<String> = rooms.iter().map(ToString::to_string).collect();
    let (_, started) = app
        .post(
            "/api/v1/bulk-sends",
            json!({"connection_id": conn, "rooms": picked, "title": "お知らせ", "body": "x"}),
        )
        .await;
    let id = started["id"].as_i64().unwrap();
    let mut p = Value::Null;
    eventually(
        Duration::from_secs(10),
        "ten delivered, twenty waiting",
        async || {
            p = app.get(&format!("/api/v1/bulk-sends/{id}")).await.1;
            p["delivered"] == 10 && p["pending"] == 20
        },
    )
    .await;
    let (s, cancelled) = app
        .post(&format!("/api/v1/bulk-sends/{id}/cancel"), json!({}))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        (
            cancelled["delivered"].as_i64(),
            cancelled["cancelled"].as_i64(),
            cancelled["done"].as_bool()
        ),
        (Some(10), Some(20), Some(true))
    );
    app.fake().clear_faults();
    // The lane, told to re-read, ends instead of retrying the cancelled rooms (had it
    // retried, the posts would be recorded before it ended).
    node_idle(&app.node().dispatcher).await;
    assert_eq!(
        app.fake().all_messages().len(),
        10,
        "a cancelled room was posted to"
    );
}

pub(crate) fn link_in(body: &str) -> String {
    body.split("確認 / Confirm: ")
        .nth(1)
        .unwrap()
        .split("[/info]")
        .next()
        .unwrap()
        .to_string()
}

/// Scenario 6: a lifetime for confirmation links; the notice carries a signed link; confirming
/// on its page is recorded on the event; expired → 410; altered → refused.
async fn scenario_6_confirmation_links(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let conn = app
        .connect("office", 10, json!({"tenant": true}), None)
        .await;
    let my_chat: i64 = my_chat(&conn);
    assert_eq!(
        app.get("/api/v1/settings").await.1,
        json!({"confirmation_link_ttl_days": null, "time_zone": "Asia/Tokyo", "language": "ja", "frame_origins": []})
    );
    // Default: no link.
    let id = app
        .send(json!({"type": "file.uploaded", "to": {"tenant": true}, "title": "no link"}))
        .await;
    app.settled(id).await;
    assert!(!app.fake().messages(my_chat)[0].body.contains("Confirm"));

    let (s, err) = app
        .put("/api/v1/settings", json!({"confirmation_link_ttl_days": 2}))
        .await;
    assert_eq!(
        (s, err["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_link_ttl"))
    );
    let (s, _) = app
        .put("/api/v1/settings", json!({"confirmation_link_ttl_days": 3}))
        .await;
    assert_eq!(s, StatusCode::OK);
    let before = renkei_store::now_ms();
    let id = app
        .send(json!({"type": "file.uploaded", "to": {"tenant": true}, "title": "with link"}))
        .await;
    let ev = app.settled(id).await;
    let expires = ev["confirmation_link_expires_at"].as_i64().unwrap();
    assert!(
        (expires - before - 3 * 86_400_000).abs() < 60_000,
        "{expires}"
    );
    let link = link_in(&app.fake().messages(my_chat)[1].body);
    assert!(
        link.starts_with(&format!("{}/c/", app.node().url())),
        "{link}"
    );

    // Opening shows the notice; the page's button confirms (see confirmation_links.rs).
    let no_redirect = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .user_agent("test-browser")
        .build()
        .unwrap();
    let resp = no_redirect.get(&link).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let page = resp.text().await.unwrap();
    assert!(
        page.contains("with link") && page.contains("<form method=\"post\">"),
        "{page}"
    );
    let resp = no_redirect.post(&link).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.text().await.unwrap().contains("確認しました"));
    let ev = app.get(&format!("/api/v1/events/{id}")).await.1;
    let d = &ev["deliveries"][0];
    assert!(d["confirmed_at"].as_i64().unwrap() >= before, "{d}");
    assert_eq!(d["views"].as_array().unwrap().len(), 1, "{d}");
    assert_eq!(d["views"][0]["user_agent"], "test-browser");

    // Altered: another delivery's ID under this signature.
    let (head, sig) = link.rsplit_once('.').unwrap();
    let tampered = format!("{head}.{}", sig.chars().rev().collect::<String>());
    let resp = no_redirect.get(&tampered).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    // Genuine but expired (signed with the node's own key, expiry in the past).
    let signer = app.node().store.secrets().link_signer(&app.node().url());
    let delivery = ev["deliveries"][0]["id"].as_i64().unwrap();
    let resp = no_redirect
        .get(signer.url(delivery, before - 1))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::GONE);
    assert!(resp.text().await.unwrap().contains("有効期限"));

    // An event type's own lifetime wins, and an event URL is where confirming forwards.
    app.put(
        "/api/v1/event-types/urgent",
        json!({"name": "至急", "confirmation_link_ttl_days": 1}),
    )
    .await;
    let id = app.send(json!({"type": "urgent", "to": {"tenant": true}, "title": "go", "url": "https://drive.example/f/1"})).await;
    let ev = app.settled(id).await;
    assert!(
        (ev["confirmation_link_expires_at"].as_i64().unwrap() - before - 86_400_000).abs() < 60_000
    );
    let link = link_in(&app.fake().messages(my_chat)[2].body);
    let resp = no_redirect.post(&link).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(resp.headers()["location"], "https://drive.example/f/1");
    let ev = app.get(&format!("/api/v1/events/{id}")).await.1;
    assert!(ev["deliveries"][0]["confirmed_at"].is_i64(), "{ev}");
}

crate::on_both_backends!(
    scenario_2_bulk_send_with_progress,
    bulk_send_cancel_stops_the_rest,
    scenario_6_confirmation_links
);
