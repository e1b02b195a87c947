//! A tenant's Slack bot (scenarios 17, 18): rooms, mentions, DMs, revoked tokens and 429s.

use serde_json::{json, Value};

use crate::helpers::{statuses, Backend, TestApp};
use renkei_fakes::slack::FakeSlack;

use super::{attempt_times, connect_ok, http_statuses, put_ok, section, GENERAL, YAMADA_SLACK};

const BOT_TOKEN: &str = "xoxb-1111-2222-renkeibot";
const BOT_USER: &str = "U0BOT00001";
const SATO_SLACK: &str = "U0SATO0001";
const DEV: &str = "C0DEV00001";
const SALES: &str = "C0SALES001";

/// A Slack workspace with the tenant's bot in #general and #dev, but not in #sales.
fn slack_world(app: &TestApp) -> &FakeSlack {
    let slack = &app.fakes.slack.fake;
    slack.add_bot(BOT_TOKEN, BOT_USER, "renkei");
    slack.add_user(YAMADA_SLACK, "山田太郎");
    slack.add_user(SATO_SLACK, "佐藤花子");
    slack.add_channel(GENERAL, "general", &[BOT_USER, YAMADA_SLACK, SATO_SLACK]);
    slack.add_channel(DEV, "dev", &[BOT_USER, YAMADA_SLACK]);
    slack.add_channel(SALES, "sales", &[SATO_SLACK]);
    slack
}

/// The tenant's Slack bot, its room given as a channel URL.
async fn slack_bot(app: &TestApp) -> Value {
    connect_ok(
        app,
        json!({"provider": "slack", "owner": {"tenant": true},
               "credentials": {"bot_token": BOT_TOKEN},
               "room": format!("https://acme.slack.com/archives/{GENERAL}/p1700000000000100")}),
    )
    .await
}

