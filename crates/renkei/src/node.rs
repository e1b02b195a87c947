//! One renkei node: store, delivery workers and HTTP API, started and stopped together.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use renkei_server::AppState;
use renkei_store::{SecretBox, Store};
use renkei_worker::{Dispatcher, Registry, StoredCredentials};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tracing::info;

use crate::settings::Settings;

/// The master key: `RENKEI_SECRET_KEY`, else `secret.key` in the data directory, created
/// (mode 0600) on first start.
pub fn load_secret_box(settings: &Settings) -> anyhow::Result<SecretBox> {
    if let Some(key) = &settings.secret_key {
        return SecretBox::from_base64(key).context("RENKEI_SECRET_KEY is not usable");
    }
    let path = settings.data_dir.join("secret.key");
    if !path.exists() {
        std::fs::create_dir_all(&settings.data_dir).with_context(|| {
            format!(
                "cannot create the data directory {}",
                settings.data_dir.display()
            )
        })?;
        write_private(&path, &SecretBox::generate_base64())?;
        info!(path = %path.display(), "generated a new master key for secrets at rest; back it up with the database");
    }
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    SecretBox::from_base64(&text)
        .with_context(|| format!("{} is not a usable master key", path.display()))
}

fn write_private(path: &Path, content: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    f.write_all(content.as_bytes())?;
    Ok(())
}

/// Opens (and migrates) the database the settings name.
pub async fn open_store(settings: &Settings) -> anyhow::Result<Store> {
    let url = settings.database_url();
    if settings.uses_sqlite() {
        std::fs::create_dir_all(&settings.data_dir).with_context(|| {
            format!(
                "cannot create the data directory {}",
                settings.data_dir.display()
            )
        })?;
    }
    let store = Store::connect(&url, load_secret_box(settings)?)
        .await
        .context("cannot open the database")?;
    store
        .migrate()
        .await
        .context("cannot apply database migrations")?;
    Ok(store)
}

pub struct Node {
    pub addr: SocketAddr,
    pub store: Store,
    pub dispatcher: Arc<Dispatcher>,
    stop_http: Option<oneshot::Sender<()>>,
    http: JoinHandle<std::io::Result<()>>,
    workers: JoinHandle<()>,
}

impl Node {
    /// Starts a node on `settings.listen` (port 0 picks a free port).
    pub async fn start(settings: &Settings) -> anyhow::Result<Node> {
        let store = open_store(settings).await?;
        let listener = tokio::net::TcpListener::bind(settings.listen)
            .await
            .with_context(|| format!("cannot listen on {}", settings.listen))?;
        let addr = listener.local_addr()?;
        // Links in messages point here; behind a proxy set RENKEI_PUBLIC_URL.
        let public_url = settings
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{addr}"));
        let links = store.secrets().link_signer(&public_url);
        let providers = Registry::build(
            &settings.provider_config(),
            Arc::new(StoredCredentials(store.clone())),
        );
        let mut worker_config = settings.worker_config();
        worker_config.links = Some(links.clone());
        let dispatcher = Dispatcher::new(store.clone(), providers.clone(), worker_config);
        let workers = if settings.workers {
            dispatcher.start().await
        } else {
            tokio::spawn(async {})
        };
        let state = AppState::new(
            store.clone(),
            dispatcher.clone(),
            providers,
            links,
            &public_url,
        );
        let (tx, rx) = oneshot::channel::<()>();
        let http = tokio::spawn(renkei_server::serve(listener, state, async move {
            let _ = rx.await;
        }));
        info!(%addr, node = dispatcher.node_id(), backend = ?store.backend(), "renkei is listening");
        Ok(Node {
            addr,
            store,
            dispatcher,
            stop_http: Some(tx),
            http,
            workers,
        })
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Graceful stop: no new requests, in-flight attempts finish and are recorded.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.stop_http.take() {
            let _ = tx.send(());
        }
        let _ = (&mut self.http).await;
        self.dispatcher.shutdown().await;
        let _ = (&mut self.workers).await;
        self.store.close().await;
    }
}
