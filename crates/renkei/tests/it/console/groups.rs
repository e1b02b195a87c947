//! Group pages (ACALL グループの ROOM ID): the tree with each group's effective room, rooms
//! set by pasting (and inherited by sub-groups), parents, cycles refused on the form, and
//! deleting a group (refused while it has sub-groups).

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};

use super::browser::Browser;
use super::bulk::{other_tenant, text_of};
use super::clients::{office, put_ok};
use crate::helpers::{delivery_for, Backend, TestApp};

async fn group(app: &TestApp, ext: &str) -> Value {
    let (s, v) = app.get(&format!("/api/v1/groups/{ext}")).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v
}

/// 開発部 (dev) > 開発一課 (dev1), and 営業部 (sales) at the top.
async fn tree(app: &TestApp) {
    put_ok(app, "/api/v1/groups/dev", json!({"name": "開発部"})).await;
    put_ok(
        app,
        "/api/v1/groups/dev1",
        json!({"name": "開発一課", "parent": "dev"}),
    )
    .await;
    put_ok(app, "/api/v1/groups/sales", json!({"name": "営業部"})).await;
}

async fn a_room_pasted_on_a_parent_is_inherited(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    office(&app).await;
    tree(&app).await;
    let mut browser = Browser::signed_in(&app).await;
    let list = browser.open("/console/groups").await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.html);
    // 開発一課 sits in a list nested in 開発部's item, not beside it.
    let dev = list.html.find("開発部</a>").expect("開発部 listed");
    let nested = list.html[dev..].find("<ul>").expect("a nested list");
    let dev1 = list.html[dev..]
        .find("開発一課</a>")
        .expect("開発一課 listed");
    assert!(nested < dev1, "開発一課 is not nested under 開発部");
    list.assert_has("送信されません（このグループにも親グループにもルームがなく");

    let page = "/console/groups/dev";
    let saved = browser
        .submit(
            page,
            page,
            &[
                ("name", "開発部"),
                ("parent", ""),
                ("room_chatwork", "https://www.chatwork.com/#!rid5002"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.html);
    assert_eq!(
        group(&app, "dev").await["rooms"],
        json!({"chatwork": "5002"})
    );
    let child = group(&app, "dev1").await;
    assert_eq!(
        child["effective_rooms"]["chatwork"],
        json!({"room": "5002", "source": "inherited",
               "inherited_from": {"external_id": "dev", "name": "開発部"},
               "connection_id": child["effective_rooms"]["chatwork"]["connection_id"]})
    );
    let child_page = browser.open("/console/groups/dev1").await;
    child_page.assert_has("ルーム 5002（開発部から継承）");
    child_page.assert_has("<option value=\"dev\" selected>");
    browser.accept_language = "en".into();
    browser
        .open("/console/groups/dev1")
        .await
        .assert_has("room 5002 (inherited from 開発部)");
    let en_tree = text_of(&browser.open("/console/groups").await);
    assert!(
        en_tree.contains("room 5002 (this group's own)"),
        "{en_tree}"
    );
    browser.accept_language = "ja".into();

    // A new parent for the child, and a new group under 開発部.
    let moved = browser
        .submit(
            "/console/groups/dev1",
            "/console/groups/dev1",
            &[("name", "開発一課"), ("parent", "sales")],
        )
        .await;
    assert_eq!(moved.status, StatusCode::SEE_OTHER, "{}", moved.html);
    assert_eq!(group(&app, "dev1").await["parent"], "sales");
    let added = browser
        .submit(
            "/console/groups",
            "/console/groups",
            &[("ext", "dev2"), ("name", "開発二課"), ("parent", "dev")],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.html);
    assert_eq!(
        added.location(),
        Some("/console/groups/dev2?flash=dir-group-created")
    );
    let dev2 = group(&app, "dev2").await;
    assert_eq!(
        (dev2["name"].as_str(), dev2["parent"].as_str()),
        (Some("開発二課"), Some("dev"))
    );
    browser
        .open(added.location().unwrap())
        .await
        .assert_has("ルーム 5002（開発部から継承）");
    let audit = browser.open("/console/audit").await;
    audit.assert_has("group.update");
    audit.assert_has("chatwork room none → 5002");
    audit.assert_has("parent dev → sales");
    audit.assert_has("group.create");
}

async fn a_cycle_is_refused_next_to_the_parent(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    tree(&app).await;
    let mut browser = Browser::signed_in(&app).await;
    let page = "/console/groups/dev";
    let cycle = browser
        .submit(page, page, &[("name", "開発部"), ("parent", "dev1")])
        .await;
    assert_eq!(
        cycle.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        cycle.html
    );
    cycle.assert_has("id=\"parent-error\"");
    cycle.assert_has("親グループにできません（グループが循環してしまいます）");
    cycle.assert_has("href=\"#parent\"");
    cycle.assert_has("<option value=\"dev1\" selected>");
    assert_eq!(group(&app, "dev").await["parent"], Value::Null);
    let bad_room = browser
        .submit(
            page,
            page,
            &[("name", "開発部"), ("room_slack", "#general")],
        )
        .await;
    assert_eq!(bad_room.status, StatusCode::UNPROCESSABLE_ENTITY);
    bad_room.assert_has("id=\"room-slack-error\"");
    bad_room.assert_has("「#general」は Slack のチャンネルとして読み取れません");
    let refused = browser
        .post_raw(page, &[("name", "開発部"), ("parent", "sales")])
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(group(&app, "dev").await["parent"], Value::Null);

    let (mut other, _) = other_tenant(&app).await;
    assert_eq!(other.open(page).await.status, StatusCode::NOT_FOUND);
    let theirs = other
        .submit("/console/groups", page, &[("name", "乗っ取り")])
        .await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
    let delete = other
        .submit("/console/groups", "/console/groups/dev1/delete", &[])
        .await;
    assert_eq!(delete.status, StatusCode::NOT_FOUND);
    assert_eq!(group(&app, "dev").await["name"], "開発部");
    assert_eq!(group(&app, "dev1").await["name"], "開発一課");
}

async fn deleting_a_group_says_what_it_cancelled_or_which_children_stop_it(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    office(&app).await;
    tree(&app).await;
    put_ok(
        &app,
        "/api/v1/groups/dev1",
        json!({"name": "開発一課", "parent": "dev", "rooms": {"chatwork": "5001"}}),
    )
    .await;
    put_ok(
        &app,
        "/api/v1/members/m1",
        json!({"name": "山田", "groups": ["dev1", "sales"]}),
    )
    .await;
    let mut browser = Browser::signed_in(&app).await;

    let confirm = browser.open("/console/groups/dev/delete").await;
    assert_eq!(confirm.status, StatusCode::OK);
    confirm.assert_has("下位のグループ（開発一課）があるため削除できません");
    confirm.assert_has("href=\"/console/groups/dev1\">開発一課</a>");
    assert!(
        !confirm.html.contains("class=\"danger\""),
        "a delete button is offered"
    );
    let refused = browser
        .submit("/console/groups/dev", "/console/groups/dev/delete", &[])
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    refused.assert_has("下位のグループ（開発一課）があるため削除できません");
    assert_eq!(group(&app, "dev").await["name"], "開発部");

    app.fake().fail_next_on("/rooms/5001/", 1_000_000, 500);
    let waiting = app
        .send(json!({"type": "t", "to": {"groups": ["dev1"]}, "title": "waiting"}))
        .await;
    app.wait_event(waiting, Duration::from_secs(10), |ev| {
        ev["deliveries"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["status"] == "pending" && !d["attempts"].as_array().unwrap().is_empty())
    })
    .await;
    let confirm = browser.open("/console/groups/dev1/delete").await;
    confirm.assert_has("メンバー 1人は削除されず");
    let done = browser
        .submit(
            "/console/groups/dev1/delete",
            "/console/groups/dev1/delete",
            &[],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.html);
    browser.open(done.location().unwrap()).await.assert_has(
        "グループ「開発一課」を削除しました。送信待ちの通知 1 件を取り消し、メンバー 1人の所属を外しました。",
    );
    assert_eq!(
        app.get("/api/v1/groups/dev1").await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/api/v1/members/m1").await.1["groups"],
        json!(["sales"])
    );
    let ev = app.get(&format!("/api/v1/events/{waiting}")).await.1;
    assert_eq!(
        delivery_for(&ev, "group:dev1")["status"],
        "cancelled",
        "{ev:#}"
    );
    browser
        .open("/console/audit")
        .await
        .assert_has("group.delete");
}

crate::on_both_backends!(
    a_room_pasted_on_a_parent_is_inherited,
    a_cycle_is_refused_next_to_the_parent,
    deleting_a_group_says_what_it_cancelled_or_which_children_stop_it,
);
