//! Chatwork OAuth from the console (HiManager): the client registration page shows the
//! redirect URL and the scopes to copy; "link" goes through Chatwork's consent and comes
//! back to the new connection's page.

use renkei_fakes::chatwork::Consent;
use reqwest::StatusCode;

use super::{api_connections, connection_id_of};
use crate::console::browser::Browser;
use crate::helpers::{Backend, TestApp};

const CLIENT_ID: &str = "console-oauth-client";
const CLIENT_SECRET: &str = "console-oauth-secret-51c9";
const ADMIN_ACCOUNT: i64 = 72_001;
const ADMIN_NAME: &str = "人事部 通知";
const PAGE: &str = "/console/connections/oauth/chatwork";

async fn oauth_client_registration_and_consent(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let callback = app.url("/oauth/chatwork/callback");
    let mut browser = Browser::signed_in(&app).await;
    let page = browser.open(PAGE).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    page.assert_has(&format!("<code id=\"redirect-uri\">{callback}</code>"));
    page.assert_has("data-copy=\"#redirect-uri\"");
    for scope in [
        "offline_access",
        "users.profile.me:read",
        "rooms.all:read_write",
        "contacts.all:read_write",
    ] {
        page.assert_has(&format!(">{scope}</code>"));
    }
    page.assert_has("永続的なAPIアクセスの許可");
    page.assert_has("Confidential");
    assert!(
        !page.html.contains("/oauth/chatwork/start"),
        "no consent before a client"
    );

    // Missing secret: said on the form, nothing stored.
    let missing = browser
        .submit(
            PAGE,
            PAGE,
            &[("client_id", CLIENT_ID), ("client_secret", "")],
        )
        .await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
    missing.assert_has("id=\"client_secret-error\"");
    missing.assert_has(&format!("value=\"{CLIENT_ID}\""));
    let bad_scope = browser
        .submit(
            PAGE,
            PAGE,
            &[
                ("client_id", CLIENT_ID),
                ("client_secret", CLIENT_SECRET),
                ("scopes", "rooms.everything"),
            ],
        )
        .await;
    assert_eq!(bad_scope.status, StatusCode::UNPROCESSABLE_ENTITY);
    bad_scope.assert_has("id=\"scopes-error\"");
    assert!(!bad_scope.html.contains(CLIENT_SECRET));

    let saved = browser
        .submit(
            PAGE,
            PAGE,
            &[("client_id", CLIENT_ID), ("client_secret", CLIENT_SECRET)],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.html);
    let page = browser
        .open(&format!("{PAGE}?flash=conn-oauth-client-saved"))
        .await;
    page.assert_has("OAuth クライアントを保存しました");
    page.assert_has("…51c9");
    assert!(!page.html.contains(CLIENT_SECRET));
    page.assert_has("action=\"/console/connections/oauth/chatwork/start\"");

    // The consent round trip: renkei → Chatwork's consent page → the callback → the console.
    app.fake()
        .register_oauth_client(CLIENT_ID, CLIENT_SECRET, &callback, true);
    app.fake()
        .add_account("unused-api-token", ADMIN_ACCOUNT, ADMIN_NAME);
    app.fake().set_oauth_consent(Consent::Approve {
        account_id: ADMIN_ACCOUNT,
    });
    let start = browser
        .submit(
            PAGE,
            "/console/connections/oauth/chatwork/start",
            &[("owner", "tenant")],
        )
        .await;
    assert_eq!(start.status, StatusCode::SEE_OTHER, "{}", start.html);
    let to_chatwork = start.location().unwrap().to_string();
    assert!(
        to_chatwork.starts_with(&app.fake.login_url()),
        "{to_chatwork}"
    );
    let consented = browser.open(&to_chatwork).await;
    assert_eq!(consented.status, StatusCode::FOUND, "{}", consented.html);
    let back = browser.open(consented.location().unwrap()).await;
    let id = connection_id_of(&back, "conn-oauth-linked");
    let conns = api_connections(&app).await;
    assert_eq!(conns.len(), 1, "{conns:#?}");
    assert_eq!(conns[0]["id"], id);
    assert_eq!(conns[0]["kind"], "oauth");
    let linked = browser.open(back.location().unwrap()).await;
    linked.assert_has("Chatwork と連携しました");
    linked.assert_has(ADMIN_NAME);
    linked.assert_has("OAuth 連携");
    let audit = browser.open("/console/audit").await;
    audit.assert_has("connection.create");
    audit.assert_has("oauth_client.put");
    assert!(!audit.html.contains(CLIENT_SECRET));

    // A denied consent ends on a page that leads back to the console.
    app.fake().set_oauth_consent(Consent::Deny);
    let start = browser
        .submit(
            PAGE,
            "/console/connections/oauth/chatwork/start",
            &[("owner", "tenant")],
        )
        .await;
    let denied = browser.open(start.location().unwrap()).await;
    let back = browser.open(denied.location().unwrap()).await;
    assert_eq!(back.status, StatusCode::FORBIDDEN, "{}", back.html);
    back.assert_has("href=\"/console/connections/oauth/chatwork\"");
    assert_eq!(api_connections(&app).await.len(), 1);
}

crate::on_both_backends!(oauth_client_registration_and_consent);
