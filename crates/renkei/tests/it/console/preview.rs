//! Route preview page: where a notice would go, why, and how each tool would show it,
//! with nothing sent.

use reqwest::StatusCode;
use serde_json::json;

use super::browser::Browser;
use super::bulk::{other_tenant, text_of};
use crate::helpers::{Backend, TestApp};

/// The office on Chatwork, group 総務 with its own room, a member in it, a type.
async fn acall_world(app: &TestApp) {
    app.connect("office", 10, json!({"tenant": true}), None)
        .await;
    let puts = [
        (
            "/api/v1/groups/soumu",
            json!({"name": "総務", "rooms": {"chatwork": "https://www.chatwork.com/#!rid555"}}),
        ),
        (
            "/api/v1/members/yamada",
            json!({"name": "山田太郎", "groups": ["soumu"], "identities": {"chatwork": {"account_id": "2001"}}}),
        ),
        (
            "/api/v1/event-types/visitor.arrived",
            json!({"name": "来訪通知", "delivery": "room"}),
        ),
    ];
    for (path, body) in puts {
        let (s, answer) = app.put(path, body).await;
        assert!(s.is_success(), "{path}: {answer}");
    }
}

async fn shows_destinations_reasons_and_the_message(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    acall_world(&app).await;
    let mut browser = Browser::signed_in(&app).await;
    let form = browser.open("/console/preview").await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.html);
    form.assert_has("<option value=\"visitor.arrived\">来訪通知</option>");
    browser.accept_language = "en".into();
    browser
        .open("/console/preview")
        .await
        .assert_has("Preview the route");
    browser.accept_language = "ja".into();

    let fields = [
        ("groups", "soumu"),
        ("members", "ghost, yamada"),
        ("event_type", "visitor.arrived"),
        ("title", "来訪のお知らせ"),
        ("body", "ABC商事の田中様が受付にいらっしゃいました"),
    ];
    let result = browser
        .submit("/console/preview", "/console/preview", &fields)
        .await;
    assert_eq!(result.status, StatusCode::OK, "{}", result.html);
    let text = text_of(&result);
    // The page shows what the API's own preview says, reasons and rendered text included.
    let (s, api) = app
        .post(
            "/api/v1/route-preview",
            json!({"type": "visitor.arrived", "to": {"groups": ["soumu"], "members": ["ghost", "yamada"]},
                   "title": "来訪のお知らせ", "body": "ABC商事の田中様が受付にいらっしゃいました"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{api}");
    let deliveries = api["deliveries"].as_array().unwrap();
    let sends: Vec<_> = deliveries
        .iter()
        .filter(|d| d["status"] == "would_send")
        .collect();
    assert_eq!(sends.len(), 1, "group and member share the room: {api:#}");
    assert!(text.contains("1 か所に送信されます"), "{text}");
    assert!(text.contains("Chatwork · ルーム 555"), "{text}");
    assert!(text.contains("山田太郎 (2001)"), "the mention: {text}");
    for reason in sends[0]["route"].as_array().unwrap() {
        assert_said_in_japanese(reason.as_str().unwrap(), &text);
    }
    assert!(
        text.contains("グループ 総務 の Chatwork ルーム 555 へ、連携 #1 から"),
        "{text}"
    );
    let rendered = sends[0]["rendered"]["message"].as_str().unwrap();
    assert!(rendered.contains("来訪のお知らせ"));
    assert!(
        text.contains(&format!(
            "tabindex=\"0\" aria-label=\"Chatwork での表示\">{rendered}</pre>"
        )),
        "the rendered text in a <pre>: {text}"
    );
    assert!(text.contains("メンバー ghost"));
    assert!(text.contains("この ID のメンバーは登録されていません。"));
    assert!(
        result.html.contains("value=\"ghost, yamada\""),
        "values kept"
    );
    assert!(
        app.fake().all_messages().is_empty(),
        "a preview sends nothing"
    );
}

async fn bad_values_and_tenants(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    acall_world(&app).await;
    let mut browser = Browser::signed_in(&app).await;
    let page = "/console/preview";
    let nobody = browser
        .submit(
            page,
            page,
            &[("event_type", "visitor.arrived"), ("title", "残る件名")],
        )
        .await;
    assert_eq!(nobody.status, StatusCode::UNPROCESSABLE_ENTITY);
    nobody.assert_has("宛先を一つ以上指定してください");
    nobody.assert_has("href=\"#targets\"");
    nobody.assert_has("value=\"残る件名\"");
    let bad_url = browser
        .submit(
            page,
            page,
            &[
                ("tenant", "on"),
                ("event_type", "x"),
                ("title", "t"),
                ("url", "ftp://files"),
            ],
        )
        .await;
    assert_eq!(bad_url.status, StatusCode::UNPROCESSABLE_ENTITY);
    bad_url.assert_has("id=\"url-error\"");
    bad_url.assert_has("http:// または https://");
    let no_csrf = browser
        .post_raw(
            page,
            &[("tenant", "on"), ("event_type", "x"), ("title", "t")],
        )
        .await;
    assert_eq!(no_csrf.status, StatusCode::FORBIDDEN);

    // Another tenant's IDs are unknown to this tenant's preview.
    let (mut other, _) = other_tenant(&app).await;
    let theirs = other
        .submit(
            page,
            page,
            &[
                ("groups", "soumu"),
                ("event_type", "visitor.arrived"),
                ("title", "t"),
            ],
        )
        .await;
    assert_eq!(theirs.status, StatusCode::OK);
    theirs.assert_has("この ID のグループは登録されていません。");
    assert!(!theirs.html.contains("ルーム 555"));
    assert!(
        !theirs.html.contains("来訪通知"),
        "no datalist of another tenant's types"
    );
}

crate::on_both_backends!(
    shows_destinations_reasons_and_the_message,
    bad_values_and_tenants
);

/// A route reason the API gives (English) is shown in Japanese on the page: not as stored,
/// and with its names and numbers.
pub(super) fn assert_said_in_japanese(reason: &str, page_text: &str) {
    let parsed = renkei_core::routing::why::parse(reason)
        .unwrap_or_else(|| panic!("no template reads {reason:?}"));
    assert!(
        !page_text.contains(reason),
        "{reason:?} is shown in English:\n{page_text}"
    );
    for (name, value) in &parsed.values {
        // Tools, group paths and merged reasons are said in the page's own words.
        if !matches!(*name, "provider" | "path" | "target" | "rest") {
            assert!(
                page_text.contains(value.as_str()),
                "{name} {value:?} of {reason:?} not shown:\n{page_text}"
            );
        }
    }
}
