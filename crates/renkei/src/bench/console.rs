//! `renkei bench --console`: how fast the console's pages answer in a large tenant
//! (issue 9: under 50 ms server time with 10,000 members and 100,000 events).
//!
//! The tenant gets its events through the real batch API (delivered to the fake, so the log
//! has history), its members straight into the database (the API would take minutes), and a
//! group tree and clients through the API. Each page is then fetched 30 times over loopback
//! by a browser-like client with a session cookie; the time measured at the client includes
//! HTTP, so it is an upper bound of the server's own time.

use std::time::{Duration, Instant};

use anyhow::Context;
use hdrhistogram::Histogram;
use serde_json::{json, Value};

use super::{post_batches, wait_messages, BenchArgs, NodeProc};
use renkei_fakes::chatwork::FakeChatwork;

const MEMBERS: usize = 10_000;
const GROUPS: usize = 40;
const RUNS: usize = 30;

/// The pages measured: every console page, with typical filters. `{event}` is an event ID.
const PAGES: &[&str] = &[
    "/console",
    "/console/audit",
    "/console/connections",
    "/console/clients",
    "/console/groups",
    "/console/members",
    "/console/members?q=Member%209999",
    "/console/members?missing_identity=slack",
    "/console/event-types",
    "/console/events",
    "/console/events?status=delivered",
    "/console/events?member=m4242",
    "/console/events/{event}",
    "/console/preview",
    "/console/bulk-sends/new",
    "/console/settings",
];

/// Members straight into the database, each with a Chatwork account, spread over groups.
async fn seed_members(db: &str, tenant: i64) -> anyhow::Result<()> {
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(db).await?;
    let mut tx = pool.begin().await?;
    for start in (0..MEMBERS).step_by(1000) {
        let rows: Vec<String> = (start..(start + 1000).min(MEMBERS))
            .map(|i| {
                format!(
                    "({tenant}, 'm{i}', 'Member {i}', 'm{i}@example.jp', '{{\"chatwork\":\"{}\"}}', 0, 0)",
                    100_000 + i
                )
            })
            .collect();
        sqlx::query(&format!(
            "INSERT INTO members (tenant_id, external_id, name, email, identities, created_at, updated_at) VALUES {}",
            rows.join(",")
        ))
        .execute(&mut *tx)
        .await?;
    }
    let groups: Vec<i64> =
        sqlx::query_scalar("SELECT id FROM tenant_groups WHERE tenant_id = $1 ORDER BY id")
            .bind(tenant)
            .fetch_all(&mut *tx)
            .await?;
    let members: Vec<i64> =
        sqlx::query_scalar("SELECT id FROM members WHERE tenant_id = $1 ORDER BY id")
            .bind(tenant)
            .fetch_all(&mut *tx)
            .await?;
    for chunk in members.chunks(1000) {
        let rows: Vec<String> = chunk
            .iter()
            .map(|m| format!("({m}, {}, 0)", groups[(*m as usize) % groups.len()]))
            .collect();
        sqlx::query(&format!(
            "INSERT INTO member_groups (member_id, group_id, position) VALUES {}",
            rows.join(",")
        ))
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    pool.close().await;
    Ok(())
}

/// A browser signed in to the tenant's console: the session cookie from a minted link.
async fn sign_in(http: &reqwest::Client, node: &NodeProc, key: &str) -> anyhow::Result<String> {
    let link: Value = http
        .post(format!("{}/console-links", node.base()))
        .bearer_auth(key)
        .json(&json!({}))
        .send()
        .await?
        .json()
        .await?;
    let url = link["url"].as_str().context("console link")?;
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let entered = no_redirects.get(url).send().await?;
    let cookie = entered
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .context("no session cookie")?;
    Ok(cookie.to_string())
}

pub(super) async fn run(
    http: &reqwest::Client,
    node: &NodeProc,
    fake: &FakeChatwork,
    db: &str,
    (tenant, key): (i64, &str),
    args: &BenchArgs,
) -> anyhow::Result<()> {
    let base = node.base();
    let t = Instant::now();
    for g in 0..GROUPS {
        let parent = (g > 0).then(|| format!("g{}", (g - 1) / 4));
        let mut body = json!({"name": format!("グループ{g}"), "parent": parent});
        if g % 5 == 0 {
            body["rooms"] = json!({"chatwork": (20_000 + g).to_string()});
        }
        let resp = http
            .put(format!("{base}/groups/g{g}"))
            .bearer_auth(key)
            .json(&body)
            .send()
            .await?;
        anyhow::ensure!(resp.status().is_success(), "group: {}", resp.status());
    }
    seed_members(db, tenant).await.context("seeding members")?;
    let events = args.events;
    let already = fake.all_messages().len();
    post_batches(http, &base, key, events, args.rooms, 100, "console").await?;
    wait_messages(fake, already + events, Duration::from_secs(900)).await?;
    println!(
        "seeded {MEMBERS} members, {GROUPS} groups, {events} events (delivered) in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let last_event: Value = http
        .get(format!("{base}/events?limit=1"))
        .bearer_auth(key)
        .send()
        .await?
        .json()
        .await?;
    let event_id = last_event["items"][0]["id"]
        .as_i64()
        .with_context(|| format!("GET /events?limit=1 listed no event: {last_event}"))?;

    let cookie = sign_in(http, node, key).await?;
    let origin = base.trim_end_matches("/api/v1").to_string();
    println!(
        "{:<44} {:>6} {:>9} {:>9} {:>9}",
        "page", "status", "p50 ms", "p95 ms", "max ms"
    );
    let mut worst = 0.0_f64;
    let mut failures = vec![];
    for page in PAGES {
        let path = page.replace("{event}", &event_id.to_string());
        let mut times = Histogram::<u64>::new(3)?;
        let mut status = 0;
        for _ in 0..RUNS {
            let t = Instant::now();
            let resp = http
                .get(format!("{origin}{path}"))
                .header("cookie", &cookie)
                .send()
                .await?;
            status = resp.status().as_u16();
            let _ = resp.bytes().await?;
            times.record(t.elapsed().as_micros().max(1) as u64)?;
        }
        let ms = |q: f64| times.value_at_quantile(q) as f64 / 1000.0;
        println!(
            "{path:<44} {status:>6} {:>9.1} {:>9.1} {:>9.1}",
            ms(0.5),
            ms(0.95),
            times.max() as f64 / 1000.0
        );
        if status != 200 {
            failures.push(format!("{path} answered {status}"));
        }
        worst = worst.max(ms(0.95));
    }
    println!("slowest page p95: {worst:.1} ms (goal: under 50 ms)");
    anyhow::ensure!(failures.is_empty(), "pages failed: {failures:?}");
    Ok(())
}
