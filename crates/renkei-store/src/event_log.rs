//! The delivery log: a tenant's events newest first, filtered, a page at a time (keyset on
//! the event ID: `before` is the last ID of the previous page).
//!
//! Two plans, chosen by the filters (indexes in migration 0006):
//! - a filter that few deliveries match (a status other than `delivered`, a member, a client)
//!   walks those deliveries' index newest event first;
//! - otherwise the tenant's events are walked newest first, each checked against the rest;
//!   when that means looking into each event's deliveries (a provider, or `delivered`), one
//!   request walks at most [`WALK_LIMIT`] events and may answer a short page.

use std::collections::{BTreeMap, HashMap};

use renkei_core::model::{DeliveryStatus, Provider};
use serde::Serialize;
use sqlx::Row;
use utoipa::ToSchema;

use crate::query::Sql;
use crate::{list_placeholders, Result, Store};

#[derive(Debug, Clone)]
pub struct EventFilter {
    /// Events with an ID below this one (the previous page's `next_before`).
    pub before: Option<i64>,
    pub limit: i64,
    /// Events with a delivery in this status.
    pub status: Option<DeliveryStatus>,
    /// Events with a delivery through this provider.
    pub provider: Option<Provider>,
    pub event_type: Option<String>,
    /// Events with a delivery made for this member (external ID): to them directly, or into
    /// their group's room mentioning them.
    pub member: Option<String>,
    /// Events with a delivery made for this client (external ID).
    pub client: Option<String>,
    /// Created at or after (Unix ms).
    pub since: Option<i64>,
    /// Created before (Unix ms).
    pub until: Option<i64>,
    /// The most events one request walks when it must look into each one's deliveries
    /// ([`WALK_LIMIT`]; smaller in tests).
    pub walk_limit: i64,
}

impl Default for EventFilter {
    fn default() -> Self {
        EventFilter {
            before: None,
            limit: Self::DEFAULT_LIMIT,
            status: None,
            provider: None,
            event_type: None,
            member: None,
            client: None,
            since: None,
            until: None,
            walk_limit: WALK_LIMIT,
        }
    }
}

impl EventFilter {
    pub const DEFAULT_LIMIT: i64 = 50;
    pub const MAX_LIMIT: i64 = 200;