/// Scenarios 17/18 with a Slack bot: the connection's room from a channel URL; a member's
/// room notice into their group's channel mentioning them; a direct notice as a DM by
/// member ID; a channel the bot was not invited to fails `slack_not_in_channel`.
async fn slack_bot_rooms_mentions_and_direct_messages(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let slack = slack_world(&app);
    let conn = slack_bot(&app).await;
    assert_eq!(conn["kind"], "bot");
    assert_eq!(conn["room"], GENERAL, "the channel URL is read as its ID");
    assert_eq!(conn["account"], json!({"id": BOT_USER, "name": "renkei"}));
    let auth = slack.requests();
    assert_eq!(auth.len(), 1);
    assert_eq!(auth[0].path, "/api/auth.test");
    assert_eq!(auth[0].header("authorization"), Some("***ibot"));

    put_ok(
        &app,
        "/api/v1/groups/dev",
        json!({"name": "開発部", "rooms": {"slack": DEV}}),
    )
    .await;
    put_ok(&app, "/api/v1/groups/sales", json!({"name": "営業部", "rooms": {"slack": format!("https://app.slack.com/client/T0000FAKE1/{SALES}")}})).await;
    put_ok(&app, "/api/v1/members/yamada", json!({"name": "山田太郎", "groups": ["dev"], "identities": {"slack": {"member_id": format!("<@{YAMADA_SLACK}>")}}})).await;
    put_ok(&app, "/api/v1/members/sato", json!({"name": "佐藤花子", "groups": ["sales"], "identities": {"slack": {"member_id": SATO_SLACK}}})).await;
    put_ok(
        &app,
        "/api/v1/event-types/praise",
        json!({"name": "称賛", "delivery": "direct"}),
    )
    .await;

    // The tenant's own notices go into the connection's channel.
    let id = app
        .send(json!({"type": "news", "to": {"tenant": true}, "title": "全体連絡"}))
        .await;
    let ev = app.settled(id).await;
    assert_eq!(statuses(&ev), vec!["delivered"]);
    assert_eq!(ev["deliveries"][0]["destination"]["room"], GENERAL);
    assert_eq!(slack.messages(GENERAL).len(), 1);

    // Room delivery for a member: their primary group's channel, with a mention.
    let id = app
        .send(json!({"type": "post.mentioned", "to": {"members": ["yamada"]}, "title": "レビュー依頼", "body": "PR #12"}))
        .await;
    let ev = app.settled(id).await;
    assert_eq!(statuses(&ev), vec!["delivered"], "{ev:#}");
    let d = &ev["deliveries"][0];
    assert_eq!(
        d["destination"],
        json!({"kind": "room", "room": DEV, "account": null})
    );
    assert_eq!(
        d["mentions"],
        json!([{"account_id": YAMADA_SLACK, "name": "山田太郎"}])
    );
    let ts = d["message_id"].as_str().unwrap().to_string();
    let r = slack.requests().last().unwrap().clone();
    assert_eq!(r.path, "/api/chat.postMessage");
    assert_eq!(r.header("authorization"), Some("***ibot"));
    assert_eq!(
        r.header("content-type"),
        Some("application/json; charset=utf-8")
    );
    assert_eq!(
        r.json(),
        json!({
            "channel": DEV,
            "text": format!("<@{YAMADA_SLACK}>\n*レビュー依頼*\nPR #12"),
            "blocks": [section(&format!("<@{YAMADA_SLACK}>\n*レビュー依頼*")), section("PR #12")],
        })
    );
    let landed = slack.messages(DEV);
    assert_eq!(landed.len(), 1);
    assert_eq!(landed[0].ts, ts, "the delivery keeps Slack's ts");
    assert_eq!(landed[0].bot_user_id.as_deref(), Some(BOT_USER));

    // Direct delivery: chat.postMessage with the member ID lands in the DM with them.
    let id = app
        .send(json!({"type": "praise", "to": {"members": ["yamada"]}, "title": "ありがとう！"}))
        .await;
    let ev = app.settled(id).await;
    assert_eq!(statuses(&ev), vec!["delivered"], "{ev:#}");
    assert_eq!(
        ev["deliveries"][0]["destination"],
        json!({"kind": "direct", "room": null, "account": YAMADA_SLACK})
    );
    let r = slack.requests().last().unwrap().clone();
    assert_eq!(r.path, "/api/chat.postMessage");
    assert_eq!(r.json()["channel"], YAMADA_SLACK);
    assert_eq!(r.json()["text"], "*ありがとう！*");
    let dm = slack.messages(&FakeSlack::dm_channel_of(YAMADA_SLACK));
    assert_eq!(dm.len(), 1);
    assert_eq!(dm[0].text, "*ありがとう！*");

    // #sales is public but the bot was never invited: Slack answers 200 ok:false.
    let id = app
        .send(json!({"type": "post.mentioned", "to": {"members": ["sato"]}, "title": "見積の確認"}))
        .await;
    let ev = app.settled(id).await;
    let d = &ev["deliveries"][0];
    assert_eq!(d["status"], "failed", "{ev:#}");
    assert_eq!(d["reason_code"], "slack_not_in_channel");
    assert!(
        d["reason"].as_str().unwrap().contains("/invite"),
        "the reason says how to fix it: {d:#}"
    );
    assert_eq!(http_statuses(d), vec![Some(200)], "not retried");
    assert!(slack.messages(SALES).is_empty());
    // One channel's refusal does not break the connection.
    let c = app
        .get(&format!("/api/v1/connections/{}", conn["id"]))
        .await
        .1;
    assert_eq!(c["status"], "connected", "{c}");
}

/// A revoked bot token (`token_revoked` at HTTP 200) breaks the connection: the delivery
/// fails `connection_broken`, the connection shows `broken`, and later events skip it.
async fn slack_revoked_token_breaks_the_connection(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let slack = slack_world(&app);
    let conn = slack_bot(&app).await;
    slack.revoke_token(BOT_TOKEN);
    let id = app
        .send(json!({"type": "news", "to": {"tenant": true}, "title": "届かない"}))
        .await;
    let ev = app.settled(id).await;
    let d = &ev["deliveries"][0];
    assert_eq!(
        (d["status"].as_str(), d["reason_code"].as_str()),
        (Some("failed"), Some("connection_broken")),
        "{ev:#}"
    );
    assert_eq!(http_statuses(d), vec![Some(200)]);
    assert_eq!(d["attempts"][0]["outcome"], "credentials_rejected");
    assert!(
        d["attempts"][0]["error"]
            .as_str()
            .unwrap()
            .contains("token_revoked"),
        "{d:#}"
    );
    let c = app
        .get(&format!("/api/v1/connections/{}", conn["id"]))
        .await
        .1;
    assert_eq!(c["status"], "broken", "{c}");
    assert!(slack.messages(GENERAL).is_empty());

    let posts_before = slack.requests().len();
    let id = app
        .send(json!({"type": "news", "to": {"tenant": true}, "title": "また届かない"}))
        .await;
    let ev = app.settled(id).await;
    assert_eq!(statuses(&ev), vec!["skipped"], "{ev:#}");
    assert_eq!(ev["deliveries"][0]["reason_code"], "no_connection");
    assert_eq!(slack.requests().len(), posts_before, "nothing sent");
}

