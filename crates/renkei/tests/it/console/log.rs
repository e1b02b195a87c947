//! The delivery log pages: events newest first with filters, an event with its route,
//! attempts and link activity (resending: `log/resend.rs`).

mod resend;

use reqwest::StatusCode;
use serde_json::{json, Value};
use sqlx::Executor;

use super::browser::{Browser, Page};
use super::bulk::{other_tenant, text_of};
use crate::bulk_and_links::link_in;
use crate::helpers::{Backend, TestApp};

/// 2025-04-01 09:00 in Tokyo (00:00 UTC).
const APRIL_FIRST_9AM_TOKYO: i64 = 1_743_465_600_000;

/// The events the list links to, in the order shown.
pub(super) fn listed(page: &Page) -> Vec<i64> {
    page.html
        .split("href=\"/console/events/")
        .skip(1)
        .filter_map(|rest| rest.split('"').next()?.parse().ok())
        .collect()
}

pub(super) async fn put_ok(app: &TestApp, path: &str, body: Value) {
    let (s, v) = app.put(path, body).await;
    assert!(s.is_success(), "PUT {path}: {s} {v}");
}

/// The office's Chatwork account (10) with rooms for client acme (5001) and group dev
/// (5002, where member yamada = account 30 is), and client locked's room 6001 which the
/// office is not in: posts there are refused (403).
pub(super) async fn office_world(app: &TestApp) -> i64 {
    app.fake().add_account("office", 10, "事務所");
    app.fake().add_person(30, "山田");
    app.fake().add_room(5001, "Acme", &[(10, "admin")]);
    app.fake()
        .add_room(5002, "開発部", &[(10, "admin"), (30, "member")]);
    app.fake().add_room(6001, "locked", &[(77, "admin")]);
    let conn = app
        .connect("office", 10, json!({"tenant": true}), None)
        .await;
    for (client, room) in [("acme", "5001"), ("locked", "6001")] {
        let body = json!({"name": client, "rooms": {"chatwork": room}});
        put_ok(app, &format!("/api/v1/clients/{client}"), body).await;
    }
    let dev = json!({"name": "開発部", "rooms": {"chatwork": "5002"}});
    put_ok(app, "/api/v1/groups/dev", dev).await;
    let yamada = json!({"name": "山田", "groups": ["dev"], "identities": {"chatwork": {"account_id": "30"}}});
    put_ok(app, "/api/v1/members/yamada", yamada).await;
    conn["id"].as_i64().unwrap()
}

async fn open_ok(browser: &mut Browser, path: &str) -> Page {
    let page = browser.open(path).await;
    assert_eq!(page.status, StatusCode::OK, "{path}: {}", page.html);
    page
}

