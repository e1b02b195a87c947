//! The chaos test's world: fake Chatwork and LINE, a tenant with a Chatwork connection
//! posting into client rooms and a LINE connection pushing to linked members, and the real
//! binary's environment.

use renkei_fakes::chatwork::{FakeChatwork, FakeChatworkConfig, RunningFakeChatwork};
use renkei_fakes::line::{FakeLine, FakeLineConfig, RunningFakeLine};
use serde_json::{json, Value};

use crate::durability::{renkei, Proc};
use crate::helpers::SCALE;

pub const CHATWORK_ROOMS: i64 = 8;
pub const LINE_MEMBERS: usize = 8;
const FIRST_ROOM: i64 = 9100;
const LINE_CHANNEL: &str = "1650000077";
const LINE_SECRET: &str = "77e2d3c4b5a69780f1e2d3c4b5a69877";
const LINE_TOKEN: &str = "chaos-long-lived-channel-token";
const LOGIN_CHANNEL: &str = "1650000078";
const LOGIN_SECRET: &str = "78b2c3d4e5f60718a1b2c3d4e5f60778";

pub struct Fakes {
    pub chatwork: RunningFakeChatwork,
    pub line: RunningFakeLine,
}

impl Fakes {
    pub async fn start() -> Fakes {
        let chatwork = FakeChatwork::spawn(FakeChatworkConfig::default().scaled(SCALE))
            .await
            .unwrap();
        let line = FakeLine::new(FakeLineConfig::default().scaled(SCALE))
            .start()
            .await
            .unwrap();
        let cw = &chatwork.fake;
        cw.add_account("chaos-office", 10, "事務所");
        for r in 0..CHATWORK_ROOMS {
            cw.add_room(FIRST_ROOM + r, "room", &[(10, "admin")]);
        }
        let l = &line.fake;
        l.add_channel(
            LINE_CHANNEL,
            LINE_SECRET,
            "Ubbbbbbbbbbbbbbbbbbbbbbbbbbbb0077",
            "@077chaos",
            "chaos",
        );
        l.add_long_lived_token(LINE_CHANNEL, LINE_TOKEN);
        l.add_login_channel(LOGIN_CHANNEL, LOGIN_SECRET, Some(LINE_CHANNEL), &[]);
        for m in 0..LINE_MEMBERS {
            l.add_user(&line_user(m), "member");
            l.add_friend(LINE_CHANNEL, &line_user(m));
        }
        // Answers take a moment, so sends are in flight when the node is killed. (LINE
        // accepts a push before its delay: a kill then loses the answer, not the push.)
        cw.set_delay(std::time::Duration::from_millis(5));
        l.set_delay(std::time::Duration::from_millis(5));
        Fakes { chatwork, line }
    }

    pub fn chatwork(&self) -> &FakeChatwork {
        &self.chatwork.fake
    }

    pub fn line(&self) -> &FakeLine {
        &self.line.fake
    }
}

pub fn chatwork_room(i: i64) -> i64 {
    FIRST_ROOM + i
}

pub fn line_user(i: usize) -> String {
    format!("U{:032x}", 0xc4a0_0000_u64 + i as u64)
}

/// The binary's environment: short windows, retries and leases so a run stays short.
pub fn binary_env(db: &str, dir: &std::path::Path, fakes: &Fakes) -> Vec<(&'static str, String)> {
    vec![
        ("RENKEI_DATABASE_URL", db.to_string()),
        ("RENKEI_DATA_DIR", dir.display().to_string()),
        (
            "RENKEI_SECRET_KEY",
            renkei_store::SecretBox::generate_base64(),
        ),
        ("RENKEI_CHATWORK_API_URL", fakes.chatwork.base_url()),
        ("RENKEI_LINE_API_URL", fakes.line.api_url()),
        ("RENKEI_LINE_LOGIN_URL", fakes.line.login_url()),
        ("RENKEI_RATE_WINDOW_SCALE", SCALE.to_string()),
        ("RENKEI_RETRY_INITIAL_MS", "50".into()),
        ("RENKEI_RETRY_MAX_DELAY_MS", "200".into()),
        ("RENKEI_LEASE_TTL_MS", "1500".into()),
        ("RENKEI_SCAN_INTERVAL_MS", "100".into()),
        ("RENKEI_LOG", "error".into()),
    ]
}

/// Starts `renkei serve`; its output is appended to `log` (20 restarts would flood the
/// test's output).
pub fn start_serve(env: &[(&'static str, String)], port: u16, log: &std::path::Path) -> Proc {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .unwrap();
    let mut cmd = renkei(env);
    cmd.args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .stdout(log.try_clone().unwrap())
        .stderr(log);
    Proc(cmd.spawn().expect("start renkei"))
}

/// Clients with a Chatwork room each, members linked to LINE, a direct event type, and
/// both connections. Returns the IDs of the (Chatwork, LINE) connections.
pub async fn configure_tenant(base: &str, key: &str) -> (i64, i64) {
    let http = reqwest::Client::new();
    let call = async |method: reqwest::Method, path: &str, body: Value| -> Value {
        let resp = http
            .request(method, format!("{base}/api/v1{path}"))
            .bearer_auth(key)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = resp.status();
        let body: Value = resp.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "{path}: {status} {body}");
        body
    };
    for r in 0..CHATWORK_ROOMS {
        let room = chatwork_room(r);
        call(
            reqwest::Method::PUT,
            &format!("/clients/c{r}"),
            json!({"name": "client", "rooms": {"chatwork": room.to_string()}}),
        )
        .await;
    }
    for m in 0..LINE_MEMBERS {
        call(
            reqwest::Method::PUT,
            &format!("/members/m{m}"),
            json!({"name": "member", "identities": {"line": {"user_id": line_user(m)}}}),
        )
        .await;
    }
    call(
        reqwest::Method::PUT,
        "/event-types/wf.direct",
        json!({"name": "direct", "delivery": "direct"}),
    )
    .await;
    let chatwork = call(
        reqwest::Method::POST,
        "/connections",
        json!({"provider": "chatwork", "owner": {"tenant": true}, "credentials": {"api_token": "chaos-office"}}),
    )
    .await;
    let line = call(
        reqwest::Method::POST,
        "/connections",
        json!({"provider": "line", "owner": {"tenant": true}, "credentials": {
            "channel_access_token": LINE_TOKEN,
            "channel_secret": LINE_SECRET,
            "login_channel_id": LOGIN_CHANNEL,
            "login_channel_secret": LOGIN_SECRET,
        }}),
    )
    .await;
    (
        chatwork["id"].as_i64().unwrap(),
        line["id"].as_i64().unwrap(),
    )
}
