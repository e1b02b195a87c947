//! Which notices reach the member where (scenarios 15, 19): the tenant's event types × the
//! member's tools, saved as the member's preferences; a tool the administrator switched off
//! is shown off and locked; the next event skips the tool with the reason, and the member's
//! latest notices say so.

use reqwest::StatusCode;
use serde_json::json;

use super::{audited, member_browser, put_member};
use crate::helpers::{Backend, TestApp};

/// The event's delivery for the member through Slack.
fn slack_delivery(ev: &serde_json::Value) -> serde_json::Value {
    ev["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["target"] == "member:yamada" && d["provider"] == "slack")
        .unwrap_or_else(|| panic!("no Slack delivery for yamada: {ev:#}"))
        .clone()
}

async fn the_matrix_saves_the_members_choices(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    put_member(&app, "yamada", "山田太郎").await;
    put_member(&app, "sato", "佐藤花子").await;
    for (key, name, defaults) in [
        ("post.mentioned", "自分宛ての投稿", json!({})),
        (
            "survey.reminder",
            "アンケートの催促",
            json!({"slack": false}),
        ),
    ] {
        let (s, b) = app
            .put(
                &format!("/api/v1/event-types/{key}"),
                json!({"name": name, "delivery": "direct", "defaults": defaults}),
            )
            .await;
        assert!(s.is_success(), "{b}");
    }
    let slack = &app.fakes.slack.fake;
    slack.add_channel("C0SELF0001", "yamada-notify", &[]);
    let hook = slack.add_webhook("T0000FAKE1/B0SELF0002/selfwebhooksecret1111", "C0SELF0001");
    let mut browser = member_browser(&app, "yamada").await;

    // No tool yet: nothing to choose.
    browser
        .open("/me")
        .await
        .assert_has("通知を受け取れるツールがまだありません");
    let saved = browser
        .submit(
            "/me",
            "/me/tools/slack",
            &[
                ("secret", &app.fakes.slack.webhook_url(&hook)),
                ("identity", ""),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.html);

    let page = browser.open("/me").await;
    page.assert_has("どの通知をどのツールで受け取るか");
    page.assert_has(
        "name=\"on\" value=\"post.mentioned|slack\" aria-label=\"自分宛ての投稿 を Slack で受け取る\" checked",
    );
    // Switched off by the administrator: shown off, not changeable, not sent by the form.
    page.assert_has("管理者がオフ");
    assert!(!page.html.contains("value=\"survey.reminder|slack\""));

    // Without the CSRF token: refused.
    let forged = browser
        .post_raw("/me/preferences", &[("cell", "post.mentioned|slack")])
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);

    // Slack off for mentions.
    let saved = browser
        .submit(
            "/me",
            "/me/preferences",
            &[("cell", "post.mentioned|slack")],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.html);
    assert_eq!(
        saved.location(),
        Some("/me?flash=preferences-saved&saved=preferences#notices")
    );
    let (_, prefs) = app.get("/api/v1/members/yamada/preferences").await;
    assert_eq!(prefs, json!({"post.mentioned": {"slack": false}}));
    let (_, theirs) = app.get("/api/v1/members/sato/preferences").await;
    assert_eq!(theirs, json!({}), "another member's choices are untouched");
    let page = browser.open(saved.location().unwrap()).await;
    page.assert_has("通知の受け取り方を保存しました");
    assert!(!page.html.contains(
        "value=\"post.mentioned|slack\" aria-label=\"自分宛ての投稿 を Slack で受け取る\" checked"
    ));
    page.assert_has("管理者の設定に戻す");
    assert!(audited(&app, "member: yamada", "preferences.update").await);

    // The next event skips Slack, with the reason.
    let id = app
        .send(json!({"type": "post.mentioned", "to": {"members": ["yamada"]}, "title": "工程に投稿がありました"}))
        .await;
    let ev = app.settled(id).await;
    let d = slack_delivery(&ev);
    assert_eq!(d["status"], "skipped", "{ev:#}");
    assert_eq!(d["reason_code"], "preference_off");
    assert!(slack.messages("C0SELF0001").is_empty());
    let page = browser.open("/me").await;
    page.assert_has("工程に投稿がありました");
    page.assert_has("この通知はこのツールで受け取らない設定です");

    // Back to the administrator's settings.
    let reset = browser
        .submit(
            "/me",
            "/me/preferences",
            &[("cell", "post.mentioned|slack"), ("reset", "1")],
        )
        .await;
    assert_eq!(reset.status, StatusCode::SEE_OTHER);
    let (_, prefs) = app.get("/api/v1/members/yamada/preferences").await;
    assert_eq!(prefs, json!({}));
    let id = app
        .send(json!({"type": "post.mentioned", "to": {"members": ["yamada"]}, "title": "二通目"}))
        .await;
    let ev = app.settled(id).await;
    assert_eq!(slack_delivery(&ev)["status"], "delivered", "{ev:#}");
    let page = browser.open("/me").await;
    page.assert_has("二通目");
    page.assert_has("届きました");
}

crate::on_both_backends!(the_matrix_saves_the_members_choices);
