//! Connections: verified credentials for one provider, owned by the tenant, a client or a
//! member. Credentials are sealed with the [`SecretBox`](crate::SecretBox) and never leave
//! the store except to the worker that sends with them.

use renkei_core::model::{ConnectionKind, Provider};
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::directory::owner_from;
use crate::settle::DeadConnection;
use crate::{now_ms, Result, Store, StoreError};
pub use renkei_core::model::Owner;

#[derive(Debug, Clone)]
pub struct Connection {
    pub id: i64,
    pub tenant_id: i64,
    pub provider: Provider,
    pub kind: ConnectionKind,
    pub owner: Owner,
    /// The owner's external ID (client or member), for display.
    pub owner_external_id: Option<String>,
    pub room: Option<String>,
    pub status: String,
    pub status_reason: Option<String>,
    pub account_id: Option<String>,
    pub account_name: Option<String>,
    pub default_room: Option<String>,
    pub secret_hint: Option<String>,
    pub paused_until: i64,
    pub created_at: i64,
    /// Switched off by its owner: kept, but routes around it.
    pub enabled: bool,
}

pub struct NewConnection<'a> {
    pub provider: Provider,
    pub kind: ConnectionKind,
    pub owner: Owner,
    pub room: Option<&'a str>,
    pub account_id: Option<&'a str>,
    pub account_name: Option<&'a str>,
    pub default_room: Option<&'a str>,
    /// Credentials as JSON; sealed before they touch the database.
    pub credentials: &'a serde_json::Value,
    pub secret_hint: &'a str,
}

const SELECT: &str = "SELECT c.id, c.tenant_id, c.provider, c.owner_kind, c.owner_id, c.room, c.status, c.status_reason, \
     c.account_id, c.account_name, c.default_room, c.secret_hint, c.paused_until, c.created_at, \
     COALESCE(cl.external_id, m.external_id), c.enabled, c.kind \
     FROM connections c \
     LEFT JOIN clients cl ON c.owner_kind = 'client' AND cl.id = c.owner_id \
     LEFT JOIN members m ON c.owner_kind = 'member' AND m.id = c.owner_id";

fn from_row(r: &AnyRow) -> Result<Connection> {
    Ok(Connection {
        id: r.try_get(0)?,
        tenant_id: r.try_get(1)?,
        provider: r
            .try_get::<String, _>(2)?
            .parse()
            .map_err(StoreError::Corrupt)?,
        owner: owner_from(&r.try_get::<String, _>(3)?, r.try_get(4)?)?,
        room: r.try_get(5)?,
        status: r.try_get(6)?,
        status_reason: r.try_get(7)?,
        account_id: r.try_get(8)?,
        account_name: r.try_get(9)?,
        default_room: r.try_get(10)?,
        secret_hint: r.try_get(11)?,
        paused_until: r.try_get(12)?,
        created_at: r.try_get(13)?,
        owner_external_id: r.try_get(14)?,
        enabled: r.try_get::<i64, _>(15)? != 0,
        kind: ConnectionKind::parse(&r.try_get::<String, _>(16)?)
            .ok_or_else(|| StoreError::Corrupt("unknown connection kind".into()))?,
    })
}

fn owner_cols(owner: Owner) -> (&'static str, Option<i64>) {
    match owner {
        Owner::Tenant => ("tenant", None),
        Owner::Client(id) => ("client", Some(id)),
        Owner::Member(id) => ("member", Some(id)),
    }
}

impl Store {
    pub async fn insert_connection(
        &self,
        tenant: i64,
        new: NewConnection<'_>,
    ) -> Result<Connection> {
        let sealed = self.secrets.seal(new.credentials.to_string().as_bytes());
        let (kind, owner_id) = owner_cols(new.owner);
        let now = now_ms();
        let id: i64 = sqlx::query(
            "INSERT INTO connections (tenant_id, provider, owner_kind, owner_id, room, status, account_id, account_name, \
             default_room, secret, secret_hint, created_at, updated_at, kind) \
             VALUES ($1, $2, $3, $4, $5, 'connected', $6, $7, $8, $9, $10, $11, $11, $12) RETURNING id",
        )
        .bind(tenant)
        .bind(new.provider.as_str())
        .bind(kind)
        .bind(owner_id)
        .bind(new.room)
        .bind(new.account_id)
        .bind(new.account_name)
        .bind(new.default_room)
        .bind(sealed)
        .bind(new.secret_hint)
        .bind(now)
        .bind(new.kind.as_str())
        .fetch_one(&self.write)
        .await?
        .try_get(0)?;
        self.connection(tenant, id)
            .await?
            .ok_or_else(|| StoreError::Corrupt("connection vanished".into()))
    }

