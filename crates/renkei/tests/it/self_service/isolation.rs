//! Getting in (issue 10 point 1): member and client settings links, single use, each session
//! bound to its one member or client; neither reaches another member, a client page, or the
//! admin console.

use reqwest::header::COOKIE;
use reqwest::StatusCode;
use serde_json::json;

use super::{audited, client_browser, member_browser, put_member, settings_link};
use crate::console::browser::Browser;
use crate::helpers::{Backend, TestApp};

async fn settings_links_are_minted_for_known_members_and_clients(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    put_member(&app, "yamada", "山田太郎").await;
    app.put("/api/v1/clients/acme", json!({"name": "アクメ商事"}))
        .await;

    let (s, link) = app
        .post(
            "/api/v1/members/yamada/settings-links",
            json!({"ttl_seconds": 120}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{link}");
    assert!(link["url"]
        .as_str()
        .unwrap()
        .starts_with(&app.url("/enter/")));
    assert!(link["expires_at"].as_str().unwrap().contains('T'), "{link}");
    // An empty body is fine too.
    let (s, _) = app
        .call(
            reqwest::Method::POST,
            "/api/v1/clients/acme/settings-links",
            None,
            &app.key,
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);

    for (path, status, code) in [
        ("/api/v1/members/nobody/settings-links", 404, "not_found"),
        ("/api/v1/clients/nobody/settings-links", 404, "not_found"),
    ] {
        let (s, e) = app.post(path, json!({})).await;
        assert_eq!(s.as_u16(), status, "{e}");
        assert_eq!(e["error"]["code"], code, "{e}");
    }
    let (s, e) = app
        .post(
            "/api/v1/members/yamada/settings-links",
            json!({"ttl_seconds": 5}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(e["error"]["code"], "invalid_ttl");
    let (s, e) = app
        .post(
            "/api/v1/members/yamada/settings-links",
            json!({"return_to": "/console"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");

    // Another tenant's key cannot mint a link for this tenant's member.
    let (_, other_key) = app.node().store.create_tenant("Other").await.unwrap();
    let (s, _) = app
        .call(
            reqwest::Method::POST,
            "/api/v1/members/yamada/settings-links",
            Some(json!({})),
            &other_key,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // The OpenAPI document describes both.
    let (_, doc) = app.get("/api/openapi.json").await;
    for path in [
        "/api/v1/members/{external_id}/settings-links",
        "/api/v1/clients/{external_id}/settings-links",
        "/api/v1/members/{external_id}/identities/{provider}",
        "/api/v1/members/{external_id}/test-notices",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} missing");
    }
}

async fn a_member_session_reaches_that_member_only(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    put_member(&app, "yamada", "山田太郎").await;
    put_member(&app, "sato", "佐藤花子").await;
    app.put("/api/v1/clients/acme", json!({"name": "アクメ商事"}))
        .await;

    let url = settings_link(&app, "members", "yamada").await;
    let mut yamada = Browser::new(&app);
    let entered = yamada.open(&url).await;
    assert_eq!(entered.status, StatusCode::SEE_OTHER);
    let cookie = entered.headers["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.starts_with("renkei_self="), "{cookie}");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "over http: {cookie}");
    assert!(!cookie.contains("Secure"), "{cookie}");
    // Single use.
    let again = Browser::new(&app).open(&url).await;
    assert_eq!(again.status, StatusCode::GONE);

    let me = yamada.open("/me").await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.html);
    me.assert_has("山田太郎");
    assert!(!me.html.contains("佐藤花子"), "another member shows");

    // The page takes no member from the path or the query: the session decides.
    for path in ["/me?member=sato", "/me/sato"] {
        let page = yamada.open(path).await;
        assert!(!page.html.contains("佐藤花子"), "{path}");
    }
    // A change lands on the session's member, whatever the form says.
    let saved = yamada
        .submit(
            "/me",
            "/me/tools/slack",
            &[("identity", "U0YAMADA01"), ("member", "sato")],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.html);
    let (_, y) = app.get("/api/v1/members/yamada").await;
    assert_eq!(y["identities"]["slack"], "U0YAMADA01");
    let (_, s) = app.get("/api/v1/members/sato").await;
    assert!(s["identities"].get("slack").is_none(), "{s}");
    assert!(audited(&app, "member: yamada", "identity.update").await);

    // Neither the client page nor the console.
    let client = yamada.open("/client").await;
    assert_eq!(client.status, StatusCode::UNAUTHORIZED);
    client.assert_has("通知設定を開けませんでした");
    let console = yamada.open("/console").await;
    assert_eq!(console.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        yamada.open("/console/settings").await.status,
        StatusCode::UNAUTHORIZED
    );
    // Even the session's ID presented as the console's cookie opens nothing there.
    let id = yamada
        .cookie_header_for_tests()
        .split("; ")
        .find_map(|c| c.strip_prefix("renkei_self=").map(str::to_string))
        .unwrap();
    let forged = reqwest::Client::new()
        .get(app.url("/console"))
        .header(COOKIE, format!("renkei_session={id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::UNAUTHORIZED);
    let forged = reqwest::Client::new()
        .get(app.url("/client"))
        .header(COOKIE, format!("renkei_self={id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::UNAUTHORIZED);

    // A client session opens its own page, and not a member's.
    let mut acme = client_browser(&app, "acme").await;
    let page = acme.open("/client").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    page.assert_has("アクメ商事");
    assert_eq!(acme.open("/me").await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(acme.open("/console").await.status, StatusCode::UNAUTHORIZED);

    // An administrator's console session does not open a member page either.
    let mut admin = Browser::signed_in(&app).await;
    assert_eq!(admin.open("/me").await.status, StatusCode::UNAUTHORIZED);

    // A deleted member's session reaches nothing.
    let (s, _) = app.delete("/api/v1/members/yamada").await;
    assert!(s.is_success());
    assert_eq!(yamada.open("/me").await.status, StatusCode::UNAUTHORIZED);
}

async fn another_tenants_member_with_the_same_id_is_another_person(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    put_member(&app, "m1", "山田太郎").await;
    let (_, other_key) = app.node().store.create_tenant("Other").await.unwrap();
    let (s, _) = app
        .call(
            reqwest::Method::PUT,
            "/api/v1/members/m1",
            Some(json!({"name": "Other Person"})),
            &other_key,
        )
        .await;
    assert!(s.is_success());
    let mut ours = member_browser(&app, "m1").await;
    let page = ours.open("/me").await;
    page.assert_has("山田太郎");
    assert!(!page.html.contains("Other Person"));
    ours.submit("/me", "/me/tools/slack", &[("identity", "U0OURS0001")])
        .await;
    let (_, theirs) = app
        .call(reqwest::Method::GET, "/api/v1/members/m1", None, &other_key)
        .await;
    assert!(theirs["identities"].get("slack").is_none(), "{theirs}");
}

crate::on_both_backends!(
    settings_links_are_minted_for_known_members_and_clients,
    a_member_session_reaches_that_member_only,
    another_tenants_member_with_the_same_id_is_another_person,
);
