//! What the console's home page summarises: recent delivery totals and what needs attention.

use std::collections::HashMap;

use renkei_core::model::Provider;
use sqlx::Row;

use crate::{Result, Store};

impl Store {
    /// Deliveries made since `since_ms` in each of `statuses`, each count stopping at `cap`
    /// (a count equal to `cap` means "at least"). Each is a range of the index on
    /// (tenant, status, created), so a busy day costs at most `cap` index entries.
    pub async fn delivery_totals_since(
        &self,
        tenant: i64,
        since_ms: i64,
        statuses: &[&str],
        cap: i64,
    ) -> Result<HashMap<String, i64>> {
        let mut totals = HashMap::new();
        for status in statuses {
            let n: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM (SELECT 1 FROM deliveries
                 WHERE tenant_id = $1 AND status = $2 AND created_at >= $3 LIMIT $4) AS capped",
            )
            .bind(tenant)
            .bind(*status)
            .bind(since_ms)
            .bind(cap)
            .fetch_one(&self.read)
            .await?;
            totals.insert((*status).to_string(), n);
        }
        Ok(totals)
    }

    /// For each provider, how many members have no identity on it: one pass over members.
    pub async fn members_without_identity(
        &self,
        tenant: i64,
        providers: &[Provider],
    ) -> Result<Vec<(Provider, i64)>> {
        if providers.is_empty() {
            return Ok(vec![]);
        }
        // Identities are stored as a JSON object keyed by provider (`{"chatwork":"123"}`);
        // matching its key as text works the same on both backends. Provider names are
        // fixed snake_case words, safe to put in the query.
        let sums: Vec<String> = providers
            .iter()
            .map(|p| {
                format!(
                    "COALESCE(SUM(CASE WHEN identities LIKE '%\"{}\":%' THEN 0 ELSE 1 END), 0)",
                    p.as_str()
                )
            })
            .collect();
        let row = sqlx::query(&format!(
            "SELECT {} FROM members WHERE tenant_id = $1",
            sums.join(", ")
        ))
        .bind(tenant)
        .fetch_one(&self.read)
        .await?;
        providers
            .iter()
            .enumerate()
            .map(|(i, p)| Ok((*p, row.try_get::<i64, _>(i)?)))
            .collect()
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
