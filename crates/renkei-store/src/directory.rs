//! The tenant's directory: clients, groups, members and event types, all addressed by the
//! product's own `external_id`; and the routing snapshot built from them.

use std::collections::{BTreeMap, HashMap};

use renkei_core::model::{DeliveryMode, Owner, Provider};
use renkei_core::routing::{ClientView, ConnectionView, GroupView, MemberView, Snapshot, Targets};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;
use utoipa::ToSchema;

use crate::{list_placeholders, now_ms, Result, Store, StoreError};

/// Rooms per provider, already normalised (e.g. Chatwork room `123`).
pub type Rooms = BTreeMap<Provider, String>;
/// Account identities per provider (e.g. Chatwork account `123`).
pub type Identities = BTreeMap<Provider, String>;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Client {
    #[serde(skip)]
    pub id: i64,
    pub external_id: String,
    pub name: String,
    #[schema(value_type = Object)]
    pub rooms: Rooms,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Group {
    #[serde(skip)]
    pub id: i64,
    pub external_id: String,
    pub name: String,
    pub parent: Option<String>,
    #[schema(value_type = Object)]
    pub rooms: Rooms,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Member {
    #[serde(skip)]
    pub id: i64,
    pub external_id: String,
    pub name: String,
    pub email: Option<String>,
    pub client: Option<String>,
    pub groups: Vec<String>,
    #[schema(value_type = Object)]
    pub identities: Identities,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EventType {
    pub key: String,
    pub name: String,
    #[schema(value_type = String)]
    pub delivery: DeliveryMode,
}

pub struct MemberInput<'a> {
    pub name: &'a str,
    pub email: Option<&'a str>,
    pub client: Option<&'a str>,
    pub groups: &'a [String],
    pub identities: &'a Identities,
}

/// A reference to another object that does not exist, or would make a cycle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DirectoryError {
    UnknownClient(String),
    UnknownGroup(String),
    GroupCycle(String),
}

fn json<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).expect("serialisable")
}

fn parse_map(text: &str) -> Result<BTreeMap<Provider, String>> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("room/identity map: {e}")))
}

/// Inserts or updates by (tenant, external_id); returns the row ID and whether it was created.
async fn upsert(
    store: &Store,
    table: &str,
    tenant: i64,
    external_id: &str,
    cols: &[&str],
    vals: Vec<Option<String>>,
) -> Result<(i64, bool)> {
    let now = now_ms();
    let existing: Option<i64> = sqlx::query_scalar(&format!(
        "SELECT id FROM {table} WHERE tenant_id = $1 AND external_id = $2"
    ))
    .bind(tenant)
    .bind(external_id)
    .fetch_optional(&store.write)
    .await?;
    if let Some(id) = existing {
        let sets: Vec<String> = cols
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{c} = ${}", i + 3))
            .collect();
        let sql = format!(
            "UPDATE {table} SET updated_at = $1, {} WHERE id = $2",
            sets.join(", ")
        );
        let mut q = sqlx::query(&sql).bind(now).bind(id);
        for v in vals {
            q = q.bind(v);
        }
        q.execute(&store.write).await?;
        return Ok((id, false));
    }
    let sql = format!(
        "INSERT INTO {table} (tenant_id, external_id, created_at, updated_at, {}) VALUES ($1, $2, $3, $3, {}) RETURNING id",
        cols.join(", "),
        list_placeholders(4, cols.len())
    );
    let mut q = sqlx::query(&sql).bind(tenant).bind(external_id).bind(now);
    for v in vals {
        q = q.bind(v);
    }
    let id: i64 = q.fetch_one(&store.write).await?.try_get(0)?;
    Ok((id, true))
}

impl Store {
    pub async fn upsert_client(
        &self,
        tenant: i64,
        ext: &str,
        name: &str,
        rooms: &Rooms,
    ) -> Result<(Client, bool)> {
        let (id, created) = upsert(
            self,
            "clients",
            tenant,
            ext,
            &["name", "rooms"],
            vec![Some(name.into()), Some(json(rooms))],
        )
        .await?;
        Ok((
            Client {
                id,
                external_id: ext.into(),
                name: name.into(),
                rooms: rooms.clone(),
            },
            created,
        ))
    }

    pub async fn client_id(&self, tenant: i64, ext: &str) -> Result<Option<i64>> {
        Ok(
            sqlx::query_scalar("SELECT id FROM clients WHERE tenant_id = $1 AND external_id = $2")
                .bind(tenant)
                .bind(ext)
                .fetch_optional(&self.read)
                .await?,
        )
    }

    pub async fn member_id(&self, tenant: i64, ext: &str) -> Result<Option<i64>> {
        Ok(
            sqlx::query_scalar("SELECT id FROM members WHERE tenant_id = $1 AND external_id = $2")
                .bind(tenant)
                .bind(ext)
                .fetch_optional(&self.read)
                .await?,
        )
    }

