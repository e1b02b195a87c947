//! Scenario 14: a member's own Slack and Teams webhooks, and the Slack one mentioning them.

use serde_json::{json, Value};

use crate::helpers::{Backend, TestApp};
use renkei_fakes::common::Recorded;

use super::{by_provider, connect_ok, http_statuses, put_ok, section, YAMADA_SLACK};

/// A title full of what Slack gives meaning to: it must arrive escaped.
const TRICKY_TITLE: &str = "<!channel> 請求書 & 見積";

/// Requests that posted something (not the `{}` probe a Slack webhook gets on connect).
fn posts(reqs: Vec<Recorded>) -> Vec<Recorded> {
    reqs.into_iter().filter(|r| r.body != "{}").collect()
}

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

crate::on_both_backends!(scenario_14_member_slack_and_teams_webhooks);

mod sqlite_only {
    use crate::helpers::Backend::Sqlite;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn scenario_14_own_slack_webhook_mentions_the_member() {
        super::scenario_14_own_slack_webhook_mentions_the_member(Sqlite).await;
    }
}
