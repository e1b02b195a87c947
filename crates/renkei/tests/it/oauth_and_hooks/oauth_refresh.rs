//! Delivering through an OAuth connection: token refresh, revoked grants, several nodes.

use std::time::Duration;

use renkei::node::Node;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{node_idle, statuses, Backend, TestApp};

use super::{last4, link, stored_oauth, ADMIN_ACCOUNT, BASIC, CLIENT_ID};

/// Bearer requests the fake received for the connection's messages, as (token last 4, status).
fn message_posts(app: &TestApp, room: i64) -> Vec<(String, u16)> {
    let path = format!("/rooms/{room}/messages");
    app.fake()
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path.ends_with(&path))
        .map(|r| {
            assert_eq!(r.auth_scheme.as_deref(), Some("bearer"), "{r:?}");
            (r.token_last4.unwrap_or_default(), r.status)
        })
        .collect()
}

/// Events through the OAuth connection go out with the bearer token; an expired access
/// token is refreshed and the message still delivered; the rotated refresh token is saved,
/// so it works again and again, also after a restart.
async fn oauth_connection_delivers_and_refreshes(b: Backend) {
    let Some(mut app) = TestApp::spawn(b).await else {
        return;
    };
    let conn = link(&app).await;
    let id = conn["id"].as_i64().unwrap();
    let my_chat: i64 = conn["default_room"].as_str().unwrap().parse().unwrap();
    let first = stored_oauth(&app, id).await;

    let ev = app
        .send(json!({"type": "praise", "to": {"tenant": true}, "title": "称賛", "body": "ありがとう"}))
        .await;
    let ev = app.settled(ev).await;
    assert_eq!(statuses(&ev), vec!["delivered"], "{ev:#}");
    assert_eq!(ev["deliveries"][0]["connection_id"], id);
    assert_eq!(
        ev["deliveries"][0]["destination"]["room"],
        my_chat.to_string()
    );
    let msgs = app.fake().messages(my_chat);
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0].account_id, ADMIN_ACCOUNT);
    assert_eq!(msgs[0].body, "[info][title]称賛[/title]ありがとう[/info]");
    let access1 = first["access_token"].as_str().unwrap();
    assert_eq!(message_posts(&app, my_chat), vec![(last4(access1), 200)]);
    assert_eq!(app.fake().oauth_token_requests().len(), 1, "no refresh yet");

    // Chatwork expires the access token: 401 invalid_token → refresh → sent.
    let mut refresh_tokens_used = Vec::new();
    let mut previous = first.clone();
    for round in 1..=3 {
        if round == 3 {
            // Nothing kept in memory: only what the database holds.
            app.shutdown().await;
            app.node = Some(Node::start(&app.settings).await.unwrap());
        }
        app.fake().expire_oauth_access_tokens(ADMIN_ACCOUNT);
        let title = format!("survey reminder {round}");
        let ev = app
            .send(json!({"type": "survey.reminder", "to": {"tenant": true}, "title": title}))
            .await;
        let ev = app.settled(ev).await;
        assert_eq!(statuses(&ev), vec!["delivered"], "round {round}: {ev:#}");
        let attempts = ev["deliveries"][0]["attempts"].as_array().unwrap();
        assert_eq!(
            attempts.len(),
            1,
            "the refresh is inside one attempt: {ev:#}"
        );
        assert_eq!(attempts[0]["http_status"], 200);
        assert_eq!(app.fake().messages(my_chat).len(), 1 + round);

        let tokens = app.fake().oauth_token_requests();
        assert_eq!(
            tokens.len(),
            1 + round,
            "one refresh per expiry: {tokens:?}"
        );
        let refresh = tokens.last().unwrap();
        assert_eq!(refresh.status, 200, "round {round}: {refresh:?}");
        assert_eq!(refresh.authorization.as_deref(), Some(BASIC));
        assert_eq!(refresh.field("grant_type"), Some("refresh_token"));
        assert_eq!(refresh.form.len(), 2, "{refresh:?}");
        // The refresh token saved by the previous round (or the link) is the one used.
        let used = refresh.field("refresh_token").unwrap().to_string();
        assert_eq!(
            used,
            previous["refresh_token"].as_str().unwrap(),
            "round {round}"
        );
        refresh_tokens_used.push(used);

        let now = stored_oauth(&app, id).await;
        assert_ne!(
            now["access_token"], previous["access_token"],
            "round {round}"
        );
        assert_ne!(
            now["refresh_token"], previous["refresh_token"],
            "rotated, and saved"
        );
        assert_eq!(now["client_id"], CLIENT_ID);
        assert!(now["expires_at"].as_i64().unwrap() > previous["expires_at"].as_i64().unwrap() - 5);

        // Chatwork saw: the old token refused (401), then the new one accepted.
        let posts = message_posts(&app, my_chat);
        let tail = &posts[posts.len() - 2..];
        assert_eq!(
            tail,
            &[
                (last4(previous["access_token"].as_str().unwrap()), 401),
                (last4(now["access_token"].as_str().unwrap()), 200)
            ],
            "round {round}: {posts:?}"
        );
        previous = now;
    }
    let distinct: std::collections::HashSet<_> = refresh_tokens_used.iter().collect();
    assert_eq!(distinct.len(), 3, "each refresh spent a new refresh token");
    assert_eq!(
        app.fake().count_status(401),
        3,
        "only the three expired sends were refused"
    );
}

