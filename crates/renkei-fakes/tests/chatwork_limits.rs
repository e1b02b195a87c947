//! The fake's two rate limits: per token (fixed window, headers) and per room (sliding).

mod common;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::{get, post_message, TOKEN};
use renkei_fakes::chatwork::{FakeChatwork, FakeChatworkConfig};
use serde_json::json;

const ROOM_TEXT: &str = "Rate limit for message posting per room exceeded.";

fn fake_with(config: FakeChatworkConfig) -> FakeChatwork {
    FakeChatwork::with_demo_world(config)
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[test]
fn defaults_are_chatworks_and_scaling_shrinks_windows() {
    let d = FakeChatworkConfig::default();
    assert_eq!((d.token_limit, d.room_limit), (300, 10));
    assert_eq!(
        (d.token_window.as_secs(), d.room_window.as_secs()),
        (300, 10)
    );
    assert!(d.limits_enabled);
    let s = FakeChatworkConfig::default().scaled(0.01);
    assert_eq!(s.token_window, Duration::from_secs(3));
    assert_eq!(s.room_window, Duration::from_millis(100));
    assert_eq!(s.token_limit, 300);
}

#[tokio::test]
async fn token_window_counts_down_then_answers_429_with_headers() {
    let cfg = FakeChatworkConfig {
        token_limit: 3,
        ..Default::default()
    };
    let fake = fake_with(cfg);
    let r = fake.router();
    let before = unix_now();
    for left in [2, 1, 0] {
        let res = get(&r, "/v2/me", TOKEN).await;
        assert_eq!(res.status, 200);
        assert_eq!(res.num("x-ratelimit-limit"), Some(3));
        assert_eq!(res.num("x-ratelimit-remaining"), Some(left));
        let reset = res.num("x-ratelimit-reset").unwrap();
        assert!(
            (before + 300..=unix_now() + 301).contains(&reset),
            "reset {reset}"
        );
    }
    let over = get(&r, "/v2/me", TOKEN).await;
    assert_eq!(over.status, 429);
    assert_eq!(over.json(), json!({"errors": ["Rate limit exceeded"]}));
    assert_eq!(over.num("x-ratelimit-remaining"), Some(0));
    assert_eq!(over.num("x-ratelimit-limit"), Some(3));
    assert!(over.num("x-ratelimit-reset").unwrap() >= before + 300);
    assert_eq!(fake.count_status(429), 1);

    // The window is per token: another token of the same fake is unaffected.
    fake.add_account("other-token", 3001, "Other");
    assert_eq!(get(&r, "/v2/me", "other-token").await.status, 200);
}

#[tokio::test]
async fn room_limit_answers_its_own_text_while_the_token_has_room() {
    let cfg = FakeChatworkConfig {
        room_limit: 2,
        ..Default::default()
    };
    let fake = fake_with(cfg);
    let r = fake.router();
    assert_eq!(post_message(&r, 5001, TOKEN, "1").await.status, 200);
    assert_eq!(post_message(&r, 5001, TOKEN, "2").await.status, 200);
    let over = post_message(&r, 5001, TOKEN, "3").await;
    assert_eq!(over.status, 429);
    assert_eq!(over.json(), json!({"errors": [ROOM_TEXT]}));
    let remaining = over.num("x-ratelimit-remaining").unwrap();
    assert!(remaining > 0, "the token is not what is exhausted");
    // The room limit is across tokens, and other rooms are free.
    fake.add_room(5001, "総務", &[(1001, "admin"), (3001, "member")]);
    fake.add_account("tok-3001", 3001, "Other");
    assert_eq!(post_message(&r, 5001, "tok-3001", "4").await.status, 429);
    assert_eq!(post_message(&r, 5002, TOKEN, "5").await.status, 200);
    assert_eq!(fake.messages(5001).len(), 2);
}

#[tokio::test]
async fn what_counts_toward_the_token_window() {
    let cfg = FakeChatworkConfig {
        token_limit: 4,
        room_limit: 1,
        ..Default::default()
    };
    let r = fake_with(cfg).router();
    let remaining = |res: &common::Resp| res.num("x-ratelimit-remaining");
    assert_eq!(
        remaining(&post_message(&r, 5001, TOKEN, "ok").await),
        Some(3)
    );
    // Refused by the room limit, yet it passed the token check: it counts.
    let room = post_message(&r, 5001, TOKEN, "room-limited").await;
    assert_eq!((room.status, remaining(&room)), (429, Some(2)));
    // So do 403s and 404s.
    assert_eq!(remaining(&post_message(&r, 999, TOKEN, "x").await), Some(1));
    assert_eq!(remaining(&get(&r, "/v2/me", TOKEN).await), Some(0));
    // Refused by the token limit: not counted further, still 0 left.
    for _ in 0..3 {
        let res = get(&r, "/v2/me", TOKEN).await;
        assert_eq!((res.status, remaining(&res)), (429, Some(0)));
    }
}

#[tokio::test]
async fn token_window_recovers_after_the_scaled_window() {
    // 300 s × 0.001 = 300 ms.
    let cfg = FakeChatworkConfig {
        token_limit: 2,
        ..Default::default()
    }
    .scaled(0.001);
    let r = fake_with(cfg).router();
    get(&r, "/v2/me", TOKEN).await;
    get(&r, "/v2/me", TOKEN).await;
    assert_eq!(get(&r, "/v2/me", TOKEN).await.status, 429);
    // The scenario: the (scaled) window passes.
    tokio::time::sleep(Duration::from_millis(350)).await;
    let res = get(&r, "/v2/me", TOKEN).await;
    assert_eq!(res.status, 200);
    assert_eq!(res.num("x-ratelimit-remaining"), Some(1), "a fresh window");
}

#[tokio::test]
async fn room_window_slides_and_recovers() {
    // 10 s × 0.05 = 500 ms; the token window (15 s, 300 requests) stays out of the way.
    let cfg = FakeChatworkConfig {
        room_limit: 2,
        ..Default::default()
    }
    .scaled(0.05);
    let fake = fake_with(cfg);
    let r = fake.router();
    assert_eq!(post_message(&r, 5001, TOKEN, "1").await.status, 200);
    // The scenario: posts spread over the window, so it slides rather than resets.
    tokio::time::sleep(Duration::from_millis(250)).await;
    assert_eq!(post_message(&r, 5001, TOKEN, "2").await.status, 200);
    assert_eq!(post_message(&r, 5001, TOKEN, "3").await.status, 429);
    // ~550 ms: "1" has left the window, "2" has not → exactly one slot.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(post_message(&r, 5001, TOKEN, "4").await.status, 200);
    assert_eq!(post_message(&r, 5001, TOKEN, "5").await.status, 429);
    let bodies: Vec<String> = fake.messages(5001).into_iter().map(|m| m.body).collect();
    assert_eq!(bodies, ["1", "2", "4"]);
}

#[tokio::test]
async fn disabled_limits_never_429_and_can_be_turned_back_on() {
    let cfg = FakeChatworkConfig {
        token_limit: 5,
        room_limit: 1,
        limits_enabled: false,
        ..Default::default()
    };
    let fake = fake_with(cfg);
    let r = fake.router();
    for i in 0..20 {
        let res = post_message(&r, 5001, TOKEN, &i.to_string()).await;
        assert_eq!(res.status, 200);
        assert!(res.headers.get("x-ratelimit-limit").is_none());
    }
    fake.set_limits_enabled(true);
    let res = post_message(&r, 5001, TOKEN, "on").await;
    assert_eq!(
        (res.status, res.num("x-ratelimit-remaining")),
        (200, Some(4))
    );
    assert_eq!(post_message(&r, 5001, TOKEN, "again").await.status, 429);
    assert_eq!(fake.count_status(200), 21);
}
