//! Reading events with their deliveries, attempts and link activity (writing them is
//! [`crate::intake`]), cancelling what an event still has pending, confirmation links.

use std::collections::{BTreeMap, HashMap};

use renkei_core::model::DeliveryStatus;
use serde::Serialize;
use sqlx::Row;
use utoipa::ToSchema;

use crate::confirmations::LinkView;
use crate::{now_ms, Backend, Result, Store, StoreError};

/// `events.kind` of a calendar change (absence sync): its body is the provider's payload.
pub const KIND_CALENDAR: &str = "calendar";

pub use crate::intake::{Accepted, NewEvent};

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EventDetail {
    pub id: i64,
    /// `event` or `bulk_send`.
    pub kind: String,
    #[serde(rename = "type")]
    pub event_type: String,
    pub idempotency_key: Option<String>,
    #[schema(value_type = Object)]
    pub to: serde_json::Value,
    pub title: String,
    pub body: String,
    pub url: Option<String>,
    pub created_at: i64,
    /// When the confirmation links of this event stop working (Unix ms), if it has them.
    pub confirmation_link_expires_at: Option<i64>,
    /// Every delivery of the event, by status (all pages).
    #[schema(value_type = Object)]
    pub delivery_counts: BTreeMap<String, i64>,
    pub deliveries_total: i64,
    /// One page of deliveries, oldest first.
    pub deliveries: Vec<DeliveryDetail>,
    /// Pass as `after` for the next page of deliveries; absent on the last page.
    pub next_deliveries_after: Option<i64>,
}

/// Which deliveries of an event to read: those with an ID above `after` (and in `status`, when
/// given), at most `limit`.
#[derive(Debug, Clone, Copy)]
pub struct DeliveryPage {
    pub after: i64,
    pub limit: i64,
    /// Only deliveries in this status (the counts still cover them all).
    pub status: Option<DeliveryStatus>,
}

impl DeliveryPage {
    /// The most deliveries one page holds.
    pub const MAX: i64 = 1000;
}

