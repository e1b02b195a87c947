//! Microsoft Teams Workflows webhooks: mentions, retired connectors, 429 backoff, no DMs.

use serde_json::json;

use crate::helpers::{statuses, Backend, TestApp};

use super::{attempt_times, connect_ok, http_statuses, put_ok, refused};

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

crate::on_both_backends!(teams_workflow_mentions_the_member);

mod sqlite_only {
    use crate::helpers::Backend::Sqlite;

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
}
