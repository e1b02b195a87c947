//! `renkei`: serve, migrate, manage tenants, run a fake provider, benchmark.

use anyhow::Context;
use clap::{Parser, Subcommand};
use renkei::node::{open_store, Node};
use renkei::settings::Settings;
use renkei::signals::shutdown_signal;
use renkei::tenant_cli::TenantCommand;
use tracing_subscriber::EnvFilter;

#[derive(Parser)]
#[command(
    name = "renkei",
    version,
    about = "Self-hosted notification hub for chat tools"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the API and the delivery workers.
    Serve(Settings),
    /// Apply database migrations and exit.
    Migrate(Settings),
    /// Manage tenants.
    Tenant {
        #[command(subcommand)]
        command: TenantCommand,
    },
    /// Run a fake provider (with a demo world) for demos and tests.
    Fake(FakeArgs),
    /// See renkei in one minute: a node with every chat tool faked in this process and a
    /// seeded demo tenant; prints a console link. No credentials needed.
    Demo(renkei::demo::DemoArgs),
    /// Measure intake, delivery throughput, latency and memory.
    Bench(renkei::bench::BenchArgs),
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum FakeKind {
    Chatwork,
    Slack,
    Teams,
    GoogleChat,
    LineWorks,
    Line,
}

#[derive(clap::Args)]
struct FakeArgs {
    /// Which provider to fake.
    #[arg(value_enum)]
    provider: FakeKind,
    /// Default: 127.0.0.1:9901 (chatwork) … 9906 (line), one port per provider.
    #[arg(long)]
    listen: Option<std::net::SocketAddr>,
    /// Multiplies the rate-limit windows (e.g. 0.01 for fast tests).
    #[arg(long, default_value_t = 1.0)]
    scale: f64,
    /// Never answer 429.
    #[arg(long)]
    no_limits: bool,
}

/// `default` applies unless `RENKEI_LOG` says otherwise.
fn init_logging(default: &str) {
    let filter = EnvFilter::try_from_env("RENKEI_LOG").unwrap_or_else(|_| EnvFilter::new(default));
    // Colours only for a person at a terminal: a file or journald gets plain `key=value`.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(std::io::stderr)
        .init();
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    // The demo's own lines say what happens (its failed delivery included); the node's log
    // would bury them, and `RENKEI_LOG=info` brings it back.
    let demo = matches!(cli.command, Command::Demo(_));
    init_logging(if demo {
        "error"
    } else {
        "info,sqlx=warn,tower_http=info"
    });
    match cli.command {
        Command::Serve(settings) => serve(settings).await,
        Command::Migrate(settings) => {
            open_store(&settings).await?;
            eprintln!("migrations applied to {}", redact(&settings.database_url()));
            Ok(())
        }
        Command::Tenant { command } => renkei::tenant_cli::run(command).await,
        Command::Fake(args) => run_fake(args).await,
        Command::Demo(args) => renkei::demo::run(args).await,
        Command::Bench(args) => renkei::bench::run(args).await,
    }
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    let node = Node::start(&settings).await?;
    eprintln!(
        "renkei {} listening on {} ({})",
        env!("CARGO_PKG_VERSION"),
        node.url(),
        redact(&settings.database_url())
    );
    if matches!(node.store().tenant_count().await, Ok(0)) {
        tracing::info!(
            "no tenant yet: run `renkei tenant create --name \"Your office\"` with the same data directory or database; it prints the API key and a console_url to open in a browser"
        );
    }
    shutdown_signal().await;
    tracing::info!("shutting down: finishing deliveries in flight");
    node.shutdown().await;
    Ok(())
}

/// Database URLs may carry a password: never print it.
fn redact(url: &str) -> String {
    match url.split_once('@') {
        Some((head, tail)) if head.contains("://") => {
            let scheme = head.split("://").next().unwrap_or("");
            format!("{scheme}://***@{tail}")
        }
        _ => url.to_string(),
    }
}

/// Serves one fake provider with its demo world until Ctrl-C / SIGTERM.
async fn run_fake(args: FakeArgs) -> anyhow::Result<()> {
    use renkei_fakes::*;
    macro_rules! config {
        ($config:ty) => {{
            let mut c = <$config>::default().scaled(args.scale);
            c.limits_enabled = !args.no_limits;
            c
        }};
    }
    let (port, router, about) = match args.provider {
        FakeKind::Chatwork => {
            let f = chatwork::FakeChatwork::with_demo_world(config!(chatwork::FakeChatworkConfig));
            (9901, f.router(), "Chatwork API at /v2 (token `demo-token-0001`), OAuth at /oauth and /packages/oauth2/login.php")
        }
        FakeKind::Slack => {
            let f = slack::FakeSlack::with_demo_world(config!(slack::FakeSlackConfig));
            (
                9902,
                f.router(),
                "Slack Web API at /api, incoming webhooks under /services/",
            )
        }
        FakeKind::Teams => {
            let f = teams::FakeTeams::with_demo_world(config!(teams::FakeTeamsConfig));
            (
                9903,
                f.router(),
                "Teams Workflows webhooks under /workflows/",
            )
        }
        FakeKind::GoogleChat => {
            let f = google_chat::FakeGoogleChat::with_demo_world(config!(
                google_chat::FakeGoogleChatConfig
            ));
            (9904, f.router(), "Google Chat webhooks under /v1/spaces/")
        }
        FakeKind::LineWorks => {
            let f = line_works::FakeLineWorks::with_demo_world(config!(
                line_works::FakeLineWorksConfig
            ));
            (
                9905,
                f.router(),
                "LINE WORKS auth at /oauth2/v2.0, API at /v1.0",
            )
        }
        FakeKind::Line => {
            let f = line::FakeLine::with_demo_world(config!(line::FakeLineConfig));
            (9906, f.router(), "LINE Messaging API and LINE Login at /")
        }
    };
    let listen = args
        .listen
        .unwrap_or_else(|| std::net::SocketAddr::from(([127, 0, 0, 1], port)));
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    // The address actually bound: with `--listen 127.0.0.1:0` the caller learns the port here.
    let listen = listener.local_addr()?;
    eprintln!(
        "fake on http://{listen}: {about}. Demo credentials are listed in the fake's documentation; request log at http://{listen}/_fake/requests"
    );
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    Ok(())
}
