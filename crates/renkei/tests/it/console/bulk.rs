//! Bulk send pages (Cells Drive L1B): pick rooms, send, watch progress to 100 %, cancel.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;
use sqlx::Executor;

use super::browser::{console_link, Browser, Page};
use crate::helpers::{eventually, Backend, TestApp};

/// A browser signed in to a second tenant's console, and that tenant's API key.
pub(super) async fn other_tenant(app: &TestApp) -> (Browser, String) {
    let (_, key) = app
        .node()
        .store
        .create_tenant("Other office")
        .await
        .unwrap();
    let mut browser = Browser::new(app);
    let entered = browser.open(&console_link(app, &key).await).await;
    assert_eq!(entered.status, StatusCode::SEE_OTHER, "{}", entered.html);
    (browser, key)
}

/// The page's text with the HTML escapes undone, to look for text as typed.
pub(super) fn text_of(page: &Page) -> String {
    page.html
        .replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&#60;", "<")
        .replace("&gt;", ">")
        .replace("&#62;", ">")
        .replace("&#38;", "&")
        .replace("&amp;", "&")
}

/// The office's Chatwork connection, in four rooms named 顧問先 4000..4003.
async fn office_in_four_rooms(app: &TestApp) -> i64 {
    app.fake().add_account("office", 10, "事務所");
    for r in 4000..4004 {
        app.fake()
            .add_room(r, &format!("顧問先 {r}"), &[(10, "admin")]);
    }
    let conn = app
        .connect("office", 10, json!({"tenant": true}), None)
        .await;
    conn["id"].as_i64().unwrap()
}

async fn audit_page(browser: &mut Browser) -> String {
    let page = browser.open("/console/audit").await;
    assert_eq!(page.status, StatusCode::OK);
    page.html
}

async fn three_rooms_reach_100_percent(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let conn = office_in_four_rooms(&app).await;
    let mut browser = Browser::signed_in(&app).await;
    let form = browser.open("/console/bulk-sends/new").await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.html);
    form.assert_has("顧問先 4003");
    form.assert_has("name=\"rooms\" value=\"4001\"");
    form.assert_has("data-filter=\"#room-list\"");
    form.assert_has("data-check-all=\"#room-list\"");

    let conn_field = conn.to_string();
    let sent = browser
        .submit(
            "/console/bulk-sends/new",
            "/console/bulk-sends",
            &[
                ("connection", conn_field.as_str()),
                ("rooms", "4000"),
                ("rooms", "4001"),
                ("rooms", "4002"),
                ("title", "年末調整のお知らせ"),
                ("body", "書類をお送りください"),
            ],
        )
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.html);
    let at = sent.location().unwrap().to_string();
    let id: i64 = at
        .strip_prefix("/console/bulk-sends/")
        .unwrap()
        .parse()
        .unwrap();

    let fragment = format!("/console/bulk-sends/{id}/progress");
    let mut last = String::new();
    eventually(Duration::from_secs(20), "progress at 100 %", async || {
        let box_ = browser.open(&fragment).await;
        assert_eq!(box_.status, StatusCode::OK, "{}", box_.html);
        last = box_.html;
        last.contains("data-done=\"true\"")
    })
    .await;
    assert!(last.trim_start().starts_with("<section"), "{last}");
    assert!(!last.contains("<html"), "a fragment, not a page: {last}");
    assert!(last.contains("100% 完了"), "{last}");
    assert!(last.contains("3/3"), "{last}");
    assert_eq!(last.matches("送信済み").count(), 4, "{last}"); // 3 rooms + the total
    for r in 4000..4003 {
        let posted = app.fake().messages(r);
        assert_eq!(posted.len(), 1, "room {r}");
        assert!(posted[0].body.contains("書類をお送りください"));
        assert!(last.contains(&format!("顧問先 {r}")), "names shown: {last}");
    }
    assert!(
        app.fake().messages(4003).is_empty(),
        "an unticked room got it"
    );

    let page = browser.open(&at).await;
    assert_eq!(page.status, StatusCode::OK);
    page.assert_has("年末調整のお知らせ");
    assert!(
        !page.html.contains("http-equiv=\"refresh\""),
        "a finished send stops reloading"
    );
    assert!(!page.html.contains("/cancel"), "nothing left to cancel");
    browser.accept_language = "en".into();
    let en = browser.open(&at).await;
    en.assert_has("100% done");
    en.assert_has(">Sent<");
    assert!(audit_page(&mut browser).await.contains("bulk_send.create"));
}

