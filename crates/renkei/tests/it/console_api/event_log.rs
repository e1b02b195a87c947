//! `GET /events`: the delivery log newest first, a page at a time, with each filter.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use renkei_core::model::Provider;
use renkei_store::event_log::EventFilter;

use super::{all_pages, get_as, other_tenant, put_ok, refused};
use crate::helpers::{Backend, TestApp};

fn event_ids(page: &Value) -> Vec<i64> {
    page["items"]
        .as_array()
        .unwrap_or_else(|| panic!("{page}"))
        .iter()
        .map(|e| e["id"].as_i64().unwrap())
        .collect()
}

fn rfc3339(ms: i64) -> String {
    let t = chrono::DateTime::from_timestamp_millis(ms).unwrap();
    // `+` must be escaped in a query string.
    t.to_rfc3339().replace('+', "%2B")
}

async fn the_log_pages_newest_first_and_filters(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    // Before any connection: skipped, through no provider.
    let nowhere = app
        .send(json!({"type": "notice", "to": {"tenant": true}, "title": "nowhere"}))
        .await;
    app.fake().add_account("office", 10, "事務所");
    app.fake().add_person(30, "山田");
    app.fake().add_room(5001, "Acme", &[(10, "admin")]);
    app.fake()
        .add_room(5002, "開発部", &[(10, "admin"), (30, "member")]);
    app.fake().add_room(6001, "locked", &[(77, "admin")]);
    app.connect("office", 10, json!({"tenant": true}), None)
        .await;
    put_ok(
        &app,
        "/api/v1/clients/acme",
        json!({"name": "Acme", "rooms": {"chatwork": "5001"}}),
    )
    .await;
    put_ok(
        &app,
        "/api/v1/clients/locked",
        json!({"name": "Locked", "rooms": {"chatwork": "6001"}}),
    )
    .await;
    put_ok(
        &app,
        "/api/v1/groups/dev",
        json!({"name": "開発部", "rooms": {"chatwork": "5002"}}),
    )
    .await;
    put_ok(&app, "/api/v1/members/yamada", json!({"name": "山田", "groups": ["dev"], "identities": {"chatwork": {"account_id": "30"}}})).await;

    let for_acme = app
        .send(json!({"type": "file.uploaded", "to": {"clients": ["acme"]}, "title": "for acme"}))
        .await;
    let refused_room = app
        .send(json!({"type": "notice", "to": {"clients": ["locked"]}, "title": "refused"}))
        .await;
    let for_yamada = app
        .send(
            json!({"type": "file.uploaded", "to": {"members": ["yamada"]}, "title": "for yamada"}),
        )
        .await;
    let both = app.send(json!({"type": "notice", "to": {"clients": ["acme"], "members": ["yamada"]}, "title": "both"})).await;
    let all = [nowhere, for_acme, refused_room, for_yamada, both];
    for id in all {
        app.settled(id).await;
    }

    let (newest_first, pages) = all_pages(&app, "/api/v1/events", 2).await;
    let newest_first: Vec<i64> = newest_first.iter().map(|v| v.as_i64().unwrap()).collect();
    assert_eq!(
        newest_first,
        [both, for_yamada, refused_room, for_acme, nowhere]
    );
    assert_eq!(pages, 3);
    let (_, page) = app.get("/api/v1/events?limit=1").await;
    let item = &page["items"][0];
    assert_eq!(item["id"], both);
    assert_eq!(
        (&item["type"], &item["title"], &item["kind"]),
        (&json!("notice"), &json!("both"), &json!("event"))
    );
    assert_eq!(item["delivery_counts"], json!({"delivered": 2}));
    assert_eq!(item["deliveries_total"], 2);
    assert!(item["created_at"].as_i64().unwrap() > 0);

    let cases: [(&str, Vec<i64>); 10] = [
        ("status=failed", vec![refused_room]),
        ("status=skipped", vec![nowhere]),
        ("status=delivered", vec![both, for_yamada, for_acme]),
        (
            "provider=chatwork",
            vec![both, for_yamada, refused_room, for_acme],
        ),
        ("provider=slack", vec![]),
        ("type=file.uploaded", vec![for_yamada, for_acme]),
        ("member=yamada", vec![both, for_yamada]),
        ("client=acme", vec![both, for_acme]),
        ("client=acme&member=yamada&type=notice", vec![both]),
        ("status=delivered&type=notice", vec![both]),
    ];
    for (query, want) in cases {
        let (s, page) = app.get(&format!("/api/v1/events?{query}")).await;
        assert_eq!(s, StatusCode::OK, "{query}: {page}");
        assert_eq!(event_ids(&page), want, "{query}");
    }
    // Filters page like the whole log does.
    let (delivered, _) = all_pages(&app, "/api/v1/events?status=delivered", 1).await;
    assert_eq!(delivered.len(), 3);
    let (for_member, _) = all_pages(&app, "/api/v1/events?member=yamada", 1).await;
    assert_eq!(for_member, [json!(both), json!(for_yamada)]);

    // A time window: since is inclusive, until exclusive.
    let created = |id: i64| {
        let app = &app;
        async move {
            app.get(&format!("/api/v1/events/{id}")).await.1["created_at"]
                .as_i64()
                .unwrap()
        }
    };
    let (t_refused, t_yamada) = (created(refused_room).await, created(for_yamada).await);
    assert!(
        t_refused < t_yamada,
        "events a request apart have different times"
    );
    let window = format!(
        "/api/v1/events?since={}&until={}",
        rfc3339(t_refused),
        rfc3339(t_yamada)
    );
    assert_eq!(event_ids(&app.get(&window).await.1), [refused_room]);
    let since = format!("/api/v1/events?since={}&status=failed", rfc3339(t_yamada));
    assert_eq!(event_ids(&app.get(&since).await.1), Vec::<i64>::new());

    for (query, code) in [
        ("status=lost", "invalid_status"),
        ("provider=fax", "unknown_provider"),
        ("since=yesterday", "invalid_time"),
        ("before=abc", "invalid_cursor"),
        ("limit=500", "invalid_limit"),
    ] {
        assert_eq!(
            refused(&app, Method::GET, &format!("/api/v1/events?{query}"), None).await,
            (StatusCode::UNPROCESSABLE_ENTITY, code.into()),
            "{query}"
        );
    }
    let other = other_tenant(&app).await;
    assert_eq!(
        get_as(&app, &other, "/api/v1/events").await.1,
        json!({"items": [], "next_before": null})
    );
}

