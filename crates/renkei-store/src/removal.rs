//! Deleting clients, groups, members and event types, and what becomes of the deliveries that
//! still wait for them (see docs/decisions.md, "Deleting directory objects"):
//! - deliveries still pending that were made for the object (target `client:<ext>`,
//!   `group:<ext>`, `member:<ext>`) end `cancelled` with the code `<kind>_deleted`;
//! - connections the object owns are deleted with it, their pending deliveries settled as for
//!   any deleted connection (`cancelled`, `connection_deleted`);
//! - its memberships and preferences go; everything already sent, failed or skipped stays in
//!   the delivery log as it is.
//!
//! Each deletion is one transaction, so it happens entirely or not at all.

use serde::Serialize;
use sqlx::{AnyConnection, Row};
use utoipa::ToSchema;

use crate::connections::delete_connection_in;
use crate::{now_ms, Backend, Result, Store};

/// What a deletion did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Removal {
    pub deleted: bool,
    /// Pending deliveries made for the object, now `cancelled` (reason code `<kind>_deleted`).
    pub cancelled_deliveries: u64,
    /// Connections the object owned, deleted with it.
    pub deleted_connections: Vec<DeletedConnection>,
    /// Client: members who belonged to it (they stay, with no client). Group: members who
    /// were in it (they stay in their other groups).
    pub detached_members: u64,
    /// Member or event type: the member preferences removed with it.
    pub removed_preferences: u64,
    /// What happened, in a sentence.
    pub note: String,
    /// Connections whose lanes held the cancelled deliveries (to make them re-read the queue).
    #[serde(skip)]
    pub lanes_to_resync: Vec<i64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeletedConnection {
    pub id: i64,
    pub provider: String,
    /// Its pending deliveries, now `cancelled` (reason code `connection_deleted`).
    pub cancelled_deliveries: u64,
}

/// Why a deletion did not happen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RemovalRefused {
    NotFound,
    /// A group with sub-groups: (external ID, name) of each.
    HasChildren(Vec<(String, String)>),
    /// A member with absences mirrored into a calendar: their external IDs.
    HasAbsences(Vec<String>),
}

type Outcome = Result<std::result::Result<Removal, RemovalRefused>>;

impl Removal {
    fn new(note: String) -> Self {
        Removal {
            deleted: true,
            cancelled_deliveries: 0,
            deleted_connections: Vec::new(),
            detached_members: 0,
            removed_preferences: 0,
            note,
            lanes_to_resync: Vec::new(),
        }
    }
}

impl Store {
    /// Deletes a client: its own connections go with it, its members stay without a client.
    pub async fn delete_client(&self, tenant: i64, ext: &str) -> Outcome {
        let mut tx = self.write.begin().await?;
        let Some(id) = lock_row(&mut tx, self.backend, "clients", tenant, ext).await? else {
            return Ok(Err(RemovalRefused::NotFound));
        };
        let mut r = Removal::new(String::new());
        // Deliveries made for the client are cancelled as such first (most of them go
        // through its own connections); the connections then take what else they had.
        cancel_for_target(&mut tx, tenant, &format!("client:{ext}"), "client", &mut r).await?;
        delete_owned_connections(&mut tx, tenant, "client", id, &mut r).await?;
        r.detached_members = exec(
            &mut tx,
            "UPDATE members SET client_id = NULL WHERE client_id = $1",
            id,
        )
        .await?;
        exec(&mut tx, "DELETE FROM clients WHERE id = $1", id).await?;
        tx.commit().await?;
        r.note = format!(
            "client {ext} was deleted: {} pending deliveries for it were cancelled, {} of its own connections deleted \
             (their pending deliveries cancelled), and {} members now belong to no client. \
             Deliveries already made stay in the log.",
            r.cancelled_deliveries,
            r.deleted_connections.len(),
            r.detached_members
        );
        Ok(Ok(r))
    }

