//! OAuth clients a tenant registered, and browser flows under way (OAuth consent, LINE
//! Login): a random `state` maps back to who started the flow and its secrets.

use rand::RngCore;
use sqlx::Row;

use crate::{now_ms, Result, Store, StoreError};

/// An OAuth client registered at a provider (Chatwork), with its secret opened.
#[derive(Clone)]
pub struct OAuthClient {
    pub provider: String,
    pub client_id: String,
    pub client_secret: String,
    pub secret_hint: String,
    pub scopes: String,
    pub created_at: i64,
}

impl std::fmt::Debug for OAuthClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthClient")
            .field("provider", &self.provider)
            .field("client_id", &self.client_id)
            .field("client_secret", &self.secret_hint)
            .field("scopes", &self.scopes)
            .finish()
    }
}

/// A flow taken back by its state: who started it and what it carried.
#[derive(Debug, Clone)]
pub struct Flow {
    pub tenant_id: i64,
    pub kind: String,
    pub payload: serde_json::Value,
}

/// A fresh random state (256 bits, URL-safe).
pub fn new_state() -> String {
    let mut b = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut b);
    hex::encode(b)
}

impl Store {
    pub async fn put_oauth_client(
        &self,
        tenant: i64,
        provider: &str,
        client_id: &str,
        client_secret: &str,
        scopes: &str,
    ) -> Result<()> {
        let sealed = self.secrets.seal(client_secret.as_bytes());
        let hint = crate::secrets::hint(client_secret);
        let mut tx = self.write.begin().await?;
        sqlx::query("DELETE FROM oauth_clients WHERE tenant_id = $1 AND provider = $2")
            .bind(tenant)
            .bind(provider)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO oauth_clients (tenant_id, provider, client_id, secret, secret_hint, scopes, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(tenant)
        .bind(provider)
        .bind(client_id)
        .bind(sealed)
        .bind(hint)
        .bind(scopes)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn oauth_client(&self, tenant: i64, provider: &str) -> Result<Option<OAuthClient>> {
        let row = sqlx::query(
            "SELECT client_id, secret, secret_hint, scopes, created_at FROM oauth_clients WHERE tenant_id = $1 AND provider = $2",
        )
        .bind(tenant)
        .bind(provider)
        .fetch_optional(&self.write)
        .await?;
        let Some(r) = row else { return Ok(None) };
        let sealed: Vec<u8> = r.try_get(1)?;
        let secret = String::from_utf8(self.secrets.open(&sealed)?)
            .map_err(|e| StoreError::Secret(e.to_string()))?;
        Ok(Some(OAuthClient {
            provider: provider.to_string(),
            client_id: r.try_get(0)?,
            client_secret: secret,
            secret_hint: r.try_get(2)?,
            scopes: r.try_get(3)?,
            created_at: r.try_get(4)?,
        }))
    }

    pub async fn delete_oauth_client(&self, tenant: i64, provider: &str) -> Result<bool> {
        let done = sqlx::query("DELETE FROM oauth_clients WHERE tenant_id = $1 AND provider = $2")
            .bind(tenant)
            .bind(provider)
            .execute(&self.write)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Starts a flow; returns its state. `payload` is sealed (it holds PKCE verifiers).
    pub async fn start_flow(
        &self,
        tenant: i64,
        kind: &str,
        payload: &serde_json::Value,
        ttl_ms: i64,
    ) -> Result<String> {
        let state = new_state();
        let now = now_ms();
        // Expired flows of anyone are swept here: no separate janitor needed.
        sqlx::query("DELETE FROM auth_flows WHERE expires_at < $1")
            .bind(now)
            .execute(&self.write)
            .await?;
        sqlx::query(
            "INSERT INTO auth_flows (state, tenant_id, kind, payload, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&state)
        .bind(tenant)
        .bind(kind)
        .bind(self.secrets.seal(payload.to_string().as_bytes()))
        .bind(now)
        .bind(now + ttl_ms)
        .execute(&self.write)
        .await?;
        Ok(state)
    }

    /// Takes a flow back by its state, once: a replayed or expired state finds nothing.
    pub async fn take_flow(&self, state: &str, kind: &str) -> Result<Option<Flow>> {
        let row = sqlx::query(
            "DELETE FROM auth_flows WHERE state = $1 AND kind = $2 RETURNING tenant_id, payload, expires_at",
        )
        .bind(state)
        .bind(kind)
        .fetch_optional(&self.write)
        .await?;
        let Some(r) = row else { return Ok(None) };
        if r.try_get::<i64, _>(2)? < now_ms() {
            return Ok(None);
        }
        let sealed: Vec<u8> = r.try_get(1)?;
        let payload = serde_json::from_slice(&self.secrets.open(&sealed)?)
            .map_err(|e| StoreError::Secret(e.to_string()))?;
        Ok(Some(Flow {
            tenant_id: r.try_get(0)?,
            kind: kind.to_string(),
            payload,
        }))
    }
}
