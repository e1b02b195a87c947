//! The fake Google Chat webhook: created-message shape, key/token/space errors in Google's
//! envelope, message validation, threads, the per-space write limit, faults and the
//! `/_fake/*` routes.

mod common;

use std::time::{Duration, Instant};

use common::{call, Resp};
use renkei_fakes::google_chat::{
    FakeGoogleChat, FakeGoogleChatConfig, DEMO_KEY, DEMO_SPACE, DEMO_TOKEN,
};
use serde_json::{json, Value};

const JSON: &str = "application/json; charset=UTF-8";
const FALLBACK: &str = "&messageReplyOption=REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD";

/// The demo world with a loose per-second window: most tests post faster than once a second.
fn demo() -> FakeGoogleChat {
    FakeGoogleChat::with_demo_world(FakeGoogleChatConfig {
        burst_per_space: 1_000,
        ..Default::default()
    })
}

fn demo_url(fake: &FakeGoogleChat) -> String {
    fake.webhook_url(DEMO_SPACE, DEMO_KEY, DEMO_TOKEN)
}

async fn post(fake: &FakeGoogleChat, uri: &str, message: &Value) -> Resp {
    post_raw(fake, uri, &message.to_string()).await
}

async fn post_raw(fake: &FakeGoogleChat, uri: &str, body: &str) -> Resp {
    call(&fake.router(), "POST", uri, None, Some(JSON), body).await
}

fn error(res: &Resp) -> (u64, String, String) {
    let e = &res.json()["error"];
    let text = |k: &str| e[k].as_str().unwrap_or_default().to_string();
    (
        e["code"].as_u64().unwrap_or(0),
        text("status"),
        text("message"),
    )
}

#[tokio::test]
async fn a_message_is_created_and_answered_like_a_webhook() {
    let fake = demo();
    let res = post(&fake, &demo_url(&fake), &json!({"text": "hello"})).await;
    assert_eq!(res.status, 200);
    let answer = res.json();
    let name = answer["name"].as_str().unwrap();
    assert!(name.starts_with("spaces/AAAAdemo0001/messages/"), "{name}");
    assert!(answer["thread"]["name"]
        .as_str()
        .unwrap()
        .starts_with("spaces/AAAAdemo0001/threads/"));
    assert_eq!(answer["text"], "hello");
    assert!(
        answer.get("createTime").is_none(),
        "webhooks answer only name and thread.name"
    );
    let stored = fake.messages(DEMO_SPACE);
    assert_eq!(stored[0]["name"], name);
    assert!(stored[0]["createTime"].as_str().unwrap().ends_with('Z'));
    assert_eq!(stored[0]["space"]["name"], "spaces/AAAAdemo0001");
}

#[tokio::test]
async fn credentials_and_spaces_fail_in_googles_envelope() {
    let fake = demo();
    let base = "/v1/spaces/AAAAdemo0001/messages";
    let msg = json!({"text": "x"});
    let no_key = post(&fake, &format!("{base}?token={DEMO_TOKEN}"), &msg).await;
    assert_eq!(no_key.status, 403);
    assert_eq!(error(&no_key).1, "PERMISSION_DENIED");
    let bad_key = post(&fake, &format!("{base}?key=wrong&token={DEMO_TOKEN}"), &msg).await;
    assert_eq!(
        error(&bad_key),
        (
            400,
            "INVALID_ARGUMENT".into(),
            "API key not valid. Please pass a valid API key.".into()
        )
    );
    assert_eq!(
        bad_key.json()["error"]["details"][0]["reason"],
        "API_KEY_INVALID"
    );
    let bad_token = post(&fake, &format!("{base}?key={DEMO_KEY}&token=wrong"), &msg).await;
    assert_eq!(error(&bad_token).1, "UNAUTHENTICATED");
    assert_eq!(bad_token.status, 401);
    let no_space = post(
        &fake,
        &fake.webhook_url("AAAAgone", DEMO_KEY, DEMO_TOKEN),
        &msg,
    )
    .await;
    assert_eq!(
        error(&no_space),
        (
            404,
            "NOT_FOUND".into(),
            "Requested entity was not found.".into()
        )
    );

    let url = demo_url(&fake);
    fake.remove_webhook(DEMO_SPACE, DEMO_TOKEN);
    let removed = post(&fake, &url, &msg).await;
    assert_eq!(
        (removed.status, error(&removed).1),
        (403, "PERMISSION_DENIED".into())
    );
    let page = post(&fake, "/v1/other", &msg).await;
    assert_eq!(page.status, 404);
    assert!(page.text().contains("That’s an error."));
    assert!(fake.messages(DEMO_SPACE).is_empty());
    let logged = fake.requests();
    assert!(logged
        .iter()
        .all(|r| !r.query.clone().unwrap_or_default().contains(DEMO_TOKEN)));
}

