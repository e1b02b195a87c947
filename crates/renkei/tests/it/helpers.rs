//! One helper starts a real node (HTTP API + workers) on port 0 with a fresh database,
//! against a fake Chatwork whose time windows are scaled down so tests run fast.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use renkei::node::Node;
use renkei::settings::Settings;
use renkei_fakes::chatwork::{FakeChatwork, FakeChatworkConfig, RunningFakeChatwork};
use reqwest::StatusCode;
use serde_json::{json, Value};
use sqlx::Connection;

/// Rate-limit windows in tests: Chatwork's 5 min / 10 s become 3 s / 100 ms.
pub const SCALE: f64 = 0.01;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub fn admin_pg_url() -> String {
    std::env::var("RENKEI_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// Records that the running test did not run because PostgreSQL is unreachable: a line
/// `SKIPPED(postgres): <test>` on stdout and, so `scripts/test` can count skips without
/// `--nocapture`, appended to the file named by `RENKEI_SKIP_LOG`.
pub fn report_postgres_skip(why: &str) {
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

/// A fresh database for one test. `None` (after [`report_postgres_skip`]) when PostgreSQL is not
/// reachable outside CI; under `CI=true` a missing PostgreSQL fails the test.
pub async fn fresh_database(backend: Backend, dir: &std::path::Path) -> Option<String> {
    match backend {
        Backend::Sqlite => Some(format!("sqlite://{}", dir.join("renkei.db").display())),
        Backend::Postgres => {
            let admin = admin_pg_url();
            let mut conn = match sqlx::PgConnection::connect(&admin).await {
                Ok(c) => c,
                Err(e) => {
                    if std::env::var("CI").is_ok_and(|v| v == "true") {
                        panic!("CI=true but PostgreSQL is not reachable at {admin}: {e}");
                    }
                    report_postgres_skip(&format!("PostgreSQL not reachable at {admin}: {e}"));
                    return None;
                }
            };
            let name = format!(
                "renkei_t_{}_{}_{:04x}",
                std::process::id(),
                COUNTER.fetch_add(1, Ordering::Relaxed),
                rand::random::<u16>()
            );
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut conn)
                .await
                .expect("create test database");
            let mut url = url::Url::parse(&admin).expect("admin URL");
            url.set_path(&name);
            Some(url.to_string())
        }
    }
}

pub struct TestApp {
    pub node: Option<Node>,
    pub fake: RunningFakeChatwork,
    /// Slack, Teams, Google Chat, LINE WORKS and LINE.
    pub fakes: crate::fakes::Fakes,
    pub http: reqwest::Client,
    pub key: String,
    pub settings: Settings,
    pub dir: tempfile::TempDir,
}

pub fn test_settings(db_url: String, dir: &std::path::Path, fake_url: &str) -> Settings {
    Settings {
        listen: "127.0.0.1:0".parse().unwrap(),
        data_dir: dir.to_path_buf(),
        database_url: Some(db_url),
        chatwork_api_url: fake_url.to_string(),
        rate_window_scale: SCALE,
        retry_initial_ms: 50,
        retry_max_delay_ms: 200,
        retry_give_up_secs: 30,
        provider_timeout_ms: 2_000,
        lease_ttl_ms: 3_000,
        allow_private_targets: true,
        scan_interval_ms: 100,
        ..Settings::default()
    }
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> Option<TestApp> {
        Self::spawn_with(backend, |_| {}).await
    }

    pub async fn spawn_with(
        backend: Backend,
        tweak: impl FnOnce(&mut Settings),
    ) -> Option<TestApp> {
        let dir = tempfile::tempdir().unwrap();
        let db = fresh_database(backend, dir.path()).await?;
        let mut settings = test_settings(db, dir.path(), "set below");
        tweak(&mut settings);
        // The fake keeps the same (scaled) time as renkei's limiter.
        let scale = if settings.rate_window_scale > 0.0 {
            settings.rate_window_scale
        } else {
            1.0
        };
        let fake = FakeChatwork::spawn(FakeChatworkConfig::default().scaled(scale))
            .await
            .unwrap();
        settings.chatwork_api_url = fake.base_url();
        settings.chatwork_oauth_url = fake.oauth_url();
        settings.chatwork_login_url = fake.login_url();
        let fakes = crate::fakes::Fakes::start(scale, &mut settings).await;
        let node = Node::start(&settings).await.expect("node starts");
        let (_, key) = node.store.create_tenant("Test office").await.unwrap();
        Some(TestApp {
            node: Some(node),
            fake,
            fakes,
            http: reqwest::Client::new(),
            key,
            settings,
            dir,
        })
    }

    pub fn node(&self) -> &Node {
        self.node.as_ref().expect("node running")
    }

    /// A pool of the test's own on the node's database: to read what the API does not
    /// show, or to put it into states only a crash or a race produces.
    pub async fn raw_pool(&self) -> sqlx::AnyPool {
        sqlx::any::install_default_drivers();
        sqlx::AnyPool::connect(self.settings.database_url.as_deref().expect("database URL"))
            .await
            .expect("connect to the test database")
    }

    pub fn fake(&self) -> &FakeChatwork {
        &self.fake.fake
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.node().url())
    }

    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
        key: &str,
    ) -> (StatusCode, Value) {
        let mut req = self.http.request(method, self.url(path)).bearer_auth(key);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("request");
        let status = resp.status();
        let text = resp.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.call(reqwest::Method::GET, path, None, &self.key).await
    }
    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(reqwest::Method::POST, path, Some(body), &self.key)
            .await
    }
    pub async fn put(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(reqwest::Method::PUT, path, Some(body), &self.key)
            .await
    }
    pub async fn delete(&self, path: &str) -> (StatusCode, Value) {
        self.call(reqwest::Method::DELETE, path, None, &self.key)
            .await
    }

    /// A Chatwork account in the fake, and a connection to it owned as given.
    pub async fn connect(
        &self,
        token: &str,
        account_id: i64,
        owner: Value,
        room: Option<&str>,
    ) -> Value {
        self.fake()
            .add_account(token, account_id, &format!("account {account_id}"));
        let mut body =
            json!({"provider": "chatwork", "owner": owner, "credentials": {"api_token": token}});
        if let Some(r) = room {
            body["room"] = json!(r);
        }
        let (status, conn) = self.post("/api/v1/connections", body).await;
        assert_eq!(status, StatusCode::CREATED, "{conn}");
        conn
    }

    pub async fn send(&self, body: Value) -> i64 {
        let (status, ev) = self.post("/api/v1/events", body).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{ev}");
        ev["id"].as_i64().unwrap()
    }

    /// Waits until no delivery of the event is pending, and returns the event.
    pub async fn settled(&self, id: i64) -> Value {
        self.wait_event(id, Duration::from_secs(20), |ev| {
            ev["deliveries"]
                .as_array()
                .unwrap()
                .iter()
                .all(|d| d["status"] != "pending")
        })
        .await
    }

    pub async fn wait_event(
        &self,
        id: i64,
        limit: Duration,
        done: impl Fn(&Value) -> bool,
    ) -> Value {
        let start = Instant::now();
        loop {
            let (status, ev) = self.get(&format!("/api/v1/events/{id}")).await;
            assert_eq!(status, StatusCode::OK, "{ev}");
            if done(&ev) {
                return ev;
            }
            assert!(
                start.elapsed() < limit,
                "event {id} did not settle in {limit:?}: {ev:#}"
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    pub async fn shutdown(&mut self) {
        if let Some(n) = self.node.take() {
            n.shutdown().await;
        }
    }
}

/// Polls `check` until it holds or `limit` passes.
pub async fn eventually(limit: Duration, what: &str, mut check: impl AsyncFnMut() -> bool) {
    let start = Instant::now();
    while !check().await {
        assert!(
            start.elapsed() < limit,
            "timed out after {limit:?} waiting for: {what}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Waits for a positive sign that a node has done everything it was going to: no lane
/// running (every send of a lane is recorded before it ends), and a whole scan for work
/// since then that started none. "Nothing more was sent" checks wait for this instead of
/// sleeping.
pub async fn node_idle(dispatcher: &renkei_worker::Dispatcher) {
    let stats = dispatcher.stats();
    let load = |c: &std::sync::atomic::AtomicU64| c.load(Ordering::SeqCst);
    eventually(Duration::from_secs(20), "the node idle", async || {
        let started = load(&stats.lanes_started);
        if load(&stats.lanes_finished) != started {
            return false;
        }
        // The scan counter moves as a scan begins: two moves span one whole scan.
        let scans = load(&stats.scans);
        eventually(
            Duration::from_secs(5),
            "a whole scan for work",
            async || load(&stats.scans) >= scans + 2,
        )
        .await;
        load(&stats.lanes_started) == started && load(&stats.lanes_finished) == started
    })
    .await;
}

/// The My Chat room a connection posts to when it has no room of its own.
pub fn my_chat(conn: &Value) -> i64 {
    conn["default_room"]
        .as_str()
        .expect("default_room")
        .parse()
        .expect("numeric room")
}

/// The event's delivery for one target (e.g. `client:a`).
pub fn delivery_for(ev: &Value, target: &str) -> Value {
    ev["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["target"] == target)
        .unwrap_or_else(|| panic!("no delivery for {target}: {ev:#}"))
        .clone()
}

pub fn statuses(ev: &Value) -> Vec<String> {
    ev["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["status"].as_str().unwrap().to_string())
        .collect()
}

/// Runs each listed `async fn name(backend)` as two tests: `sqlite::name` and `postgres::name`.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name($crate::helpers::Backend::Sqlite).await })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name($crate::helpers::Backend::Postgres).await })*
        }
    };
}
