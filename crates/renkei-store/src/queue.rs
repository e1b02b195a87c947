//! The durable delivery queue. A delivery is `pending` in the database until an attempt's
//! outcome is committed, so a crash at any point loses nothing: the next owner of the lane
//! sends it again (at-least-once).
//!
//! Work is split into lanes, one per connection (credential). A node leases a lane before
//! sending for it, so even with several nodes on one PostgreSQL database each token has one
//! sender and its rate limits hold.

use renkei_core::model::Mention;
use sqlx::Row;

use crate::{now_ms, values_placeholders, values_placeholders_from, Backend, Result, Store};

#[derive(Debug, Clone)]
pub struct QueuedDelivery {
    pub id: i64,
    pub tenant_id: i64,
    pub event_id: i64,
    pub room: String,
    pub mentions: Vec<Mention>,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub first_attempt_at: Option<i64>,
    pub title: String,
    pub body: String,
    pub url: Option<String>,
    /// The event's confirmation links expire then (Unix ms); `None` = no link.
    pub link_expires_at: Option<i64>,
    pub thread_key: Option<String>,
    /// The body is already the provider's payload (a calendar change), not a notice.
    pub prerendered: bool,
}

/// What became of a delivery after an attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Completion {
    Delivered {
        message_id: Option<String>,
    },
    Retry {
        next_attempt_at: i64,
        code: String,
        reason: String,
    },
    Failed {
        code: String,
        reason: String,
    },
}

#[derive(Debug, Clone)]
pub struct AttemptRecord {
    pub delivery_id: i64,
    pub started_at: i64,
    pub latency_ms: i64,
    pub http_status: Option<i64>,
    pub outcome: &'static str,
    pub error: Option<String>,
    pub completion: Completion,
}

impl Store {
    /// Connections with pending deliveries that no other node holds a live lease on.
    pub async fn lanes_with_work(&self, node: &str) -> Result<Vec<i64>> {
        let rows = sqlx::query(
            "SELECT DISTINCT d.connection_id FROM deliveries d \
             LEFT JOIN lane_leases l ON l.connection_id = d.connection_id \
             WHERE d.status = 'pending' AND d.connection_id IS NOT NULL \
             AND (l.node_id IS NULL OR l.expires_at < $1 OR l.node_id = $2)",
        )
        .bind(now_ms())
        .bind(node)
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
    }

