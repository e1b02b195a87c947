//! The Teams provider against the fake Workflows webhook over real HTTP: connect (shape
//! checks, retired connectors, SSRF), the exact payload sent, card validation before any
//! request, mentions, and every class of answer.

use std::time::Duration;

use renkei_core::model::{ConnectionKind, Mention, Notice};
use renkei_fakes::common::Running;
use renkei_fakes::teams::{FakeTeams, FakeTeamsConfig, RunStatus, DEMO_WORKFLOW};
use renkei_providers::teams::{Teams, MAX_PAYLOAD_BYTES};
use renkei_providers::{DeliveryProvider, ProviderConfig, SendContext, SendOutcome, SendResult};
use serde_json::{json, Value};

fn config() -> ProviderConfig {
    ProviderConfig {
        timeout: Duration::from_millis(500),
        rate_window_scale: 0.01,
        allow_private_targets: true,
        ..ProviderConfig::default()
    }
}

fn teams(config: &ProviderConfig) -> Teams {
    Teams::new(renkei_providers::http_client(config.timeout), config)
}

async fn started(config: FakeTeamsConfig) -> (FakeTeams, Running) {
    let fake = FakeTeams::with_demo_world(config);
    let running = fake.start().await.unwrap();
    (fake, running)
}

fn notice(title: &str, body: &str) -> Notice {
    Notice {
        title: title.into(),
        body: body.into(),
        url: Some("https://drive.example/f/1".into()),
        confirm_url: Some("https://renkei.example/c/1.2.sig".into()),
    }
}

async fn send(provider: &Teams, url: &str, rendered: &str) -> SendResult {
    let credentials = json!({ "webhook_url": url });
    let ctx = SendContext {
        connection: 1,
        delivery: 1,
        credentials: &credentials,
        thread_key: None,
    };
    provider.send(ctx, "webhook", rendered).await
}

#[tokio::test]
async fn connect_checks_the_shape_without_posting() {
    let (fake, _running) = started(FakeTeamsConfig::default()).await;
    let url = fake.webhook_url(DEMO_WORKFLOW);
    let verified = teams(&config())
        .connect(&json!({ "webhook_url": url }))
        .await
        .unwrap();
    assert_eq!(verified.kind, ConnectionKind::Webhook);
    assert_eq!(verified.secret_hint, "…0001");
    assert_eq!(verified.default_room.as_deref(), Some("webhook"));
    assert_eq!(verified.credentials, json!({ "webhook_url": url }));
    let platform = json!({ "webhook_url": fake.powerautomate_url(DEMO_WORKFLOW) });
    assert!(teams(&config()).connect(&platform).await.is_ok());
    assert!(
        fake.requests().is_empty(),
        "any request would post into the channel"
    );
}

#[tokio::test]
async fn retired_connector_urls_are_refused_with_directions() {
    let url = "https://contoso.webhook.office.com/webhookb2/1@2/IncomingWebhook/3/4";
    let e = teams(&config())
        .connect(&json!({ "webhook_url": url }))
        .await
        .unwrap_err();
    assert_eq!((e.status, e.code), (422, "teams_connector_retired"));
    assert!(
        e.message
            .contains("Webhook 要求を受信するとチャネルに投稿する"),
        "{}",
        e.message
    );
    assert!(e.message.contains("Workflows"), "{}", e.message);
}

#[tokio::test]
async fn connect_refuses_other_hosts_addresses_and_shapes() {
    let strict = ProviderConfig {
        allow_private_targets: false,
        ..config()
    };
    let path = "/workflows/a/triggers/manual/paths/invoke?api-version=2016-06-01&sig=s3cr3t";
    for url in [
        format!("http://127.0.0.1:9{path}"),
        format!("https://10.0.0.7{path}"),
        format!("https://169.254.169.254{path}"),
        format!("https://evil.example.com{path}"),
        format!("https://logic.azure.com.evil.example{path}"),
        format!("http://prod-01.japaneast.logic.azure.com{path}"),
        "https://prod-01.japaneast.logic.azure.com/workflows/a/triggers/manual/paths/invoke?api-version=1".into(),
        "https://prod-01.japaneast.logic.azure.com/somewhere?sig=s3cr3t".into(),
    ] {
        let e = teams(&strict).connect(&json!({ "webhook_url": url })).await.unwrap_err();
        assert_eq!(e.code, "invalid_webhook_url", "{url}");
        assert!(!e.message.contains("s3cr3t"), "{}", e.message);
    }
    let extra = json!({"webhook_url": format!("https://prod-01.japaneast.logic.azure.com{path}"), "name": "x"});
    assert_eq!(
        teams(&strict).connect(&extra).await.unwrap_err().code,
        "invalid_credentials"
    );
}

