//! One SQLite database, one node: a second node on the same file refuses to start and leaves
//! the first one's lanes alone.

use std::process::Stdio;
use std::time::Duration;

use renkei::node::Node;
use serde_json::json;
use sqlx::Row;

use crate::durability::{free_port, renkei, wait_healthy, Proc};
use crate::helpers::{eventually, my_chat, Backend, TestApp};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_node_on_one_sqlite_database_refuses_to_start_and_takes_nothing() {
    let app = TestApp::spawn(Backend::Sqlite).await.expect("SQLite");
    let conn = app
        .connect("office", 10, json!({"tenant": true}), None)
        .await;
    let room = my_chat(&conn);
    // A backlog the first node is busy sending: its lane lease is live.
    app.fake().set_delay(Duration::from_millis(50));
    for i in 0..20 {
        app.send(json!({"type": "t", "to": {"tenant": true}, "title": format!("n{i}")}))
            .await;
    }
    let pool = app.raw_pool().await;
    let lease_of = async || -> Option<String> {
        sqlx::query("SELECT node_id FROM lane_leases")
            .fetch_optional(&pool)
            .await
            .unwrap()
            .map(|r| r.get::<String, _>(0))
    };
    eventually(
        Duration::from_secs(10),
        "the first node's lease",
        async || lease_of().await.is_some(),
    )
    .await;
    let first_owner = lease_of().await;

    let mut second = app.settings.clone();
    second.node_id = Some("intruder".into());
    let err = Node::start(&second)
        .await
        .err()
        .expect("a second node on the same SQLite file must not start");
    let text = format!("{err:#}");
    assert!(text.contains("already serving"), "{text}");
    assert!(text.contains("PostgreSQL"), "{text}");
    // The lease is untouched, and every notice arrives exactly once, in order.
    assert_eq!(lease_of().await, first_owner);
    eventually(Duration::from_secs(20), "the backlog sent", async || {
        app.fake().messages(room).len() >= 20
    })
    .await;
    let bodies: Vec<String> = app
        .fake()
        .messages(room)
        .iter()
        .map(|m| m.body.clone())
        .collect();
    assert_eq!(bodies.len(), 20, "sent twice: {bodies:?}");
    for (i, b) in bodies.iter().enumerate() {
        assert!(
            b.contains(&format!("n{i}")),
            "out of order at {i}: {bodies:?}"
        );
    }
}

/// The binary as an operator runs it: the second `renkei serve` on one data directory exits
/// with the reason, and the data directory and database files are the owner's only.
#[tokio::test]
async fn second_serve_on_one_data_directory_exits_with_the_reason() {
    let cwd = tempfile::tempdir().unwrap();
    let serve = |port: u16| {
        let mut cmd = renkei(&[]);
        cmd.current_dir(cwd.path())
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")]);
        for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("RENKEI_")) {
            cmd.env_remove(k);
        }
        cmd
    };
    let port = free_port();
    let _first = Proc(
        serve(port)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_healthy(port).await;
    // It must exit on its own; one that keeps running is killed and reported.
    let mut second = Proc(
        serve(free_port())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = second.0.try_wait().unwrap() {
            break status;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the second node started and kept running"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(second.0.stderr.as_mut().unwrap(), &mut stderr).unwrap();
    assert!(!status.success(), "the second node started: {stderr}");
    assert!(stderr.contains("already serving"), "{stderr}");
    assert!(stderr.contains("RENKEI_DATABASE_URL=postgres"), "{stderr}");
    // The first node still answers.
    wait_healthy(port).await;

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let data = cwd.path().join("renkei-data");
        assert_eq!(mode(&data), 0o700, "data directory");
        for f in ["renkei.db", "renkei.db-wal", "secret.key", "renkei.db.lock"] {
            assert_eq!(mode(&data.join(f)), 0o600, "{f}");
        }
    }
}
