//! Inbound receivers (acceptance 8): Chatwork's signatures, which providers have one, secrets.

use renkei_providers::signatures::{sign_chatwork, sign_slack};
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{statuses, Backend, TestApp};

use super::{
    assert_refused, hook, line_channel, link, now_unix, put_secret, slack_bot, ADMIN_ACCOUNT,
    LINE_FRIEND, LINE_SECRET, SLACK_SIGNING_SECRET,
};

/// Chatwork's webhook token is Base64; the HMAC key is its decoded bytes.
const CW_WEBHOOK_TOKEN: &str = "cmVua2VpLXdlYmhvb2stdG9rZW4tMDAwMQ==";

/// Chatwork: no secret yet → refused like a bad signature, and the connection's detail says
/// why; then the header or the query parameter, correctly signed, is accepted; anything
/// else is 401.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chatwork_webhooks_are_verified() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let conn = app
        .connect("cw-hooks-token", 77, json!({"tenant": true}), None)
        .await;
    let id = conn["id"].as_i64().unwrap();
    let path = format!("/hooks/chatwork/{id}");
    let body = r#"{"webhook_setting_id":"1234","webhook_event_type":"mention_to_me","webhook_event_time":1498028130,"webhook_event":{"from_account_id":123456,"to_account_id":77,"room_id":567890123,"message_id":"789012345","body":"[To:77]了解です","send_time":1498028125,"update_time":0}}"#;
    let sig = sign_chatwork(CW_WEBHOOK_TOKEN, body.as_bytes()).unwrap();

    let got = hook(
        &app,
        &path,
        body,
        &[("X-ChatWorkWebhookSignature", sig.clone())],
    )
    .await;
    assert_refused(&got, StatusCode::UNAUTHORIZED, "bad_signature");
    let inbound = app.get(&format!("/api/v1/connections/{id}")).await.1["inbound"].clone();
    assert_eq!(inbound["accepting"], false, "{inbound}");
    assert!(inbound["refused_because"]
        .as_str()
        .unwrap()
        .contains(&format!("/api/v1/connections/{id}/inbound-secret")));

    let view = put_secret(&app, id, CW_WEBHOOK_TOKEN).await;
    let inbound = app.get(&format!("/api/v1/connections/{id}")).await.1["inbound"].clone();
    assert_eq!(
        inbound,
        json!({"url": app.url(&path), "secret": "…MQ==", "accepting": true, "refused_because": null})
    );
    assert_eq!(view["url"], app.url(&path));
    assert_eq!(view["secret"], "…MQ==");
    assert!(!view.to_string().contains(CW_WEBHOOK_TOKEN));

    let ok = hook(
        &app,
        &path,
        body,
        &[("X-ChatWorkWebhookSignature", sig.clone())],
    )
    .await;
    assert_eq!(ok.0, StatusCode::OK, "{}", ok.1);

    // The query parameter, percent-encoded as Chatwork sends it.
    let encoded: String = url::form_urlencoded::byte_serialize(sig.as_bytes()).collect();
    let q = format!("{path}?chatwork_webhook_signature={encoded}");
    let ok = hook(&app, &q, body, &[]).await;
    assert_eq!(ok.0, StatusCode::OK, "{}", ok.1);

    // Refused: another body under the same signature, a signature by another token, none.
    let tampered = body.replace("了解です", "至急");
    let got = hook(
        &app,
        &path,
        &tampered,
        &[("X-ChatWorkWebhookSignature", sig.clone())],
    )
    .await;
    assert_refused(&got, StatusCode::UNAUTHORIZED, "bad_signature");
    let other = sign_chatwork("b3RoZXItdG9rZW4=", body.as_bytes()).unwrap();
    let got = hook(
        &app,
        &path,
        body,
        &[("X-ChatWorkWebhookSignature", other.clone())],
    )
    .await;
    assert_refused(&got, StatusCode::UNAUTHORIZED, "bad_signature");
    let got = hook(
        &app,
        &format!(
            "{path}?chatwork_webhook_signature={}",
            url::form_urlencoded::byte_serialize(other.as_bytes()).collect::<String>()
        ),
        body,
        &[],
    )
    .await;
    assert_refused(&got, StatusCode::UNAUTHORIZED, "bad_signature");
    let got = hook(&app, &path, body, &[]).await;
    assert_refused(&got, StatusCode::UNAUTHORIZED, "missing_signature");
    let got = hook(
        &app,
        &path,
        body,
        &[("X-ChatWorkWebhookSignature", "not base64!".into())],
    )
    .await;
    assert_eq!(got.0, StatusCode::UNAUTHORIZED, "{}", got.1);
}

