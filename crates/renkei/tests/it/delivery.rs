//! The delivery engine against the fake: limits, 429s, retries, errors, order.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::helpers::{eventually, statuses, Backend, TestApp};

fn http_statuses(d: &Value) -> Vec<Option<i64>> {
    d["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["http_status"].as_i64())
        .collect()
}

/// An office connection plus `n` clients whose rooms the office account is a member of.
async fn office_with_client_rooms(app: &TestApp, n: i64) -> Vec<i64> {
    app.fake().add_account("office", 10, "事務所");
    let rooms: Vec<i64> = (0..n).map(|i| 5000 + i).collect();
    for r in &rooms {
        app.fake().add_room(*r, "client room", &[(10, "admin")]);
        app.put(
            &format!("/api/v1/clients/c{r}"),
            json!({"name": "client", "rooms": {"chatwork": r.to_string()}}),
        )
        .await;
    }
    app.connect("office", 10, json!({"tenant": true}), None)
        .await;
    rooms
}

async fn send_batch(app: &TestApp, events: Vec<Value>) -> Vec<i64> {
    let (s, res) = app
        .post("/api/v1/events/batch", json!({"events": events}))
        .await;
    assert_eq!(s, reqwest::StatusCode::ACCEPTED, "{res}");
    res["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_i64().unwrap())
        .collect()
}

async fn all_delivered(app: &TestApp, n: i64, limit: Duration) {
    eventually(limit, &format!("{n} deliveries delivered"), async || {
        app.node()
            .store
            .delivery_counts()
            .await
            .unwrap()
            .get("delivered")
            .copied()
            == Some(n)
    })
    .await;
}

/// 10 posts / 10 s per room: 40 notices into one room arrive in order with no 429.
async fn room_limit_is_respected_and_order_kept(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let rooms = office_with_client_rooms(&app, 1).await;
    let events = (0..40).map(|i| json!({"type": "t", "to": {"clients": [format!("c{}", rooms[0])]}, "title": format!("n{i:02}")})).collect();
    let start = Instant::now();
    send_batch(&app, events).await;
    all_delivered(&app, 40, Duration::from_secs(20)).await;
    // 40 posts at 10 per (scaled) 100 ms window need at least three full windows.
    assert!(
        start.elapsed() >= Duration::from_millis(300),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(app.fake().count_status(429), 0, "renkei provoked a 429");
    let titles: Vec<String> = app
        .fake()
        .messages(rooms[0])
        .iter()
        .map(|m| m.body[13..16].to_string())
        .collect();
    let expected: Vec<String> = (0..40).map(|i| format!("n{i:02}")).collect();
    assert_eq!(titles, expected);
}

/// 300 requests / 5 min per token: 330 notices over 33 rooms take a second window, no 429.
async fn token_limit_is_respected(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let rooms = office_with_client_rooms(&app, 33).await;
    let events: Vec<Value> = (0..330)
        .map(|i| json!({"type": "t", "to": {"clients": [format!("c{}", rooms[i % 33])]}, "title": format!("n{i}")}))
        .collect();
    let start = Instant::now();
    send_batch(&app, events).await;
    all_delivered(&app, 330, Duration::from_secs(30)).await;
    // The token window is 3 s scaled: the last 30 had to wait for it.
    assert!(
        start.elapsed() >= Duration::from_millis(2500),
        "{:?}",
        start.elapsed()
    );
    let reqs = app.fake().requests();
    let t0 = reqs[0].received_at_ms;
    let trace: Vec<String> = reqs
        .iter()
        .enumerate()
        .filter(|(_, r)| r.status == 429)
        .map(|(i, r)| format!("#{i} +{}ms {:?}", r.received_at_ms - t0, r.error))
        .collect();
    assert_eq!(
        app.fake().count_status(429),
        0,
        "renkei provoked a 429: {trace:?}"
    );
}

/// Someone else used the token's whole window: renkei's first post gets a token 429,
/// the lane waits for X-RateLimit-Reset, then delivers.
async fn token_429_pauses_the_lane_until_reset(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let conn = app
        .connect("office", 10, json!({"tenant": true}), None)
        .await;
    let me_url = format!("{}/me", app.settings.chatwork_api_url);
    let other = reqwest::Client::new();
    for _ in 0..300 {
        other
            .get(&me_url)
            .header("X-ChatWorkToken", "office")
            .send()
            .await
            .unwrap();
    }
    let id = app
        .send(json!({"type": "t", "to": {"tenant": true}, "title": "after the storm"}))
        .await;
    let ev = app.settled(id).await;
    let d = &ev["deliveries"][0];
    assert_eq!(d["status"], "delivered", "{ev:#}");
    let st = http_statuses(d);
    assert_eq!(st.first(), Some(&Some(429)), "{st:?}");
    assert_eq!(st.last(), Some(&Some(200)));
    // Paused, not hammering: at most a couple of 429s in the window.
    assert!(
        st.iter().filter(|s| **s == Some(429)).count() <= 2,
        "{st:?}"
    );
    let _ = conn;
}

/// A room's 429 rests only that room; another room of the same token goes on.
async fn room_429_pauses_only_that_room(b: Backend) {
    // Larger windows so the test's own posts fill the room's window reliably.
    let Some(app) = TestApp::spawn_with(b, |s| s.rate_window_scale = 0.1).await else {
        return;
    };
    let rooms = office_with_client_rooms(&app, 2).await;
    app.fake().add_account("neighbour", 99, "隣人");
    app.fake()
        .add_room(rooms[0], "client room", &[(10, "admin"), (99, "member")]);
    let post_url = format!(
        "{}/rooms/{}/messages",
        app.settings.chatwork_api_url, rooms[0]
    );
    let other = reqwest::Client::new();
    for _ in 0..10 {
        let r = other
            .post(&post_url)
            .header("X-ChatWorkToken", "neighbour")
            .form(&[("body", "chatter")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    let busy = app.send(json!({"type": "t", "to": {"clients": [format!("c{}", rooms[0])]}, "title": "busy room"})).await;
    // The busy room has had its 429 and rests before the quiet room's notice arrives.
    app.wait_event(busy, Duration::from_secs(10), |ev| {
        !ev["deliveries"][0]["attempts"]
            .as_array()
            .unwrap()
            .is_empty()
    })
    .await;
    let quiet = app.send(json!({"type": "t", "to": {"clients": [format!("c{}", rooms[1])]}, "title": "quiet room"})).await;
    let quiet_ev = app.settled(quiet).await;
    assert_eq!(statuses(&quiet_ev), vec!["delivered"]);
    let busy_now = app.get(&format!("/api/v1/events/{busy}")).await.1;
    let busy_ev = app.settled(busy).await;
    assert_eq!(statuses(&busy_ev), vec!["delivered"]);
    let st = http_statuses(&busy_ev["deliveries"][0]);
    assert_eq!(st, vec![Some(429), Some(200)], "{busy_ev:#}");
    assert_eq!(
        busy_ev["deliveries"][0]["attempts"][0]["error"],
        "Rate limit for message posting per room exceeded."
    );
    // The quiet room did not wait for the busy one.
    assert_eq!(
        busy_now["deliveries"][0]["status"], "pending",
        "{busy_now:#}"
    );
}

async fn server_errors_retry_with_backoff_then_deliver(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    app.connect("office", 10, json!({"tenant": true}), None)
        .await;
    app.fake().fail_next(2, 500);
    let id = app
        .send(json!({"type": "t", "to": {"tenant": true}, "title": "eventually"}))
        .await;
    let ev = app.settled(id).await;
    let d = &ev["deliveries"][0];
    assert_eq!(d["status"], "delivered");
    assert_eq!(http_statuses(d), vec![Some(500), Some(500), Some(200)]);
    let at: Vec<i64> = d["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["at"].as_i64().unwrap())
        .collect();
    // Backoff: 50 ms then 100 ms steps, at least half of each with jitter.
    assert!(at[1] - at[0] >= 25, "{at:?}");
    assert!(at[2] - at[1] >= 50, "{at:?}");
    assert!(
        d["attempts"][0]["error"]
            .as_str()
            .unwrap()
            .contains("Internal Server Error"),
        "{d}"
    );
}

async fn retries_end_failed_after_the_configured_total(b: Backend) {
    let Some(app) = TestApp::spawn_with(b, |s| s.retry_give_up_secs = 1).await else {
        return;
    };
    app.connect("office", 10, json!({"tenant": true}), None)
        .await;
    app.fake().fail_next(1_000_000, 503);
    let id = app
        .send(json!({"type": "t", "to": {"tenant": true}, "title": "never"}))
        .await;
    let ev = app.settled(id).await;
    let d = &ev["deliveries"][0];
    assert_eq!(d["status"], "failed");
    assert_eq!(d["reason_code"], "retries_exhausted");
    let n = d["attempts"].as_array().unwrap().len();
    assert!(n >= 4, "only {n} attempts in a second of 50–200 ms backoff");
    assert!(http_statuses(d).iter().all(|s| *s == Some(503)));
}

async fn timeouts_are_retried(b: Backend) {
    let Some(app) = TestApp::spawn_with(b, |s| s.provider_timeout_ms = 300).await else {
        return;
    };
    app.connect("office", 10, json!({"tenant": true}), None)
        .await;
    app.fake().set_delay(Duration::from_millis(800));
    let id = app
        .send(json!({"type": "t", "to": {"tenant": true}, "title": "slow"}))
        .await;
    app.wait_event(id, Duration::from_secs(10), |ev| {
        !ev["deliveries"][0]["attempts"]
            .as_array()
            .unwrap()
            .is_empty()
    })
    .await;
    app.fake().set_delay(Duration::ZERO);
    let ev = app.settled(id).await;
    let d = &ev["deliveries"][0];
    assert_eq!(d["status"], "delivered");
    let first = &d["attempts"][0];
    assert!(first["http_status"].is_null());
    assert!(
        first["error"].as_str().unwrap().contains("timed out"),
        "{first}"
    );
}

async fn refused_token_breaks_the_connection(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let conn = app
        .connect("office", 10, json!({"tenant": true}), None)
        .await;
    app.fake().revoke_token("office");
    let ids = send_batch(
        &app,
        (0..3)
            .map(|i| json!({"type": "t", "to": {"tenant": true}, "title": format!("n{i}")}))
            .collect(),
    )
    .await;
    for id in ids {
        let ev = app.settled(id).await;
        assert_eq!(ev["deliveries"][0]["status"], "failed");
        assert_eq!(
            ev["deliveries"][0]["reason_code"], "connection_broken",
            "{ev:#}"
        );
    }
    let c = app
        .get(&format!("/api/v1/connections/{}", conn["id"]))
        .await
        .1;
    assert_eq!(c["status"], "broken");
    assert!(
        c["status_reason"].as_str().unwrap().contains("reconnect"),
        "{c}"
    );
    // One 401 was enough: the other two never went out.
    assert_eq!(app.fake().count_status(401), 1);
}

async fn refused_room_fails_only_that_destination(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let rooms = office_with_client_rooms(&app, 1).await;
    app.fake()
        .add_room(6666, "someone else's room", &[(77, "admin")]);
    app.put(
        "/api/v1/clients/outsider",
        json!({"name": "x", "rooms": {"chatwork": "6666"}}),
    )
    .await;
    app.put(
        "/api/v1/clients/gone",
        json!({"name": "x", "rooms": {"chatwork": "7777"}}),
    )
    .await;
    let id = app.send(json!({"type": "t", "to": {"clients": ["outsider", "gone", format!("c{}", rooms[0])]}, "title": "x"})).await;
    let ev = app.settled(id).await;
    for d in ev["deliveries"].as_array().unwrap() {
        let (expect, status) = match d["target"].as_str().unwrap() {
            "client:outsider" => ("failed", Some(403)),
            "client:gone" => ("failed", Some(404)),
            _ => ("delivered", Some(200)),
        };
        assert_eq!(d["status"], expect, "{d}");
        assert_eq!(http_statuses(d), vec![status], "one attempt only: {d}");
        if expect == "failed" {
            assert_eq!(d["reason_code"], "destination_refused");
        }
    }
    let c = app.get("/api/v1/connections").await.1;
    assert_eq!(c[0]["status"], "connected");
}

/// Retries keep their place: a failing head holds back the rest of its room.
async fn order_per_room_survives_retries(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let rooms = office_with_client_rooms(&app, 2).await;
    app.fake().fail_next(3, 502);
    let events = (0..20)
        .map(|i| json!({"type": "t", "to": {"clients": [format!("c{}", rooms[i % 2])]}, "title": format!("n{i:02}")}))
        .collect();
    send_batch(&app, events).await;
    all_delivered(&app, 20, Duration::from_secs(20)).await;
    for (k, room) in rooms.iter().enumerate() {
        let got: Vec<String> = app
            .fake()
            .messages(*room)
            .iter()
            .map(|m| m.body[13..16].to_string())
            .collect();
        let want: Vec<String> = (0..20)
            .filter(|i| i % 2 == k)
            .map(|i| format!("n{i:02}"))
            .collect();
        assert_eq!(got, want, "room {room}");
    }
}

crate::on_both_backends!(
    room_limit_is_respected_and_order_kept,
    token_limit_is_respected,
    token_429_pauses_the_lane_until_reset,
    room_429_pauses_only_that_room,
    server_errors_retry_with_backoff_then_deliver,
    retries_end_failed_after_the_configured_total,
    timeouts_are_retried,
    refused_token_breaks_the_connection,
    refused_room_fails_only_that_destination,
    order_per_room_survives_retries,
);
