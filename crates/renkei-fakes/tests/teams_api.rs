//! The fake Workflows webhook: trigger URL shapes, `sig` checks, 202 for any JSON with the
//! run recorded as Teams would end it, throttling (with and without `Retry-After`), the
//! legacy 200-with-429 text, faults and the `/_fake/*` routes.

mod common;

use std::time::{Duration, Instant};

use common::{call, Resp};
use renkei_fakes::teams::{FakeTeams, FakeTeamsConfig, RunStatus, DEMO_SIG, DEMO_WORKFLOW};
use serde_json::{json, Value};

const JSON: &str = "application/json";

fn demo() -> FakeTeams {
    FakeTeams::with_demo_world(FakeTeamsConfig::default())
}

fn card(body: Value) -> Value {
    json!({"type": "message", "attachments": [{
        "contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": null,
        "content": {"$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
            "type": "AdaptiveCard", "version": "1.4", "body": body}}]})
}

fn hello() -> Value {
    card(json!([{"type": "TextBlock", "text": "hello", "wrap": true}]))
}

async fn post(fake: &FakeTeams, uri: &str, payload: &Value) -> Resp {
    call(
        &fake.router(),
        "POST",
        uri,
        None,
        Some(JSON),
        &payload.to_string(),
    )
    .await
}

#[tokio::test]
async fn a_valid_card_gets_202_and_a_succeeded_run() {
    let fake = demo();
    let res = post(&fake, &fake.webhook_url(DEMO_WORKFLOW), &hello()).await;
    assert_eq!(res.status, 202);
    assert!(res.body.is_empty(), "Workflows answers 202 with no body");
    let run_id = res.headers["x-ms-workflow-run-id"]
        .to_str()
        .unwrap()
        .to_string();
    let runs = fake.runs();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].run_id, run_id);
    assert_eq!(runs[0].workflow, DEMO_WORKFLOW);
    assert_eq!(runs[0].status, RunStatus::Succeeded);
    assert_eq!(fake.posted_cards()[0]["body"][0]["text"], "hello");
}

#[tokio::test]
async fn a_broken_card_still_gets_202_but_its_run_fails() {
    let fake = demo();
    let url = fake.webhook_url(DEMO_WORKFLOW);
    let mut mention = card(json!([{"type": "TextBlock", "text": "hi"}]));
    mention["attachments"][0]["content"]["msteams"] = json!({"entities": [{"type": "mention",
        "text": "<at>A</at>", "mentioned": {"id": "a@example.jp", "name": "A"}}]});
    let mut new_version = hello();
    new_version["attachments"][0]["content"]["version"] = json!("1.6");
    let cases = [
        (json!({"text": "plain"}), "'attachments'"),
        (mention, "<at>A</at>"),
        (new_version, "1.6"),
        (card(json!([{"type": "TextBlock", "text": ""}])), "no text"),
        (card(json!([{"type": "Paragraph"}])), "Paragraph"),
        (
            card(json!([{"type": "TextBlock", "text": "x".repeat(30_000)}])),
            "RequestEntityTooLarge",
        ),
    ];
    for (payload, why) in &cases {
        assert_eq!(post(&fake, &url, payload).await.status, 202, "{why}");
    }
    let runs = fake.runs();
    for (run, (_, why)) in runs.iter().zip(&cases) {
        assert_eq!(run.status, RunStatus::Failed, "{why}");
        let error = run.error.as_deref().unwrap();
        assert!(error.contains(why), "{why} not in {error}");
    }
    assert!(fake.posted_cards().is_empty(), "failed runs post nothing");
}

