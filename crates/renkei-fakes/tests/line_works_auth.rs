//! The fake LINE WORKS auth server: the JWT grant checked like LINE WORKS, OAuth errors,
//! scopes, refresh, and secrets kept out of the request log.

mod line_works_common;

use line_works_common::*;
use renkei_fakes::line_works::{
    FakeLineWorks, FakeLineWorksConfig, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_SERVICE_ACCOUNT,
};
use serde_json::json;

fn claims(iss: &str, sub: &str, iat: i64, exp: i64) -> serde_json::Value {
    json!({"iss": iss, "sub": sub, "iat": iat, "exp": exp})
}

async fn grant_error(fake: &FakeLineWorks, assertion: &str) -> (u16, serde_json::Value) {
    let form = token_form(assertion, DEMO_CLIENT_SECRET, "bot");
    let r = request_token(&fake.router(), &form).await;
    (r.status, r.json())
}

#[tokio::test]
async fn a_valid_grant_gets_a_token_in_line_works_shape() {
    let fake = demo();
    let form = token_form(&demo_assertion(), DEMO_CLIENT_SECRET, "bot calendar");
    let r = request_token(&fake.router(), &form).await;
    assert_eq!(r.status, 200);
    let t = r.json();
    assert!(t["access_token"].as_str().unwrap().len() > 20);
    assert!(t["refresh_token"].is_string());
    assert_eq!(t["token_type"], "Bearer");
    assert_eq!(t["expires_in"], "86400", "answered as a string by default");
    assert_eq!(t["scope"], "bot calendar");
    assert_eq!(fake.tokens_issued(), 1);

    let numeric = FakeLineWorks::with_demo_world(FakeLineWorksConfig {
        expires_in_as_string: false,
        ..FakeLineWorksConfig::default()
    });
    let r = request_token(&numeric.router(), &form).await;
    assert_eq!(r.json()["expires_in"], 86_400);
}

#[tokio::test]
async fn wrong_client_credentials_get_invalid_client() {
    let fake = demo();
    let r = request_token(
        &fake.router(),
        &token_form(&demo_assertion(), "wrong", "bot"),
    )
    .await;
    assert_eq!(r.status, 401);
    assert_eq!(r.json()["error"], "invalid_client");
    let unknown =
        token_form(&demo_assertion(), DEMO_CLIENT_SECRET, "bot").replace(DEMO_CLIENT_ID, "nobody");
    let r = request_token(&fake.router(), &unknown).await;
    assert_eq!(
        (r.status, r.json()["error"].clone()),
        (401, json!("invalid_client"))
    );
    assert_eq!(fake.tokens_issued(), 0);
}

#[tokio::test]
async fn bad_assertions_get_invalid_grant_with_the_reason() {
    let fake = demo();
    let t = now();
    let cases = [
        (
            claims(DEMO_CLIENT_ID, "other.serviceaccount@x", t, t + 600),
            "Service Account",
        ),
        (
            claims("other-client", DEMO_SERVICE_ACCOUNT, t, t + 600),
            "iss",
        ),
        (
            claims(DEMO_CLIENT_ID, DEMO_SERVICE_ACCOUNT, t, t + 3601),
            "60 minutes",
        ),
        (
            claims(DEMO_CLIENT_ID, DEMO_SERVICE_ACCOUNT, t - 700, t - 10),
            "expired",
        ),
        (
            json!({"iss": DEMO_CLIENT_ID, "sub": DEMO_SERVICE_ACCOUNT, "exp": t + 600}),
            "iat",
        ),
    ];
    for (c, reason) in cases {
        let (status, body) = grant_error(&fake, &assertion(c.clone())).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("invalid_grant")),
            "{c}"
        );
        let why = body["error_description"].as_str().unwrap();
        assert!(why.contains(reason), "{c}: {why}");
    }
    // A signature that does not verify with the app's public key.
    let good = demo_assertion();
    let (head, sig) = good.rsplit_once('.').unwrap();
    let flipped = if sig.starts_with('A') { "B" } else { "A" };
    let forged = format!("{head}.{flipped}{}", &sig[1..]);
    let (status, body) = grant_error(&fake, &forged).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    assert_eq!(fake.tokens_issued(), 0);
}

#[tokio::test]
async fn scopes_the_app_lacks_are_refused() {
    let fake = demo();
    fake.set_app_scopes(DEMO_CLIENT_ID, &["bot"]);
    let r = request_token(
        &fake.router(),
        &token_form(&demo_assertion(), DEMO_CLIENT_SECRET, "bot calendar"),
    )
    .await;
    assert_eq!(
        (r.status, r.json()["error"].clone()),
        (400, json!("invalid_scope"))
    );
    assert!(r.json()["error_description"]
        .as_str()
        .unwrap()
        .contains("calendar"));
    let empty = request_token(
        &fake.router(),
        &token_form(&demo_assertion(), DEMO_CLIENT_SECRET, ""),
    )
    .await;
    assert_eq!(empty.json()["error"], "invalid_scope");
    assert!(
        !token(&fake.router(), "bot").await.is_empty(),
        "allowed scopes still work"
    );
}

#[tokio::test]
async fn malformed_requests_get_oauth_errors() {
    let r = demo().router();
    let other_grant =
        token_form(&demo_assertion(), DEMO_CLIENT_SECRET, "bot").replace("jwt-bearer", "password");
    assert_eq!(
        request_token(&r, &other_grant).await.json()["error"],
        "unsupported_grant_type"
    );
    let as_json = json!({"grant_type": JWT_BEARER}).to_string();
    let res = call(&r, "POST", "/oauth2/v2.0/token", None, Some(JSON), &as_json).await;
    assert_eq!(
        (res.status, res.json()["error"].clone()),
        (400, json!("invalid_request"))
    );
}

#[tokio::test]
async fn refresh_tokens_issue_new_access_tokens() {
    let fake = demo();
    let r = fake.router();
    let first = request_token(
        &r,
        &token_form(&demo_assertion(), DEMO_CLIENT_SECRET, "bot"),
    )
    .await
    .json();
    let form = serde_urlencoded::to_string([
        ("grant_type", "refresh_token"),
        ("refresh_token", first["refresh_token"].as_str().unwrap()),
        ("client_id", DEMO_CLIENT_ID),
        ("client_secret", DEMO_CLIENT_SECRET),
    ])
    .unwrap();
    let second = request_token(&r, &form).await.json();
    assert_ne!(second["access_token"], first["access_token"]);
    assert_eq!(second["scope"], "bot");
    let bad = form.replace("fake-lw-rt-", "nope-");
    assert_eq!(
        request_token(&r, &bad).await.json()["error"],
        "invalid_grant"
    );
}

#[tokio::test]
async fn the_log_masks_secrets_but_tests_can_read_the_assertion() {
    let fake = demo();
    let assertion = demo_assertion();
    request_token(
        &fake.router(),
        &token_form(&assertion, DEMO_CLIENT_SECRET, "bot"),
    )
    .await;
    let logged = &fake.requests()[0];
    assert_eq!(logged.path, "/oauth2/v2.0/token");
    assert!(!logged.body.contains(DEMO_CLIENT_SECRET), "{}", logged.body);
    assert!(!logged.body.contains(&assertion[..40]), "{}", logged.body);
    let form = logged.form();
    let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    assert_eq!(get("client_id").as_deref(), Some(DEMO_CLIENT_ID));
    assert_eq!(get("grant_type").as_deref(), Some(JWT_BEARER));
    assert_eq!(get("client_secret").as_deref(), Some("***cret"));
    assert_eq!(fake.assertions(), vec![assertion]);
}
