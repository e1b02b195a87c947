//! The fake LINE WORKS default calendar: create with a chosen event ID, update, delete,
//! conflicts, the body checks, and the `calendar` scope.

mod line_works_common;

use axum::Router;
use line_works_common::*;
use renkei_fakes::line_works::DEMO_USERS;
use serde_json::{json, Value};

const USER: &str = DEMO_USERS[0];

fn events_uri(user: &str) -> String {
    format!("/v1.0/users/{user}/calendar/events")
}

fn event_uri(user: &str, id: &str) -> String {
    format!("/v1.0/users/{user}/calendar/events/{id}")
}

fn all_day(id: &str, summary: &str, start: &str, end: &str) -> Value {
    json!({
        "eventComponents": [{
            "eventId": id, "summary": summary,
            "start": {"date": start}, "end": {"date": end},
            "transparency": "OPAQUE", "visibility": "PRIVATE",
        }],
        "sendNotification": false,
    })
}

async fn send(r: &Router, method: &str, uri: &str, token: &str, body: &Value) -> Resp {
    call(r, method, uri, Some(token), Some(JSON), &body.to_string()).await
}

#[tokio::test]
async fn events_are_created_with_the_chosen_id_updated_and_deleted() {
    let fake = demo();
    let r = fake.router();
    let t = token(&r, "calendar").await;
    let created = send(
        &r,
        "POST",
        &events_uri(USER),
        &t,
        &all_day("ev-1", "休暇", "2026-12-01", "2026-12-02"),
    )
    .await;
    assert_eq!(created.status, 201);
    assert_eq!(created.json()["eventComponents"][0]["eventId"], "ev-1");
    let again = send(
        &r,
        "POST",
        &events_uri(USER),
        &t,
        &all_day("ev-1", "休暇", "2026-12-01", "2026-12-02"),
    )
    .await;
    assert_eq!(
        (again.status, again.json()["code"].clone()),
        (409, json!("CONFLICT"))
    );

    let updated = send(
        &r,
        "PUT",
        &event_uri(USER, "ev-1"),
        &t,
        &all_day("ev-1", "有給", "2026-12-01", "2026-12-04"),
    )
    .await;
    assert_eq!(updated.status, 200);
    let events = fake.events_of(USER);
    assert_eq!(events.len(), 1);
    assert_eq!(
        (
            events[0]["summary"].clone(),
            events[0]["end"]["date"].clone()
        ),
        (json!("有給"), json!("2026-12-04"))
    );
    let read = call(&r, "GET", &event_uri(USER, "ev-1"), Some(&t), None, "").await;
    assert_eq!(read.json()["eventComponents"][0]["summary"], "有給");

    assert_eq!(
        call(&r, "DELETE", &event_uri(USER, "ev-1"), Some(&t), None, "")
            .await
            .status,
        204
    );
    let gone = call(&r, "DELETE", &event_uri(USER, "ev-1"), Some(&t), None, "").await;
    assert_eq!(
        (gone.status, gone.json()["code"].clone()),
        (404, json!("NOT_FOUND"))
    );
    assert!(fake.events_of(USER).is_empty());
    assert!(
        fake.events_of(DEMO_USERS[1]).is_empty(),
        "calendars are per user"
    );
}

#[tokio::test]
async fn put_needs_an_existing_event_with_the_same_id() {
    let fake = demo();
    let r = fake.router();
    let t = token(&r, "calendar").await;
    let missing = send(
        &r,
        "PUT",
        &event_uri(USER, "ev-9"),
        &t,
        &all_day("ev-9", "x", "2026-12-01", "2026-12-02"),
    )
    .await;
    assert_eq!(missing.status, 404);
    send(
        &r,
        "POST",
        &events_uri(USER),
        &t,
        &all_day("ev-9", "x", "2026-12-01", "2026-12-02"),
    )
    .await;
    let other_id = send(
        &r,
        "PUT",
        &event_uri(USER, "ev-9"),
        &t,
        &all_day("ev-8", "x", "2026-12-01", "2026-12-02"),
    )
    .await;
    assert_eq!(other_id.status, 400);
    let nobody = send(
        &r,
        "POST",
        &events_uri("nobody@renkei-demo"),
        &t,
        &all_day("e", "x", "2026-12-01", "2026-12-02"),
    )
    .await;
    assert_eq!(nobody.status, 404);
    let unnamed = json!({"eventComponents": [{"summary": "x", "start": {"date": "2026-12-01"}}]});
    let generated = send(&r, "POST", &events_uri(USER), &t, &unnamed).await;
    assert_eq!(generated.status, 201);
    assert!(generated.json()["eventComponents"][0]["eventId"]
        .as_str()
        .unwrap()
        .starts_with("fake-event-"));
    assert_eq!(fake.events_of(USER).len(), 2);
}

