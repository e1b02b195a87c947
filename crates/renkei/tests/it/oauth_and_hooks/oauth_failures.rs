//! OAuth linking failures (acceptance 11) that end on pages saying what to fix.

use std::time::Duration;

use renkei_fakes::chatwork::Consent;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{statuses, Backend, TestApp};

use super::{
    callback_url, consent, link, oauth_connections, open, query_of, register_client, stored_oauth,
    ADMIN_ACCOUNT, CLIENT_ID, CLIENT_SECRET,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consent_denied_ends_on_a_403_page() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    register_client(&app, CLIENT_SECRET, CLIENT_SECRET).await;
    app.fake().set_oauth_consent(Consent::Deny);
    let (_, location) = consent(&app).await;
    let back = query_of(&location);
    assert_eq!(back["error"], "access_denied");
    let (s, page) = open(&location).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{page}");
    assert!(page.contains("Chatwork と連携できませんでした"), "{page}");
    assert!(page.contains("同意を拒否しました"), "{page}");
    assert!(page.contains("declined the consent"), "{page}");
    assert!(page.contains("許可"), "says what to press: {page}");
    assert!(app.fake().oauth_token_requests().is_empty());
    assert!(oauth_connections(&app).await.is_empty());

    // The admin tries again and allows: linked.
    app.fake().set_oauth_consent(Consent::Approve {
        account_id: ADMIN_ACCOUNT,
    });
    let (_, location) = consent(&app).await;
    let (s, page) = open(&location).await;
    assert_eq!(s, StatusCode::OK, "{page}");
    assert_eq!(oauth_connections(&app).await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_client_secret_ends_on_a_400_page_naming_id_and_secret() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let typo = "hm-secret-TYPO";
    register_client(&app, CLIENT_SECRET, typo).await;
    app.fake().set_oauth_consent(Consent::Approve {
        account_id: ADMIN_ACCOUNT,
    });
    let (_, location) = consent(&app).await;
    let (s, page) = open(&location).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{page}");
    assert!(page.contains("client ID and client secret"), "{page}");
    assert!(
        page.contains("クライアントIDとクライアントシークレット"),
        "{page}"
    );
    assert!(!page.contains(typo), "never shows the secret: {page}");
    let tokens = app.fake().oauth_token_requests();
    assert_eq!(tokens.len(), 1);
    assert_eq!(tokens[0].status, 401);
    assert_eq!(tokens[0].error.as_deref(), Some("invalid_client"));
    assert!(oauth_connections(&app).await.is_empty());

    // Fixing the secret in renkei and linking again works.
    let (s, _) = app
        .put(
            "/api/v1/oauth-clients/chatwork",
            json!({"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (_, location) = consent(&app).await;
    let (s, page) = open(&location).await;
    assert_eq!(s, StatusCode::OK, "{page}");
    assert_eq!(oauth_connections(&app).await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expires_in_as_a_string_still_links_and_delivers() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    app.fake().set_expires_in_as_string(true);
    let conn = link(&app).await;
    let id = conn["id"].as_i64().unwrap();
    let stored = stored_oauth(&app, id).await;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let expires_at = stored["expires_at"].as_i64().unwrap();
    assert!(
        (now + 1_700..=now + 1_900).contains(&expires_at),
        "\"1800\" read as 30 minutes: {expires_at} vs now {now}"
    );
    let ev = app
        .send(json!({"type": "t", "to": {"tenant": true}, "title": "string expiry"}))
        .await;
    assert_eq!(statuses(&app.settled(ev).await), vec!["delivered"]);
    // A refresh answered with a string too.
    app.fake().expire_oauth_access_tokens(ADMIN_ACCOUNT);
    let ev = app
        .send(json!({"type": "t", "to": {"tenant": true}, "title": "after refresh"}))
        .await;
    assert_eq!(statuses(&app.settled(ev).await), vec!["delivered"]);
    assert_eq!(app.fake().oauth_token_requests().len(), 2);
}

/// Callback misuse: no state, an unknown state, an expired code (Chatwork's codes live 1
/// minute; 0.6 s scaled), and a callback with neither code nor error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_callbacks_end_on_400_pages() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    register_client(&app, CLIENT_SECRET, CLIENT_SECRET).await;
    app.fake().set_oauth_consent(Consent::Approve {
        account_id: ADMIN_ACCOUNT,
    });

    let (s, page) = open(&format!("{}?code=abc", callback_url(&app))).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{page}");
    assert!(page.contains("Start linking again"), "{page}");
    let (s, page) = open(&format!(
        "{}?code=abc&state=forged-state",
        callback_url(&app)
    ))
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{page}");
    assert!(page.contains("expired or was already used"), "{page}");

    // The state is good but the code expired before the admin came back.
    let (_, location) = consent(&app).await;
    // The scenario: the admin comes back after the (scaled) code lifetime.
    tokio::time::sleep(Duration::from_millis(900)).await;
    let (s, page) = open(&location).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{page}");
    assert!(page.contains("1 minute"), "{page}");
    let tokens = app.fake().oauth_token_requests();
    assert_eq!(
        tokens.last().unwrap().error.as_deref(),
        Some("invalid_grant")
    );

    // A valid state with no code.
    let (_, location) = consent(&app).await;
    let state = query_of(&location)["state"].clone();
    let (s, page) = open(&format!("{}?state={state}", callback_url(&app))).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{page}");
    assert!(page.contains("no authorization code"), "{page}");
    assert!(oauth_connections(&app).await.is_empty());
}
