//! The tenant's settings: link lifetime, time zone and language; absent fields keep theirs.

use reqwest::{Method, StatusCode};
use serde_json::json;

use super::{get_as, other_tenant, refused};
use crate::helpers::{Backend, TestApp};

async fn settings_change_only_what_is_given(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let defaults = json!({"confirmation_link_ttl_days": null, "time_zone": "Asia/Tokyo", "language": "ja", "frame_origins": []});
    assert_eq!(app.get("/api/v1/settings").await.1, defaults);
    let (s, now) = app
        .put("/api/v1/settings", json!({"confirmation_link_ttl_days": 7}))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        now,
        json!({"confirmation_link_ttl_days": 7, "time_zone": "Asia/Tokyo", "language": "ja", "frame_origins": []})
    );
    // The time zone as the database spells it, the TTL kept because it is absent.
    let (_, now) = app
        .put(
            "/api/v1/settings",
            json!({"time_zone": "europe/berlin", "language": "en"}),
        )
        .await;
    assert_eq!(
        now,
        json!({"confirmation_link_ttl_days": 7, "time_zone": "Europe/Berlin", "language": "en", "frame_origins": []})
    );
    assert_eq!(app.get("/api/v1/settings").await.1, now);
    // An explicit null still means "no link".
    let (_, now) = app
        .put(
            "/api/v1/settings",
            json!({"confirmation_link_ttl_days": null}),
        )
        .await;
    assert_eq!(now["confirmation_link_ttl_days"], json!(null));
    assert_eq!(now["language"], "en");

    for (body, code) in [
        (json!({"time_zone": "Mars/Olympus"}), "invalid_time_zone"),
        (json!({"language": "fr"}), "invalid_language"),
        (json!({"confirmation_link_ttl_days": 2}), "invalid_link_ttl"),
        (json!({"colour": "red"}), "invalid_body"),
    ] {
        assert_eq!(
            refused(&app, Method::PUT, "/api/v1/settings", Some(body.clone())).await,
            (StatusCode::UNPROCESSABLE_ENTITY, code.into()),
            "{body}"
        );
    }
    assert_eq!(
        app.get("/api/v1/settings").await.1["time_zone"],
        "Europe/Berlin",
        "refusals change nothing"
    );
    let other = other_tenant(&app).await;
    assert_eq!(get_as(&app, &other, "/api/v1/settings").await.1, defaults);
    let store = &app.node().store;
    let tenant = store.tenant_by_api_key(&app.key).await.unwrap().unwrap();
    let read = store.tenant_settings(tenant.id).await.unwrap();
    assert_eq!(
        (
            read.time_zone.as_str(),
            read.language.as_str(),
            read.link_ttl_days
        ),
        ("Europe/Berlin", "en", None)
    );
}

/// Every call the console makes is in the OpenAPI document.
async fn the_console_api_is_documented(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let doc: serde_json::Value = reqwest::get(app.url("/api/openapi.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for (path, methods) in [
        ("/api/v1/clients", &["get"][..]),
        ("/api/v1/clients/{external_id}", &["get", "put", "delete"]),
        ("/api/v1/groups", &["get"]),
        ("/api/v1/groups/{external_id}", &["get", "put", "delete"]),
        ("/api/v1/members", &["get"]),
        ("/api/v1/members/{external_id}", &["get", "put", "delete"]),
        ("/api/v1/event-types", &["get"]),
        ("/api/v1/event-types/{key}", &["get", "put", "delete"]),
        ("/api/v1/events", &["get", "post"]),
        ("/api/v1/deliveries/{id}/resend", &["post"]),
        ("/api/v1/connections/{id}/resend-failed", &["post"]),
        ("/api/v1/settings", &["get", "put"]),
    ] {
        for m in methods {
            assert!(
                doc["paths"][path][m].is_object(),
                "OpenAPI lacks {m} {path}"
            );
        }
    }
    for schema in [
        "ClientPage",
        "GroupOverview",
        "EffectiveRoom",
        "MemberListPage",
        "EventPage",
        "Removal",
        "Resent",
        "SettingsBody",
    ] {
        assert!(
            doc["components"]["schemas"][schema].is_object(),
            "OpenAPI lacks schema {schema}"
        );
    }
}

crate::on_both_backends!(
    settings_change_only_what_is_given,
    the_console_api_is_documented
);
