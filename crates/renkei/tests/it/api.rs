//! The v1 API's contract: auth, tenant scoping, validation, pasted IDs, batch intake,
//! idempotency, OpenAPI.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{Backend, TestApp};

async fn health_and_openapi(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let resp = reqwest::get(app.url("/healthz")).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let doc: serde_json::Value = reqwest::get(app.url("/api/openapi.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for path in [
        "/api/v1/events",
        "/api/v1/events/batch",
        "/api/v1/events/{id}",
        "/api/v1/connections",
        "/api/v1/clients/{external_id}",
    ] {
        assert!(doc["paths"][path].is_object(), "OpenAPI lacks {path}");
    }
    assert!(doc["components"]["schemas"]["EventBody"].is_object());
}

async fn auth_is_required_and_tenants_are_isolated(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let (s, body) = app
        .call(Method::GET, "/api/v1/connections", None, "wrong-key")
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["code"], "unauthorized");
    let resp = app
        .http
        .get(app.url("/api/v1/connections"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);

    let conn = app.connect("tok-a", 1, json!({"tenant": true}), None).await;
    let ev = app
        .send(json!({"type": "t", "to": {"tenant": true}, "title": "x"}))
        .await;
    let (_, other_key) = app
        .node()
        .store
        .create_tenant("Other office")
        .await
        .unwrap();
    let cid = conn["id"].as_i64().unwrap();
    for path in [
        format!("/api/v1/events/{ev}"),
        format!("/api/v1/connections/{cid}"),
    ] {
        let (s, body) = app.call(Method::GET, &path, None, &other_key).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{path}: {body}");
        assert_eq!(body["error"]["code"], "not_found");
    }
    let (s, _) = app
        .call(
            Method::DELETE,
            &format!("/api/v1/connections/{cid}"),
            None,
            &other_key,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, list) = app
        .call(Method::GET, "/api/v1/connections", None, &other_key)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(list, json!([]));
    // The owner still sees it.
    let (s, _) = app.get(&format!("/api/v1/connections/{cid}")).await;
    assert_eq!(s, StatusCode::OK);
}

async fn pasted_room_and_account_forms(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    for (i, form) in [
        "123",
        "#!rid123",
        "https://www.chatwork.com/#!rid123",
        "#!rid123-456",
    ]
    .iter()
    .enumerate()
    {
        let (s, c) = app
            .put(
                &format!("/api/v1/clients/c{i}"),
                json!({"name": "顧問先", "rooms": {"chatwork": form}}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{form}: {c}");
        assert_eq!(c["rooms"]["chatwork"], "123");
    }
    let (s, c) = app
        .put(
            "/api/v1/clients/c0",
            json!({"name": "renamed", "rooms": {}}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(c["name"], "renamed");
    let (s, err) = app
        .put(
            "/api/v1/clients/bad",
            json!({"name": "x", "rooms": {"chatwork": "room 5"}}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["error"]["code"], "invalid_room");
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("#!rid123"),
        "{err}"
    );

    for (i, form) in ["123", "aid=123", "[To:123] 山田さん"].iter().enumerate() {
        let body = json!({"name": "山田", "identities": {"chatwork": {"account_id": form}}});
        let (s, m) = app.put(&format!("/api/v1/members/m{i}"), body).await;
        assert_eq!(s, StatusCode::CREATED, "{form}: {m}");
        assert_eq!(m["identities"]["chatwork"], "123");
    }
    let (s, err) = app
        .put(
            "/api/v1/members/bad",
            json!({"name": "x", "identities": {"chatwork": {"account_id": "yamada"}}}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["error"]["code"], "invalid_account_id");
    assert!(err["error"]["message"]
        .as_str()
        .unwrap()
        .contains("aid=123"));
    let (s, err) = app
        .put(
            "/api/v1/members/m9",
            json!({"name": "x", "client": "nobody"}),
        )
        .await;
    assert_eq!(
        (s, err["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("unknown_client"))
    );
}

async fn groups_event_types_and_validation(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let (s, _) = app
        .put(
            "/api/v1/groups/dev",
            json!({"name": "開発部", "rooms": {"chatwork": "300"}}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, g) = app
        .put(
            "/api/v1/groups/dev1",
            json!({"name": "開発一課", "parent": "dev"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{g}");
    assert_eq!(g["parent"], "dev");
    let (s, err) = app
        .put(
            "/api/v1/groups/dev",
            json!({"name": "開発部", "parent": "dev1"}),
        )
        .await;
    assert_eq!(
        (s, err["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("group_cycle")),
        "{err}"
    );
    let (s, err) = app
        .put(
            "/api/v1/groups/x",
            json!({"name": "x", "parent": "missing"}),
        )
        .await;
    assert_eq!(
        (s, err["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("unknown_group"))
    );

    let (s, et) = app
        .put(
            "/api/v1/event-types/visitor.arrived",
            json!({"name": "来客", "delivery": "direct"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(et["delivery"], "direct");
    let (s, err) = app
        .put(
            "/api/v1/event-types/x",
            json!({"name": "x", "delivery": "carrier-pigeon"}),
        )
        .await;
    assert_eq!(
        (s, err["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_delivery"))
    );

    // Bad event bodies: a clear code each, nothing stored.
    for (body, code) in [
        (json!({"type": "t", "to": {}, "title": "x"}), "no_targets"),
        (
            json!({"type": "", "to": {"tenant": true}, "title": "x"}),
            "invalid_type",
        ),
        (
            json!({"type": "t", "to": {"tenant": true}, "title": ""}),
            "invalid_title",
        ),
        (
            json!({"type": "t", "to": {"tenant": true}, "title": "x", "url": "javascript:alert(1)"}),
            "invalid_url",
        ),
        (
            json!({"type": "t", "to": {"tenant": true}, "title": "x", "colour": "red"}),
            "invalid_body",
        ),
    ] {
        let (s, err) = app.post("/api/v1/events", body.clone()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {err}");
        assert_eq!(err["error"]["code"], code, "{body}: {err}");
    }
    let resp = app
        .http
        .post(app.url("/api/v1/events"))
        .bearer_auth(&app.key)
        .body("{not json")
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let err: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(err["error"]["code"], "invalid_json");
    let counts = app.node().store.delivery_counts().await.unwrap();
    assert!(counts.is_empty(), "{counts:?}");
}

async fn idempotency_key_gives_one_event_and_one_delivery(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let my_chat = app.connect("tok", 1, json!({"tenant": true}), None).await["default_room"]
        .as_str()
        .unwrap()
        .parse::<i64>()
        .unwrap();
    let body = json!({"type": "t", "idempotency_key": "upload-77", "to": {"tenant": true}, "title": "once"});
    let a = app.post("/api/v1/events", body.clone()).await.1;
    let b2 = app.post("/api/v1/events", body).await.1;
    assert_eq!(a["id"], b2["id"]);
    assert_eq!(a["duplicate"], false);
    assert_eq!(b2["duplicate"], true);
    app.settled(a["id"].as_i64().unwrap()).await;
    assert_eq!(app.fake().messages(my_chat).len(), 1);
}

async fn batch_intake(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    app.fake().set_limits_enabled(false);
    app.connect("tok", 1, json!({"tenant": true}), None).await;
    let events: Vec<_> = (0..1000)
        .map(|i| json!({"type": "t", "to": {"tenant": true}, "title": format!("n{i}")}))
        .collect();
    let (s, res) = app
        .post("/api/v1/events/batch", json!({"events": events}))
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{res}");
    let ids: Vec<i64> = res["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids.len(), 1000);
    let too_many: Vec<_> = (0..1001)
        .map(|_| json!({"type": "t", "to": {"tenant": true}, "title": "x"}))
        .collect();
    let (s, err) = app
        .post("/api/v1/events/batch", json!({"events": too_many}))
        .await;
    assert_eq!(
        (s, err["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_batch_size"))
    );
    let mixed = json!({"events": [
        {"type": "t", "to": {"tenant": true}, "title": "ok"},
        {"type": "t", "to": {"tenant": true}, "title": ""},
    ]});
    let (s, err) = app.post("/api/v1/events/batch", mixed).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["error"]["details"][0]["index"], 1, "{err}");
    // All 1,000 delivered, the invalid batch stored nothing.
    app.settled(*ids.last().unwrap()).await;
    crate::helpers::eventually(
        std::time::Duration::from_secs(20),
        "1000 delivered",
        async || {
            app.node()
                .store
                .delivery_counts()
                .await
                .unwrap()
                .get("delivered")
                == Some(&1000)
        },
    )
    .await;
    let counts = app.node().store.delivery_counts().await.unwrap();
    assert_eq!(counts.values().sum::<i64>(), 1000, "{counts:?}");
}

crate::on_both_backends!(
    health_and_openapi,
    auth_is_required_and_tenants_are_isolated,
    pasted_room_and_account_forms,
    groups_event_types_and_validation,
    idempotency_key_gives_one_event_and_one_delivery,
    batch_intake,
);