    /// The target a member or client filter names, as deliveries store it (the member's
    /// when both are given; the client's is then checked on its own).
    fn target(&self) -> Option<String> {
        match (&self.member, &self.client) {
            (Some(m), _) => Some(format!("member:{m}")),
            (None, Some(c)) => Some(format!("client:{c}")),
            (None, None) => None,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EventSummary {
    pub id: i64,
    /// `event`, `bulk_send` or `calendar`.
    pub kind: String,
    #[serde(rename = "type")]
    pub event_type: String,
    pub title: String,
    /// Unix ms.
    pub created_at: i64,
    /// The event's deliveries by status (all of them, not only those the filters matched).
    #[schema(value_type = Object)]
    pub delivery_counts: BTreeMap<String, i64>,
    pub deliveries_total: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EventPage {
    pub items: Vec<EventSummary>,
    /// Pass as `before` for the next (older) page; absent on the last page. A filter on a
    /// provider or on `delivered` looks into each event's deliveries and walks at most
    /// 5,000 events per request: its page may then hold fewer items than asked, even none,
    /// with `next_before` to go on.
    pub next_before: Option<i64>,
}

/// The most events one request walks when a filter has to look into each event's
/// deliveries (a provider, or `delivered`): a page may then come back short, even empty,
/// with `next_before` to go on from where the walk stopped. Keeps every request fast
/// whatever the filters match.
pub const WALK_LIMIT: i64 = 5_000;

/// Every status a delivery row can have besides `delivered` (`staged` while its event is
/// being written). Counting these through the partial index and deriving `delivered` from
/// the total keeps the counts of a fan-out to 10,000 members cheap.
const NOT_DELIVERED: &str = "'pending', 'failed', 'cancelled', 'skipped', 'staged'";

impl Store {
    pub async fn event_page(&self, tenant: i64, f: &EventFilter) -> Result<EventPage> {
        let limit = f.limit.clamp(1, EventFilter::MAX_LIMIT);
        let (ids, walked_to) = self.matching_event_ids(tenant, f, limit + 1).await?;
        let next_before = if ids.len() as i64 > limit {
            Some(ids[limit as usize - 1])
        } else {
            walked_to
        };
        let ids = &ids[..ids.len().min(limit as usize)];
        let mut items = self.event_summaries(tenant, ids).await?;
        self.count_deliveries(tenant, &mut items).await?;
        Ok(EventPage { items, next_before })
    }

    async fn event_summaries(&self, tenant: i64, ids: &[i64]) -> Result<Vec<EventSummary>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT id, kind, type, title, created_at FROM events WHERE tenant_id = $1 AND id IN ({}) ORDER BY id DESC",
            list_placeholders(2, ids.len())
        );
        let mut q = sqlx::query(&sql).bind(tenant);
        for id in ids {
            q = q.bind(*id);
        }
        q.fetch_all(&self.read)
            .await?
            .iter()
            .map(|r| {
                Ok(EventSummary {
                    id: r.try_get(0)?,
                    kind: r.try_get(1)?,
                    event_type: r.try_get(2)?,
                    title: r.try_get(3)?,
                    created_at: r.try_get(4)?,
                    delivery_counts: BTreeMap::new(),
                    deliveries_total: 0,
                })
            })
            .collect()
    }

    /// Each event's deliveries by status: the total from the event index alone, the rare
    /// statuses from the partial index, `delivered` the rest.
    async fn count_deliveries(&self, tenant: i64, items: &mut [EventSummary]) -> Result<()> {
        if items.is_empty() {
            return Ok(());
        }
        let index: HashMap<i64, usize> = items.iter().enumerate().map(|(i, e)| (e.id, i)).collect();
        let sql = format!(
            "SELECT event_id, COUNT(*) FROM deliveries WHERE event_id IN ({}) GROUP BY event_id",
            list_placeholders(1, items.len())
        );
        let mut q = sqlx::query(&sql);
        for e in items.iter() {
            q = q.bind(e.id);
        }
        for r in q.fetch_all(&self.read).await? {
            if let Some(&i) = index.get(&r.try_get::<i64, _>(0)?) {
                items[i].deliveries_total = r.try_get(1)?;
            }
        }
        let sql = format!(
            "SELECT event_id, status, COUNT(*) FROM deliveries WHERE tenant_id = $1 AND status <> 'delivered' \
             AND status IN ({NOT_DELIVERED}) AND event_id IN ({}) GROUP BY event_id, status",
            list_placeholders(2, items.len())
        );
        let mut q = sqlx::query(&sql).bind(tenant);
        for e in items.iter() {
            q = q.bind(e.id);
        }
        for r in q.fetch_all(&self.read).await? {
            if let Some(&i) = index.get(&r.try_get::<i64, _>(0)?) {
                items[i]
                    .delivery_counts
                    .insert(r.try_get(1)?, r.try_get(2)?);
            }
        }
        for e in items.iter_mut() {
            let delivered = e.deliveries_total - e.delivery_counts.values().sum::<i64>();
            if delivered > 0 {
                e.delivery_counts.insert("delivered".into(), delivered);
            }
        }
        Ok(())
    }

    /// The IDs of the newest `n` matching events below `before`, newest first, and where a
    /// bounded walk stopped if it did (the next page starts below it).
    async fn matching_event_ids(
        &self,
        tenant: i64,
        f: &EventFilter,
        n: i64,
    ) -> Result<(Vec<i64>, Option<i64>)> {
        let target = f.target();
        // Statuses are a closed set, so the value can be part of the SQL text: the planner
        // can then use the partial index that leaves delivered rows out (SQLite needs the
        // index's own condition spelled out to see that it applies).
        let rare_status = f.status.filter(|s| *s != DeliveryStatus::Delivered);
        let before = f.before.unwrap_or(i64::MAX);
        let mut walked_to = None;
        let mut sql;
        if rare_status.is_some() || target.is_some() {
            sql = Sql::new("SELECT d.event_id FROM deliveries d JOIN events e ON e.id = d.event_id WHERE d.tenant_id = ");
            let t = sql.int(tenant);
            sql.push(&t);
            if rare_status.is_some() {
                sql.push(" AND d.status <> 'delivered'");
            }
            delivery_conditions(&mut sql, f, target.as_deref(), "d");
            let b = sql.int(before);
            sql.push(&format!(" AND d.event_id < {b}"));
            if let (Some(_), Some(client)) = (&f.member, &f.client) {
                let c = sql.text(format!("client:{client}"));
                sql.push(&format!(
                    " AND EXISTS (SELECT 1 FROM deliveries dc WHERE dc.event_id = d.event_id AND dc.target = {c})"
                ));
            }
            event_conditions(&mut sql, f);
            let n = sql.int(n);
            sql.push(&format!(
                " GROUP BY d.event_id ORDER BY d.event_id DESC LIMIT {n}"
            ));
        } else {
            sql = Sql::new("SELECT e.id FROM events e WHERE e.tenant_id = ");
            let t = sql.int(tenant);
            sql.push(&t);
            let b = sql.int(before);
            sql.push(&format!(" AND e.id < {b}"));
            event_conditions(&mut sql, f);
            if f.status.is_some() || f.provider.is_some() {
                // Each event's deliveries are looked into: walk a bounded stretch.
                walked_to = self.walk_floor(tenant, f, before).await?;
                if let Some(floor) = walked_to {
                    let p = sql.int(floor);
                    sql.push(&format!(" AND e.id >= {p}"));
                }
                sql.push(" AND EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = e.id");
                delivery_conditions(&mut sql, f, None, "d");
                sql.push(")");
            }
            let n = sql.int(n);
            sql.push(&format!(" ORDER BY e.id DESC LIMIT {n}"));
        }
        let rows = sql.query().fetch_all(&self.read).await?;
        let ids = rows
            .iter()
            .map(|r| r.try_get(0))
            .collect::<Result<_, _>>()?;
        Ok((ids, walked_to))
    }

    /// The lowest event ID a bounded walk below `before` reaches (`walk_limit` events of the
    /// type asked for, if any); `None` when fewer events than that are left.
    async fn walk_floor(&self, tenant: i64, f: &EventFilter, before: i64) -> Result<Option<i64>> {
        let mut sql = Sql::new("SELECT e.id FROM events e WHERE e.tenant_id = ");
        let t = sql.int(tenant);
        sql.push(&t);
        let b = sql.int(before);
        sql.push(&format!(" AND e.id < {b}"));
        if let Some(t) = &f.event_type {
            let t = sql.text(t.as_str());
            sql.push(&format!(" AND e.type = {t}"));
        }
        let skip = sql.int(f.walk_limit.max(1) - 1);
        sql.push(&format!(" ORDER BY e.id DESC LIMIT 1 OFFSET {skip}"));
        let row = sql.query().fetch_optional(&self.read).await?;
        row.map(|r| Ok(r.try_get(0)?)).transpose()
    }
}

/// Conditions on one delivery (`alias`): all must hold for the same delivery.
fn delivery_conditions(sql: &mut Sql, f: &EventFilter, target: Option<&str>, alias: &str) {
    if let Some(s) = f.status {
        sql.push(&format!(" AND {alias}.status = '{}'", s.as_str()));
    }
    if let Some(p) = f.provider {
        let p = sql.text(p.as_str());
        sql.push(&format!(" AND {alias}.provider = {p}"));
    }
    if let Some(t) = target {
        let t = sql.text(t);
        sql.push(&format!(" AND {alias}.target = {t}"));
    }
}

/// Conditions on the event row (`e`).
fn event_conditions(sql: &mut Sql, f: &EventFilter) {
    // An event still being written was never acknowledged: not shown.
    sql.push(" AND e.state = 'accepted'");
    if let Some(t) = &f.event_type {
        let t = sql.text(t.as_str());
        sql.push(&format!(" AND e.type = {t}"));
    }
    if let Some(since) = f.since {
        let p = sql.int(since);
        sql.push(&format!(" AND e.created_at >= {p}"));
    }
    if let Some(until) = f.until {
        let p = sql.int(until);
        sql.push(&format!(" AND e.created_at < {p}"));
    }
}
