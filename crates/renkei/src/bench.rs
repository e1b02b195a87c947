//! `renkei bench`: intake (single and batch), backlog drain, end-to-end throughput, latency
//! at a fixed offered load, and the node's peak memory.
//!
//! The node under test is this binary started as a child process (`renkei serve`), so its
//! peak RSS is its own; the fake Chatwork (limits off) and the load generator run in this
//! process. Everything shares the machine's cores, as a single-box deployment would.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context};
use futures::StreamExt;
use hdrhistogram::Histogram;
use renkei_fakes::chatwork::{FakeChatwork, FakeChatworkConfig};
use serde_json::{json, Value};

#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// `sqlite` (a fresh file) or `postgres` (a fresh database on --postgres-url's server).
    #[arg(long, default_value = "sqlite")]
    pub backend: String,
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/test")]
    pub postgres_url: String,
    /// Events for each throughput phase.
    #[arg(long, default_value_t = 20_000)]
    pub events: usize,
    /// Concurrent HTTP clients for the single-event intake phases.
    #[arg(long, default_value_t = 32)]
    pub concurrency: usize,
    #[arg(long, default_value_t = 100)]
    pub batch_size: usize,
    /// Rooms the events are spread over (order is kept per room, so one room is sequential).
    #[arg(long, default_value_t = 50)]
    pub rooms: usize,
    /// Offered load for the latency phase, events per second.
    #[arg(long, default_value_t = 500)]
    pub rate: u64,
    #[arg(long, default_value_t = 10)]
    pub latency_seconds: u64,
    /// Instead of the phases above: one event to this many members while another tenant
    /// keeps posting (large fan-out written in chunks).
    #[arg(long, default_value_t = 0)]
    pub fanout: usize,
    /// Instead of the phases above: fill one tenant with 10,000 members and --events events
    /// (use 100000), then time every console page.
    #[arg(long)]
    pub console: bool,
}

mod console;
mod fanout;

struct NodeProc {
    child: Child,
    port: u16,
}

impl Drop for NodeProc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl NodeProc {
    fn base(&self) -> String {
        format!("http://127.0.0.1:{}/api/v1", self.port)
    }

    /// Peak resident memory so far (VmHWM), in MiB.
    fn peak_rss_mib(&self) -> Option<f64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        let kb: f64 = status
            .lines()
            .find(|l| l.starts_with("VmHWM:"))?
            .split_whitespace()
            .nth(1)?
            .parse()
            .ok()?;
        Some(kb / 1024.0)
    }

    /// SIGTERM and wait, so the node finishes its work like a real stop.
    fn stop(mut self) {
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
    }
}

fn node_env(db: &str, dir: &Path, fake: &str) -> Vec<(&'static str, String)> {
    vec![
        ("RENKEI_DATABASE_URL", db.into()),
        ("RENKEI_DATA_DIR", dir.display().to_string()),
        ("RENKEI_CHATWORK_API_URL", fake.into()),
        ("RENKEI_RATE_WINDOW_SCALE", "0".into()),
        ("RENKEI_LOG", "warn".into()),
    ]
}

