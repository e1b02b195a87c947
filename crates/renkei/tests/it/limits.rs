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
    // A fresh connection each time: the server closes one whose body it refused unread.
    // Closing while a 33 MiB body is still being written can reset the connection before
    // the client reads the 413 (more often on a loaded machine): such a try is repeated.
    let mut tries = 0;
    let resp = loop {
        let mut req = reqwest::Client::new()
            .request(method.clone(), app.url(path))
            .bearer_auth(&app.key)
            .header("content-type", "application/json");
        if let Some(b) = &body {
            req = req.body(b.clone());
        }
        tries += 1;
        match req.send().await {
            Ok(resp) => break resp,
            Err(e) if tries < 3 && body.as_ref().is_some_and(|b| b.len() > 1 << 20) => {
                eprintln!("{path}: the connection closed before the answer was read ({e}); again");
            }
            Err(e) => panic!("{path}: {e}"),
        }
    };
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
        .delete(app.url("/api/v1/events/batch"))
        .bearer_auth(&app.key)
        .send()
        .await
        .unwrap();
    // (`/events` itself now also lists events: the batch path takes POST only.)
    assert_eq!(resp.headers()["allow"], "POST");
    let (s, e) = raw(&app, Method::DELETE, "/api/v1/events/batch", None).await;
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
    let resp = reqwest::get(app.url("/no-such-page")).await.unwrap();
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

/// A token with a line break or of 1 MB is the user's mistake (422), refused before the
/// provider is asked; it used to fail inside the HTTP client and come back as 502.
async fn bad_credentials_are_refused_before_any_provider_call(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let huge = "t".repeat(1 << 20);
    for (provider, credentials) in [
        ("chatwork", json!({"api_token": "abc\ndef"})),
        ("chatwork", json!({"api_token": huge})),
        ("slack", json!({"bot_token": "xoxb-1\r\n2"})),
        (
            "line",
            json!({"channel_access_token": "a\u{0}b", "channel_secret": "0123456789abcdef0123456789abcdef"}),
        ),
    ] {
        let (s, e) = app
            .post("/api/v1/connections", json!({"provider": provider, "owner": {"tenant": true}, "credentials": credentials}))
            .await;
        assert_eq!(
            (s, code(&e)),
            (StatusCode::UNPROCESSABLE_ENTITY, "invalid_credentials"),
            "{provider}: {e}"
        );
    }
    assert!(app.fake().requests().is_empty(), "Chatwork was asked");
}

/// Text fields have documented limits; a NUL byte (which PostgreSQL refuses in text) or an
/// over-long value is a 422 naming the field, never a 500.
async fn text_fields_have_limits(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let long_id = "x".repeat(256);
    let cases = [
        (
            "/api/v1/clients/acme",
            json!({"name": "a\u{0}b"}),
            "invalid_name",
        ),
        (
            "/api/v1/clients/acme",
            json!({"name": "n".repeat(256)}),
            "invalid_name",
        ),
        (
            "/api/v1/members/m1",
            json!({"name": "M", "email": "not-an-address"}),
            "invalid_email",
        ),
        (
            "/api/v1/members/m1",
            json!({"name": "M", "email": format!("{}@example.com", "a".repeat(250))}),
            "invalid_email",
        ),
        (
            "/api/v1/members/m1",
            json!({"name": "M", "groups": [long_id]}),
            "invalid_external_id",
        ),
        (
            "/api/v1/members/m1",
            json!({"name": "M", "identities": {"teams": {"user_id": format!("{}@example.com", "u".repeat(2000))}}}),
            "invalid_identity",
        ),
        (
            "/api/v1/groups/g1",
            json!({"name": "G", "parent": "p\n1"}),
            "invalid_external_id",
        ),
        (
            &format!("/api/v1/clients/{long_id}"),
            json!({"name": "C"}),
            "invalid_external_id",
        ),
    ];
    for (path, body, want) in cases {
        let (s, e) = app.put(path, body.clone()).await;
        assert_eq!(
            (s, code(&e)),
            (StatusCode::UNPROCESSABLE_ENTITY, want),
            "{path} {body}: {e}"
        );
    }
    for (event, want) in [
        (
            json!({"type": "t", "to": {"tenant": true}, "title": "a\u{0}"}),
            "invalid_title",
        ),
        (
            json!({"type": "t", "to": {"members": ["m\u{0}"]}, "title": "x"}),
            "invalid_external_id",
        ),
        (
            json!({"type": "t", "to": {"tenant": true}, "title": "x", "url": format!("https://e.example/{}", "p".repeat(2100))}),
            "invalid_url",
        ),
        (
            json!({"type": "t\tt", "to": {"tenant": true}, "title": "x"}),
            "invalid_type",
        ),
    ] {
        let (s, e) = app.post("/api/v1/events", event.clone()).await;
        assert_eq!(
            (s, code(&e)),
            (StatusCode::UNPROCESSABLE_ENTITY, want),
            "{event}: {e}"
        );
    }
    let conn = app.connect("tok", 7, json!({"tenant": true}), None).await;
    for (body, want) in [
        (
            json!({"title": "t".repeat(1001), "body": "b", "rooms": ["1"]}),
            "invalid_title",
        ),
        (
            json!({"body": "b", "rooms": ["1".repeat(1025)]}),
            "invalid_room",
        ),
    ] {
        let mut body = body;
        body["connection_id"] = conn["id"].clone();
        let (s, e) = app.post("/api/v1/bulk-sends", body).await;
        assert_eq!(
            (s, code(&e)),
            (StatusCode::UNPROCESSABLE_ENTITY, want),
            "{e}"
        );
    }
    let (s, e) = app.get("/api/v1/members/a%00b").await;
    assert_eq!(
        (s, code(&e)),
        (StatusCode::BAD_REQUEST, "invalid_path"),
        "{e}"
    );

    // Absences: summary length and an IANA time zone.
    app.put("/api/v1/members/m2", json!({"name": "M2"})).await;
    let absence = |summary: &str, tz: &str| json!({"summary": summary, "start": "2026-12-01T09:00:00", "end": "2026-12-01T10:00:00", "time_zone": tz});
    for (body, want) in [
        (absence("外出", "Asia/Tokio"), "invalid_time_zone"),
        (absence(&"休".repeat(201), "Asia/Tokyo"), "invalid_absence"),
    ] {
        let (s, e) = app.put("/api/v1/members/m2/absences/a1", body).await;
        assert_eq!(
            (s, code(&e)),
            (StatusCode::UNPROCESSABLE_ENTITY, want),
            "{e}"
        );
    }
}