async fn the_log_lists_newest_first_and_each_filter_narrows(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    office_world(&app).await;
    put_ok(
        &app,
        "/api/v1/event-types/file.uploaded",
        json!({"name": "ファイルのアップロード"}),
    )
    .await;
    let for_acme = app
        .send(json!({"type": "file.uploaded", "to": {"clients": ["acme"]}, "title": "for acme"}))
        .await;
    let refused = app
        .send(json!({"type": "notice", "to": {"clients": ["locked"]}, "title": "refused"}))
        .await;
    let for_yamada = app
        .send(
            json!({"type": "file.uploaded", "to": {"members": ["yamada"]}, "title": "for yamada"}),
        )
        .await;
    let both = app
        .send(json!({"type": "notice", "to": {"clients": ["acme"], "members": ["yamada"]}, "title": "both"}))
        .await;
    for id in [for_acme, refused, for_yamada, both] {
        app.settled(id).await;
    }
    // One event from an earlier day, at 09:00 in Tokyo, to check times typed in the filter
    // are read in the tenant's zone.
    app.raw_pool()
        .await
        .execute(
            format!("UPDATE events SET created_at = {APRIL_FIRST_9AM_TOKYO} WHERE id = {for_acme}")
                .as_str(),
        )
        .await
        .unwrap();

    let mut browser = Browser::signed_in(&app).await;
    let page = open_ok(&mut browser, "/console/events").await;
    assert_eq!(listed(&page), [both, for_yamada, refused, for_acme]);
    page.assert_has("<h1>送信履歴</h1>");
    page.assert_has("2025-04-01 09:00");
    page.assert_has("<li class=\"badge badge-failed\">失敗 1</li>");
    page.assert_has("<li class=\"badge badge-delivered\">送信済み 2</li>");
    page.assert_has(
        "<option value=\"file.uploaded\">ファイルのアップロード (file.uploaded)</option>",
    );
    page.assert_has("これより古い通知はありません");

    let cases: [(&str, Vec<i64>); 11] = [
        ("status=failed", vec![refused]),
        ("status=delivered", vec![both, for_yamada, for_acme]),
        ("tool=chatwork", vec![both, for_yamada, refused, for_acme]),
        ("tool=slack", vec![]),
        ("type=file.uploaded", vec![for_yamada, for_acme]),
        ("member=yamada", vec![both, for_yamada]),
        ("client=acme", vec![both, for_acme]),
        ("client=acme&type=notice&status=delivered", vec![both]),
        // 09:00 typed means 09:00 in Tokyo (as UTC it would be 18:00 and miss it).
        (
            "since=2025-04-01T09:00&until=2025-04-01T09:01",
            vec![for_acme],
        ),
        ("until=2025-04-01", vec![for_acme]),
        ("since=2025-04-02", vec![both, for_yamada, refused]),
    ];
    for (query, want) in cases {
        let page = open_ok(&mut browser, &format!("/console/events?{query}")).await;
        assert_eq!(listed(&page), want, "{query}");
        if want.is_empty() {
            page.assert_has("条件に合う通知はありません");
        }
    }
    // The chosen filters stay in the form; a date alone shows as the field's own form.
    let page = open_ok(
        &mut browser,
        "/console/events?status=failed&until=2025-04-01",
    )
    .await;
    page.assert_has("<option value=\"failed\" selected>失敗</option>");
    page.assert_has("value=\"2025-04-02T00:00\"");
    page.assert_has("<a href=\"/console/events\">条件をクリア</a>");

    // The home page's counters open the log filtered the same way.
    let home = open_ok(&mut browser, "/console").await;
    home.assert_has("href=\"/console/events?status=failed\"");
    for status in ["failed", "delivered", "pending"] {
        open_ok(&mut browser, &format!("/console/events?status={status}")).await;
    }

    browser.accept_language = "en".into();
    let en = open_ok(&mut browser, "/console/events?status=failed").await;
    en.assert_has("<h1>Delivery log</h1>");
    en.assert_has("<li class=\"badge badge-failed\">Failed 1</li>");
    en.assert_has("Matching events");
}

async fn bad_filters_are_said_next_to_the_field(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let mut browser = Browser::signed_in(&app).await;
    let page = browser
        .open("/console/events?since=yesterday&member=yamada")
        .await;
    assert_eq!(
        page.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        page.html
    );
    page.assert_has("<p class=\"field-error\" id=\"since-error\">日時は 2025-04-01T09:00 の形式で入力してください。</p>");
    page.assert_has("<a href=\"#since\">");
    page.assert_has("aria-describedby=\"since-hint since-error\" aria-invalid=\"true\"");
    page.assert_has("value=\"yamada\"");

    let page = browser
        .open("/console/events?since=2025-04-02T00:00&until=2025-04-01T00:00")
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    page.assert_has("終了日時は開始日時より後にしてください。");

    // A value the select does not offer, typed into the address: the API's refusal.
    let page = browser.open("/console/events?tool=fax").await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    page.assert_has(
        "<p class=\"field-error\" id=\"tool-error\">ツールは一覧から選んでください。</p>",
    );
    page.assert_has("<option value=\"fax\" selected>fax</option>");
}

/// Past one page, the "older" link keeps the filters and the next page goes on from there.
async fn older_pages_keep_the_filters(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let events: Vec<Value> = (0..55)
        .map(|i| json!({"type": "page.test", "to": {"clients": ["nobody"]}, "title": format!("event {i}")}))
        .collect();
    let (s, v) = app
        .post("/api/v1/events/batch", json!({"events": events}))
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    app.send(json!({"type": "other", "to": {"clients": ["nobody"]}, "title": "other"}))
        .await;

    let mut browser = Browser::signed_in(&app).await;
    let first = open_ok(&mut browser, "/console/events?type=page.test").await;
    let ids = listed(&first);
    assert_eq!(ids.len(), 50);
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "newest first: {ids:?}");
    first.assert_has("送信せず 1");
    let older = format!("/console/events?type=page.test&#38;before={}", ids[49]);
    first.assert_has(&format!("<a href=\"{older}\">さらに古い通知を表示</a>"));
    let second = open_ok(&mut browser, &older.replace("&#38;", "&")).await;
    let rest = listed(&second);
    assert_eq!(rest.len(), 5);
    assert!(rest[0] < ids[49]);
    second.assert_has("これより古い通知はありません");
    second.assert_has("<a href=\"/console/events?type=page.test\">最新の通知に戻る</a>");
}

