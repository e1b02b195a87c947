//! `renkei demo`, the real binary: it comes up on a free port with the seeded tenant (checked
//! through the API with the key it prints), exactly one delivery fails, Ctrl-C/SIGTERM stops
//! it and removes its temporary data, a second run on a kept `--data-dir` reuses the tenant,
//! and a busy port is refused with the way out.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::durability::{renkei, Proc};
use crate::helpers::eventually;

const CLIENTS: [&str; 8] = [
    "c-sakura",
    "c-midori",
    "c-aoba",
    "c-hikari",
    "c-tsubasa",
    "c-komorebi",
    "c-hayate",
    "c-minato",
];
const GROUPS: [&str; 8] = [
    "honsha",
    "somu",
    "jinji",
    "romu",
    "tetsuzuki",
    "kyuyo",
    "osaka",
    "soudan",
];

/// A running demo and what its banner said.
struct Demo {
    proc: Proc,
    output: Vec<String>,
    base: String,
    key: String,
    data_dir: PathBuf,
}

impl Demo {
    /// Starts `renkei demo ARGS` and waits for its ready line.
    fn start(args: &[&str]) -> Demo {
        let mut cmd = renkei(&[("RENKEI_LOG", "error".into())]);
        cmd.arg("demo")
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        let mut child = cmd.spawn().expect("start renkei demo");
        let stdout = child.stdout.take().unwrap();
        let proc = Proc(child);
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            // Reads to the end even when nobody listens any more: a closed pipe would
            // fail the demo's own output.
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut output = Vec::new();
        let base = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = rx.recv_timeout(left).unwrap_or_else(|_| {
                panic!(
                    "no ready line within 30 s; output so far:\n{}",
                    output.join("\n")
                )
            });
            output.push(line.clone());
            if let Some(url) = line.strip_prefix("ready: ") {
                break url.trim().to_string();
            }
        };
        // The lines after `ready:` (key, console, stop) follow at once.
        while !output.iter().any(|l| l.trim_start().starts_with("stop:")) {
            output.push(rx.recv_timeout(Duration::from_secs(5)).expect("banner"));
        }
        let field = |prefix: &str| {
            output
                .iter()
                .find_map(|l| l.trim_start().strip_prefix(prefix))
                .map(|rest| rest.split_whitespace().next().unwrap_or("").to_string())
                .unwrap_or_else(|| panic!("no `{prefix}` line in:\n{}", output.join("\n")))
        };
        let key = field("API key:");
        let data_dir = PathBuf::from(field("data:"));
        Demo {
            proc,
            output,
            base,
            key,
            data_dir,
        }
    }

    fn said(&self, text: &str) -> bool {
        self.output.iter().any(|l| l.contains(text))
    }

    async fn get(&self, path: &str) -> (StatusCode, Value) {
        let resp = reqwest::Client::new()
            .get(format!("{}/api/v1{path}", self.base))
            .bearer_auth(&self.key)
            .send()
            .await
            .unwrap();
        let status = resp.status();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        let resp = reqwest::Client::new()
            .post(format!("{}/api/v1{path}", self.base))
            .bearer_auth(&self.key)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = resp.status();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    /// Every event of the tenant. The demo's database holds only its tenant, whose events
    /// are numbered from 1, so this walks the IDs until the first unknown one.
    async fn events(&self) -> Vec<Value> {
        let mut out = Vec::new();
        for id in 1.. {
            match self.get(&format!("/events/{id}")).await {
                (StatusCode::OK, ev) => out.push(ev),
                (StatusCode::NOT_FOUND, _) => break,
                (s, body) => panic!("GET /events/{id}: {s} {body}"),
            }
        }
        out
    }

    /// SIGTERM (what Ctrl-C does for a person) and a clean exit.
    fn stop(mut self) {
        let pid = self.proc.0.id().to_string();
        assert!(Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success());
        let status = self.proc.0.wait().unwrap();
        assert!(status.success(), "renkei demo exited with {status}");
    }

    /// The event the banner says fails on purpose.
    fn failing_event(&self) -> i64 {
        self.output
            .iter()
            .find_map(|l| l.split("(event ").nth(1)?.split(':').next()?.parse().ok())
            .unwrap_or_else(|| panic!("no failing event in:\n{}", self.output.join("\n")))
    }
}

fn deliveries_with_status<'a>(events: &'a [Value], status: &str) -> Vec<&'a Value> {
    events
        .iter()
        .flat_map(|e| e["deliveries"].as_array().unwrap())
        .filter(|d| d["status"] == status)
        .collect()
}

