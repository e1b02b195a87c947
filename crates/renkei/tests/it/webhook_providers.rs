//! Slack, Microsoft Teams and Google Chat end to end (scenarios 14, 17, 18; acceptance 2, 3,
//! 4, 9): a real node over HTTP against the fakes, asserting what each fake received.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{statuses, Backend, TestApp};
use renkei_fakes::common::Recorded;
use renkei_fakes::slack::FakeSlack;

const BOT_TOKEN: &str = "xoxb-1111-2222-renkeibot";
const BOT_USER: &str = "U0BOT00001";
const YAMADA_SLACK: &str = "U0YAMADA01";
const SATO_SLACK: &str = "U0SATO0001";
const GENERAL: &str = "C0GENERAL1";
const DEV: &str = "C0DEV00001";
const SALES: &str = "C0SALES001";

/// A title full of what Slack gives meaning to: it must arrive escaped.
const TRICKY_TITLE: &str = "<!channel> 請求書 & 見積";

fn http_statuses(d: &Value) -> Vec<Option<i64>> {
    d["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["http_status"].as_i64())
        .collect()
}

fn attempt_times(d: &Value) -> Vec<i64> {
    d["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["at"].as_i64().unwrap())
        .collect()
}

/// The event's one delivery through `provider`.
fn by_provider(ev: &Value, provider: &str) -> Value {
    let found: Vec<&Value> = ev["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["provider"] == provider)
        .collect();
    assert_eq!(found.len(), 1, "one {provider} delivery expected: {ev:#}");
    found[0].clone()
}

fn section(text: &str) -> Value {
    json!({"type": "section", "text": {"type": "mrkdwn", "text": text, "verbatim": true}})
}

/// Requests that posted something (not the `{}` probe a Slack webhook gets on connect).
fn posts(reqs: Vec<Recorded>) -> Vec<Recorded> {
    reqs.into_iter().filter(|r| r.body != "{}").collect()
}

async fn connect_ok(app: &TestApp, body: Value) -> Value {
    let (s, c) = app.post("/api/v1/connections", body).await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    assert_eq!(c["status"], "connected", "{c}");
    c
}

async fn refused(app: &TestApp, body: Value, code: &str) -> Value {
    let (s, e) = app.post("/api/v1/connections", body).await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some(code)),
        "{e}"
    );
    e
}

async fn put_ok(app: &TestApp, path: &str, body: Value) {
    let (s, v) = app.put(path, body).await;
    assert!(
        s == StatusCode::OK || s == StatusCode::CREATED,
        "{path}: {s} {v}"
    );
}

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

// ---------------------------------------------------------------- scenario 14

/// Scenario 14: a member enables Slack (own incoming webhook + member ID) and Teams (own
/// Workflows webhook) for themselves; one event to them arrives in both tools, escaped for
/// Slack and as an Adaptive Card that the flow posts.
async fn scenario_14_member_slack_and_teams_webhooks(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let slack = &app.fakes.slack.fake;
    slack.add_channel("C0MINE0001", "yamada-notify", &[YAMADA_SLACK]);
    let hook = slack.add_webhook("T0000FAKE1/B0OWN00001/ownwebhooksecret9876", "C0MINE0001");
    let teams_url = app.fakes.teams.add_workflow("wf-yamada", "sig-yamada-4321");
    put_ok(
        &app,
        "/api/v1/members/yamada",
        json!({"name": "山田太郎", "identities": {
            "slack": {"member_id": YAMADA_SLACK},
            "teams": {"user_id": "yamada@acme.co.jp"}}}),
    )
    .await;

    let s_conn = connect_ok(
        &app,
        json!({"provider": "slack", "owner": {"member": "yamada"},
               "credentials": {"webhook_url": app.fakes.slack.webhook_url(&hook)}}),
    )
    .await;
    assert_eq!(s_conn["kind"], "webhook");
    assert_eq!(s_conn["owner"], json!({"member": "yamada"}));
    assert_eq!(s_conn["credentials"]["webhook_url"], "…9876", "{s_conn}");
    let t_conn = connect_ok(
        &app,
        json!({"provider": "teams", "owner": {"member": "yamada"},
               "credentials": {"webhook_url": teams_url}}),
    )
    .await;
    assert_eq!(t_conn["kind"], "webhook");
    // Verifying a Teams webhook must not trigger the flow (it would post into the channel).
    assert!(app.fakes.teams.requests().is_empty());
    // A Slack webhook is probed with `{}`, which Slack refuses without posting.
    let probe = slack.requests();
    assert_eq!(probe.len(), 1);
    assert_eq!((probe[0].body.as_str(), probe[0].status), ("{}", 400));
    assert!(slack.messages("C0MINE0001").is_empty());

    let id = app
        .send(
            json!({"type": "post.mentioned", "to": {"members": ["yamada"]},
                     "title": TRICKY_TITLE, "body": "工程「検査」に投稿がありました",
                     "url": "https://savepoint.example/p/1"}),
        )
        .await;
    let ev = app.settled(id).await;
    let sd = by_provider(&ev, "slack");
    let td = by_provider(&ev, "teams");
    for d in [&sd, &td] {
        assert_eq!(d["status"], "delivered", "{ev:#}");
        assert_eq!(d["target"], "member:yamada");
        assert_eq!(d["destination"]["room"], "webhook");
    }
    assert_eq!(sd["connection_id"], s_conn["id"]);
    assert_eq!(td["connection_id"], t_conn["id"]);
    assert_eq!(http_statuses(&sd), vec![Some(200)]);
    assert_eq!(http_statuses(&td), vec![Some(202)]);

    // Slack: exactly one post, JSON, the title escaped so `<!channel>` cannot ping anyone.
    let sent = posts(slack.requests());
    assert_eq!(sent.len(), 1);
    let r = &sent[0];
    assert_eq!(r.method, "POST");
    assert_eq!(r.path, "/services/T0000FAKE1/B0OWN00001/***9876");
    assert_eq!(
        r.header("content-type"),
        Some("application/json; charset=utf-8")
    );
    assert!(!r.body.contains("<!channel>"), "{}", r.body);
    let payload = r.json();
    let text = payload["text"].as_str().unwrap();
    assert!(
        text.ends_with(
            "*&lt;!channel&gt; 請求書 &amp; 見積*\n工程「検査」に投稿がありました\n<https://savepoint.example/p/1>"
        ),
        "{text}"
    );
    let blocks = payload["blocks"].as_array().unwrap();
    assert!(blocks.len() >= 3, "{payload:#}");
    assert_eq!(
        blocks[blocks.len() - 2..].to_vec(),
        vec![
            section("工程「検査」に投稿がありました"),
            section("<https://savepoint.example/p/1>")
        ]
    );
    assert!(
        blocks[blocks.len() - 3]["text"]["text"]
            .as_str()
            .unwrap()
            .ends_with("*&lt;!channel&gt; 請求書 &amp; 見積*"),
        "{payload:#}"
    );
    let landed = slack.messages("C0MINE0001");
    assert_eq!(landed.len(), 1);
    assert_eq!(landed[0].webhook_id.as_deref(), Some("B0OWN00001"));
    assert_eq!(landed[0].text, text);

    // Teams: one trigger of the flow, whose run posted a valid Adaptive Card.
    let treqs = app.fakes.teams.requests();
    assert_eq!(treqs.len(), 1);
    let r = &treqs[0];
    assert_eq!(r.path, "/workflows/wf-yamada/triggers/manual/paths/invoke");
    let q = r.query.as_deref().unwrap();
    assert!(q.contains("api-version=2016-06-01"), "{q}");
    assert!(q.contains("sig=***4321"), "{q}");
    assert_eq!(r.header("content-type"), Some("application/json"));
    let body = r.json();
    assert_eq!(body["type"], "message");
    let att = &body["attachments"][0];
    assert_eq!(
        att["contentType"],
        "application/vnd.microsoft.card.adaptive"
    );
    assert_eq!(att["contentUrl"], Value::Null);
    let card = &att["content"];
    assert_eq!(card["type"], "AdaptiveCard");
    assert_eq!(card["version"], "1.4");
    assert_eq!(
        card["$schema"],
        "http://adaptivecards.io/schemas/adaptive-card.json"
    );
    let texts: Vec<&str> = card["body"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["text"].as_str().unwrap())
        .collect();
    assert!(texts.contains(&TRICKY_TITLE), "{card:#}");
    assert!(
        texts.contains(&"工程「検査」に投稿がありました"),
        "{card:#}"
    );
    assert_eq!(card["actions"][0]["type"], "Action.OpenUrl");
    assert_eq!(card["actions"][0]["url"], "https://savepoint.example/p/1");
    let runs = app.fakes.teams.runs();
    assert_eq!(runs.len(), 1);
    assert_eq!(
        runs[0].status,
        renkei_fakes::teams::RunStatus::Succeeded,
        "{:?}",
        runs[0].error
    );
    assert_eq!(runs[0].workflow, "wf-yamada");
    assert_eq!(&runs[0].cards[0], card);
}

/// Scenario 14 (Save Point): the member stores their Slack member ID *to be mentioned* in
/// the posts of their own webhook, as the Chatwork account ID is for their own token.
async fn scenario_14_own_slack_webhook_mentions_the_member(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let slack = &app.fakes.slack.fake;
    slack.add_channel("C0MINE0001", "yamada-notify", &[YAMADA_SLACK]);
    let hook = slack.add_webhook("T0000FAKE1/B0OWN00001/ownwebhooksecret9876", "C0MINE0001");
    put_ok(
        &app,
        "/api/v1/members/yamada",
        json!({"name": "山田太郎", "identities": {"slack": {"member_id": YAMADA_SLACK}}}),
    )
    .await;
    connect_ok(
        &app,
        json!({"provider": "slack", "owner": {"member": "yamada"},
               "credentials": {"webhook_url": app.fakes.slack.webhook_url(&hook)}}),
    )
    .await;
    let id = app
        .send(json!({"type": "post.mentioned", "to": {"members": ["yamada"]}, "title": "あなた宛ての投稿"}))
        .await;
    let ev = app.settled(id).await;
    let d = by_provider(&ev, "slack");
    assert_eq!(d["status"], "delivered", "{ev:#}");
    assert_eq!(
        d["mentions"],
        json!([{"account_id": YAMADA_SLACK, "name": "山田太郎"}]),
        "{ev:#}"
    );
    let landed = slack.messages("C0MINE0001");
    assert_eq!(landed.len(), 1);
    assert_eq!(
        landed[0].text,
        format!("<@{YAMADA_SLACK}>\n*あなた宛ての投稿*")
    );
}

// ---------------------------------------------------------------- Slack bot

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

// ---------------------------------------------------------------- Teams

/// A tenant's Teams Workflows webhook: a member's room notice carries an `<at>` mention
/// with `msteams.entities` (their UPN), and the flow's run succeeds.
async fn teams_workflow_mentions_the_member(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let teams = &app.fakes.teams;
    teams.add_workflow("wf-acme", "sig-acme-0042");
    let conn = connect_ok(
        &app,
        json!({"provider": "teams", "owner": {"tenant": true},
               "credentials": {"webhook_url": teams.powerautomate_url("wf-acme")}}),
    )
    .await;
    assert_eq!(conn["credentials"]["webhook_url"], "…0042", "{conn}");
    put_ok(&app, "/api/v1/groups/dev", json!({"name": "開発部"})).await;
    put_ok(&app, "/api/v1/members/yamada", json!({"name": "山田太郎", "groups": ["dev"], "identities": {"teams": {"user_id": "yamada@acme.co.jp"}}})).await;
    let id = app
        .send(json!({"type": "post.mentioned", "to": {"members": ["yamada"]}, "title": "レビュー依頼", "body": "<at>全員</at> [x](https://evil.example)"}))
        .await;
    let ev = app.settled(id).await;
    assert_eq!(statuses(&ev), vec!["delivered"], "{ev:#}");
    let d = &ev["deliveries"][0];
    assert_eq!(http_statuses(d), vec![Some(202)]);
    assert_eq!(d["destination"]["room"], "webhook");

    let reqs = teams.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(
        reqs[0].path,
        "/powerautomate/automations/direct/workflows/wf-acme/triggers/manual/paths/invoke"
    );
    assert!(reqs[0].query.as_deref().unwrap().contains("sig=***0042"));
    let card = &reqs[0].json()["attachments"][0]["content"];
    assert_eq!(
        card["msteams"]["entities"],
        json!([{"type": "mention", "text": "<at>山田太郎</at>",
                "mentioned": {"id": "yamada@acme.co.jp", "name": "山田太郎"}}])
    );
    assert_eq!(
        card["body"][0],
        json!({"type": "TextBlock", "text": "<at>山田太郎</at>", "wrap": true})
    );
    assert_eq!(card["body"][1]["text"], "レビュー依頼");
    // The body cannot forge a mention or disguise a link.
    assert_eq!(
        card["body"][2]["text"],
        "<\u{200B}at>全員<\u{200B}/at> [x]\u{200B}(https://evil.example)"
    );
    let runs = teams.runs();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].status, renkei_fakes::teams::RunStatus::Succeeded);
    assert_eq!(&runs[0].cards[0], card);
}

