//! Clients, groups, members and event types a page at a time, with their filters.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use super::{all_pages, get_as, ids, other_tenant, put_ok, refused};
use crate::helpers::{Backend, TestApp};

async fn clients_page_search_and_show_their_connections(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    for (ext, name) in [
        ("acme", "Acme 商事"),
        ("beta", "Beta Works"),
        ("cells", "セルズ株式会社"),
        ("delta", "Delta"),
        ("echo", "ACME Echo"),
    ] {
        put_ok(
            &app,
            &format!("/api/v1/clients/{ext}"),
            json!({"name": name, "rooms": {"chatwork": "#!rid42"}}),
        )
        .await;
    }
    let conn = app
        .connect("acme-token", 7, json!({"client": "acme"}), None)
        .await;
    put_ok(
        &app,
        "/api/v1/members/m1",
        json!({"name": "山田", "client": "acme"}),
    )
    .await;
    put_ok(
        &app,
        "/api/v1/members/m2",
        json!({"name": "佐藤", "client": "acme"}),
    )
    .await;

    let (all, pages) = all_pages(&app, "/api/v1/clients", 2).await;
    assert_eq!(ids(&all), ["acme", "beta", "cells", "delta", "echo"]);
    assert_eq!(pages, 3);
    // Name or external ID, any case; `_` and `%` are letters, not wildcards.
    let (_, found) = app.get("/api/v1/clients?q=acme").await;
    let found: Vec<&str> = found["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["external_id"].as_str().unwrap())
        .collect();
    assert_eq!(found, ["acme", "echo"]);
    let (_, found) = app
        .get("/api/v1/clients?q=%E3%82%BB%E3%83%AB%E3%82%BA")
        .await; // セルズ
    assert_eq!(found["items"][0]["external_id"], "cells", "{found}");
    assert_eq!(app.get("/api/v1/clients?q=_").await.1["items"], json!([]));

    let (s, acme) = app.get("/api/v1/clients/acme").await;
    assert_eq!(s, StatusCode::OK, "{acme}");
    assert_eq!(acme["rooms"], json!({"chatwork": "42"}));
    assert_eq!(acme["member_count"], 2);
    assert_eq!(
        acme["connections"],
        json!([{"id": conn["id"], "provider": "chatwork", "status": "connected", "enabled": true}])
    );
    assert_eq!(
        app.get("/api/v1/clients/beta").await.1["connections"],
        json!([])
    );

    assert_eq!(
        refused(&app, Method::GET, "/api/v1/clients?limit=201", None).await,
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_limit".into())
    );
    assert_eq!(
        refused(&app, Method::GET, "/api/v1/clients/nobody", None).await,
        (StatusCode::NOT_FOUND, "not_found".into())
    );
    // Another tenant sees none of it.
    let other = other_tenant(&app).await;
    assert_eq!(
        get_as(&app, &other, "/api/v1/clients/acme").await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get_as(&app, &other, "/api/v1/clients").await.1["items"],
        json!([])
    );
}

/// The group tree with each group's effective room per provider, and where it comes from,
/// as routing decides it (scenario 10's tree).
async fn groups_show_the_effective_room_routing_uses(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    app.fake().add_account("bot", 1001, "bot");
    for room in [100, 300] {
        app.fake().add_room(room, "room", &[(1001, "admin")]);
    }
    let conn = app
        .connect("bot", 1001, json!({"tenant": true}), Some("100"))
        .await;
    put_ok(
        &app,
        "/api/v1/groups/dev",
        json!({"name": "開発部", "rooms": {"chatwork": "300"}}),
    )
    .await;
    put_ok(
        &app,
        "/api/v1/groups/dev1",
        json!({"name": "開発一課", "parent": "dev"}),
    )
    .await;
    put_ok(&app, "/api/v1/groups/sales", json!({"name": "営業部"})).await;
    put_ok(
        &app,
        "/api/v1/members/yamada",
        json!({"name": "山田", "groups": ["dev1"]}),
    )
    .await;

    let (all, pages) = all_pages(&app, "/api/v1/groups", 2).await;
    assert_eq!(ids(&all), ["dev", "dev1", "sales"]);
    assert_eq!(pages, 2);
    let (s, dev1) = app.get("/api/v1/groups/dev1").await;
    assert_eq!(s, StatusCode::OK, "{dev1}");
    assert_eq!(dev1["parent"], "dev");
    assert_eq!(dev1["rooms"], json!({}));
    assert_eq!(dev1["member_count"], 1);
    assert_eq!(
        dev1["effective_rooms"]["chatwork"],
        json!({"room": "300", "source": "inherited", "inherited_from": {"external_id": "dev", "name": "開発部"}, "connection_id": conn["id"]})
    );
    let dev = app.get("/api/v1/groups/dev").await.1;
    assert_eq!(dev["children"], json!(["dev1"]));
    assert_eq!(dev["effective_rooms"]["chatwork"]["source"], "own");
    let sales = app.get("/api/v1/groups/sales").await.1;
    assert_eq!(
        sales["effective_rooms"]["chatwork"],
        json!({"room": "100", "source": "default_room", "inherited_from": null, "connection_id": conn["id"]})
    );
    // Routing agrees: a notice for 開発一課 goes into 開発部's room, one for 営業部 into 100.
    let id = app
        .send(json!({"type": "t", "to": {"groups": ["dev1", "sales"]}, "title": "x"}))
        .await;
    let ev = app.settled(id).await;
    let rooms: Vec<&str> = ev["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["destination"]["room"].as_str().unwrap())
        .collect();
    assert_eq!(rooms, ["300", "100"], "{ev:#}");

    let (_, found) = app.get("/api/v1/groups?q=%E5%96%B6%E6%A5%AD").await; // 営業
    assert_eq!(found["items"].as_array().unwrap().len(), 1, "{found}");
    let other = other_tenant(&app).await;
    assert_eq!(
        get_as(&app, &other, "/api/v1/groups/dev").await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get_as(&app, &other, "/api/v1/groups").await.1["items"],
        json!([])
    );
}

async fn members_search_and_filter(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    put_ok(&app, "/api/v1/clients/acme", json!({"name": "Acme"})).await;
    put_ok(&app, "/api/v1/groups/dev", json!({"name": "開発部"})).await;
    put_ok(&app, "/api/v1/groups/sales", json!({"name": "営業部"})).await;
    let cw = |a: &str| json!({"chatwork": {"account_id": a}});
    for (ext, body) in [
        (
            "m01",
            json!({"name": "山田太郎", "email": "yamada@example.jp", "groups": ["dev"], "identities": cw("11")}),
        ),
        (
            "m02",
            json!({"name": "佐藤花子", "email": "sato@example.jp", "groups": ["sales", "dev"], "client": "acme"}),
        ),
        (
            "m03",
            json!({"name": "Yamaguchi", "groups": ["sales"], "client": "acme", "identities": cw("33")}),
        ),
        ("m04", json!({"name": "鈴木", "email": "YAMA@corp.example"})),
        (
            "m05",
            json!({"name": "田中", "identities": {"line": {"user_id": "U0123456789abcdef0123456789abcdef"}}}),
        ),
    ] {
        put_ok(&app, &format!("/api/v1/members/{ext}"), body).await;
    }
    let ext_of = |page: &Value| -> Vec<String> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["external_id"].as_str().unwrap().to_string())
            .collect()
    };
    let (all, pages) = all_pages(&app, "/api/v1/members", 2).await;
    assert_eq!(ids(&all), ["m01", "m02", "m03", "m04", "m05"]);
    assert_eq!(pages, 3);
    // Name, e-mail (any case) or external ID.
    assert_eq!(
        ext_of(&app.get("/api/v1/members?q=yama").await.1),
        ["m01", "m03", "m04"]
    );
    assert_eq!(
        ext_of(&app.get("/api/v1/members?q=%E8%8A%B1%E5%AD%90").await.1),
        ["m02"]
    ); // 花子
    assert_eq!(ext_of(&app.get("/api/v1/members?q=m05").await.1), ["m05"]);
    // Group (direct members), client, missing identity; all together; with paging.
    assert_eq!(
        ext_of(&app.get("/api/v1/members?group=dev").await.1),
        ["m01", "m02"]
    );
    assert_eq!(
        ext_of(&app.get("/api/v1/members?client=acme").await.1),
        ["m02", "m03"]
    );
    assert_eq!(
        ext_of(&app.get("/api/v1/members?missing_identity=chatwork").await.1),
        ["m02", "m04", "m05"]
    );
    assert_eq!(
        ext_of(&app.get("/api/v1/members?missing_identity=line").await.1),
        ["m01", "m02", "m03", "m04"]
    );
    assert_eq!(
        ext_of(
            &app.get("/api/v1/members?group=sales&client=acme&missing_identity=chatwork")
                .await
                .1
        ),
        ["m02"]
    );
    let (matching, _) = all_pages(&app, "/api/v1/members?missing_identity=chatwork", 1).await;
    assert_eq!(ids(&matching), ["m02", "m04", "m05"]);
    // Each item is the member as GET shows it: groups primary first, client, identities.
    let m02 = &app.get("/api/v1/members?q=m02").await.1["items"][0];
    assert_eq!(m02["groups"], json!(["sales", "dev"]));
    assert_eq!(m02["client"], "acme");
    assert_eq!(m02["warnings"], json!([]));

    for (query, code) in [
        ("group=nope", "unknown_group"),
        ("client=nope", "unknown_client"),
        ("missing_identity=fax", "unknown_provider"),
        ("limit=0", "invalid_limit"),
    ] {
        assert_eq!(
            refused(&app, Method::GET, &format!("/api/v1/members?{query}"), None).await,
            (StatusCode::UNPROCESSABLE_ENTITY, code.into()),
            "{query}"
        );
    }
    let other = other_tenant(&app).await;
    assert_eq!(
        get_as(&app, &other, "/api/v1/members").await.1["items"],
        json!([])
    );
    assert_eq!(
        get_as(&app, &other, "/api/v1/members?group=dev").await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
}

async fn event_types_page_and_show(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    for (key, body) in [
        (
            "file.uploaded",
            json!({"name": "ファイル追加", "delivery": "room"}),
        ),
        (
            "survey.reminder",
            json!({"name": "アンケート", "delivery": "direct", "defaults": {"slack": false}}),
        ),
        (
            "visitor.arrived",
            json!({"name": "来客", "delivery": "both", "confirmation_link_ttl_days": 7}),
        ),
    ] {
        put_ok(&app, &format!("/api/v1/event-types/{key}"), body).await;
    }
    let (all, pages) = all_pages(&app, "/api/v1/event-types", 2).await;
    assert_eq!(
        ids(&all),
        ["file.uploaded", "survey.reminder", "visitor.arrived"]
    );
    assert_eq!(pages, 2);
    let (s, et) = app.get("/api/v1/event-types/survey.reminder").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        et,
        json!({"key": "survey.reminder", "name": "アンケート", "delivery": "direct", "defaults": {"slack": false}, "confirmation_link_ttl_days": null})
    );
    assert_eq!(
        app.get("/api/v1/event-types/visitor.arrived").await.1["confirmation_link_ttl_days"],
        7
    );
    let (_, found) = app.get("/api/v1/event-types?q=%E6%9D%A5%E5%AE%A2").await; // 来客
    assert_eq!(found["items"][0]["key"], "visitor.arrived");
    assert_eq!(found["items"].as_array().unwrap().len(), 1);
    let other = other_tenant(&app).await;
    assert_eq!(
        get_as(&app, &other, "/api/v1/event-types/file.uploaded")
            .await
            .0,
        StatusCode::NOT_FOUND
    );
}

crate::on_both_backends!(
    clients_page_search_and_show_their_connections,
    groups_show_the_effective_room_routing_uses,
    members_search_and_filter,
    event_types_page_and_show,
);
