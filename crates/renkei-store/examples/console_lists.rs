//! How fast the console's lists answer in a large tenant: 10,000 members and 100,000 events
//! (with a few fan-outs to every member), on SQLite or PostgreSQL.
//!
//! ```text
//! cargo run -p renkei-store --example console_lists -- sqlite
//! cargo run -p renkei-store --example console_lists -- sqlite:///tmp/console.db   # kept
//! cargo run -p renkei-store --example console_lists -- postgres://postgres@127.0.0.1:5432/test
//! ```
//!
//! Prints the median and slowest of 20 runs of each query, in milliseconds.

use std::time::{Duration, Instant};

use renkei_core::model::{DeliveryStatus, Provider};
use renkei_store::event_log::EventFilter;
use renkei_store::lists::{MemberFilter, PageRequest};
use renkei_store::{SecretBox, Store};
use sqlx::{AnyPool, Connection};

const MEMBERS: i64 = 10_000;
const CLIENTS: i64 = 200;
const GROUPS: i64 = 60;
const EVENTS: i64 = 100_000;
/// Events sent to every member (one delivery each).
const FAN_OUTS: i64 = 5;
const RUNS: usize = 20;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let arg = std::env::args().nth(1).unwrap_or_else(|| "sqlite".into());
    let dir = tempfile::tempdir()?;
    let url = if arg == "sqlite" {
        format!("sqlite://{}", dir.path().join("console.db").display())
    } else if arg.starts_with("sqlite:") {
        arg.clone() // a file to keep, to look at the query plans afterwards
    } else {
        fresh_postgres(&arg).await?
    };
    let store = Store::connect(&url, SecretBox::new([7; 32])).await?;
    store.migrate().await?;
    let (tenant, _) = store.create_tenant("large").await?;
    // A small neighbour, so every query really has to pick one tenant's rows.
    store.create_tenant("neighbour").await?;
    sqlx::any::install_default_drivers();
    let pool = AnyPool::connect(&url).await?;
    let started = Instant::now();
    fill(&pool, tenant.id).await?;
    if url.starts_with("postgres") {
        // What autovacuum does for a table written this much.
        sqlx::query("VACUUM ANALYZE").execute(&pool).await?;
    }
    println!(
        "backend {arg}: {MEMBERS} members, {EVENTS} events (+{FAN_OUTS} fan-outs to every member) written in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let t = tenant.id;
    let page = PageRequest::default();
    let ev = |f: EventFilter| EventFilter {
        limit: EventFilter::DEFAULT_LIMIT,
        ..f
    };
    let day = 86_400_000;
    let end = BASE_MS + EVENTS * 30_000;
    let cases: Vec<(&str, EventFilter)> = vec![
        ("events: newest", ev(EventFilter::default())),
        (
            "events: page 100",
            ev(EventFilter {
                before: Some(EVENTS - 100 * 50),
                ..Default::default()
            }),
        ),
        (
            "events: status=failed",
            ev(EventFilter {
                status: Some(DeliveryStatus::Failed),
                ..Default::default()
            }),
        ),
        (
            "events: status=pending",
            ev(EventFilter {
                status: Some(DeliveryStatus::Pending),
                ..Default::default()
            }),
        ),
        (
            "events: status=delivered",
            ev(EventFilter {
                status: Some(DeliveryStatus::Delivered),
                ..Default::default()
            }),
        ),
        (
            "events: provider=slack",
            ev(EventFilter {
                provider: Some(Provider::Slack),
                ..Default::default()
            }),
        ),
        (
            "events: provider=teams (none)",
            ev(EventFilter {
                provider: Some(Provider::Teams),
                ..Default::default()
            }),
        ),
        (
            "events: type=t3",
            ev(EventFilter {
                event_type: Some("t3".into()),
                ..Default::default()
            }),
        ),
        (
            "events: member=m4321",
            ev(EventFilter {
                member: Some("m4321".into()),
                ..Default::default()
            }),
        ),
        (
            "events: client=c42",
            ev(EventFilter {
                client: Some("c42".into()),
                ..Default::default()
            }),
        ),
        (
            "events: since last hour",
            ev(EventFilter {
                since: Some(end - 3_600_000),
                ..Default::default()
            }),
        ),
        (
            "events: until 15 days ago",
            ev(EventFilter {
                until: Some(end - 15 * day),
                ..Default::default()
            }),
        ),
        (
            "events: one day, 15 days ago",
            ev(EventFilter {
                since: Some(end - 16 * day),
                until: Some(end - 15 * day),
                ..Default::default()
            }),
        ),
        (
            "events: failed + type + week",
            ev(EventFilter {
                status: Some(DeliveryStatus::Failed),
                event_type: Some("t1".into()),
                since: Some(end - 7 * day),
                ..Default::default()
            }),
        ),
    ];
    for (name, f) in cases {
        report(name, || store.event_page(t, &f)).await?;
    }
    report("members: first page", || {
        store.member_page(t, MemberFilter::default(), page)
    })
    .await?;
    report("members: q=yamada 12", || {
        store.member_page(
            t,
            MemberFilter {
                q: Some("山田 12"),
                ..Default::default()
            },
            page,
        )
    })
    .await?;
    report("members: missing chatwork", || {
        store.member_page(
            t,
            MemberFilter {
                missing_identity: Some(Provider::Chatwork),
                ..Default::default()
            },
            page,
        )
    })
    .await?;
    let g = store.group_row_id(t, "g7").await?;
    report("members: group=g7", || {
        store.member_page(
            t,
            MemberFilter {
                group: g,
                ..Default::default()
            },
            page,
        )
    })
    .await?;
    report("clients: first page", || store.client_page(t, None, page)).await?;
    report("groups: all with effective rooms", || {
        store.group_overviews(t)
    })
    .await?;
    Ok(())
}

