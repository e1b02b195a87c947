//! Event type pages: direct / room / both and the link lifetime per type, new types, and the
//! event type × tool matrix that decides which tool carries which notice.

use reqwest::StatusCode;
use serde_json::{json, Value};

use super::browser::Browser;
use super::bulk::other_tenant;
use crate::helpers::{Backend, TestApp};
use renkei_core::model::{DeliveryMode, Provider};
use renkei_store::directory::EventType;

async fn stored_type(app: &TestApp, key: &str) -> Option<EventType> {
    let store = &app.node().store;
    let tenant = store.tenant_by_api_key(&app.key).await.unwrap().unwrap();
    let types = store.event_types(tenant.id).await.unwrap();
    types.into_iter().find(|t| t.key == key)
}

async fn types_are_listed_added_and_edited(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let (s, _) = app
        .put(
            "/api/v1/event-types/visitor.arrived",
            json!({"name": "来訪通知", "delivery": "direct"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let mut browser = Browser::signed_in(&app).await;
    let list = browser.open("/console/event-types").await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.html);
    list.assert_has("来訪通知");
    list.assert_has("<td>ダイレクト</td>");
    list.assert_has("href=\"/console/event-types/visitor.arrived/edit\"");
    browser.accept_language = "en".into();
    browser
        .open("/console/event-types")
        .await
        .assert_has("<td>Direct</td>");
    browser.accept_language = "ja".into();

    let added = browser
        .submit(
            "/console/event-types",
            "/console/event-types",
            &[
                ("key", " survey.reminder "),
                ("name", "サーベイのリマインド"),
                ("delivery", "both"),
                ("ttl", "7"),
            ],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.html);
    let t = stored_type(&app, "survey.reminder").await.expect("created");
    assert_eq!(
        (t.name.as_str(), t.delivery, t.confirmation_link_ttl_days),
        ("サーベイのリマインド", DeliveryMode::Both, Some(7))
    );
    let list = browser.open(added.location().unwrap()).await;
    list.assert_has("通知の種類を追加しました");
    list.assert_has("<td>両方</td>");
    list.assert_has("7日");

    // The matrix's choice for the type survives an edit of its other settings.
    let (s, _) = app
        .put(
            "/api/v1/event-types/survey.reminder",
            json!({"name": "サーベイのリマインド", "delivery": "both", "defaults": {"slack": false}, "confirmation_link_ttl_days": 7}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let edit = "/console/event-types/survey.reminder/edit";
    let form = browser.open(edit).await;
    assert_eq!(form.status, StatusCode::OK);
    form.assert_has("value=\"both\" checked");
    form.assert_has("<option value=\"7\" selected>");
    let saved = browser
        .submit(
            edit,
            edit,
            &[("name", "サーベイ"), ("delivery", "direct"), ("ttl", "")],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.html);
    let t = stored_type(&app, "survey.reminder").await.unwrap();
    assert_eq!(
        (t.name.as_str(), t.delivery, t.confirmation_link_ttl_days),
        ("サーベイ", DeliveryMode::Direct, None)
    );
    assert_eq!(t.defaults.get(&Provider::Slack), Some(&false));
    let audit = browser.open("/console/audit").await;
    audit.assert_has("event_type.create");
    audit.assert_has("event_type.update");
    audit.assert_has("delivery both → direct");
}

async fn bad_values_stay_on_the_form(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.put(
        "/api/v1/event-types/praise",
        json!({"name": "称賛", "delivery": "room"}),
    )
    .await;
    let mut browser = Browser::signed_in(&app).await;
    let list = "/console/event-types";
    let no_name = browser
        .submit(
            list,
            list,
            &[("key", "new.type"), ("name", " "), ("delivery", "room")],
        )
        .await;
    assert_eq!(no_name.status, StatusCode::UNPROCESSABLE_ENTITY);
    no_name.assert_has("表示名を入力してください");
    no_name.assert_has("href=\"#name\"");
    no_name.assert_has("id=\"name-error\"");
    no_name.assert_has("value=\"new.type\"");
    assert!(stored_type(&app, "new.type").await.is_none());

    let taken = browser
        .submit(
            list,
            list,
            &[
                ("key", "praise"),
                ("name", "別の名前"),
                ("delivery", "direct"),
            ],
        )
        .await;
    assert_eq!(taken.status, StatusCode::UNPROCESSABLE_ENTITY);
    taken.assert_has("キー「praise」はすでに登録されています");
    assert_eq!(stored_type(&app, "praise").await.unwrap().name, "称賛");

    let edit = "/console/event-types/praise/edit";
    for (field, value, says) in [
        ("ttl", "5", "有効期間は一覧から選んでください"),
        (
            "delivery",
            "sometimes",
            "送り方を「ルーム」「ダイレクト」「両方」から選んでください",
        ),
    ] {
        let mut fields = vec![("name", "称賛の通知"), ("delivery", "room"), ("ttl", "")];
        fields.retain(|(k, _)| *k != field);
        fields.push((field, value));
        let bad = browser.submit(edit, edit, &fields).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{field}");
        bad.assert_has(says);
        bad.assert_has("value=\"称賛の通知\"");
    }
    assert_eq!(stored_type(&app, "praise").await.unwrap().name, "称賛");

    let no_csrf = browser
        .post_raw(
            list,
            &[("key", "sneaky"), ("name", "x"), ("delivery", "room")],
        )
        .await;
    assert_eq!(no_csrf.status, StatusCode::FORBIDDEN);
    assert!(stored_type(&app, "sneaky").await.is_none());

    assert_eq!(
        browser
            .open("/console/event-types/nothing/edit")
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let (mut other, _) = other_tenant(&app).await;
    assert_eq!(other.open(edit).await.status, StatusCode::NOT_FOUND);
    let theirs = other
        .submit(list, edit, &[("name", "乗っ取り"), ("delivery", "direct")])
        .await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
    assert_eq!(stored_type(&app, "praise").await.unwrap().name, "称賛");
    assert!(!other.open(list).await.html.contains("称賛"));
}

/// Where a notice of `event_type` to the whole office would go, per the API's preview.
async fn preview_statuses(app: &TestApp, event_type: &str) -> Vec<(String, Value)> {
    let (s, p) = app
        .post(
            "/api/v1/route-preview",
            json!({"type": event_type, "to": {"tenant": true}, "title": "t"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{p}");
    p["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["status"].as_str().unwrap().to_string(),
                d["reason_code"].clone(),
            )
        })
        .collect()
}

async fn the_matrix_decides_which_tool_gets_which_notice(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.connect("office", 10, json!({"tenant": true}), None)
        .await;
    for (key, name) in [
        ("workflow.approved", "承認"),
        ("workflow.rejected", "差し戻し"),
    ] {
        app.put(&format!("/api/v1/event-types/{key}"), json!({"name": name}))
            .await;
    }
    let would_send = vec![("would_send".to_string(), Value::Null)];
    assert_eq!(
        preview_statuses(&app, "workflow.approved").await,
        would_send
    );

    let mut browser = Browser::signed_in(&app).await;
    let list = browser.open("/console/event-types").await;
    list.assert_has("<th scope=\"col\">Chatwork");
    list.assert_has("value=\"chatwork:workflow.approved\" checked");
    list.assert_has("aria-label=\"承認: Chatwork\"");
    let matrix = "/console/event-types/matrix";
    let rows = [
        ("tool", "chatwork"),
        ("row", "workflow.approved"),
        ("row", "workflow.rejected"),
    ];
    let mut only_rejected = rows.to_vec();
    only_rejected.push(("on", "chatwork:workflow.rejected"));
    let saved = browser
        .submit("/console/event-types", matrix, &only_rejected)
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.html);
    assert_eq!(
        preview_statuses(&app, "workflow.approved").await,
        vec![("skipped".to_string(), json!("preference_off"))]
    );
    assert_eq!(
        preview_statuses(&app, "workflow.rejected").await,
        would_send
    );
    // A real event of the type is not sent through the switched-off tool either.
    let id = app
        .send(
            json!({"type": "workflow.approved", "to": {"tenant": true}, "title": "承認されました"}),
        )
        .await;
    let ev = app.settled(id).await;
    assert_eq!(ev["deliveries"][0]["status"], "skipped", "{ev:#}");
    assert!(app.fake().all_messages().is_empty());

    let page = browser.open(saved.location().unwrap()).await;
    page.assert_has("ツールごとの設定を保存しました");
    assert!(!page
        .html
        .contains("value=\"chatwork:workflow.approved\" checked"));
    let audit = browser.open("/console/audit").await;
    audit.assert_has("event_type.tools");
    audit.assert_has("Chatwork off");

    let mut both = rows.to_vec();
    both.extend([
        ("on", "chatwork:workflow.approved"),
        ("on", "chatwork:workflow.rejected"),
    ]);
    let back = browser.submit("/console/event-types", matrix, &both).await;
    assert_eq!(back.status, StatusCode::SEE_OTHER);
    assert_eq!(
        preview_statuses(&app, "workflow.approved").await,
        would_send
    );
    assert!(stored_type(&app, "workflow.approved")
        .await
        .unwrap()
        .defaults
        .is_empty());

    let refused = browser.post_raw(matrix, &rows).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(
        preview_statuses(&app, "workflow.rejected").await,
        would_send
    );
    // Another tenant's form names these keys: its own types (none) are all it can change.
    let (mut other, _) = other_tenant(&app).await;
    let foreign = other.submit("/console/event-types", matrix, &rows).await;
    assert_eq!(foreign.status, StatusCode::SEE_OTHER);
    assert_eq!(
        preview_statuses(&app, "workflow.rejected").await,
        would_send
    );
}

crate::on_both_backends!(
    types_are_listed_added_and_edited,
    bad_values_stay_on_the_form,
    the_matrix_decides_which_tool_gets_which_notice,
);
