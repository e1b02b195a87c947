//! LINE push retries (retry keys, 409, 429, the monthly limit) and the follow webhook.

use std::time::Duration;

use renkei_fakes::common::{mask, Recorded};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{eventually, Backend, TestApp};

use super::{
    attempt_statuses, direct_type, line, line_connect, line_world, LINE_BOT, LINE_CHANNEL,
    LINE_SECRET, SATO, YAMADA,
};

/// A LINE connection with 佐藤 linked (through the API) and a friend of the account.
async fn line_linked(app: &TestApp) -> Value {
    line_world(app);
    line(app).add_friend(LINE_CHANNEL, SATO);
    let conn = line_connect(app).await;
    let (s, m) = app
        .put(
            "/api/v1/members/sato",
            json!({"name": "佐藤花子", "identities": {"line": {"user_id": SATO}}}),
        )
        .await;
    assert!(s.is_success(), "{m}");
    direct_type(app).await;
    conn
}

fn to_sato(title: &str) -> Value {
    json!({"type": "wf.direct", "to": {"members": ["sato"]}, "title": title})
}

/// A push answered 500 is retried with the same `X-Line-Retry-Key`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn line_500_is_retried_with_the_same_retry_key() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    let conn = line_linked(&app).await;
    line(&app).fail_next(1, 500);
    let ev = app.settled(app.send(to_sato("再送")).await).await;
    let d = &ev["deliveries"][0];
    assert_eq!(d["status"], "delivered", "{ev:#}");
    assert_eq!(attempt_statuses(d), vec![Some(500), Some(200)]);
    let key =
        renkei_providers::line::retry_key(conn["id"].as_i64().unwrap(), d["id"].as_i64().unwrap());
    let pushes: Vec<Recorded> = line(&app)
        .requests()
        .into_iter()
        .filter(|r| r.path == "/v2/bot/message/push")
        .collect();
    assert_eq!(pushes.len(), 2);
    assert_eq!(pushes[0].status, 500);
    assert_eq!(pushes[1].status, 200);
    // The log masks the key (its name has "key"): both show the same masked key.
    for p in &pushes {
        assert_eq!(p.header("x-line-retry-key"), Some(mask(&key).as_str()));
    }
    assert_eq!(pushes[0].body, pushes[1].body, "the same message again");
    let accepted = line(&app).pushes();
    assert_eq!(accepted.len(), 1);
    assert_eq!(accepted[0].retry_key.as_deref(), Some(key.as_str()));
}

/// The answer to an accepted push is lost (renkei times out); the retry with the same key
/// gets LINE's 409 with `x-line-accepted-request-id`, which counts as delivered: one
/// message reached the person.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn line_409_for_an_accepted_key_counts_as_delivered() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    line_linked(&app).await;
    // Longer than renkei's 2 s provider timeout.
    line(&app).set_delay(Duration::from_millis(2_600));
    let id = app.send(to_sato("一度だけ")).await;
    eventually(
        Duration::from_secs(5),
        "the first push accepted",
        async || !line(&app).pushes().is_empty(),
    )
    .await;
    line(&app).set_delay(Duration::ZERO);
    let ev = app.settled(id).await;
    let d = &ev["deliveries"][0];
    assert_eq!(d["status"], "delivered", "{ev:#}");
    assert_eq!(attempt_statuses(d), vec![None, Some(409)], "{d}");
    let pushes = line(&app).pushes();
    assert_eq!(pushes.len(), 1, "delivered once");
    assert_eq!(d["message_id"], pushes[0].message_ids[0].as_str(), "{d}");
    let statuses: Vec<u16> = line(&app)
        .requests()
        .iter()
        .filter(|r| r.path == "/v2/bot/message/push")
        .map(|r| r.status)
        .collect();
    assert_eq!(statuses, vec![200, 409]);
}