/// A broken connection's reason, shown to the administrator, names what the provider said
/// (`token_revoked`), not an HTTP status it never answered.
async fn broken_connection_reason_names_the_providers_error(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let slack = slack_world(&app);
    let conn = slack_bot(&app).await;
    slack.revoke_token(BOT_TOKEN);
    let id = app
        .send(json!({"type": "news", "to": {"tenant": true}, "title": "x"}))
        .await;
    app.settled(id).await;
    let c = app
        .get(&format!("/api/v1/connections/{}", conn["id"]))
        .await
        .1;
    assert_eq!(c["status"], "broken", "{c}");
    let reason = c["status_reason"].as_str().unwrap();
    assert!(!reason.contains("401"), "Slack answered HTTP 200: {reason}");
    assert!(reason.contains("token_revoked"), "{reason}");
}

/// Slack's own limit (3 posts per window per channel in the fake, unscaled here): renkei's
/// post gets 429 with Retry-After, the channel rests that long, then the post is delivered
/// with no second 429.
async fn slack_429_retry_after_is_honoured(b: Backend) {
    let Some(app) = TestApp::spawn_with(b, |s| s.rate_window_scale = 1.0).await else {
        return;
    };
    let slack = slack_world(&app);
    slack_bot(&app).await;
    // Someone else (another app of the workspace) fills #general's window.
    let other = reqwest::Client::new();
    for i in 0..3 {
        let r: Value = other
            .post(format!("{}/chat.postMessage", app.fakes.slack.base_url()))
            .bearer_auth(BOT_TOKEN)
            .json(&json!({"channel": GENERAL, "text": format!("other {i}")}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(r["ok"], true, "{r}");
    }
    let window_start = slack
        .requests()
        .iter()
        .find(|r| r.body.contains("other 0"))
        .unwrap()
        .received_at_ms as i64;
    let id = app
        .send(json!({"type": "news", "to": {"tenant": true}, "title": "混雑中"}))
        .await;
    let ev = app.settled(id).await;
    let d = &ev["deliveries"][0];
    assert_eq!(d["status"], "delivered", "{ev:#}");
    assert_eq!(http_statuses(d), vec![Some(429), Some(200)], "{d:#}");
    assert_eq!(d["attempts"][0]["outcome"], "room_rate_limited");
    let at = attempt_times(d);
    assert!(
        at[1] - at[0] >= 1000,
        "Retry-After is whole seconds: {at:?}"
    );
    assert!(
        at[1] + 50 >= window_start + 3000,
        "retried before the window ended: {at:?} vs {window_start}"
    );
    assert_eq!(slack.count_status(429), 1, "renkei hammered the channel");
    let texts: Vec<String> = slack
        .messages(GENERAL)
        .into_iter()
        .map(|m| m.text)
        .collect();
    assert_eq!(texts.last().map(String::as_str), Some("*混雑中*"));
    assert_eq!(texts.len(), 4);
}

crate::on_both_backends!(
    slack_bot_rooms_mentions_and_direct_messages,
    slack_revoked_token_breaks_the_connection,
);

mod sqlite_only {
    use crate::helpers::Backend::Sqlite;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn broken_connection_reason_names_the_providers_error() {
        super::broken_connection_reason_names_the_providers_error(Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn slack_429_retry_after_is_honoured() {
        super::slack_429_retry_after_is_honoured(Sqlite).await;
    }
}
