//! Webhook URLs refused (acceptance 9): private networks (SSRF) and a `room` on a webhook.

use serde_json::json;

use crate::helpers::{Backend, TestApp};

use super::{refused, GENERAL};

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

mod sqlite_only {
    use crate::helpers::Backend::Sqlite;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn webhook_urls_into_private_networks_are_refused() {
        super::webhook_urls_into_private_networks_are_refused(Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn webhook_connections_refuse_a_room() {
        super::webhook_connections_refuse_a_room(Sqlite).await;
    }
}
