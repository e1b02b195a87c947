//! The fake LINE's token endpoint (v2.1 JWT assertions, LINE Login codes), its
//! authorize endpoint (a simulated person) and the signed webhooks it sends.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::http::HeaderMap;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use parking_lot::Mutex;
use renkei_fakes::common::{local_any_port, serve};
use renkei_fakes::keys::TEST_PRIVATE_KEY_PEM;
use renkei_fakes::line::{demo, signature, FakeLine, FakeLineConfig};
use serde_json::{json, Value};

const REDIRECT: &str = "https://renkei.example/line/callback";

async fn start(config: FakeLineConfig) -> (FakeLine, String) {
    let fake = FakeLine::with_demo_world(config);
    let running = fake.start().await.unwrap();
    (fake, running.api_url())
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// An assertion signed with the demo key; `claims` override the valid defaults.
fn assertion(kid: &str, claims: Value) -> String {
    let mut body = json!({
        "iss": demo::CHANNEL_ID, "sub": demo::CHANNEL_ID, "aud": "https://api.line.me/",
        "exp": now() + 600, "token_exp": 86_400,
    });
    for (k, v) in claims.as_object().unwrap() {
        body[k] = v.clone();
    }
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(kid.into());
    let key = EncodingKey::from_rsa_pem(TEST_PRIVATE_KEY_PEM.as_bytes()).unwrap();
    jsonwebtoken::encode(&header, &body, &key).unwrap()
}

async fn token_call(url: &str, form: &[(&str, &str)]) -> (u16, Value) {
    let resp = reqwest::Client::new()
        .post(format!("{url}/oauth2/v2.1/token"))
        .form(form)
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.json().await.unwrap())
}

async fn issue(url: &str, jwt: &str) -> (u16, Value) {
    let form = [
        ("grant_type", "client_credentials"),
        (
            "client_assertion_type",
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        ),
        ("client_assertion", jwt),
    ];
    token_call(url, &form).await
}

async fn bot_info_status(url: &str, token: &str) -> u16 {
    let resp = reqwest::Client::new()
        .get(format!("{url}/v2/bot/info"))
        .bearer_auth(token);
    resp.send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn a_valid_assertion_issues_a_working_token() {
    let (fake, url) = start(FakeLineConfig::default()).await;
    let (status, body) = issue(&url, &assertion(demo::KID, json!({}))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 86_400);
    assert!(body["key_id"].as_str().is_some_and(|k| !k.is_empty()));
    let token = body["access_token"].as_str().unwrap();
    assert_eq!(bot_info_status(&url, token).await, 200);
    assert_eq!(fake.issued_tokens(demo::CHANNEL_ID), 1);
    // The log keeps the assertion's claims readable but not its signature.
    let logged = fake.requests()[0].form();
    let logged = &logged
        .iter()
        .find(|(k, _)| k == "client_assertion")
        .unwrap()
        .1;
    assert!(logged.contains("***"));
    fake.revoke_issued_tokens(demo::CHANNEL_ID);
    assert_eq!(bot_info_status(&url, token).await, 401);
}

#[tokio::test]
async fn bad_assertions_are_refused_with_oauth_errors() {
    let (_fake, url) = start(FakeLineConfig::default()).await;
    let cases = [
        (assertion("other-kid", json!({})), "invalid_client"),
        (
            assertion(demo::KID, json!({"aud": "https://api.line.me"})),
            "invalid_request",
        ),
        (
            assertion(demo::KID, json!({"exp": now() + 31 * 60})),
            "invalid_request",
        ),
        (
            assertion(demo::KID, json!({"exp": now() - 120})),
            "invalid_request",
        ),
        (
            assertion(demo::KID, json!({"sub": "2000000009"})),
            "invalid_request",
        ),
        (
            assertion(demo::KID, json!({"token_exp": 31 * 86_400})),
            "invalid_request",
        ),
        (
            assertion(demo::KID, json!({"iss": "2000000009", "sub": "2000000009"})),
            "invalid_client",
        ),
    ];
    for (jwt, error) in cases {
        let (status, body) = issue(&url, &jwt).await;
        assert_eq!(
            (status, body["error"].as_str().unwrap()),
            (400, error),
            "{body}"
        );
        assert!(body["error_description"].is_string());
    }
    let good = assertion(demo::KID, json!({}));
    let tampered = format!("{}AAAA", &good[..good.len() - 4]);
    let (_, body) = issue(&url, &tampered).await;
    assert_eq!(
        body,
        json!({"error": "invalid_client", "error_description": "invalid signature"})
    );
    let (status, body) = token_call(&url, &[("grant_type", "password")]).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("unsupported_grant_type"))
    );
}

