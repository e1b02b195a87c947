//! What the console's home page summarises: recent delivery totals and what needs attention.

use std::collections::HashMap;

use renkei_core::model::Provider;
use sqlx::Row;

use crate::{Result, Store};

impl Store {
    /// Deliveries made since `since_ms`, counted by status.
    pub async fn delivery_totals_since(
        &self,
        tenant: i64,
        since_ms: i64,
    ) -> Result<HashMap<String, i64>> {
        let rows = sqlx::query(
            "SELECT status, COUNT(*) FROM deliveries WHERE tenant_id = $1 AND created_at >= $2 GROUP BY status",
        )
        .bind(tenant)
        .bind(since_ms)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect()
    }

    /// How many members have no identity on `provider`.
    pub async fn members_without_identity(&self, tenant: i64, provider: Provider) -> Result<i64> {
        // Identities are stored as a JSON object keyed by provider (`{"chatwork":"123"}`);
        // matching its key as text works the same on both backends.
        let key = format!("%\"{}\":%", provider.as_str());
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM members WHERE tenant_id = $1 AND identities NOT LIKE $2",
        )
        .bind(tenant)
        .bind(key)
        .fetch_one(&self.read)
        .await?)
    }

    /// How many members exist in the tenant.
    pub async fn member_count(&self, tenant: i64) -> Result<i64> {
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM members WHERE tenant_id = $1")
                .bind(tenant)
                .fetch_one(&self.read)
                .await?,
        )
    }
}
