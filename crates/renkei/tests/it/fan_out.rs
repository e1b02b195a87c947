//! Large fan-out: written in chunks that let other tenants through, read back a page at a
//! time, and refused up front beyond the documented maximum.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};
use sqlx::AnyPool;

use crate::helpers::{eventually, Backend, TestApp};

/// More deliveries than SQLite may bind variables in one statement (32,766): the event
/// detail read them with one placeholder per delivery before.
const MEMBERS: usize = 35_000;

/// `n` members in group `all`, written straight into the database (the API would take
/// minutes for this many). They have no identity, so each becomes a `skipped` delivery.
async fn seed_members(pool: &AnyPool, tenant: i64, group: i64, n: usize) {
    let mut tx = pool.begin().await.unwrap();
    for start in (0..n).step_by(500) {
        let end = (start + 500).min(n);
        let rows: Vec<String> = (start..end)
            .map(|i| format!("({tenant}, 'm{i}', 'Member {i}', '{{}}', 0, 0)"))
            .collect();
        sqlx::query(&format!(
            "INSERT INTO members (tenant_id, external_id, name, identities, created_at, updated_at) VALUES {}",
            rows.join(",")
        ))
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    sqlx::query(&format!(
        "INSERT INTO member_groups (member_id, group_id, position) \
         SELECT id, {group}, 0 FROM members WHERE tenant_id = {tenant}"
    ))
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

async fn ids(pool: &AnyPool, sql: &str) -> Vec<i64> {
    sqlx::query_scalar(sql).fetch_all(pool).await.unwrap()
}

async fn large_fan_out_lets_other_tenants_through_and_pages(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let pool = app.raw_pool().await;
    let (status, _) = app.put("/api/v1/groups/all", json!({"name": "全社"})).await;
    assert!(status.is_success());
    let tenant = ids(&pool, "SELECT id FROM tenants").await[0];
    let group = ids(&pool, "SELECT id FROM tenant_groups").await[0];
    seed_members(&pool, tenant, group, MEMBERS).await;
    // A second tenant with a connection of its own.
    let (_, other_key) = app
        .node()
        .store
        .create_tenant("Other office")
        .await
        .unwrap();
    app.fake().add_account("other", 77, "other");
    let (status, _) = app
        .call(
            reqwest::Method::POST,
            "/api/v1/connections",
            Some(json!({"provider": "chatwork", "owner": {"tenant": true}, "credentials": {"api_token": "other"}})),
            &other_key,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);

    let big = {
        let http = app.http.clone();
        let url = app.url("/api/v1/events");
        let key = app.key.clone();
        tokio::spawn(async move {
            let resp = http
                .post(url)
                .bearer_auth(key)
                .json(&json!({"type": "notice", "to": {"groups": ["all"]}, "delivery": "direct", "title": "全員へ"}))
                .send()
                .await
                .unwrap();
            (resp.status(), resp.json::<Value>().await.unwrap())
        })
    };
    // Once the large event is being written, the other tenant's event is stored and
    // answered while it is still being written.
    eventually(
        Duration::from_secs(60),
        "the large write under way",
        async || {
            !ids(&pool, "SELECT id FROM events WHERE state = 'writing'")
                .await
                .is_empty()
        },
    )
    .await;
    let (status, small) = app
        .call(
            reqwest::Method::POST,
            "/api/v1/events",
            Some(json!({"type": "notice", "to": {"tenant": true}, "title": "別の事務所"})),
            &other_key,
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{small}");
    let still_writing = ids(&pool, "SELECT id FROM events WHERE state = 'writing'").await;
    assert!(
        !still_writing.is_empty(),
        "the other tenant's event waited for the whole large write"
    );
    let (status, accepted) = big.await.unwrap();
    assert_eq!(status, StatusCode::ACCEPTED, "{accepted}");
    let id = accepted["id"].as_i64().unwrap();

    // The detail pages its deliveries; the counts cover all of them.
    let mut seen = 0;
    let mut after: Option<i64> = None;
    let mut pages = 0;
    loop {
        let path = match after {
            Some(a) => format!("/api/v1/events/{id}?limit=1000&after={a}"),
            None => format!("/api/v1/events/{id}"),
        };
        let (status, ev) = app.get(&path).await;
        assert_eq!(status, StatusCode::OK, "{ev}");
        assert_eq!(ev["deliveries_total"], MEMBERS, "{}", ev["delivery_counts"]);
        assert_eq!(ev["delivery_counts"]["skipped"], MEMBERS);
        let page = ev["deliveries"].as_array().unwrap();
        assert!(page.len() <= 1000);
        seen += page.len();
        pages += 1;
        match ev["next_deliveries_after"].as_i64() {
            Some(next) => {
                assert_eq!(Some(next), page.last().unwrap()["id"].as_i64());
                after = Some(next);
            }
            None => break,
        }
    }
    assert_eq!(seen, MEMBERS);
    assert_eq!(pages, MEMBERS.div_ceil(1000));
    let (status, err) = app.get(&format!("/api/v1/events/{id}?limit=5000")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["error"]["code"], "invalid_limit");
}

/// Beyond the maximum, nothing is stored and the answer says what to do.
async fn too_many_recipients_are_refused_up_front(b: Backend) {
    let Some(app) = TestApp::spawn_with(b, |s| s.max_deliveries_per_request = 40).await else {
        return;
    };
    let pool = app.raw_pool().await;
    app.put("/api/v1/groups/all", json!({"name": "全社"})).await;
    let tenant = ids(&pool, "SELECT id FROM tenants").await[0];
    let group = ids(&pool, "SELECT id FROM tenant_groups").await[0];
    seed_members(&pool, tenant, group, 41).await;
    let (status, err) = app
        .post(
            "/api/v1/events",
            json!({"type": "notice", "to": {"groups": ["all"]}, "delivery": "direct", "title": "x"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    assert_eq!(err["error"]["code"], "too_many_recipients");
    assert_eq!(err["error"]["details"]["deliveries"], 41);
    assert_eq!(err["error"]["details"]["max"], 40);
    assert!(ids(&pool, "SELECT id FROM events").await.is_empty());
    // At the maximum it goes through.
    sqlx::query("DELETE FROM member_groups WHERE member_id = (SELECT MAX(id) FROM members)")
        .execute(&pool)
        .await
        .unwrap();
    let (status, ok) = app
        .post(
            "/api/v1/events",
            json!({"type": "notice", "to": {"groups": ["all"]}, "delivery": "direct", "title": "x"}),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{ok}");
}

crate::on_both_backends!(
    large_fan_out_lets_other_tenants_through_and_pages,
    too_many_recipients_are_refused_up_front,
);
