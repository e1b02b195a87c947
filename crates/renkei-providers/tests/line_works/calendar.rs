//! Absence sync: idempotent upserts by renkei's own event ID, deletes that tolerate a gone
//! event, and the exact event JSON for all-day and timed absences.

use chrono::{NaiveDate, NaiveDateTime};
use renkei_fakes::line_works::{FakeLineWorks, DEMO_CLIENT_ID, DEMO_USERS};
use renkei_providers::line_works::{
    all_day_end, calendar_room, event_id_for, render_calendar_op, Absence, AbsenceTime, CalendarOp,
};
use renkei_providers::SendOutcome;
use serde_json::json;

use super::{delivered, setup, text, Setup};

const USER: &str = DEMO_USERS[0];

fn day(s: &str) -> AbsenceTime {
    AbsenceTime::Date(NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap())
}

fn at(s: &str) -> AbsenceTime {
    AbsenceTime::DateTime(NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S").unwrap())
}

fn upsert(event_id: &str, absence: Absence) -> String {
    render_calendar_op(&CalendarOp::Upsert {
        event_id: event_id.into(),
        absence,
    })
}

async fn run(s: &Setup, op: &str) -> (SendOutcome, Vec<String>) {
    let skip = s.fake.requests().len();
    let r = s.send(1, &calendar_room(USER), op).await;
    let calls = s.calls_since(skip);
    let calls = calls
        .into_iter()
        .filter(|c| !c.contains("/token"))
        .collect();
    (r.outcome, calls)
}

fn events(fake: &FakeLineWorks) -> Vec<serde_json::Value> {
    fake.events_of(USER)
}

#[tokio::test]
async fn upsert_creates_then_updates_the_same_event_and_reruns_change_nothing() {
    let s = setup().await;
    let id = event_id_for(7, "leave:42");
    let item = format!("/v1.0/users/{USER}/calendar/events/{id}");
    let mut absence = Absence::new("休暇", day("2026-12-01"), day("2026-12-03"));
    let (outcome, calls) = run(&s, &upsert(&id, absence.clone())).await;
    assert_eq!(
        outcome,
        SendOutcome::Delivered {
            message_id: Some(id.clone())
        }
    );
    assert_eq!(
        calls,
        [
            format!("PUT {item} 404"),
            format!("POST /v1.0/users/{USER}/calendar/events 201")
        ]
    );

    absence.summary = "休暇 (午後出社)".into();
    let (outcome, calls) = run(&s, &upsert(&id, absence.clone())).await;
    assert_eq!(
        outcome,
        SendOutcome::Delivered {
            message_id: Some(id.clone())
        }
    );
    assert_eq!(calls, [format!("PUT {item} 200")]);
    let (_, rerun) = run(&s, &upsert(&id, absence)).await;
    assert_eq!(rerun, [format!("PUT {item} 200")]);
    let stored = events(&s.fake);
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0]["summary"], "休暇 (午後出社)");
}

#[tokio::test]
async fn all_day_absences_have_the_exact_event_json() {
    let s = setup().await;
    let mut absence = Absence::new("有給休暇", day("2026-12-01"), day("2026-12-03"));
    absence.description = Some("renkei から登録".into());
    run(&s, &upsert("renkei-a", absence)).await;
    let sent = s
        .fake
        .requests()
        .into_iter()
        .rev()
        .find(|r| r.method == "POST")
        .unwrap();
    assert_eq!(
        sent.json(),
        json!({
            "eventComponents": [{
                "eventId": "renkei-a",
                "summary": "有給休暇",
                "description": "renkei から登録",
                "start": {"date": "2026-12-01"},
                "end": {"date": "2026-12-04"},
                "transparency": "OPAQUE",
                "visibility": "PRIVATE",
            }],
            "sendNotification": false,
        })
    );
    let last = NaiveDate::from_ymd_opt(2026, 12, 3).unwrap();
    assert_eq!(
        all_day_end(last),
        NaiveDate::from_ymd_opt(2026, 12, 4).unwrap(),
        "exclusive end"
    );
}

#[tokio::test]
async fn timed_absences_have_the_exact_event_json() {
    let s = setup().await;
    let absence = Absence::new("通院", at("2026-12-01T14:00:00"), at("2026-12-01T16:30:00"));
    let (outcome, _) = run(&s, &upsert("renkei-t", absence)).await;
    assert!(matches!(outcome, SendOutcome::Delivered { .. }));
    assert_eq!(
        events(&s.fake)[0],
        json!({
            "eventId": "renkei-t",
            "summary": "通院",
            "start": {"dateTime": "2026-12-01T14:00:00", "timeZone": "Asia/Tokyo"},
            "end": {"dateTime": "2026-12-01T16:30:00", "timeZone": "Asia/Tokyo"},
            "transparency": "OPAQUE",
            "visibility": "PRIVATE",
        })
    );
}

