//! `renkei tenant ...`: create, list, mint a console link, rotate the API key. Each prints
//! one JSON document on stdout, for scripts.

use anyhow::Context;
use chrono::{TimeZone, Utc};
use clap::Subcommand;
use renkei_store::web::{NewWebLink, WebGrant, WebKind};
use renkei_store::Store;
use serde_json::json;

use crate::node::open_store;
use crate::settings::Settings;

/// A console link printed by `tenant create` waits this long to be opened.
const CREATE_LINK_TTL_SECONDS: i64 = 3600;

#[derive(Subcommand)]
pub enum TenantCommand {
    /// Create a tenant; prints `{"id", "name", "api_key", "console_url"}` (the key is shown
    /// only now; the console link works once, within an hour).
    Create {
        #[arg(long)]
        name: String,
        #[command(flatten)]
        settings: Settings,
    },
    /// List tenants: `[{"id", "name", "created_at"}]`.
    List {
        #[command(flatten)]
        settings: Settings,
    },
    /// Mint a single-use link into a tenant's console: `{"url", "expires_at"}`.
    ConsoleLink {
        #[arg(long)]
        tenant: i64,
        /// How long the link waits to be opened (60 to 86400 seconds).
        #[arg(long, default_value_t = 600)]
        ttl_seconds: i64,
        /// Who will open it (shown in the audit log).
        #[arg(long)]
        actor: Option<String>,
        #[command(flatten)]
        settings: Settings,
    },
    /// Give a tenant a new API key and retire the old one: `{"id", "api_key"}`. Running nodes
    /// stop accepting the old key within 10 seconds.
    RotateKey {
        #[arg(long)]
        tenant: i64,
        #[command(flatten)]
        settings: Settings,
    },
}

pub async fn run(command: TenantCommand) -> anyhow::Result<()> {
    match command {
        TenantCommand::Create { name, settings } => {
            let name = name.trim();
            anyhow::ensure!(!name.is_empty(), "--name must not be empty");
            let store = open_store(&settings).await?;
            let (tenant, key) = store.create_tenant(name).await?;
            let (url, expires_at) = console_link(
                &store,
                &settings,
                tenant.id,
                CREATE_LINK_TTL_SECONDS,
                Some("CLI".to_string()),
            )
            .await?;
            print(json!({"id": tenant.id, "name": tenant.name, "api_key": key,
                "console_url": url, "console_url_expires_at": expires_at}));
        }
        TenantCommand::List { settings } => {
            let store = open_store(&settings).await?;
            let tenants: Vec<_> = store
                .tenants()
                .await?
                .into_iter()
                .map(|t| json!({"id": t.id, "name": t.name, "created_at": rfc3339(t.created_at)}))
                .collect();
            print(json!(tenants));
        }
        TenantCommand::ConsoleLink {
            tenant,
            ttl_seconds,
            actor,
            settings,
        } => {
            anyhow::ensure!(
                (60..=86_400).contains(&ttl_seconds),
                "--ttl-seconds must be between 60 and 86400"
            );
            let store = open_store(&settings).await?;
            require_tenant(&store, tenant).await?;
            let (url, expires_at) =
                console_link(&store, &settings, tenant, ttl_seconds, actor).await?;
            print(json!({"url": url, "expires_at": expires_at}));
        }
        TenantCommand::RotateKey { tenant, settings } => {
            let store = open_store(&settings).await?;
            let key = store
                .rotate_api_key(tenant)
                .await?
                .with_context(|| no_tenant(tenant))?;
            print(json!({"id": tenant, "api_key": key}));
        }
    }
    Ok(())
}

fn print(value: serde_json::Value) {
    println!("{value}");
}

fn no_tenant(id: i64) -> String {
    format!("there is no tenant {id}; `renkei tenant list` shows the tenants")
}

async fn require_tenant(store: &Store, id: i64) -> anyhow::Result<()> {
    store.tenant(id).await?.with_context(|| no_tenant(id))?;
    Ok(())
}

async fn console_link(
    store: &Store,
    settings: &Settings,
    tenant: i64,
    ttl_seconds: i64,
    actor: Option<String>,
) -> anyhow::Result<(String, String)> {
    let link = NewWebLink {
        grant: WebGrant {
            tenant_id: tenant,
            kind: WebKind::Console,
            subject_id: None,
            actor,
        },
        return_to: None,
        ttl_ms: ttl_seconds * 1000,
    };
    let (token, expires_at) = store.create_web_link(&link).await?;
    Ok((
        format!("{}/enter/{token}", settings.public_base_url()),
        rfc3339(expires_at),
    ))
}

fn rfc3339(ms: i64) -> String {
    Utc.timestamp_millis_opt(ms)
        .single()
        .map(|t| t.to_rfc3339())
        .unwrap_or_default()
}
