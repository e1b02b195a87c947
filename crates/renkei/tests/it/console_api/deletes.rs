//! Deleting clients, groups, members and event types: each answer says what became of the
//! deliveries still waiting, and exactly that happens.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use super::{other_tenant, put_ok, refused};
use crate::helpers::{delivery_for, eventually, node_idle, statuses, Backend, TestApp};

/// Posts into `room` fail with 500 until the faults are cleared: what is sent there stays
/// pending, retrying.
fn stall(app: &TestApp, room: i64) {
    app.fake()
        .fail_next_on(&format!("/rooms/{room}/"), 1_000_000, 500);
}

/// Waits until every delivery of the event has been tried at least once (so its lane holds
/// it in memory when the test changes things under it).
async fn tried(app: &TestApp, id: i64) -> Value {
    app.wait_event(id, Duration::from_secs(10), |ev| {
        ev["deliveries"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["status"] == "pending" && !d["attempts"].as_array().unwrap().is_empty())
    })
    .await
}

async fn delete(app: &TestApp, path: &str) -> Value {
    let (s, v) = app.delete(path).await;
    assert_eq!(s, StatusCode::OK, "DELETE {path}: {v}");
    assert_eq!(v["deleted"], true);
    v
}

/// The office (account 10) with the tenant connection, and rooms it is in.
async fn office(app: &TestApp, rooms: &[i64]) -> Value {
    app.fake().add_account("office", 10, "事務所");
    for r in rooms {
        app.fake()
            .add_room(*r, "room", &[(10, "admin"), (20, "admin"), (30, "member")]);
    }
    app.connect("office", 10, json!({"tenant": true}), None)
        .await
}

/// Group dev with its Chatwork room 5002, and one member in it.
async fn dev_with_member(app: &TestApp, member: &str) {
    put_ok(
        app,
        "/api/v1/groups/dev",
        json!({"name": "開発部", "rooms": {"chatwork": "5002"}}),
    )
    .await;
    put_ok(
        app,
        &format!("/api/v1/members/{member}"),
        json!({"name": "山田", "groups": ["dev"]}),
    )
    .await;
}

async fn deleting_a_client_cancels_what_waits_for_it(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    office(&app, &[5001, 5003]).await;
    put_ok(
        &app,
        "/api/v1/clients/acme",
        json!({"name": "Acme", "rooms": {"chatwork": "5001"}}),
    )
    .await;
    put_ok(
        &app,
        "/api/v1/clients/gamma",
        json!({"name": "Gamma", "rooms": {"chatwork": "5003"}}),
    )
    .await;
    let acme_conn = app
        .connect("acme", 20, json!({"client": "acme"}), None)
        .await;
    put_ok(
        &app,
        "/api/v1/members/m1",
        json!({"name": "山田", "client": "acme"}),
    )
    .await;
    let early = app
        .send(json!({"type": "t", "to": {"clients": ["acme"]}, "title": "early"}))
        .await;
    assert_eq!(statuses(&app.settled(early).await), ["delivered"]);

    stall(&app, 5001);
    stall(&app, 5003);
    let waiting = app
        .send(json!({"type": "t", "to": {"clients": ["acme", "gamma"]}, "title": "waiting"}))
        .await;
    tried(&app, waiting).await;

    let done = delete(&app, "/api/v1/clients/acme").await;
    assert_eq!(done["cancelled_deliveries"], 1, "{done}");
    assert_eq!(
        done["deleted_connections"],
        json!([{"id": acme_conn["id"], "provider": "chatwork", "cancelled_deliveries": 0}])
    );
    assert_eq!(done["detached_members"], 1);
    assert!(
        done["note"]
            .as_str()
            .unwrap()
            .contains("client acme was deleted"),
        "{done}"
    );

    let ev = app.get(&format!("/api/v1/events/{waiting}")).await.1;
    let acme = delivery_for(&ev, "client:acme");
    assert_eq!(
        (&acme["status"], &acme["reason_code"]),
        (&json!("cancelled"), &json!("client_deleted")),
        "{ev:#}"
    );
    assert_eq!(delivery_for(&ev, "client:gamma")["status"], "pending");
    assert_eq!(
        statuses(&app.get(&format!("/api/v1/events/{early}")).await.1),
        ["delivered"]
    );
    assert_eq!(
        app.get("/api/v1/clients/acme").await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&format!("/api/v1/connections/{}", acme_conn["id"]))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.get("/api/v1/members/m1").await.1["client"], Value::Null);

    // The provider recovers: gamma's notice goes out, acme's never does.
    app.fake().clear_faults();
    let ev = app.settled(waiting).await;
    assert_eq!(delivery_for(&ev, "client:gamma")["status"], "delivered");
    node_idle(&app.node().dispatcher).await;
    assert_eq!(
        app.fake().messages(5001).len(),
        1,
        "only the early notice reached acme"
    );
    assert_eq!(app.fake().messages(5003).len(), 1);

    assert_eq!(
        refused(&app, Method::DELETE, "/api/v1/clients/acme", None)
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    let other = other_tenant(&app).await;
    let (s, _) = app
        .call(Method::DELETE, "/api/v1/clients/gamma", None, &other)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(app.get("/api/v1/clients/gamma").await.0, StatusCode::OK);
}

