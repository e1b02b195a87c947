//! Channel access tokens v2.1: the assertion renkei signs, reuse of the issued token,
//! renewal before expiry and after a 401, and what connect says about bad keys.

use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use renkei_fakes::keys::TEST_PRIVATE_KEY_PEM;
use renkei_fakes::line::{demo, FakeLineConfig};
use renkei_providers::{DeliveryProvider, SendOutcome};
use serde_json::{json, Value};

use super::{ctx, env, hits, Env};

const TOKEN_PATH: &str = "/oauth2/v2.1/token";
const PUSH: &str = "/v2/bot/message/push";

/// The demo test key as the JWK LINE's guide has people generate.
const TEST_PRIVATE_JWK: &str = include_str!("test_private_jwk.json");

fn v21(private_key: &str, kid: &str) -> Value {
    json!({
        "channel_id": demo::CHANNEL_ID,
        "private_key": private_key,
        "kid": kid,
        "channel_secret": demo::CHANNEL_SECRET,
    })
}

fn part(jwt: &str, i: usize) -> Value {
    let bytes = URL_SAFE_NO_PAD
        .decode(jwt.split('.').nth(i).unwrap())
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

async fn connected(e: &Env) -> Value {
    let v = e
        .line
        .connect(&v21(TEST_PRIVATE_KEY_PEM, demo::KID))
        .await
        .unwrap();
    v.credentials
}

#[tokio::test]
async fn connect_issues_a_token_with_a_signed_assertion() {
    let e = env(FakeLineConfig::default()).await;
    let before = chrono::Utc::now().timestamp();
    let v = e
        .line
        .connect(&v21(TEST_PRIVATE_KEY_PEM, demo::KID))
        .await
        .unwrap();
    assert_eq!(v.account_id.as_deref(), Some(demo::BOT_USER_ID));
    assert_eq!(v.secret_hint, "…0001", "the kid's tail, not the key's");
    assert_eq!(v.credentials["basic_id"], demo::BASIC_ID);
    assert!(v.credentials["access_token"].is_string());
    assert!(v.credentials["access_token_expires_at"].as_i64().unwrap() > before);

    let req = e
        .fake
        .requests()
        .into_iter()
        .find(|r| r.path == TOKEN_PATH)
        .unwrap();
    let form = req.form();
    let field = |k: &str| {
        form.iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap()
    };
    assert_eq!(field("grant_type"), "client_credentials");
    assert_eq!(
        field("client_assertion_type"),
        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    );
    let jwt = field("client_assertion");
    let header = part(&jwt, 0);
    assert_eq!(
        (header["alg"].as_str(), header["kid"].as_str()),
        (Some("RS256"), Some(demo::KID))
    );
    let claims = part(&jwt, 1);
    assert_eq!(claims["iss"], demo::CHANNEL_ID);
    assert_eq!(claims["sub"], demo::CHANNEL_ID);
    assert_eq!(claims["aud"], "https://api.line.me/");
    let exp = claims["exp"].as_i64().unwrap();
    assert!(
        exp > before && exp - before <= 30 * 60,
        "exp within 30 minutes"
    );
    let token_exp = claims["token_exp"].as_i64().unwrap();
    assert!((1..=30 * 86_400).contains(&token_exp));
}

#[tokio::test]
async fn sends_reuse_the_token_issued_at_connect() {
    let e = env(FakeLineConfig::default()).await;
    let creds = connected(&e).await;
    for delivery in 1..=3 {
        let sent = e
            .line
            .send(ctx(&creds, 9, delivery), demo::YAMADA, "x")
            .await;
        assert!(
            matches!(sent.outcome, SendOutcome::Delivered { .. }),
            "{sent:?}"
        );
    }
    assert_eq!(hits(&e.fake, TOKEN_PATH), 1);
    assert!(
        e.saved.0.lock().is_empty(),
        "nothing renewed, nothing to persist"
    );
}

#[tokio::test]
async fn a_401_renews_the_token_once_and_persists_it() {
    let e = env(FakeLineConfig::default()).await;
    let creds = connected(&e).await;
    e.fake.revoke_issued_tokens(demo::CHANNEL_ID);
    let sent = e.line.send(ctx(&creds, 9, 1), demo::YAMADA, "x").await;
    assert!(
        matches!(sent.outcome, SendOutcome::Delivered { .. }),
        "{sent:?}"
    );
    let paths: Vec<String> = e
        .fake
        .requests()
        .into_iter()
        .map(|r| format!("{} {}", r.path, r.status))
        .collect();
    let tail = &paths[paths.len() - 3..];
    assert_eq!(
        tail,
        [
            format!("{PUSH} 401"),
            format!("{TOKEN_PATH} 200"),
            format!("{PUSH} 200")
        ]
    );
    let saved = e.saved.0.lock().clone();
    assert_eq!(saved.len(), 1);
    assert_eq!(saved[0].0, 9, "saved for the sending connection");
    assert_ne!(saved[0].1["access_token"], creds["access_token"]);
    // Only the token fields go to the store, which merges them into what it holds: a
    // secret changed meanwhile is not overwritten with this lane's old copy.
    let mut fields: Vec<&String> = saved[0].1.as_object().unwrap().keys().collect();
    fields.sort();
    assert_eq!(
        fields,
        [
            "access_token",
            "access_token_expires_at",
            "access_token_issued_at",
            "access_token_key_id"
        ]
    );
    assert_eq!(e.fake.issued_tokens(demo::CHANNEL_ID), 1);
}

#[tokio::test]
async fn a_second_401_breaks_the_connection() {
    let e = env(FakeLineConfig::default()).await;
    let creds = connected(&e).await;
    e.fake.fail_next(2, 401);
    let refused = e.line.send(ctx(&creds, 9, 1), demo::YAMADA, "x").await;
    assert_eq!(refused.outcome, SendOutcome::CredentialRejected);
    assert_eq!(hits(&e.fake, PUSH), 2);
    assert_eq!(hits(&e.fake, TOKEN_PATH), 2, "connect, then one renewal");
}

#[tokio::test]
async fn tokens_are_renewed_before_they_expire() {
    let config = FakeLineConfig {
        max_token_lifetime: Duration::from_secs(2),
        ..FakeLineConfig::default()
    };
    let e = env(config).await;
    let creds = connected(&e).await;
    // The scenario: more than half of the token's 2 s life passes.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let sent = e.line.send(ctx(&creds, 9, 1), demo::YAMADA, "x").await;
    assert!(
        matches!(sent.outcome, SendOutcome::Delivered { .. }),
        "{sent:?}"
    );
    assert_eq!(hits(&e.fake, TOKEN_PATH), 2);
    assert_eq!(
        e.fake.count_status(401),
        0,
        "renewed before LINE refused it"
    );
}

#[tokio::test]
async fn connect_explains_bad_keys_and_unregistered_kids() {
    let e = env(FakeLineConfig::default()).await;
    let unknown = e
        .line
        .connect(&v21(TEST_PRIVATE_KEY_PEM, "not-registered"))
        .await
        .unwrap_err();
    assert_eq!(
        (unknown.status, unknown.code),
        (422, "line_invalid_assertion")
    );
    assert!(unknown.message.contains("kid"));
    let garbage = e
        .line
        .connect(&v21(
            "-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----",
            demo::KID,
        ))
        .await
        .unwrap_err();
    assert_eq!(garbage.code, "line_invalid_private_key");
    assert!(!garbage.message.contains("nope"), "the key is never echoed");
    assert_eq!(
        hits(&e.fake, TOKEN_PATH),
        1,
        "a key that cannot sign is not sent"
    );
}

#[tokio::test]
async fn a_jwk_private_key_signs_like_the_pem() {
    let e = env(FakeLineConfig::default()).await;
    let v = e
        .line
        .connect(&v21(TEST_PRIVATE_JWK, demo::KID))
        .await
        .unwrap();
    assert_eq!(v.account_id.as_deref(), Some(demo::BOT_USER_ID));
    // Pasted through a form, a PEM often arrives with literal "\n".
    let escaped = TEST_PRIVATE_KEY_PEM.replace('\n', "\\n");
    assert!(e.line.connect(&v21(&escaped, demo::KID)).await.is_ok());
}