#[tokio::test]
async fn bodies_are_validated_like_line_works() {
    let fake = demo();
    let r = fake.router();
    let t = token(&r, "calendar").await;
    let timed = |start: &str, end: Value| {
        json!({"eventComponents": [{"eventId": "e", "summary": "x",
            "start": {"dateTime": start, "timeZone": "Asia/Tokyo"}, "end": end}]})
    };
    let cases = [
        (
            json!({"eventComponents": [{"eventId": "e", "start": {"date": "2026-12-01"}}]}),
            "summary",
        ),
        (all_day("e", "x", "2026-12-01", "2026-12-01"), "exclusive"),
        (all_day("e", "x", "2026-12-03", "2026-12-01"), "after"),
        (
            all_day("e", &"あ".repeat(201), "2026-12-01", "2026-12-02"),
            "200",
        ),
        (all_day("e", "x", "2026/12/01", "2026-12-02"), "YYYY-MM-DD"),
        (
            timed(
                "2026-12-01T14:00:00",
                json!({"dateTime": "2026-12-01T13:00:00", "timeZone": "Asia/Tokyo"}),
            ),
            "after",
        ),
        (
            timed(
                "2026-12-01T14:00:00",
                json!({"dateTime": "2026-12-01T15:00:00"}),
            ),
            "timeZone",
        ),
        (
            timed("2026-12-01T14:00:00", json!({"date": "2026-12-02"})),
            "both",
        ),
        (
            timed(
                "2026-12-01T14:00:00",
                json!({"date": "2026-12-02", "dateTime": "2026-12-01T15:00:00"}),
            ),
            "either",
        ),
        (
            json!({"eventComponents": [{"eventId": "e", "summary": "x", "start": {"date": "2026-12-01"}, "visibility": "SECRET"}]}),
            "visibility",
        ),
        (json!({"eventComponents": []}), "eventComponents"),
    ];
    for (body, why) in cases {
        let res = send(&r, "POST", &events_uri(USER), &t, &body).await;
        assert_eq!(
            (res.status, res.json()["code"].clone()),
            (400, json!("INVALID_PARAMETER")),
            "{body}"
        );
        let description = res.json()["description"].as_str().unwrap().to_string();
        assert!(description.contains(why), "{why}: {description}");
    }
    let ok = timed(
        "2026-12-01T14:00:00",
        json!({"dateTime": "2026-12-01T15:00:00", "timeZone": "Asia/Tokyo"}),
    );
    assert_eq!(
        send(&r, "POST", &events_uri(USER), &t, &ok).await.status,
        201
    );
    assert_eq!(fake.events_of(USER).len(), 1);
}

#[tokio::test]
async fn calendar_calls_need_the_calendar_scope() {
    let fake = demo();
    let r = fake.router();
    let bot_only = token(&r, "bot").await;
    let res = send(
        &r,
        "POST",
        &events_uri(USER),
        &bot_only,
        &all_day("e", "x", "2026-12-01", "2026-12-02"),
    )
    .await;
    assert_eq!(
        (res.status, res.json()["code"].clone()),
        (403, json!("FORBIDDEN"))
    );
    let read_only = token(&r, "calendar.read").await;
    assert_eq!(
        call(&r, "GET", &event_uri(USER, "e"), Some(&read_only), None, "")
            .await
            .status,
        404
    );
    let res = send(
        &r,
        "POST",
        &events_uri(USER),
        &read_only,
        &all_day("e", "x", "2026-12-01", "2026-12-02"),
    )
    .await;
    assert_eq!(res.status, 403);
    let events = call(
        &r,
        "GET",
        &format!("/_fake/events?user_id={USER}"),
        None,
        None,
        "",
    )
    .await;
    assert_eq!(events.json(), json!([]));
    assert!(fake.events_of(USER).is_empty());
}
