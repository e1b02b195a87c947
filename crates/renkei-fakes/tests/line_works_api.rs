//! The fake LINE WORKS bot API: shapes, bearer tokens (401 with `WWW-Authenticate` when
//! unknown, 403 `UNAUTHORIZED` when expired), content types,
//! scopes, channel membership, validation, the per-operation rate limit, faults and the
//! `/_fake` routes.

mod line_works_common;

use std::time::Duration;

use line_works_common::*;
use renkei_fakes::line_works::{
    Destination, FakeLineWorks, FakeLineWorksConfig, DEMO_BOT_ID, DEMO_CHANNEL,
    DEMO_CHANNEL_WITHOUT_BOT, DEMO_CLIENT_ID, DEMO_USERS,
};
use serde_json::json;

fn user_messages(user: &str) -> String {
    format!("/v1.0/bots/{DEMO_BOT_ID}/users/{user}/messages")
}

fn channel_messages(channel: &str) -> String {
    format!("/v1.0/bots/{DEMO_BOT_ID}/channels/{channel}/messages")
}

#[tokio::test]
async fn bots_and_messages_have_line_works_shapes() {
    let fake = demo();
    let r = fake.router();
    let t = token(&r, "bot").await;
    let bot = call(
        &r,
        "GET",
        &format!("/v1.0/bots/{DEMO_BOT_ID}"),
        Some(&t),
        None,
        "",
    )
    .await;
    assert_eq!(bot.status, 200);
    assert_eq!(bot.json()["botId"], DEMO_BOT_ID, "bot IDs are numbers");
    assert_eq!(bot.json()["botName"], "renkei 通知");

    let sent = call(
        &r,
        "POST",
        &user_messages(DEMO_USERS[0]),
        Some(&t),
        Some(JSON),
        &text_message("hi"),
    )
    .await;
    assert_eq!(sent.status, 201);
    assert!(sent.body.is_empty(), "201 without a body");
    let posted = call(
        &r,
        "POST",
        &channel_messages(DEMO_CHANNEL),
        Some(&t),
        Some(JSON),
        &text_message("all"),
    )
    .await;
    assert_eq!(posted.status, 201);

    let to_user = fake.messages_to_user(DEMO_USERS[0]);
    assert_eq!(to_user.len(), 1);
    assert_eq!(
        (to_user[0].text(), to_user[0].bot_id),
        (Some("hi"), DEMO_BOT_ID)
    );
    let in_channel = fake.messages_in_channel(DEMO_CHANNEL);
    assert_eq!(in_channel[0].to, Destination::Channel(DEMO_CHANNEL.into()));
    assert_eq!(fake.messages().len(), 2);
}

#[tokio::test]
async fn unknown_things_are_404_and_strangers_403() {
    let fake = demo();
    let r = fake.router();
    let t = token(&r, "bot").await;
    let post = |uri: String| {
        let (r, t) = (r.clone(), t.clone());
        async move { call(&r, "POST", &uri, Some(&t), Some(JSON), &text_message("x")).await }
    };
    let denied = post(channel_messages(DEMO_CHANNEL_WITHOUT_BOT)).await;
    assert_eq!(
        (denied.status, denied.json()["code"].clone()),
        (403, json!("ACCESS_DENIED"))
    );
    assert_eq!(post(channel_messages("no-such-channel")).await.status, 404);
    assert_eq!(post(user_messages("nobody@renkei-demo")).await.status, 404);
    assert_eq!(
        post("/v1.0/bots/999/users/x/messages".into()).await.json()["code"],
        "NOT_FOUND"
    );

    fake.add_bot_to_channel(DEMO_CHANNEL_WITHOUT_BOT, DEMO_BOT_ID);
    assert_eq!(
        post(channel_messages(DEMO_CHANNEL_WITHOUT_BOT))
            .await
            .status,
        201
    );
    fake.remove_bot_from_channel(DEMO_CHANNEL_WITHOUT_BOT, DEMO_BOT_ID);
    assert_eq!(
        post(channel_messages(DEMO_CHANNEL_WITHOUT_BOT))
            .await
            .status,
        403
    );
    assert_eq!(fake.messages().len(), 1);
}