#[tokio::test]
async fn send_posts_the_card_teams_can_post() {
    let (fake, _running) = started(FakeTeamsConfig::default()).await;
    let provider = teams(&config());
    let mention = Mention {
        account_id: "yamada@example.co.jp".into(),
        name: "山田 太郎".into(),
    };
    let rendered = provider.render(
        &notice("給与明細", "<at>山田 太郎</at> [x](https://evil.example)"),
        &[mention],
    );
    let result = send(&provider, &fake.webhook_url(DEMO_WORKFLOW), &rendered).await;
    assert_eq!(result.outcome, SendOutcome::Delivered { message_id: None });
    assert_eq!((result.http_status, result.error), (Some(202), None));

    let request = &fake.requests()[0];
    assert_eq!(request.method, "POST");
    assert_eq!(
        request.path,
        "/workflows/demo-workflow-0001/triggers/manual/paths/invoke"
    );
    assert_eq!(
        request.query.as_deref(),
        Some("api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=***0001")
    );
    assert_eq!(request.header("content-type"), Some("application/json"));
    let sent = request.json();
    assert_eq!(sent, serde_json::from_str::<Value>(&rendered).unwrap());
    assert_eq!(sent["type"], "message");
    let attachment = &sent["attachments"][0];
    assert_eq!(
        attachment["contentType"],
        "application/vnd.microsoft.card.adaptive"
    );
    assert_eq!(attachment["contentUrl"], Value::Null);
    let card = &attachment["content"];
    assert_eq!(
        (card["type"].as_str(), card["version"].as_str()),
        (Some("AdaptiveCard"), Some("1.4"))
    );
    assert_eq!(card["body"][0]["text"], "<at>山田 太郎</at>");
    assert_eq!(card["body"][1]["text"], "給与明細");
    assert_eq!(
        (
            card["body"][1]["size"].as_str(),
            card["body"][1]["weight"].as_str()
        ),
        (Some("Large"), Some("Bolder"))
    );
    let body_text = card["body"][2]["text"].as_str().unwrap();
    assert!(
        !body_text.contains("<at>") && !body_text.contains("]("),
        "forged markup survived: {body_text}"
    );
    assert_eq!(
        body_text.replace('\u{200B}', ""),
        "<at>山田 太郎</at> [x](https://evil.example)"
    );
    assert_eq!(card["msteams"]["width"], "Full");
    assert_eq!(
        card["msteams"]["entities"],
        json!([{"type": "mention", "text": "<at>山田 太郎</at>", "mentioned": {"id": "yamada@example.co.jp", "name": "山田 太郎"}}])
    );
    assert_eq!(
        card["actions"][0],
        json!({"type": "Action.OpenUrl", "title": "開く / Open", "url": "https://drive.example/f/1"})
    );
    assert_eq!(
        card["actions"][1]["url"],
        "https://renkei.example/c/1.2.sig"
    );
    let run = &fake.runs()[0];
    assert_eq!(run.status, RunStatus::Succeeded, "{:?}", run.error);
}

#[tokio::test]
async fn a_card_teams_would_fail_is_refused_without_a_request() {
    let (fake, _running) = started(FakeTeamsConfig::default()).await;
    let provider = teams(&config());
    let url = fake.webhook_url(DEMO_WORKFLOW);
    let mut card: Value = serde_json::from_str(&provider.render(&notice("t", "b"), &[])).unwrap();
    card["attachments"][0]["content"]["msteams"]["entities"] = json!([{"type": "mention", "text": "<at>Ghost</at>", "mentioned": {"id": "g@x.jp", "name": "Ghost"}}]);
    for rendered in [
        card.to_string(),
        json!({"type": "message"}).to_string(),
        "not json".into(),
    ] {
        let result = send(&provider, &url, &rendered).await;
        assert_eq!(
            result.outcome,
            SendOutcome::Refused {
                code: "teams_invalid_card"
            },
            "{rendered}"
        );
        assert!(!result.reached_provider);
        assert!(result
            .error
            .unwrap()
            .starts_with("Teams could not post this card"));
    }
    assert!(fake.requests().is_empty());
}

#[tokio::test]
async fn a_huge_notice_is_cut_to_a_card_that_posts() {
    let (fake, _running) = started(FakeTeamsConfig::default()).await;
    let provider = teams(&config());
    let rendered = provider.render(&notice("大きな通知", &"長い本文\"".repeat(20_000)), &[]);
    assert!(rendered.len() <= MAX_PAYLOAD_BYTES, "{}", rendered.len());
    let result = send(&provider, &fake.webhook_url(DEMO_WORKFLOW), &rendered).await;
    assert_eq!(result.outcome, SendOutcome::Delivered { message_id: None });
    assert_eq!(
        fake.runs()[0].status,
        RunStatus::Succeeded,
        "{:?}",
        fake.runs()[0].error
    );
}