async fn start_node(env: &[(&'static str, String)], workers: bool) -> anyhow::Result<NodeProc> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let mut cmd = Command::new(std::env::current_exe()?);
    cmd.args([
        "serve",
        "--listen",
        &format!("127.0.0.1:{port}"),
        "--workers",
        &workers.to_string(),
    ]);
    cmd.envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    let node = NodeProc {
        child: cmd.spawn()?,
        port,
    };
    let start = Instant::now();
    while reqwest::get(format!("http://127.0.0.1:{port}/healthz"))
        .await
        .map(|r| r.status().is_success())
        .ok()
        != Some(true)
    {
        if start.elapsed() > Duration::from_secs(30) {
            bail!("the node did not become healthy");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(node)
}

fn now_us() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_micros())
}

fn event(i: usize, rooms: usize, tag: &str) -> Value {
    json!({"type": "bench", "to": {"clients": [format!("c{}", i % rooms)]}, "title": format!("{tag}-{i}"), "body": "ベンチマーク"})
}

async fn post_singles(
    http: &reqwest::Client,
    base: &str,
    key: &str,
    n: usize,
    rooms: usize,
    conc: usize,
    tag: &str,
) -> anyhow::Result<Duration> {
    let start = Instant::now();
    let results: Vec<anyhow::Result<()>> = futures::stream::iter(0..n)
        .map(|i| async move {
            let resp = http
                .post(format!("{base}/events"))
                .bearer_auth(key)
                .json(&event(i, rooms, tag))
                .send()
                .await?;
            anyhow::ensure!(resp.status() == 202, "intake answered {}", resp.status());
            Ok(())
        })
        .buffer_unordered(conc)
        .collect()
        .await;
    results.into_iter().collect::<anyhow::Result<Vec<()>>>()?;
    Ok(start.elapsed())
}

async fn post_batches(
    http: &reqwest::Client,
    base: &str,
    key: &str,
    n: usize,
    rooms: usize,
    size: usize,
    tag: &str,
) -> anyhow::Result<Duration> {
    let start = Instant::now();
    let batches: Vec<Vec<Value>> = (0..n)
        .map(|i| event(i, rooms, tag))
        .collect::<Vec<_>>()
        .chunks(size)
        .map(<[Value]>::to_vec)
        .collect();
    let results: Vec<anyhow::Result<()>> = futures::stream::iter(batches)
        .map(|events| async move {
            let resp = http
                .post(format!("{base}/events/batch"))
                .bearer_auth(key)
                .json(&json!({"events": events}))
                .send()
                .await?;
            anyhow::ensure!(
                resp.status() == 202,
                "batch intake answered {}",
                resp.status()
            );
            Ok(())
        })
        .buffer_unordered(4)
        .collect()
        .await;
    results.into_iter().collect::<anyhow::Result<Vec<()>>>()?;
    Ok(start.elapsed())
}

async fn wait_messages(
    fake: &FakeChatwork,
    target: usize,
    limit: Duration,
) -> anyhow::Result<Instant> {
    let start = Instant::now();
    loop {
        if fake.all_messages().len() >= target {
            return Ok(Instant::now());
        }
        if start.elapsed() > limit {
            bail!(
                "only {} of {target} messages arrived in {limit:?}",
                fake.all_messages().len()
            );
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

async fn fresh_db(args: &BenchArgs, dir: &Path) -> anyhow::Result<(String, Option<String>)> {
    match args.backend.as_str() {
        "sqlite" => Ok((format!("sqlite://{}", dir.join("bench.db").display()), None)),
        "postgres" => {
            use sqlx::Connection;
            let mut admin = sqlx::PgConnection::connect(&args.postgres_url)
                .await
                .context("cannot reach PostgreSQL")?;
            let name = format!("renkei_bench_{:08x}", rand::random::<u32>());
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut admin)
                .await?;
            let mut url = url::Url::parse(&args.postgres_url)?;
            url.set_path(&name);
            Ok((url.to_string(), Some(name)))
        }
        other => bail!("--backend must be sqlite or postgres, not {other}"),
    }
}

pub async fn run(args: BenchArgs) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let (db, pg_db) = fresh_db(&args, dir.path()).await?;
    let config = FakeChatworkConfig {
        limits_enabled: false,
        ..Default::default()
    };
    let fake = FakeChatwork::spawn(config).await?;
    let fk = &fake.fake;
    let env = node_env(&db, dir.path(), &fake.base_url());
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .build()?;
    println!(
        "renkei bench: backend {}, {} events per phase over {} rooms, {} cores",
        args.backend,
        args.events,
        args.rooms,
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );

    // Setup through the real CLI and API.
    let node = start_node(&env, args.console).await?;
    let (tenant_id, key) = cli_tenant(&env, "bench")?;
    fk.add_account("bench-token", 1, "bench");
    for r in 0..args.rooms {
        fk.add_room(10_000 + r as i64, "room", &[(1, "admin")]);
        let resp = http
            .put(format!("{}/clients/c{r}", node.base()))
            .bearer_auth(&key)
            .json(&json!({"name": "c", "rooms": {"chatwork": (10_000 + r).to_string()}}))
            .send()
            .await?;
        anyhow::ensure!(
            resp.status().is_success(),
            "client setup: {}",
            resp.status()
        );
    }
    let resp = http.post(format!("{}/connections", node.base())).bearer_auth(&key).json(&json!({"provider": "chatwork", "owner": {"tenant": true}, "credentials": {"api_token": "bench-token"}})).send().await?;
    anyhow::ensure!(resp.status() == 201, "connect: {}", resp.status());
    if args.console {
        let result = console::run(&http, &node, fk, &db, (tenant_id, &key), &args).await;
        node.stop();
        fake.stop();
        drop_pg(&args, pg_db).await?;
        return result;
    }
    if args.fanout > 0 {
        // The bench tenant (with its connection) is "another tenant"; the fan-out gets its own.
        let big = cli_tenant(&env, "fan-out")?;
        let resp = http.post(format!("{}/connections", node.base())).bearer_auth(&big.1).json(&json!({"provider": "chatwork", "owner": {"tenant": true}, "credentials": {"api_token": "bench-token"}})).send().await?;
        anyhow::ensure!(resp.status() == 201, "connect: {}", resp.status());
        node.stop();
        fanout::run(&args, &env, &db, (big.0, &big.1), &key).await?;
        fake.stop();
        return drop_pg(&args, pg_db).await;
    }

    // 1. Intake alone (API-only node), single events then batches.
    let n = args.events;
    let t = post_singles(
        &http,
        &node.base(),
        &key,
        n,
        args.rooms,
        args.concurrency,
        "single",
    )
    .await?;
    println!(
        "intake, single events ({} concurrent): {:>8.0} events/s  ({n} in {:.2} s)",
        args.concurrency,
        n as f64 / t.as_secs_f64(),
        t.as_secs_f64()
    );
    let t = post_batches(
        &http,
        &node.base(),
        &key,
        n,
        args.rooms,
        args.batch_size,
        "batch",
    )
    .await?;
    println!(
        "intake, batches of {}:              {:>8.0} events/s  ({n} in {:.2} s)",
        args.batch_size,
        n as f64 / t.as_secs_f64(),
        t.as_secs_f64()
    );
    let intake_rss = node.peak_rss_mib();
    node.stop();

    // 2. Drain the backlog of 2n deliveries with a worker node.
    let backlog = 2 * n;
    let start = Instant::now();
    let node = start_node(&env, true).await?;
    let done = wait_messages(fk, backlog, Duration::from_secs(600)).await?;
    let t = done - start;
    println!("drain backlog (limits off):           {:>8.0} deliveries/s  ({backlog} in {:.2} s, incl. start-up)", backlog as f64 / t.as_secs_f64(), t.as_secs_f64());

    // 3. End to end: intake and delivery at once, as fast as the clients can post.
    let start = Instant::now();
    post_singles(
        &http,
        &node.base(),
        &key,
        n,
        args.rooms,
        args.concurrency,
        "e2e",
    )
    .await?;
    let done = wait_messages(fk, backlog + n, Duration::from_secs(600)).await?;
    let t = done - start;
    println!(
        "end to end (post + deliver):          {:>8.0} deliveries/s  ({n} in {:.2} s)",
        n as f64 / t.as_secs_f64(),
        t.as_secs_f64()
    );

    // 4. Latency from POST to the fake's receipt at a fixed offered load (open loop).
    let total = (args.rate * args.latency_seconds) as usize;
    let before = fk.all_messages().len();
    let sent_at: Arc<parking_lot::Mutex<Vec<u128>>> =
        Arc::new(parking_lot::Mutex::new(vec![0; total]));
    let mut ticker = tokio::time::interval(Duration::from_nanos(1_000_000_000 / args.rate));
    let mut tasks = Vec::with_capacity(total);
    for i in 0..total {
        ticker.tick().await;
        let (http, base, key, sent_at, rooms) = (
            http.clone(),
            node.base(),
            key.clone(),
            sent_at.clone(),
            args.rooms,
        );
        tasks.push(tokio::spawn(async move {
            sent_at.lock()[i] = now_us();
            let r = http
                .post(format!("{base}/events"))
                .bearer_auth(&key)
                .json(&event(i, rooms, "lat"))
                .send()
                .await;
            r.map(|r| r.status() == 202).unwrap_or(false)
        }));
    }
    for t in tasks {
        anyhow::ensure!(
            t.await?,
            "an intake request failed during the latency phase"
        );
    }
    wait_messages(fk, before + total, Duration::from_secs(120)).await?;
    let sent = sent_at.lock().clone();
    let mut hist = Histogram::<u64>::new(3)?;
    for m in fk.all_messages().iter().skip(before) {
        let Some(i) = m
            .body
            .split("lat-")
            .nth(1)
            .and_then(|s| s.split("[/title]").next())
            .and_then(|s| s.parse::<usize>().ok())
        else {
            continue;
        };
        let lat_us = (m.received_at_ms * 1000).saturating_sub(sent[i]);
        hist.record(lat_us.max(1) as u64)?;
    }
    println!(
        "latency at {} events/s for {} s:      p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms  ({} samples; fake clock in ms)",
        args.rate, args.latency_seconds,
        hist.value_at_quantile(0.5) as f64 / 1000.0, hist.value_at_quantile(0.99) as f64 / 1000.0, hist.max() as f64 / 1000.0, hist.len()
    );
    let rss = node.peak_rss_mib();
    println!(
        "peak RSS of the node: intake phases {:.1} MiB, delivery phases {:.1} MiB",
        intake_rss.unwrap_or(f64::NAN),
        rss.unwrap_or(f64::NAN)
    );
    node.stop();
    fake.stop();
    drop_pg(&args, pg_db).await
}

async fn drop_pg(args: &BenchArgs, pg_db: Option<String>) -> anyhow::Result<()> {
    if let Some(name) = pg_db {
        use sqlx::Connection;
        let mut admin = sqlx::PgConnection::connect(&args.postgres_url).await?;
        sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(&mut admin)
            .await?;
    }
    Ok(())
}

/// `renkei tenant create` through the real CLI: (id, API key).
fn cli_tenant(env: &[(&'static str, String)], name: &str) -> anyhow::Result<(i64, String)> {
    let out = Command::new(std::env::current_exe()?)
        .args(["tenant", "create", "--name", name])
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .output()?;
    anyhow::ensure!(
        out.status.success(),
        "tenant create failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tenant = serde_json::from_slice::<Value>(&out.stdout)?;
    Ok((
        tenant["id"].as_i64().context("id")?,
        tenant["api_key"].as_str().context("api_key")?.to_string(),
    ))
}