    /// Takes the lane if it is free, expired, or already ours. True when we hold it.
    pub async fn claim_lane(&self, connection_id: i64, node: &str, ttl_ms: i64) -> Result<bool> {
        let now = now_ms();
        let done = sqlx::query(
            "INSERT INTO lane_leases (connection_id, node_id, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (connection_id) DO UPDATE SET node_id = excluded.node_id, expires_at = excluded.expires_at \
             WHERE lane_leases.expires_at < $4 OR lane_leases.node_id = $2",
        )
        .bind(connection_id)
        .bind(node)
        .bind(now + ttl_ms)
        .bind(now)
        .execute(&self.write)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Extends every lease this node holds and returns the lanes it still holds.
    pub async fn renew_lanes(&self, node: &str, ttl_ms: i64) -> Result<Vec<i64>> {
        let now = now_ms();
        sqlx::query(
            "UPDATE lane_leases SET expires_at = $1 WHERE node_id = $2 AND expires_at >= $3",
        )
        .bind(now + ttl_ms)
        .bind(node)
        .bind(now)
        .execute(&self.write)
        .await?;
        let rows = sqlx::query("SELECT connection_id FROM lane_leases WHERE node_id = $1")
            .bind(node)
            .fetch_all(&self.write)
            .await?;
        rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
    }

    pub async fn release_lane(&self, connection_id: i64, node: &str) -> Result<()> {
        sqlx::query("DELETE FROM lane_leases WHERE connection_id = $1 AND node_id = $2")
            .bind(connection_id)
            .bind(node)
            .execute(&self.write)
            .await?;
        Ok(())
    }

    /// On SQLite only one process can own the database (the node holds its
    /// [`ExclusiveLock`](crate::exclusive::ExclusiveLock), asked for here as proof), so
    /// leases left by a killed process are stale by definition: drop them at start instead of
    /// waiting for them to expire. On PostgreSQL leases expire on their own.
    pub async fn reset_stale_leases(&self, _owner: &crate::exclusive::ExclusiveLock) -> Result<()> {
        if self.backend == Backend::Sqlite {
            sqlx::query("DELETE FROM lane_leases")
                .execute(&self.write)
                .await?;
        }
        Ok(())
    }

    /// The oldest pending deliveries of a lane with an ID above `after_id`, in queue order
    /// (which is also per-room order).
    pub async fn pending_for_lane(
        &self,
        connection_id: i64,
        after_id: i64,
        limit: i64,
    ) -> Result<Vec<QueuedDelivery>> {
        let rows = sqlx::query(
            "SELECT d.id, d.tenant_id, d.event_id, d.room, d.mentions, d.attempts, d.next_attempt_at, d.first_attempt_at, \
             e.title, e.body, e.url, e.link_expires_at, e.thread_key, e.kind \
             FROM deliveries d JOIN events e ON e.id = d.event_id \
             WHERE d.connection_id = $1 AND d.status = 'pending' AND d.id > $3 ORDER BY d.id LIMIT $2",
        )
        .bind(connection_id)
        .bind(limit)
        .bind(after_id)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                let mentions: String = r.try_get(4)?;
                Ok(QueuedDelivery {
                    id: r.try_get(0)?,
                    tenant_id: r.try_get(1)?,
                    event_id: r.try_get(2)?,
                    room: r.try_get::<Option<String>, _>(3)?.unwrap_or_default(),
                    mentions: serde_json::from_str(&mentions).unwrap_or_default(),
                    attempts: r.try_get(5)?,
                    next_attempt_at: r.try_get(6)?,
                    first_attempt_at: r.try_get(7)?,
                    title: r.try_get(8)?,
                    body: r.try_get(9)?,
                    url: r.try_get(10)?,
                    link_expires_at: r.try_get(11)?,
                    thread_key: r.try_get(12)?,
                    prerendered: r.try_get::<String, _>(13)? == crate::events::KIND_CALENDAR,
                })
            })
            .collect()
    }

    /// Commits a batch of attempt outcomes in one transaction. A delivery that stopped being
    /// pending meanwhile (cancelled by a disconnect or a delete) keeps its state; the attempt
    /// is still logged. Returns the deliveries to be retried that are no longer pending: the
    /// lane holding them must drop them, not send them again.
    pub async fn complete_attempts(
        &self,
        node: &str,
        records: &[AttemptRecord],
    ) -> Result<Vec<i64>> {
        let mut settled_elsewhere = Vec::new();
        if records.is_empty() {
            return Ok(settled_elsewhere);
        }
        let now = now_ms();
        let mut tx = self.write.begin().await?;
        for chunk in records.chunks(200) {
            let sql = format!(
                "INSERT INTO attempts (delivery_id, started_at, latency_ms, http_status, outcome, error, node) VALUES {}",
                values_placeholders(chunk.len(), 7)
            );
            let mut q = sqlx::query(&sql);
            for a in chunk {
                q = q
                    .bind(a.delivery_id)
                    .bind(a.started_at)
                    .bind(a.latency_ms)
                    .bind(a.http_status)
                    .bind(a.outcome)
                    .bind(a.error.clone())
                    .bind(node);
            }
            q.execute(&mut *tx).await?;
        }
        // Delivered ones in one statement per chunk: the hot path. `UPDATE … FROM (VALUES …)`
        // works on both backends; VALUES columns are named column1, column2, … on both.
        let delivered: Vec<(&AttemptRecord, Option<&String>)> = records
            .iter()
            .filter_map(|a| match &a.completion {
                Completion::Delivered { message_id } => Some((a, message_id.as_ref())),
                _ => None,
            })
            .collect();
        for chunk in delivered.chunks(300) {
            let sql = format!(
                "UPDATE deliveries SET status = 'delivered', message_id = v.column2, attempts = attempts + 1, \
                 first_attempt_at = COALESCE(first_attempt_at, v.column3), updated_at = $1 \
                 FROM (VALUES {}) AS v WHERE deliveries.id = v.column1 AND deliveries.status = 'pending'",
                values_placeholders_from(2, chunk.len(), 3)
            );
            let mut q = sqlx::query(&sql).bind(now);
            for (a, message_id) in chunk {
                q = q
                    .bind(a.delivery_id)
                    .bind(message_id.cloned())
                    .bind(a.started_at);
            }
            q.execute(&mut *tx).await?;
        }
        for a in records {
            match &a.completion {
                Completion::Delivered { .. } => {}
                Completion::Retry {
                    next_attempt_at,
                    code,
                    reason,
                } => {
                    let updated = sqlx::query(
                        "UPDATE deliveries SET attempts = attempts + 1, next_attempt_at = $1, reason_code = $2, reason = $3, \
                         first_attempt_at = COALESCE(first_attempt_at, $4), updated_at = $5 WHERE id = $6 AND status = 'pending'",
                    )
                    .bind(*next_attempt_at)
                    .bind(code)
                    .bind(reason)
                    .bind(a.started_at)
                    .bind(now)
                    .bind(a.delivery_id)
                    .execute(&mut *tx)
                    .await?;
                    if updated.rows_affected() == 0 {
                        settled_elsewhere.push(a.delivery_id);
                    }
                }
                Completion::Failed { code, reason } => {
                    sqlx::query(
                        "UPDATE deliveries SET status = 'failed', attempts = attempts + 1, reason_code = $1, reason = $2, \
                         first_attempt_at = COALESCE(first_attempt_at, $3), updated_at = $4 WHERE id = $5 AND status = 'pending'",
                    )
                    .bind(code)
                    .bind(reason)
                    .bind(a.started_at)
                    .bind(now)
                    .bind(a.delivery_id)
                    .execute(&mut *tx)
                    .await?;
                }
            }
        }
        tx.commit().await?;
        Ok(settled_elsewhere)
    }
}

/// What `/metrics` reads from the shared queue at scrape time.
pub struct QueueGauges {
    /// Pending deliveries by provider.
    pub depth: Vec<(String, i64)>,
    /// Connections waiting for a provider's rate limit to reset.
    pub paused_connections: i64,
}

impl Store {
    pub async fn queue_gauges(&self) -> Result<QueueGauges> {
        let rows = sqlx::query(
            "SELECT provider, COUNT(*) FROM deliveries WHERE status = 'pending' GROUP BY provider ORDER BY provider",
        )
        .fetch_all(&self.read)
        .await?;
        let depth = rows
            .iter()
            .map(|r| {
                Ok((
                    r.try_get::<Option<String>, _>(0)?.unwrap_or_default(),
                    r.try_get(1)?,
                ))
            })
            .collect::<Result<_>>()?;
        let paused_connections = sqlx::query_scalar(
            "SELECT COUNT(*) FROM connections WHERE status = 'connected' AND paused_until > $1",
        )
        .bind(now_ms())
        .fetch_one(&self.read)
        .await?;
        Ok(QueueGauges {
            depth,
            paused_connections,
        })
    }
}