#[tokio::test]
async fn unknown_tokens_get_401_with_a_challenge_and_expired_ones_403() {
    let fake = demo();
    let r = fake.router();
    let uri = user_messages(DEMO_USERS[0]);
    let body = text_message("x");
    let missing = call(&r, "POST", &uri, None, Some(JSON), &body).await;
    assert_eq!(
        (missing.status, missing.json()["code"].clone()),
        (401, json!("UNAUTHORIZED"))
    );
    assert_eq!(missing.header("www-authenticate"), Some("Bearer"));
    let unknown = call(&r, "POST", &uri, Some("made-up"), Some(JSON), &body).await;
    assert_eq!(
        (unknown.status, unknown.json()["code"].clone()),
        (401, json!("UNAUTHORIZED"))
    );
    assert!(unknown
        .header("www-authenticate")
        .is_some_and(|c| c.starts_with("Bearer error=\"invalid_token\"")));

    let t = token(&r, "bot").await;
    assert_eq!(
        call(&r, "POST", &uri, Some(&t), Some(JSON), &body)
            .await
            .status,
        201
    );
    fake.expire_tokens();
    let expired = call(&r, "POST", &uri, Some(&t), Some(JSON), &body).await;
    assert_eq!(
        (expired.status, expired.json()["code"].clone()),
        (403, json!("UNAUTHORIZED"))
    );

    fake.set_token_lifetime(Duration::ZERO);
    let born_dead = token(&r, "bot").await;
    assert_eq!(
        call(&r, "POST", &uri, Some(&born_dead), Some(JSON), &body)
            .await
            .status,
        403
    );
    assert_eq!(fake.messages().len(), 1);
}

#[tokio::test]
async fn endpoints_need_their_scope() {
    let r = demo().router();
    let calendar_only = token(&r, "calendar").await;
    let res = call(
        &r,
        "POST",
        &user_messages(DEMO_USERS[0]),
        Some(&calendar_only),
        Some(JSON),
        &text_message("x"),
    )
    .await;
    assert_eq!(
        (res.status, res.json()["code"].clone()),
        (403, json!("FORBIDDEN"))
    );
    assert!(res.json()["description"].as_str().unwrap().contains("bot"));
    let read_only = token(&r, "bot.read").await;
    let bot = call(
        &r,
        "GET",
        &format!("/v1.0/bots/{DEMO_BOT_ID}"),
        Some(&read_only),
        None,
        "",
    )
    .await;
    assert_eq!(bot.status, 200);
}

#[tokio::test]
async fn a_scope_taken_from_the_app_is_taken_from_its_tokens() {
    let fake = demo();
    let r = fake.router();
    let t = token(&r, "bot calendar").await;
    let uri = user_messages(DEMO_USERS[0]);
    let body = text_message("x");
    let send = || call(&r, "POST", &uri, Some(&t), Some(JSON), &body);
    assert_eq!(send().await.status, 201);
    fake.set_app_scopes(DEMO_CLIENT_ID, &["calendar"]);
    let res = send().await;
    assert_eq!(
        (res.status, res.json()["code"].clone()),
        (403, json!("FORBIDDEN"))
    );
}

#[tokio::test]
async fn bodies_must_be_sent_as_json() {
    let fake = demo();
    let r = fake.router();
    let t = token(&r, "bot").await;
    let uri = user_messages(DEMO_USERS[0]);
    let body = text_message("x");
    for content_type in [
        None,
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
    ] {
        let res = call(&r, "POST", &uri, Some(&t), content_type, &body).await;
        assert_eq!(
            (res.status, res.json()["code"].clone()),
            (415, json!("UNSUPPORTED_MEDIA_TYPE")),
            "{content_type:?}"
        );
    }
    let charset = Some("application/json; charset=UTF-8");
    assert_eq!(
        call(&r, "POST", &uri, Some(&t), charset, &body)
            .await
            .status,
        201
    );
    assert_eq!(fake.messages().len(), 1);
}

#[tokio::test]
async fn message_bodies_are_validated() {
    let fake = demo();
    let r = fake.router();
    let t = token(&r, "bot").await;
    let uri = user_messages(DEMO_USERS[1]);
    for body in [
        text_message(&"あ".repeat(2001)),
        text_message(""),
        json!({"text": "no content"}).to_string(),
        "not json".to_string(),
    ] {
        let res = call(&r, "POST", &uri, Some(&t), Some(JSON), &body).await;
        assert_eq!(
            (res.status, res.json()["code"].clone()),
            (400, json!("INVALID_PARAMETER")),
            "{body}"
        );
    }
    let longest = call(
        &r,
        "POST",
        &uri,
        Some(&t),
        Some(JSON),
        &text_message(&"あ".repeat(2000)),
    )
    .await;
    assert_eq!(longest.status, 201);
    assert_eq!(fake.messages().len(), 1);
}