/// A retired Office 365 connector URL is refused, saying what to use instead.
async fn teams_retired_connector_is_refused(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let e = refused(
        &app,
        json!({"provider": "teams", "owner": {"tenant": true}, "credentials": {"webhook_url":
            "https://acme.webhook.office.com/webhookb2/1111-2222@3333-4444/IncomingWebhook/abcdef/5555-6666"}}),
        "teams_connector_retired",
    )
    .await;
    let msg = e["error"]["message"].as_str().unwrap();
    assert!(msg.contains("retired"), "{msg}");
    assert!(msg.contains("Workflows"), "{msg}");
    assert!(
        msg.contains("Post to a channel when a webhook request is received"),
        "{msg}"
    );
    assert!(msg.contains("ワークフロー"), "{msg}");
    assert!(!msg.contains("abcdef"), "the secret is not echoed: {msg}");
    assert_eq!(app.get("/api/v1/connections").await.1, json!([]));
}

/// A flow throttled with 429 and no Retry-After: renkei backs off exponentially (with
/// jitter) and delivers; the flow runs once.
async fn teams_429_without_retry_after_backs_off(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let teams = &app.fakes.teams;
    let url = teams.add_workflow("wf-acme", "sig-acme-0042");
    teams.set_retry_after(false);
    connect_ok(
        &app,
        json!({"provider": "teams", "owner": {"tenant": true}, "credentials": {"webhook_url": url}}),
    )
    .await;
    teams.fail_next(3, 429);
    let id = app
        .send(json!({"type": "news", "to": {"tenant": true}, "title": "混雑中"}))
        .await;
    let ev = app.settled(id).await;
    let d = &ev["deliveries"][0];
    assert_eq!(d["status"], "delivered", "{ev:#}");
    assert_eq!(
        http_statuses(d),
        vec![Some(429), Some(429), Some(429), Some(202)]
    );
    for a in &d["attempts"].as_array().unwrap()[..3] {
        assert_eq!(a["outcome"], "provider_unavailable");
        assert!(
            a["error"].as_str().unwrap().contains("InjectedFault"),
            "{a}"
        );
    }
    // retry_initial_ms = 50: delays are at least 25, 50, 100 ms (half step + jitter).
    let at = attempt_times(d);
    let gaps: Vec<i64> = at.windows(2).map(|w| w[1] - w[0]).collect();
    for (gap, min) in gaps.iter().zip([25, 50, 100]) {
        assert!(*gap >= min - 2, "backoff too short: {gaps:?}");
    }
    assert_eq!(teams.count_status(429), 3);
    let runs = teams.runs();
    assert_eq!(runs.len(), 1, "one post, not four");
    assert_eq!(runs[0].status, renkei_fakes::teams::RunStatus::Succeeded);
}

