//! The Google Chat provider against the fake webhook over real HTTP: connect (shape checks,
//! SSRF), the exact request sent, mentions, threads shared by key, every class of answer
//! and the per-space limit.

use std::time::Duration;

use renkei_core::model::{ConnectionKind, Mention, Notice};
use renkei_fakes::common::Running;
use renkei_fakes::google_chat::{
    FakeGoogleChat, FakeGoogleChatConfig, DEMO_KEY, DEMO_SPACE, DEMO_TOKEN,
};
use renkei_providers::google_chat::GoogleChat;
use renkei_providers::{DeliveryProvider, ProviderConfig, SendContext, SendOutcome, SendResult};
use serde_json::{json, Value};

fn config() -> ProviderConfig {
    ProviderConfig {
        timeout: Duration::from_millis(500),
        rate_window_scale: 0.01,
        allow_private_targets: true,
        ..ProviderConfig::default()
    }
}

/// The fake with a loose per-second window, for tests about something else.
fn quick_writes() -> FakeGoogleChatConfig {
    FakeGoogleChatConfig {
        burst_per_space: 1_000,
        ..Default::default()
    }
}

fn chat(config: &ProviderConfig) -> GoogleChat {
    GoogleChat::new(renkei_providers::http_client(config.timeout), config)
}

async fn started(config: FakeGoogleChatConfig) -> (FakeGoogleChat, Running, String) {
    let fake = FakeGoogleChat::with_demo_world(config);
    let running = fake.start().await.unwrap();
    let url = fake.webhook_url(DEMO_SPACE, DEMO_KEY, DEMO_TOKEN);
    (fake, running, url)
}

fn notice(title: &str, body: &str) -> Notice {
    Notice {
        title: title.into(),
        body: body.into(),
        url: Some("https://drive.example/f/1".into()),
        confirm_url: Some("https://renkei.example/c/1.2.sig".into()),
    }
}

async fn send(
    provider: &GoogleChat,
    url: &str,
    rendered: &str,
    thread: Option<&str>,
) -> SendResult {
    let credentials = json!({ "webhook_url": url });
    let ctx = SendContext {
        connection: 1,
        delivery: 1,
        credentials: &credentials,
        thread_key: thread,
    };
    provider.send(ctx, "webhook", rendered).await
}

#[tokio::test]
async fn connect_checks_the_shape_without_posting() {
    let (fake, _running, url) = started(quick_writes()).await;
    let verified = chat(&config())
        .connect(&json!({ "webhook_url": url }))
        .await
        .unwrap();
    assert_eq!(verified.kind, ConnectionKind::Webhook);
    assert_eq!(verified.secret_hint, "…0001");
    assert_eq!(
        verified.account_name.as_deref(),
        Some("spaces/AAAAdemo0001")
    );
    assert_eq!(verified.default_room.as_deref(), Some("webhook"));
    assert_eq!(verified.credentials, json!({ "webhook_url": url }));
    assert!(
        fake.requests().is_empty(),
        "any request would post into the space"
    );
}

#[tokio::test]
async fn connect_refuses_cut_urls_other_hosts_and_addresses() {
    let strict = ProviderConfig {
        allow_private_targets: false,
        ..config()
    };
    let path = "/v1/spaces/AAAA/messages?key=K&token=s3cr3t";
    for url in [
        "https://chat.googleapis.com/v1/spaces/AAAA/messages?key=K".to_string(),
        "https://chat.googleapis.com/v1/spaces/AAAA/messages?token=s3cr3t".into(),
        "https://chat.googleapis.com/v1/spaces/AAAA?key=K&token=s3cr3t".into(),
        format!("http://chat.googleapis.com{path}"),
        format!("https://chat.googleapis.com.evil.example{path}"),
        format!("https://127.0.0.1{path}"),
        format!("http://127.0.0.1:9{path}"),
        format!("https://[::1]{path}"),
    ] {
        let e = chat(&strict)
            .connect(&json!({ "webhook_url": url }))
            .await
            .unwrap_err();
        assert_eq!((e.status, e.code), (422, "invalid_webhook_url"), "{url}");
        assert!(!e.message.contains("s3cr3t"), "{}", e.message);
    }
    let cut = json!({"webhook_url": "https://chat.googleapis.com/v1/spaces/AAAA/messages?key=K"});
    let e = chat(&strict).connect(&cut).await.unwrap_err();
    assert!(
        e.message.contains("token") && e.message.contains("Apps & integrations"),
        "{}",
        e.message
    );
}