#[tokio::test]
async fn sig_and_workflow_are_checked_like_logic_apps() {
    let fake = demo();
    let path = "/workflows/demo-workflow-0001/triggers/manual/paths/invoke";
    let missing = post(&fake, &format!("{path}?api-version=2016-06-01"), &hello()).await;
    assert_eq!(missing.status, 401);
    assert_eq!(
        missing.json()["error"]["code"],
        "DirectApiAuthorizationRequired"
    );
    let wrong = post(
        &fake,
        &format!("{path}?api-version=2016-06-01&sig=nope"),
        &hello(),
    )
    .await;
    assert_eq!(wrong.status, 401);
    assert_eq!(
        wrong.json()["error"]["code"],
        "DirectApiInvalidAuthorizationSignature"
    );
    let unknown = post(&fake, &fake.webhook_url("other"), &hello()).await;
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.json()["error"]["code"], "WorkflowNotFound");

    let url = fake.webhook_url(DEMO_WORKFLOW);
    fake.remove_workflow(DEMO_WORKFLOW);
    assert_eq!(
        post(&fake, &url, &hello()).await.status,
        404,
        "a deleted flow"
    );
    assert!(fake.runs().is_empty());
    let logged = fake.requests();
    assert!(logged
        .iter()
        .all(|r| !r.query.clone().unwrap_or_default().contains(DEMO_SIG)));
}

#[tokio::test]
async fn request_mistakes_are_refused_before_any_run() {
    let fake = demo();
    let url = fake.webhook_url(DEMO_WORKFLOW);
    let text = call(
        &fake.router(),
        "POST",
        &url,
        None,
        Some("text/plain"),
        "hello",
    )
    .await;
    assert_eq!(text.status, 400);
    assert_eq!(text.json()["error"]["code"], "InvalidRequestContent");
    assert!(text.json()["error"]["message"]
        .as_str()
        .unwrap()
        .contains("text/plain"));
    // A JSON body under another type is refused too (the trigger has a schema).
    for content_type in ["text/plain", "application/x-www-form-urlencoded"] {
        let res = call(
            &fake.router(),
            "POST",
            &url,
            None,
            Some(content_type),
            &hello().to_string(),
        )
        .await;
        assert_eq!(
            (res.status, res.json()["error"]["code"].clone()),
            (400, json!("InvalidRequestContent")),
            "{content_type}"
        );
    }
    let broken = call(&fake.router(), "POST", &url, None, Some(JSON), "{").await;
    assert_eq!(broken.json()["error"]["code"], "InvalidRequestContent");
    let charset = call(
        &fake.router(),
        "POST",
        &url,
        None,
        Some("application/json; charset=utf-8"),
        &hello().to_string(),
    )
    .await;
    assert_eq!(charset.status, 202, "a charset is fine");
    assert_eq!(fake.runs().len(), 1);
    let get = call(&fake.router(), "GET", &url, None, None, "").await;
    assert_eq!(get.status, 405);
    let no_version = url.replace("api-version=2016-06-01", "x=1");
    let res = post(&fake, &no_version, &hello()).await;
    assert_eq!(res.json()["error"]["code"], "MissingApiVersionParameter");
    assert_eq!(post(&fake, "/elsewhere", &hello()).await.status, 404);
    assert_eq!(fake.runs().len(), 1);
}

#[tokio::test]
async fn a_flow_switched_off_refuses_until_switched_on() {
    let fake = demo();
    let url = fake.webhook_url(DEMO_WORKFLOW);
    fake.set_flow_enabled(DEMO_WORKFLOW, false);
    let off = post(&fake, &url, &hello()).await;
    assert_eq!(off.status, 400);
    assert_eq!(
        off.json(),
        json!({"error": {"code": "WorkflowTriggerIsNotEnabled", "message":
            "Could not execute workflow 'demo-workflow-0001' trigger 'manual' with state 'Disabled': trigger is not enabled."}})
    );
    let forged = url.replace(DEMO_SIG, "forged");
    assert_eq!(
        post(&fake, &forged, &hello()).await.status,
        401,
        "the signature is checked first"
    );
    assert!(fake.runs().is_empty());
    fake.set_flow_enabled(DEMO_WORKFLOW, true);
    assert_eq!(post(&fake, &url, &hello()).await.status, 202);
}

#[tokio::test]
async fn the_power_platform_shape_reaches_the_same_workflow() {
    let fake = demo();
    let res = post(&fake, &fake.powerautomate_url(DEMO_WORKFLOW), &hello()).await;
    assert_eq!(res.status, 202);
    assert_eq!(fake.runs()[0].workflow, DEMO_WORKFLOW);
}