#[tokio::test]
async fn refusals_and_failures_are_classified() {
    let (fake, _running) = started(FakeTeamsConfig::default()).await;
    let provider = teams(&config());
    let rendered = provider.render(&notice("t", "b"), &[]);
    let url = fake.webhook_url(DEMO_WORKFLOW);

    fake.fail_next(1, 400);
    assert_eq!(
        send(&provider, &url, &rendered).await.outcome,
        SendOutcome::Permanent
    );
    fake.fail_next(1, 502);
    let bad_gateway = send(&provider, &url, &rendered).await;
    assert_eq!(
        (bad_gateway.outcome, bad_gateway.http_status),
        (SendOutcome::Retry { after: None }, Some(502))
    );

    let wrong_sig = url.replace("sig=demo-sig-0001", "sig=forged-sig");
    let rejected = send(&provider, &wrong_sig, &rendered).await;
    assert_eq!(rejected.outcome, SendOutcome::CredentialRejected);
    let error = rejected.error.unwrap();
    assert!(
        error.starts_with("DirectApiInvalidAuthorizationSignature: "),
        "{error}"
    );
    assert!(!error.contains("forged-sig"));

    fake.remove_workflow(DEMO_WORKFLOW);
    let deleted = send(&provider, &url, &rendered).await;
    assert_eq!(
        (deleted.outcome, deleted.http_status),
        (SendOutcome::CredentialRejected, Some(404))
    );

    fake.add_workflow(DEMO_WORKFLOW, "demo-sig-0001");
    fake.set_flow_enabled(DEMO_WORKFLOW, false);
    let off = send(&provider, &url, &rendered).await;
    assert_eq!(
        (off.outcome, off.http_status),
        (SendOutcome::CredentialRejected, Some(400)),
        "a switched-off flow breaks the connection"
    );
    let why = off.error.unwrap();
    assert!(
        why.contains("WorkflowTriggerIsNotEnabled") && why.contains("turn it on"),
        "{why}"
    );

    let none = send(&provider, "", &rendered).await;
    assert_eq!(none.outcome, SendOutcome::CredentialRejected);
    assert!(!none.reached_provider);
}

#[tokio::test]
async fn throttling_is_retried_as_teams_says() {
    let (fake, _running) = started(FakeTeamsConfig {
        limit: 1,
        ..Default::default()
    })
    .await;
    let provider = teams(&config());
    let rendered = provider.render(&notice("t", "b"), &[]);
    let url = fake.webhook_url(DEMO_WORKFLOW);
    assert!(matches!(
        send(&provider, &url, &rendered).await.outcome,
        SendOutcome::Delivered { .. }
    ));
    let with_header = send(&provider, &url, &rendered).await;
    assert_eq!(
        with_header.outcome,
        SendOutcome::Retry {
            after: Some(Duration::from_secs(60))
        }
    );
    assert!(with_header
        .error
        .unwrap()
        .starts_with("WorkflowRequestsThrottled"));
    fake.set_retry_after(false);
    let bare = send(&provider, &url, &rendered).await;
    assert_eq!(
        (bare.outcome, bare.http_status),
        (SendOutcome::Retry { after: None }, Some(429))
    );

    fake.set_limits_enabled(false);
    fake.legacy_throttle_next(1);
    let legacy = send(&provider, &url, &rendered).await;
    assert_eq!(
        (legacy.outcome, legacy.http_status),
        (SendOutcome::Retry { after: None }, Some(200))
    );
    assert!(legacy
        .error
        .unwrap()
        .contains("Microsoft Teams endpoint returned HTTP error 429"));
    assert!(matches!(
        send(&provider, &url, &rendered).await.outcome,
        SendOutcome::Delivered { .. }
    ));
}

#[tokio::test]
async fn a_timeout_is_retried_and_may_have_posted() {
    let (fake, _running) = started(FakeTeamsConfig::default()).await;
    let provider = teams(&config());
    fake.set_delay(Duration::from_millis(900));
    let result = send(
        &provider,
        &fake.webhook_url(DEMO_WORKFLOW),
        &provider.render(&notice("t", "b"), &[]),
    )
    .await;
    assert_eq!(result.outcome, SendOutcome::Retry { after: None });
    assert!(result.reached_provider);
    assert!(
        !result.error.unwrap().contains("sig="),
        "no URL in transport errors"
    );
    assert_eq!(
        fake.runs().len(),
        1,
        "the flow ran although the answer was lost"
    );
}

#[tokio::test]
async fn limits_are_conservative_and_scaled() {
    let limits = teams(&config()).limits();
    assert_eq!(
        limits.per_credential,
        Some((60, Duration::from_millis(600)))
    );
    assert_eq!(limits.per_room, Some((4, Duration::from_millis(10))));
    let off = teams(&ProviderConfig {
        rate_window_scale: 0.0,
        ..config()
    })
    .limits();
    assert_eq!((off.per_credential, off.per_room), (None, None));
    assert_eq!(
        teams(&config()).direct_style(),
        renkei_providers::DirectStyle::Unsupported
    );
}
