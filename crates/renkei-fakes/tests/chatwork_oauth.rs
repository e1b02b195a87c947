//! The fake Chatwork's OAuth2: consent page, token endpoint, bearer tokens on the API,
//! scopes, rotation, expiry and revocation.

#[path = "chatwork_oauth/support.rs"]
mod support;

use std::time::Duration;

use axum::body::Body;
use axum::http::Request;
use renkei_fakes::chatwork::{Consent, FakeChatwork, FakeChatworkConfig};
use serde_json::json;
use support::*;

#[tokio::test]
async fn consent_redirects_with_code_or_access_denied() {
    let fake = fake();
    let r = fake.router();
    let c = challenge();
    let approved = consent_page(&r, &consent_params(&c, ALL)).await;
    assert_eq!(approved.status, 302);
    assert!(approved.header("location").unwrap().starts_with(REDIRECT));
    let p = approved.redirect_params();
    assert_eq!(p["state"], "st-123");
    assert!(p["code"].len() >= 40, "code: {}", p["code"]);

    fake.set_oauth_consent(Consent::Deny);
    let denied = consent_page(&r, &consent_params(&c, ALL)).await;
    assert_eq!(denied.status, 302);
    let p = denied.redirect_params();
    assert_eq!(p["error"], "access_denied");
    assert_eq!(p["state"], "st-123");
    assert!(!p.contains_key("code"));
}

#[tokio::test]
async fn unknown_client_or_redirect_stays_on_chatworks_error_page() {
    let r = fake().router();
    let c = challenge();
    let mut params = consent_params(&c, ALL);
    params[1] = ("client_id", "nobody");
    let unknown = consent_page(&r, &params).await;
    assert_eq!(unknown.status, 400);
    assert!(
        unknown.header("location").is_none(),
        "never redirects to an unverified URI"
    );
    assert!(unknown
        .header("content-type")
        .unwrap()
        .starts_with("text/html"));
    assert!(unknown
        .text()
        .contains("The client ID `nobody` is unknown."));

    let mut params = consent_params(&c, ALL);
    params[2] = ("redirect_uri", "https://evil.example/cb");
    let wrong = consent_page(&r, &params).await;
    assert_eq!(wrong.status, 400);
    assert!(wrong.header("location").is_none());
}

#[tokio::test]
async fn bad_scope_or_missing_pkce_goes_back_to_the_client() {
    let r = fake().router();
    let c = challenge();
    let bad_scope = consent_page(
        &r,
        &consent_params(&c, "rooms.all:read_write rooms.everything"),
    )
    .await;
    let p = bad_scope.redirect_params();
    assert_eq!(p["error"], "invalid_scope");
    assert!(p["error_description"].contains("rooms.everything"));

    let mut params = consent_params(&c, ALL);
    params.truncate(5); // no code_challenge: a public client must use PKCE
    let p = consent_page(&r, &params).await.redirect_params();
    assert_eq!(p["error"], "invalid_request");

    let mut params = consent_params(&c, ALL);
    params[6] = ("code_challenge_method", "plain");
    let p = consent_page(&r, &params).await.redirect_params();
    assert_eq!(p["error"], "invalid_request");
}

#[tokio::test]
async fn code_exchange_answers_chatworks_token_shape_once() {
    let r = fake().router();
    let code = code_for(&r, ALL).await;
    let res = exchange(&r, &code).await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.header("cache-control"), Some("no-store"));
    let t = res.json();
    assert_eq!(t["token_type"], "Bearer");
    assert_eq!(t["expires_in"], json!(1800));
    assert_eq!(t["scope"], ALL);
    assert!(t["access_token"].as_str().unwrap().len() >= 40);
    assert_ne!(t["access_token"], t["refresh_token"]);

    let again = exchange(&r, &code).await;
    assert_eq!(again.status, 400);
    assert_eq!(
        again.json()["error"],
        "invalid_grant",
        "codes are single use"
    );
}

