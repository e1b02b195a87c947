//! Drives the fake LINE WORKS router in-process with `oneshot`, and signs assertions with
//! the test key the demo app trusts.

#![allow(dead_code)] // each test binary uses a different part of this helper

#[path = "../common/mod.rs"]
mod common;
pub use common::Resp;

use axum::Router;
use renkei_fakes::keys::TEST_PRIVATE_KEY_PEM;
use renkei_fakes::line_works::{
    FakeLineWorks, FakeLineWorksConfig, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_SERVICE_ACCOUNT,
};
use serde_json::{json, Value};

pub const FORM: &str = "application/x-www-form-urlencoded";
pub const JSON: &str = "application/json";
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";

pub fn demo() -> FakeLineWorks {
    FakeLineWorks::with_demo_world(FakeLineWorksConfig::default())
}

/// One request; `bearer` goes in `Authorization: Bearer`.
pub async fn call(
    router: &Router,
    method: &str,
    uri: &str,
    bearer: Option<&str>,
    content_type: Option<&str>,
    body: &str,
) -> Resp {
    common::request(
        router,
        method,
        uri,
        &common::bearer(bearer),
        content_type,
        body,
    )
    .await
}

pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// An RS256 assertion signed with the test key, with these claims.
pub fn assertion(claims: Value) -> String {
    let key = jsonwebtoken::EncodingKey::from_rsa_pem(TEST_PRIVATE_KEY_PEM.as_bytes()).unwrap();
    let header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    jsonwebtoken::encode(&header, &claims, &key).unwrap()
}

/// A valid assertion for the demo app.
pub fn demo_assertion() -> String {
    let t = now();
    assertion(
        json!({"iss": DEMO_CLIENT_ID, "sub": DEMO_SERVICE_ACCOUNT, "iat": t, "exp": t + 1800}),
    )
}

pub fn token_form(assertion: &str, secret: &str, scope: &str) -> String {
    serde_urlencoded::to_string([
        ("assertion", assertion),
        ("grant_type", JWT_BEARER),
        ("client_id", DEMO_CLIENT_ID),
        ("client_secret", secret),
        ("scope", scope),
    ])
    .unwrap()
}

pub async fn request_token(router: &Router, form: &str) -> Resp {
    call(router, "POST", "/oauth2/v2.0/token", None, Some(FORM), form).await
}

/// A demo access token with `scope`.
pub async fn token(router: &Router, scope: &str) -> String {
    let form = token_form(&demo_assertion(), DEMO_CLIENT_SECRET, scope);
    let r = request_token(router, &form).await;
    assert_eq!(r.status, 200, "{:?}", String::from_utf8_lossy(&r.body));
    r.json()["access_token"].as_str().unwrap().to_string()
}

pub fn text_message(text: &str) -> String {
    json!({"content": {"type": "text", "text": text}}).to_string()
}