    /// Deletes a group that has no sub-groups; its members stay in their other groups.
    pub async fn delete_group(&self, tenant: i64, ext: &str) -> Outcome {
        let mut tx = self.write.begin().await?;
        let Some(id) = lock_row(&mut tx, self.backend, "tenant_groups", tenant, ext).await? else {
            return Ok(Err(RemovalRefused::NotFound));
        };
        let children = sqlx::query(
            "SELECT external_id, name FROM tenant_groups WHERE parent_id = $1 ORDER BY external_id",
        )
        .bind(id)
        .fetch_all(&mut *tx)
        .await?;
        if !children.is_empty() {
            let children = children
                .iter()
                .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
                .collect::<Result<_>>()?;
            return Ok(Err(RemovalRefused::HasChildren(children)));
        }
        let mut r = Removal::new(String::new());
        cancel_for_target(&mut tx, tenant, &format!("group:{ext}"), "group", &mut r).await?;
        r.detached_members =
            exec(&mut tx, "DELETE FROM member_groups WHERE group_id = $1", id).await?;
        exec(&mut tx, "DELETE FROM tenant_groups WHERE id = $1", id).await?;
        tx.commit().await?;
        r.note = format!(
            "group {ext} was deleted: {} pending deliveries for it were cancelled and {} members left it \
             (a member whose primary group it was now has their next group as primary). \
             Deliveries already made stay in the log.",
            r.cancelled_deliveries, r.detached_members
        );
        Ok(Ok(r))
    }

    /// Deletes a member with their own connections, memberships and preferences. Refused
    /// while they have absences in a calendar (deleting those first removes them there).
    pub async fn delete_member(&self, tenant: i64, ext: &str) -> Outcome {
        let mut tx = self.write.begin().await?;
        let Some(id) = lock_row(&mut tx, self.backend, "members", tenant, ext).await? else {
            return Ok(Err(RemovalRefused::NotFound));
        };
        let absences: Vec<String> = sqlx::query_scalar(
            "SELECT external_id FROM absences WHERE member_id = $1 AND deleted = 0 ORDER BY external_id",
        )
        .bind(id)
        .fetch_all(&mut *tx)
        .await?;
        if !absences.is_empty() {
            return Ok(Err(RemovalRefused::HasAbsences(absences)));
        }
        let mut r = Removal::new(String::new());
        cancel_for_target(&mut tx, tenant, &format!("member:{ext}"), "member", &mut r).await?;
        delete_owned_connections(&mut tx, tenant, "member", id, &mut r).await?;
        r.removed_preferences =
            exec(&mut tx, "DELETE FROM preferences WHERE member_id = $1", id).await?;
        exec(
            &mut tx,
            "DELETE FROM member_groups WHERE member_id = $1",
            id,
        )
        .await?;
        // Only removed absences are left: their calendar events are gone already.
        exec(&mut tx, "DELETE FROM absences WHERE member_id = $1", id).await?;
        exec(&mut tx, "DELETE FROM members WHERE id = $1", id).await?;
        tx.commit().await?;
        r.note = format!(
            "member {ext} was deleted: {} pending deliveries for them were cancelled, {} of their own connections \
             deleted (their pending deliveries cancelled), their group memberships and {} preferences removed. \
             Deliveries already made stay in the log.",
            r.cancelled_deliveries,
            r.deleted_connections.len(),
            r.removed_preferences
        );
        Ok(Ok(r))
    }