#[tokio::test]
async fn send_posts_the_message_and_returns_its_name() {
    let (fake, _running, url) = started(quick_writes()).await;
    let provider = chat(&config());
    let mentions = [
        Mention {
            account_id: "users/111".into(),
            name: "山田".into(),
        },
        Mention {
            account_id: "222".into(),
            name: "佐藤".into(),
        },
    ];
    let rendered = provider.render(&notice("給与明細", "<users/all> 皆さん"), &mentions);
    let result = send(&provider, &url, &rendered, None).await;
    let SendOutcome::Delivered {
        message_id: Some(id),
    } = &result.outcome
    else {
        panic!("{result:?}");
    };
    assert!(id.starts_with("spaces/AAAAdemo0001/messages/"), "{id}");

    let request = &fake.requests()[0];
    assert_eq!(
        (request.method.as_str(), request.path.as_str()),
        ("POST", "/v1/spaces/AAAAdemo0001/messages")
    );
    assert_eq!(request.query.as_deref(), Some("key=***0001&token=***0001"));
    assert_eq!(
        request.header("content-type"),
        Some("application/json; charset=UTF-8")
    );
    assert_eq!(
        request.json(),
        serde_json::from_str::<Value>(&rendered).unwrap()
    );
    let stored = &fake.messages(DEMO_SPACE)[0];
    let text = stored["text"].as_str().unwrap();
    assert!(
        text.starts_with("<users/111> <users/222>\n*給与明細*\n"),
        "{text}"
    );
    assert!(
        !text.contains("<users/all>"),
        "user text mentioned everyone: {text}"
    );
    let buttons =
        &stored["cardsV2"][0]["card"]["sections"][0]["widgets"][0]["buttonList"]["buttons"];
    assert_eq!(
        buttons[0]["onClick"]["openLink"]["url"],
        "https://drive.example/f/1"
    );
    assert_eq!(
        buttons[1]["onClick"]["openLink"]["url"],
        "https://renkei.example/c/1.2.sig"
    );
}