/// A filter that looks into each event's deliveries walks a bounded stretch of the log per
/// request: pages may come back short, but following `next_before` finds every match.
async fn a_bounded_walk_still_finds_everything(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    app.fake().add_account("office", 10, "事務所");
    app.connect("office", 10, json!({"tenant": true}), None)
        .await;
    let mut sent = Vec::new();
    for i in 0..7 {
        // The odd ones go nowhere (no such client): skipped, through no provider.
        let to = if i % 2 == 0 {
            json!({"tenant": true})
        } else {
            json!({"clients": ["nobody"]})
        };
        sent.push(
            app.send(json!({"type": "t", "to": to, "title": format!("n{i}")}))
                .await,
        );
    }
    for id in &sent {
        app.settled(*id).await;
    }
    let store = &app.node().store;
    let tenant = store.tenant_by_api_key(&app.key).await.unwrap().unwrap().id;
    let mut filter = EventFilter {
        provider: Some(Provider::Chatwork),
        walk_limit: 3,
        ..EventFilter::default()
    };
    let mut pages = Vec::new();
    loop {
        let page = store.event_page(tenant, &filter).await.unwrap();
        pages.push(page.items.iter().map(|e| e.id).collect::<Vec<_>>());
        match page.next_before {
            Some(b) => filter.before = Some(b),
            None => break,
        }
    }
    // Newest first, three events looked at per request: n6 n5 n4 | n3 n2 n1 | n0.
    let want = vec![vec![sent[6], sent[4]], vec![sent[2]], vec![sent[0]]];
    assert_eq!(pages, want);
    // Without such a filter a page is always full.
    let all = store
        .event_page(
            tenant,
            &EventFilter {
                limit: 4,
                walk_limit: 3,
                ..EventFilter::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(all.items.len(), 4);
}

crate::on_both_backends!(
    the_log_pages_newest_first_and_filters,
    a_bounded_walk_still_finds_everything,
);
