//! Inbound webhooks from Slack, LINE WORKS and LINE (acceptance 8): verified and recorded.

use renkei_providers::signatures::{sign_line, sign_line_works, sign_slack};
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{Backend, TestApp};

use super::{
    assert_refused, hook, line_channel, now_unix, put_secret, slack_bot, LINE_CHANNEL, LINE_FRIEND,
    LINE_SECRET, SLACK_SIGNING_SECRET,
};

const LW_BOT_SECRET: &str = "lw-bot-secret-0001";

async fn line_works_bot(app: &TestApp, bot_secret: Option<&str>) -> i64 {
    let lw = &app.fakes.line_works.fake;
    lw.add_app(
        "hooks-lw-client",
        "hooks-lw-secret",
        "hooks.sa@renkei-test",
        renkei_fakes::keys::TEST_PUBLIC_KEY_PEM,
    );
    lw.add_bot(3_000_001, "renkei 通知");
    let mut creds = json!({
        "client_id": "hooks-lw-client",
        "client_secret": "hooks-lw-secret",
        "service_account": "hooks.sa@renkei-test",
        "private_key": renkei_fakes::keys::TEST_PRIVATE_KEY_PEM,
        "bot_id": "3000001",
    });
    if let Some(s) = bot_secret {
        creds["bot_secret"] = json!(s);
    }
    let (s, c) = app
        .post(
            "/api/v1/connections",
            json!({"provider": "line_works", "owner": {"tenant": true}, "credentials": creds}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    c["id"].as_i64().unwrap()
}

/// Slack: URL verification answered with the challenge once signed; stale timestamps,
/// wrong and missing signatures refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slack_requests_are_verified() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let id = slack_bot(&app).await;
    let path = format!("/hooks/slack/{id}");
    let body = r#"{"token":"Jhj5dZrVaK7ZwHHjRyZWjbDl","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}"#;
    let signed = |secret: &str, ts: i64, body: &str| {
        vec![
            ("X-Slack-Request-Timestamp", ts.to_string()),
            ("X-Slack-Signature", sign_slack(secret, ts, body.as_bytes())),
        ]
    };

    let got = hook(
        &app,
        &path,
        body,
        &signed(SLACK_SIGNING_SECRET, now_unix(), body),
    )
    .await;
    // Refused like any bad signature; the connection's detail says why.
    assert_refused(&got, StatusCode::UNAUTHORIZED, "bad_signature");
    let detail = app.get(&format!("/api/v1/connections/{id}")).await.1;
    assert!(
        detail["inbound"]["refused_because"]
            .as_str()
            .unwrap()
            .contains("signing_secret"),
        "{detail}"
    );

    let view = put_secret(&app, id, SLACK_SIGNING_SECRET).await;
    assert_eq!(view["url"], app.url(&path));
    assert_eq!(view["secret"], "…85a5");

    let ok = hook(
        &app,
        &path,
        body,
        &signed(SLACK_SIGNING_SECRET, now_unix(), body),
    )
    .await;
    assert_eq!(ok.0, StatusCode::OK, "{}", ok.1);
    assert_eq!(
        ok.1,
        json!({"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"})
    );
    let event = r#"{"token":"x","team_id":"T0000FAKE1","api_app_id":"A1","type":"event_callback","event_id":"Ev1","event_time":1,"event":{"type":"app_mention","user":"U0DEMO0001","channel":"C0HOOKS001","text":"hi"}}"#;
    let ok = hook(
        &app,
        &path,
        event,
        &signed(SLACK_SIGNING_SECRET, now_unix(), event),
    )
    .await;
    assert_eq!(ok.0, StatusCode::OK, "{}", ok.1);

    // A correctly signed request from more than 5 minutes ago (a replay).
    let old = now_unix() - 6 * 60;
    let got = hook(&app, &path, body, &signed(SLACK_SIGNING_SECRET, old, body)).await;
    assert_refused(&got, StatusCode::UNAUTHORIZED, "stale_timestamp");
    // A little skew is fine.
    let ok = hook(
        &app,
        &path,
        body,
        &signed(SLACK_SIGNING_SECRET, now_unix() - 60, body),
    )
    .await;
    assert_eq!(ok.0, StatusCode::OK, "{}", ok.1);

    let got = hook(
        &app,
        &path,
        body,
        &signed("another-signing-secret", now_unix(), body),
    )
    .await;
    assert_refused(&got, StatusCode::UNAUTHORIZED, "bad_signature");
    // The signature of one timestamp under another.
    let mut mixed = signed(SLACK_SIGNING_SECRET, now_unix(), body);
    mixed[0].1 = (now_unix() - 10).to_string();
    let got = hook(&app, &path, body, &mixed).await;
    assert_refused(&got, StatusCode::UNAUTHORIZED, "bad_signature");
    let got = hook(
        &app,
        &path,
        body,
        &signed(SLACK_SIGNING_SECRET, now_unix(), body)[..1],
    )
    .await;
    assert_refused(&got, StatusCode::UNAUTHORIZED, "missing_signature");
    let got = hook(
        &app,
        &path,
        body,
        &signed(SLACK_SIGNING_SECRET, now_unix(), body)[1..],
    )
    .await;
    assert_refused(&got, StatusCode::UNAUTHORIZED, "missing_signature");
    let got = hook(&app, &path, body, &[]).await;
    assert_refused(&got, StatusCode::UNAUTHORIZED, "missing_signature");
}

/// LINE WORKS: a bot without a bot secret cannot verify callbacks (401) until one is set.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn line_works_callbacks_are_verified() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let id = line_works_bot(&app, None).await;
    let path = format!("/hooks/line_works/{id}");
    let body = r#"{"type":"message","source":{"userId":"yamada@renkei-test","domainId":10000001},"issuedTime":"2024-04-01T09:00:00.000Z","content":{"type":"text","text":"承認しました"}}"#;
    let headers = |secret: &str| {
        vec![
            (
                "X-WORKS-Signature",
                sign_line_works(secret, body.as_bytes()),
            ),
            ("X-WORKS-BotId", "3000001".to_string()),
        ]
    };
    let got = hook(&app, &path, body, &headers(LW_BOT_SECRET)).await;
    // Refused like any bad signature; the connection's detail says why.
    assert_refused(&got, StatusCode::UNAUTHORIZED, "bad_signature");
    let detail = app.get(&format!("/api/v1/connections/{id}")).await.1;
    assert!(
        detail["inbound"]["refused_because"]
            .as_str()
            .unwrap()
            .contains("bot_secret"),
        "{detail}"
    );

    let view = put_secret(&app, id, LW_BOT_SECRET).await;
    assert_eq!(view["url"], app.url(&path));
    assert_eq!(view["secret"], "…0001");
    let ok = hook(&app, &path, body, &headers(LW_BOT_SECRET)).await;
    assert_eq!(ok.0, StatusCode::OK, "{}", ok.1);
    let got = hook(&app, &path, body, &headers("some-other-bot-secret")).await;
    assert_refused(&got, StatusCode::UNAUTHORIZED, "bad_signature");
    let got = hook(&app, &path, body, &headers(LW_BOT_SECRET)[1..]).await;
    assert_refused(&got, StatusCode::UNAUTHORIZED, "missing_signature");

    // A bot secret given with the credentials works from the start.
    let app2 = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let id2 = line_works_bot(&app2, Some(LW_BOT_SECRET)).await;
    let ok = hook(
        &app2,
        &format!("/hooks/line_works/{id2}"),
        body,
        &headers(LW_BOT_SECRET),
    )
    .await;
    assert_eq!(ok.0, StatusCode::OK, "{}", ok.1);
}

