//! Sending through a bot token (`chat.postMessage`), and the provider's limits.

use super::*;

#[tokio::test]
async fn a_bot_post_is_chat_post_message_with_the_rendered_payload() {
    let env = env().await;
    let rendered = env.slack.render(&notice("請求書", "今月分です"), &[]);
    let res = env.send(&env.bot(), GENERAL, &rendered).await;
    let stored = env.fake.messages(GENERAL);
    assert_eq!(
        res.outcome,
        SendOutcome::Delivered {
            message_id: Some(stored[0].ts.clone())
        }
    );
    assert_eq!((res.http_status, res.reached_provider), (Some(200), true));

    let req = &env.fake.requests()[0];
    assert_eq!(
        (req.method.as_str(), req.path.as_str()),
        ("POST", "/api/chat.postMessage")
    );
    assert_eq!(
        req.header("content-type"),
        Some("application/json; charset=utf-8")
    );
    assert_eq!(req.header("authorization"), Some("***nkei"));
    let mut expected: Value = serde_json::from_str(&rendered).unwrap();
    expected["channel"] = json!(GENERAL);
    assert_eq!(req.json(), expected);
    assert_eq!(
        stored[0].text,
        "*請求書*\n今月分です\n<https://app.example/files/1>\n確認 / Confirm: <https://renkei.example/c/abc>"
    );
}

#[tokio::test]
async fn user_text_arrives_escaped_and_mentions_arrive_as_mentions() {
    let env = env().await;
    let mentions = [Mention {
        account_id: "U0DEMO0001".into(),
        name: "山田太郎".into(),
    }];
    let n = notice(
        "<!channel> 至急 & 重要",
        "<@U0DEMO0002> <https://evil.example|ここ>",
    );
    let res = env.send_notice(&env.bot(), GENERAL, &n, &mentions).await;
    assert!(
        matches!(res.outcome, SendOutcome::Delivered { .. }),
        "{res:?}"
    );
    let msg = &env.fake.messages(GENERAL)[0];
    assert!(
        msg.text
            .starts_with("<@U0DEMO0001>\n*&lt;!channel&gt; 至急 &amp; 重要*\n"),
        "{}",
        msg.text
    );
    assert!(
        msg.text
            .contains("&lt;@U0DEMO0002&gt; &lt;<https://evil.example>|ここ&gt;"),
        "{}",
        msg.text
    );
    let blocks = msg.blocks.to_string();
    assert!(
        !blocks.contains("<!channel>") && !blocks.contains("<@U0DEMO0002>"),
        "{blocks}"
    );
    assert!(blocks.contains("<@U0DEMO0001>"));
}

#[tokio::test]
async fn a_long_body_arrives_through_both_ways_in_cut_with_its_link() {
    let env = env().await;
    let body = format!("{}\n", "長文の本文です。".repeat(100)).repeat(30); // 24,030 characters
    let rendered = env.slack.render(&notice("長い通知", &body), &[]);
    for (credentials, room) in [(env.bot(), GENERAL), (env.webhook(), "webhook")] {
        let res = env.send(&credentials, room, &rendered).await;
        assert!(
            matches!(res.outcome, SendOutcome::Delivered { .. }),
            "{room}: {res:?}"
        );
    }
    let stored = env.fake.messages(GENERAL);
    assert_eq!(stored.len(), 2);
    let sections = stored[0].blocks.as_array().unwrap();
    assert!(sections.len() > 3, "split into several sections");
    let last = sections.last().unwrap()["text"]["text"].as_str().unwrap();
    assert!(last.contains("<https://app.example/files/1>"), "{last}");
    assert!(stored[0].blocks.to_string().contains("truncated"));
}

#[tokio::test]
async fn a_direct_message_goes_to_the_member_id() {
    let env = env().await;
    assert_eq!(env.slack.direct_style(), DirectStyle::ByAccount);
    let room = env.slack.direct_destination("U0DEMO0002");
    assert_eq!(room, "U0DEMO0002");
    let res = env.send(&env.bot(), &room, &text("hi")).await;
    assert!(
        matches!(
            res.outcome,
            SendOutcome::Delivered {
                message_id: Some(_)
            }
        ),
        "{res:?}"
    );
    assert_eq!(env.fake.messages("D0DEMO0002").len(), 1);
}

#[tokio::test]
async fn web_api_refusals_map_to_outcomes() {
    let env = env().await;
    let bot = env.bot();
    let not_in = env.send(&bot, "C0DEMO0002", &text("x")).await;
    assert_eq!(
        not_in.outcome,
        SendOutcome::Refused {
            code: "slack_not_in_channel"
        }
    );
    assert_eq!(not_in.http_status, Some(200));
    assert!(not_in.error.unwrap().contains("/invite @app"));

    let permanent = [
        ("C0NOSUCH01", text("x"), "channel_not_found"),
        ("U0NOBODY01", text("x"), "channel_not_found"),
        (GENERAL, text(""), "no_text"),
        (GENERAL, text(&"a".repeat(40_001)), "msg_too_long"),
        (
            GENERAL,
            json!({"blocks": vec![json!({"type": "section", "text": {"type": "mrkdwn", "text": "a".repeat(3_000)}}); 5]}).to_string(),
            "msg_blocks_too_long",
        ),
        (
            GENERAL,
            json!({"blocks": [{"type": "section"}]}).to_string(),
            "invalid_blocks",
        ),
    ];
    for (room, payload, code) in permanent {
        let res = env.send(&bot, room, &payload).await;
        assert_eq!(res.outcome, SendOutcome::Permanent, "{code}");
        assert!(res.error.unwrap().contains(code), "{code}");
    }
    env.fake.archive_channel(GENERAL, true);
    let archived = env.send(&bot, GENERAL, &text("x")).await;
    assert_eq!(
        (
            archived.outcome,
            archived.error.unwrap().contains("is_archived")
        ),
        (SendOutcome::Permanent, true)
    );

    let local = env.send(&bot, "webhook", &text("x")).await;
    assert_eq!(
        (local.outcome, local.reached_provider),
        (SendOutcome::Permanent, false)
    );
    assert!(env.fake.all_messages().is_empty());
}

