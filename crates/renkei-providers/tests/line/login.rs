//! LINE Login v2.1 for member linking: the authorize URL, the consent (simulated by the
//! fake), the code exchange and the checks on the ID token.

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use renkei_fakes::line::{demo, FakeLineConfig};
use renkei_providers::line::{authorize_url, verify_id_token, LoginError};
use serde_json::{json, Value};

use super::env;

const REDIRECT: &str = "https://renkei.example/members/line/callback";

#[test]
fn the_authorize_url_asks_for_openid_and_the_friend_prompt() {
    let url = authorize_url(
        "https://access.line.me/",
        "2000000002",
        REDIRECT,
        "st 1",
        "n/1",
    );
    assert_eq!(
        url,
        "https://access.line.me/oauth2/v2.1/authorize?response_type=code&client_id=2000000002\
         &redirect_uri=https%3A%2F%2Frenkei.example%2Fmembers%2Fline%2Fcallback&state=st%201\
         &scope=profile%20openid&nonce=n%2F1&bot_prompt=aggressive"
    );
}

/// Follows the authorize URL like a browser (one hop) and returns the callback's query.
async fn consent(login_url: &str, state: &str, nonce: &str) -> Vec<(String, String)> {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let url = authorize_url(login_url, demo::LOGIN_CHANNEL_ID, REDIRECT, state, nonce);
    let resp = http.get(url).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 302);
    let location = resp.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with(REDIRECT), "{location}");
    let parsed = url::Url::parse(&location).unwrap();
    parsed
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn param<'a>(query: &'a [(String, String)], name: &str) -> Option<&'a str> {
    query
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

#[tokio::test]
async fn logging_in_links_the_member_and_adds_the_friend() {
    let e = env(FakeLineConfig::default()).await;
    let query = consent(&e.login_url, "state-1", "nonce-1").await;
    assert_eq!(param(&query, "state"), Some("state-1"));
    let code = param(&query, "code").unwrap();
    let id_token = e
        .line
        .exchange_code(
            demo::LOGIN_CHANNEL_ID,
            demo::LOGIN_CHANNEL_SECRET,
            code,
            REDIRECT,
        )
        .await
        .unwrap();
    let user = verify_id_token(
        &id_token,
        demo::LOGIN_CHANNEL_ID,
        demo::LOGIN_CHANNEL_SECRET,
        "nonce-1",
    )
    .unwrap();
    assert_eq!(user, demo::SATO);
    assert!(
        e.fake.is_friend(demo::CHANNEL_ID, demo::SATO),
        "bot_prompt added the friend"
    );
    let seen = &e.fake.authorizations()[0];
    assert_eq!(seen.bot_prompt.as_deref(), Some("aggressive"));
    assert_eq!(seen.scope, "profile openid");

    // The form sent to the token endpoint, with the secret masked in the log.
    let req = e
        .fake
        .requests()
        .into_iter()
        .find(|r| r.path == "/oauth2/v2.1/token")
        .unwrap();
    let form = req.form();
    assert!(form.contains(&("grant_type".into(), "authorization_code".into())));
    assert!(form.contains(&("redirect_uri".into(), REDIRECT.into())));
    assert!(form.contains(&("client_id".into(), demo::LOGIN_CHANNEL_ID.into())));
    assert!(form
        .iter()
        .any(|(k, v)| k == "client_secret" && v.starts_with("***")));
}

