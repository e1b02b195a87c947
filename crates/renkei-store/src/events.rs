//! Events and their deliveries: written together in one transaction, so an accepted event
//! always has its deliveries queued (or its skips recorded) durably.

use std::collections::HashMap;

use renkei_core::routing::{Outcome, Planned};
use serde::Serialize;
use sqlx::Row;
use utoipa::ToSchema;

use crate::confirmations::LinkView;
use crate::{list_placeholders, now_ms, values_placeholders, Result, Store, StoreError};

/// `events.kind` of a calendar change (absence sync): its body is the provider's payload.
pub const KIND_CALENDAR: &str = "calendar";

pub struct NewEvent {
    /// `event` (routed) or `bulk_send` (rooms picked by hand).
    pub kind: &'static str,
    pub event_type: String,
    pub idempotency_key: Option<String>,
    /// The event's `to`, as JSON, kept for the event detail.
    pub targets_json: String,
    pub title: String,
    pub body: String,
    pub url: Option<String>,
    /// When the confirmation link in the notice stops working; `None` = no link.
    pub link_expires_at: Option<i64>,
    /// Related notices share a thread where the tool has threads.
    pub thread_key: Option<String>,
    pub planned: Vec<Planned>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Accepted {
    pub id: i64,
    /// True when the idempotency key named an event accepted earlier.
    pub duplicate: bool,
    /// Connections that got new pending deliveries (to wake their lanes).
    #[serde(skip)]
    pub connections: Vec<i64>,
}

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
    pub deliveries: Vec<DeliveryDetail>,
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

const DELIVERY_COLS: usize = 14;

impl Store {
    /// Stores events with their planned deliveries in one transaction. An event whose
    /// idempotency key is already known is not stored again: its first ID is returned.
    pub async fn insert_events(&self, tenant: i64, events: &[NewEvent]) -> Result<Vec<Accepted>> {
        let mut out = self.insert_event_groups(&[(tenant, events)]).await?;
        Ok(out.pop().unwrap_or_default())
    }