/// The tenant the product would see: clients, the group tree, members with identities and
/// the self-mention warning, the office's connections, and the event history.
async fn seeded_world_is_there(demo: &Demo) {
    let (s, conns) = demo.get("/connections").await;
    assert_eq!(s, StatusCode::OK, "{conns}");
    let conns = conns.as_array().unwrap();
    assert_eq!(conns.len(), 8, "{conns:?}");
    assert!(
        conns.iter().all(|c| c["status"] == "connected"),
        "{conns:?}"
    );
    let providers: std::collections::HashSet<_> = conns
        .iter()
        .map(|c| c["provider"].as_str().unwrap())
        .collect();
    assert_eq!(providers.len(), 6, "every tool is connected: {providers:?}");

    for ext in (1..=24)
        .map(|n| format!("s{n:02}"))
        .chain((1..=16).map(|n| format!("k{n:02}")))
    {
        let (s, m) = demo.get(&format!("/members/{ext}")).await;
        assert_eq!(s, StatusCode::OK, "member {ext}: {m}");
    }
    let (_, owner) = demo.get("/members/s01").await;
    assert_eq!(owner["warnings"].as_array().unwrap().len(), 1, "{owner}");
    let (_, no_tools) = demo.get("/members/k10").await;
    assert_eq!(no_tools["identities"], json!({}), "{no_tools}");

    // Clients and groups have no list call yet: a route preview names each one, and an
    // unknown one would come back as `unknown_client` / `unknown_group`.
    let (s, p) = demo
        .post(
            "/route-preview",
            json!({"type": "notice.published", "title": "確認",
                   "to": {"clients": CLIENTS, "groups": GROUPS}}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{p}");
    let codes: Vec<&str> = p["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|d| d["reason_code"].as_str())
        .collect();
    assert!(
        !codes.contains(&"unknown_client") && !codes.contains(&"unknown_group"),
        "{p:#}"
    );
    // 開発一課-style inheritance: 手続き課 has no room and posts into 労務管理部's.
    let (s, p) = demo
        .post(
            "/route-preview",
            json!({"type": "notice.published", "title": "確認", "to": {"groups": ["tetsuzuki"]}}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{p}");
    let chatwork = p["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["provider"] == "chatwork")
        .cloned()
        .unwrap_or_default();
    assert_eq!(chatwork["destination"]["room"], "7202", "{p:#}");
}

#[tokio::test]
async fn demo_comes_up_seeded_with_one_failed_delivery_and_cleans_up() {
    let demo = Demo::start(&["--listen", "127.0.0.1:0"]);
    assert!(demo.data_dir.exists(), "{}", demo.data_dir.display());
    assert!(
        demo.said("console") && demo.said("Ctrl-C"),
        "{:#?}",
        demo.output
    );
    seeded_world_is_there(&demo).await;
    // The printed console link opens the demo tenant's console.
    let link = demo
        .output
        .iter()
        .find_map(|l| l.trim_start().strip_prefix("console:"))
        .and_then(|rest| rest.split_whitespace().next())
        .expect("a console line")
        .to_string();
    let entered = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(&link)
        .send()
        .await
        .unwrap();
    assert_eq!(entered.status(), StatusCode::SEE_OTHER, "{link}");
    assert_eq!(entered.headers()["location"], "/console");

    // The one failure is the client room without the office's account; it fails at once
    // (403 is final), while the rest is delivered or waits its turn.
    let failing = demo.failing_event();
    eventually(
        Duration::from_secs(15),
        "the demo's failing delivery has failed",
        async || {
            let (_, ev) = demo.get(&format!("/events/{failing}")).await;
            ev["deliveries"]
                .as_array()
                .is_some_and(|d| d.iter().any(|d| d["status"] == "failed"))
        },
    )
    .await;
    let events = demo.events().await;
    assert!(
        events.len() >= 250,
        "a few hundred events: {}",
        events.len()
    );
    let failed = deliveries_with_status(&events, "failed");
    assert_eq!(failed.len(), 1, "{failed:#?}");
    assert_eq!(failed[0]["target"], "client:c-minato");
    assert_eq!(failed[0]["reason_code"], "destination_refused");
    assert!(deliveries_with_status(&events, "delivered").len() >= 50);
    let types: std::collections::HashSet<_> =
        events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(types.len(), 7, "{types:?}");

    let dir = demo.data_dir.clone();
    demo.stop();
    assert!(
        !dir.exists(),
        "the temporary data {} was removed",
        dir.display()
    );
}

#[tokio::test]
async fn a_second_run_on_a_kept_data_dir_reuses_the_tenant() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("demo-data");
    let data_arg = data.to_str().unwrap();
    let first = Demo::start(&["--listen", "127.0.0.1:0", "--data-dir", data_arg]);
    assert!(first.said("seeding"), "{:#?}", first.output);
    let key = first.key.clone();
    let count = first.events().await.len();
    first.stop();
    assert!(data.join("renkei.db").exists());

    let second = Demo::start(&["--listen", "127.0.0.1:0", "--data-dir", data_arg]);
    assert!(second.said("already seeded"), "{:#?}", second.output);
    assert_eq!(second.key, key, "the same tenant and key");
    seeded_world_is_there(&second).await;
    assert_eq!(second.events().await.len(), count, "nothing seeded twice");
    second.stop();
    assert!(data.join("renkei.db").exists(), "a kept directory stays");
}

#[test]
fn a_busy_port_is_refused_with_the_way_out() {
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = busy.local_addr().unwrap().to_string();
    let out = renkei(&[])
        .args(["demo", "--listen", &addr])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("already in use"), "{err}");
    assert!(err.contains("--listen 127.0.0.1:0"), "{err}");
}
