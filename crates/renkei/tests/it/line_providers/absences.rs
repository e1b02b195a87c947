//! Absence sync into the LINE WORKS calendar (scenario 20): create, change, delete, errors.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{eventually, statuses, Backend, TestApp};

use super::{
    attempt_statuses, form_value, lw, lw_connect, lw_directory, lw_world, token_requests, LW_YAMADA,
};

fn calendar_requests(app: &TestApp) -> Vec<(String, String, u16)> {
    lw(app)
        .requests()
        .into_iter()
        .filter(|r| r.path.contains("/calendar/"))
        .map(|r| (r.method, r.path, r.status))
        .collect()
}

/// Scenario 20: an all-day absence becomes a calendar event whose end date is the day after
/// the last day; changing it updates the same event; removing it deletes the event. Each
/// change is a sync event that ends `delivered`.
async fn absence_sync_create_change_delete(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    lw_world(&app);
    lw_connect(&app).await;
    lw_directory(&app).await;
    let path = "/api/v1/members/yamada/absences/leave-1";

    let (s, a) = app
        .put(path, json!({"summary": "有給休暇", "description": "私用のため", "start": "2026-12-01", "end": "2026-12-02"}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    assert_eq!(a["id"], "leave-1");
    assert_eq!(a["member"], "yamada");
    assert_eq!(a["all_day"], true);
    assert_eq!(a["deleted"], false);
    assert_eq!(a["calendar_user"], LW_YAMADA);
    let event_id = a["calendar_event_id"].as_str().unwrap().to_string();
    assert!(event_id.starts_with("renkei-"), "{event_id}");
    let sync = app.settled(a["sync_event_id"].as_i64().unwrap()).await;
    assert_eq!(statuses(&sync), vec!["delivered"], "{sync:#}");
    let d = &sync["deliveries"][0];
    assert_eq!(d["provider"], "line_works");
    assert_eq!(d["message_id"], event_id.as_str(), "{d}");
    assert_eq!(sync["type"], "absence.sync");
    let events = lw(&app).events_of(LW_YAMADA);
    assert_eq!(events.len(), 1, "{events:#?}");
    let e = &events[0];
    assert_eq!(e["eventId"], event_id.as_str());
    assert_eq!(e["summary"], "有給休暇");
    assert_eq!(e["description"], "私用のため");
    assert_eq!(e["start"], json!({"date": "2026-12-01"}));
    assert_eq!(
        e["end"],
        json!({"date": "2026-12-03"}),
        "exclusive end date"
    );
    assert_eq!(e["transparency"], "OPAQUE");
    let items = format!("/v1.0/users/{LW_YAMADA}/calendar/events/{event_id}");
    let list = format!("/v1.0/users/{LW_YAMADA}/calendar/events");
    assert_eq!(
        calendar_requests(&app),
        vec![
            ("PUT".into(), items.clone(), 404),
            ("POST".into(), list.clone(), 201),
        ]
    );
    let created = lw(&app)
        .requests()
        .into_iter()
        .find(|r| r.method == "POST" && r.path == list)
        .unwrap();
    let body = created.json();
    assert_eq!(body["sendNotification"], false);
    assert_eq!(body["eventComponents"][0]["end"]["date"], "2026-12-03");
    // The calendar has its own token (scope `calendar`).
    let scopes: Vec<Option<String>> = token_requests(&lw(&app).requests())
        .iter()
        .map(|r| form_value(r, "scope"))
        .collect();
    assert!(scopes.contains(&Some("calendar".into())), "{scopes:?}");

    // Changed: another summary and a timed range → the same event, updated in place.
    let (s, a2) = app
        .put(path, json!({"summary": "午前休", "start": "2026-12-01T09:00:00", "end": "2026-12-01T12:30:00"}))
        .await;
    assert_eq!(s, StatusCode::OK, "{a2}");
    assert_eq!(a2["calendar_event_id"], event_id.as_str());
    assert_eq!(a2["all_day"], false);
    let sync2 = a2["sync_event_id"].as_i64().unwrap();
    assert_ne!(sync2, a["sync_event_id"].as_i64().unwrap());
    assert_eq!(statuses(&app.settled(sync2).await), vec!["delivered"]);
    let events = lw(&app).events_of(LW_YAMADA);
    assert_eq!(events.len(), 1, "still one event: {events:#?}");
    let e = &events[0];
    assert_eq!(e["eventId"], event_id.as_str());
    assert_eq!(e["summary"], "午前休");
    assert_eq!(
        e["start"],
        json!({"dateTime": "2026-12-01T09:00:00", "timeZone": "Asia/Tokyo"})
    );
    assert_eq!(
        e["end"],
        json!({"dateTime": "2026-12-01T12:30:00", "timeZone": "Asia/Tokyo"})
    );
    assert_eq!(
        calendar_requests(&app).last().unwrap(),
        &("PUT".to_string(), items.clone(), 200)
    );

    // Removed: the event is gone, and the absence stays listed as deleted.
    let (s, body) = app.delete(path).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{body}");
    let (s, listed) = app.get("/api/v1/members/yamada/absences").await;
    assert_eq!(s, StatusCode::OK);
    let listed = listed.as_array().unwrap();
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["id"], "leave-1");
    assert_eq!(listed[0]["deleted"], true);
    let sync3 = listed[0]["sync_event_id"].as_i64().unwrap();
    assert_ne!(sync3, sync2);
    assert_eq!(statuses(&app.settled(sync3).await), vec!["delivered"]);
    assert!(lw(&app).events_of(LW_YAMADA).is_empty());
    assert_eq!(
        calendar_requests(&app).last().unwrap(),
        &("DELETE".to_string(), items, 204)
    );
    // Deleting again: nothing left to delete.
    let (s, err) = app.delete(path).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{err}");
}

/// A calendar call failing with 500 is retried and the event still arrives (once).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn absence_sync_retries_a_failed_calendar_call() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    lw_world(&app);
    lw_connect(&app).await;
    lw_directory(&app).await;
    lw(&app).fail_next(Some("/calendar/events"), 1, 500);
    let (s, a) = app
        .put(
            "/api/v1/members/yamada/absences/trip",
            json!({"summary": "出張", "start": "2026-12-10", "end": "2026-12-10"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    let sync = app.settled(a["sync_event_id"].as_i64().unwrap()).await;
    let d = &sync["deliveries"][0];
    assert_eq!(d["status"], "delivered", "{sync:#}");
    assert_eq!(attempt_statuses(d), vec![Some(500), Some(201)]);
    assert_eq!(d["attempts"][0]["outcome"], "provider_unavailable");
    let events = lw(&app).events_of(LW_YAMADA);
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["start"], json!({"date": "2026-12-10"}));
    assert_eq!(events[0]["end"], json!({"date": "2026-12-11"}));
}

/// What the absence API refuses, with codes: bad dates, a member without a LINE WORKS ID,
/// a tenant without a LINE WORKS connection, unknown members and absences.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn absence_sync_errors() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    lw_world(&app);
    let (s, m) = app
        .put(
            "/api/v1/members/yamada",
            json!({"name": "山田", "identities": {"line_works": {"user_id": LW_YAMADA}}}),
        )
        .await;
    assert!(s.is_success(), "{m}");
    app.put("/api/v1/members/sato", json!({"name": "佐藤"}))
        .await;
    let app = &app;
    let put = |member: &'static str, body: Value| async move {
        app.put(&format!("/api/v1/members/{member}/absences/a1"), body)
            .await
    };
    let day = json!({"summary": "休み", "start": "2026-12-01", "end": "2026-12-01"});

    // No LINE WORKS connection yet.
    let (s, err) = put("yamada", day.clone()).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    assert_eq!(err["error"]["code"], "no_connection");
    assert!(err["error"]["message"]
        .as_str()
        .unwrap()
        .contains("LINE WORKS"));

    lw_connect(app).await;
    let (s, err) = put("sato", day.clone()).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    assert_eq!(err["error"]["code"], "no_identity");
    assert!(err["error"]["message"]
        .as_str()
        .unwrap()
        .contains("identities.line_works.user_id"));

    for (body, hint) in [
        (
            json!({"summary": "休み", "start": "2026-13-01", "end": "2026-12-01"}),
            "start",
        ),
        (
            json!({"summary": "休み", "start": "2026-12-01", "end": "12/02"}),
            "end",
        ),
        (
            json!({"summary": "休み", "start": "2026-12-03", "end": "2026-12-01"}),
            "before",
        ),
        (
            json!({"summary": "休み", "start": "2026-12-01", "end": "2026-12-01T10:00:00"}),
            "all-day",
        ),
        (
            json!({"summary": "休み", "start": "2026-12-01T10:00:00", "end": "2026-12-01T10:00:00"}),
            "before",
        ),
        (
            json!({"summary": "  ", "start": "2026-12-01", "end": "2026-12-01"}),
            "summary",
        ),
    ] {
        let (s, err) = put("yamada", body.clone()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body} → {err}");
        assert_eq!(err["error"]["code"], "invalid_absence", "{body} → {err}");
        assert!(
            err["error"]["message"].as_str().unwrap().contains(hint),
            "{body} → {err}"
        );
    }
    let (s, err) = put("nobody", day.clone()).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{err}");
    let (s, err) = app.delete("/api/v1/members/yamada/absences/none").await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{err}");
    // Nothing was queued or written for any of them.
    let (_, listed) = app.get("/api/v1/members/yamada/absences").await;
    assert_eq!(listed, json!([]));
    assert!(calendar_requests(app).is_empty());
}