#[tokio::test]
async fn notices_with_one_thread_key_share_a_thread() {
    let (fake, _running, url) = started(quick_writes()).await;
    let provider = chat(&config());
    let rendered = provider.render(&notice("t", "b"), &[]);
    for key in [Some("case-42"), Some("case-42"), None, None] {
        let result = send(&provider, &url, &rendered, key).await;
        assert!(
            matches!(result.outcome, SendOutcome::Delivered { .. }),
            "{result:?}"
        );
    }
    let requests = fake.requests();
    assert_eq!(
        requests[0].query.as_deref(),
        Some("key=***0001&token=***0001&messageReplyOption=REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD")
    );
    assert_eq!(
        requests[0].json()["thread"],
        json!({"threadKey": "case-42"})
    );
    assert_eq!(
        requests[2].query.as_deref(),
        Some("key=***0001&token=***0001")
    );
    assert!(requests[2].json().get("thread").is_none());
    let threads: Vec<String> = fake
        .messages(DEMO_SPACE)
        .iter()
        .map(|m| m["thread"]["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(threads[0], threads[1], "same key, same thread");
    assert_ne!(threads[1], threads[2]);
    assert_ne!(threads[2], threads[3], "no key: a thread each");
}

#[tokio::test]
async fn refusals_and_failures_are_classified() {
    let (fake, _running, url) = started(quick_writes()).await;
    let provider = chat(&config());
    let rendered = provider.render(&notice("t", "b"), &[]);

    let bad_key = send(
        &provider,
        &url.replace("key=demo-key-0001", "key=wrong"),
        &rendered,
        None,
    )
    .await;
    assert_eq!(
        (bad_key.outcome, bad_key.http_status),
        (SendOutcome::CredentialRejected, Some(400))
    );
    assert_eq!(
        bad_key.error.as_deref(),
        Some("INVALID_ARGUMENT: API key not valid. Please pass a valid API key.")
    );

    let bad_token = send(
        &provider,
        &url.replace("token=demo-token-0001", "token=forged"),
        &rendered,
        None,
    )
    .await;
    assert_eq!(
        (bad_token.outcome, bad_token.http_status),
        (SendOutcome::CredentialRejected, Some(401))
    );
    let error = bad_token.error.unwrap();
    assert!(
        error.starts_with("UNAUTHENTICATED: ") && !error.contains("https://"),
        "{error}"
    );

    let empty = send(&provider, &url, "{}", None).await;
    assert_eq!(empty.outcome, SendOutcome::Permanent);
    assert_eq!(
        empty.error.as_deref(),
        Some("INVALID_ARGUMENT: Message cannot be empty. Discarding empty message.")
    );

    fake.fail_next(1, 503);
    let unavailable = send(&provider, &url, &rendered, None).await;
    assert_eq!(
        (unavailable.outcome, unavailable.http_status),
        (SendOutcome::Retry { after: None }, Some(503))
    );

    fake.remove_webhook(DEMO_SPACE, DEMO_TOKEN);
    let removed = send(&provider, &url, &rendered, None).await;
    assert_eq!(
        (removed.outcome, removed.http_status),
        (SendOutcome::CredentialRejected, Some(403))
    );
    fake.remove_space(DEMO_SPACE);
    let gone = send(&provider, &url, &rendered, None).await;
    assert_eq!(
        (gone.outcome, gone.http_status),
        (SendOutcome::CredentialRejected, Some(404))
    );

    let none = send(
        &provider,
        "https://chat.googleapis.com/v1/spaces/A/messages?key=K",
        &rendered,
        None,
    )
    .await;
    assert_eq!(none.outcome, SendOutcome::CredentialRejected);
    assert!(!none.reached_provider);
}

#[tokio::test]
async fn the_per_space_limit_is_sixty_a_minute() {
    let (fake, _running, url) = started(quick_writes().scaled(0.05)).await;
    let provider = chat(&config());
    assert_eq!(
        provider.limits().per_credential,
        Some((60, Duration::from_millis(600)))
    );
    let rendered = provider.render(&notice("t", "b"), &[]);
    for i in 0..60 {
        let result = send(&provider, &url, &rendered, None).await;
        assert!(
            matches!(result.outcome, SendOutcome::Delivered { .. }),
            "{i}: {result:?}"
        );
    }
    let limited = send(&provider, &url, &rendered, None).await;
    assert_eq!(
        (limited.outcome, limited.http_status),
        (SendOutcome::Retry { after: None }, Some(429))
    );
    assert!(limited.error.unwrap().starts_with("RESOURCE_EXHAUSTED: "));
    assert_eq!(fake.count_status(429), 1);
}

#[tokio::test]
async fn a_timeout_is_retried_and_may_have_posted() {
    let (fake, _running, url) = started(quick_writes()).await;
    let provider = chat(&config());
    fake.set_delay(Duration::from_millis(900));
    let result = send(
        &provider,
        &url,
        &provider.render(&notice("t", "b"), &[]),
        None,
    )
    .await;
    assert_eq!(result.outcome, SendOutcome::Retry { after: None });
    assert!(result.reached_provider);
    assert!(
        !result.error.unwrap().contains("token="),
        "no URL in transport errors"
    );
    assert_eq!(
        fake.messages(DEMO_SPACE).len(),
        1,
        "posted although the answer was lost"
    );
}

/// Two webhooks of different apps into one space, sending at once: renkei gives them one
/// pace (one post per interval for the space), so the fake's per-space window, which
/// would refuse the burst, never answers 429.
#[tokio::test]
async fn webhooks_into_one_space_share_its_pace() {
    let fake_config = FakeGoogleChatConfig {
        burst_per_space: 3,
        burst_window: Duration::from_millis(100),
        ..FakeGoogleChatConfig::default()
    };
    let (fake, _running, first) = started(fake_config).await;
    let second = fake.add_webhook(DEMO_SPACE, "key-of-another-app", "token-2");
    let provider = chat(&ProviderConfig {
        rate_window_scale: 0.05, // one post per 50 ms per space
        ..config()
    });
    let rendered = provider.render(&notice("t", "b"), &[]);
    let start = std::time::Instant::now();
    let sends = (0..6).map(|i| {
        let url = if i % 2 == 0 { &first } else { &second };
        send(&provider, url, &rendered, None)
    });
    let results = futures::future::join_all(sends).await;
    for r in &results {
        assert!(matches!(r.outcome, SendOutcome::Delivered { .. }), "{r:?}");
    }
    assert_eq!(fake.count_status(429), 0);
    assert!(
        start.elapsed() >= Duration::from_millis(250),
        "six turns, 50 ms apart: {:?}",
        start.elapsed()
    );

    // Without the shared pace the same burst is refused.
    let unpaced = chat(&ProviderConfig {
        rate_window_scale: 0.0,
        ..config()
    });
    let sends = (0..6).map(|_| send(&unpaced, &first, &rendered, None));
    let results = futures::future::join_all(sends).await;
    assert!(
        results.iter().any(|r| r.http_status == Some(429)),
        "the fake enforces the space's pace"
    );
}