#[tokio::test]
async fn messages_are_validated_like_google() {
    let fake = demo();
    let url = demo_url(&fake);
    let cases = [
        (json!({}).to_string(), "Message cannot be empty"),
        (json!({"text": "  "}).to_string(), "Message cannot be empty"),
        (
            json!({"text": "x", "title": "t"}).to_string(),
            "Unknown name \"title\"",
        ),
        (
            json!({"cardsV2": [{"cardId": "a"}]}).to_string(),
            "cards_v2",
        ),
        ("text=hello".to_string(), "Invalid JSON payload"),
        (
            json!({"text": "x".repeat(32_001)}).to_string(),
            "Message too large",
        ),
    ];
    for (body, why) in &cases {
        let res = post_raw(&fake, &url, body).await;
        let (code, status, message) = error(&res);
        assert_eq!((code, status.as_str()), (400, "INVALID_ARGUMENT"), "{why}");
        assert!(message.contains(why), "{why} not in {message}");
    }
    let card_only = json!({"cardsV2": [{"cardId": "a", "card": {"sections": []}}]});
    assert_eq!(post(&fake, &url, &card_only).await.status, 200);
}

#[tokio::test]
async fn a_thread_key_with_the_reply_option_shares_one_thread() {
    let fake = demo();
    let url = demo_url(&fake);
    let keyed = |key: &str| json!({"text": "x", "thread": {"threadKey": key}});
    let thread_of = |r: &Resp| r.json()["thread"]["name"].as_str().unwrap().to_string();
    let first = post(&fake, &format!("{url}{FALLBACK}"), &keyed("case-1")).await;
    let second = post(&fake, &format!("{url}{FALLBACK}"), &keyed("case-1")).await;
    let other = post(&fake, &format!("{url}{FALLBACK}"), &keyed("case-2")).await;
    assert_eq!(thread_of(&first), thread_of(&second));
    assert_ne!(thread_of(&first), thread_of(&other));
    assert_eq!(second.json()["thread"]["threadKey"], "case-1");

    let no_option_1 = post(&fake, &url, &keyed("case-1")).await;
    let no_option_2 = post(&fake, &url, &keyed("case-1")).await;
    assert_ne!(
        thread_of(&no_option_1),
        thread_of(&first),
        "without the option the key is ignored"
    );
    assert_ne!(thread_of(&no_option_1), thread_of(&no_option_2));

    let by_name = json!({"text": "x", "thread": {"name": thread_of(&first)}});
    let or_fail = format!("{url}&messageReplyOption=REPLY_MESSAGE_OR_FAIL");
    assert_eq!(
        thread_of(&post(&fake, &or_fail, &by_name).await),
        thread_of(&first)
    );
    assert_eq!(
        post(&fake, &or_fail, &keyed("never-used")).await.status,
        404
    );
    let bad_option = post(
        &fake,
        &format!("{url}&messageReplyOption=SOMETIMES"),
        &keyed("k"),
    )
    .await;
    assert!(error(&bad_option).2.contains("message_reply_option"));
}

#[tokio::test]
async fn sixty_writes_a_minute_per_space_then_resource_exhausted() {
    let config = FakeGoogleChatConfig {
        writes_per_space: 3,
        ..Default::default()
    }
    .scaled(0.005);
    let fake = FakeGoogleChat::with_demo_world(config);
    let url = demo_url(&fake);
    let second_hook = fake.add_webhook(DEMO_SPACE, DEMO_KEY, "token-2");
    let other_space = fake.add_webhook("AAAAother", DEMO_KEY, "token-3");
    let msg = json!({"text": "x"});
    for u in [&url, &second_hook, &url] {
        assert_eq!(post(&fake, u, &msg).await.status, 200);
    }
    let limited = post(&fake, &second_hook, &msg).await;
    assert_eq!(
        (limited.status, error(&limited).1),
        (429, "RESOURCE_EXHAUSTED".into())
    );
    assert!(
        limited.headers.get("retry-after").is_none(),
        "Google sends no Retry-After"
    );
    assert_eq!(
        post(&fake, &other_space, &msg).await.status,
        200,
        "limits are per space"
    );
    // The scenario: the (scaled) rate window ends.
    tokio::time::sleep(Duration::from_millis(350)).await;
    assert_eq!(
        post(&fake, &url, &msg).await.status,
        200,
        "the window ended"
    );
    fake.set_limits_enabled(false);
    for _ in 0..5 {
        assert_eq!(post(&fake, &url, &msg).await.status, 200);
    }
}