/// The calendar follows the member: after their LINE WORKS ID changes, the next PUT moves
/// the event (deleted from the old calendar, created in the new one); a removed absence PUT
/// again comes back; quick changes of one absence reach the calendar in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn absence_sync_follows_the_member_and_keeps_order() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    const NEW_ID: &str = "yamada.new@workplace-test";
    lw_world(&app);
    lw(&app).add_user(NEW_ID);
    lw_connect(&app).await;
    lw_directory(&app).await;
    let delivered = async |n: i64| {
        eventually(
            Duration::from_secs(10),
            &format!("{n} delivered"),
            async || {
                let counts = app.node().store.delivery_counts().await.unwrap();
                counts.get("delivered").copied() == Some(n) && !counts.contains_key("pending")
            },
        )
        .await;
    };
    let day = json!({"summary": "休暇", "start": "2026-12-01", "end": "2026-12-01"});
    let (s, a) = app
        .put("/api/v1/members/yamada/absences/a1", day.clone())
        .await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    let event_id = a["calendar_event_id"].as_str().unwrap().to_string();
    delivered(1).await;
    assert_eq!(lw(&app).events_of(LW_YAMADA).len(), 1);

    let (s, m) = app
        .put(
            "/api/v1/members/yamada",
            json!({"name": "山田", "groups": ["somu"], "identities": {"line_works": {"user_id": NEW_ID}}}),
        )
        .await;
    assert!(s.is_success(), "{m}");
    let (s, a) = app
        .put("/api/v1/members/yamada/absences/a1", day.clone())
        .await;
    assert_eq!(s, StatusCode::OK, "{a}");
    assert_eq!(a["calendar_user"], NEW_ID);
    assert_eq!(a["calendar_event_id"], event_id.as_str());
    delivered(3).await;
    assert!(
        lw(&app).events_of(LW_YAMADA).is_empty(),
        "left the old calendar"
    );
    let moved = lw(&app).events_of(NEW_ID);
    assert_eq!(moved.len(), 1);
    assert_eq!(moved[0]["eventId"], event_id.as_str());

    // Removed, then PUT again: back in the calendar, no longer flagged deleted.
    let (s, _) = app.delete("/api/v1/members/yamada/absences/a1").await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    delivered(4).await;
    assert!(lw(&app).events_of(NEW_ID).is_empty());
    let (s, a) = app
        .put("/api/v1/members/yamada/absences/a1", day.clone())
        .await;
    assert_eq!(s, StatusCode::OK, "{a}");
    assert_eq!(a["deleted"], false);
    delivered(5).await;
    assert_eq!(lw(&app).events_of(NEW_ID).len(), 1);

    // Create, change and remove at once: applied in that order.
    let path = "/api/v1/members/yamada/absences/a2";
    let before = calendar_requests(&app).len();
    let (_, a2) = app
        .put(path, json!({"summary": "外出", "start": "2026-12-05T13:00:00", "end": "2026-12-05T15:00:00"}))
        .await;
    let a2_id = a2["calendar_event_id"].as_str().unwrap().to_string();
    assert_ne!(a2_id, event_id);
    let (s, _) = app
        .put(path, json!({"summary": "外出 (延長)", "start": "2026-12-05T13:00:00", "end": "2026-12-05T17:00:00"}))
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = app.delete(path).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    delivered(8).await;
    let a2_calls: Vec<(String, u16)> = calendar_requests(&app)[before..]
        .iter()
        .map(|(m, _, s)| (m.clone(), *s))
        .collect();
    assert_eq!(
        a2_calls,
        vec![
            ("PUT".into(), 404),
            ("POST".into(), 201),
            ("PUT".into(), 200),
            ("DELETE".into(), 204),
        ],
        "{:#?}",
        calendar_requests(&app)
    );
    let left: Vec<Value> = lw(&app).events_of(NEW_ID);
    assert_eq!(left.len(), 1, "only a1 remains: {left:#?}");
    assert_eq!(left[0]["eventId"], event_id.as_str());
}

