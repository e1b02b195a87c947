//! The fake Slack's Web API: auth, `chat.postMessage` rules and shapes, rate limit,
//! faults and the request log.

mod slack_support;

use std::time::Duration;

use renkei_fakes::slack::{FakeSlack, FakeSlackConfig};
use serde_json::json;
use slack_support::{api, call, demo, FORM, GENERAL, JSON, TOKEN};

#[tokio::test]
async fn auth_test_names_the_bot_and_its_workspace() {
    let fake = demo();
    let res = api(&fake.router(), "auth.test", TOKEN, &json!({})).await;
    assert_eq!(res.status, 200);
    let body = res.json();
    assert_eq!(body["ok"], true);
    assert_eq!(body["user_id"], "U0DEMOBOT1");
    assert_eq!(body["user"], "renkei");
    assert_eq!(body["team_id"], "T0000FAKE1");
    assert_eq!(body["team"], "renkei fake workspace");
    assert!(body["bot_id"].as_str().unwrap().starts_with('B'));
    let scopes = res.header("x-oauth-scopes").unwrap();
    assert!(scopes.split(',').any(|s| s == "chat:write"), "{scopes}");
}

#[tokio::test]
async fn token_problems_are_http_200_with_slacks_codes() {
    let fake = demo();
    let r = fake.router();
    let missing = call(&r, "POST", "/api/auth.test", None, None, "").await;
    assert_eq!(missing.status, 200);
    assert_eq!(missing.json(), json!({"ok": false, "error": "not_authed"}));
    let wrong = api(&r, "auth.test", "xoxb-wrong", &json!({})).await;
    assert_eq!(wrong.json()["error"], "invalid_auth");

    fake.add_bot("xoxb-gone", "U0GONEBOT1", "gone");
    fake.revoke_token("xoxb-gone");
    let revoked = api(
        &r,
        "chat.postMessage",
        "xoxb-gone",
        &json!({"channel": GENERAL, "text": "x"}),
    )
    .await;
    assert_eq!(
        (revoked.status, revoked.json()["error"].clone()),
        (200, json!("token_revoked"))
    );
    fake.deactivate_bot(TOKEN);
    assert_eq!(
        api(&r, "auth.test", TOKEN, &json!({})).await.json()["error"],
        "account_inactive"
    );
    assert!(fake.all_messages().is_empty());
}

#[tokio::test]
async fn a_post_lands_in_the_channel_with_a_ts() {
    let fake = demo();
    let blocks = json!([{"type": "section", "text": {"type": "mrkdwn", "text": "*hi*"}}]);
    let body = json!({"channel": GENERAL, "text": "hi", "blocks": blocks});
    let res = api(&fake.router(), "chat.postMessage", TOKEN, &body).await;
    let answer = res.json();
    assert_eq!(answer["ok"], true, "{answer}");
    assert_eq!(answer["channel"], GENERAL);
    let ts = answer["ts"].as_str().unwrap();
    let (secs, micros) = ts.split_once('.').unwrap();
    assert!(
        secs.parse::<u64>().unwrap() > 1_600_000_000 && micros.len() == 6,
        "{ts}"
    );
    assert_eq!(answer["message"]["user"], "U0DEMOBOT1");
    assert_eq!(answer["message"]["blocks"], blocks);
    assert!(answer.get("warning").is_none(), "charset was given");

    let stored = fake.messages(GENERAL);
    assert_eq!(stored.len(), 1);
    assert_eq!((stored[0].ts.as_str(), stored[0].text.as_str()), (ts, "hi"));
    assert_eq!(stored[0].blocks, blocks);
    assert_eq!(stored[0].bot_user_id.as_deref(), Some("U0DEMOBOT1"));
}

#[tokio::test]
async fn where_a_bot_may_post() {
    let fake = demo();
    let r = fake.router();
    let post = |channel: &str| json!({"channel": channel, "text": "x"});
    let error = |res: slack_support::Resp| res.json()["error"].as_str().unwrap_or("").to_string();

    // #dev exists but the bot was never invited.
    assert_eq!(
        error(api(&r, "chat.postMessage", TOKEN, &post("C0DEMO0002")).await),
        "not_in_channel"
    );
    fake.join_channel("C0DEMO0002", "U0DEMOBOT1");
    assert_eq!(
        api(&r, "chat.postMessage", TOKEN, &post("C0DEMO0002"))
            .await
            .json()["ok"],
        true
    );

    fake.add_channel("C0PUBLIC99", "open", &[]);
    assert_eq!(
        error(api(&r, "chat.postMessage", TOKEN, &post("C0PUBLIC99")).await),
        "not_in_channel"
    );
    fake.set_bot_scopes(TOKEN, &["chat:write", "chat:write.public"]);
    assert_eq!(
        api(&r, "chat.postMessage", TOKEN, &post("C0PUBLIC99"))
            .await
            .json()["ok"],
        true
    );

    fake.add_private_channel("G0SECRET99", "secret", &["U0DEMO0001"]);
    assert_eq!(
        error(api(&r, "chat.postMessage", TOKEN, &post("G0SECRET99")).await),
        "channel_not_found"
    );
    assert_eq!(
        error(api(&r, "chat.postMessage", TOKEN, &post("C0NOSUCH99")).await),
        "channel_not_found"
    );
    assert_eq!(
        error(api(&r, "chat.postMessage", TOKEN, &post("#general")).await),
        "channel_not_found"
    );

    fake.archive_channel(GENERAL, true);
    assert_eq!(
        error(api(&r, "chat.postMessage", TOKEN, &post(GENERAL)).await),
        "is_archived"
    );
    fake.archive_channel(GENERAL, false);
    fake.restrict_channel(GENERAL, true);
    assert_eq!(
        error(api(&r, "chat.postMessage", TOKEN, &post(GENERAL)).await),
        "restricted_action"
    );
}

