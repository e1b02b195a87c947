//! Chatwork connections: verification, secrets at rest, disconnect.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;
use sqlx::Row;

use crate::helpers::{eventually, my_chat, node_idle, statuses, Backend, TestApp};

async fn connect_verifies_with_me_and_refused_tokens_say_so(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let my_chat = app
        .fake()
        .add_account("secret-token-9876", 4242, "通知用アカウント");
    let (s, conn) = app
        .post("/api/v1/connections", json!({"provider": "chatwork", "owner": {"tenant": true}, "credentials": {"api_token": "secret-token-9876"}, "room": "#!rid555"}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{conn}");
    assert_eq!(conn["status"], "connected");
    assert_eq!(conn["account"]["id"], "4242");
    assert_eq!(conn["account"]["name"], "通知用アカウント");
    assert_eq!(conn["default_room"], my_chat.to_string());
    assert_eq!(conn["room"], "555");
    assert_eq!(conn["credentials"]["api_token"], "…9876");
    let listed = app.get("/api/v1/connections").await.1;
    for text in [conn.to_string(), listed.to_string()] {
        assert!(!text.contains("secret-token"), "a secret leaked: {text}");
    }
    // The fake saw GET /me with the token header.
    assert!(app
        .fake()
        .requests()
        .iter()
        .any(|r| r.path.ends_with("/me") && r.status == 200));

    let (s, err) = app
        .post("/api/v1/connections", json!({"provider": "chatwork", "owner": {"tenant": true}, "credentials": {"api_token": "nope"}}))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["error"]["code"], "chatwork_invalid_token");
    for (body, code) in [
        (
            json!({"provider": "chatwork", "owner": {"tenant": true}, "credentials": {}}),
            "invalid_credentials",
        ),
        (
            json!({"provider": "fax", "owner": {"tenant": true}, "credentials": {"api_token": "x"}}),
            "unknown_provider",
        ),
        (
            json!({"provider": "chatwork", "owner": {"client": "ghost"}, "credentials": {"api_token": "x"}}),
            "unknown_client",
        ),
        (
            json!({"provider": "chatwork", "owner": {"everyone": 1}, "credentials": {"api_token": "x"}}),
            "invalid_owner",
        ),
        (
            json!({"provider": "chatwork", "owner": {"tenant": true}, "credentials": {"api_token": "secret-token-9876"}, "room": "lobby"}),
            "invalid_room",
        ),
    ] {
        let (s, err) = app.post("/api/v1/connections", body.clone()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(err["error"]["code"], code, "{body}: {err}");
    }
}

async fn secrets_are_encrypted_at_rest(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    app.connect("plain-text-token-abcdef", 7, json!({"tenant": true}), None)
        .await;
    let pool = app.raw_pool().await;
    let row = sqlx::query("SELECT secret, secret_hint FROM connections")
        .fetch_one(&pool)
        .await
        .unwrap();
    let sealed: Vec<u8> = row.try_get(0).unwrap();
    let hint: String = row.try_get(1).unwrap();
    assert!(sealed.len() > 28);
    assert!(
        !sealed.windows(6).any(|w| w == b"abcdef"),
        "token stored in clear"
    );
    assert_eq!(hint, "…cdef");
    if b == Backend::Sqlite {
        // Nowhere in the database files either.
        for f in std::fs::read_dir(app.dir.path()).unwrap() {
            let bytes = std::fs::read(f.unwrap().path()).unwrap();
            assert!(!bytes.windows(23).any(|w| w == b"plain-text-token-abcdef"));
        }
    }
    // The generated master key file is private to its owner.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(app.dir.path().join("secret.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

async fn disconnect_cancels_pending_and_touches_nothing_else(b: Backend) {
    let Some(app) = TestApp::spawn_with(b, |s| s.retry_initial_ms = 100).await else {
        return;
    };
    let office = app
        .connect("office-token-1111", 1, json!({"tenant": true}), None)
        .await;
    app.put("/api/v1/clients/acme", json!({"name": "Acme"}))
        .await;
    let client_conn = app
        .connect("acme-token", 2, json!({"client": "acme"}), None)
        .await;
    let acme_my_chat: i64 = my_chat(&client_conn);

    // One notice delivered through the office token before anything goes wrong.
    let early = app
        .send(json!({"type": "t", "to": {"tenant": true}, "title": "early"}))
        .await;
    assert_eq!(statuses(&app.settled(early).await), vec!["delivered"]);

    // Chatwork fails for a while: office notices wait in retry.
    app.fake().fail_next_on("/rooms/", 1_000_000, 500);
    let waiting = app
        .send(json!({"type": "t", "to": {"tenant": true}, "title": "waiting"}))
        .await;
    app.wait_event(waiting, Duration::from_secs(10), |ev| {
        ev["deliveries"][0]["attempts"].as_array().unwrap().len() >= 2
    })
    .await;

    let (s, _) = app
        .delete(&format!("/api/v1/connections/{}", office["id"]))
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let ev = app.get(&format!("/api/v1/events/{waiting}")).await.1;
    assert_eq!(ev["deliveries"][0]["status"], "cancelled", "{ev:#}");
    assert_eq!(ev["deliveries"][0]["reason_code"], "connection_deleted");
    let (s, _) = app
        .get(&format!("/api/v1/connections/{}", office["id"]))
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = app
        .delete(&format!("/api/v1/connections/{}", office["id"]))
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // Earlier history is intact, and the client's own connection still works.
    assert_eq!(
        statuses(&app.get(&format!("/api/v1/events/{early}")).await.1),
        vec!["delivered"]
    );
    app.fake().clear_faults();
    let later = app
        .send(json!({"type": "t", "to": {"clients": ["acme"]}, "title": "for acme"}))
        .await;
    assert_eq!(statuses(&app.settled(later).await), vec!["delivered"]);
    assert_eq!(app.fake().messages(acme_my_chat).len(), 1);
    // And a tenant notice now has nowhere to go: skipped, with the reason.
    let none = app
        .send(json!({"type": "t", "to": {"tenant": true}, "title": "nobody"}))
        .await;
    let ev = app.get(&format!("/api/v1/events/{none}")).await.1;
    assert_eq!(ev["deliveries"][0]["status"], "skipped");
    assert_eq!(ev["deliveries"][0]["reason_code"], "no_connection");
    // Nothing more reached the deleted account after the delete.
    let office_posts = || {
        let reqs = app.fake().requests();
        reqs.iter()
            .filter(|r| r.token_last4.as_deref() == Some("1111") && r.path.contains("messages"))
            .count()
    };
    let office_posts_after = office_posts();
    // Once the node is idle (the office lane ended, a scan since started none) its posts
    // are final.
    node_idle(&app.node().dispatcher).await;
    assert_eq!(office_posts_after, office_posts());
    // The retry held in memory before the delete never went out (faults are cleared now).
    assert_eq!(
        app.fake().messages(my_chat(&office)).len(),
        1,
        "only the early notice"
    );
    eventually(Duration::from_secs(5), "lane released", async || {
        app.node()
            .store
            .lanes_with_work("x")
            .await
            .unwrap()
            .is_empty()
    })
    .await;
}

/// `PATCH` changes the room (any pasted form; `""` back to My Chat) and/or `enabled`; a
/// refused room changes nothing, and the detail says what a delete would cancel.
async fn patch_sets_the_room_and_refuses_what_cannot_be(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let conn = app
        .connect("office", 10, json!({"tenant": true}), None)
        .await;
    let path = format!("/api/v1/connections/{}", conn["id"]);
    let patch = |body| app.call(reqwest::Method::PATCH, &path, Some(body), &app.key);
    let (s, v) = patch(json!({"room": "https://www.chatwork.com/#!rid4242"})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["room"], "4242");
    assert_eq!(v["enabled"], true);
    assert_eq!(v["pending_deliveries"], 0);
    let (s, v) = patch(json!({"room": "not a room", "enabled": false})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["error"]["code"], "invalid_room");
    let (_, v) = app.get(&path).await;
    assert_eq!(
        (v["room"].as_str(), v["enabled"].as_bool()),
        (Some("4242"), Some(true))
    );
    let (s, v) = patch(json!({})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["error"]["code"], "empty_patch");
    let (s, v) = patch(json!({"room": "", "enabled": false})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        (v["room"].clone(), v["enabled"].clone()),
        (json!(null), json!(false))
    );
    let ev = app
        .send(json!({"type": "t", "to": {"tenant": true}, "title": "off"}))
        .await;
    let ev = app.settled(ev).await;
    assert!(app.fake().messages(my_chat(&conn)).is_empty(), "{ev:#}");

    // A webhook posts only into its own channel: no room for it.
    let url = app.fakes.teams.add_workflow("wf-patch", "sig-patch-1234");
    let (s, hook) = app
        .post(
            "/api/v1/connections",
            json!({"provider": "teams", "owner": {"tenant": true}, "credentials": {"webhook_url": url}}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{hook}");
    let (s, v) = app
        .call(
            reqwest::Method::PATCH,
            &format!("/api/v1/connections/{}", hook["id"]),
            Some(json!({"room": "C0123ABCD"})),
            &app.key,
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["error"]["code"], "room_not_allowed");
}

crate::on_both_backends!(
    connect_verifies_with_me_and_refused_tokens_say_so,
    secrets_are_encrypted_at_rest,
    disconnect_cancels_pending_and_touches_nothing_else,
    patch_sets_the_room_and_refuses_what_cannot_be,
);