    async fn group_id(&self, tenant: i64, ext: &str) -> Result<Option<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT id FROM tenant_groups WHERE tenant_id = $1 AND external_id = $2",
        )
        .bind(tenant)
        .bind(ext)
        .fetch_optional(&self.write)
        .await?)
    }

    /// Creates or updates a group. A parent that does not exist, or that would put the group
    /// inside its own subtree, is refused.
    pub async fn upsert_group(
        &self,
        tenant: i64,
        ext: &str,
        name: &str,
        parent: Option<&str>,
        rooms: &Rooms,
    ) -> Result<std::result::Result<(Group, bool), DirectoryError>> {
        let parent_id = match parent {
            None => None,
            Some(p) => match self.group_id(tenant, p).await? {
                Some(id) => Some(id),
                None => return Ok(Err(DirectoryError::UnknownGroup(p.into()))),
            },
        };
        if let (Some(pid), Some(me)) = (parent_id, self.group_id(tenant, ext).await?) {
            // Walk up from the new parent: meeting this group means a cycle.
            let mut cur = Some(pid);
            let mut steps = 0;
            while let Some(g) = cur {
                if g == me || steps > 10_000 {
                    return Ok(Err(DirectoryError::GroupCycle(format!(
                        "group `{ext}` cannot have `{}` as parent: `{}` is inside `{ext}`'s own subtree",
                        parent.unwrap_or_default(),
                        parent.unwrap_or_default()
                    ))));
                }
                cur = sqlx::query_scalar::<_, Option<i64>>(
                    "SELECT parent_id FROM tenant_groups WHERE id = $1",
                )
                .bind(g)
                .fetch_optional(&self.write)
                .await?
                .flatten();
                steps += 1;
            }
        }
        let (id, created) = upsert(
            self,
            "tenant_groups",
            tenant,
            ext,
            &["name", "rooms"],
            vec![Some(name.into()), Some(json(rooms))],
        )
        .await?;
        sqlx::query("UPDATE tenant_groups SET parent_id = $1 WHERE id = $2")
            .bind(parent_id)
            .bind(id)
            .execute(&self.write)
            .await?;
        let group = Group {
            id,
            external_id: ext.into(),
            name: name.into(),
            parent: parent.map(Into::into),
            rooms: rooms.clone(),
        };
        Ok(Ok((group, created)))
    }

    pub async fn upsert_member(
        &self,
        tenant: i64,
        ext: &str,
        input: MemberInput<'_>,
    ) -> Result<std::result::Result<(Member, bool), DirectoryError>> {
        let client_id = match input.client {
            None => None,
            Some(c) => match self.client_id(tenant, c).await? {
                Some(id) => Some(id),
                None => return Ok(Err(DirectoryError::UnknownClient(c.into()))),
            },
        };
        let mut group_ids = Vec::with_capacity(input.groups.len());
        for g in input.groups {
            match self.group_id(tenant, g).await? {
                Some(id) if !group_ids.contains(&id) => group_ids.push(id),
                Some(_) => {}
                None => return Ok(Err(DirectoryError::UnknownGroup(g.clone()))),
            }
        }
        let (id, created) = upsert(
            self,
            "members",
            tenant,
            ext,
            &["name", "email", "identities"],
            vec![
                Some(input.name.into()),
                input.email.map(Into::into),
                Some(json(input.identities)),
            ],
        )
        .await?;
        let mut tx = self.write.begin().await?;
        sqlx::query("UPDATE members SET client_id = $1 WHERE id = $2")
            .bind(client_id)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM member_groups WHERE member_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        for (pos, gid) in group_ids.iter().enumerate() {
            sqlx::query(
                "INSERT INTO member_groups (member_id, group_id, position) VALUES ($1, $2, $3)",
            )
            .bind(id)
            .bind(gid)
            .bind(pos as i64)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        let member = Member {
            id,
            external_id: ext.into(),
            name: input.name.into(),
            email: input.email.map(Into::into),
            client: input.client.map(Into::into),
            groups: input.groups.to_vec(),
            identities: input.identities.clone(),
        };
        Ok(Ok((member, created)))
    }

    pub async fn upsert_event_type(
        &self,
        tenant: i64,
        key: &str,
        name: &str,
        delivery: DeliveryMode,
    ) -> Result<(EventType, bool)> {
        let now = now_ms();
        let existing: Option<i64> =
            sqlx::query_scalar("SELECT id FROM event_types WHERE tenant_id = $1 AND key = $2")
                .bind(tenant)
                .bind(key)
                .fetch_optional(&self.write)
                .await?;
        let created = existing.is_none();
        if let Some(id) = existing {
            sqlx::query(
                "UPDATE event_types SET name = $1, delivery = $2, updated_at = $3 WHERE id = $4",
            )
            .bind(name)
            .bind(delivery.as_str())
            .bind(now)
            .bind(id)
            .execute(&self.write)
            .await?;
        } else {
            sqlx::query("INSERT INTO event_types (tenant_id, key, name, delivery, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)")
                .bind(tenant)
                .bind(key)
                .bind(name)
                .bind(delivery.as_str())
                .bind(now)
                .execute(&self.write)
                .await?;
        }
        Ok((
            EventType {
                key: key.into(),
                name: name.into(),
                delivery,
            },
            created,
        ))
    }

    /// The delivery mode of an event type; unknown types deliver to rooms.
    pub async fn delivery_mode(&self, tenant: i64, key: &str) -> Result<DeliveryMode> {
        let mode: Option<String> = sqlx::query_scalar(
            "SELECT delivery FROM event_types WHERE tenant_id = $1 AND key = $2",
        )
        .bind(tenant)
        .bind(key)
        .fetch_optional(&self.read)
        .await?;
        Ok(mode
            .and_then(|m| DeliveryMode::parse(&m))
            .unwrap_or_default())
    }

    /// Loads what routing needs for `targets`: every live connection, and the clients,
    /// groups and members the targets can reach.
    pub async fn snapshot(&self, tenant: i64, targets: &Targets) -> Result<Snapshot> {
        let mut snap = Snapshot {
            connections: self.connection_views(tenant).await?,
            ..Default::default()
        };
        if !targets.clients.is_empty() {
            let sql = format!(
                "SELECT id, external_id, rooms FROM clients WHERE tenant_id = $1 AND external_id IN ({})",
                list_placeholders(2, targets.clients.len())
            );
            let mut q = sqlx::query(&sql).bind(tenant);
            for c in &targets.clients {
                q = q.bind(c);
            }
            for r in q.fetch_all(&self.read).await? {
                let c = ClientView {
                    id: r.try_get(0)?,
                    external_id: r.try_get(1)?,
                    rooms: parse_map(&r.try_get::<String, _>(2)?)?,
                };
                snap.clients.insert(c.external_id.clone(), c);
            }
        }
        if !targets.groups.is_empty() || !targets.members.is_empty() {
            // The whole tree: ancestors are needed to find a room.
            let rows = sqlx::query("SELECT id, external_id, name, parent_id, rooms FROM tenant_groups WHERE tenant_id = $1")
                .bind(tenant)
                .fetch_all(&self.read)
                .await?;
            for r in rows {
                let g = GroupView {
                    id: r.try_get(0)?,
                    external_id: r.try_get(1)?,
                    name: r.try_get(2)?,
                    parent: r.try_get(3)?,
                    rooms: parse_map(&r.try_get::<String, _>(4)?)?,
                };
                snap.groups.insert(g.id, g);
            }
        }
        if !targets.members.is_empty() {
            let sql = format!(
                "SELECT id, external_id, name, identities FROM members WHERE tenant_id = $1 AND external_id IN ({})",
                list_placeholders(2, targets.members.len())
            );
            let mut q = sqlx::query(&sql).bind(tenant);
            for m in &targets.members {
                q = q.bind(m);
            }
            let mut by_id = HashMap::new();
            for r in q.fetch_all(&self.read).await? {
                let m = MemberView {
                    id: r.try_get(0)?,
                    external_id: r.try_get(1)?,
                    name: r.try_get(2)?,
                    groups: Vec::new(),
                    identities: parse_map(&r.try_get::<String, _>(3)?)?,
                };
                by_id.insert(m.id, m);
            }
            if !by_id.is_empty() {
                let sql = format!(
                    "SELECT member_id, group_id FROM member_groups WHERE member_id IN ({}) ORDER BY member_id, position",
                    list_placeholders(1, by_id.len())
                );
                let mut q = sqlx::query(&sql);
                for id in by_id.keys() {
                    q = q.bind(*id);
                }
                for r in q.fetch_all(&self.read).await? {
                    let (mid, gid): (i64, i64) = (r.try_get(0)?, r.try_get(1)?);
                    if let Some(m) = by_id.get_mut(&mid) {
                        m.groups.push(gid);
                    }
                }
            }
            snap.members = by_id
                .into_values()
                .map(|m| (m.external_id.clone(), m))
                .collect();
        }
        Ok(snap)
    }

    async fn connection_views(&self, tenant: i64) -> Result<Vec<ConnectionView>> {
        let rows = sqlx::query(
            "SELECT id, provider, owner_kind, owner_id, room, default_room, account_id FROM connections \
             WHERE tenant_id = $1 AND status = 'connected' ORDER BY id",
        )
        .bind(tenant)
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(connection_view).collect()
    }
}

fn connection_view(r: &AnyRow) -> Result<ConnectionView> {
    let provider: String = r.try_get(1)?;
    Ok(ConnectionView {
        id: r.try_get(0)?,
        provider: provider.parse().map_err(StoreError::Corrupt)?,
        owner: owner_from(&r.try_get::<String, _>(2)?, r.try_get(3)?)?,
        room: r.try_get(4)?,
        default_room: r.try_get(5)?,
        account_id: r.try_get(6)?,
    })
}

pub(crate) fn owner_from(kind: &str, id: Option<i64>) -> Result<Owner> {
    match (kind, id) {
        ("tenant", _) => Ok(Owner::Tenant),
        ("client", Some(id)) => Ok(Owner::Client(id)),
        ("member", Some(id)) => Ok(Owner::Member(id)),
        _ => Err(StoreError::Corrupt(format!(
            "connection owner {kind}/{id:?}"
        ))),
    }
}