    /// A live (not deleted) connection of this tenant.
    pub async fn connection(&self, tenant: i64, id: i64) -> Result<Option<Connection>> {
        let sql =
            format!("{SELECT} WHERE c.tenant_id = $1 AND c.id = $2 AND c.status <> 'deleted'");
        let row = sqlx::query(&sql)
            .bind(tenant)
            .bind(id)
            .fetch_optional(&self.write)
            .await?;
        row.as_ref().map(from_row).transpose()
    }

    pub async fn connections(&self, tenant: i64) -> Result<Vec<Connection>> {
        let sql =
            format!("{SELECT} WHERE c.tenant_id = $1 AND c.status <> 'deleted' ORDER BY c.id");
        let rows = sqlx::query(&sql).bind(tenant).fetch_all(&self.read).await?;
        rows.iter().map(from_row).collect()
    }

    /// Worker-side lookup (no tenant scope: the worker acts for every tenant).
    pub async fn connection_for_worker(
        &self,
        id: i64,
    ) -> Result<Option<(Connection, serde_json::Value)>> {
        let sql = format!("{SELECT} WHERE c.id = $1 AND c.status = 'connected'");
        let Some(row) = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(&self.read)
            .await?
        else {
            return Ok(None);
        };
        let conn = from_row(&row)?;
        let sealed: Option<Vec<u8>> =
            sqlx::query_scalar("SELECT secret FROM connections WHERE id = $1")
                .bind(id)
                .fetch_one(&self.read)
                .await?;
        let Some(sealed) = sealed else {
            return Ok(None);
        };
        let plain = self.secrets.open(&sealed)?;
        let creds =
            serde_json::from_slice(&plain).map_err(|e| StoreError::Secret(e.to_string()))?;
        Ok(Some((conn, creds)))
    }

    /// Deletes the credentials at once and cancels what was waiting for them. Returns the
    /// number of deliveries cancelled, or `None` when there is no such connection.
    pub async fn delete_connection(&self, tenant: i64, id: i64) -> Result<Option<u64>> {
        let mut tx = self.write.begin().await?;
        let cancelled = delete_connection_in(&mut tx, tenant, id, "deleted by the tenant").await?;
        tx.commit().await?;
        Ok(cancelled)
    }

    /// The provider refused the credentials: mark the connection broken and fail what waits.
    pub async fn mark_connection_broken(&self, id: i64, code: &str, reason: &str) -> Result<u64> {
        let mut tx = self.write.begin().await?;
        let now = now_ms();
        sqlx::query("UPDATE connections SET status = 'broken', status_reason = $1, updated_at = $2 WHERE id = $3 AND status = 'connected'")
            .bind(reason)
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let failed = sqlx::query(
            "UPDATE deliveries SET status = 'failed', reason_code = $1, reason = $2, updated_at = $3 \
             WHERE connection_id = $4 AND status = 'pending'",
        )
        .bind(code)
        .bind(reason)
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(failed.rows_affected())
    }

    /// Switches a connection on or off; false when there is no such live connection.
    pub async fn set_connection_enabled(
        &self,
        tenant: i64,
        id: i64,
        enabled: bool,
    ) -> Result<bool> {
        let done = sqlx::query("UPDATE connections SET enabled = $1, updated_at = $2 WHERE tenant_id = $3 AND id = $4 AND status <> 'deleted'")
            .bind(i64::from(enabled))
            .bind(now_ms())
            .bind(tenant)
            .bind(id)
            .execute(&self.write)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// How many deliveries wait to be sent through one of the tenant's connections: what
    /// deleting it would cancel.
    pub async fn pending_delivery_count(&self, tenant: i64, id: i64) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM deliveries WHERE connection_id = $1 AND tenant_id = $2 AND status = 'pending'",
        )
        .bind(id)
        .bind(tenant)
        .fetch_one(&self.read)
        .await?)
    }

    /// Sets (or clears, with `None`) where a live connection posts when nothing else says;
    /// false when there is no such live connection. Deliveries already queued keep their room.
    pub async fn set_connection_room(
        &self,
        tenant: i64,
        id: i64,
        room: Option<&str>,
    ) -> Result<bool> {
        let done = sqlx::query("UPDATE connections SET room = $1, updated_at = $2 WHERE tenant_id = $3 AND id = $4 AND status <> 'deleted'")
            .bind(room)
            .bind(now_ms())
            .bind(tenant)
            .bind(id)
            .execute(&self.write)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Merges `fields` (top-level keys) into a live connection's credentials: a provider
    /// renewed its tokens, or the owner set a webhook secret. Read and write happen in one
    /// transaction (the row locked on PostgreSQL; SQLite has one writer), so two updates of
    /// different fields both survive.
    /// A deleted or broken connection keeps what it has: unlinking wins over a late refresh.
    pub async fn save_credentials(&self, id: i64, fields: &serde_json::Value) -> Result<bool> {
        let mut tx = self.write.begin().await?;
        // PostgreSQL has several writers (and nodes): lock the row. SQLite has one writer.
        let lock = match self.backend {
            crate::Backend::Postgres => " FOR UPDATE",
            crate::Backend::Sqlite => "",
        };
        let sql =
            format!("SELECT secret FROM connections WHERE id = $1 AND status = 'connected'{lock}");
        let sealed: Option<Vec<u8>> = sqlx::query_scalar(&sql)
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?
            .flatten();
        let Some(sealed) = sealed else {
            return Ok(false);
        };
        let mut merged: serde_json::Value = serde_json::from_slice(&self.secrets.open(&sealed)?)
            .map_err(|e| StoreError::Secret(e.to_string()))?;
        if let (Some(into), Some(from)) = (merged.as_object_mut(), fields.as_object()) {
            for (k, v) in from {
                into.insert(k.clone(), v.clone());
            }
        }
        let sealed = self.secrets.seal(merged.to_string().as_bytes());
        sqlx::query("UPDATE connections SET secret = $1, updated_at = $2 WHERE id = $3")
            .bind(sealed)
            .bind(now_ms())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// The credentials of a live connection of this tenant (for calls made on the owner's
    /// behalf: listing rooms, contacts, quota).
    pub async fn connection_credentials(
        &self,
        tenant: i64,
        id: i64,
    ) -> Result<Option<(Connection, serde_json::Value)>> {
        match self.connection_for_worker(id).await? {
            Some((c, creds)) if c.tenant_id == tenant => Ok(Some((c, creds))),
            _ => Ok(None),
        }
    }

    /// The whole credential is rate limited until `until_ms` (shared by every node).
    pub async fn pause_connection(&self, id: i64, until_ms: i64) -> Result<()> {
        sqlx::query("UPDATE connections SET paused_until = $1 WHERE id = $2")
            .bind(until_ms)
            .bind(id)
            .execute(&self.write)
            .await?;
        Ok(())
    }
}

/// A LINE user and whether they follow the official account now.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Follower {
    pub user_id: String,
    pub following: bool,
    pub updated_at: i64,
    /// The member linked to this LINE user, if any.
    pub member: Option<String>,
}