/// Names that match nothing are accepted but reported, per event; preferences for an
/// unknown event type are refused.
async fn unknown_names_are_reported(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    app.put("/api/v1/members/yamada", json!({"name": "山田"}))
        .await;
    app.put("/api/v1/event-types/visit", json!({"name": "来訪"}))
        .await;
    let (s, ev) = app
        .post("/api/v1/events", json!({"type": "vist", "to": {"members": ["yamada", "ghost"], "groups": ["nogroup"]}, "title": "x"}))
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{ev}");
    let codes: Vec<&str> = ev["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes,
        ["unknown_event_type", "unknown_group", "unknown_member"],
        "{ev}"
    );
    assert!(
        ev["warnings"][2]["message"]
            .as_str()
            .unwrap()
            .contains("ghost"),
        "{ev}"
    );

    let (s, batch) = app
        .post(
            "/api/v1/events/batch",
            json!({"events": [
                {"type": "visit", "to": {"members": ["yamada"]}, "title": "ok"},
                {"type": "visit", "to": {"clients": ["noclient"]}, "title": "typo"},
            ]}),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{batch}");
    assert_eq!(batch["events"][0]["warnings"], json!([]), "{batch}");
    assert_eq!(
        batch["events"][1]["warnings"][0]["code"], "unknown_client",
        "{batch}"
    );

    let (s, e) = app
        .put(
            "/api/v1/members/yamada/preferences",
            json!({"vist": {"chatwork": false}}),
        )
        .await;
    assert_eq!(
        (s, code(&e)),
        (StatusCode::UNPROCESSABLE_ENTITY, "unknown_event_type"),
        "{e}"
    );
    let (s, e) = app
        .put(
            "/api/v1/members/yamada/preferences",
            json!({"visit": {"fax": false}}),
        )
        .await;
    assert_eq!(
        (s, code(&e)),
        (StatusCode::UNPROCESSABLE_ENTITY, "unknown_provider"),
        "{e}"
    );
    let (s, _) = app
        .put(
            "/api/v1/members/yamada/preferences",
            json!({"visit": {"chatwork": false}}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
}

/// Ten refused keys from one address in a minute: that address gets 429 with
/// `Retry-After`, even with the right key (a different answer would confirm a guess).
async fn refused_keys_are_throttled_per_address(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    for i in 0..10 {
        let (s, e) = app
            .call(
                Method::GET,
                "/api/v1/connections",
                None,
                &format!("rk_guess{i}"),
            )
            .await;
        assert_eq!(
            (s, code(&e)),
            (StatusCode::UNAUTHORIZED, "unauthorized"),
            "try {i}"
        );
    }
    for key in ["rk_guess10", app.key.as_str()] {
        let resp = app
            .http
            .get(app.url("/api/v1/connections"))
            .bearer_auth(key)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
        let wait: u64 = resp.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=60).contains(&wait), "{wait}");
        let e: Value = resp.json().await.unwrap();
        assert_eq!(code(&e), "too_many_auth_failures");
        assert_eq!(e["error"]["details"]["retry_after_seconds"], wait);
    }
}

crate::on_both_backends!(
    refused_keys_are_throttled_per_address,
    bad_credentials_are_refused_before_any_provider_call,
    text_fields_have_limits,
    unknown_names_are_reported,
    every_api_failure_is_the_json_envelope,
    a_batch_of_long_japanese_events_fits,
    the_bearer_scheme_is_case_insensitive,
);
