//! The LINE provider against the fake LINE over real HTTP: connect, the exact push
//! request, its retry key, and how every answer is classified. v2.1 tokens and LINE
//! Login are in `line/*.rs`.

#[path = "line/login.rs"]
mod login;
#[path = "line/v21.rs"]
mod v21;

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use parking_lot::Mutex;
use renkei_core::model::{ConnectionKind, Mention, Notice};
use renkei_fakes::line::{demo, FakeLine, FakeLineConfig};
use renkei_providers::line::{friend_url, jst_text, next_month_start_jst, retry_key, Line, Quota};
use renkei_providers::{
    CredentialStore, DeliveryProvider, ProviderConfig, SendContext, SendOutcome,
};
use serde_json::{json, Value};

/// Records what the provider persisted.
#[derive(Default)]
pub struct SavedCredentials(pub Mutex<Vec<(i64, Value)>>);

impl CredentialStore for SavedCredentials {
    fn save<'a>(
        &'a self,
        connection: i64,
        credentials: &'a Value,
    ) -> BoxFuture<'a, Result<(), String>> {
        self.0.lock().push((connection, credentials.clone()));
        Box::pin(async { Ok(()) })
    }
}

pub struct Env {
    pub fake: FakeLine,
    pub line: Line,
    pub saved: Arc<SavedCredentials>,
    pub login_url: String,
}

/// A demo-world fake and a provider pointed at it (requests time out after 500 ms).
pub async fn env(config: FakeLineConfig) -> Env {
    let fake = FakeLine::with_demo_world(config);
    let running = fake.start().await.unwrap();
    let config = ProviderConfig {
        timeout: Duration::from_millis(500),
        rate_window_scale: 0.01,
        line_api_url: running.api_url(),
        line_login_url: running.login_url(),
        ..ProviderConfig::default()
    };
    let saved = Arc::new(SavedCredentials::default());
    let http = renkei_providers::http_client(config.timeout);
    let line = Line::new(http, &config, saved.clone());
    Env {
        fake,
        line,
        saved,
        login_url: running.login_url(),
    }
}

pub fn long_lived() -> Value {
    json!({"channel_access_token": demo::TOKEN, "channel_secret": demo::CHANNEL_SECRET})
}

pub fn ctx(credentials: &Value, connection: i64, delivery: i64) -> SendContext<'_> {
    SendContext {
        connection,
        delivery,
        credentials,
        thread_key: None,
    }
}

/// Requests the fake received on `path`.
pub fn hits(fake: &FakeLine, path: &str) -> usize {
    fake.requests().iter().filter(|r| r.path == path).count()
}

const PUSH: &str = "/v2/bot/message/push";

#[tokio::test]
async fn connect_reads_the_bot_and_stores_its_basic_id() {
    let e = env(FakeLineConfig::default()).await;
    let v = e.line.connect(&long_lived()).await.unwrap();
    assert_eq!(v.kind, ConnectionKind::Bot);
    assert_eq!(v.account_id.as_deref(), Some(demo::BOT_USER_ID));
    assert_eq!(v.account_name.as_deref(), Some("renkei 通知"));
    assert_eq!(v.default_room, None);
    assert_eq!(v.secret_hint, "…0001");
    assert_eq!(v.credentials["basic_id"], demo::BASIC_ID);
    assert_eq!(v.credentials["channel_access_token"], demo::TOKEN);
    assert_eq!(
        friend_url(v.credentials["basic_id"].as_str().unwrap()),
        "https://line.me/R/ti/p/%40123renkei"
    );

    let wrong = json!({"channel_access_token": "wrong", "channel_secret": demo::CHANNEL_SECRET});
    let refused = e.line.connect(&wrong).await.unwrap_err();
    assert_eq!((refused.status, refused.code), (422, "line_invalid_token"));
    assert!(
        !refused.message.contains("wrong"),
        "the token must not be echoed"
    );
    let no_secret = e
        .line
        .connect(&json!({"channel_access_token": demo::TOKEN}))
        .await
        .unwrap_err();
    assert_eq!(no_secret.code, "invalid_credentials");
    assert!(
        no_secret.message.contains("same provider"),
        "help names the Login channel rule"
    );
}