impl Store {
    /// Records a follow or unfollow from a signed LINE webhook.
    pub async fn record_follow(
        &self,
        connection: i64,
        user_id: &str,
        following: bool,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO line_followers (connection_id, user_id, following, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (connection_id, user_id) DO UPDATE SET following = excluded.following, updated_at = excluded.updated_at",
        )
        .bind(connection)
        .bind(user_id)
        .bind(i64::from(following))
        .bind(now_ms())
        .execute(&self.write)
        .await?;
        Ok(())
    }

    pub async fn followers(&self, tenant: i64, connection: i64) -> Result<Vec<Follower>> {
        let rows = sqlx::query(
            "SELECT f.user_id, f.following, f.updated_at \
             FROM line_followers f JOIN connections c ON c.id = f.connection_id \
             WHERE c.tenant_id = $1 AND f.connection_id = $2 ORDER BY f.updated_at",
        )
        .bind(tenant)
        .bind(connection)
        .fetch_all(&self.read)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let user_id: String = r.try_get(0)?;
            let member = self
                .members_with_identity(tenant, Provider::Line, &user_id)
                .await?
                .into_iter()
                .next()
                .map(|(ext, _)| ext);
            out.push(Follower {
                following: r.try_get::<i64, _>(1)? != 0,
                updated_at: r.try_get(2)?,
                user_id,
                member,
            });
        }
        Ok(out)
    }
}

/// Deletes a live connection inside `tx`: its credentials go at once, its pending deliveries
/// end as intake and lanes settle a deleted connection's (`connection_deleted`), its lease is
/// dropped. Returns how many deliveries were cancelled, or `None` when there is no such
/// live connection.
pub(crate) async fn delete_connection_in(
    tx: &mut sqlx::AnyConnection,
    tenant: i64,
    id: i64,
    why_deleted: &str,
) -> Result<Option<u64>> {
    let now = now_ms();
    let done = sqlx::query(
        "UPDATE connections SET status = 'deleted', secret = NULL, status_reason = $1, updated_at = $2 \
         WHERE tenant_id = $3 AND id = $4 AND status <> 'deleted'",
    )
    .bind(why_deleted)
    .bind(now)
    .bind(tenant)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Ok(None);
    }
    // The same settlement intake and lanes give a deleted connection's deliveries.
    let why = DeadConnection::from_state(Some("deleted"), None).expect("deleted is dead");
    let cancelled = sqlx::query(
        "UPDATE deliveries SET status = $1, reason_code = $2, reason = $3, updated_at = $4 \
         WHERE connection_id = $5 AND status = 'pending'",
    )
    .bind(why.status)
    .bind(why.code)
    .bind(&why.reason)
    .bind(now)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    sqlx::query("DELETE FROM lane_leases WHERE connection_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    Ok(Some(cancelled.rows_affected()))
}
