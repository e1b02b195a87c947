//! The store's own cases, each run on SQLite and on PostgreSQL (a database of its own per
//! test). When PostgreSQL cannot be reached outside CI, the PostgreSQL half says so and is
//! counted by `scripts/test` as skipped; under `CI=true` it fails.

use std::collections::HashSet;

use renkei_core::model::{ConnectionKind, Owner, Provider};
use renkei_core::routing::{Outcome, Planned};
use renkei_store::connections::NewConnection;
use renkei_store::events::{DeliveryPage, NewEvent};
use renkei_store::{SecretBox, Store};
use serde_json::json;
use sqlx::Connection as _;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Backend {
    Sqlite,
    Postgres,
}

/// Keeps the SQLite file's directory alive as long as the store.
struct TestStore {
    store: Store,
    /// A pool of its own, to put the database into states only a crash or a race produces.
    raw: sqlx::AnyPool,
    _dir: tempfile::TempDir,
}

/// Records that the running test did not run: a line `SKIPPED(postgres): <test>` on stdout
/// and, so `scripts/test` counts it as skipped rather than passed, in `RENKEI_SKIP_LOG`.
/// (The same as the integration tests' helper of that name.)
fn report_postgres_skip(why: &str) {
    // libtest names each test's thread after the test, and the test body runs on it.
    let thread = std::thread::current();
    let test = thread.name().unwrap_or("unnamed test");
    let line = format!("SKIPPED(postgres): {}::{test}", env!("CARGO_CRATE_NAME"));
    println!("{line} ({why})");
    if let Ok(path) = std::env::var("RENKEI_SKIP_LOG") {
        let mut log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .unwrap_or_else(|e| panic!("RENKEI_SKIP_LOG {path}: {e}"));
        // One write per line: appends from parallel tests do not interleave.
        std::io::Write::write_all(&mut log, format!("{line}\n").as_bytes())
            .expect("write RENKEI_SKIP_LOG");
    }
}

async fn open(b: Backend) -> Option<TestStore> {
    let dir = tempfile::tempdir().unwrap();
    let url = match b {
        Backend::Sqlite => format!("sqlite://{}", dir.path().join("t.db").display()),
        Backend::Postgres => {
            let admin = std::env::var("RENKEI_TEST_POSTGRES_URL")
                .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
            let mut conn = match sqlx::PgConnection::connect(&admin).await {
                Ok(c) => c,
                Err(e) => {
                    assert!(
                        std::env::var("CI").as_deref() != Ok("true"),
                        "CI=true but PostgreSQL is not reachable at {admin}: {e}"
                    );
                    report_postgres_skip(&format!("PostgreSQL not reachable at {admin}: {e}"));
                    return None;
                }
            };
            let name = format!(
                "renkei_t_store_{}_{:08x}",
                std::process::id(),
                rand::random::<u32>()
            );
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut conn)
                .await
                .unwrap();
            let (base, _) = admin.rsplit_once('/').unwrap();
            format!("{base}/{name}")
        }
    };
    let store = Store::connect(
        &url,
        SecretBox::from_base64(&SecretBox::generate_base64()).unwrap(),
    )
    .await
    .unwrap();
    store.migrate().await.unwrap();
    sqlx::any::install_default_drivers();
    let raw = sqlx::AnyPool::connect(&url).await.unwrap();
    Some(TestStore {
        store,
        raw,
        _dir: dir,
    })
}

async fn connection(store: &Store, tenant: i64) -> i64 {
    store
        .insert_connection(
            tenant,
            NewConnection {
                provider: Provider::Chatwork,
                kind: ConnectionKind::Token,
                owner: Owner::Tenant,
                room: None,
                account_id: Some("10"),
                account_name: Some("office"),
                default_room: Some("100"),
                credentials: &json!({"api_token": "t"}),
                secret_hint: "…t",
            },
        )
        .await
        .unwrap()
        .id
}

