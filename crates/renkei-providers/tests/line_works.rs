//! The LINE WORKS provider against the fake: connecting, the JWT grant, the token cache and
//! its renewals. Messages and the calendar are in `line_works/`.

#[path = "line_works/calendar.rs"]
mod calendar;
#[path = "line_works/messages.rs"]
mod messages;

use std::sync::Arc;
use std::time::Duration;

use renkei_core::model::ConnectionKind;
use renkei_fakes::keys::{TEST_PRIVATE_KEY_PEM, TEST_PUBLIC_KEY_PEM};
use renkei_fakes::line_works::{
    FakeLineWorks, FakeLineWorksConfig, DEMO_BOT_ID, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET,
    DEMO_SERVICE_ACCOUNT, DEMO_USERS,
};
use renkei_providers::line_works::{LineWorks, API1_MIGRATION_HELP};
use renkei_providers::registry::NoCredentialStore;
use renkei_providers::{DeliveryProvider, ProviderConfig, SendContext, SendOutcome, SendResult};
use serde_json::{json, Value};

pub struct Setup {
    pub fake: FakeLineWorks,
    pub provider: LineWorks,
    /// What `connect` verified, as the engine would store it.
    pub creds: Value,
}

pub fn pasted() -> Value {
    json!({
        "client_id": DEMO_CLIENT_ID,
        "client_secret": DEMO_CLIENT_SECRET,
        "service_account": DEMO_SERVICE_ACCOUNT,
        "private_key": TEST_PRIVATE_KEY_PEM,
        "bot_id": DEMO_BOT_ID.to_string(),
    })
}

pub async fn setup_with(config: FakeLineWorksConfig) -> Setup {
    let fake = FakeLineWorks::with_demo_world(config);
    let running = fake.start().await.unwrap();
    let provider_config = ProviderConfig {
        timeout: Duration::from_millis(800),
        rate_window_scale: 0.01,
        lineworks_auth_url: running.auth_url(),
        lineworks_api_url: running.api_url(),
        ..ProviderConfig::default()
    };
    let http = renkei_providers::http_client(provider_config.timeout);
    let provider = LineWorks::new(http, &provider_config, Arc::new(NoCredentialStore));
    let creds = provider.connect(&pasted()).await.unwrap().credentials;
    Setup {
        fake,
        provider,
        creds,
    }
}

pub async fn setup() -> Setup {
    setup_with(FakeLineWorksConfig::default()).await
}

impl Setup {
    pub async fn send(&self, connection: i64, room: &str, rendered: &str) -> SendResult {
        let ctx = SendContext {
            connection,
            delivery: 1,
            credentials: &self.creds,
            thread_key: None,
        };
        self.provider.send(ctx, room, rendered).await
    }

    /// `METHOD path` of every request after the first `skip`.
    pub fn calls_since(&self, skip: usize) -> Vec<String> {
        let all = self.fake.requests();
        all[skip..]
            .iter()
            .map(|r| format!("{} {} {}", r.method, r.path, r.status))
            .collect()
    }

    pub fn token_requests(&self) -> usize {
        let all = self.fake.requests();
        all.iter().filter(|r| r.path.ends_with("/token")).count()
    }
}

pub fn text(t: &str) -> String {
    json!({"content": {"type": "text", "text": t}}).to_string()
}

pub fn dm() -> String {
    format!("user:{}", DEMO_USERS[0])
}

pub fn delivered(r: &SendResult) {
    assert!(matches!(r.outcome, SendOutcome::Delivered { .. }), "{r:?}");
}

#[tokio::test]
async fn connect_verifies_the_app_and_names_the_bot() {
    let s = setup().await;
    let v = s.provider.connect(&pasted()).await.unwrap();
    assert_eq!(v.kind, ConnectionKind::Bot);
    assert_eq!(v.account_id.as_deref(), Some("2000001"));
    assert_eq!(v.account_name.as_deref(), Some("renkei 通知"));
    assert_eq!(v.default_room, None);
    assert_eq!(v.secret_hint, "…cret");
    let stored = v.credentials.as_object().unwrap();
    let mut keys: Vec<&str> = stored.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "bot_id",
            "client_id",
            "client_secret",
            "private_key",
            "service_account"
        ]
    );
    assert!(
        !v.credentials.to_string().contains("fake-lw-at-"),
        "no token is stored"
    );
    let calls = s.calls_since(2);
    assert_eq!(
        calls,
        ["POST /oauth2/v2.0/token 200", "GET /v1.0/bots/2000001 200"]
    );
}