/// An ordinary 429 (rate limit) is retried; the monthly-limit 429 pauses the connection
/// until the month resets (JST) and the delivery stays pending with that reason.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn line_rate_limit_retried_monthly_limit_pauses() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    let conn = line_linked(&app).await;
    let conn_id = conn["id"].as_i64().unwrap();
    line(&app).fail_next(1, 429);
    let ev = app.settled(app.send(to_sato("混雑")).await).await;
    let d = &ev["deliveries"][0];
    assert_eq!(d["status"], "delivered", "{ev:#}");
    assert_eq!(attempt_statuses(d), vec![Some(429), Some(200)]);
    assert_eq!(d["attempts"][0]["outcome"], "provider_unavailable");
    let (c, _) = app
        .node()
        .store
        .connection_for_worker(conn_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        c.paused_until, 0,
        "a rate-limit 429 does not pause the connection"
    );

    line(&app).set_monthly_quota(LINE_CHANNEL, Some(100));
    line(&app).set_monthly_usage(LINE_CHANNEL, 100);
    let now = renkei_store::now_ms() / 1000;
    let reset = renkei_providers::line::next_month_start_jst(now);
    let id = app.send(to_sato("今月はもう送れない")).await;
    let ev = app
        .wait_event(id, Duration::from_secs(5), |ev| {
            !ev["deliveries"][0]["attempts"]
                .as_array()
                .unwrap()
                .is_empty()
        })
        .await;
    let d = &ev["deliveries"][0];
    assert_eq!(d["status"], "pending", "{ev:#}");
    assert_eq!(d["reason_code"], "credential_rate_limited", "{d}");
    let reason = d["reason"].as_str().unwrap();
    assert!(reason.contains("monthly"), "{reason}");
    let reset_text = renkei_providers::line::jst_text(reset);
    assert!(
        reason.contains(&format!("resets at {reset_text}")),
        "{reason}"
    );
    assert_eq!(d["next_attempt_at"], reset * 1000, "{d}");
    assert_eq!(attempt_statuses(d), vec![Some(429)]);
    let (c, _) = app
        .node()
        .store
        .connection_for_worker(conn_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(c.paused_until, reset * 1000, "the connection is paused");
    assert_eq!(c.status, "connected", "paused, not broken");

    // The next notice waits too: nothing more is sent this month.
    let pushes_before = line(&app).requests().len();
    let id2 = app.send(to_sato("次の通知")).await;
    // No outside sign shows a paused lane has looked at a delivery and held it: this bounded
    // wait stands in (an unpaused lane sends within milliseconds). The pause itself is
    // unit-tested on paused time in renkei-worker's pacing tests.
    tokio::time::sleep(Duration::from_millis(800)).await;
    let (_, ev2) = app.get(&format!("/api/v1/events/{id2}")).await;
    let d2 = &ev2["deliveries"][0];
    assert_eq!(d2["status"], "pending", "{ev2:#}");
    assert!(d2["attempts"].as_array().unwrap().is_empty(), "{d2}");
    assert_eq!(line(&app).requests().len(), pushes_before);
    assert_eq!(line(&app).pushes().len(), 1, "only the first notice");
}

/// LINE's signed `follow` webhook (secret: the channel secret from the credentials) records
/// the follower, with the linked member's external ID; `unfollow` flips it; a wrong
/// signature is refused with 401 `bad_signature`.
async fn line_follow_webhook_lists_followers(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let conn = line_linked(&app).await;
    let id = conn["id"].as_i64().unwrap();
    let hook = app.url(&format!("/hooks/line/{id}"));
    let followers = format!("/api/v1/connections/{id}/followers");
    let (s, list) = app.get(&followers).await;
    assert_eq!((s, list), (StatusCode::OK, json!([])));

    let status = line(&app)
        .send_follow(SATO, &hook, LINE_SECRET)
        .await
        .unwrap();
    assert_eq!(status, 200);
    let status = line(&app)
        .send_follow(YAMADA, &hook, LINE_SECRET)
        .await
        .unwrap();
    assert_eq!(status, 200);
    let (s, list) = app.get(&followers).await;
    assert_eq!(s, StatusCode::OK);
    let list = list.as_array().unwrap().clone();
    assert_eq!(list.len(), 2, "{list:?}");
    let entry = |u: &str| list.iter().find(|f| f["user_id"] == u).unwrap().clone();
    assert_eq!(entry(SATO)["following"], true);
    assert_eq!(entry(SATO)["member"], "sato");
    assert_eq!(entry(YAMADA)["following"], true);
    assert_eq!(entry(YAMADA)["member"], Value::Null);

    let status = line(&app)
        .send_unfollow(YAMADA, &hook, LINE_SECRET)
        .await
        .unwrap();
    assert_eq!(status, 200);
    let (_, list) = app.get(&followers).await;
    let yamada = list
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["user_id"] == YAMADA)
        .unwrap()
        .clone();
    assert_eq!(yamada["following"], false);

    // Signed with another secret, or not signed at all: refused, nothing recorded.
    let forged = json!({"destination": LINE_BOT, "events": [{"type": "follow", "mode": "active", "timestamp": 1, "source": {"type": "user", "userId": "U33333333333333333333333333333333"}, "webhookEventId": "01J", "deliveryContext": {"isRedelivery": false}}]}).to_string();
    let client = reqwest::Client::new();
    let resp = client
        .post(&hook)
        .header("content-type", "application/json")
        .header(
            "x-line-signature",
            renkei_fakes::line::signature("ffffffffffffffffffffffffffffffff", forged.as_bytes()),
        )
        .body(forged.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "bad_signature", "{body}");
    let resp = client
        .post(&hook)
        .header("content-type", "application/json")
        .body(forged.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let status = line(&app)
        .post_signed(&hook, "ffffffffffffffffffffffffffffffff", &forged)
        .await
        .unwrap();
    assert_eq!(status, 401);
    let (_, list) = app.get(&followers).await;
    assert_eq!(list.as_array().unwrap().len(), 2, "{list}");
    // A connection that does not exist is refused like a wrong signature.
    let status = line(&app)
        .send_follow(SATO, &app.url("/hooks/line/999999"), LINE_SECRET)
        .await
        .unwrap();
    assert_eq!(status, 401);
}

crate::on_both_backends!(line_follow_webhook_lists_followers);
