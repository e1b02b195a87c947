//! The directory a page at a time: clients, members and event types in external ID (or key)
//! order, with keyset paging (`after` is the last ID of the previous page) and filters.

use std::collections::{BTreeMap, HashMap};

use renkei_core::model::{DeliveryMode, Provider};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;
use utoipa::ToSchema;

use crate::directory::{parse_map, EventType, Member, Rooms};
use crate::query::{contains_pattern, Sql};
use crate::{list_placeholders, Result, Store, StoreError};

/// Which page of a list: the items after `after` (an external ID or key), at most `limit`.
#[derive(Debug, Clone, Copy)]
pub struct PageRequest<'a> {
    pub after: Option<&'a str>,
    pub limit: i64,
}

impl PageRequest<'_> {
    pub const DEFAULT_LIMIT: i64 = 50;
    pub const MAX_LIMIT: i64 = 200;
}

impl Default for PageRequest<'_> {
    fn default() -> Self {
        PageRequest {
            after: None,
            limit: Self::DEFAULT_LIMIT,
        }
    }
}

/// A connection an object owns, as its list entry shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OwnedConnection {
    pub id: i64,
    pub provider: String,
    /// `connected` or `broken`.
    pub status: String,
    pub enabled: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ClientOverview {
    pub external_id: String,
    pub name: String,
    /// The client's room per provider.
    #[schema(value_type = Object)]
    pub rooms: Rooms,
    /// Connections of the client's own (empty: the tenant's connections post for it).
    pub connections: Vec<OwnedConnection>,
    pub member_count: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ClientPage {
    pub items: Vec<ClientOverview>,
    /// Pass as `after` for the next page; absent on the last page.
    pub next_after: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MemberPage {
    pub items: Vec<Member>,
    pub next_after: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EventTypePage {
    pub items: Vec<EventType>,
    pub next_after: Option<String>,
}

/// Members to list; every filter given must hold.
#[derive(Debug, Clone, Copy, Default)]
pub struct MemberFilter<'a> {
    /// Part of the name, e-mail or external ID (case-insensitive).
    pub q: Option<&'a str>,
    /// In this group (row ID; directly, not through a sub-group).
    pub group: Option<i64>,
    /// Of this client (row ID).
    pub client: Option<i64>,
    /// With no identity for this provider.
    pub missing_identity: Option<Provider>,
}

/// Cuts the one extra row fetched to know whether another page follows.
fn split_page<T>(
    mut rows: Vec<T>,
    limit: i64,
    key: impl Fn(&T) -> String,
) -> (Vec<T>, Option<String>) {
    let limit = limit as usize;
    if rows.len() > limit {
        rows.truncate(limit);
        let next = rows.last().map(key);
        (rows, next)
    } else {
        (rows, None)
    }
}

/// `AND (LOWER(a) LIKE $q ESCAPE '\' OR …)` for a search over `cols`.
fn push_search(sql: &mut Sql, q: Option<&str>, cols: &[&str]) {
    let Some(q) = q.map(str::trim).filter(|q| !q.is_empty()) else {
        return;
    };
    let p = sql.text(contains_pattern(q));
    let ors: Vec<String> = cols
        .iter()
        .map(|c| format!("LOWER({c}) LIKE {p} ESCAPE '\\'"))
        .collect();
    sql.push(&format!(" AND ({})", ors.join(" OR ")));
}

fn push_page(sql: &mut Sql, key_col: &str, page: PageRequest<'_>) {
    if let Some(after) = page.after {
        let p = sql.text(after);
        sql.push(&format!(" AND {key_col} > {p}"));
    }
    let n = sql.int(page.limit + 1);
    sql.push(&format!(" ORDER BY {key_col} LIMIT {n}"));
}

impl Store {
    /// Clients whose name or external ID contains `q`, with their rooms and own connections.
    pub async fn client_page(
        &self,
        tenant: i64,
        q: Option<&str>,
        page: PageRequest<'_>,
    ) -> Result<ClientPage> {
        let mut sql =
            Sql::new("SELECT id, external_id, name, rooms FROM clients WHERE tenant_id = ");
        let t = sql.int(tenant);
        sql.push(&t);
        push_search(&mut sql, q, &["name", "external_id"]);
        push_page(&mut sql, "external_id", page);
        let rows = sql.query().fetch_all(&self.read).await?;
        let (rows, next_after) = split_page(rows, page.limit, |r: &AnyRow| {
            r.try_get::<String, _>(1).unwrap_or_default()
        });
        let items = self.client_overviews(tenant, &rows).await?;
        Ok(ClientPage { items, next_after })
    }

    pub async fn client_overview(&self, tenant: i64, ext: &str) -> Result<Option<ClientOverview>> {
        let rows = sqlx::query(
            "SELECT id, external_id, name, rooms FROM clients WHERE tenant_id = $1 AND external_id = $2",
        )
        .bind(tenant)
        .bind(ext)
        .fetch_all(&self.read)
        .await?;
        Ok(self.client_overviews(tenant, &rows).await?.pop())
    }

    /// Rows of `id, external_id, name, rooms` with their connections and member counts.
    async fn client_overviews(&self, tenant: i64, rows: &[AnyRow]) -> Result<Vec<ClientOverview>> {
        let ids: Vec<i64> = rows
            .iter()
            .map(|r| r.try_get(0))
            .collect::<Result<_, _>>()?;
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut conns = self.owned_connections(tenant, "client", &ids).await?;
        let sql = format!(
            "SELECT client_id, COUNT(*) FROM members WHERE client_id IN ({}) GROUP BY client_id",
            list_placeholders(1, ids.len())
        );
        let mut q = sqlx::query(&sql);
        for id in &ids {
            q = q.bind(*id);
        }
        let mut counts: HashMap<i64, i64> = HashMap::new();
        for r in q.fetch_all(&self.read).await? {
            counts.insert(r.try_get(0)?, r.try_get(1)?);
        }
        rows.iter()
            .map(|r| {
                let id: i64 = r.try_get(0)?;
                Ok(ClientOverview {
                    external_id: r.try_get(1)?,
                    name: r.try_get(2)?,
                    rooms: parse_map(&r.try_get::<String, _>(3)?)?,
                    connections: conns.remove(&id).unwrap_or_default(),
                    member_count: counts.get(&id).copied().unwrap_or(0),
                })
            })
            .collect()
    }

    /// Live connections owned by these clients or members (`owner_kind`), by owner row ID.
    pub(crate) async fn owned_connections(
        &self,
        tenant: i64,
        owner_kind: &str,
        owners: &[i64],
    ) -> Result<HashMap<i64, Vec<OwnedConnection>>> {
        let mut out: HashMap<i64, Vec<OwnedConnection>> = HashMap::new();
        if owners.is_empty() {
            return Ok(out);
        }
        let sql = format!(
            "SELECT owner_id, id, provider, status, enabled FROM connections \
             WHERE tenant_id = $1 AND owner_kind = $2 AND status <> 'deleted' AND owner_id IN ({}) ORDER BY id",
            list_placeholders(3, owners.len())
        );
        let mut q = sqlx::query(&sql).bind(tenant).bind(owner_kind);
        for id in owners {
            q = q.bind(*id);
        }
        for r in q.fetch_all(&self.read).await? {
            out.entry(r.try_get(0)?).or_default().push(OwnedConnection {
                id: r.try_get(1)?,
                provider: r.try_get(2)?,
                status: r.try_get(3)?,
                enabled: r.try_get::<i64, _>(4)? != 0,
            });
        }
        Ok(out)
    }

    /// Members matching every filter given, with their client, groups and identities.
    pub async fn member_page(
        &self,
        tenant: i64,
        filter: MemberFilter<'_>,
        page: PageRequest<'_>,
    ) -> Result<MemberPage> {
        let mut sql = Sql::new(
            "SELECT m.id, m.external_id, m.name, m.email, c.external_id, m.identities FROM members m \
             LEFT JOIN clients c ON c.id = m.client_id WHERE m.tenant_id = ",
        );
        let t = sql.int(tenant);
        sql.push(&t);
        push_search(
            &mut sql,
            filter.q,
            &["m.name", "m.external_id", "COALESCE(m.email, '')"],
        );
        if let Some(client) = filter.client {
            let p = sql.int(client);
            sql.push(&format!(" AND m.client_id = {p}"));
        }
        if let Some(group) = filter.group {
            let p = sql.int(group);
            sql.push(&format!(
                " AND EXISTS (SELECT 1 FROM member_groups mg WHERE mg.member_id = m.id AND mg.group_id = {p})"
            ));
        }
        if let Some(provider) = filter.missing_identity {
            // Identities are a JSON object keyed by provider; a quote inside a value is
            // escaped, so `"<provider>":` only ever matches a key.
            let p = sql.text(format!("%\"{}\":%", provider.as_str()));
            sql.push(&format!(" AND m.identities NOT LIKE {p}"));
        }
        push_page(&mut sql, "m.external_id", page);
        let rows = sql.query().fetch_all(&self.read).await?;
        let (rows, next_after) = split_page(rows, page.limit, |r: &AnyRow| {
            r.try_get::<String, _>(1).unwrap_or_default()
        });
        let ids: Vec<i64> = rows
            .iter()
            .map(|r| r.try_get(0))
            .collect::<Result<_, _>>()?;
        let mut groups = self.groups_of_members(&ids).await?;
        let items = rows
            .iter()
            .map(|r| {
                let id: i64 = r.try_get(0)?;
                Ok(Member {
                    id,
                    external_id: r.try_get(1)?,
                    name: r.try_get(2)?,
                    email: r.try_get(3)?,
                    client: r.try_get(4)?,
                    groups: groups.remove(&id).unwrap_or_default(),
                    identities: parse_map(&r.try_get::<String, _>(5)?)?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(MemberPage { items, next_after })
    }

    /// Each member's groups' external IDs, primary first.
    async fn groups_of_members(&self, ids: &[i64]) -> Result<HashMap<i64, Vec<String>>> {
        let mut out: HashMap<i64, Vec<String>> = HashMap::new();
        if ids.is_empty() {
            return Ok(out);
        }
        let sql = format!(
            "SELECT mg.member_id, g.external_id FROM member_groups mg JOIN tenant_groups g ON g.id = mg.group_id \
             WHERE mg.member_id IN ({}) ORDER BY mg.member_id, mg.position",
            list_placeholders(1, ids.len())
        );
        let mut q = sqlx::query(&sql);
        for id in ids {
            q = q.bind(*id);
        }
        for r in q.fetch_all(&self.read).await? {
            out.entry(r.try_get(0)?).or_default().push(r.try_get(1)?);
        }
        Ok(out)
    }

    /// The row ID of this tenant's group `ext`.
    pub async fn group_row_id(&self, tenant: i64, ext: &str) -> Result<Option<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT id FROM tenant_groups WHERE tenant_id = $1 AND external_id = $2",
        )
        .bind(tenant)
        .bind(ext)
        .fetch_optional(&self.read)
        .await?)
    }

    /// Event types whose key or name contains `q`.
    pub async fn event_type_page(
        &self,
        tenant: i64,
        q: Option<&str>,
        page: PageRequest<'_>,
    ) -> Result<EventTypePage> {
        let mut sql = Sql::new(
            "SELECT key, name, delivery, provider_defaults, link_ttl_days FROM event_types WHERE tenant_id = ",
        );
        let t = sql.int(tenant);
        sql.push(&t);
        push_search(&mut sql, q, &["key", "name"]);
        push_page(&mut sql, "key", page);
        let rows = sql.query().fetch_all(&self.read).await?;
        let items = rows
            .iter()
            .map(event_type_from)
            .collect::<Result<Vec<_>>>()?;
        let (items, next_after) = split_page(items, page.limit, |e: &EventType| e.key.clone());
        Ok(EventTypePage { items, next_after })
    }

    pub async fn event_type(&self, tenant: i64, key: &str) -> Result<Option<EventType>> {
        let row = sqlx::query(
            "SELECT key, name, delivery, provider_defaults, link_ttl_days FROM event_types WHERE tenant_id = $1 AND key = $2",
        )
        .bind(tenant)
        .bind(key)
        .fetch_optional(&self.read)
        .await?;
        row.as_ref().map(event_type_from).transpose()
    }
}

fn event_type_from(r: &AnyRow) -> Result<EventType> {
    let defaults: BTreeMap<Provider, bool> = serde_json::from_str(&r.try_get::<String, _>(3)?)
        .map_err(|e| StoreError::Corrupt(format!("provider defaults: {e}")))?;
    let delivery: String = r.try_get(2)?;
    Ok(EventType {
        key: r.try_get(0)?,
        name: r.try_get(1)?,
        delivery: DeliveryMode::parse(&delivery)
            .ok_or_else(|| StoreError::Corrupt(format!("delivery mode `{delivery}`")))?,
        defaults,
        confirmation_link_ttl_days: r.try_get(4)?,
    })
}
