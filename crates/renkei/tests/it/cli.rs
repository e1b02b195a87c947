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

/// The operator's tenant commands: create prints a console link, list shows tenants,
/// console-link mints a fresh single-use link, rotate-key retires the old key on a running
/// node (within its 10 s key cache).
#[tokio::test]
async fn tenant_commands_list_link_and_rotate() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let env = vec![
        ("RENKEI_DATA_DIR", dir.path().display().to_string()),
        ("RENKEI_LISTEN", format!("127.0.0.1:{port}")),
    ];
    let run = |args: &[&str]| -> Value {
        let out = renkei(&env).args(args).output().unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let created = run(&["tenant", "create", "--name", "山田社労士事務所"]);
    let console_url = created["console_url"].as_str().unwrap().to_string();
    assert!(
        console_url.starts_with(&format!("http://127.0.0.1:{port}/enter/")),
        "{created}"
    );
    let id = created["id"].as_i64().unwrap().to_string();
    let old_key = created["api_key"].as_str().unwrap().to_string();
    let listed = run(&["tenant", "list"]);
    assert_eq!(listed[0]["name"], "山田社労士事務所", "{listed}");
    assert!(
        listed[0].get("api_key").is_none(),
        "keys are never listed: {listed}"
    );

    let _node = Proc(
        renkei(&env)
            .arg("serve")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_healthy(port).await;
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let opened = no_redirects.get(&console_url).send().await.unwrap();
    assert_eq!(opened.status(), 303);
    let fresh = run(&["tenant", "console-link", "--tenant", &id]);
    let opened = no_redirects
        .get(fresh["url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(opened.status(), 303, "{fresh}");
    let out = renkei(&env)
        .args(["tenant", "console-link", "--tenant", "999"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no tenant 999"));

    let settings = |key: &str| {
        no_redirects
            .get(format!("http://127.0.0.1:{port}/api/v1/settings"))
            .bearer_auth(key.to_string())
            .send()
    };
    assert_eq!(settings(&old_key).await.unwrap().status(), 200);
    let rotated = run(&["tenant", "rotate-key", "--tenant", &id]);
    let new_key = rotated["api_key"].as_str().unwrap().to_string();
    assert_ne!(new_key, old_key);
    assert_eq!(settings(&new_key).await.unwrap().status(), 200);
    crate::helpers::eventually(
        Duration::from_secs(15),
        "the node refuses the rotated-away key",
        async || settings(&old_key).await.unwrap().status() == 401,
    )
    .await;
}
