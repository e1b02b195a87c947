//! The `renkei` command line as a user runs it.

use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;

use crate::durability::{create_tenant_with_cli, free_port, renkei, wait_healthy, Proc};

/// `renkei serve` with nothing configured: SQLite and a master key under ./renkei-data/.
#[tokio::test]
async fn serve_starts_with_zero_configuration() {
    let cwd = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut cmd = renkei(&[]);
    cmd.current_dir(cwd.path())
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")]);
    for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("RENKEI_")) {
        cmd.env_remove(k);
    }
    let _node = Proc(
        cmd.stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_healthy(port).await;
    let data = cwd.path().join("renkei-data");
    assert!(data.join("renkei.db").exists());
    assert!(data.join("secret.key").exists());
    let doc: Value = reqwest::get(format!("http://127.0.0.1:{port}/api/openapi.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["info"]["title"], "renkei");
}

/// `renkei migrate` prepares a database that `tenant create` can then use.
#[tokio::test]
async fn migrate_then_tenant_create() {
    let dir = tempfile::tempdir().unwrap();
    let env = vec![("RENKEI_DATA_DIR", dir.path().display().to_string())];
    let out = renkei(&env).arg("migrate").output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("migrations applied"));
    let key = create_tenant_with_cli(&env);
    assert!(key.starts_with("rk_") && key.len() > 40, "{key}");
    // A bad database URL is a clear error, not a panic.
    // In the test's data directory: the master key is made before the URL is read.
    let bad_url = [
        env[0].clone(),
        ("RENKEI_DATABASE_URL", "mysql://nope".to_string()),
    ];
    let out = renkei(&bad_url).arg("migrate").output().unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("unsupported database URL"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `renkei fake chatwork` serves the demo world of the README's quick start.
#[tokio::test]
async fn fake_chatwork_command_serves_the_demo_world() {
    let port = free_port();
    let mut cmd = renkei(&[]);
    cmd.args(["fake", "chatwork", "--listen", &format!("127.0.0.1:{port}")]);
    let _fake = Proc(
        cmd.stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let http = reqwest::Client::new();
    let me_url = format!("http://127.0.0.1:{port}/v2/me");
    crate::helpers::eventually(Duration::from_secs(20), "fake up", async || {
        http.get(&me_url).send().await.is_ok()
    })
    .await;
    let me: Value = http
        .get(&me_url)
        .header("X-ChatWorkToken", "demo-token-0001")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["account_id"], 1001);
    let resp = http
        .get(&me_url)
        .header("X-ChatWorkToken", "wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    assert_eq!(
        resp.text().await.unwrap(),
        r#"{"errors":["Invalid API token"]}"#
    );
}

/// `renkei fake <provider>` serves every other fake too, each with its demo world.
#[tokio::test]
async fn fake_command_serves_every_provider() {
    let http = reqwest::Client::new();
    for provider in ["slack", "teams", "google-chat", "line-works", "line"] {
        let port = free_port();
        let mut cmd = renkei(&[]);
        cmd.args(["fake", provider, "--listen", &format!("127.0.0.1:{port}")]);
        let _fake = Proc(
            cmd.stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap(),
        );
        let log_url = format!("http://127.0.0.1:{port}/_fake/requests");
        crate::helpers::eventually(Duration::from_secs(20), "fake up", async || {
            http.get(&log_url).send().await.is_ok()
        })
        .await;
        if provider == "slack" {
            // The demo bot token is accepted, a wrong one is refused the Slack way.
            let ok: Value = http
                .post(format!("http://127.0.0.1:{port}/api/auth.test"))
                .bearer_auth(renkei_fakes::slack::DEMO_BOT_TOKEN)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            assert_eq!(ok["ok"], true, "{ok}");
            let bad: Value = http
                .post(format!("http://127.0.0.1:{port}/api/auth.test"))
                .bearer_auth("xoxb-wrong")
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            assert_eq!(bad["error"], "invalid_auth", "{bad}");
        }
        let log: Value = http
            .get(&log_url)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(log.is_array(), "{provider}: {log}");
    }
}
