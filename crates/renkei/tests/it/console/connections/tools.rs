//! Connect forms beyond the office's Chatwork token: a client's own token (Cells Drive
//! level 4), a Teams workflow (and a retired connector refused), LINE WORKS and LINE help.

use reqwest::StatusCode;
use serde_json::json;

use super::{connection_id_of, ACCOUNT, TOKEN};
use crate::console::browser::Browser;
use crate::helpers::{Backend, TestApp};

/// A client's own token (Cells Drive level 4) and a Teams workflow, each with its fields;
/// a retired Teams connector URL is refused on the URL field.
async fn other_owners_and_tools_connect(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let (s, _) = app
        .put("/api/v1/clients/acme", json!({"name": "Acme"}))
        .await;
    assert_eq!(s, StatusCode::CREATED);
    app.fake().add_account(TOKEN, ACCOUNT, "Acme 担当");
    let mut browser = Browser::signed_in(&app).await;
    let sent = browser
        .submit(
            "/console/connections/new/chatwork",
            "/console/connections/new/chatwork",
            &[
                ("api_token", TOKEN),
                ("owner", "client"),
                ("owner_id", "acme"),
            ],
        )
        .await;
    let id = connection_id_of(&sent, "conn-connected");
    let (_, conn) = app.get(&format!("/api/v1/connections/{id}")).await;
    assert_eq!(conn["owner"], json!({"client": "acme"}));

    let form = browser.open("/console/connections/new/teams").await;
    form.assert_has("Webhook 要求を受信するとチャネルに投稿する");
    assert!(
        !form.html.contains("name=\"room\""),
        "webhooks fix their channel"
    );
    let retired = browser
        .submit(
            "/console/connections/new/teams",
            "/console/connections/new/teams",
            &[(
                "webhook_url",
                "https://acme.webhook.office.com/webhookb2/abc@def/IncomingWebhook/123/456",
            )],
        )
        .await;
    assert_eq!(
        retired.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        retired.html
    );
    retired.assert_has("id=\"webhook_url-error\"");
    retired.assert_has("廃止された Office 365 コネクタ");
    let url = app
        .fakes
        .teams
        .add_workflow("wf-console", "sig-console-5678");
    let sent = browser
        .submit(
            "/console/connections/new/teams",
            "/console/connections/new/teams",
            &[("webhook_url", &url)],
        )
        .await;
    let id = connection_id_of(&sent, "conn-connected");
    let page = browser.open(&format!("/console/connections/{id}")).await;
    page.assert_has("Microsoft Teams");
    page.assert_has("Webhook を作成したチャンネル");
    assert!(!page.html.contains("sig-console-5678"), "{}", page.html);

    // LINE WORKS explains the API 1.0 names; LINE shows the Login callback URL to register.
    let lw = browser.open("/console/connections/new/line_works").await;
    lw.assert_has("Server List ID");
    lw.assert_has("<textarea id=\"private_key\"");
    let line = browser.open("/console/connections/new/line").await;
    line.assert_has(&app.url("/link/line/callback"));
    assert_eq!(
        browser.open("/console/connections/new/fax").await.status,
        StatusCode::NOT_FOUND
    );
}

crate::on_both_backends!(other_owners_and_tools_connect);