#[tokio::test]
async fn push_has_the_exact_shape_and_one_retry_key_per_delivery() {
    let e = env(FakeLineConfig::default()).await;
    let creds = long_lived();
    let first = e
        .line
        .send(ctx(&creds, 7, 1001), demo::YAMADA, "お知らせ")
        .await;
    let SendOutcome::Delivered {
        message_id: Some(id),
    } = first.outcome.clone()
    else {
        panic!("{first:?}");
    };
    let req = e
        .fake
        .requests()
        .into_iter()
        .find(|r| r.path == PUSH)
        .unwrap();
    assert_eq!(req.method, "POST");
    assert_eq!(
        req.header("authorization"),
        Some("***0001"),
        "Bearer token (masked in the log)"
    );
    assert_eq!(req.header("content-type"), Some("application/json"));
    assert_eq!(
        req.json(),
        json!({"to": demo::YAMADA, "messages": [{"type": "text", "text": "お知らせ"}]})
    );
    let key = e.fake.pushes()[0].retry_key.clone().unwrap();
    assert_eq!(key, retry_key(7, 1001));
    let logged_key = req.header("x-line-retry-key").unwrap();
    assert!(
        logged_key.ends_with(&key[32..]),
        "sent as a header (masked in the log)"
    );
    assert!(uuid::Uuid::parse_str(&key).is_ok());

    // The same delivery again (a retry on another node): same key, LINE answers 409.
    let again = e
        .line
        .send(ctx(&creds, 7, 1001), demo::YAMADA, "お知らせ")
        .await;
    assert_eq!(
        again.outcome,
        SendOutcome::Delivered {
            message_id: Some(id)
        }
    );
    assert_eq!(again.http_status, Some(409));
    assert_eq!(e.fake.pushes().len(), 1, "delivered once");

    let other = e.line.send(ctx(&creds, 7, 1002), demo::YAMADA, "次").await;
    assert!(matches!(other.outcome, SendOutcome::Delivered { .. }));
    let keys: Vec<_> = e
        .fake
        .pushes()
        .into_iter()
        .map(|p| p.retry_key.unwrap())
        .collect();
    assert_eq!(keys.len(), 2);
    assert_ne!(keys[0], keys[1]);
}

#[tokio::test]
async fn a_lost_answer_is_retried_with_the_same_key_and_counted_once() {
    let e = env(FakeLineConfig::default()).await;
    let creds = long_lived();
    e.fake.set_delay(Duration::from_millis(900));
    let lost = e.line.send(ctx(&creds, 1, 5), demo::YAMADA, "x").await;
    assert_eq!(lost.outcome, SendOutcome::Retry { after: None });
    assert!(lost.reached_provider, "a timeout may have been accepted");
    assert!(
        !lost.error.unwrap().contains("127.0.0.1"),
        "no URL in errors"
    );
    e.fake.set_delay(Duration::ZERO);
    let retried = e.line.send(ctx(&creds, 1, 5), demo::YAMADA, "x").await;
    assert!(
        matches!(
            retried.outcome,
            SendOutcome::Delivered {
                message_id: Some(_)
            }
        ),
        "{retried:?}"
    );
    assert_eq!(e.fake.pushes().len(), 1);
}

#[tokio::test]
async fn the_monthly_limit_pauses_the_connection_until_next_month_in_jst() {
    let e = env(FakeLineConfig::default()).await;
    let creds = long_lived();
    e.fake.set_monthly_quota(demo::CHANNEL_ID, Some(1));
    let before = chrono::Utc::now().timestamp();
    assert!(matches!(
        e.line
            .send(ctx(&creds, 1, 1), demo::YAMADA, "1")
            .await
            .outcome,
        SendOutcome::Delivered { .. }
    ));
    let over = e.line.send(ctx(&creds, 1, 2), demo::YAMADA, "2").await;
    let SendOutcome::CredentialRateLimited { until_unix } = over.outcome else {
        panic!("{over:?}");
    };
    let after = chrono::Utc::now().timestamp();
    assert!([next_month_start_jst(before), next_month_start_jst(after)].contains(&until_unix));
    let error = over.error.unwrap();
    assert!(error.contains("monthly message quota"), "{error}");
    assert!(error.contains(&jst_text(until_unix)), "{error}");
    assert_eq!(over.http_status, Some(429));
}

#[tokio::test]
async fn the_rate_limit_429_is_retried() {
    let config = FakeLineConfig {
        push_limit: 1,
        ..FakeLineConfig::default()
    };
    let e = env(config).await;
    let creds = long_lived();
    let _ = e.line.send(ctx(&creds, 1, 1), demo::YAMADA, "1").await;
    let limited = e.line.send(ctx(&creds, 1, 2), demo::YAMADA, "2").await;
    assert_eq!(limited.outcome, SendOutcome::Retry { after: None });
    assert_eq!(limited.http_status, Some(429));
    assert!(limited.error.unwrap().contains("rate limit"));
}

#[tokio::test]
async fn server_errors_are_retried_and_name_the_request() {
    let e = env(FakeLineConfig::default()).await;
    let creds = long_lived();
    e.fake.fail_next(1, 500);
    let failed = e.line.send(ctx(&creds, 1, 1), demo::YAMADA, "x").await;
    assert_eq!(failed.outcome, SendOutcome::Retry { after: None });
    assert!(failed.error.unwrap().contains("(x-line-request-id: "));
    let ok = e.line.send(ctx(&creds, 1, 1), demo::YAMADA, "x").await;
    assert!(
        matches!(ok.outcome, SendOutcome::Delivered { .. }),
        "the failed try did not use the key"
    );
}

