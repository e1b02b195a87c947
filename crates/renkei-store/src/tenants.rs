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
