//! `renkei bench --fanout N`: one event to N members of one tenant while another tenant keeps
//! posting single events. Measures how long the large event takes to be accepted, how long
//! the other tenant waits meanwhile (the point of writing large events in chunks), and how
//! fast the large event's detail pages read.

use std::time::{Duration, Instant};

use anyhow::Context;
use hdrhistogram::Histogram;
use serde_json::{json, Value};

use super::{start_node, BenchArgs, NodeProc};

/// Members straight into the database (the API would take minutes for this many), each with
/// a Chatwork account, all in group `all`.
async fn seed_members(db: &str, tenant: i64, n: usize) -> anyhow::Result<()> {
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(db).await?;
    let group: i64 = sqlx::query_scalar(
        "SELECT id FROM tenant_groups WHERE tenant_id = $1 AND external_id = 'all'",
    )
    .bind(tenant)
    .fetch_one(&pool)
    .await?;
    let mut tx = pool.begin().await?;
    for start in (0..n).step_by(1000) {
        let rows: Vec<String> = (start..(start + 1000).min(n))
            .map(|i| {
                format!(
                    "({tenant}, 'm{i}', 'Member {i}', '{{\"chatwork\":\"{}\"}}', 0, 0)",
                    100_000 + i
                )
            })
            .collect();
        sqlx::query(&format!(
            "INSERT INTO members (tenant_id, external_id, name, identities, created_at, updated_at) VALUES {}",
            rows.join(",")
        ))
        .execute(&mut *tx)
        .await?;
    }
    sqlx::query(
        "INSERT INTO member_groups (member_id, group_id, position) SELECT id, $1, 0 FROM members WHERE tenant_id = $2",
    )
    .bind(group)
    .bind(tenant)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    pool.close().await;
    Ok(())
}

fn ms(us: u64) -> f64 {
    us as f64 / 1000.0
}

pub(super) async fn run(
    args: &BenchArgs,
    env: &[(&'static str, String)],
    db: &str,
    (tenant, big_key): (i64, &str),
    other_key: &str,
) -> anyhow::Result<()> {
    let n = args.fanout;
    let http = reqwest::Client::new();
    // API only: this measures intake, not sending. The maximum is raised to N if needed.
    let mut env = env.to_vec();
    env.push((
        "RENKEI_MAX_DELIVERIES_PER_REQUEST",
        n.max(renkei_server::DEFAULT_MAX_DELIVERIES).to_string(),
    ));
    let node: NodeProc = start_node(&env, false).await?;
    let base = node.base();
    let put = http
        .put(format!("{base}/groups/all"))
        .bearer_auth(big_key)
        .json(&json!({"name": "全社"}))
        .send()
        .await?;
    anyhow::ensure!(put.status().is_success(), "group: {}", put.status());
    seed_members(db, tenant, n)
        .await
        .context("seeding members")?;

    let started = Instant::now();
    let big = {
        let (http, base, key) = (http.clone(), base.clone(), big_key.to_string());
        tokio::spawn(async move {
            let resp = http
                .post(format!("{base}/events"))
                .bearer_auth(key)
                .json(&json!({"type": "notice", "to": {"groups": ["all"]}, "delivery": "direct", "title": "全員へ"}))
                .send()
                .await?;
            let status = resp.status();
            let body: Value = resp.json().await?;
            anyhow::ensure!(status == 202, "fan-out answered {status}: {body}");
            Ok::<Value, anyhow::Error>(body)
        })
    };
    // The other tenant posts one event every 20 ms until the large one is answered.
    let mut others = Histogram::<u64>::new(3)?;
    while !big.is_finished() {
        let t = Instant::now();
        let resp = http
            .post(format!("{base}/events"))
            .bearer_auth(other_key)
            .json(&json!({"type": "notice", "to": {"tenant": true}, "title": "別の事務所"}))
            .send()
            .await?;
        anyhow::ensure!(
            resp.status() == 202,
            "other tenant answered {}",
            resp.status()
        );
        others.record(t.elapsed().as_micros().max(1) as u64)?;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let accepted = big.await??;
    let took = started.elapsed();
    println!(
        "fan-out to {n} members: accepted in {:.2} s ({:.0} deliveries/s written)",
        took.as_secs_f64(),
        n as f64 / took.as_secs_f64()
    );
    println!(
        "another tenant meanwhile: {} events, answer p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        others.len(),
        ms(others.value_at_quantile(0.5)),
        ms(others.value_at_quantile(0.99)),
        ms(others.max())
    );
    let id = accepted["id"].as_i64().context("event id")?;
    let mut pages = Histogram::<u64>::new(3)?;
    let mut after = 0;
    let walk = Instant::now();
    loop {
        let t = Instant::now();
        let ev: Value = http
            .get(format!("{base}/events/{id}?after={after}"))
            .bearer_auth(big_key)
            .send()
            .await?
            .json()
            .await?;
        pages.record(t.elapsed().as_micros().max(1) as u64)?;
        match ev["next_deliveries_after"].as_i64() {
            Some(next) => after = next,
            None => break,
        }
    }
    println!(
        "its detail: {} pages of 1,000 in {:.2} s, a page p50 {:.1} ms, max {:.1} ms",
        pages.len(),
        walk.elapsed().as_secs_f64(),
        ms(pages.value_at_quantile(0.5)),
        ms(pages.max())
    );
    println!(
        "peak RSS of the node: {:.1} MiB",
        node.peak_rss_mib().unwrap_or(f64::NAN)
    );
    node.stop();
    Ok(())
}
