//! Routing scenarios 9–16, 19, 22, 23 (PRODUCT.md) end to end against the fake Chatwork.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{delivery_for, eventually, my_chat, statuses, Backend, TestApp};

/// The ACALL world: a bot account (1001) with the tenant connection whose room is the
/// default (the "acall" room 100); the seed's group tree; two hosts.
async fn acall(app: &TestApp) -> i64 {
    app.fake().add_account("bot", 1001, "ACALL bot");
    for (room, name) in [(100, "acall"), (200, "総務"), (300, "開発部")] {
        app.fake().add_room(room, name, &[(1001, "admin")]);
    }
    let conn = app
        .connect("bot", 1001, json!({"tenant": true}), Some("100"))
        .await;
    for (ext, name, parent, room) in [
        ("soumu", "総務", None, Some("200")),
        (
            "dev",
            "開発部",
            None,
            Some("https://www.chatwork.com/#!rid300"),
        ),
        ("dev1", "開発一課", Some("dev"), None),
        ("sales", "営業部", None, None),
        ("sales1", "営業一課", Some("sales"), None),
    ] {
        let mut body = json!({"name": name});
        if let Some(p) = parent {
            body["parent"] = json!(p);
        }
        if let Some(r) = room {
            body["rooms"] = json!({"chatwork": r});
        }
        let (s, g) = app.put(&format!("/api/v1/groups/{ext}"), body).await;
        assert!(s.is_success(), "{g}");
    }
    for (ext, name, groups, account) in [
        ("yamada", "山田", json!(["dev1", "soumu"]), "aid=2001"),
        ("sato", "佐藤", json!(["dev1"]), "[To:2002] 佐藤さん"),
    ] {
        app.fake().add_person(
            account
                .trim_start_matches("aid=")
                .trim_start_matches("[To:")
                .split(']')
                .next()
                .unwrap()
                .parse()
                .unwrap(),
            name,
        );
        let (s, m) = app.put(&format!("/api/v1/members/{ext}"), json!({"name": name, "groups": groups, "identities": {"chatwork": {"account_id": account}}})).await;
        assert!(s.is_success(), "{m}");
    }
    conn["id"].as_i64().unwrap()
}

fn rooms(ev: &Value) -> Vec<String> {
    ev["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            d["destination"]["room"]
                .as_str()
                .or(d["destination"]["account"].as_str())
                .unwrap_or("-")
                .to_string()
        })
        .collect()
}

/// Scenario 10: 総務 → 総務 room; 開発一課 → 開発部 room; 営業一課 → default room.
async fn scenario_10_group_tree_rooms(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    acall(&app).await;
    for (group, room) in [("soumu", 200), ("dev1", 300), ("sales1", 100)] {
        let id = app.send(json!({"type": "visitor.arrived", "to": {"groups": [group]}, "title": format!("来客 {group}")})).await;
        let ev = app.settled(id).await;
        assert_eq!(statuses(&ev), vec!["delivered"], "{group}");
        assert_eq!(rooms(&ev), vec![room.to_string()], "{group}");
        assert!(app
            .fake()
            .messages(room)
            .iter()
            .any(|m| m.body.contains(&format!("来客 {group}"))));
    }
    let ev = app.get("/api/v1/events/2").await.1;
    assert!(
        ev["deliveries"][0]["route"][0]
            .as_str()
            .unwrap()
            .contains("開発一課 → parent 開発部"),
        "{ev:#}"
    );
}

/// Scenario 11 (and 14's mention): a member's room delivery uses the first group, mentioning them.
async fn scenario_11_primary_group_with_mention(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    acall(&app).await;
    let id = app.send(json!({"type": "visitor.arrived", "to": {"members": ["yamada", "sato"]}, "title": "ご来客です"})).await;
    let ev = app.settled(id).await;
    // Both are in 開発一課 first: one post in the 開発部 room mentioning each.
    assert_eq!(rooms(&ev), vec!["300"]);
    let body = &app.fake().messages(300)[0].body;
    assert!(
        body.starts_with("[To:2001] 山田さん\n[To:2002] 佐藤さん\n[info]"),
        "{body}"
    );
}

