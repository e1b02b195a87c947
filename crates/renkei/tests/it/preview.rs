//! `POST /route-preview` takes the body of `POST /events` and shows each destination's
//! message as its provider renders it, sending and storing nothing.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{my_chat, Backend, TestApp};

fn by_provider<'a>(preview: &'a Value, provider: &str) -> &'a Value {
    preview["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["provider"] == provider)
        .unwrap_or_else(|| panic!("no {provider} delivery in {preview:#}"))
}

/// The preview's Chatwork text is exactly what Chatwork then receives; Slack's is its
/// JSON payload; the idempotency key and thread key are used and explained.
async fn preview_shows_each_destinations_rendered_message(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let cw = app
        .connect("office", 10, json!({"tenant": true}), None)
        .await;
    app.fakes
        .slack
        .fake
        .add_bot("xoxb-preview-0001", "U0PREVIEW1", "renkei");
    let (s, c) = app
        .post(
            "/api/v1/connections",
            json!({"provider": "slack", "owner": {"tenant": true},
                   "credentials": {"bot_token": "xoxb-preview-0001"}, "room": "C0PREVIEW1"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    let event = json!({"type": "file.uploaded", "idempotency_key": "upload-1", "thread_key": "req-1",
        "to": {"tenant": true}, "title": "請求書が届きました", "body": "3月分です", "url": "https://drive.example/f/1"});

    let (s, p) = app.post("/api/v1/route-preview", event.clone()).await;
    assert_eq!(s, StatusCode::OK, "{p}");
    assert_eq!(p["duplicate_of"], Value::Null);
    assert_eq!(p["confirmation_link_expires_at"], Value::Null);
    assert!(
        p["notes"][0].as_str().unwrap().contains("thread_key"),
        "{p}"
    );
    let chatwork = &by_provider(&p, "chatwork")["rendered"];
    assert_eq!(chatwork["format"], "text", "{p:#}");
    let text = chatwork["message"].as_str().unwrap().to_string();
    for part in [
        "請求書が届きました",
        "3月分です",
        "https://drive.example/f/1",
    ] {
        assert!(text.contains(part), "{part} not in {text}");
    }
    let slack = &by_provider(&p, "slack")["rendered"];
    assert_eq!(slack["format"], "json", "{p:#}");
    assert!(slack["message"].is_object());
    assert!(slack["message"].to_string().contains("請求書が届きました"));
    assert!(app.fake().all_messages().is_empty());
    assert!(app.node().store.delivery_counts().await.unwrap().is_empty());

    // Sent for real: Chatwork receives the previewed text, and the key now names the event.
    let id = app.send(event.clone()).await;
    app.settled(id).await;
    assert_eq!(app.fake().messages(my_chat(&cw))[0].body, text);
    let (_, p) = app.post("/api/v1/route-preview", event.clone()).await;
    assert_eq!(p["duplicate_of"], id, "{p}");

    // With confirmation links, the preview carries a sample link and the expiry.
    app.put("/api/v1/settings", json!({"confirmation_link_ttl_days": 3}))
        .await;
    let (_, p) = app
        .post(
            "/api/v1/route-preview",
            json!({"type": "file.uploaded", "to": {"tenant": true}, "title": "確認してください"}),
        )
        .await;
    assert!(p["confirmation_link_expires_at"].is_i64(), "{p}");
    let text = by_provider(&p, "chatwork")["rendered"]["message"]
        .as_str()
        .unwrap();
    assert!(
        text.contains(&format!("{}/c/0.", app.node().url())),
        "{text}"
    );

    // Validated as POST /events is.
    let (s, err) = app
        .post(
            "/api/v1/route-preview",
            json!({"type": "file.uploaded", "to": {"tenant": true}, "title": " "}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["error"]["code"], "invalid_title");
}

crate::on_both_backends!(preview_shows_each_destinations_rendered_message);