/// Direct delivery needs a connection that can message a person; a Teams webhook cannot,
/// so the notice is skipped with the reason rather than posted into the channel.
async fn direct_notice_is_not_sent_to_a_teams_channel(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let url = app.fakes.teams.add_workflow("wf-acme", "sig-acme-0042");
    connect_ok(
        &app,
        json!({"provider": "teams", "owner": {"tenant": true}, "credentials": {"webhook_url": url}}),
    )
    .await;
    put_ok(&app, "/api/v1/groups/dev", json!({"name": "開発部"})).await;
    put_ok(&app, "/api/v1/members/yamada", json!({"name": "山田太郎", "groups": ["dev"], "identities": {"teams": {"user_id": "yamada@acme.co.jp"}}})).await;
    put_ok(
        &app,
        "/api/v1/event-types/praise",
        json!({"name": "称賛", "delivery": "direct"}),
    )
    .await;
    let id = app
        .send(json!({"type": "praise", "to": {"members": ["yamada"]}, "title": "ありがとう"}))
        .await;
    let ev = app.settled(id).await;
    assert_eq!(statuses(&ev), vec!["skipped"], "{ev:#}");
    let d = &ev["deliveries"][0];
    assert_eq!(d["reason_code"], "no_connection");
    assert_eq!(d["target"], "member:yamada");
    assert!(
        d["reason"].as_str().unwrap().contains("webhook cannot"),
        "{d:#}"
    );
    assert!(d["attempts"].as_array().unwrap().is_empty());
    // Sent as a room notice the same event would reach the channel: the webhook works.
    let id = app
        .send(json!({"type": "praise", "delivery": "room", "to": {"members": ["yamada"]}, "title": "ありがとう"}))
        .await;
    assert_eq!(statuses(&app.settled(id).await), vec!["delivered"]);
    assert_eq!(app.fakes.teams.runs().len(), 1, "only the room notice");
}

