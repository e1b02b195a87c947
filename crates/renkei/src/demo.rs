//! `renkei demo`: the product in one command, without any credentials. Every fake provider
//! runs in this process with a ready-made world, a node is pointed at them, and a demo
//! tenant (a 社労士事務所 with its clients, group tree, people and a few hundred events, one
//! of whose deliveries fails) is seeded through the node's own API. Prints a console link.

mod events;
mod fakes;
mod seed;
mod state;
mod world;

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;

use crate::node::Node;
use crate::settings::Settings;
use crate::signals::Shutdown;
use fakes::Fakes;
use seed::Api;
use state::{DataDir, DemoState};

/// A line on stdout. A closed stdout (`renkei demo | head`) must not stop the demo.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}

#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Address for the console and the API (`127.0.0.1:0` picks a free port).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Keep the demo's data here, and reuse it on the next run. Default: a fresh
    /// temporary directory, removed when the demo stops.
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
}

/// What the banner shows once the tenant is ready.
struct Ready {
    api_key: String,
    console: String,
    failing_event: Option<i64>,
}

pub async fn run(args: DemoArgs) -> anyhow::Result<()> {
    let mut stop = Shutdown::listen().context("cannot listen for Ctrl-C")?;
    check_port(args.listen)?;
    let dir = DataDir::open(args.data_dir)?;
    let previous = DemoState::load(dir.path())?;
    let ports = previous.as_ref().map(|s| s.fake_ports).unwrap_or_default();
    let fakes = Fakes::start(ports)
        .await
        .context("cannot start the fake providers")?;
    let settings = demo_settings(args.listen, &dir, &fakes);
    let node = Node::start(&settings)
        .await
        .map_err(|e| port_hint(e, args.listen))?;
    print_start(&node, &dir, &fakes);
    let prepared = tokio::select! {
        r = prepare(&node, &fakes, &dir, previous) => Some(r),
        () = stop.requested() => None,
    };
    let result = match prepared {
        Some(Ok(ready)) => {
            print_ready(&node.url(), &ready);
            stop.requested().await;
            Ok(())
        }
        Some(Err(e)) => Err(e),
        None => {
            // Ends a progress line the interruption cut short.
            say!();
            Ok(())
        }
    };
    say!("stopping: finishing deliveries in flight…");
    node.shutdown().await;
    fakes.stop();
    let path = dir.path().display().to_string();
    let temporary = dir.is_temporary();
    drop(dir);
    if temporary {
        say!("stopped; removed {path}");
    } else {
        say!("stopped; the demo's data stays in {path}");
    }
    result
}

/// Refuses a busy port before anything starts, with the way out.
fn check_port(addr: SocketAddr) -> anyhow::Result<()> {
    std::net::TcpListener::bind(addr).map(drop).map_err(|e| {
        port_hint(anyhow::Error::new(e), addr).context(format!("cannot listen on {addr}"))
    })
}

/// A busy port as the message that says what to do; any other error as it was.
fn port_hint(e: anyhow::Error, addr: SocketAddr) -> anyhow::Error {
    let busy = e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::AddrInUse)
    });
    if busy {
        anyhow::anyhow!(
            "{addr} is already in use (another renkei, or another program). Pass --listen 127.0.0.1:0 \
             for any free port, or another port such as --listen 127.0.0.1:8081"
        )
    } else {
        e
    }
}

/// The command line's defaults, with the parts the demo decides itself: its own data
/// directory and SQLite file (never `RENKEI_DATABASE_URL`: the demo must not touch a real
/// database), provider URLs on the fakes, the fakes' real rate windows, and loopback
/// webhook URLs allowed because the fakes live on 127.0.0.1.
fn demo_settings(listen: SocketAddr, dir: &DataDir, fakes: &Fakes) -> Settings {
    let mut s = Settings {
        listen,
        data_dir: dir.path().to_path_buf(),
        database_url: None,
        secret_key: None,
        public_url: None,
        allow_private_targets: true,
        rate_window_scale: 1.0,
        workers: true,
        ..Settings::default()
    };
    fakes.configure(&mut s);
    s
}

/// Finds the demo tenant of an earlier run or creates one, and seeds it unless that run
/// already did.
async fn prepare(
    node: &Node,
    fakes: &Fakes,
    dir: &DataDir,
    previous: Option<DemoState>,
) -> anyhow::Result<Ready> {
    let mut state = match previous {
        Some(s) if node.store.tenant_by_api_key(&s.api_key).await?.is_some() => s,
        _ => {
            // What an operator does with `renkei tenant create`; everything after goes
            // through the API with the tenant's key.
            let (_, api_key) = node.store.create_tenant(world::TENANT_NAME).await?;
            DemoState {
                api_key,
                seeded: false,
                fake_ports: fakes.ports(),
                failing_event: None,
            }
        }
    };
    state.fake_ports = fakes.ports();
    state.save(dir.path())?;
    let api = Api::new(&node.url(), &state.api_key);
    if state.seeded {
        say!(
            "the demo tenant 「{}」 in {} is already seeded: reusing it",
            world::TENANT_NAME,
            dir.path().display()
        );
    } else {
        say!(
            "seeding the demo tenant 「{}」 through the API:",
            world::TENANT_NAME
        );
        let seeded = seed::run(&api, fakes).await?;
        state.failing_event = seeded.failing_event;
        state.seeded = true;
        state.save(dir.path())?;
    }
    Ok(Ready {
        console: seed::console_link(&api).await?,
        api_key: state.api_key,
        failing_event: state.failing_event,
    })
}

fn print_start(node: &Node, dir: &DataDir, fakes: &Fakes) {
    say!("renkei demo: a node, every chat tool faked in this process, and a demo tenant");
    let kept = if dir.is_temporary() {
        "temporary: removed when the demo stops"
    } else {
        "kept: the next run with this --data-dir reuses it"
    };
    say!("  data: {} ({kept})", dir.path().display());
    for (provider, url) in fakes.addresses() {
        say!(
            "  fake {:<15} {url}  (what it received: {url}/_fake/requests)",
            provider.display_name()
        );
    }
    if !fakes.moved.is_empty() {
        say!(
            "  note: {} could not get last run's port back; webhook connections saved with the old \
             address will keep retrying",
            fakes.moved.join(", ")
        );
    }
    say!("  node: {}", node.url());
}

fn print_ready(base: &str, ready: &Ready) {
    say!("ready: {base}");
    say!(
        "  console:  {}  (open it in a browser; single use, valid for an hour)",
        ready.console
    );
    say!(
        "  API key:  {}  (a demo tenant's key, shown on every run)",
        ready.api_key
    );
    say!(
        "  another console link: curl -s -X POST {base}/api/v1/console-links -H 'Authorization: Bearer {}'",
        ready.api_key
    );
    if let Some(id) = ready.failing_event {
        say!(
            "  one delivery fails on purpose: {} made its Chatwork room without the office's account \
             (event {id}: {base}/console/events/{id})",
            world::client_name(world::FAILING_CLIENT)
        );
    }
    say!("  stop:     Ctrl-C");
}
