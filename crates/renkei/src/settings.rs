//! Settings from flags and `RENKEI_*` environment variables (flags win), with the
//! zero-configuration defaults of API.md: SQLite under `./renkei-data/`, `127.0.0.1:8080`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use renkei_core::retry::RetryPolicy;
use renkei_providers::config::{self as urls, ProviderConfig};
use renkei_worker::WorkerConfig;

#[derive(Debug, Clone, Args)]
pub struct Settings {
    /// Address for the API and web UI.
    #[arg(long, env = "RENKEI_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Where the SQLite database and the generated master key live.
    #[arg(long, env = "RENKEI_DATA_DIR", default_value = "./renkei-data")]
    pub data_dir: PathBuf,
    /// `sqlite://PATH` or `postgres://...`; default: SQLite in the data directory.
    #[arg(long, env = "RENKEI_DATABASE_URL")]
    pub database_url: Option<String>,
    /// Master key for secrets at rest (base64 of 32 bytes); generated into the data
    /// directory on first start when absent.
    #[arg(long, env = "RENKEI_SECRET_KEY", hide_env_values = true)]
    pub secret_key: Option<String>,
    /// How links in messages and OAuth redirect URIs are built.
    #[arg(long, env = "RENKEI_PUBLIC_URL")]
    pub public_url: Option<String>,
    #[arg(long, env = "RENKEI_CHATWORK_API_URL", default_value = urls::CHATWORK_API_URL)]
    pub chatwork_api_url: String,
    #[arg(long, env = "RENKEI_CHATWORK_OAUTH_URL", default_value = urls::CHATWORK_OAUTH_URL)]
    pub chatwork_oauth_url: String,
    #[arg(long, env = "RENKEI_CHATWORK_LOGIN_URL", default_value = urls::CHATWORK_LOGIN_URL)]
    pub chatwork_login_url: String,
    #[arg(long, env = "RENKEI_SLACK_API_URL", default_value = urls::SLACK_API_URL)]
    pub slack_api_url: String,
    #[arg(long, env = "RENKEI_LINEWORKS_AUTH_URL", default_value = urls::LINEWORKS_AUTH_URL)]
    pub lineworks_auth_url: String,
    #[arg(long, env = "RENKEI_LINEWORKS_API_URL", default_value = urls::LINEWORKS_API_URL)]
    pub lineworks_api_url: String,
    #[arg(long, env = "RENKEI_LINE_API_URL", default_value = urls::LINE_API_URL)]
    pub line_api_url: String,
    #[arg(long, env = "RENKEI_LINE_LOGIN_URL", default_value = urls::LINE_LOGIN_URL)]
    pub line_login_url: String,
    /// Lets pasted webhook URLs (Slack, Teams, Google Chat) point at loopback and private
    /// addresses. Tests and demos with local fakes only: a tenant-supplied URL must never
    /// reach inside the network renkei runs in.
    #[arg(long, env = "RENKEI_ALLOW_PRIVATE_TARGETS", default_value_t = false, action = clap::ArgAction::Set)]
    pub allow_private_targets: bool,
    /// Time allowed for one provider request, in milliseconds.
    #[arg(long, env = "RENKEI_PROVIDER_TIMEOUT_MS", default_value_t = 15_000)]
    pub provider_timeout_ms: u64,
    /// Multiplies every provider rate-limit window (tests and demos use small values
    /// together with a fake provider scaled the same way). `0` turns client-side limits off.
    #[arg(long, env = "RENKEI_RATE_WINDOW_SCALE", default_value_t = 1.0)]
    pub rate_window_scale: f64,
    /// First retry delay after a 5xx or timeout, in milliseconds.
    #[arg(long, env = "RENKEI_RETRY_INITIAL_MS", default_value_t = 10_000)]
    pub retry_initial_ms: u64,
    /// Longest delay between two retries, in milliseconds.
    #[arg(long, env = "RENKEI_RETRY_MAX_DELAY_MS", default_value_t = 3_600_000)]
    pub retry_max_delay_ms: u64,
    /// After this many seconds of retrying a delivery ends `failed`.
    #[arg(long, env = "RENKEI_RETRY_GIVE_UP_SECS", default_value_t = 86_400)]
    pub retry_give_up_secs: u64,
    /// A node that stops renewing its lane leases loses them after this long (ms).
    #[arg(long, env = "RENKEI_LEASE_TTL_MS", default_value_t = 30_000)]
    pub lease_ttl_ms: u64,
    /// How often each node looks for unowned work besides being woken (ms).
    #[arg(long, env = "RENKEI_SCAN_INTERVAL_MS", default_value_t = 500)]
    pub scan_interval_ms: u64,
    /// Run the delivery workers in this process (`false`: API only, e.g. to scale intake
    /// separately or to measure it alone).
    #[arg(long, env = "RENKEI_WORKERS", default_value_t = true, action = clap::ArgAction::Set)]
    pub workers: bool,
    /// The most deliveries one request (an event, or a whole batch) may make; more is refused
    /// with `too_many_recipients`. Each is a row written at intake and kept in the log.
    #[arg(long, env = "RENKEI_MAX_DELIVERIES_PER_REQUEST", default_value_t = renkei_server::DEFAULT_MAX_DELIVERIES)]
    pub max_deliveries_per_request: usize,
    /// When set, `GET /metrics` answers only with `Authorization: Bearer <this token>`.
    #[arg(long, env = "RENKEI_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,
    /// Name of this node in leases and attempt logs (default: random).
    #[arg(long, env = "RENKEI_NODE_ID")]
    pub node_id: Option<String>,
}

