//! Bot messages: user vs channel endpoints, what is posted, and how refusals, rate limits
//! and outages are classified.

use std::time::Duration;

use renkei_core::model::{Mention, Notice};
use renkei_fakes::line_works::{
    FakeLineWorksConfig, DEMO_CHANNEL, DEMO_CHANNEL_WITHOUT_BOT, DEMO_USERS,
};
use renkei_providers::{DeliveryProvider, RateInfo, SendOutcome};
use serde_json::json;

use super::{delivered, dm, setup, setup_with, text};

fn notice() -> Notice {
    Notice {
        title: "給与明細".into(),
        body: "12月分が届きました".into(),
        url: Some("https://hr.example/p/1".into()),
        confirm_url: Some("https://renkei.example/c/1".into()),
    }
}

#[tokio::test]
async fn users_and_channels_have_their_own_endpoints() {
    let s = setup().await;
    let skip = s.fake.requests().len();
    delivered(&s.send(1, &dm(), &text("to a person")).await);
    delivered(&s.send(1, DEMO_CHANNEL, &text("to a room")).await);
    let calls = s.calls_since(skip);
    assert_eq!(
        calls[1],
        format!(
            "POST /v1.0/bots/2000001/users/{}/messages 201",
            DEMO_USERS[0]
        )
    );
    assert_eq!(
        calls[2],
        format!("POST /v1.0/bots/2000001/channels/{DEMO_CHANNEL}/messages 201")
    );
    assert_eq!(
        s.fake.messages_to_user(DEMO_USERS[0])[0].text(),
        Some("to a person")
    );
    assert_eq!(
        s.fake.messages_in_channel(DEMO_CHANNEL)[0].text(),
        Some("to a room")
    );
    let posted = &s.fake.requests()[skip + 1];
    assert_eq!(posted.header("content-type"), Some("application/json"));
    assert!(
        posted.header("authorization").unwrap().starts_with("***"),
        "masked bearer"
    );
    assert_eq!(
        s.provider.direct_destination(DEMO_USERS[1]),
        format!("user:{}", DEMO_USERS[1])
    );
}

#[tokio::test]
async fn a_rendered_notice_arrives_as_text_with_mentions() {
    let s = setup().await;
    let who = Mention {
        account_id: DEMO_USERS[0].into(),
        name: "山田".into(),
    };
    let rendered = s.provider.render(&notice(), &[who]);
    let r = s.send(1, DEMO_CHANNEL, &rendered).await;
    assert_eq!(r.outcome, SendOutcome::Delivered { message_id: None });
    let content = &s.fake.messages_in_channel(DEMO_CHANNEL)[0].content;
    assert_eq!(
        content,
        &json!({"type": "text", "text": format!(
            "<m userId=\"{}\">\n【給与明細】\n12月分が届きました\nhttps://hr.example/p/1\n確認 / Confirm: https://renkei.example/c/1",
            DEMO_USERS[0]
        )})
    );
}

#[tokio::test]
async fn refusals_say_what_to_fix() {
    let s = setup().await;
    let denied = s.send(1, DEMO_CHANNEL_WITHOUT_BOT, &text("x")).await;
    assert_eq!(
        denied.outcome,
        SendOutcome::Refused {
            code: "line_works_access_denied"
        }
    );
    assert_eq!(denied.http_status, Some(403));
    assert!(
        denied.error.as_deref().unwrap().contains("invite the bot"),
        "{denied:?}"
    );
    let missing = s.send(1, "no-such-channel", &text("x")).await;
    assert_eq!(
        (missing.outcome, missing.http_status),
        (SendOutcome::Permanent, Some(404))
    );
    let nobody = s.send(1, "user:nobody@renkei-demo", &text("x")).await;
    assert_eq!(nobody.outcome, SendOutcome::Permanent);
    let blank = s.send(1, "user:", &text("x")).await;
    assert_eq!(blank.outcome, SendOutcome::Permanent);
    assert!(!blank.reached_provider);
    let too_long = s.send(1, &dm(), &text(&"x".repeat(2001))).await;
    assert_eq!(
        (too_long.outcome, too_long.http_status),
        (SendOutcome::Permanent, Some(400))
    );
    assert!(s.fake.messages().is_empty());
}

#[tokio::test]
async fn a_429_pauses_the_connection_until_the_window_resets() {
    let s = setup_with(FakeLineWorksConfig {
        operation_limit: 2,
        ..FakeLineWorksConfig::default()
    })
    .await;
    for _ in 0..2 {
        delivered(&s.send(1, DEMO_CHANNEL, &text("x")).await);
    }
    let r = s.send(1, DEMO_CHANNEL, &text("x")).await;
    let now = chrono::Utc::now().timestamp();
    let SendOutcome::CredentialRateLimited { until_unix } = r.outcome else {
        panic!("{r:?}");
    };
    assert!(
        (now + 58..=now + 61).contains(&until_unix),
        "{until_unix} vs {now}"
    );
    assert_eq!(r.http_status, Some(429));
    let rate: RateInfo = r.rate.unwrap();
    assert_eq!(
        (rate.limit, rate.remaining, rate.reset_unix),
        (2, 0, until_unix)
    );
    assert!(r.error.unwrap().contains("TOO_MANY_REQUESTS"));
    assert_eq!(s.fake.messages().len(), 2);
}

#[tokio::test]
async fn outages_and_timeouts_are_retried_later() {
    let s = setup().await;
    s.fake.fail_next(Some("/messages"), 1, 503);
    let r = s.send(1, &dm(), &text("x")).await;
    assert_eq!(r.outcome, SendOutcome::Retry { after: None });
    assert_eq!((r.http_status, r.reached_provider), (Some(503), true));
    s.fake.fail_next(Some("/messages"), 1, 500);
    assert_eq!(
        s.send(1, &dm(), &text("x")).await.outcome,
        SendOutcome::Retry { after: None }
    );

    s.fake.set_delay(Duration::from_millis(1200));
    let slow = s.send(1, &dm(), &text("x")).await;
    assert_eq!(slow.outcome, SendOutcome::Retry { after: None });
    let error = slow.error.unwrap();
    assert!(
        error.contains("timed out") && !error.contains("127.0.0.1"),
        "{error}"
    );
    s.fake.set_delay(Duration::ZERO);

    s.fake.fail_next(Some("/oauth2"), 1, 503);
    s.fake.expire_tokens();
    let no_token = s.send(1, &dm(), &text("x")).await;
    assert_eq!(no_token.outcome, SendOutcome::Retry { after: None });
    delivered(&s.send(1, &dm(), &text("x")).await);
}
