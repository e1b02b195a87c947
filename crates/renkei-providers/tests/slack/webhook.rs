//! Sending through an incoming webhook, and transport failures.

use super::*;

/// Breaks a webhook (given the fake and the webhook's path) the way Slack sees it break.
type Breaker = fn(&FakeSlack, &str);

#[tokio::test]
async fn transport_failures_are_retried_without_leaking_urls() {
    let env = env().await;
    env.fake.set_delay(Duration::from_secs(3)); // longer than the 2 s timeout
    let slow = env.send(&env.webhook(), "webhook", &text("x")).await;
    assert_eq!(
        (slow.outcome.clone(), slow.reached_provider),
        (SendOutcome::Retry { after: None }, true)
    );
    assert!(
        slow.error.as_deref().unwrap().contains("timed out"),
        "{slow:?}"
    );
    env.running.stop();
    env.fake.set_delay(Duration::ZERO);
    let down = env.send(&env.webhook(), "webhook", &text("x")).await;
    assert_eq!(
        (down.outcome.clone(), down.reached_provider),
        (SendOutcome::Retry { after: None }, false)
    );
    for r in [slow, down] {
        assert!(!r.error.unwrap().contains(WEBHOOK_SECRET));
    }
}

#[tokio::test]
async fn a_webhook_post_sends_the_payload_to_the_stored_url() {
    let env = env().await;
    let rendered = env.slack.render(&notice("t", "b"), &[]);
    let res = env.send(&env.webhook(), "webhook", &rendered).await;
    assert_eq!(res.outcome, SendOutcome::Delivered { message_id: None });
    let req = &env.fake.requests()[0];
    assert_eq!(req.path, "/services/T0000FAKE1/B0DEMO0001/***0001");
    assert_eq!(
        req.header("content-type"),
        Some("application/json; charset=utf-8")
    );
    assert_eq!(req.header("authorization"), None);
    assert_eq!(req.body, rendered);
    assert_eq!(
        env.fake.messages(GENERAL)[0].webhook_id.as_deref(),
        Some("B0DEMO0001")
    );
}

#[tokio::test]
async fn webhook_answers_map_to_outcomes() {
    let env = env().await;
    let hook = env.webhook();
    let bad = env.send(&hook, "webhook", "{}").await;
    assert_eq!(
        (bad.outcome, bad.http_status),
        (SendOutcome::Permanent, Some(400))
    );
    assert!(bad
        .error
        .unwrap()
        .contains("missing_text_or_fallback_or_attachments"));

    env.fake.fail_next(1, 500);
    let outage = env.send(&hook, "webhook", &text("x")).await;
    assert_eq!(outage.outcome, SendOutcome::Retry { after: None });
    assert!(outage.error.unwrap().contains("rollup_error"));

    // Dead webhooks: each breaks the connection, with Slack's reason kept.
    let dead: [(&str, Breaker, u16, &str); 4] = [
        (
            "B0RESTRICT/s1",
            |f, _| f.restrict_channel("C0REST0001", true),
            403,
            "action_prohibited",
        ),
        (
            "B0ARCHIVED/s2",
            |f, _| f.archive_channel("C0REST0001", true),
            410,
            "channel_is_archived",
        ),
        (
            "B0REVOKED0/s3",
            |f, p| f.revoke_webhook(p),
            403,
            "invalid_token",
        ),
        (
            "B0REMOVED0/s4",
            |f, p| f.remove_webhook(p),
            404,
            "no_service",
        ),
    ];
    for (suffix, break_it, status, code) in dead {
        env.fake.add_channel("C0REST0001", "rest", &[]);
        let path = env
            .fake
            .add_webhook(&format!("T0000FAKE1/{suffix}"), "C0REST0001");
        break_it(&env.fake, &path);
        let creds = json!({"webhook_url": env.running.webhook_url(&path)});
        let res = env.send(&creds, "webhook", &text("x")).await;
        assert_eq!(
            (res.outcome, res.http_status),
            (SendOutcome::CredentialRejected, Some(status)),
            "{code}"
        );
        assert!(res.error.unwrap().contains(code), "{code}");
    }
    assert!(env.fake.all_messages().is_empty());
}

#[tokio::test]
async fn a_busy_webhook_pauses_for_retry_after() {
    let env = env().await;
    for _ in 0..3 {
        assert_eq!(
            env.send(&env.webhook(), "webhook", &text("x"))
                .await
                .http_status,
            Some(200)
        );
    }
    let limited = env.send(&env.webhook(), "webhook", &text("x")).await;
    let SendOutcome::RoomRateLimited { after } = limited.outcome else {
        panic!("{limited:?}");
    };
    assert!((1..=3).contains(&after.as_secs()), "{after:?}");
    assert_eq!(limited.http_status, Some(429));
}

#[tokio::test]
async fn a_webhook_refuses_rooms_it_cannot_reach() {
    let env = env().await;
    let dm = env
        .send(&env.webhook(), "U0DEMO0001", &text("secret"))
        .await;
    assert_eq!(
        dm.outcome,
        SendOutcome::Refused {
            code: "direct_not_supported"
        }
    );
    let other = env.send(&env.webhook(), "C0DEMO0002", &text("x")).await;
    assert_eq!(
        other.outcome,
        SendOutcome::Refused {
            code: "slack_webhook_fixed_channel"
        }
    );
    assert!(
        env.fake.requests().is_empty(),
        "nothing was posted to the webhook's channel"
    );

    let strict = provider(&env.running, false);
    let ctx = SendContext {
        connection: 1,
        delivery: 1,
        credentials: &env.webhook(),
        thread_key: None,
    };
    let res = strict.send(ctx, "webhook", &text("x")).await;
    assert_eq!(
        (res.outcome, res.reached_provider),
        (SendOutcome::CredentialRejected, false)
    );
    assert!(!res.error.unwrap().contains(WEBHOOK_SECRET));
}