async fn an_event_shows_each_delivery_with_its_route_attempts_and_views(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    office_world(&app).await;
    let (s, _) = app
        .put("/api/v1/settings", json!({"confirmation_link_ttl_days": 7}))
        .await;
    assert_eq!(s, StatusCode::OK);
    let id = app
        .send(json!({"type": "notice", "to": {"clients": ["acme"], "members": ["yamada"]},
            "title": "書類のご確認", "body": "<b>至急</b> ご確認ください", "url": "https://drive.example/f/1"}))
        .await;
    let ev = app.settled(id).await;
    // A person opens the link in the Acme room once.
    let link = link_in(&app.fake().messages(5001)[0].body);
    let opened = reqwest::Client::new()
        .get(&link)
        .header(
            "user-agent",
            "Mozilla/5.0 (X11; Linux x86_64) Firefox/125.0",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(opened.status(), StatusCode::OK);

    let mut browser = Browser::signed_in(&app).await;
    let page = open_ok(&mut browser, &format!("/console/events/{id}")).await;
    let text = text_of(&page);
    page.assert_has("<h1>書類のご確認</h1>");
    page.assert_has("&#60;b&#62;至急&#60;/b&#62;"); // the body is text, never markup
    assert!(text.contains("顧問先: acme／メンバー: yamada"), "{text}");
    page.assert_has("確認リンクの有効期限");
    page.assert_has("送信先 2 件");
    assert!(
        text.contains("顧問先 acme 自身の Chatwork 連携はないため、事務所の連携 #1 から顧問先のルーム 5001 へ"),
        "{text}"
    );
    for d in ev["deliveries"].as_array().unwrap() {
        let did = d["id"].as_i64().unwrap();
        page.assert_has(&format!("id=\"delivery-{did}\""));
        for reason in d["route"].as_array().unwrap() {
            super::preview::assert_said_in_japanese(reason.as_str().unwrap(), &text);
        }
        assert_eq!(d["status"], "delivered", "{ev:#}");
    }
    page.assert_has("Chatwork · ルーム 5001");
    page.assert_has("Chatwork · ルーム 5002");
    page.assert_has("山田 (30)");
    page.assert_has("<td>200</td>");
    page.assert_has("ミリ秒");
    page.assert_has("顧問先 acme");
    page.assert_has("まだ確認されていません");
    page.assert_has("1 回");
    page.assert_has("Firefox/125.0");
    assert!(
        !page.html.contains("/resend\""),
        "nothing to resend: {}",
        page.html
    );

    browser.accept_language = "en".into();
    let en = open_ok(&mut browser, &format!("/console/events/{id}")).await;
    en.assert_has("2 deliveries");
    en.assert_has("Why it went there");
    en.assert_has("Chatwork · Room 5001");
    en.assert_has("once");

    // Someone else's event, or no such event: the same 404.
    let (mut other, _) = other_tenant(&app).await;
    for path in [
        format!("/console/events/{id}"),
        "/console/events/999999".into(),
        "/console/events/abc".into(),
    ] {
        let page = other.open(&path).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{path}: {}", page.html);
        page.assert_has("指定された通知は見つかりません");
    }
    let theirs = open_ok(&mut other, "/console/events").await;
    assert!(listed(&theirs).is_empty(), "{}", theirs.html);
}

/// An event to many deliveries is read a page of deliveries at a time.
async fn a_big_event_pages_its_deliveries(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let clients: Vec<String> = (0..60).map(|i| format!("c{i:02}")).collect();
    let id = app
        .send(json!({"type": "notice", "to": {"clients": clients}, "title": "many"}))
        .await;
    let mut browser = Browser::signed_in(&app).await;
    let first = open_ok(&mut browser, &format!("/console/events/{id}")).await;
    first.assert_has("送信先 60 件");
    assert_eq!(first.html.matches("<tr id=\"delivery-").count(), 50);
    first.assert_has("送信しなかった宛先（50 件）");
    first.assert_has("この ID の顧問先は登録されていません");
    let next = first
        .html
        .split(&format!("href=\"/console/events/{id}?after="))
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap_or_else(|| panic!("no next page link: {}", first.html))
        .to_string();
    let second = open_ok(&mut browser, &format!("/console/events/{id}?after={next}")).await;
    assert_eq!(second.html.matches("<tr id=\"delivery-").count(), 10);
    second.assert_has("最初の送信先に戻る");
}

/// The counts on an event's page pick one status: the API's `status` filter (paging keeps to
/// it) and the page's links narrowing the deliveries shown.
async fn an_event_shows_only_the_deliveries_of_one_status(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    office_world(&app).await;
    app.fake().add_room(6002, "locked too", &[(77, "admin")]);
    let body = json!({"name": "locked2", "rooms": {"chatwork": "6002"}});
    put_ok(&app, "/api/v1/clients/locked2", body).await;
    let id = app
        .send(json!({"type": "notice", "to": {"clients": ["acme", "locked", "locked2", "ghost"]}, "title": "four"}))
        .await;
    let ev = app.settled(id).await;
    let by_status = |status: &str| -> Vec<i64> {
        ev["deliveries"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["status"] == status)
            .map(|d| d["id"].as_i64().unwrap())
            .collect()
    };
    let failed = by_status("failed");
    let delivered = by_status("delivered");
    assert_eq!((failed.len(), delivered.len()), (2, 1), "{ev:#}");

    // The API: only failed ones, a page of one at a time; the counts still cover all.
    let (s, first) = app
        .get(&format!("/api/v1/events/{id}?status=failed&limit=1"))
        .await;
    assert_eq!(s, StatusCode::OK, "{first}");
    assert_eq!(first["deliveries_total"], 4);
    assert_eq!(first["delivery_counts"]["delivered"], 1);
    assert_eq!(first["deliveries"][0]["id"], failed[0]);
    let after = first["next_deliveries_after"]
        .as_i64()
        .expect("a next page");
    let (_, second) = app
        .get(&format!(
            "/api/v1/events/{id}?status=failed&limit=1&after={after}"
        ))
        .await;
    assert_eq!(
        second["deliveries"].as_array().unwrap().len(),
        1,
        "{second}"
    );
    assert_eq!(second["deliveries"][0]["id"], failed[1]);
    assert_eq!(second["next_deliveries_after"], Value::Null);
    let (_, only_delivered) = app
        .get(&format!("/api/v1/events/{id}?status=delivered"))
        .await;
    assert_eq!(only_delivered["deliveries"][0]["id"], delivered[0]);
    assert_eq!(only_delivered["deliveries"].as_array().unwrap().len(), 1);
    let (s, bad) = app.get(&format!("/api/v1/events/{id}?status=lost")).await;
    assert_eq!(
        (s, bad["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_status")),
        "{bad}"
    );

    // The page: each count links to only those deliveries.
    let mut browser = Browser::signed_in(&app).await;
    let all = open_ok(&mut browser, &format!("/console/events/{id}")).await;
    all.assert_has(&format!(
        "href=\"/console/events/{id}?status=failed\">失敗 2</a>"
    ));
    let only = open_ok(&mut browser, &format!("/console/events/{id}?status=failed")).await;
    only.assert_has("送信結果が「失敗」の送信先だけを表示しています。");
    only.assert_has(&format!(
        "href=\"/console/events/{id}\">すべての送信先を表示"
    ));
    only.assert_has("aria-current=\"true\">失敗 2</a>");
    for f in &failed {
        only.assert_has(&format!("id=\"delivery-{f}\""));
    }
    assert!(
        !only
            .html
            .contains(&format!("id=\"delivery-{}\"", delivered[0])),
        "a delivered one is shown under failed"
    );
    let edited = browser
        .open(&format!("/console/events/{id}?status=lost"))
        .await;
    assert!(edited.status.is_redirection(), "{}", edited.status);
    assert_eq!(
        edited.location(),
        Some(format!("/console/events/{id}").as_str())
    );
}

crate::on_both_backends!(
    the_log_lists_newest_first_and_each_filter_narrows,
    bad_filters_are_said_next_to_the_field,
    older_pages_keep_the_filters,
    an_event_shows_each_delivery_with_its_route_attempts_and_views,
    a_big_event_pages_its_deliveries,
    an_event_shows_only_the_deliveries_of_one_status,
);