#[tokio::test]
async fn the_assertion_and_token_form_are_what_line_works_expects() {
    let s = setup().await;
    let jwt = &s.fake.assertions()[0];
    let header = jsonwebtoken::decode_header(jwt).unwrap();
    assert_eq!(header.alg, jsonwebtoken::Algorithm::RS256);
    assert_eq!(header.typ.as_deref(), Some("JWT"));
    let key = jsonwebtoken::DecodingKey::from_rsa_pem(TEST_PUBLIC_KEY_PEM.as_bytes()).unwrap();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.set_required_spec_claims(&["exp", "iss", "sub"]);
    let claims = jsonwebtoken::decode::<Value>(jwt, &key, &validation)
        .unwrap()
        .claims;
    assert_eq!(claims["iss"], DEMO_CLIENT_ID);
    assert_eq!(claims["sub"], DEMO_SERVICE_ACCOUNT);
    let (iat, exp) = (
        claims["iat"].as_i64().unwrap(),
        claims["exp"].as_i64().unwrap(),
    );
    assert_eq!(exp - iat, 30 * 60);
    assert!((iat - chrono::Utc::now().timestamp()).abs() < 30);

    let token_request = &s.fake.requests()[0];
    assert_eq!(
        token_request.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    let form = token_request.form();
    let field = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    assert_eq!(
        field("grant_type"),
        Some("urn:ietf:params:oauth:grant-type:jwt-bearer")
    );
    assert_eq!(field("client_id"), Some(DEMO_CLIENT_ID));
    assert_eq!(
        field("client_secret"),
        Some("***cret"),
        "sent (masked in the log)"
    );
    assert_eq!(field("scope"), Some("bot"));
    assert!(field("assertion").is_some());
}

#[tokio::test]
async fn connect_refuses_with_codes_that_say_what_to_fix() {
    let s = setup().await;
    let before = s.fake.requests().len();
    let mut api1 = pasted();
    api1["server_api_consumer_key"] = json!("old");
    let e = s.provider.connect(&api1).await.unwrap_err();
    assert_eq!(
        (e.status, e.code, e.message.as_str()),
        (422, "line_works_api1_fields", API1_MIGRATION_HELP)
    );
    let mut public = pasted();
    public["private_key"] = json!(TEST_PUBLIC_KEY_PEM);
    let e = s.provider.connect(&public).await.unwrap_err();
    assert_eq!(e.code, "line_works_invalid_private_key");
    assert_eq!(
        s.fake.requests().len(),
        before,
        "nothing is sent for a malformed paste"
    );

    let mut wrong_secret = pasted();
    wrong_secret["client_secret"] = json!("nope");
    let e = s.provider.connect(&wrong_secret).await.unwrap_err();
    assert_eq!((e.status, e.code), (422, "line_works_invalid_credentials"));
    assert!(e.message.contains("invalid_client"), "{}", e.message);
    let mut no_bot = pasted();
    no_bot["bot_id"] = json!("999");
    let e = s.provider.connect(&no_bot).await.unwrap_err();
    assert_eq!((e.status, e.code), (422, "line_works_unknown_bot"));
    assert!(!format!("{e:?}").contains(DEMO_CLIENT_SECRET));

    let mut escaped = pasted();
    escaped["private_key"] = json!(TEST_PRIVATE_KEY_PEM.trim_end().replace('\n', "\\n"));
    assert!(
        s.provider.connect(&escaped).await.is_ok(),
        "a key with \\n escapes works"
    );
}

#[tokio::test]
async fn one_token_serves_many_sends_and_concurrent_sends_share_a_renewal() {
    let s = setup().await;
    let issued = s.token_requests();
    for _ in 0..3 {
        delivered(&s.send(1, &dm(), &text("x")).await);
    }
    assert_eq!(s.token_requests(), issued + 1, "one token for three sends");

    let (room, body) = (dm(), text("y"));
    let sends = (0..20).map(|_| s.send(2, &room, &body));
    for r in futures::future::join_all(sends).await {
        delivered(&r);
    }
    assert_eq!(
        s.token_requests(),
        issued + 2,
        "another connection, one more token"
    );
    assert_eq!(s.fake.messages().len(), 23);
}

#[tokio::test]
async fn tokens_are_renewed_shortly_before_they_expire() {
    let s = setup().await;
    s.fake.set_token_lifetime(Duration::from_secs(2));
    let issued = s.token_requests();
    delivered(&s.send(1, &dm(), &text("a")).await);
    // The scenario: the token ages (2 s life) between sends.
    tokio::time::sleep(Duration::from_millis(900)).await;
    delivered(&s.send(1, &dm(), &text("b")).await);
    assert_eq!(
        s.token_requests(),
        issued + 1,
        "half-way through its life it is reused"
    );
    // Less than 10 % of its life left: renewed before use, so LINE WORKS never refuses it.
    tokio::time::sleep(Duration::from_millis(950)).await;
    delivered(&s.send(1, &dm(), &text("c")).await);
    assert_eq!(s.token_requests(), issued + 2);
    assert_eq!(s.fake.count_status(403), 0);
}

#[tokio::test]
async fn an_expired_token_is_renewed_and_the_send_retried_once() {
    let s = setup().await;
    delivered(&s.send(1, &dm(), &text("a")).await);
    s.fake.expire_tokens();
    let skip = s.fake.requests().len();
    delivered(&s.send(1, &dm(), &text("b")).await);
    let msg = format!("POST /v1.0/bots/2000001/users/{}/messages", DEMO_USERS[0]);
    assert_eq!(
        s.calls_since(skip),
        [
            format!("{msg} 403"),
            "POST /oauth2/v2.0/token 200".into(),
            format!("{msg} 201")
        ]
    );

    // Refused again with the new token: no third attempt, try later.
    s.fake.fail_next(Some("/messages"), 2, 403);
    let skip = s.fake.requests().len();
    let r = s.send(1, &dm(), &text("c")).await;
    assert_eq!(
        r.outcome,
        SendOutcome::Retry {
            after: Some(Duration::from_secs(60))
        }
    );
    assert_eq!(
        s.calls_since(skip)
            .iter()
            .filter(|c| c.contains("/messages"))
            .count(),
        2
    );
}

#[tokio::test]
async fn a_revoked_token_gets_401_and_is_renewed() {
    let s = setup().await;
    delivered(&s.send(1, &dm(), &text("a")).await);
    s.fake.revoke_tokens();
    let skip = s.fake.requests().len();
    delivered(&s.send(1, &dm(), &text("b")).await);
    let msg = format!("POST /v1.0/bots/2000001/users/{}/messages", DEMO_USERS[0]);
    assert_eq!(
        s.calls_since(skip),
        [
            format!("{msg} 401"),
            "POST /oauth2/v2.0/token 200".into(),
            format!("{msg} 201")
        ]
    );
}

#[tokio::test]
async fn a_401_twice_breaks_the_connection_but_once_is_forgiven() {
    let s = setup().await;
    s.fake.fail_next(Some("/messages"), 1, 401);
    delivered(&s.send(1, &dm(), &text("a")).await);
    s.fake.fail_next(Some("/messages"), 2, 401);
    let r = s.send(1, &dm(), &text("b")).await;
    assert_eq!(r.outcome, SendOutcome::CredentialRejected);
    assert_eq!(r.http_status, Some(401));
}

#[tokio::test]
async fn credentials_revoked_meanwhile_are_rejected_with_line_works_words() {
    let s = setup().await;
    delivered(&s.send(1, &dm(), &text("a")).await);
    // The secret was reissued in the Developer Console, then the token expired.
    s.fake.add_app(
        DEMO_CLIENT_ID,
        "reissued",
        DEMO_SERVICE_ACCOUNT,
        TEST_PUBLIC_KEY_PEM,
    );
    s.fake.expire_tokens();
    let r = s.send(1, &dm(), &text("b")).await;
    assert_eq!(r.outcome, SendOutcome::CredentialRejected);
    let error = r.error.unwrap();
    assert!(error.contains("invalid_client"), "{error}");
    assert!(
        !error.contains(DEMO_CLIENT_SECRET) && !error.contains("http"),
        "{error}"
    );
}

#[tokio::test]
async fn stored_credentials_that_are_incomplete_are_rejected_locally() {
    let s = setup().await;
    let ctx = SendContext {
        connection: 1,
        delivery: 1,
        credentials: &json!({"client_id": "x"}),
        thread_key: None,
    };
    let r = s.provider.send(ctx, &dm(), &text("a")).await;
    assert_eq!(r.outcome, SendOutcome::CredentialRejected);
    assert!(!r.reached_provider);
}
