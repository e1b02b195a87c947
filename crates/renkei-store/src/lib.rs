//! renkei's storage: one [`Store`] over SQLite (embedded, the default) or PostgreSQL
//! (several nodes sharing one queue), chosen by the URL scheme.
//!
//! Queries go through sqlx's `Any` driver so each is written once; the few places where
//! the backends differ branch on [`Backend`]. Times are Unix milliseconds in BIGINT columns.
//! Every query that touches tenant data takes the tenant ID, so one tenant can never read
//! another's objects.

pub mod absences;
pub mod audit;
pub mod confirmations;
pub mod connections;
pub mod directory;
pub mod event_log;
pub mod events;
pub mod exclusive;
pub mod flows;
pub mod group_tree;
pub mod intake;
pub mod links;
pub mod lists;
pub mod overview;
mod query;
pub mod queue;
pub mod removal;
pub mod resend;
pub mod secrets;
pub mod self_service;
pub mod settle;
pub mod signals;
pub mod tenant_settings;
pub mod tenants;
pub mod web;

use std::str::FromStr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};
use thiserror::Error;

pub use secrets::SecretBox;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("unsupported database URL `{0}`: use sqlite://PATH or postgres://...")]
    UnsupportedUrl(String),
    #[error("could not open or decrypt a stored secret: {0}")]
    Secret(String),
    #[error("{0}")]
    Conflict(String),
    #[error("stored data is malformed: {0}")]
    Corrupt(String),
    /// The same thing is being written by another request right now: ask again shortly.
    #[error("{0}")]
    InProgress(String),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Handle to the database. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    /// Reads (and, on PostgreSQL, writes).
    read: AnyPool,
    /// On SQLite a single connection, so writers queue in-process instead of spinning on
    /// `SQLITE_BUSY`; on PostgreSQL the same pool as `read`.
    write: AnyPool,
    backend: Backend,
    secrets: SecretBox,
    /// Kept for PostgreSQL's LISTEN, which needs a connection of its own.
    url: String,
}

pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

impl Store {
    /// Opens the database at `url` (creating a SQLite file if needed). Does not migrate.
    pub async fn connect(url: &str, secrets: SecretBox) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(StoreError::UnsupportedUrl(url.to_string()));
        };
        match backend {
            Backend::Sqlite => {
                let url = if url.contains('?') {
                    url.to_string()
                } else {
                    format!("{url}?mode=rwc")
                };
                let opts = AnyConnectOptions::from_str(&url)?;
                let pool = |max: u32| {
                    AnyPoolOptions::new()
                        .max_connections(max)
                        .min_connections(1)
                        .acquire_timeout(Duration::from_secs(30))
                        .after_connect(|conn, _| {
                            Box::pin(async move {
                                // WAL: readers never block the writer; NORMAL sync: a commit
                                // survives a process crash (the WAL is written before COMMIT
                                // returns), fsync happens at checkpoints.
                                conn.execute(
                                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; \
                                     PRAGMA busy_timeout=10000; PRAGMA foreign_keys=ON;",
                                )
                                .await?;
                                Ok(())
                            })
                        })
                };
                let write = pool(1).connect_with(opts.clone()).await?;
                let read = pool(4).connect_with(opts).await?;
                Ok(Store {
                    read,
                    write,
                    backend,
                    secrets,
                    url: url.clone(),
                })
            }
            Backend::Postgres => {
                let pool = AnyPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(30))
                    .connect(url)
                    .await?;
                Ok(Store {
                    read: pool.clone(),
                    write: pool,
                    backend,
                    secrets,
                    url: url.to_string(),
                })
            }
        }
    }

    /// Applies the embedded migrations for this backend.
    pub async fn migrate(&self) -> Result<()> {
        match self.backend {
            Backend::Sqlite => {
                sqlx::migrate!("./migrations/sqlite")
                    .run(&self.write)
                    .await?
            }
            Backend::Postgres => {
                sqlx::migrate!("./migrations/postgres")
                    .run(&self.write)
                    .await?
            }
        }
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn secrets(&self) -> &SecretBox {
        &self.secrets
    }

    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.read).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.write.close().await;
        self.read.close().await;
    }
}

/// Builds `($1,$2,..),($n+1,..)` for a multi-row insert of `rows` rows of `cols` columns.
pub(crate) fn values_placeholders(rows: usize, cols: usize) -> String {
    values_placeholders_from(1, rows, cols)
}

/// As [`values_placeholders`], numbering from `$first`.
pub(crate) fn values_placeholders_from(first: usize, rows: usize, cols: usize) -> String {
    let mut s = String::with_capacity(rows * cols * 5);
    for r in 0..rows {
        if r > 0 {
            s.push(',');
        }
        s.push('(');
        for c in 0..cols {
            if c > 0 {
                s.push(',');
            }
            s.push('$');
            s.push_str(&(first + r * cols + c).to_string());
        }
        s.push(')');
    }
    s
}

/// `$start,$start+1,..` for an `IN (...)` list.
pub(crate) fn list_placeholders(start: usize, n: usize) -> String {
    (start..start + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(",")
}
