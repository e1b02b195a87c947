//! Helpers for `chatwork_oauth.rs`: drive the fake's router in-process and walk the
//! consent → code → token steps.

#![allow(dead_code)]

use std::collections::HashMap;

use axum::body::Body;
use axum::http::{HeaderMap, Request};
use axum::Router;
use base64::Engine;
use renkei_fakes::chatwork::{Consent, FakeChatwork, FakeChatworkConfig};
use serde_json::Value;
use sha2::{Digest, Sha256};
use tower::ServiceExt;

pub const CLIENT: &str = "cw-client";
pub const SECRET: &str = "cw-secret-1234";
pub const REDIRECT: &str = "https://renkei.example/oauth/chatwork/callback";
/// RFC 7636's example verifier.
pub const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
pub const ALL: &str =
    "offline_access users.profile.me:read rooms.all:read_write contacts.all:read_write";
pub const ADMIN: i64 = 1001;

pub struct Resp {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
    /// The query parameters of the `Location` a 302 points to.
    pub fn redirect_params(&self) -> HashMap<String, String> {
        let loc = self.header("location").expect("a Location header");
        let url = url::Url::parse(loc).unwrap();
        url.query_pairs().into_owned().collect()
    }
}

pub async fn send(router: &Router, req: Request<Body>) -> Resp {
    let res = router.clone().oneshot(req).await.unwrap();
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let body = axum::body::to_bytes(res.into_body(), usize::MAX)
        .await
        .unwrap()
        .to_vec();
    Resp {
        status,
        headers,
        body,
    }
}

pub fn challenge() -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(VERIFIER.as_bytes()))
}

pub fn basic(id: &str, secret: &str) -> String {
    let pair = format!("{id}:{secret}");
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(pair)
    )
}

pub async fn consent_page(r: &Router, params: &[(&str, &str)]) -> Resp {
    let query = serde_urlencoded::to_string(params).unwrap();
    let uri = format!("/packages/oauth2/login.php?{query}");
    send(r, Request::get(uri).body(Body::empty()).unwrap()).await
}

pub fn consent_params<'a>(challenge: &'a str, scope: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("response_type", "code"),
        ("client_id", CLIENT),
        ("redirect_uri", REDIRECT),
        ("scope", scope),
        ("state", "st-123"),
        ("code_challenge", challenge),
        ("code_challenge_method", "S256"),
    ]
}

pub async fn token_call(r: &Router, authorization: Option<&str>, form: &[(&str, &str)]) -> Resp {
    let mut req =
        Request::post("/oauth/token").header("content-type", "application/x-www-form-urlencoded");
    if let Some(a) = authorization {
        req = req.header("authorization", a);
    }
    let body = serde_urlencoded::to_string(form).unwrap();
    send(r, req.body(Body::from(body)).unwrap()).await
}

pub async fn bearer(r: &Router, method: &str, path: &str, token: &str, form: &str) -> Resp {
    let req = Request::builder()
        .method(method)
        .uri(path)
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(form.to_owned()))
        .unwrap();
    send(r, req).await
}

pub fn fake_with(config: FakeChatworkConfig) -> FakeChatwork {
    let fake = FakeChatwork::new(config);
    fake.add_person(ADMIN, "総務 管理者");
    fake.register_oauth_client(CLIENT, SECRET, REDIRECT, false);
    fake.set_oauth_consent(Consent::Approve { account_id: ADMIN });
    fake
}

pub fn fake() -> FakeChatwork {
    fake_with(FakeChatworkConfig::default())
}

pub async fn code_for(r: &Router, scope: &str) -> String {
    let c = challenge();
    let res = consent_page(r, &consent_params(&c, scope)).await;
    assert_eq!(res.status, 302, "{}", res.text());
    res.redirect_params()["code"].clone()
}

pub async fn exchange(r: &Router, code: &str) -> Resp {
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT),
        ("code_verifier", VERIFIER),
    ];
    token_call(r, Some(&basic(CLIENT, SECRET)), &form).await
}

pub async fn tokens(r: &Router, scope: &str) -> Value {
    let code = code_for(r, scope).await;
    let res = exchange(r, &code).await;
    assert_eq!(res.status, 200, "{}", res.text());
    res.json()
}

pub async fn refresh(r: &Router, refresh_token: &str) -> Resp {
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token),
    ];
    token_call(r, Some(&basic(CLIENT, SECRET)), &form).await
}
