//! The fake LINE Messaging API over real HTTP: push shapes, retry keys, tokens,
//! validation, friendship, quota, rate window, faults and inspection.

use std::time::{Duration, Instant};

use renkei_fakes::line::{demo, FakeLine, FakeLineConfig};
use reqwest::header::HeaderMap;
use serde_json::{json, Value};

const KEY_A: &str = "123e4567-e89b-42d3-a456-426614174000";
const KEY_B: &str = "223e4567-e89b-42d3-a456-426614174000";

struct Answer {
    status: u16,
    headers: HeaderMap,
    body: Value,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

async fn start(config: FakeLineConfig) -> (FakeLine, String) {
    let fake = FakeLine::with_demo_world(config);
    let running = fake.start().await.unwrap();
    (fake, running.api_url())
}

async fn answer(resp: reqwest::Response) -> Answer {
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let text = resp.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    Answer {
        status,
        headers,
        body,
    }
}

async fn post(
    url: &str,
    path: &str,
    token: Option<&str>,
    key: Option<&str>,
    body: &Value,
) -> Answer {
    let mut req = reqwest::Client::new()
        .post(format!("{url}{path}"))
        .json(body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(k) = key {
        req = req.header("X-Line-Retry-Key", k);
    }
    answer(req.send().await.unwrap()).await
}

async fn push(url: &str, key: Option<&str>, to: &str, text: &str) -> Answer {
    let body = json!({"to": to, "messages": [{"type": "text", "text": text}]});
    post(url, "/v2/bot/message/push", Some(demo::TOKEN), key, &body).await
}

async fn get(url: &str, path: &str) -> Answer {
    let req = reqwest::Client::new()
        .get(format!("{url}{path}"))
        .bearer_auth(demo::TOKEN);
    answer(req.send().await.unwrap()).await
}

#[tokio::test]
async fn push_answers_sent_messages_with_a_request_id() {
    let (fake, url) = start(FakeLineConfig::default()).await;
    let a = push(&url, Some(KEY_A), demo::YAMADA, "こんにちは").await;
    assert_eq!(a.status, 200, "{}", a.body);
    let sent = a.body["sentMessages"].as_array().unwrap();
    assert_eq!(sent.len(), 1);
    let id = sent[0]["id"].as_str().unwrap();
    assert!(
        id.len() == 18 && id.bytes().all(|b| b.is_ascii_digit()),
        "{id}"
    );
    assert!(sent[0]["quoteToken"].is_string());
    let request_id = a.header("x-line-request-id").unwrap();
    assert!(uuid::Uuid::parse_str(request_id).is_ok(), "{request_id}");

    let pushes = fake.pushes();
    assert_eq!(pushes.len(), 1);
    assert_eq!(pushes[0].texts(), ["こんにちは"]);
    assert_eq!(pushes[0].retry_key.as_deref(), Some(KEY_A));
    assert_eq!(pushes[0].message_ids, [id]);
    assert!(pushes[0].delivered);
    assert_eq!(fake.monthly_usage(demo::CHANNEL_ID), 1);
    // The log keeps the request but never the whole token.
    let logged = &fake.requests()[0];
    assert_eq!(logged.path, "/v2/bot/message/push");
    assert!(!logged
        .header("authorization")
        .unwrap()
        .contains(demo::TOKEN));
}

#[tokio::test]
async fn an_accepted_retry_key_answers_409_with_the_first_request() {
    let (fake, url) = start(FakeLineConfig::default()).await;
    let first = push(&url, Some(KEY_A), demo::YAMADA, "one").await;
    let again = push(&url, Some(KEY_A), demo::YAMADA, "one").await;
    assert_eq!(again.status, 409);
    assert_eq!(again.body["message"], "The retry key is already accepted");
    assert_eq!(again.body["sentMessages"], first.body["sentMessages"]);
    assert_eq!(
        again.header("x-line-accepted-request-id"),
        first.header("x-line-request-id")
    );
    assert_ne!(
        again.header("x-line-request-id"),
        first.header("x-line-request-id")
    );
    assert_eq!(fake.pushes().len(), 1, "a repeat must not deliver twice");

    assert_eq!(
        push(&url, Some(KEY_B), demo::YAMADA, "two").await.status,
        200
    );
    assert_eq!(push(&url, None, demo::YAMADA, "no key").await.status, 200);
    let bad = push(&url, Some("not-a-uuid"), demo::YAMADA, "x").await;
    assert_eq!(bad.status, 400);
}

#[tokio::test]
async fn refused_requests_do_not_use_up_the_retry_key() {
    let (fake, url) = start(FakeLineConfig::default()).await;
    fake.fail_next(1, 500);
    let failed = push(&url, Some(KEY_A), demo::YAMADA, "x").await;
    assert_eq!(failed.status, 500);
    assert_eq!(failed.body, json!({"message": "Internal server error"}));
    assert!(failed.header("x-line-request-id").is_some());
    assert_eq!(push(&url, Some(KEY_A), demo::YAMADA, "x").await.status, 200);
}

#[tokio::test]
async fn tokens_are_checked_like_line() {
    let (fake, url) = start(FakeLineConfig::default()).await;
    let body = json!({"to": demo::YAMADA, "messages": [{"type": "text", "text": "x"}]});
    let none = post(&url, "/v2/bot/message/push", None, None, &body).await;
    assert_eq!(none.status, 401);
    assert!(none.body["message"]
        .as_str()
        .unwrap()
        .starts_with("Authorization header required"));
    let wrong = post(&url, "/v2/bot/message/push", Some("nope"), None, &body).await;
    assert_eq!(wrong.status, 401);
    assert_eq!(
        wrong.body,
        json!({"message": "Authentication failed. Confirm that the access token in the authorization header is valid."})
    );
    fake.revoke_token(demo::TOKEN);
    assert_eq!(push(&url, None, demo::YAMADA, "x").await.status, 401);
    assert!(fake.pushes().is_empty());
}

#[tokio::test]
async fn bodies_must_be_sent_as_json() {
    let (fake, url) = start(FakeLineConfig::default()).await;
    let body = json!({"to": demo::YAMADA, "messages": [{"type": "text", "text": "x"}]});
    for content_type in ["text/plain", "application/x-www-form-urlencoded"] {
        let resp = reqwest::Client::new()
            .post(format!("{url}/v2/bot/message/push"))
            .bearer_auth(demo::TOKEN)
            .header("content-type", content_type)
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        let a = answer(resp).await;
        assert_eq!(a.status, 415, "{content_type}");
        assert_eq!(
            a.body["message"],
            format!("The content type, '{content_type}', is not supported")
        );
    }
    assert!(fake.pushes().is_empty(), "nothing was sent");
    assert_eq!(push(&url, None, demo::YAMADA, "x").await.status, 200);
}

#[tokio::test]
async fn bodies_are_validated_like_line() {
    let (_fake, url) = start(FakeLineConfig::default()).await;
    let to = push(&url, None, "@yamada", "x").await;
    assert_eq!(to.status, 400);
    assert_eq!(
        to.body["message"],
        "The property, 'to', in the request body is invalid (line: -, column: -)"
    );
    let long = push(&url, None, demo::YAMADA, &"a".repeat(5001)).await;
    assert_eq!(long.status, 400);
    assert_eq!(long.body["message"], "The request body has 1 error(s)");
    assert_eq!(
        long.body["details"],
        json!([{"message": "Length must be between 0 and 5000", "property": "messages[0].text"}])
    );
    // LINE counts UTF-16 units: 2,500 emoji fit, 2,501 do not.
    assert_eq!(
        push(&url, None, demo::YAMADA, &"😀".repeat(2500))
            .await
            .status,
        200
    );
    assert_eq!(
        push(&url, None, demo::YAMADA, &"😀".repeat(2501))
            .await
            .status,
        400
    );

    let six: Vec<Value> = (0..6)
        .map(|_| json!({"type": "text", "text": "x"}))
        .collect();
    let many = json!({"to": demo::YAMADA, "messages": six});
    let many = post(&url, "/v2/bot/message/push", Some(demo::TOKEN), None, &many).await;
    assert_eq!(
        many.body["details"][0]["message"],
        "Size must be between 1 and 5"
    );
    let odd =
        json!({"to": demo::YAMADA, "messages": [{"type": "text", "text": ""}, {"type": "fax"}]});
    let odd = post(&url, "/v2/bot/message/push", Some(demo::TOKEN), None, &odd).await;
    assert_eq!(odd.body["message"], "The request body has 2 error(s)");
    assert_eq!(odd.body["details"][1]["property"], "messages[1].type");

    let stranger = format!("U{}", "9".repeat(32));
    let unknown = push(&url, None, &stranger, "x").await;
    assert_eq!(
        (unknown.status, &unknown.body),
        (400, &json!({"message": "Failed to send messages"}))
    );
}

#[tokio::test]
async fn non_friends_get_200_but_nothing_is_delivered_or_counted() {
    let (fake, url) = start(FakeLineConfig::default()).await;
    assert_eq!(push(&url, None, demo::SATO, "hello?").await.status, 200);
    assert!(!fake.pushes()[0].delivered);
    assert_eq!(fake.monthly_usage(demo::CHANNEL_ID), 0);
    fake.add_friend(demo::CHANNEL_ID, demo::SATO);
    push(&url, None, demo::SATO, "hello").await;
    assert!(fake.pushes()[1].delivered);
    fake.remove_friend(demo::CHANNEL_ID, demo::SATO);
    push(&url, None, demo::SATO, "blocked").await;
    assert!(!fake.pushes()[2].delivered);
}

#[tokio::test]
async fn the_monthly_quota_answers_429_and_is_reported() {
    let (fake, url) = start(FakeLineConfig::default()).await;
    assert_eq!(
        get(&url, "/v2/bot/message/quota").await.body,
        json!({"type": "limited", "value": 200})
    );
    fake.set_monthly_quota(demo::CHANNEL_ID, Some(1));
    assert_eq!(push(&url, Some(KEY_A), demo::YAMADA, "1").await.status, 200);
    let over = push(&url, Some(KEY_B), demo::YAMADA, "2").await;
    assert_eq!(over.status, 429);
    assert_eq!(
        over.body,
        json!({"message": "You have reached your monthly limit."})
    );
    // The accepted key still answers 409, not the quota.
    assert_eq!(push(&url, Some(KEY_A), demo::YAMADA, "1").await.status, 409);
    let used = get(&url, "/v2/bot/message/quota/consumption").await;
    assert_eq!(used.body, json!({"totalUsage": 1}));
    fake.set_monthly_quota(demo::CHANNEL_ID, None);
    assert_eq!(
        get(&url, "/v2/bot/message/quota").await.body,
        json!({"type": "none"})
    );
    assert_eq!(push(&url, Some(KEY_B), demo::YAMADA, "2").await.status, 200);
}

#[tokio::test]
async fn the_rate_window_answers_429_then_recovers() {
    let config = FakeLineConfig {
        push_limit: 2,
        ..FakeLineConfig::default()
    }
    .scaled(0.05);
    let (_fake, url) = start(config).await;
    for _ in 0..2 {
        assert_eq!(push(&url, None, demo::YAMADA, "x").await.status, 200);
    }
    let limited = push(&url, None, demo::YAMADA, "x").await;
    assert_eq!(limited.status, 429);
    assert_eq!(
        limited.body,
        json!({"message": "The API rate limit has been exceeded. Try again later."})
    );
    // The scenario: the (scaled) rate window ends.
    tokio::time::sleep(Duration::from_millis(80)).await;
    assert_eq!(push(&url, None, demo::YAMADA, "x").await.status, 200);
}

#[tokio::test]
async fn bot_info_has_the_spec_shape() {
    let (_fake, url) = start(FakeLineConfig::default()).await;
    let info = get(&url, "/v2/bot/info").await;
    assert_eq!(info.status, 200);
    assert_eq!(info.body["userId"], demo::BOT_USER_ID);
    assert_eq!(info.body["basicId"], demo::BASIC_ID);
    assert_eq!(info.body["displayName"], "renkei 通知");
    assert!(["chat", "bot"].contains(&info.body["chatMode"].as_str().unwrap()));
    assert!(["auto", "manual"].contains(&info.body["markAsReadMode"].as_str().unwrap()));
}

#[tokio::test]
async fn multicast_reaches_friends_and_counts_them() {
    let (fake, url) = start(FakeLineConfig::default()).await;
    let body =
        json!({"to": [demo::YAMADA, demo::SATO], "messages": [{"type": "text", "text": "all"}]});
    let a = post(
        &url,
        "/v2/bot/message/multicast",
        Some(demo::TOKEN),
        Some(KEY_A),
        &body,
    )
    .await;
    assert_eq!((a.status, &a.body), (200, &json!({})));
    let delivered: Vec<bool> = fake.pushes().iter().map(|p| p.delivered).collect();
    assert_eq!(delivered, [true, false]);
    assert_eq!(fake.monthly_usage(demo::CHANNEL_ID), 1);
    let again = post(
        &url,
        "/v2/bot/message/multicast",
        Some(demo::TOKEN),
        Some(KEY_A),
        &body,
    )
    .await;
    assert_eq!(again.status, 409);
}

#[tokio::test]
async fn a_delayed_answer_was_handled_before_the_delay() {
    let (fake, url) = start(FakeLineConfig::default()).await;
    fake.set_delay(Duration::from_millis(300));
    let client = reqwest::Client::builder()
        .timeout(Duration::from_millis(100))
        .build()
        .unwrap();
    let body = json!({"to": demo::YAMADA, "messages": [{"type": "text", "text": "x"}]});
    let started = Instant::now();
    let sent = client
        .post(format!("{url}/v2/bot/message/push"))
        .bearer_auth(demo::TOKEN)
        .header("X-Line-Retry-Key", KEY_A)
        .json(&body)
        .send()
        .await;
    assert!(sent.unwrap_err().is_timeout());
    assert!(started.elapsed() < Duration::from_millis(300));
    assert_eq!(
        fake.pushes().len(),
        1,
        "accepted although the answer was lost"
    );
    fake.set_delay(Duration::ZERO);
    assert_eq!(push(&url, Some(KEY_A), demo::YAMADA, "x").await.status, 409);
}

#[tokio::test]
async fn inspection_routes_control_and_show_the_fake() {
    let (fake, url) = start(FakeLineConfig::default()).await;
    let http = reqwest::Client::new();
    let fail = json!({"count": 1, "status": 503});
    http.post(format!("{url}/_fake/fail"))
        .json(&fail)
        .send()
        .await
        .unwrap();
    assert_eq!(push(&url, None, demo::YAMADA, "x").await.status, 503);
    assert_eq!(push(&url, None, demo::YAMADA, "x").await.status, 200);

    let quota = json!({"channel_id": demo::CHANNEL_ID, "limit": 5, "usage": 5});
    http.post(format!("{url}/_fake/quota"))
        .json(&quota)
        .send()
        .await
        .unwrap();
    assert_eq!(push(&url, None, demo::YAMADA, "x").await.status, 429);

    let friend = json!({"channel_id": demo::CHANNEL_ID, "user_id": demo::SATO});
    http.post(format!("{url}/_fake/friends"))
        .json(&friend)
        .send()
        .await
        .unwrap();
    assert!(fake.is_friend(demo::CHANNEL_ID, demo::SATO));

    let pushes: Value = http
        .get(format!("{url}/_fake/pushes?to={}", demo::YAMADA))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(pushes.as_array().unwrap().len(), 1);
    let stats: Value = http
        .get(format!("{url}/_fake/stats"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stats["by_status"]["429"], 1);
    assert_eq!(stats["requests"], 3, "inspection calls are not recorded");
}