fn sends(connection_id: i64, n: usize) -> Vec<Planned> {
    (0..n)
        .map(|i| Planned {
            target: format!("member:m{i}"),
            provider: Some(Provider::Chatwork),
            outcome: Outcome::Send {
                connection_id,
                room: format!("direct:{i}"),
                mentions: Vec::new(),
            },
            reasons: vec!["test".into()],
            warnings: Vec::new(),
        })
        .collect()
}

fn event(planned: Vec<Planned>, key: Option<&str>) -> NewEvent {
    NewEvent {
        kind: "event",
        event_type: "notice".into(),
        idempotency_key: key.map(str::to_string),
        targets_json: "{}".into(),
        title: "t".into(),
        body: String::new(),
        url: None,
        link_expires_at: None,
        thread_key: None,
        planned,
    }
}

async fn statuses(store: &Store, tenant: i64, event: i64) -> Vec<(String, i64)> {
    let ev = store
        .event_detail(tenant, event, DeliveryPage::default())
        .await
        .unwrap()
        .expect("event shown");
    ev.delivery_counts.into_iter().collect()
}

/// A chunked write ends with every delivery pending, the lanes to wake named, the event
/// readable page by page, and its idempotency key honoured.
async fn chunked_write_releases_everything(b: Backend) {
    let Some(t) = open(b).await else { return };
    let s = &t.store;
    let (tenant, _) = s.create_tenant("t").await.unwrap();
    let conn = connection(s, tenant.id).await;
    let n = renkei_store::intake::CHUNK_DELIVERIES * 2 + 17;
    let accepted = s
        .insert_events_in_chunks(tenant.id, &[event(sends(conn, n), Some("k1"))])
        .await
        .unwrap();
    assert_eq!(accepted[0].connections, vec![conn]);
    assert!(!accepted[0].duplicate);
    let id = accepted[0].id;
    assert_eq!(
        statuses(s, tenant.id, id).await,
        vec![("pending".into(), n as i64)]
    );
    let page = s
        .event_detail(
            tenant.id,
            id,
            DeliveryPage {
                after: 0,
                limit: 1000,
                ..DeliveryPage::default()
            },
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(page.deliveries.len(), 1000);
    assert_eq!(page.next_deliveries_after, Some(page.deliveries[999].id));
    let again = s
        .insert_events_in_chunks(tenant.id, &[event(sends(conn, n), Some("k1"))])
        .await
        .unwrap();
    assert_eq!((again[0].id, again[0].duplicate), (id, true));
}

/// A connection deleted while a large event was being written: its staged deliveries are
/// cancelled at release, the live connection's go out.
async fn release_settles_deliveries_of_a_connection_deleted_meanwhile(b: Backend) {
    let Some(t) = open(b).await else { return };
    let s = &t.store;
    let (tenant, _) = s.create_tenant("t").await.unwrap();
    let alive = connection(s, tenant.id).await;
    let doomed = connection(s, tenant.id).await;
    let mut planned = sends(alive, 3000);
    planned.extend(sends(doomed, 3000));
    let accepted = s
        .insert_events_in_chunks(tenant.id, &[event(planned, None)])
        .await
        .unwrap();
    let id = accepted[0].id;
    // Put the event back to just before its release, delete one connection, release.
    sqlx_exec(
        &t,
        &format!("UPDATE deliveries SET status = 'staged' WHERE event_id = {id}"),
    )
    .await;
    s.delete_connection(tenant.id, doomed).await.unwrap();
    let woken = s.release_staged(id).await.unwrap();
    assert_eq!(woken, HashSet::from([alive]));
    assert_eq!(
        statuses(s, tenant.id, id).await,
        vec![("cancelled".into(), 3000), ("pending".into(), 3000)]
    );
}

/// After a crash: an event whose write never finished is removed (it was never
/// acknowledged), one accepted but not fully released is released.
async fn recovery_removes_unfinished_writes_and_releases_accepted_ones(b: Backend) {
    let Some(t) = open(b).await else { return };
    let s = &t.store;
    let (tenant, _) = s.create_tenant("t").await.unwrap();
    let conn = connection(s, tenant.id).await;
    let unfinished = s
        .insert_events_in_chunks(tenant.id, &[event(sends(conn, 2500), Some("u"))])
        .await
        .unwrap()[0]
        .id;
    let unreleased = s
        .insert_events_in_chunks(tenant.id, &[event(sends(conn, 2500), None)])
        .await
        .unwrap()[0]
        .id;
    sqlx_exec(
        &t,
        &format!("UPDATE events SET state = 'writing' WHERE id = {unfinished}"),
    )
    .await;
    sqlx_exec(
        &t,
        &format!("UPDATE deliveries SET status = 'staged' WHERE event_id IN ({unfinished}, {unreleased})"),
    )
    .await;
    // While it is being written, its key answers "in progress", not "duplicate".
    let busy = s
        .insert_events(tenant.id, &[event(sends(conn, 1), Some("u"))])
        .await;
    assert!(
        matches!(busy, Err(renkei_store::StoreError::InProgress(_))),
        "{busy:?}"
    );
    // A recovery that only removes old writes leaves a fresh one alone.
    s.recover_intake(0).await.unwrap();
    assert!(s
        .event_detail(tenant.id, unfinished, DeliveryPage::default())
        .await
        .unwrap()
        .is_none());
    assert_eq!(
        statuses(s, tenant.id, unreleased).await,
        vec![("pending".into(), 2500)]
    );
    let woken = s.recover_intake(renkei_store::now_ms() + 1).await.unwrap();
    assert!(woken.is_empty(), "nothing left to release: {woken:?}");
    // The unfinished event is gone with its deliveries; its key is free again.
    let retried = s
        .insert_events(tenant.id, &[event(sends(conn, 1), Some("u"))])
        .await
        .unwrap();
    assert!(!retried[0].duplicate);
    assert_ne!(retried[0].id, unfinished);
}

/// What a lane finds left for a dead connection is settled with its reason.
async fn settle_dead_connection_uses_the_connection_state(b: Backend) {
    let Some(t) = open(b).await else { return };
    let s = &t.store;
    let (tenant, _) = s.create_tenant("t").await.unwrap();
    let alive = connection(s, tenant.id).await;
    let broken = connection(s, tenant.id).await;
    let ids = s
        .insert_events(
            tenant.id,
            &[event(sends(alive, 2), None), event(sends(broken, 2), None)],
        )
        .await
        .unwrap();
    assert_eq!(s.settle_dead_connection(alive).await.unwrap(), 0);
    sqlx_exec(
        &t,
        &format!("UPDATE connections SET status = 'broken', status_reason = 'HTTP 401' WHERE id = {broken}"),
    )
    .await;
    assert_eq!(s.settle_dead_connection(broken).await.unwrap(), 2);
    let ev = s
        .event_detail(tenant.id, ids[1].id, DeliveryPage::default())
        .await
        .unwrap()
        .unwrap();
    assert!(ev
        .deliveries
        .iter()
        .all(|d| d.status == "failed" && d.reason.as_deref() == Some("HTTP 401")));
    assert_eq!(
        statuses(s, tenant.id, ids[0].id).await,
        vec![("pending".into(), 2)]
    );
}

async fn sqlx_exec(t: &TestStore, sql: &str) {
    sqlx::query(sql).execute(&t.raw).await.unwrap();
}

macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name(super::Backend::Sqlite).await })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name(super::Backend::Postgres).await })*
        }
    };
}

// Lanes: leases, queue reads and attempt outcomes; reads and keys per tenant.
mod lanes;
mod tenants_and_keys;

on_both_backends!(
    chunked_write_releases_everything,
    release_settles_deliveries_of_a_connection_deleted_meanwhile,
    recovery_removes_unfinished_writes_and_releases_accepted_ones,
    settle_dead_connection_uses_the_connection_state,
);