#[tokio::test]
async fn issued_tokens_expire_and_are_capped_per_channel() {
    let config = FakeLineConfig {
        max_token_lifetime: Duration::from_secs(1),
        max_v21_tokens: 2,
        ..FakeLineConfig::default()
    };
    let (_fake, url) = start(config).await;
    let (_, first) = issue(&url, &assertion(demo::KID, json!({}))).await;
    assert_eq!(first["expires_in"], 1);
    assert_eq!(issue(&url, &assertion(demo::KID, json!({}))).await.0, 200);
    let (status, third) = issue(&url, &assertion(demo::KID, json!({}))).await;
    assert_eq!(
        (status, third["error"].as_str()),
        (400, Some("invalid_request"))
    );
    // The scenario: the first token's one-second life runs out.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(
        bot_info_status(&url, first["access_token"].as_str().unwrap()).await,
        401
    );
    assert_eq!(
        issue(&url, &assertion(demo::KID, json!({}))).await.0,
        200,
        "expired ones free a slot"
    );
}

/// Opens the authorize URL like a browser, without following the redirect.
async fn authorize(url: &str, client_id: &str, redirect: &str) -> (u16, Option<url::Url>) {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let query = [
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", redirect),
        ("state", "st-1"),
        ("scope", "profile openid"),
        ("nonce", "n-1"),
        ("bot_prompt", "aggressive"),
    ];
    let resp = http
        .get(format!("{url}/oauth2/v2.1/authorize"))
        .query(&query)
        .send()
        .await
        .unwrap();
    let location = resp
        .headers()
        .get("location")
        .map(|l| url::Url::parse(l.to_str().unwrap()).unwrap());
    (resp.status().as_u16(), location)
}

fn param(url: &url::Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

async fn exchange(url: &str, code: &str, secret: &str, redirect: &str) -> (u16, Value) {
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", redirect),
        ("client_id", demo::LOGIN_CHANNEL_ID),
        ("client_secret", secret),
    ];
    token_call(url, &form).await
}

#[tokio::test]
async fn login_redirects_with_a_code_and_makes_the_person_a_friend() {
    let (fake, url) = start(FakeLineConfig::default()).await;
    assert!(!fake.is_friend(demo::CHANNEL_ID, demo::SATO));
    let (status, location) = authorize(&url, demo::LOGIN_CHANNEL_ID, REDIRECT).await;
    assert_eq!(status, 302);
    let location = location.unwrap();
    assert!(location.as_str().starts_with(REDIRECT));
    assert_eq!(param(&location, "state").as_deref(), Some("st-1"));
    assert_eq!(
        param(&location, "friendship_status_changed").as_deref(),
        Some("true")
    );
    assert!(fake.is_friend(demo::CHANNEL_ID, demo::SATO));
    let seen = &fake.authorizations()[0];
    assert_eq!(
        (seen.nonce.as_deref(), seen.bot_prompt.as_deref()),
        (Some("n-1"), Some("aggressive"))
    );

    let code = param(&location, "code").unwrap();
    let (status, body) = exchange(&url, &code, demo::LOGIN_CHANNEL_SECRET, REDIRECT).await;
    assert_eq!(status, 200, "{body}");
    let mut v = Validation::new(Algorithm::HS256);
    v.set_audience(&[demo::LOGIN_CHANNEL_ID]);
    v.set_issuer(&["https://access.line.me"]);
    let key = DecodingKey::from_secret(demo::LOGIN_CHANNEL_SECRET.as_bytes());
    let claims = jsonwebtoken::decode::<Value>(body["id_token"].as_str().unwrap(), &key, &v)
        .unwrap()
        .claims;
    assert_eq!(claims["sub"], demo::SATO);
    assert_eq!(claims["nonce"], "n-1");
    assert_eq!(claims["name"], "佐藤花子");
    let (status, reused) = exchange(&url, &code, demo::LOGIN_CHANNEL_SECRET, REDIRECT).await;
    assert_eq!(
        (status, reused["error"].as_str()),
        (400, Some("invalid_grant"))
    );
}

