//! Sending a delivery again after it failed or was cancelled: it goes back into its
//! connection's queue as `pending`, due now, with a fresh retry budget. Its earlier attempts
//! stay in the `attempts` table (the delivery's history); `deliveries.attempts` and
//! `first_attempt_at` count only the current budget, which is what the worker's backoff and
//! give-up time are computed from.

use serde::Serialize;
use sqlx::{AnyConnection, Row};
use utoipa::ToSchema;

use crate::{now_ms, Backend, Result, Store};

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Resent {
    pub delivery_id: i64,
    pub event_id: i64,
    pub connection_id: i64,
    /// `pending`: queued again, due now.
    pub status: &'static str,
}

/// Why a delivery cannot be sent again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResendRefused {
    /// No such delivery or connection in this tenant.
    NotFound,
    /// Only `failed` and `cancelled` deliveries are sent again; this one is in that status.
    NotResendable(String),
    /// The delivery was never queued on a connection (it was skipped).
    NoConnection,
    /// The connection was deleted.
    ConnectionGone(i64),
    /// The provider refused the connection's credentials: the reason it was marked broken.
    ConnectionBroken(i64, Option<String>),
    /// The owner switched the connection off.
    ConnectionSwitchedOff(i64),
}

type Outcome<T> = Result<std::result::Result<T, ResendRefused>>;

const RESENT_REASON: &str = "sent again on request; the attempts before are kept";

impl Store {
    /// Queues one `failed` or `cancelled` delivery again on its connection.
    pub async fn resend_delivery(&self, tenant: i64, delivery: i64) -> Outcome<Resent> {
        let mut tx = self.write.begin().await?;
        let Some(row) = sqlx::query(
            "SELECT event_id, connection_id, status FROM deliveries WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tenant)
        .bind(delivery)
        .fetch_optional(&mut *tx)
        .await?
        else {
            return Ok(Err(ResendRefused::NotFound));
        };
        let (event_id, connection, status): (i64, Option<i64>, String) =
            (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
        if status != "failed" && status != "cancelled" {
            return Ok(Err(ResendRefused::NotResendable(status)));
        }
        let Some(connection) = connection else {
            return Ok(Err(ResendRefused::NoConnection));
        };
        if let Err(refused) = usable_connection(&mut tx, self.backend, connection).await? {
            return Ok(Err(refused));
        }
        let done = sqlx::query(&format!(
            "{REQUEUE} WHERE tenant_id = $4 AND id = $5 AND status IN ('failed', 'cancelled')"
        ))
        .bind(now_ms())
        .bind("resent")
        .bind(RESENT_REASON)
        .bind(tenant)
        .bind(delivery)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        if done.rows_affected() == 0 {
            // Only a concurrent resend gets here (nothing else leaves failed or cancelled).
            return Ok(Err(ResendRefused::NotResendable("pending".into())));
        }
        Ok(Ok(Resent {
            delivery_id: delivery,
            event_id,
            connection_id: connection,
            status: "pending",
        }))
    }

    /// Queues again every `failed` delivery of a connection created at or after `since_ms`
    /// (after an outage is over). Returns how many.
    pub async fn resend_failed(&self, tenant: i64, connection: i64, since_ms: i64) -> Outcome<u64> {
        let mut tx = self.write.begin().await?;
        let owned: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM connections WHERE tenant_id = $1 AND id = $2 AND status <> 'deleted'",
        )
        .bind(tenant)
        .bind(connection)
        .fetch_optional(&mut *tx)
        .await?;
        if owned.is_none() {
            return Ok(Err(ResendRefused::NotFound));
        }
        if let Err(refused) = usable_connection(&mut tx, self.backend, connection).await? {
            return Ok(Err(refused));
        }
        let done = sqlx::query(&format!(
            "{REQUEUE} WHERE tenant_id = $4 AND connection_id = $5 AND status = 'failed' AND created_at >= $6"
        ))
        .bind(now_ms())
        .bind("resent")
        .bind(RESENT_REASON)
        .bind(tenant)
        .bind(connection)
        .bind(since_ms)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Ok(done.rows_affected()))
    }
}

/// Back to the queue, due now, with a fresh retry budget (`$1` now, `$2` code, `$3` reason).
const REQUEUE: &str =
    "UPDATE deliveries SET status = 'pending', next_attempt_at = $1, attempts = 0, \
     first_attempt_at = NULL, message_id = NULL, reason_code = $2, reason = $3, updated_at = $1";

/// Whether the connection can send now. On PostgreSQL its row is share-locked until the
/// transaction ends, so a delete or a break either came first (and is seen here) or waits
/// and then settles the deliveries this queues.
async fn usable_connection(
    tx: &mut AnyConnection,
    backend: Backend,
    id: i64,
) -> Result<std::result::Result<(), ResendRefused>> {
    let lock = match backend {
        Backend::Postgres => " FOR SHARE",
        Backend::Sqlite => "",
    };
    let row = sqlx::query(&format!(
        "SELECT status, status_reason, enabled FROM connections WHERE id = $1{lock}"
    ))
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(row) = row else {
        return Ok(Err(ResendRefused::ConnectionGone(id)));
    };
    let status: String = row.try_get(0)?;
    Ok(match status.as_str() {
        "connected" if row.try_get::<i64, _>(2)? == 0 => {
            Err(ResendRefused::ConnectionSwitchedOff(id))
        }
        "connected" => Ok(()),
        "broken" => Err(ResendRefused::ConnectionBroken(id, row.try_get(1)?)),
        _ => Err(ResendRefused::ConnectionGone(id)),
    })
}
