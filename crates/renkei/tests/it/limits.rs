//! Request limits and the error envelope: every failure under `/api/` is
//! `{"error": {"code", "message"}}`, whichever layer refused the request.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{Backend, TestApp};

/// A raw request with the tenant's key; the answer's status and JSON body (panics if the
/// body is not JSON: that is the point of these tests).
async fn raw(
    app: &TestApp,
    method: Method,
    path: &str,
    body: Option<Vec<u8>>,
) -> (StatusCode, Value) {
    let mut req = app
        .http
        .request(method, app.url(path))
        .bearer_auth(&app.key)
        .header("content-type", "application/json");
    if let Some(b) = body {
        req = req.body(b);
    }
    let resp = req.send().await.expect("request");
    let status = resp.status();
    let text = resp.text().await.unwrap();
    let json: Value = serde_json::from_str(&text)
        .unwrap_or_else(|_| panic!("{path} answered {status} without JSON: {text:?}"));
    (status, json)
}

fn code(v: &Value) -> &str {
    v["error"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no error code: {v}"))
}

async fn every_api_failure_is_the_json_envelope(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let resp = app
        .http
        .delete(app.url("/api/v1/events"))
        .bearer_auth(&app.key)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["allow"], "POST");
    let (s, e) = raw(&app, Method::DELETE, "/api/v1/events", None).await;
    assert_eq!(
        (s, code(&e)),
        (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed")
    );
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("`Allow` header"),
        "{e}"
    );

    for path in ["/api/v1/nothing-here", "/api/v2/events", "/api/nothing"] {
        let (s, e) = raw(&app, Method::GET, path, None).await;
        assert_eq!(
            (s, code(&e)),
            (StatusCode::NOT_FOUND, "no_such_endpoint"),
            "{path}"
        );
    }

    let (s, e) = raw(&app, Method::GET, "/api/v1/members/%FF%FE", None).await;
    assert_eq!(
        (s, code(&e)),
        (StatusCode::BAD_REQUEST, "invalid_path"),
        "{e}"
    );

    let long = format!("/api/v1/members/{}", "a".repeat(10 * 1024));
    let (s, e) = raw(&app, Method::GET, &long, None).await;
    assert_eq!(
        (s, code(&e)),
        (StatusCode::URI_TOO_LONG, "uri_too_long"),
        "{e}"
    );

    // Over the 32 MiB limit: 413, also for endpoints that read the body as text.
    let huge = format!(r#"{{"events": [{{"title": "{}"}}]}}"#, "x".repeat(33 << 20));
    for path in ["/api/v1/events/batch", "/api/v1/identity-imports/chatwork"] {
        let (s, e) = raw(&app, Method::POST, path, Some(huge.clone().into_bytes())).await;
        assert_eq!(
            (s, code(&e)),
            (StatusCode::PAYLOAD_TOO_LARGE, "body_too_large"),
            "{path}"
        );
    }

    // Pages outside /api keep their own answers.
    let resp = app.http.get(app.url("/no-such-page")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
}

/// 1,000 events with 1,000-character titles and 5,000-character Japanese bodies (about
/// 18 MB of JSON) are one valid batch, far over axum's 2 MB default.
async fn a_batch_of_long_japanese_events_fits(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let title = "件".repeat(1000);
    let body = "本文".repeat(2500);
    let events: Vec<_> = (0..1000)
        .map(|_| json!({"type": "t", "to": {"tenant": true}, "title": title, "body": body}))
        .collect();
    let payload = serde_json::to_vec(&json!({"events": events})).unwrap();
    assert!(payload.len() > 17_000_000, "{}", payload.len());
    let (s, res) = raw(&app, Method::POST, "/api/v1/events/batch", Some(payload)).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{res}");
    assert_eq!(res["events"].as_array().unwrap().len(), 1000);
}

async fn the_bearer_scheme_is_case_insensitive(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    for scheme in ["bearer", "BEARER", "Bearer"] {
        let resp = app
            .http
            .get(app.url("/api/v1/connections"))
            .header("authorization", format!("{scheme} {}", app.key))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "{scheme}");
    }
}

crate::on_both_backends!(
    every_api_failure_is_the_json_envelope,
    a_batch_of_long_japanese_events_fits,
    the_bearer_scheme_is_case_insensitive,
);