    /// Deletes an event type and the member preferences for it. Events already accepted keep
    /// their deliveries (they were routed when accepted); new events with this key are routed
    /// as any unknown type: to rooms, with the tenant's link setting.
    pub async fn delete_event_type(&self, tenant: i64, key: &str) -> Outcome {
        let mut tx = self.write.begin().await?;
        let gone = sqlx::query("DELETE FROM event_types WHERE tenant_id = $1 AND key = $2")
            .bind(tenant)
            .bind(key)
            .execute(&mut *tx)
            .await?;
        if gone.rows_affected() == 0 {
            return Ok(Err(RemovalRefused::NotFound));
        }
        let prefs = sqlx::query("DELETE FROM preferences WHERE tenant_id = $1 AND event_type = $2")
            .bind(tenant)
            .bind(key)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        let mut r = Removal::new(format!(
            "event type {key} was deleted with {} member preferences for it. Events already accepted keep their \
             deliveries, pending ones included: they go out as routed. New events of type {key} are delivered \
             as any unknown type: to rooms, with the tenant's confirmation-link setting.",
            prefs.rows_affected()
        ));
        r.removed_preferences = prefs.rows_affected();
        Ok(Ok(r))
    }
}

/// The object's row ID, locked until the transaction ends on PostgreSQL (a concurrent write
/// that names it waits, then finds it gone). SQLite has one writer.
async fn lock_row(
    tx: &mut AnyConnection,
    backend: Backend,
    table: &str,
    tenant: i64,
    ext: &str,
) -> Result<Option<i64>> {
    let lock = match backend {
        Backend::Postgres => " FOR UPDATE",
        Backend::Sqlite => "",
    };
    Ok(sqlx::query_scalar(&format!(
        "SELECT id FROM {table} WHERE tenant_id = $1 AND external_id = $2{lock}"
    ))
    .bind(tenant)
    .bind(ext)
    .fetch_optional(&mut *tx)
    .await?)
}

async fn exec(tx: &mut AnyConnection, sql: &str, id: i64) -> Result<u64> {
    Ok(sqlx::query(sql)
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected())
}

/// Cancels what still waits for `target` (pending, or staged by a write in progress).
async fn cancel_for_target(
    tx: &mut AnyConnection,
    tenant: i64,
    target: &str,
    kind: &str,
    r: &mut Removal,
) -> Result<()> {
    let lanes: Vec<Option<i64>> = sqlx::query_scalar(
        "SELECT DISTINCT connection_id FROM deliveries \
         WHERE tenant_id = $1 AND target = $2 AND status IN ('pending', 'staged')",
    )
    .bind(tenant)
    .bind(target)
    .fetch_all(&mut *tx)
    .await?;
    // (Made before the query: the values behind it are not Send across the await.)
    let reason = renkei_core::routing::why::text("target-deleted", &[("kind", &kind)]);
    let done = sqlx::query(
        "UPDATE deliveries SET status = 'cancelled', reason_code = $1, reason = $2, updated_at = $3 \
         WHERE tenant_id = $4 AND target = $5 AND status IN ('pending', 'staged')",
    )
    .bind(format!("{kind}_deleted"))
    .bind(reason)
    .bind(now_ms())
    .bind(tenant)
    .bind(target)
    .execute(&mut *tx)
    .await?;
    r.cancelled_deliveries = done.rows_affected();
    r.lanes_to_resync.extend(lanes.into_iter().flatten());
    Ok(())
}

async fn delete_owned_connections(
    tx: &mut AnyConnection,
    tenant: i64,
    owner_kind: &str,
    owner: i64,
    r: &mut Removal,
) -> Result<()> {
    let owned = sqlx::query(
        "SELECT id, provider FROM connections \
         WHERE tenant_id = $1 AND owner_kind = $2 AND owner_id = $3 AND status <> 'deleted' ORDER BY id",
    )
    .bind(tenant)
    .bind(owner_kind)
    .bind(owner)
    .fetch_all(&mut *tx)
    .await?;
    for row in owned {
        let id: i64 = row.try_get(0)?;
        let why = format!("deleted with its {owner_kind}");
        if let Some(cancelled) = delete_connection_in(tx, tenant, id, &why).await? {
            r.deleted_connections.push(DeletedConnection {
                id,
                provider: row.try_get(1)?,
                cancelled_deliveries: cancelled,
            });
        }
    }
    Ok(())
}