#[tokio::test]
async fn login_checks_the_client_the_secret_and_the_redirect() {
    let (fake, url) = start(FakeLineConfig::default()).await;
    assert_eq!(authorize(&url, "1999999999", REDIRECT).await.0, 400);
    fake.add_login_channel("2000000003", demo::LOGIN_CHANNEL_SECRET, None, &[REDIRECT]);
    assert_eq!(
        authorize(&url, "2000000003", "https://evil.example/cb")
            .await
            .0,
        400
    );
    assert_eq!(authorize(&url, "2000000003", REDIRECT).await.0, 302);

    let code = |loc: Option<url::Url>| param(&loc.unwrap(), "code").unwrap();
    let first = code(authorize(&url, demo::LOGIN_CHANNEL_ID, REDIRECT).await.1);
    let (_, wrong_secret) =
        exchange(&url, &first, "00000000000000000000000000000000", REDIRECT).await;
    assert_eq!(wrong_secret["error"], "invalid_client");
    let second = code(authorize(&url, demo::LOGIN_CHANNEL_ID, REDIRECT).await.1);
    let (_, moved) = exchange(
        &url,
        &second,
        demo::LOGIN_CHANNEL_SECRET,
        "https://renkei.example/other",
    )
    .await;
    assert_eq!(moved["error"], "invalid_grant");
}

#[tokio::test]
async fn a_denied_login_redirects_with_access_denied() {
    let (fake, url) = start(FakeLineConfig::default()).await;
    fake.set_login_denied();
    let (status, location) = authorize(&url, demo::LOGIN_CHANNEL_ID, REDIRECT).await;
    assert_eq!(status, 302);
    let location = location.unwrap();
    assert_eq!(param(&location, "error").as_deref(), Some("access_denied"));
    assert_eq!(param(&location, "state").as_deref(), Some("st-1"));
    assert!(param(&location, "error_description").is_some());
    assert_eq!(param(&location, "code"), None);
    assert!(!fake.is_friend(demo::CHANNEL_ID, demo::SATO));

    fake.set_login_user(None);
    let (status, location) = authorize(&url, demo::LOGIN_CHANNEL_ID, REDIRECT).await;
    assert_eq!(
        (status, location),
        (200, None),
        "nobody to log in: a page, no redirect"
    );
}

type Received = Arc<Mutex<Vec<(HeaderMap, Bytes)>>>;

async fn receiver() -> (Received, String) {
    let got: Received = Arc::default();
    let sink = got.clone();
    let app = axum::Router::new().route(
        "/webhook",
        axum::routing::post(move |headers: HeaderMap, body: Bytes| async move {
            sink.lock().push((headers, body));
            "OK"
        }),
    );
    let running = serve(app, local_any_port()).await.unwrap();
    (got, format!("{}/webhook", running.url()))
}

#[tokio::test]
async fn follow_and_unfollow_webhooks_are_signed_and_shaped_like_line() {
    let (fake, _url) = start(FakeLineConfig::default()).await;
    let (got, hook) = receiver().await;
    let status = fake
        .send_follow(demo::SATO, &hook, demo::CHANNEL_SECRET)
        .await
        .unwrap();
    assert_eq!(status, 200);
    assert!(fake.is_friend(demo::CHANNEL_ID, demo::SATO));
    let (headers, body) = got.lock()[0].clone();
    let sig = headers.get("x-line-signature").unwrap().to_str().unwrap();
    assert_eq!(sig, signature(demo::CHANNEL_SECRET, &body));
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["destination"], demo::BOT_USER_ID);
    let event = &v["events"][0];
    assert_eq!(event["type"], "follow");
    assert_eq!(
        event["source"],
        json!({"type": "user", "userId": demo::SATO})
    );
    assert_eq!(event["follow"], json!({"isUnblocked": false}));
    assert_eq!(event["mode"], "active");
    assert_eq!(event["deliveryContext"], json!({"isRedelivery": false}));
    assert_eq!(event["webhookEventId"].as_str().unwrap().len(), 26);
    assert!(event["replyToken"].is_string() && event["timestamp"].is_u64());

    fake.send_unfollow(demo::SATO, &hook, demo::CHANNEL_SECRET)
        .await
        .unwrap();
    assert!(!fake.is_friend(demo::CHANNEL_ID, demo::SATO));
    assert_eq!(
        serde_json::from_slice::<Value>(&got.lock()[1].1).unwrap()["events"][0]["type"],
        "unfollow"
    );
    fake.send_follow(demo::SATO, &hook, demo::CHANNEL_SECRET)
        .await
        .unwrap();
    let again: Value = serde_json::from_slice(&got.lock()[2].1).unwrap();
    assert_eq!(again["events"][0]["follow"]["isUnblocked"], true);
}
