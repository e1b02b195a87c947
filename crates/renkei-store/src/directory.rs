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
    /// The tenant's default per provider for this type (absent = on).
    #[schema(value_type = Object)]
    pub defaults: BTreeMap<Provider, bool>,
    /// Confirmation-link lifetime in days; `None` = the tenant's setting.
    pub confirmation_link_ttl_days: Option<i64>,
}

/// How an event of a given type is delivered.
#[derive(Debug, Clone, Copy, Default)]
pub struct EventPolicy {
    /// False when no event type has this key (the defaults below apply).
    pub type_known: bool,
    pub mode: DeliveryMode,
    /// Days a confirmation link stays valid; `None` = no link.
    pub link_ttl_days: Option<i64>,
}

/// Each event type's delivery mode and link lifetime, loaded with the routing snapshot.
#[derive(Debug, Clone, Default)]
pub struct Policies {
    types: HashMap<String, (DeliveryMode, Option<i64>)>,
    tenant_link_ttl_days: Option<i64>,
}

impl Policies {
    /// Unknown types deliver to rooms, with the tenant's link setting.
    pub fn of(&self, event_type: &str) -> EventPolicy {
        let known = self.types.get(event_type).copied();
        let (mode, ttl) = known.unwrap_or_default();
        EventPolicy {
            type_known: known.is_some(),
            mode,
            link_ttl_days: ttl.or(self.tenant_link_ttl_days),
        }
    }
}

/// A member's own choices: event type → provider → on/off.
pub type Preferences = BTreeMap<String, BTreeMap<Provider, bool>>;

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

