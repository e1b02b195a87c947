//! Google Chat webhooks (scenario 18): threads by `thread_key`, removed webhooks, 429 retries.

use serde_json::{json, Value};

use crate::helpers::{statuses, Backend, TestApp};

use super::{attempt_times, by_provider, connect_ok, http_statuses, put_ok};

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

crate::on_both_backends!(google_chat_thread_keys_share_a_thread);

mod sqlite_only {
    use crate::helpers::Backend::Sqlite;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn google_chat_removed_webhook_breaks_the_connection() {
        super::google_chat_removed_webhook_breaks_the_connection(Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn google_chat_resource_exhausted_is_retried() {
        super::google_chat_resource_exhausted_is_retried(Sqlite).await;
    }
}
