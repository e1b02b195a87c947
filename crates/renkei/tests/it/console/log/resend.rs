//! Sending failed deliveries again from the log: one from its event's page, or every failed
//! one of a connection since a time; refusals say to fix the connection first.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};
use sqlx::Executor;

use super::{listed, office_world};
use crate::console::browser::Browser;
use crate::console::bulk::{other_tenant, text_of};
use crate::helpers::{delivery_for, eventually, Backend, TestApp};

/// The office joins room 6001: posts there are accepted from now on.
fn unlock_room(app: &TestApp) {
    app.fake()
        .add_room(6001, "unlocked", &[(77, "admin"), (10, "member")]);
}

/// An event for client locked, settled: its one delivery failed (Chatwork answered 403).
async fn failed_event(app: &TestApp, title: &str) -> (i64, Value) {
    let id = app
        .send(json!({"type": "notice", "to": {"clients": ["locked"]}, "title": title}))
        .await;
    let ev = app.settled(id).await;
    let d = delivery_for(&ev, "client:locked");
    assert_eq!(d["reason_code"], "destination_refused", "{ev:#}");
    (id, d)
}

async fn delivery_status(app: &TestApp, event: i64) -> String {
    let ev = app.get(&format!("/api/v1/events/{event}")).await.1;
    delivery_for(&ev, "client:locked")["status"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn audit_has(browser: &mut Browser, action: &str) -> bool {
    browser.open("/console/audit").await.html.contains(action)
}

async fn a_failed_delivery_is_resent_from_its_page(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    office_world(&app).await;
    let (id, d) = failed_event(&app, "届かなかった通知").await;
    let did = d["id"].as_i64().unwrap();
    let event_page = format!("/console/events/{id}");
    let action = format!("/console/deliveries/{did}/resend");

    let mut browser = Browser::signed_in(&app).await;
    let page = browser.open(&event_page).await;
    assert_eq!(page.status, StatusCode::OK);
    page.assert_has("<span class=\"badge badge-failed\">失敗</span> 相手先がこの送信先への投稿を受け付けませんでした");
    page.assert_has("<td>403</td>");
    page.assert_has(&format!("action=\"{action}\""));
    page.assert_has("data-confirm=\"この送信先に通知をもう一度送信します。よろしいですか？\"");
    page.assert_has(&format!("id=\"resend-{did}\""));

    // Without the page's CSRF token nothing happens.
    let forged = browser
        .post_raw(&action, &[("event", &id.to_string())])
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(delivery_status(&app, id).await, "failed");
    // Another tenant's console cannot send it again.
    let (mut other, _) = other_tenant(&app).await;
    let theirs = other
        .submit("/console/events", &action, &[("event", &id.to_string())])
        .await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND, "{}", theirs.html);
    assert_eq!(delivery_status(&app, id).await, "failed");

    unlock_room(&app);
    let sent = browser
        .submit(&event_page, &action, &[("event", &id.to_string())])
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.html);
    let back = sent.location().unwrap().to_string();
    assert_eq!(
        back,
        format!("{event_page}?flash=log-resent#delivery-{did}")
    );
    let page = browser.open(&back).await;
    page.assert_has(
        "<div class=\"flash\" role=\"status\">再送を受け付けました。まもなく送信します。</div>",
    );

    eventually(
        Duration::from_secs(20),
        "the resent notice at the fake",
        async || app.fake().messages(6001).len() == 1,
    )
    .await;
    let mut last = String::new();
    eventually(
        Duration::from_secs(20),
        "the page shows it delivered",
        async || {
            last = browser.open(&event_page).await.html;
            last.contains("<span class=\"badge badge-delivered\">送信済み</span>")
        },
    )
    .await;
    // The refused try stays in the history, before the one that got through.
    let (refused_at, ok_at) = (last.find("<td>403</td>"), last.find("<td>200</td>"));
    assert!(refused_at.is_some() && refused_at < ok_at, "{last}");
    assert!(
        !last.contains(&format!("action=\"{action}\"")),
        "delivered: no button"
    );
    assert!(audit_has(&mut browser, "delivery.resend").await);

    // Pressed again from a page opened before: refused, said at the delivery.
    let again = browser
        .submit("/console/events", &action, &[("event", &id.to_string())])
        .await;
    assert_eq!(
        again.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        again.html
    );
    again.assert_has(&format!("<a href=\"#resend-{did}\">この送信先はすでに送信済みか送信待ちのため、再送しませんでした。</a>"));
    assert_eq!(app.fake().messages(6001).len(), 1);
}