/// The admin removed the app in Chatwork: the refresh is refused, the delivery fails
/// with what to do (link again), the connection is marked broken, and later events do not
/// try it.
async fn revoked_grant_breaks_the_connection_with_what_to_fix(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let conn = link(&app).await;
    let id = conn["id"].as_i64().unwrap();
    app.fake().revoke_oauth_tokens(ADMIN_ACCOUNT);
    let ev = app
        .send(json!({"type": "t", "to": {"tenant": true}, "title": "after removal"}))
        .await;
    let ev = app.settled(ev).await;
    let d = &ev["deliveries"][0];
    assert_eq!(d["status"], "failed", "{ev:#}");
    assert_eq!(d["reason_code"], "connection_broken", "{ev:#}");
    let reason = d["reason"].as_str().unwrap();
    assert!(
        reason.contains("Link the Chatwork account again"),
        "{reason}"
    );
    let tokens = app.fake().oauth_token_requests();
    let last = tokens.last().unwrap();
    assert_eq!(last.field("grant_type"), Some("refresh_token"));
    assert_eq!(
        (last.status, last.error.as_deref()),
        (400, Some("invalid_grant"))
    );
    let (_, c) = app.get(&format!("/api/v1/connections/{id}")).await;
    assert_eq!(c["status"], "broken", "{c:#}");
    let posts_before = app.fake().requests().len();
    let later = app
        .send(json!({"type": "t", "to": {"tenant": true}, "title": "later"}))
        .await;
    let later = app.settled(later).await;
    assert_ne!(statuses(&later), vec!["delivered"], "{later:#}");
    node_idle(&app.node().dispatcher).await;
    assert_eq!(
        app.fake().requests().len(),
        posts_before,
        "a broken link is not tried"
    );
    assert_eq!(app.fake().oauth_token_requests().len(), tokens.len());
}

/// Two nodes on one database: the API node refreshes the token (listing contacts) while
/// the sending node's lane is busy with a retry. The refresh token was rotated under the
/// lane: it must pick up the saved one rather than break the connection.
async fn refresh_on_another_node_does_not_break_a_busy_lane(b: Backend) {
    let Some(app) = TestApp::spawn_with(b, |s| {
        s.retry_initial_ms = 1_500;
        s.retry_max_delay_ms = 1_500;
    })
    .await
    else {
        return;
    };
    let conn = link(&app).await;
    let id = conn["id"].as_i64().unwrap();
    let my_chat: i64 = conn["default_room"].as_str().unwrap().parse().unwrap();
    // Node B answers the API only; node A's workers send.
    let mut api_only = app.settings.clone();
    api_only.workers = false;
    let node_b = Node::start(&api_only).await.unwrap();

    let first = app
        .send(json!({"type": "t", "to": {"tenant": true}, "title": "first"}))
        .await;
    assert_eq!(statuses(&app.settled(first).await), vec!["delivered"]);

    // The next notice meets a Chatwork hiccup and waits 1.5 s for its retry.
    app.fake().fail_next_on("/messages", 1, 500);
    let second = app
        .send(json!({"type": "t", "to": {"tenant": true}, "title": "second"}))
        .await;
    app.wait_event(second, Duration::from_secs(5), |ev| {
        !ev["deliveries"][0]["attempts"]
            .as_array()
            .unwrap()
            .is_empty()
    })
    .await;

    // Meanwhile the access token expires and the admin lists contacts through node B.
    app.fake().expire_oauth_access_tokens(ADMIN_ACCOUNT);
    let resp = app
        .http
        .get(format!("{}/api/v1/connections/{id}/contacts", node_b.url()))
        .bearer_auth(&app.key)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let tokens = app.fake().oauth_token_requests();
    assert_eq!(tokens.len(), 2, "node B refreshed: {tokens:?}");
    assert_eq!(tokens[1].status, 200);

    let ev = app.settled(second).await;
    let tokens = app.fake().oauth_token_requests();
    node_b.shutdown().await;
    assert_eq!(statuses(&ev), vec!["delivered"], "{ev:#}\n{tokens:?}");
    assert_eq!(app.fake().messages(my_chat).len(), 2);
    let (_, c) = app.get(&format!("/api/v1/connections/{id}")).await;
    assert_eq!(c["status"], "connected", "{c:#}");
}

// Several nodes share one database on PostgreSQL only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_refresh_on_another_node_does_not_break_a_busy_lane() {
    refresh_on_another_node_does_not_break_a_busy_lane(Backend::Postgres).await;
}

crate::on_both_backends!(
    oauth_connection_delivers_and_refreshes,
    revoked_grant_breaks_the_connection_with_what_to_fix,
);