// ---------------------------------------------------------------- Google Chat

/// Scenario 18: a member links Google Chat with their own webhook. Notices with one
/// `thread_key` share a thread; one without starts another.
async fn google_chat_thread_keys_share_a_thread(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let gc = &app.fakes.google_chat;
    let url = gc.add_webhook("AAAAyamada01", "key-yamada-1234", "token-yamada-5678");
    put_ok(
        &app,
        "/api/v1/members/yamada",
        json!({"name": "山田太郎", "identities": {"google_chat": {"user_id": "users/123456789"}}}),
    )
    .await;
    let conn = connect_ok(
        &app,
        json!({"provider": "google_chat", "owner": {"member": "yamada"}, "credentials": {"webhook_url": url}}),
    )
    .await;
    assert_eq!(conn["kind"], "webhook");
    assert_eq!(conn["account"]["name"], "spaces/AAAAyamada01");
    assert!(gc.requests().is_empty(), "connecting posts nothing");

    let mut names = Vec::new();
    for (title, key) in [
        ("申請 #1 が提出されました", Some("request-1")),
        ("申請 #1 が承認されました", Some("request-1")),
        ("別の通知", None),
    ] {
        let mut body = json!({"type": "workflow.step", "to": {"members": ["yamada"]}, "title": title, "body": "詳細"});
        if let Some(k) = key {
            body["thread_key"] = json!(k);
        }
        let id = app.send(body).await;
        let ev = app.settled(id).await;
        let d = by_provider(&ev, "google_chat");
        assert_eq!(d["status"], "delivered", "{ev:#}");
        assert_eq!(http_statuses(&d), vec![Some(200)]);
        names.push(d["message_id"].as_str().unwrap().to_string());
    }

    let reqs = gc.requests();
    assert_eq!(reqs.len(), 3);
    for (i, r) in reqs.iter().enumerate() {
        assert_eq!(r.path, "/v1/spaces/AAAAyamada01/messages");
        assert_eq!(
            r.header("content-type"),
            Some("application/json; charset=UTF-8")
        );
        let q = r.query.as_deref().unwrap();
        assert!(
            q.contains("key=***1234") && q.contains("token=***5678"),
            "{q}"
        );
        let threaded = q.contains("messageReplyOption=REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD");
        assert_eq!(threaded, i < 2, "{q}");
    }
    assert_eq!(
        reqs[0].json(),
        // The member's own webhook mentions them (their identities.google_chat).
        json!({"text": "<users/123456789>\n*申請 #1 が提出されました*\n詳細", "thread": {"threadKey": "request-1"}})
    );
    assert_eq!(reqs[1].json()["thread"], json!({"threadKey": "request-1"}));
    assert_eq!(
        reqs[2].json(),
        json!({"text": "<users/123456789>\n*別の通知*\n詳細"})
    );

    let msgs = gc.messages("AAAAyamada01");
    assert_eq!(msgs.len(), 3);
    let thread = |m: &Value| m["thread"]["name"].as_str().unwrap().to_string();
    assert_eq!(thread(&msgs[0]), thread(&msgs[1]));
    assert_ne!(thread(&msgs[0]), thread(&msgs[2]));
    let stored: Vec<String> = msgs
        .iter()
        .map(|m| m["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, stored, "each delivery keeps Google's message name");
}

/// A webhook someone removed answers 403 PERMISSION_DENIED in Google's envelope: the
/// connection is broken and the delivery says so.
async fn google_chat_removed_webhook_breaks_the_connection(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let gc = &app.fakes.google_chat;
    let url = gc.add_webhook("AAAAteam0001", "key-team-1234", "token-team-5678");
    let conn = connect_ok(
        &app,
        json!({"provider": "google_chat", "owner": {"tenant": true}, "credentials": {"webhook_url": url}}),
    )
    .await;
    let id = app
        .send(json!({"type": "news", "to": {"tenant": true}, "title": "一通目"}))
        .await;
    assert_eq!(statuses(&app.settled(id).await), vec!["delivered"]);
    gc.remove_webhook("AAAAteam0001", "token-team-5678");
    let id = app
        .send(json!({"type": "news", "to": {"tenant": true}, "title": "二通目"}))
        .await;
    let ev = app.settled(id).await;
    let d = &ev["deliveries"][0];
    assert_eq!(
        (d["status"].as_str(), d["reason_code"].as_str()),
        (Some("failed"), Some("connection_broken")),
        "{ev:#}"
    );
    assert_eq!(http_statuses(d), vec![Some(403)]);
    let err = d["attempts"][0]["error"].as_str().unwrap();
    assert!(err.contains("PERMISSION_DENIED"), "{err}");
    assert!(!err.contains("token-team"), "no secret in the log: {err}");
    let c = app
        .get(&format!("/api/v1/connections/{}", conn["id"]))
        .await
        .1;
    assert_eq!(c["status"], "broken", "{c}");
    assert_eq!(gc.messages("AAAAteam0001").len(), 1);
}

/// 429 RESOURCE_EXHAUSTED (no Retry-After) is retried with backoff until it goes through.
async fn google_chat_resource_exhausted_is_retried(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let gc = &app.fakes.google_chat;
    let url = gc.add_webhook("AAAAteam0001", "key-team-1234", "token-team-5678");
    connect_ok(
        &app,
        json!({"provider": "google_chat", "owner": {"tenant": true}, "credentials": {"webhook_url": url}}),
    )
    .await;
    gc.fail_next(2, 429);
    let id = app
        .send(json!({"type": "news", "to": {"tenant": true}, "title": "混雑中"}))
        .await;
    let ev = app.settled(id).await;
    let d = &ev["deliveries"][0];
    assert_eq!(d["status"], "delivered", "{ev:#}");
    assert_eq!(http_statuses(d), vec![Some(429), Some(429), Some(200)]);
    for a in &d["attempts"].as_array().unwrap()[..2] {
        assert_eq!(a["outcome"], "provider_unavailable");
        assert!(
            a["error"]
                .as_str()
                .unwrap()
                .starts_with("RESOURCE_EXHAUSTED"),
            "{a}"
        );
    }
    let at = attempt_times(d);
    assert!(at[1] - at[0] >= 23 && at[2] - at[1] >= 48, "{at:?}");
    let msgs = gc.messages("AAAAteam0001");
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0]["text"], "*混雑中*");
    assert_eq!(d["message_id"], msgs[0]["name"]);
}

