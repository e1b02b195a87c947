//! Operating renkei: `/metrics`, and the log line a failed delivery leaves.

use std::process::Stdio;
use std::time::Duration;

use serde_json::{json, Value};

use crate::durability::{
    binary_env, create_tenant_with_cli, free_port, start_binary_logging, wait_healthy,
};
use crate::helpers::{eventually, fresh_database, Backend, TestApp, SCALE};
use renkei_fakes::chatwork::{FakeChatwork, FakeChatworkConfig};

async fn scrape(app: &TestApp, token: Option<&str>) -> (u16, String) {
    let mut req = app.http.get(app.url("/metrics"));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let resp = req.send().await.unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

/// Deliveries by status and provider, attempt latency, queue depth, 429s and intake.
async fn metrics_report_the_queue_and_what_happened(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    app.connect("office", 10, json!({"tenant": true}), None)
        .await;
    // The first post meets a 429, then the provider is slow: the delivery stays queued.
    app.fake().fail_next(1, 429);
    app.fake().set_delay(Duration::from_millis(1500));
    let id = app
        .send(json!({"type": "t", "to": {"tenant": true}, "title": "計測"}))
        .await;
    eventually(
        Duration::from_secs(10),
        "the queue depth shown",
        async || {
            scrape(&app, None)
                .await
                .1
                .contains(r#"renkei_queue_depth{provider="chatwork"} 1"#)
        },
    )
    .await;
    app.fake().set_delay(Duration::ZERO);
    let ev = app.settled(id).await;
    assert_eq!(ev["deliveries"][0]["status"], "delivered", "{ev:#}");
    let (status, text) = scrape(&app, None).await;
    assert_eq!(status, 200);
    for line in [
        r#"renkei_events_accepted_total{kind="event"} 1"#,
        r#"renkei_deliveries_total{provider="chatwork",status="pending"} 1"#,
        r#"renkei_deliveries_total{provider="chatwork",status="delivered"} 1"#,
        r#"renkei_rate_limited_total{provider="chatwork"} 1"#,
        r#"renkei_attempt_duration_seconds_count{provider="chatwork",outcome="delivered"} 1"#,
        "renkei_paused_connections 0",
    ] {
        assert!(text.contains(line), "missing `{line}` in:\n{text}");
    }
    assert!(
        !text.contains(r#"renkei_queue_depth{provider="chatwork"}"#),
        "nothing is queued any more:\n{text}"
    );
    assert!(!text.contains(&app.key), "the API key leaked into metrics");
}

async fn metrics_ask_for_the_token_when_one_is_set(b: Backend) {
    let Some(app) =
        TestApp::spawn_with(b, |s| s.metrics_token = Some("m3trics-token".into())).await
    else {
        return;
    };
    let (status, body) = scrape(&app, None).await;
    assert_eq!(status, 401, "{body}");
    let err: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(err["error"]["code"], "unauthorized");
    assert_eq!(scrape(&app, Some("wrong")).await.0, 401);
    let (status, text) = scrape(&app, Some("m3trics-token")).await;
    assert_eq!(status, 200);
    assert!(text.contains("renkei_lanes_running"), "{text}");
}

/// The real binary logs every failed delivery with what it was for.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_delivery_leaves_a_log_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = fresh_database(Backend::Sqlite, dir.path()).await.unwrap();
    let fake = FakeChatwork::spawn(FakeChatworkConfig::default().scaled(SCALE))
        .await
        .unwrap();
    let env = binary_env(&db, &fake.base_url(), dir.path());
    let log_path = dir.path().join("renkei.log");
    let port = free_port();
    let _node = start_binary_logging(
        &env,
        port,
        Stdio::from(std::fs::File::create(&log_path).unwrap()),
    );
    wait_healthy(port).await;
    let key = create_tenant_with_cli(&env);
    let token = "tok-9f3a-do-not-log";
    fake.fake.add_account(token, 10, "事務所");
    let http = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}/api/v1");
    let resp = http
        .post(format!("{base}/connections"))
        .bearer_auth(&key)
        .json(&json!({"provider": "chatwork", "owner": {"tenant": true}, "credentials": {"api_token": token}}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    // A client room the account is not in: Chatwork refuses that destination for good.
    let resp = http
        .put(format!("{base}/clients/acme"))
        .bearer_auth(&key)
        .json(&json!({"name": "アクメ", "rooms": {"chatwork": "424242"}}))
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success());
    let accepted: Value = http
        .post(format!("{base}/events"))
        .bearer_auth(&key)
        .json(&json!({"type": "t", "to": {"clients": ["acme"]}, "title": "届かない"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = accepted["id"].as_i64().unwrap();
    let mut delivery = 0;
    eventually(Duration::from_secs(20), "the delivery failed", async || {
        let ev: Value = http
            .get(format!("{base}/events/{id}"))
            .bearer_auth(&key)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        delivery = ev["deliveries"][0]["id"].as_i64().unwrap_or(0);
        ev["deliveries"][0]["status"] == "failed"
    })
    .await;
    eventually(Duration::from_secs(10), "the log line", async || {
        let log = std::fs::read_to_string(&log_path).unwrap();
        log.lines().any(|l| {
            l.contains("delivery failed")
                && l.contains(&format!("delivery={delivery}"))
                && l.contains(&format!("event={id}"))
                && l.contains("provider=\"chatwork\"")
        })
    })
    .await;
    let log = std::fs::read_to_string(&log_path).unwrap();
    assert!(
        !log.contains(&key) && !log.contains(token),
        "a secret in the log:\n{log}"
    );
}

crate::on_both_backends!(
    metrics_report_the_queue_and_what_happened,
    metrics_ask_for_the_token_when_one_is_set,
);