/// LINE: the channel secret from the connection signs webhooks; a follow from the fake
/// LINE is accepted and makes the user a follower, an unfollow ends it, and a
/// mis-signed one changes nothing.
async fn line_follow_webhooks_are_verified_and_recorded(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let id = line_channel(&app).await;
    let url = app.url(&format!("/hooks/line/{id}"));
    let line = &app.fakes.line.fake;

    // Signed by LINE with the channel secret given at connect: no extra setup needed.
    let status = line
        .send_follow(LINE_FRIEND, &url, LINE_SECRET)
        .await
        .unwrap();
    assert_eq!(status, 200);
    assert!(line.is_friend(LINE_CHANNEL, LINE_FRIEND));
    let (s, followers) = app
        .get(&format!("/api/v1/connections/{id}/followers"))
        .await;
    assert_eq!(s, StatusCode::OK, "{followers}");
    let f = followers.as_array().unwrap();
    assert_eq!(f.len(), 1, "{followers}");
    assert_eq!(f[0]["user_id"], LINE_FRIEND);
    assert_eq!(f[0]["following"], true);

    // Forged: signed with another secret, or not at all.
    let other = "U99999999999999999999999999999999";
    let status = line
        .send_follow(other, &url, "ffffffffffffffffffffffffffffffff")
        .await
        .unwrap();
    assert_eq!(status, 401);
    let body = json!({"destination": "Ud0000000000000000000000000000091", "events": [
        {"type": "follow", "mode": "active", "timestamp": 1, "source": {"type": "user", "userId": other},
         "webhookEventId": "01H0000000000000000000000", "deliveryContext": {"isRedelivery": false}}]})
    .to_string();
    let got = hook(&app, &format!("/hooks/line/{id}"), &body, &[]).await;
    assert_refused(&got, StatusCode::UNAUTHORIZED, "missing_signature");
    let got = hook(
        &app,
        &format!("/hooks/line/{id}"),
        &body,
        &[("X-Line-Signature", sign_line(LINE_SECRET, b"{}"))],
    )
    .await;
    assert_refused(&got, StatusCode::UNAUTHORIZED, "bad_signature");
    let ok = hook(
        &app,
        &format!("/hooks/line/{id}"),
        &body,
        &[("X-Line-Signature", sign_line(LINE_SECRET, body.as_bytes()))],
    )
    .await;
    assert_eq!(ok.0, StatusCode::OK, "{}", ok.1);
    let (_, followers) = app
        .get(&format!("/api/v1/connections/{id}/followers"))
        .await;
    assert_eq!(followers.as_array().unwrap().len(), 2, "{followers}");

    // LINE's empty verification request ("Verify" in the console), signed.
    let verify = r#"{"destination":"Ud0000000000000000000000000000091","events":[]}"#;
    let ok = hook(
        &app,
        &format!("/hooks/line/{id}"),
        verify,
        &[(
            "X-Line-Signature",
            sign_line(LINE_SECRET, verify.as_bytes()),
        )],
    )
    .await;
    assert_eq!(ok.0, StatusCode::OK, "{}", ok.1);

    let status = line
        .send_unfollow(LINE_FRIEND, &url, LINE_SECRET)
        .await
        .unwrap();
    assert_eq!(status, 200);
    let (_, followers) = app
        .get(&format!("/api/v1/connections/{id}/followers"))
        .await;
    let yamada = followers
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["user_id"] == LINE_FRIEND)
        .unwrap()
        .clone();
    assert_eq!(yamada["following"], false, "{followers}");

    // A new channel secret (reissued in the console) replaces the old one.
    let reissued = "fedcba9876543210fedcba9876543210";
    let view = put_secret(&app, id, reissued).await;
    assert_eq!(view["url"], url);
    assert_eq!(view["secret"], "…3210");
    assert_eq!(
        line.send_follow(LINE_FRIEND, &url, LINE_SECRET)
            .await
            .unwrap(),
        401
    );
    assert_eq!(
        line.send_follow(LINE_FRIEND, &url, reissued).await.unwrap(),
        200
    );
}

crate::on_both_backends!(line_follow_webhooks_are_verified_and_recorded);