#[tokio::test]
async fn bad_requests_are_permanent_with_lines_explanation() {
    let e = env(FakeLineConfig::default()).await;
    let creds = long_lived();
    let stranger = format!("U{}", "9".repeat(32));
    let unknown = e.line.send(ctx(&creds, 1, 1), &stranger, "x").await;
    assert_eq!(
        (unknown.outcome, unknown.http_status),
        (SendOutcome::Permanent, Some(400))
    );
    assert!(unknown
        .error
        .unwrap()
        .starts_with("Failed to send messages (x-line-request-id: "));
    let empty = e.line.send(ctx(&creds, 1, 2), demo::YAMADA, "").await;
    assert_eq!(empty.outcome, SendOutcome::Permanent);
    assert!(empty
        .error
        .unwrap()
        .contains("messages[0].text: May not be empty"));

    let before = e.fake.requests().len();
    let not_an_id = e.line.send(ctx(&creds, 1, 3), "@yamada", "x").await;
    assert_eq!(
        not_an_id.outcome,
        SendOutcome::Refused {
            code: "line_invalid_user_id"
        }
    );
    assert!(!not_an_id.reached_provider);
    assert_eq!(
        e.fake.requests().len(),
        before,
        "refused before asking LINE"
    );
}

#[tokio::test]
async fn a_refused_long_lived_token_breaks_the_connection() {
    let e = env(FakeLineConfig::default()).await;
    let creds = long_lived();
    e.fake.revoke_token(demo::TOKEN);
    let refused = e.line.send(ctx(&creds, 1, 1), demo::YAMADA, "x").await;
    assert_eq!(refused.outcome, SendOutcome::CredentialRejected);
    assert_eq!(hits(&e.fake, PUSH), 1, "a long-lived token is not retried");
    let broken = e
        .line
        .send(
            ctx(&json!({"channel_secret": "x"}), 1, 1),
            demo::YAMADA,
            "x",
        )
        .await;
    assert_eq!(broken.outcome, SendOutcome::CredentialRejected);
}

#[tokio::test]
async fn rendering_is_plain_text_without_mentions() {
    let e = env(FakeLineConfig::default()).await;
    let notice = Notice {
        title: "来客".into(),
        body: "受付にお客様です".into(),
        url: None,
        confirm_url: Some("https://renkei.example/c/1".into()),
    };
    let mention = Mention {
        account_id: demo::YAMADA.into(),
        name: "山田".into(),
    };
    let text = e.line.render(&notice, &[mention]);
    assert_eq!(
        text,
        "【来客】\n受付にお客様です\n確認 / Confirm: https://renkei.example/c/1"
    );
    let sent = e
        .line
        .send(ctx(&long_lived(), 1, 1), demo::YAMADA, &text)
        .await;
    assert!(matches!(sent.outcome, SendOutcome::Delivered { .. }));
    assert_eq!(e.fake.pushes()[0].texts(), [text]);
}

#[tokio::test]
async fn quota_reports_the_limit_and_this_months_usage() {
    let e = env(FakeLineConfig::default()).await;
    e.fake.set_monthly_usage(demo::CHANNEL_ID, 42);
    let q = e.line.quota(&long_lived()).await.unwrap();
    assert_eq!(
        q,
        Quota {
            limit: Some(200),
            used: 42
        }
    );
    e.fake.set_monthly_quota(demo::CHANNEL_ID, None);
    assert_eq!(e.line.quota(&long_lived()).await.unwrap().limit, None);
}

#[tokio::test]
async fn the_fakes_follow_webhook_passes_renkeis_signature_check() {
    use renkei_providers::signatures::{line::FollowEvents, verify_line};
    type Got = Arc<Mutex<Vec<(Option<String>, axum::body::Bytes)>>>;
    let got: Got = Arc::default();
    let sink = got.clone();
    let hook = axum::routing::post(
        move |headers: axum::http::HeaderMap, body: axum::body::Bytes| async move {
            let sig = headers
                .get("x-line-signature")
                .and_then(|v| v.to_str().ok());
            sink.lock().push((sig.map(str::to_string), body));
        },
    );
    let app = axum::Router::new().route("/line/webhook", hook);
    let receiver = renkei_fakes::common::serve(app, renkei_fakes::common::local_any_port())
        .await
        .unwrap();

    let e = env(FakeLineConfig::default()).await;
    let bot = e
        .line
        .connect(&long_lived())
        .await
        .unwrap()
        .account_id
        .unwrap();
    let url = format!("{}/line/webhook", receiver.url());
    assert_eq!(
        e.fake
            .send_follow(demo::SATO, &url, demo::CHANNEL_SECRET)
            .await,
        Ok(200)
    );
    let (sig, body) = got.lock()[0].clone();
    verify_line(demo::CHANNEL_SECRET, &body, sig.as_deref()).unwrap();
    assert!(verify_line("0123456789abcdef0123456789abcdef", &body, sig.as_deref()).is_err());
    let events = FollowEvents::parse(&body).unwrap();
    assert_eq!(
        events.destination, bot,
        "the webhook names the connection's bot"
    );
    assert_eq!(events.followed_user_ids().collect::<Vec<_>>(), [demo::SATO]);
}
