//! LINE WORKS token renewal (403 `UNAUTHORIZED`, short token life) and 429/500 retries.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::helpers::{statuses, Backend, TestApp};

use super::{
    attempt_statuses, lw, lw_connect, lw_directory, lw_world, LW_BOT, LW_CHANNEL, LW_YAMADA,
};

/// The access token expires mid-run: LINE WORKS answers 403 `UNAUTHORIZED`, renkei fetches
/// a new token and repeats the post, within the same attempt. A short token life is renewed
/// before it runs out, with no refusal at all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn line_works_expired_token_is_renewed() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    lw_world(&app);
    lw_connect(&app).await;
    lw_directory(&app).await;
    let send = |n: u32| json!({"type": "wf.direct", "to": {"members": ["yamada"]}, "title": format!("n{n}"), "body": "b"});
    let ev = app.settled(app.send(send(1)).await).await;
    assert_eq!(statuses(&ev), vec!["delivered"]);
    assert_eq!(lw(&app).tokens_issued(), 2);

    lw(&app).expire_tokens();
    let before = lw(&app).requests().len();
    let ev = app.settled(app.send(send(2)).await).await;
    assert_eq!(statuses(&ev), vec!["delivered"], "{ev:#}");
    let d = &ev["deliveries"][0];
    assert_eq!(
        attempt_statuses(d),
        vec![Some(201)],
        "renewed within one attempt"
    );
    let after: Vec<(String, String, u16)> = lw(&app).requests()[before..]
        .iter()
        .map(|r| (r.method.clone(), r.path.clone(), r.status))
        .collect();
    let msg_path = format!("/v1.0/bots/{LW_BOT}/users/{LW_YAMADA}/messages");
    assert_eq!(
        after,
        vec![
            ("POST".into(), msg_path.clone(), 403),
            ("POST".into(), "/oauth2/v2.0/token".into(), 200),
            ("POST".into(), msg_path.clone(), 201),
        ]
    );
    assert_eq!(lw(&app).tokens_issued(), 3);
    let refused = &lw(&app).requests()[before];
    assert_eq!(
        refused.json(),
        lw(&app).requests()[before + 2].json(),
        "the same message is repeated"
    );
    let texts: Vec<String> = lw(&app)
        .messages_to_user(LW_YAMADA)
        .iter()
        .map(|m| m.text().unwrap().to_string())
        .collect();
    assert_eq!(texts, vec!["【n1】\nb", "【n2】\nb"]);

    // Tokens living 2 s: the next send after they ran out asks for a new one first.
    lw(&app).set_token_lifetime(Duration::from_secs(2));
    lw(&app).expire_tokens();
    app.settled(app.send(send(3)).await).await;
    let issued = lw(&app).tokens_issued();
    assert_eq!(issued, 4);
    // The scenario: the token's 2 s life runs out.
    tokio::time::sleep(Duration::from_millis(2_100)).await;
    let before = lw(&app).requests().len();
    let ev = app.settled(app.send(send(4)).await).await;
    assert_eq!(statuses(&ev), vec!["delivered"]);
    let after: Vec<(String, u16)> = lw(&app).requests()[before..]
        .iter()
        .map(|r| (r.path.clone(), r.status))
        .collect();
    assert_eq!(
        after,
        vec![("/oauth2/v2.0/token".into(), 200), (msg_path, 201)],
        "renewed before expiry, never refused"
    );
    assert_eq!(lw(&app).tokens_issued(), issued + 1);
}

/// LINE WORKS' 429 `TOO_MANY_REQUESTS` pauses the connection until `rateLimit-reset`, then
/// the message is delivered; a 500 is retried.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn line_works_429_and_500_are_retried() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    lw_world(&app);
    let conn = lw_connect(&app).await;
    lw_directory(&app).await;
    lw(&app).fail_next(Some("/messages"), 1, 429);
    let started = Instant::now();
    let id = app
        .send(json!({"type": "wf.room", "to": {"groups": ["somu"]}, "title": "混雑"}))
        .await;
    let ev = app.settled(id).await;
    assert_eq!(statuses(&ev), vec!["delivered"], "{ev:#}");
    let d = &ev["deliveries"][0];
    assert_eq!(attempt_statuses(d), vec![Some(429), Some(201)]);
    let first = &d["attempts"][0];
    assert_eq!(first["outcome"], "credential_rate_limited", "{first}");
    assert!(
        first["error"]
            .as_str()
            .unwrap()
            .contains("TOO_MANY_REQUESTS"),
        "{first}"
    );
    // rateLimit-reset is in whole seconds: the connection waited at least one.
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "{:?}",
        started.elapsed()
    );
    let (c, _) = app
        .node()
        .store
        .connection_for_worker(conn["id"].as_i64().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert!(c.paused_until > 0, "the 429 paused the whole connection");
    assert_eq!(lw(&app).messages_in_channel(LW_CHANNEL).len(), 1);

    lw(&app).fail_next(Some("/messages"), 1, 500);
    let ev = app
        .settled(
            app.send(json!({"type": "wf.room", "to": {"groups": ["somu"]}, "title": "再送"}))
                .await,
        )
        .await;
    let d = &ev["deliveries"][0];
    assert_eq!(d["status"], "delivered", "{ev:#}");
    assert_eq!(attempt_statuses(d), vec![Some(500), Some(201)]);
    assert_eq!(lw(&app).messages_in_channel(LW_CHANNEL).len(), 2);
}
