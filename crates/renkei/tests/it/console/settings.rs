//! The settings page: link lifetime, time zone and default language, through the API's
//! own checks.

use reqwest::StatusCode;

use super::browser::Browser;
use crate::helpers::{Backend, TestApp};

async fn settings_are_saved_and_bad_values_are_shown_on_the_form(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let mut browser = Browser::signed_in(&app).await;
    let page = browser.open("/console/settings").await;
    assert_eq!(page.status, StatusCode::OK);
    page.assert_has("確認リンクの有効期限");
    page.assert_has("id=\"link-ttl-0\" value=\"\" checked");

    let saved = browser
        .submit(
            "/console/settings",
            "/console/settings",
            &[
                ("link_ttl_days", "7"),
                ("time_zone", "Europe/London"),
                ("language", "en"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.html);
    let (_, api) = app.get("/api/v1/settings").await;
    assert_eq!(api["confirmation_link_ttl_days"], 7);
    assert_eq!(api["time_zone"], "Europe/London");
    assert_eq!(api["language"], "en");
    let after = browser.open(saved.location().unwrap()).await;
    after.assert_has("保存しました");
    after.assert_has("Europe/London");
    after.assert_has("id=\"link-ttl-3\" value=\"7\" checked");

    // A browser that names neither language gets the tenant's default, now English.
    browser.accept_language = "fr".into();
    browser
        .open("/console/settings")
        .await
        .assert_has("Confirmation link lifetime");
    browser.accept_language = "ja".into();

    let refused = browser
        .submit(
            "/console/settings",
            "/console/settings",
            &[
                ("link_ttl_days", "7"),
                ("time_zone", "Asia/Tokio"),
                ("language", "ja"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    refused.assert_has("タイムゾーンが見つかりません");
    refused.assert_has("href=\"#time-zone\"");
    refused.assert_has("value=\"Asia/Tokio\"");
    let (_, api) = app.get("/api/v1/settings").await;
    assert_eq!(api["time_zone"], "Europe/London", "nothing changed");

    let forged = browser
        .post_raw("/console/settings", &[("link_ttl_days", "1")])
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let audit = browser.open("/console/audit").await;
    audit.assert_has("settings.update");
}

crate::on_both_backends!(settings_are_saved_and_bad_values_are_shown_on_the_form);
