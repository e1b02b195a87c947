//! No delivery stranded by a race: a connection deleted or broken between routing and the
//! intake transaction, and deliveries left pending for a dead connection, are settled with
//! the right reason; and the dispatcher never spins on a lane it cannot run.

use std::sync::atomic::Ordering;
use std::time::Duration;

use renkei_core::model::Provider;
use renkei_core::routing::{Outcome, Planned};
use renkei_store::events::NewEvent;
use serde_json::json;

use crate::helpers::{delivery_for, eventually, my_chat, Backend, TestApp};

fn event_for(connection_id: i64, room: &str, title: &str) -> NewEvent {
    NewEvent {
        kind: "event",
        event_type: "notice".into(),
        idempotency_key: None,
        targets_json: json!({"tenant": true}).to_string(),
        title: title.into(),
        body: String::new(),
        url: None,
        link_expires_at: None,
        thread_key: None,
        planned: vec![Planned {
            target: "tenant".into(),
            provider: Some(Provider::Chatwork),
            outcome: Outcome::Send {
                connection_id,
                room: room.into(),
                mentions: Vec::new(),
            },
            reasons: vec!["routed while the connection was alive".into()],
            warnings: Vec::new(),
        }],
    }
}

/// The race, provoked deterministically: the tenant is routed (the connection is alive),
/// then the connection is deleted (or broken), then the intake transaction runs.
async fn connection_dying_between_routing_and_intake_strands_nothing(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let store = app.node().store.clone();
    let tenant_id: i64 = {
        let pool = app.raw_pool().await;
        sqlx::query_scalar("SELECT id FROM tenants")
            .fetch_one(&pool)
            .await
            .unwrap()
    };
    let deleted = app.connect("gone", 10, json!({"tenant": true}), None).await;
    let broken = app
        .connect("revoked", 11, json!({"tenant": true}), None)
        .await;
    let (deleted_id, broken_id) = (
        deleted["id"].as_i64().unwrap(),
        broken["id"].as_i64().unwrap(),
    );
    // Routing happened: both were alive. Now they die.
    let (status, _) = app
        .delete(&format!("/api/v1/connections/{deleted_id}"))
        .await;
    assert!(status.is_success());
    store
        .mark_connection_broken(
            broken_id,
            "connection_broken",
            "HTTP 401: the token was revoked",
        )
        .await
        .unwrap();
    let accepted = store
        .insert_events(
            tenant_id,
            &[
                event_for(deleted_id, &my_chat(&deleted).to_string(), "to deleted"),
                event_for(broken_id, &my_chat(&broken).to_string(), "to broken"),
            ],
        )
        .await
        .unwrap();
    assert!(
        accepted.iter().all(|a| a.connections.is_empty()),
        "no lane is woken for a dead connection"
    );
    let (_, ev) = app.get(&format!("/api/v1/events/{}", accepted[0].id)).await;
    let d = delivery_for(&ev, "tenant");
    assert_eq!(
        (d["status"].as_str(), d["reason_code"].as_str()),
        (Some("cancelled"), Some("connection_deleted")),
        "{ev:#}"
    );
    let (_, ev) = app.get(&format!("/api/v1/events/{}", accepted[1].id)).await;
    let d = delivery_for(&ev, "tenant");
    assert_eq!(d["status"], "failed", "{ev:#}");
    assert_eq!(d["reason_code"], "connection_broken");
    assert_eq!(d["reason"], "HTTP 401: the token was revoked");
}

/// Deliveries left pending for a deleted connection (as the race left them before intake
/// re-checked) are settled by the lane, and the dispatcher does not claim the lane again
/// and again.
async fn lane_settles_what_a_dead_connection_left_pending(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let conn = app
        .connect("office", 10, json!({"tenant": true}), None)
        .await;
    let conn_id = conn["id"].as_i64().unwrap();
    let id = app
        .send(json!({"type": "t", "to": {"tenant": true}, "title": "stranded"}))
        .await;
    app.settled(id).await;
    app.delete(&format!("/api/v1/connections/{conn_id}")).await;
    // The state the race left: pending, for a connection that is gone.
    let pool = app.raw_pool().await;
    sqlx::query("UPDATE deliveries SET status = 'pending', reason_code = NULL, reason = NULL")
        .execute(&pool)
        .await
        .unwrap();
    app.node().dispatcher.wake(&[conn_id]);
    let ev = app.settled(id).await;
    let d = delivery_for(&ev, "tenant");
    assert_eq!(d["status"], "cancelled", "{ev:#}");
    assert_eq!(d["reason_code"], "connection_deleted");
}

/// A lane that cannot run (here: its connection row cannot be read) is retried with a
/// growing wait, not claimed at every scan.
async fn dispatcher_backs_off_a_lane_that_cannot_run(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let conn = app
        .connect("office", 10, json!({"tenant": true}), None)
        .await;
    let conn_id = conn["id"].as_i64().unwrap();
    let pool = app.raw_pool().await;
    let id = app
        .send(json!({"type": "t", "to": {"tenant": true}, "title": "nowhere to go"}))
        .await;
    app.settled(id).await;
    // A provider this version does not know (e.g. written by a newer one) with a delivery
    // pending: the lane fails to read its connection and ends without doing anything.
    sqlx::query("UPDATE connections SET provider = 'carrier_pigeon' WHERE id = $1")
        .bind(conn_id)
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("UPDATE deliveries SET status = 'pending'")
        .execute(&pool)
        .await
        .unwrap();
    app.node().dispatcher.wake(&[conn_id]);
    let stats = app.node().dispatcher.stats();
    eventually(
        Duration::from_secs(10),
        "a first attempt at the lane",
        async || stats.lanes_started.load(Ordering::Relaxed) >= 1,
    )
    .await;
    let (scans0, started0) = (
        stats.scans.load(Ordering::Relaxed),
        stats.lanes_started.load(Ordering::Relaxed),
    );
    // 30 scans at 100 ms: about 3 s, in which the waits (1 s, 2 s, ...) allow 2 or 3 starts.
    eventually(Duration::from_secs(30), "30 more scans", async || {
        stats.scans.load(Ordering::Relaxed) >= scans0 + 30
    })
    .await;
    let restarts = stats.lanes_started.load(Ordering::Relaxed) - started0;
    assert!(
        restarts <= 3,
        "the lane was started {restarts} times in 30 scans"
    );
    // Nothing is lost: the delivery waits for a version that can send it.
    let pending: Vec<i64> =
        sqlx::query_scalar("SELECT id FROM deliveries WHERE status = 'pending'")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(pending.len(), 1);
}

crate::on_both_backends!(
    connection_dying_between_routing_and_intake_strands_nothing,
    lane_settles_what_a_dead_connection_left_pending,
    dispatcher_backs_off_a_lane_that_cannot_run,
);
