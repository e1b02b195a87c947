//! Helpers for `chatwork_oauth.rs`: a fake Chatwork on a local port, a provider pointed
//! at it, and a credential store that remembers what it was given.

#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use parking_lot::Mutex;
use renkei_fakes::chatwork::{Consent, FakeChatwork, FakeChatworkConfig, RunningFakeChatwork};
use renkei_providers::chatwork::oauth::{authorize_url, Pkce, SCOPES_RECOMMENDED};
use renkei_providers::chatwork::{Chatwork, OAuthCredentials};
use renkei_providers::{CredentialStore, SendContext};
use serde_json::Value;

pub const CLIENT: &str = "cw-client";
pub const SECRET: &str = "cw-secret-9876";
pub const REDIRECT: &str = "https://renkei.example/oauth/chatwork/callback";
pub const ADMIN: i64 = 1001;
pub const MEMBER: i64 = 2001;
pub const CONNECTION: i64 = 42;

/// Remembers every save, so tests can assert what would have been persisted.
#[derive(Default)]
pub struct RecordingStore {
    pub saved: Mutex<Vec<(i64, Value)>>,
}

impl CredentialStore for RecordingStore {
    fn save<'a>(
        &'a self,
        connection: i64,
        credentials: &'a Value,
    ) -> BoxFuture<'a, Result<(), String>> {
        self.saved.lock().push((connection, credentials.clone()));
        Box::pin(async { Ok(()) })
    }
}

pub struct Setup {
    pub running: RunningFakeChatwork,
    pub fake: FakeChatwork,
    pub chatwork: Chatwork,
    pub store: Arc<RecordingStore>,
}

pub async fn setup() -> Setup {
    let fake = FakeChatwork::new(FakeChatworkConfig::default());
    fake.add_person(ADMIN, "総務 管理者");
    fake.add_person(MEMBER, "山田太郎");
    fake.register_oauth_client(CLIENT, SECRET, REDIRECT, false);
    fake.set_oauth_consent(Consent::Approve { account_id: ADMIN });
    let running = fake.start().await.unwrap();
    let store = Arc::new(RecordingStore::default());
    let chatwork = Chatwork::with_oauth(
        renkei_providers::http_client(Duration::from_secs(5)),
        &running.base_url(),
        &running.oauth_url(),
        None,
        store.clone(),
    );
    Setup {
        fake: running.fake.clone(),
        running,
        chatwork,
        store,
    }
}

pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Stored credentials for tokens the fake issued, claiming they expire at `expires_at`.
pub fn stored(fake: &FakeChatwork, scope: &str, expires_at: i64) -> Value {
    let t = fake.issue_oauth_tokens(CLIENT, ADMIN, scope);
    OAuthCredentials {
        client_id: CLIENT.into(),
        client_secret: SECRET.into(),
        access_token: t.access_token,
        refresh_token: t.refresh_token,
        expires_at,
        scope: t.scope,
    }
    .to_credentials()
}

pub fn ctx(credentials: &Value) -> SendContext<'_> {
    SendContext {
        connection: CONNECTION,
        delivery: 1,
        credentials,
        thread_key: None,
    }
}

/// Walks the consent page like a browser and returns the code from the redirect.
pub async fn consent_code(s: &Setup, pkce: &Pkce) -> String {
    let url = authorize_url(
        &s.running.login_url(),
        CLIENT,
        REDIRECT,
        SCOPES_RECOMMENDED,
        "st-1",
        &pkce.challenge,
    );
    let http = renkei_providers::http_client(Duration::from_secs(5));
    let res = http.get(url).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 302);
    let location = res.headers()["location"].to_str().unwrap();
    let url = url::Url::parse(location).unwrap();
    let code = url.query_pairs().find(|p| p.0 == "code").unwrap().1;
    code.into_owned()
}

pub fn refreshes(fake: &FakeChatwork) -> usize {
    let token_requests = fake.oauth_token_requests();
    token_requests
        .iter()
        .filter(|r| r.field("grant_type") == Some("refresh_token"))
        .count()
}