#[tokio::test]
async fn token_problems_break_the_connection() {
    let env = env().await;
    let wrong = env
        .send(&json!({"bot_token": "xoxb-nope"}), GENERAL, &text("x"))
        .await;
    assert_eq!(wrong.outcome, SendOutcome::CredentialRejected);
    assert!(wrong.error.as_deref().unwrap().contains("invalid_auth"));

    env.fake.add_bot("xoxb-scopeless", "U0SCOPE001", "s");
    env.fake.join_channel(GENERAL, "U0SCOPE001");
    env.fake
        .set_bot_scopes("xoxb-scopeless", &["channels:read"]);
    let scope = env
        .send(&json!({"bot_token": "xoxb-scopeless"}), GENERAL, &text("x"))
        .await;
    assert_eq!(scope.outcome, SendOutcome::CredentialRejected);
    assert!(scope.error.unwrap().contains("`chat:write`"));

    env.fake.deactivate_bot(DEMO_BOT_TOKEN);
    assert_eq!(
        env.send(&env.bot(), GENERAL, &text("x")).await.outcome,
        SendOutcome::CredentialRejected
    );
    env.fake.revoke_token(DEMO_BOT_TOKEN);
    let revoked = env.send(&env.bot(), GENERAL, &text("x")).await;
    assert_eq!(revoked.outcome, SendOutcome::CredentialRejected);
    assert!(!revoked.error.unwrap().contains(DEMO_BOT_TOKEN));
    let missing = env
        .send(&json!({"api_token": "x"}), GENERAL, &text("x"))
        .await;
    assert_eq!(
        (missing.outcome, missing.reached_provider),
        (SendOutcome::CredentialRejected, false)
    );
}

#[tokio::test]
async fn a_busy_channel_pauses_for_retry_after() {
    let env = env().await; // 3 posts per 3 s per channel
    for _ in 0..3 {
        assert!(matches!(
            env.send(&env.bot(), GENERAL, &text("x")).await.outcome,
            SendOutcome::Delivered { .. }
        ));
    }
    let limited = env.send(&env.bot(), GENERAL, &text("x")).await;
    let SendOutcome::RoomRateLimited { after } = limited.outcome else {
        panic!("{limited:?}");
    };
    assert_eq!(limited.http_status, Some(429));
    assert!(
        (1..=3).contains(&after.as_secs()),
        "Retry-After was {after:?}"
    );
}

#[tokio::test]
async fn slack_outages_are_retried() {
    let env = env().await;
    for status in [500, 503] {
        env.fake.fail_next(1, status);
        let res = env.send(&env.bot(), GENERAL, &text("x")).await;
        assert_eq!(
            (res.outcome, res.http_status),
            (SendOutcome::Retry { after: None }, Some(status))
        );
    }
    for error in ["internal_error", "fatal_error", "service_unavailable"] {
        env.fake.fail_next_api_error(1, error);
        let res = env.send(&env.bot(), GENERAL, &text("x")).await;
        assert_eq!(
            (res.outcome, res.http_status),
            (SendOutcome::Retry { after: None }, Some(200)),
            "{error}"
        );
    }
    env.fake.fail_next(1, 429);
    let res = env.send(&env.bot(), GENERAL, &text("x")).await;
    assert_eq!(
        res.outcome,
        SendOutcome::RoomRateLimited {
            after: Duration::from_secs(1)
        }
    );
    assert!(env.fake.all_messages().is_empty());
}

#[tokio::test]
async fn limits_are_one_post_per_second_per_room_scaled() {
    let env = env().await;
    let limits = env.slack.limits();
    assert_eq!(limits.per_credential, None);
    assert_eq!(limits.per_room, Some((1, Duration::from_millis(10))));
}

#[tokio::test]
async fn channels_lists_what_the_bot_can_see() {
    let env = env().await;
    let channels = env.slack.channels(DEMO_BOT_TOKEN).await.unwrap();
    let ids: Vec<(&str, bool)> = channels
        .iter()
        .map(|c| (c.id.as_str(), c.is_member))
        .collect();
    assert_eq!(
        ids,
        [
            ("C0DEMO0001", true),
            ("C0DEMO0002", false),
            ("G0DEMO0003", true)
        ]
    );
    let refused = env.slack.channels("xoxb-nope").await.unwrap_err();
    assert_eq!(refused.outcome, SendOutcome::CredentialRejected);
}