#[tokio::test]
async fn id_tokens_with_a_wrong_nonce_channel_or_signature_are_refused() {
    let e = env(FakeLineConfig::default()).await;
    let query = consent(&e.login_url, "s", "right-nonce").await;
    let id_token = e
        .line
        .exchange_code(
            demo::LOGIN_CHANNEL_ID,
            demo::LOGIN_CHANNEL_SECRET,
            param(&query, "code").unwrap(),
            REDIRECT,
        )
        .await
        .unwrap();
    let check = |channel: &str, secret: &str, nonce: &str| {
        verify_id_token(&id_token, channel, secret, nonce)
    };
    let reason = |r: Result<String, LoginError>| match r {
        Err(LoginError::InvalidIdToken(why)) => why,
        other => panic!("{other:?}"),
    };
    assert!(reason(check(
        demo::LOGIN_CHANNEL_ID,
        demo::LOGIN_CHANNEL_SECRET,
        "other"
    ))
    .contains("nonce"));
    assert!(reason(check(
        "2000000009",
        demo::LOGIN_CHANNEL_SECRET,
        "right-nonce"
    ))
    .contains("another channel"));
    assert!(reason(check(
        demo::LOGIN_CHANNEL_ID,
        demo::CHANNEL_SECRET,
        "right-nonce"
    ))
    .contains("signature"));

    let forged = |claims: Value| {
        let key = EncodingKey::from_secret(demo::LOGIN_CHANNEL_SECRET.as_bytes());
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &key).unwrap()
    };
    let now = chrono::Utc::now().timestamp();
    let base = json!({"iss": "https://access.line.me", "sub": demo::SATO, "aud": demo::LOGIN_CHANNEL_ID, "nonce": "n"});
    let mut expired = base.clone();
    expired["exp"] = json!(now - 3600);
    let verify =
        |t: &str| verify_id_token(t, demo::LOGIN_CHANNEL_ID, demo::LOGIN_CHANNEL_SECRET, "n");
    assert_eq!(reason(verify(&forged(expired))), "expired");
    let mut other_issuer = base.clone();
    other_issuer["exp"] = json!(now + 600);
    other_issuer["iss"] = json!("https://evil.example");
    assert_eq!(reason(verify(&forged(other_issuer))), "not issued by LINE");
    let mut fine = base;
    fine["exp"] = json!(now + 600);
    assert_eq!(verify(&forged(fine)).unwrap(), demo::SATO);
}

#[tokio::test]
async fn exchange_errors_say_what_to_fix() {
    let e = env(FakeLineConfig::default()).await;
    let query = consent(&e.login_url, "s", "n").await;
    let code = param(&query, "code").unwrap();
    let wrong = e
        .line
        .exchange_code(
            demo::LOGIN_CHANNEL_ID,
            "00000000000000000000000000000000",
            code,
            REDIRECT,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(wrong, LoginError::InvalidClient { .. }),
        "{wrong:?}"
    );
    assert_eq!(wrong.code(), "line_login_channel_invalid");
    assert!(wrong.to_string().contains("login_channel_secret"));
    let exchange = || {
        e.line.exchange_code(
            demo::LOGIN_CHANNEL_ID,
            demo::LOGIN_CHANNEL_SECRET,
            code,
            REDIRECT,
        )
    };
    assert!(
        exchange().await.is_ok(),
        "a refused client does not use the code up"
    );
    // A code works once: a reload of the callback page must start again.
    let reused = exchange().await.unwrap_err();
    assert!(
        matches!(reused, LoginError::InvalidGrant { .. }),
        "{reused:?}"
    );
    assert_eq!(reused.code(), "line_login_expired");
}

#[tokio::test]
async fn denied_consent_comes_back_as_access_denied() {
    let e = env(FakeLineConfig::default()).await;
    e.fake.set_login_denied();
    let query = consent(&e.login_url, "s-9", "n").await;
    assert_eq!(param(&query, "state"), Some("s-9"));
    assert_eq!(param(&query, "code"), None);
    let error = LoginError::from_callback(
        param(&query, "error").unwrap(),
        param(&query, "error_description"),
    );
    assert!(matches!(error, LoginError::Denied { .. }), "{error:?}");
    assert_eq!(error.code(), "line_login_denied");
    assert!(error.to_string().contains("キャンセル"), "{error}");
    assert!(!e.fake.is_friend(demo::CHANNEL_ID, demo::SATO));
}
