//! The delivery log: a tenant's events newest first, filtered, a page at a time (keyset on
//! the event ID: `before` is the last ID of the previous page).
//!
//! Two plans, chosen by the filters (indexes in migration 0006):
//! - a filter that few deliveries match (a status other than `delivered`, a member, a client)
//!   walks those deliveries' index newest event first;
//! - otherwise the tenant's events are walked newest first, each checked against the rest.

use std::collections::{BTreeMap, HashMap};

use renkei_core::model::{DeliveryStatus, Provider};
use serde::Serialize;
use sqlx::Row;
use utoipa::ToSchema;

use crate::query::Sql;
use crate::{list_placeholders, Result, Store};

#[derive(Debug, Clone, Default)]
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
    /// Pass as `before` for the next (older) page; absent on the last page.
    pub next_before: Option<i64>,
}

impl Store {
    pub async fn event_page(&self, tenant: i64, f: &EventFilter) -> Result<EventPage> {
        let limit = f.limit.clamp(1, EventFilter::MAX_LIMIT);
        let ids = self.matching_event_ids(tenant, f, limit + 1).await?;
        let next_before = (ids.len() as i64 > limit).then(|| ids[limit as usize - 1]);
        let ids = &ids[..ids.len().min(limit as usize)];
        if ids.is_empty() {
            return Ok(EventPage {
                items: Vec::new(),
                next_before: None,
            });
        }
        let ph = list_placeholders(2, ids.len());
        let sql = format!(
            "SELECT id, kind, type, title, created_at FROM events WHERE tenant_id = $1 AND id IN ({ph}) ORDER BY id DESC"
        );
        let mut q = sqlx::query(&sql).bind(tenant);
        for id in ids {
            q = q.bind(*id);
        }
        let mut items: Vec<EventSummary> = Vec::with_capacity(ids.len());
        let mut index: HashMap<i64, usize> = HashMap::new();
        for r in q.fetch_all(&self.read).await? {
            let id: i64 = r.try_get(0)?;
            index.insert(id, items.len());
            items.push(EventSummary {
                id,
                kind: r.try_get(1)?,
                event_type: r.try_get(2)?,
                title: r.try_get(3)?,
                created_at: r.try_get(4)?,
                delivery_counts: BTreeMap::new(),
                deliveries_total: 0,
            });
        }
        let sql = format!(
            "SELECT event_id, status, COUNT(*) FROM deliveries WHERE event_id IN ({}) GROUP BY event_id, status",
            list_placeholders(1, ids.len())
        );
        let mut q = sqlx::query(&sql);
        for id in ids {
            q = q.bind(*id);
        }
        for r in q.fetch_all(&self.read).await? {
            if let Some(&i) = index.get(&r.try_get::<i64, _>(0)?) {
                let n: i64 = r.try_get(2)?;
                items[i].deliveries_total += n;
                items[i].delivery_counts.insert(r.try_get(1)?, n);
            }
        }
        Ok(EventPage { items, next_before })
    }

    /// The IDs of the newest `n` matching events below `before`, newest first.
    async fn matching_event_ids(&self, tenant: i64, f: &EventFilter, n: i64) -> Result<Vec<i64>> {
        let target = f.target();
        // Statuses are a closed set, so the value can be part of the SQL text: the planner
        // can then use the partial index that leaves delivered rows out.
        let rare_status = f
            .status
            .filter(|s| *s != DeliveryStatus::Delivered)
            .map(DeliveryStatus::as_str);
        let by_deliveries = rare_status.is_some() || target.is_some();
        let mut sql;
        if by_deliveries {
            sql = Sql::new("SELECT d.event_id FROM deliveries d JOIN events e ON e.id = d.event_id WHERE d.tenant_id = ");
            let t = sql.int(tenant);
            sql.push(&t);
            delivery_conditions(&mut sql, f, target.as_deref(), "d");
            let before = sql.int(f.before.unwrap_or(i64::MAX));
            sql.push(&format!(" AND d.event_id < {before}"));
            if let (Some(_), Some(client)) = (&f.member, &f.client) {
                let c = sql.text(format!("client:{client}"));
                sql.push(&format!(
                    " AND EXISTS (SELECT 1 FROM deliveries dc WHERE dc.event_id = d.event_id AND dc.target = {c})"
                ));
            }
            event_conditions(&mut sql, f);
            let n = sql.int(n);
            sql.push(&format!(" GROUP BY d.event_id ORDER BY d.event_id DESC LIMIT {n}"));
        } else {
            sql = Sql::new("SELECT e.id FROM events e WHERE e.tenant_id = ");
            let t = sql.int(tenant);
            sql.push(&t);
            let before = sql.int(f.before.unwrap_or(i64::MAX));
            sql.push(&format!(" AND e.id < {before}"));
            event_conditions(&mut sql, f);
            if f.status.is_some() || f.provider.is_some() {
                sql.push(" AND EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = e.id");
                delivery_conditions(&mut sql, f, None, "d");
                sql.push(")");
            }
            let n = sql.int(n);
            sql.push(&format!(" ORDER BY e.id DESC LIMIT {n}"));
        }
        let rows = sql.query().fetch_all(&self.read).await?;
        rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
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