async fn a_waiting_send_shows_the_rate_limit_and_can_be_cancelled(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let conn = office_in_four_rooms(&app).await;
    // The token's limit was reached (as a 429 would record it): the lane holds every send.
    let until = renkei_store::now_ms() + 3_600_000;
    app.raw_pool()
        .await
        .execute(
            format!("UPDATE connections SET paused_until = {until} WHERE id = {conn}").as_str(),
        )
        .await
        .unwrap();
    let mut browser = Browser::signed_in(&app).await;
    let conn_field = conn.to_string();
    let sent = browser
        .submit(
            "/console/bulk-sends/new",
            "/console/bulk-sends",
            &[
                ("connection", conn_field.as_str()),
                ("rooms", "4000"),
                ("rooms", "4001"),
                ("body", "お知らせ"),
            ],
        )
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.html);
    let at = sent.location().unwrap().to_string();
    let id = at.rsplit('/').next().unwrap().to_string();

    let page = browser.open(&at).await;
    assert_eq!(page.status, StatusCode::OK);
    page.assert_has("data-done=\"false\"");
    page.assert_has("<noscript><meta http-equiv=\"refresh\" content=\"3\"></noscript>");
    page.assert_has("送信制限の解除待ち");
    page.assert_has("まで送信を控えています");
    page.assert_has("0% 完了");
    let (status, api) = app.get(&format!("/api/v1/bulk-sends/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(api["paused_until"], json!(until), "{api}");
    assert_eq!(api["connection_id"], json!(conn), "{api}");

    let cancel = format!("/console/bulk-sends/{id}/cancel");
    let refused = browser.post_raw(&cancel, &[]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.get(&format!("/api/v1/bulk-sends/{id}")).await.1["pending"],
        2
    );

    let done = browser.submit(&at, &cancel, &[]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.html);
    assert_eq!(
        done.location(),
        Some(format!("/console/bulk-sends/{id}?flash=bulk-cancelled").as_str())
    );
    let after = browser.open(done.location().unwrap()).await;
    after.assert_has("残りのルームへの送信を取り消しました");
    after.assert_has("data-done=\"true\"");
    assert_eq!(
        after.html.matches(">取り消し<").count(),
        2,
        "{}",
        after.html
    );
    let (_, api) = app.get(&format!("/api/v1/bulk-sends/{id}")).await;
    assert_eq!(
        (api["cancelled"].as_i64(), api["done"].as_bool()),
        (Some(2), Some(true))
    );
    assert!(app.fake().all_messages().is_empty());
    assert!(audit_page(&mut browser).await.contains("bulk_send.cancel"));
}

/// A room Chatwork answered 429 for waits out its window; the page and the API say so.
async fn a_room_that_hit_its_limit_says_so(backend: Backend) {
    // Real windows: the room rests its full 10 s, long enough to look at.
    let Some(app) = TestApp::spawn_with(backend, |s| s.rate_window_scale = 1.0).await else {
        return;
    };
    let conn = office_in_four_rooms(&app).await;
    // Only the post meets the 429, whatever else asks the fake meanwhile.
    app.fake().fail_next_on("/rooms/4000/messages", 1, 429);
    let (_, started) = app
        .post(
            "/api/v1/bulk-sends",
            json!({"connection_id": conn, "rooms": ["4000"], "body": "x"}),
        )
        .await;
    let id = started["id"].as_i64().unwrap();
    let mut room = serde_json::Value::Null;
    eventually(Duration::from_secs(10), "the room waits", async || {
        room = app.get(&format!("/api/v1/bulk-sends/{id}")).await.1["rooms"][0].clone();
        room["attempts"] == 1
    })
    .await;
    assert_eq!(room["status"], "pending", "{room}");
    assert_eq!(room["reason_code"], "room_rate_limited", "{room}");
    assert!(room["next_attempt_at"].as_i64().unwrap() > renkei_store::now_ms());

    let mut browser = Browser::signed_in(&app).await;
    let page = browser.open(&format!("/console/bulk-sends/{id}")).await;
    page.assert_has("送信制限の解除待ち");
    page.assert_has("頃に送信します");
    let (_, doc) = app.get("/api/openapi.json").await;
    let schemas = &doc["components"]["schemas"];
    for (schema, field) in [
        ("RoomProgress", "reason_code"),
        ("RoomProgress", "next_attempt_at"),
        ("BulkSendProgress", "connection_id"),
        ("BulkSendProgress", "paused_until"),
    ] {
        let about = &schemas[schema]["properties"][field]["description"];
        assert!(about.is_string(), "{schema}.{field} is not documented");
    }
    browser
        .submit(
            &format!("/console/bulk-sends/{id}"),
            &format!("/console/bulk-sends/{id}/cancel"),
            &[],
        )
        .await;
}

async fn bad_sends_say_why_and_other_tenants_see_nothing(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let conn = office_in_four_rooms(&app).await;
    let conn_field = conn.to_string();
    let mut browser = Browser::signed_in(&app).await;
    let form = "/console/bulk-sends/new";
    let none = browser
        .submit(
            form,
            "/console/bulk-sends",
            &[("connection", conn_field.as_str()), ("body", "本文は残る")],
        )
        .await;
    assert_eq!(
        none.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        none.html
    );
    none.assert_has("送信するルームを 1 つ以上選んでください");
    none.assert_has("href=\"#rooms\"");
    none.assert_has(">本文は残る</textarea>");
    none.assert_has("顧問先 4000");
    let empty = browser
        .submit(
            form,
            "/console/bulk-sends",
            &[("connection", conn_field.as_str()), ("rooms", "4001")],
        )
        .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    empty.assert_has("本文を入力してください");
    empty.assert_has("value=\"4001\" checked");

    let no_csrf = browser
        .post_raw(
            "/console/bulk-sends",
            &[
                ("connection", conn_field.as_str()),
                ("rooms", "4000"),
                ("body", "x"),
            ],
        )
        .await;
    assert_eq!(no_csrf.status, StatusCode::FORBIDDEN);
    assert!(!audit_page(&mut browser).await.contains("bulk_send.create"));

    let (_, started) = app
        .post(
            "/api/v1/bulk-sends",
            json!({"connection_id": conn, "rooms": ["4000"], "body": "x"}),
        )
        .await;
    let id = started["id"].as_i64().unwrap();
    let (mut other, _) = other_tenant(&app).await;
    for path in [
        format!("/console/bulk-sends/{id}"),
        format!("/console/bulk-sends/{id}/progress"),
        format!("/console/bulk-sends/new?connection={conn}"),
        "/console/bulk-sends/abc".to_string(),
    ] {
        let page = other.open(&path).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{path}: {}", page.html);
    }
    let theirs = other.open("/console/bulk-sends/new").await;
    assert_eq!(theirs.status, StatusCode::OK);
    theirs.assert_has("Chatwork との連携が必要です");
    assert!(!theirs.html.contains("顧問先 4000"));
    let cancel = other
        .submit(
            "/console/bulk-sends/new",
            &format!("/console/bulk-sends/{id}/cancel"),
            &[],
        )
        .await;
    assert_eq!(cancel.status, StatusCode::NOT_FOUND);
    let foreign = other
        .submit(
            "/console/bulk-sends/new",
            "/console/bulk-sends",
            &[
                ("connection", conn_field.as_str()),
                ("rooms", "4002"),
                ("body", "x"),
            ],
        )
        .await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND);
    eventually(
        Duration::from_secs(20),
        "the owner's send done",
        async || app.get(&format!("/api/v1/bulk-sends/{id}")).await.1["delivered"] == 1,
    )
    .await;
    assert!(app.fake().messages(4002).is_empty());
}

crate::on_both_backends!(
    three_rooms_reach_100_percent,
    a_waiting_send_shows_the_rate_limit_and_can_be_cancelled,
    a_room_that_hit_its_limit_says_so,
    bad_sends_say_why_and_other_tenants_see_nothing,
);