#[tokio::test]
async fn a_create_that_loses_a_race_updates_instead() {
    let s = setup().await;
    let absence = Absence::new("休暇", day("2026-12-01"), day("2026-12-01"));
    run(&s, &upsert("renkei-r", absence.clone())).await;
    // LINE WORKS says "not found" (e.g. not yet visible), but the create finds it exists.
    s.fake.fail_next(Some("/calendar/events/renkei-r"), 1, 404);
    let (outcome, calls) = run(&s, &upsert("renkei-r", absence)).await;
    assert!(
        matches!(outcome, SendOutcome::Delivered { .. }),
        "{outcome:?}"
    );
    let statuses: Vec<&str> = calls
        .iter()
        .map(|c| c.rsplit(' ').next().unwrap())
        .collect();
    assert_eq!(statuses, ["404", "409", "200"]);
    assert_eq!(events(&s.fake).len(), 1);
}

#[tokio::test]
async fn deletes_count_an_already_gone_event_as_done() {
    let s = setup().await;
    run(
        &s,
        &upsert(
            "renkei-d",
            Absence::new("休暇", day("2026-12-01"), day("2026-12-01")),
        ),
    )
    .await;
    let delete = render_calendar_op(&CalendarOp::Delete {
        event_id: "renkei-d".into(),
    });
    let (outcome, calls) = run(&s, &delete).await;
    assert_eq!(
        outcome,
        SendOutcome::Delivered {
            message_id: Some("renkei-d".into())
        }
    );
    assert_eq!(
        calls,
        [format!(
            "DELETE /v1.0/users/{USER}/calendar/events/renkei-d 204"
        )]
    );
    assert!(events(&s.fake).is_empty());
    let (again, calls) = run(&s, &delete).await;
    assert_eq!(
        again,
        SendOutcome::Delivered {
            message_id: Some("renkei-d".into())
        }
    );
    assert!(calls[0].ends_with(" 404"));
}

#[tokio::test]
async fn bad_operations_and_missing_scopes_are_refused() {
    let s = setup().await;
    let backwards = upsert(
        "renkei-b",
        Absence::new("x", day("2026-12-03"), day("2026-12-01")),
    );
    let (outcome, calls) = run(&s, &backwards).await;
    assert_eq!(outcome, SendOutcome::Permanent);
    assert!(calls.is_empty(), "refused before any request");
    let (outcome, _) = run(&s, &text("not an op")).await;
    assert_eq!(outcome, SendOutcome::Permanent);

    // An app without the calendar scope still sends messages; calendar ops say why not.
    s.fake.set_app_scopes(DEMO_CLIENT_ID, &["bot"]);
    let op = upsert(
        "renkei-s",
        Absence::new("x", day("2026-12-01"), day("2026-12-01")),
    );
    let r = s.send(9, &calendar_room(USER), &op).await;
    assert_eq!(
        r.outcome,
        SendOutcome::Refused {
            code: "line_works_scope_missing"
        }
    );
    assert!(r.error.unwrap().contains("`calendar` scope"));
    delivered(&s.send(9, &super::dm(), &text("still fine")).await);
}

#[tokio::test]
async fn a_scope_removed_after_the_token_was_issued_says_to_add_it_back() {
    let s = setup().await;
    let op = |id: &str| upsert(id, Absence::new("x", day("2026-12-01"), day("2026-12-01")));
    let (outcome, _) = run(&s, &op("renkei-1")).await;
    assert!(
        matches!(outcome, SendOutcome::Delivered { .. }),
        "{outcome:?}"
    );

    // The admin takes `calendar` away: the token in hand is now refused 403 FORBIDDEN.
    s.fake.set_app_scopes(DEMO_CLIENT_ID, &["bot"]);
    let r = s.send(1, &calendar_room(USER), &op("renkei-2")).await;
    assert_eq!(
        (r.outcome, r.http_status),
        (
            SendOutcome::Refused {
                code: "line_works_scope_missing"
            },
            Some(403)
        )
    );
    let why = r.error.unwrap();
    assert!(
        why.contains("FORBIDDEN")
            && why.contains("Developer Console")
            && why.contains("scope: bot calendar"),
        "{why}"
    );

    // Added back: the next attempt asks for a new token and goes through.
    s.fake
        .set_app_scopes(DEMO_CLIENT_ID, &["bot", "calendar", "calendar.read"]);
    let (outcome, _) = run(&s, &op("renkei-2")).await;
    assert!(
        matches!(outcome, SendOutcome::Delivered { .. }),
        "{outcome:?}"
    );
}