async fn a_broken_connection_must_be_fixed_first(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let conn = office_world(&app).await;
    let (id, d) = failed_event(&app, "接続エラー").await;
    let did = d["id"].as_i64().unwrap();
    app.raw_pool()
        .await
        .execute(
            format!("UPDATE connections SET status = 'broken', status_reason = 'token revoked' WHERE id = {conn}")
                .as_str(),
        )
        .await
        .unwrap();
    let mut browser = Browser::signed_in(&app).await;
    let event_page = format!("/console/events/{id}");
    let page = browser.open(&event_page).await;
    page.assert_has("この連携は接続エラーのため、再送しても届きません。先に連携を直してください。");
    page.assert_has(&format!(
        "<a href=\"/console/connections/{conn}\">連携を開く</a>"
    ));

    let action = format!("/console/deliveries/{did}/resend");
    let refused = browser
        .submit(&event_page, &action, &[("event", &id.to_string())])
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.html
    );
    refused.assert_has(&format!("<p class=\"field-error\" id=\"resend-{did}-error\">連携が接続エラーのため、再送できません。"));
    refused.assert_has(&format!(
        "<a href=\"/console/connections/{conn}\">連携を開く</a></p>"
    ));
    // The language switch comes back to the event page, not to the form's address.
    refused.assert_has(&format!("/lang/en?back=%2Fconsole%2Fevents%2F{id}\""));
    assert_eq!(delivery_status(&app, id).await, "failed");

    // "Resend every failed delivery since" says the same, with the way to the connection.
    let all = browser
        .submit(
            "/console/events/resend-failed",
            "/console/events/resend-failed",
            &[
                ("connection", &conn.to_string()),
                ("since", "2020-01-01T00:00"),
            ],
        )
        .await;
    assert_eq!(all.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", all.html);
    all.assert_has(
        "<p class=\"field-error\" id=\"resend-connection-error\">連携が接続エラーのため",
    );
    all.assert_has(&format!(
        "<a href=\"/console/connections/{conn}\">連携を開く</a>"
    ));
    assert!(!audit_has(&mut browser, "resend").await, "nothing was done");
}

async fn every_failed_delivery_since_a_time_is_resent(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let conn = office_world(&app).await;
    let (old, old_d) = failed_event(&app, "障害の前").await;
    let (first, _) = failed_event(&app, "障害中 1").await;
    let (second, _) = failed_event(&app, "障害中 2").await;
    // The first failure is from 31 March (Tokyo), before the time the admin will type.
    app.raw_pool()
        .await
        .execute(
            format!(
                "UPDATE deliveries SET created_at = {} WHERE id = {}",
                super::APRIL_FIRST_9AM_TOKYO - 86_400_000,
                old_d["id"]
            )
            .as_str(),
        )
        .await
        .unwrap();

    let mut browser = Browser::signed_in(&app).await;
    let log = browser.open("/console/events").await;
    log.assert_has("action=\"/console/events/resend-failed\"");
    log.assert_has(&format!(
        "<option value=\"{conn}\">Chatwork · 事務所（全体） · account 10 (#{conn})</option>"
    ));

    let conn_field = conn.to_string();
    let form = "/console/events/resend-failed";
    // Mistakes come back on the form, with what was typed.
    let bad = browser
        .submit(form, form, &[("connection", ""), ("since", "4月1日")])
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    bad.assert_has("<a href=\"#resend-connection\">再送する連携を選んでください。</a>");
    bad.assert_has(
        "<a href=\"#resend-since\">日時は 2025-04-01T09:00 の形式で入力してください。</a>",
    );
    bad.assert_has("value=\"4月1日\"");
    let forged = browser
        .post_raw(
            form,
            &[("connection", &conn_field), ("since", "2025-04-01T09:00")],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    // Another tenant cannot name this connection.
    let (mut other, _) = other_tenant(&app).await;
    let theirs = other
        .submit(
            form,
            form,
            &[("connection", &conn_field), ("since", "2025-04-01T09:00")],
        )
        .await;
    assert_eq!(theirs.status, StatusCode::UNPROCESSABLE_ENTITY);
    theirs.assert_has("選んだ連携は見つかりません");
    for event in [old, first, second] {
        assert_eq!(delivery_status(&app, event).await, "failed");
    }

    unlock_room(&app);
    let done = browser
        .submit(
            form,
            form,
            &[("connection", &conn_field), ("since", "2025-04-01T09:00")],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.html);
    assert_eq!(done.location(), Some("/console/events?resent=2"));
    let page = browser.open("/console/events?resent=2").await;
    page.assert_has("失敗した通知 2 件の再送を受け付けました。");

    eventually(
        Duration::from_secs(20),
        "both resent notices at the fake",
        async || app.fake().messages(6001).len() == 2,
    )
    .await;
    eventually(Duration::from_secs(20), "both delivered", async || {
        delivery_status(&app, first).await == "delivered"
            && delivery_status(&app, second).await == "delivered"
    })
    .await;
    assert_eq!(
        delivery_status(&app, old).await,
        "failed",
        "before the time typed"
    );
    let failed = browser.open("/console/events?status=failed").await;
    assert_eq!(listed(&failed), [old]);
    let audit = text_of(&browser.open("/console/audit").await);
    assert!(audit.contains("connection.resend_failed"), "{audit}");
    assert!(
        audit.contains("2 failed deliveries created since 2025-04-01T09:00:00+09:00"),
        "{audit}"
    );

    browser.accept_language = "en".into();
    let en = browser.open("/console/events?resent=1").await;
    en.assert_has("One failed delivery was queued to be sent again.");
    let en = browser.open("/console/events/resend-failed").await;
    en.assert_has("<h1>Resend failed deliveries</h1>");
}

crate::on_both_backends!(
    a_failed_delivery_is_resent_from_its_page,
    a_broken_connection_must_be_fixed_first,
    every_failed_delivery_since_a_time_is_resent,
);