/// Strangers learn nothing about connections from the receivers: an unknown connection,
/// one that is not a number, another provider's, one without a secret and a wrong
/// signature all get the very same answer (and no signature, the same other answer).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hook_refusals_do_not_reveal_connections() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let with_secret = app
        .connect("cw-hooks-token", 77, json!({"tenant": true}), None)
        .await["id"]
        .as_i64()
        .unwrap();
    put_secret(&app, with_secret, CW_WEBHOOK_TOKEN).await;
    let without_secret = app
        .connect("cw-other", 78, json!({"tenant": true}), None)
        .await["id"]
        .as_i64()
        .unwrap();
    let slack = slack_bot(&app).await;
    let body = r#"{"webhook_setting_id":"1","webhook_event_type":"mention_to_me"}"#;
    let forged = sign_chatwork("b3RoZXItdG9rZW4=", body.as_bytes()).unwrap();
    let paths = [
        format!("/hooks/chatwork/{with_secret}"),
        format!("/hooks/chatwork/{without_secret}"),
        format!("/hooks/chatwork/{slack}"),
        "/hooks/chatwork/999999".to_string(),
        "/hooks/chatwork/not-a-number".to_string(),
    ];
    for headers in [vec![("X-ChatWorkWebhookSignature", forged)], vec![]] {
        let mut answers = Vec::new();
        for path in &paths {
            answers.push(hook(&app, path, body, &headers).await);
        }
        assert_eq!(answers[0].0, StatusCode::UNAUTHORIZED, "{}", answers[0].1);
        for (path, got) in paths.iter().zip(&answers) {
            assert_eq!(got, &answers[0], "{path}");
        }
    }
}

/// Chatwork's Base64 signature in the query string, with its `+` not percent-encoded (a
/// form decoder reads it as a space): still accepted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chatwork_query_signature_with_a_raw_plus_is_accepted() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let conn = app
        .connect("cw-hooks-token", 77, json!({"tenant": true}), None)
        .await;
    let id = conn["id"].as_i64().unwrap();
    put_secret(&app, id, CW_WEBHOOK_TOKEN).await;
    let (body, sig) = (0..1_000)
        .map(|i| {
            let body =
                format!(r#"{{"webhook_setting_id":"{i}","webhook_event_type":"message_created"}}"#);
            let sig = sign_chatwork(CW_WEBHOOK_TOKEN, body.as_bytes()).unwrap();
            (body, sig)
        })
        .find(|(_, sig)| sig.contains('+') && !sig.contains('/'))
        .expect("some signature has a plus");
    let ok = hook(
        &app,
        &format!("/hooks/chatwork/{id}?chatwork_webhook_signature={sig}"),
        &body,
        &[],
    )
    .await;
    assert_eq!(ok.0, StatusCode::OK, "{}", ok.1);
}

