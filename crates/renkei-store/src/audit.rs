//! The audit log: who changed what, and when, in a tenant. Entries never hold secrets.

use sqlx::Row;

use crate::{now_ms, Result, Store};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub id: i64,
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub target: Option<String>,
    pub detail: Option<String>,
}

/// One entry to record.
#[derive(Debug, Clone, Copy)]
pub struct AuditRecord<'a> {
    pub actor: &'a str,
    pub action: &'a str,
    pub target: Option<&'a str>,
    pub detail: Option<&'a str>,
}

impl Store {
    pub async fn record_audit(&self, tenant: i64, entry: AuditRecord<'_>) -> Result<()> {
        sqlx::query(
            "INSERT INTO audit_log (tenant_id, at, actor, action, target, detail) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(tenant)
        .bind(now_ms())
        .bind(entry.actor)
        .bind(entry.action)
        .bind(entry.target)
        .bind(entry.detail)
        .execute(&self.write)
        .await?;
        Ok(())
    }

    /// Newest first; `before` pages back (an entry ID).
    pub async fn audit_entries(
        &self,
        tenant: i64,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<AuditEntry>> {
        let rows = sqlx::query(
            "SELECT id, at, actor, action, target, detail FROM audit_log
             WHERE tenant_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3",
        )
        .bind(tenant)
        .bind(before.unwrap_or(i64::MAX))
        .bind(limit)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(AuditEntry {
                    id: r.try_get(0)?,
                    at: r.try_get(1)?,
                    actor: r.try_get(2)?,
                    action: r.try_get(3)?,
                    target: r.try_get(4)?,
                    detail: r.try_get(5)?,
                })
            })
            .collect()
    }
}