impl Settings {
    /// How renkei is reached from outside: `RENKEI_PUBLIC_URL`, else the listen address.
    pub fn public_base_url(&self) -> String {
        self.public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.listen))
            .trim_end_matches('/')
            .to_string()
    }
}

impl Settings {
    pub fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join("renkei.db").display()))
    }

    pub fn uses_sqlite(&self) -> bool {
        self.database_url().starts_with("sqlite:")
    }

    pub fn provider_config(&self) -> ProviderConfig {
        ProviderConfig {
            timeout: Duration::from_millis(self.provider_timeout_ms),
            rate_window_scale: self.rate_window_scale,
            allow_private_targets: self.allow_private_targets,
            chatwork_api_url: self.chatwork_api_url.clone(),
            chatwork_oauth_url: self.chatwork_oauth_url.clone(),
            chatwork_login_url: self.chatwork_login_url.clone(),
            slack_api_url: self.slack_api_url.clone(),
            lineworks_auth_url: self.lineworks_auth_url.clone(),
            lineworks_api_url: self.lineworks_api_url.clone(),
            line_api_url: self.line_api_url.clone(),
            line_login_url: self.line_login_url.clone(),
        }
    }

    pub fn worker_config(&self) -> WorkerConfig {
        let mut w = WorkerConfig {
            lease_ttl: Duration::from_millis(self.lease_ttl_ms),
            scan_interval: Duration::from_millis(self.scan_interval_ms),
            retry: RetryPolicy {
                initial: Duration::from_millis(self.retry_initial_ms),
                max_delay: Duration::from_millis(self.retry_max_delay_ms),
                give_up_after: Duration::from_secs(self.retry_give_up_secs),
            },
            ..WorkerConfig::default()
        };
        if let Some(id) = &self.node_id {
            w.node_id = id.clone();
        }
        w
    }
}

impl Default for Settings {
    /// The same defaults as the command line, for tests and the benchmark.
    fn default() -> Self {
        use clap::Parser;
        #[derive(Parser)]
        struct Wrapper {
            #[command(flatten)]
            s: Settings,
        }
        Wrapper::parse_from(["renkei"]).s
    }
}
