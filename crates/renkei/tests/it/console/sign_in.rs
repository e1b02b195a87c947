//! Getting in: single-use links, sessions, sign-out, CSRF, the pages around the console.

use reqwest::StatusCode;
use serde_json::json;

use super::browser::{console_link, Browser};
use crate::helpers::Backend;
use crate::helpers::TestApp;
use sqlx::Executor;

async fn a_minted_link_opens_the_console_once(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let url = console_link(&app, &app.key).await;
    let mut browser = Browser::new(&app);
    let entered = browser.open(&url).await;
    assert_eq!(entered.status, StatusCode::SEE_OTHER, "{}", entered.html);
    assert_eq!(entered.location(), Some("/console"));
    let cookie = entered.headers["set-cookie"].to_str().unwrap();
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(
        !cookie.contains("Secure"),
        "plain http must not get a Secure cookie: {cookie}"
    );
    let home = browser.open("/console").await;
    assert_eq!(home.status, StatusCode::OK, "{}", home.html);
    home.assert_has("Test office");
    home.assert_has("直近24時間の送信");

    // The same link again, even in the same browser: used.
    let again = Browser::new(&app).open(&url).await;
    assert_eq!(again.status, StatusCode::GONE);
    again.assert_has("このリンクはすでに使われています");
    // An altered link is not known.
    let altered = Browser::new(&app).open(&format!("{url}x")).await;
    assert_eq!(altered.status, StatusCode::NOT_FOUND);
    altered.assert_has("このリンクは見つかりません");
}

async fn an_expired_link_says_so(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let url = console_link(&app, &app.key).await;
    app.raw_pool()
        .await
        .execute("UPDATE web_links SET expires_at = 1")
        .await
        .unwrap();
    let mut browser = Browser::new(&app);
    browser.accept_language = "en-US,en;q=0.9".into();
    let page = browser.open(&url).await;
    assert_eq!(page.status, StatusCode::GONE);
    page.assert_has("This link has expired");
    page.assert_has("lang=\"en\"");
}

async fn sign_out_needs_the_csrf_token_and_ends_the_session(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let mut browser = Browser::signed_in(&app).await;
    let refused = browser.post_raw("/console/sign-out", &[]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    refused.assert_has("再読み込み");
    let forged = browser
        .post_raw("/console/sign-out", &[("_csrf", "not-the-token")])
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(browser.open("/console").await.status, StatusCode::OK);

    let out = browser.submit("/console", "/console/sign-out", &[]).await;
    assert_eq!(out.status, StatusCode::OK, "{}", out.html);
    out.assert_has("ログアウトしました");
    let after = browser.open("/console").await;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED);
    after.assert_has("ログインしていません");
}

async fn a_form_from_another_site_is_refused(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let mut browser = Browser::signed_in(&app).await;
    let csrf = browser.open("/console").await.csrf().unwrap();
    let response = reqwest::Client::new()
        .post(app.url("/console/sign-out"))
        .header("cookie", browser_cookie(&mut browser).await)
        .header("origin", "https://evil.example")
        .form(&[("_csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(browser.open("/console").await.status, StatusCode::OK);
}

/// The session cookie as a header value (signs in a second browser with the same session).
async fn browser_cookie(browser: &mut Browser) -> String {
    browser.cookie_header_for_tests()
}

async fn the_root_page_explains_how_to_get_in(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let mut stranger = Browser::new(&app);
    let root = stranger.open("/").await;
    assert_eq!(root.status, StatusCode::OK);
    root.assert_has("renkei tenant console-link");
    stranger.accept_language = "en".into();
    let root = stranger.open("/").await;
    root.assert_has("Open the console from your product");
    // Signed in, `/` goes to the console.
    let mut admin = Browser::signed_in(&app).await;
    assert_eq!(admin.open("/").await.location(), Some("/console"));
    // The pages forbid inline script and framing.
    let home = admin.open("/console").await;
    let csp = home.headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
}

async fn the_language_switch_is_remembered(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let mut browser = Browser::signed_in(&app).await;
    let home = browser.open("/console").await;
    home.assert_has("lang=\"ja\"");
    // The page's own switch link, as a person would follow it.
    let audit_ja = browser.open("/console/audit").await;
    let href = audit_ja
        .html
        .split("class=\"lang-switch\" href=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a language switch")
        .replace("&amp;", "&");
    let switch = browser.open(&href).await;
    assert_eq!(switch.location(), Some("/console/audit"));
    let audit = browser.open("/console/audit").await;
    audit.assert_has("Audit log");
    audit.assert_has("lang=\"en\"");
    // An outside `back` is not followed.
    let outside = browser.open("/lang/ja?back=%2F%2Fevil.example").await;
    assert_eq!(outside.location(), Some("/"));
}

async fn console_links_check_their_body(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    for (body, code) in [
        (json!({"ttl_seconds": 5}), "invalid_ttl"),
        (
            json!({"return_to": "https://evil.example/"}),
            "invalid_return_to",
        ),
        (json!({"surprise": 1}), "invalid_body"),
    ] {
        let (status, answer) = app.post("/api/v1/console-links", body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
        assert_eq!(answer["error"]["code"], code, "{answer}");
    }
    let (status, answer) = app
        .post(
            "/api/v1/console-links",
            json!({"return_to": "/console/audit", "ttl_seconds": 120}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    let mut browser = Browser::new(&app);
    let entered = browser.open(answer["url"].as_str().unwrap()).await;
    assert_eq!(entered.location(), Some("/console/audit"));
}

async fn api_changes_show_in_the_audit_log_of_their_tenant_only(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let (status, _) = app
        .put("/api/v1/groups/dev", json!({"name": "開発部"}))
        .await;
    assert!(status.is_success());
    let (status, _) = app
        .post(
            "/api/v1/events",
            json!({"type": "t", "to": {"tenant": true}, "title": "x", "body": "y"}),
        )
        .await;
    assert!(status.is_success());
    let mut browser = Browser::signed_in(&app).await;
    let audit = browser.open("/console/audit").await;
    audit.assert_has("/api/v1/groups/dev");
    audit.assert_has("API key");
    assert!(
        !audit.html.contains("/api/v1/events"),
        "notices are not changes: {}",
        audit.html
    );

    let (_, other_key) = app
        .node()
        .store
        .create_tenant("Other office")
        .await
        .unwrap();
    let mut other = Browser::new(&app);
    let url = console_link(&app, &other_key).await;
    other.open(&url).await;
    let theirs = other.open("/console/audit").await;
    assert_eq!(theirs.status, StatusCode::OK);
    assert!(
        !theirs.html.contains("/api/v1/groups/dev"),
        "{}",
        theirs.html
    );
}

crate::on_both_backends!(
    api_changes_show_in_the_audit_log_of_their_tenant_only,
    a_minted_link_opens_the_console_once,
    an_expired_link_says_so,
    sign_out_needs_the_csrf_token_and_ends_the_session,
    a_form_from_another_site_is_refused,
    the_root_page_explains_how_to_get_in,
    the_language_switch_is_remembered,
    console_links_check_their_body,
);
