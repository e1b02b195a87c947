//! Scenarios 22 and 24: linking members from the OAuth account's contacts, and unlinking.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{delivery_for, node_idle, statuses, Backend, TestApp};

use super::{last4, link, oauth_connections, stored_oauth, ADMIN_ACCOUNT};

/// Scenario 22: members are linked to accounts picked from the authorising account's
/// contacts, listed through the OAuth connection.
async fn scenario_22_contacts_through_oauth(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let conn = link(&app).await;
    let id = conn["id"].as_i64().unwrap();
    app.fake().add_person(5_001, "佐藤花子");
    app.fake().add_person(5_002, "鈴木一郎");
    let room_a = app.fake().add_contact(ADMIN_ACCOUNT, 5_001);
    let room_b = app.fake().add_contact(ADMIN_ACCOUNT, 5_002);

    let (s, contacts) = app.get(&format!("/api/v1/connections/{id}/contacts")).await;
    assert_eq!(s, StatusCode::OK, "{contacts}");
    let mut got: Vec<(i64, i64, String)> = contacts
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["account_id"].as_i64().unwrap(),
                c["room_id"].as_i64().unwrap(),
                c["name"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    got.sort();
    assert_eq!(
        got,
        vec![
            (5_001, room_a, "佐藤花子".to_string()),
            (5_002, room_b, "鈴木一郎".to_string())
        ]
    );
    let req = app
        .fake()
        .requests()
        .into_iter()
        .rfind(|r| r.path.ends_with("/contacts"))
        .unwrap();
    assert_eq!(req.method, "GET");
    assert_eq!(req.auth_scheme.as_deref(), Some("bearer"));
    assert_eq!(req.status, 200);
    let access = stored_oauth(&app, id).await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(req.token_last4.as_deref(), Some(last4(&access).as_str()));

    // A contact picked from the list becomes the member's identity; a DM goes to the
    // direct chat with them.
    let (s, m) = app
        .put(
            "/api/v1/members/hanako",
            json!({"name": "佐藤花子", "identities": {"chatwork": {"account_id": got[0].0.to_string()}}}),
        )
        .await;
    assert!(s.is_success(), "{m}");
    let (s, t) = app
        .put(
            "/api/v1/event-types/praise",
            json!({"name": "称賛", "delivery": "direct"}),
        )
        .await;
    assert!(s.is_success(), "{t}");
    let ev = app
        .send(json!({"type": "praise", "to": {"members": ["hanako"]}, "title": "称賛が届きました"}))
        .await;
    let ev = app.settled(ev).await;
    let d = delivery_for(&ev, "member:hanako");
    assert_eq!(d["status"], "delivered", "{ev:#}");
    assert_eq!(d["connection_id"], id);
    assert_eq!(app.fake().messages(room_a).len(), 1, "{ev:#}");

    // Expired token: contacts still listed (refresh on the way).
    app.fake().expire_oauth_access_tokens(ADMIN_ACCOUNT);
    let (s, again) = app.get(&format!("/api/v1/connections/{id}/contacts")).await;
    assert_eq!(s, StatusCode::OK, "{again}");
    assert_eq!(again.as_array().unwrap().len(), 2);
    let last = app.fake().oauth_token_requests();
    assert_eq!(
        last.last().unwrap().field("grant_type"),
        Some("refresh_token")
    );
}

/// Scenario 24: unlinking removes the tokens at once, cancels what waited for them, and
/// nothing reaches Chatwork with them afterwards.
async fn scenario_24_unlink_stops_delivery(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let conn = link(&app).await;
    let id = conn["id"].as_i64().unwrap();
    let my_chat: i64 = conn["default_room"].as_str().unwrap().parse().unwrap();
    let access = stored_oauth(&app, id).await["access_token"]
        .as_str()
        .unwrap()
        .to_string();

    let early = app
        .send(json!({"type": "t", "to": {"tenant": true}, "title": "before"}))
        .await;
    assert_eq!(statuses(&app.settled(early).await), vec!["delivered"]);

    // Chatwork fails for a while: a notice waits in retry.
    app.fake().fail_next_on("/messages", 1_000_000, 500);
    let waiting = app
        .send(json!({"type": "t", "to": {"tenant": true}, "title": "waiting"}))
        .await;
    app.wait_event(waiting, Duration::from_secs(10), |ev| {
        ev["deliveries"][0]["attempts"].as_array().unwrap().len() >= 2
    })
    .await;

    let (s, body) = app.delete(&format!("/api/v1/connections/{id}")).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{body}");
    let ev = app.get(&format!("/api/v1/events/{waiting}")).await.1;
    assert_eq!(ev["deliveries"][0]["status"], "cancelled", "{ev:#}");
    assert_eq!(ev["deliveries"][0]["reason_code"], "connection_deleted");
    assert!(oauth_connections(&app).await.is_empty());
    let (s, _) = app.get(&format!("/api/v1/connections/{id}")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = app.get(&format!("/api/v1/connections/{id}/contacts")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(
        app.node()
            .store
            .connection_for_worker(id)
            .await
            .unwrap()
            .is_none(),
        "the tokens are gone"
    );

    // Nothing more reaches Chatwork with that token: not the retry, not new events.
    // Its lane has ended: whatever it sent is recorded.
    node_idle(&app.node().dispatcher).await;
    let with_token = |app: &TestApp| {
        app.fake()
            .requests()
            .iter()
            .filter(|r| r.token_last4.as_deref() == Some(last4(&access).as_str()))
            .count()
    };
    let seen = with_token(&app);
    let token_calls = app.fake().oauth_token_requests().len();
    app.fake().clear_faults();
    app.fake().expire_oauth_access_tokens(ADMIN_ACCOUNT);
    let after = app
        .send(json!({"type": "t", "to": {"tenant": true}, "title": "after"}))
        .await;
    let ev = app.settled(after).await;
    assert_eq!(statuses(&ev), vec!["skipped"], "{ev:#}");
    assert!(
        ev["deliveries"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["connection_id"] != id),
        "{ev:#}"
    );
    node_idle(&app.node().dispatcher).await;
    assert_eq!(with_token(&app), seen, "requests with the unlinked token");
    assert_eq!(
        app.fake().oauth_token_requests().len(),
        token_calls,
        "no refresh for an unlinked connection"
    );
    assert_eq!(
        app.fake().messages(my_chat).len(),
        1,
        "only the early notice"
    );
    let ev = app.get(&format!("/api/v1/events/{waiting}")).await.1;
    assert_eq!(ev["deliveries"][0]["status"], "cancelled");
}

crate::on_both_backends!(
    scenario_22_contacts_through_oauth,
    scenario_24_unlink_stops_delivery,
);