impl Default for DeliveryPage {
    fn default() -> Self {
        DeliveryPage {
            after: 0,
            limit: Self::MAX,
            status: None,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeliveryDetail {
    pub id: i64,
    pub target: String,
    pub provider: Option<String>,
    pub connection_id: Option<i64>,
    pub destination: Option<Destination>,
    #[schema(value_type = Object)]
    pub mentions: serde_json::Value,
    pub status: String,
    pub reason_code: Option<String>,
    pub reason: Option<String>,
    /// How routing decided on this destination, step by step.
    #[schema(value_type = Object)]
    pub route: serde_json::Value,
    pub message_id: Option<String>,
    pub next_attempt_at: Option<i64>,
    /// Works, but probably not as hoped (e.g. a mention that shows no badge).
    pub warnings: Vec<String>,
    pub attempts: Vec<AttemptDetail>,
    /// When a person first pressed "confirm" on this delivery's confirmation link page.
    pub confirmed_at: Option<i64>,
    /// Openings of that page by people (link previews and HEAD requests are not counted).
    pub views: Vec<LinkView>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Destination {
    /// `room`, or `direct` (a DM to `account`; the direct chat is found when sending).
    pub kind: &'static str,
    pub room: Option<String>,
    pub account: Option<String>,
}

impl Destination {
    fn from_room(room: String) -> Self {
        match renkei_core::routing::direct_account(&room) {
            Some(a) => Destination {
                kind: "direct",
                room: None,
                account: Some(a.to_string()),
            },
            None => Destination {
                kind: "room",
                room: Some(room),
                account: None,
            },
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AttemptDetail {
    pub at: i64,
    pub latency_ms: i64,
    pub http_status: Option<i64>,
    pub outcome: String,
    pub error: Option<String>,
}

impl Store {
    /// An event of this tenant with one page of its deliveries and their attempts. An event
    /// still being written (never acknowledged yet) is not shown.
    pub async fn event_detail(
        &self,
        tenant: i64,
        id: i64,
        page: DeliveryPage,
    ) -> Result<Option<EventDetail>> {
        // One snapshot for every read below: a delivery's row and its attempts are shown as
        // of the same moment (else a page polled mid-commit shows an attempt whose outcome
        // the row does not have yet).
        let mut tx = self.read.begin().await?;
        if self.backend() == Backend::Postgres {
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
                .execute(&mut *tx)
                .await?;
        }
        let Some(r) = sqlx::query(
            "SELECT id, type, idempotency_key, targets, title, body, url, created_at, kind, link_expires_at \
             FROM events WHERE tenant_id = $1 AND id = $2 AND state = 'accepted'",
        )
        .bind(tenant)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        else {
            return Ok(None);
        };
        let to: String = r.try_get(3)?;
        let mut ev = EventDetail {
            id: r.try_get(0)?,
            event_type: r.try_get(1)?,
            idempotency_key: r.try_get(2)?,
            to: parse_json(&to)?,
            title: r.try_get(4)?,
            body: r.try_get(5)?,
            url: r.try_get(6)?,
            created_at: r.try_get(7)?,
            kind: r.try_get(8)?,
            confirmation_link_expires_at: r.try_get(9)?,
            delivery_counts: BTreeMap::new(),
            deliveries_total: 0,
            deliveries: Vec::new(),
            next_deliveries_after: None,
        };
        let counts = sqlx::query(
            "SELECT status, COUNT(*) FROM deliveries WHERE event_id = $1 AND tenant_id = $2 GROUP BY status",
        )
        .bind(id)
        .bind(tenant)
        .fetch_all(&mut *tx)
        .await?;
        for r in counts {
            let n: i64 = r.try_get(1)?;
            ev.deliveries_total += n;
            ev.delivery_counts.insert(r.try_get(0)?, n);
        }
        let limit = page.limit.clamp(1, DeliveryPage::MAX);
        // A status other than delivered is read from the partial index of those (tenant,
        // status, event): the few failed of a fan-out to thousands without walking them all.
        let only = match page.status {
            None => "",
            Some(DeliveryStatus::Delivered) => " AND status = $5",
            Some(_) => " AND status = $5 AND status <> 'delivered'",
        };
        let sql = format!(
            "SELECT id, target, provider, connection_id, room, mentions, status, reason_code, reason, reasons, message_id, next_attempt_at, \
             warnings FROM deliveries WHERE event_id = $1 AND tenant_id = $2 AND id > $3{only} ORDER BY id LIMIT $4"
        );
        let mut q = sqlx::query(&sql)
            .bind(id)
            .bind(tenant)
            .bind(page.after)
            .bind(limit + 1);
        if let Some(s) = page.status {
            q = q.bind(s.as_str());
        }
        let rows = q.fetch_all(&mut *tx).await?;
        for r in rows.iter().take(limit as usize) {
            let status: String = r.try_get(6)?;
            let next: i64 = r.try_get(11)?;
            ev.deliveries.push(DeliveryDetail {
                id: r.try_get(0)?,
                target: r.try_get(1)?,
                provider: r.try_get(2)?,
                connection_id: r.try_get(3)?,
                destination: r
                    .try_get::<Option<String>, _>(4)?
                    .map(Destination::from_room),
                mentions: parse_json(&r.try_get::<String, _>(5)?)?,
                next_attempt_at: (status == "pending" && next > 0).then_some(next),
                status,
                reason_code: r.try_get(7)?,
                reason: r.try_get(8)?,
                route: parse_json(&r.try_get::<String, _>(9)?)?,
                message_id: r.try_get(10)?,
                warnings: serde_json::from_str(&r.try_get::<String, _>(12)?)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                attempts: Vec::new(),
                confirmed_at: None,
                views: Vec::new(),
            });
        }
        let (Some(first), Some(last)) = (ev.deliveries.first(), ev.deliveries.last()) else {
            return Ok(Some(ev));
        };
        let (first, last) = (first.id, last.id);
        if rows.len() as i64 > limit {
            ev.next_deliveries_after = Some(last);
        }
        let index: HashMap<i64, usize> = ev
            .deliveries
            .iter()
            .enumerate()
            .map(|(i, d)| (d.id, i))
            .collect();
        // By range, not by a list of IDs: a page never binds more than four values.
        let attempts = sqlx::query(
            "SELECT a.delivery_id, a.started_at, a.latency_ms, a.http_status, a.outcome, a.error \
             FROM attempts a JOIN deliveries d ON d.id = a.delivery_id \
             WHERE d.event_id = $1 AND d.tenant_id = $2 AND d.id BETWEEN $3 AND $4 ORDER BY a.id",
        )
        .bind(id)
        .bind(tenant)
        .bind(first)
        .bind(last)
        .fetch_all(&mut *tx)
        .await?;
        for r in attempts {
            if let Some(&i) = index.get(&r.try_get::<i64, _>(0)?) {
                ev.deliveries[i].attempts.push(AttemptDetail {
                    at: r.try_get(1)?,
                    latency_ms: r.try_get(2)?,
                    http_status: r.try_get(3)?,
                    outcome: r.try_get(4)?,
                    error: r.try_get(5)?,
                });
            }
        }
        let mut links = self.link_activity(tenant, id, first, last).await?;
        for d in &mut ev.deliveries {
            if let Some(a) = links.remove(&d.id) {
                d.confirmed_at = a.confirmed_at;
                d.views = a.views;
            }
        }
        Ok(Some(ev))
    }

    /// Cancels what an event still has pending (a bulk send stopped midway). Returns how many.
    pub async fn cancel_pending(
        &self,
        tenant: i64,
        event_id: i64,
        code: &str,
        reason: &str,
    ) -> Result<u64> {
        let done = sqlx::query(
            "UPDATE deliveries SET status = 'cancelled', reason_code = $1, reason = $2, updated_at = $3 \
             WHERE tenant_id = $4 AND event_id = $5 AND status = 'pending'",
        )
        .bind(code)
        .bind(reason)
        .bind(now_ms())
        .bind(tenant)
        .bind(event_id)
        .execute(&self.write)
        .await?;
        Ok(done.rows_affected())
    }

    /// The event an idempotency key already names in this tenant, if any.
    pub async fn event_by_idempotency_key(&self, tenant: i64, key: &str) -> Result<Option<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT id FROM events WHERE tenant_id = $1 AND idempotency_key = $2",
        )
        .bind(tenant)
        .bind(key)
        .fetch_optional(&self.read)
        .await?)
    }

    /// Counts deliveries per status (all tenants): for benchmarks, tests and health.
    pub async fn delivery_counts(&self) -> Result<HashMap<String, i64>> {
        let rows = sqlx::query("SELECT status, COUNT(*) FROM deliveries GROUP BY status")
            .fetch_all(&self.read)
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect()
    }
}

fn parse_json(text: &str) -> Result<serde_json::Value> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(e.to_string()))
}