async fn report<T, F, Fut>(name: &str, run: F) -> Result<(), Box<dyn std::error::Error>>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = renkei_store::Result<T>>,
{
    run().await?; // warm the caches
    let mut took: Vec<Duration> = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let t = Instant::now();
        run().await?;
        took.push(t.elapsed());
    }
    took.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{name:<34} median {:>7.2} ms   max {:>7.2} ms",
        ms(took[RUNS / 2]),
        ms(took[RUNS - 1])
    );
    Ok(())
}

async fn fresh_postgres(admin: &str) -> Result<String, Box<dyn std::error::Error>> {
    let mut conn = sqlx::PgConnection::connect(admin).await?;
    let name = format!("renkei_console_{:08x}", rand::random::<u32>());
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await?;
    let base = admin.rsplit_once('/').map_or(admin, |(b, _)| b);
    Ok(format!("{base}/{name}"))
}

const BASE_MS: i64 = 1_700_000_000_000;

/// Rows in bulk, as the API would have written them (one event every 30 s).
async fn fill(pool: &AnyPool, tenant: i64) -> Result<(), Box<dyn std::error::Error>> {
    let now = BASE_MS;
    let mut tx = pool.begin().await?;
    sqlx::query("INSERT INTO connections (tenant_id, provider, owner_kind, status, room, created_at, updated_at, kind) VALUES ($1, 'chatwork', 'tenant', 'connected', '100', $2, $2, 'token'), ($1, 'slack', 'tenant', 'connected', 'C0GENERAL', $2, $2, 'bot')")
        .bind(tenant).bind(now).execute(&mut *tx).await?;
    let mut rows = Vec::new();
    for c in 0..CLIENTS {
        rows.push(format!(
            "({tenant}, 'c{c}', 'Client {c}', '{{\"chatwork\":\"{}\"}}', {now}, {now})",
            1000 + c
        ));
    }
    insert(
        &mut tx,
        "clients (tenant_id, external_id, name, rooms, created_at, updated_at)",
        &rows,
    )
    .await?;
    rows.clear();
    for g in 0..GROUPS {
        let room = if g % 3 == 0 {
            format!("{{\"chatwork\":\"{}\"}}", 2000 + g)
        } else {
            "{}".into()
        };
        rows.push(format!(
            "({tenant}, 'g{g}', '部署 {g}', '{room}', {now}, {now})"
        ));
    }
    insert(
        &mut tx,
        "tenant_groups (tenant_id, external_id, name, rooms, created_at, updated_at)",
        &rows,
    )
    .await?;
    // A tree: every group below the one a tenth its number.
    sqlx::query("UPDATE tenant_groups SET parent_id = (SELECT p.id FROM tenant_groups p WHERE p.tenant_id = tenant_groups.tenant_id AND p.external_id = 'g' || CAST(CAST(SUBSTR(tenant_groups.external_id, 2) AS INTEGER) / 10 AS TEXT)) WHERE tenant_id = $1 AND external_id <> 'g0' AND CAST(SUBSTR(external_id, 2) AS INTEGER) >= 10")
        .bind(tenant).execute(&mut *tx).await?;
    let first_client: i64 = sqlx::query_scalar("SELECT MIN(id) FROM clients WHERE tenant_id = $1")
        .bind(tenant)
        .fetch_one(&mut *tx)
        .await?;
    let first_group: i64 =
        sqlx::query_scalar("SELECT MIN(id) FROM tenant_groups WHERE tenant_id = $1")
            .bind(tenant)
            .fetch_one(&mut *tx)
            .await?;
    rows.clear();
    for m in 0..MEMBERS {
        let ids = if m % 10 < 7 {
            format!("{{\"chatwork\":\"{}\"}}", 100_000 + m)
        } else {
            "{}".into()
        };
        let client = if m % 3 == 0 {
            (first_client + m % CLIENTS).to_string()
        } else {
            "NULL".into()
        };
        rows.push(format!(
            "({tenant}, 'm{m}', '山田 {m}', 'm{m}@example.jp', {client}, '{ids}', {now}, {now})"
        ));
    }
    insert(&mut tx, "members (tenant_id, external_id, name, email, client_id, identities, created_at, updated_at)", &rows).await?;
    let first_member: i64 = sqlx::query_scalar("SELECT MIN(id) FROM members WHERE tenant_id = $1")
        .bind(tenant)
        .fetch_one(&mut *tx)
        .await?;
    rows.clear();
    for m in 0..MEMBERS {
        rows.push(format!(
            "({}, {}, 0)",
            first_member + m,
            first_group + m % GROUPS
        ));
    }
    insert(
        &mut tx,
        "member_groups (member_id, group_id, position)",
        &rows,
    )
    .await?;
    tx.commit().await?;

    // Events: one every 30 s; 1 to 3 deliveries each, mostly delivered.
    for chunk in 0..(EVENTS / 2_000) {
        let mut tx = pool.begin().await?;
        let mut events = Vec::new();
        let mut deliveries = Vec::new();
        for i in chunk * 2_000..(chunk + 1) * 2_000 {
            let at = now + i * 30_000;
            events.push(format!(
                "({tenant}, 't{}', '{{}}', 'notice {i}', '', {at})",
                i % 7
            ));
            let n = 1 + i % 3;
            for k in 0..n {
                let target = match (i + k) % 3 {
                    0 => format!("member:m{}", (i * 7 + k) % MEMBERS),
                    1 => format!("client:c{}", (i + k) % CLIENTS),
                    _ => format!("group:g{}", (i + k) % GROUPS),
                };
                let status = match (i * 31 + k) % 1000 {
                    0..=9 => "failed",
                    10..=14 => "skipped",
                    15 => "pending",
                    _ => "delivered",
                };
                let provider = if (i + k) % 50 == 0 {
                    "slack"
                } else {
                    "chatwork"
                };
                deliveries.push((i, format!("'{target}', '{provider}', '{status}', {at}")));
            }
        }
        insert(
            &mut tx,
            "events (tenant_id, type, targets, title, body, created_at)",
            &events,
        )
        .await?;
        let first_event: i64 = sqlx::query_scalar("SELECT MAX(id) FROM events")
            .fetch_one(&mut *tx)
            .await?;
        let first_event = first_event - 1_999;
        let rows: Vec<String> = deliveries
            .iter()
            .map(|(i, rest)| {
                format!(
                    "({tenant}, {}, {rest}, {rest_at})",
                    first_event + i - chunk * 2_000,
                    rest_at = now
                )
            })
            .collect();
        insert(
            &mut tx,
            "deliveries (tenant_id, event_id, target, provider, status, created_at, updated_at)",
            &rows,
        )
        .await?;
        tx.commit().await?;
    }
    // Fan-outs: a notice to every member, spread over the month.
    for f in 0..FAN_OUTS {
        let mut tx = pool.begin().await?;
        let at = now + (f + 1) * EVENTS / (FAN_OUTS + 1) * 30_000;
        let id: i64 = sqlx::query_scalar("INSERT INTO events (tenant_id, type, targets, title, body, created_at) VALUES ($1, 'all', '{}', 'to everyone', '', $2) RETURNING id")
            .bind(tenant).bind(at).fetch_one(&mut *tx).await?;
        let rows: Vec<String> = (0..MEMBERS)
            .map(|m| {
                format!(
                    "({tenant}, {id}, 'member:m{m}', 'chatwork', '{}', {at}, {at})",
                    if m % 500 == 0 { "failed" } else { "delivered" }
                )
            })
            .collect();
        insert(
            &mut tx,
            "deliveries (tenant_id, event_id, target, provider, status, created_at, updated_at)",
            &rows,
        )
        .await?;
        tx.commit().await?;
    }
    Ok(())
}

async fn insert(
    tx: &mut sqlx::AnyConnection,
    into: &str,
    rows: &[String],
) -> Result<(), sqlx::Error> {
    for chunk in rows.chunks(1_000) {
        sqlx::query(&format!("INSERT INTO {into} VALUES {}", chunk.join(",")))
            .execute(&mut *tx)
            .await?;
    }
    Ok(())
}
