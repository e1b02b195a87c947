//! Tenants and their API keys. Keys are random, shown once, stored as SHA-256 hashes
//! (a key has 256 bits of entropy, so a fast hash is enough; no password stretching needed).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::{now_ms, Result, Store};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tenant {
    pub id: i64,
    pub name: String,
    pub created_at: i64,
}

pub fn hash_api_key(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

fn new_api_key() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    format!("rk_{}", URL_SAFE_NO_PAD.encode(bytes))
}

impl Store {
    /// Creates a tenant and returns it with its API key (the only time the key exists in clear).
    pub async fn create_tenant(&self, name: &str) -> Result<(Tenant, String)> {
        let key = new_api_key();
        let now = now_ms();
        let row = sqlx::query(
            "INSERT INTO tenants (name, api_key_hash, created_at) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(name)
        .bind(hash_api_key(&key))
        .bind(now)
        .fetch_one(&self.write)
        .await?;
        Ok((
            Tenant {
                id: row.try_get(0)?,
                name: name.to_string(),
                created_at: now,
            },
            key,
        ))
    }

    pub async fn tenant_by_api_key(&self, key: &str) -> Result<Option<Tenant>> {
        let row = sqlx::query("SELECT id, name, created_at FROM tenants WHERE api_key_hash = $1")
            .bind(hash_api_key(key))
            .fetch_optional(&self.read)
            .await?;
        row.map(|r| {
            Ok(Tenant {
                id: r.try_get(0)?,
                name: r.try_get(1)?,
                created_at: r.try_get(2)?,
            })
        })
        .transpose()
    }
}

impl Store {
    pub async fn tenant(&self, id: i64) -> Result<Option<Tenant>> {
        let row = sqlx::query("SELECT id, name, created_at FROM tenants WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.read)
            .await?;
        row.map(|r| {
            Ok(Tenant {
                id: r.try_get(0)?,
                name: r.try_get(1)?,
                created_at: r.try_get(2)?,
            })
        })
        .transpose()
    }

    pub async fn tenants(&self) -> Result<Vec<Tenant>> {
        let rows = sqlx::query("SELECT id, name, created_at FROM tenants ORDER BY id")
            .fetch_all(&self.read)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(Tenant {
                    id: r.try_get(0)?,
                    name: r.try_get(1)?,
                    created_at: r.try_get(2)?,
                })
            })
            .collect()
    }

    pub async fn tenant_count(&self) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM tenants")
            .fetch_one(&self.read)
            .await?)
    }

    /// Gives the tenant a new API key and retires the old one at once; returns the new key
    /// (`None`: no such tenant). Nodes that cached the old key drop it within
    /// [`API_KEY_CACHE_MS`].
    pub async fn rotate_api_key(&self, id: i64) -> Result<Option<String>> {
        let key = new_api_key();
        let done = sqlx::query("UPDATE tenants SET api_key_hash = $1 WHERE id = $2")
            .bind(hash_api_key(&key))
            .bind(id)
            .execute(&self.write)
            .await?;
        Ok((done.rows_affected() == 1).then_some(key))
    }
}

/// How long a node may keep trusting an API key it checked (a rotated key stops working
/// everywhere within this time).
pub const API_KEY_CACHE_MS: u64 = 10_000;