#[tokio::test]
async fn about_one_write_a_second_per_space_whichever_key_posts() {
    let config = FakeGoogleChatConfig::default().scaled(0.01); // 3 writes per 30 ms
    let fake = FakeGoogleChat::with_demo_world(config);
    let url = demo_url(&fake);
    let other_key = fake.add_webhook(DEMO_SPACE, "key-of-another-app", "token-2");
    let other_space = fake.add_webhook("AAAAother", DEMO_KEY, "token-3");
    let msg = json!({"text": "x"});
    for u in [&url, &other_key, &url] {
        assert_eq!(post(&fake, u, &msg).await.status, 200);
    }
    let limited = post(&fake, &other_key, &msg).await;
    assert_eq!(
        (limited.status, error(&limited).1),
        (429, "RESOURCE_EXHAUSTED".into()),
        "the space's pace is shared by every key and webhook"
    );
    assert_eq!(post(&fake, &other_space, &msg).await.status, 200);
    let deadline = Instant::now() + Duration::from_secs(5);
    while post(&fake, &url, &msg).await.status == 429 {
        assert!(Instant::now() < deadline, "the window never ended");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(fake.messages(DEMO_SPACE).len(), 4);
}

#[tokio::test]
async fn the_body_must_be_sent_as_json() {
    let fake = demo();
    let url = demo_url(&fake);
    let body = json!({"text": "x"}).to_string();
    for content_type in [
        None,
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
    ] {
        let res = call(&fake.router(), "POST", &url, None, content_type, &body).await;
        assert_eq!(
            (res.status, error(&res).1),
            (400, "INVALID_ARGUMENT".into()),
            "{content_type:?}"
        );
        assert!(error(&res).2.starts_with("Invalid JSON payload received."));
    }
    let plain = call(
        &fake.router(),
        "POST",
        &url,
        None,
        Some("application/json"),
        &body,
    )
    .await;
    assert_eq!(plain.status, 200, "a charset is optional");
    assert_eq!(fake.messages(DEMO_SPACE).len(), 1);
}

#[tokio::test]
async fn faults_and_delay() {
    let fake = demo();
    let url = demo_url(&fake);
    fake.fail_next(1, 503);
    let failed = post(&fake, &url, &json!({"text": "x"})).await;
    assert_eq!(
        error(&failed),
        (
            503,
            "UNAVAILABLE".into(),
            "An injected fault: the fake was told to fail this request.".into()
        )
    );
    fake.set_delay(Duration::from_millis(120));
    let started = Instant::now();
    assert_eq!(post(&fake, &url, &json!({"text": "x"})).await.status, 200);
    assert!(started.elapsed() >= Duration::from_millis(120));
    assert_eq!(
        fake.messages(DEMO_SPACE).len(),
        1,
        "the fault created nothing"
    );
}

#[tokio::test]
async fn inspection_routes_drive_the_fake() {
    let fake = FakeGoogleChat::new(FakeGoogleChatConfig::default());
    let r = fake.router();
    let body = r#"{"space":"S1","key":"k1","token":"t1"}"#;
    let url = call(&r, "POST", "/_fake/webhooks", None, Some(JSON), body)
        .await
        .json()["url"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        url, "/v1/spaces/S1/messages?key=k1&token=t1",
        "not serving: path only"
    );
    call(
        &r,
        "POST",
        "/_fake/fail",
        None,
        Some(JSON),
        r#"{"count":1,"status":500}"#,
    )
    .await;
    assert_eq!(post(&fake, &url, &json!({"text": "a"})).await.status, 500);
    assert_eq!(post(&fake, &url, &json!({"text": "b"})).await.status, 200);
    let messages = call(&r, "GET", "/_fake/messages?space=S1", None, None, "")
        .await
        .json();
    assert_eq!(messages[0]["text"], "b");
    let requests = call(&r, "GET", "/_fake/requests", None, None, "")
        .await
        .json();
    assert_eq!(requests.as_array().unwrap().len(), 2);
    assert_eq!(requests[1]["query"], "key=***k1&token=***t1");
}