async fn deleting_a_group_is_refused_while_it_has_sub_groups(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    office(&app, &[5002]).await;
    app.fake().add_person(30, "山田");
    put_ok(
        &app,
        "/api/v1/groups/dev",
        json!({"name": "開発部", "rooms": {"chatwork": "5002"}}),
    )
    .await;
    put_ok(
        &app,
        "/api/v1/groups/dev1",
        json!({"name": "開発一課", "parent": "dev"}),
    )
    .await;
    put_ok(&app, "/api/v1/members/yamada", json!({"name": "山田", "groups": ["dev1", "dev"], "identities": {"chatwork": {"account_id": "30"}}})).await;

    let (s, err) = app.delete("/api/v1/groups/dev").await;
    assert_eq!(
        (s, err["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("group_has_children"))
    );
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("開発一課 (dev1)"),
        "{err}"
    );
    assert_eq!(
        err["error"]["details"]["children"],
        json!([{"external_id": "dev1", "name": "開発一課"}])
    );

    stall(&app, 5002);
    let for_group = app
        .send(json!({"type": "t", "to": {"groups": ["dev"]}, "title": "group"}))
        .await;
    let for_member = app
        .send(json!({"type": "t", "to": {"members": ["yamada"]}, "title": "member"}))
        .await;
    // The room's queue is held by its head, retrying; the member's notice waits behind it.
    tried(&app, for_group).await;
    assert_eq!(
        statuses(&app.get(&format!("/api/v1/events/{for_member}")).await.1),
        ["pending"]
    );

    let done = delete(&app, "/api/v1/groups/dev1").await;
    assert_eq!(
        (
            done["cancelled_deliveries"].as_i64(),
            done["detached_members"].as_i64()
        ),
        (Some(0), Some(1))
    );
    assert_eq!(
        app.get("/api/v1/members/yamada").await.1["groups"],
        json!(["dev"])
    );
    let done = delete(&app, "/api/v1/groups/dev").await;
    assert_eq!(done["cancelled_deliveries"], 1, "{done}");
    let ev = app.get(&format!("/api/v1/events/{for_group}")).await.1;
    assert_eq!(
        ev["deliveries"][0]["reason_code"], "group_deleted",
        "{ev:#}"
    );
    assert_eq!(ev["deliveries"][0]["status"], "cancelled");
    // What was made for the member is the member's: it still goes out.
    app.fake().clear_faults();
    assert_eq!(statuses(&app.settled(for_member).await), ["delivered"]);
    assert_eq!(
        app.get("/api/v1/members/yamada").await.1["groups"],
        json!([])
    );
    assert_eq!(app.get("/api/v1/groups").await.1["items"], json!([]));
}

async fn deleting_a_member_cancels_theirs_and_removes_their_connections(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    office(&app, &[5002]).await;
    app.fake().add_person(31, "佐藤");
    let own_chat = app.fake().add_account("yamada-own", 30, "山田");
    put_ok(&app, "/api/v1/event-types/t", json!({"name": "t"})).await;
    put_ok(
        &app,
        "/api/v1/groups/dev",
        json!({"name": "開発部", "rooms": {"chatwork": "5002"}}),
    )
    .await;
    for (ext, name, account) in [("yamada", "山田", "30"), ("sato", "佐藤", "31")] {
        put_ok(&app, &format!("/api/v1/members/{ext}"), json!({"name": name, "groups": ["dev"], "identities": {"chatwork": {"account_id": account}}})).await;
    }
    let own = app
        .connect("yamada-own", 30, json!({"member": "yamada"}), None)
        .await;
    put_ok(
        &app,
        "/api/v1/members/yamada/preferences",
        json!({"t": {"slack": false}}),
    )
    .await;

    stall(&app, 5002);
    stall(&app, own_chat);
    let for_yamada = app
        .send(json!({"type": "t", "to": {"members": ["yamada"]}, "title": "yamada"}))
        .await;
    let for_sato = app
        .send(json!({"type": "t", "to": {"members": ["sato"]}, "title": "sato"}))
        .await;
    let ev = tried(&app, for_yamada).await;
    assert_eq!(
        ev["deliveries"].as_array().unwrap().len(),
        2,
        "group room + own connection: {ev:#}"
    );
    // Behind yamada's notice in the room's queue.
    assert_eq!(
        statuses(&app.get(&format!("/api/v1/events/{for_sato}")).await.1),
        ["pending"]
    );

    // Absences mirrored in a calendar must be removed first (through their own DELETE).
    let pool = app.raw_pool().await;
    sqlx::query(
        "INSERT INTO absences (tenant_id, member_id, external_id, calendar_event_id, calendar_user, summary, starts, ends, all_day, created_at, updated_at) \
         SELECT tenant_id, id, 'trip', 'cal-1', 'yamada@works', '出張', '2025-04-01', '2025-04-02', 1, 0, 0 FROM members WHERE external_id = 'yamada'",
    )
    .execute(&pool)
    .await
    .unwrap();
    let (s, err) = app.delete("/api/v1/members/yamada").await;
    assert_eq!(
        (s, err["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("member_has_absences")),
        "{err}"
    );
    assert_eq!(err["error"]["details"]["absences"], json!(["trip"]));
    assert_eq!(
        tried(&app, for_yamada).await["deliveries"][0]["status"],
        "pending",
        "a refusal changes nothing"
    );
    sqlx::query("UPDATE absences SET deleted = 1")
        .execute(&pool)
        .await
        .unwrap();

    let done = delete(&app, "/api/v1/members/yamada").await;
    assert_eq!(done["cancelled_deliveries"], 2, "{done}");
    assert_eq!(done["removed_preferences"], 1);
    assert_eq!(done["deleted_connections"][0]["id"], own["id"]);
    let ev = app.get(&format!("/api/v1/events/{for_yamada}")).await.1;
    for d in ev["deliveries"].as_array().unwrap() {
        assert_eq!(
            (&d["status"], &d["reason_code"]),
            (&json!("cancelled"), &json!("member_deleted")),
            "{d}"
        );
    }
    assert_eq!(
        app.get("/api/v1/members/yamada").await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&format!("/api/v1/connections/{}", own["id"]))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM absences")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(left, 0);

    app.fake().clear_faults();
    assert_eq!(statuses(&app.settled(for_sato).await), ["delivered"]);
    node_idle(&app.node().dispatcher).await;
    let to_yamada = app
        .fake()
        .all_messages()
        .into_iter()
        .filter(|m| m.body.contains("yamada"))
        .count();
    assert_eq!(to_yamada, 0, "nothing for the deleted member went out");
    // The same external ID can be used again: a new, empty member.
    put_ok(&app, "/api/v1/members/yamada", json!({"name": "山田"})).await;
    assert_eq!(
        app.get("/api/v1/members/yamada/preferences").await.1,
        json!({})
    );
}

async fn deleting_an_event_type_leaves_accepted_events_alone(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    office(&app, &[5002]).await;
    put_ok(
        &app,
        "/api/v1/event-types/visit",
        json!({"name": "来客", "delivery": "room"}),
    )
    .await;
    dev_with_member(&app, "m1").await;
    put_ok(
        &app,
        "/api/v1/members/m1/preferences",
        json!({"visit": {"chatwork": true}}),
    )
    .await;
    stall(&app, 5002);
    let waiting = app
        .send(json!({"type": "visit", "to": {"groups": ["dev"]}, "title": "来客です"}))
        .await;
    tried(&app, waiting).await;

    let done = delete(&app, "/api/v1/event-types/visit").await;
    assert_eq!(
        (
            done["cancelled_deliveries"].as_i64(),
            done["removed_preferences"].as_i64()
        ),
        (Some(0), Some(1))
    );
    assert!(
        done["note"]
            .as_str()
            .unwrap()
            .contains("keep their deliveries"),
        "{done}"
    );
    assert_eq!(
        app.get("/api/v1/event-types/visit").await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.get("/api/v1/members/m1/preferences").await.1, json!({}));
    app.fake().clear_faults();
    assert_eq!(statuses(&app.settled(waiting).await), ["delivered"]);
    assert_eq!(
        refused(&app, Method::DELETE, "/api/v1/event-types/visit", None)
            .await
            .0,
        StatusCode::NOT_FOUND
    );
}

/// A post already on its way when the member is deleted: its answer (a 500, so a retry)
/// comes back after the cancel. The lane must not send the cancelled notice again.
async fn a_notice_in_flight_when_its_member_is_deleted_is_not_sent_again(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    office(&app, &[5002]).await;
    dev_with_member(&app, "yamada").await;
    // The fake stores nothing for a faulted post and answers only after the delay: the
    // post is in flight, on the fake's side, while the member is deleted.
    stall(&app, 5002);
    app.fake().set_delay(Duration::from_millis(1500));
    let ev = app
        .send(json!({"type": "t", "to": {"members": ["yamada"]}, "title": "in flight"}))
        .await;
    let posted = |app: &TestApp| {
        app.fake()
            .requests()
            .iter()
            .filter(|r| r.method == "POST" && r.path.ends_with("/rooms/5002/messages"))
            .count()
    };
    eventually(Duration::from_secs(10), "the post on its way", async || {
        posted(&app) == 1
    })
    .await;
    let done = delete(&app, "/api/v1/members/yamada").await;
    assert_eq!(done["cancelled_deliveries"], 1, "{done}");
    app.fake().set_delay(Duration::ZERO);
    app.fake().clear_faults();
    // The 500 is recorded as the delivery's attempt; the delivery stays cancelled.
    let settled = app
        .wait_event(ev, Duration::from_secs(10), |ev| {
            ev["deliveries"][0]["attempts"].as_array().unwrap().len() == 1
        })
        .await;
    assert_eq!(
        settled["deliveries"][0]["status"], "cancelled",
        "{settled:#}"
    );
    node_idle(&app.node().dispatcher).await;
    assert_eq!(posted(&app), 1, "the cancelled notice was posted again");
    assert!(app.fake().messages(5002).is_empty());
}

crate::on_both_backends!(
    deleting_a_client_cancels_what_waits_for_it,
    deleting_a_group_is_refused_while_it_has_sub_groups,
    deleting_a_member_cancels_theirs_and_removes_their_connections,
    deleting_an_event_type_leaves_accepted_events_alone,
    a_notice_in_flight_when_its_member_is_deleted_is_not_sent_again,
);
