//! What the member and client self-service pages read and write beyond the directory: a
//! client by the row ID its session holds, one identity of one member, and a member's own
//! latest deliveries.

use renkei_core::model::Provider;
use serde::Serialize;
use sqlx::Row;

use crate::directory::{parse_map, Client};
use crate::{now_ms, Result, Store};

/// One delivery made for a member, with the notice it belongs to.
#[derive(Debug, Clone, Serialize)]
pub struct RecentDelivery {
    pub id: i64,
    pub event_id: i64,
    /// `event`, `test_notice`, ...
    pub kind: String,
    pub event_type: String,
    pub title: String,
    pub created_at: i64,
    pub provider: Option<Provider>,
    /// Where it went (`dm:<account>` for a direct message), when it was sent somewhere.
    pub room: Option<String>,
    pub status: String,
    pub reason_code: Option<String>,
    pub reason: Option<String>,
}

impl Store {
    /// A client by its row ID (a client session holds it), with its rooms.
    pub async fn client_by_row(&self, tenant: i64, id: i64) -> Result<Option<Client>> {
        let row = sqlx::query(
            "SELECT id, external_id, name, rooms FROM clients WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tenant)
        .bind(id)
        .fetch_optional(&self.read)
        .await?;
        row.map(|r| {
            Ok(Client {
                id: r.try_get(0)?,
                external_id: r.try_get(1)?,
                name: r.try_get(2)?,
                rooms: parse_map(&r.try_get::<String, _>(3)?)?,
            })
        })
        .transpose()
    }

    /// Sets (`Some`) or removes (`None`) one member's account on `provider`, leaving their
    /// other identities as they are. False when the member does not exist.
    pub async fn set_member_identity(
        &self,
        tenant: i64,
        member_id: i64,
        provider: Provider,
        account: Option<&str>,
    ) -> Result<bool> {
        let mut tx = self.write.begin().await?;
        let current: Option<String> =
            sqlx::query_scalar("SELECT identities FROM members WHERE tenant_id = $1 AND id = $2")
                .bind(tenant)
                .bind(member_id)
                .fetch_optional(&mut *tx)
                .await?;
        let Some(current) = current else {
            return Ok(false);
        };
        let mut ids = parse_map(&current)?;
        match account {
            Some(a) => ids.insert(provider, a.to_string()),
            None => ids.remove(&provider),
        };
        sqlx::query(
            "UPDATE members SET identities = $1, updated_at = $2 WHERE tenant_id = $3 AND id = $4",
        )
        .bind(serde_json::to_string(&ids).expect("a map of strings serialises"))
        .bind(now_ms())
        .bind(tenant)
        .bind(member_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// The newest deliveries made for one target (`member:<ext>`), newest first: what
    /// reached that member, through which tool, and what did not.
    pub async fn deliveries_for_target(
        &self,
        tenant: i64,
        target: &str,
        limit: i64,
    ) -> Result<Vec<RecentDelivery>> {
        let rows = sqlx::query(
            "SELECT d.id, d.event_id, e.kind, e.type, e.title, d.created_at, d.provider, d.status, \
             d.reason_code, d.reason, d.room FROM deliveries d JOIN events e ON e.id = d.event_id \
             WHERE d.tenant_id = $1 AND d.target = $2 AND d.status <> 'staged' AND e.state = 'accepted' \
             ORDER BY d.event_id DESC, d.id DESC LIMIT $3",
        )
        .bind(tenant)
        .bind(target)
        .bind(limit)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                let provider: Option<String> = r.try_get(6)?;
                Ok(RecentDelivery {
                    id: r.try_get(0)?,
                    event_id: r.try_get(1)?,
                    kind: r.try_get(2)?,
                    event_type: r.try_get(3)?,
                    title: r.try_get(4)?,
                    created_at: r.try_get(5)?,
                    provider: provider.and_then(|p| p.parse().ok()),
                    status: r.try_get(7)?,
                    reason_code: r.try_get(8)?,
                    reason: r.try_get(9)?,
                    room: r.try_get(10)?,
                })
            })
            .collect()
    }
}
