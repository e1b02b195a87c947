//! The fake Slack's incoming webhooks, its `/_fake/*` routes, and serving on a port.

mod slack_support;

use renkei_fakes::slack::{FakeSlack, FakeSlackConfig, DEMO_WEBHOOK_PATH};
use serde_json::json;
use slack_support::{call, demo, hook, FORM, GENERAL};

#[tokio::test]
async fn a_webhook_post_answers_ok_and_lands_in_its_channel() {
    let fake = demo();
    let blocks = json!([{"type": "section", "text": {"type": "mrkdwn", "text": "*t*"}}]);
    let res = hook(
        &fake.router(),
        DEMO_WEBHOOK_PATH,
        &json!({"text": "t", "blocks": blocks}),
    )
    .await;
    assert_eq!((res.status, res.text()), (200, "ok".to_string()));
    let stored = fake.messages(GENERAL);
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].blocks, blocks);
    assert_eq!(stored[0].webhook_id.as_deref(), Some("B0DEMO0001"));
    assert_eq!(stored[0].bot_user_id, None);
}

#[tokio::test]
async fn payload_errors_are_plain_text_400s() {
    let fake = demo();
    let r = fake.router();
    let probe = hook(&r, DEMO_WEBHOOK_PATH, &json!({})).await;
    assert_eq!(
        (probe.status, probe.text()),
        (400, "missing_text_or_fallback_or_attachments".to_string())
    );
    let blank = hook(&r, DEMO_WEBHOOK_PATH, &json!({"text": " "})).await;
    assert_eq!((blank.status, blank.text()), (400, "no_text".to_string()));
    let bad = call(
        &r,
        "POST",
        DEMO_WEBHOOK_PATH,
        None,
        Some("application/json"),
        "{",
    )
    .await;
    assert_eq!(
        (bad.status, bad.text()),
        (400, "invalid_payload".to_string())
    );
    let not_json = call(
        &r,
        "POST",
        DEMO_WEBHOOK_PATH,
        None,
        Some("text/plain"),
        r#"{"text":"x"}"#,
    )
    .await;
    assert_eq!(not_json.text(), "invalid_payload");
    let typed = hook(&r, DEMO_WEBHOOK_PATH, &json!({"text": 5})).await;
    assert_eq!(typed.text(), "invalid_payload");
    let blocks = json!([{"type": "section"}]);
    let invalid = hook(
        &r,
        DEMO_WEBHOOK_PATH,
        &json!({"text": "x", "blocks": blocks}),
    )
    .await;
    assert_eq!(
        (invalid.status, invalid.text()),
        (400, "invalid_blocks".to_string())
    );
    let section =
        json!({"type": "section", "text": {"type": "mrkdwn", "text": "あ".repeat(3_000)}});
    let too_much = hook(
        &r,
        DEMO_WEBHOOK_PATH,
        &json!({"text": "x", "blocks": vec![section; 5]}),
    )
    .await;
    assert_eq!(
        (too_much.status, too_much.text()),
        (400, "msg_blocks_too_long".to_string())
    );
    assert!(fake.all_messages().is_empty());

    // The legacy form shape (`payload=<json>`) still works.
    let form = serde_urlencoded::to_string([("payload", r#"{"text":"from a form"}"#)]).unwrap();
    let ok = call(&r, "POST", DEMO_WEBHOOK_PATH, None, Some(FORM), &form).await;
    assert_eq!(ok.text(), "ok");
    assert_eq!(fake.messages(GENERAL)[0].text, "from a form");
}

#[tokio::test]
async fn dead_webhooks_say_why_even_to_the_empty_probe() {
    let fake = demo();
    let r = fake.router();
    let answer = |path: &str| {
        let r = r.clone();
        let path = path.to_string();
        async move {
            let res = hook(&r, &path, &json!({})).await;
            (res.status, res.text())
        }
    };
    let unknown = "/services/T0000FAKE1/B0NOPE/secret";
    assert_eq!(answer(unknown).await, (404, "no_service".into()));

    let archived = fake.add_webhook("T0000FAKE1/B0ARCH/secret1", "C0DEMO0002");
    fake.archive_channel("C0DEMO0002", true);
    assert_eq!(answer(&archived).await, (410, "channel_is_archived".into()));

    fake.add_channel("C0DOOMED01", "doomed", &[]);
    let orphan = fake.add_webhook("/services/T0000FAKE1/B0ORPH/secret2", "C0DOOMED01");
    fake.delete_channel("C0DOOMED01");
    assert_eq!(answer(&orphan).await, (404, "channel_not_found".into()));

    let restricted = fake.add_webhook("T0000FAKE1/B0REST/secret3", "G0DEMO0003");
    fake.restrict_channel("G0DEMO0003", true);
    assert_eq!(answer(&restricted).await, (403, "action_prohibited".into()));

    fake.revoke_webhook(DEMO_WEBHOOK_PATH);
    assert_eq!(
        answer(DEMO_WEBHOOK_PATH).await,
        (403, "invalid_token".into())
    );
    fake.remove_webhook(DEMO_WEBHOOK_PATH);
    assert_eq!(answer(DEMO_WEBHOOK_PATH).await, (404, "no_service".into()));
}

#[tokio::test]
async fn each_webhook_takes_a_burst_then_429() {
    let fake = FakeSlack::with_demo_world(FakeSlackConfig::default());
    let r = fake.router();
    let msg = json!({"text": "x"});
    for _ in 0..3 {
        assert_eq!(hook(&r, DEMO_WEBHOOK_PATH, &msg).await.status, 200);
    }
    let limited = hook(&r, DEMO_WEBHOOK_PATH, &msg).await;
    assert_eq!(
        (limited.status, limited.text()),
        (429, "rate_limited".to_string())
    );
    let wait: u64 = limited.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=3).contains(&wait), "{wait}");
    // A second webhook into the same channel has its own window.
    let other = fake.add_webhook("T0000FAKE1/B0SECOND/s", GENERAL);
    assert_eq!(hook(&r, &other, &msg).await.status, 200);
    assert_eq!(fake.messages(GENERAL).len(), 4);
}

#[tokio::test]
async fn webhook_faults_use_slacks_texts() {
    let fake = demo();
    let r = fake.router();
    fake.fail_next_on("/services/", 1, 500);
    let failed = hook(&r, DEMO_WEBHOOK_PATH, &json!({"text": "x"})).await;
    assert_eq!(
        (failed.status, failed.text()),
        (500, "rollup_error".to_string())
    );
    assert_eq!(
        hook(&r, DEMO_WEBHOOK_PATH, &json!({"text": "x"}))
            .await
            .text(),
        "ok"
    );
}

#[tokio::test]
async fn the_log_never_holds_the_webhook_secret() {
    let fake = demo();
    hook(&fake.router(), DEMO_WEBHOOK_PATH, &json!({"text": "x"})).await;
    let logged = &fake.requests()[0];
    assert_eq!(logged.path, "/services/T0000FAKE1/B0DEMO0001/***0001");
    assert_eq!(logged.json(), json!({"text": "x"}));
}

#[tokio::test]
async fn fake_routes_control_and_inspect_over_http() {
    let fake = demo();
    let r = fake.router();
    let fail = json!({"count": 1, "status": 503, "path_contains": "/services/"}).to_string();
    assert_eq!(
        call(
            &r,
            "POST",
            "/_fake/fail",
            None,
            Some("application/json"),
            &fail
        )
        .await
        .status,
        204
    );
    assert_eq!(
        hook(&r, DEMO_WEBHOOK_PATH, &json!({"text": "a"}))
            .await
            .status,
        503
    );
    let api_error = json!({"count": 1, "error": "service_unavailable"}).to_string();
    call(
        &r,
        "POST",
        "/_fake/api_error",
        None,
        Some("application/json"),
        &api_error,
    )
    .await;
    let body = json!({"channel": GENERAL, "text": "b"});
    let soft = slack_support::api(&r, "chat.postMessage", slack_support::TOKEN, &body).await;
    assert_eq!(soft.json()["error"], "service_unavailable");
    hook(&r, DEMO_WEBHOOK_PATH, &json!({"text": "c"})).await;

    let messages = call(
        &r,
        "GET",
        "/_fake/messages?channel=C0DEMO0001",
        None,
        None,
        "",
    )
    .await
    .json();
    assert_eq!(messages.as_array().unwrap().len(), 1);
    assert_eq!(messages[0]["text"], "c");
    let stats = call(&r, "GET", "/_fake/stats", None, None, "").await.json();
    assert_eq!(stats["requests"], 3);
    assert_eq!(stats["by_status"]["503"], 1);
    let log = call(&r, "GET", "/_fake/requests", None, None, "")
        .await
        .json();
    assert_eq!(
        log.as_array().unwrap().len(),
        3,
        "inspection calls are not recorded"
    );
}

#[tokio::test]
async fn served_on_a_port_with_urls_for_renkei() {
    let running = demo().start().await.unwrap();
    assert_eq!(running.base_url(), format!("http://{}/api", running.addr));
    assert_eq!(
        running.webhook_url("T1/B2/X3"),
        format!("http://{}/services/T1/B2/X3", running.addr)
    );
    let mut stream = tokio::net::TcpStream::connect(running.addr).await.unwrap();
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let request =
        "POST /api/auth.test HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains(r#""error":"not_authed""#), "{answer}");
    running.stop();
}