pub(crate) fn parse_map(text: &str) -> Result<BTreeMap<Provider, String>> {
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

    /// The keys of the tenant's event types.
    pub async fn event_type_keys(&self, tenant: i64) -> Result<Vec<String>> {
        Ok(
            sqlx::query_scalar("SELECT key FROM event_types WHERE tenant_id = $1 ORDER BY key")
                .bind(tenant)
                .fetch_all(&self.read)
                .await?,
        )
    }

    /// Every event type of the tenant, by key (the console's settings page and its
    /// event type × tool matrix show them all at once).
    pub async fn event_types(&self, tenant: i64) -> Result<Vec<EventType>> {
        let rows = sqlx::query(
            "SELECT key, name, delivery, provider_defaults, link_ttl_days FROM event_types \
             WHERE tenant_id = $1 ORDER BY key",
        )
        .bind(tenant)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                let delivery: String = r.try_get(2)?;
                Ok(EventType {
                    key: r.try_get(0)?,
                    name: r.try_get(1)?,
                    delivery: DeliveryMode::parse(&delivery).ok_or_else(|| {
                        StoreError::Corrupt(format!("delivery mode `{delivery}`"))
                    })?,
                    defaults: serde_json::from_str(&r.try_get::<String, _>(3)?)
                        .map_err(|e| StoreError::Corrupt(format!("provider defaults: {e}")))?,
                    confirmation_link_ttl_days: r.try_get(4)?,
                })
            })
            .collect()
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

    pub async fn upsert_event_type(&self, tenant: i64, et: &EventType) -> Result<bool> {
        let now = now_ms();
        let existing: Option<i64> =
            sqlx::query_scalar("SELECT id FROM event_types WHERE tenant_id = $1 AND key = $2")
                .bind(tenant)
                .bind(&et.key)
                .fetch_optional(&self.write)
                .await?;
        let sql = if existing.is_some() {
            "UPDATE event_types SET name = $3, delivery = $4, provider_defaults = $5, link_ttl_days = $6, updated_at = $7 \
             WHERE tenant_id = $1 AND key = $2"
        } else {
            "INSERT INTO event_types (tenant_id, key, name, delivery, provider_defaults, link_ttl_days, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7)"
        };
        sqlx::query(sql)
            .bind(tenant)
            .bind(&et.key)
            .bind(&et.name)
            .bind(et.delivery.as_str())
            .bind(json(&et.defaults))
            .bind(et.confirmation_link_ttl_days)
            .bind(now)
            .execute(&self.write)
            .await?;
        Ok(existing.is_none())
    }

    pub async fn member(&self, tenant: i64, ext: &str) -> Result<Option<Member>> {
        let Some(r) = sqlx::query(
            "SELECT m.id, m.name, m.email, c.external_id, m.identities FROM members m \
             LEFT JOIN clients c ON c.id = m.client_id WHERE m.tenant_id = $1 AND m.external_id = $2",
        )
        .bind(tenant)
        .bind(ext)
        .fetch_optional(&self.read)
        .await?
        else {
            return Ok(None);
        };
        let id: i64 = r.try_get(0)?;
        let groups = sqlx::query_scalar(
            "SELECT g.external_id FROM member_groups mg JOIN tenant_groups g ON g.id = mg.group_id \
             WHERE mg.member_id = $1 ORDER BY mg.position",
        )
        .bind(id)
        .fetch_all(&self.read)
        .await?;
        Ok(Some(Member {
            id,
            external_id: ext.into(),
            name: r.try_get(1)?,
            email: r.try_get(2)?,
            client: r.try_get(3)?,
            groups,
            identities: parse_map(&r.try_get::<String, _>(4)?)?,
        }))
    }

    /// Every member as identity matching sees it: (external ID, name, e-mail, account on `provider`).
    pub async fn member_refs(
        &self,
        tenant: i64,
        provider: Provider,
    ) -> Result<Vec<(String, String, Option<String>, Option<String>)>> {
        let rows = sqlx::query("SELECT external_id, name, email, identities FROM members WHERE tenant_id = $1 ORDER BY id")
            .bind(tenant)
            .fetch_all(&self.read)
            .await?;
        rows.iter()
            .map(|r| {
                let ids = parse_map(&r.try_get::<String, _>(3)?)?;
                Ok((
                    r.try_get(0)?,
                    r.try_get(1)?,
                    r.try_get(2)?,
                    ids.get(&provider).cloned(),
                ))
            })
            .collect()
    }

    /// Sets members' accounts on `provider` in one transaction: all or nothing.
    pub async fn set_identities(
        &self,
        tenant: i64,
        provider: Provider,
        links: &[(String, String)],
    ) -> Result<usize> {
        let mut tx = self.write.begin().await?;
        for (ext, account) in links {
            let current: Option<String> = sqlx::query_scalar(
                "SELECT identities FROM members WHERE tenant_id = $1 AND external_id = $2",
            )
            .bind(tenant)
            .bind(ext)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(current) = current else {
                return Err(StoreError::Conflict(format!(
                    "member `{ext}` was deleted meanwhile; nothing was imported"
                )));
            };
            let mut ids = parse_map(&current)?;
            ids.insert(provider, account.clone());
            sqlx::query("UPDATE members SET identities = $1, updated_at = $2 WHERE tenant_id = $3 AND external_id = $4")
                .bind(json(&ids))
                .bind(now_ms())
                .bind(tenant)
                .bind(ext)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(links.len())
    }

    /// Members whose identity on `provider` is `account`: (external ID, name).
    pub async fn members_with_identity(
        &self,
        tenant: i64,
        provider: Provider,
        account: &str,
    ) -> Result<Vec<(String, String)>> {
        // The identities are stored as JSON text (`{"chatwork":"123"}`): matching the pair as
        // text narrows 10,000 members to the few candidates in SQL; parsing confirms each.
        let pair = format!(
            "\"{}\":{}",
            provider.as_str(),
            serde_json::Value::from(account)
        );
        let rows = sqlx::query(
            "SELECT external_id, name, identities FROM members
             WHERE tenant_id = $1 AND LOWER(identities) LIKE $2 ESCAPE '\\' ORDER BY id",
        )
        .bind(tenant)
        .bind(crate::query::contains_pattern(&pair))
        .fetch_all(&self.read)
        .await?;
        let mut out = Vec::new();
        for r in rows {
            let ids = parse_map(&r.try_get::<String, _>(2)?)?;
            if ids.get(&provider).map(String::as_str) == Some(account) {
                out.push((r.try_get(0)?, r.try_get(1)?));
            }
        }
        Ok(out)
    }

    /// Replaces a member's preferences.
    pub async fn set_preferences(
        &self,
        tenant: i64,
        member_id: i64,
        prefs: &Preferences,
    ) -> Result<()> {
        let mut tx = self.write.begin().await?;
        sqlx::query("DELETE FROM preferences WHERE tenant_id = $1 AND member_id = $2")
            .bind(tenant)
            .bind(member_id)
            .execute(&mut *tx)
            .await?;
        for (event_type, per_provider) in prefs {
            for (provider, on) in per_provider {
                sqlx::query("INSERT INTO preferences (tenant_id, member_id, event_type, provider, enabled) VALUES ($1, $2, $3, $4, $5)")
                    .bind(tenant)
                    .bind(member_id)
                    .bind(event_type)
                    .bind(provider.as_str())
                    .bind(i64::from(*on))
                    .execute(&mut *tx)
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn preferences(&self, tenant: i64, member_id: i64) -> Result<Preferences> {
        let rows = sqlx::query("SELECT event_type, provider, enabled FROM preferences WHERE tenant_id = $1 AND member_id = $2")
            .bind(tenant)
            .bind(member_id)
            .fetch_all(&self.read)
            .await?;
        let mut out = Preferences::new();
        for r in rows {
            let provider: Provider = r
                .try_get::<String, _>(1)?
                .parse()
                .map_err(StoreError::Corrupt)?;
            out.entry(r.try_get(0)?)
                .or_default()
                .insert(provider, r.try_get::<i64, _>(2)? != 0);
        }
        Ok(out)
    }

    /// Loads what routing needs for `targets`: every live connection, the clients, groups
    /// and members the targets can reach (a group's members and its sub-groups' too), their
    /// preferences, and the tenant's per-type defaults.
    pub async fn snapshot(&self, tenant: i64, targets: &Targets) -> Result<(Snapshot, Policies)> {
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
        let mut member_ids: Vec<i64> = Vec::new();
        if !targets.groups.is_empty() || !targets.members.is_empty() {
            // The whole tree: ancestors are needed to find a room, descendants for sub-groups.
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
        if !targets.groups.is_empty() {
            let mut group_ids: Vec<i64> = Vec::new();
            for ext in &targets.groups {
                if let Some(g) = snap.groups.values().find(|g| &g.external_id == ext) {
                    for id in snap.subtree(g.id) {
                        if !group_ids.contains(&id) {
                            group_ids.push(id);
                        }
                    }
                }
            }
            for chunk in group_ids.chunks(500) {
                let sql = format!(
                    "SELECT mg.group_id, m.id, m.external_id FROM member_groups mg JOIN members m ON m.id = mg.member_id \
                     WHERE mg.group_id IN ({}) ORDER BY m.id",
                    list_placeholders(1, chunk.len())
                );
                let mut q = sqlx::query(&sql);
                for g in chunk {
                    q = q.bind(*g);
                }
                for r in q.fetch_all(&self.read).await? {
                    let (gid, mid, ext): (i64, i64, String) =
                        (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?);
                    snap.group_members.entry(gid).or_default().push(ext);
                    member_ids.push(mid);
                }
            }
        }
        if !targets.members.is_empty() {
            for chunk in targets.members.chunks(500) {
                let sql = format!(
                    "SELECT id FROM members WHERE tenant_id = $1 AND external_id IN ({})",
                    list_placeholders(2, chunk.len())
                );
                let mut q = sqlx::query_scalar::<_, i64>(&sql).bind(tenant);
                for m in chunk {
                    q = q.bind(m);
                }
                member_ids.extend(q.fetch_all(&self.read).await?);
            }
        }
        member_ids.sort_unstable();
        member_ids.dedup();
        self.load_members(&member_ids, &mut snap).await?;
        // Event types and the tenant's link setting in one read: routing needs the defaults,
        // intake the delivery mode and link lifetime of each event's type.
        let rows = sqlx::query(
            "SELECT t.link_ttl_days, et.key, et.delivery, et.provider_defaults, et.link_ttl_days \
             FROM tenants t LEFT JOIN event_types et ON et.tenant_id = t.id WHERE t.id = $1",
        )
        .bind(tenant)
        .fetch_all(&self.read)
        .await?;
        let mut policies = Policies::default();
        for r in rows {
            policies.tenant_link_ttl_days = r.try_get::<Option<i64>, _>(0)?.filter(|d| *d > 0);
            let Some(key) = r.try_get::<Option<String>, _>(1)? else {
                continue;
            };
            let defaults: BTreeMap<Provider, bool> =
                serde_json::from_str(&r.try_get::<String, _>(3)?)
                    .map_err(|e| StoreError::Corrupt(format!("provider defaults: {e}")))?;
            for (p, on) in defaults {
                snap.type_defaults.insert((key.clone(), p), on);
            }
            let mode = DeliveryMode::parse(&r.try_get::<String, _>(2)?).unwrap_or_default();
            policies.types.insert(
                key,
                (mode, r.try_get::<Option<i64>, _>(4)?.filter(|d| *d > 0)),
            );
        }
        Ok((snap, policies))
    }

    /// Members by row ID with their groups (primary first) and preferences.
    async fn load_members(&self, ids: &[i64], snap: &mut Snapshot) -> Result<()> {
        let mut by_id: HashMap<i64, MemberView> = HashMap::new();
        for chunk in ids.chunks(500) {
            let ph = list_placeholders(1, chunk.len());
            let sql =
                format!("SELECT id, external_id, name, identities FROM members WHERE id IN ({ph})");
            let mut q = sqlx::query_as::<_, (i64, String, String, String)>(&sql);
            for id in chunk {
                q = q.bind(*id);
            }
            for (id, external_id, name, identities) in q.fetch_all(&self.read).await? {
                by_id.insert(
                    id,
                    MemberView {
                        id,
                        external_id,
                        name,
                        groups: Vec::new(),
                        identities: parse_map(&identities)?,
                    },
                );
            }
            let sql = format!("SELECT member_id, group_id FROM member_groups WHERE member_id IN ({ph}) ORDER BY member_id, position");
            let mut q = sqlx::query(&sql);
            for id in chunk {
                q = q.bind(*id);
            }
            for r in q.fetch_all(&self.read).await? {
                let (mid, gid): (i64, i64) = (r.try_get(0)?, r.try_get(1)?);
                if let Some(m) = by_id.get_mut(&mid) {
                    m.groups.push(gid);
                }
            }
            let sql = format!("SELECT member_id, event_type, provider, enabled FROM preferences WHERE member_id IN ({ph})");
            let mut q = sqlx::query(&sql);
            for id in chunk {
                q = q.bind(*id);
            }
            for r in q.fetch_all(&self.read).await? {
                let provider: Provider = r
                    .try_get::<String, _>(2)?
                    .parse()
                    .map_err(StoreError::Corrupt)?;
                snap.member_prefs.insert(
                    (r.try_get(0)?, r.try_get(1)?, provider),
                    r.try_get::<i64, _>(3)? != 0,
                );
            }
        }
        snap.members = by_id
            .into_values()
            .map(|m| (m.external_id.clone(), m))
            .collect();
        Ok(())
    }

    pub(crate) async fn connection_views(&self, tenant: i64) -> Result<Vec<ConnectionView>> {
        let rows = sqlx::query(
            "SELECT id, provider, owner_kind, owner_id, room, default_room, account_id, enabled, kind FROM connections \
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
        enabled: r.try_get::<i64, _>(7)? != 0,
        kind: renkei_core::model::ConnectionKind::parse(&r.try_get::<String, _>(8)?)
            .ok_or_else(|| StoreError::Corrupt("unknown connection kind".into()))?,
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

impl Store {
    /// A member's external ID and name from its row ID (signed member links carry row IDs).
    pub async fn member_by_row(&self, tenant: i64, id: i64) -> Result<Option<(String, String)>> {
        let row =
            sqlx::query("SELECT external_id, name FROM members WHERE tenant_id = $1 AND id = $2")
                .bind(tenant)
                .bind(id)
                .fetch_optional(&self.read)
                .await?;
        row.map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).transpose()
    }
}