// ---------------------------------------------------------------- refusals

/// Acceptance 9 (SSRF): with private targets not allowed (production), pasted webhook URLs
/// that point at loopback, private addresses, look-alike hosts or `localhost` are refused,
/// and nothing is sent anywhere.
async fn webhook_urls_into_private_networks_are_refused(b: Backend) {
    let Some(app) = TestApp::spawn_with(b, |s| s.allow_private_targets = false).await else {
        return;
    };
    let slack = &app.fakes.slack.fake;
    slack.add_channel(GENERAL, "general", &[]);
    let hook = slack.add_webhook("T0000FAKE1/B0SSRF0001/ssrfsecret4242", GENERAL);
    let teams_url = app.fakes.teams.add_workflow("wf-ssrf", "sig-ssrf-4242");
    let gc_url = app
        .fakes
        .google_chat
        .add_webhook("AAAAssrf0001", "key-ssrf", "token-ssrf-4242");
    let cases = [
        ("slack", app.fakes.slack.webhook_url(&hook)),
        (
            "slack",
            "https://10.0.0.1/services/T0000FAKE1/B0SSRF0001/ssrfsecret4242".into(),
        ),
        (
            "slack",
            "https://hooks.slack.com.evil.example/services/T0000FAKE1/B0SSRF0001/ssrfsecret4242"
                .into(),
        ),
        (
            "slack",
            "https://localhost/services/T0000FAKE1/B0SSRF0001/ssrfsecret4242".into(),
        ),
        (
            "slack",
            "https://169.254.169.254/services/T0000FAKE1/B0SSRF0001/ssrfsecret4242".into(),
        ),
        ("teams", teams_url),
        (
            "teams",
            "https://10.0.0.1/workflows/wf/triggers/manual/paths/invoke?api-version=1&sig=ssrf4242"
                .into(),
        ),
        ("google_chat", gc_url),
        (
            "google_chat",
            "https://localhost/v1/spaces/AAAAssrf0001/messages?key=k&token=ssrf4242".into(),
        ),
    ];
    for (provider, url) in cases {
        let e = refused(
            &app,
            json!({"provider": provider, "owner": {"tenant": true}, "credentials": {"webhook_url": url}}),
            "invalid_webhook_url",
        )
        .await;
        let msg = e["error"]["message"].as_str().unwrap();
        assert!(
            !msg.contains("4242"),
            "{provider} {url}: secret echoed: {msg}"
        );
    }
    assert!(slack.requests().is_empty(), "{:?}", slack.requests());
    assert!(app.fakes.teams.requests().is_empty());
    assert!(app.fakes.google_chat.requests().is_empty());
    assert_eq!(app.get("/api/v1/connections").await.1, json!([]));
}