#[tokio::test]
async fn each_operation_has_its_own_scaled_window_with_headers() {
    let fake = FakeLineWorks::with_demo_world(FakeLineWorksConfig::default().scaled(0.01));
    fake.add_channel("second-channel", &[DEMO_BOT_ID]);
    let r = fake.router();
    let t = token(&r, "bot").await;
    let uri = channel_messages(DEMO_CHANNEL);
    for i in 0..240 {
        let res = call(&r, "POST", &uri, Some(&t), Some(JSON), &text_message("x")).await;
        assert_eq!(res.status, 201, "request {i}");
        assert_eq!(
            res.header("ratelimit-remaining"),
            Some((239 - i).to_string().as_str())
        );
    }
    let limited = call(&r, "POST", &uri, Some(&t), Some(JSON), &text_message("x")).await;
    assert_eq!(limited.status, 429);
    assert_eq!(
        limited.json(),
        json!({"code": "TOO_MANY_REQUESTS", "description": "API rate limit exceeded"})
    );
    assert_eq!(limited.header("ratelimit-limit"), Some("240"));
    assert_eq!(limited.header("ratelimit-remaining"), Some("0"));
    assert_eq!(
        limited.header("ratelimit-reset"),
        Some("1"),
        "seconds until reset, rounded up"
    );
    // The operation is the route, whatever the channel...
    let other = call(
        &r,
        "POST",
        &channel_messages("second-channel"),
        Some(&t),
        Some(JSON),
        &text_message("x"),
    )
    .await;
    assert_eq!(other.status, 429);
    // ...while another operation has its own window...
    let dm = call(
        &r,
        "POST",
        &user_messages(DEMO_USERS[0]),
        Some(&t),
        Some(JSON),
        &text_message("x"),
    )
    .await;
    assert_eq!(dm.status, 201);
    // ...and the window ends.
    // The scenario: the (scaled) rate window ends.
    tokio::time::sleep(Duration::from_millis(650)).await;
    assert_eq!(
        call(&r, "POST", &uri, Some(&t), Some(JSON), &text_message("x"))
            .await
            .status,
        201
    );
    assert_eq!(fake.count_status(429), 2);
}

#[tokio::test]
async fn faults_and_delays_can_be_injected() {
    let fake = demo();
    let r = fake.router();
    let t = token(&r, "bot").await;
    let uri = user_messages(DEMO_USERS[0]);
    fake.fail_next(Some("/messages"), 2, 503);
    for _ in 0..2 {
        let res = call(&r, "POST", &uri, Some(&t), Some(JSON), &text_message("x")).await;
        assert_eq!(
            (res.status, res.json()["code"].clone()),
            (503, json!("SERVICE_UNAVAILABLE"))
        );
    }
    assert_eq!(
        call(&r, "POST", &uri, Some(&t), Some(JSON), &text_message("x"))
            .await
            .status,
        201
    );
    fake.fail_next(Some("/oauth2"), 1, 500);
    let form = token_form(&demo_assertion(), "irrelevant", "bot");
    assert_eq!(request_token(&r, &form).await.status, 500);
    fake.fail_next(None, 5, 500);
    fake.clear_faults();
    fake.set_delay(Duration::from_millis(150));
    let started = std::time::Instant::now();
    assert_eq!(
        call(&r, "POST", &uri, Some(&t), Some(JSON), &text_message("x"))
            .await
            .status,
        201
    );
    assert!(started.elapsed() >= Duration::from_millis(150));
    assert_eq!(fake.messages().len(), 2, "faulted requests store nothing");
}

#[tokio::test]
async fn fake_routes_inspect_and_control_over_http() {
    let fake = demo();
    let r = fake.router();
    let t = token(&r, "bot").await;
    let uri = user_messages(DEMO_USERS[0]);
    call(
        &r,
        "POST",
        &uri,
        Some(&t),
        Some(JSON),
        &text_message("hello"),
    )
    .await;
    let msgs = call(
        &r,
        "GET",
        &format!("/_fake/messages?user_id={}", DEMO_USERS[0]),
        None,
        None,
        "",
    )
    .await;
    assert_eq!(msgs.json()[0]["content"]["text"], "hello");
    assert_eq!(
        msgs.json()[0]["to"],
        json!({"kind": "user", "id": DEMO_USERS[0]})
    );

    let logged = call(&r, "GET", "/_fake/requests", None, None, "")
        .await
        .json();
    let auth = logged[1]["headers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h[0] == "authorization")
        .unwrap()[1]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        !auth.contains(&t) && auth.ends_with(&t[t.len() - 4..]),
        "{auth}"
    );

    let fail = json!({"count": 1, "status": 500, "path_contains": "/messages"}).to_string();
    assert_eq!(
        call(&r, "POST", "/_fake/fail", None, Some(JSON), &fail)
            .await
            .status,
        204
    );
    assert_eq!(
        call(&r, "POST", &uri, Some(&t), Some(JSON), &text_message("x"))
            .await
            .status,
        500
    );
    assert_eq!(
        call(&r, "POST", "/_fake/expire_tokens", None, None, "")
            .await
            .status,
        204
    );
    assert_eq!(
        call(&r, "POST", &uri, Some(&t), Some(JSON), &text_message("x"))
            .await
            .status,
        403
    );
    let off = json!({"enabled": false}).to_string();
    assert_eq!(
        call(&r, "POST", "/_fake/limits", None, Some(JSON), &off)
            .await
            .status,
        204
    );
    let fresh = token(&r, "bot").await;
    let res = call(
        &r,
        "POST",
        &uri,
        Some(&fresh),
        Some(JSON),
        &text_message("x"),
    )
    .await;
    assert!(
        res.header("ratelimit-limit").is_none(),
        "no headers with limits off"
    );
    assert_eq!(
        fake.requests()
            .iter()
            .filter(|q| q.path.starts_with("/_fake"))
            .count(),
        0
    );
}
