//! What becomes of deliveries whose connection died: deleted → `cancelled`
//! (`connection_deleted`), broken → `failed` (`connection_broken`, with the reason the
//! connection was broken for). One mapping, used when intake finds a connection dead and
//! when a lane finds deliveries left for one.

use std::collections::{HashMap, HashSet};

use renkei_core::routing::why;
use sqlx::{AnyConnection, Row};

use crate::{list_placeholders, now_ms, Backend, Result, Store};

/// How deliveries of a dead connection are settled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadConnection {
    pub status: &'static str,
    pub code: &'static str,
    pub reason: String,
}

impl DeadConnection {
    /// `None` while the connection is alive.
    pub fn from_state(status: Option<&str>, status_reason: Option<&str>) -> Option<Self> {
        match status {
            Some("connected") => None,
            Some("broken") => Some(DeadConnection {
                status: "failed",
                code: "connection_broken",
                reason: status_reason
                    .map(str::to_string)
                    .unwrap_or_else(|| why::text("connection-broken", &[])),
            }),
            // Deleted, or gone altogether.
            _ => Some(DeadConnection {
                status: "cancelled",
                code: "connection_deleted",
                reason: why::text("connection-deleted", &[]),
            }),
        }
    }
}

/// Connections among `ids` that are not alive, with how to settle their deliveries. On
/// PostgreSQL the rows are share-locked until the transaction ends, so a delete or a break
/// either committed before (we see it) or waits until after (it then settles our rows).
pub(crate) async fn dead_connections(
    tx: &mut AnyConnection,
    backend: Backend,
    ids: &HashSet<i64>,
) -> Result<HashMap<i64, DeadConnection>> {
    let mut ids: Vec<i64> = ids.iter().copied().collect();
    ids.sort_unstable(); // one lock order for everyone
    let mut found: HashMap<i64, (String, Option<String>)> = HashMap::new();
    for chunk in ids.chunks(500) {
        let lock = match backend {
            Backend::Postgres => " ORDER BY id FOR SHARE",
            Backend::Sqlite => "", // one writer: nothing changes under a transaction
        };
        let sql = format!(
            "SELECT id, status, status_reason FROM connections WHERE id IN ({}){lock}",
            list_placeholders(1, chunk.len())
        );
        let mut q = sqlx::query(&sql);
        for id in chunk {
            q = q.bind(id);
        }
        for r in q.fetch_all(&mut *tx).await? {
            found.insert(r.try_get(0)?, (r.try_get(1)?, r.try_get(2)?));
        }
    }
    Ok(ids
        .into_iter()
        .filter_map(|id| {
            let state = found.get(&id);
            let why = DeadConnection::from_state(
                state.map(|s| s.0.as_str()),
                state.and_then(|s| s.1.as_deref()),
            )?;
            Some((id, why))
        })
        .collect())
}

impl Store {
    /// A lane found its connection dead with deliveries still pending (left by a crash or an
    /// older version): settles them with the connection's reason. Returns how many.
    pub async fn settle_dead_connection(&self, connection: i64) -> Result<u64> {
        let mut tx = self.write.begin().await?;
        let ids = HashSet::from([connection]);
        let Some(why) = dead_connections(&mut tx, self.backend, &ids)
            .await?
            .remove(&connection)
        else {
            return Ok(0);
        };
        let done = sqlx::query(
            "UPDATE deliveries SET status = $1, reason_code = $2, reason = $3, updated_at = $4 \
             WHERE connection_id = $5 AND status = 'pending'",
        )
        .bind(why.status)
        .bind(why.code)
        .bind(&why.reason)
        .bind(now_ms())
        .bind(connection)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(done.rows_affected())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dead_connections_settle_with_their_reason() {
        assert_eq!(DeadConnection::from_state(Some("connected"), None), None);
        let broken = DeadConnection::from_state(Some("broken"), Some("HTTP 401")).unwrap();
        assert_eq!(
            (broken.status, broken.code, broken.reason.as_str()),
            ("failed", "connection_broken", "HTTP 401")
        );
        for gone in [Some("deleted"), None] {
            let d = DeadConnection::from_state(gone, None).unwrap();
            assert_eq!((d.status, d.code), ("cancelled", "connection_deleted"));
        }
    }
}