/// A webhook fixes its channel: a `room` is refused for Slack webhooks, Teams and Google
/// Chat (and nothing is stored or posted).
async fn webhook_connections_refuse_a_room(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let slack = &app.fakes.slack.fake;
    slack.add_channel(GENERAL, "general", &[]);
    let hook = slack.add_webhook("T0000FAKE1/B0ROOM0001/roomsecret0001", GENERAL);
    let cases = [
        ("slack", app.fakes.slack.webhook_url(&hook), GENERAL),
        (
            "teams",
            app.fakes.teams.add_workflow("wf-room", "sig-room"),
            "19:abc@thread.tacv2",
        ),
        (
            "google_chat",
            app.fakes
                .google_chat
                .add_webhook("AAAAroom0001", "key-room", "token-room"),
            "spaces/AAAAother01",
        ),
    ];
    for (provider, url, room) in cases {
        let e = refused(
            &app,
            json!({"provider": provider, "owner": {"tenant": true}, "credentials": {"webhook_url": url}, "room": room}),
            "room_not_allowed",
        )
        .await;
        assert!(
            e["error"]["message"].as_str().unwrap().contains("webhook"),
            "{e}"
        );
    }
    assert_eq!(app.get("/api/v1/connections").await.1, json!([]));
    assert!(slack.messages(GENERAL).is_empty());
    assert!(app.fakes.teams.requests().is_empty());
    assert!(app.fakes.google_chat.requests().is_empty());
}