/// Providers that never call renkei have no receiver; bad input to the secret endpoint is
/// refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receivers_exist_only_for_providers_that_call_back() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let id = slack_bot(&app).await;
    for provider in ["teams", "google_chat", "discord"] {
        let got = hook(&app, &format!("/hooks/{provider}/{id}"), "{}", &[]).await;
        assert_refused(&got, StatusCode::NOT_FOUND, "not_found");
    }
    // Only POST.
    let resp = app
        .http
        .get(app.url(&format!("/hooks/slack/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::METHOD_NOT_ALLOWED);

    let (s, err) = app
        .put(
            "/api/v1/connections/999999/inbound-secret",
            json!({"secret": "x"}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{err}");
    let (s, err) = app
        .put(
            &format!("/api/v1/connections/{id}/inbound-secret"),
            json!({"secret": "   "}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    assert_eq!(err["error"]["code"], "invalid_secret");
    // Nothing was stored by the refused PUT.
    let ts = now_unix();
    let got = hook(
        &app,
        &format!("/hooks/slack/{id}"),
        "{}",
        &[
            ("X-Slack-Request-Timestamp", ts.to_string()),
            ("X-Slack-Signature", sign_slack("   ", ts, b"{}")),
        ],
    )
    .await;
    assert_refused(&got, StatusCode::UNAUTHORIZED, "bad_signature");
    let detail = app.get(&format!("/api/v1/connections/{id}")).await.1;
    assert_eq!(detail["inbound"]["secret"], json!(null), "{detail}");
    // Another tenant's key cannot set it.
    let (_, other_key) = app.node().store.create_tenant("Other").await.unwrap();
    let (s, _) = app
        .call(
            reqwest::Method::PUT,
            &format!("/api/v1/connections/{id}/inbound-secret"),
            Some(json!({"secret": SLACK_SIGNING_SECRET})),
            &other_key,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

/// A secret that can never verify a signature is refused when it is saved, as a LINE
/// channel secret is when connecting, instead of turning every webhook into a refusal later.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unusable_inbound_secrets_are_refused_when_saved() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let cw = app
        .connect("cw-hooks-token", 77, json!({"tenant": true}), None)
        .await;
    let cw = cw["id"].as_i64().unwrap();
    let line = line_channel(&app).await;
    for (id, bad) in [
        (cw, "not base64 at all!"),
        (line, "xoxb-not-a-channel-secret"),
    ] {
        let (s, err) = app
            .put(
                &format!("/api/v1/connections/{id}/inbound-secret"),
                json!({ "secret": bad }),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{id}: {err}");
        assert_eq!(err["error"]["code"], "invalid_secret", "{err}");
    }
    // And the LINE connection keeps the secret it had: its webhooks still verify.
    let url = app.url(&format!("/hooks/line/{line}"));
    let status = app
        .fakes
        .line
        .fake
        .send_follow(LINE_FRIEND, &url, LINE_SECRET)
        .await
        .unwrap();
    assert_eq!(status, 200);
}

/// Chatwork webhooks for an OAuth connection keep verifying after its tokens are renewed:
/// saving the refreshed tokens must not drop the webhook token set beside them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oauth_refresh_keeps_the_webhook_token() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let conn = link(&app).await;
    let id = conn["id"].as_i64().unwrap();
    let path = format!("/hooks/chatwork/{id}");
    put_secret(&app, id, CW_WEBHOOK_TOKEN).await;
    let body = r#"{"webhook_setting_id":"1","webhook_event_type":"mention_to_me"}"#;
    let sig = vec![(
        "X-ChatWorkWebhookSignature",
        sign_chatwork(CW_WEBHOOK_TOKEN, body.as_bytes()).unwrap(),
    )];
    let ok = hook(&app, &path, body, &sig).await;
    assert_eq!(ok.0, StatusCode::OK, "{}", ok.1);

    app.fake().expire_oauth_access_tokens(ADMIN_ACCOUNT);
    let ev = app
        .send(json!({"type": "t", "to": {"tenant": true}, "title": "refresh"}))
        .await;
    assert_eq!(statuses(&app.settled(ev).await), vec!["delivered"]);
    assert_eq!(app.fake().oauth_token_requests().len(), 2, "refreshed");

    let after = hook(&app, &path, body, &sig).await;
    assert_eq!(after.0, StatusCode::OK, "{}", after.1);
}