#[tokio::test]
async fn expires_in_can_be_a_string() {
    let fake = fake();
    fake.set_expires_in_as_string(true);
    fake.set_oauth_access_lifetime(Duration::from_secs(900));
    let t = tokens(&fake.router(), ALL).await;
    assert_eq!(t["expires_in"], json!("900"));
}

#[tokio::test]
async fn client_authentication_errors_are_invalid_client() {
    let r = fake().router();
    let code = code_for(&r, ALL).await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
        ("code_verifier", VERIFIER),
    ];
    let unknown = token_call(&r, Some(&basic("x", SECRET)), &form).await;
    assert_eq!(unknown.status, 401);
    assert_eq!(
        unknown.text(),
        r#"{"error":"invalid_client","error_description":"The client ID `x` is unknown.","error_uri":null}"#
    );
    let wrong = token_call(&r, Some(&basic(CLIENT, "not-the-secret")), &form).await;
    assert_eq!(wrong.status, 401);
    assert_eq!(wrong.json()["error"], "invalid_client");
    let in_form = [
        ("client_id", CLIENT),
        ("client_secret", SECRET),
        form[0],
        form[1],
        form[2],
        form[3],
    ];
    let no_basic = token_call(&r, None, &in_form).await;
    assert_eq!(
        no_basic.status, 401,
        "Chatwork authenticates clients by Basic only"
    );
    assert!(no_basic
        .header("www-authenticate")
        .unwrap()
        .starts_with("Basic"));
    // None of these spent the code.
    assert_eq!(exchange(&r, &code).await.status, 200);
}

#[tokio::test]
async fn pkce_and_redirect_mismatches_are_invalid_grant() {
    let r = fake().router();
    let code = code_for(&r, ALL).await;
    let auth = basic(CLIENT, SECRET);
    let other_verifier = "a".repeat(43);
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
        ("code_verifier", other_verifier.as_str()),
    ];
    let wrong_verifier = token_call(&r, Some(&auth), &form).await;
    assert_eq!(wrong_verifier.status, 400);
    assert_eq!(wrong_verifier.json()["error"], "invalid_grant");
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", "https://renkei.example/other"),
        ("code_verifier", VERIFIER),
    ];
    let wrong_redirect = token_call(&r, Some(&auth), &form).await.json();
    assert_eq!(wrong_redirect["error"], "invalid_grant");
    assert!(wrong_redirect["error_description"]
        .as_str()
        .unwrap()
        .contains("redirect URI"));
    let unsupported = token_call(&r, Some(&auth), &[("grant_type", "password")]).await;
    assert_eq!(unsupported.json()["error"], "unsupported_grant_type");
    let missing = token_call(&r, Some(&auth), &[("grant_type", "refresh_token")]).await;
    assert_eq!(missing.json()["error"], "invalid_request");
}

#[tokio::test]
async fn codes_expire_after_the_scaled_minute() {
    // 60 s × 0.001 = 60 ms.
    let r = fake_with(FakeChatworkConfig::default().scaled(0.001)).router();
    let code = code_for(&r, ALL).await;
    // The scenario: the code outlives its (scaled) minute.
    tokio::time::sleep(Duration::from_millis(90)).await;
    let late = exchange(&r, &code).await;
    assert_eq!(late.status, 400);
    assert_eq!(late.json()["error"], "invalid_grant");
}

#[tokio::test]
async fn refresh_rotates_the_refresh_token() {
    let r = fake().router();
    let first = tokens(&r, ALL).await;
    let old_refresh = first["refresh_token"].as_str().unwrap();
    let res = refresh(&r, old_refresh).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let second = res.json();
    assert_ne!(second["access_token"], first["access_token"]);
    assert_ne!(second["refresh_token"], first["refresh_token"]);
    assert_eq!(second["scope"], ALL);
    let reused = refresh(&r, old_refresh).await;
    assert_eq!(reused.status, 400);
    assert_eq!(reused.json()["error"], "invalid_grant");
    let old_access = first["access_token"].as_str().unwrap();
    assert_eq!(
        bearer(&r, "GET", "/v2/me", old_access, "").await.status,
        200,
        "old access token lives on"
    );
}