    /// Several tenants' batches in one transaction (group commit): one answer per group.
    pub async fn insert_event_groups(
        &self,
        groups: &[(i64, &[NewEvent])],
    ) -> Result<Vec<Vec<Accepted>>> {
        let now = now_ms();
        let mut tx = self.write.begin().await?;
        let mut answers = Vec::with_capacity(groups.len());
        let mut seen_keys: HashMap<(i64, String), i64> = HashMap::new();
        let mut rows: Vec<(i64, i64, &Planned)> = Vec::new();
        for &(tenant, events) in groups {
            let mut out = Vec::with_capacity(events.len());
            for ev in events {
                if let Some(key) = &ev.idempotency_key {
                    let known = match seen_keys.get(&(tenant, key.clone())) {
                        Some(id) => Some(*id),
                        None => sqlx::query_scalar(
                            "SELECT id FROM events WHERE tenant_id = $1 AND idempotency_key = $2",
                        )
                        .bind(tenant)
                        .bind(key)
                        .fetch_optional(&mut *tx)
                        .await?,
                    };
                    if let Some(id) = known {
                        out.push(Accepted {
                            id,
                            duplicate: true,
                            connections: Vec::new(),
                        });
                        continue;
                    }
                }
                let id: i64 = sqlx::query(
                    "INSERT INTO events (tenant_id, type, idempotency_key, targets, title, body, url, created_at, kind, link_expires_at, thread_key) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
                )
                .bind(tenant)
                .bind(&ev.event_type)
                .bind(&ev.idempotency_key)
                .bind(&ev.targets_json)
                .bind(&ev.title)
                .bind(&ev.body)
                .bind(&ev.url)
                .bind(now)
                .bind(ev.kind)
                .bind(ev.link_expires_at)
                .bind(&ev.thread_key)
                .fetch_one(&mut *tx)
                .await?
                .try_get(0)?;
                if let Some(key) = &ev.idempotency_key {
                    seen_keys.insert((tenant, key.clone()), id);
                }
                let mut connections = Vec::new();
                for p in &ev.planned {
                    if let Outcome::Send { connection_id, .. } = p.outcome {
                        if !connections.contains(&connection_id) {
                            connections.push(connection_id);
                        }
                    }
                    rows.push((tenant, id, p));
                }
                out.push(Accepted {
                    id,
                    duplicate: false,
                    connections,
                });
            }
            answers.push(out);
        }
        // Multi-row inserts: one statement per few hundred deliveries.
        for chunk in rows.chunks(400) {
            let sql = format!(
                "INSERT INTO deliveries (tenant_id, event_id, target, provider, connection_id, room, mentions, status, \
                 reason_code, reason, reasons, created_at, updated_at, warnings) VALUES {}",
                values_placeholders(chunk.len(), DELIVERY_COLS)
            );
            let mut q = sqlx::query(&sql);
            for (tenant, event_id, p) in chunk {
                let (conn, room, mentions, status, code, reason) = match &p.outcome {
                    Outcome::Send {
                        connection_id,
                        room,
                        mentions,
                    } => (
                        Some(*connection_id),
                        Some(room.clone()),
                        serde_json::to_string(mentions).expect("serialisable"),
                        "pending",
                        None,
                        None,
                    ),
                    Outcome::Skip { code } => (
                        None,
                        None,
                        "[]".to_string(),
                        "skipped",
                        Some(*code),
                        p.reasons.last().cloned(),
                    ),
                };
                q = q
                    .bind(*tenant)
                    .bind(*event_id)
                    .bind(p.target.clone())
                    .bind(p.provider.map(|pr| pr.as_str()))
                    .bind(conn)
                    .bind(room)
                    .bind(mentions)
                    .bind(status)
                    .bind(code)
                    .bind(reason)
                    .bind(serde_json::to_string(&p.reasons).expect("serialisable"))
                    .bind(now)
                    .bind(now)
                    .bind(serde_json::to_string(&p.warnings).expect("serialisable"));
            }
            q.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(answers)
    }

    /// An event of this tenant with its deliveries and their attempts.
    pub async fn event_detail(&self, tenant: i64, id: i64) -> Result<Option<EventDetail>> {
        let Some(r) = sqlx::query(
            "SELECT id, type, idempotency_key, targets, title, body, url, created_at, kind, link_expires_at \
             FROM events WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tenant)
        .bind(id)
        .fetch_optional(&self.read)
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
            deliveries: Vec::new(),
        };
        let rows = sqlx::query(
            "SELECT id, target, provider, connection_id, room, mentions, status, reason_code, reason, reasons, message_id, next_attempt_at, \
             warnings FROM deliveries WHERE event_id = $1 AND tenant_id = $2 ORDER BY id",
        )
        .bind(id)
        .bind(tenant)
        .fetch_all(&self.read)
        .await?;
        for r in rows {
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
        if !ev.deliveries.is_empty() {
            let sql = format!(
                "SELECT delivery_id, started_at, latency_ms, http_status, outcome, error FROM attempts \
                 WHERE delivery_id IN ({}) ORDER BY id",
                list_placeholders(1, ev.deliveries.len())
            );
            let mut q = sqlx::query(&sql);
            for d in &ev.deliveries {
                q = q.bind(d.id);
            }
            let index: HashMap<i64, usize> = ev
                .deliveries
                .iter()
                .enumerate()
                .map(|(i, d)| (d.id, i))
                .collect();
            for r in q.fetch_all(&self.read).await? {
                let did: i64 = r.try_get(0)?;
                if let Some(&i) = index.get(&did) {
                    ev.deliveries[i].attempts.push(AttemptDetail {
                        at: r.try_get(1)?,
                        latency_ms: r.try_get(2)?,
                        http_status: r.try_get(3)?,
                        outcome: r.try_get(4)?,
                        error: r.try_get(5)?,
                    });
                }
            }
        }
        if !ev.deliveries.is_empty() {
            let mut links = self.link_activity(tenant, id).await?;
            for d in &mut ev.deliveries {
                if let Some(a) = links.remove(&d.id) {
                    d.confirmed_at = a.confirmed_at;
                    d.views = a.views;
                }
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
