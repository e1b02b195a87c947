//! Verifying pasted credentials: bot tokens and webhook URLs.

use super::*;

#[tokio::test]
async fn a_bot_token_is_verified_with_auth_test() {
    let env = env().await;
    let v = env
        .slack
        .connect(&json!({"bot_token": format!(" {DEMO_BOT_TOKEN} ")}))
        .await
        .unwrap();
    assert_eq!(v.kind, ConnectionKind::Bot);
    assert_eq!(v.credentials, json!({"bot_token": DEMO_BOT_TOKEN}));
    assert_eq!(
        (v.account_id.as_deref(), v.account_name.as_deref()),
        (Some("U0DEMOBOT1"), Some("renkei"))
    );
    assert_eq!(v.default_room, None, "a bot needs a channel chosen");
    assert_eq!(v.secret_hint, "…nkei");
    let req = &env.fake.requests()[0];
    assert_eq!(
        (req.method.as_str(), req.path.as_str()),
        ("POST", "/api/auth.test")
    );
    assert_eq!(req.header("authorization"), Some("***nkei"));
}

#[tokio::test]
async fn bad_bot_tokens_are_refused_with_a_reason() {
    let env = env().await;
    let code = |r: Result<_, renkei_providers::ConnectError>| {
        let e = r.unwrap_err();
        (e.status, e.code)
    };
    let wrong = env
        .slack
        .connect(&json!({"bot_token": "xoxb-not-a-real-one"}))
        .await;
    assert_eq!(code(wrong), (422, "slack_invalid_token"));
    env.fake.add_bot("xoxb-revoked-1", "U0OLDBOT01", "old");
    env.fake.revoke_token("xoxb-revoked-1");
    assert_eq!(
        code(
            env.slack
                .connect(&json!({"bot_token": "xoxb-revoked-1"}))
                .await
        ),
        (422, "slack_invalid_token")
    );

    let before = env.fake.requests().len();
    let user = env
        .slack
        .connect(&json!({"bot_token": "xoxp-123-456"}))
        .await
        .unwrap_err();
    assert_eq!(user.code, "slack_invalid_token");
    assert!(
        user.message.contains("user token") && user.message.contains("OAuth & Permissions"),
        "{}",
        user.message
    );
    assert_eq!(
        env.fake.requests().len(),
        before,
        "refused without asking Slack"
    );

    env.fake.add_bot("xoxb-noscope-1", "U0NOSCOPE1", "mute");
    env.fake
        .set_bot_scopes("xoxb-noscope-1", &["channels:read"]);
    let scope = env
        .slack
        .connect(&json!({"bot_token": "xoxb-noscope-1"}))
        .await
        .unwrap_err();
    assert_eq!(
        (scope.code, scope.message.contains("chat:write")),
        ("slack_missing_scope", true)
    );

    env.fake.fail_next(1, 503);
    assert_eq!(
        code(env.slack.connect(&env.bot()).await),
        (502, "slack_unavailable")
    );
}

#[tokio::test]
async fn credentials_must_be_exactly_one_kind() {
    let env = env().await;
    let both = json!({"bot_token": DEMO_BOT_TOKEN, "webhook_url": env.running.webhook_url(DEMO_WEBHOOK_PATH)});
    for creds in [
        both,
        json!({}),
        json!({"token": "x"}),
        json!({"bot_token": ""}),
        json!("xoxb-1"),
    ] {
        let e = env.slack.connect(&creds).await.unwrap_err();
        assert_eq!((e.status, e.code), (422, "invalid_credentials"), "{creds}");
    }
    assert!(env.fake.requests().is_empty());
}

#[tokio::test]
async fn a_webhook_is_probed_without_posting() {
    let env = env().await;
    let v = env.slack.connect(&env.webhook()).await.unwrap();
    assert_eq!(v.kind, ConnectionKind::Webhook);
    assert_eq!(v.default_room.as_deref(), Some("webhook"));
    assert_eq!((v.account_id, v.account_name), (None, None));
    assert_eq!(v.secret_hint, "…0001");
    assert_eq!(v.credentials, env.webhook());
    let probe = &env.fake.requests()[0];
    assert_eq!((probe.status, probe.body.as_str()), (400, "{}"));
    assert_eq!(
        env.fake.count_status(400),
        1,
        "refused as Slack refuses an empty payload"
    );
    assert!(
        env.fake.all_messages().is_empty(),
        "the probe posted nothing"
    );
}

#[tokio::test]
async fn dead_webhooks_are_refused_with_how_to_make_one() {
    let env = env().await;
    env.fake.remove_webhook(DEMO_WEBHOOK_PATH);
    let e = env.slack.connect(&env.webhook()).await.unwrap_err();
    assert_eq!((e.status, e.code), (422, "slack_webhook_invalid"));
    assert!(
        e.message.contains("no_service") && e.message.contains("Add New Webhook to Workspace"),
        "{}",
        e.message
    );
    assert!(!e.message.contains(WEBHOOK_SECRET));

    let archived = env
        .fake
        .add_webhook("T0000FAKE1/B0ARCHIVE1/secretarchived", "C0DEMO0002");
    env.fake.archive_channel("C0DEMO0002", true);
    let url = env.running.webhook_url(&archived);
    let e = env
        .slack
        .connect(&json!({"webhook_url": url}))
        .await
        .unwrap_err();
    assert_eq!(e.code, "slack_webhook_invalid");
    assert!(e.message.contains("410"), "{}", e.message);
}

#[tokio::test]
async fn webhook_urls_off_slack_are_refused_before_any_request() {
    let env = env().await;
    let strict = provider(&env.running, false);
    for url in [
        "https://hooks.example.com/services/T1/B2/X3",
        "http://hooks.slack.com/services/T1/B2/X3",
        "https://52.1.2.3/services/T1/B2/X3",
        "https://hooks.slack.com/workflows/T1/B2/X3",
        "https://hooks.slack.com/services/T1/B2",
        "not a url",
    ] {
        let e = strict
            .connect(&json!({"webhook_url": url}))
            .await
            .unwrap_err();
        assert_eq!((e.status, e.code), (422, "invalid_webhook_url"), "{url}");
    }
    let local = strict.connect(&env.webhook()).await.unwrap_err();
    assert_eq!(
        local.code, "invalid_webhook_url",
        "loopback only when private targets are allowed"
    );
    assert!(!local.message.contains(WEBHOOK_SECRET), "{}", local.message);
    assert!(env.fake.requests().is_empty());
}