#[tokio::test]
async fn a_member_id_posts_into_their_dm() {
    let fake = demo();
    let r = fake.router();
    let res = api(
        &r,
        "chat.postMessage",
        TOKEN,
        &json!({"channel": "U0DEMO0001", "text": "hi"}),
    )
    .await;
    assert_eq!(res.json()["channel"], "D0DEMO0001");
    assert_eq!(
        fake.messages(&FakeSlack::dm_channel_of("U0DEMO0001")).len(),
        1
    );
    let unknown = api(
        &r,
        "chat.postMessage",
        TOKEN,
        &json!({"channel": "U0NOBODY01", "text": "hi"}),
    )
    .await;
    assert_eq!(unknown.json()["error"], "channel_not_found");
}

#[tokio::test]
async fn request_bodies_are_checked_like_slack() {
    let fake = demo();
    let r = fake.router();
    let post = "/api/chat.postMessage";
    let no_text = api(&r, "chat.postMessage", TOKEN, &json!({"channel": GENERAL})).await;
    assert_eq!(no_text.json()["error"], "no_text");
    let bad_json = call(&r, "POST", post, Some(TOKEN), Some(JSON), "{\"channel\":").await;
    assert_eq!(bad_json.json()["error"], "invalid_json");
    let array = call(&r, "POST", post, Some(TOKEN), Some(JSON), "[1]").await;
    assert_eq!(array.json()["error"], "json_not_object");
    let plain = call(&r, "POST", post, Some(TOKEN), Some("text/xml"), "<x/>").await;
    assert_eq!(plain.json()["error"], "invalid_post_type");

    let too_long = "a".repeat(3001);
    let blocks = json!([{"type": "section", "text": {"type": "mrkdwn", "text": too_long}}]);
    let invalid = api(
        &r,
        "chat.postMessage",
        TOKEN,
        &json!({"channel": GENERAL, "blocks": blocks}),
    )
    .await
    .json();
    assert_eq!(invalid["error"], "invalid_blocks");
    let why = invalid["response_metadata"]["messages"][0]
        .as_str()
        .unwrap();
    assert!(
        why.contains("3001") && why.contains("/blocks/0/text/text"),
        "{why}"
    );
    let huge = api(
        &r,
        "chat.postMessage",
        TOKEN,
        &json!({"channel": GENERAL, "text": "a".repeat(40_001)}),
    )
    .await;
    assert_eq!(huge.json()["error"], "msg_too_long");
    let section = json!({"type": "section", "text": {"type": "mrkdwn", "text": "a".repeat(3_000)}});
    let blocks_too_long = api(
        &r,
        "chat.postMessage",
        TOKEN,
        &json!({"channel": GENERAL, "text": "x", "blocks": vec![section; 5]}),
    )
    .await;
    assert_eq!(
        (blocks_too_long.status, blocks_too_long.json()),
        (200, json!({"ok": false, "error": "msg_blocks_too_long"}))
    );
    assert!(fake.all_messages().is_empty());

    // A form post carries blocks as a JSON string; JSON without a charset gets a warning.
    let form =
        serde_urlencoded::to_string([("channel", GENERAL), ("blocks", r#"[{"type":"divider"}]"#)])
            .unwrap();
    assert_eq!(
        call(&r, "POST", post, Some(TOKEN), Some(FORM), &form)
            .await
            .json()["ok"],
        true
    );
    let body = json!({"channel": GENERAL, "text": "x"}).to_string();
    let warned = call(
        &r,
        "POST",
        post,
        Some(TOKEN),
        Some("application/json"),
        &body,
    )
    .await
    .json();
    assert_eq!(
        (warned["ok"].clone(), warned["warning"].clone()),
        (json!(true), json!("missing_charset"))
    );
}

#[tokio::test]
async fn missing_scope_names_the_scope_needed() {
    let fake = demo();
    fake.set_bot_scopes(TOKEN, &["channels:read"]);
    let res = api(
        &fake.router(),
        "chat.postMessage",
        TOKEN,
        &json!({"channel": GENERAL, "text": "x"}),
    )
    .await;
    assert_eq!(
        res.json(),
        json!({"ok": false, "error": "missing_scope", "needed": "chat:write", "provided": "channels:read"})
    );
}

#[tokio::test]
async fn each_channel_takes_a_burst_then_429_with_retry_after() {
    let fake = FakeSlack::with_demo_world(FakeSlackConfig::default().scaled(0.1));
    let r = fake.router();
    let post = |channel: &str| json!({"channel": channel, "text": "x"});
    for _ in 0..3 {
        assert_eq!(
            api(&r, "chat.postMessage", TOKEN, &post(GENERAL))
                .await
                .status,
            200
        );
    }
    let limited = api(&r, "chat.postMessage", TOKEN, &post(GENERAL)).await;
    assert_eq!(limited.status, 429);
    assert_eq!(limited.header("retry-after"), Some("1"));
    assert_eq!(limited.json(), json!({"ok": false, "error": "ratelimited"}));
    // Other channels have their own window; refused posts are not stored.
    assert_eq!(
        api(&r, "chat.postMessage", TOKEN, &post("U0DEMO0001"))
            .await
            .status,
        200
    );
    assert_eq!(fake.messages(GENERAL).len(), 3);

    // The scenario: the (scaled) rate window ends.
    tokio::time::sleep(Duration::from_millis(320)).await;
    assert_eq!(
        api(&r, "chat.postMessage", TOKEN, &post(GENERAL))
            .await
            .status,
        200
    );
    fake.set_limits_enabled(false);
    for _ in 0..5 {
        assert_eq!(
            api(&r, "chat.postMessage", TOKEN, &post(GENERAL))
                .await
                .status,
            200
        );
    }
}

#[tokio::test]
async fn injected_faults_answer_in_the_api_shape_then_heal() {
    let fake = demo();
    let r = fake.router();
    let post = json!({"channel": GENERAL, "text": "x"});
    fake.fail_next(1, 500);
    let failed = api(&r, "chat.postMessage", TOKEN, &post).await;
    assert_eq!(
        (failed.status, failed.json()["error"].clone()),
        (500, json!("fatal_error"))
    );
    fake.fail_next_api_error(1, "internal_error");
    let soft = api(&r, "chat.postMessage", TOKEN, &post).await;
    assert_eq!(
        (soft.status, soft.json()["error"].clone()),
        (200, json!("internal_error"))
    );
    fake.fail_next_on("/api/chat.postMessage", 1, 429);
    let limited = api(&r, "chat.postMessage", TOKEN, &post).await;
    assert_eq!(
        (limited.status, limited.header("retry-after")),
        (429, Some("1"))
    );
    fake.fail_next(5, 503);
    fake.clear_faults();
    assert_eq!(
        api(&r, "chat.postMessage", TOKEN, &post).await.json()["ok"],
        true
    );
    assert_eq!(fake.all_messages().len(), 1, "failed calls store nothing");

    fake.set_delay(Duration::from_millis(150));
    let started = std::time::Instant::now();
    api(&r, "auth.test", TOKEN, &json!({})).await;
    assert!(started.elapsed() >= Duration::from_millis(150));
}

#[tokio::test]
async fn unknown_methods_are_404() {
    let fake = demo();
    let res = api(&fake.router(), "chat.nope", TOKEN, &json!({})).await;
    assert_eq!(res.status, 404);
    assert_eq!(res.json()["error"], "unknown_method");
}

#[tokio::test]
async fn conversations_list_shows_what_the_bot_can_see() {
    let fake = demo();
    let r = fake.router();
    fake.archive_channel("C0DEMO0002", true);
    let ids = |v: serde_json::Value| -> Vec<String> {
        v["channels"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap().to_string())
            .collect()
    };
    let public = api(&r, "conversations.list", TOKEN, &json!({}))
        .await
        .json();
    assert_eq!(ids(public.clone()), ["C0DEMO0001", "C0DEMO0002"]);
    assert_eq!(public["channels"][0]["is_member"], true);
    assert_eq!(public["channels"][1]["is_archived"], true);
    let all = json!({"types": "public_channel,private_channel", "exclude_archived": true});
    assert_eq!(
        ids(api(&r, "conversations.list", TOKEN, &all).await.json()),
        ["C0DEMO0001", "G0DEMO0003"]
    );
}

#[tokio::test]
async fn every_call_is_recorded_with_the_token_masked() {
    let fake = demo();
    let r = fake.router();
    api(&r, "auth.test", TOKEN, &json!({})).await;
    api(
        &r,
        "chat.postMessage",
        TOKEN,
        &json!({"channel": GENERAL, "text": "x"}),
    )
    .await;
    let log = fake.requests();
    assert_eq!(log.len(), 2);
    assert_eq!(log[1].path, "/api/chat.postMessage");
    assert_eq!(log[1].json()["text"], "x");
    let auth = log[1].header("authorization").unwrap();
    assert!(!auth.contains(TOKEN) && auth.ends_with("nkei"), "{auth}");
    assert_eq!(fake.count_status(200), 2);
}