/// Scenarios 12, 13 and 23: DMs through the bot's direct chats; a non-contact fails with what
/// to do; approving their contact request through renkei fixes it; direct to a group = each member.
async fn scenarios_12_13_23_direct_delivery(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let conn = acall(&app).await;
    let dm_yamada = app.fake().add_contact(1001, 2001);
    app.put(
        "/api/v1/event-types/praise",
        json!({"name": "称賛", "delivery": "direct"}),
    )
    .await;

    let id = app
        .send(
            json!({"type": "praise", "to": {"members": ["yamada", "sato"]}, "title": "ありがとう"}),
        )
        .await;
    let ev = app.settled(id).await;
    let by_target = |t: &str| delivery_for(&ev, t);
    let y = by_target("member:yamada");
    assert_eq!(y["status"], "delivered");
    assert_eq!(
        y["destination"],
        json!({"kind": "direct", "account": "2001", "room": null})
    );
    assert_eq!(app.fake().messages(dm_yamada).len(), 1);
    let s = by_target("member:sato");
    assert_eq!(s["status"], "failed");
    assert_eq!(s["reason_code"], "chatwork_not_a_contact");
    assert!(
        s["reason"].as_str().unwrap().contains("contact request"),
        "{s}"
    );

    // 佐藤 asks the bot for contact; the admin approves it through renkei.
    let request_id = app.fake().add_incoming_request(1001, 2002, "佐藤です");
    let (st, list) = app
        .get(&format!("/api/v1/connections/{conn}/contact-requests"))
        .await;
    assert_eq!(st, StatusCode::OK, "{list}");
    assert_eq!(list[0]["request_id"], request_id);
    assert_eq!(list[0]["account_id"], 2002);
    let (st, approved) = app
        .post(
            &format!("/api/v1/connections/{conn}/contact-requests/{request_id}/approve"),
            json!({}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{approved}");
    let dm_sato = approved["room_id"].as_i64().unwrap();
    let (st, _) = app
        .post(
            &format!("/api/v1/connections/{conn}/contact-requests/{request_id}/approve"),
            json!({}),
        )
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND);

    // Per-event override to room, and direct to a group reaching each member once.
    let id = app.send(json!({"type": "praise", "delivery": "room", "to": {"members": ["sato"]}, "title": "in the room"})).await;
    assert_eq!(rooms(&app.settled(id).await), vec!["300"]);
    let id = app
        .send(json!({"type": "praise", "to": {"groups": ["dev", "dev1"]}, "title": "team"}))
        .await;
    let ev = app.settled(id).await;
    // 開発部 itself has no members (they are in 開発一課): that target is skipped, saying so.
    assert_eq!(
        statuses(&ev),
        vec!["skipped", "delivered", "delivered"],
        "{ev:#}"
    );
    assert!(app
        .fake()
        .messages(dm_sato)
        .iter()
        .any(|m| m.body.contains("team")));
    assert_eq!(
        app.fake()
            .messages(dm_yamada)
            .iter()
            .filter(|m| m.body.contains("team"))
            .count(),
        1
    );
    // 開発部 alone has no direct members; with sub-groups it reaches 開発一課's.
    let id = app
        .send(json!({"type": "praise", "to": {"groups": ["dev"]}, "title": "x"}))
        .await;
    assert_eq!(
        app.get(&format!("/api/v1/events/{id}")).await.1["deliveries"][0]["reason_code"],
        "no_members"
    );
    let id = app.send(json!({"type": "praise", "to": {"groups": ["dev"], "subgroups": true}, "title": "subtree"})).await;
    assert_eq!(
        statuses(&app.settled(id).await),
        vec!["delivered", "delivered"]
    );
}

/// Scenarios 14, 15, 19: preferences per member × type × provider, tenant defaults, and a
/// member switching off their own connection.
async fn scenarios_14_15_19_preferences(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    acall(&app).await;
    // 山田 has a personal token posting into their own My Chat.
    let own = app
        .connect("yamada-token", 2001, json!({"member": "yamada"}), None)
        .await;
    let own_my_chat: i64 = my_chat(&own);

    // Preferences name existing event types only: a typo would never apply.
    let (s, err) = app
        .put(
            "/api/v1/members/yamada/preferences",
            json!({"survey.reminder": {"chatwork": false}}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    assert_eq!(err["error"]["code"], "unknown_event_type");
    app.put(
        "/api/v1/event-types/survey.reminder",
        json!({"name": "アンケート"}),
    )
    .await;
    let (s, _) = app
        .put(
            "/api/v1/members/yamada/preferences",
            json!({"survey.reminder": {"chatwork": false}}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        app.get("/api/v1/members/yamada/preferences").await.1,
        json!({"survey.reminder": {"chatwork": false}})
    );
    let id = app.send(json!({"type": "survey.reminder", "to": {"members": ["yamada"]}, "title": "回答してください"})).await;
    let ev = app.get(&format!("/api/v1/events/{id}")).await.1;
    assert!(
        ev["deliveries"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["status"] == "skipped" && d["reason_code"] == "preference_off"),
        "{ev:#}"
    );
    assert!(ev["deliveries"][0]["reason"]
        .as_str()
        .unwrap()
        .contains("yamada switched chatwork off for survey.reminder"));

    // Another type still reaches both the room and the personal connection.
    let id = app
        .send(
            json!({"type": "post.mentioned", "to": {"members": ["yamada"]}, "title": "メンション"}),
        )
        .await;
    assert_eq!(
        statuses(&app.settled(id).await),
        vec!["delivered", "delivered"]
    );
    assert_eq!(app.fake().messages(own_my_chat).len(), 1);

    // Switching the personal connection off leaves only the room path.
    let (s, c) = app
        .call(
            reqwest::Method::PATCH,
            &format!("/api/v1/connections/{}", own["id"]),
            Some(json!({"enabled": false})),
            &app.key,
        )
        .await;
    assert_eq!(
        (s, c["enabled"].as_bool()),
        (StatusCode::OK, Some(false)),
        "{c}"
    );
    let id = app
        .send(json!({"type": "post.mentioned", "to": {"members": ["yamada"]}, "title": "again"}))
        .await;
    let ev = app.settled(id).await;
    let codes: Vec<_> = ev["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["reason_code"].as_str().unwrap_or(""))
        .collect();
    assert!(codes.contains(&"connection_switched_off"), "{ev:#}");
    assert_eq!(app.fake().messages(own_my_chat).len(), 1);

    // A tenant default off for a type skips it for everyone.
    app.put(
        "/api/v1/event-types/news",
        json!({"name": "お知らせ", "defaults": {"chatwork": false}}),
    )
    .await;
    let id = app
        .send(json!({"type": "news", "to": {"tenant": true}, "title": "x"}))
        .await;
    let ev = app.get(&format!("/api/v1/events/{id}")).await.1;
    assert_eq!(ev["deliveries"][0]["reason_code"], "preference_off");
}

/// Scenario 16: mentioning the account the connection posts as gives no badge: renkei warns
/// on the delivery, the member and the connection.
async fn scenario_16_self_mention_warns(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let conn = acall(&app).await;
    app.put("/api/v1/members/owner", json!({"name": "管理者", "groups": ["soumu"], "identities": {"chatwork": {"account_id": "1001"}}})).await;
    let id = app
        .send(json!({"type": "t", "to": {"members": ["owner"]}, "title": "x"}))
        .await;
    let ev = app.settled(id).await;
    let w = ev["deliveries"][0]["warnings"][0].as_str().unwrap();
    assert!(
        w.contains("no unread badge") && w.contains("notification-only"),
        "{w}"
    );
    let m = app.get("/api/v1/members/owner").await.1;
    assert_eq!(m["warnings"].as_array().unwrap().len(), 1, "{m}");
    let c = app.get(&format!("/api/v1/connections/{conn}")).await.1;
    assert!(
        c["warnings"][0]
            .as_str()
            .unwrap()
            .starts_with("member owner:"),
        "{c}"
    );
    let m = app.get("/api/v1/members/yamada").await.1;
    assert_eq!(m["warnings"], json!([]));
}

/// Why it went there, before sending: the preview equals what intake does, and sends nothing.
async fn route_preview_explains_without_sending(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    acall(&app).await;
    app.put(
        "/api/v1/event-types/survey.reminder",
        json!({"name": "アンケート"}),
    )
    .await;
    app.put(
        "/api/v1/members/yamada/preferences",
        json!({"survey.reminder": {"chatwork": false}}),
    )
    .await;
    let (s, p) = app
        .post("/api/v1/route-preview", json!({"type": "survey.reminder", "to": {"groups": ["dev1"], "members": ["yamada", "ghost"]}, "title": "アンケート"}))
        .await;
    assert_eq!(s, StatusCode::OK, "{p}");
    let d = p["deliveries"].as_array().unwrap();
    assert_eq!(d[0]["status"], "would_send");
    assert_eq!(d[0]["destination"], json!({"kind": "room", "room": "300"}));
    assert!(
        d[0]["route"][0]
            .as_str()
            .unwrap()
            .contains("group 開発一課 → parent 開発部 has chatwork room 300 → via connection"),
        "{p:#}"
    );
    assert_eq!(d[1]["reason_code"], "preference_off");
    assert_eq!(d[2]["reason_code"], "unknown_member");
    assert!(app.fake().all_messages().is_empty());
    assert!(app.node().store.delivery_counts().await.unwrap().is_empty());
}

/// Scenarios 9 and 22: account IDs from Chatwork's user CSV (Shift_JIS, Japanese headers),
/// dry run first, then applied; and the contacts list through renkei.
async fn scenarios_9_22_identity_import_and_contacts(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let conn = acall(&app).await;
    app.put(
        "/api/v1/members/suzuki",
        json!({"name": "鈴木 一郎", "email": "suzuki@example.jp"}),
    )
    .await;
    app.put("/api/v1/members/tanaka", json!({"name": "田中花子"}))
        .await;
    let csv = "識別ID,ChatworkID,名前,メールアドレス\r\n3001,suzuki_cw,鈴木一郎,SUZUKI@example.jp\r\n3002,,田中 花子,\r\nabc,,誰か,\r\n3003,,知らない人,\r\n";
    let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode(csv);
    let post = async |apply: bool| {
        let resp = app
            .http
            .post(app.url(&format!("/api/v1/identity-imports/chatwork?apply={apply}")))
            .bearer_auth(&app.key)
            .header("content-type", "text/csv")
            .body(sjis.to_vec())
            .send()
            .await
            .unwrap();
        let status = resp.status();
        (status, resp.json::<Value>().await.unwrap())
    };
    let (s, dry) = post(false).await;
    assert_eq!(s, StatusCode::OK, "{dry}");
    assert_eq!(
        (
            dry["encoding"].as_str(),
            dry["linked"].as_i64(),
            dry["applied"].as_bool()
        ),
        (Some("shift_jis"), Some(2), Some(false))
    );
    let codes: Vec<_> = dry["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["line"].as_i64().unwrap(),
                p["code"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        codes,
        vec![
            (4, "invalid_account_id".to_string()),
            (5, "no_member".to_string())
        ]
    );
    assert_eq!(
        app.get("/api/v1/members/suzuki").await.1["identities"],
        json!({}),
        "dry run changed nothing"
    );
    let (_, applied) = post(true).await;
    assert_eq!(applied["applied"], true);
    assert_eq!(
        app.get("/api/v1/members/suzuki").await.1["identities"]["chatwork"],
        "3001"
    );
    assert_eq!(
        app.get("/api/v1/members/tanaka").await.1["identities"]["chatwork"],
        "3002"
    );
    let (_, again) = post(false).await;
    assert_eq!(
        (again["linked"].as_i64(), again["unchanged"].as_i64()),
        (Some(0), Some(2))
    );
    let resp = app
        .http
        .post(app.url("/api/v1/identity-imports/chatwork"))
        .bearer_auth(&app.key)
        .body("name,mail\nx,y\n")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(resp.text().await.unwrap().contains("識別ID"));

    // Scenario 22: pick an account from the bot's contacts.
    let dm = app.fake().add_contact(1001, 2001);
    let (s, contacts) = app
        .get(&format!("/api/v1/connections/{conn}/contacts"))
        .await;
    assert_eq!(s, StatusCode::OK, "{contacts}");
    assert_eq!(contacts[0]["account_id"], 2001);
    assert_eq!(contacts[0]["room_id"], dm);
}

/// Fan-out: one event to a group of 1,000 members makes 1,000 DMs in one transaction, each
/// once, sent within the limits.
async fn fan_out_to_a_large_group(b: Backend) {
    let Some(app) = TestApp::spawn_with(b, |s| s.rate_window_scale = 0.002).await else {
        return;
    };
    acall(&app).await;
    app.put("/api/v1/groups/all", json!({"name": "全社"})).await;
    for i in 0..1000 {
        let account = 50_000 + i;
        app.fake().add_person(account, "社員");
        app.fake().add_contact(1001, account);
        let body = json!({"name": format!("社員{i}"), "groups": ["all"], "identities": {"chatwork": {"account_id": account.to_string()}}});
        let (s, m) = app.put(&format!("/api/v1/members/e{i}"), body).await;
        assert!(s.is_success(), "{m}");
    }
    let id = app.send(json!({"type": "t", "delivery": "direct", "to": {"groups": ["all", "all"], "members": ["e1"]}, "title": "全員へ"})).await;
    let ev = app.get(&format!("/api/v1/events/{id}")).await.1;
    // e1 is reached through the group and named again: still one DM (plus e1's room post).
    let dms = ev["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["destination"]["kind"] == "direct")
        .count();
    assert_eq!(dms, 1000);
    eventually(Duration::from_secs(30), "1,000 DMs delivered", async || {
        app.get(&format!("/api/v1/events/{id}")).await.1["deliveries"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["status"] != "pending")
    })
    .await;
    assert_eq!(app.fake().count_status(429), 0);
    assert_eq!(app.fake().all_messages().len(), 1000);
}

crate::on_both_backends!(
    scenario_10_group_tree_rooms,
    scenario_11_primary_group_with_mention,
    scenarios_12_13_23_direct_delivery,
    scenarios_14_15_19_preferences,
    scenario_16_self_mention_warns,
    route_preview_explains_without_sending,
    scenarios_9_22_identity_import_and_contacts,
    fan_out_to_a_large_group,
);