#[tokio::test]
async fn throttling_answers_429_with_or_without_retry_after() {
    let config = FakeTeamsConfig {
        limit: 2,
        ..FakeTeamsConfig::default()
    }
    .scaled(0.005);
    let fake = FakeTeams::with_demo_world(config);
    let url = fake.webhook_url(DEMO_WORKFLOW);
    for _ in 0..2 {
        assert_eq!(post(&fake, &url, &hello()).await.status, 202);
    }
    let limited = post(&fake, &url, &hello()).await;
    assert_eq!(limited.status, 429);
    assert_eq!(limited.json()["error"]["code"], "WorkflowRequestsThrottled");
    assert_eq!(limited.num("retry-after"), Some(1));
    fake.set_retry_after(false);
    let bare = post(&fake, &url, &hello()).await;
    assert_eq!(bare.status, 429);
    assert!(bare.headers.get("retry-after").is_none());

    let other = fake.add_workflow("second", "sig-2");
    assert_eq!(
        post(&fake, &other, &hello()).await.status,
        202,
        "windows are per workflow"
    );
    // The scenario: the (scaled) rate window ends.
    tokio::time::sleep(Duration::from_millis(350)).await;
    assert_eq!(
        post(&fake, &url, &hello()).await.status,
        202,
        "the window ended"
    );
    assert_eq!(fake.runs().len(), 4, "throttled requests start no run");
}

#[tokio::test]
async fn legacy_throttling_answers_200_with_the_connector_text() {
    let fake = demo();
    let url = fake.webhook_url(DEMO_WORKFLOW);
    fake.legacy_throttle_next(1);
    let res = post(&fake, &url, &hello()).await;
    assert_eq!(res.status, 200);
    assert!(res
        .text()
        .contains("Microsoft Teams endpoint returned HTTP error 429"));
    assert!(fake.runs().is_empty(), "nothing was posted");
    assert_eq!(post(&fake, &url, &hello()).await.status, 202);
}

#[tokio::test]
async fn faults_and_delay() {
    let fake = demo();
    let url = fake.webhook_url(DEMO_WORKFLOW);
    fake.fail_next(2, 503);
    let failed = post(&fake, &url, &hello()).await;
    assert_eq!(failed.status, 503);
    assert_eq!(failed.json()["error"]["code"], "ServiceUnavailable");
    fake.clear_faults();
    assert_eq!(post(&fake, &url, &hello()).await.status, 202, "cleared");

    fake.set_delay(Duration::from_millis(120));
    let started = Instant::now();
    assert_eq!(post(&fake, &url, &hello()).await.status, 202);
    assert!(started.elapsed() >= Duration::from_millis(120));
    assert_eq!(fake.count_status(503), 1);
}

#[tokio::test]
async fn inspection_routes_drive_the_fake() {
    let fake = FakeTeams::new(FakeTeamsConfig::default());
    let r = fake.router();
    let made = call(
        &r,
        "POST",
        "/_fake/workflows",
        None,
        Some(JSON),
        r#"{"id":"w1","sig":"s1"}"#,
    )
    .await;
    let url = made.json()["url"].as_str().unwrap().to_string();
    assert!(url.ends_with("&sig=s1"), "{url}");
    call(
        &r,
        "POST",
        "/_fake/legacy_throttle",
        None,
        Some(JSON),
        r#"{"count":1}"#,
    )
    .await;
    assert_eq!(post(&fake, &url, &hello()).await.status, 200);
    call(
        &r,
        "POST",
        "/_fake/fail",
        None,
        Some(JSON),
        r#"{"count":1,"status":500}"#,
    )
    .await;
    assert_eq!(post(&fake, &url, &hello()).await.status, 500);
    assert_eq!(post(&fake, &url, &hello()).await.status, 202);
    let runs = call(&r, "GET", "/_fake/runs", None, None, "").await.json();
    assert_eq!(runs[0]["status"], "Succeeded");
    let requests = call(&r, "GET", "/_fake/requests", None, None, "")
        .await
        .json();
    assert_eq!(
        requests.as_array().unwrap().len(),
        3,
        "inspection is not recorded"
    );
    assert_eq!(
        requests[2]["query"].as_str().unwrap().rsplit('&').next(),
        Some("sig=***s1")
    );
}