crate::on_both_backends!(
    scenario_14_member_slack_and_teams_webhooks,
    slack_bot_rooms_mentions_and_direct_messages,
    slack_revoked_token_breaks_the_connection,
    teams_workflow_mentions_the_member,
    google_chat_thread_keys_share_a_thread,
);

mod sqlite_only {
    use crate::helpers::Backend::Sqlite;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn scenario_14_own_slack_webhook_mentions_the_member() {
        super::scenario_14_own_slack_webhook_mentions_the_member(Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn broken_connection_reason_names_the_providers_error() {
        super::broken_connection_reason_names_the_providers_error(Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn slack_429_retry_after_is_honoured() {
        super::slack_429_retry_after_is_honoured(Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn teams_retired_connector_is_refused() {
        super::teams_retired_connector_is_refused(Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn teams_429_without_retry_after_backs_off() {
        super::teams_429_without_retry_after_backs_off(Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn direct_notice_is_not_sent_to_a_teams_channel() {
        super::direct_notice_is_not_sent_to_a_teams_channel(Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn google_chat_removed_webhook_breaks_the_connection() {
        super::google_chat_removed_webhook_breaks_the_connection(Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn google_chat_resource_exhausted_is_retried() {
        super::google_chat_resource_exhausted_is_retried(Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn webhook_urls_into_private_networks_are_refused() {
        super::webhook_urls_into_private_networks_are_refused(Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn webhook_connections_refuse_a_room() {
        super::webhook_connections_refuse_a_room(Sqlite).await;
    }
}
