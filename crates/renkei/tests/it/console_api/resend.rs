//! Sending a failed or cancelled delivery again, and every failed delivery of a connection
//! since a time.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use super::{other_tenant, put_ok, refused};
use crate::helpers::{delivery_for, statuses, Backend, TestApp};

fn outcomes(d: &Value) -> Vec<String> {
    d["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| format!("{}", a["http_status"]))
        .collect()
}

/// The office connection and a client whose room the office account is not in (yet):
/// notices for it fail `destination_refused` at once.
async fn office_and_locked_room(app: &TestApp) -> Value {
    app.fake().add_account("office", 10, "事務所");
    app.fake().add_room(6001, "locked", &[(77, "admin")]);
    put_ok(
        app,
        "/api/v1/clients/acme",
        json!({"name": "Acme", "rooms": {"chatwork": "6001"}}),
    )
    .await;
    app.connect("office", 10, json!({"tenant": true}), None)
        .await
}

fn unlock_room(app: &TestApp) {
    app.fake()
        .add_room(6001, "unlocked", &[(77, "admin"), (10, "member")]);
}

async fn a_failed_delivery_is_sent_again_and_keeps_its_history(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    office_and_locked_room(&app).await;
    let id = app
        .send(json!({"type": "t", "to": {"clients": ["acme"]}, "title": "いつか届く"}))
        .await;
    let ev = app.settled(id).await;
    let d = delivery_for(&ev, "client:acme");
    assert_eq!(
        (&d["status"], &d["reason_code"]),
        (&json!("failed"), &json!("destination_refused")),
        "{ev:#}"
    );
    let path = format!("/api/v1/deliveries/{}/resend", d["id"]);

    unlock_room(&app);
    let (s, resent) = app.post(&path, json!({})).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{resent}");
    assert_eq!(
        resent,
        json!({"delivery_id": d["id"], "event_id": id, "connection_id": d["connection_id"], "status": "pending"})
    );
    let ev = app.settled(id).await;
    let d = delivery_for(&ev, "client:acme");
    assert_eq!(d["status"], "delivered", "{ev:#}");
    assert_eq!(
        outcomes(&d),
        ["403", "200"],
        "the refused attempt stays in the history"
    );
    assert_eq!(app.fake().messages(6001).len(), 1);

    // Delivered, pending or skipped deliveries are not sent again; others' are not ours.
    assert_eq!(
        refused(&app, Method::POST, &path, Some(json!({}))).await,
        (StatusCode::CONFLICT, "not_resendable".into())
    );
    let other = other_tenant(&app).await;
    let (s, _) = app.call(Method::POST, &path, Some(json!({})), &other).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(
        refused(
            &app,
            Method::POST,
            "/api/v1/deliveries/999999/resend",
            Some(json!({}))
        )
        .await
        .0,
        StatusCode::NOT_FOUND
    );
    let skipped = app
        .send(json!({"type": "t", "to": {"clients": ["nobody"]}, "title": "x"}))
        .await;
    let ev = app.get(&format!("/api/v1/events/{skipped}")).await.1;
    assert_eq!(ev["deliveries"][0]["status"], "skipped");
    let path = format!("/api/v1/deliveries/{}/resend", ev["deliveries"][0]["id"]);
    assert_eq!(
        refused(&app, Method::POST, &path, Some(json!({}))).await,
        (StatusCode::CONFLICT, "not_resendable".into())
    );
}

/// A delivery that ran out of retries gets a whole new retry budget when sent again: here
/// the first try after the resend fails, and it is retried instead of given up at once.
async fn a_resent_delivery_gets_a_fresh_retry_budget(b: Backend) {
    let Some(app) = TestApp::spawn_with(b, |s| s.retry_give_up_secs = 1).await else {
        return;
    };
    app.connect("office", 10, json!({"tenant": true}), None)
        .await;
    app.fake().fail_next(1_000_000, 503);
    let id = app
        .send(json!({"type": "t", "to": {"tenant": true}, "title": "after the outage"}))
        .await;
    let ev = app.settled(id).await;
    let d = &ev["deliveries"][0];
    assert_eq!(d["reason_code"], "retries_exhausted", "{ev:#}");
    let tries_before = d["attempts"].as_array().unwrap().len();
    // Wait past the give-up time since the first try, so an old budget would end at once.
    let first_try = d["attempts"][0]["at"].as_i64().unwrap();
    crate::helpers::eventually(
        std::time::Duration::from_secs(5),
        "the give-up time passed",
        async || renkei_store::now_ms() > first_try + 1_500,
    )
    .await;

    app.fake().clear_faults();
    app.fake().fail_next(1, 503);
    let (s, _) = app
        .post(&format!("/api/v1/deliveries/{}/resend", d["id"]), json!({}))
        .await;
    assert_eq!(s, StatusCode::ACCEPTED);
    let ev = app.settled(id).await;
    let d = &ev["deliveries"][0];
    assert_eq!(d["status"], "delivered", "{ev:#}");
    let after: Vec<String> = outcomes(d).split_off(tries_before);
    assert_eq!(after, ["503", "200"]);
}

async fn resending_needs_a_working_connection(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let conn = office_and_locked_room(&app).await;
    let id = app
        .send(json!({"type": "t", "to": {"clients": ["acme"]}, "title": "x"}))
        .await;
    let d = app.settled(id).await["deliveries"][0].clone();
    let path = format!("/api/v1/deliveries/{}/resend", d["id"]);
    let cid = conn["id"].as_i64().unwrap();

    let (s, _) = app
        .call(
            Method::PATCH,
            &format!("/api/v1/connections/{cid}"),
            Some(json!({"enabled": false})),
            &app.key,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, err) = app.post(&path, json!({})).await;
    assert_eq!(
        (s, err["error"]["code"].as_str()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("connection_switched_off")
        )
    );
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("fix the connection first"),
        "{err}"
    );
    let (s, err) = app
        .post(
            &format!("/api/v1/connections/{cid}/resend-failed"),
            json!({"since": "2020-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(
        (s, err["error"]["code"].as_str()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("connection_switched_off")
        )
    );
    app.call(
        Method::PATCH,
        &format!("/api/v1/connections/{cid}"),
        Some(json!({"enabled": true})),
        &app.key,
    )
    .await;

    // The provider refuses the token: the connection breaks, and stays unusable.
    app.fake().revoke_token("office");
    unlock_room(&app);
    let broken = app
        .send(json!({"type": "t", "to": {"clients": ["acme"]}, "title": "y"}))
        .await;
    assert_eq!(
        app.settled(broken).await["deliveries"][0]["reason_code"],
        "connection_broken"
    );
    let (s, err) = app.post(&path, json!({})).await;
    assert_eq!(
        (s, err["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("connection_broken")),
        "{err}"
    );

    app.delete(&format!("/api/v1/connections/{cid}")).await;
    let (s, err) = app.post(&path, json!({})).await;
    assert_eq!(
        (s, err["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("connection_gone")),
        "{err}"
    );
    assert_eq!(
        statuses(&app.get(&format!("/api/v1/events/{id}")).await.1),
        ["failed"],
        "nothing was queued"
    );
}

/// After an outage: every failed delivery of the connection since a time goes out again,
/// older failures and other connections' stay as they are.
async fn resend_failed_since_a_time(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let conn = office_and_locked_room(&app).await;
    let old = app
        .send(json!({"type": "t", "to": {"clients": ["acme"]}, "title": "old"}))
        .await;
    let old_ev = app.settled(old).await;
    let mut recent = Vec::new();
    for i in 0..3 {
        recent.push(
            app.send(
                json!({"type": "t", "to": {"clients": ["acme"]}, "title": format!("recent {i}")}),
            )
            .await,
        );
    }
    let first_recent = app.settled(recent[0]).await;
    for id in &recent {
        assert_eq!(statuses(&app.settled(*id).await), ["failed"]);
    }
    let since_ms = first_recent["created_at"].as_i64().unwrap();
    assert!(old_ev["created_at"].as_i64().unwrap() < since_ms);
    let since = chrono::DateTime::from_timestamp_millis(since_ms)
        .unwrap()
        .to_rfc3339();

    unlock_room(&app);
    let cid = conn["id"].as_i64().unwrap();
    let path = format!("/api/v1/connections/{cid}/resend-failed");
    let (s, res) = app.post(&path, json!({"since": since})).await;
    assert_eq!((s, res), (StatusCode::ACCEPTED, json!({"resent": 3})));
    for id in &recent {
        assert_eq!(statuses(&app.settled(*id).await), ["delivered"]);
    }
    assert_eq!(
        statuses(&app.get(&format!("/api/v1/events/{old}")).await.1),
        ["failed"]
    );
    assert_eq!(app.fake().messages(6001).len(), 3);
    // Nothing failed is left since then.
    assert_eq!(
        app.post(&path, json!({"since": since})).await.1,
        json!({"resent": 0})
    );

    assert_eq!(
        refused(
            &app,
            Method::POST,
            &path,
            Some(json!({"since": "yesterday"}))
        )
        .await,
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_time".into())
    );
    let other = other_tenant(&app).await;
    let (s, _) = app
        .call(Method::POST, &path, Some(json!({"since": since})), &other)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

crate::on_both_backends!(
    a_failed_delivery_is_sent_again_and_keeps_its_history,
    a_resent_delivery_gets_a_fresh_retry_budget,
    resending_needs_a_working_connection,
    resend_failed_since_a_time,
);