/// A member whose LINE WORKS ID was removed can still have their absences removed: the
/// event lives in the calendar recorded with the absence, which needs no current ID.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn absence_delete_after_the_identity_was_removed() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    lw_world(&app);
    lw_connect(&app).await;
    lw_directory(&app).await;
    let path = "/api/v1/members/yamada/absences/a1";
    let (s, a) = app
        .put(
            path,
            json!({"summary": "休暇", "start": "2026-12-01", "end": "2026-12-01"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    app.settled(a["sync_event_id"].as_i64().unwrap()).await;
    assert_eq!(lw(&app).events_of(LW_YAMADA).len(), 1);
    let (s, m) = app
        .put(
            "/api/v1/members/yamada",
            json!({"name": "山田", "groups": ["somu"]}),
        )
        .await;
    assert!(s.is_success(), "{m}");
    assert!(m["identities"].get("line_works").is_none(), "{m}");
    let (s, err) = app.delete(path).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{err}");
    let (_, listed) = app.get("/api/v1/members/yamada/absences").await;
    let sync = listed[0]["sync_event_id"].as_i64().unwrap();
    assert_eq!(statuses(&app.settled(sync).await), vec!["delivered"]);
    assert!(lw(&app).events_of(LW_YAMADA).is_empty());
}

crate::on_both_backends!(absence_sync_create_change_delete);
