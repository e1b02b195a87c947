//! The Slack provider against the fake Slack over real HTTP: what it sends, how it
//! connects, and how every answer maps to a `SendOutcome`. Shared set-up here; the tests
//! are in `slack/` by theme.

#[path = "slack/bot.rs"]
mod bot;
#[path = "slack/connect.rs"]
mod connect;
#[path = "slack/webhook.rs"]
mod webhook;

use std::time::Duration;

use renkei_core::model::{ConnectionKind, Mention, Notice};
use renkei_fakes::slack::{
    FakeSlack, FakeSlackConfig, RunningFakeSlack, DEMO_BOT_TOKEN, DEMO_WEBHOOK_PATH,
};
use renkei_providers::slack::Slack;
use renkei_providers::{
    http_client, DeliveryProvider, DirectStyle, ProviderConfig, SendContext, SendOutcome,
    SendResult,
};
use serde_json::{json, Value};

const GENERAL: &str = "C0DEMO0001";
const WEBHOOK_SECRET: &str = "demowebhooksecret0001";

pub(crate) struct Env {
    fake: FakeSlack,
    running: RunningFakeSlack,
    slack: Slack,
}

async fn env_with(config: FakeSlackConfig) -> Env {
    let running = FakeSlack::with_demo_world(config).start().await.unwrap();
    let slack = provider(&running, true);
    Env {
        fake: running.fake.clone(),
        running,
        slack,
    }
}

async fn env() -> Env {
    env_with(FakeSlackConfig::default()).await
}

fn provider(running: &RunningFakeSlack, allow_private: bool) -> Slack {
    let config = ProviderConfig {
        timeout: Duration::from_secs(2),
        rate_window_scale: 0.01,
        allow_private_targets: allow_private,
        slack_api_url: running.base_url(),
        ..ProviderConfig::default()
    };
    Slack::new(http_client(config.timeout), &config)
}

impl Env {
    fn bot(&self) -> Value {
        json!({ "bot_token": DEMO_BOT_TOKEN })
    }

    fn webhook(&self) -> Value {
        json!({ "webhook_url": self.running.webhook_url(DEMO_WEBHOOK_PATH) })
    }

    async fn send(&self, credentials: &Value, room: &str, rendered: &str) -> SendResult {
        let ctx = SendContext {
            connection: 1,
            delivery: 1,
            credentials,
            thread_key: None,
        };
        self.slack.send(ctx, room, rendered).await
    }

    async fn send_notice(
        &self,
        credentials: &Value,
        room: &str,
        notice: &Notice,
        mentions: &[Mention],
    ) -> SendResult {
        let rendered = self.slack.render(notice, mentions);
        self.send(credentials, room, &rendered).await
    }
}

fn notice(title: &str, body: &str) -> Notice {
    Notice {
        title: title.into(),
        body: body.into(),
        url: Some("https://app.example/files/1".into()),
        confirm_url: Some("https://renkei.example/c/abc".into()),
    }
}

fn text(s: &str) -> String {
    json!({ "text": s }).to_string()
}
