//! One renkei node: store, delivery workers and HTTP API, started and stopped together.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use renkei_server::AppState;
use renkei_store::exclusive::{sqlite_file, ExclusiveLock};
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
        create_private_dir(&settings.data_dir)?;
        write_private(&path, &SecretBox::generate_base64())?;
        info!(path = %path.display(), "generated a new master key for secrets at rest; back it up with the database");
    }
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    SecretBox::from_base64(&text)
        .with_context(|| format!("{} is not a usable master key", path.display()))
}

/// The data directory holds the master key and the database: only its owner may enter it.
/// An existing directory keeps the permissions its operator gave it.
fn create_private_dir(dir: &Path) -> anyhow::Result<()> {
    if dir.exists() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder
        .create(dir)
        .with_context(|| format!("cannot create the data directory {}", dir.display()))
}

/// Creates the SQLite file as 0600 (or narrows an existing one) before SQLite opens it:
/// SQLite gives its `-wal` and `-shm` files the database file's permissions.
fn make_private_file(db: &Path) -> anyhow::Result<()> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts.open(db)
        .with_context(|| format!("cannot create the database file {}", db.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(db, std::fs::Permissions::from_mode(0o600))
            .with_context(|| format!("cannot restrict {} to its owner", db.display()))?;
    }
    Ok(())
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
        create_private_dir(&settings.data_dir)?;
        if let Some(db) = sqlite_file(&url) {
            make_private_file(&db)?;
        }
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
    /// Held until the node is dropped (SQLite only).
    _exclusive: Option<ExclusiveLock>,
}

impl Node {
    /// Starts a node on `settings.listen` (port 0 picks a free port).
    pub async fn start(settings: &Settings) -> anyhow::Result<Node> {
        // Before anything touches the database: a second node on one SQLite file would
        // steal the first one's lanes and send their backlog again.
        let exclusive = if settings.uses_sqlite() {
            create_private_dir(&settings.data_dir)?;
            ExclusiveLock::for_database_url(&settings.database_url())?
        } else {
            None
        };
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
            dispatcher.start(exclusive.as_ref()).await
        } else {
            tokio::spawn(async {})
        };
        let mut state = AppState::new(
            store.clone(),
            dispatcher.clone(),
            providers,
            links,
            &public_url,
        );
        state.max_deliveries = settings.max_deliveries_per_request;
        state.metrics_token = settings.metrics_token.clone();
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
            _exclusive: exclusive,
        })
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn store(&self) -> &Store {
        &self.store
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