#[tokio::test]
async fn refresh_tokens_expire_unless_offline_access() {
    let cfg = FakeChatworkConfig {
        oauth_refresh_lifetime: Duration::from_millis(100),
        ..Default::default()
    };
    let r = fake_with(cfg).router();
    let short = tokens(&r, "users.profile.me:read rooms.all:read_write").await;
    let long = tokens(&r, ALL).await;
    // The scenario: the short refresh token outlives its 100 ms.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let expired = refresh(&r, short["refresh_token"].as_str().unwrap()).await;
    assert_eq!(expired.status, 400);
    assert_eq!(
        expired.json()["error_description"],
        "The refresh token expired."
    );
    assert_eq!(
        refresh(&r, long["refresh_token"].as_str().unwrap())
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn expired_and_revoked_bearer_tokens_get_401_invalid_token() {
    let fake = fake();
    let r = fake.router();
    let t = tokens(&r, ALL).await;
    let access = t["access_token"].as_str().unwrap();
    let me = bearer(&r, "GET", "/v2/me", access, "").await;
    assert_eq!(me.status, 200);
    assert_eq!(me.json()["account_id"], ADMIN);
    assert!(
        me.json()["room_id"].as_i64().unwrap() > 0,
        "the admin got a My Chat"
    );

    fake.expire_oauth_access_tokens(ADMIN);
    let expired = bearer(&r, "GET", "/v2/me", access, "").await;
    assert_eq!(expired.status, 401);
    assert_eq!(
        expired.header("www-authenticate"),
        Some(r#"Bearer error="invalid_token", error_description="The access token expired""#)
    );
    assert_eq!(
        expired.json(),
        json!({"errors": ["The access token expired"]})
    );

    let renewed = refresh(&r, t["refresh_token"].as_str().unwrap())
        .await
        .json();
    fake.revoke_oauth_tokens(ADMIN);
    let revoked = bearer(
        &r,
        "GET",
        "/v2/me",
        renewed["access_token"].as_str().unwrap(),
        "",
    )
    .await;
    assert_eq!(revoked.status, 401);
    assert!(revoked
        .header("www-authenticate")
        .unwrap()
        .contains("invalid_token"));
    let refused = refresh(&r, renewed["refresh_token"].as_str().unwrap()).await;
    assert_eq!(refused.json()["error"], "invalid_grant");
}

#[tokio::test]
async fn scopes_are_enforced_per_endpoint() {
    let fake = fake();
    let r = fake.router();
    let room = fake.add_contact(ADMIN, 2001);
    let t = tokens(&r, "users.profile.me:read").await;
    let access = t["access_token"].as_str().unwrap();
    assert_eq!(bearer(&r, "GET", "/v2/me", access, "").await.status, 200);
    let post = bearer(
        &r,
        "POST",
        &format!("/v2/rooms/{room}/messages"),
        access,
        "body=hi",
    )
    .await;
    assert_eq!(post.status, 403);
    let challenge = post.header("www-authenticate").unwrap();
    assert!(
        challenge.starts_with(r#"Bearer error="insufficient_scope""#),
        "{challenge}"
    );
    assert!(
        challenge.contains(r#"scope="rooms.all:read_write rooms.all:write rooms.messages:write""#)
    );
    assert_eq!(
        bearer(&r, "GET", "/v2/contacts", access, "").await.status,
        403
    );
    assert!(fake.messages(room).is_empty());

    let writer = tokens(&r, "rooms.messages:write contacts.all:read").await;
    let access = writer["access_token"].as_str().unwrap();
    let post = bearer(
        &r,
        "POST",
        &format!("/v2/rooms/{room}/messages"),
        access,
        "body=hi",
    )
    .await;
    assert_eq!(post.status, 200, "{}", post.text());
    assert_eq!(fake.messages(room)[0].account_id, ADMIN);
    assert_eq!(
        bearer(&r, "GET", "/v2/contacts", access, "").await.status,
        200
    );
    assert_eq!(bearer(&r, "GET", "/v2/me", access, "").await.status, 403);
}

#[tokio::test]
async fn the_token_window_belongs_to_the_grant_not_the_access_token() {
    let cfg = FakeChatworkConfig {
        token_limit: 2,
        ..Default::default()
    };
    let r = fake_with(cfg).router();
    let t = tokens(&r, ALL).await;
    let first = t["access_token"].as_str().unwrap();
    assert_eq!(
        bearer(&r, "GET", "/v2/me", first, "")
            .await
            .header("x-ratelimit-remaining"),
        Some("1")
    );
    let renewed = refresh(&r, t["refresh_token"].as_str().unwrap())
        .await
        .json();
    let second = renewed["access_token"].as_str().unwrap();
    assert_eq!(bearer(&r, "GET", "/v2/me", second, "").await.status, 200);
    let over = bearer(&r, "GET", "/v2/me", second, "").await;
    assert_eq!(over.status, 429);
    assert_eq!(over.header("x-ratelimit-remaining"), Some("0"));
}

#[tokio::test]
async fn requests_are_logged_with_secrets_masked() {
    let fake = fake();
    let r = fake.router();
    let t = tokens(&r, ALL).await;
    let access = t["access_token"].as_str().unwrap();
    bearer(&r, "GET", "/v2/me", access, "").await;

    let log = fake.requests();
    let paths: Vec<&str> = log.iter().map(|q| q.path.as_str()).collect();
    assert_eq!(
        paths,
        ["/packages/oauth2/login.php", "/oauth/token", "/v2/me"]
    );
    let token_req = &log[1];
    assert_eq!(token_req.auth_scheme.as_deref(), Some("basic"));
    let code = token_req.form.iter().find(|f| f.0 == "code").unwrap();
    assert!(
        code.1.starts_with('…') && code.1.chars().count() == 5,
        "{code:?}"
    );
    assert_eq!(log[2].auth_scheme.as_deref(), Some("bearer"));
    assert_eq!(
        log[2].token_last4.as_deref(),
        Some(&access[access.len() - 4..])
    );
    let served = serde_json::to_string(&log).unwrap();
    assert!(!served.contains(access) && !served.contains(SECRET) && !served.contains(VERIFIER));

    let exact = fake.oauth_token_requests();
    assert_eq!(exact.len(), 1);
    assert_eq!(
        exact[0].authorization.as_deref(),
        Some(basic(CLIENT, SECRET).as_str())
    );
    assert_eq!(exact[0].field("code_verifier"), Some(VERIFIER));
    let debug = format!("{exact:?}");
    assert!(
        !debug.contains(VERIFIER) && !debug.contains("Basic "),
        "{debug}"
    );
}

#[tokio::test]
async fn token_endpoint_faults_answer_server_error() {
    let fake = fake();
    let r = fake.router();
    let t = tokens(&r, ALL).await;
    fake.fail_next_on("/oauth/token", 1, 503);
    let failed = refresh(&r, t["refresh_token"].as_str().unwrap()).await;
    assert_eq!(failed.status, 503);
    assert_eq!(failed.json()["error"], "server_error");
    let ok = refresh(&r, t["refresh_token"].as_str().unwrap()).await;
    assert_eq!(ok.status, 200, "the fault did not spend the refresh token");
}

#[tokio::test]
async fn http_controls_and_the_demo_client() {
    let fake = FakeChatwork::with_demo_world(FakeChatworkConfig::default());
    let r = fake.router();
    let c = challenge();
    let mut params = consent_params(&c, ALL);
    params[1] = ("client_id", "demo-oauth-client");
    params[2] = (
        "redirect_uri",
        renkei_fakes::chatwork::DEMO_OAUTH_REDIRECT_URI,
    );
    let approved = consent_page(&r, &params).await;
    assert!(approved.redirect_params().contains_key("code"));

    let deny = Request::post("/_fake/oauth/consent")
        .header("content-type", "application/json")
        .body(Body::from(r#"{"deny":true}"#))
        .unwrap();
    assert_eq!(send(&r, deny).await.status, 204);
    let denied = consent_page(&r, &params).await;
    assert_eq!(denied.redirect_params()["error"], "access_denied");
}
